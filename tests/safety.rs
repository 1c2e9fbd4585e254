//! The guarantees in the README's "Safety" section, tested on the binary:
//! secrets never printed, the scanned tree never written, nothing executed, the same bytes for
//! the same input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;
use common::{envparity_in, MANIFEST};

/// Every command and format that reads the repository at `.`.
fn all_invocations() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = vec![
        vec!["discover", "."],
        vec!["discover", ".", "--format", "json"],
        vec!["compare", "."],
        vec!["compare", ".", "--color", "always"],
        vec!["init", ".", "--stdout"],
    ];
    for f in ["md", "json", "text"] {
        v.push(vec!["report", ".", "--format", f]);
    }
    for f in ["text", "json", "sarif", "junit", "md"] {
        v.push(vec!["check", ".", "--format", f]);
    }
    v
}

/// Unique canaries, one per place a secret can come from.
const CANARIES: &[(&str, &str)] = &[
    ("compose environment", "cnry-compose-env-7Xq2Lm9Zt4"),
    ("env_file", "cnry-env-file-Vb8Nw3Kd6Pr"),
    (
        "project .env via interpolation",
        "cnry-dotenv-interp-Hs5Jq1Yt8",
    ),
    ("connection string password", "cnry-conn-pass-Ue4Mx7Ra2"),
    ("command-line flag", "cnry-cmd-flag-Qw9Ez3Lk5"),
    ("reused across environments", "cnry-reused-Gt6Pn2Wc8"),
    ("default in interpolation", "cnry-default-Fz3Rb7Ns1"),
    ("list-form environment", "cnry-list-env-Da8Ky4Vm6"),
];

fn canary(place: &str) -> &'static str {
    CANARIES.iter().find(|(p, _)| *p == place).unwrap().1
}

fn planted_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        ".env",
        format!("DB_PASS={}\n", canary("project .env via interpolation")),
    );
    write("app.env", format!("API_TOKEN={}\n", canary("env_file")));
    write(
        "docker-compose.staging.yml",
        format!(
            "services:\n  web:\n    image: app:1\n    env_file: app.env\n    environment:\n      SECRET_KEY: {}\n      DATABASE_PASSWORD: ${{DB_PASS}}\n      DATABASE_URL: postgres://app:{}@db/app\n      SHARED_TOKEN: {}\n      FALLBACK_PASSWORD: ${{UNSET_VAR:-{}}}\n  cache:\n    image: redis:7\n    command: redis-server --requirepass {} --maxmemory 64mb\n    environment:\n      - REDIS_PASSWORD={}\n",
            canary("compose environment"),
            canary("connection string password"),
            canary("reused across environments"),
            canary("default in interpolation"),
            canary("command-line flag"),
            canary("list-form environment"),
        ),
    );
    write(
        "docker-compose.production.yml",
        format!(
            "services:\n  web:\n    image: app:1\n    environment:\n      SHARED_TOKEN: {}\n  cache:\n    image: redis:7\n",
            canary("reused across environments")
        ),
    );
    dir
}

#[test]
fn no_output_format_prints_a_canary() {
    let dir = planted_repo();
    for args in all_invocations() {
        let out = envparity_in(dir.path()).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0..=1)), "{args:?}: {text}");
        for (place, c) in CANARIES {
            assert!(!text.contains(c), "{args:?} leaks the {place} canary");
        }
    }
}

#[test]
fn reuse_is_still_detected_through_the_mask() {
    let dir = planted_repo();
    let out = envparity_in(dir.path())
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reuse: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP004")
        .collect();
    assert_eq!(reuse.len(), 1, "{reuse:?}");
    assert_eq!(reuse[0]["setting"], "env.SHARED_TOKEN");
    let weak: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP003")
        .collect();
    assert!(weak.is_empty(), "the canaries are strong: {weak:?}");
}

#[test]
fn error_messages_do_not_quote_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let c = "cnry-error-path-Wq7Zt2Lx9";
    std::fs::write(
        dir.path().join("docker-compose.staging.yml"),
        format!(
            "services:\n  web:\n    image: app:1\n    environment:\n      DB_PASSWORD: \"{c}\n"
        ),
    )
    .unwrap();
    let out = envparity_in(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("docker-compose.staging.yml:5"), "{stderr}");
    assert!(!stderr.contains(c), "{stderr}");
    std::fs::write(
        dir.path().join("docker-compose.staging.yml"),
        "services: {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), format!("TOKEN=\"{c}\n")).unwrap();
    std::fs::write(
        dir.path().join("docker-compose.staging.yml"),
        "services:\n  a:\n    image: x:${TOKEN}\n",
    )
    .unwrap();
    let out = envparity_in(dir.path())
        .args(["report", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".env:1") && !stderr.contains(c), "{stderr}");
}

/// Paths, sizes and modification times of every entry below `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, bool)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.path().symlink_metadata().unwrap();
            out.insert(
                entry.path(),
                (meta.len(), meta.modified().unwrap(), meta.is_dir()),
            );
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Directories whose names start with `decoy-` hold executables that leave a marker if run.
fn decoy_path(marker: &Path) -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    for name in [
        "sh",
        "bash",
        "git",
        "docker",
        "docker-compose",
        "kubectl",
        "helm",
        "kustomize",
        "terraform",
        "python3",
        "node",
        "nginx",
        "postgres",
        "redis-server",
        "gunicorn",
        "celery",
        "curl",
        "env",
    ] {
        let path = bin.path().join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho {name} >> '{}'\n", marker.display()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    bin
}

#[test]
fn commands_write_nothing_into_the_scanned_tree_and_run_nothing() {
    for example in ["obcms", "job-finder", "hazards"] {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        copy_dir(&Path::new(MANIFEST).join("examples").join(example), &repo);
        let marker = dir.path().join("executed");
        let decoys = decoy_path(&marker);
        let before = snapshot(&repo);
        for args in all_invocations() {
            let out = envparity_in(&repo)
                .env("PATH", decoys.path())
                .args(&args)
                .output()
                .unwrap();
            assert!(
                matches!(out.status.code(), Some(0..=1)),
                "{example} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                snapshot(&repo),
                before,
                "{example} {args:?} changed the tree"
            );
        }
        assert!(
            !marker.exists(),
            "{example}: something was executed: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );
    }
}

#[test]
fn the_source_never_spawns_processes() {
    // A static guard next to the runtime one: no process API anywhere in the library or binary.
    let mut stack = vec![Path::new(MANIFEST).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [
                    "process::Command",
                    "Command::new(",
                    "process::Stdio",
                    "libc::exec",
                    "fork(",
                ] {
                    assert!(!text.contains(needle), "{} uses {needle}", path.display());
                }
            }
        }
    }
}

/// Output of every invocation, keyed by arguments.
fn outputs(repo: &Path, envs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    all_invocations()
        .into_iter()
        .map(|args| {
            let mut cmd = envparity_in(repo);
            for (k, v) in envs {
                cmd.env(k, v);
            }
            let out = cmd.args(&args).output().unwrap();
            (args.join(" "), [out.stdout, out.stderr].concat())
        })
        .collect()
}

/// Copy files in the given order, so directory enumeration order differs between copies.
fn copy_in_order(from: &Path, to: &Path, reverse: bool) {
    let mut files = Vec::new();
    let mut stack = vec![from.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files.sort();
    if reverse {
        files.reverse();
    }
    for f in files {
        let target = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&f, &target).unwrap();
    }
}

#[test]
fn same_input_same_bytes() {
    for example in ["obcms", "hazards"] {
        let src = Path::new(MANIFEST).join("examples").join(example);
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        copy_in_order(&src, a.path(), false);
        copy_in_order(&src, b.path(), true);
        let first = outputs(a.path(), &[]);
        assert_eq!(first, outputs(a.path(), &[]), "{example}: two runs differ");
        assert_eq!(
            first,
            outputs(b.path(), &[]),
            "{example}: creation order changes the output"
        );
        let other_locale = [
            ("LC_ALL", "de_DE.UTF-8"),
            ("LANG", "tr_TR.UTF-8"),
            ("TZ", "Pacific/Kiritimati"),
        ];
        assert_eq!(
            first,
            outputs(b.path(), &other_locale),
            "{example}: locale or time zone changes the output"
        );
        for threads in ["1", "2", "7"] {
            assert_eq!(
                first,
                outputs(a.path(), &[("RAYON_NUM_THREADS", threads)]),
                "{example}: {threads} threads change the output"
            );
        }
    }
}

/// Canaries in every other source type: dotenv, Terraform, app config, Kubernetes Secret
/// `data` (base64) and `stringData`, HelmRelease values, nginx auth lines.
#[test]
fn no_output_prints_a_canary_from_any_source_type() {
    use base64_free::encode;
    let canaries = [
        ("dotenv", "cnry-dotenv-src-Ry7Kq2Wm"),
        ("tfvars", "cnry-tfvars-Pw3Nx8Lt"),
        ("app config", "cnry-appconfig-Zu6Hd1Vs"),
        ("secret data", "cnry-k8s-data-Mq4Tb9Xe"),
        ("secret stringData", "cnry-k8s-string-Jc2Gf7Ya"),
        ("helm values", "cnry-helm-values-Ek5Sw3Nd"),
        ("nginx auth", "cnry-nginx-auth-Bv8Lp4Qz"),
    ];
    let c = |place: &str| canaries.iter().find(|(p, _)| *p == place).unwrap().1;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("terraform/variables.tf", "variable \"db_password\" {\n  sensitive = true\n  default = \"unset\"\n}\nvariable \"license\" {\n  sensitive = true\n  default = \"x\"\n}\n".into());
    for env in ["staging", "production"] {
        write(
            &format!(".env.{env}"),
            format!("API_TOKEN={}\n", c("dotenv")),
        );
        write(
            &format!("terraform/{env}.tfvars"),
            format!(
                "db_password = \"{}\"\nlicense = \"{}\"\n",
                c("tfvars"),
                c("tfvars")
            ),
        );
        write(
            &format!("config/config.{env}.yaml"),
            format!("auth:\n  password: {}\n", c("app config")),
        );
        write(
            &format!("k8s/{env}/secret.yaml"),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: app}}\ndata:\n  DB_PASSWORD: {}\nstringData:\n  API_KEY: {}\n",
                encode(c("secret data")),
                c("secret stringData")
            ),
        );
        write(
            &format!("k8s/{env}/helmrelease.yaml"),
            format!(
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: redis}}\nspec:\n  chart: {{spec: {{chart: redis, version: 18.1.0}}}}\n  values:\n    auth:\n      password: {}\n",
                c("helm values")
            ),
        );
        write(
            &format!("nginx/{env}.conf"),
            format!("http {{\n  server {{\n    listen 80;\n    proxy_set_header Authorization \"Basic {}\";\n    add_header X-Token {};\n  }}\n}}\n", c("nginx auth"), c("nginx auth")),
        );
    }
    let files = |env: &str| {
        format!(
            "{env}=.env.{env},terraform/{env}.tfvars,config/config.{env}.yaml,k8s/{env}/secret.yaml,k8s/{env}/helmrelease.yaml,nginx/{env}.conf"
        )
    };
    let mut read_anything = false;
    for args in all_invocations() {
        let out = envparity_in(dir.path())
            .args(&args)
            .args(["--env", &files("staging"), "--env", &files("production")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0..=1)), "{args:?}: {text}");
        for (place, canary) in canaries {
            assert!(!text.contains(canary), "{args:?} leaks the {place} canary");
        }
        read_anything |= text.contains("********");
    }
    assert!(read_anything, "the planted secrets were read and masked");
    // The reuse rule still sees through the mask.
    let out = envparity_in(dir.path())
        .args([
            "check",
            ".",
            "--format",
            "json",
            "--env",
            &files("staging"),
            "--env",
            &files("production"),
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reused: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP004")
        .filter_map(|f| f["setting"].as_str())
        .collect();
    for expected in [
        "env.API_TOKEN",
        "terraform.db_password",
        "config.auth.password",
        "values.auth.password",
    ] {
        assert!(
            reused.contains(&expected),
            "{expected} not read: {reused:?}"
        );
    }
    assert!(
        reused.iter().any(|s| s.contains("DB_PASSWORD"))
            && reused.iter().any(|s| s.contains("API_KEY")),
        "{reused:?}"
    );
}

/// Standard base64, enough to write a Kubernetes Secret's `data` (the test has no dependency
/// for it).
mod base64_free {
    pub fn encode(text: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
