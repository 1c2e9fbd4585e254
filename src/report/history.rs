//! Renders `envparity history`: one row per commit that changed configuration, newest first,
//! with its parity score and finding counts. Text for the terminal, Markdown for an audit
//! page, JSON for tools, HTML with an SVG sparkline of the score. Commit messages are
//! repository text: escaped like every other.

use std::fmt::Write;

use super::html::page::Page;
use super::markdown::escape as md_cell;
use crate::history::{commit_date, History, Row};

/// Output formats of `envparity history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    Text,
    Md,
    Json,
    Html,
}

pub fn render(format: HistoryFormat, root: &str, history: &History) -> String {
    match format {
        HistoryFormat::Text => text(history),
        HistoryFormat::Md => markdown(root, history),
        HistoryFormat::Json => json(root, history),
        HistoryFormat::Html => html(root, history),
    }
}

/// A commit's summary cut to `max` characters, on one line.
fn summary(row: &Row, max: usize) -> String {
    let s: String = row.commit.summary.chars().take(max).collect();
    let cut = if row.commit.summary.chars().count() > max {
        "…"
    } else {
        ""
    };
    format!("{}{cut}", crate::escape::control(&s))
}

fn counts(row: &Row) -> String {
    match &row.outcome {
        Ok(j) => format!(
            "{:.1}  {}e {}w {}n  {}",
            j.score,
            j.errors,
            j.warnings,
            j.notes,
            if j.passed { "passed" } else { "FAILED" }
        ),
        Err(why) => format!("not judged: {}", crate::escape::control(why)),
    }
}

fn footer(history: &History) -> Option<String> {
    if history.rows.is_empty() {
        return Some("No commit in range changed configuration.".into());
    }
    history.truncated.then(|| {
        format!(
            "The walk stopped after {} commits; use --since to start later.",
            crate::history::MAX_WALKED
        )
    })
}

fn text(history: &History) -> String {
    let mut out = String::new();
    for row in &history.rows {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}",
            row.commit.short_id(),
            commit_date(&row.commit),
            counts(row),
            summary(row, 60)
        );
    }
    if let Some(f) = footer(history) {
        let _ = writeln!(out, "{f}");
    }
    out
}

fn markdown(root: &str, history: &History) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Parity history\n");
    let _ = writeln!(
        out,
        "Commits of `{}` that changed configuration, newest first. Regenerate it with `envparity history`.\n",
        md_cell(root)
    );
    let _ = writeln!(
        out,
        "| Commit | Date | Score | Errors | Warnings | Notes | Gate | Summary |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|---|");
    for row in &history.rows {
        let (score, e, w, n, gate) = match &row.outcome {
            Ok(j) => (
                format!("{:.1}", j.score),
                j.errors.to_string(),
                j.warnings.to_string(),
                j.notes.to_string(),
                if j.passed { "passed" } else { "failed" }.to_string(),
            ),
            Err(why) => (
                "–".into(),
                "–".into(),
                "–".into(),
                "–".into(),
                format!("not judged: {}", md_cell(why)),
            ),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {score} | {e} | {w} | {n} | {gate} | {} |",
            row.commit.short_id(),
            commit_date(&row.commit),
            md_cell(&summary(row, 80))
        );
    }
    if let Some(f) = footer(history) {
        let _ = writeln!(out, "\n{f}");
    }
    out
}

fn json(root: &str, history: &History) -> String {
    let rows: Vec<serde_json::Value> = history
        .rows
        .iter()
        .map(|row| {
            let mut v = serde_json::json!({
                "commit": row.commit.id.to_string(),
                "date": commit_date(&row.commit).to_string(),
                "time": row.commit.time,
                "summary": row.commit.summary,
            });
            match &row.outcome {
                Ok(j) => {
                    v["environments"] = serde_json::json!(j.environments);
                    v["score"] = serde_json::json!((j.score * 10.0).round() / 10.0);
                    v["findings"] = serde_json::json!({
                        "errors": j.errors, "warnings": j.warnings, "notes": j.notes, "waived": j.waived,
                    });
                    v["passed"] = serde_json::json!(j.passed);
                }
                Err(why) => v["error"] = serde_json::json!(why),
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "envparity", "version": env!("CARGO_PKG_VERSION")},
        "root": root,
        "commits": rows,
        "truncated": history.truncated,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

const SPARK_WIDTH: f64 = 480.0;
const SPARK_HEIGHT: f64 = 60.0;

/// The scores oldest to newest as an SVG polyline (0 at the bottom, 100 at the top); its
/// `<title>` lists the scores for a screen reader.
fn sparkline(page: &mut Page, history: &History) {
    let scores: Vec<f64> = history
        .rows
        .iter()
        .rev()
        .filter_map(|r| r.outcome.as_ref().ok().map(|j| j.score))
        .collect();
    let step = if scores.len() > 1 {
        SPARK_WIDTH / (scores.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<String> = scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = SPARK_HEIGHT - s.clamp(0.0, 100.0) / 100.0 * SPARK_HEIGHT;
            format!("{:.1},{:.1}", i as f64 * step, y)
        })
        .collect();
    let title: Vec<String> = scores.iter().map(|s| format!("{s:.1}")).collect();
    let (w, h) = (SPARK_WIDTH + 8.0, SPARK_HEIGHT + 8.0);
    page.open(
        "svg",
        &[
            ("xmlns", Some("http://www.w3.org/2000/svg")),
            ("viewBox", Some(&format!("-4 -4 {w} {h}"))),
            ("width", Some(&w.to_string())),
            ("height", Some(&h.to_string())),
            ("role", Some("img")),
        ],
    );
    page.element(
        "title",
        &[],
        &format!("Parity score, oldest to newest: {}", title.join(", ")),
    );
    page.open(
        "polyline",
        &[
            ("fill", Some("none")),
            ("stroke", Some("currentColor")),
            ("stroke-width", Some("2")),
            ("points", Some(&points.join(" "))),
        ],
    )
    .close("polyline");
    page.close("svg");
}

fn html(root: &str, history: &History) -> String {
    let mut page = Page::default();
    page.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Parity history</title><style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;background:#fff}table{border-collapse:collapse}th,td{padding:.3rem .6rem;border-bottom:1px solid #ccc;text-align:left}td.n{text-align:right}@media (prefers-color-scheme:dark){body{color:#eee;background:#161616}th,td{border-color:#444}}</style></head><body>").nl();
    page.element("h1", &[], "Parity history").nl();
    page.open("p", &[])
        .text(&format!(
            "Commits of {root} that changed configuration, newest first."
        ))
        .close("p")
        .nl();
    page.open("figure", &[]);
    sparkline(&mut page, history);
    page.close("figure").nl();
    page.raw("<table><thead><tr><th scope=\"col\">Commit</th><th scope=\"col\">Date</th><th scope=\"col\">Score</th><th scope=\"col\">Errors</th><th scope=\"col\">Warnings</th><th scope=\"col\">Notes</th><th scope=\"col\">Gate</th><th scope=\"col\">Summary</th></tr></thead><tbody>").nl();
    for row in &history.rows {
        page.raw("<tr>");
        page.element("td", &[], &row.commit.short_id());
        page.element("td", &[], &commit_date(&row.commit).to_string());
        match &row.outcome {
            Ok(j) => {
                for n in [
                    format!("{:.1}", j.score),
                    j.errors.to_string(),
                    j.warnings.to_string(),
                    j.notes.to_string(),
                ] {
                    page.element("td", &[("class", Some("n"))], &n);
                }
                page.element("td", &[], if j.passed { "passed" } else { "failed" });
            }
            Err(why) => {
                page.raw("<td colspan=\"5\">");
                page.text(&format!("not judged: {why}"));
                page.raw("</td>");
            }
        }
        page.element("td", &[], &summary(row, 80));
        page.raw("</tr>").nl();
    }
    page.raw("</tbody></table>").nl();
    if let Some(f) = footer(history) {
        page.element("p", &[], &f).nl();
    }
    page.raw("</body></html>").nl();
    page.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::snapshot::CommitInfo;
    use crate::history::Judgement;

    fn row(n: u8, score: f64, summary: &str) -> Row {
        Row {
            commit: CommitInfo {
                id: gix::ObjectId::from_bytes_or_panic(&[n; 20]),
                time: 1_764_633_600 + i64::from(n) * 86_400,
                summary: summary.into(),
            },
            outcome: Ok(Judgement {
                environments: vec!["staging".into(), "production".into()],
                score,
                errors: usize::from(n),
                warnings: 1,
                notes: 0,
                waived: 0,
                passed: n == 0,
            }),
        }
    }

    #[test]
    fn rows_render_in_every_format_with_summaries_escaped() {
        let history = History {
            rows: vec![
                row(2, 80.0, "bump | web\u{1b}[31m"),
                Row {
                    outcome: Err("no environments found".into()),
                    ..row(1, 0.0, "start")
                },
                row(0, 100.0, "init"),
            ],
            truncated: false,
        };
        let t = text(&history);
        assert!(
            t.starts_with(
                "020202020202  2025-12-04  80.0  2e 1w 0n  FAILED  bump | web\\x1b[31m\n"
            ),
            "{t}"
        );
        assert!(t.contains("not judged: no environments found"), "{t}");
        let md = markdown(".", &history);
        assert!(md.contains("| `020202020202` | 2025-12-04 | 80.0 | 2 | 1 | 0 | failed | bump \\| web\\x1b[31m |"), "{md}");
        let j: serde_json::Value = serde_json::from_str(&json(".", &history)).unwrap();
        assert_eq!(j["commits"][0]["score"], 80.0);
        assert_eq!(j["commits"][1]["error"], "no environments found");
        assert_eq!(j["commits"][2]["passed"], true);
        let h = html(".", &history);
        assert!(h.contains("points=\"0.0,0.0 480.0,12.0\""), "{h}");
        assert!(!h.contains('\u{1b}'));
    }
}
