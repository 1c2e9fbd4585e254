//! EP014 shared-state-between-environments.

use crate::hash::{HashMap, HashSet};
use std::collections::BTreeMap;

use super::{
    is_falsy, is_truthy, key_name, report_shared, words, Context, Finding, Place, Rule, Scope,
    SettingsMap,
};
use crate::model::{Role, Setting};
use crate::policy::Severity;
use rayon::prelude::*;

pub static RULE: Rule = Rule {
    id: "EP014",
    name: "shared-state-between-environments",
    severity: Severity::Error,
    summary: "two environments share a network, volume, database, bucket or Redis database",
    doc: r#"# EP014 shared-state-between-environments

## What it finds
State two environments would share: the same bucket name; the same external database or
cache (the same `postgres://`, `mysql://`, `mongodb://`, `redis://` or `amqp://` host and
database when that host is not a service of the environment itself); the same database name on
the same external host (`PROFILE_DATABASE_NAME=portfolio` beside `PROFILE_DATABASE_HOST=
db.example.com` in both) when neither environment runs its own database; a volume named after an
environment (`production_postgres_data`) mounted by two environments running as one Compose
project (the same `name:`, or by default the same directory); and, named after an environment,
the same named (`name:`) or external network or volume, or the same writable bind-mount
directory (`/srv/production/uploads`, or `./production-data` from one directory).

Compose networks, volumes and bind mounts live on the Docker host: two environments share them
only when they run on one host, which a repository rarely says. A name that points at an
environment (`production_net` in staging) is the evidence; a generic one (`./backups`,
`./hasura-metadata`, `blokatgent`, often inherited by both from a shared base file) is each
host's own, and a relative bind resolves under each deployment's own checkout. A database name
alone is a name on its server: the same `rds_database_name` in two accounts is two databases.

A bucket is its name on its endpoint (`minio.endpoint` beside `minio.bucketName`). Not read:
flags and numbers (`create_bucket = false`, `bucket_size_gb = 0.5`), Terraform expressions
(`dependency.rds.outputs.database_name`, resolved per environment), keys of a Kubernetes
Secret (`namespace_secrets`), hosts without dots (`redis://redis:6379`, `http://minio:9000`:
each environment's own stack resolves them), source-code mounts (`.:/app`, `./src:/app/src`)
and anonymous volumes (`/app/node_modules`).

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
    let service_names: Vec<HashSet<String>> = ctx
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
    let values = values_by_place(ctx);
    let judge = Judge {
        ctx,
        envs,
        runs_database: &runs_database,
        service_names: &service_names,
        values: &values,
    };
    // Every service's settings on every core, the places then taken in `Context::settings`
    // order: the first place of a shared value is the one the findings point back at.
    let scopes: Vec<Scope> = ctx.scopes().collect();
    let found: Vec<Vec<(&str, String, Place)>> = scopes
        .par_iter()
        .map(|&(e, service, settings)| {
            let shared = settings.iter().filter_map(|(key, setting)| {
                let (what, identity) = judge.shared(e, service, key, setting)?;
                Some((what, identity, (e, service, key.as_str(), &setting.origin)))
            });
            shared.collect()
        })
        .collect();
    // (what is shared, value) -> where.
    let mut places: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
    for (what, identity, place) in found.into_iter().flatten() {
        places
            .entry((what.to_string(), identity))
            .or_default()
            .push(place);
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
    report_project_volumes(ctx, out);
}

/// What the rule knows of every environment, to judge one setting.
struct Judge<'a> {
    ctx: &'a Context<'a>,
    envs: &'a [String],
    runs_database: &'a [bool],
    service_names: &'a [HashSet<String>],
    values: &'a Values<'a>,
}

impl Judge<'_> {
    /// What the setting names that environments could share (a bucket, a database, ...) and
    /// its identity, when it names one.
    fn shared(
        &self,
        e: usize,
        service: Option<&str>,
        key: &str,
        setting: &Setting,
    ) -> Option<(&'static str, String)> {
        let Judge {
            ctx,
            envs,
            runs_database,
            service_names,
            values,
        } = *self;
        let value = setting.display().trim();
        if value.is_empty()
            || is_flag_or_number(value)
            || is_expression(value)
            || names_a_secret_key(key)
        {
            return None;
        }
        let name = key_name(key);
        let lower_key = key.to_ascii_lowercase();
        let shared = if name.contains("BUCKET") {
            (!is_in_stack_url(value)).then_some("bucket")
        } else if let Some(host) = data_store_host(value) {
            // A host without dots (`redis`, `minio`) is resolved inside each environment's own
            // stack or cluster: it names that environment's store, not a shared one.
            (host.contains('.') && !service_names[e].contains(&host))
                .then_some("external data store")
        } else if (name.ends_with("DATABASE_NAME")
            || name == "DB_NAME"
            || name.ends_with("_DATABASE")
            || name == "POSTGRES_DB")
            && !runs_database[e]
        {
            // A database name is a name on its server: the same name on two servers (each
            // environment's own RDS instance, in its own account) is two databases.
            let host = host_of(values, e, service, key);
            let host = host.to_ascii_lowercase();
            (host.contains('.') && !service_names[e].contains(&host)).then_some("database")
        } else if service.is_none()
            && (lower_key.ends_with(".name") || lower_key.ends_with(".external.name"))
            && (lower_key.starts_with("networks.") || lower_key.starts_with("volumes."))
        {
            names_an_environment(value, envs).then_some("named network or volume")
        } else if let Some(target) = lower_key
            .strip_prefix("volumes.")
            .filter(|_| service.is_some())
        {
            (is_writable_data_mount(value, target) && names_an_environment(value, envs))
                .then_some("writable bind-mount directory")
        } else {
            None
        };
        let what = shared?;
        let identity = match what {
            "bucket" => with_endpoint(value, endpoint_of(values, e, service, key)),
            "database" => with_endpoint(
                value,
                &host_of(values, e, service, key).to_ascii_lowercase(),
            ),
            // `./backups/production` resolves under the directory Compose runs in.
            "writable bind-mount directory" if !value.starts_with('/') => {
                format!("{} {value}", project_name(ctx, e, &setting.origin.file))
            }
            _ => value.to_string(),
        };
        Some((what, identity))
    }
}

/// `false`, `0`, `0.5`: flags and sizes under a bucket-like name (`create_bucket`,
/// `bucket_size_gb`) name no bucket.
fn is_flag_or_number(value: &str) -> bool {
    is_truthy(value) || is_falsy(value) || value.parse::<f64>().is_ok()
}

/// `dependency.rds.outputs.database_name`, `module.s3.bucket_id`: a Terraform expression, resolved
/// in each environment to that environment's own resource, not a name compared as text.
fn is_expression(value: &str) -> bool {
    let prefix = ["dependency.", "module.", "var.", "local.", "data."]
        .iter()
        .any(|p| value.starts_with(p));
    prefix
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']' | b'"')
        })
}

/// Maps from a variable to a key inside a Kubernetes Secret (`namespace_secrets.<secret>.<VAR>`,
/// `secretKeyRef.key`): the value is the key's name, not a bucket or a database.
fn names_a_secret_key(key: &str) -> bool {
    key.split('.')
        .any(|segment| matches!(segment, "namespace_secrets" | "secretKeyRef" | "secretRef"))
}

/// The host of a database, cache or broker URL, lower-cased.
fn data_store_host(value: &str) -> Option<String> {
    let scheme = DATA_SCHEMES.iter().any(|s| {
        value
            .get(..s.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(s))
    });
    if !scheme {
        return None;
    }
    let host = url_host(value)?;
    (host != "localhost").then_some(host)
}

/// `scheme://user@host:port/path` -> `host`, lower-cased.
fn url_host(value: &str) -> Option<String> {
    let rest = value.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// `http://minio:9000`: an endpoint inside the environment's own stack.
fn is_in_stack_url(value: &str) -> bool {
    url_host(value).is_some_and(|h| !h.contains('.'))
}

/// A bind mount that holds state: a host directory, writable, not the source code of the app
/// (`.:/app`, `./src:/app/src`), not an anonymous volume (`/app/node_modules`), not a socket or
/// system configuration.
fn is_writable_data_mount(source: &str, target: &str) -> bool {
    let host_path =
        source.starts_with("./") || source.starts_with('/') || source.starts_with("../");
    let anonymous = source.eq_ignore_ascii_case(target);
    host_path
        && !anonymous
        && !source.ends_with(":ro")
        && !source.contains("docker.sock")
        && !target.starts_with("/etc")
        && !is_source_code(source, target)
}

/// Directories that hold an application's code, mounted for live reloading.
const CODE_DIRECTORIES: &[&str] = &[
    "src", "app", "api", "backend", "frontend", "web", "client", "server", "lib", "code",
];

fn is_source_code(source: &str, target: &str) -> bool {
    let last = |path: &str| {
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    matches!(source.trim_end_matches('/'), "." | "..")
        || CODE_DIRECTORIES.contains(&last(source).as_str())
        || CODE_DIRECTORIES.contains(&last(target).as_str())
}

/// The settings of each service (all its members') or environment, by (environment, service):
/// the settings beside a bucket or a database name are looked up among their own service's,
/// not among all settings (which made a search per database name quadratic). The maps are
/// borrowed from the model: only the few settings asked about are looked at.
type Values<'a> = HashMap<(usize, Option<&'a str>), Vec<&'a SettingsMap>>;

fn values_by_place<'a>(ctx: &'a Context) -> Values<'a> {
    let mut values: Values = HashMap::default();
    for (e, service, settings) in ctx.scopes() {
        values.entry((e, service)).or_default().push(settings);
    }
    values
}

/// The settings of `key`'s group in its service: (key, value).
fn group_of<'a>(
    values: &Values<'a>,
    e: usize,
    service: Option<&str>,
    key: &str,
) -> Vec<(&'a str, &'a str)> {
    let group = setting_group(key);
    values
        .get(&(e, service))
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .flat_map(|settings| settings.iter())
        .filter(|(k, _)| setting_group(k) == group)
        .map(|(k, v)| (k.as_str(), v.display()))
        .collect()
}

/// The endpoint configured beside a bucket (`minio.endpoint` beside `minio.bucketName`,
/// `S3_ENDPOINT` beside `S3_BUCKET`): the same bucket name on two servers is two buckets.
fn endpoint_of<'a>(values: &Values<'a>, e: usize, service: Option<&str>, key: &str) -> &'a str {
    group_of(values, e, service, key)
        .into_iter()
        .filter(|(k, _)| is_endpoint_field(k))
        .min()
        .map_or("", |(_, v)| v)
}

/// Settings that configure one thing together: the same parent key and, for flat names
/// (`S3_BUCKET`), the same first word.
fn setting_group(key: &str) -> (&str, String) {
    let (parent, field) = key.rsplit_once('.').unwrap_or(("", key));
    let stem = field
        .split_once('_')
        .map_or(String::new(), |(w, _)| w.to_ascii_lowercase());
    (parent, stem)
}

/// The database host configured beside a database name (`DB_HOST` beside `DB_NAME`,
/// `PROFILE_DATABASE_HOST` beside `PROFILE_DATABASE_NAME`), lower-cased; `""` when none is.
fn host_of<'a>(values: &Values<'a>, e: usize, service: Option<&str>, key: &str) -> &'a str {
    group_of(values, e, service, key)
        .into_iter()
        .filter(|(k, _)| {
            let field = k.rsplit('.').next().unwrap_or(k).to_ascii_lowercase();
            field.ends_with("host") || field.ends_with("hostname") || field.ends_with("endpoint")
        })
        .map(|(k, v)| (k, v.trim()))
        .min()
        .map_or("", |(_, v)| v)
}

fn is_endpoint_field(key: &str) -> bool {
    let field = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    field.contains("endpoint") || matches!(field.as_str(), "url" | "host" | "server")
}

fn with_endpoint(value: &str, endpoint: &str) -> String {
    if endpoint.is_empty() {
        value.to_string()
    } else {
        format!("{endpoint} {value}")
    }
}

/// Compose names a volume `<project>_<volume>`, the project being `name:` or the directory of the
/// Compose file. Two environments run under the same project that mount a volume named after an
/// environment (staging mounting `production_postgres_data`) mount the very same volume on one
/// Docker host. Volumes with generic names (`postgres_data`) are left alone: environments under
/// one project name are usually deployed on separate hosts.
fn report_project_volumes(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let mut places: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
    for (e, service, key, setting) in ctx.settings() {
        let Some(service) = service.filter(|_| key.starts_with("volumes.")) else {
            continue;
        };
        let volume = setting.display().split(':').next().unwrap_or("");
        if !is_named_volume(volume) || !names_an_environment(volume, envs) {
            continue;
        }
        let project = project_name(ctx, e, &setting.origin.file);
        places
            .entry((project, volume.to_string()))
            .or_default()
            .push((e, Some(service), key, &setting.origin));
    }
    for ((project, volume), list) in &mut places {
        // Reported where the volume is borrowed: in the environments it is not named after.
        list.sort_by_key(|&(e, ..)| {
            !words(volume).any(|w| environment_words(envs, e).contains(&w))
        });
        report_shared(
            &RULE,
            list,
            envs,
            |key, env, first| {
                format!("`{key}` in {env} mounts volume `{volume}` of Compose project `{project}`, as {first} does: on one Docker host it is the same volume")
            },
            out,
        );
    }
}

/// `postgres_data`, not `./data`, `/srv/data`, `~/data` or `${DATA_DIR}`.
fn is_named_volume(source: &str) -> bool {
    source
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && source
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The words naming environment `e`: its name and, for a well-known one, its aliases.
fn environment_words(envs: &[String], e: usize) -> Vec<String> {
    let name = &envs[e];
    let mut names = vec![name.clone()];
    names.extend(
        ALIASES
            .iter()
            .filter(|(canonical, _)| canonical == name)
            .flat_map(|(_, aliases)| aliases.iter().map(|a| a.to_string())),
    );
    names
}

const ALIASES: &[(&str, &[&str])] = &[
    ("production", &["prod", "prd"]),
    ("staging", &["stage", "stg"]),
    ("development", &["dev"]),
];

fn names_an_environment(volume: &str, envs: &[String]) -> bool {
    words(volume).any(|w| envs.contains(&w) || crate::discover::is_env_word(&w))
}

/// The Compose project an environment runs as: its `name:`, else the directory of the file that
/// declared the mount.
fn project_name(ctx: &Context, e: usize, file: &str) -> String {
    let declared = ctx.scan.environments[e]
        .settings
        .get("project.name")
        .map(|s| s.display().to_string());
    declared.unwrap_or_else(|| {
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/")
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn shared_bucket_database_and_data_directory() {
        let files = pair(
            "services:\n  app:\n    image: app:1\n    environment:\n      UPLOAD_BUCKET: acme-uploads\n      PROFILE_DATABASE_NAME: portfolio\n      PROFILE_DATABASE_HOST: db.example.com\n      CACHE_URL: redis://cache.internal:6379/0\n    volumes: ['/srv/production/data:/app/data', './config:/app/config:ro']\n",
            "services:\n  app:\n    image: app:1\n    environment:\n      UPLOAD_BUCKET: acme-uploads\n      PROFILE_DATABASE_NAME: portfolio\n      PROFILE_DATABASE_HOST: db.example.com\n      CACHE_URL: redis://cache.internal:6379/0\n    volumes: ['/srv/production/data:/app/data', './config:/app/config:ro']\n",
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

    #[test]
    fn host_local_names_and_server_scoped_database_names_are_not_shared() {
        // A shared base both environments extend: generic bind mounts and network names are
        // each Docker host's own; a relative bind resolves under each deployment's checkout.
        let base = "services:\n  db:\n    image: postgres:16\n    volumes: ['./backups:/backups', './pgdata:/var/lib/postgresql/data']\n  app:\n    image: app:1\n    environment:\n      REPORTS_DATABASE_NAME: reports\n    networks: [edge]\nnetworks:\n  edge:\n    name: edge\n";
        let files = vec![
            ("docker-compose.yml", base),
            (
                "docker-compose.staging.yml",
                "services:\n  app:\n    environment: {LOG_LEVEL: debug}\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  app:\n    environment: {LOG_LEVEL: info}\n",
            ),
        ];
        assert_eq!(hits("EP014", &files), vec![]);
        // A database name with no host, and one on each environment's own host.
        let files = pair(
            "services:\n  app:\n    image: app:1\n    environment: {DB_NAME: notify, DB_HOST: staging-db.example.com}\n    volumes: ['./backups:/backups']\n",
            "services:\n  app:\n    image: app:1\n    environment: {DB_NAME: notify, DB_HOST: prod-db.example.com}\n    volumes: ['./backups:/backups']\n",
        );
        assert_eq!(hits("EP014", &files), vec![]);
    }

    #[test]
    fn names_pointing_at_another_environment_are_shared() {
        let staging = "services:\n  app:\n    image: app:1\n    volumes: ['./production-uploads:/uploads', 'production_pgdata:/data']\nnetworks:\n  default:\n    name: production_net\nvolumes:\n  production_pgdata: {}\n";
        let production = staging;
        assert_eq!(
            hits("EP014", &pair(staging, production)),
            vec![
                hit("production", "", "networks.default.name"),
                hit("production", "app", "volumes./uploads"),
                hit("staging", "app", "volumes./data"),
            ]
        );
    }
}
