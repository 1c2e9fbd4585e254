//! Configuration files that Compose mounts into a service become that service's settings:
//! nginx files mounted under `/etc/nginx/` (`nginx.*`), and the `postgresql.conf` /
//! `redis.conf` a server's command names (`-c config_file=...`, `redis-server <file>`,
//! `redis-sentinel <file>`) or that is mounted into it (`postgres.*`, `redis.*`). Container
//! paths are mapped back to the repository through the service's bind mounts.
//!
//! A server reads its command-line flags after its configuration file, so a key already set by
//! a flag keeps the flag's value.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{Environment, Note, Service, Setting};
use crate::sources::mounts::{Mount, Mounts};
use crate::sources::serverconf::{self, Server};
use crate::sources::{nginx, Workspace};

/// Read the files mounted into the environment's services. Returns every file read.
pub fn attach(
    workspace: &Workspace,
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<Vec<String>> {
    let mut read = Vec::new();
    for service in &mut environment.services {
        let mounts = Mounts::of_service(service);
        if mounts.entries.is_empty() && !has_config_flag(service) {
            continue;
        }
        let tops = nginx_tops(workspace, &mounts);
        if !tops.is_empty() {
            let loaded = nginx::load(workspace, &tops, Some(&mounts), notes)?;
            merge(&mut service.settings, loaded.settings);
            read.extend(loaded.files);
        }
        for (server, flags) in [
            (Server::Postgres, &["postgres.config_file"][..]),
            (
                Server::Redis,
                &["redis.config_file", "redis.sentinel_config"][..],
            ),
        ] {
            let Some(file) = server_file(workspace, service, &mounts, server, flags, notes) else {
                continue;
            };
            let loaded = serverconf::load(workspace, &file, server, Some(&mounts), notes)?;
            merge(&mut service.settings, loaded.settings);
            read.extend(loaded.files);
        }
    }
    read.dedup();
    Ok(read)
}

fn has_config_flag(service: &Service) -> bool {
    [
        "postgres.config_file",
        "redis.config_file",
        "redis.sentinel_config",
    ]
    .iter()
    .any(|k| service.settings.contains_key(*k))
}

/// Settings from a file, under the ones the command line already set.
fn merge(into: &mut BTreeMap<String, Setting>, from: BTreeMap<String, Setting>) {
    for (k, v) in from {
        into.entry(k).or_insert(v);
    }
}

/// The nginx files nginx loads first: a mounted `/etc/nginx/nginx.conf`, or else the
/// `conf.d/*.conf` files the image's own `nginx.conf` includes (mounted one by one or as a
/// directory), and other mounted `.conf` files under `/etc/nginx/`.
fn nginx_tops(workspace: &Workspace, mounts: &Mounts) -> Vec<String> {
    let is_file = |m: &Mount| workspace.is_file(&m.source);
    if let Some(main) = mounts
        .entries
        .iter()
        .find(|m| m.target == "/etc/nginx/nginx.conf" && is_file(m))
    {
        return vec![main.source.clone()];
    }
    let mut tops: Vec<(String, String)> = Vec::new();
    for m in &mounts.entries {
        if !m.target.starts_with("/etc/nginx/") {
            continue;
        }
        if is_file(m) && m.target.ends_with(".conf") {
            tops.push((m.target.clone(), m.source.clone()));
        } else if m.target == "/etc/nginx/conf.d" {
            for name in workspace.list_dir(&m.source).unwrap_or_default() {
                if name.ends_with(".conf") {
                    tops.push((
                        format!("{}/{name}", m.target),
                        format!("{}/{name}", m.source),
                    ));
                }
            }
        }
    }
    tops.sort();
    tops.dedup();
    tops.into_iter().map(|(_, source)| source).collect()
}

/// The repository file holding a server's configuration: the one its command names, else one
/// mounted into it under that server's usual file name.
fn server_file(
    workspace: &Workspace,
    service: &Service,
    mounts: &Mounts,
    server: Server,
    flags: &[&str],
    notes: &mut Vec<Note>,
) -> Option<String> {
    for flag in flags {
        let Some(setting) = service.settings.get(*flag) else {
            continue;
        };
        let path = setting.display();
        match mounts.to_repo(path).filter(|p| workspace.is_file(p)) {
            Some(file) => return Some(file),
            None => {
                notes.push(Note::at(
                    setting.origin.clone(),
                    format!(
                        "`{flag}` names `{path}`, which no bind mount of service `{}` provides from the repository; its settings are not read",
                        service.name
                    ),
                ));
                return None;
            }
        }
    }
    mounts
        .entries
        .iter()
        .find(|m| {
            let name = m.source.rsplit('/').next().unwrap_or("");
            Server::of_file_name(name) == Some(server)
                && !name.starts_with("sentinel")
                && workspace.is_file(&m.source)
        })
        .map(|m| m.source.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn at(line: u32) -> Origin {
        Origin::new("docker-compose.yml", line)
    }

    fn service_with(settings: &[(&str, &str)]) -> Service {
        let mut s = Service::new("svc", at(1));
        for (k, v) in settings {
            s.settings.insert(k.to_string(), Setting::new(k, *v, at(5)));
        }
        s
    }

    #[test]
    fn mounted_files_become_service_settings_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("redis")).unwrap();
        std::fs::create_dir_all(dir.path().join("nginx/conf.d")).unwrap();
        std::fs::write(
            dir.path().join("redis/redis.conf"),
            "maxmemory 512mb\nappendonly yes\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nginx/conf.d/a.conf"),
            "server { listen 81; }\n",
        )
        .unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let mut env = Environment::new("production");
        env.services.push(service_with(&[
            ("redis.config_file", "/usr/local/etc/redis/redis.conf"),
            ("redis.appendonly", "no"),
            (
                "volumes./usr/local/etc/redis/redis.conf",
                "./redis/redis.conf:ro",
            ),
        ]));
        env.services.push(service_with(&[(
            "volumes./etc/nginx/conf.d",
            "./nginx/conf.d",
        )]));
        env.services
            .push(service_with(&[("redis.config_file", "/etc/redis.conf")]));
        let mut notes = Vec::new();
        let read = attach(&ws, &mut env, &mut notes).unwrap();
        assert_eq!(read, ["redis/redis.conf", "nginx/conf.d/a.conf"]);
        let redis = &env.services[0].settings;
        assert_eq!(redis["redis.maxmemory"].display(), "512mb");
        assert_eq!(
            redis["redis.maxmemory"].origin.to_string(),
            "redis/redis.conf:1"
        );
        assert_eq!(redis["redis.appendonly"].display(), "no", "the flag wins");
        assert_eq!(env.services[1].settings["nginx.listen"].display(), "81");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("`/etc/redis.conf`"), "{notes:?}");
    }
}
