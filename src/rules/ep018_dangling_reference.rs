//! EP018 dangling-reference.

use crate::hash::HashSet;

use super::{Context, Finding, Rule};
use crate::model::{Environment, GapExtent, Service};
use crate::policy::Severity;
use crate::verdict::without_environment_words;

pub static RULE: Rule = Rule {
    id: "EP018",
    name: "dangling-reference",
    severity: Severity::Error,
    summary: "a reference to a host that is no service of its environment (depends_on, links, an nginx upstream, a database URL)",
    doc: r#"# EP018 dangling-reference

## What it finds
A reference, inside one environment, to a service that environment does not define: a Compose
`depends_on` or `links` entry, an nginx `upstream` server, or a database, cache or broker URL
in an environment variable (`postgres://app@db:5432/app`, `redis://redis:6379`) whose host is
no service, `container_name`, `hostname` or network alias of the environment (nor, with
Kubernetes manifests, a Service). Only hosts that look like in-stack service names are read:
no dots, not `localhost`, not an IP address. URLs are only judged in Compose stacks and in
Kubernetes environments that declare their Services (Helm releases and Terraform name hosts
envparity cannot see). Environments that could not be read completely are not judged.

`depends_on`, `links` and upstreams are errors (Compose refuses to start, nginx refuses to load
or answers 502); URLs are warnings (the application fails when it first connects).

## Why it matters
A file copied from another environment keeps that environment's service names: production's
nginx proxying to `app:8000` when production's application services are `web1` and `web2`
serves nothing but errors, and only on the day it is deployed.

## How to fix
Point the reference at the environment's own service, or add the missing service (or a network
alias for it).

## Example
```yaml
# docker-compose.production.yml: nginx.conf has `upstream backend { server app:8000; }`
services:
  web: {image: "acme/web:1.4"}
  nginx:
    image: nginx:1.27
    depends_on: [web]
    volumes: ["./nginx.conf:/etc/nginx/conf.d/default.conf:ro"]   # EP018: no service `app`
```
"#,
    check,
};

/// What refers to a host, and how sure a dangling one is to break.
struct Reference {
    host: String,
    what: &'static str,
    severity: Severity,
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for (e, env) in ctx.scan.environments.iter().enumerate() {
        if is_partly_unread(env) {
            continue;
        }
        let known = known_hosts(env, envs);
        let judges_urls = declares_kubernetes_services(env);
        for service in &env.services {
            let urls = judges_urls || is_compose(service);
            for (key, setting) in &service.settings {
                for reference in references(key, setting.display(), urls) {
                    if is_known(&reference.host, &known, envs) || ctx.has_gap(e, &reference.host) {
                        continue;
                    }
                    let mut finding = Finding::new(
                        &RULE,
                        format!(
                            "{} of `{}` in {} refers to `{}`, which is no service of {}",
                            reference.what, service.name, envs[e], reference.host, envs[e]
                        ),
                    )
                    .on_setting(&envs[e], Some(&service.name), key, setting);
                    finding.severity = reference.severity;
                    out.push(finding);
                }
            }
        }
    }
}

/// A file of the environment could not be read: the service it declares may be there.
fn is_partly_unread(env: &Environment) -> bool {
    env.gaps
        .iter()
        .any(|g| g.extent != GapExtent::Optional && g.services.is_empty())
}

/// Names the environment answers to: services, `container_name`, `hostname`, network aliases,
/// link aliases and Kubernetes Services (`service.<name>.*`).
fn known_hosts(env: &Environment, envs: &[String]) -> HashSet<String> {
    let mut known: HashSet<String> = HashSet::default();
    for service in &env.services {
        known.insert(service.name.clone());
        for (key, setting) in &service.settings {
            let value = setting.display();
            if key == "container_name" || key == "hostname" {
                known.insert(value.to_string());
            } else if key.starts_with("networks.") && key.ends_with(".aliases") {
                known.extend(list(value).map(str::to_string));
            } else if key == "links" || key == "external_links" {
                known.extend(
                    list(value)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(_, a)| a.to_string()),
                );
            }
        }
    }
    for key in env.settings.keys() {
        if let Some(name) = key.strip_prefix("service.") {
            known.insert(name.split('.').next().unwrap_or(name).to_string());
        }
    }
    known
        .into_iter()
        .flat_map(|name| {
            [
                name.to_ascii_lowercase(),
                without_environment_words(&name, envs),
            ]
        })
        .collect()
}

fn is_known(host: &str, known: &HashSet<String>, envs: &[String]) -> bool {
    known.contains(host) || known.contains(&without_environment_words(host, envs))
}

/// Raw Kubernetes manifests declare the Services workloads reach each other by.
fn declares_kubernetes_services(env: &Environment) -> bool {
    env.settings.keys().any(|k| k.starts_with("service."))
}

/// A Compose service: declared in a Compose file or using keys only Compose has.
pub(crate) fn is_compose(service: &Service) -> bool {
    let file = service.origin.file.rsplit('/').next().unwrap_or("");
    file.contains("compose")
        || ["depends_on", "container_name", "restart"]
            .iter()
            .any(|k| service.settings.contains_key(*k))
}

/// `a, b` as Compose and nginx settings list things.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The hosts a setting refers to.
fn references(key: &str, value: &str, urls: bool) -> Vec<Reference> {
    let hosts: Vec<(String, &'static str, Severity)> = if key == "depends_on" {
        list(value)
            .map(|s| (s.to_string(), "`depends_on`", Severity::Error))
            .collect()
    } else if key == "links" {
        list(value)
            .map(|l| {
                (
                    l.split(':').next().unwrap_or(l).to_string(),
                    "`links`",
                    Severity::Error,
                )
            })
            .collect()
    } else if key.starts_with("nginx.upstream.") && key.ends_with(".servers") {
        list(value)
            .filter_map(upstream_host)
            .map(|h| (h, "an nginx upstream", Severity::Error))
            .collect()
    } else if urls && key.starts_with("env.") {
        data_url_host(value)
            .map(|h| (h, "a data store URL", Severity::Warning))
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    hosts
        .into_iter()
        .filter(|(h, _, _)| looks_like_service_name(h))
        .map(|(host, what, severity)| Reference {
            host: host.to_ascii_lowercase(),
            what,
            severity,
        })
        .collect()
}

/// `app:8000 max_fails=3` -> `app`; `unix:/run/app.sock` -> none.
fn upstream_host(server: &str) -> Option<String> {
    let address = server.split_whitespace().next()?;
    if address.starts_with("unix:") {
        return None;
    }
    Some(address.split(':').next().unwrap_or(address).to_string())
}

const DATA_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "rediss",
    "amqp",
    "amqps",
];

/// The host of a database, cache or broker URL (`postgres://user:pw@db:5432/app` -> `db`).
fn data_url_host(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once("://")?;
    if !DATA_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        return None;
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // `host1:5432,host2:5432` names a cluster of several: not one service to look up.
    if host.contains(',') {
        return None;
    }
    Some(host.split(':').next().unwrap_or(host).to_string())
}

/// `db`, `redis-master`: not `db.example.com`, `localhost`, `10.0.0.5` or `${DB_HOST}`.
fn looks_like_service_name(host: &str) -> bool {
    !host.is_empty()
        && !host.eq_ignore_ascii_case("localhost")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && host.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn missing_dependency_link_and_database_host() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n  web:\n    image: app:1\n    depends_on: [db]\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n",
            "services:\n  postgres:\n    image: postgres:16\n  web:\n    image: app:1\n    depends_on: [db]\n    links: ['cache']\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n",
        );
        assert_eq!(
            hits("EP018", &files),
            vec![
                hit("production", "web", "depends_on"),
                hit("production", "web", "links"),
                hit("production", "web", "env.DATABASE_URL"),
            ]
        );
    }

    #[test]
    fn aliases_external_hosts_and_addresses_do_not_fire() {
        let files = pair(
            "services:\n  pg:\n    image: postgres:16\n    hostname: database\n  cache:\n    image: redis:7\n    container_name: redis\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://app@database:5432/app\n      CACHE_URL: redis://redis:6379\n",
            "services:\n  pg:\n    image: postgres:16\n    networks:\n      back:\n        aliases: [database]\n  web:\n    image: app:1\n    networks: [back]\n    environment:\n      DATABASE_URL: postgres://app@database:5432/app\n      CACHE_URL: redis://cache.example.com:6379\n      QUEUE_URL: amqp://10.0.0.5:5672\n      LOCAL_URL: redis://localhost:6379\nnetworks:\n  back: {}\n",
        );
        assert!(hits("EP018", &files).is_empty());
    }
}
