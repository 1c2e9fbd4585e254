//! The JSON documents validate against the schemas shipped in `schemas/`: the report
//! (`report --format json`, schema version 1) and the check (`check --format json`, schema
//! version 2), on every bundled example and on the error document of a run that read nothing.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{envparity, envparity_in, MANIFEST};

fn schema(name: &str) -> Value {
    let path = Path::new(MANIFEST).join("schemas").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn errors(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .expect("the schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn assert_valid(schema: &Value, doc: &Value, what: &str) {
    let errors = errors(schema, doc);
    assert!(errors.is_empty(), "{what} invalid:\n{}", errors.join("\n"));
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(MANIFEST).join("examples"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| format!("examples/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    names
}

/// Standard output parsed, whatever the exit code (`check` exits 1 on the hazards example).
fn json_of(args: &[&str]) -> Value {
    let out = envparity().args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "envparity {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_example_report_validates_against_the_report_schema() {
    let report = schema("report.schema.json");
    for example in examples() {
        let doc = json_of(&["report", &example, "--format", "json"]);
        assert_eq!(doc["schema_version"], 1);
        assert_valid(&report, &doc, &format!("report of {example}"));
    }
}

#[test]
fn every_example_check_validates_against_the_check_schema_only() {
    let check = schema("check.schema.json");
    let report = schema("report.schema.json");
    for example in examples() {
        let doc = json_of(&["check", &example, "--format", "json"]);
        assert_eq!(doc["schema_version"], 2, "{example}");
        assert_valid(&check, &doc, &format!("check of {example}"));
        // The two documents are told apart by their schemas.
        assert!(!errors(&report, &doc).is_empty(), "{example}");
    }
}

/// The check document carries the judgement of the report, field for field, and nothing of
/// what is the same everywhere.
#[test]
fn the_check_document_is_the_reports_judgement() {
    for example in examples() {
        let check = json_of(&["check", &example, "--format", "json"]);
        let report = json_of(&["report", &example, "--format", "json"]);
        for key in [
            "tool",
            "environments",
            "reference_environment",
            "files",
            "summary",
            "differences",
            "findings",
            "score",
            "gate",
            "notes",
        ] {
            assert_eq!(check[key], report[key], "{example}: {key}");
        }
        for key in [
            "services",
            "totals",
            "capacity",
            "cost",
            "environment_settings",
        ] {
            assert!(check.get(key).is_none(), "{example}: check carries {key}");
        }
        assert_eq!(check["document"], "check");
        let rows = check["differences"].as_array().unwrap();
        assert!(rows.iter().all(|d| d["status"] != "same"), "{example}");
    }
}

#[test]
fn the_error_documents_validate() {
    let dir = tempfile::tempdir().unwrap();
    for (command, schema_file, version) in [
        ("check", "check.schema.json", 2),
        ("report", "report.schema.json", 1),
    ] {
        let out = envparity_in(dir.path())
            .args([command, ".", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command} of an empty directory"
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["schema_version"], version, "{command}");
        assert!(doc["error"]["message"].is_string(), "{doc}");
        assert_valid(&schema(schema_file), &doc, &format!("{command} error"));
    }
}

/// The schemas can fail: a check document that echoes the services, or a finding with a
/// severity no rule has, is rejected.
#[test]
fn the_schemas_reject_what_they_do_not_describe() {
    let check = schema("check.schema.json");
    let mut doc = json_of(&["check", "examples/hazards", "--format", "json"]);
    assert_valid(&check, &doc, "check of hazards");
    let mut echo = doc.clone();
    echo["services"] = Value::Array(Vec::new());
    assert!(!errors(&check, &echo).is_empty());
    doc["findings"][0]["severity"] = Value::from("fatal");
    assert!(!errors(&check, &doc).is_empty());
}

/// The check schema's definitions are the report schema's, word for word: one description of
/// a finding, a difference, the score.
#[test]
fn the_schemas_share_their_definitions() {
    let check = schema("check.schema.json");
    let report = schema("report.schema.json");
    let check_defs = check["$defs"].as_object().unwrap();
    for (name, def) in check_defs {
        assert_eq!(Some(def), report["$defs"].get(name), "$defs/{name}");
    }
    assert!(check_defs.contains_key("finding") && check_defs.contains_key("difference"));
}
