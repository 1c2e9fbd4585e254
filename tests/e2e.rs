//! End-to-end: the binary on the bundled examples and on broken input.
//!
//! The binary runs with a cleared environment so `${VAR}` interpolation and colour do not depend
//! on the machine running the tests.

use std::path::Path;

mod common;
use common::{envparity, json_of, service, stdout_of, GIB, MIB};

use serde_json::Value;

#[test]
fn obcms_totals_match_hand_computed_numbers() {
    let doc = json_of("examples/obcms");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(
        doc["environments"],
        serde_json::json!(["staging", "production"])
    );
    let staging = &doc["totals"]["staging"];
    // db 1 + pgbouncer 0.5 + redis 0.5 + web 2×1 + celery 1 + beat 0.5 + nginx 0.5 +
    // prometheus 0.5 + grafana 0.5 = 7 CPU.
    assert_eq!(staging["cpu_limit_millis"], 7000);
    // 512 + 128 + 256 + 2×512 + 512 + 256 + 256 + 256 + 256 MiB = 3456 MiB.
    assert_eq!(staging["memory_limit_bytes"], 3456 * MIB);
    assert_eq!(staging["unlimited_services"], 0);
    assert_eq!(staging["declared_services"], 10);
    assert_eq!(staging["instances"], 10);
    assert_eq!(staging["optional_services"], 2);
    assert_eq!(staging["cpu_reservation_millis"], 750);
    assert_eq!(staging["memory_reservation_bytes"], 768 * MIB);

    let production = &doc["totals"]["production"];
    assert_eq!(
        production["cpu_limit_millis"],
        Value::Null,
        "production has no limits"
    );
    assert_eq!(production["memory_limit_bytes"], Value::Null);
    assert_eq!(production["unlimited_services"], 19);
    assert_eq!(production["declared_services"], 19);
    assert_eq!(production["instances"], 20, "celery runs 2 replicas");
    assert_eq!(
        staging["memory_limit_change_pct"],
        Value::Null,
        "no percentage against no limit"
    );
}

#[test]
fn obcms_replicas_align_into_logical_services() {
    let doc = json_of("examples/obcms");
    let web = service(&doc, "web");
    assert_eq!(web["role"], "web");
    assert_eq!(web["envs"]["staging"]["instances"], 2);
    assert_eq!(web["envs"]["production"]["instances"], 4);
    assert_eq!(
        web["envs"]["production"]["members"],
        serde_json::json!(["web1", "web2", "web3", "web4"])
    );
    assert_eq!(web["envs"]["staging"]["cpu_limit_millis"], 1000);
    assert_eq!(web["envs"]["staging"]["memory_limit_bytes"], 512 * MIB);
    assert_eq!(web["envs"]["production"]["memory_limit_bytes"], Value::Null);
    assert_eq!(
        web["envs"]["staging"]["settings"]["gunicorn.workers"]["value"],
        "4"
    );
    assert_eq!(
        web["envs"]["production"]["settings"]["gunicorn.workers"]["value"],
        "17"
    );

    let redis = service(&doc, "redis");
    assert_eq!(redis["envs"]["staging"]["instances"], 1);
    assert_eq!(
        redis["envs"]["production"]["instances"], 3,
        "master + 2 replicas"
    );
    let sentinel = service(&doc, "redis-sentinel");
    assert_eq!(sentinel["envs"]["staging"], Value::Null);
    assert_eq!(sentinel["envs"]["production"]["instances"], 3);
    assert_eq!(service(&doc, "db")["envs"]["production"]["instances"], 3);
    assert_eq!(
        service(&doc, "celery")["envs"]["production"]["instances"],
        2
    );
    assert_eq!(service(&doc, "celery")["role"], "worker");
    assert_eq!(service(&doc, "celery-beat")["role"], "scheduler");
    assert_eq!(service(&doc, "pgbouncer")["role"], "pooler");
    assert_eq!(service(&doc, "nginx")["role"], "proxy");
    assert_eq!(
        service(&doc, "prometheus")["envs"]["staging"]["optional"],
        true
    );
    assert_eq!(
        service(&doc, "prometheus")["envs"]["production"]["optional"],
        false
    );
}

#[test]
fn obcms_postgres_flags_compare_as_quantities() {
    let doc = json_of("examples/obcms");
    let db = &service(&doc, "db")["envs"];
    let sb = &db["staging"]["settings"]["postgres.shared_buffers"];
    assert_eq!(sb["value"], "512MB");
    assert_eq!(
        sb["quantity"],
        serde_json::json!({"unit": "bytes", "amount": 512 * MIB})
    );
    assert_eq!(sb["file"], "docker-compose.staging.yml");
    assert!(sb["line"].as_u64().unwrap() > 1);
    assert_eq!(
        db["production"]["settings"]["postgres.shared_buffers"]["quantity"]["amount"],
        4 * GIB
    );
    let diff = doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["service"] == "db" && d["aspect"] == "postgres.shared_buffers")
        .unwrap();
    assert_eq!(diff["change_pct"]["staging"], -87.5);
    let max_conn = doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["service"] == "db" && d["aspect"] == "postgres.max_connections")
        .unwrap();
    assert_eq!(max_conn["values"]["staging"]["value"], "100");
    assert_eq!(max_conn["values"]["production"]["value"], "500");
    assert_eq!(max_conn["change_pct"]["staging"], -80.0);
}

#[test]
fn obcms_interpolation_uses_defaults_and_dotenv() {
    let doc = json_of("examples/obcms");
    let web = &service(&doc, "web")["envs"];
    // `${POSTGRES_DB:-obcms_staging}` with POSTGRES_DB unset.
    let db_name = &web["staging"]["settings"]["env.POSTGRES_DB"];
    assert_eq!(db_name["value"], "obcms_staging");
    assert_eq!(db_name["interpolated"], true);
    // APP_VERSION comes from the example's .env.
    assert_eq!(web["staging"]["image"], "ghcr.io/obcms/obcms:1.8.0");
}

#[test]
fn job_finder_totals_and_reductions() {
    let doc = json_of("examples/job-finder");
    let (st, pr) = (&doc["totals"]["staging"], &doc["totals"]["production"]);
    assert_eq!(st["cpu_limit_millis"], 1250);
    assert_eq!(pr["cpu_limit_millis"], 1750);
    assert_eq!(st["memory_limit_bytes"], 1152 * MIB);
    assert_eq!(pr["memory_limit_bytes"], 1664 * MIB);
    assert_eq!(st["cpu_limit_change_pct"], -28.57);
    assert_eq!(st["memory_limit_change_pct"], -30.77);
    assert_eq!(st["cpu_reservation_millis"], 250);
    assert_eq!(pr["memory_reservation_bytes"], 512 * MIB);
    assert_eq!(st["unlimited_services"], 0);

    let app = service(&doc, "job-finder");
    assert_eq!(
        app["envs"]["staging"]["members"],
        serde_json::json!(["job-finder-staging"])
    );
    assert_eq!(
        app["envs"]["production"]["members"],
        serde_json::json!(["job-finder-production"])
    );
    assert!(app["alignment"][0]
        .as_str()
        .unwrap()
        .contains("`job-finder-staging` (staging)"));
    assert_eq!(app["envs"]["staging"]["memory_limit_bytes"], GIB);
    assert_eq!(app["envs"]["production"]["memory_limit_bytes"], 3 * GIB / 2);
    let settings = &app["envs"]["staging"]["settings"];
    assert_eq!(
        settings["env.PROFILE_DATABASE_NAME"]["value"],
        "portfolio-staging"
    );
    assert_eq!(
        settings["env.PROFILE_DATABASE_NAME"]["file"],
        "docker-compose.staging.yml"
    );
}

#[test]
fn secrets_are_masked_in_every_format() {
    // examples/hazards writes these secrets literally; no output may contain them.
    let planted = ["7Hq2mXv9Lr4pZt8Kw3Ns", "9f8Kq2LmZx7Rt4Wp", "changeme"];
    for args in [
        vec!["report", "examples/hazards", "--format", "md"],
        vec!["report", "examples/hazards", "--format", "json"],
        vec!["report", "examples/hazards", "--format", "text"],
        vec!["compare", "examples/hazards"],
        vec!["check", "examples/hazards", "--format", "json"],
        vec!["check", "examples/hazards"],
    ] {
        let out = envparity().args(&args).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        for secret in planted {
            assert!(!text.contains(secret), "{args:?} leaks {secret}");
        }
        if args[0] != "check" || args.contains(&"json") {
            assert!(text.contains("********"), "{args:?} shows masked values");
        }
    }
    let doc = json_of("examples/hazards");
    let key = &service(&doc, "web")["envs"]["production"]["settings"]["env.JWT_SIGNING_KEY"];
    assert_eq!(
        (key["secret"].as_bool(), key["value"].as_str()),
        (Some(true), Some("********"))
    );
}

#[test]
fn markdown_report_of_obcms() {
    insta::assert_snapshot!("obcms_markdown", stdout_of(&["report", "examples/obcms"]));
}

#[test]
fn markdown_report_of_job_finder() {
    insta::assert_snapshot!(
        "job_finder_markdown",
        stdout_of(&["report", "examples/job-finder", "--format", "md"])
    );
}

#[test]
fn terminal_tables_of_job_finder() {
    insta::assert_snapshot!(
        "job_finder_compare",
        stdout_of(&["compare", "examples/job-finder"])
    );
}

#[test]
fn colour_is_forced_with_always_and_off_with_no_color() {
    let coloured = stdout_of(&["compare", "examples/job-finder", "--color", "always"]);
    assert!(coloured.contains("\x1b["), "ANSI colour expected");
    let plain = stdout_of(&["compare", "examples/job-finder"]);
    assert!(!plain.contains("\x1b["));
}

#[test]
fn discover_lists_environments_and_files() {
    let out = stdout_of(&["discover", "examples/obcms"]);
    assert_eq!(
        out,
        "staging\n  docker-compose.yml\n  docker-compose.staging.yml\n  (file name `docker-compose.staging.yml`, merged over the shared base `docker-compose.yml`)\n  nginx/load_balancer_staging.conf\n\
\x20 (`nginx/load_balancer_staging.conf` is named after the environment)\n  postgres/postgresql.staging.conf\n\
\x20 (`postgres/postgresql.staging.conf` is named after the environment)\n\
production\n  docker-compose.yml\n  docker-compose.prod.yml\n  (file name `docker-compose.prod.yml` (`prod` means production), merged over the shared base `docker-compose.yml`)\n"
    );
    let json: Value = serde_json::from_str(&stdout_of(&[
        "discover",
        "examples/job-finder",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["environments"][1]["name"], "production");
    assert_eq!(json["environments"][1]["sources"][0]["kind"], "compose");
    assert_eq!(
        json["environments"][1]["sources"][0]["files"],
        serde_json::json!(["docker-compose.production.yml"])
    );
}

#[test]
fn explicit_environments_override_discovery() {
    // Aliases are canonicalised, and the files are what --env says, not what names suggest.
    let out = stdout_of(&[
        "report",
        "examples/job-finder",
        "--format",
        "json",
        "--env",
        "prod=docker-compose.staging.yml",
        "--env",
        "stage=docker-compose.production.yml",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["environments"],
        serde_json::json!(["staging", "production"])
    );
    assert_eq!(doc["totals"]["staging"]["cpu_limit_millis"], 1750);
    assert_eq!(doc["totals"]["production"]["cpu_limit_millis"], 1250);
    assert_eq!(
        doc["files"]["production"],
        serde_json::json!(["docker-compose.staging.yml"])
    );
}

#[test]
fn report_writes_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("ENVIRONMENTS.md");
    let out = envparity()
        .args(["report", "examples/job-finder", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("# Environment comparison: staging vs production\n"));
}

/// The JSON report is streamed: to a file it is the same bytes as on standard output, and a file
/// that cannot be written is an input error naming it.
#[test]
fn streamed_json_is_the_same_in_a_file_and_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let to_file = envparity()
        .args(["check", "examples/obcms", "--format", "json", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(to_file.stdout.is_empty());
    let to_stdout = envparity()
        .args(["check", "examples/obcms", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(to_file.status.code(), to_stdout.status.code());
    assert_eq!(std::fs::read(&target).unwrap(), to_stdout.stdout);
    assert!(to_stdout.stdout.ends_with(b"}\n"));

    let missing = dir.path().join("no-such-dir").join("report.json");
    let out = envparity()
        .args(["report", "examples/obcms", "--format", "json", "-o"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("report.json: cannot write"), "{stderr}");
}

/// Run on a temporary repository and return (exit code, stderr).
fn run_on(files: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let out = envparity()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap(), stderr)
}

/// The warning a bad staging file gives: staging is not read, production still is (exit 0).
fn gap_of(staging: &str) -> String {
    let (code, stderr) = run_on(
        &[
            ("docker-compose.staging.yml", staging),
            (
                "docker-compose.prod.yml",
                "services:\n  web:\n    image: app:1\n",
            ),
        ],
        &["compare", "."],
    );
    assert_eq!(code, 0, "{stderr}");
    stderr
}

#[test]
fn invalid_yaml_names_file_and_line() {
    let e = gap_of("services:\n  web:\n    image: app:1\n   bad: [\n");
    assert!(
        e.starts_with("warning: staging: environment not read: docker-compose.staging.yml:4:"),
        "{e}"
    );
}

#[test]
fn wrong_types_and_units_name_file_and_line() {
    assert_eq!(
        gap_of("services:\n  web:\n    image: app\n    deploy:\n      replicas: many\n"),
        "warning: staging: environment not read (service `web`): docker-compose.staging.yml:5: `deploy.replicas` must be a whole number, found `many`\n"
    );
    assert_eq!(
        gap_of("services:\n  web:\n    deploy:\n      resources:\n        limits:\n          memory: 5 parsecs\n"),
        "warning: staging: environment not read (service `web`): docker-compose.staging.yml:6: `deploy.resources.limits.memory`: unknown byte unit `parsecs` in `5 parsecs` (use b, k, m, g, t or p)\n"
    );
    assert_eq!(
        gap_of("services:\n  web:\n    image: [a, b]\n  worker:\n    image: app:1\n"),
        "warning: staging: source not read (service `web`): docker-compose.staging.yml:3: `image` must be a single value, found a list\n"
    );
}

#[test]
fn one_bad_service_leaves_the_rest_compared_and_check_fails_only_when_nothing_was_read() {
    let files = [
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: [a, b]\n  worker:\n    image: app:1\n",
        ),
        (
            "docker-compose.prod.yml",
            "services:\n  web:\n    image: app:1\n  worker:\n    image: app:2\n",
        ),
    ];
    let (code, e) = run_on(&files, &["check", ".", "--format", "json"]);
    assert_eq!(code, 0, "a warning-level gap does not fail the gate: {e}");
    let (code, _) = run_on(
        &[
            files[0],
            files[1],
            ("envparity.toml", "fail_on_incomplete = true\n"),
        ],
        &["check", "."],
    );
    assert_eq!(code, 1, "fail_on_incomplete = true fails on any gap");
    let (code, e) = run_on(
        &[("docker-compose.staging.yml", "services: [\n"), files[1]],
        &["check", "."],
    );
    assert_eq!(
        code, 1,
        "an environment not read at all fails by default: {e}"
    );
    let (code, _) = run_on(
        &[
            ("docker-compose.staging.yml", "services: [\n"),
            files[1],
            ("envparity.toml", "fail_on_incomplete = false\n"),
        ],
        &["check", "."],
    );
    assert_eq!(code, 0);
    let (code, e) = run_on(
        &[
            ("docker-compose.staging.yml", "services: [\n"),
            ("docker-compose.prod.yml", "services: [\n"),
        ],
        &["check", "."],
    );
    assert_eq!(code, 2, "nothing read at all is an error");
    assert!(e.starts_with("error: docker-compose.staging.yml:"), "{e}");
}

#[test]
fn a_required_variable_without_a_value_is_supplied_when_deployed() {
    let files = [
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app\n    environment:\n      DB_URL: ${DB_URL:?set DB_URL}\n",
        ),
        (
            "docker-compose.prod.yml",
            "services:\n  web:\n    image: app\n",
        ),
    ];
    let (code, e) = run_on(&files, &["compare", "."]);
    assert_eq!((code, e.as_str()), (0, ""), "no gap: the service is read");
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = envparity()
        .args(["report", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let web = &report["services"][0]["envs"]["staging"]["settings"]["env.DB_URL"];
    assert_eq!(web["value"], "${DB_URL}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("required variable `DB_URL` has no value here (set DB_URL): it is supplied when deployed"),
        "{notes}"
    );
}

#[test]
fn duplicate_keys_and_missing_files_are_errors() {
    let e = gap_of("services:\n  web:\n    image: a\n    image: b\n");
    assert!(e.contains("docker-compose.staging.yml:4"), "{e}");
    assert!(e.contains("duplicate key `image`"), "{e}");
    let (code, e) = run_on(
        &[("a.yml", "services: {}\n")],
        &["compare", ".", "--env", "staging=missing.yml"],
    );
    assert_eq!(
        (code, e.as_str()),
        (2, "error: missing.yml: file not found\n")
    );
}

#[test]
fn a_committed_sample_stands_in_for_a_gitignored_env_file_and_its_secrets_are_placeholders() {
    let files = [
        (
            "docker-compose.prod.yml",
            "services:\n  web:\n    image: app:1\n    env_file: .env.prod\n",
        ),
        (".env.prod-sample", "DEBUG=0\nSECRET_KEY=change_me\n"),
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n    environment: {DEBUG: '0'}\n",
        ),
    ];
    let (code, e) = run_on(&files, &["check", "."]);
    assert_eq!(code, 0, "{e}");
    assert!(
        e.contains("docker-compose.prod.yml:4: env_file `.env.prod` not found (gitignored?); its committed sample `.env.prod-sample` is read in its place"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = envparity()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"EP002") && !rules.contains(&"EP003"),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"EP017"),
        "the gap is still reported: {rules:?}"
    );
}

#[test]
fn a_missing_env_file_is_a_gap_not_an_error() {
    let (code, e) = run_on(
        &[(
            "docker-compose.staging.yml",
            "services:\n  w:\n    image: a\n    env_file: .env.staging\n",
        )],
        &["compare", "."],
    );
    assert_eq!(code, 0, "{e}");
    assert_eq!(
        e,
        "warning: staging: optional piece not read (service `w`): docker-compose.staging.yml:4: env_file `.env.staging` not found (gitignored?); the service is read without its variables\n"
    );
}

#[test]
fn json_formats_write_an_error_document_when_nothing_could_be_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "hi").unwrap();
    // Each with the schema version of the document the command writes.
    for (command, version) in [("check", 2), ("report", 1)] {
        let out = envparity()
            .args([command, "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["schema_version"], version);
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("no environments found"),
            "{doc}"
        );
    }
}

#[test]
fn no_environments_and_bad_usage_exit_2() {
    let (code, e) = run_on(&[("README.md", "hi")], &["compare", "."]);
    assert_eq!(code, 2);
    assert!(e.contains("no environments found"), "{e}");
    let (code, _) = run_on(&[], &["report", ".", "--format", "pdf"]);
    assert_eq!(code, 2);
    let (code, _) = run_on(&[], &["--help"]);
    assert_eq!(code, 0);
}

#[test]
fn configuration_that_names_no_environment_is_a_warning_not_a_failure() {
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n";
    let files = [("k8s/web.yaml", deployment), ("README.md", "hi")];
    for command in ["compare", "report", "check"] {
        let (code, e) = run_on(&files, &[command, "."]);
        assert_eq!(code, 0, "{command}: {e}");
        assert!(
            e.starts_with("warning: .: no environments found among 1 configuration file(s), nothing to compare"),
            "{command}: {e}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/web.yaml"), deployment).unwrap();
    let out = envparity()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["environments"], serde_json::json!([]));
    assert_eq!(doc["gate"]["passed"], true, "{doc}");
    let (code, e) = run_on(&files, &["promote", "."]);
    assert_eq!(code, 2);
    assert!(
        e.contains("promote needs two environments, and none was found"),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_noted_not_errors() {
    let (code, _) = run_on(
        &[
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    image: a\n    colour: blue\n",
            ),
            (
                "docker-compose.prod.yml",
                "services:\n  web:\n    image: a\n",
            ),
        ],
        &["report", "."],
    );
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.staging.yml"),
        "services:\n  web:\n    image: a\n    colour: blue\n",
    )
    .unwrap();
    let out = envparity().arg("report").arg(dir.path()).output().unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("- `docker-compose.staging.yml:4`: unknown Compose key `colour` in service `web` ignored"), "{md}");
}

#[test]
fn examples_exist_where_the_readme_says() {
    for example in ["examples/obcms", "examples/job-finder"] {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(example).is_dir());
    }
}

/// A repository whose environments are read from many files and whose values are long.
fn wide_repository() -> tempfile::TempDir {
    const COMPONENTS: [&str; 12] = [
        "api",
        "billing",
        "catalog",
        "checkout",
        "gateway",
        "inventory",
        "ledger",
        "mailer",
        "orders",
        "reports",
        "search",
        "worker",
    ];
    let dir = tempfile::tempdir().unwrap();
    for env in ["staging", "production"] {
        let base = dir.path().join("k8s").join(env);
        std::fs::create_dir_all(&base).unwrap();
        for name in COMPONENTS {
            let yaml = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n\
                 spec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n\
                 \x20       - name: app\n          image: registry.example.com/team/{name}:{env}\n\
                 \x20         args: [\"--feature-flags={}\"]\n",
                if env == "staging" { 1 } else { 3 },
                format!("{env}-").repeat(40)
            );
            let file = format!("deployment-of-the-{name}-component-with-a-long-name.yaml");
            std::fs::write(base.join(file), yaml).unwrap();
        }
    }
    dir
}

#[test]
fn piped_compare_folds_to_120_columns_or_to_columns() {
    let dir = wide_repository();
    for (columns, limit) in [(None, 120), (Some("90"), 90)] {
        let mut cmd = envparity();
        cmd.arg("compare").arg(dir.path());
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("deployment-of-the-worker-component-with-a-long-name.yaml"),
            "{text}"
        );
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(
            widest <= limit,
            "a line of {widest} > {limit} columns:\n{text}"
        );
        assert!(
            widest > limit - 30,
            "folded far narrower than {limit}: {widest}"
        );
    }
}
