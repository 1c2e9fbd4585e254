//! EP021 capacity-inverted.

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP021",
    name: "capacity-inverted",
    severity: Severity::Warning,
    summary: "a lower environment can serve more requests or tasks at once than a higher one",
    doc: r#"# EP021 capacity-inverted

## What it finds
A service whose computed capacity (instances x worker processes x threads, see the report's
Capacity section) is larger in a lower environment than in a higher one. With an autoscaler the
lower environment's minimum is compared with the higher one's maximum, so only a certain
inversion is reported; an unknown capacity is never judged. EP009 compares instances, CPU and
memory; this rule compares what they serve.

## Why it matters
A staging that serves more at once than production makes its load tests overstate production,
or shows that a production worker or thread count was never raised with the rest.

## How to fix
Give the higher environment at least the lower one's workers and threads, or waive the finding
with a reason and an expiry (`[[waiver]] rule = "EP021"`).

## Example
```yaml
# staging:    gunicorn app --workers 2 --threads 8   (1 x 2 x 8 = 16)
# production: gunicorn app --workers 8               (1 x 8 x 1 = 8)   -> EP021
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for s in &ctx.comparison.capacity.services {
        // A developer's laptop stack is not sized against the rest (as in EP009).
        for lo in (0..envs.len()).filter(|e| envs[*e] != "local") {
            for hi in lo + 1..envs.len() {
                let (Some(l), Some(h)) = (&s.envs[lo], &s.envs[hi]) else {
                    continue;
                };
                let (Some((l_min, _)), Some((_, h_max))) = (l.total.known(), h.total.known())
                else {
                    continue;
                };
                if l_min <= h_max {
                    continue;
                }
                let mut finding = Finding::new(
                    &RULE,
                    format!(
                        "`{}` serves more {} in {} ({}) than in {} ({})",
                        s.service,
                        s.kind.unit(),
                        envs[lo],
                        l.arithmetic,
                        envs[hi],
                        h.arithmetic
                    ),
                )
                .env(&envs[lo])
                .service(&s.service);
                let origin = |c: &crate::capacity::EnvCapacity| {
                    c.terms
                        .first()
                        .and_then(|t| t.processes.origin.clone().or(t.instances.origin.clone()))
                };
                if let Some(o) = origin(l) {
                    finding = finding.at(&o);
                }
                if let Some(o) = origin(h) {
                    finding = finding.related(&envs[hi], &o);
                }
                out.push(finding);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn more_threads_in_staging() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    command: gunicorn app --workers 2 --threads 8\n",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app --workers 8\n",
        );
        assert_eq!(hits("EP021", &files), vec![hit("staging", "web", "")]);
    }

    #[test]
    fn ranges_and_unknowns_are_not_judged_unless_certain() {
        let same = pair(
            "services:\n  web:\n    image: app:1\n    command: gunicorn app --workers 4\n",
            "services:\n  web:\n    image: app:1\n    command: gunicorn app --workers 4\n",
        );
        assert_eq!(hits("EP021", &same), vec![]);
        let unknown = pair(
            "services:\n  worker:\n    image: app:1\n    command: celery -A p worker -c 8\n",
            "services:\n  worker:\n    image: app:1\n    command: celery -A p worker\n",
        );
        assert_eq!(hits("EP021", &unknown), vec![]);
    }
}
