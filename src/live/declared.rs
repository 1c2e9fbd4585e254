//! Declared vs running: each server read is matched to the service of the same environment that
//! runs it (the service `[live]` names, else the one whose role is `database` for PostgreSQL or
//! `cache` for Redis and that declares `postgres.*` / `redis.*` settings), and every declared
//! setting the server reports is compared with the running value, units normalised
//! (`values::LiveValue::agrees_with`). A disagreement is a `Mismatch`, reported as rule EP022.

use serde::Serialize;

use super::{ServerData, ServerKind, ServerReport};
use crate::model::{Origin, Role, Scan, Service, Setting};

/// A declared setting the running server does not run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub environment: String,
    pub service: String,
    pub kind: ServerKind,
    /// `postgres.max_connections`.
    pub setting: String,
    pub declared: String,
    pub origin: Origin,
    /// The value the server runs, normalised (`200`, `128MB`).
    pub running: String,
    /// `host:port` of the server.
    pub host: String,
}

/// Declared keys that say where things are, not how the server runs.
const NOT_COMPARED: &[&str] = &[
    "config_file",
    "hba_file",
    "ident_file",
    "data_directory",
    "include",
    "include_if_exists",
    "sentinel",
    "sentinel_config",
    "dir",
    "logfile",
    "pidfile",
    "unixsocket",
];

/// Mismatches, and notes on servers that could not be matched to one declared service.
pub fn compare(scan: &Scan, reports: &[&ServerReport]) -> (Vec<Mismatch>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for report in reports {
        let Ok(data) = &report.data else { continue };
        let Some(env) = scan
            .environments
            .iter()
            .find(|e| e.name == report.environment)
        else {
            notes.push(format!(
                "{}: no declared environment of that name; the running {} is not compared with the repository",
                report.environment,
                report.kind.label()
            ));
            continue;
        };
        let ns = report.kind.namespace();
        let candidates = candidates(&env.services, report, ns);
        let service = match candidates.as_slice() {
            [] => {
                notes.push(format!(
                    "{}: no service declares {} settings; the running server is not compared with the repository",
                    report.environment,
                    report.kind.label()
                ));
                continue;
            }
            [one] => *one,
            many => {
                let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
                notes.push(format!(
                    "{}: several services declare {} settings ({}); name the one this server runs with `service` in [live]",
                    report.environment,
                    report.kind.label(),
                    names.join(", ")
                ));
                continue;
            }
        };
        for (key, setting) in &service.settings {
            let Some(name) = key.strip_prefix(ns).and_then(|k| k.strip_prefix('.')) else {
                continue;
            };
            if skipped(name, setting) {
                continue;
            }
            let Some(running) = running_value(data, name) else {
                continue;
            };
            if !running.agrees_with(setting, ns) {
                out.push(Mismatch {
                    environment: report.environment.clone(),
                    service: service.name.clone(),
                    kind: report.kind,
                    setting: key.clone(),
                    declared: setting.display().to_string(),
                    origin: setting.origin.clone(),
                    running: running.text.clone(),
                    host: report.host.clone(),
                });
            }
        }
    }
    (out, notes)
}

/// The services that may run the server: the one named, else those of the right role with
/// settings in the namespace, else any with settings in the namespace.
fn candidates<'a>(services: &'a [Service], report: &ServerReport, ns: &str) -> Vec<&'a Service> {
    if let Some(name) = &report.service {
        return services.iter().filter(|s| s.name == *name).collect();
    }
    let declares = |s: &&Service| {
        s.settings
            .keys()
            .any(|k| k.strip_prefix(ns).is_some_and(|r| r.starts_with('.')))
    };
    let role = match report.kind {
        ServerKind::Postgres => Role::Database,
        ServerKind::Redis => Role::Cache,
    };
    let by_role: Vec<&Service> = services
        .iter()
        .filter(|s| s.role == role)
        .filter(declares)
        .collect();
    if !by_role.is_empty() {
        return by_role;
    }
    services.iter().filter(declares).collect()
}

fn skipped(name: &str, setting: &Setting) -> bool {
    NOT_COMPARED.contains(&name)
        || name.contains('.')
        || setting.is_secret()
        || (setting.interpolated && setting.display().contains("${"))
}

/// The server's value of a declared name (`maxmemory_policy` is Redis's `maxmemory-policy`).
fn running_value<'a>(data: &'a ServerData, name: &str) -> Option<&'a super::values::LiveValue> {
    match data {
        ServerData::Postgres(p) => p.settings.get(&name.to_ascii_lowercase()),
        ServerData::Redis(r) => r.config.get(&name.replace('_', "-").to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::redis::RedisServer;
    use crate::live::values::LiveValue;
    use crate::model::Environment;
    use crate::sources::units::server_quantity;

    fn cache(settings: &[(&str, &str, u32)]) -> Service {
        let mut s = Service::new("cache", Origin::new("docker-compose.yml", 10));
        s.role = Role::Cache;
        for (k, v, line) in settings {
            s.settings.insert(
                k.to_string(),
                Setting::new(k, *v, Origin::new("docker-compose.yml", *line))
                    .with_quantity(server_quantity("redis", v)),
            );
        }
        s
    }

    fn redis(config: &[(&str, &str)]) -> ServerReport {
        ServerReport {
            environment: "staging".into(),
            kind: ServerKind::Redis,
            service: None,
            host: "127.0.0.1:6379".into(),
            data: Ok(ServerData::Redis(RedisServer {
                version: "7.0.15".into(),
                role: "master".into(),
                connected_replicas: 0,
                cluster_enabled: false,
                keyspace: Default::default(),
                config: config
                    .iter()
                    .map(|(k, v)| (k.to_string(), LiveValue::redis(k, v)))
                    .collect(),
                config_error: None,
            })),
        }
    }

    #[test]
    fn finds_what_the_server_runs_otherwise() {
        let scan = Scan {
            environments: vec![Environment {
                services: vec![cache(&[
                    ("redis.maxmemory", "256mb", 12),
                    ("redis.maxmemory_policy", "allkeys-lru", 13),
                    ("redis.appendonly", "yes", 14),
                    ("redis.dir", "/data", 15),
                ])],
                ..Environment::new("staging")
            }],
            ..Scan::default()
        };
        let report = redis(&[
            ("maxmemory", "536870912"),
            ("maxmemory-policy", "allkeys-lru"),
            ("appendonly", "no"),
            ("dir", "/tmp"),
        ]);
        let (found, notes) = compare(&scan, &[&report]);
        assert!(notes.is_empty(), "{notes:?}");
        let got: Vec<(&str, &str, &str, String)> = found
            .iter()
            .map(|m| {
                (
                    m.setting.as_str(),
                    m.declared.as_str(),
                    m.running.as_str(),
                    m.origin.to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "redis.appendonly",
                    "yes",
                    "no",
                    "docker-compose.yml:14".into()
                ),
                (
                    "redis.maxmemory",
                    "256mb",
                    "512MB",
                    "docker-compose.yml:12".into()
                ),
            ]
        );
        let mut other = report.clone();
        other.environment = "qa".into();
        let (found, notes) = compare(&scan, &[&other]);
        assert!(found.is_empty());
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
