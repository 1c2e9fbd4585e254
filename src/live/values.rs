//! A running server's setting as a value the declared configuration can be compared with.
//!
//! PostgreSQL reports `shared_buffers` as `16384` in units of `8kB`, `checkpoint_timeout` as
//! `300` in `s`; Redis reports `maxmemory` in bytes. They become the same `Quantity` the
//! declared `postgres.*` and `redis.*` settings carry (bytes, seconds; see `sources::units`), so
//! a declared `shared_buffers=128MB` equals a running `16384` x 8kB.

use serde::Serialize;

use crate::model::{Quantity, Setting};
use crate::sources::units::server_quantity;

/// One setting as the server runs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveValue {
    /// Readable and normalised: `128MB`, `5min`, `on`, `replica`.
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// PostgreSQL's unit for a bare number (`8kB`, `ms`), to read a unitless declared value
    /// the way the server does.
    #[serde(skip)]
    pub unit: Option<String>,
}

impl LiveValue {
    pub fn text(text: impl Into<String>) -> Self {
        LiveValue {
            text: text.into(),
            quantity: None,
            unit: None,
        }
    }

    /// A `pg_settings` row: `setting` in `unit` (`8kB`, `kB`, `MB`, `B`, `ms`, `s`, `min`).
    pub fn postgres(setting: &str, unit: &str, vartype: &str) -> Self {
        let numeric = matches!(vartype, "integer" | "real");
        let quantity = if numeric {
            setting
                .trim()
                .parse::<f64>()
                .ok()
                .map(|n| postgres_quantity(n, unit))
        } else {
            None
        };
        let text = match quantity {
            // -1 and 0 often mean "off" or "default": shown as written.
            Some(q) if setting.trim() != "-1" && !unit.is_empty() => format_quantity(q),
            _ => setting.to_string(),
        };
        LiveValue {
            text,
            quantity,
            unit: (!unit.is_empty()).then(|| unit.to_string()),
        }
    }

    /// A `CONFIG GET` value. Memory settings are in bytes.
    pub fn redis(name: &str, value: &str) -> Self {
        let quantity = value.trim().parse::<f64>().ok().map(|n| {
            if is_redis_memory(name) && n >= 0.0 {
                Quantity::Bytes(n as u64)
            } else {
                Quantity::Number(n)
            }
        });
        let text = match quantity {
            Some(q @ Quantity::Bytes(b)) if b > 0 => format_quantity(q),
            _ => value.to_string(),
        };
        LiveValue {
            text,
            quantity,
            unit: None,
        }
    }

    /// Whether a declared setting says the same as this running value: the same quantity,
    /// or the same words once booleans, case, quotes and separators are normalised.
    pub fn agrees_with(&self, declared: &Setting, server: &str) -> bool {
        let declared_text = declared.display();
        let declared_q = declared
            .quantity
            .or_else(|| server_quantity(server, declared_text));
        if let (Some(d), Some(l)) = (declared_q, self.quantity) {
            return same_amount(self.base(d), l);
        }
        normalise(declared_text) == normalise(&self.text)
    }

    /// A unitless declared number read in the server's unit (`shared_buffers=16384` is 16384
    /// x 8kB), as PostgreSQL reads it.
    fn base(&self, declared: Quantity) -> Quantity {
        match (declared, self.unit.as_deref()) {
            (Quantity::Number(n), Some(unit)) => postgres_quantity(n, unit),
            _ => declared,
        }
    }
}

fn same_amount(a: Quantity, b: Quantity) -> bool {
    let (x, y) = (a.magnitude(), b.magnitude());
    let unit_ok =
        a.same_unit(&b) || matches!(a, Quantity::Number(_)) || matches!(b, Quantity::Number(_));
    unit_ok && (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
}

/// Booleans to one word, case folded, quotes and commas dropped, spaces collapsed.
fn normalise(text: &str) -> String {
    let t = text.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    match t.as_str() {
        "on" | "true" | "yes" | "1" => return "on".into(),
        "off" | "false" | "no" | "0" => return "off".into(),
        _ => {}
    }
    t.replace(',', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn postgres_quantity(n: f64, unit: &str) -> Quantity {
    let bytes = |m: f64| Quantity::Bytes((n * m).max(0.0) as u64);
    match unit {
        "B" => bytes(1.0),
        "kB" => bytes(1024.0),
        "8kB" => bytes(8192.0),
        "16kB" => bytes(16384.0),
        "MB" => bytes(1048576.0),
        "16MB" => bytes(16.0 * 1048576.0),
        "GB" => bytes(1073741824.0),
        "us" => Quantity::Seconds(n / 1e6),
        "ms" => Quantity::Seconds(n / 1e3),
        "s" => Quantity::Seconds(n),
        "min" => Quantity::Seconds(n * 60.0),
        "h" => Quantity::Seconds(n * 3600.0),
        "d" => Quantity::Seconds(n * 86400.0),
        _ => Quantity::Number(n),
    }
}

fn is_redis_memory(name: &str) -> bool {
    matches!(
        name,
        "maxmemory"
            | "repl-backlog-size"
            | "client-query-buffer-limit"
            | "proto-max-bulk-len"
            | "auto-aof-rewrite-min-size"
            | "active-defrag-ignore-bytes"
            | "maxmemory-clients"
    )
}

/// `134217728` bytes -> `128MB`; `300` seconds -> `5min`; the largest exact unit.
pub fn format_quantity(q: Quantity) -> String {
    match q {
        Quantity::Bytes(b) => {
            for (unit, size) in [
                ("TB", 1u64 << 40),
                ("GB", 1 << 30),
                ("MB", 1 << 20),
                ("kB", 1 << 10),
            ] {
                if b >= size && b % size == 0 {
                    return format!("{}{unit}", b / size);
                }
            }
            format!("{b}B")
        }
        Quantity::Seconds(s) => {
            let ms = (s * 1000.0).round();
            if ms == 0.0 {
                return "0".into();
            }
            for (unit, size) in [
                ("d", 86_400_000.0),
                ("h", 3_600_000.0),
                ("min", 60_000.0),
                ("s", 1000.0),
            ] {
                if ms >= size && ms % size == 0.0 {
                    return format!("{}{unit}", ms / size);
                }
            }
            format!("{ms}ms")
        }
        Quantity::Number(n) => format!("{n}"),
        Quantity::Millicores(m) => format!("{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn declared(key: &str, text: &str, server: &str) -> Setting {
        Setting::new(key, text, Origin::new("compose.yml", 3))
            .with_quantity(server_quantity(server, text))
    }

    #[test]
    fn postgres_units_normalise_like_declared_values() {
        let live = LiveValue::postgres("16384", "8kB", "integer");
        assert_eq!(live.text, "128MB");
        assert_eq!(live.quantity, Some(Quantity::Bytes(128 << 20)));
        assert!(live.agrees_with(
            &declared("postgres.shared_buffers", "128MB", "postgres"),
            "postgres"
        ));
        assert!(live.agrees_with(
            &declared("postgres.shared_buffers", "16384", "postgres"),
            "postgres"
        ));
        assert!(!live.agrees_with(
            &declared("postgres.shared_buffers", "512MB", "postgres"),
            "postgres"
        ));
        let timeout = LiveValue::postgres("300", "s", "integer");
        assert_eq!(timeout.text, "5min");
        assert!(timeout.agrees_with(
            &declared("postgres.checkpoint_timeout", "5min", "postgres"),
            "postgres"
        ));
        let off = LiveValue::postgres("0", "ms", "integer");
        assert_eq!(off.text, "0");
        let ssl = LiveValue::postgres("on", "", "bool");
        assert!(ssl.agrees_with(&declared("postgres.ssl", "true", "postgres"), "postgres"));
        let level = LiveValue::postgres("replica", "", "enum");
        assert!(!level.agrees_with(
            &declared("postgres.wal_level", "logical", "postgres"),
            "postgres"
        ));
        assert_eq!(LiveValue::postgres("1.1", "", "real").text, "1.1");
        assert_eq!(LiveValue::postgres("-1", "kB", "integer").text, "-1");
    }

    #[test]
    fn redis_bytes_and_lists() {
        let live = LiveValue::redis("maxmemory", "268435456");
        assert_eq!(live.text, "256MB");
        assert!(live.agrees_with(&declared("redis.maxmemory", "256mb", "redis"), "redis"));
        assert!(!live.agrees_with(&declared("redis.maxmemory", "512mb", "redis"), "redis"));
        let save = LiveValue::redis("save", "900 1 300 10");
        assert!(save.agrees_with(&declared("redis.save", "900 1, 300 10", "redis"), "redis"));
        let aof = LiveValue::redis("appendonly", "yes");
        assert!(aof.agrees_with(&declared("redis.appendonly", "yes", "redis"), "redis"));
        assert_eq!(LiveValue::redis("maxmemory", "0").text, "0");
    }
}
