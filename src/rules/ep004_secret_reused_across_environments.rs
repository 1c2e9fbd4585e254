//! EP004 secret-reused-across-environments.

use std::collections::BTreeMap;

use super::{report_shared, Context, Finding, Place, Rule};
use crate::model::SettingValue;
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP004",
    name: "secret-reused-across-environments",
    severity: Severity::Error,
    summary: "the same secret value in two environments",
    doc: r#"# EP004 secret-reused-across-environments

## What it finds
The same secret value (password, token, API key, credentials in a URL) in two environments.
Values are compared by a fingerprint taken when they are read; the value is never shown. One
place read by several environments (a shared base file, a `variables.tf` default) is not compared
with itself, and a placeholder or a fallback default is EP003's, not a reused secret.

## Why it matters
A staging secret is seen by more people and systems than a production one. If they are the
same, anyone with staging access holds production access, and a staging leak is a production
incident. Separate keys also keep staging traffic out of production quotas and billing.

## How to fix
Issue a separate secret for each environment and rotate the shared one.

## Example
```yaml
# docker-compose.staging.yml and docker-compose.production.yml both contain:
      ANTHROPIC_API_KEY: sk-ant-...same...   # EP004
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // Fingerprint -> where it appears.
    let mut seen: BTreeMap<[u8; 16], Vec<Place>> = BTreeMap::new();
    for (e, service, key, setting) in ctx.settings() {
        let SettingValue::Secret(secret) = &setting.value else {
            continue;
        };
        if super::from_sample(setting) {
            continue;
        }
        // A placeholder or a fallback default (a `${VAR:-default}`, a Terraform variable's
        // `default`) is the same text, not the same secret: EP003 reports it.
        if secret.length() == 0 || secret.is_placeholder() || secret.is_fallback() {
            continue;
        }
        let places = seen.entry(secret.fingerprint()).or_default();
        // A place read by several environments is compared with other places, never with
        // itself.
        if !places.iter().any(|p| p.3 == &setting.origin) {
            places.push((e, service, key, &setting.origin));
        }
    }
    for places in seen.values() {
        report_shared(
            &RULE,
            places,
            envs,
            |key, env, first| format!("`{key}` in {env} has the same secret value as {first}"),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn same_value_in_two_environments() {
        let files = pair(
            "services:\n  app:\n    image: app:1\n    environment:\n      API_KEY: Zq8mT2vLp9wR4sK1xY\n      DB_PASSWORD: staging-only-Zq8mT2v\n",
            "services:\n  app:\n    image: app:1\n    environment:\n      ANTHROPIC_API_KEY: Zq8mT2vLp9wR4sK1xY\n      DB_PASSWORD: prod-only-Lp9wR4sK1\n",
        );
        assert_eq!(
            hits("EP004", &files),
            vec![hit("production", "app", "env.ANTHROPIC_API_KEY")]
        );
    }
}
