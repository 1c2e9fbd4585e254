//! Renderers of a comparison: terminal text, Markdown, JSON, HTML. They format; they compute
//! nothing.

pub mod capacity;
pub mod comment;
pub mod cost;
pub mod delta;
pub mod format;
pub mod github;
pub mod gitlab;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod live;
pub mod markdown;
pub mod projects;
pub mod promote;
pub mod sarif;
pub mod text;

use crate::check::Analysis;
use crate::compare::Comparison;
use crate::model::Note;

/// What every renderer receives.
pub struct ReportInput<'a> {
    /// The scanned path as the user gave it, for titles.
    pub root: &'a str,
    pub comparison: &'a Comparison,
    /// Verdicts, findings and score under the policy.
    pub analysis: &'a Analysis,
    /// Per environment (same order), the files read.
    pub files: &'a [Vec<String>],
    pub notes: &'a [Note],
    /// The running servers, when `--pg`, `--redis` or `[live]` named some.
    pub live: Option<&'a crate::live::LiveComparison>,
}

/// Output formats of `envparity report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown document to check in.
    Md,
    /// Stable, versioned JSON (see docs/json-schema.md).
    Json,
    /// Plain-text tables.
    Text,
    /// One self-contained HTML page (heat map, filters, charts), for `-o report.html`.
    Html,
}

pub fn render(format: Format, input: &ReportInput, color: bool) -> String {
    match format {
        Format::Md => markdown::render(input),
        Format::Json => json::render(input),
        Format::Text => text::render(input, color),
        Format::Html => html::render(input),
    }
}

/// Writes the report to `out`; the JSON, which can be far larger than the input, is streamed.
pub fn write(
    format: Format,
    input: &ReportInput,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(input, out),
        _ => out.write_all(render(format, input, color).as_bytes()),
    }
}
