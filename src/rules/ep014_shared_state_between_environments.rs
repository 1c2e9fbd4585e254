//! EP014 shared-state-between-environments.

use std::collections::BTreeMap;

use super::{key_name, report_shared, Context, Finding, Place, Rule};
use crate::model::Role;
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP014",
    name: "shared-state-between-environments",
    severity: Severity::Error,
    summary: "two environments share a network, volume, database, bucket or Redis database",
    doc: r#"# EP014 shared-state-between-environments

## What it finds
State two environments would share: the same bucket name; the same external database or
cache (the same `postgres://`, `mysql://`, `mongodb://`, `redis://` or `amqp://` host and
database when that host is not a service of the environment itself); the same database name
when neither environment runs its own database (`PROFILE_DATABASE_NAME=portfolio` in both);
the same explicitly named (`name:`) or external network or volume; the same writable bind-mount
directory (`./data:/app/data` in both files).

## Why it matters
Shared state means staging tests write into production data, a staging migration alters the
production schema, and a cache flush in one environment empties the other.

## How to fix
Give each environment its own database, bucket, Redis database, network and data directory,
named after the environment.

## Example
```yaml
# staging and production both: STORAGE_BUCKET: acme-uploads   -> EP014
```
"#,
    check,
};

const DATA_SCHEMES: &[&str] = &[
    "postgres://",
    "postgresql://",
    "mysql://",
    "mongodb://",
    "mongodb+srv://",
    "redis://",
    "rediss://",
    "amqp://",
    "amqps://",
];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // Per environment: does it run its own database, and what are its service names?
    let runs_database: Vec<bool> = ctx
        .scan
        .environments
        .iter()
        .map(|env| env.services.iter().any(|s| s.role == Role::Database))
        .collect();
    // A set per environment: data URLs are checked against thousands of service names.
    let service_names: Vec<std::collections::HashSet<String>> = ctx
        .scan
        .environments
        .iter()
        .map(|env| {
            env.services
                .iter()
                .map(|s| s.name.to_ascii_lowercase())
                .collect()
        })
        .collect();

    // (what is shared, value) -> places.
    // (what is shared, value) -> where.
    let mut places: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
    for (e, service, key, setting) in ctx.settings() {
        let value = setting.display().trim();
        if value.is_empty() {
            continue;
        }
        let name = key_name(key);
        let lower_key = key.to_ascii_lowercase();
        let shared = if name.contains("BUCKET") {
            Some("bucket")
        } else if DATA_SCHEMES.iter().any(|s| {
            value
                .get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s))
        }) {
            let host = value
                .split("://")
                .nth(1)
                .map(|rest| rest.rsplit_once('@').map_or(rest, |(_, h)| h))
                .and_then(|h| h.split([':', '/', '?']).next())
                .unwrap_or("")
                .to_ascii_lowercase();
            (!host.is_empty() && !service_names[e].contains(&host) && host != "localhost")
                .then_some("external data store")
        } else if (name.ends_with("DATABASE_NAME")
            || name == "DB_NAME"
            || name.ends_with("_DATABASE")
            || name == "POSTGRES_DB")
            && !runs_database[e]
        {
            Some("database")
        } else if service.is_none()
            && (lower_key.ends_with(".name") || lower_key.ends_with(".external.name"))
            && (lower_key.starts_with("networks.") || lower_key.starts_with("volumes."))
        {
            Some("named network or volume")
        } else if let Some(target) = lower_key
            .strip_prefix("volumes.")
            .filter(|_| service.is_some())
        {
            let writable_dir =
                (value.starts_with("./") || value.starts_with('/') || value.starts_with("../"))
                    && !value.ends_with(":ro")
                    && !value.contains("docker.sock")
                    && !target.starts_with("/etc");
            writable_dir.then_some("writable bind-mount directory")
        } else {
            None
        };
        if let Some(what) = shared {
            places
                .entry((what.to_string(), value.to_string()))
                .or_default()
                .push((e, service, key, &setting.origin));
        }
    }
    for ((what, _), list) in &places {
        report_shared(
            &RULE,
            list,
            envs,
            |key, env, first| format!("`{key}` in {env} names the same {what} as {first}"),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn shared_bucket_database_and_data_directory() {
        let files = pair(
            "services:\n  app:\n    image: app:1\n    environment:\n      UPLOAD_BUCKET: acme-uploads\n      PROFILE_DATABASE_NAME: portfolio\n      CACHE_URL: redis://cache.internal:6379/0\n    volumes: ['./data:/app/data', './config:/app/config:ro']\n",
            "services:\n  app:\n    image: app:1\n    environment:\n      UPLOAD_BUCKET: acme-uploads\n      PROFILE_DATABASE_NAME: portfolio\n      CACHE_URL: redis://cache.internal:6379/0\n    volumes: ['./data:/app/data', './config:/app/config:ro']\n",
        );
        assert_eq!(
            hits("EP014", &files),
            vec![
                hit("production", "app", "env.CACHE_URL"),
                hit("production", "app", "env.PROFILE_DATABASE_NAME"),
                hit("production", "app", "env.UPLOAD_BUCKET"),
                hit("production", "app", "volumes./app/data"),
            ]
        );
    }

    #[test]
    fn own_services_and_separate_names_do_not_fire() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n    environment: {POSTGRES_DB: app}\n  app:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db:5432/app\n      UPLOAD_BUCKET: acme-uploads-staging\n    volumes: ['./data-staging:/app/data']\n",
            "services:\n  db:\n    image: postgres:16\n    environment: {POSTGRES_DB: app}\n  app:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db:5432/app\n      UPLOAD_BUCKET: acme-uploads\n    volumes: ['./data:/app/data']\n",
        );
        assert!(hits("EP014", &files).is_empty());
    }
}
