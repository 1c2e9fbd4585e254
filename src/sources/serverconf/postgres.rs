//! postgresql.conf lines, as PostgreSQL's own configuration lexer reads them:
//! `name = value` or `name value`, one per line; `#` starts a comment outside quotes; a value is
//! a bare word (letters, digits, `.`, `-`, `_`, `:`, `/`...) or single-quoted, where `''` and
//! `\'` are a quote and `\n`, `\t`, `\\` are decoded. Names are case-insensitive.
//! `include`, `include_if_exists` and `include_dir` name other files.

use super::Entry;
use crate::error::{Error, Result};

pub fn parse(text: &str, file: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let err = |m: &str| Error::at(file, line, m.to_string());
        let mut chars = raw.trim_start().chars().peekable();
        // Name.
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                name.push(c);
                chars.next();
            } else {
                break;
            }
        }
        let rest: String = chars.collect();
        let rest = rest.trim_start();
        if name.is_empty() {
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            return Err(err("syntax error: expected `name = value`"));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return Err(err("syntax error: a parameter name starts with a letter"));
        }
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
        let (value, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut value = String::new();
            let mut it = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = it.next() {
                match c {
                    '\'' if it.peek().map(|p| p.1) == Some('\'') => {
                        value.push('\'');
                        it.next();
                    }
                    '\'' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match it.next().map(|p| p.1) {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some('r') => value.push('\r'),
                        Some(c) => value.push(c),
                        None => {}
                    },
                    c => value.push(c),
                }
            }
            let Some(end) = end else {
                return Err(err("unterminated quoted value"));
            };
            (value, &quoted[end..])
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '#')
                .unwrap_or(rest.len());
            if end == 0 {
                return Err(err(&format!(
                    "syntax error: `{}` has no value",
                    clip(&name)
                )));
            }
            (rest[..end].to_string(), &rest[end..])
        };
        let after = after.trim_start();
        if !(after.is_empty() || after.starts_with('#')) {
            return Err(err(&format!(
                "syntax error after the value of `{}` (quote values that hold spaces)",
                clip(&name)
            )));
        }
        let name = name.to_ascii_lowercase();
        let include =
            match name.as_str() {
                "include" => Some(false),
                "include_if_exists" => Some(true),
                "include_dir" => return Err(err(
                    "`include_dir` is not read yet; name the environment's files in envparity.toml",
                )),
                _ => None,
            };
        out.push(Entry {
            name,
            value,
            line,
            include,
            repeatable: false,
            secret: false,
        });
    }
    Ok(out)
}

fn clip(t: &str) -> String {
    t.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, u32)> {
        parse(text, "postgresql.conf")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.value, e.line))
            .collect()
    }

    #[test]
    fn real_world_lines() {
        let text = "\
# -----------------------------
# PostgreSQL configuration file
#------------------------------

listen_addresses = '*'\t\t# what IP address(es) to listen on;
Max_Connections = 100
shared_buffers 128MB
log_line_prefix = '%m [%p] %q%u@%d '
search_path = '\"$user\", public'
escaped = 'it''s \\'fine\\''
random_page_cost = 1.1
";
        assert_eq!(
            kv(text),
            vec![
                ("listen_addresses".into(), "*".into(), 5),
                ("max_connections".into(), "100".into(), 6),
                ("shared_buffers".into(), "128MB".into(), 7),
                ("log_line_prefix".into(), "%m [%p] %q%u@%d ".into(), 8),
                ("search_path".into(), "\"$user\", public".into(), 9),
                ("escaped".into(), "it's 'fine'".into(), 10),
                ("random_page_cost".into(), "1.1".into(), 11),
            ]
        );
    }

    #[test]
    fn syntax_errors() {
        let e = |t: &str| parse(t, "postgresql.conf").unwrap_err().to_string();
        assert_eq!(
            e("a = 1\nb = 'x\n"),
            "postgresql.conf:2: unterminated quoted value"
        );
        assert_eq!(
            e("log_line_prefix = %m [%p]\n"),
            "postgresql.conf:1: syntax error after the value of `log_line_prefix` (quote values that hold spaces)"
        );
        assert_eq!(
            e("= 5\n"),
            "postgresql.conf:1: syntax error: expected `name = value`"
        );
        assert_eq!(
            e("work_mem =\n"),
            "postgresql.conf:1: syntax error: `work_mem` has no value"
        );
    }
}
