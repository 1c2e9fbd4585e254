//! Server command lines turned into settings: `postgres -c shared_buffers=512MB` becomes
//! `postgres.shared_buffers = 512MB`, `gunicorn --workers 4` becomes `gunicorn.workers = 4`.
//!
//! Any source with a command line (Compose `command`, Kubernetes `args`) uses this, so the same
//! flag compares across sources. Settings are namespaced by server so that later config-file
//! sources (postgresql.conf, redis.conf) feed the same keys.

/// One flag read from a command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Server namespace: `postgres`, `redis`, `gunicorn`, `celery`, or the program's name.
    pub server: String,
    /// Flag name with `-` turned into `_` (`max_tasks_per_child`), or a config key.
    pub name: String,
    pub value: String,
}

impl Flag {
    /// The setting key: `postgres.shared_buffers`.
    pub fn key(&self) -> String {
        format!("{}.{}", self.server, self.name)
    }
}

/// Split a command string into words the way a POSIX shell would for simple commands:
/// whitespace separates, single quotes are literal, double quotes allow `\"` and `\\`, a
/// backslash escapes the next character outside quotes. Unbalanced quotes end at the end.
pub fn split_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    current.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => current.push(e),
                            Some(e) => {
                                current.push('\\');
                                current.push(e);
                            }
                            None => current.push('\\'),
                        },
                        q => current.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    current.push(e);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Read the flags of a server command line. Wrappers are looked through: `sh -c "exec postgres
/// ..."`, `exec`, `python -m gunicorn`, leading `VAR=value` assignments.
pub fn parse_flags(argv: &[String]) -> Vec<Flag> {
    let words = unwrap_command(argv);
    let Some(program) = words.first() else {
        return Vec::new();
    };
    let program = program.rsplit('/').next().unwrap_or(program).to_string();
    let args = &words[1..];
    match program.as_str() {
        "postgres" | "postmaster" => postgres(args),
        "redis-server" | "redis-sentinel" | "valkey-server" => redis(&program, args),
        "gunicorn" => named_flags(
            "gunicorn",
            args,
            &[
                ("w", "workers"),
                ("b", "bind"),
                ("t", "timeout"),
                ("k", "worker_class"),
                ("c", "config"),
            ],
            Some("app"),
        ),
        "uvicorn" => named_flags("uvicorn", args, &[], Some("app")),
        "celery" => celery(args),
        _ => named_flags(&program, args, &[], None),
    }
}

fn unwrap_command(argv: &[String]) -> Vec<String> {
    let mut words: Vec<String> = argv.to_vec();
    // Bounded: each pass removes at least one word.
    for _ in 0..8 {
        let Some(first) = words
            .first()
            .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        else {
            break;
        };
        if matches!(first.as_str(), "sh" | "bash" | "ash" | "dash")
            && words.get(1).map(String::as_str) == Some("-c")
        {
            let script = words.get(2).cloned().unwrap_or_default();
            // Only the first simple command of a script is a server invocation we can read.
            let first_cmd = script
                .split(['&', ';', '|'])
                .map(str::trim)
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_string();
            words = split_words(&first_cmd);
        } else if matches!(
            first.as_str(),
            "exec" | "dumb-init" | "tini" | "gosu" | "su-exec"
        ) {
            let skip = if matches!(first.as_str(), "gosu" | "su-exec") {
                2
            } else {
                1
            };
            let skip = if words.get(1).map(String::as_str) == Some("--") {
                skip + 1
            } else {
                skip
            };
            words.drain(..skip.min(words.len()));
        } else if first.starts_with("python") && words.get(1).map(String::as_str) == Some("-m") {
            words.drain(..2.min(words.len()));
        } else if first.contains('=') && !first.starts_with('-') {
            words.remove(0);
        } else {
            break;
        }
    }
    words
}

fn postgres(args: &[String]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let assignment = if a == "-c" {
            i += 1;
            args.get(i).map(String::as_str)
        } else if let Some(rest) = a.strip_prefix("-c") {
            Some(rest)
        } else {
            a.strip_prefix("--").filter(|r| r.contains('='))
        };
        if let Some((key, value)) = assignment.and_then(|s| s.split_once('=')) {
            flags.push(flag("postgres", &key.replace('-', "_"), value));
        }
        i += 1;
    }
    flags
}

fn redis(program: &str, args: &[String]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut i = 0;
    // The first positional argument is the configuration file.
    if let Some(first) = args.first().filter(|a| !a.starts_with("--")) {
        let name = if program == "redis-sentinel" {
            "sentinel_config"
        } else {
            "config_file"
        };
        flags.push(flag("redis", name, first));
        i = 1;
    }
    while i < args.len() {
        if let Some(name) = args[i].strip_prefix("--") {
            let mut values = Vec::new();
            while i + 1 < args.len() && !args[i + 1].starts_with("--") {
                i += 1;
                values.push(args[i].as_str());
            }
            let value = if values.is_empty() {
                "yes".to_string()
            } else {
                values.join(" ")
            };
            flags.push(flag("redis", &name.replace('-', "_"), &value));
        }
        i += 1;
    }
    if program == "redis-sentinel" {
        flags.push(flag("redis", "sentinel", "yes"));
    }
    flags
}

fn celery(args: &[String]) -> Vec<Flag> {
    let shorts = [
        ("A", "app"),
        ("c", "concurrency"),
        ("l", "loglevel"),
        ("Q", "queues"),
        ("P", "pool"),
        ("n", "hostname"),
        ("B", "beat"),
        ("s", "schedule"),
    ];
    let mut flags = named_flags("celery", args, &shorts, None);
    if let Some(sub) = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            matches!(a.as_str(), "worker" | "beat" | "flower")
                && (*i == 0 || !args[i - 1].starts_with('-') || args[i - 1].contains('='))
        })
        .map(|(_, a)| a)
    {
        flags.insert(0, flag("celery", "command", sub));
    }
    flags
}

/// Generic `--name value`, `--name=value`, `-x value` reading. A long flag followed by another
/// flag or nothing is a switch (`true`). `positional` names the first positional argument.
fn named_flags(
    server: &str,
    args: &[String],
    shorts: &[(&str, &str)],
    positional: Option<&str>,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut positional = positional;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let next_value = |i: usize| {
            args.get(i + 1)
                .filter(|n| !n.starts_with('-') || is_number(n))
        };
        if let Some(long) = a.strip_prefix("--") {
            if long.is_empty() {
                break;
            }
            if let Some((name, value)) = long.split_once('=') {
                flags.push(flag(server, &name.replace('-', "_"), value));
            } else if let Some(value) = next_value(i) {
                flags.push(flag(server, &long.replace('-', "_"), value));
                i += 1;
            } else {
                flags.push(flag(server, &long.replace('-', "_"), "true"));
            }
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            let (letter, attached) = short.split_at(short.chars().next().map_or(0, char::len_utf8));
            if let Some((_, name)) = shorts.iter().find(|(s, _)| *s == letter) {
                if !attached.is_empty() {
                    flags.push(flag(server, name, attached.trim_start_matches('=')));
                } else if let Some(value) = next_value(i) {
                    flags.push(flag(server, name, value));
                    i += 1;
                }
            }
        } else if let Some(name) = positional.take() {
            flags.push(flag(server, name, a));
        }
        i += 1;
    }
    flags
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

fn flag(server: &str, name: &str, value: &str) -> Flag {
    Flag {
        server: server.to_string(),
        name: name.to_string(),
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(cmd: &str) -> Vec<(String, String)> {
        parse_flags(&split_words(cmd))
            .into_iter()
            .map(|f| (f.key(), f.value))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_words(r#"a 'b c' "d \"e\"" f\ g"#),
            ["a", "b c", "d \"e\"", "f g"]
        );
        assert_eq!(split_words("  "), Vec::<String>::new());
        assert_eq!(split_words("x 'unterminated"), ["x", "unterminated"]);
    }

    #[test]
    fn postgres_c_flags() {
        assert_eq!(
            parse("postgres -c max_connections=100 -c shared_buffers=512MB -cwork_mem=8MB --port=5433"),
            kv(&[
                ("postgres.max_connections", "100"),
                ("postgres.shared_buffers", "512MB"),
                ("postgres.work_mem", "8MB"),
                ("postgres.port", "5433"),
            ])
        );
    }

    #[test]
    fn redis_flags_and_config_file() {
        assert_eq!(
            parse("redis-server /etc/redis.conf --replicaof redis-master 6379 --appendonly yes"),
            kv(&[
                ("redis.config_file", "/etc/redis.conf"),
                ("redis.replicaof", "redis-master 6379"),
                ("redis.appendonly", "yes"),
            ])
        );
        assert_eq!(
            parse("redis-server --maxmemory 256mb --maxmemory-policy allkeys-lru"),
            kv(&[
                ("redis.maxmemory", "256mb"),
                ("redis.maxmemory_policy", "allkeys-lru")
            ])
        );
        assert_eq!(
            parse("redis-sentinel /usr/local/etc/redis/sentinel.conf"),
            kv(&[
                (
                    "redis.sentinel_config",
                    "/usr/local/etc/redis/sentinel.conf"
                ),
                ("redis.sentinel", "yes")
            ])
        );
    }

    #[test]
    fn gunicorn_and_celery_through_wrappers() {
        assert_eq!(
            parse(
                "sh -c 'exec gunicorn app.wsgi:application -w 4 --threads=2 --bind 0.0.0.0:8000'"
            ),
            kv(&[
                ("gunicorn.app", "app.wsgi:application"),
                ("gunicorn.workers", "4"),
                ("gunicorn.threads", "2"),
                ("gunicorn.bind", "0.0.0.0:8000"),
            ])
        );
        assert_eq!(
            parse("celery -A proj worker --loglevel=info -c 2 --max-tasks-per-child 1000"),
            kv(&[
                ("celery.command", "worker"),
                ("celery.app", "proj"),
                ("celery.loglevel", "info"),
                ("celery.concurrency", "2"),
                ("celery.max_tasks_per_child", "1000"),
            ])
        );
        assert_eq!(
            parse("python -m celery -A proj beat"),
            kv(&[("celery.command", "beat"), ("celery.app", "proj")])
        );
    }

    #[test]
    fn other_programs_get_their_own_namespace() {
        assert_eq!(
            parse("/bin/prometheus --config.file=/etc/p.yml --storage.tsdb.retention.time=7d --web.enable-lifecycle"),
            kv(&[
                ("prometheus.config.file", "/etc/p.yml"),
                ("prometheus.storage.tsdb.retention.time", "7d"),
                ("prometheus.web.enable_lifecycle", "true"),
            ])
        );
        assert!(parse("").is_empty());
        assert!(parse("sh -c").is_empty());
    }
}
