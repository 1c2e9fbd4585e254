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
    /// Boxed: few values are secrets, and every setting would otherwise be as large as one.
    Secret(Box<MaskedSecret>),
}

impl SettingValue {
    /// Decide from the setting key and the value whether the value is secret, and mask it if so.
    pub fn classify(key: &str, text: String) -> Self {
        if text.is_empty() {
            return SettingValue::Text(text.into());
        }
        if let Some((masked, passwords)) = mask_url(&text).or_else(|| mask_inline_passwords(&text))
        {
            let mut secret = MaskedSecret::new(&text, masked);
            secret.weakness = passwords.iter().find_map(|p| weakness(p));
            return SettingValue::Secret(Box::new(secret));
        }
        if is_reference_value(&text) || names_a_secret(key, &text) {
            return SettingValue::Text(text.into());
        }
        let secret_by_key =
            is_secret_key(key) && !is_file_path(&text) && !is_flag_or_count(key, &text);
        if secret_by_key || looks_like_secret_value(&text) {
            return SettingValue::Secret(Box::new(MaskedSecret::new(&text, MASK.to_string())));
        }
        SettingValue::Text(text.into())
    }

    /// A secret key whose written value is `${NAME:default}` (Spring): the default is what runs
    /// when the variable is unset, so it is judged as a secret, marked as a fallback (a weak
    /// default is EP003's; the same fallback in two environments is not a reused secret).
    pub fn classify_fallback(key: &str, written: &str, default: &str) -> Self {
        match SettingValue::classify(key, default.to_string()) {
            SettingValue::Secret(mut s) => {
                s.fallback = true;
                SettingValue::Secret(s)
            }
            SettingValue::Text(_) => SettingValue::Text(written.into()),
        }
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
    /// The clear text is a placeholder (`REPLACE_ME`, `<password>`): nothing secret is written.
    placeholder: bool,
    /// The clear text is placeholder syntax (`${REDIS_PASSWORD}`) in a file that does not expand
    /// it, so that text itself is the secret.
    unexpanded: bool,
    /// The clear text is the default of a `${NAME:default}` placeholder.
    fallback: bool,
    /// The clear text is an input's declared default (a Terraform `variable` block's
    /// `default`), read by every environment that does not set the input: not an environment's
    /// own value. A placeholder there stands for a required input.
    input_default: bool,
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
            placeholder: is_placeholder(clear),
            unexpanded: is_placeholder_syntax(clear),
            fallback: false,
            input_default: false,
        }
    }

    /// A secret read from a file whose reader expands no variables (a `redis.conf`, a
    /// `sentinel.conf`): placeholder syntax anywhere in it (`sentinel auth-pass mymaster
    /// ${REDIS_PASSWORD}`) is taken literally, so that text is the secret.
    pub fn in_unexpanding_file(clear: &str, display: String) -> Self {
        let mut secret = MaskedSecret::new(clear, display);
        secret.unexpanded = clear.split_whitespace().any(is_placeholder_syntax);
        secret
    }

    /// Mark the clear text as the default of a placeholder whose variable is unset
    /// (`${DB_PASSWORD:-admin}`).
    pub fn mark_fallback(&mut self) {
        self.fallback = true;
    }

    /// Mark the clear text as an input's declared default (see `is_input_default`): it applies
    /// when the input is not given, so it is a fallback too.
    pub fn mark_input_default(&mut self) {
        self.input_default = true;
        self.fallback = true;
    }

    /// Whether the clear text is an input's declared default (a Terraform variable's
    /// `default`) rather than a value an environment sets.
    pub fn is_input_default(&self) -> bool {
        self.input_default
    }

    /// Whether the clear text is a placeholder standing in for a secret, not a secret.
    pub fn is_placeholder(&self) -> bool {
        self.placeholder
    }

    /// Whether the clear text is unexpanded placeholder syntax, itself used as the secret.
    pub fn is_unexpanded(&self) -> bool {
        self.unexpanded
    }

    /// Whether the clear text is the fallback default of a placeholder.
    pub fn is_fallback(&self) -> bool {
        self.fallback
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

/// Values that stand for a secret kept elsewhere, whatever the key: a placeholder the
/// application or a tool expands (`${DB_PASSWORD}`, `${DB_PASSWORD:}`, `{{ .Values.pw }}`,
/// `$(VAR)`, `#{VAR}`, `%(var)s`), an encrypted value (SOPS `ENC[...]`), or a secret manager
/// or Terragrunt reference (`vault:`, `ref+`, `sm://`, `arn:aws:secretsmanager:`,
/// `dependency.db.outputs.password`).
pub fn is_reference_value(text: &str) -> bool {
    let t = text.trim();
    const PREFIXES: &[&str] = &[
        "ENC[",
        "vault:",
        "ref+",
        "sm://",
        "arn:aws:secretsmanager:",
        "arn:aws:ssm:",
        "secretKeyRef:",
    ];
    if PREFIXES.iter().any(|p| t.starts_with(p)) || is_terragrunt_output(t) {
        return true;
    }
    (t.contains("{{") && t.contains("}}")) || is_unset_placeholder(t)
}

/// `dependency.rds.outputs.password`: another module's output, resolved per environment.
fn is_terragrunt_output(t: &str) -> bool {
    t.starts_with("dependency.") && t.contains(".outputs.") && !t.contains(char::is_whitespace)
}

/// A whole value that is placeholder syntax with no default: `${NAME}`, `${NAME:}`, `$(NAME)`,
/// `#{NAME}`, `%(name)s`.
fn is_unset_placeholder(t: &str) -> bool {
    match placeholder_parts(t) {
        Some((_, default)) => default.is_none_or(str::is_empty),
        None => false,
    }
}

/// Whether a whole value is placeholder syntax, with or without a default.
pub fn is_placeholder_syntax(text: &str) -> bool {
    placeholder_parts(text.trim()).is_some()
}

/// The default of `${NAME:default}` (Spring) when it is not empty.
pub fn placeholder_default(text: &str) -> Option<&str> {
    let t = text.trim();
    t.starts_with("${")
        .then(|| placeholder_parts(t))
        .flatten()
        .and_then(|(_, default)| default)
        .filter(|d| !d.is_empty())
}

/// A whole-value placeholder split into its variable name and default (`${NAME:default}`).
fn placeholder_parts(t: &str) -> Option<(&str, Option<&str>)> {
    let inner = [("${", "}"), ("$(", ")"), ("#{", "}"), ("%(", ")s")]
        .iter()
        .find_map(|(open, close)| t.strip_prefix(open)?.strip_suffix(close))?;
    let (name, default) = match inner.split_once(':') {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    is_name.then_some((name, default))
}

/// Whether a value names a Secret, or a key inside one, rather than holding a secret: every
/// value under `namespace_secrets` (env var -> key name), `secretKeys`, `secretKeyRef`,
/// `encryptedData` (sealed) or an ExternalSecret; `existingSecretPasswordKey: password`;
/// `auth-tls-secret: ns/name` annotations.
fn names_a_secret(key: &str, text: &str) -> bool {
    const REFERENCE_SEGMENTS: &[&str] = &[
        "namespace_secrets",
        "secretkeys",
        "secretkeyref",
        "secretref",
        "encrypteddata",
        "remoteref",
        "externalsecret",
        "sealedsecret",
    ];
    thread_local! {
        static KEYS: crate::memo::Memo<bool> = Default::default();
    }
    // Called for every setting: what the key alone says is remembered.
    let by_key = crate::memo::remember(&KEYS, key, |key| {
        let is_reference = |s: &str| {
            REFERENCE_SEGMENTS.iter().any(|r| s.eq_ignore_ascii_case(r))
                || s.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("existing"))
        };
        key.split('.').any(is_reference)
            || names_a_secret_key(key.rsplit('.').next().unwrap_or(key))
    });
    let last = key.rsplit('.').next().unwrap_or(key);
    by_key || (last.contains('/') && is_object_name(text))
}

/// `userPasswordKey`, `ADMIN_PASSWORD_KEY`: the name of the key that holds a password. (A
/// `secretKey` or `apiKey` is itself a secret.)
fn names_a_secret_key(last: &str) -> bool {
    let (mut before, mut word) = (None, None);
    for w in key_words(last) {
        (before, word) = (word, Some(w));
    }
    let is = |w: Option<&str>, options: &[&str]| {
        w.is_some_and(|w| options.iter().any(|o| w.eq_ignore_ascii_case(o)))
    };
    is(word, &["key", "keys"]) && is(before, &["password", "passwd", "pwd", "token"])
}

/// A Kubernetes object name, optionally with its namespace: `ingress-ca`, `apps/client-ca`.
fn is_object_name(text: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
    };
    match text.split_once('/') {
        Some((ns, name)) => part(ns) && part(name),
        None => part(text),
    }
}

/// A boolean or a plain number is a switch or a count, not a secret (`usePassword: false`,
/// `DISABLE_WEBHOOK: "true"`), unless the key is itself a password: `PIN: 1234` still is.
fn is_flag_or_count(key: &str, text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    if matches!(t.as_str(), "true" | "false" | "yes" | "no" | "on" | "off") {
        return true;
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    let last_word = key_words(last).last().unwrap_or("").to_ascii_lowercase();
    let names_secret = SECRET_WORDS.iter().any(|w| last_word.ends_with(w));
    t.parse::<f64>().is_ok() && !names_secret
}

/// Whether a clear text is a placeholder left where a secret goes: `REPLACE_ME`,
/// `CHANGE_ME_IN_PRODUCTION`, `changeme`, `TODO`, `xxx`, `<password>`, `prodonly`, `test`,
/// `your appPrivateKey`, a dummy identifier (`E1234567890ABC`), placeholder syntax, or any of
/// these in base64 (`c3RhZ2luZ29ubHkK`, "stagingonly").
pub fn is_placeholder(clear: &str) -> bool {
    is_placeholder_text(clear) || base64_of_placeholder(clear)
}

/// A base64 text (at least 8 characters) that decodes to a placeholder.
fn base64_of_placeholder(clear: &str) -> bool {
    let t = clear.trim();
    t.len() >= 8
        && crate::sources::kubernetes::base64::decode(t)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .is_some_and(|decoded| !decoded.trim().is_empty() && is_placeholder_text(&decoded))
}

fn is_placeholder_text(clear: &str) -> bool {
    let t = clear.trim();
    if t.len() > 2 && t.starts_with('<') && t.ends_with('>') {
        return true;
    }
    let squashed: String = t
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    const STARTS: &[&str] = &[
        "replaceme",
        "replacedby",
        "changeme",
        "changeit",
        "replacewith",
        "fillme",
        "fillin",
        "placeholder",
        "yourpassword",
        "yoursecret",
        "yourtoken",
        "yourapikey",
        "insertyour",
    ];
    const EXACT: &[&str] = &["changeit", "todo", "tbd", "fixme", "test", "dummy"];
    let all_x = squashed.len() >= 3 && squashed.chars().all(|c| c == 'x');
    let env_only = squashed
        .strip_suffix("only")
        .is_some_and(crate::discover::is_env_word);
    // `your appId`, `YOUR_API_KEY`, `your-token-here`: an instruction to put one's own value.
    let mut words = key_words(t);
    let yours =
        words.next().is_some_and(|w| w.eq_ignore_ascii_case("your")) && words.next().is_some();
    all_x
        || env_only
        || is_redaction_marker(t)
        || yours
        || STARTS.iter().any(|p| squashed.starts_with(p))
        || EXACT.contains(&squashed.as_str())
        || is_dummy_identifier(t)
        || is_placeholder_syntax(t)
}

/// What a history scrub or a redaction leaves in place of a value: `***REMOVED***` (BFG
/// Repo-Cleaner), `REDACTED`, `[scrubbed]`. The real value lives elsewhere; nothing weak is
/// written either.
pub fn is_redaction_marker(clear: &str) -> bool {
    let squashed: String = clear
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(squashed.as_str(), "removed" | "redacted" | "scrubbed")
}

/// An identifier made up around a counting run (`E1234567890ABC`, `id-123456789`): at least
/// eight digits counting up, most of the value, with a letter (an all-digit value is a PIN or a
/// weak password, not a made-up identifier).
fn is_dummy_identifier(t: &str) -> bool {
    let bytes = t.as_bytes();
    if !bytes.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<u8> = None;
    for &b in bytes {
        let counts = previous.is_some_and(|p| {
            p.is_ascii_digit() && b.is_ascii_digit() && (p + 1 == b || (p == b'9' && b == b'0'))
        });
        run = if counts {
            run + 1
        } else if b.is_ascii_digit() {
            1
        } else {
            0
        };
        longest = longest.max(run);
        previous = Some(b);
    }
    longest >= 8 && longest * 2 >= bytes.len()
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

/// Last words of a key that name a property of a secret, not the secret.
const PROPERTY_WORDS: &[&[u8]] = &[
    b"length",
    b"len",
    b"min",
    b"max",
    b"expiry",
    b"expires",
    b"expiration",
    b"ttl",
    b"lifetime",
    b"days",
    b"hours",
    b"minutes",
    b"seconds",
    b"secs",
    b"ms",
    b"enabled",
    b"disabled",
    b"required",
    b"header",
    b"head",
    b"prefix",
    b"type",
    b"algorithm",
    b"mode",
    b"policy",
    b"version",
    b"count",
    b"size",
];

/// First words of a key that make it a switch: `usePassword`, `DISABLE_TOKEN_AUTH`.
const FLAG_WORDS: &[&[u8]] = &[
    b"use", b"enable", b"disable", b"is", b"has", b"allow", b"require", b"skip",
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
    thread_local! {
        static KNOWN: crate::memo::Memo<bool> = Default::default();
    }
    // Called for every setting of every service, which repeat a few hundred names.
    let last = key.rsplit('.').next().unwrap_or(key);
    crate::memo::remember(&KNOWN, last, names_a_secret_word)
}

/// [`is_secret_key`] on the key's last part.
fn names_a_secret_word(last: &str) -> bool {
    // The key is lowercased once into a buffer on the stack (ASCII only, so byte offsets stay
    // those of `last`) and split into words once.
    let mut stack = [0u8; 128];
    let heap: Vec<u8>;
    let lower: &[u8] = if last.len() <= stack.len() {
        let buf = &mut stack[..last.len()];
        buf.copy_from_slice(last.as_bytes());
        buf.make_ascii_lowercase();
        buf
    } else {
        heap = last.to_ascii_lowercase().into_bytes();
        &heap
    };
    const FEW: usize = 24;
    let mut few: [&[u8]; FEW] = [&[]; FEW];
    let mut many: Vec<&[u8]> = Vec::new();
    let mut n = 0;
    let base = last.as_ptr() as usize;
    for w in key_words(last) {
        let start = w.as_ptr() as usize - base;
        let word = &lower[start..start + w.len()];
        if n < FEW {
            few[n] = word;
        } else {
            if many.is_empty() {
                many.extend_from_slice(&few);
            }
            many.push(word);
        }
        n += 1;
    }
    words_name_a_secret(if many.is_empty() { &few[..n] } else { &many })
}

/// [`is_secret_key`] on the key's last part, split into lowercase words.
fn words_name_a_secret(words: &[&[u8]]) -> bool {
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    // `POSTGRES_PASSWORD_FILE=/run/secrets/db` points at a secret; it is not one. And
    // `PASSWORD_MIN_LENGTH`, `TOKEN_TTL`, `tokenHeader` describe a secret.
    if matches!(*last, b"file" | b"path" | b"ref" | b"name" | b"names")
        || PROPERTY_WORDS.contains(last)
    {
        return false;
    }
    // `usePassword`, `DISABLE_WEBHOOK_X`, `allow-credentials`: switches about a secret.
    if FLAG_WORDS.contains(first) {
        return false;
    }
    // `webhookTimeoutSeconds`, `token-validity-in-seconds-for-remember-me`
    if words.iter().any(|w| matches!(*w, b"timeout" | b"validity")) {
        return false;
    }
    // `DB_PASS`, `db.pass`, `PGPASS`: `pass` names a password as the last word only
    // (`PASS_THROUGH`, `bypass` do not).
    if matches!(*last, b"pass" | b"pgpass" | b"dbpass" | b"passwords") {
        return true;
    }
    let mut previous: Option<&[u8]> = None;
    for w in words {
        // `PASSWORD1`, `secret2`: a number after the word still names it.
        let digits = w.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        let word = &w[..w.len() - digits];
        // A word that is, or ends with, a secret word: `PASSWORD`, `clientSecret`.
        if SECRET_WORDS.iter().any(|s| word.ends_with(s.as_bytes())) {
            return true;
        }
        if let Some(p) = previous {
            if SECRET_PAIRS
                .iter()
                .any(|(a, b)| p == a.as_bytes() && word == b.as_bytes())
            {
                return true;
            }
        }
        previous = Some(w);
    }
    // The words run together: `PASS_WORD`, `api-key` read as one word.
    const LONGEST: usize = 64;
    let total: usize = words.iter().map(|w| w.len()).sum();
    if total > LONGEST {
        return false; // longer than any secret word
    }
    let mut whole = [0u8; LONGEST];
    let mut at = 0;
    for w in words {
        whole[at..at + w.len()].copy_from_slice(w);
        at += w.len();
    }
    SECRET_WORDS.iter().any(|s| &whole[..at] == s.as_bytes())
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

/// Whether the service a credential authenticates to is reached on this machine: the
/// credential's own URL names a loopback host (`postgres://app:pw@localhost/app`), or the
/// nearest host-like setting beside it does (`spring.datasource.url` beside
/// `spring.datasource.password`, `minio.endpoint` beside `minio.secretKey`, `REDIS_HOST`
/// beside `REDIS_PASSWORD`), looking from the key's own level up. `scope` is the settings of
/// the service (or environment) the key belongs to. In a developer's environment such a
/// credential is a laptop's, not a secret of anything deployed.
pub fn reached_on_loopback(
    key: &str,
    display: &str,
    scope: &std::collections::BTreeMap<String, super::Setting>,
) -> bool {
    if names_loopback(display) {
        return true;
    }
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let leaf_first = key_words(leaf).next().map(str::to_ascii_lowercase);
    let mut level = key;
    while let Some((parent, _)) = level.rsplit_once('.') {
        level = parent;
        let prefix = format!("{parent}.");
        // Host-like settings directly at this level: (shares the credential's first word,
        // names loopback).
        let hosts: Vec<(bool, bool)> = scope
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, setting)| {
                let name = &k[prefix.len()..];
                // A host is a name or a URL: an empty value or a path (`virtual-host: /app`, a
                // RabbitMQ vhost) says nothing about where the service is.
                let shown = setting.display().trim();
                if name.contains('.')
                    || !is_host_key(name)
                    || shown.is_empty()
                    || shown.starts_with('/')
                {
                    return None;
                }
                let first = key_words(name).next().map(str::to_ascii_lowercase);
                Some((first == leaf_first, names_loopback(setting.display())))
            })
            .collect();
        if hosts.is_empty() {
            continue;
        }
        // `DB_HOST` decides for `DB_PASSWORD` when both share the word; otherwise every host
        // of the level must be loopback.
        // At the top level (`env.*`, a flat list of variables) only a host named like the
        // credential relates to it.
        let related: Vec<bool> = hosts.iter().filter(|h| h.0).map(|h| h.1).collect();
        let top = !parent.contains('.');
        return if related.is_empty() {
            !top && hosts.iter().all(|h| h.1)
        } else {
            related.iter().all(|&l| l)
        };
    }
    false
}

/// A key that says where a service is: `host`, `url`, `endpoint`, `DB_HOST`, `brokerUrl`
/// (not `virtual-host`, a RabbitMQ namespace).
fn is_host_key(name: &str) -> bool {
    if key_words(name).any(|w| w.eq_ignore_ascii_case("virtual")) {
        return false;
    }
    key_words(name).last().is_some_and(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "host"
                | "hostname"
                | "hosts"
                | "url"
                | "uri"
                | "endpoint"
                | "address"
                | "addr"
                | "server"
                | "servers"
        )
    })
}

/// Whether a value names a loopback host: `localhost`, `127.0.0.1`, `[::1]`,
/// `host.docker.internal` (the machine running the containers), alone or in a URL.
pub fn names_loopback(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("[::1]") || lower.trim() == "::1" {
        return true;
    }
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .any(|host| {
            host == "localhost"
                || host.ends_with(".localhost")
                || host == "host.docker.internal"
                || (host.starts_with("127.")
                    && host.split('.').count() == 4
                    && host
                        .split('.')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
        })
}

/// Whether a variable is a secret source for interpolation: its name names a secret
/// (`DB_PASSWORD`), or its value is one whatever the name (a token, a URL with a password).
/// Whatever takes it in stays masked.
pub fn is_secret_variable(name: &str, value: &str) -> bool {
    SettingValue::classify(name, value.to_string()).is_secret()
}

/// Whether a file, by its name, holds secrets: `secrets.env`, `db-credentials.env`,
/// `.env.secret`, `passwords.env`. Every variable it defines is a secret source.
pub fn is_secret_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["secret", "credential", "password", "passwd", "token"]
        .iter()
        .any(|w| name.contains(w))
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
        "https://hooks.slack.com/services/",
        "https://discord.com/api/webhooks/",
        "https://discordapp.com/api/webhooks/",
        "Bearer ",
        "bearer ",
        "Basic ",
    ];
    let t = text.trim();
    PREFIXES
        .iter()
        .any(|p| t.starts_with(p) && t.len() >= p.len() + 12)
}

/// Names of a password in `key=value` connection settings: libpq conninfo
/// (`host=db password=x`), JDBC (`;password=x`, `?password=x&`), ODBC (`Pwd=x`).
const INLINE_PASSWORD_KEYS: &[&str] = &["password", "passwd", "pwd", "sslpassword"];

/// The text with every inline `password=VALUE` masked, and the clear values; None when there is
/// none.
fn mask_inline_passwords(text: &str) -> Option<(String, Vec<String>)> {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut secrets = Vec::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find('=') {
        let eq = search + found;
        search = eq + 1;
        let key_start = lower[..eq]
            .rfind([' ', '\t', ';', '&', '?', ',', '"', '\''])
            .map_or(0, |i| i + 1);
        if !INLINE_PASSWORD_KEYS.contains(&lower[key_start..eq].trim()) {
            continue;
        }
        let value_end = text[eq + 1..]
            .find([' ', '\t', ';', '&', '"', '\'', '\n'])
            .map_or(text.len(), |i| eq + 1 + i);
        if value_end == eq + 1 {
            continue;
        }
        out.push_str(&text[copied..eq + 1]);
        out.push_str(MASK);
        secrets.push(text[eq + 1..value_end].to_string());
        copied = value_end;
        search = value_end;
    }
    if secrets.is_empty() {
        return None;
    }
    out.push_str(&text[copied..]);
    Some((out, secrets))
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
    if lower.is_empty() || is_redaction_marker(clear) {
        return None;
    }
    if is_placeholder(clear) {
        return Some("a placeholder left where a secret goes");
    }
    if WEAK_VALUES.contains(&lower.as_str())
        || ["changeme", "change-me", "change_me", "insecure", "example"]
            .iter()
            .any(|w| lower.contains(w))
    {
        return Some("a well-known default or placeholder");
    }
    let mut chars: Vec<char> = clear.chars().collect();
    if chars.len() < 8 {
        return Some("shorter than 8 characters");
    }
    // Shannon entropy of the character distribution, times the length: the bits an attacker
    // would need if the characters were drawn independently. Below 28 bits is guessable.
    // Counted as runs of the sorted characters: no table, and the sum in one fixed order.
    chars.sort_unstable();
    let n = chars.len() as f64;
    let per_char: f64 = chars
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let p = run.len() as f64 / n;
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
        // A password may hold `/`, `?` or `#` (`postgres://app:pa/ss@db`): the authority then
        // reaches the `@`.
        let authority_end = if after[..authority_end].contains('@') {
            authority_end
        } else {
            password_authority_end(after).unwrap_or(authority_end)
        };
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
                    None if (is_login_scheme(scheme) && !is_key_like(userinfo))
                        || userinfo.is_empty() =>
                    {
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

/// End of an authority whose password holds `/`, `?` or `#`: `user:pa/ss@host`. The user
/// part holds none of them, and what follows the `:` is not a port (`host:8080/a@b`).
fn password_authority_end(after: &str) -> Option<usize> {
    let span = after.find([' ', ',']).unwrap_or(after.len());
    let at = after[..span].rfind('@')?;
    let (user, password) = after[..at].split_once(':')?;
    if user.contains(['/', '?', '#']) || password.is_empty() {
        return None;
    }
    let port = password.split(['/', '?', '#']).next().unwrap_or("");
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host_end = after[at..]
        .find(['/', '?', '#', ' ', ',', ';'])
        .map_or(span, |i| at + i);
    Some(host_end)
}

/// A user part that is a key, not a login name: a Sentry DSN's 32 hexadecimal digits.
fn is_key_like(userinfo: &str) -> bool {
    userinfo.len() >= 32 && userinfo.bytes().all(|b| b.is_ascii_hexdigit())
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
    fn names_of_secrets_and_their_keys_are_references() {
        for (key, value) in [
            ("values.namespace_secrets.app-secrets.API_KEY", "api_key"),
            ("values.auth.existingSecretPasswordKey", "password"),
            ("values.auth.secretKeys.userPasswordKey", "password"),
            ("values.existingMasterKeySecret", "master-key"),
            ("values.db.userPasswordKey", "db-password"),
            (
                "values.ingress.annotations.nginx.ingress.kubernetes.io/auth-tls-secret",
                "apps/client-ca",
            ),
            (
                "sealedsecret.db.spec.encryptedData.DB_PASSWORD",
                "AgBy8hCi0x",
            ),
        ] {
            let v = SettingValue::classify(key, value.into());
            assert!(!v.is_secret(), "{key}");
        }
        assert!(SettingValue::classify("values.minio.secretKey", "Zq8mT2vLp9".into()).is_secret());
    }

    #[test]
    fn encrypted_external_and_placeholder_values_are_references() {
        for value in [
            "ENC[AES256_GCM,data:q3Zx,iv:ab,tag:cd,type:str]",
            "vault:secret/data/app#password",
            "ref+awssm://app/db",
            "sm://project/db-password",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            "dependency.rds.outputs.password",
            "${DB_PASSWORD}",
            "${DB_PASSWORD:}",
            "{{ .Values.db.password }}",
            "$(DB_PASSWORD)",
            "#{DB_PASSWORD}",
            "%(db_password)s",
        ] {
            let v = SettingValue::classify("config.db.password", value.into());
            assert!(!v.is_secret(), "{value}");
            assert_eq!(v.display(), value);
        }
        assert_eq!(
            placeholder_default("${DB_PASSWORD:postgres}"),
            Some("postgres")
        );
        assert_eq!(placeholder_default("${DB_PASSWORD:}"), None);
    }

    #[test]
    fn properties_of_secrets_and_switches_are_not_secrets() {
        for key in [
            "env.USER_PASSWORD_LENGTH",
            "env.PASSWORD_MIN_LENGTH",
            "env.ACCESS_TOKEN_EXPIRY",
            "env.REFRESH_TOKEN_TTL",
            "env.API_SECRET_ROTATION_DAYS",
            "config.jwt.token-validity-in-seconds",
            "config.jwt.token-validity-in-seconds-for-remember-me",
            "env.TLS_PRIVATE_KEY_FILE",
            "env.SECRETS_PATH",
            "env.TOKEN_AUTH_ENABLED",
            "spec.webhookTimeoutSeconds",
            "config.jwt.tokenHeader",
            "config.jwt.tokenHead",
            "values.usePassword",
            "env.DISABLE_WEBHOOK_EVENTS",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
        for (key, value) in [
            ("config.sqs.useWebToken", "true"),
            ("env.WEBHOOK_EVENTS", "false"),
            ("env.SECRET_COUNT_LIMIT", "3"),
        ] {
            assert!(
                !SettingValue::classify(key, value.into()).is_secret(),
                "{key}"
            );
        }
        assert!(
            SettingValue::classify("env.DB_PASSWORD", "12345678".into()).is_secret(),
            "a numeric password is still a password"
        );
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "REPLACE_ME",
            "REPLACE_ME_IN_PRODUCTION",
            "CHANGE_ME",
            "changeme",
            "TODO",
            "xxx",
            "XXXXXXXX",
            "<password>",
            "prodonly",
            "stagingonly",
            "${REDIS_PASSWORD}",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in ["todoist-Zq8mT2vLp9", "Zq8mT2vLp9wR4sK1", "production-db"] {
            assert!(!is_placeholder(p), "{p}");
        }
        let s = MaskedSecret::new("${REDIS_PASSWORD}", MASK.into());
        assert!(s.is_unexpanded() && s.is_placeholder());
    }

    #[test]
    fn round_three_placeholders_markers_and_dummies() {
        for p in [
            "test",
            "dummy",
            "your appPrivateKey",
            "YOUR_API_KEY",
            "your-token-here",
            "__REPLACED_BY_CI__",
            "E1234567890ABC",
            "id-0123456789",
            // base64 of `prodonly` and of `stagingonly\n`
            "cHJvZG9ubHk=",
            "c3RhZ2luZ29ubHkK",
            "***REMOVED***",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in [
            "12345678",
            "123456",
            "yourself-Zq8mT2vLp9",
            "Zq8mT2vLp9wR4sK1",
            "a1234567890bcdefZq8mT2vLp9wR4sK1",
            "dGVzdGluZy1acThtVDJ2THA5",
            "admin",
        ] {
            assert!(!is_placeholder(p), "{p}");
        }
        assert_eq!(
            weakness("***REMOVED***"),
            None,
            "a scrubbed value is not weak"
        );
        assert_eq!(weakness("[REDACTED]"), None);
        assert_eq!(
            weakness("test"),
            Some("a placeholder left where a secret goes")
        );
        assert_eq!(
            weakness("123456"),
            Some("a well-known default or placeholder")
        );
    }

    #[test]
    fn placeholder_syntax_anywhere_in_an_unexpanding_file_is_unexpanded() {
        let s = MaskedSecret::in_unexpanding_file("primary ${REDIS_PASSWORD}", MASK.into());
        assert!(s.is_unexpanded());
        let s = MaskedSecret::in_unexpanding_file("primary Zq8mT2vLp9wR4sK1", MASK.into());
        assert!(!s.is_unexpanded());
        assert!(!MaskedSecret::new("primary ${REDIS_PASSWORD}", MASK.into()).is_unexpanded());
    }

    #[test]
    fn input_defaults_are_fallbacks() {
        let mut s = MaskedSecret::new("admin", MASK.into());
        assert!(!s.is_input_default() && !s.is_fallback());
        s.mark_input_default();
        assert!(s.is_input_default() && s.is_fallback());
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for v in [
            "localhost",
            "jdbc:mysql://localhost:3306/app?useSSL=false",
            "http://127.0.0.1:9000",
            "redis://[::1]:6379",
            "host.docker.internal",
            "postgres://app:********@localhost/app",
            "api.localhost",
        ] {
            assert!(names_loopback(v), "{v}");
        }
        for v in [
            "db",
            "http://192.168.3.101:9090",
            "localhost-db.internal",
            "127.0.0",
            "/app",
        ] {
            assert!(!names_loopback(v), "{v}");
        }
    }

    #[test]
    fn a_credential_is_reached_on_loopback_by_the_nearest_host_beside_it() {
        let scope = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        super::super::Setting::new(k, *v, super::super::Origin::new("f", 1)),
                    )
                })
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let spring = scope(&[
            (
                "config.spring.datasource.url",
                "jdbc:mysql://localhost:3306/app",
            ),
            ("config.spring.datasource.password", "root"),
            (
                "config.spring.datasource.druid.servlet.login-password",
                "druid",
            ),
            ("config.mq.host", "localhost"),
            ("config.mq.virtual-host", "/app"),
            ("config.mq.password", "mq"),
            ("config.store.endpoint", "http://store.example.com"),
            ("config.store.secretKey", "s"),
            ("config.jwt.secret", "j"),
        ]);
        let on = |key: &str, scope: &std::collections::BTreeMap<String, super::super::Setting>| {
            reached_on_loopback(key, scope[key].display(), scope)
        };
        assert!(on("config.spring.datasource.password", &spring));
        assert!(on(
            "config.spring.datasource.druid.servlet.login-password",
            &spring
        ));
        assert!(on("config.mq.password", &spring), "a vhost path is no host");
        assert!(!on("config.store.secretKey", &spring));
        assert!(!on("config.jwt.secret", &spring), "no host beside it");
        // A flat list of variables: only the host named like the credential relates to it.
        let flat = scope(&[
            ("env.DB_HOST", "localhost"),
            ("env.DB_PASSWORD", "pw"),
            ("env.STRIPE_SECRET_KEY", "sk"),
            ("env.DATABASE_URL", "postgres://app:pw@localhost/app"),
        ]);
        assert!(on("env.DB_PASSWORD", &flat));
        assert!(!on("env.STRIPE_SECRET_KEY", &flat));
        assert!(on("env.DATABASE_URL", &flat), "its own URL names loopback");
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
            Some("a placeholder left where a secret goes")
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

    #[test]
    fn round_two_secret_keys() {
        for key in [
            "env.DB_PASS",
            "env.PGPASS",
            "env.SMTP_PASS",
            "config.db.pass",
            "env.PASSWORD1",
            "env.PASSWORDS",
            "env.ADMIN_SECRET2",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "env.PASS_THROUGH",
            "env.BYPASS",
            "env.COMPASS",
            "env.PASSWORD_MIN_LENGTH",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn round_two_secret_values() {
        let shown =
            |key: &str, v: &str| SettingValue::classify(key, v.into()).display().to_string();
        assert_eq!(
            shown("env.DATABASE_URL", "postgres://app:pa/ss#w?rd@db:5432/app"),
            "postgres://app:********@db:5432/app"
        );
        assert_eq!(
            shown("env.URL", "https://host:8080/a@b"),
            "https://host:8080/a@b",
            "a port and a path, not a password"
        );
        assert_eq!(
            shown(
                "config.sentry.url",
                "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42"
            ),
            "https://********@o1.ingest.sentry.io/42"
        );
        assert_eq!(
            shown(
                "env.HOOK_URL",
                "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX"
            ),
            MASK
        );
        assert_eq!(
            shown("headers.Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.x"),
            MASK
        );
        assert_eq!(
            shown(
                "env.DB_CONN",
                "host=db user=app password=s3cr3t-Zq8 dbname=app"
            ),
            "host=db user=app password=******** dbname=app"
        );
        assert_eq!(
            shown(
                "env.JDBC",
                "jdbc:postgresql://db/app?user=app&password=s3cr3t&ssl=true"
            ),
            "jdbc:postgresql://db/app?user=app&password=********&ssl=true"
        );
        assert_eq!(
            shown(
                "env.MSSQL",
                "jdbc:sqlserver://h;user=u;Password=s3cr3t;db=x"
            ),
            "jdbc:sqlserver://h;user=u;Password=********;db=x"
        );
        assert_eq!(
            shown("env.NOTE", "set password= in the file"),
            "set password= in the file"
        );
    }
}
