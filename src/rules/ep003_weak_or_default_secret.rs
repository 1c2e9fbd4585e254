//! EP003 weak-or-default-secret.

use super::{Context, Finding, Rule};
use crate::model::SettingValue;
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP003",
    name: "weak-or-default-secret",
    severity: Severity::Error,
    summary: "a secret that is a known default, too short or low in entropy",
    doc: r#"# EP003 weak-or-default-secret

## What it finds
A secret whose value is a well-known default or placeholder (`changeme`, `change-me`,
`password`, `admin`, `secret`, `insecure`, `example`, ...), shorter than 8 characters, or low in
entropy (`aaaaaaaaaaaa`), including defaults that apply when a variable is unset:
`${DB_PASSWORD:-admin}` or Spring's `${DB_PASSWORD:admin}`, and placeholders left where a secret
goes (`REPLACE_ME`, `CHANGE_ME`, `TODO`, `xxx`, `<password>`, `prodonly`, `test`, `your apiKey`,
a made-up identifier, any of them in base64). The value is judged when it is read and never kept
or shown.

A placeholder an environment writes itself is a warning, in production-like environments only:
nothing secret leaked, and the deployment may still supply the real value. A placeholder as a
Terraform variable's `default` stands for a required input (given at apply time) and is not
reported; a weak real default is, once, at its place. A developer environment's credential for
a service on loopback is a laptop's and is not reported.

## Why it matters
Default credentials are the first thing an attacker tries; a `:-changeme` fallback silently
becomes the production password the day the variable is missing from a deployment.

## How to fix
Generate a long random secret per environment and provide it at deploy time. Use
`${DB_PASSWORD:?DB_PASSWORD is required}` so a missing value stops the deployment instead of
falling back to a default.

## Example
```yaml
services:
  db:
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-changeme}   # EP003 when unset
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // One literal read by several workloads (a Secret behind `envFrom`) or several environments
    // (a shared base, a `variables.tf` default) is one finding, at the place it is written.
    let mut seen = crate::hash::HashSet::default();
    for (e, service, key, setting, scope) in ctx.settings_in_scope() {
        // A local development file's credentials are local defaults, and a sample's are
        // placeholders: neither is a secret kept in the repository.
        let SettingValue::Secret(secret) = &setting.value else {
            continue;
        };
        if super::from_sample(setting) || envs[e] == "local" {
            continue;
        }
        // Placeholder text a server takes literally is EP002's finding ("the placeholder text
        // itself is the secret"): one finding for one fact.
        if secret.is_unexpanded() {
            continue;
        }
        let Some(why) = secret.weakness() else {
            continue;
        };
        // A placeholder an environment writes itself matters where it is deployed for real; a
        // placeholder as an input's declared default (`variable "token" { default =
        // "changeme" }`) stands for a required input, given at apply time.
        let literal_placeholder = secret.is_placeholder() && !secret.is_fallback();
        if secret.is_placeholder() && secret.is_input_default()
            || literal_placeholder && !ctx.is_production_like(e)
        {
            continue;
        }
        // A developer environment's credential for a service on loopback is a laptop's.
        if super::laptop_credential(&envs[e], key, setting, scope) {
            continue;
        }
        if !seen.insert(&setting.origin) {
            continue;
        }
        let mut finding = if literal_placeholder {
            Finding::new(
                &RULE,
                format!(
                    "`{key}` is {why}, not a secret: {} runs with it unless the deployment supplies the real one",
                    envs[e]
                ),
            )
        } else if secret.is_fallback() {
            Finding::new(
                &RULE,
                format!("`{key}` falls back to a weak secret when its variable is unset: {why}"),
            )
        } else {
            Finding::new(&RULE, format!("`{key}` is a weak secret: {why}"))
        };
        if literal_placeholder {
            // Nothing secret leaked; the deployment may still replace it.
            finding.severity = Severity::Warning;
        }
        out.push(finding.on_setting(&envs[e], service, key, setting));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, hit, hits, pair};

    #[test]
    fn defaults_and_short_values_fire_strong_ones_do_not() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${UNSET_PW:-changeme}\n      API_TOKEN: Zq8mT2vLp9wR4sK1xY\n",
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${UNSET_PW:-Zq8mT2vLp9wR4sK1}\n      API_TOKEN: abc\n",
        );
        assert_eq!(
            hits("EP003", &files),
            vec![
                hit("production", "db", "env.API_TOKEN"),
                hit("staging", "db", "env.POSTGRES_PASSWORD")
            ]
        );
        let all = findings(&files);
        assert!(
            all.iter().all(|f| !f.message.contains("changeme")),
            "never print the value"
        );
    }
}
