//! The one error type: a message tied to a file and, where meaningful, a line.
//!
//! Errors never quote the offending source line: it may hold a secret, and error text ends up in
//! public CI logs.

use std::fmt;

/// An input or usage error. Rendered as `path:line:col: message`, like a compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Path relative to the scanned root (or as the user gave it).
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error not tied to a file (bad command-line usage).
    pub fn msg(message: impl Into<String>) -> Self {
        Error {
            file: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about a whole file.
    pub fn in_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            file: Some(file.into()),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error at a line (and optionally column) of a file.
    pub fn at(file: impl AsRef<str>, line: u32, message: impl Into<String>) -> Self {
        Error {
            file: Some(file.as_ref().to_string()),
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    pub fn with_column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // File names and messages carry repository text: control characters are made visible
        // so that no error can write escape sequences or forged lines to a terminal or CI log.
        if let Some(file) = &self.file {
            write!(f, "{}", crate::escape::control(file))?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", crate::escape::control(&self.message))
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_and_column_like_a_compiler() {
        let e = Error::at("docker-compose.yml", 12, "unknown unit").with_column(5);
        assert_eq!(e.to_string(), "docker-compose.yml:12:5: unknown unit");
        assert_eq!(
            Error::in_file("a.yml", "unreadable").to_string(),
            "a.yml: unreadable"
        );
        assert_eq!(Error::msg("bad flag").to_string(), "bad flag");
    }

    #[test]
    fn control_characters_in_file_and_message_are_made_visible() {
        let e = Error::at(
            "a\u{1b}]52;c;x\u{7}.yml",
            3,
            "service `w\n::error file=x::pwned`",
        );
        assert_eq!(
            e.to_string(),
            "a\\x1b]52;c;x\\x07.yml:3: service `w\\n::error file=x::pwned`"
        );
    }
}
