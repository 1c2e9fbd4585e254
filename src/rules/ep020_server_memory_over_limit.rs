//! EP020 server-memory-over-limit.

use super::{Context, Finding, Rule};
use crate::model::units::bytes;
use crate::model::{Quantity, Service, Setting};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP020",
    name: "server-memory-over-limit",
    severity: Severity::Warning,
    summary: "a server is told to use as much memory as its container may, or more",
    doc: r#"# EP020 server-memory-over-limit

## What it finds
A service with a memory limit whose server is configured to use that much memory or more:
- PostgreSQL `shared_buffers` at or above the limit; or `shared_buffers` plus a stated share of
  `work_mem` (a quarter of `max_connections` sorting at once, one `work_mem` each) at or above it;
- Redis `maxmemory` at or above the limit (Redis needs memory beyond its dataset: buffers,
  fragmentation, the copy-on-write of a background save);
- a JVM `-Xmx` (in `JAVA_OPTS`, `JAVA_TOOL_OPTIONS`, `_JAVA_OPTIONS`, `JVM_OPTS` or the command)
  above the limit.

A service without a memory limit, or a value that cannot be read, is not judged.

## Why it matters
The kernel kills the container (OOM) once the server fills the memory it was promised: under
load, or at the first background save, not at start, so it passes every smoke test.

## How to fix
Size the server below the limit (PostgreSQL's guideline is `shared_buffers` at about a quarter
of memory; Redis `maxmemory` at most about three quarters of the limit), or raise the limit.

## Example
```yaml
db:
  command: postgres -c shared_buffers=512MB
  deploy: {resources: {limits: {memory: 512M}}}   # -> EP020
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for (e, logical, s) in ctx.services() {
        let Some(limit) = &s.resources.memory_limit_bytes else {
            continue;
        };
        let at_limit = format!(
            "the memory limit {} at {}",
            bytes(limit.value),
            limit.origin
        );
        for (key, message) in over_limit(s, limit.value) {
            let setting = &s.settings[&key];
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` in {}: {message}, at or above {at_limit}",
                        s.name,
                        ctx.env_names()[e]
                    ),
                )
                .env(&ctx.env_names()[e])
                .service(logical)
                .setting(&key)
                .at(&setting.origin),
            );
        }
    }
}

fn bytes_of(s: &Setting) -> Option<u64> {
    match s.quantity {
        Some(Quantity::Bytes(b)) => Some(b),
        _ => None,
    }
}

/// The settings that reach `limit`, with what they amount to.
fn over_limit(s: &Service, limit: u64) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let get = |k: &str| s.settings.get(k);
    if let Some(sb) = get("postgres.shared_buffers").and_then(bytes_of) {
        let work_mem = get("postgres.work_mem").and_then(bytes_of);
        let connections =
            get("postgres.max_connections").and_then(|c| c.display().trim().parse::<u64>().ok());
        if sb >= limit {
            found.push((
                "postgres.shared_buffers".to_string(),
                format!("`shared_buffers` = {}", bytes(sb)),
            ));
        } else if let (Some(wm), Some(n)) = (work_mem, connections) {
            let sorting = n.div_ceil(4);
            let total = sb.saturating_add(wm.saturating_mul(sorting));
            if total >= limit {
                found.push((
                    "postgres.work_mem".to_string(),
                    format!(
                        "`shared_buffers` {} + `work_mem` {} x {sorting} (a quarter of max_connections {n} sorting at once) = {}",
                        bytes(sb),
                        bytes(wm),
                        bytes(total)
                    ),
                ));
            }
        }
    }
    if let Some(mm) = get("redis.maxmemory").and_then(bytes_of) {
        if mm >= limit && !s.settings.contains_key("redis.sentinel") {
            found.push((
                "redis.maxmemory".to_string(),
                format!("`maxmemory` = {}", bytes(mm)),
            ));
        }
    }
    for key in [
        "env.JAVA_OPTS",
        "env.JAVA_TOOL_OPTIONS",
        "env._JAVA_OPTIONS",
        "env.JVM_OPTS",
        "command",
    ] {
        let Some(xmx) = get(key).and_then(|v| xmx(v.display())) else {
            continue;
        };
        if xmx > limit {
            found.push((key.to_string(), format!("JVM `-Xmx` = {}", bytes(xmx))));
        }
    }
    found
}

/// The JVM's `-Xmx<size>` in bytes: `-Xmx2g`, `-Xmx512m`, `-Xmx1048576`.
fn xmx(text: &str) -> Option<u64> {
    let rest = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("-Xmx"))?;
    let (digits, unit) = rest.split_at(
        rest.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len()),
    );
    let n: u64 = digits.parse().ok()?;
    let m: u64 = match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(m)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, hit, hits, pair};
    use super::xmx;

    #[test]
    fn shared_buffers_and_maxmemory_at_the_limit() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=512MB\n    mem_limit: 512m\n  cache:\n    image: redis:7\n    command: redis-server --maxmemory 300mb\n    mem_limit: 256m\n",
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=1GB\n    mem_limit: 4g\n  cache:\n    image: redis:7\n    command: redis-server --maxmemory 256mb\n    mem_limit: 512m\n",
        );
        assert_eq!(
            hits("EP020", &files),
            vec![
                hit("staging", "cache", "redis.maxmemory"),
                hit("staging", "db", "postgres.shared_buffers"),
            ]
        );
        let f = findings(&files)
            .into_iter()
            .find(|f| f.rule == "EP020" && f.service.as_deref() == Some("db"))
            .unwrap();
        assert!(
            f.message.contains("`shared_buffers` = 512 MiB"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("memory limit 512 MiB at docker-compose.staging.yml:5"),
            "{}",
            f.message
        );
    }

    #[test]
    fn work_mem_share_jvm_and_no_limit() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=256MB -c work_mem=64MB -c max_connections=100\n    mem_limit: 1g\n  api:\n    image: app:1\n    environment: {JAVA_OPTS: \"-Xms1g -Xmx2g\"}\n    mem_limit: 1g\n",
            "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=8GB\n  api:\n    image: app:1\n    environment: {JAVA_OPTS: \"-Xmx512m\"}\n    mem_limit: 1g\n",
        );
        assert_eq!(
            hits("EP020", &files),
            vec![
                hit("staging", "api", "env.JAVA_OPTS"),
                hit("staging", "db", "postgres.work_mem"),
            ]
        );
        assert_eq!(xmx("java -Xmx2g -jar a.jar"), Some(2 << 30));
        assert_eq!(xmx("-Xmx512M"), Some(512 << 20));
        assert_eq!(xmx("-Xmxlots"), None);
        assert_eq!(xmx("-Xms1g"), None);
    }
}
