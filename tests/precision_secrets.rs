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
    let env = "      API_TOKEN: REPLACE_ME_IN_PRODUCTION\n      DB_PASSWORD: <password>\n";
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
                "env.DB_PASSWORD",
                "docker-compose.production.yml:6"
            ),
            f(
                "EP003",
                "staging",
                "env.API_TOKEN",
                "docker-compose.staging.yml:5"
            ),
            f(
                "EP003",
                "staging",
                "env.DB_PASSWORD",
                "docker-compose.staging.yml:6"
            ),
        ]
    );
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
        ["variables.tf:9"],
        "{got:?}"
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
