//! Comparison precision on repository shapes seen in the wild (each fixture written here,
//! minimal): server defaults stand for unset values, one cause is one EP011 finding,
//! environment names in keys align, booleans and Compose build forms compare as what they mean,
//! and one fact gets one verdict wherever it is written.

mod common;
use common::{envparity_in, repo};
use serde_json::Value;

/// `report --format json` of a repository.
fn report(files: &[(&str, &str)]) -> Value {
    let dir = repo(files);
    let out = envparity_in(dir.path())
        .args(["report", ".", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// EP011 findings: (environment, service, setting, message).
fn ep011(doc: &Value) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP011")
        .map(|f| {
            (
                text(&f["environment"]),
                text(&f["service"]),
                text(&f["setting"]),
                text(&f["message"]),
            )
        })
        .collect()
}

/// The difference row of `aspect` (of any service), if the aspect differs.
fn difference<'a>(doc: &'a Value, aspect: &str) -> Option<&'a Value> {
    doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["aspect"] == aspect)
}

const REDIS_STAGING: &str = "services:\n  redis:\n    image: redis:7.2\n";
const REDIS_PRODUCTION: &str = "services:\n  redis:\n    image: redis:7.2\n    command: redis-server /usr/local/etc/redis/redis.conf\n    volumes:\n      - ./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro\n";
const REDIS_CONF: &str = "timeout 0\ntcp-keepalive 300\nmaxmemory-policy allkeys-lru\nreplicaof primary 6379\nrename-command FLUSHALL \"\"\n";

#[test]
fn an_unset_server_setting_is_its_default() {
    let doc = report(&[
        ("docker-compose.staging.yml", REDIS_STAGING),
        ("docker-compose.production.yml", REDIS_PRODUCTION),
        ("redis/redis.conf", REDIS_CONF),
    ]);
    // At the default: the same, so no difference at all.
    assert!(difference(&doc, "redis.timeout").is_none());
    assert!(difference(&doc, "redis.tcp_keepalive").is_none());
    // Not at the default: a difference against the default, which the row names.
    let policy = difference(&doc, "redis.maxmemory_policy").unwrap();
    assert_eq!(policy["status"], "different");
    assert_eq!(policy["values"]["staging"]["value"], "noeviction");
    assert_eq!(
        policy["notes"][0],
        "`redis.maxmemory_policy` default noeviction (Redis 7)"
    );
    let settings: Vec<String> = ep011(&doc).into_iter().map(|f| f.2).collect();
    assert!(
        !settings
            .iter()
            .any(|s| s == "redis.timeout" || s == "redis.maxmemory_policy"),
        "{settings:?}"
    );
}

#[test]
fn one_missing_file_is_one_finding() {
    let doc = report(&[
        ("docker-compose.staging.yml", REDIS_STAGING),
        ("docker-compose.production.yml", REDIS_PRODUCTION),
        ("redis/redis.conf", REDIS_CONF),
    ]);
    let conf: Vec<_> = ep011(&doc)
        .into_iter()
        .filter(|f| f.3.starts_with("`redis/redis.conf`"))
        .collect();
    assert_eq!(conf.len(), 1, "{conf:?}");
    let (env, service, _, message) = &conf[0];
    assert_eq!((env.as_str(), service.as_str()), ("staging", "redis"));
    assert!(message.contains("`redis.replicaof`"), "{message}");
    assert!(message.contains("`redis.rename_command`"), "{message}");
}

#[test]
fn a_missing_block_is_one_finding() {
    let staging = "services:\n  app:\n    image: app:1\n    labels:\n      team: web\n";
    let production = "services:\n  app:\n    image: app:1\n    labels:\n      team: web\n    logging:\n      driver: json-file\n      options:\n        max-size: 10m\n        max-file: '3'\n";
    let doc = report(&[
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
    ]);
    let found = ep011(&doc);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, "logging");
    assert!(found[0].3.contains("3 settings"), "{}", found[0].3);
}

#[test]
fn environment_names_in_keys_align_without_merging_or_renaming() {
    let env = |e: &str, extra: &str| {
        format!("services:\n  app:\n    image: app:1\n    labels:\n      secrets-{e}.url: https://x\n{extra}")
    };
    let staging = env(
        "staging",
        "      dev_account_id: '1'\n      staging_account_id: '2'\n      production_account_id: '3'\n",
    );
    let production = env(
        "production",
        "      dev_account_id: '1'\n      staging_account_id: '2'\n      production_account_id: '3'\n",
    );
    let doc = report(&[
        ("docker-compose.staging.yml", &staging),
        ("docker-compose.production.yml", &production),
    ]);
    assert_eq!(ep011(&doc), vec![], "aligned: nothing is missing");
    let app = common::service(&doc, "app");
    let staging_settings = &app["envs"]["staging"]["settings"];
    // The real keys are kept; three accounts stay three settings.
    assert!(staging_settings.get("labels.secrets-staging.url").is_some());
    for k in [
        "dev_account_id",
        "staging_account_id",
        "production_account_id",
    ] {
        assert!(staging_settings.get(format!("labels.{k}")).is_some(), "{k}");
    }
    let alignment: Vec<&str> = app["alignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        alignment.contains(&"settings under `labels.secrets-staging` (staging), `labels.secrets-production` (production) compared as one (environment names in setting keys)"),
        "{alignment:?}"
    );
}

#[test]
fn two_keys_of_one_environment_are_never_merged() {
    let staging = "services:\n  app:\n    image: app:1\n    environment:\n      DEV_ACCOUNT_ID: '1'\n      STAGING_ACCOUNT_ID: '2'\n";
    let production =
        "services:\n  app:\n    image: app:1\n    environment:\n      PRODUCTION_ACCOUNT_ID: '3'\n";
    let doc = report(&[
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
    ]);
    let settings: Vec<String> = ep011(&doc).into_iter().map(|f| f.2).collect();
    // Staging's two collide, so each stays its own key; production's one stays apart too.
    assert!(
        settings.contains(&"env.DEV_ACCOUNT_ID".to_string()),
        "{settings:?}"
    );
    assert!(
        settings.contains(&"env.STAGING_ACCOUNT_ID".to_string()),
        "{settings:?}"
    );
}

#[test]
fn booleans_compare_by_meaning() {
    let doc = report(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n    environment: {SESSION_COOKIE_SECURE: '1', FEATURE: 'on'}\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n    environment: {SESSION_COOKIE_SECURE: 'True', FEATURE: 'off'}\n",
        ),
    ]);
    assert!(difference(&doc, "env.SESSION_COOKIE_SECURE").is_none());
    assert_eq!(
        difference(&doc, "env.FEATURE").unwrap()["status"],
        "different"
    );
}

#[test]
fn one_fact_one_verdict() {
    let doc = report(&[
        (
            "docker-compose.staging.yml",
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c wal_buffers=4MB\n    environment: {POSTGRES_MAX_CONNECTIONS: '50'}\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c wal_buffers=16MB\n    environment: {POSTGRES_MAX_CONNECTIONS: '200'}\n",
        ),
    ]);
    for aspect in ["env.POSTGRES_MAX_CONNECTIONS", "postgres.wal_buffers"] {
        let d = difference(&doc, aspect).unwrap();
        assert_eq!(d["verdict"], "intended", "{aspect}: {d}");
    }
}

#[test]
fn environment_wide_settings_missing_are_findings() {
    let doc = report(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n",
        ),
        (".env.staging", "A=1\nLOG_LEVEL=debug\n"),
        (".env.production", "A=1\n"),
    ]);
    let found = ep011(&doc);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].2.as_str()),
        ("production", "env.LOG_LEVEL")
    );
}

#[test]
fn compose_build_short_and_long_forms_are_one_setting() {
    let doc = report(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    build: ./app\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    build:\n      context: ./app\n      dockerfile: Dockerfile\n",
        ),
    ]);
    assert!(difference(&doc, "build.context").is_none());
    assert!(difference(&doc, "build").is_none());
    assert!(difference(&doc, "build.dockerfile").is_none());
    assert_eq!(ep011(&doc), vec![]);
}
