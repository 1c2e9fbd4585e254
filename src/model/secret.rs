//! Secret detection and masking, done once when a source creates a value.
//!
//! A secret is replaced by a `MaskedSecret` holding only a display form (all of it masked, or a
//! connection string with just the password masked) and a fingerprint for equality ("the same
//! secret in staging and production"). The clear text is dropped here, so nothing downstream can
//! leak it: not a report, not a debug print.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// What every masked value shows.
pub const MASK: &str = "********";

/// A setting's value: plain text, or a secret that was masked on creation. The text is shared:
/// the comparison and its rows show the same value without copying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Text(Arc<str>),
    Secret(MaskedSecret),
}

impl SettingValue {
    /// Decide from the setting key and the value whether the value is secret, and mask it if so.
    pub fn classify(key: &str, text: String) -> Self {
        if text.is_empty() {
            return SettingValue::Text(text.into());
        }
        if let Some((masked, passwords)) = mask_url(&text) {
            let mut secret = MaskedSecret::new(&text, masked);
            secret.weakness = passwords.iter().find_map(|p| weakness(p));
            return SettingValue::Secret(secret);
        }
        if (is_secret_key(key) && !is_file_path(&text)) || looks_like_secret_value(&text) {
            return SettingValue::Secret(MaskedSecret::new(&text, MASK.to_string()));
        }
        SettingValue::Text(text.into())
    }

    /// The text that may be shown anywhere, shared rather than copied.
    pub fn shared_display(&self) -> Arc<str> {
        match self {
            SettingValue::Text(t) => Arc::clone(t),
            SettingValue::Secret(s) => Arc::clone(&s.display),
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, SettingValue::Secret(_))
    }

    /// The text that may be shown anywhere.
    pub fn display(&self) -> &str {
        match self {
            SettingValue::Text(t) => t,
            SettingValue::Secret(s) => &s.display,
        }
    }

    /// Whether two values are equal: by text, or by fingerprint for secrets.
    pub fn same_as(&self, other: &SettingValue) -> bool {
        self == other
    }
}

impl Serialize for SettingValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.display())
    }
}

/// A secret reduced to what may be shown and what may be compared.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedSecret {
    display: Arc<str>,
    /// SHA-256 of the clear text, truncated. Never serialised or printed: a hash of a short
    /// password can be brute-forced, so it only ever leaves this type as an equality.
    fingerprint: [u8; 16],
    /// Length of the clear text, in characters (useful to weak-secret rules).
    length: usize,
    /// Why the clear text is weak (a known default, too short, low entropy), decided while it
    /// was still known.
    weakness: Option<&'static str>,
}

impl MaskedSecret {
    pub fn new(clear: &str, display: String) -> Self {
        let digest = Sha256::digest(clear.as_bytes());
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(&digest[..16]);
        MaskedSecret {
            display: display.into(),
            fingerprint,
            length: clear.chars().count(),
            weakness: weakness(clear),
        }
    }

    /// Why the secret is weak, if it is.
    pub fn weakness(&self) -> Option<&'static str> {
        self.weakness
    }

    /// An equality key for grouping secrets in memory (reuse detection). Never print it.
    pub fn fingerprint(&self) -> [u8; 16] {
        self.fingerprint
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn length(&self) -> usize {
        self.length
    }

    /// True when both were made from the same clear text.
    pub fn same_secret(&self, other: &MaskedSecret) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl std::fmt::Debug for MaskedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MaskedSecret({})", self.display)
    }
}

/// `GOOGLE_APPLICATION_CREDENTIALS=/app/credentials/key.json` names where a secret is, not the
/// secret itself.
fn is_file_path(text: &str) -> bool {
    (text.starts_with('/')
        || text.starts_with("./")
        || text.starts_with("../")
        || text.starts_with("~/"))
        && !text.contains(char::is_whitespace)
        && text.len() > 2
}

/// Words that name a secret when a key's word is, or ends with, one of them: `DB_PASSWORD`,
/// `accessToken`, `clientSecret`. Whole-word matching keeps `max_tokens`, `TOKENIZER` and a
/// service's `secrets` list (names, not values) out.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
    "signingkey",
    "encryptionkey",
    "credential",
    "credentials",
    "webhook",
    "dsn",
    "requirepass",
    "masterauth",
    "masterpass",
];

/// Adjacent words that together name a secret: `API_KEY`, `private-key`, `auth.token`.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("master", "key"),
    ("auth", "key"),
];

/// Whether a setting key names a secret. Works on the last dotted segment so `env.DB_PASSWORD`
/// and `auth.password` both count; words split at `_`, `-` and lower-to-upper case changes.
pub fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    // Called for every setting of every service: each word is lowercased into a buffer on the
    // stack, so nothing is allocated. A word longer than the buffer names no secret word (the
    // longest is 13 bytes) and is compared truncated only for the suffix test, on its end.
    const WORD: usize = 64;
    let lower = |w: &str| -> ([u8; WORD], usize) {
        let bytes = w.as_bytes();
        let tail = &bytes[bytes.len().saturating_sub(WORD)..];
        let mut buf = [0u8; WORD];
        for (b, c) in buf.iter_mut().zip(tail) {
            *b = c.to_ascii_lowercase();
        }
        (buf, tail.len())
    };
    if let Some(w) = key_words(last).last() {
        let (buf, n) = lower(w);
        if matches!(&buf[..n], b"file" | b"path" | b"ref" | b"name" | b"names") {
            // `POSTGRES_PASSWORD_FILE=/run/secrets/db` points at a secret; it is not one.
            return false;
        }
    }
    let mut previous: Option<([u8; WORD], usize)> = None;
    for w in key_words(last) {
        let (buf, n) = lower(w);
        let word = &buf[..n];
        // A word that is, or ends with, a secret word: `PASSWORD`, `clientSecret`.
        if SECRET_WORDS.iter().any(|s| word.ends_with(s.as_bytes())) {
            return true;
        }
        if let Some((p, pn)) = &previous {
            let p = &p[..*pn];
            if SECRET_PAIRS
                .iter()
                .any(|(a, b)| p == a.as_bytes() && word == b.as_bytes())
            {
                return true;
            }
        }
        previous = Some((buf, n));
    }
    // The words run together: `PASS_WORD`, `api-key` read as one word.
    let mut whole = [0u8; WORD];
    let mut n = 0;
    for b in key_words(last).flat_map(str::bytes) {
        if n == WORD {
            return false; // longer than any secret word
        }
        whole[n] = b.to_ascii_lowercase();
        n += 1;
    }
    SECRET_WORDS.iter().any(|s| &whole[..n] == s.as_bytes())
}

/// The words of a key: split at `_`, `-`, spaces and lower-to-upper case changes (`accessToken`),
/// empty words dropped.
fn key_words(key: &str) -> impl Iterator<Item = &str> + '_ {
    KeyWords {
        key,
        start: 0,
        chars: key.char_indices(),
        prev_lower: false,
    }
    .filter(|w| !w.is_empty())
}

struct KeyWords<'a> {
    key: &'a str,
    start: usize,
    chars: std::str::CharIndices<'a>,
    prev_lower: bool,
}

impl<'a> Iterator for KeyWords<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        for (i, c) in self.chars.by_ref() {
            if c == '_' || c == '-' || c == ' ' {
                self.prev_lower = false;
                let word = &self.key[self.start..i];
                self.start = i + c.len_utf8();
                return Some(word);
            }
            let split = c.is_uppercase() && self.prev_lower;
            self.prev_lower = c.is_lowercase() || c.is_ascii_digit();
            if split {
                let word = &self.key[self.start..i];
                self.start = i;
                return Some(word);
            }
        }
        if self.start <= self.key.len() {
            let word = &self.key[self.start..];
            self.start = self.key.len() + 1;
            return Some(word);
        }
        None
    }
}

/// Values that are secrets whatever their key: well-known token prefixes and key material.
pub fn looks_like_secret_value(text: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "-----BEGIN",
        "sk-",
        "sk_live_",
        "rk_live_",
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "ASIA",
        "AIza",
    ];
    let t = text.trim();
    PREFIXES
        .iter()
        .any(|p| t.starts_with(p) && t.len() >= p.len() + 12)
}

/// If `text` is a URL carrying credentials (`postgres://user:pass@host/db`,
/// `discord://token@id`), the same URL with the credential masked.
///
/// A URL with a password keeps its user name; a URL with only a user part on a scheme that is
/// not a login (webhook schemes put the token there) is masked whole.
pub fn mask_url_credentials(text: &str) -> Option<String> {
    mask_url(text).map(|(masked, _)| masked)
}

/// Values people leave in configuration that are not secrets at all.
const WEAK_VALUES: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "password",
    "passw0rd",
    "password1",
    "admin",
    "administrator",
    "secret",
    "insecure",
    "example",
    "default",
    "test",
    "testing",
    "root",
    "postgres",
    "guest",
    "letmein",
    "qwerty",
    "123456",
    "12345678",
    "dev",
    "development",
    "staging",
    "production",
    "todo",
    "xxx",
    "none",
    "null",
];

/// Why a clear-text secret is weak: a well-known default, too short, or low entropy.
pub fn weakness(clear: &str) -> Option<&'static str> {
    let lower = clear.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return None;
    }
    if WEAK_VALUES.contains(&lower.as_str())
        || ["changeme", "change-me", "change_me", "insecure", "example"]
            .iter()
            .any(|w| lower.contains(w))
    {
        return Some("a well-known default or placeholder");
    }
    let chars: Vec<char> = clear.chars().collect();
    if chars.len() < 8 {
        return Some("shorter than 8 characters");
    }
    // Shannon entropy of the character distribution, times the length: the bits an attacker
    // would need if the characters were drawn independently. Below 28 bits is guessable.
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_default() += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    (per_char * n < 28.0).then_some("low entropy")
}

/// Mask credentials in URLs; also return the clear secret parts, for weakness checks.
fn mask_url(text: &str) -> Option<(String, Vec<String>)> {
    // Several URLs may be joined in one value (`redis://:a@h1,redis://:b@h2`); mask each.
    if !text.contains("://") || !text.contains('@') {
        return None;
    }
    let mut secrets = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut masked_any = false;
    let mut rest = text;
    while let Some(idx) = rest.find("://") {
        let scheme_start = rest[..idx]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let scheme = &rest[scheme_start..idx];
        let after = &rest[idx + 3..];
        out.push_str(&rest[..idx + 3]);
        let authority_end = after
            .find(['/', '?', '#', ' ', ',', ';'])
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) if !scheme.is_empty() => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, password)) if !password.is_empty() => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(MASK);
                        secrets.push(password.to_string());
                        masked_any = true;
                    }
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push(':');
                    }
                    None if is_login_scheme(scheme) || userinfo.is_empty() => {
                        out.push_str(userinfo);
                    }
                    None => {
                        out.push_str(MASK);
                        secrets.push(userinfo.to_string());
                        masked_any = true;
                    }
                }
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    masked_any.then_some((out, secrets))
}

/// Schemes whose user part is a login name, not a token.
fn is_login_scheme(scheme: &str) -> bool {
    let s = scheme.to_ascii_lowercase();
    let base = s.split('+').next().unwrap_or(&s);
    matches!(
        base,
        "http"
            | "https"
            | "postgres"
            | "postgresql"
            | "mysql"
            | "mariadb"
            | "mongodb"
            | "redis"
            | "rediss"
            | "amqp"
            | "amqps"
            | "ftp"
            | "sftp"
            | "ssh"
            | "smtp"
            | "smtps"
            | "ldap"
            | "ldaps"
            | "git"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised_on_the_last_segment() {
        for key in [
            "env.POSTGRES_PASSWORD",
            "env.DJANGO_SECRET_KEY",
            "env.ANTHROPIC_API_KEY",
            "auth.password",
            "env.GITHUB_TOKEN",
            "env.DB_PWD",
            "env.SENTRY_DSN",
            "env.WATCHTOWER_NOTIFICATION_WEBHOOK",
            "redis.requirepass",
            "redis.masterauth",
            "config.auth.accessToken",
            "values.auth.clientSecret",
            "env.STRIPE_SECRET_KEY",
            "values.auth.apiKey",
            "env.GOOGLE_APPLICATION_CREDENTIALS",
            "env.PASS_WORD",
            "tls.private-key",
            "env.__DB_PASSWORD__",
            "config.dbPassword",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "env.POSTGRES_PASSWORD_FILE",
            "env.POSTGRES_USER",
            "env.LOG_LEVEL",
            "env.SORT_ORDER",
            "secrets",
            "config.ai.max_tokens",
            "env.TOKENIZER",
            "config.tokens_per_minute",
            "env.KEYCLOAK_REALM",
            "secretKeyRef.name",
            "postgres.max_connections",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn key_words_split_at_separators_and_case_changes() {
        let words = |k| key_words(k).collect::<Vec<_>>();
        assert_eq!(words("DB_PASSWORD"), ["DB", "PASSWORD"]);
        assert_eq!(words("accessToken"), ["access", "Token"]);
        assert_eq!(words("__a--b c_"), ["a", "b", "c"]);
        assert_eq!(words("dbPassword2x"), ["db", "Password2x"]);
        assert_eq!(words("ümlautÄnderung"), ["ümlaut", "Änderung"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn secret_values_are_masked_and_compared_by_fingerprint() {
        let a = SettingValue::classify("env.DB_PASSWORD", "hunter2-long".into());
        let b = SettingValue::classify("env.DB_PASSWORD", "hunter2-long".into());
        let c = SettingValue::classify("env.DB_PASSWORD", "other".into());
        assert_eq!(a.display(), MASK);
        assert!(a.is_secret());
        assert!(a.same_as(&b));
        assert!(!a.same_as(&c));
        assert!(!format!("{a:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{MASK}\""));
    }

    #[test]
    fn paths_to_secrets_are_not_secrets() {
        let v = SettingValue::classify(
            "env.GOOGLE_APPLICATION_CREDENTIALS",
            "/app/credentials/key.json".into(),
        );
        assert!(!v.is_secret());
        let v = SettingValue::classify("env.DB_PASSWORD", "/not a path".into());
        assert!(v.is_secret());
    }

    #[test]
    fn plain_values_stay_text() {
        let v = SettingValue::classify("env.LOG_LEVEL", "info".into());
        assert_eq!(v, SettingValue::Text("info".into()));
        let empty = SettingValue::classify("env.DB_PASSWORD", String::new());
        assert!(!empty.is_secret(), "an empty value hides nothing");
    }

    #[test]
    fn connection_strings_keep_host_and_mask_password() {
        assert_eq!(
            mask_url_credentials("postgres://app:s3cr3t@db-staging:5432/app").as_deref(),
            Some("postgres://app:********@db-staging:5432/app")
        );
        assert_eq!(
            mask_url_credentials("redis://:pw@r1:6379/0,redis://:pw2@r2").as_deref(),
            Some("redis://:********@r1:6379/0,redis://:********@r2")
        );
        assert_eq!(
            mask_url_credentials("discord://webhook_token@webhook_id").as_deref(),
            Some("discord://********@webhook_id")
        );
        assert_eq!(
            mask_url_credentials("https://user@example.com/x"),
            None,
            "a login name alone is not a secret"
        );
        assert_eq!(mask_url_credentials("https://example.com/a@b"), None);
        assert_eq!(mask_url_credentials("no url here"), None);
        let v = SettingValue::classify("env.DATABASE_URL", "postgres://u:pw@h/db".into());
        assert_eq!(v.display(), "postgres://u:********@h/db");
    }

    #[test]
    fn weak_secrets_are_recognised_before_the_clear_text_is_dropped() {
        assert_eq!(
            weakness("changeme"),
            Some("a well-known default or placeholder")
        );
        assert_eq!(
            weakness("my-example-pw-123"),
            Some("a well-known default or placeholder")
        );
        assert_eq!(weakness("Xk2"), Some("shorter than 8 characters"));
        assert_eq!(weakness("aaaaaaaaaaaa"), Some("low entropy"));
        assert_eq!(weakness("Zq8#mT2v!Lp9wR4s"), None);
        let url = SettingValue::classify("env.DATABASE_URL", "postgres://app:admin@db/app".into());
        match url {
            SettingValue::Secret(s) => {
                assert_eq!(s.weakness(), Some("a well-known default or placeholder"))
            }
            SettingValue::Text(_) => panic!("a URL with a password is secret"),
        }
        match SettingValue::classify("env.API_KEY", "Zq8#mT2v!Lp9wR4s".into()) {
            SettingValue::Secret(s) => assert_eq!(s.weakness(), None),
            SettingValue::Text(_) => panic!("an API key is secret"),
        }
    }

    #[test]
    fn token_shaped_values_are_secret_whatever_the_key() {
        assert!(looks_like_secret_value("ghp_0123456789abcdefghij"));
        assert!(looks_like_secret_value("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_like_secret_value("sk-"));
        assert!(!looks_like_secret_value("skater"));
    }

    /// Found by `fuzz/run.sh` (target `command`): a URL whose user part already reads like the
    /// mask. Masking it shows the same text, which exposes nothing.
    #[test]
    fn a_value_already_masked_stays_masked() {
        let input = "${Aostgres://********@ch-w%\n ch-r':-${B:?e:-$B:?insecure+x}";
        let v = SettingValue::classify("env.DATABASE_URL", input.to_string());
        assert!(v.is_secret());
        assert_eq!(v.display(), input);
        let real =
            SettingValue::classify("env.DATABASE_URL", "discord://s3cr3t-t0ken@hooks".into());
        assert_eq!(real.display(), "discord://********@hooks");
    }

    #[test]
    fn multibyte_text_never_panics() {
        assert_eq!(
            mask_url_credentials("é://ü:ö@ä/ß"),
            None,
            "not a URL scheme"
        );
        assert_eq!(mask_url_credentials("aé://ü:ö@ä/ß"), None);
        assert_eq!(
            mask_url_credentials("x://ü:ö@ä/ß"),
            Some("x://ü:********@ä/ß".into())
        );
        assert_eq!(mask_url_credentials("://@"), None);
    }
}
