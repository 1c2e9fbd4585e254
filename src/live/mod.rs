//! `envparity live`: the running PostgreSQL and Redis servers of each environment, compared with
//! each other and with what the repository declares for them.
//!
//! `target` says which server to read for which environment (and hides its URL); `postgres`
//! and `redis` read a server, read-only and within a timeout; `schema` models and diffs a
//! database schema; `compare` lines the servers up across environments; `declared` compares
//! each server with the declared `postgres.*` / `redis.*` settings of its environment (rule
//! EP022). One server that cannot be read is an error in its own row: the others are still
//! reported.

pub mod compare;
pub mod declared;
pub mod postgres;
pub mod redis;
pub mod run;
pub mod schema;
pub mod target;
pub mod values;

use std::time::Duration;

use serde::Serialize;

pub use compare::LiveComparison;
pub use target::{ServerKind, Target};

/// Default for every network step (connect, each query).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Options {
    /// Connect timeout, statement timeout and the deadline of every round trip.
    pub timeout: Duration,
    /// Show every parameter, not only those that matter most.
    pub all_settings: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: DEFAULT_TIMEOUT,
            all_settings: false,
        }
    }
}

/// What one server gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerData {
    Postgres(postgres::PostgresServer),
    Redis(redis::RedisServer),
}

/// One target and what reading it gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerReport {
    pub environment: String,
    pub kind: ServerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `host:port`, never the URL.
    pub host: String,
    #[serde(skip)]
    pub data: Result<ServerData, String>,
}

impl ServerReport {
    /// `staging: PostgreSQL at db.internal:5432: connection refused`.
    pub fn error(&self) -> Option<String> {
        self.data.as_ref().err().map(|e| {
            format!(
                "{}: {} at {}: {e}",
                self.environment,
                self.kind.label(),
                self.host
            )
        })
    }
}

/// Read every target, all at once (each within its own timeout).
pub fn collect(targets: &[Target], options: &Options) -> Vec<ServerReport> {
    // rustls needs a process-wide crypto provider; a second install is refused, harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| scope.spawn(move || read_one(t, options)))
            .collect();
        handles
            .into_iter()
            .zip(targets)
            .map(|(h, t)| {
                h.join().unwrap_or_else(|_| ServerReport {
                    environment: t.environment.clone(),
                    kind: t.kind,
                    service: t.service.clone(),
                    host: "?".into(),
                    data: Err("the reader stopped unexpectedly".into()),
                })
            })
            .collect()
    })
}

fn read_one(target: &Target, options: &Options) -> ServerReport {
    let (host, data) = match target.kind {
        ServerKind::Postgres => (
            postgres::host_of(target),
            postgres::read(target, options).map(ServerData::Postgres),
        ),
        ServerKind::Redis => (
            redis::host_of(target),
            redis::read(target, options).map(ServerData::Redis),
        ),
    };
    ServerReport {
        environment: target.environment.clone(),
        kind: target.kind,
        service: target.service.clone(),
        host: target.redact(&host.unwrap_or_else(|| "?".into())),
        data,
    }
}
