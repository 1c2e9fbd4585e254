//! redis.conf (and sentinel.conf) lines, split the way Redis splits them (`sdssplitargs`):
//! words separated by spaces; `"..."` with `\n`, `\r`, `\t`, `\b`, `\a`, `\\`, `\"` and `\xHH`
//! escapes; `'...'` with only `\'`; a closing quote must be followed by a space or the end of the
//! line. `#` starts a comment line. The first word is the directive, case-insensitive; `-` in it
//! becomes `_`, like the `--flag` form (`maxmemory-policy` -> `maxmemory_policy`).

use super::Entry;
use crate::error::{Error, Result};

/// Directives that may be given on several lines, each adding to the others.
const REPEATABLE: &[&str] = &[
    "save",
    "rename_command",
    "loadmodule",
    "user",
    "bind_source_addr",
];

/// Directives whose value is a credential even though the name does not say so.
const SECRET: &[&str] = &[
    "user",
    "sentinel.auth_pass",
    "sentinel.sentinel_pass",
    "tls_key_file_pass",
];

pub fn parse(text: &str, file: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = split_args(trimmed).map_err(|m| Error::at(file, line, m))?;
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let directive = first.to_ascii_lowercase().replace('-', "_");
        // `sentinel monitor mymaster ...`, `client-output-buffer-limit replica ...`: the second
        // word says which setting it is.
        let (name, args) = match directive.as_str() {
            "sentinel" | "client_output_buffer_limit" if !rest.is_empty() => (
                format!(
                    "{directive}.{}",
                    rest[0].to_ascii_lowercase().replace('-', "_")
                ),
                &rest[1..],
            ),
            _ => (directive.clone(), rest),
        };
        let include = (directive == "include").then_some(false);
        if include.is_some() && args.len() != 1 {
            return Err(Error::at(file, line, "`include` takes exactly one path"));
        }
        out.push(Entry {
            repeatable: REPEATABLE.contains(&name.as_str()),
            secret: SECRET.contains(&name.as_str()),
            name,
            value: args.join(" "),
            line,
            include,
        });
    }
    Ok(out)
}

/// Split one line into words with Redis's quoting rules.
fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Ok(words);
        };
        let mut word = String::new();
        match first {
            '"' => {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err("unbalanced quotes in a directive".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => word.push('\n'),
                            Some('r') => word.push('\r'),
                            Some('t') => word.push('\t'),
                            Some('b') => word.push('\u{8}'),
                            Some('a') => word.push('\u{7}'),
                            Some('x') => {
                                let hex: String = chars.by_ref().take(2).collect();
                                match u8::from_str_radix(&hex, 16) {
                                    Ok(b) if hex.len() == 2 => word.push(char::from(b)),
                                    _ => {
                                        word.push_str("\\x");
                                        word.push_str(&hex);
                                    }
                                }
                            }
                            Some(c) => word.push(c),
                            None => return Err("unbalanced quotes in a directive".into()),
                        },
                        Some(c) => word.push(c),
                    }
                }
                if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err("a closing quote must be followed by a space".into());
                }
            }
            '\'' => {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err("unbalanced quotes in a directive".into()),
                        Some('\'') => break,
                        Some('\\') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            word.push('\'');
                        }
                        Some(c) => word.push(c),
                    }
                }
                if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err("a closing quote must be followed by a space".into());
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, u32)> {
        parse(text, "redis.conf")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.value, e.line))
            .collect()
    }

    #[test]
    fn real_world_lines() {
        let text = "\
# Redis configuration file example.
bind 127.0.0.1 -::1
Maxmemory-Policy allkeys-lru
save \"\"
logfile \"/var/log/redis/redis.log\"
rename-command CONFIG 'b840fc02d524045429941cc15f59e41cb7be6c52'
client-output-buffer-limit replica 256mb 64mb 60
sentinel monitor mymaster redis-master 6379 2
sentinel down-after-milliseconds mymaster 5000
notify-keyspace-events \"Ex\\x21\"
";
        assert_eq!(
            kv(text),
            vec![
                ("bind".into(), "127.0.0.1 -::1".into(), 2),
                ("maxmemory_policy".into(), "allkeys-lru".into(), 3),
                ("save".into(), "".into(), 4),
                ("logfile".into(), "/var/log/redis/redis.log".into(), 5),
                (
                    "rename_command".into(),
                    "CONFIG b840fc02d524045429941cc15f59e41cb7be6c52".into(),
                    6
                ),
                (
                    "client_output_buffer_limit.replica".into(),
                    "256mb 64mb 60".into(),
                    7
                ),
                (
                    "sentinel.monitor".into(),
                    "mymaster redis-master 6379 2".into(),
                    8
                ),
                (
                    "sentinel.down_after_milliseconds".into(),
                    "mymaster 5000".into(),
                    9
                ),
                ("notify_keyspace_events".into(), "Ex!".into(), 10),
            ]
        );
    }

    #[test]
    fn quoting_errors_name_the_line() {
        let e = |t: &str| parse(t, "redis.conf").unwrap_err().to_string();
        assert_eq!(
            e("port 6379\nrequirepass \"abc\n"),
            "redis.conf:2: unbalanced quotes in a directive"
        );
        assert_eq!(
            e("logfile \"a\"b\n"),
            "redis.conf:1: a closing quote must be followed by a space"
        );
    }
}
