//! EP023 ineffective-intention.

use super::{waives, Context, Finding, Rule};
use crate::model::Origin;
use crate::policy::{Pattern, Severity};

pub static RULE: Rule = Rule {
    id: "EP023",
    name: "ineffective-intention",
    severity: Severity::Note,
    summary: "an intention that does nothing: a policy entry that matches nothing, or an inline suppression that is ignored",
    doc: r#"# EP023 ineffective-intention

## What it finds
- An `[[intended]]` or `[[must_match]]` entry in `envparity.toml` whose patterns match no
  setting (or, for a whole-service `[[intended]]`, no service) in any environment.
- A `[[waiver]]`, not expired, that covers no finding.
- An inline suppression (`# envparity: ignore EP006 <reason>`) that is ignored because it has
  no reason or names no rule.

Each points at the file and line of the entry or the comment.

## Why it matters
An intention that matches nothing is either a typo (`env.LOG_LEVL`, so the difference it meant
to excuse is still reported, or the must-match it meant to enforce is not) or the leftover of
something fixed or removed. Left in place, it reads as a decision that no longer holds, and it
will silently cover the next thing that happens to match it.

## How to fix
Correct the pattern, or delete the entry once what it was about is gone. Give an inline
suppression its reason: `# envparity: ignore EP006 pinned by the deploy job`.

## Example
```toml
[[intended]]
setting = "env.LOG_LEVL"   # EP023: no environment has such a setting
reason = "verbose logs in staging"
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let file = policy_file(ctx);
    for i in &ctx.policy.intended {
        // Built-in entries (no line) cover what may or may not be there.
        let Some(line) = i.line else { continue };
        let matched = match &i.setting {
            Some(setting) => any_setting(ctx, setting, i.service.as_ref()),
            None => i
                .service
                .as_ref()
                .is_some_and(|p| ctx.comparison.services.iter().any(|s| p.matches(&s.name))),
        };
        if !matched {
            let what = describe(i.setting.as_ref(), i.service.as_ref());
            out.push(stale(
                &file,
                line,
                &format!(
                    "[[intended]] {what} matches nothing in any environment; it excuses nothing"
                ),
            ));
        }
    }
    for m in &ctx.policy.must_match {
        let Some(line) = m.line else { continue };
        if !any_setting(ctx, &m.setting, m.service.as_ref()) {
            let what = describe(Some(&m.setting), m.service.as_ref());
            out.push(stale(
                &file,
                line,
                &format!(
                    "[[must_match]] {what} matches nothing in any environment; it enforces nothing"
                ),
            ));
        }
    }
}

/// After the rules ran: each waiver, not expired (EP015 reports those), that covers none of
/// `findings`.
pub(crate) fn stale_waivers(ctx: &Context, findings: &[Finding]) -> Vec<Finding> {
    let file = policy_file(ctx);
    ctx.policy
        .waivers
        .iter()
        .filter(|w| w.expires >= ctx.today && w.rule != RULE.id)
        .filter(|w| !findings.iter().any(|f| waives(w, f, ctx.today)))
        .map(|w| {
            stale(
                &file,
                w.line,
                &format!(
                    "[[waiver]] for {} ({}) covers no finding; it waives nothing",
                    w.rule, w.reason
                ),
            )
        })
        .collect()
}

/// An inline suppression at `file:line` that suppresses nothing, and why.
pub(crate) fn ignored_suppression(file: &str, line: u32, why: &str) -> Finding {
    Finding::new(&RULE, format!("inline suppression {why}; it is ignored"))
        .at(&Origin::new(file, line))
}

fn policy_file(ctx: &Context) -> String {
    ctx.policy
        .file
        .clone()
        .unwrap_or_else(|| crate::policy::FILE_NAME.to_string())
}

fn stale(file: &str, line: u32, message: &str) -> Finding {
    Finding::new(&RULE, message).at(&Origin::new(file, line))
}

fn describe(setting: Option<&Pattern>, service: Option<&Pattern>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = setting {
        parts.push(format!("setting = `{}`", s.as_str()));
    }
    if let Some(s) = service {
        parts.push(format!("service = `{}`", s.as_str()));
    }
    parts.join(", ")
}

/// Whether some compared row (of a service the service pattern matches, or environment-wide
/// when there is none) has an id the setting pattern matches, directly or through the server
/// setting a variable sets (`env.POSTGRES_MAX_CONNECTIONS` as `postgres.max_connections`).
fn any_setting(ctx: &Context, setting: &Pattern, service: Option<&Pattern>) -> bool {
    let matches = |id: &str| {
        let server = crate::defaults::server_key_of_variable(id);
        setting.matches(id) || server.is_some_and(|k| setting.matches(&k))
    };
    let c = ctx.comparison;
    let in_services = c
        .services
        .iter()
        .filter(|s| service.is_none_or(|p| p.matches(&s.name)))
        .any(|s| s.rows.iter().any(|r| matches(r.aspect.id())));
    in_services || (service.is_none() && c.environment_rows.iter().any(|r| matches(r.aspect.id())))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, pair};

    fn ep023(policy: &'static str) -> Vec<(String, u32)> {
        let mut files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      LOG_LEVEL: debug\n",
            "services:\n  web:\n    image: app:latest\n    environment:\n      LOG_LEVEL: info\n",
        );
        files.push(("envparity.toml", policy));
        findings(&files)
            .into_iter()
            .filter(|f| f.rule == "EP023")
            .map(|f| (f.message, f.line.unwrap_or(0)))
            .collect()
    }

    #[test]
    fn entries_that_match_something_are_not_reported() {
        let found = ep023(
            "[[intended]]\nsetting = \"env.LOG_*\"\nreason = \"verbose staging\"\n\n\
             [[intended]]\nservice = \"web\"\nreason = \"x\"\n\n\
             [[must_match]]\nsetting = \"image\"\nservice = \"web\"\nreason = \"same build\"\n\n\
             [[waiver]]\nrule = \"EP006\"\nreason = \"moving to digests\"\nexpires = 2027-01-31\n",
        );
        assert_eq!(found, Vec::<(String, u32)>::new());
    }

    #[test]
    fn entries_that_match_nothing_point_at_their_line() {
        let found = ep023(
            "[[intended]]\nsetting = \"env.LOG_LEVL\"\nreason = \"typo\"\n\n\
             [[intended]]\nservice = \"worker\"\nreason = \"gone\"\n\n\
             [[must_match]]\nsetting = \"image\"\nservice = \"api\"\nreason = \"renamed\"\n\n\
             [[waiver]]\nrule = \"EP005\"\nreason = \"debug fixed since\"\nexpires = 2027-01-31\n\n\
             [[waiver]]\nrule = \"EP007\"\nreason = \"expired, EP015's business\"\nexpires = 2026-01-31\n",
        );
        let lines: Vec<u32> = found.iter().map(|(_, l)| *l).collect();
        assert_eq!(lines, [1, 5, 9, 14], "{found:#?}");
        let messages: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "[[intended]] setting = `env.LOG_LEVL` matches nothing in any environment; it excuses nothing",
                "[[intended]] service = `worker` matches nothing in any environment; it excuses nothing",
                "[[must_match]] setting = `image`, service = `api` matches nothing in any environment; it enforces nothing",
                "[[waiver]] for EP005 (debug fixed since) covers no finding; it waives nothing",
            ]
        );
    }
}
