//! Renders the pull-request delta (`check --base REV`): the score before and after, findings
//! added and fixed, differences introduced and closed. Text and Markdown lead the check
//! output with it; JSON carries it as a `delta` object. Everything was computed in
//! `crate::delta`; messages are the findings' own (secrets masked there).

use std::fmt::Write;

use super::markdown::escape as md;
use crate::delta::{Delta, Difference};
use crate::rules::Finding;

/// Lists longer than this are cut, with the count of the rest.
const LIST_MAX: usize = 50;

fn signed(d: f64) -> String {
    if d.abs() < 0.05 {
        "±0".into()
    } else {
        format!("{d:+.1}")
    }
}

/// One line for a CI log (GitHub annotations): what the change does, counted.
pub fn summary_line(d: &Delta) -> String {
    format!(
        "envparity: against {}: {} new finding(s), {} fixed, {} difference(s) introduced, {} closed; {}\n",
        d.base,
        d.added.len(),
        d.removed.len(),
        d.introduced.len(),
        d.closed.len(),
        score_line(d)
    )
}

/// SARIF with the delta: each result's `baselineState` is `new` when this change adds it and
/// `unchanged` otherwise (the base revision is the baseline: what code scanning shows as
/// introduced by the pull request), and each run's `properties.delta` counts the change.
pub fn sarif(doc: &mut serde_json::Value, d: &Delta) {
    let added: std::collections::BTreeSet<String> =
        d.added.iter().map(Finding::fingerprint).collect();
    let key = super::sarif::FINGERPRINT_KEY;
    let Some(runs) = doc["runs"].as_array_mut() else {
        return;
    };
    for run in runs {
        if let Some(results) = run["results"].as_array_mut() {
            for r in results {
                let new = r["partialFingerprints"][key]
                    .as_str()
                    .is_some_and(|f| added.contains(f));
                r["baselineState"] = serde_json::json!(if new { "new" } else { "unchanged" });
            }
        }
        run["properties"]["delta"] = serde_json::json!({
            "base": d.base,
            "scoreBefore": d.score_before,
            "scoreAfter": d.score_after,
            "added": d.added.len(),
            "removed": d.removed.len(),
        });
    }
}

fn score_line(d: &Delta) -> String {
    format!(
        "score {:.1} -> {:.1} ({})",
        d.score_before,
        d.score_after,
        signed(d.score_after - d.score_before)
    )
}

fn place(f: &Finding) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        _ => String::new(),
    }
}

fn difference(d: &Difference) -> String {
    match &d.service {
        Some(s) => format!("{s}: {}", d.aspect),
        None => format!("(environment-wide) {}", d.aspect),
    }
}

/// The delta as plain text, for the top of `check`'s text output.
pub fn text(d: &Delta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Change against {}: {}", d.base, score_line(d));
    for (title, list) in [("new findings", &d.added), ("fixed findings", &d.removed)] {
        let _ = writeln!(out, "  {title}: {}", list.len());
        for f in list.iter().take(LIST_MAX) {
            let _ = writeln!(
                out,
                "    {}[{}] {}  {}",
                f.severity.as_str(),
                f.rule,
                f.message,
                place(f)
            );
        }
        more(&mut out, list.len(), "    ");
    }
    for (title, list) in [
        ("differences introduced", &d.introduced),
        ("differences closed", &d.closed),
    ] {
        let _ = writeln!(out, "  {title}: {}", list.len());
        for x in list.iter().take(LIST_MAX) {
            let _ = writeln!(out, "    {}", difference(x));
        }
        more(&mut out, list.len(), "    ");
    }
    out.push('\n');
    out
}

fn more(out: &mut String, n: usize, indent: &str) {
    if n > LIST_MAX {
        let _ = writeln!(out, "{indent}... and {} more", n - LIST_MAX);
    }
}

/// The delta as Markdown, the first section of the pull-request comment.
pub fn markdown(d: &Delta) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### What this change does (against `{}`)\n",
        md(&d.base).replace('`', "'")
    );
    let _ = writeln!(
        out,
        "**{}** · {} new finding{} · {} fixed · {} difference{} introduced · {} closed\n",
        score_line(d),
        d.added.len(),
        if d.added.len() == 1 { "" } else { "s" },
        d.removed.len(),
        d.introduced.len(),
        if d.introduced.len() == 1 { "" } else { "s" },
        d.closed.len()
    );
    for (title, list) in [("New findings", &d.added), ("Fixed findings", &d.removed)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{title}:\n\n| Severity | Rule | Finding | Where |\n|---|---|---|---|"
        );
        for f in list.iter().take(LIST_MAX) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity.as_str(),
                f.rule,
                md(&f.message),
                md(&place(f))
            );
        }
        more(&mut out, list.len(), "");
        out.push('\n');
    }
    for (title, list) in [
        ("Differences introduced", &d.introduced),
        ("Differences closed", &d.closed),
    ] {
        if list.is_empty() {
            continue;
        }
        let items: Vec<String> = list
            .iter()
            .take(LIST_MAX)
            .map(|x| format!("`{}`", md(&difference(x)).replace('`', "'")))
            .collect();
        let _ = write!(out, "{title}: {}", items.join(", "));
        if list.len() > LIST_MAX {
            let _ = write!(out, ", and {} more", list.len() - LIST_MAX);
        }
        out.push_str("\n\n");
    }
    out
}

/// The delta as JSON (the `delta` object of `check --format json`).
pub fn json(d: &Delta) -> serde_json::Value {
    let finding = |f: &Finding| {
        serde_json::json!({
            "rule": f.rule,
            "severity": f.severity.as_str(),
            "environment": f.environment,
            "service": f.service,
            "setting": f.setting,
            "file": f.file,
            "line": f.line,
            "message": f.message,
            "fingerprint": f.fingerprint(),
        })
    };
    let diff = |x: &Difference| serde_json::json!({"service": x.service, "aspect": x.aspect});
    serde_json::json!({
        "base": d.base,
        "score": {"before": d.score_before, "after": d.score_after},
        "components": d.components.iter().map(|c| serde_json::json!({
            "name": c.name, "before": c.before, "after": c.after,
        })).collect::<Vec<_>>(),
        "added": d.added.iter().map(finding).collect::<Vec<_>>(),
        "removed": d.removed.iter().map(finding).collect::<Vec<_>>(),
        "differences_introduced": d.introduced.iter().map(diff).collect::<Vec<_>>(),
        "differences_closed": d.closed.iter().map(diff).collect::<Vec<_>>(),
    })
}
