//! EP007 missing-resource-limits.

use crate::hash::HashSet;

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP007",
    name: "missing-resource-limits",
    severity: Severity::Warning,
    summary: "a service without a CPU or memory limit in a production-like environment",
    doc: r#"# EP007 missing-resource-limits

## What it finds
A service in a production-like environment with no CPU limit, no memory limit, or neither
(Compose `deploy.resources.limits` / `cpus` / `mem_limit`; Kubernetes `resources.limits`).

## Why it matters
Without limits one runaway process (a memory leak, a fork bomb, a bad query) takes the whole host
with it, and capacity planning has no numbers to work from. Staging usually has limits, so the
environment where it matters most is the one that was never tested with them.

## How to fix
Set limits sized from observed usage, or waive the rule for the environment with a reason when
hosts are dedicated (`[[waiver]] rule = "EP007"`).

## Example
```yaml
services:
  web:
    deploy:
      resources:
        limits: { cpus: "2", memory: 2G }
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
        let r = &service.resources;
        let missing = match (r.cpu_limit_millis.is_some(), r.memory_limit_bytes.is_some()) {
            (true, true) => continue,
            (false, false) => "no CPU or memory limit",
            (false, true) => "no CPU limit",
            (true, false) => "no memory limit",
        };
        out.push(
            Finding::new(&RULE, format!("`{name}` has {missing} in {}", envs[e]))
                .env(&envs[e])
                .service(name)
                .at(&service.origin),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn unlimited_production_services() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n",
            "services:\n  web:\n    image: app:1\n    cpus: 1\n  web2:\n    image: app:1\n    cpus: 1\n  db:\n    image: postgres:16\n    cpus: 1\n    mem_limit: 1g\n",
        );
        assert_eq!(hits("EP007", &files), vec![hit("production", "web", "")]);
    }

    #[test]
    fn components_that_run_no_container_have_no_limits_to_miss() {
        let files = [
            (
                "terraform/variables.tf",
                "variable \"size\" {\n  default = \"s\"\n}\n",
            ),
            ("terraform/staging.tfvars", "size = \"s\"\n"),
            ("terraform/production.tfvars", "size = \"xl\"\n"),
            ("admin/config/config.yaml", "a: 1\n"),
            ("admin/config/config.production.yaml", "a: 2\n"),
            ("portal/config/config.yaml", "a: 1\n"),
            ("portal/config/config.production.yaml", "a: 3\n"),
        ];
        assert_eq!(hits("EP007", &files), vec![]);
        assert_eq!(hits("EP008", &files), vec![]);
    }
}
