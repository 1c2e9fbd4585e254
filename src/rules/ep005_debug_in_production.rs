//! EP005 debug-in-production.

use super::{is_truthy, key_name, Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP005",
    name: "debug-in-production",
    severity: Severity::Error,
    summary: "debug mode or development settings in a production-like environment",
    doc: r#"# EP005 debug-in-production

## What it finds
In a production-like environment: `DEBUG`, `FLASK_DEBUG`, `APP_DEBUG`, `DJANGO_DEBUG` turned on,
`NODE_ENV`, `RAILS_ENV`, `APP_ENV`, `FLASK_ENV` or `ENVIRONMENT` set to `development`,
`LOG_LEVEL=debug`, or a Django settings module ending in `.dev`, `.development` or `.local`.

## Why it matters
Debug modes print stack traces, settings and sometimes secrets to anyone who triggers an
error, disable caching and security middleware, and debug logging can write personal data and
tokens to log storage.

## How to fix
Turn debug off in the production-like environment's file; keep debug settings in the lower
environments' files only.

## Example
```yaml
# docker-compose.production.yml
services:
  web:
    environment:
      DEBUG: "true"   # EP005
```
"#,
    check,
};

/// Switches that turn a framework's debug mode on.
pub(crate) const DEBUG_FLAGS: &[&str] = &[
    "DEBUG",
    "FLASK_DEBUG",
    "APP_DEBUG",
    "DJANGO_DEBUG",
    "RAILS_DEBUG",
];
/// Settings that name the mode an application runs in (`development`, `production`).
pub(crate) const MODE_KEYS: &[&str] = &[
    "NODE_ENV",
    "RAILS_ENV",
    "APP_ENV",
    "FLASK_ENV",
    "ENVIRONMENT",
    "RACK_ENV",
];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for (e, service, key, setting) in ctx.settings() {
        if !ctx.is_production_like(e) || setting.is_secret() {
            continue;
        }
        let name = key_name(key);
        let value = setting.display().trim();
        let lower = value.to_ascii_lowercase();
        let why = match name.as_str() {
            flag if DEBUG_FLAGS.contains(&flag) && is_truthy(value) => {
                Some(format!("`{name}` is on"))
            }
            mode if MODE_KEYS.contains(&mode)
                && matches!(lower.as_str(), "development" | "dev" | "local") =>
            {
                Some(format!("`{name}` is `{value}`"))
            }
            "LOG_LEVEL" | "LOGLEVEL" if lower == "debug" || lower == "trace" => {
                Some(format!("`{name}` is `{value}`"))
            }
            "DJANGO_SETTINGS_MODULE"
                if [".dev", ".development", ".local"]
                    .iter()
                    .any(|s| lower.ends_with(s)) =>
            {
                Some(format!(
                    "Django runs with the development settings `{value}`"
                ))
            }
            _ => None,
        };
        if let Some(why) = why {
            out.push(
                Finding::new(&RULE, format!("{why} in {}", envs[e]))
                    .on_setting(&envs[e], service, key, setting),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn debug_on_in_production_only() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      DEBUG: 'true'\n      LOG_LEVEL: debug\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DEBUG: 'True'\n      NODE_ENV: development\n      LOG_LEVEL: info\n      DJANGO_SETTINGS_MODULE: app.settings.production\n",
        );
        assert_eq!(
            hits("EP005", &files),
            vec![
                hit("production", "web", "env.DEBUG"),
                hit("production", "web", "env.NODE_ENV")
            ]
        );
    }

    #[test]
    fn debug_off_does_not_fire() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DEBUG: '0'\n      NODE_ENV: production\n",
        );
        assert!(hits("EP005", &files).is_empty());
    }
}
