//! `envparity check`, `explain` and `init` end to end: exit codes, exactly which findings the
//! examples produce, the score, and policy errors.

use serde_json::Value;

mod common;
use common::envparity;

fn check_json(example: &str) -> (i32, Value) {
    let out = envparity()
        .args(["check", example, "--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    (
        code,
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

fn findings(doc: &Value) -> Vec<(String, String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["waived"].is_null())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("environment"), s("service"), s("setting"))
        })
        .collect()
}

fn f(rule: &str, env: &str, service: &str, setting: &str) -> (String, String, String, String) {
    (rule.into(), env.into(), service.into(), setting.into())
}

#[test]
fn hazards_example_plants_every_rule() {
    let (code, doc) = check_json("examples/hazards");
    assert_eq!(code, 1);
    let mut got = findings(&doc);
    got.sort();
    let mut want = vec![
        f("EP001", "production", "web", "env.DATABASE_URL"),
        f("EP002", "production", "web", "env.JWT_SIGNING_KEY"),
        f("EP002", "production", "web", "env.PAYMENT_API_TOKEN"),
        f("EP002", "staging", "web", "env.JWT_SIGNING_KEY"),
        f("EP003", "staging", "db", "env.POSTGRES_PASSWORD"),
        f("EP004", "production", "web", "env.JWT_SIGNING_KEY"),
        f("EP005", "production", "web", "env.DEBUG"),
        f("EP006", "production", "web", "image"),
        f("EP006", "production", "worker", "image"),
        f("EP007", "production", "worker", ""),
        f("EP008", "production", "worker", ""),
        f("EP009", "staging", "worker", ""),
        f("EP010", "staging", "db", "image"),
        f("EP011", "production", "mailhog", ""),
        f("EP011", "production", "web", "env.DEBUG").clone(),
        f("EP011", "production", "worker", "healthcheck.test"),
        f("EP011", "staging", "web", "env.DEBUG"),
        f("EP011", "staging", "web", "env.PAYMENT_API_TOKEN"),
        f("EP012", "staging", "web", "image"),
        f("EP012", "staging", "worker", "image"),
        f("EP013", "production", "web", "env.SESSION_COOKIE_SECURE"),
        f("EP014", "production", "web", "env.UPLOAD_BUCKET"),
        f("EP015", "", "", ""),
        f("EP016", "staging", "worker", "celery.concurrency"),
        f("EP018", "production", "worker", "depends_on"),
        f("EP019", "production", "db", ""),
        f("EP020", "staging", "db", "postgres.shared_buffers"),
        f("EP021", "staging", "web", ""),
    ];
    // `env.DEBUG` exists in production only: reported where it is missing (staging).
    want.retain(|w| *w != f("EP011", "production", "web", "env.DEBUG"));
    want.sort();
    assert_eq!(got, want);
    let rules: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 20, "every rule fires once at least: {rules:?}");
    let ep001 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "EP001")
        .unwrap();
    assert_eq!(ep001["file"], "docker-compose.production.yml");
    assert_eq!(ep001["line"], 7);
    assert_eq!(ep001["severity"], "error");
    assert_eq!(doc["gate"]["passed"], false);
}

#[test]
fn clean_examples_pass_with_their_policies() {
    for example in ["examples/obcms", "examples/job-finder"] {
        let (code, doc) = check_json(example);
        // The seed's staging database and cache are sized at their memory limits
        // (`shared_buffers=512MB` under 512M, `maxmemory 256mb` under 256M): warnings, below
        // obcms's `fail_on = "error"`.
        let want = if example == "examples/obcms" {
            vec![
                f("EP020", "staging", "db", "postgres.shared_buffers"),
                f("EP020", "staging", "redis", "redis.maxmemory"),
            ]
        } else {
            vec![]
        };
        assert_eq!(findings(&doc), want, "{example} has unwaived findings");
        assert_eq!(code, 0, "{example}");
        assert_eq!(doc["gate"]["passed"], true);
        assert_eq!(doc["gate"]["policy_file"], "envparity.toml");
    }
    let (_, doc) = check_json("examples/job-finder");
    assert_eq!(doc["score"]["overall"], 100.0);
    let waived: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["waived"].is_null())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["rule"], "EP008");
    assert_eq!(waived[0]["service"], "watchtower");
}

#[test]
fn obcms_score_traces_to_items() {
    let (_, doc) = check_json("examples/obcms");
    let score = &doc["score"];
    let items = score["items"].as_u64().unwrap();
    let in_parity = score["in_parity"].as_u64().unwrap();
    let lost = score["lost"].as_array().unwrap();
    assert_eq!(
        lost.len() as u64,
        items - in_parity,
        "every lost point is listed"
    );
    let expected = (1000.0 * in_parity as f64 / items as f64).round() / 10.0;
    assert_eq!(score["overall"].as_f64().unwrap(), expected);
    assert!(score["overall"].as_f64().unwrap() >= score["min_score"].as_f64().unwrap());
    // Scale is intended by default: the db's shared_buffers differ on purpose.
    let d = doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["service"] == "db" && d["aspect"] == "postgres.shared_buffers")
        .unwrap();
    assert_eq!(d["verdict"], "intended");
}

#[test]
fn without_policy_file_defaults_apply() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("docker-compose.staging.yml", "services:\n  web:\n    image: app:1.0\n    deploy: {replicas: 1}\n"),
        ("docker-compose.production.yml", "services:\n  web:\n    image: app:1.0\n    deploy: {replicas: 3}\n    cpus: 1\n    mem_limit: 1g\n    healthcheck:\n      test: [CMD, 'true']\n"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = envparity().arg("check").arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("passed"), "{text}");
}

#[test]
fn fail_on_and_min_score_gate() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "docker-compose.staging.yml",
        "services:\n  web:\n    image: app:1\n    environment: {A: '1'}\n",
    );
    write("docker-compose.production.yml", "services:\n  web:\n    image: app:1\n    environment: {A: '2'}\n    cpus: 1\n    mem_limit: 1g\n");
    let code = |dir: &std::path::Path| {
        envparity()
            .arg("check")
            .arg(dir)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    };
    // EP008 (missing health check) is a warning: passes at fail_on = error.
    assert_eq!(code(dir.path()), 0);
    write("envparity.toml", "fail_on = \"warning\"\n");
    assert_eq!(code(dir.path()), 1);
    write(
        "envparity.toml",
        "min_score = 99\n[rules]\nEP008 = \"off\"\n",
    );
    assert_eq!(
        code(dir.path()),
        1,
        "env.A drifts, so the score is below 99"
    );
    write("envparity.toml", "min_score = 99\n[rules]\nEP008 = \"off\"\n[[intended]]\nsetting = \"env.A\"\nreason = \"tuned per environment\"\n");
    assert_eq!(code(dir.path()), 0);
}

#[test]
fn policy_errors_name_file_and_line_and_exit_2() {
    for (policy, expected) in [
        ("min_score = 80\ncolour = \"red\"\n", "envparity.toml:2"),
        (
            "[[waiver]]\nrule = \"EP999\"\nreason = \"x\"\nexpires = 2027-01-01\n",
            "envparity.toml:1: unknown rule `EP999`",
        ),
        (
            "[[waiver]]\nrule = \"EP001\"\nreason = \"x\"\nexpires = \"someday\"\n",
            "envparity.toml:4: `expires` must be a date",
        ),
        (
            "[environments]\norder = [\"production\"]\n",
            "environment `staging` was found but is not in [environments] order",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("docker-compose.staging.yml"),
            "services:\n  a:\n    image: x:1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("docker-compose.production.yml"),
            "services:\n  a:\n    image: x:1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("envparity.toml"), policy).unwrap();
        let out = envparity().arg("check").arg(dir.path()).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn explain_prints_rule_docs() {
    let out = envparity().args(["explain", "EP004"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# EP004 secret-reused-across-environments\n"),
        "{text}"
    );
    assert!(text.contains("## How to fix"));
    assert!(text.ends_with("Default severity: error\n"));
    let by_name = envparity()
        .args(["explain", "mutable-image-tag"])
        .output()
        .unwrap();
    assert!(String::from_utf8(by_name.stdout)
        .unwrap()
        .starts_with("# EP006"));
    let list = String::from_utf8(
        envparity()
            .args(["explain", "--list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(list.lines().count(), envparity::rules::RULES.len());
    assert!(list
        .lines()
        .next()
        .unwrap()
        .starts_with("EP001  cross-environment-reference"));
    let unknown = envparity().args(["explain", "EP999"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn init_writes_a_starting_policy_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "docker-compose.staging.yml",
        "docker-compose.production.yml",
    ] {
        std::fs::copy(
            format!("{}/examples/hazards/{f}", env!("CARGO_MANIFEST_DIR")),
            dir.path().join(f),
        )
        .unwrap();
    }
    let printed = envparity()
        .args(["init", "--stdout"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(printed.stdout).unwrap();
    assert!(
        text.contains("order = [\"staging\", \"production\"]"),
        "{text}"
    );
    assert!(text.contains("# service = \"mailhog\""), "{text}");
    assert!(
        !dir.path().join("envparity.toml").exists(),
        "--stdout writes nothing"
    );
    assert!(!text.contains("7Hq2mXv9Lr4pZt8Kw3Ns"));

    let written = envparity().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(written.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("envparity.toml")).unwrap(),
        text
    );
    let again = envparity().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");
    // The generated file is a valid policy.
    let checked = envparity().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(
        checked.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn check_formats_for_ci() {
    let run = |format: &str| {
        let out = envparity()
            .args(["check", "examples/hazards", "--format", format])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, sarif) = run("sarif");
    assert_eq!(
        code, 1,
        "the gate decides the exit code whatever the format"
    );
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let (_, json) = check_json("examples/hazards");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        json["findings"].as_array().unwrap().len()
    );
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        envparity::rules::RULES.len()
    );
    let (code, junit) = run("junit");
    assert_eq!(code, 1);
    assert!(
        junit.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envparity\""
        ),
        "{junit}"
    );
    assert!(junit.contains(
        "<testcase classname=\"envparity.staging\" name=\"EP001 cross-environment-reference: production web env.DATABASE_URL\" file=\"docker-compose.production.yml\" line=\"7\">"
    ));
    let (code, md) = run("md");
    assert_eq!(code, 1);
    assert!(
        md.starts_with("<!-- envparity-comment -->\n## ❌ envparity: parity check failed"),
        "{md}"
    );
    assert!(md.chars().count() <= 65_000);
    let (code, md) = {
        let out = envparity()
            .args(["check", "examples/job-finder", "--format", "md"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    assert_eq!(code, 0);
    assert!(md.starts_with("<!-- envparity-comment -->\n## ✅"), "{md}");
}

#[test]
fn kubernetes_examples_report_the_hazards_their_seeds_describe() {
    // Flux (seed 004): plaintext chart passwords and connection strings, a `latest` tag, and a
    // production ingress whose host names staging. HA, backups and monitoring in production
    // only are declared intended in its policy.
    let (code, doc) = check_json("examples/flux-platform");
    assert_eq!(code, 1);
    let mut got = findings(&doc);
    got.sort();
    assert_eq!(
        got,
        vec![
            f(
                "EP001",
                "production",
                "super-todo",
                "values.ingress.hosts[0].host"
            ),
            f(
                "EP001",
                "production",
                "super-todo",
                "values.ingress.tls[0].hosts"
            ),
            f("EP002", "production", "redis", "values.password"),
            f(
                "EP002",
                "production",
                "super-todo",
                "values.env.DATABASE_URL"
            ),
            f("EP002", "production", "super-todo", "values.env.REDIS_URL"),
            f("EP002", "staging", "redis", "values.auth.password"),
            f("EP002", "staging", "super-todo", "values.env.DATABASE_URL"),
            f("EP002", "staging", "super-todo", "values.env.REDIS_URL"),
            f("EP003", "production", "redis", "values.password"),
            f(
                "EP003",
                "production",
                "super-todo",
                "values.env.DATABASE_URL"
            ),
            f("EP003", "production", "super-todo", "values.env.REDIS_URL"),
            f("EP006", "production", "super-todo", "image"),
            // Environment-wide resources one environment lacks (network policies, the
            // disruption budget) are EP011 too; staging's missing TLS block is one finding.
            f(
                "EP011",
                "production",
                "",
                "networkpolicy.allow-internal.ingress[0].from[0].podSelector"
            ),
            f(
                "EP011",
                "staging",
                "",
                "networkpolicy.allow-internal.egress[0].to[0].podSelector"
            ),
            f(
                "EP011",
                "staging",
                "",
                "networkpolicy.allow-internal.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes.io/metadata.name"
            ),
            f(
                "EP011",
                "staging",
                "",
                "networkpolicy.allow-internal.ingress[0].from[1].podSelector"
            ),
            f("EP011", "staging", "", "networkpolicy.default-deny"),
            f("EP011", "staging", "super-todo", "values.ingress.tls[0]"),
        ]
    );
    // Kustomize (seed 003): secrets generated from literals committed in every overlay, one
    // a development placeholder, and a worker without probes.
    let (code, doc) = check_json("examples/kustomize-shop");
    assert_eq!(code, 1);
    let mut got = findings(&doc);
    got.sort();
    assert_eq!(
        got,
        vec![
            f("EP002", "development", "backend", "env.SECRET_KEY"),
            f("EP002", "development", "backend", "env.STRIPE_SECRET_KEY"),
            f("EP002", "production", "backend", "env.SECRET_KEY"),
            f("EP002", "production", "backend", "env.STRIPE_SECRET_KEY"),
            f("EP002", "staging", "backend", "env.SECRET_KEY"),
            f("EP002", "staging", "backend", "env.STRIPE_SECRET_KEY"),
            f("EP003", "development", "backend", "env.SECRET_KEY"),
            f("EP008", "production", "celery-worker", ""),
            // What the overlays add or leave out on the shared base (a PodDisruptionBudget,
            // a ServiceMonitor, TLS, quotas) is theirs on purpose: no EP011.
        ]
    );
    assert!(
        doc["score"]["overall"].as_f64().unwrap() >= 70.0,
        "{}",
        doc["score"]["overall"]
    );
}

#[test]
fn terraform_example_is_clean() {
    let (code, doc) = check_json("examples/terraform-workspaces");
    assert_eq!(findings(&doc), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn a_command_line_is_judged_by_its_flags() {
    let verdict = |staging: &str, production: &str| -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("docker-compose.staging.yml"),
            format!("services:\n  web:\n    image: app:1\n    command: {staging}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("docker-compose.production.yml"),
            format!("services:\n  web:\n    image: app:1\n    command: {production}\n"),
        )
        .unwrap();
        let out = envparity()
            .args(["check", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = doc["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["aspect"] == "command")
            .unwrap();
        d["verdict"].as_str().unwrap().to_string()
    };
    // Only --workers differs, and worker counts are scale: the line is intended too.
    assert_eq!(
        verdict(
            "gunicorn app.wsgi --workers 4",
            "gunicorn app.wsgi --workers 17"
        ),
        "intended"
    );
    // Another application module: `gunicorn.app` drifts, and so does the line.
    assert_eq!(
        verdict(
            "gunicorn app.wsgi --workers 4",
            "gunicorn legacy.wsgi --workers 17"
        ),
        "drift"
    );
}

#[test]
fn exit_zero_soft_fails_the_gate_but_not_bad_input() {
    let code = |args: &[&str]| envparity().args(args).output().unwrap().status.code();
    assert_eq!(code(&["check", "examples/hazards"]), Some(1));
    assert_eq!(code(&["check", "examples/hazards", "--exit-zero"]), Some(0));
    let missing = [
        "check",
        "examples/hazards",
        "--exit-zero",
        "--env",
        "staging=nope.yml",
    ];
    assert_eq!(code(&missing), Some(2));
}

#[test]
fn sarif_paths_are_relative_to_the_repository_root() {
    let out = envparity()
        .args(["check", "examples/hazards", "--format", "sarif"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        for loc in r["locations"].as_array().unwrap() {
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(uri.starts_with("examples/hazards/"), "{uri}");
        }
        let fp = r["partialFingerprints"]["envparity/v2"].as_str().unwrap();
        assert_eq!(fp.len(), 32);
    }
}

/// The check document (schema version 2) of two examples, whole: the judgement and what
/// differs, never the settings that are the same everywhere.
#[test]
fn check_json_snapshots() {
    for example in ["hazards", "job-finder"] {
        let out = envparity()
            .args(["check", &format!("examples/{example}"), "--format", "json"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("{\n  \"schema_version\": 2,\n  \"document\": \"check\","));
        insta::assert_snapshot!(format!("check_json_{}", example.replace('-', "_")), text);
    }
}
