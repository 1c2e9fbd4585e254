//! Control characters from the scanned repository, made visible before they reach a terminal or
//! a CI log.
//!
//! A service name, a key or a value may hold an ESC (colour, cursor moves, an OSC 52 clipboard
//! write), another C0 or C1 control, a bidirectional override, or a newline that starts a line
//! of its own (`::error file=x::...` is a GitHub Actions command when it begins a log line).
//! Every text output and every error or warning message goes through this module:
//!
//! - [`control`] for one piece of repository text (a name, a path, a value, a message): every
//!   control character, newlines included, is written as a visible escape (`\n`, `\x1b`,
//!   `\u{202e}`), so the piece stays on its line.
//! - [`document`] for a whole rendered text (a report, a list): the same, except that its own
//!   line breaks (and, when colouring, its own SGR colour sequences) are kept, and a line that
//!   would begin with `::` is prefixed with `\` so no workflow command can be forged.
//!
//! JSON, SARIF and JUnit escape through their own serializers.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach the output as is: C0 controls, DEL, C1 controls, the Unicode line
/// and paragraph separators, and the bidirectional embedding, override and isolate characters
/// (which reorder how the rest of a line reads).
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061c}'
    )
}

/// The visible form of an unsafe character.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// One piece of repository text with every control character (newlines too) made visible.
pub fn control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole rendered text: line breaks kept, every other control character made visible, SGR
/// colour sequences (`ESC [ digits ; m`) kept when `keep_colour`, and a line beginning (after
/// blanks) with `::` prefixed with `\`.
pub fn document(text: &str, keep_colour: bool) -> Cow<'_, str> {
    let needs_work = text.chars().any(|c| c != '\n' && is_unsafe(c))
        || text.lines().any(|l| l.trim_start().starts_with("::"));
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(&mut out, line, keep_colour);
    }
    Cow::Owned(out)
}

fn escape_line(out: &mut String, line: &str, keep_colour: bool) {
    // GitHub Actions trims leading whitespace before looking for `::`; a visible character
    // before it (after whatever blanks and colour codes) is enough.
    let mut at_start = true;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if keep_colour && c == '\u{1b}' {
            if let Some(len) = sgr_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if at_start && c == ':' && rest.starts_with("::") {
            out.push('\\');
        }
        if !(c == ' ' || c == '\t') {
            at_start = false;
        }
        if is_unsafe(c) {
            push_escaped(out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
}

/// Length of an SGR sequence (`ESC [ 1;31 m`) at the start of `s`, if there is one.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\u{1b}[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OSC52: &str = "web\u{1b}]52;c;aGVsbG8=\u{7}\n::error file=x::pwned";

    #[test]
    fn control_makes_every_control_character_visible() {
        assert_eq!(
            control(OSC52),
            "web\\x1b]52;c;aGVsbG8=\\x07\\n::error file=x::pwned"
        );
        assert_eq!(control("a\tb\r\n"), "a\\tb\\r\\n");
        assert_eq!(control("\u{7f}\u{9b}31m"), "\\x7f\\x9b31m");
        assert_eq!(control("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(control("line\u{2028}sep"), "line\\u{2028}sep");
        assert!(matches!(control("plain ünïcode — text"), Cow::Borrowed(_)));
    }

    #[test]
    fn document_keeps_line_breaks_and_own_colours_only() {
        let text = format!("\u{1b}[1mtitle\u{1b}[0m\n  {OSC52}\n");
        assert_eq!(
            document(&text, true),
            "\u{1b}[1mtitle\u{1b}[0m\n  web\\x1b]52;c;aGVsbG8=\\x07\n\\::error file=x::pwned\n"
        );
        assert_eq!(
            document(&text, false),
            "\\x1b[1mtitle\\x1b[0m\n  web\\x1b]52;c;aGVsbG8=\\x07\n\\::error file=x::pwned\n"
        );
        // A colour code cannot hide a command at the start of a line.
        assert_eq!(
            document("  \u{1b}[31m::warning::x", true),
            "  \u{1b}[31m\\::warning::x"
        );
        // Only a line that begins with `::` is touched.
        assert_eq!(document("a ::b\n", false), "a ::b\n");
        assert!(matches!(document("a\nb\n", true), Cow::Borrowed(_)));
    }

    #[test]
    fn an_unfinished_escape_sequence_is_not_colour() {
        assert_eq!(document("\u{1b}[31", true), "\\x1b[31");
        assert_eq!(document("\u{1b}[2J", true), "\\x1b[2J");
    }
}
