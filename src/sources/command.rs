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

/// Split a command string into words the way a POSIX shell does (quotes, escapes), with the
/// `shell-words` crate. An unbalanced quote (a script cut short) is closed at the end, so the
/// words written are still read.
pub fn split_words(command: &str) -> Vec<String> {
    shell_words::split(command)
        .or_else(|_| shell_words::split(&format!("{command}'")))
        .or_else(|_| shell_words::split(&format!("{command}\"")))
        .unwrap_or_else(|_| command.split_whitespace().map(str::to_string).collect())
}

/// The simple commands of a shell script, split at `&&`, `||`, `;`, `|`, `&` and newlines
/// outside quotes: `cd src && exec gunicorn app` -> `cd src`, `exec gunicorn app`.
fn simple_commands(script: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote, mut escaped) = (0, None::<char>, false);
    for (i, c) in script.char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '&' | '|' | ';' | '\n') => {
                out.push(script[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(script[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// Programs whose flags are settings: in a script, the command that runs one of them is the
/// one read (`cd src && python manage.py migrate && gunicorn app -w 4`).
const SERVERS: &[&str] = &[
    "postgres",
    "postmaster",
    "redis-server",
    "redis-sentinel",
    "valkey-server",
    "gunicorn",
    "uvicorn",
    "hypercorn",
    "daphne",
    "celery",
    "puma",
    "sidekiq",
    "pm2",
    "pm2-runtime",
    "pgbouncer",
    "nginx",
];

/// Flags a shell script passes to no program: a line that starts with `-` after a newline is a
/// command of its own (`celery worker` newline `--concurrency=2`: celery never sees the flag).
/// YAML folded scalars keep the newlines of more-indented lines, so this is easy to write.
pub fn stray_flags(argv: &[String]) -> Vec<String> {
    let Some(script) = shell_script(argv) else {
        return Vec::new();
    };
    simple_commands(script)
        .into_iter()
        .filter(|c| c.starts_with('-'))
        .map(str::to_string)
        .collect()
}

/// The script of `sh -c SCRIPT` (also bash, ash, dash).
fn shell_script(argv: &[String]) -> Option<&str> {
    let program = argv.first()?;
    let program = program.rsplit('/').next().unwrap_or(program);
    (matches!(program, "sh" | "bash" | "ash" | "dash")
        && argv.get(1).map(String::as_str) == Some("-c"))
    .then(|| argv.get(2).map(String::as_str).unwrap_or(""))
}

/// The command of a shell script that runs a server, else its last simple command.
fn server_command(script: &str) -> Vec<String> {
    let commands: Vec<Vec<String>> = simple_commands(script)
        .into_iter()
        .map(split_words)
        .filter(|w| !w.is_empty())
        .collect();
    let runs_server = |words: &Vec<String>| {
        let unwrapped = unwrap_command(words);
        unwrapped
            .first()
            .is_some_and(|p| SERVERS.contains(&p.rsplit('/').next().unwrap_or(p)))
    };
    commands
        .iter()
        .rev()
        .find(|w| runs_server(w))
        .or(commands.last())
        .cloned()
        .unwrap_or_default()
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
        "hypercorn" => named_flags("hypercorn", args, &[("w", "workers")], Some("app")),
        "puma" => named_flags("puma", args, &[("w", "workers"), ("t", "threads")], None),
        "sidekiq" => named_flags("sidekiq", args, &[("c", "concurrency")], None),
        "pm2" | "pm2-runtime" => named_flags(&program, args, &[("i", "instances")], None),
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
        if let Some(script) = shell_script(&words) {
            words = server_command(script);
        } else if matches!(
            first.as_str(),
            "exec" | "env" | "nohup" | "dumb-init" | "tini" | "gosu" | "su-exec"
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
        } else if (first.starts_with("python") && words.get(1).map(String::as_str) == Some("-m"))
            || (first == "bundle" && words.get(1).map(String::as_str) == Some("exec"))
        {
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
            // `--requirepass=x` is the flag `requirepass` with the value `x`, never a key
            // holding the password.
            if let Some((name, value)) = name.split_once('=') {
                flags.push(flag("redis", &name.replace('-', "_"), value));
                i += 1;
                continue;
            }
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
                } else {
                    // `-w` with nothing after it (an empty `${WORKERS}`): the program would
                    // refuse it, so it is kept as given, empty, never read as unset.
                    flags.push(flag(server, name, ""));
                }
            }
        } else if let Some(name) = positional.take() {
            flags.push(flag(server, name, a));
        }
        i += 1;
    }
    flags
}

/// Passwords written as flags anywhere on a command line (and in its `sh -c` script), so that
/// the whole line can be shown with them masked: `mysql -pX`, `redis-cli -a X`,
/// `--password=X` / `--password X` (any secret-named long flag), `-Dspring.datasource.password=X`.
pub fn command_secrets(argv: &[String]) -> Vec<String> {
    let mut words: Vec<String> = argv.to_vec();
    if let Some(script) = shell_script(argv) {
        for command in simple_commands(script) {
            words.extend(split_words(command));
        }
    }
    let mut program = "";
    let mut secrets = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).filter(|n| !n.starts_with('-'));
        if !word.starts_with('-') {
            program = word.rsplit('/').next().unwrap_or(word);
            continue;
        }
        let mysql = program.starts_with("mysql") || program.starts_with("mariadb");
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, next.cloned()),
            };
            if crate::model::is_secret_key(&name.replace('-', "_")) {
                secrets.extend(value);
            }
        } else if let Some(define) = word.strip_prefix("-D") {
            if let Some((key, value)) = define.split_once('=') {
                if crate::model::is_secret_key(key) {
                    secrets.push(value.to_string());
                }
            }
        } else if let Some(attached) = word.strip_prefix("-p").filter(|_| mysql) {
            if !attached.is_empty() {
                secrets.push(attached.to_string());
            }
        } else if word.starts_with("-a") && program.starts_with("redis-cli") {
            match &word[2..] {
                "" => secrets.extend(next.cloned()),
                attached => secrets.push(attached.to_string()),
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
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
    fn scripts_are_followed_to_the_server_they_run() {
        let celery = parse(
            "sh -c \"cd src &&\n  python manage.py migrate &&\n  celery -A proj worker --concurrency=2 --time-limit=300\"",
        );
        assert!(
            celery.contains(&("celery.concurrency".into(), "2".into())),
            "{celery:?}"
        );
        assert!(
            celery.contains(&("celery.time_limit".into(), "300".into())),
            "{celery:?}"
        );
        let gunicorn = parse("bash -c 'cd /app; env LOG=1 exec gunicorn app:wsgi -w 17 || exit 1'");
        assert!(
            gunicorn.contains(&("gunicorn.workers".into(), "17".into())),
            "{gunicorn:?}"
        );
        // A quoted operator is part of its word, not a command separator.
        let quoted = parse("sh -c \"gunicorn app -b '0.0.0.0:80' --access-logformat 'a && b'\"");
        assert!(
            quoted.contains(&("gunicorn.bind".into(), "0.0.0.0:80".into())),
            "{quoted:?}"
        );
        // A flag on a line of its own is a command of its own: the server never gets it.
        let folded = split_words("sh -c \"cd src &&\n  celery -A p worker\n  --concurrency=2\"");
        assert_eq!(stray_flags(&folded), ["--concurrency=2"]);
        assert!(!parse_flags(&folded).iter().any(|f| f.name == "concurrency"));
        assert!(stray_flags(&split_words("sh -c 'celery worker --concurrency=2'")).is_empty());
        // No server in the script: its last command.
        assert_eq!(
            parse("sh -c 'cd x && ./start --port 9'"),
            kv(&[("start.port", "9")])
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
    fn a_short_flag_without_its_value_is_kept_empty() {
        assert_eq!(
            parse("gunicorn app.wsgi -w --threads 2"),
            kv(&[
                ("gunicorn.app", "app.wsgi"),
                ("gunicorn.workers", ""),
                ("gunicorn.threads", "2")
            ])
        );
    }

    #[test]
    fn puma_sidekiq_and_pm2_short_flags() {
        assert_eq!(parse("bundle exec puma -w 2"), kv(&[("puma.workers", "2")]));
        assert_eq!(
            parse("puma -w 3 -t 5:5"),
            kv(&[("puma.workers", "3"), ("puma.threads", "5:5")])
        );
        assert_eq!(
            parse("sidekiq -c 10 -q default"),
            kv(&[("sidekiq.concurrency", "10")])
        );
        assert_eq!(
            parse("pm2-runtime start app.js -i 4"),
            kv(&[("pm2-runtime.instances", "4")])
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

    #[test]
    fn passwords_in_flags_are_found_for_masking() {
        let argv = |s: &str| split_words(s);
        assert_eq!(
            command_secrets(&argv("mysql -uroot -pS3cr3t db")),
            ["S3cr3t"]
        );
        assert_eq!(
            command_secrets(&argv("redis-cli -a S3cr3t ping")),
            ["S3cr3t"]
        );
        assert_eq!(
            command_secrets(&argv(
                "sh -c 'app --password=S3cr3t && tool --db-password X2'"
            )),
            ["S3cr3t", "X2"]
        );
        assert_eq!(
            command_secrets(&argv(
                "java -Dspring.datasource.password=S3cr3t -jar app.jar"
            )),
            ["S3cr3t"]
        );
        assert!(command_secrets(&argv("gunicorn -p 8000 --workers 4 app")).is_empty());
        let flags = parse_flags(&argv("redis-server --requirepass=S3cr3t --maxmemory 64mb"));
        assert_eq!(flags[0].key(), "redis.requirepass");
        assert_eq!(flags[0].value, "S3cr3t");
    }
}
