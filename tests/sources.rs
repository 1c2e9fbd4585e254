//! End-to-end tests of the non-Compose sources: the binary on the bundled examples (nginx,
//! postgresql.conf and redis.conf mounted into Compose services; Terraform workspaces; app
//! config files) and on broken input, with a cleared environment.

use serde_json::{json, Value};

mod common;
use common::{envparity, json_of, stdout_of, MIB};

/// A service's setting in one environment.
fn setting<'a>(doc: &'a Value, service: &str, env: &str, key: &str) -> &'a Value {
    let s = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == service)
        .unwrap_or_else(|| panic!("no service {service}"));
    let v = &s["envs"][env]["settings"][key];
    assert!(!v.is_null(), "no {key} in {service}/{env}");
    v
}

/// An environment-wide row.
fn env_row<'a>(doc: &'a Value, aspect: &str) -> &'a Value {
    doc["environment_settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["aspect"] == aspect)
        .unwrap_or_else(|| panic!("no environment setting {aspect}"))
}

fn difference<'a>(doc: &'a Value, service: Option<&str>, aspect: &str) -> &'a Value {
    doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["aspect"] == aspect && d["service"] == json!(service))
        .unwrap_or_else(|| panic!("no difference {aspect}"))
}

#[test]
fn obcms_nginx_rate_limits_burst_keepalive_and_body_size() {
    let doc = json_of("examples/obcms");
    let nginx = |env: &str, key: &str| setting(&doc, "nginx", env, key).clone();

    let rate = nginx("staging", "nginx.limit_req_zone.api.rate");
    assert_eq!(rate["value"], "200r/m");
    assert_eq!(rate["quantity"], json!({"unit": "number", "amount": 200.0}));
    assert_eq!(rate["file"], "nginx/load_balancer_staging.conf");
    assert_eq!(rate["line"], 11);
    let rate = nginx("production", "nginx.limit_req_zone.api.rate");
    assert_eq!(rate["quantity"]["amount"], 100.0);
    assert_eq!(rate["file"], "nginx/load_balancer.conf");
    assert_eq!(
        difference(&doc, Some("nginx"), "nginx.limit_req_zone.api.rate")["change_pct"]["staging"],
        100.0
    );

    assert_eq!(nginx("staging", "nginx.limit_req.api.burst")["value"], "40");
    assert_eq!(
        nginx("production", "nginx.limit_req.api.burst")["value"],
        "20"
    );
    assert_eq!(
        nginx("staging", "nginx.limit_req.login.burst")["value"],
        "5"
    );
    assert_eq!(
        nginx("production", "nginx.limit_req_zone.login.rate")["quantity"]["amount"],
        5.0
    );

    let body = nginx("staging", "nginx.client_max_body_size");
    assert_eq!(body["value"], "50M");
    assert_eq!(
        body["quantity"],
        json!({"unit": "bytes", "amount": 50 * MIB})
    );
    assert_eq!(
        nginx("production", "nginx.client_max_body_size")["quantity"]["amount"],
        100 * MIB
    );
    assert_eq!(
        difference(&doc, Some("nginx"), "nginx.client_max_body_size")["change_pct"]["staging"],
        -50.0
    );

    assert_eq!(
        nginx("staging", "nginx.upstream.obcms_backend.keepalive")["value"],
        "16"
    );
    assert_eq!(
        nginx("production", "nginx.upstream.obcms_backend.keepalive")["value"],
        "32"
    );
    assert_eq!(
        nginx("staging", "nginx.upstream.obcms_backend.server_count")["value"],
        "2"
    );
    assert_eq!(
        nginx("production", "nginx.upstream.obcms_backend.servers")["value"],
        "web1:8000, web2:8000, web3:8000, web4:8000"
    );
    assert_eq!(nginx("staging", "nginx.limit_conn.addr")["value"], "5");
    assert_eq!(nginx("production", "nginx.limit_conn.addr")["value"], "10");
    assert_eq!(
        difference(&doc, Some("nginx"), "nginx.add_header.X-Environment")["status"],
        "partial"
    );
    assert_eq!(
        nginx("production", "nginx.proxy_read_timeout")["quantity"]["amount"],
        120.0
    );
}

#[test]
fn obcms_markdown_shows_the_nginx_rows() {
    let md = stdout_of(&["report", "examples/obcms"]);
    for row in [
        "| `nginx.limit_req_zone.api.rate` | 200r/m | 100r/m | 100% higher in staging |",
        "| `nginx.limit_req.api.burst` | 40 | 20 | 100% higher in staging |",
        "| `nginx.upstream.obcms_backend.keepalive` | 16 | 32 | 50% lower in staging |",
        "| `nginx.client_max_body_size` | 50M | 100M | 50% lower in staging |",
        "| `redis.maxmemory` | 256mb | 512mb | 50% lower in staging |",
    ] {
        assert!(md.contains(row), "missing row {row}");
    }
}

#[test]
fn obcms_postgres_and_redis_conf_files_feed_the_flag_keys() {
    let doc = json_of("examples/obcms");
    // postgresql.conf values, normalised.
    let st = setting(&doc, "db", "staging", "postgres.checkpoint_timeout");
    assert_eq!(st["value"], "5min");
    assert_eq!(st["quantity"], json!({"unit": "seconds", "amount": 300.0}));
    assert_eq!(st["file"], "postgres/postgresql.staging.conf");
    assert_eq!(
        setting(&doc, "db", "production", "postgres.checkpoint_timeout")["quantity"]["amount"],
        900.0
    );
    assert_eq!(
        setting(&doc, "db", "production", "postgres.wal_keep_size")["quantity"],
        json!({"unit": "bytes", "amount": 1u64 << 30})
    );
    assert_eq!(
        setting(&doc, "db", "staging", "postgres.log_min_duration_statement")["quantity"]["amount"],
        0.25
    );
    // Flags still come from the command line.
    let sb = setting(&doc, "db", "staging", "postgres.shared_buffers");
    assert_eq!(sb["file"], "docker-compose.staging.yml");

    // redis: a flag in staging, redis.conf (through the mount) in production, one row.
    let st = setting(&doc, "redis", "staging", "redis.maxmemory");
    assert_eq!(st["quantity"]["amount"], 256 * MIB);
    assert_eq!(st["file"], "docker-compose.staging.yml");
    let pr = setting(&doc, "redis", "production", "redis.maxmemory");
    assert_eq!(pr["value"], "512mb");
    assert_eq!(pr["quantity"]["amount"], 512 * MIB);
    assert_eq!(pr["file"], "redis/redis.conf");
    assert_eq!(pr["line"], 5);
    assert_eq!(
        difference(&doc, Some("redis"), "redis.maxmemory")["change_pct"]["staging"],
        -50.0
    );
    assert_eq!(
        setting(&doc, "redis", "production", "redis.save")["value"],
        "900 1, 300 10"
    );
    // sentinel.conf through the directory mount of each sentinel.
    assert_eq!(
        setting(
            &doc,
            "redis-sentinel",
            "production",
            "redis.sentinel.monitor"
        )["value"],
        "mymaster redis-master 6379 2"
    );
}

#[test]
fn terraform_workspaces_staging_tfvars_against_defaults() {
    let doc = json_of("examples/terraform-workspaces");
    assert_eq!(doc["environments"], json!(["staging", "production"]));
    let row = |k: &str| env_row(&doc, k).clone();

    let bucket = row("terraform.s3_bucket_name");
    assert_eq!(bucket["status"], "different");
    assert_eq!(
        bucket["values"]["staging"]["value"],
        "codedetect-staging-uploads-2025"
    );
    assert_eq!(
        bucket["values"]["staging"]["file"],
        "terraform/staging.tfvars"
    );
    assert_eq!(
        bucket["values"]["production"]["value"],
        "codedetect-prod-uploads-2025"
    );
    assert_eq!(
        bucket["values"]["production"]["file"],
        "terraform/variables.tf"
    );

    let domain = row("terraform.enable_domain");
    assert_eq!(domain["values"]["staging"]["value"], "false");
    assert_eq!(domain["values"]["production"]["value"], "true");
    // Domain and SSL resources exist in production only: `count = var.enable_domain ? 1 : 0`.
    for r in [
        "terraform.aws_acm_certificate.main.count",
        "terraform.aws_route53_record.app.count",
        "terraform.aws_lb_listener.https.count",
    ] {
        let c = row(r);
        assert_eq!(c["values"]["staging"]["value"], "0", "{r}");
        assert_eq!(c["values"]["production"]["value"], "1", "{r}");
        assert_eq!(c["values"]["production"]["file"], "terraform/main.tf");
    }

    // Same sizes in both (architectural parity).
    for (k, v) in [
        ("terraform.instance_type", "t3.micro"),
        ("terraform.db_instance_class", "db.t3.micro"),
        ("terraform.db_allocated_storage", "20"),
        ("terraform.instance_count", "1"),
    ] {
        let r = row(k);
        assert_eq!(r["status"], "same", "{k}");
        assert_eq!(r["values"]["staging"]["value"], v, "{k}");
    }
    assert_eq!(
        difference(&doc, None, "terraform.aws_acm_certificate.main.count")["change_pct"]["staging"],
        -100.0
    );
    assert_eq!(
        row("terraform.alarm_prefix")["values"]["staging"]["value"],
        "[STAGING]"
    );
    assert!(doc["notes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("`db_password` has no default"));
    let out = stdout_of(&["discover", "examples/terraform-workspaces"]);
    assert!(
        out.contains("(bound to `production` in envparity.toml)"),
        "{out}"
    );
}

#[test]
fn job_finder_app_config_base_and_production_file() {
    let doc = json_of("examples/job-finder");
    let score = env_row(&doc, "config.ai.min_match_score");
    assert_eq!(score["values"]["staging"]["value"], "70");
    assert_eq!(score["values"]["staging"]["file"], "config/config.yaml");
    assert_eq!(score["values"]["production"]["value"], "80");
    assert_eq!(
        score["values"]["production"]["file"],
        "config/config.production.yaml"
    );
    assert_eq!(score["values"]["production"]["line"], 19);
    let db = env_row(&doc, "config.storage.database_name");
    assert_eq!(db["values"]["staging"]["value"], "portfolio-staging");
    assert_eq!(db["values"]["production"]["value"], "portfolio");
}

/// Run on a temporary repository and return (exit code, stdout, stderr).
fn run_on(files: &[(&str, &[u8])], args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let out = envparity()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        stderr,
    )
}

/// What a bad file gives: an error when nothing could be read (exit 2), else a warning that
/// names the gap (exit 0); either way the file and line.
fn error_of(files: &[(&str, &[u8])]) -> String {
    let (code, _, stderr) = run_on(files, &["compare", "."]);
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    assert!(matches!(code, 0 | 2), "{names:?}: {stderr}");
    assert!(
        stderr.starts_with(if code == 2 { "error: " } else { "warning: " }),
        "{names:?}: {stderr}"
    );
    stderr
}

#[test]
fn dotenv_files_per_environment_with_secrets_masked() {
    let (code, out, err) = run_on(
        &[
            (".env", b"LOG_LEVEL=info\nDB_HOST=db\n"),
            (
                ".env.staging",
                b"LOG_LEVEL=debug\nDATABASE_URL=postgres://app:staging-pw@${DB_HOST}/app\n",
            ),
            (
                ".env.production",
                b"# prod\nexport DATABASE_URL='postgres://app:prod-pw@db/app'\n",
            ),
        ],
        &["report", ".", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("staging-pw") && !out.contains("prod-pw"));
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["environments"], json!(["staging", "production"]));
    let level = env_row(&doc, "env.LOG_LEVEL");
    assert_eq!(level["values"]["staging"]["value"], "debug");
    assert_eq!(level["values"]["production"]["value"], "info");
    assert_eq!(level["values"]["production"]["file"], ".env");
    let url = env_row(&doc, "env.DATABASE_URL");
    assert_eq!(
        url["values"]["staging"]["value"],
        "postgres://app:********@db/app"
    );
    assert_eq!(url["values"]["production"]["line"], 2);
    assert_eq!(url["status"], "different");
}

#[test]
fn sensitive_terraform_values_never_print() {
    let (code, out, err) = run_on(
        &[
            ("variables.tf", b"variable \"admin_user\" {\n  default = \"root-admin-42\"\n  sensitive = true\n}\n"),
            ("staging.tfvars", b"admin_user = \"stage-admin-77\"\n"),
            ("production.tfvars", b"admin_user = \"prod-admin-99\"\n"),
        ],
        &["report", ".", "--format", "md"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("admin-77") && !out.contains("admin-99") && !out.contains("admin-42"));
    assert!(out.contains("`terraform.admin_user`"), "{out}");
}

#[test]
fn bad_input_names_file_and_line_and_exits_2() {
    let compose: (&str, &[u8]) = (
        "docker-compose.staging.yml",
        b"services:\n  web:\n    image: app:1\n",
    );
    let e = error_of(&[
        compose,
        ("main.tf", b"variable \"a\" {\n  default = \n}\n"),
        ("staging.tfvars", b"a = 1\n"),
    ]);
    assert!(
        e.starts_with("warning: staging: source not read: main.tf:2:"),
        "{e}"
    );
    assert!(e.contains("HCL syntax error"), "{e}");

    let e = error_of(&[compose, (".env.staging", b"A=1\nB=\"unterminated\n")]);
    assert_eq!(
        e,
        "warning: staging: source not read: .env.staging:2:3: unterminated double-quoted value for B\n"
    );

    let e = error_of(&[compose, ("config.staging.toml", b"[db]\nport = \n")]);
    assert!(
        e.starts_with(
            "warning: staging: source not read: config.staging.toml:2: TOML syntax error"
        ),
        "{e}"
    );

    let e = error_of(&[
        compose,
        (
            "config.staging.json",
            b"{\n  \"a\": 1,\n  \"b\": [1, 2\n}\n",
        ),
    ]);
    assert!(
        e.starts_with("warning: staging: source not read: config.staging.json:"),
        "{e}"
    );

    let e = error_of(&[
        compose,
        (
            "nginx/staging.conf",
            b"http {\n  server {\n    listen 80\n  }\n}\n",
        ),
    ]);
    assert_eq!(
        e,
        "warning: staging: source not read: nginx/staging.conf:4: directive `listen` is not terminated by `;`\n"
    );

    let e = error_of(&[
        compose,
        (
            "nginx/staging.conf",
            b"http {\n  include ../../etc/nginx/secrets.conf;\n}\n",
        ),
    ]);
    assert_eq!(
        e,
        "warning: staging: source not read: nginx/staging.conf:2: `include ../../etc/nginx/secrets.conf` points outside the scanned directory\n"
    );

    let e = error_of(&[
        compose,
        (
            "nginx/staging.conf",
            b"server {\n  client_max_body_size 10 MB;\n}\n",
        ),
    ]);
    assert_eq!(
        e,
        "warning: staging: source not read: nginx/staging.conf:2: `client_max_body_size` takes one value (write sizes without spaces: `10m`)\n"
    );
    let e = error_of(&[
        compose,
        (
            "nginx/staging.conf",
            b"server {\n  client_max_body_size 10MB;\n}\n",
        ),
    ]);
    assert!(
        e.starts_with(
            "warning: staging: source not read: nginx/staging.conf:2: `client_max_body_size`: unknown size unit `MB`"
        ),
        "{e}"
    );

    let e = error_of(&[compose, ("redis.staging.conf", b"maxmemory 1gib\n")]);
    assert_eq!(
        e,
        "warning: staging: source not read: redis.staging.conf:1: `redis.maxmemory`: unknown unit `gib` in `1gib` (redis accepts k, kb, m, mb, g or gb)\n"
    );

    let e = error_of(&[
        compose,
        (
            "postgresql.staging.conf",
            b"# tuned\nshared_buffers = 512mb\n",
        ),
    ]);
    assert!(
        e.starts_with(
            "warning: staging: source not read: postgresql.staging.conf:2: `postgres.shared_buffers`: unknown unit `mb`"
        ),
        "{e}"
    );

    let e = error_of(&[compose, ("staging.tfvars", b"a = \"x\0y\"\n")]);
    assert!(e.contains("staging.tfvars: is a binary file"), "{e}");

    let e = error_of(&[compose, ("envparity.toml", b"[sources]\nstaging = 3\n")]);
    assert!(
        e.starts_with("error: envparity.toml:2: `sources.staging`"),
        "{e}"
    );
}

#[test]
fn markdown_report_of_terraform_workspaces() {
    insta::assert_snapshot!(
        "terraform_workspaces_markdown",
        stdout_of(&["report", "examples/terraform-workspaces"])
    );
}
