//! Discovery on repository shapes seen in the wild (each fixture written here, minimal): which
//! environments exist, which files are behind each, and what is set aside and why.

mod common;
use common::{envparity_in, repo};
use serde_json::Value;

/// `discover --format json` of a repository: (environment, its files) and the skipped files.
fn discover(files: &[(&str, &str)]) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let dir = repo(files);
    let out = envparity_in(dir.path())
        .args(["discover", ".", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs = plan["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let files = e["sources"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["files"].as_array().unwrap())
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (e["name"].as_str().unwrap().to_string(), files)
        })
        .collect();
    let skipped = plan["skipped"]
        .as_array()
        .map(|a| {
            a.iter()
                .flat_map(|s| s["files"].as_array().unwrap())
                .map(|f| f.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    (envs, skipped)
}

fn env(name: &str, files: &[&str]) -> (String, Vec<String>) {
    (
        name.to_string(),
        files.iter().map(|f| f.to_string()).collect(),
    )
}

/// The local development file: source bind-mounted, the development server.
const DEV_BASE: &str = "services:\n  app:\n    build: .\n    volumes: ['.:/app']\n    command: python manage.py runserver 0.0.0.0:8000\n  celery:\n    build: .\n    volumes: ['.:/app']\n    command: celery -A proj worker\n";
/// A production file that runs on its own: its own names, an image or build for each.
const STANDALONE_PROD: &str = "services:\n  db:\n    image: postgres:17\n  web1:\n    build: .\n    command: gunicorn proj.wsgi -w 17\n  web2:\n    build: .\n    command: gunicorn proj.wsgi -w 17\n";
const STANDALONE_STAGING: &str = "services:\n  db:\n    image: postgres:17\n  web:\n    build: .\n    command: gunicorn proj.wsgi -w 4\n";

#[test]
fn standalone_files_beside_a_development_base_are_read_alone_and_the_base_is_local() {
    let (envs, skipped) = discover(&[
        ("docker-compose.yml", DEV_BASE),
        ("docker-compose.staging.yml", STANDALONE_STAGING),
        ("docker-compose.prod.yml", STANDALONE_PROD),
        ("docker-compose.coolify.yml", STANDALONE_PROD),
    ]);
    assert_eq!(
        envs,
        [
            env("local", &["docker-compose.yml"]),
            env("staging", &["docker-compose.staging.yml"]),
            env("production", &["docker-compose.prod.yml"]),
        ]
    );
    assert_eq!(skipped, ["docker-compose.coolify.yml"]);
}

#[test]
fn the_development_base_adds_no_phantom_services() {
    let dir = repo(&[
        ("docker-compose.yml", DEV_BASE),
        ("docker-compose.staging.yml", STANDALONE_STAGING),
        ("docker-compose.prod.yml", STANDALONE_PROD),
    ]);
    let out = envparity_in(dir.path())
        .args(["report", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs_of = |name: &str| -> Vec<String> {
        let service = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no service {name}"));
        let mut envs: Vec<String> = service["envs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k.clone())
            .collect();
        envs.sort();
        envs
    };
    // `app` and `celery` run locally only; staging and production have their own services.
    // Local `app` is built from the context `web` is built from (aligned as `web`); `celery`
    // has no counterpart.
    assert_eq!(envs_of("web"), ["local", "production", "staging"]);
    assert_eq!(envs_of("celery"), ["local"]);
    assert_eq!(envs_of("db"), ["production", "staging"]);
}

#[test]
fn an_override_of_a_plain_base_is_merged() {
    let base = "services:\n  web:\n    image: app:1\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n";
    let (envs, _) = discover(&[
        ("docker-compose.yml", base),
        (
            "docker-compose.prod.yml",
            "services:\n  web:\n    image: app:2\n    deploy: {replicas: 4}\n",
        ),
        // Tags for most base services: still an override.
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:2\n  db:\n    image: postgres:16\n",
        ),
    ]);
    assert_eq!(
        envs,
        [
            env(
                "staging",
                &["docker-compose.yml", "docker-compose.staging.yml"]
            ),
            env(
                "production",
                &["docker-compose.yml", "docker-compose.prod.yml"]
            ),
        ]
    );
}

#[test]
fn variants_become_environments_when_the_policy_names_them() {
    let (envs, skipped) = discover(&[
        ("docker-compose.staging.yml", STANDALONE_STAGING),
        ("docker-compose.coolify.yml", STANDALONE_PROD),
        ("docker-compose.e2e.yml", STANDALONE_STAGING),
        ("envparity.toml", "[environments]\nextra = [\"coolify\"]\n"),
    ]);
    let names: Vec<&str> = envs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["coolify", "staging"]);
    assert_eq!(skipped, ["docker-compose.e2e.yml"]);
}

#[test]
fn cookiecutter_layouts_bare_env_files_and_prefixed_names() {
    let compose = "services:\n  django:\n    build: .\n    env_file: [./.envs/.production/.django]\n  postgres:\n    image: postgres:16\n";
    let (envs, _) = discover(&[
        ("local.yml", compose),
        ("production.yml", compose),
        // Not Compose: a config file named for an environment stays out.
        ("staging.yml", "debug: false\n"),
    ]);
    assert_eq!(
        envs,
        [
            env("local", &["local.yml"]),
            env("production", &["production.yml"])
        ]
    );
    let (envs, _) = discover(&[
        ("docker-compose.yml", STANDALONE_PROD),
        ("local.docker-compose.yml", DEV_BASE),
    ]);
    assert_eq!(envs[0].0, "local");
}

#[test]
fn test_fixture_example_and_template_paths_are_not_environments() {
    let (envs, skipped) = discover(&[
        ("docker-compose.staging.yml", STANDALONE_STAGING),
        ("docker-compose.prod.yml", STANDALONE_PROD),
        ("tests/fixtures/docker-compose.qa.yml", STANDALONE_PROD),
        ("backend/src/test/resources/application-test.yml", "a: 1\n"),
        ("examples/demo/.env.demo", "A=1\n"),
        (
            "{{cookiecutter.slug}}/docker-compose.uat.yml",
            "x: {% if a %}\n",
        ),
    ]);
    let names: Vec<&str> = envs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["staging", "production"]);
    assert_eq!(
        skipped,
        [
            "backend/src/test/",
            "examples/",
            "tests/",
            "{{cookiecutter.slug}}/"
        ]
    );
}

#[test]
fn a_lone_development_compose_file_is_not_shared_with_kubernetes_environments() {
    let values = "replicaCount: 2\nimage: {repository: app, tag: '1'}\n";
    let (envs, skipped) = discover(&[
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n  app:\n    build: .\n    volumes: ['.:/app']\n    env_file: .env\n",
        ),
        ("helm/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n"),
        ("helm/app/values.yaml", values),
        ("helm/app/values-staging.yaml", values),
        ("helm/app/values-production.yaml", values),
    ]);
    for (name, files) in &envs {
        assert!(
            !files.contains(&"docker-compose.yml".to_string()),
            "{name}: {files:?}"
        );
    }
    assert_eq!(skipped, ["docker-compose.yml"]);
    // A plain (not development) Compose file is not shared with Kubernetes environments either.
    let (envs, skipped) = discover(&[
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n",
        ),
        (
            "k8s/staging/app.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        ),
        (
            "k8s/production/app.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        ),
    ]);
    assert_eq!(
        envs,
        [
            env("staging", &["k8s/staging/app.yaml"]),
            env("production", &["k8s/production/app.yaml"])
        ]
    );
    assert_eq!(skipped, ["docker-compose.yml"]);
}

#[test]
fn discover_text_says_why_files_were_not_taken() {
    let dir = repo(&[
        ("docker-compose.yml", DEV_BASE),
        ("docker-compose.prod.yml", STANDALONE_PROD),
        ("docker-compose.coolify.yml", STANDALONE_PROD),
    ]);
    let out = envparity_in(dir.path())
        .args(["discover", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "standalone: every service has an image or a build and the base is a development file"
        ),
        "{text}"
    );
    assert!(
        text.contains("`docker-compose.yml` is the local development file (`app` bind-mounts the source (`.:/app`), `app` runs `runserver`"),
        "{text}"
    );
    assert!(
        text.contains("not read as environments\n  docker-compose.coolify.yml\n  (`coolify` is not an environment name"),
        "{text}"
    );
}

#[test]
fn modules_of_a_monorepo_are_components_not_environments_found_twice() {
    let dir = repo(&[
        (
            "admin/src/main/resources/application.yml",
            "server:\n  port: 8080\n",
        ),
        (
            "admin/src/main/resources/application-dev.yml",
            "logging:\n  level: debug\n",
        ),
        (
            "admin/src/main/resources/application-prod.yml",
            "logging:\n  level: warn\n",
        ),
        (
            "portal/src/main/resources/application.yml",
            "server:\n  port: 8085\n",
        ),
        (
            "portal/src/main/resources/application-dev.yml",
            "cache:\n  ttl: 10\n",
        ),
        (
            "portal/src/main/resources/application-prod.yml",
            "cache:\n  ttl: 600\n",
        ),
    ]);
    let out = envparity_in(dir.path())
        .args(["report", ".", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report["notes"].to_string().contains("found twice"));
    let setting = |service: &str, env: &str, key: &str| -> String {
        let s = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        s["envs"][env]["settings"][key]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        setting("admin", "development", "config.logging.level"),
        "debug"
    );
    assert_eq!(
        setting("admin", "production", "config.logging.level"),
        "warn"
    );
    assert_eq!(setting("admin", "production", "config.server.port"), "8080");
    assert_eq!(setting("portal", "production", "config.cache.ttl"), "600");
    assert_eq!(
        setting("portal", "development", "config.server.port"),
        "8085"
    );
}

#[test]
fn spring_profile_and_other_aliases() {
    let (envs, _) = discover(&[
        ("src/main/resources/application.yml", "a: 1\n"),
        ("src/main/resources/application-stag.yml", "a: 2\n"),
        ("src/main/resources/application-prod.yml", "a: 3\n"),
        ("variables/nonprod.env", "A=1\n"),
    ]);
    let names: Vec<&str> = envs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["nonprod", "staging", "production"]);
}

#[test]
fn app_env_directories_and_load_test_stacks() {
    let (envs, skipped) = discover(&[
        ("shop-staging/docker-compose.yml", STANDALONE_STAGING),
        ("shop-prod/docker-compose.yml", STANDALONE_PROD),
        ("dev-tools/docker-compose.yml", STANDALONE_STAGING),
    ]);
    assert_eq!(
        envs,
        [
            env("staging", &["shop-staging/docker-compose.yml"]),
            env("production", &["shop-prod/docker-compose.yml"]),
        ]
    );
    assert!(skipped.is_empty(), "{skipped:?}");
    // A load-test stack beside environments named by dotenv files is not shared with them.
    let (envs, skipped) = discover(&[
        (".env.staging", "A=1\n"),
        (".env.production", "A=2\n"),
        (
            "load-tests/docker-compose.yml",
            "services:\n  locust:\n    image: locustio/locust\n",
        ),
    ]);
    assert_eq!(
        envs,
        [
            env("staging", &[".env.staging"]),
            env("production", &[".env.production"]),
        ]
    );
    assert_eq!(skipped, ["load-tests/"]);
}

/// A deployed base with a staging override, and production named by the application's own
/// configuration: production runs the base alone. Without another source naming production,
/// no production environment is made up.
#[test]
fn production_without_an_override_runs_the_compose_base() {
    let base = "services:\n  web:\n    image: shop/web:1.4\n    command: gunicorn shop.wsgi -w 8\n";
    let staging = "services:\n  web:\n    command: gunicorn shop.wsgi -w 2\n";
    let (envs, _) = discover(&[
        ("docker-compose.yml", base),
        ("docker-compose-staging.yml", staging),
        ("config/application.yml", "server:\n  port: 8080\n"),
        ("config/application-prod.yml", "server:\n  port: 80\n"),
    ]);
    assert_eq!(
        envs,
        vec![
            env(
                "staging",
                &[
                    "docker-compose.yml",
                    "docker-compose-staging.yml",
                    "config/application.yml"
                ]
            ),
            env(
                "production",
                &[
                    "docker-compose.yml",
                    "config/application.yml",
                    "config/application-prod.yml"
                ]
            ),
        ]
    );
    let (envs, _) = discover(&[
        ("docker-compose.yml", base),
        ("docker-compose-staging.yml", staging),
    ]);
    assert_eq!(
        envs,
        vec![env(
            "staging",
            &["docker-compose.yml", "docker-compose-staging.yml"]
        )]
    );
}

/// A base only the local override extends says nothing of how production runs: production
/// named by dotenv files alone gets no Compose stack (it is deployed some other way), and
/// staging and production stay alike.
#[test]
fn a_base_only_local_overrides_is_not_production() {
    let base = "services:\n  api:\n    build: ./api\n    ports: ['7002:7002']\n";
    let local = "services:\n  api:\n    volumes: ['./api:/api']\n";
    let (envs, _) = discover(&[
        ("docker-compose.yml", base),
        ("docker-compose.local.yml", local),
        (".env.staging", "API_URL=https://api.staging.example.org\n"),
        (".env.production", "API_URL=https://api.example.org\n"),
    ]);
    assert_eq!(
        envs,
        vec![
            env("local", &["docker-compose.yml", "docker-compose.local.yml"]),
            env("staging", &[".env.staging"]),
            env("production", &[".env.production"]),
        ]
    );
}

/// Blue/green slots of production are two columns of production, compared side by side, never
/// one production with the instances of both summed.
#[test]
fn blue_green_slots_are_columns_of_one_environment() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - {name: web, image: 'shop/web:1.0'}\n";
    let overlay = |up: &str, n: u32| {
        format!("resources:\n- {up}base\nreplicas:\n- name: web\n  count: {n}\n")
    };
    let (envs, _) = discover(&[
        ("base/deploy.yaml", deployment),
        ("base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        ("overlays/staging/kustomization.yaml", &overlay("../../", 2)),
        (
            "overlays/prod/blue/kustomization.yaml",
            &overlay("../../../", 4),
        ),
        (
            "overlays/prod/green/kustomization.yaml",
            &overlay("../../../", 4),
        ),
    ]);
    assert_eq!(
        envs,
        vec![
            env("staging", &["overlays/staging/kustomization.yaml"]),
            env(
                "production/blue",
                &["overlays/prod/blue/kustomization.yaml"]
            ),
            env(
                "production/green",
                &["overlays/prod/green/kustomization.yaml"]
            ),
        ]
    );
    let (envs, _) = discover(&[
        (
            "staging/docker-compose.yml",
            "services:\n  web:\n    image: a:1\n",
        ),
        (
            "prod/blue/docker-compose.yml",
            "services:\n  web:\n    image: a:2\n",
        ),
        (
            "prod/green/docker-compose.yml",
            "services:\n  web:\n    image: a:3\n",
        ),
        (
            "tools/blue/docker-compose.yml",
            "services:\n  x:\n    image: x:1\n",
        ),
    ]);
    let names: Vec<&str> = envs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["staging", "production/blue", "production/green"]);
}

/// Each slot keeps its own instance count, and a waiver or `production_like` entry naming
/// `production` covers both slots.
#[test]
fn slots_are_not_summed_and_policy_names_cover_them() {
    let dir = repo(&[
        ("staging/docker-compose.yml", "services:\n  web:\n    image: a:1\n    deploy: {replicas: 2}\n"),
        ("prod/blue/docker-compose.yml", "services:\n  web:\n    image: a:latest\n    deploy: {replicas: 4}\n"),
        ("prod/green/docker-compose.yml", "services:\n  web:\n    image: a:latest\n    deploy: {replicas: 4}\n"),
        (
            "envparity.toml",
            "[[waiver]]\nrule = \"EP006\"\nenvironment = \"production\"\nreason = \"rolled forward by the release job\"\nexpires = \"2099-01-01\"\n",
        ),
    ]);
    let out = envparity_in(dir.path())
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ep006: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP006")
        .collect();
    assert_eq!(ep006.len(), 2, "{doc}");
    assert!(ep006.iter().all(|f| f["waived"].is_string()), "{ep006:?}");
    let report = envparity_in(dir.path())
        .args(["report", ".", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        doc["environments"],
        serde_json::json!(["staging", "production/blue", "production/green"])
    );
    let instances = |env: &str| doc["totals"][env]["instances"].as_u64();
    assert_eq!(
        [
            instances("staging"),
            instances("production/blue"),
            instances("production/green")
        ],
        [Some(2), Some(4), Some(4)]
    );
}
