//! EP016 must-match-difference.

use super::{Context, Finding, Rule};
use crate::compare::CellValue;
use crate::policy::Severity;
use crate::verdict::Kind;

pub static RULE: Rule = Rule {
    id: "EP016",
    name: "must-match-difference",
    severity: Severity::Error,
    summary: "an item the policy declares must match differs between environments",
    doc: r#"# EP016 must-match-difference

## What it finds
An item matched by a `[[must_match]]` entry of `envparity.toml` whose value differs between
environments: a backing service's version, an environment variable, a server setting, a
network name. (An application image that must match is reported by EP012.)

## Why it matters
These are the items a team decided are part of what "promoted" means: if they differ, what
was tested is not what runs.

## How to fix
Make the environments agree, or narrow the `[[must_match]]` entry if the item may differ.

## Example
```toml
[[must_match]]
setting = "postgres.*"
reason = "database tuning is promoted from staging"
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let reference = ctx.comparison.reference;
    for (s, sv) in ctx.comparison.services.iter().zip(&ctx.verdicts.services) {
        for (r, v) in s.rows.iter().zip(&sv.rows) {
            let Some(v) = v else { continue };
            let id = r.aspect.id();
            if v.kind != Kind::MustMatch || id == "image" {
                continue;
            }
            let ref_cell = &r.cells[reference];
            for (e, cell) in r.cells.iter().enumerate() {
                if e == reference
                    || s.envs[e].is_none()
                    || cell.value == ref_cell.value && !is_secret(cell)
                {
                    continue;
                }
                let mut f = Finding::new(
                    &RULE,
                    format!(
                        "`{id}` of `{}` differs between {} and {}, and must match ({})",
                        s.name,
                        envs[e],
                        envs[reference],
                        v.reason.as_deref().unwrap_or("policy")
                    ),
                )
                .env(&envs[e])
                .service(&s.name)
                .setting(id);
                if let Some(origin) = &cell.origin {
                    f = f.at(origin);
                }
                if let Some(origin) = &ref_cell.origin {
                    f = f.related(&envs[reference], origin);
                }
                out.push(f);
            }
        }
    }
}

fn is_secret(cell: &crate::compare::Cell) -> bool {
    matches!(cell.value, CellValue::Text { secret: true, .. })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn declared_must_match_items_that_differ() {
        let mut files = pair(
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=512MB -c work_mem=8MB\n",
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=4GB -c work_mem=8MB\n",
        );
        assert!(
            hits("EP016", &files).is_empty(),
            "nothing must match without a policy"
        );
        files.push((
            "envparity.toml",
            "[[must_match]]\nsetting = \"postgres.*\"\nreason = \"tuning is promoted\"\n",
        ));
        assert_eq!(
            hits("EP016", &files),
            vec![hit("staging", "db", "postgres.shared_buffers")]
        );
    }
}
