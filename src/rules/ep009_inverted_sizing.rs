//! EP009 inverted-sizing.

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP009",
    name: "inverted-sizing",
    severity: Severity::Warning,
    summary: "a lower environment has more instances, CPU or memory than a higher one",
    doc: r#"# EP009 inverted-sizing

## What it finds
A service that is bigger in a lower environment than in a higher one: more instances, a higher
total CPU or memory limit, or no limit below while the higher environment is limited.
Environments are ordered lowest to highest (`[environments] order` in `envparity.toml`, else
development < staging < production).

## Why it matters
It is usually a copy-paste slip: a production value landed in staging, or a staging tweak was
never promoted. Either load tests in staging overstate production, or production is starved.

## How to fix
Size the higher environment at least as large as the lower one, or waive the finding with a
reason and an expiry (`[[waiver]] rule = "EP009"`).

## Example
```yaml
# staging: deploy.replicas: 4   production: deploy.replicas: 2   -> EP009
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for s in &ctx.comparison.services {
        // A developer's laptop stack sets no limits by habit: it is not sized against the rest.
        for lo in (0..envs.len()).filter(|e| envs[*e] != "local") {
            for hi in lo + 1..envs.len() {
                let (Some(l), Some(h)) = (&s.envs[lo], &s.envs[hi]) else {
                    continue;
                };
                let mut why = Vec::new();
                if l.instances > h.instances {
                    why.push(format!("{} instances vs {}", l.instances, h.instances));
                }
                for (what, lv, hv, lo_limited, hi_limited) in [
                    (
                        "CPU",
                        l.cpu_limit_total_millis,
                        h.cpu_limit_total_millis,
                        l.cpu_limit_millis.is_some(),
                        h.cpu_limit_millis.is_some(),
                    ),
                    (
                        "memory",
                        l.memory_limit_total_bytes,
                        h.memory_limit_total_bytes,
                        l.memory_limit_bytes.is_some(),
                        h.memory_limit_bytes.is_some(),
                    ),
                ] {
                    match (lv, hv) {
                        (Some(a), Some(b)) if a > b => {
                            why.push(format!("more {what} ({a} vs {b})"))
                        }
                        (None, Some(_)) if !lo_limited && hi_limited => {
                            why.push(format!("no {what} limit vs a limit"))
                        }
                        _ => {}
                    }
                }
                if why.is_empty() {
                    continue;
                }
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "`{}` is larger in {} than in {}: {}",
                            s.name,
                            envs[lo],
                            envs[hi],
                            why.join(", ")
                        ),
                    )
                    .env(&envs[lo])
                    .service(&s.name)
                    .at(&l.origin)
                    .related(&envs[hi], &h.origin),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn the_local_development_stack_is_not_sized_against_the_rest() {
        let files = vec![
            (
                "docker-compose.yml",
                "services:\n  web:\n    build: .\n    volumes: ['.:/app']\n    command: python manage.py runserver\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    build: .\n    cpus: 1\n    mem_limit: 512m\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    build: .\n    cpus: 2\n    mem_limit: 1g\n",
            ),
        ];
        assert_eq!(hits("EP009", &files), vec![]);
    }

    #[test]
    fn staging_bigger_than_production() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    deploy: {replicas: 4}\n  worker:\n    image: app:1\n    mem_limit: 2g\n  db:\n    image: postgres:16\n    mem_limit: 1g\n",
            "services:\n  web:\n    image: app:1\n    deploy: {replicas: 2}\n  worker:\n    image: app:1\n    mem_limit: 1g\n  db:\n    image: postgres:16\n    mem_limit: 4g\n",
        );
        assert_eq!(
            hits("EP009", &files),
            vec![hit("staging", "web", ""), hit("staging", "worker", "")]
        );
    }
}
