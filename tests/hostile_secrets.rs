//! Hostile input, round 2: what a repository can make envparity print, leak or spend.
//!
//! - output injection: control characters and newlines from the repository never reach the
//!   terminal or a CI log raw (no OSC 52 clipboard write, no forged `::error` line);
//! - secrets: the CI runner's environment is never read unless asked for, a value from a secret
//!   source stays masked wherever it is interpolated, and errors never quote it;
//! - interpolation that doubles a value line after line stops at a documented cap;
//! - inputs ten times larger take about ten times longer, not a hundred.

use std::process::Output;

mod common;
use common::{envparity_in, repo};

/// A value that writes to the clipboard (OSC 52) and then forges a GitHub Actions error line.
const INJECTION: &str = "\u{1b}]52;c;cHduZWQ=\u{7}\n::error file=x::pwned";

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    envparity_in(dir).args(args).output().unwrap()
}

/// The text without SGR colour sequences (`ESC [ 1;31 m`), the only ones envparity writes.
fn without_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let params = body.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        match params {
            Some(p) if body[p..].starts_with('m') => rest = &body[p + 1..],
            _ => {
                out.push('\u{1b}');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// No ESC, BEL or other control byte but line breaks (and colours), and no line a GitHub
/// runner would read as a workflow command.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = without_colours(&String::from_utf8_lossy(bytes));
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)),
            "{what}: raw control character {:?} in:\n{text}",
            c
        );
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a line reads as a workflow command: {line}"
        );
    }
}

#[test]
fn control_characters_from_the_repository_are_escaped_in_every_text_output() {
    let name = format!("web{INJECTION}");
    let compose = format!(
        "services:\n  {name:?}:\n    image: nginx:1.25\n    environment:\n      NOTE: {INJECTION:?}\n      {INJECTION:?}: x\n"
    )
    .replace("\\u{1b}", "\\e")
    .replace("\\u{7}", "\\a");
    let production = compose.replace("x\n", "y\n");
    let dir = repo(&[
        ("docker-compose.staging.yml", &compose),
        ("docker-compose.production.yml", &production),
    ]);
    let invocations: &[&[&str]] = &[
        &["compare", "."],
        &["compare", ".", "--color", "always"],
        &["report", ".", "--format", "md"],
        &["report", ".", "--format", "text"],
        &["check", ".", "--format", "text"],
        &["check", ".", "--format", "md"],
        &["discover", "."],
    ];
    for args in invocations {
        let out = run(dir.path(), args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {out:?}"
        );
        assert_clean(&format!("{args:?} stdout"), &out.stdout);
        assert_clean(&format!("{args:?} stderr"), &out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(
            args[0] == "discover" || stdout.contains("web\\x1b]52;c;chduzwq=\\x07"),
            "{args:?}: the name is shown escaped:\n{stdout}"
        );
    }
    // The colours envparity writes itself are kept.
    let out = run(dir.path(), &["compare", ".", "--color", "always"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}[1m"));
}

#[test]
fn control_characters_in_error_messages_are_escaped() {
    // A broken file whose name and content hold control characters: the error names it escaped.
    let dir = repo(&[(
        "docker-compose.staging.yml",
        "services:\n  \"w\\e]52;c;x\\a\\n::error::x\":\n    image: [unclosed\n",
    )]);
    let out = run(
        dir.path(),
        &[
            "compare",
            ".",
            "--env",
            "staging=docker-compose.staging.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_clean("stderr", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: docker-compose.staging.yml:"));
}
