//! A monorepo's projects in one output: each project's own rendering (made by the other
//! renderers) under a heading of its own in text and Markdown, or in a `projects` array in
//! JSON. SARIF, JUnit and GitLab join structurally in their own modules.

use std::io::{self, Write};

use serde_json::json;

use super::comment::MARKER;

/// One project's rendering, or the error that stopped it.
pub struct Part<'a> {
    pub name: &'a str,
    /// As declared in `[[projects]]`, relative to the root.
    pub path: &'a str,
    pub body: Result<&'a str, String>,
}

/// Terminal text: a rule line naming each project, then its output.
pub fn text(parts: &[Part]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("━━ project {} ({}) ━━\n\n", part.name, part.path));
        match &part.body {
            Ok(body) => out.push_str(body),
            Err(e) => out.push_str(&format!("error: {e}\n")),
        }
    }
    out
}

/// GitHub annotations: each project's lines, one after the other; an error is an `::error`.
pub fn annotations(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match &part.body {
            Ok(body) => out.push_str(body),
            Err(e) => out.push_str(&super::github::error_annotation(
                &format!("envparity {}", part.name),
                e,
            )),
        }
    }
    out
}

/// The Markdown document: a list of the projects, then each project's document under a
/// heading of its own, its headings one level lower.
pub fn markdown(parts: &[Part]) -> String {
    let mut out = format!("# Environments of {} projects\n\n", parts.len());
    out.push_str("| Project | Path |\n|---|---|\n");
    for part in parts {
        out.push_str(&format!(
            "| {} | `{}` |\n",
            cell(part.name),
            cell(part.path)
        ));
    }
    for part in parts {
        out.push_str(&format!("\n# Project {} (`{}`)\n\n", part.name, part.path));
        match &part.body {
            Ok(body) => out.push_str(&demote(body)),
            Err(e) => out.push_str(&format!("**Error:** {}\n", cell(e))),
        }
    }
    out
}

/// The pull-request comment: one hidden marker for the whole, then each project's comment,
/// its headings one level lower, under the project's name.
pub fn comment(parts: &[Part]) -> String {
    let mut out = format!("{MARKER}\n");
    for part in parts {
        out.push_str(&format!("## {} (`{}`)\n\n", part.name, part.path));
        match &part.body {
            Ok(body) => {
                let body = body.strip_prefix(MARKER).unwrap_or(body).trim_start();
                out.push_str(&demote(body));
            }
            Err(e) => out.push_str(&format!("❌ **Error:** {}\n", cell(e))),
        }
        out.push('\n');
    }
    out
}

/// `{"projects": [{"name", "path", "document"}...], "passed"}`: each document written by
/// `write_document` (index in `parts`), an error as `{"error": ...}`. `passed` is given by
/// `check` only.
pub fn write_json(
    out: &mut dyn Write,
    parts: &[Part],
    passed: Option<bool>,
    mut write_document: impl FnMut(usize, &mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    out.write_all(b"{\n  \"projects\": [\n")?;
    for (i, part) in parts.iter().enumerate() {
        let head = json!({ "name": part.name, "path": part.path }).to_string();
        // The object without its closing brace, so that `document` or `error` can follow.
        out.write_all(&head.as_bytes()[..head.len() - 1])?;
        match &part.body {
            Ok(_) => {
                out.write_all(b", \"document\": ")?;
                write_document(i, out)?;
            }
            Err(e) => write!(out, ", \"error\": {}", json!({ "message": e }))?,
        }
        out.write_all(if i + 1 < parts.len() { b"},\n" } else { b"}\n" })?;
    }
    out.write_all(b"  ]")?;
    if let Some(passed) = passed {
        write!(out, ",\n  \"passed\": {passed}")?;
    }
    out.write_all(b"\n}\n")
}

/// Markdown headings one level lower (`#` -> `##`), outside fenced code.
fn demote(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 64);
    let mut fence: Option<&str> = None;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        match fence {
            Some(f) if trimmed.starts_with(f) => fence = None,
            Some(_) => {}
            None if trimmed.starts_with("```") => fence = Some("```"),
            None if trimmed.starts_with("~~~") => fence = Some("~~~"),
            None if line.starts_with('#') => out.push('#'),
            None => {}
        }
        out.push_str(line);
    }
    out
}

/// Text for a Markdown table cell or line: no pipe or line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(bodies: &'a [&'a str]) -> Vec<Part<'a>> {
        vec![
            Part {
                name: "api",
                path: "apps/api",
                body: Ok(bodies[0]),
            },
            Part {
                name: "web",
                path: "apps/web",
                body: Err("apps/web/compose.yml:3: bad".into()),
            },
        ]
    }

    #[test]
    fn markdown_demotes_headings_outside_code() {
        let md = markdown(&parts(&[
            "# Environments\n\n```\n# not a heading\n```\n## Services\n",
        ]));
        assert_eq!(
            md,
            "# Environments of 2 projects\n\n| Project | Path |\n|---|---|\n| api | `apps/api` |\n| web | `apps/web` |\n\n\
             # Project api (`apps/api`)\n\n## Environments\n\n```\n# not a heading\n```\n### Services\n\n\
             # Project web (`apps/web`)\n\n**Error:** apps/web/compose.yml:3: bad\n"
        );
    }

    #[test]
    fn the_comment_keeps_one_marker() {
        let body = format!("{MARKER}\n## ✅ envparity: parity check passed\n");
        let md = comment(&parts(&[&body]));
        assert_eq!(md.matches(MARKER).count(), 1);
        assert!(md.starts_with(&format!(
            "{MARKER}\n## api (`apps/api`)\n\n### ✅ envparity: parity check passed\n"
        )));
        assert!(md.contains("## web (`apps/web`)\n\n❌ **Error:** apps/web/compose.yml:3: bad\n"));
    }

    #[test]
    fn json_holds_each_document_or_its_error() {
        let mut out = Vec::new();
        write_json(&mut out, &parts(&["{}"]), Some(false), |_, w| {
            w.write_all(b"{\"schema_version\": 2}")
        })
        .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            doc,
            json!({
                "projects": [
                    {"name": "api", "path": "apps/api", "document": {"schema_version": 2}},
                    {"name": "web", "path": "apps/web", "error": {"message": "apps/web/compose.yml:3: bad"}},
                ],
                "passed": false,
            })
        );
    }
}
