//! Setting and service patterns in the policy: globs, case-insensitive, where `*` crosses dots
//! (`postgres.*`, `*retention*`, `env.LOG_*`).

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        let glob = GlobBuilder::new(text)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("invalid pattern `{text}`: {}", e.kind()))?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
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
    }
}
