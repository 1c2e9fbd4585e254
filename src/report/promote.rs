//! Renders `envparity promote`: text for the terminal, Markdown to paste into a release
//! ticket, JSON for tools. Everything shown was computed in `crate::promote`; values are the
//! model's masked forms, so no secret is printed.

use std::fmt::Write;

use super::format;
use crate::model::Origin;
use crate::promote::{
    Change, ChangeKind, Evidence, Item, ItemStatus, Promotion, SourceOnlyService,
};
use crate::rules::Finding;

/// Output formats of `envparity promote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PromoteFormat {
    /// Plain text for the terminal.
    Text,
    /// Markdown, for a release ticket or a pull request.
    Md,
    /// JSON (see docs/promote.md).
    Json,
}

/// What the renderers need besides the promotion.
pub struct PromoteInput<'a> {
    /// The scanned path as the user gave it.
    pub root: &'a str,
    pub promotion: &'a Promotion,
}

pub fn render(format: PromoteFormat, input: &PromoteInput) -> String {
    match format {
        PromoteFormat::Text => text(input),
        PromoteFormat::Md => markdown(input),
        PromoteFormat::Json => json(input),
    }
}

// ---- shared wording --------------------------------------------------------------------------

fn verdict_line(p: &Promotion) -> String {
    let blockers = p.blockers();
    if blockers.is_empty() {
        "Nothing blocks the promotion: it introduces no error-level finding and no must-match item would differ. Go through the checklist before promoting.".to_string()
    } else {
        format!("Blocked: {}.", blockers.join("; "))
    }
}

fn change_kind(k: &ChangeKind) -> &'static str {
    match k {
        ChangeKind::Repository => "another image repository",
        ChangeKind::Version => "new version",
    }
}

fn whose(service: Option<&str>) -> String {
    service.map_or("(environment)".to_string(), str::to_string)
}

fn at(origin: &Option<Origin>) -> String {
    origin.as_ref().map_or(String::new(), |o| format!(" ({o})"))
}

fn mark(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Verified => "[x]",
        ItemStatus::Failed => "[ ] ✗",
        ItemStatus::Unknown => "[ ] ?",
        ItemStatus::Manual => "[ ]",
    }
}

fn item_line(item: &Item) -> String {
    let rules = if item.rules.is_empty() {
        String::new()
    } else {
        format!(" ({})", item.rules.join(", "))
    };
    let reason = item
        .reason
        .as_ref()
        .map_or(String::new(), |r| format!(": could not verify ({r})"));
    format!("{} {}{rules}{reason}", mark(item.status), item.text)
}

fn evidence_line(e: &Evidence) -> String {
    let waived = e
        .waived
        .as_ref()
        .map_or(String::new(), |w| format!(" [waived: {w}]"));
    format!("{}{}{waived}", e.text, at(&e.at))
}

fn finding_line(f: &Finding) -> String {
    let place = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!(" ({file}:{line})"),
        (Some(file), None) => format!(" ({file})"),
        _ => String::new(),
    };
    let waived = f
        .waived
        .as_ref()
        .map_or(String::new(), |w| format!(" [waived: {w}]"));
    format!(
        "{} {} {}: {}{place}{waived}",
        f.severity.as_str(),
        f.rule,
        f.name,
        f.message
    )
}

fn tally(p: &Promotion) -> String {
    let count = |s: ItemStatus| {
        p.checklist
            .sections
            .iter()
            .flat_map(|sec| &sec.items)
            .filter(|i| i.status == s)
            .count()
    };
    format!(
        "{} verified, {} failed, {} could not be verified, {} for a person to check",
        count(ItemStatus::Verified),
        count(ItemStatus::Failed),
        count(ItemStatus::Unknown),
        count(ItemStatus::Manual)
    )
}

// ---- text ------------------------------------------------------------------------------------

fn text(input: &PromoteInput) -> String {
    let p = input.promotion;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Promotion: {} -> {} ({})\n  {}: {}\n  {}: {}\n",
        p.from,
        p.to,
        input.root,
        p.from,
        p.from_files.join(" + "),
        p.to,
        p.to_files.join(" + ")
    );
    let _ = writeln!(out, "{}\n", verdict_line(p));

    let _ = writeln!(out, "Images and versions that change in {}", p.to);
    if p.changes.is_empty() {
        let _ = writeln!(out, "  none: {} already runs what {} runs", p.to, p.from);
    }
    for c in &p.changes {
        let _ = writeln!(
            out,
            "  {} {}: {} -> {} ({})\n    now {}, from {}{}",
            whose(c.service.as_deref()),
            c.item,
            c.now,
            c.after,
            change_kind(&c.kind),
            c.now_at,
            c.from_at,
            c.note
                .as_ref()
                .map_or(String::new(), |n| format!("\n    note: {n}"))
        );
    }

    let _ = writeln!(out, "\nSettings {} sets that {} lacks", p.from, p.to);
    if p.expected.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for e in &p.expected {
        let intended = e
            .intended
            .as_ref()
            .map_or(String::new(), |r| format!(" [intended: {r}]"));
        let _ = writeln!(
            out,
            "  {} {} = {} ({}){intended}",
            whose(e.service.as_deref()),
            e.key,
            shown(&e.value),
            e.at
        );
    }
    for s in &p.source_only_services {
        let _ = writeln!(out, "  {}", source_only(s, p));
    }

    let _ = writeln!(out, "\nMust-match items that would differ");
    if p.must_match.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for b in &p.must_match {
        let _ = writeln!(
            out,
            "  {} {}: {}{} in {} vs {}{} in {} ({})",
            whose(b.service.as_deref()),
            b.item,
            format::cell(&b.from),
            at(&b.from.origin),
            p.from,
            format::cell(&b.to),
            at(&b.to.origin),
            p.to,
            b.reason
        );
    }

    for (title, list) in [
        ("Findings the promotion introduces", &p.introduced),
        ("Findings the promotion clears", &p.cleared),
    ] {
        let _ = writeln!(out, "\n{title}");
        if list.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for f in list {
            let _ = writeln!(out, "  {}", finding_line(f));
        }
    }

    let _ = writeln!(out, "\nPromotion checklist: {}", tally(p));
    for section in &p.checklist.sections {
        let _ = writeln!(out, "  {}", section.title);
        for item in &section.items {
            let _ = writeln!(out, "    {}", item_line(item));
            for e in &item.evidence {
                let _ = writeln!(out, "        {}", evidence_line(e));
            }
            if item.more_evidence > 0 {
                let _ = writeln!(out, "        and {} more", item.more_evidence);
            }
        }
    }
    out
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "(empty)".into()
    } else {
        format::fold(value)
    }
}

fn source_only(s: &SourceOnlyService, p: &Promotion) -> String {
    let intended = s
        .intended
        .as_ref()
        .map_or(String::new(), |r| format!(" [intended: {r}]"));
    format!(
        "service `{}` runs in {} only ({}){intended}",
        s.service, p.from, s.at
    )
}

// ---- Markdown --------------------------------------------------------------------------------

/// Inline code that stays code whatever the text holds: a fence longer than any run of
/// backticks inside, pipes escaped for tables.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    cell(&format!("{fence}{pad}{text}{pad}{fence}"))
}

/// A table cell: pipes escaped, line breaks folded.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn markdown(input: &PromoteInput) -> String {
    let p = input.promotion;
    let mut out = String::new();
    let _ = writeln!(out, "# Promotion: {} → {}\n", p.from, p.to);
    let _ = writeln!(
        out,
        "Generated by envparity {} from `{}`: what {} becomes when {}'s images and versions are promoted into it. Regenerate it: `envparity promote {} --from {} --to {} --format md`.\n",
        env!("CARGO_PKG_VERSION"),
        input.root,
        p.to,
        p.from,
        input.root,
        p.from,
        p.to
    );
    let files = |f: &[String]| {
        f.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let _ = writeln!(
        out,
        "- **From:** {} ({})\n- **To:** {} ({})\n",
        p.from,
        files(&p.from_files),
        p.to,
        files(&p.to_files)
    );
    let _ = writeln!(out, "**{}**\n", verdict_line(p));
    md_changes(&mut out, p);
    md_expected(&mut out, p);
    md_must_match(&mut out, p);
    for (title, list) in [
        ("Findings the promotion introduces", &p.introduced),
        ("Findings the promotion clears", &p.cleared),
    ] {
        let _ = writeln!(out, "## {title}\n");
        if list.is_empty() {
            let _ = writeln!(out, "None.\n");
            continue;
        }
        for f in list {
            let _ = writeln!(out, "- {}", cell(&finding_line(f)));
        }
        let _ = writeln!(out);
    }
    md_checklist(&mut out, p);
    out
}

fn md_changes(out: &mut String, p: &Promotion) {
    let _ = writeln!(out, "## Images and versions that change\n");
    if p.changes.is_empty() {
        let _ = writeln!(out, "None: {} already runs what {} runs.\n", p.to, p.from);
        return;
    }
    let _ = writeln!(
        out,
        "| Service | Item | {} now | After the promotion | Change |\n|---|---|---|---|---|",
        p.to
    );
    for c in &p.changes {
        let _ = writeln!(out, "{}", change_row(c));
    }
    let _ = writeln!(out);
}

fn change_row(c: &Change) -> String {
    format!(
        "| {} | {} | {} ({}) | {} ({}) | {} |",
        cell(&whose(c.service.as_deref())),
        code(&c.item),
        code(&c.now),
        cell(&c.now_at.to_string()),
        code(&c.after),
        cell(&c.from_at.to_string()),
        match &c.note {
            Some(note) => format!("{}: {}", change_kind(&c.kind), cell(note)),
            None => change_kind(&c.kind).to_string(),
        }
    )
}

fn md_expected(out: &mut String, p: &Promotion) {
    let _ = writeln!(out, "## Settings {} lacks\n", p.to);
    if p.expected.is_empty() && p.source_only_services.is_empty() {
        let _ = writeln!(
            out,
            "None: every setting of {}'s services is set in {}.\n",
            p.from, p.to
        );
        return;
    }
    if !p.expected.is_empty() {
        let _ = writeln!(
            out,
            "Set in {} (what the promoted version was tested with), not in {}. Secrets are masked.\n",
            p.from, p.to
        );
        let _ = writeln!(
            out,
            "| Service | Setting | {} value | Set at | Verdict |\n|---|---|---|---|---|",
            p.from
        );
        for e in &p.expected {
            let verdict = e.intended.as_ref().map_or("**missing**".to_string(), |r| {
                format!("intended: {}", cell(r))
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {verdict} |",
                cell(&whose(e.service.as_deref())),
                code(&e.key),
                cell(&shown(&e.value)),
                cell(&e.at.to_string())
            );
        }
        let _ = writeln!(out);
    }
    for s in &p.source_only_services {
        let _ = writeln!(out, "- {}", cell(&source_only(s, p)));
    }
    if !p.source_only_services.is_empty() {
        let _ = writeln!(out);
    }
}

fn md_must_match(out: &mut String, p: &Promotion) {
    let _ = writeln!(out, "## Must-match items that would differ\n");
    if p.must_match.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| Service | Item | {} | {} | Why it must match |\n|---|---|---|---|---|",
        p.from, p.to
    );
    for b in &p.must_match {
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {}{} | {} |",
            cell(&whose(b.service.as_deref())),
            code(&b.item),
            cell(&format::cell(&b.from)),
            cell(&at(&b.from.origin)),
            cell(&format::cell(&b.to)),
            cell(&at(&b.to.origin)),
            cell(&b.reason)
        );
    }
    let _ = writeln!(out);
}

fn md_checklist(out: &mut String, p: &Promotion) {
    let _ = writeln!(out, "## Promotion checklist\n");
    let _ = writeln!(
        out,
        "{}. Ticked items are verified from the configuration, ✗ marks what it shows is not so, ? what envparity checks but could not verify here; the rest is for a person.\n",
        tally(p)
    );
    for section in &p.checklist.sections {
        let _ = writeln!(out, "### {}\n", section.title);
        for item in &section.items {
            let _ = writeln!(out, "- {}", item_line(item));
            for e in &item.evidence {
                let _ = writeln!(out, "  - {}", evidence_line(e));
            }
            if item.more_evidence > 0 {
                let _ = writeln!(out, "  - and {} more", item.more_evidence);
            }
        }
        let _ = writeln!(out);
    }
}

// ---- JSON ------------------------------------------------------------------------------------

/// The promotion as JSON: the report's `schema_version` and `tool`, what was promoted, whether
/// anything blocks it, and the promotion itself.
fn json(input: &PromoteInput) -> String {
    let p = input.promotion;
    let blockers = p.blockers();
    let mut doc = serde_json::json!({
        "schema_version": super::json::SCHEMA_VERSION,
        "tool": {"name": "envparity", "version": env!("CARGO_PKG_VERSION")},
        "kind": "promotion",
        "root": input.root,
        "passed": blockers.is_empty(),
        "blockers": blockers,
    });
    if let (Some(map), Ok(serde_json::Value::Object(rest))) =
        (doc.as_object_mut(), serde_json::to_value(p))
    {
        map.extend(rest);
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_survives_backticks_and_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("run `x`"), "`` run `x` ``");
    }
}
