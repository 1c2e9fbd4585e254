//! Secret rules (EP002, EP003, EP004) on repository shapes that used to give false findings,
//! each fixture written here, minimal: names of secrets read as values, encrypted or external
//! values, placeholders, properties of secrets, placeholder sentinels, and one shared place
//! reported once.

mod common;
use common::{json_in, repo};
use serde_json::Value;

/// `check --format json` of a repository, and its raw output (to look for leaked values).
fn check(files: &[(&str, &str)]) -> (Vec<Value>, String) {
    let dir = repo(files);
    let (doc, text) = json_in(dir.path(), &["check", ".", "--format", "json"]);
    (doc["findings"].as_array().unwrap().clone(), text)
}

/// The (rule, environment, setting, file:line) of each secret finding, sorted.
fn secret_findings(findings: &[Value]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f["rule"].as_str(), Some("EP002" | "EP003" | "EP004")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["environment"].as_str().unwrap_or("").to_string(),
                f["setting"].as_str().unwrap_or("").to_string(),
                format!("{}:{}", f["file"].as_str().unwrap_or(""), f["line"]),
            )
        })
        .collect();
    v.sort();
    v
}

fn f(rule: &str, env: &str, setting: &str, at: &str) -> (String, String, String, String) {
    (rule.into(), env.into(), setting.into(), at.into())
}

/// Two Compose environments whose `app` service has `staging` and `production` environment
/// blocks.
fn compose_pair(staging: &str, production: &str) -> Vec<(String, String)> {
    let file = |env: &str| format!("services:\n  app:\n    image: app:1\n    environment:\n{env}");
    vec![
        ("docker-compose.staging.yml".into(), file(staging)),
        ("docker-compose.production.yml".into(), file(production)),
    ]
}

fn refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

#[test]
fn names_of_secrets_and_their_keys_are_not_secret_values() {
    let values = "image:\n  repository: app\n  tag: \"1\"\nnamespace_secrets:\n  app-secrets:\n    API_KEY: api_key\n    DB_PASSWORD: db_password\nauth:\n  existingSecretPasswordKey: password\n  secretKeys:\n    userPasswordKey: password\ningress:\n  annotations:\n    nginx.ingress.kubernetes.io/auth-tls-secret: apps/client-ca\n";
    let (findings, _) = check(&[
        (
            "helm_deploy/app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        ),
        ("helm_deploy/app/values.yaml", values),
        ("helm_deploy/values-staging.yaml", "replicaCount: 1\n"),
        ("helm_deploy/values-production.yaml", "replicaCount: 2\n"),
    ]);
    assert_eq!(secret_findings(&findings), vec![]);
}

#[test]
fn encrypted_and_external_values_are_not_plaintext() {
    let env = "      DB_PASSWORD: ENC[AES256_GCM,data:q3Zx9,iv:ab,tag:cd,type:str]\n      API_TOKEN: vault:secret/data/app#token\n      SMTP_PASSWORD: arn:aws:secretsmanager:eu-west-1:123456789012:secret:smtp\n      GH_TOKEN: ref+awssm://app/gh\n";
    let files = compose_pair(env, env);
    let (findings, _) = check(&refs(&files));
    assert_eq!(secret_findings(&findings), vec![]);
}

#[test]
fn properties_of_secrets_and_switches_are_not_secrets() {
    let env = "      PASSWORD_MIN_LENGTH: \"12\"\n      ACCESS_TOKEN_TTL: \"3600\"\n      SECRET_ROTATION_DAYS: \"30\"\n      TOKEN_VALIDITY_IN_SECONDS: \"86400\"\n      TLS_KEY_FILE: /run/secrets/tls\n      TOKEN_AUTH_ENABLED: \"true\"\n      WEBHOOK_TIMEOUT_SECONDS: \"10\"\n      DISABLE_WEBHOOK_EVENTS: \"true\"\n      TOKEN_HEADER: Authorization\n";
    let files = compose_pair(env, env);
    let (findings, out) = check(&refs(&files));
    assert_eq!(secret_findings(&findings), vec![]);
    assert!(!out.contains("weak secret"));
}

#[test]
fn placeholders_are_weak_not_plaintext_nor_reused() {
    // A placeholder holds no secret (no EP002), is the same text rather than the same secret
    // (no EP004), and matters where it is deployed for real: EP003, a warning, in the
    // production-like environment only.
    let env = "      API_TOKEN: REPLACE_ME_IN_PRODUCTION\n      DB_PASSWORD: <password>\n      AWS_ACCESS_KEY_ID: test\n      PAY_PRIVATE_KEY: your payPrivateKey\n";
    let files = compose_pair(env, env);
    let (findings, _) = check(&refs(&files));
    assert_eq!(
        secret_findings(&findings),
        vec![
            f(
                "EP003",
                "production",
                "env.API_TOKEN",
                "docker-compose.production.yml:5"
            ),
            f(
                "EP003",
                "production",
                "env.AWS_ACCESS_KEY_ID",
                "docker-compose.production.yml:7"
            ),
            f(
                "EP003",
                "production",
                "env.DB_PASSWORD",
                "docker-compose.production.yml:6"
            ),
            f(
                "EP003",
                "production",
                "env.PAY_PRIVATE_KEY",
                "docker-compose.production.yml:8"
            ),
        ]
    );
    for finding in findings.iter().filter(|f| f["rule"] == "EP003") {
        assert_eq!(finding["severity"], "warning", "{finding:#?}");
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains("is a placeholder left where a secret goes, not a secret: production runs with it unless the deployment supplies the real one"),
            "{message}"
        );
    }
}

#[test]
fn a_redaction_marker_is_no_secret_and_not_weak() {
    // `***REMOVED***` is what a history scrub leaves: the real value lives elsewhere.
    let env = "      POSTGRES_PASSWORD: \"***REMOVED***\"\n";
    let files = compose_pair(env, env);
    let (findings, _) = check(&refs(&files));
    assert_eq!(secret_findings(&findings), vec![]);
}

#[test]
fn the_same_compose_fallback_default_is_weak_not_reused() {
    let env = "      ADMIN_PASSWORD: ${UNSET_ADMIN_PASSWORD:-admin}\n";
    let files = compose_pair(env, env);
    let (findings, out) = check(&refs(&files));
    assert_eq!(
        secret_findings(&findings),
        vec![
            f(
                "EP003",
                "production",
                "env.ADMIN_PASSWORD",
                "docker-compose.production.yml:5"
            ),
            f(
                "EP003",
                "staging",
                "env.ADMIN_PASSWORD",
                "docker-compose.staging.yml:5"
            ),
        ]
    );
    assert!(out.contains("falls back to a weak secret when its variable is unset"));
}

#[test]
fn terraform_placeholder_defaults_are_required_inputs() {
    // `sensitive` variables whose defaults stand for values CI supplies: a marker, base64 of a
    // marker (`prodonly`), a made-up identifier. A real weak default still is EP003 (once, at
    // its place, never "reused"), and a placeholder an environment's own tfvars sets is EP003
    // where that environment is production-like.
    let vars = "variable \"hook\" {\n  sensitive = true\n  default   = \"changeme\"\n}\nvariable \"token\" {\n  sensitive = true\n  default   = \"stagingonly\"\n}\nvariable \"env_json\" {\n  sensitive = true\n  default   = \"cHJvZG9ubHk=\"\n}\nvariable \"distribution\" {\n  sensitive = true\n  default   = \"D0123456789XYZ\"\n}\nvariable \"db_password\" {\n  sensitive = true\n  default   = \"admin\"\n}\nvariable \"perf_key\" {\n  sensitive = true\n}\n";
    let (findings, _) = check(&[
        ("main.tf", "resource \"x\" \"y\" {}\n"),
        ("variables.tf", vars),
        ("staging.tfvars", "perf_key = \"Zq8mT2vLp9wR4sK1xYqq\"\n"),
        ("production.tfvars", "perf_key = \"changeme\"\n"),
    ]);
    let got = secret_findings(&findings);
    assert_eq!(
        got,
        vec![
            f(
                "EP002",
                "staging",
                "terraform.db_password",
                "variables.tf:19"
            ),
            f("EP002", "staging", "terraform.perf_key", "staging.tfvars:1"),
            f(
                "EP003",
                "production",
                "terraform.perf_key",
                "production.tfvars:1"
            ),
            f(
                "EP003",
                "staging",
                "terraform.db_password",
                "variables.tf:19"
            ),
        ],
        "{got:?}"
    );
}

#[test]
fn a_development_profiles_credentials_for_loopback_services_are_a_laptops() {
    // Spring `dev` profile reaching its database, broker and object store on localhost: a
    // laptop's credentials. The production profile's same weak credentials still fire, and
    // the same value in both is still reused.
    let dev = "spring:\n  datasource:\n    url: jdbc:mysql://localhost:3306/shop\n    password: root\n    druid:\n      stat-view-servlet:\n        login-password: druid\n  rabbitmq:\n    host: localhost\n    virtual-host: /shop\n    password: shop\nstore:\n  endpoint: http://127.0.0.1:9000\n  secretKey: storeadmin\n";
    let prod = "spring:\n  datasource:\n    url: jdbc:mysql://db:3306/shop\n    password: root\n  rabbitmq:\n    host: rabbit\n    password: shop\n";
    let (findings, _) = check(&[
        (
            "src/main/resources/application.yml",
            "server:\n  port: 8080\n",
        ),
        ("src/main/resources/application-dev.yml", dev),
        ("src/main/resources/application-prod.yml", prod),
    ]);
    let got = secret_findings(&findings);
    assert_eq!(
        got.iter()
            .filter(|(_, env, ..)| env == "development")
            .count(),
        0,
        "{got:?}"
    );
    for rule in ["EP002", "EP003", "EP004"] {
        for key in [
            "config.spring.datasource.password",
            "config.spring.rabbitmq.password",
        ] {
            assert!(
                got.iter()
                    .any(|(r, env, k, _)| r == rule && env == "production" && k == key),
                "{rule} {key}: {got:?}"
            );
        }
    }
}

#[test]
fn an_unexpanded_placeholder_in_sentinel_conf_is_itself_the_password() {
    let compose = "services:\n  sentinel:\n    image: redis:7\n    command: redis-sentinel /usr/local/etc/redis/sentinel.conf\n    volumes:\n      - ./redis/sentinel.conf:/usr/local/etc/redis/sentinel.conf\n";
    let (findings, out) = check(&[
        ("docker-compose.staging.yml", compose),
        ("docker-compose.production.yml", compose),
        (
            "redis/sentinel.conf",
            "sentinel monitor primary 10.0.0.5 6379 2\nsentinel auth-pass primary ${REDIS_PASSWORD}\n",
        ),
    ]);
    let ep002: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "EP002").collect();
    assert_eq!(ep002.len(), 1, "{findings:#?}");
    assert_eq!(ep002[0]["setting"], "redis.sentinel.auth_pass");
    let message = ep002[0]["message"].as_str().unwrap();
    assert!(
        message.contains("placeholder text itself is the secret"),
        "{message}"
    );
    assert!(!findings.iter().any(|f| f["rule"] == "EP003"));
    assert!(!out.contains("REDIS_PASSWORD"));
}

#[test]
fn real_secrets_still_fire_and_are_never_printed() {
    let canary = "Zq8mT2vLp9wR4sK1xYcanary";
    let env = format!("      API_TOKEN: {canary}\n");
    let files = compose_pair(&env, &env);
    let (findings, out) = check(&refs(&files));
    assert_eq!(
        secret_findings(&findings),
        vec![
            f(
                "EP002",
                "production",
                "env.API_TOKEN",
                "docker-compose.production.yml:5"
            ),
            f(
                "EP002",
                "staging",
                "env.API_TOKEN",
                "docker-compose.staging.yml:5"
            ),
            f(
                "EP004",
                "production",
                "env.API_TOKEN",
                "docker-compose.production.yml:5"
            ),
        ]
    );
    assert!(!out.contains(canary), "a secret value is never printed");
}

#[test]
fn spring_placeholders_are_references_and_a_weak_default_is_ep003() {
    let base = "spring:\n  datasource:\n    password: \"${DB_PASSWORD}\"\n  flyway:\n    password: \"${FLYWAY_PASSWORD:}\"\n";
    let profile = "auth:\n  secret: \"${AUTH_SECRET:local-key}\"\n";
    let (findings, out) = check(&[
        ("src/main/resources/application.yml", base),
        ("src/main/resources/application-staging.yml", profile),
        ("src/main/resources/application-prod.yml", profile),
    ]);
    let got = secret_findings(&findings);
    assert!(
        got.iter().all(|(rule, ..)| rule == "EP003"),
        "placeholders are references; a fallback default is not reused: {got:?}"
    );
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|(_, _, key, _)| key == "config.auth.secret"));
    assert!(out.contains("falls back to a weak secret"));
    assert!(!out.contains("local-key"), "a default is never printed");
}

#[test]
fn a_terraform_default_shared_by_environments_is_one_finding_at_its_place() {
    let vars = "variable \"api_token\" {\n  type      = string\n  sensitive = true\n  default   = \"Zq8mT2vLp9wR4sK1xYqq\"\n}\nvariable \"slack_token\" {\n  type      = string\n  sensitive = true\n  default   = \"prodonly\"\n}\nvariable \"region\" {\n  type = string\n}\n";
    let (findings, out) = check(&[
        ("main.tf", "resource \"x\" \"y\" {}\n"),
        ("variables.tf", vars),
        ("staging.tfvars", "region = \"a\"\n"),
        ("production.tfvars", "region = \"b\"\n"),
    ]);
    let got = secret_findings(&findings);
    let at = |rule: &str, key: &str| {
        got.iter()
            .filter(|(r, _, k, _)| r == rule && k == key)
            .map(|(.., at)| at.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        at("EP002", "terraform.api_token"),
        ["variables.tf:4"],
        "{got:?}"
    );
    assert_eq!(
        at("EP004", "terraform.api_token"),
        Vec::<String>::new(),
        "{got:?}"
    );
    assert_eq!(
        at("EP002", "terraform.slack_token"),
        Vec::<String>::new(),
        "{got:?}"
    );
    assert_eq!(
        at("EP003", "terraform.slack_token"),
        Vec::<String>::new(),
        "a placeholder default stands for a required input: {got:?}"
    );
    assert!(!out.contains("Zq8mT2vLp9wR4sK1xYqq"));
}

#[test]
fn an_unexpanded_placeholder_in_redis_conf_is_itself_the_password() {
    let compose = "services:\n  redis:\n    image: redis:7\n    command: redis-server /usr/local/etc/redis/redis.conf\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf\n";
    let (findings, out) = check(&[
        ("docker-compose.staging.yml", compose),
        ("docker-compose.production.yml", compose),
        (
            "redis/redis.conf",
            "maxmemory 256mb\nrequirepass ${REDIS_PASSWORD}\n",
        ),
    ]);
    let ep002: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "EP002").collect();
    assert_eq!(ep002.len(), 1, "{findings:#?}");
    assert_eq!(ep002[0]["setting"], "redis.requirepass");
    assert_eq!(ep002[0]["line"], 2);
    let message = ep002[0]["message"].as_str().unwrap();
    assert!(
        message.contains("placeholder text itself is the secret"),
        "{message}"
    );
    assert!(!message.contains("written literally"));
    assert!(
        !findings.iter().any(|f| f["rule"] == "EP003"),
        "one fact, one finding: {findings:#?}"
    );
    assert!(
        !out.contains("REDIS_PASSWORD"),
        "the secret text is never printed"
    );
}
