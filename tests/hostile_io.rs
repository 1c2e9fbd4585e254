//! Hostile input, round 2 (issue 17): what a repository can do with the file system and with
//! fan-out. Every run must end by itself, fast, with a short message naming the file.
//!
//! Classes: a panic in the glob library (1), files that are not regular files (2), unbounded
//! reads and fan-out against the run budget (3), reads outside PATH by the directory walker (5),
//! writes outside the tree (7), unclear errors (9).

use std::path::Path;
use std::time::Duration;

mod common;
use common::{envparity_in, repo};

/// What a run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary in `dir` with `args`, within 20 seconds; never a panic.
fn run(dir: &Path, args: &[&str]) -> Run {
    let out = envparity_in(dir)
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        run.code == 0 || run.code == 2 || run.code == 1,
        "killed or crashed ({}): {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A named pipe, made with the system's `mkfifo` (the test makes it; nothing in a scanned
/// repository is ever run).
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

const WEB: &str = "services:\n  web:\n    image: app:1\n";

// ---- 1. A panic in the glob library -----------------------------------------------------

#[test]
fn a_huge_policy_glob_is_an_error_with_its_line_not_a_panic() {
    let glob = "a*".repeat(100_000);
    let policy = format!("min_score = 0\n\n[[must_match]]\nsetting = \"{glob}\"\n");
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
        ("envparity.toml", &policy),
    ]);
    let r = run(dir.path(), &["report", "."]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "error: envparity.toml:3: pattern is 200000 characters long, over the 256 allowed"
        ),
        "{}",
        &r.stderr[..r.stderr.len().min(300)]
    );
    assert!(r.stderr.len() < 300, "the input is not dumped");
}

// ---- 2. Files that are not regular files --------------------------------------------------

#[cfg(unix)]
#[test]
fn fifos_are_refused_wherever_they_are_named() {
    let dir = repo(&[
        ("docker-compose.production.yml", WEB),
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n    env_file: app.env\n",
        ),
        ("nginx.prod.conf", "worker_processes 2;\n"),
        (
            "nginx.conf",
            "worker_processes 1;\ninclude conf.d/pipe.conf;\n",
        ),
        (
            "postgresql.conf",
            "max_connections = 10\ninclude 'pipe.conf'\n",
        ),
        ("k/kustomization.yaml", "resources:\n  - pipe.yaml\n"),
    ]);
    let d = dir.path();
    std::fs::create_dir(d.join("conf.d")).unwrap();
    for fifo in [
        "app.env",
        "named.yml",
        "conf.d/pipe.conf",
        "pipe.conf",
        "k/pipe.yaml",
    ] {
        mkfifo(&d.join(fifo));
    }
    let cases: [(&str, &str); 5] = [
        (
            "staging=named.yml",
            "named.yml: is a named pipe (FIFO), not a regular file; not read",
        ),
        (
            "staging=docker-compose.staging.yml",
            "app.env: is a named pipe (FIFO)",
        ),
        (
            "staging=nginx.conf",
            "nginx.conf:2: include `conf.d/pipe.conf`: conf.d/pipe.conf: is a named pipe (FIFO)",
        ),
        (
            "staging=postgresql.conf",
            "postgresql.conf:2: include `pipe.conf`: is a named pipe (FIFO)",
        ),
        ("staging=k/kustomization.yaml", "pipe.yaml"),
    ];
    for (env, expected) in cases {
        let r = run(
            d,
            &[
                "report",
                ".",
                "--env",
                env,
                "--env",
                "production=docker-compose.production.yml",
            ],
        );
        assert!(r.stderr.contains(expected), "{env}: {}", r.stderr);
        assert!(r.stderr.contains("FIFO"), "{env}: {}", r.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_policy_file_that_is_a_fifo_or_a_link_out_is_refused_not_ignored() {
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
    ]);
    let d = dir.path();
    mkfifo(&d.join("envparity.toml"));
    let r = run(d, &["report", "."]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: envparity.toml: is a named pipe (FIFO), not a regular file; not read\n"
    );

    std::fs::remove_file(d.join("envparity.toml")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("p.toml"), "min_score = 100\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("p.toml"), d.join("envparity.toml")).unwrap();
    let r = run(d, &["report", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("envparity.toml: points outside the scanned directory"),
        "{}",
        r.stderr
    );
}

// ---- 3. Bounded reads and the run budget -------------------------------------------------

/// `/dev/zero` reports length 0: only a bounded reader stops it. Given with `--config` (the
/// user's own path, so outside the tree is allowed), it is refused as a device.
#[cfg(unix)]
#[test]
fn a_device_is_refused_and_never_read() {
    let dir = repo(&[("docker-compose.staging.yml", WEB)]);
    let r = run(dir.path(), &["report", ".", "--config", "/dev/zero"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: /dev/zero: is a device, not a regular file; not read\n"
    );
}

#[test]
fn the_same_file_read_many_times_counts_against_the_run() {
    let env = "A=1\n".repeat(2_500);
    let list: String = (0..50).map(|_| "      - app.env\n").collect();
    let compose = format!("services:\n  web:\n    image: app:1\n    env_file:\n{list}");
    let dir = repo(&[
        ("app.env", &env),
        ("docker-compose.staging.yml", &compose),
        ("docker-compose.production.yml", WEB),
    ]);
    let r = run(dir.path(), &["report", ".", "--max-total-size", "100000"]);
    assert!(
        r.stderr
            .contains("app.env: the run read more than 100000 bytes in total (the run budget; raise it with --max-total-size)"),
        "{}",
        r.stderr
    );
}

/// A base listed twice at each of 20 levels: 2^20 copies without a budget. Kustomize refuses
/// the second copy of an object ID; the renders themselves are counted.
#[test]
fn a_kustomize_diamond_stops_at_the_run_budget() {
    let mut files: Vec<(String, String)> = Vec::new();
    for level in 0..20 {
        files.push((
            format!("l{level}/kustomization.yaml"),
            format!("resources:\n  - ../l{0}\n  - ../l{0}\n", level + 1),
        ));
    }
    files.push((
        "l20/kustomization.yaml".into(),
        "resources:\n  - cm.yaml\n".into(),
    ));
    let objects: String = (0..200)
        .map(|i| {
            format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n"
            )
        })
        .collect();
    files.push(("l20/cm.yaml".into(), objects));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let r = run(
        dir.path(),
        &[
            "report",
            ".",
            "--env",
            "staging=l0/kustomization.yaml",
            "--env",
            "production=l20/kustomization.yaml",
        ],
    );
    assert!(
        r.stderr.contains("the run rendered more than 200000"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_object_id_listed_twice_is_an_error_as_in_kustomize() {
    let dir = repo(&[
        (
            "k/kustomization.yaml",
            "resources:\n  - web.yaml\n  - again.yaml\n",
        ),
        (
            "k/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
        ),
        (
            "k/again.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
        ),
        ("p/kustomization.yaml", "resources:\n  - ../k/web.yaml\n"),
    ]);
    let r = run(
        dir.path(),
        &[
            "report",
            ".",
            "--env",
            "staging=k/kustomization.yaml",
            "--env",
            "production=p/kustomization.yaml",
        ],
    );
    assert!(
        r.stderr.contains(
            "k/kustomization.yaml:3: `again.yaml`: may not add resource with an already registered id: Deployment.v1.apps/web.default"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn json_patch_copy_doubling_is_capped() {
    // Each operation copies the whole of `data` into a new key of it: 2^40 nodes.
    let ops: String = (0..40)
        .map(|i| format!("  - op: copy\n    from: /data\n    path: /data/x{i}\n"))
        .collect();
    let dir = repo(&[
        (
            "k/kustomization.yaml",
            "resources:\n  - cm.yaml\npatchesJson6902:\n  - target: {version: v1, kind: ConfigMap, name: c}\n    path: double.yaml\n",
        ),
        (
            "k/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n  b: '2'\n",
        ),
        ("k/double.yaml", &ops),
        ("p/kustomization.yaml", "resources:\n  - ../k/cm.yaml\n"),
    ]);
    let r = run(
        dir.path(),
        &[
            "report",
            ".",
            "--env",
            "staging=k/kustomization.yaml",
            "--env",
            "production=p/kustomization.yaml",
        ],
    );
    assert!(
        r.stderr
            .contains("JSON patch makes the object larger than 1000000 nodes"),
        "{}",
        r.stderr
    );
}

/// Depth is capped at 16 files; four includes of the next file at every level would splice
/// 4^15 copies.
#[test]
fn an_nginx_include_diamond_stops_at_the_run_budget() {
    let mut files: Vec<(String, String)> = Vec::new();
    files.push((
        "nginx.conf".into(),
        "include l1.conf;\ninclude l1.conf;\ninclude l1.conf;\ninclude l1.conf;\n".into(),
    ));
    for level in 1..15 {
        let next = format!("include l{}.conf;\n", level + 1).repeat(4);
        files.push((format!("l{level}.conf"), next));
    }
    files.push(("l15.conf".into(), "worker_processes 1;\n".into()));
    files.push(("nginx.prod.conf".into(), "worker_processes 2;\n".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let r = run(
        dir.path(),
        &[
            "report",
            ".",
            "--env",
            "staging=nginx.conf",
            "--env",
            "production=nginx.prod.conf",
        ],
    );
    assert!(
        r.stderr.contains("the run rendered more than 200000"),
        "{}",
        r.stderr
    );
}

// Compose `extends` fan-out: src/sources/budget.rs (`compose_extends_fan_out_is_charged_to_the_run`),
// where the run's YAML node budget can be lowered to a size a test builds quickly.

// ---- 5. Nothing read outside PATH --------------------------------------------------------

#[test]
fn ignore_files_outside_path_do_not_change_discovery() {
    let outer = tempfile::tempdir().unwrap();
    let home = outer.path().join("home");
    let root = outer.path().join("repo");
    std::fs::create_dir_all(home.join(".config/git")).unwrap();
    std::fs::create_dir_all(&root).unwrap();
    // A parent directory's .gitignore and the user's global excludes both ignore production.
    std::fs::write(
        outer.path().join(".gitignore"),
        "docker-compose.production.yml\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".config/git/ignore"),
        "docker-compose.staging.yml\n",
    )
    .unwrap();
    std::fs::write(root.join("docker-compose.staging.yml"), WEB).unwrap();
    std::fs::write(root.join("docker-compose.production.yml"), WEB).unwrap();
    let out = envparity_in(&root)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .args(["discover", "."])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("docker-compose.production.yml"), "{stdout}");
    assert!(stdout.contains("docker-compose.staging.yml"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn in_tree_ignore_files_linked_out_or_to_devices_are_not_read() {
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
        ("sub/docker-compose.yml", WEB),
    ]);
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("rules"),
        "docker-compose.production.yml\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("rules"), d.join(".gitignore")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("sub/.gitignore")).unwrap();
    std::os::unix::fs::symlink("/proc/self/fd/0", d.join("sub/.ignore")).unwrap();
    let r = run(d, &["discover", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("docker-compose.production.yml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("note: .gitignore: points outside the scanned directory"),
        "{}",
        r.stdout
    );
}

// ---- 7. No writes outside the tree -------------------------------------------------------

#[cfg(unix)]
#[test]
fn output_files_are_never_written_through_symlinks() {
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
    ]);
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let planted = outside.path().join("planted");
    std::os::unix::fs::symlink(&planted, d.join("ENVIRONMENTS.md")).unwrap();
    let r = run(d, &["report", ".", "-o", "ENVIRONMENTS.md"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ENVIRONMENTS.md: is a symbolic link"),
        "{}",
        r.stderr
    );
    assert!(!planted.exists(), "a dangling link was written through");

    // `init` refuses the link, even with --force.
    std::os::unix::fs::symlink(&planted, d.join("envparity.toml")).unwrap();
    for args in [&["init", "."][..], &["init", ".", "--force"][..]] {
        let r = run(d, args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(!planted.exists(), "{args:?}: written through a link");
    }
}

#[test]
fn dash_as_output_is_standard_output() {
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
    ]);
    let r = run(dir.path(), &["report", ".", "-o", "-", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with('{'), "{}", r.stdout);
    assert!(!dir.path().join("-").exists());
}

// ---- 9. Clear errors ---------------------------------------------------------------------

#[test]
fn nginx_includes_of_directories_name_the_line() {
    let dir = repo(&[
        ("conf/nginx.conf", "worker_processes 1;\ninclude ..;\n"),
        ("nginx.sub.conf", "worker_processes 1;\n\ninclude sub;\n"),
        ("sub/a.conf", "gzip on;\n"),
        ("nginx.prod.conf", "worker_processes 2;\n"),
    ]);
    for (top, expected) in [
        (
            "conf/nginx.conf",
            "conf/nginx.conf:2: include `..`: .: is a directory, expected a file",
        ),
        (
            "nginx.sub.conf",
            "nginx.sub.conf:3: include `sub`: sub: is a directory, expected a file",
        ),
    ] {
        let env = format!("staging={top}");
        let r = run(
            dir.path(),
            &[
                "report",
                ".",
                "--env",
                &env,
                "--env",
                "production=nginx.prod.conf",
            ],
        );
        assert!(r.stderr.contains(expected), "{top}: {}", r.stderr);
    }
}

#[test]
fn absolute_paths_are_outside_not_made_relative() {
    let dir = repo(&[
        (
            "env-file.yml",
            "services:\n  web:\n    image: app:1\n    env_file: /etc/passwd\n",
        ),
        (
            "extends.yml",
            "services:\n  web:\n    extends:\n      file: /etc/compose.yml\n      service: web\n",
        ),
        ("good.yml", WEB),
        // Would be read if the paths were made relative.
        ("etc/passwd", "A=1\n"),
        ("etc/compose.yml", WEB),
        (
            "etc/app.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        ),
        ("k/kustomization.yaml", "resources:\n  - /etc/app.yaml\n"),
        (
            "g/kustomization.yaml",
            "configMapGenerator:\n  - name: c\n    files:\n      - /etc/passwd\n",
        ),
    ]);
    for (staging, expected) in [
        ("env-file.yml", "env-file.yml:4: env_file `/etc/passwd` is an absolute path outside the scanned directory"),
        ("extends.yml", "extends.yml:3: `extends.file` `/etc/compose.yml` is an absolute path outside the scanned directory"),
        ("k/kustomization.yaml", "k/kustomization.yaml:2: `/etc/app.yaml` is an absolute path outside the scanned directory"),
        ("g/kustomization.yaml", "g/kustomization.yaml:4: `/etc/passwd` is an absolute path outside the scanned directory"),
    ] {
        let env = format!("staging={staging}");
        let r = run(dir.path(), &["report", ".", "--env", &env, "--env", "production=good.yml"]);
        assert!(r.stderr.contains(expected), "{expected}\n{}", r.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_said_so_not_file_not_found() {
    use std::os::unix::ffi::OsStrExt;
    let dir = repo(&[
        ("docker-compose.staging.yml", WEB),
        ("docker-compose.production.yml", WEB),
    ]);
    let name = std::ffi::OsStr::from_bytes(b"docker-compose.qa\xff.yml");
    std::fs::write(dir.path().join(name), WEB).unwrap();
    let r = run(dir.path(), &["discover", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("note: docker-compose.qa\u{fffd}.yml: file name is not UTF-8; not read"),
        "{}",
        r.stdout
    );
    let r = run(dir.path(), &["report", "."]);
    assert!(!r.stderr.contains("file not found"), "{}", r.stderr);
}
