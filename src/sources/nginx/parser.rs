//! nginx's configuration grammar, as its own lexer reads it.
//!
//! - A directive is a name, arguments and `;`; a block directive ends with `{ ... }` instead.
//! - Arguments are bare words or quoted with `"` or `'`. In both, `\"`, `\'` and `\\` lose their
//!   backslash and `\n`, `\r`, `\t` are decoded; other backslashes are kept (`\.` in a regex).
//!   Outside quotes an escaped character never ends the word.
//! - A `#` at the start of a token starts a comment to the end of the line (`a#b` is one word).
//! - `${var}` inside a word is part of the word (its braces are not blocks).
//!
//! The parser builds a tree with the 1-based line of each directive. Nesting is capped so a
//! hostile file cannot exhaust the stack.

use crate::error::{Error, Result};

/// Deepest block nesting accepted (nginx configurations rarely pass 5).
pub const MAX_DEPTH: usize = 64;

/// One directive and, for block directives, its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    /// 1-based line of the directive's name.
    pub line: u32,
    /// File (relative to the scanned root) the directive was written in.
    pub file: String,
    /// `Some` for block directives (`server { ... }`).
    pub block: Option<Vec<Directive>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Semicolon,
    Open,
    Close,
}

/// Split the text into tokens with their lines.
fn tokenize(text: &str, file: &str) -> Result<Vec<(Token, u32)>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u32 = 1;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            ';' => {
                tokens.push((Token::Semicolon, line));
                chars.next();
            }
            '{' => {
                tokens.push((Token::Open, line));
                chars.next();
            }
            '}' => {
                tokens.push((Token::Close, line));
                chars.next();
            }
            '"' | '\'' => {
                let quote = c;
                let start = line;
                chars.next();
                let mut word = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        c if c == quote => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            let e = chars.next();
                            if e == Some('\n') {
                                line += 1;
                            }
                            unescape(e, &mut word);
                        }
                        '\n' => {
                            line += 1;
                            word.push('\n');
                        }
                        c => word.push(c),
                    }
                }
                if !closed {
                    return Err(Error::at(file, start, "unterminated quoted string"));
                }
                // nginx wants a separator after a closing quote.
                if let Some(&next) = chars.peek() {
                    if !(next.is_whitespace() || matches!(next, ';' | '{' | '}')) {
                        return Err(Error::at(
                            file,
                            line,
                            "unexpected character after a closing quote (expected a space, `;` or `{`)",
                        ));
                    }
                }
                tokens.push((Token::Word(word), start));
            }
            _ => {
                let start = line;
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    match c {
                        c if c.is_whitespace() => break,
                        ';' | '{' | '}' => break,
                        '\\' => {
                            chars.next();
                            let e = chars.next();
                            if e == Some('\n') {
                                line += 1;
                            }
                            unescape(e, &mut word);
                        }
                        '$' => {
                            word.push('$');
                            chars.next();
                            if chars.peek() == Some(&'{') {
                                // `${name}`: the braces belong to the variable.
                                for c in chars.by_ref() {
                                    word.push(c);
                                    if c == '}' {
                                        break;
                                    }
                                    if c == '\n' {
                                        return Err(Error::at(
                                            file,
                                            start,
                                            "unterminated `${` variable",
                                        ));
                                    }
                                }
                            }
                        }
                        c => {
                            word.push(c);
                            chars.next();
                        }
                    }
                }
                tokens.push((Token::Word(word), start));
            }
        }
    }
    Ok(tokens)
}

/// nginx's escapes, in quoted and bare words alike: `\"`, `\'` and `\\` drop the backslash,
/// `\n`, `\r`, `\t` are decoded, any other backslash is kept (`\.` in a regex stays `\.`).
fn unescape(next: Option<char>, word: &mut String) {
    match next {
        Some(c @ ('"' | '\'' | '\\')) => word.push(c),
        Some('n') => word.push('\n'),
        Some('r') => word.push('\r'),
        Some('t') => word.push('\t'),
        Some(c) => {
            word.push('\\');
            word.push(c);
        }
        None => word.push('\\'),
    }
}

/// Parse one file into its top-level directives (`include` is not followed here).
pub fn parse(text: &str, file: &str) -> Result<Vec<Directive>> {
    let tokens = tokenize(text, file)?;
    let mut pos = 0;
    let directives = parse_block(&tokens, &mut pos, file, 0, None)?;
    Ok(directives)
}

/// Parse directives until the matching `}` (when `opened_at` is the line of the `{`) or the end.
fn parse_block(
    tokens: &[(Token, u32)],
    pos: &mut usize,
    file: &str,
    depth: usize,
    opened_at: Option<u32>,
) -> Result<Vec<Directive>> {
    if depth > MAX_DEPTH {
        let line = tokens.get(*pos).map_or(1, |t| t.1);
        return Err(Error::at(
            file,
            line,
            format!("blocks nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut out = Vec::new();
    loop {
        let Some((token, line)) = tokens.get(*pos) else {
            return match opened_at {
                Some(open) => Err(Error::at(
                    file,
                    open,
                    "block opened here is never closed (missing `}`)",
                )),
                None => Ok(out),
            };
        };
        let line = *line;
        match token {
            Token::Close => {
                *pos += 1;
                return match opened_at {
                    Some(_) => Ok(out),
                    None => Err(Error::at(file, line, "unexpected `}`")),
                };
            }
            Token::Semicolon => {
                return Err(Error::at(
                    file,
                    line,
                    "unexpected `;` (a directive name is missing)",
                ));
            }
            Token::Open => {
                return Err(Error::at(
                    file,
                    line,
                    "unexpected `{` (a directive name is missing)",
                ));
            }
            Token::Word(name) => {
                *pos += 1;
                let mut args = Vec::new();
                loop {
                    match tokens.get(*pos) {
                        Some((Token::Word(w), _)) => {
                            args.push(w.clone());
                            *pos += 1;
                        }
                        Some((Token::Semicolon, _)) => {
                            *pos += 1;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line,
                                file: file.to_string(),
                                block: None,
                            });
                            break;
                        }
                        Some((Token::Open, open_line)) => {
                            let open_line = *open_line;
                            *pos += 1;
                            let children =
                                parse_block(tokens, pos, file, depth + 1, Some(open_line))?;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line,
                                file: file.to_string(),
                                block: Some(children),
                            });
                            break;
                        }
                        Some((Token::Close, l)) => {
                            return Err(Error::at(
                                file,
                                *l,
                                format!("directive `{}` is not terminated by `;`", clip(name)),
                            ));
                        }
                        None => {
                            return Err(Error::at(
                                file,
                                line,
                                format!(
                                    "unexpected end of file: directive `{}` is not terminated by `;`",
                                    clip(name)
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn clip(t: &str) -> String {
    t.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ds: &[Directive]) -> Vec<(&str, Vec<&str>, u32)> {
        ds.iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.args.iter().map(String::as_str).collect(),
                    d.line,
                )
            })
            .collect()
    }

    #[test]
    fn nested_blocks_comments_and_quotes() {
        let text = r#"# main
worker_processes auto;  # trailing comment
http {
    upstream app { server web1:8000 max_fails=3; keepalive 32; }
    server {
        listen 443 ssl;
        add_header X-Frame-Options "DENY" always;
        add_header Content-Security-Policy 'default-src \'self\'';
        location ~* \.(js|css)$ {
            expires 30d;
        }
        log_format main '$remote_addr - ${remote_user} [$time_local]';
        set $a#b 1;
    }
}
"#;
        let ds = parse(text, "nginx.conf").unwrap();
        assert_eq!(
            names(&ds),
            vec![("worker_processes", vec!["auto"], 2), ("http", vec![], 3)]
        );
        let http = ds[1].block.as_ref().unwrap();
        assert_eq!(names(&http[..1]), vec![("upstream", vec!["app"], 4)]);
        assert_eq!(
            names(http[0].block.as_ref().unwrap()),
            vec![
                ("server", vec!["web1:8000", "max_fails=3"], 4),
                ("keepalive", vec!["32"], 4)
            ]
        );
        let server = http[1].block.as_ref().unwrap();
        assert_eq!(
            names(server),
            vec![
                ("listen", vec!["443", "ssl"], 6),
                ("add_header", vec!["X-Frame-Options", "DENY", "always"], 7),
                (
                    "add_header",
                    vec!["Content-Security-Policy", "default-src 'self'"],
                    8
                ),
                ("location", vec!["~*", "\\.(js|css)$"], 9),
                (
                    "log_format",
                    vec!["main", "$remote_addr - ${remote_user} [$time_local]"],
                    12
                ),
                ("set", vec!["$a#b", "1"], 13),
            ]
        );
        assert_eq!(
            names(server[3].block.as_ref().unwrap()),
            vec![("expires", vec!["30d"], 10)]
        );
    }

    #[test]
    fn multiline_quoted_values_keep_following_lines_right() {
        let ds = parse("a \"x\ny\";\nb 1;\n", "f").unwrap();
        assert_eq!(
            names(&ds),
            vec![("a", vec!["x\ny"], 1), ("b", vec!["1"], 3)]
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = |t: &str| parse(t, "n.conf").unwrap_err().to_string();
        assert_eq!(
            e("http {\n  server {\n  listen 80;\n}\n"),
            "n.conf:1: block opened here is never closed (missing `}`)"
        );
        assert_eq!(
            e("listen 80;\nserver_name a\n"),
            "n.conf:2: unexpected end of file: directive `server_name` is not terminated by `;`"
        );
        assert_eq!(e("a 1;\n}\n"), "n.conf:2: unexpected `}`");
        assert_eq!(e("a 'x;\n"), "n.conf:1: unterminated quoted string");
        assert_eq!(
            e("a \"x\"y;\n"),
            "n.conf:1: unexpected character after a closing quote (expected a space, `;` or `{`)"
        );
        assert_eq!(
            e("\n;"),
            "n.conf:2: unexpected `;` (a directive name is missing)"
        );
        assert_eq!(
            e("server { listen 80 }"),
            "n.conf:1: directive `listen` is not terminated by `;`"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "a {".repeat(10_000);
        let e = parse(&text, "deep.conf").unwrap_err();
        assert!(e.message.contains("nest deeper"), "{e}");
    }

    #[test]
    fn never_panics_on_awkward_inputs() {
        for input in [
            "", "{", "}", ";", "\"", "'", "a \\", "a ${", "a ${x", "a \"\\", "é ü;", "#",
        ] {
            let _ = parse(input, "f");
        }
    }
}
