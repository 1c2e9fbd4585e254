//! EP013 insecure-transport.

use super::ep018_dangling_reference::is_compose;
use super::{is_falsy, is_truthy, key_name, Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP013",
    name: "insecure-transport",
    severity: Severity::Error,
    summary: "TLS redirect, secure cookies or HSTS disabled, or weaker in a production-like environment than in a lower one",
    doc: r#"# EP013 insecure-transport

## What it finds
In a production-like environment: an HTTPS redirect turned off (`SECURE_SSL_REDIRECT`,
`FORCE_SSL`, `FORCE_HTTPS`, `HTTPS_ONLY`), cookies not marked secure (`SESSION_COOKIE_SECURE`,
`CSRF_COOKIE_SECURE`, `COOKIE_SECURE`), HSTS off (`SECURE_HSTS_SECONDS=0`) or shorter than in a
lower environment, TLS switched off (`USE_TLS`, `USE_SSL`, `SSL`, `TLS` false), or a database
URL with `sslmode=disable`, unless that database is a Compose service of the same environment:
on the stack's own network the connection never leaves the Docker host.

## Why it matters
Plain-text traffic exposes sessions and credentials to anyone on the path; a production that is
weaker than staging means the security settings were never promoted.

## How to fix
Turn the setting on in the production-like environment, at least as strict as the lower ones.

## Example
```yaml
# docker-compose.production.yml
      SESSION_COOKIE_SECURE: "False"   # EP013
```
"#,
    check,
};

pub(crate) const MUST_BE_ON: &[&str] = &[
    "SECURE_SSL_REDIRECT",
    "FORCE_SSL",
    "FORCE_HTTPS",
    "HTTPS_ONLY",
    "SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "COOKIE_SECURE",
    "SECURE_COOKIES",
    "USE_TLS",
    "USE_SSL",
    "SSL",
    "TLS",
    "TLS_ENABLED",
    "SSL_ENABLED",
];
pub(crate) const HSTS: &[&str] = &["SECURE_HSTS_SECONDS", "HSTS_MAX_AGE", "HSTS_SECONDS"];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // Asked of every setting: the key's last part is compared without an uppercased copy, and
    // only HSTS settings are kept for comparing with a lower environment's.
    fn field(key: &str) -> &str {
        key.rsplit('.').next().unwrap_or(key)
    }
    let one_of = |name: &str, list: &[&str]| list.iter().any(|w| name.eq_ignore_ascii_case(w));
    let hsts: Vec<_> = ctx
        .settings()
        .filter(|(_, _, key, _)| one_of(field(key), HSTS))
        .collect();
    let production_like: Vec<bool> = (0..envs.len()).map(|e| ctx.is_production_like(e)).collect();
    for (e, service, key, setting) in ctx.settings() {
        if !production_like[e] || setting.is_secret() {
            continue;
        }
        let last = field(key);
        let value = setting.display();
        let name = || key_name(key);
        let mut why = None;
        if one_of(last, MUST_BE_ON) && is_falsy(value) {
            why = Some(format!("`{}` is off", name()));
        } else if one_of(last, HSTS) {
            let secs: Option<u64> = value.trim().parse().ok();
            if secs == Some(0) {
                why = Some(format!("`{}` is 0 (HSTS off)", name()));
            } else if let Some(v) = secs {
                // Weaker than a lower environment's value for the same key and service.
                let lower = hsts.iter().find(|(oe, os, ok, os2)| {
                    *oe < e
                        && *os == service
                        && *ok == key
                        && os2.display().trim().parse::<u64>().is_ok_and(|o| o > v)
                });
                if let Some((oe, _, _, o)) = lower {
                    why = Some(format!(
                        "`{}` is {v}, lower than {} in {}",
                        name(),
                        o.display(),
                        envs[*oe]
                    ));
                }
            }
        } else if disables_ssl(value) && !to_own_compose_service(ctx, e, service, value) {
            why = Some(format!("`{}` connects with `sslmode=disable`", name()));
        } else if ends_with_ignoring_case(last, "_SSL_VERIFY") && is_falsy(value)
            || last.eq_ignore_ascii_case("VERIFY_SSL") && !is_truthy(value) && is_falsy(value)
        {
            why = Some(format!("`{}` turns certificate verification off", name()));
        }
        if let Some(why) = why {
            out.push(
                Finding::new(&RULE, format!("{why} in {}", envs[e]))
                    .on_setting(&envs[e], service, key, setting),
            );
        }
    }
}

/// `sslmode=disable` anywhere in the value, whatever the case: looked for at each `=` (most
/// values have none) rather than in a lowercased copy of every value.
fn disables_ssl(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.match_indices('=').any(|(at, _)| {
        let before = bytes[..at].len() >= 7 && bytes[at - 7..at].eq_ignore_ascii_case(b"sslmode");
        let after = bytes.get(at + 1..at + 8);
        before && after.is_some_and(|a| a.eq_ignore_ascii_case(b"disable"))
    })
}

fn ends_with_ignoring_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Whether a connection string's host (`postgres://u@db:5432/app`, `host=db port=5432`) is a
/// Compose service of the same environment, reached from a Compose service.
fn to_own_compose_service(ctx: &Context, e: usize, from: Option<&str>, value: &str) -> bool {
    let Some(host) = connection_host(value) else {
        return false;
    };
    let services = &ctx.scan.environments[e].services;
    let compose = |name: &str| {
        services
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(name) && is_compose(s))
    };
    from.is_some_and(compose) && compose(&host)
}

/// The host of a URL or of a libpq key-value string, lower-cased.
fn connection_host(value: &str) -> Option<String> {
    let host = match value.split_once("://") {
        Some((_, rest)) => {
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            host.split(':').next().unwrap_or("").to_string()
        }
        None => value
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("host="))?
            .to_string(),
    };
    let host = host.trim_matches(['\'', '"']).to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn weak_transport_in_production() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      SECURE_HSTS_SECONDS: '31536000'\n      SESSION_COOKIE_SECURE: 'False'\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      SECURE_HSTS_SECONDS: '604800'\n      SESSION_COOKIE_SECURE: 'False'\n      SECURE_SSL_REDIRECT: 'True'\n      REPLICA_URL: postgres://db/app?sslmode=disable\n",
        );
        assert_eq!(
            hits("EP013", &files),
            vec![
                hit("production", "web", "env.REPLICA_URL"),
                hit("production", "web", "env.SECURE_HSTS_SECONDS"),
                hit("production", "web", "env.SESSION_COOKIE_SECURE"),
            ]
        );
    }

    #[test]
    fn strict_production_does_not_fire() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      SECURE_HSTS_SECONDS: '604800'\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      SECURE_HSTS_SECONDS: '31536000'\n      SESSION_COOKIE_SECURE: 'True'\n",
        );
        assert!(hits("EP013", &files).is_empty());
    }

    #[test]
    fn plain_connections_inside_the_compose_stack_do_not_fire() {
        let prod = "services:\n  db:\n    image: postgres:16\n  exporter:\n    image: exporter:1\n    environment:\n      DATA_SOURCE_NAME: postgresql://${PGUSER}:${PGPASSWORD}@db:5432/app?sslmode=disable\n      LIBPQ: host=db port=5432 sslmode=disable\n      REPORTS_URL: postgres://reports.example.com/app?sslmode=disable\n";
        assert_eq!(
            hits("EP013", &pair(prod, prod)),
            vec![hit("production", "exporter", "env.REPORTS_URL")]
        );
        assert_eq!(
            super::connection_host("host='db' sslmode=disable").as_deref(),
            Some("db")
        );
    }
}
