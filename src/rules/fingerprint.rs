//! A finding's content fingerprint: what it is about, not where it was written.
//!
//! The baseline (`envparity baseline`), SARIF `partialFingerprints` and the PR delta all need to
//! recognise "the same finding" across commits. Line numbers move whenever a file above is
//! edited, so they are left out: the fingerprint hashes the rule, the environment, the service,
//! the setting, the setting's value as it may be shown (masked for secrets: a secret's clear
//! text, or a hash of it, never leaves the model) and the message with every `file:line` of the
//! finding's own places removed. It changes when the value changes.
//!
//! v2 added the value: v1 missed a change the message does not state (`DEBUG` from `true` to
//! `1` is "`DEBUG` is on" both times).

use sha2::{Digest, Sha256};

use super::Finding;

/// Versioned so that a change of recipe can be told from a change of content.
pub const VERSION: &str = "v2";

/// 32 hex digits (128 bits of SHA-256): short to read, far from colliding within a repository.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [
        f.rule,
        f.environment.as_deref().unwrap_or(""),
        f.service.as_deref().unwrap_or(""),
        f.setting.as_deref().unwrap_or(""),
        f.value.as_deref().unwrap_or(""),
        &message_without_places(f),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The message with `FILE:LINE` removed for each file the finding points at (its own and its
/// related places), so `see compose.yml:12` hashes as `see compose.yml`.
fn message_without_places(f: &Finding) -> String {
    let mut message = f.message.clone();
    let files = f.file.iter().chain(f.related.iter().map(|r| &r.file));
    for file in files {
        message = strip_line_numbers_after(&message, file);
    }
    message
}

fn strip_line_numbers_after(text: &str, file: &str) -> String {
    if file.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(file) {
        let end = at + file.len();
        out.push_str(&rest[..end]);
        rest = &rest[end..];
        if let Some(after_colon) = rest.strip_prefix(':') {
            let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                rest = &after_colon[digits..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::rules;

    fn finding(line: u32, message: &str) -> Finding {
        Finding::new(rules::find("EP006").unwrap(), message)
            .env("production")
            .service("web")
            .setting("image")
            .at(&Origin::new("compose.prod.yml", line))
    }

    #[test]
    fn stable_when_lines_move() {
        let a = finding(12, "`web` uses `app:latest`; see compose.prod.yml:12");
        let b = finding(40, "`web` uses `app:latest`; see compose.prod.yml:40");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 32);
    }

    #[test]
    fn changes_when_the_value_or_the_subject_changes() {
        let a = finding(12, "`web` uses `app:latest`");
        let other_value = finding(12, "`web` uses `app:main`");
        assert_ne!(fingerprint(&a), fingerprint(&other_value));
        let other_env = finding(12, "`web` uses `app:latest`").env("staging");
        assert_ne!(fingerprint(&a), fingerprint(&other_env));
    }

    #[test]
    fn changes_when_the_value_changes_though_the_message_does_not() {
        let on =
            |text: &str, line: u32| {
                let setting = crate::model::Setting::new(
                    "env.DEBUG",
                    text,
                    Origin::new("compose.prod.yml", line),
                );
                Finding::new(rules::find("EP005").unwrap(), "`DEBUG` is on in production")
                    .on_setting("production", Some("web"), "env.DEBUG", &setting)
            };
        assert_eq!(fingerprint(&on("true", 3)), fingerprint(&on("true", 30)));
        assert_ne!(fingerprint(&on("true", 3)), fingerprint(&on("1", 3)));
    }

    #[test]
    fn host_ports_in_messages_are_kept() {
        // `redis:6379` is a value, not a place: only the finding's own files lose their lines.
        assert_eq!(
            strip_line_numbers_after("redis:6379 in a.yml:3 and a.yml:", "a.yml"),
            "redis:6379 in a.yml and a.yml:"
        );
    }
}
