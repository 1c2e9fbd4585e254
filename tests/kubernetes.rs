//! End-to-end: the binary on the Kubernetes examples (Flux + CloudNativePG + Helm values, and a
//! Kustomize base with three overlays), and on broken Kubernetes input.

use std::path::Path;

mod common;
use common::{envparity, json_of, service, stdout_of, GIB, MIB};

use envparity::discover;
use envparity::model::{Environment, GapExtent, Scan};
use envparity::sources::{self, Workspace};
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

/// Discover and read a directory with the library, to see gaps and notes.
fn scan_of(root: &Path) -> Scan {
    let workspace = Workspace::open(root).unwrap();
    let plan = discover::discover(&workspace).unwrap();
    sources::load(&workspace, &plan).unwrap()
}

fn scan_files(files: &[(&str, &str)]) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    scan_of(dir.path())
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k8s")
        .join(name)
}

fn env_of<'a>(scan: &'a Scan, name: &str) -> &'a Environment {
    scan.environments
        .iter()
        .chain(&scan.unread)
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no environment {name}"))
}

fn workload<'a>(env: &'a Environment, name: &str) -> &'a envparity::model::Service {
    env.services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name} in {}", env.name))
}

/// `file:line: message` of each gap of an environment, with its extent.
fn gaps_of(env: &Environment) -> Vec<(GapExtent, String)> {
    env.gaps
        .iter()
        .map(|g| (g.extent, format!("{}: {}", g.location(), g.message)))
        .collect()
}

/// A staging overlay with one bad entry: the base is still rendered, and the entry is a gap.
fn overlay_gaps(kustomization: &str, extra: &[(&str, &str)]) -> Vec<(GapExtent, String)> {
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
    let scan = scan_files(&files);
    let staging = env_of(&scan, "staging");
    assert!(!staging.is_unread(), "{:?}", staging.gaps);
    assert_eq!(
        workload(staging, "web").instances.count,
        1,
        "the base is read"
    );
    gaps_of(staging)
}

fn has_gap(gaps: &[(GapExtent, String)], extent: GapExtent, text: &str) -> bool {
    gaps.iter().any(|(x, g)| *x == extent && g.contains(text))
}

#[test]
fn kustomize_entries_that_cannot_be_read_are_gaps_with_file_and_line() {
    let g = overlay_gaps(
        "resources:\n  - ../../base\n  - https://github.com/org/repo//deploy\n",
        &[],
    );
    assert!(
        has_gap(&g, GapExtent::Optional, "overlays/staging/kustomization.yaml:3: remote resource `https://github.com/org/repo//deploy`"),
        "{g:?}"
    );
    assert!(
        has_gap(&g, GapExtent::Optional, "never uses the network"),
        "{g:?}"
    );

    let g = overlay_gaps("resources:\n  - ../../base\n  - ../../../../outside\n", &[]);
    assert!(
        has_gap(&g, GapExtent::Source, "overlays/staging/kustomization.yaml:3: `../../../../outside` is outside the scanned directory"),
        "{g:?}"
    );

    let g = overlay_gaps(
        "resources: [../../base]\npatchesJson6902:\n  - target: {kind: Deployment, name: web}\n    path: p.yaml\n",
        &[("overlays/staging/p.yaml", "- op: replace\n  path: /spec/nothere/x\n  value: 1\n")],
    );
    assert!(
        has_gap(
            &g,
            GapExtent::Source,
            "overlays/staging/p.yaml:1: JSON patch path `/spec/nothere` does not exist"
        ),
        "{g:?}"
    );

    // A component that cannot be applied leaves what was accumulated before it.
    let g = overlay_gaps(
        "resources: [../../base]\ncomponents:\n  - ../../base\n",
        &[],
    );
    assert!(
        has_gap(&g, GapExtent::Source, "overlays/staging/kustomization.yaml:3: a `components` entry must be a kustomization of `kind: Component`"),
        "{g:?}"
    );

    let g = overlay_gaps("resources: [../../base]\nhelmCharts:\n  - name: x\n", &[]);
    assert!(has_gap(&g, GapExtent::Source, "overlays/staging/kustomization.yaml:3: kustomization field `helmCharts` is not supported"), "{g:?}");

    let g = overlay_gaps(
        "resources: [../../base]\nreplicas:\n  - {name: web, count: 1}\nimages: [{name: app, newTag: '2'}]\nnamespace: s\nresources2: x\n",
        &[],
    );
    assert!(
        has_gap(&g, GapExtent::Source, "`resources2` is not supported"),
        "{g:?}"
    );
}

#[test]
fn one_bad_entry_leaves_the_rest_of_the_overlay_rendered() {
    let scan = scan_of(&fixture("kustomize-gaps"));
    let staging = env_of(&scan, "staging");
    // The image transformer after the remote and missing resources still applies.
    assert_eq!(
        workload(staging, "web")
            .image
            .as_ref()
            .unwrap()
            .value
            .to_string(),
        "shop/web:1.1"
    );
    let g = gaps_of(staging);
    assert!(has_gap(&g, GapExtent::Optional, "overlays/staging/kustomization.yaml:3: remote resource `https://github.com/example-org/shared-config//monitoring?ref=v1.2.0`"), "{g:?}");
    assert!(
        has_gap(
            &g,
            GapExtent::Source,
            "overlays/staging/kustomization.yaml:4: `missing.yaml`"
        ),
        "{g:?}"
    );

    let production = env_of(&scan, "production");
    // The invalid and the missing patch are gaps; the patch after them applies.
    assert_eq!(workload(production, "web").instances.count, 3);
    let g = gaps_of(production);
    assert!(has_gap(&g, GapExtent::Optional, "overlays/production/kustomization.yaml:3: remote resource `github.com/example-org/shared-config/monitoring?ref=v1.2.0`"), "{g:?}");
    assert!(has_gap(&g, GapExtent::Source, "overlays/production/kustomization.yaml:7: patch target `name` is not a valid regular expression"), "{g:?}");
    assert!(
        has_gap(
            &g,
            GapExtent::Source,
            "overlays/production/kustomization.yaml:12: patch `no-such-patch.yaml`"
        ),
        "{g:?}"
    );
    assert_eq!(g.len(), 3, "{g:?}");
}

#[test]
fn patch_targets_are_regular_expressions_and_deletes_remove_objects() {
    let scan = scan_of(&fixture("kustomize-targets"));
    let staging = env_of(&scan, "staging");
    assert!(staging.gaps.is_empty(), "{:?}", staging.gaps);
    let count = |env: &Environment, name: &str| workload(env, name).instances.count;
    assert_eq!(count(staging, "web"), 2, "`(web|worker)` matches web");
    assert_eq!(count(staging, "worker"), 2);
    assert_eq!(count(staging, "webhook"), 1, "anchored: not webhook");
    // `$patch: delete` in the Component and in a patch file.
    assert!(staging.services.iter().all(|s| s.name != "debug"));
    assert!(
        !staging
            .settings
            .keys()
            .any(|k| k.starts_with("service.web.")),
        "{:?}",
        staging.settings.keys()
    );
    let notes: Vec<String> = scan
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.origin.as_ref().unwrap(), n.message))
        .collect();
    assert!(notes.iter().any(|n| n.contains("overlays/staging/kustomization.yaml:15: patch target (kind=Deployment, name=payments) matches no resource")), "{notes:?}");
    assert!(
        notes.iter().any(|n| n.contains(
            "overlays/staging/kustomization.yaml:25: kustomization `configurations` ignored"
        )),
        "{notes:?}"
    );

    let production = env_of(&scan, "production");
    assert!(production.gaps.is_empty(), "{:?}", production.gaps);
    assert_eq!(count(production, "web"), 4);
    assert_eq!(count(production, "worker"), 4);
    assert_eq!(count(production, "webhook"), 3, "`web.+`");
    assert_eq!(count(production, "debug"), 1);
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
fn bad_manifests_and_objects_are_gaps_and_the_rest_is_read() {
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
        let scan = scan_files(&[
            (path, text),
            ("k8s/staging/web.yaml", DEPLOY),
            ("k8s/production/app.yaml", DEPLOY),
        ]);
        let staging = env_of(&scan, "staging");
        assert_eq!(workload(staging, "web").instances.count, 1);
        let g = gaps_of(staging);
        assert!(
            has_gap(&g, GapExtent::Source, want),
            "want {want}, got {g:?}"
        );
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

#[test]
fn umbrella_chart_values_are_the_subcharts_workload_under_the_chart_values() {
    let scan = scan_of(&fixture("helm-umbrella"));
    let names: Vec<&str> = scan.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["staging", "production"],
        "values-sku-x is a variant"
    );
    let (staging, production) = (env_of(&scan, "staging"), env_of(&scan, "production"));
    // `generic-service` values are the chart's workload, named by its `nameOverride`.
    let api = workload(staging, "shop-api");
    assert_eq!(api.instances.count, 3);
    assert_eq!(
        api.image.as_ref().unwrap().value.to_string(),
        "registry.example.org/shop-api:base",
        "the chart's values.yaml under the override"
    );
    assert_eq!(api.resources.cpu_limit_millis.as_ref().unwrap().value, 500);
    assert_eq!(api.settings["values.env.LOG_LEVEL"].display(), "debug");
    assert_eq!(api.settings["chart.values.buildEnv"].display(), "staging");
    let api = workload(production, "shop-api");
    assert_eq!(
        (api.instances.count, api.instances.autoscale_max),
        (6, Some(12))
    );
    assert_eq!(
        api.image.as_ref().unwrap().value.to_string(),
        "registry.example.org/shop-api:2.0"
    );
    assert_eq!(api.settings["values.env.LOG_LEVEL"].display(), "info");
    // A block per component is a service of its own.
    assert_eq!(workload(staging, "mailer").instances.count, 1);
    assert_eq!(workload(production, "mailer").instances.count, 2);
    // A subchart that deploys no workload (alerts) is settings of the chart's workload.
    assert_eq!(production.services.len(), 2);
    let alerts = "chart.values.platform-alerts.latencyThresholdMs";
    assert_eq!(
        workload(staging, "shop-api").settings[alerts].display(),
        "800"
    );
    assert_eq!(
        workload(production, "shop-api").settings[alerts].display(),
        "300"
    );
}

#[test]
fn local_subcharts_merge_their_own_values_and_aliases_name_their_values() {
    let scan = scan_of(&fixture("helm-subcharts"));
    let (dev, prod) = (env_of(&scan, "development"), env_of(&scan, "production"));
    let api = workload(dev, "api");
    assert_eq!(api.instances.count, 1, "from services/api/values.yaml");
    assert_eq!(
        api.image.as_ref().unwrap().value.to_string(),
        "registry.example.org/store-api:dev"
    );
    assert_eq!(api.resources.cpu_limit_millis.as_ref().unwrap().value, 250);
    let api = workload(prod, "api");
    assert_eq!(api.instances.count, 3);
    assert_eq!(
        api.image.as_ref().unwrap().value.to_string(),
        "registry.example.org/store-api:1.1"
    );
    // `sessions` is the alias of a Bitnami redis: its topology.
    assert_eq!(workload(dev, "sessions").instances.count, 1);
    assert_eq!(workload(prod, "sessions").instances.count, 3);
    // A dependency disabled by its condition deploys nothing; the umbrella itself no workload.
    let names: Vec<&str> = prod.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "sessions"]);
}

#[test]
fn flux_kustomizations_deploy_shared_directories_to_every_cluster() {
    let scan = scan_of(&fixture("flux-clusters"));
    let (staging, production) = (env_of(&scan, "staging"), env_of(&scan, "production"));
    // `infrastructure/controllers` (through an ExternalArtifact) and `infrastructure/configs`
    // (the repository's own GitRepository) name no environment, and are read for both.
    for (env, replicas) in [(staging, 2), (production, 3)] {
        let ingress = workload(env, "ingress-nginx");
        assert_eq!(ingress.instances.count, replicas, "{}", env.name);
        // The chart comes from the OCIRepository the `chartRef` names.
        assert_eq!(ingress.settings["chart"].display(), "ingress-nginx");
        assert_eq!(ingress.settings["chart.version"].display(), "4.x");
        // The generated ConfigMap of `valuesFrom` is merged under the inline values.
        assert_eq!(
            ingress.image.as_ref().unwrap().value.to_string(),
            "registry.example.org/ingress:1.9"
        );
        let metrics = workload(env, "metrics-server");
        assert_eq!(metrics.settings["chart.version"].display(), "3.12.0");
        assert_eq!(
            metrics.settings["chart.url"].display(),
            "https://charts.example.org/metrics"
        );
        // Values from a Secret are masked whatever their key.
        assert!(metrics.settings["values.endpoint"].is_secret());
    }
    // The Kustomization's own patches apply to what it deploys; a directory without a
    // kustomization is read whole, subdirectories included.
    let acme = "configmap.platform-settings.ACME_SERVER";
    assert_eq!(
        staging.settings[acme].display(),
        "https://acme-staging.example.org/directory"
    );
    assert_eq!(
        production.settings[acme].display(),
        "https://acme.example.org/directory"
    );
    assert!(staging
        .settings
        .contains_key("configmap.issuer-settings.EMAIL"));
    // Another repository's path is an optional gap at the Kustomization's source.
    let g = gaps_of(staging);
    assert_eq!(g.len(), 1, "{g:?}");
    assert!(
        has_gap(
            &g,
            GapExtent::Optional,
            "clusters/staging/tenants.yaml:10: Flux Kustomization `team-a` deploys `./deploy` from GitRepository `team-a-repo`"
        ),
        "{g:?}"
    );
}
