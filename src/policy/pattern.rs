//! Setting and service patterns in the policy: globs, case-insensitive, where `*` crosses dots
//! (`postgres.*`, `*retention*`, `env.LOG_*`).

use std::sync::OnceLock;

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    glob: Glob,
    /// Compiled on first use: most patterns (the default scale patterns) are only ever matched
    /// through a `PatternSet`, and compiling each one costs more than a small scan.
    matcher: OnceLock<GlobMatcher>,
}

/// Case-insensitive by lowercasing the pattern here and each value when matched, rather than
/// with globset's option: that option turns every pattern into one large regex, while lowercase
/// patterns keep globset's literal, prefix and suffix strategies (building and first matching
/// the default patterns took half of a small repository's analysis).
fn glob(text: &str) -> Result<Glob, String> {
    let chars = text.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(format!(
            "pattern is {chars} characters long, over the {MAX_PATTERN_CHARS} allowed"
        ));
    }
    let glob = GlobBuilder::new(&text.to_lowercase())
        .literal_separator(false)
        .build()
        .map_err(|e| format!("invalid pattern `{text}`: {}", e.kind()))?;
    // globset panics when a glob's regex is over its own size limit (10 MiB) at the first
    // match; compiling it once here with a smaller limit turns that into an error.
    regex::bytes::RegexBuilder::new(glob.regex())
        .size_limit(MAX_PATTERN_REGEX_BYTES)
        .build()
        .map_err(|_| format!("pattern `{text}` is too complex to match"))?;
    Ok(glob)
}

/// Longest pattern: setting and service names are short; a longer glob is a mistake or an
/// attempt to make matching expensive.
pub const MAX_PATTERN_CHARS: usize = 256;

/// Compiled size allowed for one pattern, below globset's own limit so that a pattern accepted
/// here always compiles there.
const MAX_PATTERN_REGEX_BYTES: usize = 1 << 20;

/// Several patterns matched in one pass: which of them match a value, in the order given.
#[derive(Debug, Clone)]
pub struct PatternSet {
    set: GlobSet,
}

impl PatternSet {
    /// Fails when the patterns together are too large to match in one pass (the policy is
    /// checked with `PatternSet::new` when read, so that this is reported there).
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> Result<PatternSet, String> {
        let mut builder = GlobSetBuilder::new();
        for p in patterns {
            builder.add(p.glob.clone());
        }
        let set = builder
            .build()
            .map_err(|_| "the patterns together are too large to match".to_string())?;
        Ok(PatternSet { set })
    }

    pub fn empty() -> PatternSet {
        PatternSet {
            set: GlobSet::empty(),
        }
    }

    /// Indices of the patterns matching `value`, ascending.
    pub fn matches(&self, value: &str) -> Vec<usize> {
        let mut found = self.set.matches(value.to_lowercase());
        found.sort_unstable();
        found
    }
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        Ok(Pattern {
            text: text.to_string(),
            glob: glob(text)?,
            matcher: OnceLock::new(),
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(value.to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_cross_dots_and_ignore_case() {
        let p = Pattern::new("postgres.*").unwrap();
        assert!(p.matches("postgres.shared_buffers"));
        assert!(!p.matches("redis.maxmemory"));
        assert!(Pattern::new("*retention*")
            .unwrap()
            .matches("env.BACKUP_RETENTION_DAYS"));
        assert!(Pattern::new("volumes./app/*")
            .unwrap()
            .matches("volumes./app/data"));
        assert!(Pattern::new("[").is_err());
        let class = Pattern::new("env.[A-Z]*_URL").unwrap();
        assert!(class.matches("ENV.DATABASE_URL") && class.matches("env.database_url"));
        assert!(!class.matches("env.9_URL"));
    }

    #[test]
    fn oversized_or_explosive_patterns_are_errors_not_panics() {
        let long = "a*".repeat(100_000);
        let e = Pattern::new(&long).unwrap_err();
        assert!(e.contains("over the 256 allowed"), "{e}");
        // Within the length cap every accepted pattern compiles and matches.
        for text in [
            "a*".repeat(128),
            "[^a]*".repeat(51),
            format!("{}{}", "{a,".repeat(80), "}".repeat(80)),
        ] {
            if let Ok(p) = Pattern::new(&text) {
                p.matches("aaaa");
            }
        }
    }

    #[test]
    fn a_set_matches_like_its_patterns_in_order() {
        let texts = [
            "env.LOG_*",
            "*retention*",
            "postgres.*",
            "ENV.log_level",
            "volumes./app/*",
        ];
        let patterns: Vec<Pattern> = texts.iter().map(|t| Pattern::new(t).unwrap()).collect();
        let set = PatternSet::new(&patterns).unwrap();
        for value in [
            "env.LOG_LEVEL",
            "env.log_level",
            "env.BACKUP_RETENTION_DAYS",
            "postgres.work_mem",
            "volumes./app/data",
            "image",
            "",
        ] {
            let one_by_one: Vec<usize> = (0..patterns.len())
                .filter(|&i| patterns[i].matches(value))
                .collect();
            assert_eq!(set.matches(value), one_by_one, "{value}");
        }
    }
}
