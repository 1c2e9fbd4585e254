//! The Compose source through the library: one small repository per feature, asserting the
//! values and their provenance.

use envparity::discover;
use envparity::model::{Role, Scan, Service};
use envparity::sources::{self, Workspace};

fn scan(files: &[(&str, &str)]) -> Scan {
    try_scan(files).unwrap_or_else(|e| panic!("{e}"))
}

fn try_scan(files: &[(&str, &str)]) -> envparity::Result<Scan> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let ws = Workspace::open(dir.path())?;
    let plan = discover::discover(&ws)?;
    sources::load(&ws, &plan)
}

fn svc<'a>(scan: &'a Scan, env: &str, name: &str) -> &'a Service {
    scan.environments
        .iter()
        .find(|e| e.name == env)
        .unwrap_or_else(|| panic!("no environment {env}"))
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name} in {env}"))
}

fn setting(s: &Service, key: &str) -> (String, String, u32) {
    let st = s
        .settings
        .get(key)
        .unwrap_or_else(|| panic!("no setting {key}"));
    (
        st.display().to_string(),
        st.origin.file.to_string(),
        st.origin.line,
    )
}

#[test]
fn env_file_then_environment_with_provenance() {
    let s = scan(&[
        (
            "docker-compose.staging.yml",
            "services:\n  app:\n    image: app:1\n    env_file:\n      - app.env\n    environment:\n      - MODE=override\n      - EXTRA\n",
        ),
        ("app.env", "# comment\nMODE=from-file\nexport LEVEL='info'\n"),
    ]);
    let app = svc(&s, "staging", "app");
    assert_eq!(
        setting(app, "env.MODE"),
        ("override".into(), "docker-compose.staging.yml".into(), 7)
    );
    assert_eq!(
        setting(app, "env.LEVEL"),
        ("info".into(), "app.env".into(), 3)
    );
    assert_eq!(
        setting(app, "env.EXTRA").0,
        "",
        "a bare name takes its value from the shell"
    );
}

#[test]
fn base_and_override_merge_with_each_file_line() {
    let s = scan(&[
        (
            "docker-compose.yml",
            "x-logging: &logging\n  driver: json-file\nservices:\n  web:\n    image: app:${TAG:-1.0}\n    logging: *logging\n    environment:\n      DEBUG: '0'\n      LEVEL: info\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    environment:\n      LEVEL: warning\n    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '2', memory: 1G}\n",
        ),
        ("docker-compose.staging.yml", "services:\n  web:\n    scale: 2\n    cpus: 0.5\n    mem_limit: 256m\n    mem_reservation: 128m\n"),
    ]);
    let prod = svc(&s, "production", "web");
    assert_eq!(prod.image.as_ref().unwrap().value.to_string(), "app:1.0");
    assert_eq!(prod.instances.count, 3);
    assert_eq!(
        prod.instances.origin.as_ref().unwrap().to_string(),
        "docker-compose.production.yml:6"
    );
    assert_eq!(
        prod.resources.cpu_limit_millis.as_ref().unwrap().value,
        2000
    );
    assert_eq!(
        prod.resources.memory_limit_bytes.as_ref().unwrap().value,
        1 << 30
    );
    assert_eq!(
        setting(prod, "env.LEVEL"),
        ("warning".into(), "docker-compose.production.yml".into(), 4)
    );
    assert_eq!(
        setting(prod, "env.DEBUG"),
        ("0".into(), "docker-compose.yml".into(), 8)
    );
    assert_eq!(setting(prod, "logging.driver").1, "docker-compose.yml");

    let staging = svc(&s, "staging", "web");
    assert_eq!(staging.instances.count, 2, "legacy scale");
    assert_eq!(
        staging.resources.cpu_limit_millis.as_ref().unwrap().value,
        500
    );
    assert_eq!(
        staging.resources.memory_limit_bytes.as_ref().unwrap().value,
        256 << 20
    );
    assert_eq!(
        staging
            .resources
            .memory_reservation_bytes
            .as_ref()
            .unwrap()
            .value,
        128 << 20
    );
    assert!(
        staging.resources.cpu_reservation_millis.is_none(),
        "no reservation is not zero"
    );
}

#[test]
fn dotenv_beside_the_first_file_feeds_interpolation() {
    let s = scan(&[
        (
            "docker-compose.staging.yml",
            "services:\n  db:\n    image: postgres:${PG_MAJOR}\n    command: postgres -c max_connections=$${NOT_A_VAR}\n",
        ),
        (".env", "PG_MAJOR=16\n"),
    ]);
    let db = svc(&s, "staging", "db");
    assert_eq!(db.image.as_ref().unwrap().value.tag.as_deref(), Some("16"));
    assert_eq!(db.role, Role::Database);
    assert_eq!(setting(db, "postgres.max_connections").0, "${NOT_A_VAR}");
}

#[test]
fn unset_variables_become_empty_with_a_note() {
    let s = scan(&[(
        "docker-compose.staging.yml",
        "services:\n  a:\n    image: x\n    environment:\n      URL: ${MISSING_URL}\n",
    )]);
    assert_eq!(setting(svc(&s, "staging", "a"), "env.URL").0, "");
    assert!(s
        .notes
        .iter()
        .any(|n| n.message.contains("`MISSING_URL` is not set")));
}

#[test]
fn extends_and_profiles() {
    let s = scan(&[(
        "docker-compose.staging.yml",
        "services:\n  base:\n    image: app:2\n    environment: {A: '1'}\n  worker:\n    extends: base\n    command: celery -A proj worker --concurrency 3\n    environment: {B: '2'}\n  grafana:\n    image: grafana/grafana:10\n    profiles: [monitoring]\n",
    )]);
    let w = svc(&s, "staging", "worker");
    assert_eq!(w.image.as_ref().unwrap().value.to_string(), "app:2");
    assert_eq!(setting(w, "env.A").0, "1");
    assert_eq!(setting(w, "env.B").0, "2");
    assert_eq!(setting(w, "celery.concurrency").0, "3");
    assert_eq!(w.role, Role::Worker);
    let g = svc(&s, "staging", "grafana");
    assert!(g.is_optional());
    assert_eq!(g.role, Role::Monitoring);
}

#[test]
fn extends_cycles_and_missing_targets_are_errors() {
    let e = try_scan(&[(
        "docker-compose.staging.yml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
    )])
    .unwrap_err();
    assert!(e.message.contains("nests deeper"), "{e}");
    let e = try_scan(&[(
        "docker-compose.staging.yml",
        "services:\n  a:\n    extends: nope\n",
    )])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "docker-compose.staging.yml:3: `extends` names service `nope`, which does not exist"
    );
}

#[test]
fn secrets_in_commands_and_environment_are_masked() {
    let s = scan(&[(
        "docker-compose.production.yml",
        "services:\n  redis:\n    image: redis:7\n    command: redis-server --requirepass sup3r-s3cret-pw --maxmemory 1gb\n    environment:\n      REDIS_URL: redis://:sup3r-s3cret-pw@redis:6379/0\n",
    )]);
    let r = svc(&s, "production", "redis");
    let shown = format!("{:?}", r.settings);
    assert!(!shown.contains("sup3r-s3cret-pw"), "{shown}");
    assert_eq!(
        setting(r, "env.REDIS_URL").0,
        "redis://:********@redis:6379/0"
    );
    assert_eq!(
        setting(r, "command").0,
        "redis-server --requirepass ******** --maxmemory 1gb"
    );
    assert!(r.settings["redis.requirepass"].is_secret());
}

#[test]
fn top_level_networks_and_volumes_are_environment_settings() {
    let s = scan(&[(
        "docker-compose.staging.yml",
        "services:\n  a:\n    image: x\n    networks: [app-staging-net]\nnetworks:\n  app-staging-net:\n    driver: bridge\nvolumes:\n  data: {}\n",
    )]);
    let env = &s.environments[0];
    assert_eq!(
        env.settings["networks.app-staging-net.driver"].display(),
        "bridge"
    );
    assert_eq!(
        setting(svc(&s, "staging", "a"), "networks").0,
        "app-staging-net"
    );
}

#[test]
fn not_a_compose_file_is_an_error() {
    let e = try_scan(&[("docker-compose.staging.yml", "- just\n- a list\n")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("docker-compose.staging.yml:1: a Compose file must be a mapping"),
        "{e}"
    );
    let e = try_scan(&[("docker-compose.staging.yml", "servics: {}\n")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "docker-compose.staging.yml:1: unknown top-level Compose key `servics`"
    );
}

#[test]
fn flags_after_the_image_program_and_entrypoint_plus_command() {
    let s = scan(&[(
        "docker-compose.staging.yml",
        "services:\n  prometheus:\n    image: prom/prometheus:v2.48.0\n    command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=7d']\n  api:\n    image: acme/api:1\n    entrypoint: [uvicorn]\n    command: [main:app, --workers, '4']\n",
    )]);
    let p = svc(&s, "staging", "prometheus");
    assert_eq!(setting(p, "prometheus.storage.tsdb.retention.time").0, "7d");
    assert_eq!(
        p.settings["prometheus.storage.tsdb.retention.time"].quantity,
        Some(envparity::model::Quantity::Seconds(604_800.0))
    );
    let api = svc(&s, "staging", "api");
    assert_eq!(setting(api, "uvicorn.workers").0, "4");
    assert_eq!(setting(api, "uvicorn.app").0, "main:app");
    assert_eq!(setting(api, "entrypoint").0, "uvicorn");
    assert_eq!(api.role, Role::Web);
}

#[test]
fn unknown_keys_are_not_settings_and_counts_are_not_durations() {
    let s = scan(&[(
        "docker-compose.staging.yml",
        "services:\n  a:\n    image: x\n    colour: blue\n    healthcheck:\n      test: [CMD, true]\n      interval: 1m30s\n      retries: 3\n",
    )]);
    let a = svc(&s, "staging", "a");
    assert!(!a.settings.contains_key("colour"));
    assert!(s
        .notes
        .iter()
        .any(|n| n.message == "unknown Compose key `colour` in service `a` ignored"));
    assert_eq!(
        a.settings["healthcheck.interval"].quantity,
        Some(envparity::model::Quantity::Seconds(90.0))
    );
    assert_eq!(a.settings["healthcheck.retries"].quantity, None);
    assert_eq!(setting(a, "healthcheck.test").0, "CMD true");
}
