//! End-to-end: the binary on the Kubernetes examples (Flux + CloudNativePG + Helm values, and a
//! Kustomize base with three overlays), and on broken Kubernetes input.

use std::path::Path;

mod common;
use common::{envparity, json_of, service, stdout_of, GIB, MIB};

use serde_json::Value;

fn env_setting<'a>(doc: &'a Value, aspect: &str) -> &'a Value {
    doc["environment_settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["aspect"] == aspect)
        .unwrap_or_else(|| panic!("no environment setting {aspect}"))
}

#[test]
fn flux_platform_instances_storage_and_autoscaling() {
    let doc = json_of("examples/flux-platform");
    assert_eq!(
        doc["environments"],
        serde_json::json!(["staging", "production"])
    );

    let app = &service(&doc, "super-todo")["envs"];
    assert_eq!(app["staging"]["instances"], 1);
    assert_eq!(app["staging"]["instances_max"], Value::Null);
    assert_eq!(app["production"]["instances"], 2, "HPA minimum");
    assert_eq!(app["production"]["instances_max"], 5, "HPA maximum");
    assert_eq!(app["production"]["image"], "andreqko/super-todo:latest");

    let pg = &service(&doc, "postgres");
    assert_eq!(pg["role"], "database");
    assert_eq!(pg["envs"]["staging"]["instances"], 1);
    assert_eq!(pg["envs"]["production"]["instances"], 3);
    assert_eq!(
        pg["envs"]["staging"]["settings"]["storage.data"]["value"],
        "5Gi"
    );
    assert_eq!(
        pg["envs"]["production"]["settings"]["storage.data"]["value"],
        "50Gi"
    );
    assert_eq!(pg["envs"]["production"]["cpu_limit_millis"], 2000);
    assert_eq!(
        pg["envs"]["production"]["memory_limit_total_bytes"],
        6 * GIB
    );

    let redis = &service(&doc, "redis");
    assert_eq!(redis["role"], "cache");
    assert_eq!(redis["envs"]["staging"]["instances"], 1, "standalone");
    assert_eq!(redis["envs"]["production"]["instances"], 6, "cluster nodes");
    assert_eq!(
        redis["envs"]["production"]["settings"]["storage.data"]["value"],
        "20Gi"
    );
}

#[test]
fn flux_platform_quotas_limit_ranges_and_production_only_objects() {
    let doc = json_of("examples/flux-platform");
    let cpu = env_setting(&doc, "resourcequota.compute-quota.hard.limits.cpu");
    assert_eq!(cpu["values"]["staging"]["value"], "4");
    assert_eq!(cpu["values"]["production"]["value"], "10");
    let mem = env_setting(&doc, "resourcequota.compute-quota.hard.limits.memory");
    assert_eq!(mem["values"]["staging"]["value"], "8Gi");
    assert_eq!(mem["values"]["production"]["value"], "20Gi");
    assert_eq!(
        mem["values"]["staging"]["file"],
        "namespaces/staging-namespace.yaml"
    );
    let pdb = env_setting(&doc, "poddisruptionbudget.super-todo.minAvailable");
    assert_eq!(pdb["status"], "partial");
    assert_eq!(pdb["values"]["production"]["value"], "2");
    assert_eq!(pdb["values"]["staging"], Value::Null);

    // Staging sets no resources for the app: its namespace's LimitRange decides, and says so.
    let app = &service(&doc, "super-todo")["envs"];
    assert_eq!(app["staging"]["cpu_limit_millis"], 250);
    assert_eq!(app["staging"]["memory_limit_bytes"], 256 * MIB);
    assert_eq!(app["staging"]["cpu_reservation_millis"], 100);
    let defaults = &app["staging"]["settings"]["resources.defaults"];
    assert!(
        defaults["value"]
            .as_str()
            .unwrap()
            .contains("from LimitRange container-defaults"),
        "{defaults}"
    );
    assert_eq!(defaults["file"], "namespaces/staging-namespace.yaml");
    assert_eq!(app["production"]["cpu_limit_millis"], 1000);
    assert_eq!(
        app["production"]["settings"]["resources.defaults"],
        Value::Null
    );

    let (st, pr) = (&doc["totals"]["staging"], &doc["totals"]["production"]);
    // postgres 500m + redis 200m + app 250m (LimitRange).
    assert_eq!(st["cpu_limit_millis"], 950);
    // postgres 3 x 2 + redis 6 x 1 + app 2 x 1 CPU.
    assert_eq!(pr["cpu_limit_millis"], 14000);
    assert_eq!(pr["memory_limit_bytes"], 14 * GIB);
    assert_eq!(pr["instances"], 11);
}

#[test]
fn flux_platform_secrets_never_printed() {
    for format in ["md", "json", "text"] {
        let out = stdout_of(&["report", "examples/flux-platform", "--format", format]);
        for secret in [
            "staging-dev-redis-123",
            "production-secure-redis-password-change-me",
            "staging-dev-password-123",
            "production-secure-password-change-me-789",
        ] {
            assert!(!out.contains(secret), "{format} output leaks {secret}");
        }
    }
    let doc = json_of("examples/flux-platform");
    let url =
        &service(&doc, "super-todo")["envs"]["production"]["settings"]["values.env.DATABASE_URL"];
    assert!(url["value"]
        .as_str()
        .unwrap()
        .contains("postgres:********@"));
    // A TLS secret's name is a name, not a secret.
    let tls = &service(&doc, "super-todo")["envs"]["production"]["settings"]
        ["values.ingress.tls[0].secretName"];
    assert_eq!(tls["value"], "super-todo-tls");
}

#[test]
fn kustomize_shop_overlays_render_natively() {
    let doc = json_of("examples/kustomize-shop");
    assert_eq!(
        doc["environments"],
        serde_json::json!(["development", "staging", "production"])
    );
    let backend = &service(&doc, "backend");
    assert_eq!(backend["role"], "web");
    let envs = &backend["envs"];
    // Development's namePrefix is stripped for alignment.
    assert_eq!(
        envs["development"]["members"],
        serde_json::json!(["dev-backend"])
    );
    assert_eq!(
        (
            envs["development"]["instances"].clone(),
            envs["staging"]["instances"].clone()
        ),
        (Value::from(1), Value::from(2))
    );
    assert_eq!(envs["production"]["instances"], 4);
    assert_eq!(envs["production"]["instances_max"], 10);
    assert_eq!(
        envs["development"]["image"],
        "ghcr.io/yourorg/ecommerce-backend:latest"
    );
    assert_eq!(
        envs["production"]["image"],
        "ghcr.io/yourorg/ecommerce-backend:v1.2.3"
    );
    // Development deletes the resources with a patch: its LimitRange applies.
    assert_eq!(envs["development"]["cpu_limit_millis"], 200);
    assert_eq!(envs["development"]["memory_limit_bytes"], 256 * MIB);
    assert!(
        envs["development"]["settings"]["resources.defaults"]["value"]
            .as_str()
            .unwrap()
            .contains("LimitRange dev-defaults")
    );
    assert_eq!(envs["staging"]["cpu_limit_millis"], 500);
    assert_eq!(envs["production"]["cpu_limit_millis"], 1000);
    assert_eq!(envs["production"]["memory_limit_bytes"], GIB);

    let settings = |env: &str, key: &str| envs[env]["settings"][key]["value"].clone();
    // configMapGenerator merge in each overlay, read through envFrom.
    assert_eq!(settings("development", "env.LOG_LEVEL"), "DEBUG");
    assert_eq!(settings("staging", "env.LOG_LEVEL"), "INFO");
    assert_eq!(settings("production", "env.LOG_LEVEL"), "WARNING");
    assert_eq!(
        settings("production", "env.DJANGO_SETTINGS_MODULE"),
        "config.settings.production"
    );
    // Strategic merge by container and env name; JSON patch from a component.
    assert_eq!(settings("staging", "env.ENVIRONMENT"), "staging");
    assert_eq!(settings("production", "env.METRICS_ENABLED"), "true");
    assert_eq!(settings("development", "env.METRICS_ENABLED"), Value::Null);
    assert_eq!(settings("production", "gunicorn.workers"), "4");
    assert_eq!(settings("staging", "gunicorn.workers"), "2");
    assert_eq!(
        settings("production", "env.DATABASE_URL"),
        "secretKeyRef:database/url"
    );
    assert_eq!(settings("production", "autoscaling.target.cpu"), "70%");
    assert_eq!(settings("production", "env.SECRET_KEY"), "********");
    // The patch that set the workers is where the value points.
    assert_eq!(
        envs["production"]["settings"]["gunicorn.workers"]["file"],
        "k8s/overlays/production/backend-production.yaml"
    );

    let worker = &service(&doc, "celery-worker")["envs"];
    assert_eq!(worker["production"]["instances"], 3);
    assert_eq!(worker["production"]["instances_max"], 6);
    assert_eq!(worker["production"]["cpu_limit_millis"], 750);
    assert_eq!(
        worker["production"]["cpu_reservation_millis"], 250,
        "requests kept from the base"
    );

    let hosts = env_setting(&doc, "ingress.shop.hosts");
    assert_eq!(
        hosts["values"]["development"]["value"],
        "api.dev.example.com"
    );
    assert_eq!(
        hosts["values"]["staging"]["value"],
        "api.staging.example.com"
    );
    assert_eq!(hosts["values"]["production"]["value"], "api.example.com");
    let quota = env_setting(&doc, "resourcequota.compute.hard.limits.cpu");
    assert_eq!(quota["values"]["production"]["value"], "20");

    let (dev, pr) = (&doc["totals"]["development"], &doc["totals"]["production"]);
    assert_eq!(dev["cpu_limit_millis"], 700);
    // backend 4 x 1 CPU + worker 3 x 0.75 CPU.
    assert_eq!(pr["cpu_limit_millis"], 6250);
}

#[test]
fn kustomize_shop_secrets_never_printed() {
    for format in ["md", "json", "text"] {
        let out = stdout_of(&["report", "examples/kustomize-shop", "--format", format]);
        for secret in [
            "dev-insecure-secret-key",
            "staging-secret-key-2f9c1e",
            "prod-9c2f41d7e0b84a55a1f3",
            "sk_live_production_key_value",
        ] {
            assert!(!out.contains(secret), "{format} output leaks {secret}");
        }
    }
}

#[test]
fn discovery_of_kubernetes_layouts() {
    let out = stdout_of(&["discover", "examples/kustomize-shop"]);
    assert!(
        out.contains("k8s/overlays/production/kustomization.yaml"),
        "{out}"
    );
    let out = stdout_of(&["discover", "examples/flux-platform"]);
    assert!(
        out.contains("infrastructure/postgres/production/cluster.yaml"),
        "{out}"
    );
    assert!(out.contains("namespaces/staging-namespace.yaml"), "{out}");
    assert!(
        !out.contains("helmrepository.yaml"),
        "shared sources are not an environment"
    );
}

#[test]
fn markdown_reports_of_kubernetes_examples() {
    insta::assert_snapshot!(
        "flux_platform_markdown",
        stdout_of(&["report", "examples/flux-platform"])
    );
    insta::assert_snapshot!(
        "kustomize_shop_markdown",
        stdout_of(&["report", "examples/kustomize-shop"])
    );
}

/// Run on a temporary repository and return (exit code, stderr).
fn run_on(files: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = envparity()
        .args(["compare", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap(), stderr)
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: app:1\n";

fn overlay_error(kustomization: &str, extra: &[(&str, &str)]) -> String {
    let mut files = vec![
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", DEPLOY),
        ("overlays/staging/kustomization.yaml", kustomization),
        (
            "overlays/production/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ];
    files.extend_from_slice(extra);
    // The staging overlay is not read (a warning naming the place); production still is.
    let (code, stderr) = run_on(&files);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

#[test]
fn kustomize_errors_name_file_and_line() {
    let e = overlay_error(
        "resources:\n  - ../../base\n  - https://github.com/org/repo//deploy\n",
        &[],
    );
    assert!(
        e.contains("overlays/staging/kustomization.yaml:3: remote resource"),
        "{e}"
    );
    assert!(e.contains("never uses the network"), "{e}");

    let e = overlay_error("resources:\n  - ../../../../outside\n", &[]);
    assert!(e.contains("overlays/staging/kustomization.yaml:2:"), "{e}");
    assert!(e.contains("outside the scanned directory"), "{e}");

    let e = overlay_error(
        "resources: [../../base]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: missing\n",
        &[],
    );
    assert!(
        e.contains("patch target `Deployment/missing` not found"),
        "{e}"
    );
    assert!(e.contains("overlays/staging/kustomization.yaml:4:"), "{e}");

    let e = overlay_error(
        "resources: [../../base]\npatchesJson6902:\n  - target: {kind: Deployment, name: web}\n    path: p.yaml\n",
        &[("overlays/staging/p.yaml", "- op: replace\n  path: /spec/nothere/x\n  value: 1\n")],
    );
    assert!(
        e.contains("overlays/staging/p.yaml:1: JSON patch path `/spec/nothere` does not exist"),
        "{e}"
    );

    let e = overlay_error("resources: [../../base]\nhelmCharts:\n  - name: x\n", &[]);
    assert!(e.contains("overlays/staging/kustomization.yaml:3: kustomization field `helmCharts` is not supported"), "{e}");

    let e = overlay_error(
        "resources: [../../base]\nreplicas:\n  - {name: web, count: 2}\nimages: [{name: app, newTag: '2'}]\nnamespace: s\nresources2: x\n",
        &[],
    );
    assert!(e.contains("`resources2` is not supported"), "{e}");
}

#[test]
fn kustomization_cycles_are_errors() {
    let (code, e) = run_on(&[
        (
            "overlays/staging/kustomization.yaml",
            "resources: [../../a]\n",
        ),
        ("a/kustomization.yaml", "resources: [../b]\n"),
        ("b/kustomization.yaml", "resources: [../a]\n"),
    ]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("kustomization cycle: a -> b -> a"), "{e}");
}

#[test]
fn bad_manifests_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("k8s/staging/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n"),
        ("k8s/staging/app.yaml", "apiVersion: v1\nkind: List\nitems:\n- just a string\n"),
        (
            "k8s/staging/app.yaml",
            "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n  hard:\n    limits.memory: 8 gigs\n",
        ),
        (
            "k8s/staging/app.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n      containers:\n      - name: w\n        resources:\n          limits: {cpu: lots}\n",
        ),
    ];
    let expected = [
        "k8s/staging/app.yaml:",
        "k8s/staging/app.yaml:4: a Kubernetes manifest document must be a mapping",
        "k8s/staging/app.yaml:6: `limits.memory`: `8 gigs` is not a Kubernetes quantity",
        "k8s/staging/app.yaml:10: `resources.limits.cpu`: `lots` is not a Kubernetes quantity",
    ];
    for ((path, text), want) in cases.iter().zip(expected) {
        let (code, e) = run_on(&[(path, text), ("k8s/production/app.yaml", DEPLOY)]);
        assert_eq!(code, 0, "staging is a gap, production is read: {e}");
        assert!(e.contains(want), "want {want}, got {e}");
    }
}

#[test]
fn explicit_environments_accept_manifests_and_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kustomize-shop");
    let out = envparity()
        .args([
            "report",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "--env",
            "staging=k8s/overlays/staging/kustomization.yaml",
            "--env",
            "production=k8s/overlays/production/kustomization.yaml",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(service(&doc, "backend")["envs"]["staging"]["instances"], 2);

    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("chart")).unwrap();
    std::fs::write(repo.path().join("chart/Chart.yaml"), "name: api\n").unwrap();
    std::fs::write(repo.path().join("chart/values.yaml"), "replicaCount: 1\nimage: {repository: acme/api, tag: '1.0'}\nresources: {limits: {cpu: 500m, memory: 256Mi}}\n").unwrap();
    std::fs::write(
        repo.path().join("chart/values-production.yaml"),
        "replicaCount: 3\nresources: {limits: {cpu: '1'}}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("chart/values-staging.yaml"),
        "image: {tag: '1.1'}\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("rendered-production.yaml"), DEPLOY).unwrap();
    let out = envparity()
        .args(["report", repo.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = &service(&doc, "api")["envs"];
    assert_eq!(api["staging"]["instances"], 1);
    assert_eq!(api["staging"]["image"], "acme/api:1.1");
    assert_eq!(api["production"]["instances"], 3);
    assert_eq!(
        api["production"]["cpu_limit_millis"], 1000,
        "deep-merged over the base"
    );
    assert_eq!(api["production"]["memory_limit_bytes"], 256 * MIB);
    // `helm template` output saved under an environment's name is read as manifests.
    assert_eq!(service(&doc, "web")["envs"]["production"]["image"], "app:1");
}
