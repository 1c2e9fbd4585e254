//! `postgresql.conf` and `redis.conf` (also `sentinel.conf`) read into the same `postgres.*` and
//! `redis.*` keys the command-line flags give (`sources::command`), with sizes in bytes and
//! durations in seconds, so `shared_buffers = 512MB` in one environment and `-c
//! shared_buffers=4GB` in another land on one row.
//!
//! Each format has its own line parser (`postgres`, `redis`); this module follows their
//! `include`s inside the scanned root and turns entries into settings.

mod postgres;
mod redis;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::{MaskedSecret, Note, Origin, Setting, SettingValue};
use crate::sources::mounts::Mounts;
use crate::sources::units::server_quantity_checked;
use crate::sources::{join_relative, Workspace};

/// Longest chain of nested includes followed.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Which server's format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    Redis,
}

impl Server {
    /// The settings namespace, shared with the command-line flags.
    pub fn namespace(self) -> &'static str {
        match self {
            Server::Postgres => "postgres",
            Server::Redis => "redis",
        }
    }

    /// The server whose configuration a file name suggests: `postgresql.conf`,
    /// `postgresql.staging.conf`, `redis.conf`, `redis-prod.conf`, `sentinel.conf`.
    pub fn of_file_name(name: &str) -> Option<Server> {
        let lower = name.to_ascii_lowercase();
        if !lower.ends_with(".conf") {
            return None;
        }
        if lower.starts_with("postgresql") || lower.starts_with("postgres") {
            Some(Server::Postgres)
        } else if lower.starts_with("redis")
            || lower.starts_with("valkey")
            || lower.starts_with("sentinel")
        {
            Some(Server::Redis)
        } else {
            None
        }
    }
}

/// One `name = value` as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Setting name below the namespace: `shared_buffers`, `maxmemory_policy`,
    /// `sentinel.down_after_milliseconds`.
    pub name: String,
    pub value: String,
    pub line: u32,
    /// `include` and friends: `Some(if_exists)`; the value is then the path.
    pub include: Option<bool>,
    /// Several lines of this directive add up (`save 900 1` / `save 300 10`) instead of the
    /// last one winning.
    pub repeatable: bool,
    /// The value is a credential whatever its name says (redis `user ... >password`).
    pub secret: bool,
}

/// What reading a configuration file gave.
#[derive(Debug, Default)]
pub struct Loaded {
    pub settings: BTreeMap<String, Setting>,
    pub files: Vec<String>,
}

/// Read a server configuration file (and its includes).
pub fn load(
    workspace: &Workspace,
    file: &str,
    server: Server,
    mounts: Option<&Mounts>,
    notes: &mut Vec<Note>,
) -> Result<Loaded> {
    let mut entries: Vec<(Entry, Origin)> = Vec::new();
    let mut files = Vec::new();
    let mut stack = Vec::new();
    read(
        workspace,
        file,
        server,
        mounts,
        &mut stack,
        &mut files,
        &mut entries,
        notes,
    )?;

    // Later lines override earlier ones; repeatable directives collect every line.
    let mut merged: BTreeMap<String, (Vec<String>, Origin, bool)> = BTreeMap::new();
    for (e, origin) in entries {
        let key = format!("{}.{}", server.namespace(), e.name);
        match merged.get_mut(&key) {
            Some((values, _, secret)) if e.repeatable => {
                values.push(e.value);
                *secret |= e.secret;
            }
            _ => {
                merged.insert(key, (vec![e.value], origin, e.secret));
            }
        }
    }
    let mut settings = BTreeMap::new();
    for (key, (values, origin, secret)) in merged {
        let text = values.join(", ");
        // A server's own configuration file expands no `${VAR}`: under a secret key, even
        // placeholder text is the secret itself, so it is masked whatever it looks like.
        let secret = secret || crate::model::is_secret_key(&key);
        let setting = if secret && !text.is_empty() {
            Setting {
                value: SettingValue::Secret(Box::new(MaskedSecret::in_unexpanding_file(
                    &text,
                    crate::model::secret::MASK.to_string(),
                ))),
                ..Setting::new(&key, "", origin)
            }
        } else {
            let quantity = if values.len() == 1 {
                server_quantity_checked(server.namespace(), &text)
                    .map_err(|m| Error::at(&origin.file, origin.line, format!("`{key}`: {m}")))?
            } else {
                None
            };
            let setting = Setting::new(&key, text, origin);
            if setting.is_secret() {
                setting
            } else {
                setting.with_quantity(quantity)
            }
        };
        settings.insert(key, setting);
    }
    Ok(Loaded { settings, files })
}

#[allow(clippy::too_many_arguments)]
fn read(
    workspace: &Workspace,
    file: &str,
    server: Server,
    mounts: Option<&Mounts>,
    stack: &mut Vec<String>,
    files: &mut Vec<String>,
    out: &mut Vec<(Entry, Origin)>,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let text = workspace.read_text(file)?;
    if !files.iter().any(|f| f == file) {
        files.push(file.to_string());
    }
    stack.push(file.to_string());
    let entries = match server {
        Server::Postgres => postgres::parse(&text, file)?,
        Server::Redis => redis::parse(&text, file)?,
    };
    // Depth is capped, fan-out is not: every entry read through an include counts.
    workspace.charge_rendered(file, entries.len() as u64 + 1)?;
    for e in entries {
        let origin = Origin::new(file, e.line);
        let Some(if_exists) = e.include else {
            out.push((e, origin));
            continue;
        };
        let Some(target) =
            include_target(workspace, file, &e.value, mounts, &origin, notes, if_exists)?
        else {
            continue;
        };
        if let Some(pos) = stack.iter().position(|f| *f == target) {
            let mut chain: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
            chain.push(&target);
            return Err(Error::at(
                file,
                e.line,
                format!("`include` cycle: {}", chain.join(" -> ")),
            ));
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(Error::at(
                file,
                e.line,
                format!("`include`s nest deeper than {MAX_INCLUDE_DEPTH} files"),
            ));
        }
        read(workspace, &target, server, mounts, stack, files, out, notes)?;
    }
    stack.pop();
    Ok(())
}

/// The repository file an include names: container paths through the mounts, relative paths
/// against the including file's directory (as PostgreSQL does). `None` (with a note) when the
/// repository does not hold it.
fn include_target(
    workspace: &Workspace,
    file: &str,
    path: &str,
    mounts: Option<&Mounts>,
    origin: &Origin,
    notes: &mut Vec<Note>,
    if_exists: bool,
) -> Result<Option<String>> {
    let rel = if path.starts_with('/') {
        match mounts.and_then(|m| m.to_repo(path)) {
            Some(rel) => rel,
            None => {
                notes.push(Note::at(
                    origin.clone(),
                    format!("include `{path}` is a path inside the container that the repository does not provide; not read"),
                ));
                return Ok(None);
            }
        }
    } else {
        join_relative(file, path).ok_or_else(|| {
            Error::at(
                file,
                origin.line,
                format!("include `{path}` points outside the scanned directory"),
            )
        })?
    };
    match workspace.resolve(&rel) {
        Ok(resolved) => match std::fs::metadata(&resolved)
            .ok()
            .and_then(|m| crate::sources::read::special_kind(m.file_type()))
        {
            // Refused here, where the include names it, rather than when read.
            Some(kind) => Err(Error::at(
                file,
                origin.line,
                format!("include `{path}`: {kind}"),
            )),
            None => Ok(Some(rel)),
        },
        Err(e) if e.message.contains("outside") => Err(Error::at(
            file,
            origin.line,
            format!("include `{path}` points outside the scanned directory"),
        )),
        Err(_) if if_exists => Ok(None),
        Err(_) => {
            notes.push(Note::at(
                origin.clone(),
                format!("include `{path}`: `{rel}` is not in the repository; not read"),
            ));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quantity;

    fn load_repo(files: &[(&str, &str)], top: &str, server: Server) -> Result<Loaded> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        load(&ws, top, server, None, &mut Vec::new())
    }

    #[test]
    fn postgres_conf_with_include_and_units() {
        let loaded = load_repo(
            &[
                (
                    "pg/postgresql.conf",
                    "# tuned\nshared_buffers = 512MB\t# a quarter of RAM\nmax_connections 100\ninclude 'tuning.conf'\nwork_mem = '8MB'\n",
                ),
                ("pg/tuning.conf", "checkpoint_timeout = 15min\nshared_buffers = 1GB\n"),
            ],
            "pg/postgresql.conf",
            Server::Postgres,
        )
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(
            s["postgres.shared_buffers"].display(),
            "1GB",
            "the later line wins"
        );
        assert_eq!(
            s["postgres.shared_buffers"].origin.to_string(),
            "pg/tuning.conf:2"
        );
        assert_eq!(
            s["postgres.shared_buffers"].quantity,
            Some(Quantity::Bytes(1 << 30))
        );
        assert_eq!(
            s["postgres.checkpoint_timeout"].quantity,
            Some(Quantity::Seconds(900.0))
        );
        assert_eq!(
            s["postgres.max_connections"].quantity,
            Some(Quantity::Number(100.0))
        );
        assert_eq!(s["postgres.work_mem"].origin.line, 5);
        assert_eq!(loaded.files, ["pg/postgresql.conf", "pg/tuning.conf"]);
    }

    #[test]
    fn redis_conf_repeatable_and_secret_directives() {
        let loaded = load_repo(
            &[(
                "redis.conf",
                "maxmemory 256mb\nmaxmemory-policy allkeys-lru\nsave 900 1\nsave 300 10\nrequirepass \"s3cret pass\"\nuser app on >hunter2 ~* +@all\n",
            )],
            "redis.conf",
            Server::Redis,
        )
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(
            s["redis.maxmemory"].quantity,
            Some(Quantity::Bytes(256 << 20))
        );
        assert_eq!(s["redis.maxmemory_policy"].display(), "allkeys-lru");
        assert_eq!(s["redis.save"].display(), "900 1, 300 10");
        assert_eq!(s["redis.save"].origin.line, 3);
        assert!(s["redis.requirepass"].is_secret());
        assert!(s["redis.user"].is_secret());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_units_cycles_and_escapes_are_errors() {
        let e = load_repo(
            &[("redis.conf", "port 6379\nmaxmemory 2gib\n")],
            "redis.conf",
            Server::Redis,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "redis.conf:2: `redis.maxmemory`: unknown unit `gib` in `2gib` (redis accepts k, kb, m, mb, g or gb)"
        );
        let e = load_repo(
            &[
                ("a.conf", "include 'b.conf'\n"),
                ("b.conf", "include 'a.conf'\n"),
            ],
            "a.conf",
            Server::Postgres,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "b.conf:1: `include` cycle: a.conf -> b.conf -> a.conf"
        );
        let e = load_repo(
            &[("a.conf", "include '../x.conf'\n")],
            "a.conf",
            Server::Postgres,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.conf:1: include `../x.conf` points outside the scanned directory"
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(
            Server::of_file_name("postgresql.conf"),
            Some(Server::Postgres)
        );
        assert_eq!(
            Server::of_file_name("postgresql.staging.conf"),
            Some(Server::Postgres)
        );
        assert_eq!(Server::of_file_name("redis.conf"), Some(Server::Redis));
        assert_eq!(Server::of_file_name("sentinel.conf"), Some(Server::Redis));
        assert_eq!(Server::of_file_name("nginx.conf"), None);
        assert_eq!(Server::of_file_name("redis.yaml"), None);
    }
}
