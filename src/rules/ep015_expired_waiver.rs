//! EP015 expired-waiver.

use super::{Context, Finding, Rule};
use crate::model::Origin;
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP015",
    name: "expired-waiver",
    severity: Severity::Warning,
    summary: "a waiver in envparity.toml whose expiry date has passed",
    doc: r#"# EP015 expired-waiver

## What it finds
A `[[waiver]]` in `envparity.toml` whose `expires` date is before today (UTC). An expired waiver
stops waiving: the findings it covered are reported again, and this finding says why.

## Why it matters
Waivers are debts with a due date. One that silently outlives its date turns an accepted,
temporary risk into a permanent one nobody decided.

## How to fix
Fix what the waiver covered and delete it, or renew it with a new date and a current reason.

## Example
```toml
[[waiver]]
rule = "EP007"
environment = "production"
reason = "dedicated hosts until the move to Kubernetes"
expires = 2026-06-30   # EP015 after that date
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let file = ctx
        .policy
        .file
        .clone()
        .unwrap_or_else(|| crate::policy::FILE_NAME.to_string());
    for w in &ctx.policy.waivers {
        if w.expires < ctx.today {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "waiver for {} expired on {} ({}); it no longer waives anything",
                        w.rule, w.expires, w.reason
                    ),
                )
                .at(&Origin::new(file.clone(), w.line)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, pair};

    #[test]
    fn expired_waivers_stop_waiving_and_are_reported() {
        let mut files = pair(
            "services:\n  web:\n    image: app:1\n",
            "services:\n  web:\n    image: app:latest\n",
        );
        files.push((
            "envparity.toml",
            "[[waiver]]\nrule = \"EP006\"\nreason = \"old\"\nexpires = 2026-01-31\n\n[[waiver]]\nrule = \"EP008\"\nreason = \"until probes\"\nexpires = 2027-01-31\n",
        ));
        let all = findings(&files);
        let ep006 = all.iter().find(|f| f.rule == "EP006").unwrap();
        assert_eq!(ep006.waived, None, "expired waiver does not waive");
        let ep008 = all.iter().find(|f| f.rule == "EP008").unwrap();
        assert_eq!(ep008.waived.as_deref(), Some("until probes"));
        let expired: Vec<_> = all.iter().filter(|f| f.rule == "EP015").collect();
        assert_eq!(expired.len(), 1);
        assert_eq!(
            (expired[0].file.as_deref(), expired[0].line),
            (Some("envparity.toml"), Some(1))
        );
    }
}
