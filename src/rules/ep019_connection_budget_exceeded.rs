//! EP019 connection-budget-exceeded.

use super::{Context, Finding, Rule};
use crate::capacity::per_instance;
use crate::model::{Role, Service};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP019",
    name: "connection-budget-exceeded",
    severity: Severity::Warning,
    summary: "clients can open more connections than the server they connect to accepts",
    doc: r#"# EP019 connection-budget-exceeded

## What it finds
In one environment, the connections the clients of a server can open at full load exceed what
the server accepts:
- the services whose settings name a PgBouncer host: instances x processes x (the declared pool,
  `DB_POOL` / `DATABASE_POOL_SIZE` / `DB_POOL_SIZE`, else threads: Django with `CONN_MAX_AGE`
  holds one connection per thread) against PgBouncer's `MAX_CLIENT_CONN` (default 100);
- the same for services that name a PostgreSQL host directly, plus a PgBouncer's server pool
  (`DEFAULT_POOL_SIZE` (default 20) x database/user pairs + `RESERVE_POOL_SIZE`), against
  `max_connections` (default 100) minus `superuser_reserved_connections` (default 3);
- one connection per process against Redis `maxclients`, when it is set.

An autoscaled client counts at its maximum. Clients whose concurrency cannot be read are left
out and named; the rule reports only when the clients it could count already exceed the limit,
so a finding is never a guess. The message spells out the arithmetic with file:line.

## Why it matters
Connections past the limit are refused (`FATAL: sorry, too many clients already`, PgBouncer's
`no more connections allowed`): under load, requests fail although every piece is healthy.

## How to fix
Raise the server's limit, lower workers, threads or pool sizes, or put PgBouncer between the
application and PostgreSQL.

## Example
```yaml
# worker: 2 replicas x celery --concurrency 8 = 16 connections to db
# db: postgres -c max_connections=12   -> 12 - 3 reserved = 9 < 16   -> EP019
```
"#,
    check,
};

/// A server and what it accepts.
struct Limit {
    accepts: u64,
    arithmetic: String,
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for (e, env) in ctx.scan.environments.iter().enumerate() {
        let servers: Vec<(&Service, &str, Limit)> = env
            .services
            .iter()
            .filter_map(|s| limit_of(s).map(|(what, limit)| (s, what, limit)))
            .collect();
        if servers.is_empty() {
            continue;
        }
        let clients = ClientIndex::new(&env.services, servers.iter().map(|(s, ..)| &*s.name));
        for (server, what, limit) in servers {
            let mut parts = Vec::new();
            let mut uncounted = Vec::new();
            let mut total = 0u64;
            for client in clients
                .naming(&server.name)
                .filter(|c| c.name != server.name)
            {
                if !client
                    .settings
                    .values()
                    .any(|s| names_host(s.display(), &server.name))
                {
                    continue;
                }
                match connections(client, what) {
                    Some((n, why)) => {
                        total += n;
                        parts.push(why);
                    }
                    None => uncounted.push(format!("`{}`", client.name)),
                }
            }
            if total <= limit.accepts || parts.is_empty() {
                continue;
            }
            let others = if uncounted.is_empty() {
                String::new()
            } else {
                format!(" (not counted: {})", uncounted.join(", "))
            };
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "in {} the clients of `{}` can open {total} connections ({}){others}, but {what} accepts {} ({})",
                        env.name,
                        server.name,
                        parts.join(" + "),
                        limit.accepts,
                        limit.arithmetic
                    ),
                )
                .env(&env.name)
                .service(ctx.logical_name(e, &server.name))
                .at(&server.origin),
            );
        }
    }
}

/// The services of one environment by the server names their settings may name as a host,
/// built in one pass over the settings: every server is then looked up, instead of every
/// client's settings searched for every server (servers x clients x settings).
///
/// An entry is a superset: every client for which `names_host` holds for a server is under
/// that server's name (each way `names_host` matches is a candidate below), so a lookup
/// followed by `names_host` finds exactly the clients a search of every client would.
struct ClientIndex<'a> {
    services: &'a [Service],
    /// Server name -> indices into `services`, ascending, each once.
    by_host: crate::hash::HashMap<&'a str, Vec<usize>>,
}

impl<'a> ClientIndex<'a> {
    fn new(services: &'a [Service], servers: impl Iterator<Item = &'a str>) -> Self {
        let mut by_host: crate::hash::HashMap<&'a str, Vec<usize>> =
            servers.map(|name| (name, Vec::new())).collect();
        let longest = by_host.keys().map(|h| h.len()).max().unwrap_or(0);
        for (i, client) in services.iter().enumerate() {
            for setting in client.settings.values() {
                candidate_hosts(setting.display(), longest, |host| {
                    if let Some(clients) = by_host.get_mut(host) {
                        if clients.last() != Some(&i) {
                            clients.push(i);
                        }
                    }
                });
            }
        }
        ClientIndex { services, by_host }
    }

    /// The services whose settings may name `host`, in declaration order.
    fn naming(&self, host: &str) -> impl Iterator<Item = &'a Service> + '_ {
        self.by_host
            .get(host)
            .into_iter()
            .flatten()
            .map(|&i| &self.services[i])
    }
}

/// Every substring of `text`, at most `longest` bytes, that `names_host` could match as the
/// host: the whole text; what follows `@` or `//` up to the end or a `:`, `/`, `,` or `?`; what
/// precedes a `:` and a digit, from the start or a `,`, ` ` or `=`. Candidates start and end at
/// ASCII bytes or the text's ends, so every one is a valid `str`.
fn candidate_hosts(text: &str, longest: usize, mut host: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    if text.len() <= longest {
        host(text);
    }
    let ends_host = |j: usize| j == bytes.len() || matches!(bytes[j], b':' | b'/' | b',' | b'?');
    for i in 0..bytes.len() {
        let start = match bytes[i] {
            b'@' => i + 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => i + 2,
            b':' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                for s in i.saturating_sub(longest)..i {
                    if s == 0 || matches!(bytes[s - 1], b',' | b' ' | b'=') {
                        host(&text[s..i]);
                    }
                }
                continue;
            }
            _ => continue,
        };
        for j in start..=bytes.len().min(start + longest) {
            if ends_host(j) {
                host(&text[start..j]);
            }
        }
    }
}

/// What kind of server a service is and how many connections it accepts.
fn limit_of(s: &Service) -> Option<(&'static str, Limit)> {
    let image = s
        .image
        .as_ref()
        .map(|i| i.value.to_string())
        .unwrap_or_default();
    let has = |prefix: &str| s.settings.keys().any(|k| k.starts_with(prefix));
    if s.role == Role::Pooler && (image.contains("pgbouncer") || has("pgbouncer.")) {
        let (n, at) = number(
            s,
            &["pgbouncer.max_client_conn", "env.MAX_CLIENT_CONN"],
            100,
        );
        return Some((
            "PgBouncer",
            Limit {
                accepts: n,
                arithmetic: format!("MAX_CLIENT_CONN {n}{at}"),
            },
        ));
    }
    if s.role == Role::Database && (image.contains("postgres") || has("postgres.")) {
        let (max, at) = number(s, &["postgres.max_connections"], 100);
        let (reserved, at_r) = number(s, &["postgres.superuser_reserved_connections"], 3);
        return Some((
            "PostgreSQL",
            Limit {
                accepts: max.saturating_sub(reserved),
                arithmetic: format!(
                    "max_connections {max}{at} - superuser_reserved_connections {reserved}{at_r}"
                ),
            },
        ));
    }
    let redis = image.contains("redis") || image.contains("valkey");
    if redis && !has("redis.sentinel") && s.settings.contains_key("redis.maxclients") {
        let (n, at) = number(s, &["redis.maxclients"], 10_000);
        return Some((
            "Redis",
            Limit {
                accepts: n,
                arithmetic: format!("maxclients {n}{at}"),
            },
        ));
    }
    None
}

/// The first of `keys` set to a whole number, with ` at file:line`; else the default.
fn number(s: &Service, keys: &[&str], default: u64) -> (u64, String) {
    keys.iter()
        .filter_map(|k| s.settings.get(*k))
        .find_map(|v| {
            v.display()
                .trim()
                .parse::<u64>()
                .ok()
                .map(|n| (n, format!(" at {}", v.origin)))
        })
        .unwrap_or((default, " (default)".into()))
}

/// How many connections a client opens to a server of kind `what`, and the arithmetic.
fn connections(client: &Service, what: &str) -> Option<(u64, String)> {
    let instances = client
        .instances
        .autoscale_max
        .unwrap_or(client.instances.count);
    let scaled = if client.instances.autoscale_max.is_some() {
        " at the autoscaler's maximum"
    } else {
        ""
    };
    if client.role == Role::Pooler && what == "PostgreSQL" {
        let (pool, at) = number(
            client,
            &["pgbouncer.default_pool_size", "env.DEFAULT_POOL_SIZE"],
            20,
        );
        let (reserve, at_r) = number(
            client,
            &["pgbouncer.reserve_pool_size", "env.RESERVE_POOL_SIZE"],
            0,
        );
        let n = u64::from(instances) * (pool + reserve);
        return Some((
            n,
            format!(
                "`{}`: {instances} x (DEFAULT_POOL_SIZE {pool}{at} x 1 database/user pair + RESERVE_POOL_SIZE {reserve}{at_r}) = {n}",
                client.name
            ),
        ));
    }
    let (processes, threads) = per_instance(client)?.factors.ok()?;
    let pool = ["env.DB_POOL", "env.DATABASE_POOL_SIZE", "env.DB_POOL_SIZE"]
        .iter()
        .filter(|_| what != "Redis")
        .find_map(|k| client.settings.get(*k).map(|s| (*k, s)))
        .map(|(k, s)| {
            s.display()
                .trim()
                .parse::<u64>()
                .ok()
                .map(|n| (n, format!("pool {n} (`{k}` at {})", s.origin)))
        });
    let (per_process, why) = match pool {
        Some(Some(p)) => p,
        Some(None) => return None,
        None if what == "Redis" => (1, "1 connection".to_string()),
        None => (
            u64::from(threads.min),
            format!("{} thread(s), one connection each", threads.min),
        ),
    };
    let n = u64::from(instances) * u64::from(processes.min) * per_process;
    Some((
        n,
        format!(
            "`{}`: {instances} instance(s){scaled} x {} process(es) x {why} = {n}",
            client.name, processes.min
        ),
    ))
}

/// Whether a setting's value (its display text) names `host` as a host: `postgres://u:p@db:5432/x`, `db:5432`,
/// `redis://redis/0`, or the bare name (`DB_HOST: db`).
fn names_host(text: &str, host: &str) -> bool {
    if text == host {
        return true;
    }
    [format!("@{host}"), format!("//{host}"), format!("{host}:")]
        .iter()
        .any(|pat| {
            text.match_indices(pat.as_str()).any(|(i, _)| {
                let start_ok = if pat.starts_with(host) {
                    i == 0 || matches!(text.as_bytes()[i - 1], b',' | b' ' | b'=')
                } else {
                    true
                };
                let end = i + pat.len();
                let end_ok = if pat.ends_with(':') {
                    text[end..].starts_with(|c: char| c.is_ascii_digit())
                } else {
                    text[end..].is_empty() || text[end..].starts_with([':', '/', ',', '?'])
                };
                start_ok && end_ok
            })
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, hit, hits, pair};

    const STAGING: &str = "services:\n  worker:\n    image: app:1\n    command: celery -A p worker --concurrency 2\n    environment:\n      DATABASE_URL: postgres://u@db:5432/app\n  db:\n    image: postgres:16\n";

    /// Every host `names_host` finds in a text is among the index's candidates for it, and a
    /// candidate never longer than the longest server name.
    #[test]
    fn candidate_hosts_cover_every_host_names_host_finds() {
        use super::{candidate_hosts, names_host};
        let texts = [
            "db",
            "postgres://u:p@db:5432/app",
            "postgres://db/app?sslmode=require",
            "redis://cache:6379/0",
            "db:5432",
            "DB_HOST=db:5432,replica:5433",
            "hosts db:5432 cache:1",
            "amqp://guest@rabbit",
            "http://db.example.com:80",
            "@db",
            "///db:",
            "x@db,y@pgbouncer:6432",
            "dbx:5432",
            "é@db:5432/ü",
        ];
        let hosts = [
            "db",
            "cache",
            "replica",
            "rabbit",
            "pgbouncer",
            "db.example.com",
            "dbx",
            "x",
        ];
        for text in texts {
            let mut candidates = Vec::new();
            candidate_hosts(text, 14, |h| candidates.push(h.to_string()));
            assert!(candidates.iter().all(|c| c.len() <= 14), "{candidates:?}");
            for host in hosts {
                if names_host(text, host) {
                    assert!(
                        candidates.iter().any(|c| c == host),
                        "{host} in {text:?}: {candidates:?}"
                    );
                }
            }
        }
        assert!(names_host("x@db,y@pgbouncer:6432", "pgbouncer"));
        assert!(!names_host("dbx:5432", "db"));
    }

    #[test]
    fn workers_exceed_max_connections() {
        let files = pair(
            STAGING,
            "services:\n  worker:\n    image: app:1\n    command: celery -A p worker --concurrency 8\n    deploy: {replicas: 2}\n    environment:\n      DATABASE_URL: postgres://u@db:5432/app\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=12\n",
        );
        assert_eq!(hits("EP019", &files), vec![hit("production", "db", "")]);
        let f = findings(&files)
            .into_iter()
            .find(|f| f.rule == "EP019")
            .unwrap();
        assert!(
            f.message
                .contains("2 instance(s) x 8 process(es) x 1 thread(s), one connection each = 16"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("accepts 9 (max_connections 12 at docker-compose.production.yml:10 - superuser_reserved_connections 3 (default))"),
            "{}",
            f.message
        );
    }

    #[test]
    fn pgbouncer_pool_against_postgres_and_clients_against_pgbouncer() {
        let production = "services:\n  web:\n    image: app:1\n    command: gunicorn app -w 10 --threads 4\n    deploy: {replicas: 3}\n    environment:\n      DATABASE_URL: postgres://u@pgbouncer:6432/app\n  pgbouncer:\n    image: edoburu/pgbouncer:1.21\n    environment:\n      DB_HOST: db\n      MAX_CLIENT_CONN: \"100\"\n      DEFAULT_POOL_SIZE: \"120\"\n  db:\n    image: postgres:16\n";
        let got = hits("EP019", &pair(STAGING, production));
        assert_eq!(
            got,
            vec![
                hit("production", "db", ""),
                hit("production", "pgbouncer", "")
            ]
        );
    }

    #[test]
    fn within_budget_or_unknown_clients_say_nothing() {
        let production = "services:\n  worker:\n    image: app:1\n    command: celery -A p worker\n    environment:\n      DATABASE_URL: postgres://u@db:5432/app\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=5\n";
        // Celery's concurrency is the host's CPU count here: unknown, so no finding.
        assert_eq!(hits("EP019", &pair(STAGING, production)), vec![]);
        // A host named like the server inside another word is not a reference.
        let production = "services:\n  worker:\n    image: app:1\n    command: celery -A p worker -c 50\n    environment:\n      DATABASE_URL: postgres://u@mydb:5432/app\n  db:\n    image: postgres:16\n";
        assert_eq!(hits("EP019", &pair(STAGING, production)), vec![]);
    }
}
