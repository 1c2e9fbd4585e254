//! The live section: the running servers of each environment side by side, the schema
//! differences, and the declared settings the servers do not run. Text and Markdown here; the
//! JSON is the `LiveComparison` itself (docs/json-schema.md, `live`).

use std::fmt::Write;

use crate::live::compare::{KindComparison, LiveComparison};

/// Plain text: aligned columns, a `≠` after rows that differ.
pub fn text(live: &LiveComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Running servers");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &live.servers {
        let what = match (&s.error, &s.version) {
            (Some(e), _) => format!("error: {e}"),
            (None, Some(v)) => match &s.database {
                Some(db) => format!("{v}, database {db}"),
                None => v.clone(),
            },
            (None, None) => String::new(),
        };
        rows.push(vec![
            s.environment.clone(),
            s.kind.label().to_string(),
            s.host.clone(),
            what,
        ]);
        if let Some(w) = &s.warning {
            rows.push(vec![
                String::new(),
                String::new(),
                String::new(),
                format!("warning: {w}"),
            ]);
        }
    }
    columns(&mut out, &rows);
    for k in &live.comparisons {
        let _ = writeln!(out, "\n{} (reference: {})", k.kind.label(), k.reference);
        let mut rows = vec![header(k)];
        for r in &k.rows {
            let mut row = vec![format!("{} {}", r.section, r.item)];
            row.extend(
                r.values
                    .iter()
                    .map(|v| v.clone().unwrap_or_else(|| "-".into())),
            );
            row.push(if r.same { String::new() } else { "≠".into() });
            rows.push(row);
        }
        columns(&mut out, &rows);
        for d in &k.schema_differences {
            let _ = writeln!(
                out,
                "\nSchema of {} against {}: {}",
                d.environment,
                d.reference,
                if d.differences.is_empty() {
                    "the same".to_string()
                } else {
                    format!("{} differences", d.differences.len())
                }
            );
            for line in &d.differences {
                let _ = writeln!(out, "  - {}", line.message);
            }
        }
    }
    if !live.declared_vs_running.is_empty() {
        let _ = writeln!(out, "\nDeclared vs running (EP022)");
        for m in &live.declared_vs_running {
            let _ = writeln!(
                out,
                "  {} {}: `{}` declared `{}` ({}), running `{}` at {}",
                m.environment, m.service, m.setting, m.declared, m.origin, m.running, m.host
            );
        }
    }
    if !live.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &live.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

/// Markdown: one table per kind of server, differing values in bold.
pub fn markdown(live: &LiveComparison, heading: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{heading} Running servers\n");
    let _ = writeln!(out, "| Environment | Server | Host | Version |");
    let _ = writeln!(out, "|---|---|---|---|");
    for s in &live.servers {
        let what = match (&s.error, &s.version) {
            (Some(e), _) => format!("**error**: {}", escape(e)),
            (None, Some(v)) => escape(v),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {what} |",
            escape(&s.environment),
            s.kind.label(),
            escape(&s.host)
        );
    }
    let _ = writeln!(out);
    for k in &live.comparisons {
        let _ = writeln!(
            out,
            "{heading}# {} (reference: {})\n",
            k.kind.label(),
            k.reference
        );
        let head = header(k);
        let _ = writeln!(out, "| {} |", head[..head.len() - 1].join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(head.len() - 1));
        for r in &k.rows {
            let cells: Vec<String> = r
                .values
                .iter()
                .map(|v| {
                    let v = escape(v.as_deref().unwrap_or("—"));
                    if r.same {
                        v
                    } else {
                        format!("**{v}**")
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} {} | {} |",
                r.section,
                escape(&r.item),
                cells.join(" | ")
            );
        }
        let _ = writeln!(out);
        for d in &k.schema_differences {
            let _ = writeln!(
                out,
                "Schema of {} against {}: {}.\n",
                d.environment,
                d.reference,
                if d.differences.is_empty() {
                    "the same".to_string()
                } else {
                    format!("{} differences", d.differences.len())
                }
            );
            for line in &d.differences {
                let _ = writeln!(out, "- {}", escape(&line.message));
            }
            if !d.differences.is_empty() {
                let _ = writeln!(out);
            }
        }
    }
    if !live.declared_vs_running.is_empty() {
        let _ = writeln!(out, "{heading}# Declared vs running (EP022)\n");
        let _ = writeln!(
            out,
            "| Environment | Service | Setting | Declared | Running |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for m in &live.declared_vs_running {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | `{}` ({}) | `{}` at `{}` |",
                escape(&m.environment),
                escape(&m.service),
                m.setting,
                escape(&m.declared),
                m.origin,
                escape(&m.running),
                escape(&m.host)
            );
        }
        let _ = writeln!(out);
    }
    for n in &live.notes {
        let _ = writeln!(out, "- Note: {}", escape(n));
    }
    if !live.notes.is_empty() {
        let _ = writeln!(out);
    }
    out
}

fn header(k: &KindComparison) -> Vec<String> {
    let mut head = vec!["Item".to_string()];
    head.extend(k.environments.iter().cloned());
    head.push(String::new());
    head
}

fn columns(out: &mut String, rows: &[Vec<String>]) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from(" ");
        for (i, c) in r.iter().enumerate() {
            let _ = write!(line, " {c:<w$}", w = widths[i]);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
