//! What every end-to-end test runs: the binary with a cleared environment (so `${VAR}`
//! interpolation, colour and locale never depend on the machine), a fixed "today" (so waiver
//! expiry in the examples does not change results over time), and a time limit.

#![allow(dead_code)] // Each test file uses its own subset.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

pub const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The binary, run from the repository root.
pub fn envparity() -> Command {
    envparity_in(Path::new(MANIFEST))
}

/// The binary, run from `dir`.
pub fn envparity_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("envparity").unwrap();
    cmd.env_clear()
        .env("NO_COLOR", "1")
        .env("ENVPARITY_TODAY", "2026-11-23")
        .current_dir(dir)
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// Standard output of a successful run.
pub fn stdout_of(args: &[&str]) -> String {
    let out = envparity().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "envparity {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// The JSON report of an example.
pub fn json_of(example: &str) -> Value {
    serde_json::from_str(&stdout_of(&["report", example, "--format", "json"])).unwrap()
}

/// A logical service of a JSON report, by name.
pub fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

/// A temporary repository holding `files` (path relative to its root, text).
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The JSON document a run in `dir` prints, and its text (to look for leaked values).
pub fn json_in(dir: &Path, args: &[&str]) -> (Value, String) {
    let out = envparity_in(dir).args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (doc, text)
}

/// `git` in `dir` with a fixed author and date, no system or user configuration.
pub fn git(dir: &Path, args: &[&str], date: &str) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `files` into `dir` and commits everything.
pub fn commit(dir: &Path, files: &[(&str, &str)], message: &str, date: &str) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"], date);
    git(dir, &["commit", "-q", "-m", message], date);
}

/// Exit code, standard output and standard error of a run in `dir` (never a panic).
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = envparity_in(dir).args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        stderr,
    )
}
