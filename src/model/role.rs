//! What a service does, inferred from its image, command and name.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Database,
    Pooler,
    Cache,
    Queue,
    Search,
    Web,
    Worker,
    Scheduler,
    Proxy,
    Monitoring,
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Database => "database",
            Role::Pooler => "pooler",
            Role::Cache => "cache",
            Role::Queue => "queue",
            Role::Search => "search",
            Role::Web => "web",
            Role::Worker => "worker",
            Role::Scheduler => "scheduler",
            Role::Proxy => "proxy",
            Role::Monitoring => "monitoring",
            Role::Other => "other",
        }
    }

    /// Infer the role. The command is the strongest signal (an app image runs as web, worker or
    /// scheduler depending on it), then the image, then the service name.
    pub fn infer(
        image_short_name: Option<&str>,
        command: Option<&str>,
        service_name: &str,
    ) -> Role {
        if let Some(role) = command.and_then(from_command) {
            return role;
        }
        if let Some(role) = image_short_name.and_then(from_name) {
            return role;
        }
        from_name(service_name).unwrap_or(Role::Other)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn from_command(command: &str) -> Option<Role> {
    let words: Vec<&str> = command
        .split(|c: char| c.is_whitespace() || c == '/')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    if has("celery") {
        if has("beat") {
            return Some(Role::Scheduler);
        }
        if has("worker") {
            return Some(Role::Worker);
        }
        if has("flower") {
            return Some(Role::Monitoring);
        }
    }
    if has("redis-sentinel") || (has("redis-server") && has("--sentinel")) {
        return Some(Role::Cache);
    }
    if [
        "gunicorn",
        "uvicorn",
        "daphne",
        "hypercorn",
        "puma",
        "unicorn",
        "waitress-serve",
    ]
    .iter()
    .any(|w| has(w))
        || (has("manage.py") && has("runserver"))
        || (has("rails") && (has("server") || has("s")))
    {
        return Some(Role::Web);
    }
    if has("rq") && has("worker") || has("sidekiq") || has("dramatiq") || has("huey_consumer") {
        return Some(Role::Worker);
    }
    if has("crond") || has("cron") || has("supercronic") {
        return Some(Role::Scheduler);
    }
    // A server binary named in the command (`postgres -c ...`) decides like an image would.
    words.first().and_then(|first| from_name(first))
}

/// Match well-known image or service names, ignoring environment tokens and numbering.
fn from_name(name: &str) -> Option<Role> {
    let n = name.to_ascii_lowercase();
    let has = |w: &str| n.contains(w);
    let table: &[(&[&str], Role)] = &[
        (
            &["pgbouncer", "pgpool", "odyssey", "proxysql"],
            Role::Pooler,
        ),
        (
            &[
                "sentinel",
                "redis",
                "valkey",
                "keydb",
                "memcached",
                "dragonfly",
                "cache",
            ],
            Role::Cache,
        ),
        (
            &[
                "postgres",
                "postgis",
                "timescale",
                "mysql",
                "mariadb",
                "mongo",
                "cockroach",
                "cassandra",
                "scylla",
                "clickhouse",
                "database",
            ],
            Role::Database,
        ),
        (
            &[
                "elasticsearch",
                "opensearch",
                "meilisearch",
                "solr",
                "typesense",
            ],
            Role::Search,
        ),
        (
            &[
                "rabbitmq",
                "kafka",
                "nats",
                "activemq",
                "zookeeper",
                "pulsar",
            ],
            Role::Queue,
        ),
        (
            &[
                "nginx", "haproxy", "traefik", "envoy", "caddy", "httpd", "apache", "varnish",
            ],
            Role::Proxy,
        ),
        (
            &[
                "prometheus",
                "grafana",
                "alertmanager",
                "loki",
                "promtail",
                "exporter",
                "cadvisor",
                "jaeger",
                "tempo",
                "otel",
                "datadog",
                "fluent",
                "vector",
                "flower",
            ],
            Role::Monitoring,
        ),
        (&["beat", "scheduler", "cron"], Role::Scheduler),
        (&["worker", "celery", "sidekiq", "consumer"], Role::Worker),
    ];
    for (words, role) in table {
        if words.iter().any(|w| has(w)) {
            return Some(*role);
        }
    }
    // Short exact names people give services.
    let stem = n.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_');
    match stem {
        "db" | "pg" => Some(Role::Database),
        "web" | "app" | "api" | "frontend" | "backend" | "server" => Some(Role::Web),
        "proxy" | "lb" | "ingress" | "gateway" => Some(Role::Proxy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_decides_for_application_images() {
        let app = Some("obcms");
        assert_eq!(
            Role::infer(app, Some("gunicorn app.wsgi --workers 4"), "web1"),
            Role::Web
        );
        assert_eq!(
            Role::infer(app, Some("celery -A app worker -c 2"), "celery"),
            Role::Worker
        );
        assert_eq!(
            Role::infer(app, Some("celery -A app beat"), "celery-beat"),
            Role::Scheduler
        );
        assert_eq!(
            Role::infer(
                Some("redis"),
                Some("redis-sentinel /etc/sentinel.conf"),
                "s1"
            ),
            Role::Cache
        );
    }

    #[test]
    fn image_decides_for_servers() {
        assert_eq!(
            Role::infer(Some("postgres"), Some("postgres -c a=b"), "db"),
            Role::Database
        );
        assert_eq!(Role::infer(Some("pgbouncer"), None, "pool"), Role::Pooler);
        assert_eq!(
            Role::infer(Some("redis"), Some("redis-server --maxmemory 1mb"), "r"),
            Role::Cache
        );
        assert_eq!(Role::infer(Some("nginx"), None, "lb"), Role::Proxy);
        assert_eq!(
            Role::infer(Some("grafana"), None, "grafana"),
            Role::Monitoring
        );
        assert_eq!(
            Role::infer(Some("opensearch"), None, "search"),
            Role::Search
        );
    }

    #[test]
    fn name_is_the_last_resort() {
        assert_eq!(Role::infer(Some("acme-app"), None, "web2"), Role::Web);
        assert_eq!(Role::infer(None, None, "db"), Role::Database);
        assert_eq!(
            Role::infer(Some("watchtower"), None, "watchtower-staging"),
            Role::Other
        );
    }
}
