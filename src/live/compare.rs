//! The servers read, lined up across environments: one row per compared item (version, a
//! setting, an extension, a schema's checksum, a keyspace's size) with each environment's value,
//! and the schema differences of each environment against the reference one.

use std::collections::BTreeSet;

use serde::Serialize;

use super::declared::{self, Mismatch};
use super::schema::{self, SchemaDifference};
use super::{postgres, redis, Options, ServerData, ServerKind, ServerReport};
use crate::model::Scan;

/// Everything `envparity live` found.
#[derive(Debug, Clone, Serialize)]
pub struct LiveComparison {
    pub servers: Vec<ServerSummary>,
    /// One per kind of server read (PostgreSQL, then Redis).
    pub comparisons: Vec<KindComparison>,
    /// Declared settings the running server does not run (rule EP022).
    pub declared_vs_running: Vec<Mismatch>,
    /// What could not be matched (no declared service for a server, several candidates).
    pub notes: Vec<String>,
}

/// One server: where, what version, or why it could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ServerSummary {
    pub environment: String,
    pub kind: ServerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `staging: PostgreSQL at db:5432: connection refused`; never a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A part that could not be read while the rest was (Redis `CONFIG` disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The servers of one kind across the environments where they could be read.
#[derive(Debug, Clone, Serialize)]
pub struct KindComparison {
    pub kind: ServerKind,
    pub environments: Vec<String>,
    /// The environment the others are diffed against (production when read, else the last).
    pub reference: String,
    pub rows: Vec<LiveRow>,
    /// Schema differences of each other environment against the reference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema_differences: Vec<EnvironmentSchemaDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveRow {
    /// `server`, `setting`, `extension`, `schema`, `keyspace`.
    pub section: &'static str,
    pub item: String,
    /// Per environment of the comparison, in order.
    pub values: Vec<Option<String>>,
    /// The same in every environment (and present in all).
    pub same: bool,
    /// Counts in the parity score (keyspace sizes do not: data differs by nature).
    pub scored: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentSchemaDiff {
    pub environment: String,
    pub reference: String,
    pub differences: Vec<DifferenceLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DifferenceLine {
    #[serde(flatten)]
    pub difference: SchemaDifference,
    /// The difference as a sentence.
    pub message: String,
}

/// One item of the parity score: its name, whether it is in parity, and per environment of
/// `envs` whether it matches the reference (`None` where not compared).
pub struct ScoreItem {
    pub item: String,
    pub in_parity: bool,
    pub env_ok: Vec<Option<bool>>,
}

/// Line the servers up. `order` is the environment order of the repository (lowest first),
/// when known; servers of other environments follow in the order given.
pub fn compare(
    reports: &[ServerReport],
    order: &[String],
    scan: Option<&Scan>,
    options: &Options,
) -> LiveComparison {
    let mut reports: Vec<&ServerReport> = reports.iter().collect();
    reports.sort_by_key(|r| {
        (
            r.kind,
            order
                .iter()
                .position(|e| *e == r.environment)
                .unwrap_or(usize::MAX),
        )
    });
    let servers = reports.iter().map(|r| summary(r)).collect();
    let mut comparisons = Vec::new();
    for kind in [ServerKind::Postgres, ServerKind::Redis] {
        let read: Vec<(&str, &ServerData)> = reports
            .iter()
            .filter(|r| r.kind == kind)
            .filter_map(|r| r.data.as_ref().ok().map(|d| (r.environment.as_str(), d)))
            .collect();
        if !read.is_empty() {
            comparisons.push(compare_kind(kind, &read, options));
        }
    }
    let (declared_vs_running, notes) = match scan {
        Some(scan) => declared::compare(scan, &reports),
        None => (Vec::new(), Vec::new()),
    };
    LiveComparison {
        servers,
        comparisons,
        declared_vs_running,
        notes,
    }
}

fn summary(r: &ServerReport) -> ServerSummary {
    let (version, database, warning) = match &r.data {
        Ok(ServerData::Postgres(p)) => (Some(p.version.clone()), Some(p.database.clone()), None),
        Ok(ServerData::Redis(s)) => (Some(s.version.clone()), None, s.config_error.clone()),
        Err(_) => (None, None, None),
    };
    ServerSummary {
        environment: r.environment.clone(),
        kind: r.kind,
        service: r.service.clone(),
        host: r.host.clone(),
        version,
        database,
        error: r.error(),
        warning,
    }
}

fn compare_kind(
    kind: ServerKind,
    read: &[(&str, &ServerData)],
    options: &Options,
) -> KindComparison {
    let environments: Vec<String> = read.iter().map(|(e, _)| e.to_string()).collect();
    let reference_index = environments
        .iter()
        .position(|e| e == "production")
        .unwrap_or(environments.len() - 1);
    let mut rows = Vec::new();
    let mut add = |section, item: String, scored, value: &dyn Fn(&ServerData) -> Option<String>| {
        let values: Vec<Option<String>> = read.iter().map(|(_, d)| value(d)).collect();
        if values.iter().all(Option::is_none) {
            return;
        }
        let same = values.iter().all(|v| v.is_some() && *v == values[0]);
        rows.push(LiveRow {
            section,
            item,
            values,
            same,
            scored,
        });
    };
    match kind {
        ServerKind::Postgres => {
            let pg = as_postgres;
            let servers: Vec<&postgres::PostgresServer> =
                read.iter().filter_map(|(_, d)| pg(d)).collect();
            add("server", "version".into(), true, &|d| {
                pg(d).map(|p| p.version.clone())
            });
            for name in names(
                &servers,
                options.all_settings,
                postgres::KEY_SETTINGS,
                |p| p.settings.keys().cloned().collect(),
            ) {
                add("setting", name.clone(), true, &|d| {
                    pg(d).and_then(|p| p.settings.get(&name).map(|v| v.text.clone()))
                });
            }
            for name in names(&servers, true, &[], |p| {
                p.extensions.keys().cloned().collect()
            }) {
                add("extension", name.clone(), true, &|d| {
                    pg(d).and_then(|p| p.extensions.get(&name).cloned())
                });
            }
            for name in names(&servers, true, &[], |p| {
                p.schema.schemas.keys().cloned().collect()
            }) {
                add("schema", name.clone(), true, &|d| {
                    pg(d).and_then(|p| {
                        p.schema.schemas.get(&name).map(|s| {
                            format!("{} ({})", s.checksum(), schema::objects(s.object_count()))
                        })
                    })
                });
            }
            let reference = servers[reference_index];
            let schema_differences = servers
                .iter()
                .zip(&environments)
                .enumerate()
                .filter(|(i, _)| *i != reference_index)
                .map(|(_, (p, env))| EnvironmentSchemaDiff {
                    environment: env.clone(),
                    reference: environments[reference_index].clone(),
                    differences: schema::diff(&reference.schema, &p.schema)
                        .into_iter()
                        .map(|d| DifferenceLine {
                            message: d.describe(&environments[reference_index], env),
                            difference: d,
                        })
                        .collect(),
                })
                .collect();
            KindComparison {
                kind,
                reference: environments[reference_index].clone(),
                environments,
                rows,
                schema_differences,
            }
        }
        ServerKind::Redis => {
            let rd = as_redis;
            let servers: Vec<&redis::RedisServer> =
                read.iter().filter_map(|(_, d)| rd(d)).collect();
            add("server", "version".into(), true, &|d| {
                rd(d).map(|r| r.version.clone())
            });
            add("server", "role".into(), true, &|d| {
                rd(d).map(|r| r.role.clone())
            });
            add("server", "connected replicas".into(), true, &|d| {
                rd(d).map(|r| r.connected_replicas.to_string())
            });
            add("server", "cluster mode".into(), true, &|d| {
                rd(d).map(|r| if r.cluster_enabled { "yes" } else { "no" }.to_string())
            });
            for name in names(&servers, options.all_settings, redis::KEY_SETTINGS, |r| {
                r.config.keys().cloned().collect()
            }) {
                add("setting", name.clone(), true, &|d| {
                    rd(d).and_then(|r| r.config.get(&name).map(|v| v.text.clone()))
                });
            }
            for name in names(&servers, true, &[], |r| {
                r.keyspace.keys().cloned().collect()
            }) {
                add("keyspace", format!("{name} keys"), false, &|d| {
                    rd(d).and_then(|r| r.keyspace.get(&name).map(u64::to_string))
                });
            }
            KindComparison {
                kind,
                reference: environments[reference_index].clone(),
                environments,
                rows,
                schema_differences: Vec::new(),
            }
        }
    }
}

fn as_postgres(d: &ServerData) -> Option<&postgres::PostgresServer> {
    match d {
        ServerData::Postgres(p) => Some(p),
        ServerData::Redis(_) => None,
    }
}

fn as_redis(d: &ServerData) -> Option<&redis::RedisServer> {
    match d {
        ServerData::Redis(r) => Some(r),
        ServerData::Postgres(_) => None,
    }
}

/// The item names to show: every name any server has (`all`), or the key ones.
fn names<S>(
    servers: &[S],
    all: bool,
    key: &[&str],
    of: impl Fn(&S) -> BTreeSet<String>,
) -> Vec<String> {
    if all {
        let mut set = BTreeSet::new();
        for s in servers {
            set.extend(of(s));
        }
        set.into_iter().collect()
    } else {
        key.iter().map(|k| k.to_string()).collect()
    }
}

impl LiveComparison {
    /// Errors of the servers that could not be read.
    pub fn errors(&self) -> impl Iterator<Item = &str> {
        self.servers.iter().filter_map(|s| s.error.as_deref())
    }

    /// The parity score's items: each scored row compared in at least two environments, and
    /// per environment of `envs` (the report's) whether it has the reference's value.
    pub fn score_items(&self, envs: &[String]) -> Vec<ScoreItem> {
        let mut out = Vec::new();
        for k in &self.comparisons {
            if k.environments.len() < 2 {
                continue;
            }
            let reference = k.environments.iter().position(|e| *e == k.reference);
            for r in k.rows.iter().filter(|r| r.scored) {
                let reference_value = reference.and_then(|i| r.values[i].as_ref());
                let env_ok = envs
                    .iter()
                    .map(|e| {
                        k.environments.iter().position(|x| x == e).map(|i| {
                            r.values[i].is_some() && r.values[i].as_ref() == reference_value
                        })
                    })
                    .collect();
                out.push(ScoreItem {
                    item: format!("{}.{}.{}", k.kind.namespace(), r.section, r.item),
                    in_parity: r.same,
                    env_ok,
                });
            }
        }
        out
    }
}
