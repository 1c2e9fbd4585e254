//! The benchmark's pieces on the smallest scale, so that neither the generator nor the binary's
//! handling of generated repositories rots between benchmark runs (bench/README.md). No timing.

#[path = "../bench/gen/gen.rs"]
#[allow(dead_code)]
mod gen;

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn check_json(repo: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_envparity"))
        .args(["check", ".", "--format", "json"])
        .current_dir(repo)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    // 1: the planted hazards fail the gate; never 2 (an input error).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        repo.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn generator_is_deterministic_and_the_binary_reads_both_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = gen::Config::new(10, 42);
    let (compose, kustomize) = gen::write_scale(&dir.path().join("a"), &cfg).unwrap();
    assert_eq!(compose.files, 5, "base, three overrides, policy");
    // Base kustomization and two app files; per overlay a kustomization and two patches.
    assert_eq!(kustomize.files, 3 + 3 * 3 + 1);
    gen::write_scale(&dir.path().join("b"), &cfg).unwrap();
    assert_eq!(
        contents(&dir.path().join("a")),
        contents(&dir.path().join("b")),
        "the same seed writes the same bytes"
    );
    let other = gen::Config::new(10, 43);
    gen::write_scale(&dir.path().join("c"), &other).unwrap();
    assert_ne!(
        contents(&dir.path().join("a")),
        contents(&dir.path().join("c"))
    );

    let report = check_json(&dir.path().join("a/compose"));
    let envs: Vec<&str> = report["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(envs, ["development", "staging", "production"]);
    // The check document counts services in its summary (it lists only what differs).
    assert_eq!(report["summary"]["services"], 10);
    assert!(!report["findings"].as_array().unwrap().is_empty());

    // Kustomize: 10 objects are one full application and four objects of a second.
    let report = check_json(&dir.path().join("a/kustomize"));
    assert_eq!(report["environments"].as_array().unwrap().len(), 3);
    assert_eq!(report["summary"]["services"], 2);
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn scales_count_objects_per_environment() {
    let dir = tempfile::tempdir().unwrap();
    gen::write_scale(dir.path(), &gen::Config::new(13, 1)).unwrap();
    let base = std::fs::read_to_string(dir.path().join("compose/docker-compose.yml")).unwrap();
    let services = base
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
        .count();
    assert_eq!(services, 13);
    let rendered =
        std::fs::read_to_string(dir.path().join("rendered-kustomize/production.yaml")).unwrap();
    assert_eq!(rendered.matches("\nkind: ").count(), 13);
}

/// `ENVPARITY_TIMINGS` (used when profiling, bench/README.md) reports every stage on standard
/// error and leaves standard output as it is.
#[test]
fn stage_timings_go_to_stderr_only_when_asked() {
    let args = ["check", "examples/job-finder", "--format", "json"];
    let plain = common::envparity().args(args).output().unwrap();
    assert!(
        plain.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let timed = common::envparity()
        .env("ENVPARITY_TIMINGS", "1")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(timed.stdout, plain.stdout);
    let stderr = String::from_utf8(timed.stderr).unwrap();
    let stages: Vec<&str> = stderr
        .lines()
        .map(|l| {
            l.strip_prefix("envparity timing: ")
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        stages,
        ["discover", "read", "align", "compare", "analyse", "output"]
    );
}
