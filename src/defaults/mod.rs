//! Documented defaults of the servers whose settings envparity reads (`redis.*`, `postgres.*`,
//! `nginx.*`, `pgbouncer.*`, `gunicorn.*`, `celery.*`), per major version where they changed.
//! A setting one environment leaves unset runs on its server's default, so the comparison
//! compares that default instead of reporting the setting as missing.
//!
//! The tables are written by hand from each server's documentation; every file names its source.

mod celery;
mod gunicorn;
mod nginx;
mod pgbouncer;
mod postgres;
mod redis;

/// One server's defaults for a range of major versions.
pub struct Table {
    /// Shown in notes: `Redis 7`, `PostgreSQL 16`.
    pub label: &'static str,
    /// `(setting name, default)` of this version range, names spelled as the setting keys
    /// spell them; looked up before `common`.
    pub changed: &'static [(&'static str, &'static str)],
    /// Shared by every version range of the server.
    pub common: &'static [(&'static str, &'static str)],
}

impl Table {
    fn get(&self, name: &str) -> Option<&'static str> {
        self.changed
            .iter()
            .chain(self.common)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// A server's default for one setting key, and the note that says where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDefault {
    pub value: &'static str,
    /// `default 0 (Redis 7)`.
    pub note: String,
}

/// The default of `key` (`redis.timeout`), for the server version the `image` names when it
/// is that server's image (`redis:6.2-alpine`), else the newest version we know.
pub fn default_of(key: &str, image: Option<&str>) -> Option<KnownDefault> {
    let (server, name) = key.split_once('.')?;
    let major = image.and_then(|i| image_major(i, server));
    let tables = tables_of(server)?;
    let table = pick(tables, major);
    let value = table.get(name)?;
    let shown = if value.is_empty() { "(empty)" } else { value };
    Some(KnownDefault {
        value,
        note: format!("`{key}` default {shown} ({})", table.label),
    })
}

/// Tables of a server namespace, newest first, each with the lowest major version it covers.
fn tables_of(server: &str) -> Option<&'static [(u32, Table)]> {
    Some(match server {
        "redis" => redis::TABLES,
        "postgres" => postgres::TABLES,
        "nginx" => nginx::TABLES,
        "pgbouncer" => pgbouncer::TABLES,
        "gunicorn" => gunicorn::TABLES,
        "celery" => celery::TABLES,
        "build" => COMPOSE_BUILD,
        _ => return None,
    })
}

/// Compose's `build` defaults. Source: the Compose Specification, "Build support"
/// (`dockerfile` defaults to `Dockerfile` in the context).
static COMPOSE_BUILD: &[(u32, Table)] = &[(
    0,
    Table {
        label: "Compose",
        changed: &[],
        common: &[("dockerfile", "Dockerfile")],
    },
)];

/// The newest table whose version is at most `major`; the newest of all when unknown or newer.
fn pick(tables: &'static [(u32, Table)], major: Option<u32>) -> &'static Table {
    let found = major.and_then(|m| tables.iter().find(|(since, _)| *since <= m));
    &found.unwrap_or(&tables[0]).1
}

/// The major version in an image reference of `server` (`bitnami/redis:7.2.4` -> 7). Other
/// images (the application's own, running gunicorn) say nothing about the server's version.
fn image_major(image: &str, server: &str) -> Option<u32> {
    let (repository, tag) = image.rsplit_once(':')?;
    let name = repository.rsplit('/').next()?;
    let runs_server = match server {
        "postgres" => name.starts_with("postgres"),
        _ => name.starts_with(server),
    };
    if !runs_server {
        return None;
    }
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Settings that size a server to its machine and load: they differ between environments by
/// design, wherever they are written (a conf file, a flag, an environment variable).
const SIZING: &[&str] = &[
    "postgres.max_connections",
    "postgres.shared_buffers",
    "postgres.effective_cache_size",
    "postgres.work_mem",
    "postgres.maintenance_work_mem",
    "postgres.wal_buffers",
    "postgres.temp_buffers",
    "postgres.min_wal_size",
    "postgres.max_wal_size",
    "postgres.max_worker_processes",
    "postgres.max_parallel_workers",
    "postgres.max_parallel_workers_per_gather",
    "postgres.max_parallel_maintenance_workers",
    "postgres.autovacuum_max_workers",
    "postgres.effective_io_concurrency",
    "redis.maxmemory",
    "redis.maxclients",
    "redis.io_threads",
    "pgbouncer.max_client_conn",
    "pgbouncer.default_pool_size",
    "pgbouncer.min_pool_size",
    "pgbouncer.reserve_pool_size",
    "pgbouncer.max_db_connections",
    "nginx.worker_processes",
    "nginx.worker_connections",
    "gunicorn.workers",
    "gunicorn.threads",
    "celery.concurrency",
];

/// Why a server setting differs by design, when it sizes the server (`postgres.wal_buffers`).
pub fn sizing_reason(key: &str) -> Option<String> {
    SIZING
        .contains(&key)
        .then(|| format!("scale: {} sizing", key.split('.').next().unwrap_or(key)))
}

/// The server setting an environment variable of a server image stands for:
/// `env.POSTGRES_MAX_CONNECTIONS` -> `postgres.max_connections`,
/// `env.PGBOUNCER_DEFAULT_POOL_SIZE` -> `pgbouncer.default_pool_size`.
pub fn server_key_of_variable(key: &str) -> Option<String> {
    const PREFIXES: &[(&str, &str)] = &[
        ("POSTGRESQL_", "postgres"),
        ("POSTGRES_", "postgres"),
        ("PGBOUNCER_", "pgbouncer"),
        ("REDIS_", "redis"),
        ("GUNICORN_", "gunicorn"),
        ("CELERY_WORKER_", "celery"),
        ("CELERYD_", "celery"),
    ];
    let name = key.strip_prefix("env.")?;
    PREFIXES.iter().find_map(|(prefix, server)| {
        let rest = name.strip_prefix(prefix)?;
        (!rest.is_empty()).then(|| format!("{server}.{}", rest.to_ascii_lowercase()))
    })
}

/// A value in the form the server reads it, where spellings differ but mean the same:
/// repeated `save` lines of redis.conf are one list of pairs, log levels ignore case.
pub fn canonical(key: &str, value: &str) -> Option<String> {
    match key {
        "redis.save" => Some(
            value
                .replace(',', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "celery.loglevel" | "gunicorn.log_level" | "gunicorn.loglevel" | "redis.loglevel" => {
            Some(value.to_ascii_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_image_version() {
        let d = default_of("redis.repl_diskless_sync", Some("redis:6.2-alpine")).unwrap();
        assert_eq!(d.value, "no");
        assert_eq!(d.note, "`redis.repl_diskless_sync` default no (Redis 6)");
        let d = default_of("redis.repl_diskless_sync", Some("redis:7.2")).unwrap();
        assert_eq!(d.value, "yes");
        // An unknown or application image: the newest table.
        assert_eq!(
            default_of("redis.timeout", Some("app:1")).unwrap().value,
            "0"
        );
        assert_eq!(
            default_of("postgres.password_encryption", Some("postgres:13"))
                .unwrap()
                .value,
            "md5"
        );
        assert_eq!(default_of("redis.replicaof", None), None);
        assert_eq!(default_of("env.TIMEOUT", None), None);
    }

    #[test]
    fn every_table_is_newest_first() {
        for server in [
            "redis",
            "postgres",
            "nginx",
            "pgbouncer",
            "gunicorn",
            "celery",
        ] {
            let tables = tables_of(server).unwrap();
            assert!(tables.windows(2).all(|w| w[0].0 > w[1].0), "{server}");
        }
    }

    #[test]
    fn server_variables_and_sizing() {
        assert_eq!(
            server_key_of_variable("env.POSTGRES_MAX_CONNECTIONS").as_deref(),
            Some("postgres.max_connections")
        );
        assert_eq!(server_key_of_variable("env.DEBUG"), None);
        assert!(sizing_reason("postgres.wal_buffers").is_some());
        assert_eq!(sizing_reason("postgres.wal_level"), None);
    }
}
