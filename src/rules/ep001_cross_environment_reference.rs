//! EP001 cross-environment-reference.

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::{words, Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP001",
    name: "cross-environment-reference",
    severity: Severity::Error,
    summary: "a value in one environment names another environment's host, database, bucket, namespace, URL or volume",
    doc: r#"# EP001 cross-environment-reference

## What it finds
A setting in one environment whose value names another environment of the same repository:
a production `DATABASE_URL` pointing at `db-staging`, a production ingress host
`app.staging.example.com`, staging mounting `./data-production`. Only values that address
something are read: URLs, hosts, database, bucket, queue and namespace names, volumes and
networks.

## Why it matters
Production reading or writing a staging database (or the reverse) corrupts data and leaks it
across a trust boundary; it is the mistake every hand-written environment document warns about.

## How to fix
Point the value at the environment's own resource. If the reference is deliberate (a one-way
replication from production to a staging read replica), waive it with a reason and an expiry.

## Example
```yaml
# docker-compose.production.yml
services:
  web:
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db-staging:5432/app   # EP001
```
"#,
    check,
};

/// Words in a setting's name that say its value addresses something (`DATABASE_URL`,
/// `REDIS_HOST`, `UPLOAD_BUCKET`).
const ADDRESS_WORDS: &[&str] = &[
    "URL",
    "URI",
    "HOST",
    "ENDPOINT",
    "DSN",
    "SERVER",
    "ADDR",
    "DATABASE",
    "_DB",
    "DB_",
    "BUCKET",
    "NAMESPACE",
    "QUEUE",
    "TOPIC",
    "INDEX",
    "_NAME",
    "DOMAIN",
    "ORIGIN",
];

/// Setting keys whose values address something. Asked for every setting: one pass of a
/// multi-pattern automaton over the key's name instead of a search per word.
fn addresses_something(key: &str) -> bool {
    static WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(ADDRESS_WORDS)
            .ok()
    });
    let name = key.rsplit('.').next().unwrap_or(key);
    let starts = |prefix: &str| {
        key.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    starts("volumes.")
        || starts("networks")
        || key
            .as_bytes()
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"ingress"))
        || WORDS.as_ref().is_some_and(|ac| ac.is_match(name))
        || ADDRESS_WORDS
            .iter()
            .any(|w| name.eq_ignore_ascii_case(w.trim_matches('_')))
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // Words naming each environment: its canonical name and the aliases people write.
    let aliases = |env: &str| -> HashSet<&'static str> {
        let all: &[(&str, &[&'static str])] = &[
            ("production", &["production", "prod", "prd"]),
            ("staging", &["staging", "stage", "stg"]),
            ("development", &["development", "dev"]),
            ("qa", &["qa"]),
            ("uat", &["uat"]),
            ("preprod", &["preprod"]),
            ("test", &["test"]),
        ];
        all.iter()
            .find(|(name, _)| *name == env)
            .map(|(_, a)| a.iter().copied().collect())
            .unwrap_or_default()
    };
    let alias_sets: Vec<HashSet<&str>> = envs.iter().map(|e| aliases(e)).collect();
    for (e, service, key, setting) in ctx.settings() {
        if setting.display().is_empty() || !addresses_something(key) {
            continue;
        }
        let own = &alias_sets[e];
        let value = setting.display();
        if value.starts_with("/dev/") {
            continue;
        }
        let found: Vec<String> = words(value).collect();
        for (o, other) in envs.iter().enumerate() {
            if o == e {
                continue;
            }
            let theirs = &alias_sets[o];
            let named = found.iter().find(|w| {
                (theirs.contains(w.as_str()) || *w == other) && !own.contains(w.as_str())
            });
            if let Some(word) = named {
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "{} value of `{key}` names `{word}`, which is the {other} environment",
                            envs[e]
                        ),
                    )
                    .on_setting(&envs[e], service, key, setting),
                );
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn production_pointing_at_staging_database() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      ENVIRONMENT: staging\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      ENVIRONMENT: production\n    volumes: ['./data-staging:/data']\n",
        );
        assert_eq!(
            hits("EP001", &files),
            vec![
                hit("production", "web", "env.DATABASE_URL"),
                hit("production", "web", "volumes./data")
            ]
        );
    }

    #[test]
    fn own_environment_and_non_addresses_do_not_fire() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      NOTE: copied from production\n    volumes: ['/dev/shm:/dev/shm']\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-prod/app\n      NOTE: not staging\n",
        );
        assert!(hits("EP001", &files).is_empty());
    }
}
