//! `envparity check` rendering one analysis several ways in one run, and the CI formats
//! (`github` annotations, GitLab Code Quality).

use serde_json::Value;

mod common;
use common::envparity;

#[test]
fn several_formats_each_to_its_own_output_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("x.sarif");
    let md = dir.path().join("comment.md");
    let out = envparity()
        .args(["check", "examples/hazards", "-f", "sarif", "-o"])
        .arg(&sarif)
        .args(["-f", "md", "-o"])
        .arg(&md)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // The last format, without an -o, is standard output.
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let md = std::fs::read_to_string(&md).unwrap();
    // One analysis: the same findings in every rendering.
    let findings = json["findings"].as_array().unwrap().len();
    assert!(findings > 10, "{findings}");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
    assert!(
        md.contains(&format!("<summary>All findings ({findings})</summary>")),
        "{md}"
    );
    assert!(md.contains("parity check failed"));
}

#[test]
fn outputs_without_formats_or_two_on_stdout_are_usage_errors() {
    let out = envparity()
        .args(["check", "examples/hazards", "-o", "a", "-o", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 outputs (-o) for 1 format(s)"));
    let out = envparity()
        .args(["check", "examples/hazards", "-f", "json", "-f", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("more than one format goes to standard output"));
}

fn check_stdout(format: &str) -> String {
    let out = envparity()
        .args(["check", "examples/hazards", "-f", format])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn github_annotations_of_hazards() {
    let out = check_stdout("github");
    for line in out.lines().take_while(|l| l.starts_with("::")) {
        assert!(
            line.starts_with("::error file=examples/hazards/")
                || line.starts_with("::warning file=examples/hazards/")
                || line.starts_with("::notice "),
            "{line}"
        );
    }
    // No secret value of the example reaches the log.
    for secret in ["7Hq2mXv9Lr4pZt8Kw3Ns", "9f8Kq2LmZx7Rt4Wp", "changeme"] {
        assert!(!out.contains(secret), "{secret}: {out}");
    }
    insta::assert_snapshot!("github_hazards", out);
}

#[test]
fn gitlab_code_quality_of_hazards() {
    let out = check_stdout("gitlab");
    let issues: Value = serde_json::from_str(&out).unwrap();
    let issues = issues.as_array().unwrap();
    assert!(issues.len() > 10);
    for issue in issues {
        assert!(
            issue["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("examples/hazards/"),
            "{issue}"
        );
        assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 32);
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    insta::assert_snapshot!("gitlab_hazards", out);
}

/// A repository of `n` services, each with an error (DEBUG on in production) and a warning (a
/// mutable `latest` tag), written into a temporary directory.
fn large_repository(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut staging = String::from("services:\n");
    let mut production = String::from("services:\n");
    for i in 0..n {
        staging.push_str(&format!(
            "  app-{i}-web:\n    image: registry.example/shop/service-{i}:1.4.{i}\n    environment:\n      DEBUG: \"false\"\n"
        ));
        production.push_str(&format!(
            "  app-{i}-web:\n    image: registry.example/shop/service-{i}:latest\n    environment:\n      DEBUG: \"true\"\n"
        ));
    }
    std::fs::write(dir.path().join("docker-compose.staging.yml"), staging).unwrap();
    std::fs::write(dir.path().join("docker-compose.production.yml"), production).unwrap();
    dir
}

#[test]
fn the_pr_comment_of_a_thousand_services_lists_errors_first_and_fits() {
    let repo = large_repository(1000);
    let out = envparity()
        .args(["check", "-f", "md"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.len() <= 65_000, "{}", md.len());
    assert!(
        md.starts_with("<!-- envparity-comment -->\n## ❌ envparity: parity check failed"),
        "{}",
        &md[..200]
    );
    let errors = md.lines().filter(|l| l.starts_with("- **EP005**")).count();
    assert!(errors > 100, "{errors} errors listed");
    // The per-service table (1,000 rows of 100%) is what goes first.
    assert!(!md.contains("<summary>Score by service</summary>"));
    let note = md.rsplit("\n---\n\n").next().unwrap();
    let listed = md.lines().filter(|l| l.starts_with("- **EP")).count();
    assert!(note.contains(&format!(": {listed} of ")), "{note}");
    assert!(
        md.contains("more not listed (of 1,000)."),
        "counts of what is left out"
    );
}
