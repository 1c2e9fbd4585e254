//! `.env` / `env_file` parser with line numbers, following Compose's env-file rules.
//!
//! - Blank lines and lines whose first non-blank character is `#` are ignored.
//! - `KEY=VALUE`, optionally prefixed by `export `; whitespace around the key and around an
//!   unquoted value is trimmed. Keys match `[A-Za-z_][A-Za-z0-9_.-]*`.
//! - A line holding only `KEY` (no `=`) takes its value from the shell in Compose; it is skipped.
//! - Unquoted values end at the end of the line or at an inline comment, which starts at a `#`
//!   preceded by a space or tab (`a=b#c` is the value `b#c`). They are interpolated.
//! - Single-quoted values are literal (no interpolation) except that `\'` is a quote; they may
//!   span lines.
//! - Double-quoted values understand `\n`, `\r`, `\t`, `\\`, `\"` and `\$` (other backslashes are
//!   kept), are interpolated, and may span lines.
//! - After a closing quote only whitespace and a `# comment` may follow.
//! - A later definition of a key replaces an earlier one.
//!
//! Values are interpolated with the Compose rules, looking variables up among the entries defined
//! earlier in the same file first, then through the caller's lookup.
//!
//! Error messages name the key but never quote a value: values may be secrets. An entry whose
//! interpolation took in a secret value (a secret-named variable, a variable of a secret file,
//! the process environment) is marked [`DotenvEntry::secret`], and so is every later entry that
//! takes it in. Interpolated values count against the run's [`ExpansionBudget`].

use crate::hash::HashMap;

use crate::error::{Error, Result};
use crate::model::secret::{is_secret_file, is_secret_variable};
use crate::sources::compose::interpolate::{interpolate_vars, ExpansionBudget, Var};

/// One `KEY=VALUE` definition.
#[derive(Debug, Clone, PartialEq)]
pub struct DotenvEntry {
    pub key: String,
    pub value: String,
    /// 1-based line where the key starts.
    pub line: u32,
    /// Interpolation happened (a `$` substitution, not just a `$$` or `\$` escape).
    pub substituted: bool,
    /// A value from a secret source was interpolated into this one.
    pub secret: bool,
}

impl DotenvEntry {
    /// The entry as a variable for later interpolation: secret when its name or value is, when
    /// it took in a secret, or when its file holds secrets (`secrets.env`).
    pub fn as_var(&self, file: &str) -> Var {
        Var {
            value: self.value.clone(),
            secret: self.secret
                || is_secret_file(file)
                || is_secret_variable(&self.key, &self.value),
        }
    }
}

/// Parses a dotenv file. `file` is used in error messages. Values are interpolated with the
/// Compose rules using earlier entries of the same file first, then `lookup`.
///
/// Only the last definition of each key is returned, in the order of those last definitions.
pub fn parse(
    text: &str,
    file: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<DotenvEntry>> {
    parse_vars(
        text,
        file,
        &|name| lookup(name).map(Var::plain),
        &ExpansionBudget::default(),
    )
}

/// [`parse`] with variables that know whether they are secret, charging `budget` for what
/// interpolation produces.
pub fn parse_vars(
    text: &str,
    file: &str,
    lookup: &dyn Fn(&str) -> Option<Var>,
    budget: &ExpansionBudget,
) -> Result<Vec<DotenvEntry>> {
    if let Some(nul) = text.find('\0') {
        let line = count_lines(&text[..nul]);
        return Err(Error::at(file, line, "file contains a NUL byte"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut cursor = Cursor {
        text,
        pos: 0,
        line: 1,
        line_start: 0,
    };
    let mut entries: Vec<DotenvEntry> = Vec::new();
    let mut values: HashMap<String, Var> = HashMap::default();

    while cursor.pos < text.len() {
        if let Some(entry) = parse_line(&mut cursor, file, &values, lookup, budget)? {
            values.insert(entry.key.clone(), entry.as_var(file));
            entries.push(entry);
        }
    }

    // Keep only the last definition of each key.
    let mut last: HashMap<&str, usize> = HashMap::default();
    for (i, entry) in entries.iter().enumerate() {
        last.insert(entry.key.as_str(), i);
    }
    let keep: Vec<bool> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| last.get(entry.key.as_str()) == Some(&i))
        .collect();
    Ok(entries
        .into_iter()
        .zip(keep)
        .filter_map(|(entry, keep)| keep.then_some(entry))
        .collect())
}

/// Position in the input. `pos`, `line_start` are byte offsets at character boundaries.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    /// 1-based line of `pos`.
    line: u32,
    /// Offset of the first byte of the current line.
    line_start: usize,
}

impl Cursor<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// End of the current line: the offset of its `\n`, or the end of the text.
    fn line_end(&self) -> usize {
        self.bytes()[self.pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.text.len(), |p| self.pos + p)
    }

    /// Moves to the start of the next line (or the end of the text).
    fn next_line(&mut self) {
        let end = self.line_end();
        if end < self.text.len() {
            self.newline_at(end);
        } else {
            self.pos = end;
        }
    }

    /// Steps over the `\n` at `at`.
    fn newline_at(&mut self, at: usize) {
        self.pos = at + 1;
        self.line = self.line.saturating_add(1);
        self.line_start = self.pos;
    }

    /// 1-based column (in characters) of the offset `at` on the current line.
    fn column(&self, at: usize) -> u32 {
        let chars = self.text[self.line_start..at].chars().count();
        u32::try_from(chars).unwrap_or(u32::MAX).saturating_add(1)
    }
}

/// Whitespace that separates tokens on a line (`\r` so that CRLF files work).
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

fn trim_blank(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r'))
}

fn count_lines(s: &str) -> u32 {
    let newlines = s.bytes().filter(|&b| b == b'\n').count();
    u32::try_from(newlines)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// Offset (within `key`) of the first character that makes it an invalid key, if any.
fn invalid_key_char(key: &str) -> Option<usize> {
    let mut bytes = key.bytes().enumerate();
    match bytes.next() {
        None => return Some(0),
        Some((_, b)) if !(b.is_ascii_alphabetic() || b == b'_') => return Some(0),
        Some(_) => {}
    }
    bytes
        .find(|&(_, b)| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .map(|(i, _)| i)
}

const KEY_RULE: &str =
    "names start with a letter or `_` and hold only letters, digits, `_`, `.` and `-`";

/// Parses the line at the cursor (and, for quoted values, the lines they span), leaving the
/// cursor at the start of the next line.
fn parse_line(
    cursor: &mut Cursor<'_>,
    file: &str,
    values: &HashMap<String, Var>,
    lookup: &dyn Fn(&str) -> Option<Var>,
    budget: &ExpansionBudget,
) -> Result<Option<DotenvEntry>> {
    let text = cursor.text;
    let bytes = text.as_bytes();
    let line_end = cursor.line_end();
    let key_line = cursor.line;

    // Leading blanks, comments, blank lines.
    let mut start = cursor.pos;
    while start < line_end && is_blank(bytes[start]) {
        start += 1;
    }
    if start == line_end || bytes[start] == b'#' {
        cursor.next_line();
        return Ok(None);
    }

    // `export ` prefix (but `export=1` or a lone `export` is the key "export").
    if text[start..line_end].starts_with("export")
        && bytes
            .get(start + 6)
            .is_some_and(|&b| b == b' ' || b == b'\t')
    {
        start += 6;
        while start < line_end && is_blank(bytes[start]) {
            start += 1;
        }
    }

    let eq = bytes[start..line_end]
        .iter()
        .position(|&b| b == b'=')
        .map(|p| start + p);
    let key_end = eq.unwrap_or(line_end);
    let key = trim_blank(&text[start..key_end]);
    if let Some(bad) = invalid_key_char(key) {
        let message = if eq.is_some() {
            format!("invalid variable name: {KEY_RULE}")
        } else {
            format!("expected `KEY=VALUE`: {KEY_RULE}")
        };
        let at = if key.is_empty() { start } else { start + bad };
        return Err(Error::at(file, key_line, message).with_column(cursor.column(at)));
    }
    let Some(eq) = eq else {
        // `KEY` alone: Compose takes the value from the shell; nothing to record here.
        cursor.next_line();
        return Ok(None);
    };

    let mut value_start = eq + 1;
    while value_start < line_end && is_blank(bytes[value_start]) {
        value_start += 1;
    }

    let (raw, interpolated) = match bytes.get(value_start).filter(|_| value_start < line_end) {
        Some(&quote @ (b'"' | b'\'')) => {
            let opening_column = cursor.column(value_start);
            cursor.pos = value_start + 1;
            let raw = if quote == b'"' {
                scan_double_quoted(cursor)
            } else {
                scan_single_quoted(cursor)
            };
            let Some(raw) = raw else {
                let kind = if quote == b'"' { "double" } else { "single" };
                return Err(Error::at(
                    file,
                    key_line,
                    format!("unterminated {kind}-quoted value for {key}"),
                )
                .with_column(opening_column));
            };
            // Only blanks and a comment may follow the closing quote.
            let end = cursor.line_end();
            let mut after = cursor.pos;
            while after < end && is_blank(bytes[after]) {
                after += 1;
            }
            if after < end && bytes[after] != b'#' {
                return Err(Error::at(
                    file,
                    cursor.line,
                    format!("unexpected text after the closing quote of the value of {key}"),
                )
                .with_column(cursor.column(after)));
            }
            cursor.next_line();
            (raw, quote == b'"')
        }
        _ => {
            // Unquoted: up to an inline comment (`#` after a blank) or the end of the line.
            let line_text = &bytes[eq + 1..line_end];
            let comment = line_text
                .windows(2)
                .position(|w| matches!(w[0], b' ' | b'\t') && w[1] == b'#')
                .map_or(line_end, |p| eq + 1 + p);
            let raw = trim_blank(&text[eq + 1..comment]).to_owned();
            cursor.next_line();
            (raw, true)
        }
    };

    let (value, substituted, secret) = if interpolated {
        let at = |message: String| {
            Error::at(file, key_line, format!("in the value of {key}: {message}"))
        };
        let lookup_here = |name: &str| values.get(name).cloned().or_else(|| lookup(name));
        // Errors quote the value only when neither its name nor the text looks secret.
        let may_be_secret = is_secret_variable(key, &raw);
        let result = interpolate_vars(&raw, &lookup_here).map_err(|e| {
            at(if may_be_secret {
                e.redacted()
            } else {
                e.message()
            })
        })?;
        // A dotenv file has no deploy-time step: a required variable without a value is an error.
        if let Some((name, message)) = result.required.first() {
            let message = if message.is_empty() || may_be_secret {
                format!("required variable {name} is missing a value")
            } else {
                format!("required variable {name} is missing a value: {message}")
            };
            return Err(at(message));
        }
        if result.substituted {
            budget.charge(result.text.len()).map_err(at)?;
        }
        (result.text, result.substituted, result.secret)
    } else {
        (raw, false, false)
    };

    Ok(Some(DotenvEntry {
        key: key.to_owned(),
        value,
        line: key_line,
        substituted,
        secret,
    }))
}

/// Reads a double-quoted value from just after its opening quote, leaving the cursor just after
/// the closing quote. Escapes are decoded; `\$` becomes `$$` so that interpolation yields a
/// literal `$`. None if the quote is never closed.
fn scan_double_quoted(cursor: &mut Cursor<'_>) -> Option<String> {
    let text = cursor.text;
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = cursor.pos;
    let mut chunk = i;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                out.push_str(&text[chunk..i]);
                cursor.pos = i + 1;
                return Some(out);
            }
            b'\\' => {
                out.push_str(&text[chunk..i]);
                let decoded = match bytes.get(i + 1) {
                    Some(b'n') => "\n",
                    Some(b'r') => "\r",
                    Some(b't') => "\t",
                    Some(b'\\') => "\\",
                    Some(b'"') => "\"",
                    Some(b'$') => "$$",
                    // Unknown escape (or a line break): keep the backslash, and let the next
                    // character be handled normally.
                    _ => {
                        out.push('\\');
                        i += 1;
                        chunk = i;
                        continue;
                    }
                };
                out.push_str(decoded);
                i += 2;
                chunk = i;
            }
            b'\n' => {
                push_line_break(&mut out, &text[chunk..i]);
                cursor.newline_at(i);
                i += 1;
                chunk = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// Reads a single-quoted value from just after its opening quote, leaving the cursor just after
/// the closing quote. Literal, except that `\'` is a quote. None if the quote is never closed.
fn scan_single_quoted(cursor: &mut Cursor<'_>) -> Option<String> {
    let text = cursor.text;
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = cursor.pos;
    let mut chunk = i;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                out.push_str(&text[chunk..i]);
                cursor.pos = i + 1;
                return Some(out);
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\'') => {
                out.push_str(&text[chunk..i]);
                out.push('\'');
                i += 2;
                chunk = i;
            }
            b'\n' => {
                push_line_break(&mut out, &text[chunk..i]);
                cursor.newline_at(i);
                i += 1;
                chunk = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// Appends a line's text and a `\n`, turning a CRLF line ending into LF.
fn push_line_break(out: &mut String, line: &str) {
    out.push_str(line.strip_suffix('\r').unwrap_or(line));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn shell(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn ok(text: &str) -> Vec<DotenvEntry> {
        parse(text, ".env", &shell).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// (key, value, line) triples.
    fn kvl(text: &str) -> Vec<(String, String, u32)> {
        ok(text)
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn triples(expected: &[(&str, &str, u32)]) -> Vec<(String, String, u32)> {
        expected
            .iter()
            .map(|(k, v, l)| ((*k).to_owned(), (*v).to_owned(), *l))
            .collect()
    }

    fn value(text: &str) -> String {
        let entries = ok(text);
        assert_eq!(entries.len(), 1, "{text:?}: {entries:?}");
        entries[0].value.clone()
    }

    fn err(text: &str) -> Error {
        match parse(text, "cfg/.env", &shell) {
            Ok(entries) => panic!("{text:?} should fail, got {entries:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn simple_entries_with_lines() {
        let entries = ok("A=1\nB=two\n");
        assert_eq!(
            entries,
            vec![
                DotenvEntry {
                    key: "A".into(),
                    value: "1".into(),
                    line: 1,
                    substituted: false,
                    secret: false,
                },
                DotenvEntry {
                    key: "B".into(),
                    value: "two".into(),
                    line: 2,
                    substituted: false,
                    secret: false,
                },
            ]
        );
        assert!(ok("").is_empty());
        assert!(ok("\n\n").is_empty());
        assert_eq!(kvl("A=1"), triples(&[("A", "1", 1)]));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# header\n\n   \n  # indented comment\nA=1\n\t\nB=2 # trailing\n#C=3\n";
        assert_eq!(kvl(text), triples(&[("A", "1", 5), ("B", "2", 7)]));
    }

    #[test]
    fn export_prefix_and_whitespace_around_keys() {
        let text = "export A=1\nexport\tB = 2\n  C  =  three  \nexport=4\nexportD=5\n";
        assert_eq!(
            kvl(text),
            triples(&[
                ("A", "1", 1),
                ("B", "2", 2),
                ("C", "three", 3),
                ("export", "4", 4),
                ("exportD", "5", 5),
            ])
        );
    }

    #[test]
    fn keys_may_hold_dots_and_dashes() {
        assert_eq!(
            kvl("a.b-c=1\n_X=2\nx9=3"),
            triples(&[("a.b-c", "1", 1), ("_X", "2", 2), ("x9", "3", 3)])
        );
    }

    #[test]
    fn key_without_equals_is_skipped() {
        assert_eq!(
            kvl("FROM_SHELL\nexport ALSO_SHELL\nA=1\n  SPACED  \n"),
            triples(&[("A", "1", 3)])
        );
    }

    #[test]
    fn empty_values() {
        assert_eq!(
            kvl("A=\nB=   \nC=''\nD=\"\"\nE= # comment"),
            triples(&[
                ("A", "", 1),
                ("B", "", 2),
                ("C", "", 3),
                ("D", "", 4),
                ("E", "", 5)
            ])
        );
    }

    #[test]
    fn unquoted_values_and_inline_comments() {
        assert_eq!(value("A=b#c"), "b#c");
        assert_eq!(value("A=b #c"), "b");
        assert_eq!(value("A=b\t# c"), "b");
        assert_eq!(value("A=#b"), "#b");
        assert_eq!(value("A= #b"), "");
        assert_eq!(value("A=  spaced  out  "), "spaced  out");
        assert_eq!(value("A=b # c # d"), "b");
        assert_eq!(value("A=x=y=z"), "x=y=z");
        assert_eq!(value("A=it's \"fine\""), "it's \"fine\"");
        assert_eq!(value("A=some\\tvalue"), "some\\tvalue");
        assert_eq!(value("A=ünïcödé € 日本"), "ünïcödé € 日本");
    }

    #[test]
    fn single_quoted_values_are_literal() {
        assert_eq!(value("A='$HOME ${HOME} $$'"), "$HOME ${HOME} $$");
        assert_eq!(value("A='some\\tvalue'"), "some\\tvalue");
        assert_eq!(value("A='Let\\'s go!'"), "Let's go!");
        assert_eq!(
            value("A=' padded # not a comment '"),
            " padded # not a comment "
        );
        assert_eq!(value("A='x' # comment"), "x");
        assert_eq!(value("A='x'# comment"), "x");
        assert!(!ok("A='$HOME'")[0].substituted);
    }

    #[test]
    fn double_quoted_values_decode_escapes_and_interpolate() {
        assert_eq!(value(r#"A="a\nb\rc\td\\e\"f""#), "a\nb\rc\td\\e\"f");
        assert_eq!(
            value(r#"A="{\"hello\": \"json\"}""#),
            "{\"hello\": \"json\"}"
        );
        assert_eq!(value(r#"A="cost \$5 \$HOME""#), "cost $5 $HOME");
        assert_eq!(value(r#"A="keep \q \' as is""#), "keep \\q \\' as is");
        assert_eq!(value(r#"A="home=$HOME""#), "home=/home/me");
        assert_eq!(
            value(r#"A=" VAL # not a comment ""#),
            " VAL # not a comment "
        );
        assert_eq!(value(r#"A="VAL" # comment"#), "VAL");
        assert_eq!(value("A=\"ü\\\"€\""), "ü\"€");
        let escaped = &ok(r#"A="\$HOME""#)[0];
        assert!(!escaped.substituted, "an escaped dollar is no substitution");
    }

    #[test]
    fn multiline_double_quoted_values_keep_following_lines_right() {
        let text = "A=1\nKEY=\"first\nsecond\n\nfourth\"\nB=2\n# c\nC=\"x\\ny\"\nD=3";
        assert_eq!(
            kvl(text),
            triples(&[
                ("A", "1", 1),
                ("KEY", "first\nsecond\n\nfourth", 2),
                ("B", "2", 6),
                ("C", "x\ny", 8),
                ("D", "3", 9),
            ])
        );
    }

    #[test]
    fn multiline_single_quoted_values() {
        let text = "CERT='-----BEGIN-----\nabc$def\n-----END-----'\nNEXT=1\n";
        assert_eq!(
            kvl(text),
            triples(&[
                ("CERT", "-----BEGIN-----\nabc$def\n-----END-----", 1),
                ("NEXT", "1", 4),
            ])
        );
    }

    #[test]
    fn crlf_line_endings() {
        let text = "A=1\r\nB=\"x\r\ny\"\r\nC='z' # c\r\n\r\nD=4 # c\r\n";
        assert_eq!(
            kvl(text),
            triples(&[
                ("A", "1", 1),
                ("B", "x\ny", 2),
                ("C", "z", 4),
                ("D", "4", 6)
            ])
        );
    }

    #[test]
    fn leading_byte_order_mark_is_ignored() {
        assert_eq!(kvl("\u{feff}A=1"), triples(&[("A", "1", 1)]));
    }

    #[test]
    fn interpolation_uses_earlier_entries_then_lookup() {
        let text =
            "HOST=db\nPORT=5432\nURL=postgres://$HOST:${PORT}/x\nH=$HOME\nLATER=$AFTER\nAFTER=1\n";
        let entries = ok(text);
        let by_key = |k: &str| entries.iter().find(|e| e.key == k).unwrap().clone();
        assert_eq!(by_key("URL").value, "postgres://db:5432/x");
        assert!(by_key("URL").substituted);
        assert!(!by_key("HOST").substituted);
        assert_eq!(by_key("H").value, "/home/me");
        assert!(by_key("H").substituted);
        // Only earlier entries are visible; AFTER is unknown to the shell too.
        assert_eq!(by_key("LATER").value, "");
        assert!(by_key("LATER").substituted);
    }

    #[test]
    fn file_entries_shadow_the_lookup() {
        assert_eq!(
            kvl("HOME=/srv\nH=$HOME\n"),
            triples(&[("HOME", "/srv", 1), ("H", "/srv", 2)])
        );
    }

    #[test]
    fn interpolation_operators_in_values() {
        let text = "A=${UNSET:-fallback}\nB=\"${EMPTY-kept}\"\nC=${HOME:+yes}\nD=${A:-x}-${B:-y}\nE=$$HOME";
        assert_eq!(
            kvl(text),
            triples(&[
                ("A", "fallback", 1),
                ("B", "", 2),
                ("C", "yes", 3),
                ("D", "fallback-y", 4),
                ("E", "$HOME", 5),
            ])
        );
        assert!(!ok("E=$$HOME")[0].substituted);
    }

    #[test]
    fn a_key_can_extend_its_earlier_value() {
        assert_eq!(
            kvl("P=/bin\nP=${P}:/usr/bin\n"),
            triples(&[("P", "/bin:/usr/bin", 2)])
        );
    }

    #[test]
    fn later_duplicates_override_earlier_ones() {
        let text = "A=1\nB=2\nA=3\nC=4\nB=5\n";
        assert_eq!(
            kvl(text),
            triples(&[("A", "3", 3), ("C", "4", 4), ("B", "5", 5)])
        );
    }

    #[test]
    fn lookup_is_used_when_no_entry_matches() {
        let entries = parse("X=$NOT_ANYWHERE", ".env", &no_env).unwrap();
        assert_eq!(entries[0].value, "");
        assert!(entries[0].substituted);
    }

    fn assert_error(e: &Error, line: u32, column: Option<u32>, message: &str) {
        assert_eq!(e.file.as_deref(), Some("cfg/.env"));
        assert_eq!(e.line, Some(line), "{e}");
        assert_eq!(e.column, column, "{e}");
        assert_eq!(e.message, message);
    }

    #[test]
    fn unterminated_quotes_report_the_opening_line() {
        let e = err("A=1\nSECRET=\"abc\ndef\n");
        assert_error(
            &e,
            2,
            Some(8),
            "unterminated double-quoted value for SECRET",
        );
        assert!(!e.to_string().contains("abc"));
        let e = err("A=1\n\nB='never closed");
        assert_error(&e, 3, Some(3), "unterminated single-quoted value for B");
        let e = err(r#"A="ends with escape\""#);
        assert_error(&e, 1, Some(3), "unterminated double-quoted value for A");
    }

    #[test]
    fn text_after_a_closing_quote_is_an_error() {
        let e = err("A=1\nB=\"x\" y\n");
        assert_error(
            &e,
            2,
            Some(7),
            "unexpected text after the closing quote of the value of B",
        );
        let e = err("B='multi\nline'tail\n");
        assert_error(
            &e,
            2,
            Some(6),
            "unexpected text after the closing quote of the value of B",
        );
    }

    #[test]
    fn invalid_keys() {
        let rule =
            "names start with a letter or `_` and hold only letters, digits, `_`, `.` and `-`";
        let e = err("OK=1\n1BAD=2\n");
        assert_error(&e, 2, Some(1), &format!("invalid variable name: {rule}"));
        let e = err("  MY KEY=2");
        assert_error(&e, 1, Some(5), &format!("invalid variable name: {rule}"));
        let e = err("=value");
        assert_error(&e, 1, Some(1), &format!("invalid variable name: {rule}"));
        let e = err("export  ü=1");
        assert_error(&e, 1, Some(9), &format!("invalid variable name: {rule}"));
        let e = err("\"A\"=1");
        assert_error(&e, 1, Some(1), &format!("invalid variable name: {rule}"));
        let e = err("A=1\nthis is not a pair\n");
        assert_error(&e, 2, Some(5), &format!("expected `KEY=VALUE`: {rule}"));
    }

    #[test]
    fn interpolation_errors_name_the_key_and_line() {
        let e = err("A=1\n\nURL=\"postgres://${DB_PASSWORD:?set it}@db\"\n");
        assert_error(
            &e,
            3,
            None,
            "in the value of URL: required variable DB_PASSWORD is missing a value: set it",
        );
        let e = err("X=${UNCLOSED:-hunter2");
        assert_error(
            &e,
            1,
            None,
            "in the value of X: unterminated variable reference `${UNCLOSED:-...`",
        );
        assert!(!e.to_string().contains("hunter2"));
        let e = err("M=\"a\nb\"\nN=${}\n");
        assert_error(
            &e,
            3,
            None,
            "in the value of N: invalid variable name in `${}`",
        );
    }

    #[test]
    fn single_quotes_are_not_interpolated_so_cannot_fail() {
        assert_eq!(value("A='${'"), "${");
    }

    #[test]
    fn nul_bytes_are_rejected_with_their_line() {
        let e = err("A=1\nB=x\0y\n");
        assert_error(&e, 2, None, "file contains a NUL byte");
    }

    #[test]
    fn never_panics_on_awkward_inputs() {
        let inputs = [
            "=",
            "==",
            "\"",
            "'",
            "A=\"",
            "A='",
            "A=\"\\",
            "A=\\",
            "export",
            "export ",
            "export =",
            "A=\"x\"\"",
            "é=1",
            "A=é",
            "A=\"é",
            "A=#",
            "A= #",
            "\r",
            "\r\n",
            "A=\r",
            "#",
            "A=$",
            "A=${",
            "A=\"${\"",
            "\u{feff}",
            "A=\"\\\n\"",
            "A='\\",
            "ü",
            "A=b\u{a0}#c",
        ];
        for input in inputs {
            let _ = parse(input, ".env", &shell);
        }
        let s = "A=\"ü\\n€\"\nexport B='日\\'本'\nC=${A:-é} # ç\n";
        for (i, _) in s.char_indices() {
            let _ = parse(&s[..i], ".env", &shell);
            let _ = parse(&s[i..], ".env", &shell);
        }
    }

    #[test]
    fn backslash_line_break_in_double_quotes_is_kept() {
        assert_eq!(
            kvl("A=\"x\\\ny\"\nB=1"),
            triples(&[("A", "x\\\ny", 1), ("B", "1", 3)])
        );
    }

    #[test]
    fn large_files_are_linear() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("K{i}=\"v{i}\" # c\n"));
        }
        let entries = ok(&text);
        assert_eq!(entries.len(), 20_000);
        assert_eq!(entries[19_999].line, 20_000);
        assert_eq!(entries[19_999].value, "v19999");
    }
}
