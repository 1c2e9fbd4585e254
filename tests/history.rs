//! `envparity history` on a git repository each test builds itself (with the `git` command,
//! as a developer would): which commits are judged, their scores and counts, `--since` by
//! date and by revision, `--max-count`, a commit that cannot be judged, and a repository left
//! exactly as it was.

mod common;
use common::{commit, envparity_in, git};
use serde_json::Value;
use std::path::Path;

const STAGING: &str = "services:\n  web:\n    image: shop/web:1.4\n";
const PROD_OK: &str = "services:\n  web:\n    image: shop/web:1.4\n";
const PROD_LATEST: &str =
    "services:\n  web:\n    image: shop/web:latest\n    environment:\n      DEBUG: 'true'\n";

/// A repository of four commits: the start, a hazard, a README change, the fix.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(
        dir.path(),
        &["init", "-q", "-b", "main"],
        "2026-01-01T00:00:00Z",
    );
    let d = dir.path();
    commit(
        d,
        &[
            ("deploy/docker-compose.staging.yml", STAGING),
            ("deploy/docker-compose.prod.yml", PROD_OK),
        ],
        "start",
        "2026-01-05T10:00:00Z",
    );
    commit(
        d,
        &[("deploy/docker-compose.prod.yml", PROD_LATEST)],
        "prod: run latest with DEBUG",
        "2026-02-10T10:00:00Z",
    );
    commit(
        d,
        &[("README.md", "docs\n")],
        "docs only",
        "2026-03-01T10:00:00Z",
    );
    commit(
        d,
        &[("deploy/docker-compose.prod.yml", PROD_OK)],
        "prod: pin the image again",
        "2026-04-01T10:00:00Z",
    );
    dir
}

fn history_json(dir: &Path, args: &[&str]) -> Value {
    let out = envparity_in(dir)
        .args(["history"])
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rows(doc: &Value) -> Vec<(String, String, Option<f64>, Option<u64>)> {
    doc["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["date"].as_str().unwrap().to_string(),
                c["summary"].as_str().unwrap().to_string(),
                c["score"].as_f64(),
                c["findings"]["errors"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn each_commit_that_changed_configuration_is_judged_newest_first() {
    let repo = repository();
    let doc = history_json(repo.path(), &["deploy"]);
    let rows = rows(&doc);
    let summaries: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "prod: pin the image again",
            "prod: run latest with DEBUG",
            "start"
        ],
        "the README-only commit is not judged"
    );
    let dates: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(dates, ["2026-04-01", "2026-02-10", "2026-01-05"]);
    // The hazard commit has DEBUG on in production (an error); the fix clears it.
    assert_eq!(rows[0].3, Some(0));
    assert!(rows[1].3.unwrap() >= 1, "{doc}");
    assert_eq!(rows[2].3, Some(0));
    assert!(rows[1].2.unwrap() < rows[0].2.unwrap(), "{doc}");
    assert_eq!(doc["commits"][1]["passed"], false);
    assert_eq!(
        doc["commits"][0]["environments"],
        serde_json::json!(["staging", "production"])
    );
}

#[test]
fn since_a_date_or_a_revision_and_max_count_bound_the_walk() {
    let repo = repository();
    let by_date = rows(&history_json(
        repo.path(),
        &["deploy", "--since", "2026-02-01"],
    ));
    assert_eq!(by_date.len(), 2);
    let by_rev = rows(&history_json(repo.path(), &["deploy", "--since", "HEAD~2"]));
    assert_eq!(by_rev.len(), 1, "HEAD~2 itself is not judged: {by_rev:?}");
    let one = rows(&history_json(repo.path(), &["deploy", "-n", "1"]));
    assert_eq!(one[0].1, "prod: pin the image again");
    let out = envparity_in(repo.path())
        .args(["history", "deploy", "--since", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revision `no-such-branch`"));
}

#[test]
fn a_commit_that_cannot_be_judged_is_a_row_saying_why() {
    let repo = repository();
    commit(
        repo.path(),
        &[("deploy/envparity.toml", "min_score = \"high\"\n")],
        "policy typo",
        "2026-05-01T10:00:00Z",
    );
    let doc = history_json(repo.path(), &["deploy", "-n", "2"]);
    let error = doc["commits"][0]["error"].as_str().unwrap();
    assert!(error.contains("envparity.toml"), "{error}");
    assert_eq!(doc["commits"][1]["summary"], "prod: pin the image again");
    assert!(doc["commits"][1]["score"].is_number());
}

#[test]
fn text_and_markdown_list_the_commits_and_the_repository_is_untouched() {
    let repo = repository();
    let before = std::process::Command::new("git")
        .args(["status", "--porcelain", "--ignored"])
        .current_dir(repo.path())
        .output()
        .unwrap()
        .stdout;
    let out = envparity_in(repo.path())
        .args(["history", "deploy"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("2026-02-10")
            && lines[1].ends_with("FAILED  prod: run latest with DEBUG"),
        "{text}"
    );
    let out = envparity_in(repo.path())
        .args(["history", "deploy", "-f", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("| Commit | Date | Score |"), "{md}");
    assert!(md.contains("| 2026-04-01 |"), "{md}");
    let out = envparity_in(repo.path())
        .args(["history", "deploy", "-f", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        html.contains("<polyline") && html.contains("<title>Parity score, oldest to newest:"),
        "{html}"
    );
    let after = std::process::Command::new("git")
        .args(["status", "--porcelain", "--ignored"])
        .current_dir(repo.path())
        .output()
        .unwrap()
        .stdout;
    assert_eq!(before, after, "history wrote into the repository");
}

#[test]
fn outside_a_git_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = envparity_in(dir.path())
        .args(["history", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

/// `check --base REV`: what the change does against the revision, ahead of the text and the
/// PR comment, as `delta` in JSON; `--fail-on-new` fails only on findings the base lacked.
#[test]
fn check_against_a_base_revision_reports_the_delta() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"], "2026-01-01T00:00:00Z");
    commit(
        d,
        &[
            ("docker-compose.staging.yml", STAGING),
            ("docker-compose.prod.yml", PROD_OK),
        ],
        "start",
        "2026-01-05T10:00:00Z",
    );
    commit(
        d,
        &[("docker-compose.prod.yml", PROD_LATEST)],
        "hazard",
        "2026-02-10T10:00:00Z",
    );
    let run = |args: &[&str]| {
        let out = envparity_in(d)
            .args(["check", "."])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, text) = run(&["--base", "HEAD~1"]);
    assert_eq!(code, 1);
    assert!(text.starts_with("Change against HEAD~1 ("), "{text}");
    assert!(text.contains("new findings: 3\n    error[EP005] `DEBUG` is on in production  docker-compose.prod.yml:5"), "{text}");
    assert!(
        text.contains("differences introduced: 2\n    web: env.DEBUG\n    web: image\n"),
        "{text}"
    );
    let (_, json) = run(&["--base", "HEAD~1", "-f", "json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["delta"]["score"]["before"], 100.0);
    let added: Vec<&str> = doc["delta"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["EP005", "EP006", "EP011"]);
    let (_, md) = run(&["--base", "HEAD~1", "-f", "md"]);
    let mut lines = md.lines();
    assert_eq!(lines.next(), Some("<!-- envparity-comment -->"));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("### What this change does (against `HEAD~1 ("),
        "{md}"
    );
    // The base already had every finding: nothing new, so --fail-on-new passes.
    assert_eq!(run(&["--base", "HEAD", "--fail-on-new"]).0, 0);
    assert_eq!(run(&["--base", "HEAD~1", "--fail-on-new"]).0, 1);
    let (code, _) = run(&["--base", "no-such-rev"]);
    assert_eq!(code, 2);

    // SARIF: the base revision is the baseline, so code scanning shows what the change adds.
    let (_, sarif) = run(&["--base", "HEAD~1", "-f", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let states: Vec<(&str, &str)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["baselineState"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&("EP005", "new")), "{states:?}");
    assert!(states.iter().any(|(_, s)| *s == "unchanged"), "{states:?}");
    assert_eq!(sarif["runs"][0]["properties"]["delta"]["added"], 3);
    let (_, github) = run(&["--base", "HEAD~1", "-f", "github"]);
    assert!(
        github.starts_with("envparity: against HEAD~1 ("),
        "{github}"
    );
    assert!(
        github.contains(
            ": 3 new finding(s), 0 fixed, 2 difference(s) introduced, 0 closed; score 100.0 -> "
        ),
        "{github}"
    );

    // With a baseline recorded today as well: the new findings are baselined, so neither
    // gate fails, and the delta still lists them.
    let out = envparity_in(d)
        .args(["baseline", ".", "-o", "-"])
        .output()
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &out.stdout).unwrap();
    let b = file.path().to_str().unwrap();
    let (code, json) = run(&["--base", "HEAD~1", "--baseline", b, "-f", "json"]);
    assert_eq!(code, 0, "{json}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["delta"]["added"].as_array().unwrap().len(), 3);
    assert_eq!(doc["baseline"]["new"], 0);
    assert_eq!(
        run(&["--base", "HEAD~1", "--baseline", b, "--fail-on-new"]).0,
        0
    );
}
