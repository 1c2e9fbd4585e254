//! Hostile input, round 2: what a repository can make envparity print, leak or spend.
//!
//! - output injection: control characters and newlines from the repository never reach the
//!   terminal or a CI log raw (no OSC 52 clipboard write, no forged `::error` line);
//! - secrets: the CI runner's environment is never read unless asked for, a value from a secret
//!   source stays masked wherever it is interpolated, and errors never quote it;
//! - interpolation that doubles a value line after line stops at a documented cap;
//! - inputs ten times larger take about ten times longer, not a hundred.

use std::process::Output;

mod common;
use common::{envparity_in, repo};

/// A value that writes to the clipboard (OSC 52) and then forges a GitHub Actions error line.
const INJECTION: &str = "\u{1b}]52;c;cHduZWQ=\u{7}\n::error file=x::pwned";

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    envparity_in(dir).args(args).output().unwrap()
}

/// The text without SGR colour sequences (`ESC [ 1;31 m`), the only ones envparity writes.
fn without_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let params = body.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        match params {
            Some(p) if body[p..].starts_with('m') => rest = &body[p + 1..],
            _ => {
                out.push('\u{1b}');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// No ESC, BEL or other control byte but line breaks (and colours), and no line a GitHub
/// runner would read as a workflow command.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = without_colours(&String::from_utf8_lossy(bytes));
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)),
            "{what}: raw control character {:?} in:\n{text}",
            c
        );
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a line reads as a workflow command: {line}"
        );
    }
}

#[test]
fn control_characters_from_the_repository_are_escaped_in_every_text_output() {
    let name = format!("web{INJECTION}");
    let compose = format!(
        "services:\n  {name:?}:\n    image: nginx:1.25\n    environment:\n      NOTE: {INJECTION:?}\n      {INJECTION:?}: x\n"
    )
    .replace("\\u{1b}", "\\e")
    .replace("\\u{7}", "\\a");
    let production = compose.replace("x\n", "y\n");
    let dir = repo(&[
        ("docker-compose.staging.yml", &compose),
        ("docker-compose.production.yml", &production),
    ]);
    let invocations: &[&[&str]] = &[
        &["compare", "."],
        &["compare", ".", "--color", "always"],
        &["report", ".", "--format", "md"],
        &["report", ".", "--format", "text"],
        &["check", ".", "--format", "text"],
        &["check", ".", "--format", "md"],
        &["discover", "."],
    ];
    for args in invocations {
        let out = run(dir.path(), args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {out:?}"
        );
        assert_clean(&format!("{args:?} stdout"), &out.stdout);
        assert_clean(&format!("{args:?} stderr"), &out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(
            args[0] == "discover" || stdout.contains("web\\x1b]52;c;chduzwq=\\x07"),
            "{args:?}: the name is shown escaped:\n{stdout}"
        );
    }
    // The colours envparity writes itself are kept.
    let out = run(dir.path(), &["compare", ".", "--color", "always"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}[1m"));
}

#[test]
fn control_characters_in_error_messages_are_escaped() {
    // A broken file whose name and content hold control characters: the error names it escaped.
    let dir = repo(&[(
        "docker-compose.staging.yml",
        "services:\n  \"w\\e]52;c;x\\a\\n::error::x\":\n    image: [unclosed\n",
    )]);
    let out = run(
        dir.path(),
        &[
            "compare",
            ".",
            "--env",
            "staging=docker-compose.staging.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_clean("stderr", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: docker-compose.staging.yml:"));
}

const RUNNER_TOKEN: &str = "ghs_cnryRunnerToken7Xq2Lm9Zt4Vb8Nw3";
const DOTENV_SECRET: &str = "cnry-dotenv-Hs5Jq1Yt8Ue4Mx7";

/// Every output of a run, for looking for canaries.
fn all_output(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for format in ["json", "md", "text"] {
        let mut cmd = envparity_in(dir);
        cmd.args(["report", ".", "--format", format]).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    text
}

fn secret_repo() -> tempfile::TempDir {
    let compose = "services:\n  web:\n    image: \"app:${DB_PASSWORD}\"\n    ports: [\"${DB_PASSWORD}:80\"]\n    healthcheck:\n      test: curl -f http://localhost/?k=${DB_PASSWORD}\n    environment:\n      CI_TOKEN: ${GITHUB_TOKEN}\n      LABEL: \"x-${GITHUB_TOKEN}\"\n";
    repo(&[
        (".env", &format!("DB_PASSWORD={DOTENV_SECRET}\n")),
        ("docker-compose.staging.yml", compose),
        ("docker-compose.production.yml", compose),
    ])
}

#[test]
fn the_process_environment_is_not_read_unless_asked_and_then_masked() {
    let dir = secret_repo();
    let env = [("GITHUB_TOKEN", RUNNER_TOKEN)];
    let text = all_output(dir.path(), &[], &env);
    assert!(!text.contains(RUNNER_TOKEN), "{text}");
    assert!(
        text.contains("variable `GITHUB_TOKEN` is not set"),
        "{text}"
    );
    let (doc, _) = common::json_in(dir.path(), &["report", ".", "--format", "json"]);
    let web = common::service(&doc, "web");
    assert_eq!(
        web["envs"]["staging"]["settings"]["env.LABEL"]["value"], "x-",
        "{web}"
    );

    let text = all_output(dir.path(), &["--env-from-process"], &env);
    assert!(!text.contains(RUNNER_TOKEN), "{text}");
    assert!(!text.contains("ghs_"), "{text}");
    assert!(!text.contains("is not set"), "{text}");
}

#[test]
fn a_secret_stays_masked_wherever_it_is_interpolated() {
    let dir = secret_repo();
    let text = all_output(dir.path(), &[], &[]);
    assert!(!text.contains(DOTENV_SECRET), "{text}");
    assert!(!text.contains("cnry-dotenv"), "{text}");
}

#[test]
fn errors_about_values_from_secret_sources_do_not_quote_them() {
    for (key, value) in [
        ("mem_limit", "\"${DB_PASSWORD}\""),
        ("cpus", "\"${DB_PASSWORD}\""),
        ("scale", "\"${DB_PASSWORD}\""),
    ] {
        let compose = format!("services:\n  web:\n    image: app:1\n    {key}: {value}\n");
        let dir = repo(&[
            (".env", &format!("DB_PASSWORD={DOTENV_SECRET}\n")),
            ("docker-compose.staging.yml", &compose),
        ]);
        let out = run(
            dir.path(),
            &[
                "compare",
                ".",
                "--env",
                "staging=docker-compose.staging.yml",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(
            stderr.contains("docker-compose.staging.yml:4"),
            "{key}: {stderr}"
        );
        assert!(!stderr.contains("cnry"), "{key}: {stderr}");
    }
    // The text after `${` in a password is not quoted either.
    let dir = repo(&[(
        "docker-compose.staging.yml",
        "services:\n  web:\n    image: app:1\n    environment:\n      DB_PASSWORD: \"p4ss${w0rdcnry\"\n",
    )]);
    let out = run(
        dir.path(),
        &[
            "compare",
            ".",
            "--env",
            "staging=docker-compose.staging.yml",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("docker-compose.staging.yml:5"), "{stderr}");
    assert!(!stderr.contains("w0rd"), "{stderr}");
}

#[test]
fn interpolation_that_doubles_each_line_stops_at_the_cap() {
    // 40 lines of 10 bytes each: without a cap the last one is 2^40 bytes.
    let mut dotenv = String::from("V0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        dotenv.push_str(&format!("V{i}=${{V{}}}${{V{}}}\n", i - 1, i - 1));
    }
    let dir = repo(&[
        (".env", &dotenv),
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n",
        ),
    ]);
    let started = std::time::Instant::now();
    let out = run(
        dir.path(),
        &[
            "compare",
            ".",
            "--env",
            "staging=docker-compose.staging.yml",
        ],
    );
    assert!(started.elapsed().as_secs() < 20);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            ".env:18: in the value of V17: substituting `V16` makes the value longer than 1 MiB"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("xxxx"), "{stderr}");
}

#[test]
fn round_two_secret_shapes_are_masked_end_to_end() {
    let compose = "services:\n  db:\n    image: mysql:8.0\n    command: sh -c 'mysqld && mysql -uroot -pcnryMysqlPw1 -e ping'\n    environment:\n      PGPASS: cnryPgpass2xYz\n      DB_PASS: cnryDbPass3xYz\n      CONN: host=db user=app password=cnryConninfo4 dbname=app\n      JDBC: jdbc:postgresql://db/app?user=app&password=cnryJdbc5xYz\n      URL: postgres://app:cnry/Url#6?x@db/app\n      AUTH: Bearer cnryBearer7xYzAbCdEf\n  cache:\n    image: redis:7\n    command: redis-server --requirepass=cnryRequirepass8 --maxmemory 64mb\n";
    let dir = repo(&[
        ("docker-compose.staging.yml", compose),
        ("docker-compose.production.yml", compose),
    ]);
    let text = all_output(dir.path(), &[], &[]);
    assert!(!text.contains("cnry"), "{text}");
    let (doc, _) = common::json_in(dir.path(), &["report", ".", "--format", "json"]);
    let cache = common::service(&doc, "cache");
    let settings = &cache["envs"]["staging"]["settings"];
    assert_eq!(
        settings["redis.requirepass"]["value"], "********",
        "{settings}"
    );
    assert_eq!(settings["redis.maxmemory"]["value"], "64mb", "{settings}");
}

#[test]
fn large_tfvars_toml_and_policy_files_read_in_linear_time() {
    // Each value's line used to be found by counting newlines from the start of its file.
    let tfvars: String = (0..20_000).map(|i| format!("v{i} = \"x{i}\"\n")).collect();
    let policy: String = (0..5_000)
        .map(|i| {
            format!("[[waiver]]\nrule = \"EP001\"\nservice = \"s{i}\"\nreason = \"r\"\nexpires = 2030-01-01\n")
        })
        .collect();
    let dir = repo(&[
        ("staging.tfvars", &tfvars),
        ("production.tfvars", &tfvars.replace("\"x1\"", "\"y1\"")),
        ("envparity.toml", &policy),
    ]);
    let started = std::time::Instant::now();
    let out = run(
        dir.path(),
        &[
            "check",
            ".",
            "--format",
            "json",
            "--env",
            "staging=staging.tfvars",
            "--env",
            "production=production.tfvars",
        ],
    );
    let elapsed = started.elapsed();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
}

#[test]
fn a_secret_generator_literal_without_its_equals_sign_is_not_quoted() {
    let dir = repo(&[(
        "overlays/production/kustomization.yaml",
        "resources: []\nsecretGenerator:\n- name: db\n  literals:\n  - cnryLiteralNoEquals9\n",
    )]);
    let out = run(
        dir.path(),
        &[
            "compare",
            ".",
            "--env",
            "production=overlays/production/kustomization.yaml",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("overlays/production/kustomization.yaml:5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("secretGenerator literal must be KEY=VALUE"),
        "{stderr}"
    );
    assert!(!stderr.contains("cnry"), "{stderr}");
}
