//! Read a running Redis server: `INFO` (version, role, replicas, cluster mode, keyspace sizes)
//! and `CONFIG GET *`. Through the `redis` crate (TLS by rustls for `rediss://`), with a
//! connect timeout and read/write timeouts on the socket. Only commands that read are sent;
//! of the keyspace only counts are kept, never a key or a value.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::target::Target;
use super::values::LiveValue;
use super::Options;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedisServer {
    /// `7.0.15`.
    pub version: String,
    /// `master` or `slave` (as `INFO replication` says).
    pub role: String,
    pub connected_replicas: u64,
    pub cluster_enabled: bool,
    /// Keys per database: `db0` -> 1204.
    pub keyspace: BTreeMap<String, u64>,
    /// Every `CONFIG GET *` parameter, by name (`maxmemory-policy`).
    pub config: BTreeMap<String, LiveValue>,
    /// Why the configuration could not be read, when the server refuses `CONFIG` (managed
    /// services often rename or disable it); the rest is still reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
}

/// The parameters shown by default.
pub const KEY_SETTINGS: &[&str] = &[
    "appendfsync",
    "appendonly",
    "databases",
    "maxclients",
    "maxmemory",
    "maxmemory-policy",
    "protected-mode",
    "save",
    "timeout",
];

/// `host:port` the URL points at; `None` when it does not parse.
pub fn host_of(target: &Target) -> Option<String> {
    redis::Client::open(target.url())
        .ok()
        .map(|c| c.get_connection_info().addr.to_string())
}

pub fn read(target: &Target, options: &Options) -> Result<RedisServer, String> {
    read_inner(target.url(), options.timeout).map_err(|e| target.redact(&e))
}

fn read_inner(url: &str, timeout: Duration) -> Result<RedisServer, String> {
    let client =
        redis::Client::open(url).map_err(|e| format!("invalid connection URL: {}", text(&e)))?;
    let mut con = client
        .get_connection_with_timeout(timeout)
        .map_err(|e| connect_error(&e, timeout))?;
    con.set_read_timeout(Some(timeout))
        .and_then(|_| con.set_write_timeout(Some(timeout)))
        .map_err(|e| text(&e))?;
    let info: String = redis::cmd("INFO")
        .arg("everything")
        .query(&mut con)
        .map_err(|e| format!("INFO: {}", connect_error(&e, timeout)))?;
    let mut server = parse_info(&info)?;
    let config: Result<Vec<String>, _> = redis::cmd("CONFIG").arg("GET").arg("*").query(&mut con);
    match config {
        Ok(pairs) => {
            for pair in pairs.chunks(2) {
                if let [name, value] = pair {
                    server
                        .config
                        .insert(name.clone(), LiveValue::redis(name, value));
                }
            }
        }
        Err(e) => server.config_error = Some(format!("CONFIG GET: {}", text(&e))),
    }
    Ok(server)
}

/// The sections of `INFO` we keep.
fn parse_info(info: &str) -> Result<RedisServer, String> {
    let mut fields = BTreeMap::new();
    let mut keyspace = BTreeMap::new();
    for line in info.lines() {
        let Some((k, v)) = line.trim().split_once(':') else {
            continue;
        };
        if k.starts_with("db") && k[2..].chars().all(|c| c.is_ascii_digit()) {
            // `db0:keys=12,expires=0,avg_ttl=0`
            let keys = v
                .split(',')
                .find_map(|p| p.strip_prefix("keys="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            keyspace.insert(k.to_string(), keys);
        } else {
            fields.insert(k.to_string(), v.to_string());
        }
    }
    let Some(version) = fields.get("redis_version").cloned() else {
        return Err("INFO has no `redis_version`: not a Redis server?".into());
    };
    Ok(RedisServer {
        version,
        role: fields.get("role").cloned().unwrap_or_default(),
        connected_replicas: fields
            .get("connected_slaves")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        cluster_enabled: fields.get("cluster_enabled").is_some_and(|v| v == "1"),
        keyspace,
        config: BTreeMap::new(),
        config_error: None,
    })
}

fn connect_error(e: &redis::RedisError, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {}s", timeout.as_secs_f64());
    }
    text(e)
}

fn text(e: &redis::RedisError) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_keeps_counts_only() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n# Replication\r\nrole:master\r\nconnected_slaves:2\r\n# Cluster\r\ncluster_enabled:0\r\n# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=100\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n";
        let s = parse_info(info).unwrap();
        assert_eq!(s.version, "7.0.15");
        assert_eq!(s.role, "master");
        assert_eq!(s.connected_replicas, 2);
        assert!(!s.cluster_enabled);
        assert_eq!(
            s.keyspace,
            BTreeMap::from([("db0".into(), 12), ("db3".into(), 1)])
        );
        assert!(parse_info("+OK\r\n").is_err());
    }
}
