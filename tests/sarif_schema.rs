//! The SARIF report validates against the official SARIF 2.1.0 JSON schema.
//!
//! The schema is the one the `serde-sarif` crate ships as `src/schema.json` (a dev-dependency);
//! it is located through `cargo metadata`, never copied into this repository.

use std::path::PathBuf;
use std::process::Command;

use envparity::policy::{self, Date};
use envparity::report::{sarif, ReportInput};
use envparity::sources::{self, Workspace};
use envparity::{align, check, compare, discover, rules};
use serde_json::Value;

/// `src/schema.json` beside the `serde-sarif` package's manifest.
fn official_schema() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif is a dev-dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let path = PathBuf::from(manifest)
        .with_file_name("src")
        .join("schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // SARIF 2.1.0 erratum (oasis-tcs/sarif-spec#488, published in the 2.1.0 errata): the
    // `language` pattern of `run` and `toolComponent` has a stray `]` that strict regex
    // engines, jsonschema's included, reject when compiling the schema. Apply the published fix
    // in memory; envparity emits no `language`, so this changes nothing about what is checked.
    // With a schema that already carries the fix, nothing is replaced.
    const BROKEN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const FIXED: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;
    assert!(text.matches(BROKEN).count() <= 2);
    let text = text.replace(BROKEN, FIXED);
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(schema["title"]
        .as_str()
        .unwrap()
        .contains("SARIF) Version 2.1.0"));
    schema
}

fn assert_valid(schema: &Value, doc: &Value) {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
}

/// Write a small repository and run the real pipeline on it, as `envparity check` does.
fn sarif_of(files: &[(&str, &str)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let ws = Workspace::open(dir.path()).unwrap();
    let plan = discover::discover(&ws).unwrap();
    let scan = sources::load(&ws, &plan).unwrap();
    let policy = policy::load(&ws, None, &rules::ids()).unwrap();
    let aligned = align::align(&scan);
    let comparison = compare::compare(&scan, &aligned);
    let today = Date {
        year: 2026,
        month: 11,
        day: 23,
    };
    let analysis = check::analyse(&scan, &aligned, &comparison, &policy, today);
    let files: Vec<Vec<String>> = scan.environments.iter().map(|e| e.files.clone()).collect();
    let input = ReportInput {
        root: "repo",
        comparison: &comparison,
        analysis: &analysis,
        files: &files,
        notes: &scan.notes,
        live: None,
    };
    let text = sarif::render(&input);
    assert!(text.ends_with("}\n"));
    serde_json::from_str(&text).unwrap()
}

const STAGING: &str = r#"services:
  web:
    image: ghcr.io/acme/web:1.4.0
    environment:
      DATABASE_URL: postgres://app@db-staging:5432/app
      SECRET_KEY: ${SECRET_KEY}
      API_KEY: sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0
    deploy:
      replicas: 4
      resources:
        limits:
          cpus: "2"
          memory: 2G
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/health"]
  db:
    image: postgres:15
    environment:
      POSTGRES_PASSWORD: changeme
  cache:
    image: redis:7
"#;

const PRODUCTION: &str = r#"services:
  web:
    image: ghcr.io/acme/web:latest
    environment:
      DATABASE_URL: postgres://app@db-staging:5432/app
      SECRET_KEY: ${SECRET_KEY}
      API_KEY: sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0
      DEBUG: "true"
    deploy:
      replicas: 2
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: changeme
"#;

const POLICY: &str = r#"[[waiver]]
rule = "EP008"
environment = "production"
reason = "health checked by the load balancer"
expires = 2099-01-01

[[waiver]]
rule = "EP007"
reason = "limits set by the host"
expires = 2020-01-01
"#;

#[test]
fn sarif_of_a_hazardous_repository_is_valid_sarif_2_1_0() {
    let schema = official_schema();
    let doc = sarif_of(&[
        ("docker-compose.staging.yml", STAGING),
        ("docker-compose.production.yml", PRODUCTION),
        ("envparity.toml", POLICY),
    ]);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    // Enough variety to exercise the schema: several rules, related locations, a suppression,
    // a finding in the policy file.
    for id in ["EP001", "EP003", "EP004", "EP005", "EP006", "EP015"] {
        assert!(rules.contains(&id), "{id} missing from {rules:?}");
    }
    assert!(results.iter().any(|r| r.get("relatedLocations").is_some()));
    assert!(results.iter().any(|r| r.get("suppressions").is_some()));
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            doc["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            r["ruleId"]
        );
        for loc in r["locations"].as_array().unwrap() {
            let artifact = &loc["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
            let uri = artifact["uri"].as_str().unwrap();
            assert!(
                [
                    "docker-compose.staging.yml",
                    "docker-compose.production.yml",
                    "envparity.toml"
                ]
                .contains(&uri),
                "{uri}"
            );
        }
    }
    // Never a secret value.
    let text = doc.to_string();
    assert!(!text.contains("sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"));
    assert_valid(&schema, &doc);
}

#[test]
fn sarif_of_a_clean_repository_is_valid_too() {
    let schema = official_schema();
    let compose = "services:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n";
    let doc = sarif_of(&[
        ("docker-compose.staging.yml", compose),
        ("docker-compose.production.yml", compose),
    ]);
    assert_valid(&schema, &doc);
}

#[test]
fn the_validator_rejects_invalid_sarif() {
    // The check has teeth: a wrong level and a missing message are caught.
    let schema = official_schema();
    let mut doc = sarif_of(&[(
        "docker-compose.production.yml",
        "services:\n  web:\n    image: nginx:latest\n",
    )]);
    doc["runs"][0]["results"] = serde_json::json!([{ "ruleId": "EP006", "level": "fatal" }]);
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&doc));
}
