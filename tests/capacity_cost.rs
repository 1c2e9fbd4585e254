//! End-to-end: capacity (and cost) on the bundled examples and on hand-written repositories.

mod common;
use common::{json_in, json_of, repo, stdout_of};

#[test]
fn obcms_capacity_is_the_seed_arithmetic() {
    let doc = json_of("examples/obcms");
    let services = doc["capacity"]["services"].as_array().unwrap();
    let web = services.iter().find(|s| s["service"] == "web").unwrap();
    assert_eq!(web["kind"], "web");
    assert_eq!(web["envs"]["staging"]["arithmetic"], "2 x 4 x 2 = 16");
    assert_eq!(web["envs"]["production"]["arithmetic"], "4 x 17 x 2 = 136");
    let celery = services.iter().find(|s| s["service"] == "celery").unwrap();
    assert_eq!(celery["envs"]["staging"]["arithmetic"], "1 x 2 x 1 = 2");
    assert_eq!(celery["envs"]["production"]["arithmetic"], "2 x 4 x 1 = 8");
    let staging = doc["capacity"]["totals"]["staging"].as_array().unwrap();
    assert_eq!(
        staging[0]["total"],
        serde_json::json!({"state": "known", "min": 16, "max": 16})
    );
    assert_eq!(staging[0]["change_pct"], -88.24);
    let text = stdout_of(&["report", "examples/obcms", "--format", "text"]);
    assert!(text.contains("production: 4 x 17 x 2 = 136"), "{text}");
    let md = stdout_of(&["report", "examples/obcms", "--format", "md"]);
    assert!(
        md.contains("| web | concurrent requests (gunicorn) | 2 x 4 x 2 = 16 | 4 x 17 x 2 = 136 |"),
        "{md}"
    );
}

#[test]
fn a_non_numeric_worker_count_is_unknown_with_its_place() {
    let dir = repo(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app -w auto\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app -w 4 --threads 2\n",
        ),
    ]);
    let (doc, _) = json_in(dir.path(), &["report", ".", "--format", "json"]);
    let web = &doc["capacity"]["services"][0];
    let staging = &web["envs"]["staging"];
    assert_eq!(staging["total"]["state"], "unknown");
    let why = staging["arithmetic"].as_str().unwrap();
    assert!(why.contains("docker-compose.staging.yml:4"), "{why}");
    assert_eq!(web["envs"]["production"]["arithmetic"], "1 x 4 x 2 = 8");
    assert_eq!(
        doc["capacity"]["totals"]["staging"][0]["change_pct"],
        serde_json::Value::Null
    );
}

#[test]
fn obcms_monthly_cost_per_host_and_bad_hosts_are_input_errors() {
    let doc = json_of("examples/obcms");
    let hosts = &doc["cost"]["hosts"];
    assert_eq!(hosts["staging"]["instance_type"], "t3.large");
    assert_eq!(hosts["staging"]["monthly"], 60.74);
    assert_eq!(hosts["production"]["monthly"], 560.64);
    assert_eq!(hosts["staging"]["saving_vs_reference"], 499.9);
    let dir = repo(&[
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n",
        ),
        (
            "envparity.toml",
            "[cost]\nhosts.production = \"m5.gigantic\"\n",
        ),
    ]);
    let out = common::envparity_in(dir.path())
        .args(["report", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("envparity.toml:2"), "{err}");
    assert!(err.contains("unknown instance type `m5.gigantic`"), "{err}");
}
