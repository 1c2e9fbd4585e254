//! EP011 missing-in-environment.

use super::{Context, Finding, Rule};
use crate::compare::CellValue;
use crate::policy::Severity;
use crate::verdict::Kind;

pub static RULE: Rule = Rule {
    id: "EP011",
    name: "missing-in-environment",
    severity: Severity::Warning,
    summary: "a service or setting present in some environments only, not declared intended",
    doc: r#"# EP011 missing-in-environment

## What it finds
A service that exists in some environments and not in others, or a setting a service has in one
environment and lacks in another, when the policy does not declare the difference intended
(`[[intended]] service = "..."` or `setting = "..."`).

## Why it matters
A staging-only service means production lacks something that was tested; a production-only
service (read replicas, sentinels) was never tested at all. A setting missing in production
runs on a default nobody chose.

## How to fix
Add what is missing, or declare the difference intended with its reason in `envparity.toml`:
```toml
[[intended]]
service = "redis-sentinel"
reason = "automatic failover runs in production only"
```

## Example
```yaml
# production has `redis-sentinel-1..3`, staging has none -> EP011 on redis-sentinel (staging)
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for (s, v) in ctx.comparison.services.iter().zip(&ctx.verdicts.services) {
        if v.presence.kind == Kind::Missing {
            let present: Vec<usize> = (0..envs.len()).filter(|e| s.envs[*e].is_some()).collect();
            let names: Vec<&str> = present.iter().map(|e| envs[*e].as_str()).collect();
            let first = present.first().and_then(|e| s.envs[*e].as_ref());
            // A service that failed to build in an environment is a gap there (EP017), not absent.
            for e in (0..envs.len()).filter(|e| s.envs[*e].is_none() && !ctx.has_gap(*e, &s.name)) {
                let mut f = Finding::new(
                    &RULE,
                    format!(
                        "service `{}` exists in {} but not in {}",
                        s.name,
                        names.join(", "),
                        envs[e]
                    ),
                )
                .env(&envs[e])
                .service(&s.name);
                if let (Some(view), Some(p)) = (first, present.first()) {
                    f = f.at(&view.origin).related(&envs[*p], &view.origin);
                }
                out.push(for_local_as_note(f, &names));
            }
        }
        for (r, rv) in s.rows.iter().zip(&v.rows) {
            let Some(rv) = rv else { continue };
            if rv.kind != Kind::Missing {
                continue;
            }
            let key = r.aspect.id();
            let with = r
                .cells
                .iter()
                .enumerate()
                .find(|(_, c)| c.value != CellValue::Absent && c.origin.is_some());
            for (e, cell) in r.cells.iter().enumerate() {
                if cell.value != CellValue::Absent || s.envs[e].is_none() {
                    continue;
                }
                // Its variables are unknown where an env_file could not be read.
                if key.starts_with("env.") && ctx.has_gap(e, &s.name) {
                    continue;
                }
                let mut f = Finding::new(
                    &RULE,
                    format!("`{key}` of `{}` is not set in {}", s.name, envs[e]),
                )
                .env(&envs[e])
                .service(&s.name)
                .setting(&key);
                if let Some((o, c)) = with {
                    if let Some(origin) = &c.origin {
                        f = f.related(&envs[o], origin);
                    }
                }
                if let Some(view) = &s.envs[e] {
                    f = f.at(&view.origin);
                }
                let present: Vec<&str> = (0..envs.len())
                    .filter(|o| r.cells[*o].value != CellValue::Absent)
                    .map(|o| envs[o].as_str())
                    .collect();
                out.push(for_local_as_note(f, &present));
            }
        }
    }
}

/// What the local development environment lacks or has alone is worth seeing (dev/prod
/// parity) but is no warning: developers run the subset they need.
fn for_local_as_note(mut f: Finding, present_in: &[&str]) -> Finding {
    if f.environment.as_deref() == Some("local") || present_in == ["local"] {
        f.severity = Severity::Note;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn missing_services_and_settings() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            "services:\n  web:\n    image: app:1\n    environment: {A: '1'}\n  sentinel:\n    image: redis:7\n",
        );
        assert_eq!(
            hits("EP011", &files),
            vec![
                hit("production", "web", "env.B"),
                hit("staging", "sentinel", "")
            ]
        );
    }

    #[test]
    fn gaps_are_not_absences() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n  worker:\n    image: app:1\n",
            "services:\n  web:\n    image: app:1\n    env_file: .env.production\n    environment: {A: '1'}\n  worker:\n    image: app:1\n    cpus: lots\n",
        );
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn what_only_local_development_has_or_lacks_is_a_note() {
        use crate::policy::Severity;
        let all = super::super::testing::findings(&[
            (
                "docker-compose.yml",
                "services:\n  app:\n    build: .\n    volumes: ['.:/app']\n    command: python manage.py runserver\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    build: .\n  nginx:\n    image: nginx:1\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    build: .\n",
            ),
        ]);
        let ep011: Vec<(Severity, String, String)> = all
            .iter()
            .filter(|f| f.rule == "EP011")
            .map(|f| {
                (
                    f.severity,
                    f.environment.clone().unwrap(),
                    f.service.clone().unwrap(),
                )
            })
            .collect();
        let has =
            |sev, env: &str, svc: &str| ep011.contains(&(sev, env.to_string(), svc.to_string()));
        assert!(has(Severity::Note, "staging", "app"), "{ep011:?}");
        assert!(has(Severity::Note, "local", "web"), "{ep011:?}");
        assert!(has(Severity::Warning, "production", "nginx"), "{ep011:?}");
    }

    #[test]
    fn declared_intended_does_not_fire() {
        let mut files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            "services:\n  web:\n    image: app:1\n    environment: {A: '1'}\n  sentinel:\n    image: redis:7\n",
        );
        files.push((
            "envparity.toml",
            "[[intended]]\nservice = \"sentinel\"\nreason = \"failover in production only\"\n\n[[intended]]\nsetting = \"env.B\"\nreason = \"staging flag\"\n",
        ));
        assert!(hits("EP011", &files).is_empty());
    }
}
