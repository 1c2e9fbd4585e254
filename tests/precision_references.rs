//! Precision of the reference rules (EP001 cross-environment-reference, EP014
//! shared-state-between-environments, EP018 dangling-reference) on repository shapes seen in
//! the wild (each fixture written here, minimal): what they must not report, and what they must.

mod common;
use common::{json_in, repo};
use serde_json::Value;

/// `check --format json` findings of `rule`: (environment, service, setting, severity).
fn found(rule: &str, files: &[(&str, &str)]) -> Vec<(String, String, String, String)> {
    let dir = repo(files);
    let (doc, _) = json_in(dir.path(), &["check", ".", "--format", "json"]);
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut list: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                text(&f["environment"]),
                text(&f["service"]),
                text(&f["setting"]),
                text(&f["severity"]),
            )
        })
        .collect();
    list.sort();
    list
}

fn at(env: &str, service: &str, setting: &str, severity: &str) -> (String, String, String, String) {
    (
        env.to_string(),
        service.to_string(),
        setting.to_string(),
        severity.to_string(),
    )
}

/// A web service with these environment variables.
fn web(vars: &str) -> String {
    format!("services:\n  web:\n    image: app:1\n    environment:\n{vars}")
}

#[test]
fn ep001_reads_environment_words_as_whole_names() {
    let files = [
        (
            "docker-compose.development.yml",
            web("      EDITOR_URL: http://localhost:3000\n"),
        ),
        (
            "docker-compose.staging.yml",
            web("      EDITOR_URL: https://editor.example.dev\n      CERT_ISSUER_NAME: letsencrypt-prod\n      ACCOUNT_NAME: non-prod\n      EVENTS_QUEUE: ${TEST_EVENTS_QUEUE}\n"),
        ),
        (
            "docker-compose.production.yml",
            format!(
                "{}volumes:\n  data:\n    driver: local\n",
                web("      EDITOR_URL: https://editor.example.com\n      CERT_ISSUER_NAME: letsencrypt-prod\n      REPORTS_URL: https://reports.staging.example.com/api\n")
            ),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    assert_eq!(
        found("EP001", &files),
        vec![at("production", "web", "env.REPORTS_URL", "error")]
    );
}

#[test]
fn ep001_a_value_naming_every_environment_that_holds_it_is_no_reference() {
    let sync = web("      SYNC_TOPIC_NAME: prod-staging-sync\n");
    let files = [
        ("docker-compose.staging.yml", sync.as_str()),
        ("docker-compose.production.yml", sync.as_str()),
    ];
    assert_eq!(found("EP001", &files), vec![]);
}

#[test]
fn ep001_agrees_with_the_verdict_on_values_differing_only_by_environment_name() {
    // The staging tier calls itself `dev` in every host, beside production's and the laptop's.
    let dev =
        web("      API_HOST: http://localhost:8000\n      AUTH_HOST: http://localhost:9000\n");
    let staging =
        web("      API_HOST: https://api-dev.example.com\n      AUTH_HOST: https://auth-dev.example.com\n      DB_HOST: db.prod.internal\n");
    let production =
        web("      API_HOST: https://api.example.com\n      AUTH_HOST: https://auth.example.com\n      DB_HOST: db.staging.internal\n");
    let files = [
        ("docker-compose.development.yml", dev.as_str()),
        ("docker-compose.staging.yml", staging.as_str()),
        ("docker-compose.production.yml", production.as_str()),
    ];
    // Swapped names still name the other environment.
    assert_eq!(
        found("EP001", &files),
        vec![
            at("production", "web", "env.DB_HOST", "error"),
            at("staging", "web", "env.DB_HOST", "error"),
        ]
    );
}

#[test]
fn ep014_ignores_flags_sizes_in_stack_hosts_code_and_anonymous_mounts() {
    let service = "services:\n  app:\n    image: app:1\n    environment:\n      CREATE_BUCKET: \"false\"\n      BUCKET_SIZE_GB: \"0.5\"\n      MEDIA_BUCKET_URL: http://minio:9000\n      CACHE_URL: redis://redis:6379/0\n    volumes: ['./src:/app/src', '.:/code', '/app/node_modules']\n";
    let files = [
        ("docker-compose.staging.yml", service),
        ("docker-compose.production.yml", service),
    ];
    assert_eq!(found("EP014", &files), vec![]);
}

#[test]
fn ep014_ignores_terraform_expressions() {
    let component = "include \"root\" {\n  path = find_in_parent_folders()\n}\ninputs = {\n  asset_bucket_id = dependency.storage.outputs.asset_bucket_id\n  shared_bucket = \"acme-shared-assets\"\n}\n";
    let files = [
        ("live/staging/cdn/terragrunt.hcl", component),
        ("live/production/cdn/terragrunt.hcl", component),
        ("live/root.hcl", "inputs = {}\n"),
    ];
    let shared: Vec<_> = found("EP014", &files)
        .into_iter()
        .map(|(env, _, setting, _)| (env, setting))
        .collect();
    assert_eq!(
        shared,
        vec![(
            "production".to_string(),
            "terraform.shared_bucket".to_string()
        )]
    );
}

#[test]
fn ep014_bucket_identity_includes_its_endpoint() {
    let app = |endpoint: &str| {
        format!("services:\n  app:\n    image: app:1\n    environment:\n      STORAGE_ENDPOINT: {endpoint}\n      STORAGE_BUCKET: uploads\n")
    };
    let (staging, production) = (
        app("https://s3.staging.example.com"),
        app("https://s3.example.com"),
    );
    let files = [
        ("docker-compose.staging.yml", staging.as_str()),
        ("docker-compose.production.yml", production.as_str()),
    ];
    assert_eq!(found("EP014", &files), vec![]);
}

#[test]
fn ep014_same_compose_project_mounting_another_environments_volume() {
    let db = |volume: &str| {
        format!("services:\n  db:\n    image: postgres:16\n    volumes: ['{volume}:/var/lib/postgresql/data']\nvolumes:\n  {volume}: {{}}\n")
    };
    let (staging, production) = (db("production_pgdata"), db("production_pgdata"));
    let files = [
        ("deploy/docker-compose.staging.yml", staging.as_str()),
        ("deploy/docker-compose.production.yml", production.as_str()),
    ];
    assert_eq!(
        found("EP014", &files),
        vec![at(
            "staging",
            "db",
            "volumes./var/lib/postgresql/data",
            "error"
        )]
    );
    // Under their own project names the volumes are `shop-staging_…` and `shop_…`.
    let named = |name: &str, text: &str| format!("name: {name}\n{text}");
    let (staging, production) = (named("shop-staging", &staging), named("shop", &production));
    let files = [
        ("deploy/docker-compose.staging.yml", staging.as_str()),
        ("deploy/docker-compose.production.yml", production.as_str()),
    ];
    assert_eq!(found("EP014", &files), vec![]);
}

/// A stack with an nginx in front, proxying to `upstream`.
fn fronted(app: &str, upstream: &str) -> (String, String) {
    let compose = format!(
        "services:\n  {app}:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n      SEARCH_URL: http://search:9200\n  db:\n    image: postgres:16\n  nginx:\n    image: nginx:1.27\n    depends_on: [{app}]\n    volumes: ['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']\n"
    );
    let conf = format!("upstream backend {{\n  server {upstream}:8000 max_fails=3;\n}}\nserver {{\n  listen 80;\n  location / {{ proxy_pass http://backend; }}\n}}\n");
    (compose, conf)
}

#[test]
fn ep018_production_upstream_to_a_service_it_does_not_define() {
    let (staging, staging_conf) = fronted("app", "app");
    let (production, production_conf) = fronted("web1", "app");
    let files = [
        ("staging/docker-compose.staging.yml", staging.as_str()),
        ("staging/nginx.conf", staging_conf.as_str()),
        (
            "production/docker-compose.production.yml",
            production.as_str(),
        ),
        ("production/nginx.conf", production_conf.as_str()),
    ];
    assert_eq!(
        found("EP018", &files),
        vec![at(
            "production",
            "nginx",
            "nginx.upstream.backend.servers",
            "error"
        )]
    );
}

#[test]
fn ep018_dangling_database_url_is_a_warning() {
    let staging = "services:\n  db:\n    image: postgres:16\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n";
    let production = "services:\n  postgres:\n    image: postgres:16\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n      CACHE_URL: redis://cache.example.com:6379\n";
    let files = [
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
    ];
    assert_eq!(
        found("EP018", &files),
        vec![at("production", "web", "env.DATABASE_URL", "warning")]
    );
}
