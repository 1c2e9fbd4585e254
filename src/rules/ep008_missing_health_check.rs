//! EP008 missing-health-check.

use crate::hash::HashSet;

use super::{is_truthy, Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP008",
    name: "missing-health-check",
    severity: Severity::Warning,
    summary: "a service without a health check or probes in a production-like environment",
    doc: r#"# EP008 missing-health-check

## What it finds
A long-running service in a production-like environment with no health check: no Compose
`healthcheck` (or `healthcheck.disable: true`), no Kubernetes liveness or readiness probe.
Operator resources (a CloudNativePG `Cluster`), Helm releases and Jobs are not judged: their
operator or chart defines the probes, and one-shot jobs need none. Neither is a one-shot Compose
container, one told never to restart (`restart: "no"`, `deploy.restart_policy.condition:
none`): a migration or a backup that runs and exits has nothing to keep healthy.
A Helm chart in the repository whose templates write a probe (`livenessProbe:` with its
`httpGet`, `tcpSocket`, `exec` or `grpc` handler) has one, whatever its values say.

## Why it matters
Without a health check the platform cannot tell a hung process from a working one: traffic keeps
flowing to it, `depends_on: condition: service_healthy` waits on nothing, and rolling updates
cannot stop a bad release.

## How to fix
Add a check that exercises the service (`pg_isready`, `redis-cli ping`, an HTTP `/health`
endpoint) with an interval, timeout and retries.

## Example
```yaml
services:
  web:
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health/"]
      interval: 30s
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let mut seen = HashSet::default();
    for (e, name, service) in ctx.services() {
        if !ctx.is_production_like(e)
            || !service.runs_container()
            || !seen.insert((e, name.to_string()))
        {
            continue;
        }
        // Operators (a CloudNativePG `Cluster`) and charts (`HelmRelease`) define their own
        // probes, and one-shot Jobs need none: judge only pod specs we can see.
        if let Some(kind) = service.settings.get("kind") {
            if !matches!(
                kind.display(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod"
            ) {
                continue;
            }
        }
        if is_one_shot(service) {
            continue;
        }
        let disabled = service
            .settings
            .get("healthcheck.disable")
            .is_some_and(|s| is_truthy(s.display()));
        let has_check = service.settings.keys().any(|k| {
            let k = k.to_ascii_lowercase();
            (k.starts_with("healthcheck.") && k != "healthcheck.disable") || k.contains("probe")
        });
        if disabled || !has_check {
            let why = if disabled {
                "has its health check disabled"
            } else {
                "has no health check"
            };
            out.push(
                Finding::new(&RULE, format!("`{name}` {why} in {}", envs[e]))
                    .env(&envs[e])
                    .service(name)
                    .at(&service.origin),
            );
        }
    }
}

/// A container that runs once and exits: Compose is told never to restart it.
fn is_one_shot(service: &crate::model::Service) -> bool {
    let value = |key: &str| {
        service.settings.get(key).map(|s| {
            s.display()
                .trim()
                .trim_matches(['"', '\''])
                .to_ascii_lowercase()
        })
    };
    value("restart").as_deref() == Some("no")
        || value("deploy.restart_policy.condition").as_deref() == Some("none")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn services_without_checks_in_production() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n",
            "services:\n  web:\n    image: app:1\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [CMD, pg_isready]\n  cache:\n    image: redis:7\n    healthcheck:\n      disable: true\n",
        );
        assert_eq!(
            hits("EP008", &files),
            vec![hit("production", "cache", ""), hit("production", "web", "")]
        );
    }

    #[test]
    fn probes_written_in_a_local_charts_templates_are_a_health_check() {
        let chart = |template: &'static str| {
            vec![
                (
                    "chart/Chart.yaml",
                    "apiVersion: v2\nname: web\nversion: 0.1.0\n",
                ),
                (
                    "chart/values.yaml",
                    "replicaCount: 1\nimage:\n  repository: acme/web\n  tag: \"1.0\"\n",
                ),
                ("chart/templates/deployment.yaml", template),
                ("chart/values-staging.yaml", "replicaCount: 1\n"),
                ("chart/values-production.yaml", "replicaCount: 2\n"),
            ]
        };
        let written = "spec:\n  containers:\n    - name: web\n      livenessProbe:\n        httpGet:\n          path: /\n          port: http\n";
        assert_eq!(hits("EP008", &chart(written)), vec![]);
        // A probe slot the values fill, with no values for it: no probe.
        let from_values = "spec:\n  containers:\n    - name: web\n      livenessProbe:\n        {{- toYaml .Values.livenessProbe | nindent 8 }}\n";
        assert_eq!(
            hits("EP008", &chart(from_values)),
            vec![hit("production", "web", "")]
        );
    }

    #[test]
    fn one_shot_containers_need_no_health_check() {
        let prod = "services:\n  migrate:\n    image: app:1\n    command: python manage.py migrate\n    restart: \"no\"\n  backup:\n    image: app:1\n    deploy:\n      restart_policy: {condition: none}\n  worker:\n    image: app:1\n    restart: on-failure\n";
        assert_eq!(
            hits("EP008", &pair(prod, prod)),
            vec![hit("production", "worker", "")]
        );
    }
}
