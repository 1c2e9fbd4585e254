//! Compose variable interpolation of one string.
//!
//! Implements the Compose specification's rules:
//!
//! - `$$` is a literal `$`;
//! - `$VAR` and `${VAR}` substitute a variable (names: `[A-Za-z_][A-Za-z0-9_]*`);
//! - `${VAR:-default}` / `${VAR-default}`: default if unset or empty / only if unset;
//! - `${VAR:?err}` / `${VAR?err}`: required if unset or empty / only if unset. Compose stops
//!   with `err`; we read on: the reference is kept as written (`${VAR}`, a value supplied
//!   when deployed) and listed in [`Interpolated::required`] with its message;
//! - `${VAR:+repl}` / `${VAR+repl}`: `repl` if set and non-empty / if set, else "";
//! - defaults, error texts and replacements may themselves hold interpolations, nested up to
//!   [`MAX_DEPTH`] levels;
//! - a `$` followed by anything else is kept literally;
//! - an unset variable without a default becomes "" and is reported in [`Interpolated::unset`].
//!
//! Branches that are not taken (the default of a variable that has a value, ...) are still parsed,
//! so syntax errors in them are reported and the variables they name appear in
//! [`Interpolated::vars`], but they are not evaluated: they never raise a "required variable"
//! error and never count as unset.
//!
//! Each variable's value says whether it came from a secret source (a secret-named variable,
//! a secret file, the process environment): a result that took such a value in is marked
//! [`Interpolated::secret`], so that it is masked wherever it lands (an image tag, a port, a
//! healthcheck), and a `:?` message that took one in is not quoted. Errors carry the position
//! of the reference and, separately, an excerpt of the input, so that a caller can leave the
//! excerpt out when the value may be a secret.
//!
//! One result is at most [`MAX_VALUE_BYTES`] long: a chain of variables that each double the
//! previous one stops there with an error naming the variable, not after gigabytes.
//!
//! The scanner works on bytes; every delimiter is ASCII, so every slice boundary is a UTF-8
//! character boundary. Each input byte is visited once; recursion only happens for nested `${`,
//! which is bounded.

use crate::hash::HashSet;

/// Deepest nesting of `${...}` accepted.
pub const MAX_DEPTH: usize = 32;

/// Longest result of interpolating one value: 1 MiB, far beyond any real setting.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// Total bytes that interpolation may produce in one run: 64 MiB. With the per-value cap this
/// bounds what a small file of variables that each double the previous one can cost.
pub const MAX_RUN_EXPANDED_BYTES: usize = 64 << 20;

/// What interpolation has produced so far in this run, shared by every environment and file.
#[derive(Debug)]
pub struct ExpansionBudget {
    used: std::sync::atomic::AtomicUsize,
    limit: usize,
}

impl Default for ExpansionBudget {
    fn default() -> Self {
        ExpansionBudget::new(MAX_RUN_EXPANDED_BYTES)
    }
}

impl ExpansionBudget {
    pub fn new(limit: usize) -> Self {
        ExpansionBudget {
            used: std::sync::atomic::AtomicUsize::new(0),
            limit,
        }
    }

    /// Counts an interpolated value of `bytes`; the error message when the run's total passes
    /// the limit.
    pub fn charge(&self, bytes: usize) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            return Err(format!(
                "interpolated values pass {} MiB in total, the limit for one run",
                self.limit >> 20
            ));
        }
        Ok(())
    }
}

/// A variable's value, and whether it came from a secret source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub secret: bool,
}

impl Var {
    /// A value from a source that is not secret.
    pub fn plain(value: impl Into<String>) -> Self {
        Var {
            value: value.into(),
            secret: false,
        }
    }
}

/// Why a value could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolationError {
    /// What is wrong, without any text of the input (it may be a secret).
    pub problem: String,
    /// The part of the input in question, shortened, for values known not to be secret.
    pub excerpt: Option<String>,
    /// 1-based position (in characters) of the `$` in question within the value.
    pub position: usize,
}

impl InterpolationError {
    /// The message quoting the input: for values that are not secret.
    pub fn message(&self) -> String {
        match &self.excerpt {
            Some(excerpt) => format!("{} `{excerpt}`", self.problem),
            None => self.problem.clone(),
        }
    }

    /// The message with names and positions only: for values that may be secret.
    pub fn redacted(&self) -> String {
        match &self.excerpt {
            Some(_) => format!(
                "{} at character {} of the value (not quoted: it may be a secret)",
                self.problem, self.position
            ),
            None => self.problem.clone(),
        }
    }
}

impl std::fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Longest excerpt of the input quoted in an error message, in characters.
const EXCERPT_CHARS: usize = 40;

/// Result of interpolating one string.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpolated {
    pub text: String,
    /// Names of variables referenced (in order of first appearance, deduplicated).
    pub vars: Vec<String>,
    /// Referenced variables that had no value and no default (Compose substitutes "" and warns).
    pub unset: Vec<String>,
    /// Required variables (`${VAR:?message}`) without a value, with their messages: the text
    /// keeps `${VAR}` in their place.
    pub required: Vec<(String, String)>,
    /// True if any `$` substitution happened (a `$$` escape alone does not count).
    pub substituted: bool,
    /// A value from a secret source went into `text`.
    pub secret: bool,
    /// The default of a `${VAR:-default}` whose variable is unset went into `text`.
    pub defaulted: bool,
}

impl Interpolated {
    /// The first required variable without a value, as Compose's error message.
    pub fn required_error(&self) -> Option<String> {
        let (name, message) = self.required.first()?;
        Some(if message.is_empty() {
            format!("required variable {name} is missing a value")
        } else {
            format!("required variable {name} is missing a value: {message}")
        })
    }
}

/// Interpolates `input` with values that are not secret. `lookup` returns the variable's value
/// (None = unset).
pub fn interpolate(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpolationError> {
    interpolate_vars(input, &|name| lookup(name).map(Var::plain))
}

/// Interpolates `input`. `lookup` returns the variable's value and whether it is secret (None =
/// unset). The caller adds file/line to errors.
pub fn interpolate_vars(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<Var>,
) -> Result<Interpolated, InterpolationError> {
    let mut parser = Parser {
        src: input,
        bytes: input.as_bytes(),
        pos: 0,
        lookup,
        vars: Vec::new(),
        vars_seen: HashSet::default(),
        unset: Vec::new(),
        unset_seen: HashSet::default(),
        required: Vec::new(),
        substituted: false,
        secret: false,
        defaulted: false,
        expanded: 0,
        in_message: 0,
        message_secret: false,
    };
    let mut text = String::with_capacity(input.len().min(MAX_VALUE_BYTES));
    // At depth 0 a `}` is ordinary text, so the sequence can only end at the end of the input.
    parser.sequence(0, true, &mut text)?;
    Ok(Interpolated {
        text,
        vars: parser.vars,
        unset: parser.unset,
        required: parser.required,
        substituted: parser.substituted,
        secret: parser.secret,
        defaulted: parser.defaulted,
    })
}

/// How a sequence of text ended.
enum Stop {
    /// The end of the input.
    End,
    /// A `}` closing the enclosing `${` (consumed).
    Brace,
}

struct Parser<'a, 'l> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    lookup: &'l dyn Fn(&str) -> Option<Var>,
    vars: Vec<String>,
    vars_seen: HashSet<&'a str>,
    unset: Vec<String>,
    unset_seen: HashSet<&'a str>,
    required: Vec<(String, String)>,
    substituted: bool,
    secret: bool,
    /// A default went into the text in place of an unset variable.
    defaulted: bool,
    /// Bytes of values substituted so far.
    expanded: usize,
    /// Inside the message of a `:?` (which is not part of the text).
    in_message: usize,
    /// A secret value went into the `:?` message being read.
    message_secret: bool,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `s` cut to at most `max` characters, with `...` appended when it was cut.
fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

impl<'a> Parser<'a, '_> {
    /// Parses text up to the end of the input or, inside braces (`depth > 0`), up to the `}`
    /// closing them. Writes the result to `out` when `eval` is set.
    fn sequence(
        &mut self,
        depth: usize,
        eval: bool,
        out: &mut String,
    ) -> Result<Stop, InterpolationError> {
        let in_braces = depth > 0;
        loop {
            let start = self.pos;
            let mut i = start;
            while i < self.bytes.len() {
                let b = self.bytes[i];
                if b == b'$' || (in_braces && b == b'}') {
                    break;
                }
                i += 1;
            }
            if eval {
                out.push_str(&self.src[start..i]);
            }
            self.pos = i;
            match self.bytes.get(i) {
                None => return Ok(Stop::End),
                Some(b'}') => {
                    self.pos = i + 1;
                    return Ok(Stop::Brace);
                }
                Some(_) => self.dollar(depth, eval, out)?,
            }
        }
    }

    /// Handles the `$` at `self.pos`.
    fn dollar(
        &mut self,
        depth: usize,
        eval: bool,
        out: &mut String,
    ) -> Result<(), InterpolationError> {
        let start = self.pos;
        match self.bytes.get(start + 1) {
            Some(b'$') => {
                if eval {
                    out.push('$');
                }
                self.pos = start + 2;
            }
            Some(b'{') => self.braced(depth + 1, eval, out)?,
            Some(&b) if is_name_start(b) => {
                let end = self.name_end(start + 1);
                let src = self.src;
                let name = &src[start + 1..end];
                self.pos = end;
                self.reference(name);
                if eval {
                    match (self.lookup)(name) {
                        Some(value) => self.push_value(start, name, &value, out)?,
                        None => self.note_unset(name),
                    }
                }
            }
            _ => {
                if eval {
                    out.push('$');
                }
                self.pos = start + 1;
            }
        }
        Ok(())
    }

    /// Handles the `${` at `self.pos`; `depth` counts it.
    fn braced(
        &mut self,
        depth: usize,
        eval: bool,
        out: &mut String,
    ) -> Result<(), InterpolationError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.error(
                start,
                format!("variable references nested more than {MAX_DEPTH} levels deep"),
                None,
            ));
        }
        let name_start = start + 2;
        let name_end = self.name_end(name_start);
        let src = self.src;
        let name = &src[name_start..name_end];
        let next = self.bytes.get(name_end).copied();
        match next {
            None => return Err(self.unterminated(start)),
            Some(b'}' | b':' | b'-' | b'?' | b'+') if !name.is_empty() => {}
            Some(_) => return Err(self.invalid_name(start)),
        }
        self.reference(name);

        if next == Some(b'}') {
            self.pos = name_end + 1;
            if eval {
                match (self.lookup)(name) {
                    Some(value) => self.push_value(start, name, &value, out)?,
                    None => self.note_unset(name),
                }
            }
            return Ok(());
        }

        let colon = next == Some(b':');
        let op_pos = if colon { name_end + 1 } else { name_end };
        let op = match self.bytes.get(op_pos) {
            Some(&op @ (b'-' | b'?' | b'+')) => op,
            None => return Err(self.unterminated(start)),
            Some(_) => {
                return Err(self.error(
                    start,
                    "invalid variable reference (expected `:-`, `:?` or `:+` after the name)"
                        .into(),
                    Some(self.excerpt(start, op_pos + 1)),
                ))
            }
        };
        self.pos = op_pos + 1;

        let value = if eval { (self.lookup)(name) } else { None };
        // "Present" in the sense of the operator: set (and non-empty with a colon).
        let present = match &value {
            Some(v) => !colon || !v.value.is_empty(),
            None => false,
        };
        match op {
            b'-' => {
                if present {
                    self.operand(start, depth, false, out)?;
                    if let Some(value) = &value {
                        self.push_value(start, name, value, out)?;
                    }
                } else {
                    self.defaulted |= eval && self.in_message == 0;
                    self.operand(start, depth, eval, out)?;
                }
            }
            b'+' => self.operand(start, depth, eval && present, out)?,
            _ => {
                if eval && !present {
                    let mut message = String::new();
                    let outer_secret = std::mem::take(&mut self.message_secret);
                    self.in_message += 1;
                    self.operand(start, depth, true, &mut message)?;
                    self.in_message -= 1;
                    if std::mem::replace(&mut self.message_secret, outer_secret) {
                        // The message took in a secret value: it is not shown.
                        message.clear();
                    }
                    out.push_str(&format!("${{{name}}}"));
                    if !self.required.iter().any(|(n, _)| n == name) {
                        self.required.push((name.to_owned(), message));
                    }
                    return Ok(());
                }
                self.operand(start, depth, false, out)?;
                if let Some(value) = &value {
                    self.push_value(start, name, value, out)?;
                }
            }
        }
        Ok(())
    }

    /// Writes a variable's value (referenced at `start`), within the size cap.
    fn push_value(
        &mut self,
        start: usize,
        name: &str,
        value: &Var,
        out: &mut String,
    ) -> Result<(), InterpolationError> {
        self.expanded = self.expanded.saturating_add(value.value.len());
        if self.expanded > MAX_VALUE_BYTES {
            return Err(self.error(
                start,
                format!(
                    "substituting `{name}` makes the value longer than {} MiB, the limit for one interpolated value",
                    MAX_VALUE_BYTES >> 20
                ),
                None,
            ));
        }
        out.push_str(&value.value);
        if self.in_message > 0 {
            self.message_secret |= value.secret;
        } else {
            self.secret |= value.secret;
        }
        Ok(())
    }

    fn error(&self, start: usize, problem: String, excerpt: Option<String>) -> InterpolationError {
        InterpolationError {
            problem,
            excerpt,
            position: self.src[..start].chars().count() + 1,
        }
    }

    /// Parses the operand of the `${` at `start`, up to and including its closing `}`.
    fn operand(
        &mut self,
        start: usize,
        depth: usize,
        eval: bool,
        out: &mut String,
    ) -> Result<(), InterpolationError> {
        match self.sequence(depth, eval, out)? {
            Stop::Brace => Ok(()),
            Stop::End => Err(self.unterminated(start)),
        }
    }

    /// End (exclusive) of the run of name characters starting at `from`.
    fn name_end(&self, from: usize) -> usize {
        let mut i = from;
        if i < self.bytes.len() && is_name_start(self.bytes[i]) {
            i += 1;
            while i < self.bytes.len() && is_name_char(self.bytes[i]) {
                i += 1;
            }
        }
        i
    }

    fn reference(&mut self, name: &'a str) {
        self.substituted = true;
        if self.vars_seen.insert(name) {
            self.vars.push(name.to_owned());
        }
    }

    fn note_unset(&mut self, name: &'a str) {
        if self.unset_seen.insert(name) {
            self.unset.push(name.to_owned());
        }
    }

    /// The input from `start` (an ASCII byte) to `end`, moved forward to the next character
    /// boundary, shortened.
    fn excerpt(&self, start: usize, end: usize) -> String {
        let mut end = end.min(self.src.len());
        while !self.src.is_char_boundary(end) {
            end += 1;
        }
        truncate_chars(&self.src[start..end], EXCERPT_CHARS)
    }

    /// "unterminated" error for the `${` at `start`. Quotes the name and operator only, never a
    /// default or error text (they may be secrets).
    fn unterminated(&self, start: usize) -> InterpolationError {
        let name_end = self.name_end(start + 2);
        let mut end = name_end;
        if self.bytes.get(end) == Some(&b':') {
            end += 1;
        }
        if matches!(self.bytes.get(end), Some(b'-' | b'?' | b'+')) {
            end += 1;
        }
        let mut quoted = self.excerpt(start, end);
        if end < self.bytes.len() && !quoted.ends_with("...") {
            quoted.push_str("...");
        }
        self.error(
            start,
            "unterminated variable reference".into(),
            Some(quoted),
        )
    }

    /// "invalid name" error for the `${` at `start`: quotes what stands where the name should be,
    /// up to the closing `}` or an operator character.
    fn invalid_name(&self, start: usize) -> InterpolationError {
        let inner = start + 2;
        let stop = self.bytes[inner..]
            .iter()
            .position(|b| matches!(b, b'}' | b':' | b'-' | b'?' | b'+'))
            .map_or(self.bytes.len(), |p| inner + p);
        let mut quoted = truncate_chars(&self.src[start..stop], EXCERPT_CHARS);
        if quoted.ends_with("...") {
            // Already marked as shortened.
        } else if self.bytes.get(stop) == Some(&b'}') {
            quoted.push('}');
        } else if stop < self.bytes.len() {
            quoted.push_str("...");
        }
        self.error(start, "invalid variable name in".into(), Some(quoted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const ENV: &[(&str, &str)] = &[
        ("SET", "value"),
        ("EMPTY", ""),
        ("TAG", "1.2"),
        ("B", "bee"),
        ("UNI", "ünï"),
    ];

    fn run(input: &str) -> Interpolated {
        interpolate(input, &env(ENV)).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    fn text(input: &str) -> String {
        run(input).text
    }

    fn required(input: &str) -> String {
        run(input).required_error().expect("a required variable")
    }

    fn err(input: &str) -> String {
        match interpolate(input, &env(ENV)) {
            Ok(r) => panic!("{input:?} should fail, got {r:?}"),
            Err(e) => e.message(),
        }
    }

    #[test]
    fn plain_text_is_unchanged() {
        let r = run("nginx:latest");
        assert_eq!(
            r,
            Interpolated {
                text: "nginx:latest".into(),
                vars: vec![],
                unset: vec![],
                required: vec![],
                substituted: false,
                secret: false,
                defaulted: false,
            }
        );
        assert_eq!(text(""), "");
    }

    #[test]
    fn simple_and_braced_references() {
        let r = run("img:$TAG-${SET}");
        assert_eq!(r.text, "img:1.2-value");
        assert_eq!(r.vars, ["TAG", "SET"]);
        assert!(r.unset.is_empty());
        assert!(r.substituted);
        // The unbraced name ends at the first non-name character.
        assert_eq!(text("$TAG.x"), "1.2.x");
        assert_eq!(text("$SETx"), "");
        assert_eq!(text("${SET}x"), "valuex");
        assert_eq!(text("$_"), "");
    }

    #[test]
    fn dollar_dollar_is_a_literal_dollar_and_not_a_substitution() {
        let r = run("$$SET and $${SET} cost $$5");
        assert_eq!(r.text, "$SET and ${SET} cost $5");
        assert!(r.vars.is_empty());
        assert!(!r.substituted);
        assert_eq!(text("$$$SET"), "$value");
        assert_eq!(text("$$$$"), "$$");
    }

    #[test]
    fn lone_dollars_are_kept() {
        let r = run("cost: 5$ or $1 or $-x or $ {SET} or $é $");
        assert_eq!(r.text, "cost: 5$ or $1 or $-x or $ {SET} or $é $");
        assert!(!r.substituted);
        assert!(r.vars.is_empty());
    }

    #[test]
    fn closing_brace_outside_a_reference_is_text() {
        assert_eq!(text("}{ ${SET}}"), "}{ value}");
    }

    #[test]
    fn unset_variables_become_empty_and_are_listed_once() {
        let r = run("a${NOPE}b$NOPE c$OTHER${SET}");
        assert_eq!(r.text, "ab cvalue");
        assert_eq!(r.vars, ["NOPE", "OTHER", "SET"]);
        assert_eq!(r.unset, ["NOPE", "OTHER"]);
        assert!(r.substituted);
        // Empty is set, not unset.
        let r = run("${EMPTY}");
        assert_eq!(r.text, "");
        assert!(r.unset.is_empty());
    }

    #[test]
    fn colon_dash_defaults_when_unset_or_empty() {
        assert_eq!(text("${SET:-d}"), "value");
        assert_eq!(text("${EMPTY:-d}"), "d");
        assert_eq!(text("${NOPE:-d}"), "d");
        assert_eq!(text("${NOPE:-}"), "");
        assert_eq!(text("${NOPE:-a b:c-d?e+f}"), "a b:c-d?e+f");
        let r = run("${NOPE:-x}");
        assert_eq!(r.vars, ["NOPE"]);
        assert!(r.unset.is_empty(), "a default is not an unset warning");
    }

    #[test]
    fn dash_defaults_only_when_unset() {
        assert_eq!(text("${SET-d}"), "value");
        assert_eq!(text("${EMPTY-d}"), "");
        assert_eq!(text("${NOPE-d}"), "d");
        assert!(run("${NOPE-d}").unset.is_empty());
    }

    #[test]
    fn colon_question_requires_set_and_non_empty() {
        assert_eq!(text("${SET:?boom}"), "value");
        assert_eq!(
            required("${EMPTY:?must be set}"),
            "required variable EMPTY is missing a value: must be set"
        );
        assert_eq!(
            required("x ${DB_PASSWORD:?set it in .env}"),
            "required variable DB_PASSWORD is missing a value: set it in .env"
        );
        assert_eq!(text("x ${DB_PASSWORD:?set it in .env}"), "x ${DB_PASSWORD}");
        assert_eq!(
            required("${NOPE:?}"),
            "required variable NOPE is missing a value"
        );
    }

    #[test]
    fn question_requires_set_only() {
        assert_eq!(text("${SET?boom}"), "value");
        assert_eq!(text("${EMPTY?boom}"), "");
        assert_eq!(
            required("${NOPE?boom}"),
            "required variable NOPE is missing a value: boom"
        );
        assert_eq!(
            required("${NOPE?}"),
            "required variable NOPE is missing a value"
        );
    }

    #[test]
    fn required_error_text_is_interpolated() {
        assert_eq!(
            required("${NOPE?$B is not ${SET}}"),
            "required variable NOPE is missing a value: bee is not value"
        );
    }

    #[test]
    fn colon_plus_replaces_when_set_and_non_empty() {
        assert_eq!(text("${SET:+r}"), "r");
        assert_eq!(text("${EMPTY:+r}"), "");
        assert_eq!(text("${NOPE:+r}"), "");
        let r = run("${NOPE:+r}");
        assert!(r.unset.is_empty());
        assert!(r.substituted);
    }

    #[test]
    fn plus_replaces_when_set() {
        assert_eq!(text("${SET+r}"), "r");
        assert_eq!(text("${EMPTY+r}"), "r");
        assert_eq!(text("${NOPE+r}"), "");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(text("${NOPE:-${B:-x}}"), "bee");
        assert_eq!(text("${NOPE:-${ALSO:-x}}"), "x");
        assert_eq!(text("${NOPE:-$B}"), "bee");
        assert_eq!(text("${NOPE:-pre-${B}-post}"), "pre-bee-post");
        assert_eq!(text("${SET:+[${B:+${TAG}}]}"), "[1.2]");
        assert_eq!(text("${NOPE:-a$$b}"), "a$b");
        let r = run("${NOPE:-${ALSO}}");
        assert_eq!(r.text, "");
        assert_eq!(r.vars, ["NOPE", "ALSO"]);
        assert_eq!(r.unset, ["ALSO"]);
    }

    #[test]
    fn untaken_branches_are_parsed_but_not_evaluated() {
        let r = run("${SET:-${MISSING:?never}}${NOPE:+$ALSO}");
        assert_eq!(r.text, "value");
        assert_eq!(r.vars, ["SET", "MISSING", "NOPE", "ALSO"]);
        assert!(r.unset.is_empty());
        assert_eq!(text("${SET?${NOPE?no}}"), "value");
        // But syntax errors in them are still errors.
        assert_eq!(err("${SET:-${1x}}"), "invalid variable name in `${1x}`");
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}x{}", "${NOPE:-".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert_eq!(text(&ok), "x");
        let deep = format!(
            "{}x{}",
            "${NOPE:-".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            err(&deep),
            "variable references nested more than 32 levels deep"
        );
        // Absurd nesting fails fast instead of overflowing the stack.
        let huge = "${A:-".repeat(200_000);
        assert_eq!(
            err(&huge),
            "variable references nested more than 32 levels deep"
        );
    }

    #[test]
    fn unterminated_references() {
        assert_eq!(err("${"), "unterminated variable reference `${`");
        assert_eq!(err("abc ${SET"), "unterminated variable reference `${SET`");
        assert_eq!(
            err("${SET:-oops"),
            "unterminated variable reference `${SET:-...`"
        );
        assert_eq!(
            err("${NOPE-secret"),
            "unterminated variable reference `${NOPE-...`"
        );
        assert_eq!(err("${SET:"), "unterminated variable reference `${SET:`");
        assert_eq!(err("${SET?"), "unterminated variable reference `${SET?`");
        // The outer reference is the unterminated one.
        assert_eq!(
            err("${A:-${B:-x}"),
            "unterminated variable reference `${A:-...`"
        );
        let long = format!("${{{}", "N".repeat(100));
        assert_eq!(
            err(&long),
            format!("unterminated variable reference `${{{}...`", "N".repeat(38))
        );
    }

    #[test]
    fn invalid_names() {
        assert_eq!(err("${}"), "invalid variable name in `${}`");
        assert_eq!(err("x${1A}"), "invalid variable name in `${1A}`");
        assert_eq!(err("${A B}"), "invalid variable name in `${A B}`");
        assert_eq!(err("${A.b:-x}"), "invalid variable name in `${A.b...`");
        assert_eq!(err("${:-x}"), "invalid variable name in `${...`");
        assert_eq!(err("${-x}"), "invalid variable name in `${...`");
        assert_eq!(err("${é}"), "invalid variable name in `${é}`");
        assert_eq!(err("${ A}"), "invalid variable name in `${ A}`");
        assert_eq!(err("${A B"), "invalid variable name in `${A B`");
        let long = format!("${{{}}}", "é".repeat(100));
        assert_eq!(
            err(&long),
            format!("invalid variable name in `${{{}...`", "é".repeat(38))
        );
    }

    #[test]
    fn unsupported_operators() {
        assert_eq!(
            err("${SET:x}"),
            "invalid variable reference (expected `:-`, `:?` or `:+` after the name) `${SET:x`"
        );
        assert_eq!(
            err("${SET:é}"),
            "invalid variable reference (expected `:-`, `:?` or `:+` after the name) `${SET:é`"
        );
        assert_eq!(
            err("${SET:}"),
            "invalid variable reference (expected `:-`, `:?` or `:+` after the name) `${SET:}`"
        );
    }

    #[test]
    fn multibyte_text_and_values() {
        let r = run("ü-$UNI-${UNI:-é}-€$-${NOPE:-日本}");
        assert_eq!(r.text, "ü-ünï-ünï-€$-日本");
        assert_eq!(r.vars, ["UNI", "NOPE"]);
    }

    #[test]
    fn never_panics_on_awkward_inputs() {
        let inputs = [
            "$",
            "$$",
            "$$$",
            "${",
            "${$",
            "${}",
            "}",
            "${A",
            "${A:",
            "${A:-",
            "${A:-}",
            "${A-}}",
            "$é",
            "${é",
            "${Aé}",
            "é$",
            "${A:-é",
            "${A?é}",
            "$\u{0}",
            "${A:+${B:?${C}}}",
        ];
        for input in inputs {
            let _ = interpolate(input, &env(ENV));
        }
        // Every prefix of a tricky multi-byte string, cut at every char boundary.
        let s = "x${ü:-${B:-ä$$€}}$ü${UNI?日}";
        for (i, _) in s.char_indices() {
            let _ = interpolate(&s[..i], &env(ENV));
            let _ = interpolate(&s[i..], &env(ENV));
        }
    }

    #[test]
    fn long_flat_inputs_are_fine() {
        let input = "${SET}$$".repeat(50_000);
        let r = run(&input);
        assert_eq!(r.text.len(), 6 * 50_000);
        assert_eq!(r.vars, ["SET"]);
        let dollars = "$".repeat(100_001);
        assert_eq!(text(&dollars), "$".repeat(50_001));
    }

    #[test]
    fn lookup_is_only_called_for_evaluated_references() {
        use std::cell::RefCell;
        let calls = RefCell::new(Vec::new());
        let lookup = |name: &str| {
            calls.borrow_mut().push(name.to_owned());
            (name == "A").then(|| "a".to_owned())
        };
        let r = interpolate("${A:-${B}}${C:+${D}}", &lookup).unwrap();
        assert_eq!(r.text, "a");
        assert_eq!(*calls.borrow(), ["A", "C"]);
    }

    fn secret_env(name: &str) -> Option<Var> {
        match name {
            "PW" => Some(Var {
                value: "hunter2-Zq8mT2".into(),
                secret: true,
            }),
            "TAG" => Some(Var::plain("1.2")),
            _ => None,
        }
    }

    #[test]
    fn a_secret_value_marks_the_result_wherever_it_goes() {
        let r = interpolate_vars("app:${PW}", &secret_env).unwrap();
        assert_eq!(r.text, "app:hunter2-Zq8mT2");
        assert!(r.secret);
        assert!(interpolate_vars("x$PW", &secret_env).unwrap().secret);
        assert!(
            interpolate_vars("${NOPE:-$PW}", &secret_env)
                .unwrap()
                .secret
        );
        assert!(interpolate_vars("${PW:?}", &secret_env).unwrap().secret);
        assert!(interpolate_vars("${PW-x}", &secret_env).unwrap().secret);
        // Not taken in: a branch not evaluated, a `:+` replacement, a plain value.
        for input in ["${TAG:-$PW}", "${PW:+on}", "app:${TAG}", "$${PW}"] {
            let r = interpolate_vars(input, &secret_env).unwrap();
            assert!(!r.secret, "{input}");
        }
    }

    #[test]
    fn a_required_message_that_took_in_a_secret_is_not_kept() {
        let r = interpolate_vars("${NOPE:?set it, was ${PW}}", &secret_env).unwrap();
        assert_eq!(r.required, [("NOPE".to_string(), String::new())]);
        assert!(!r.secret, "the message is not part of the text");
        let r = interpolate_vars("${NOPE:?set ${TAG}}", &secret_env).unwrap();
        assert_eq!(r.required, [("NOPE".to_string(), "set 1.2".to_string())]);
    }

    #[test]
    fn redacted_errors_give_the_position_and_no_text() {
        let e = interpolate("p@ss${w0rd", &env(ENV)).unwrap_err();
        assert_eq!(e.message(), "unterminated variable reference `${w0rd`");
        assert_eq!(
            e.redacted(),
            "unterminated variable reference at character 5 of the value (not quoted: it may be a secret)"
        );
        let e = interpolate("é${hunter 2}", &env(ENV)).unwrap_err();
        assert!(!e.redacted().contains("hunter"), "{}", e.redacted());
        assert!(e.redacted().contains("character 2"), "{}", e.redacted());
    }

    #[test]
    fn doubling_values_stop_at_the_cap_naming_the_variable() {
        let big = "x".repeat(MAX_VALUE_BYTES / 2 + 1);
        let lookup = |name: &str| (name == "BIG").then(|| big.clone());
        assert_eq!(interpolate("$BIG", &lookup).unwrap().text.len(), big.len());
        let e = interpolate("$BIG-${BIG}", &lookup).unwrap_err();
        assert_eq!(
            e.message(),
            "substituting `BIG` makes the value longer than 1 MiB, the limit for one interpolated value"
        );
        assert_eq!(e.message(), e.redacted(), "it quotes a name, never a value");
        assert_eq!(e.position, 6);
    }
}
