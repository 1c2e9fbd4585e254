//! End-to-end: capacity (and cost) on the bundled examples and on hand-written repositories.

mod common;
use common::{json_in, json_of, repo, stdout_of};

#[test]
fn obcms_capacity_is_the_seed_arithmetic() {
    let doc = json_of("examples/obcms");
    let services = doc["capacity"]["services"].as_array().unwrap();
    let web = services.iter().find(|s| s["service"] == "web").unwrap();
    assert_eq!(web["kind"], "web");
    assert_eq!(web["envs"]["staging"]["arithmetic"], "2 x 4 x 2 = 16");
    assert_eq!(web["envs"]["production"]["arithmetic"], "4 x 17 x 2 = 136");
    let celery = services.iter().find(|s| s["service"] == "celery").unwrap();
    assert_eq!(celery["envs"]["staging"]["arithmetic"], "1 x 2 x 1 = 2");
    assert_eq!(celery["envs"]["production"]["arithmetic"], "2 x 4 x 1 = 8");
    let staging = doc["capacity"]["totals"]["staging"].as_array().unwrap();
    assert_eq!(
        staging[0]["total"],
        serde_json::json!({"state": "known", "min": 16, "max": 16})
    );
    assert_eq!(staging[0]["change_pct"], -88.24);
    let text = stdout_of(&["report", "examples/obcms", "--format", "text"]);
    assert!(text.contains("production: 4 x 17 x 2 = 136"), "{text}");
    let md = stdout_of(&["report", "examples/obcms", "--format", "md"]);
    assert!(
        md.contains("| web | concurrent requests (gunicorn) | 2 x 4 x 2 = 16 | 4 x 17 x 2 = 136 |"),
        "{md}"
    );
}

#[test]
fn a_non_numeric_worker_count_is_unknown_with_its_place() {
    let dir = repo(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app -w auto\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app -w 4 --threads 2\n",
        ),
    ]);
    let (doc, _) = json_in(dir.path(), &["report", ".", "--format", "json"]);
    let web = &doc["capacity"]["services"][0];
    let staging = &web["envs"]["staging"];
    assert_eq!(staging["total"]["state"], "unknown");
    let why = staging["arithmetic"].as_str().unwrap();
    assert!(why.contains("docker-compose.staging.yml:4"), "{why}");
    assert_eq!(web["envs"]["production"]["arithmetic"], "1 x 4 x 2 = 8");
    assert_eq!(
        doc["capacity"]["totals"]["staging"][0]["change_pct"],
        serde_json::Value::Null
    );
}

#[test]
fn obcms_monthly_cost_per_host_and_bad_hosts_are_input_errors() {
    let doc = json_of("examples/obcms");
    let hosts = &doc["cost"]["hosts"];
    assert_eq!(hosts["staging"]["instance_type"], "t3.large");
    assert_eq!(hosts["staging"]["monthly"], 60.74);
    assert_eq!(hosts["production"]["monthly"], 560.64);
    assert_eq!(hosts["staging"]["saving_vs_reference"], 499.9);
    let dir = repo(&[
        (
            "docker-compose.production.yml",
            "services:\n  web:\n    image: app:1\n",
        ),
        (
            "envparity.toml",
            "[cost]\nhosts.production = \"m5.gigantic\"\n",
        ),
    ]);
    let out = common::envparity_in(dir.path())
        .args(["report", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("envparity.toml:2"), "{err}");
    assert!(err.contains("unknown instance type `m5.gigantic`"), "{err}");
}

#[test]
fn terraform_example_itemises_seed_002_with_file_and_line() {
    let doc = json_of("examples/terraform-workspaces");
    let cost = &doc["cost"];
    for env in ["staging", "production"] {
        let e = &cost["environments"][env];
        let items = e["items"].as_array().unwrap();
        let item = |name: &str| {
            items
                .iter()
                .find(|i| i["item"] == name)
                .unwrap_or_else(|| panic!("no {name} in {items:?}"))
        };
        let usd = |name: &str| item(name)["monthly"]["min"].as_f64().unwrap();
        assert_eq!(usd("aws_instance.blue"), 7.59);
        assert_eq!(usd("aws_instance.green"), 7.59);
        assert_eq!(usd("aws_db_instance.main"), 15.44);
        assert_eq!(usd("aws_lb.main"), 16.43);
        assert_eq!(usd("aws_ebs_volume.data"), 2.0);
        assert_eq!(item("aws_lb.main")["origin"], "terraform/main.tf:60");
        let from = item("aws_db_instance.main")["computed_from"]
            .as_str()
            .unwrap();
        assert!(
            from.contains(
                "instance_class at terraform/main.tf:49, set at terraform/variables.tf:38"
            ),
            "{from}"
        );
        assert_eq!(
            items.len(),
            5,
            "S3, ACM, Route53, listeners and alarms are not priced"
        );
        assert_eq!(e["total"]["min"], 49.05);
        assert_eq!(e["unknown"], 0);
    }
    assert_eq!(
        cost["environments"]["staging"]["saving_vs_reference"]["min"],
        0.0
    );
    let basis = cost["basis"].as_str().unwrap();
    assert!(
        basis.contains("region ap-southeast-1 (envparity.toml:9) is not priced"),
        "{basis}"
    );
    let md = stdout_of(&["report", "examples/terraform-workspaces", "--format", "md"]);
    assert!(md.contains("| staging | **$49.05** | same |"), "{md}");
    assert!(
        md.contains("| `aws_lb.main` (terraform/main.tf:60) | load balancer | $16.43 |"),
        "{md}"
    );
    let text = stdout_of(&[
        "report",
        "examples/terraform-workspaces",
        "--format",
        "text",
    ]);
    assert!(
        text.contains("aws_ebs_volume.data (EBS volume, terraform/main.tf:68): $2.00"),
        "{text}"
    );
    let html = stdout_of(&[
        "report",
        "examples/terraform-workspaces",
        "--format",
        "html",
    ]);
    assert!(
        html.contains("<section id=\"cost\"") || html.contains("id=\"cost\""),
        "no cost section"
    );
    assert!(html.contains("Monthly cost of staging, item by item"));
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: app:1\n          resources:\n            limits:\n              cpu: '1'\n              memory: 2Gi\n";

#[test]
fn containers_priced_by_limits_on_the_platform_with_an_hpa_range_and_claims() {
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 5\n";
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: uploads\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 10Gi\n";
    let no_limits = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: app:1\n";
    let dir = repo(&[
        ("k8s/production/web.yaml", DEPLOYMENT),
        ("k8s/production/hpa.yaml", hpa),
        ("k8s/production/pvc.yaml", pvc),
        ("k8s/staging/web.yaml", no_limits),
        ("envparity.toml", "[cost]\nplatform = \"aws-fargate\"\n"),
    ]);
    let (doc, _) = json_in(dir.path(), &["report", ".", "--format", "json"]);
    let prod = &doc["cost"]["environments"]["production"];
    let items = prod["items"].as_array().unwrap();
    let web = items.iter().find(|i| i["item"] == "web").unwrap();
    // 1 vCPU x $0.04048 + 2 GiB x $0.004445 = $0.04937/h x 730 h = $36.04 a pod, 2-5 pods.
    assert_eq!(
        web["monthly"],
        serde_json::json!({"state": "known", "min": 72.08, "max": 180.2})
    );
    let from = web["computed_from"].as_str().unwrap();
    assert!(from.starts_with("2-5 (HPA) instances"), "{from}");
    assert!(
        from.contains("1 vCPU limit at k8s/production/web.yaml:14"),
        "{from}"
    );
    let claim = items
        .iter()
        .find(|i| i["item"] == "persistentvolumeclaim.uploads")
        .unwrap();
    assert_eq!(claim["monthly"]["min"], 0.8);
    assert_eq!(
        prod["total"],
        serde_json::json!({"min": 72.88, "max": 181.0})
    );
    let staging = &doc["cost"]["environments"]["staging"];
    assert_eq!(staging["unknown"], 1);
    let reason = staging["items"][0]["monthly"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("no CPU limit or request (k8s/staging/web.yaml:"),
        "{reason}"
    );
    assert_eq!(staging["saving_vs_reference"], serde_json::Value::Null);
    let md = stdout_of_in(dir.path(), &["report", ".", "--format", "md"]);
    assert!(
        md.contains(
            "| staging | **at least $0.00 (1 item unknown)** | unknown (an item is unknown) |"
        ),
        "{md}"
    );
}

fn stdout_of_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = common::envparity_in(dir).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_malformed_price_override_or_unknown_region_is_an_input_error_with_its_line() {
    for (policy, line, message) in [
        (
            "[cost]\nplatform = \"aws-fargate\"\n[cost.prices]\n\"aws-fargate\" = \"cheap\"\n",
            "envparity.toml:4",
            "a platform's prices are",
        ),
        (
            "[cost]\nregion = \"atlantis-1\"\n",
            "envparity.toml:2",
            "unknown region `atlantis-1`",
        ),
        (
            "[cost.prices]\n\"t3.micro\" = 0\n",
            "envparity.toml:2",
            "must be above 0, found 0",
        ),
    ] {
        let dir = repo(&[
            ("k8s/production/web.yaml", DEPLOYMENT),
            ("envparity.toml", policy),
        ]);
        let out = common::envparity_in(dir.path())
            .args(["report", "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{policy}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(line), "{err}");
        assert!(err.contains(message), "{err}");
    }
}
