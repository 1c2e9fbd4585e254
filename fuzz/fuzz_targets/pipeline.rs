//! The whole pipeline on one fuzzed file of any source kind (the first byte picks it), against
//! a fixed production file of the same kind: read, align, compare, judge, render every format.
//! A secret planted in the production file must never appear in any output.
#![no_main]
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use envparity::{align, check, compare, discover, policy, report, sources};

const CANARY: &str = "cnryZq8mT2vLp9Wx";

/// (file name, a valid production file of that kind).
fn kinds() -> Vec<(&'static str, String)> {
    vec![
        ("docker-compose.yml", format!("services:\n  web:\n    image: app:1\n    environment: {{DB_PASSWORD: {CANARY}}}\n")),
        ("app.yaml", format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: app:1\n        env: [{{name: API_TOKEN, value: {CANARY}}}]\n")),
        ("kustomization.yaml", "resources: [deploy.yaml]\nnamePrefix: p-\n".to_string()),
        ("staging.tfvars", format!("instance_type = \"t3.large\"\ndb_password = \"{CANARY}\"\n")),
        ("variables.tf", "variable \"instance_type\" {\n  default = \"t3.small\"\n}\nvariable \"db_password\" {\n  sensitive = true\n  default = \"x\"\n}\n".to_string()),
        ("nginx.conf", "http {\n  upstream app { server web1:8000; keepalive 16; }\n  limit_req_zone $binary_remote_addr zone=api:10m rate=100r/m;\n  server { listen 80; client_max_body_size 50m; }\n}\n".to_string()),
        ("postgresql.conf", "shared_buffers = 512MB\nmax_connections = 100\n".to_string()),
        ("redis.conf", format!("maxmemory 256mb\nrequirepass {CANARY}\n")),
        ("config.json", format!("{{\"ai\": {{\"min_match_score\": 80}}, \"api_key\": \"{CANARY}\"}}")),
        ("config.toml", format!("[ai]\nmin_match_score = 80\n[auth]\ntoken = \"{CANARY}\"\n")),
        ("config.yaml", format!("ai:\n  min_match_score: 80\nauth:\n  password: {CANARY}\n")),
        ("app.env", format!("API_TOKEN={CANARY}\nLOG_LEVEL=info\n")),
    ]
}

fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
        let path = Path::new(base).join(format!("envparity-fuzz-{}", std::process::id()));
        for env in ["staging", "production"] {
            std::fs::create_dir_all(path.join(env)).unwrap();
            // Kustomizations point at a deployment beside them.
            std::fs::write(
                path.join(env).join("deploy.yaml"),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: app:1}]\n",
            )
            .unwrap();
        }
        path
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let kinds = kinds();
    let (name, production) = &kinds[selector as usize % kinds.len()];
    let root = scratch();
    std::fs::write(root.join("staging").join(name), body).unwrap();
    std::fs::write(root.join("production").join(name), production).unwrap();
    let Ok(ws) = sources::Workspace::open(root) else { return };
    let specs = [format!("staging=staging/{name}"), format!("production=production/{name}")];
    let Ok(plan) = discover::explicit(&ws, &specs) else { return };
    let Ok(scan) = sources::load(&ws, &plan) else { return };
    let pol = policy::Policy::default();
    let aligned = align::align(&scan);
    let comparison = compare::compare(&scan, &aligned);
    let analysis = check::analyse(&scan, &aligned, &comparison, &pol, policy::Date { year: 2026, month: 11, day: 23 });
    let files: Vec<Vec<String>> = scan.environments.iter().map(|e| e.files.clone()).collect();
    let input = report::ReportInput { root: ".", comparison: &comparison, analysis: &analysis, files: &files, notes: &scan.notes, live: None };
    let mut outputs = Vec::new();
    for format in [report::Format::Md, report::Format::Json, report::Format::Text] {
        outputs.push(report::render(format, &input, false));
    }
    outputs.push(report::sarif::render(&input));
    outputs.push(report::junit::render(&input));
    outputs.push(report::comment::render(&input, "see the full report"));
    for out in outputs {
        assert!(!out.contains(CANARY), "a secret was printed");
    }
});
