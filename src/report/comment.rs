//! Markdown made to be posted as a pull-request comment: a hidden marker line (so a CI job
//! finds and updates its one comment), the verdict, the score and the top findings first, the
//! details in collapsible sections, and never longer than [`MAX_LEN`] (GitHub refuses comments
//! over 65,536 characters). When the details do not fit, the score tables are cut first (whole
//! rows from the end), the findings last: errors before warnings before notes, each group
//! keeping its heading and saying how many of its findings were left out; a note points to the
//! full report.
//!
//! No setting value is printed: only findings' messages (which never hold a secret), names of
//! services and settings, and the score.

use std::fmt::Write;

use super::format::{self, plural};
use super::ReportInput;
use crate::policy::Severity;
use crate::rules::Finding;
use crate::score::ComponentScore;
use crate::verdict::Kind;

/// The longest comment rendered, in bytes (so also in characters).
pub const MAX_LEN: usize = 65_000;
/// Findings repeated in the summary.
const TOP: usize = 5;
/// A single line longer than this is clipped, so one odd message cannot crowd out the rest.
const MAX_LINE: usize = 2_000;
/// The comment's first line, invisible once rendered: what a CI job searches for to update its
/// comment instead of adding another.
pub const MARKER: &str = "<!-- envparity-comment -->";
/// Room kept per findings group for its "not listed" line.
const MORE_LINE: usize = 120;

/// A part of the comment: an opening, lines that may be dropped from the end, a closing.
struct Block {
    open: String,
    lines: Vec<String>,
    close: String,
    /// Lower is shortened first.
    cut_order: u8,
    title: &'static str,
}

impl Block {
    fn len(&self) -> usize {
        if self.lines.is_empty() {
            0
        } else {
            self.open.len() + self.lines.iter().map(String::len).sum::<usize>() + self.close.len()
        }
    }
}

pub fn render(input: &ReportInput, full_report_hint: &str) -> String {
    render_within(input, full_report_hint, MAX_LEN)
}

/// The comment in at most `max_len` bytes (a monorepo's project gets its share of one
/// comment).
pub fn render_within(input: &ReportInput, full_report_hint: &str, max_len: usize) -> String {
    let blocks = vec![
        summary(input),
        all_findings(input),
        categories(input),
        services(input),
        lost(input),
    ];
    fit(
        blocks,
        input.analysis.findings.len(),
        full_report_hint,
        max_len,
    )
}

/// Drop lines until the whole fits in `max_len` with the truncation note, then join.
fn fit(mut blocks: Vec<Block>, total_findings: usize, hint: &str, max_len: usize) -> String {
    let total = |blocks: &[Block]| blocks.iter().map(Block::len).sum::<usize>();
    let mut cut: Vec<&'static str> = Vec::new();
    if total(&blocks) > max_len {
        // Room for the note: its fixed words, the hint, the section titles and the numbers.
        let reserve = 400
            + MARKER.len()
            + hint.len()
            + blocks.iter().map(|b| b.title.len() + 2).sum::<usize>();
        let budget = max_len.saturating_sub(reserve);
        let mut order: Vec<usize> = (0..blocks.len()).collect();
        order.sort_by_key(|i| blocks[*i].cut_order);
        for i in order {
            let size = total(&blocks);
            if size <= budget {
                break;
            }
            let others = size - blocks[i].len();
            let b = &mut blocks[i];
            cut.push(b.title);
            if b.title == ALL_FINDINGS {
                trim_findings(b, budget.saturating_sub(others));
                continue;
            }
            let mut size = size;
            while size > budget {
                let Some(l) = b.lines.pop() else { break };
                // An emptied block loses its opening and closing too.
                size = if b.lines.is_empty() {
                    others
                } else {
                    size - l.len()
                };
            }
            // No heading left without what it heads.
            while b.lines.last().is_some_and(|l| l.starts_with("### ")) {
                b.lines.pop();
            }
        }
    }
    let mut out = format!("{MARKER}\n");
    for b in &blocks {
        if b.lines.is_empty() {
            continue;
        }
        out.push_str(&b.open);
        for l in &b.lines {
            out.push_str(l);
        }
        out.push_str(&b.close);
    }
    if !cut.is_empty() {
        let listed = blocks
            .iter()
            .filter(|b| b.title == ALL_FINDINGS)
            .flat_map(|b| &b.lines)
            .filter(|l| l.starts_with("- "))
            .count();
        let _ = write!(
            out,
            "\n---\n\n✂️ **Truncated** to fit a pull-request comment ({} characters at most): {listed} of {total_findings} finding{} listed; shortened or left out: {}; {}.\n",
            thousands(max_len),
            plural(total_findings as u32),
            cut.join(", "),
            hint
        );
    }
    out
}

const ALL_FINDINGS: &str = "all findings";

/// Fits the findings block into `room` bytes: findings are kept in order (errors, warnings,
/// notes, waived) while they fit; every group keeps its heading, and one that lost findings
/// ends with a line saying how many are not listed.
fn trim_findings(b: &mut Block, room: usize) {
    let groups = split_groups(std::mem::take(&mut b.lines));
    let fixed = b.open.len()
        + b.close.len()
        + groups
            .iter()
            .map(|(heading, _)| heading.len() + 1 + MORE_LINE)
            .sum::<usize>();
    let mut left = room.saturating_sub(fixed);
    for (i, (heading, findings)) in groups.into_iter().enumerate() {
        if i > 0 {
            b.lines.push("\n".to_string());
        }
        b.lines.push(heading);
        let total = findings.len();
        let mut kept = 0;
        for f in findings {
            if f.len() > left {
                break;
            }
            left -= f.len();
            b.lines.push(f);
            kept += 1;
        }
        if kept < total {
            b.lines.push(format!(
                "{}… {} more not listed (of {}).\n",
                if kept > 0 { "\n" } else { "" },
                thousands(total - kept),
                thousands(total)
            ));
        }
    }
}

/// The findings block's lines as (heading, finding lines) per group.
fn split_groups(lines: Vec<String>) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for l in lines {
        if l.starts_with("### ") {
            groups.push((l, Vec::new()));
        } else if l.starts_with("- ") {
            if let Some((_, findings)) = groups.last_mut() {
                findings.push(l);
            }
        }
    }
    groups
}

fn summary(input: &ReportInput) -> Block {
    let a = input.analysis;
    let c = input.comparison;
    let s = &a.score;
    let mut lines = Vec::new();
    lines.push(if a.passed {
        "## ✅ envparity: parity check passed\n\n".to_string()
    } else {
        "## ❌ envparity: parity check failed\n\n".to_string()
    });
    let envs = if c.environments.is_empty() {
        "no environments found".to_string()
    } else {
        format!(
            "{} (reference: {})",
            c.environments.join(", "),
            c.environments[c.reference]
        )
    };
    lines.push(format!(
        "**Parity score: {} / 100** (min_score {}) · {} of {} items in parity · {}\n\n",
        number(s.overall),
        number(s.min_score),
        s.in_parity,
        s.items,
        text(&envs)
    ));
    let count = |sev: Severity| {
        a.findings
            .iter()
            .filter(|f| f.waived.is_none() && !f.baselined && f.severity == sev)
            .count()
    };
    let waived = a.findings.iter().filter(|f| f.waived.is_some()).count();
    let failing = a.failing().count();
    let policy = match &a.policy_file {
        Some(p) => format!("policy {}", code(p)),
        None => "default policy".to_string(),
    };
    lines.push(format!(
        "**Findings:** {} · {} · {} · {waived} waived · {failing} at or above `{}` ({policy})\n\n",
        counted(count(Severity::Error), "error"),
        counted(count(Severity::Warning), "warning"),
        counted(count(Severity::Note), "note"),
        a.fail_on.as_str(),
    ));
    if let Some(b) = &a.baseline {
        lines.push(format!(
            "**Baseline** {}: {} new · {} baselined · {} fixed\n\n",
            code(&b.file),
            b.new,
            b.baselined,
            b.fixed.len()
        ));
    }
    for line in super::capacity::summary_lines(input)
        .into_iter()
        .chain(super::cost::summary_line(input))
    {
        lines.push(format!("**{}**\n\n", text(&line)));
    }
    let top: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.waived.is_none() && !f.baselined)
        .take(TOP)
        .collect();
    if top.is_empty() {
        lines.push("No unwaived finding.\n\n".to_string());
    } else {
        lines.push("**Top findings**\n\n".to_string());
        for (i, f) in top.iter().enumerate() {
            lines.push(format!(
                "{}. {} {}\n",
                i + 1,
                icon(f.severity),
                finding_line(f)
            ));
        }
        lines.push("\n".to_string());
    }
    Block {
        open: String::new(),
        lines: lines.into_iter().map(clip).collect(),
        close: String::new(),
        cut_order: 4,
        title: "summary",
    }
}

fn all_findings(input: &ReportInput) -> Block {
    let findings = &input.analysis.findings;
    let mut lines = Vec::new();
    // Unwaived findings by severity, then the baselined and the waived ones.
    let groups = [
        ("Errors", Some(Severity::Error), false),
        ("Warnings", Some(Severity::Warning), false),
        ("Notes", Some(Severity::Note), false),
        ("Baselined", None, true),
        ("Waived", None, false),
    ];
    for (title, severity, baselined) in groups {
        let group: Vec<&Finding> = findings
            .iter()
            .filter(|f| match severity {
                Some(s) => f.waived.is_none() && !f.baselined && f.severity == s,
                None if baselined => f.waived.is_none() && f.baselined,
                None => f.waived.is_some(),
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        // Finding lines, and only they, start with `- ` (the truncation note counts them).
        if !lines.is_empty() {
            lines.push("\n".to_string());
        }
        lines.push(format!("### {title} ({})\n\n", group.len()));
        for f in group {
            let mut l = format!("- {}", finding_line(f));
            if let Some(reason) = &f.waived {
                let _ = write!(l, " · waived: {}", text(reason));
            }
            l.push('\n');
            lines.push(clip(l));
        }
    }
    if let Some(b) = input
        .analysis
        .baseline
        .as_ref()
        .filter(|b| !b.fixed.is_empty())
    {
        if !lines.is_empty() {
            lines.push("\n".to_string());
        }
        lines.push(format!(
            "### Fixed since the baseline ({}): stale entries, `envparity baseline` rewrites the file\n\n",
            b.fixed.len()
        ));
        for e in &b.fixed {
            let place = e.place();
            let mut l = format!("* **{}** {}", e.rule, text(&e.message));
            if !place.is_empty() {
                let _ = write!(l, " · was {}", code(&place));
            }
            l.push('\n');
            lines.push(clip(l));
        }
    }
    Block {
        open: format!(
            "<details><summary>All findings ({})</summary>\n\n",
            findings.len()
        ),
        lines,
        close: "\n</details>\n\n".to_string(),
        cut_order: 3,
        title: ALL_FINDINGS,
    }
}

fn categories(input: &ReportInput) -> Block {
    let s = &input.analysis.score;
    component_scores(
        input,
        &s.categories,
        "Category",
        text_cell,
        2,
        "score by category",
    )
}

fn services(input: &ReportInput) -> Block {
    let s = &input.analysis.score;
    component_scores(
        input,
        &s.services,
        "Service",
        code_cell,
        0,
        "score by service",
    )
}

/// A collapsible table of component scores (categories or services).
fn component_scores(
    input: &ReportInput,
    components: &[ComponentScore],
    heading: &str,
    name_cell: fn(&str) -> String,
    cut_order: u8,
    title: &'static str,
) -> Block {
    let envs = &input.comparison.environments;
    let mut lines = Vec::new();
    if !components.is_empty() {
        lines.push(table_header(&[heading, "Score", "In parity"], envs));
        for c in components {
            lines.push(clip(table_row(
                &[
                    name_cell(&c.name),
                    format::percent(c.score),
                    format!("{} of {}", c.in_parity, c.items),
                ],
                &c.per_environment,
            )));
        }
    }
    let summary = title[..1].to_uppercase() + &title[1..];
    Block {
        open: format!("<details><summary>{summary}</summary>\n\n"),
        lines,
        close: "\n</details>\n\n".to_string(),
        cut_order,
        title,
    }
}

fn lost(input: &ReportInput) -> Block {
    let s = &input.analysis.score;
    let mut lines = Vec::new();
    if !s.lost.is_empty() {
        lines.push(
            "| Points | Service | Item | Why | Category |\n|---:|---|---|---|---|\n".to_string(),
        );
        for l in &s.lost {
            lines.push(clip(format!(
                "| {} | {} | {} | {} | {} |\n",
                number(l.points),
                l.service
                    .as_deref()
                    .map_or_else(|| "(environment)".to_string(), code_cell),
                code_cell(&l.item),
                kind(l.kind),
                l.category.label()
            )));
        }
    }
    Block {
        open: format!(
            "<details><summary>What lost points ({} item{})</summary>\n\n",
            s.lost.len(),
            plural(s.lost.len() as u32)
        ),
        lines,
        close: "\n</details>\n\n".to_string(),
        cut_order: 1,
        title: "what lost points",
    }
}

fn table_header(first: &[&str], envs: &[String]) -> String {
    let mut cols: Vec<String> = first.iter().map(|c| c.to_string()).collect();
    cols.extend(envs.iter().map(|e| text_cell(e)));
    format!("| {} |\n|{}\n", cols.join(" | "), "---|".repeat(cols.len()))
}

fn table_row(first: &[String], per_env: &[Option<f64>]) -> String {
    let mut cols = first.to_vec();
    cols.extend(
        per_env
            .iter()
            .map(|p| p.map_or_else(|| "—".to_string(), format::percent)),
    );
    format!("| {} |\n", cols.join(" | "))
}

/// `**EP001** message · `file:line` · production · `web``, plus the other side of a
/// comparison.
fn finding_line(f: &Finding) -> String {
    let mut l = format!("**{}** {}", f.rule, text(&f.message));
    match (&f.file, f.line) {
        (Some(file), Some(line)) if line > 0 => {
            let _ = write!(l, " · {}", code(&format!("{file}:{line}")));
        }
        (Some(file), _) => {
            let _ = write!(l, " · {}", code(file));
        }
        (None, _) => {}
    }
    if let Some(env) = &f.environment {
        let _ = write!(l, " · {}", text(env));
    }
    if let Some(service) = &f.service {
        let _ = write!(l, " · {}", code(service));
    }
    for r in &f.related {
        let _ = write!(
            l,
            " · also {} {}",
            text(&r.environment),
            code(&format!("{}:{}", r.file, r.line))
        );
    }
    l
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    }
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Same => "same",
        Kind::Intended => "intended difference",
        Kind::Drift => "drift",
        Kind::Missing => "only in some environments",
        Kind::MustMatch => "must match, differs",
    }
}

fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", plural(n as u32))
}

/// `65000` -> `65,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A score or point count as given, without a trailing `.0`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// Keep one line to [`MAX_LINE`] bytes, cut on a character boundary.
fn clip(mut line: String) -> String {
    if line.len() <= MAX_LINE {
        return line;
    }
    let mut end = MAX_LINE - 4;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let newline = line.ends_with('\n');
    line.truncate(end);
    line.push('…');
    if newline {
        line.push('\n');
    }
    line
}

/// Free text that may hold Markdown code spans (rule messages do): newlines folded, and `<`, `>`
/// outside code spans written as entities so no text can open or close an HTML block (such as
/// the `<details>` around it).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    if in_code {
        // An unbalanced backtick would swallow what follows; close the span.
        out.push('`');
    }
    crate::escape::control(&out).into_owned()
}

/// A code span holding any text: a fence longer than any backtick run inside it.
fn code(s: &str) -> String {
    let s = crate::escape::control(&s.replace(['\n', '\r'], " ")).into_owned();
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Text in a table cell: pipes escaped.
fn text_cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// A code span in a table cell: pipes escaped (GFM unescapes them inside code spans too).
fn code_cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::report::sarif::testing::{finding, fixture};

    const HINT: &str = "run `envparity report PATH` for the full report";

    #[test]
    fn summary_comes_first_then_collapsible_details() {
        let mut waived = finding(
            "EP007",
            Some("production"),
            "compose.prod.yml",
            3,
            "no limits",
        );
        waived.waived = Some("dedicated hosts".into());
        let findings = vec![
            finding(
                "EP001",
                Some("production"),
                "compose.prod.yml",
                12,
                "`env.DATABASE_URL` names staging host `db-staging`",
            )
            .service("web"),
            finding(
                "EP004",
                Some("staging"),
                "compose.staging.yml",
                4,
                "same key",
            )
            .related("production", &Origin::new("compose.prod.yml", 5)),
            finding(
                "EP011",
                Some("staging"),
                "compose.staging.yml",
                9,
                "only <here>",
            ),
            waived,
        ];
        let md = render(&fixture(findings).input(), HINT);
        assert!(
            md.starts_with("<!-- envparity-comment -->\n## ❌ envparity: parity check failed\n\n"),
            "{md}"
        );
        assert!(md.contains(
            "**Findings:** 2 errors · 1 warning · 0 notes · 1 waived · 2 at or above `error` (default policy)"
        ));
        assert!(md.contains("(min_score 90)"));
        assert!(md.contains(
            "1. ❌ **EP001** `env.DATABASE_URL` names staging host `db-staging` · `compose.prod.yml:12` · production · `web`\n"
        ));
        assert!(md.contains("· also production `compose.prod.yml:5`"));
        assert!(md.contains("3. ⚠️ **EP011** only &lt;here&gt;"));
        assert!(!md.contains("4. "), "waived findings are not top findings");
        let details = md
            .find("<details><summary>All findings (4)</summary>")
            .unwrap();
        assert!(md.find("**Top findings**").unwrap() < details);
        assert!(md.contains("### Errors (2)\n\n- **EP001**"));
        assert!(md.contains("### Waived (1)\n\n- **EP007** no limits · `compose.prod.yml:3` · production · waived: dedicated hosts\n"));
        assert!(md.contains("<details><summary>Score by category</summary>\n\n| Category | Score | In parity | development | staging | production |\n|---|---|---|---|---|---|\n"));
        assert!(md.contains("<details><summary>What lost points (1 item)</summary>"));
        assert!(md.contains("| `env.DEBUG` | drift | Security settings |"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        assert!(!md.contains("Truncated"));
    }

    #[test]
    fn a_clean_run_says_so() {
        let mut fx = fixture(vec![]);
        fx.analysis.passed = true;
        let md = render(&fx.input(), HINT);
        assert!(md.starts_with(&format!(
            "{MARKER}\n## ✅ envparity: parity check passed\n\n"
        )));
        assert!(md.contains("No unwaived finding."));
        assert!(!md.contains("All findings"), "no empty section");
    }

    #[test]
    fn thousands_of_findings_are_truncated_on_a_line_boundary_with_a_pointer() {
        let findings: Vec<Finding> = (0..5000)
            .map(|i| {
                finding(
                    if i % 3 == 0 { "EP001" } else { "EP011" },
                    Some("staging"),
                    &format!("services/service-{i}/docker-compose.staging.yml"),
                    i + 1,
                    &format!("`env.SETTING_{i}` is present in staging only, not declared intended"),
                )
                .service(&format!("service-{i}"))
            })
            .collect();
        let md = render(&fixture(findings).input(), HINT);
        assert!(md.len() <= MAX_LEN, "{} bytes", md.len());
        assert!(md.chars().count() <= MAX_LEN);
        assert!(
            md.len() > MAX_LEN - 5_000,
            "uses the room it has: {}",
            md.len()
        );
        assert!(md.starts_with(&format!("{MARKER}\n## ❌ envparity")));
        assert!(md.contains("**Top findings**"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        // The tables go before any finding does.
        assert!(!md.contains("<summary>Score by"));
        assert!(!md.contains("<details><summary>What lost points"));
        // Errors first: all 1,667 do not fit, so no warning is listed, but both groups say
        // how many they hold.
        let listed_errors = md.lines().filter(|l| l.starts_with("- **EP001**")).count();
        assert!(listed_errors > 300, "{listed_errors}");
        assert!(!md.contains("- **EP011**"));
        assert!(md.contains(&format!(
            "\n… {} more not listed (of 1,667).\n",
            thousands(1667 - listed_errors)
        )));
        assert!(md.contains("### Warnings (3333)\n\n… 3,333 more not listed (of 3,333).\n"));
        let note = md.rsplit("\n---\n\n").next().unwrap();
        assert!(note.starts_with("✂️ **Truncated**"), "{note}");
        assert!(note.contains(" of 5000 findings listed; shortened or left out: score by service, what lost points, score by category, all findings; "), "{note}");
        assert!(note.ends_with(&format!("; {HINT}.\n")));
        // Every listed finding is whole.
        let listed = md.lines().filter(|l| l.starts_with("- **EP")).count();
        assert!(note.starts_with(&format!("✂️ **Truncated** to fit a pull-request comment (65,000 characters at most): {listed} of")), "{note}");
        for l in md.lines().filter(|l| l.starts_with("- **EP")) {
            assert!(l.ends_with("`"), "{l}");
        }
    }

    #[test]
    fn escaping_keeps_structure() {
        assert_eq!(
            text("a <details> `<b>` c\nd"),
            "a &lt;details&gt; `<b>` c d"
        );
        assert_eq!(text("odd `tick"), "odd `tick`");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(number(90.0), "90");
        assert_eq!(thousands(65_000), "65,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(number(72.7), "72.7");
        let long = clip("é".repeat(3000) + "\n");
        assert!(long.len() <= MAX_LINE && long.ends_with("…\n"));
    }
}
