//! Monorepos: `[[projects]]` in the root's envparity.toml. Each application is judged on its
//! own environments (here: `api` has staging and production, `site` development and
//! production) and every output format joins them; the root's intentions are judged across
//! the projects that share them; `--project` picks one; baselines and `--base` work per project.

mod common;
use common::{commit, git, repo};
use serde_json::Value;
use std::path::Path;

const POLICY: &str = r#"[[projects]]
path = "apps/api"

[[projects]]
name = "site"
path = "apps/web"

[[intended]]
setting = "env.LOG_LEVEL"
reason = "verbose logs below production"

[[intended]]
setting = "env.NO_SUCH_SETTING"
reason = "left over"
"#;

const API_BASE: &str = "services:\n  api:\n    image: shop/api:1.4.2\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n    deploy:\n      resources:\n        limits:\n          cpus: '1'\n          memory: 512M\n    environment:\n      LOG_LEVEL: info\n";
const API_STAGING: &str = "services:\n  api:\n    environment:\n      LOG_LEVEL: debug\n";
const API_PRODUCTION: &str = "services:\n  api:\n    environment:\n      LOG_LEVEL: warning\n";
const API_PRODUCTION_DEBUG: &str =
    "services:\n  api:\n    environment:\n      LOG_LEVEL: warning\n      DEBUG: 'true'\n";

fn files(production: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("envparity.toml", POLICY),
        ("apps/api/docker-compose.yml", API_BASE),
        ("apps/api/docker-compose.staging.yml", API_STAGING),
        ("apps/api/docker-compose.production.yml", production),
        ("apps/web/dev.tfvars", "instance_type = \"t3.small\"\n"),
        (
            "apps/web/production.tfvars",
            "instance_type = \"m5.large\"\n",
        ),
    ]
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::run_in(dir, args)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `(project, rule, file:line)` of each finding of a joined check JSON.
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in doc["projects"].as_array().unwrap() {
        for f in p["document"]["findings"].as_array().unwrap() {
            out.push((
                p["name"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                format!("{}:{}", f["file"].as_str().unwrap_or(""), f["line"]),
            ));
        }
    }
    out
}

#[test]
fn each_project_is_judged_on_its_own_environments() {
    let dir = repo(&files(API_PRODUCTION_DEBUG));
    let (code, text, stderr) = run(dir.path(), &["check", "."]);
    assert_eq!(code, 1, "api fails on DEBUG in production: {stderr}");
    assert!(text.starts_with("━━ project api (apps/api) ━━\n"), "{text}");
    assert!(text.contains("\n━━ project site (apps/web) ━━\n"), "{text}");

    let (code, out, _) = run(dir.path(), &["check", ".", "-f", "json"]);
    assert_eq!(code, 1);
    let doc = json(&out);
    assert_eq!(doc["passed"], false);
    let envs: Vec<(&str, Value)> = doc["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let d = &p["document"];
            (p["name"].as_str().unwrap(), d["environments"].clone())
        })
        .collect();
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(envs[0].0, "api");
    assert_eq!(names(&envs[0].1), ["staging", "production"]);
    assert_eq!(envs[1].0, "site");
    assert_eq!(names(&envs[1].1), ["development", "production"]);
    // The intention for LOG_LEVEL serves api only: not ineffective in site. The one that
    // matches nothing anywhere is reported in each project, at its line of the root policy.
    assert_eq!(
        findings(&doc),
        [
            (
                "api".into(),
                "EP005".into(),
                "docker-compose.production.yml:5".into()
            ),
            (
                "api".into(),
                "EP023".into(),
                "../../envparity.toml:12".into()
            ),
            (
                "site".into(),
                "EP023".into(),
                "../../envparity.toml:12".into()
            ),
        ]
    );
}

#[test]
fn every_check_format_joins_the_projects() {
    let dir = repo(&files(API_PRODUCTION_DEBUG));
    git(dir.path(), &["init", "-q"], "2026-11-01T10:00:00Z");
    let (_, sarif, _) = run(dir.path(), &["check", ".", "-f", "sarif"]);
    let sarif = json(&sarif);
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["automationDetails"]["id"], "envparity/api/");
    assert_eq!(runs[1]["automationDetails"]["id"], "envparity/site/");
    let uris: Vec<&str> = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    // Relative to the repository root, the inherited policy's `..` resolved.
    assert_eq!(
        uris,
        ["apps/api/docker-compose.production.yml", "envparity.toml"]
    );

    let (_, junit, _) = run(dir.path(), &["check", ".", "-f", "junit"]);
    let attr = |tag: &str, name: &str| -> Vec<usize> {
        junit
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("<{tag} ")))
            .map(|l| {
                let at = l.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                l[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect()
    };
    let suites = attr("testsuite", "tests");
    assert_eq!(attr("testsuites", "tests"), [suites.iter().sum::<usize>()]);
    assert_eq!(attr("testsuites", "failures"), [1]);
    assert!(junit.contains("<testsuite name=\"api: envparity staging vs production\""));
    assert!(junit.contains("<testsuite name=\"site: envparity development vs production\""));

    let (_, gitlab, _) = run(dir.path(), &["check", ".", "-f", "gitlab"]);
    let fingerprints: Vec<String> = json(&gitlab)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["fingerprint"]
                .as_str()
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(fingerprints, ["api", "api", "site"]);

    let (_, md, _) = run(dir.path(), &["check", ".", "-f", "md"]);
    assert_eq!(md.matches("<!-- envparity-comment -->").count(), 1, "{md}");
    assert!(md.contains("## api (`apps/api`)\n\n### ❌ envparity: parity check failed"));
    assert!(md.contains("## site (`apps/web`)\n\n### ✅ envparity: parity check passed"));

    let (_, github, _) = run(dir.path(), &["check", ".", "-f", "github"]);
    assert!(github.contains("::error file=apps/api/docker-compose.production.yml,line=5,"));
}

#[test]
fn report_and_discover_show_each_project() {
    let dir = repo(&files(API_PRODUCTION));
    let (code, md, _) = run(dir.path(), &["report", "."]);
    assert_eq!(code, 0);
    assert!(md.starts_with("# Environments of 2 projects\n"), "{md}");
    assert!(md.contains(
        "\n# Project api (`apps/api`)\n\n## Environment comparison: staging vs production\n"
    ));
    assert!(md.contains(
        "\n# Project site (`apps/web`)\n\n## Environment comparison: development vs production\n"
    ));
    let (_, out, _) = run(dir.path(), &["report", ".", "-f", "json"]);
    let doc = json(&out);
    assert_eq!(doc["projects"][1]["path"], "apps/web");
    assert_eq!(doc["projects"][1]["document"]["schema_version"], 1);
    let (_, out, _) = run(dir.path(), &["discover", ".", "--format", "json"]);
    let plan = json(&out);
    assert_eq!(plan["projects"][0]["name"], "api");
    assert_eq!(
        plan["projects"][0]["document"]["environments"][0]["name"],
        "staging"
    );
}

#[test]
fn project_picks_one_and_one_at_a_time_commands_ask_for_it() {
    let dir = repo(&files(API_PRODUCTION_DEBUG));
    let (code, text, _) = run(dir.path(), &["check", ".", "--project", "site"]);
    assert_eq!(code, 0);
    assert!(!text.contains("━━ project"), "{text}");
    assert!(text.contains("development"), "{text}");
    let (code, _, stderr) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("declares 2 projects (api, site): `promote` shows one at a time; choose it with --project NAME"), "{stderr}");
    let (code, _, stderr) = run(dir.path(), &["check", ".", "-f", "html"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("choose one with --project NAME"),
        "{stderr}"
    );
    let (code, _, stderr) = run(dir.path(), &["check", ".", "--project", "shop"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("declares no project `shop`; its projects: api, site"),
        "{stderr}"
    );
    let (code, _, _) = run(dir.path(), &["promote", ".", "--project", "api"]);
    assert_eq!(code, 0);
}

#[test]
fn a_project_that_cannot_be_read_does_not_hide_the_others() {
    let mut all = files(API_PRODUCTION);
    let policy = format!("{POLICY}\n[[projects]]\npath = \"docs\"\n");
    all[0].1 = Box::leak(policy.into_boxed_str());
    all.push(("docs/README.md", "# docs\n"));
    let dir = repo(&all);
    let (code, text, stderr) = run(dir.path(), &["check", "."]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("error: project docs: "), "{stderr}");
    assert!(text.contains("━━ project api (apps/api) ━━"), "{text}");
    assert!(text.contains("━━ project site (apps/web) ━━"), "{text}");
    assert!(
        text.contains("━━ project docs (docs) ━━\n\nerror: "),
        "{text}"
    );

    let (code, _, stderr) = run(
        repo(&[("envparity.toml", "[[projects]]\npath = \"apps/gone\"\n")]).path(),
        &["check", "."],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("envparity.toml:1: [[projects]] path `apps/gone`: no such directory"),
        "{stderr}"
    );
}

#[test]
fn baseline_entries_carry_their_project() {
    let dir = repo(&files(API_PRODUCTION_DEBUG));
    let (code, _, stderr) = run(dir.path(), &["baseline", ".", "-o", "b.json"]);
    assert_eq!(code, 0, "{stderr}");
    let b = json(&std::fs::read_to_string(dir.path().join("b.json")).unwrap());
    let entries: Vec<(&str, &str)> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["project"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        entries,
        [("api", "EP005"), ("api", "EP023"), ("site", "EP023")]
    );
    let (code, _, stderr) = run(dir.path(), &["check", ".", "--baseline", "b.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = run(
        dir.path(),
        &["check", ".", "--project", "api", "--baseline", "b.json"],
    );
    assert_eq!(code, 0);
}

#[test]
fn base_compares_each_project_with_the_revision() {
    let dir = tempfile::tempdir().unwrap();
    let date = "2026-11-01T10:00:00Z";
    git(dir.path(), &["init", "-q"], date);
    commit(dir.path(), &files(API_PRODUCTION), "start", date);
    commit(
        dir.path(),
        &[(
            "apps/api/docker-compose.production.yml",
            API_PRODUCTION_DEBUG,
        )],
        "debug on",
        date,
    );
    let (code, out, stderr) = run(
        dir.path(),
        &["check", ".", "--base", "HEAD~1", "-f", "json"],
    );
    assert_eq!(code, 1, "{stderr}");
    let doc = json(&out);
    let added = |i: usize| -> Vec<String> {
        doc["projects"][i]["document"]["delta"]["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let removed = |i: usize| doc["projects"][i]["document"]["delta"]["removed"].clone();
    // The revision is judged with its own root policy: nothing but the DEBUG changes.
    assert_eq!(added(0), ["EP005"]);
    assert_eq!(removed(0), serde_json::json!([]));
    assert!(added(1).is_empty());
    assert_eq!(removed(1), serde_json::json!([]));
    let (code, _, _) = run(
        dir.path(),
        &["check", ".", "--base", "HEAD", "--fail-on-new"],
    );
    assert_eq!(code, 0);
}
