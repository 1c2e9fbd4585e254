//! Hostile input: the malformed corpus, bounded resources, paths that try to leave the root.
//!
//! Every run asserts the process ended by itself with exit 0 or 2, never a panic, and that
//! errors name the file (and the line, where the corpus file's name says one is meaningful).

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{envparity, MANIFEST};

/// What a corpus file's name promises.
#[derive(Debug, PartialEq)]
enum Expect {
    Line(u32),
    Error,
    Ok,
    Any,
}

fn expectation(file_name: &str) -> Expect {
    let parts: Vec<&str> = file_name.split('.').collect();
    let tag = parts
        .get(parts.len().saturating_sub(2))
        .copied()
        .unwrap_or("");
    match tag {
        "E" => Expect::Error,
        "OK" => Expect::Ok,
        "ANY" => Expect::Any,
        t if t.starts_with('L') => Expect::Line(t[1..].parse().expect("line tag")),
        _ => panic!("corpus file {file_name} has no expectation tag"),
    }
}

fn corpus(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(MANIFEST).join("tests/malformed").join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
            .collect();
    files.sort();
    files
}

/// Check one run against the expectation; returns a description of the mismatch.
fn judge(out: &Output, named: &str, expect: &Expect) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        return Some(format!("panicked: {stderr}"));
    }
    // A bad file is an error (exit 2) when nothing else could be read, and otherwise a gap in
    // its environment, warned about on standard error (exit 0): either way it is named.
    let named_error = stderr.starts_with("error: ") || stderr.starts_with("warning: ");
    match (expect, code) {
        (Expect::Ok, Some(0)) if !stderr.contains("not read") => None,
        (Expect::Any, Some(0 | 2)) => None,
        (Expect::Error, Some(0 | 2)) if named_error && stderr.contains(':') => None,
        (Expect::Line(n), Some(0 | 2)) if named_error => {
            let want = format!("{named}:{n}");
            (!stderr.contains(&want)).then(|| format!("expected `{want}` in: {stderr}"))
        }
        _ => Some(format!("exit {code:?}, expected {expect:?}: {stderr}")),
    }
}

/// Run every file of a corpus folder: `run` gives the process output and the path the error
/// must name; every mismatch with the file's promised outcome is collected, then reported.
fn run_corpus(folder: &str, run: impl Fn(&Path, &str) -> (Output, String)) -> usize {
    let files = corpus(folder);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (out, named) = run(path, &name);
        if let Some(why) = judge(&out, &named, &expectation(&name)) {
            failures.push(format!("{folder}/{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn malformed_compose_files() {
    let n = run_corpus("compose", |_, name| {
        let rel = format!("compose/{name}");
        let out = envparity()
            .args(["report", "tests/malformed", "--format", "json", "--env"])
            .arg(format!("staging={rel}"))
            .args(["--env", "production=compose/_valid_production.yml"])
            .output()
            .unwrap();
        (out, rel)
    });
    assert!(n >= 140, "corpus shrank: {n}");
}

#[test]
fn malformed_dotenv_files() {
    run_corpus("dotenv", |path, name| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(path, dir.path().join(name)).unwrap();
        let compose = format!("services:\n  app:\n    image: app:1\n    env_file: {name}\n");
        std::fs::write(dir.path().join("docker-compose.staging.yml"), &compose).unwrap();
        std::fs::write(
            dir.path().join("docker-compose.production.yml"),
            "services:\n  app:\n    image: app:1\n",
        )
        .unwrap();
        let out = envparity()
            .args(["report", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        (out, name.to_string())
    });
}

#[test]
fn malformed_policy_files() {
    run_corpus("policy", |_, name| {
        let rel = format!("tests/malformed/policy/{name}");
        let out = envparity()
            .args([
                "report",
                "tests/malformed",
                "--format",
                "json",
                "--config",
                &rel,
            ])
            .args(["--env", "staging=compose/_valid_production.yml"])
            .args(["--env", "production=compose/_valid_production.yml"])
            .output()
            .unwrap();
        (out, rel)
    });
}

#[test]
fn the_corpus_is_large_enough() {
    let mut folders = vec!["compose", "dotenv", "policy"];
    folders.extend(PLACEMENTS.iter().map(|p| p.folder));
    let total: usize = folders.iter().map(|f| corpus(f).len()).sum();
    assert!(
        total >= 290,
        "{total} files across {} formats",
        folders.len()
    );
}

/// Run on a temporary repository laid out by `setup`; returns (exit code, stderr).
fn run_in(setup: impl FnOnce(&Path), args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let out = envparity()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), stderr)
}

const STAGING: &str = "services:\n  web:\n    image: app:1\n";

#[test]
fn a_directory_where_a_file_is_expected() {
    let (code, e) = run_in(
        |d| {
            std::fs::create_dir(d.join("docker-compose.staging.yml")).unwrap();
            std::fs::write(d.join("docker-compose.production.yml"), STAGING).unwrap();
        },
        &[
            "report",
            ".",
            "--env",
            "staging=docker-compose.staging.yml",
            "--env",
            "production=docker-compose.production.yml",
        ],
    );
    assert_eq!(
        (code, e.as_str()),
        (
            0,
            "warning: staging: environment not read: docker-compose.staging.yml: is a directory, expected a file\n"
        )
    );
    let (code, e) = run_in(
        |d| {
            std::fs::create_dir(d.join("app.env")).unwrap();
            std::fs::write(
                d.join("docker-compose.staging.yml"),
                "services:\n  web:\n    image: a:1\n    env_file: app.env\n",
            )
            .unwrap();
        },
        &["report", "."],
    );
    assert_eq!(
        (code, e.as_str()),
        (2, "error: app.env: is a directory, expected a file\n")
    );
}

#[cfg(unix)]
#[test]
fn symlinks_stay_inside_the_root() {
    use std::os::unix::fs::symlink;
    // A loop.
    let (code, e) = run_in(
        |d| {
            symlink(d.join("b.yml"), d.join("a.yml")).unwrap();
            symlink(d.join("a.yml"), d.join("b.yml")).unwrap();
        },
        &["report", ".", "--env", "staging=a.yml"],
    );
    assert_eq!(code, 2);
    assert!(e.starts_with("error: a.yml: cannot read"), "{e}");
    // Pointing outside the scanned directory, directly and through env_file.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yml"), STAGING).unwrap();
    std::fs::write(
        outside.path().join("secret.env"),
        "TOKEN=outside-canary-123\n",
    )
    .unwrap();
    let target = outside.path().to_path_buf();
    let (code, e) = run_in(
        |d| {
            symlink(
                target.join("secret.yml"),
                d.join("docker-compose.staging.yml"),
            )
            .unwrap()
        },
        &["report", "."],
    );
    assert_eq!(code, 2);
    assert!(
        e.contains("no environments found"),
        "discovery does not follow symlinks: {e}"
    );
    let target = outside.path().to_path_buf();
    let (code, e) = run_in(
        |d| {
            symlink(
                target.join("secret.yml"),
                d.join("docker-compose.staging.yml"),
            )
            .unwrap()
        },
        &["report", ".", "--env", "staging=docker-compose.staging.yml"],
    );
    assert_eq!(code, 2);
    assert!(
        e.contains("docker-compose.staging.yml: points outside the scanned directory"),
        "{e}"
    );
    let target = outside.path().to_path_buf();
    let (code, e) = run_in(
        |d| {
            symlink(target.join("secret.env"), d.join("app.env")).unwrap();
            std::fs::write(
                d.join("docker-compose.staging.yml"),
                "services:\n  web:\n    image: a:1\n    env_file: app.env\n",
            )
            .unwrap();
        },
        &["report", "."],
    );
    assert_eq!(code, 2);
    assert!(
        e.contains("points outside the scanned directory") && !e.contains("canary"),
        "{e}"
    );
    // A symlinked directory is not followed by discovery.
    let target = outside.path().to_path_buf();
    let (code, e) = run_in(
        |d| {
            std::fs::write(target.join("docker-compose.production.yml"), STAGING).unwrap();
            symlink(&target, d.join("linked")).unwrap();
            std::fs::write(d.join("docker-compose.staging.yml"), STAGING).unwrap();
        },
        &["discover", "."],
    );
    assert_eq!(code, 0, "{e}");
}

#[test]
fn oversized_files_are_refused() {
    let (code, e) = run_in(
        |d| std::fs::write(d.join("docker-compose.staging.yml"), STAGING).unwrap(),
        &["report", ".", "--max-file-size", "10"],
    );
    assert_eq!(code, 2);
    assert!(
        e.contains("docker-compose.staging.yml: is 34 bytes, over the 10 byte limit"),
        "{e}"
    );
}

#[test]
fn missing_or_non_directory_root() {
    let (code, e) = run_in(|_| {}, &["report", "does-not-exist"]);
    assert_eq!(code, 2);
    assert!(
        e.starts_with("error: does-not-exist: cannot open directory"),
        "{e}"
    );
    let (code, e) = run_in(
        |d| std::fs::write(d.join("f"), "x").unwrap(),
        &["report", "f"],
    );
    assert_eq!(code, 2);
    assert!(e.contains("f: is not a directory"), "{e}");
}

/// The YAML bomb and deep nesting stay within a small memory and time budget. `ulimit -v`
/// bounds the address space (256 MiB) and `timeout` the time; the child is the binary itself.
#[cfg(unix)]
#[test]
fn bombs_stay_within_bounds() {
    let bin = assert_cmd::cargo::cargo_bin("envparity");
    for file in [
        "compose/billion-laughs.E.yml",
        "compose/deep-flow-nesting.L1.yml",
        "compose/deep-block-nesting.E.yml",
    ] {
        let script = format!(
            "ulimit -v 262144; exec timeout 10 '{}' report tests/malformed --env staging={file}",
            bin.display()
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(MANIFEST)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(file), "{file}: {stderr}");
    }
}

/// 100,000-deep nesting in every nested format: a clear error naming the file, no overflow.
#[test]
fn deep_nesting_in_hcl_json_and_toml() {
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                (
                    "terraform/variables.tf",
                    format!("variable \"x\" {{\n  default = {}\n}}\n", deep("[", "]")),
                ),
                ("terraform/staging.tfvars", "x = 1\n".into()),
            ],
            "variables.tf:2",
        ),
        (
            vec![
                ("config.json", format!("{{\"a\": {}}}", deep("[", "]"))),
                ("config.staging.json", "{}".into()),
            ],
            "config.json:1",
        ),
        (
            vec![
                ("config.toml", format!("a = {}\n", deep("[", "]"))),
                ("config.staging.toml", "b = 1\n".into()),
            ],
            "config.toml:1",
        ),
        (
            vec![
                (
                    "envparity.toml",
                    format!("min_score = {}\n", deep("[", "]")),
                ),
                ("docker-compose.staging.yml", "services: {}\n".into()),
            ],
            "envparity.toml:1",
        ),
        (
            vec![
                (
                    "k8s/staging/app.yaml",
                    format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {}\n",
                        deep("[", "]")
                    ),
                ),
                (
                    "k8s/production/app.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n".into(),
                ),
            ],
            "app.yaml:4",
        ),
    ];
    for (files, expected) in cases {
        let (code, e) = run_in(
            |d| {
                for (name, text) in &files {
                    let path = d.join(name);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(path, text).unwrap();
                }
            },
            &["report", ".", "--format", "json"],
        );
        // Staging is not read (a warning naming the place), production still is.
        assert!(matches!(code, 0 | 2), "{expected}: {e}");
        assert!(e.contains(expected), "{expected}: {e}");
    }
}

/// Where a corpus file of another format goes, what valid files sit beside it, and the
/// environments to read.
struct Placement {
    folder: &'static str,
    target: &'static str,
    companions: &'static [(&'static str, &'static str)],
    envs: &'static [&'static str],
}

const VALID_DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: app:1\n";

const PLACEMENTS: &[Placement] = &[
    Placement {
        folder: "terraform_tfvars",
        target: "terraform/staging.tfvars",
        companions: &[
            (
                "terraform/variables.tf",
                "variable \"instance_type\" {\n  default = \"t3.small\"\n}\n",
            ),
            (
                "terraform/production.tfvars",
                "instance_type = \"t3.xlarge\"\n",
            ),
        ],
        envs: &[],
    },
    Placement {
        folder: "terraform_tf",
        target: "terraform/variables.tf",
        companions: &[
            ("terraform/staging.tfvars", "instance_type = \"t3.large\"\n"),
            (
                "terraform/production.tfvars",
                "instance_type = \"t3.xlarge\"\n",
            ),
        ],
        envs: &[],
    },
    Placement {
        folder: "nginx",
        target: "nginx/staging.conf",
        companions: &[(
            "nginx/production.conf",
            "http {\n  server {\n    listen 80;\n  }\n}\n",
        )],
        envs: &[
            "staging=nginx/staging.conf",
            "production=nginx/production.conf",
        ],
    },
    Placement {
        folder: "postgres",
        target: "postgres/postgresql.staging.conf",
        companions: &[(
            "postgres/postgresql.production.conf",
            "shared_buffers = 4GB\n",
        )],
        envs: &[
            "staging=postgres/postgresql.staging.conf",
            "production=postgres/postgresql.production.conf",
        ],
    },
    Placement {
        folder: "redis",
        target: "redis/redis.staging.conf",
        companions: &[("redis/redis.production.conf", "maxmemory 512mb\n")],
        envs: &[
            "staging=redis/redis.staging.conf",
            "production=redis/redis.production.conf",
        ],
    },
    Placement {
        folder: "config_json",
        target: "config/config.staging.json",
        companions: &[("config/config.production.json", "{\"a\": 1}")],
        envs: &[
            "staging=config/config.staging.json",
            "production=config/config.production.json",
        ],
    },
    Placement {
        folder: "config_toml",
        target: "config/config.staging.toml",
        companions: &[("config/config.production.toml", "a = 1\n")],
        envs: &[
            "staging=config/config.staging.toml",
            "production=config/config.production.toml",
        ],
    },
    Placement {
        folder: "kubernetes",
        target: "k8s/staging/app.yaml",
        companions: &[("k8s/production/app.yaml", VALID_DEPLOYMENT)],
        envs: &[
            "staging=k8s/staging/app.yaml",
            "production=k8s/production/app.yaml",
        ],
    },
    Placement {
        folder: "kustomize",
        target: "k8s/overlays/staging/kustomization.yaml",
        companions: &[
            ("k8s/base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
            ("k8s/base/deploy.yaml", VALID_DEPLOYMENT),
            (
                "k8s/overlays/production/kustomization.yaml",
                "resources:\n- ../../base\n",
            ),
        ],
        envs: &[
            "staging=k8s/overlays/staging/kustomization.yaml",
            "production=k8s/overlays/production/kustomization.yaml",
        ],
    },
];

#[test]
fn malformed_files_of_every_other_format() {
    let mut failures = Vec::new();
    let mut total = 0;
    for p in PLACEMENTS {
        let files = corpus(p.folder);
        assert!(!files.is_empty(), "{}", p.folder);
        for path in files {
            total += 1;
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let dir = tempfile::tempdir().unwrap();
            for (rel, text) in p.companions {
                let f = dir.path().join(rel);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(f, text).unwrap();
            }
            let target = dir.path().join(p.target);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&path, &target).unwrap();
            let mut cmd = envparity();
            cmd.current_dir(dir.path())
                .args(["report", ".", "--format", "json"]);
            for env in p.envs {
                cmd.args(["--env", env]);
            }
            let out = cmd.output().unwrap();
            if let Some(why) = judge(&out, p.target, &expectation(&name)) {
                failures.push(format!("{}/{name}: {why}", p.folder));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
