//! Terminal tables: one per service, then resource totals and notes. Colour marks what differs
//! (yellow) and what exists in some environments only (red); same values are dimmed.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, Color, ContentArrangement, Table,
};

use super::format;
use super::ReportInput;
use crate::compare::{Aspect, CellValue, Row, Status};
use crate::escape::control as esc;

pub fn render(input: &ReportInput, color: bool) -> String {
    let c = input.comparison;
    let width = width();
    let mut out = String::new();
    let bold = if color {
        Style::new().bold()
    } else {
        Style::new()
    };
    let heading = |out: &mut String, text: &str| {
        let folded = fold("", &esc(text), width);
        let _ = writeln!(out, "{bold}{}{bold:#}", folded.trim_end());
    };
    if c.environments.is_empty() {
        let _ = writeln!(out, "No environments found.");
        return out;
    }
    heading(
        &mut out,
        &format!("Environments: {}", c.environments.join(" < ")),
    );
    for (e, files) in c.environments.iter().zip(input.files) {
        let escaped: Vec<_> = files.iter().map(|f| esc(f)).collect();
        out.push_str(&wrap_list(
            &format!("  {}: ", esc(e)),
            &escaped,
            " + ",
            width,
        ));
    }
    let s = &c.summary;
    let _ = writeln!(
        out,
        "  {} services ({} in every environment), {} same, {} different, {} in some only\n",
        s.services, s.services_in_all, s.rows_same, s.rows_different, s.rows_partial
    );

    for svc in &c.services {
        let members: Vec<String> = c
            .environments
            .iter()
            .zip(&svc.members)
            .filter(|(_, m)| !m.is_empty())
            .map(|(e, m)| format!("{e}: {}", m.join(", ")))
            .collect();
        heading(
            &mut out,
            &format!("{} ({}) — {}", svc.name, svc.role, members.join("; ")),
        );
        for reason in &svc.alignment {
            out.push_str(&fold("  aligned: ", &esc(reason), width));
        }
        let mut table = new_table(color, width);
        let mut head = vec![Cell::new("Aspect")];
        head.extend(c.environments.iter().map(|e| Cell::new(esc(e))));
        head.push(Cell::new("Notes"));
        table.set_header(head);
        for r in &svc.rows {
            if r.cells.iter().all(|cell| cell.value == CellValue::Absent) {
                continue;
            }
            table.add_row(row_cells(input, r, &format::aspect(&r.aspect), color));
        }
        let _ = writeln!(out, "{table}\n");
    }

    if c.environment_rows.iter().any(|r| r.status != Status::Same) {
        heading(&mut out, "Environment-wide settings");
        let mut table = new_table(color, width);
        let mut head = vec![Cell::new("Setting")];
        head.extend(c.environments.iter().map(|e| Cell::new(esc(e))));
        head.push(Cell::new("Notes"));
        table.set_header(head);
        for r in &c.environment_rows {
            table.add_row(row_cells(input, r, &format::aspect(&r.aspect), color));
        }
        let _ = writeln!(out, "{table}\n");
    }

    heading(&mut out, "Resource totals (limit × instances)");
    let mut table = new_table(color, width);
    let mut head = vec![Cell::new("Total")];
    head.extend(c.environments.iter().map(|e| Cell::new(esc(e))));
    table.set_header(head);
    let reference = &c.environments[c.reference];
    type Line = (String, fn(&crate::compare::Totals) -> String);
    let lines: Vec<Line> = vec![
        ("Services declared".into(), |t| {
            t.declared_services.to_string()
        }),
        ("Instances".into(), |t| t.instances.to_string()),
        ("CPU limit".into(), |t| {
            format::total(t.cpu_limit_millis, t.services_without_cpu_limit, true)
        }),
        (format!("CPU limit vs {reference}"), |t| {
            format::total_change(t.cpu_limit_change_pct)
        }),
        ("Memory limit".into(), |t| {
            format::total(t.memory_limit_bytes, t.services_without_memory_limit, false)
        }),
        (format!("Memory limit vs {reference}"), |t| {
            format::total_change(t.memory_limit_change_pct)
        }),
        ("CPU reservations".into(), |t| {
            t.cpu_reservation_millis.map_or("none".into(), format::cpu)
        }),
        ("Memory reservations".into(), |t| {
            t.memory_reservation_bytes
                .map_or("none".into(), format::bytes)
        }),
    ];
    for (name, get) in lines {
        let mut cells = vec![Cell::new(name)];
        cells.extend(c.totals.iter().map(|t| Cell::new(get(t))));
        table.add_row(cells);
    }
    let _ = writeln!(out, "{table}");
    super::capacity::text(&mut out, input);
    super::cost::text(&mut out, input);
    if let Some(live) = input.live {
        let _ = writeln!(out);
        out.push_str(&super::live::text(live));
    }

    if !input.notes.is_empty() {
        let yellow = if color {
            Style::new().fg_color(Some(AnsiColor::Yellow.into()))
        } else {
            Style::new()
        };
        let _ = writeln!(out);
        for n in input.notes {
            let at = n
                .origin
                .as_ref()
                .map(|o| format!("{o}: "))
                .unwrap_or_default();
            let folded = fold("note: ", &esc(&format!("{at}{}", n.message)), width);
            let _ = write!(out, "{yellow}note{yellow:#}{}", &folded["note".len()..]);
        }
    }
    out
}

fn new_table(color: bool, width: u16) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    // Piped into a file, a pager or a CI log, comfy-table knows no width and would not wrap at
    // all (lines of thousands of characters on a large repository): fold to `COLUMNS` or 120.
    if table.width().is_none() {
        table.set_width(width);
    }
    table
}

/// The width to fold to: the terminal's when standard output is one, else `COLUMNS` (as set by
/// a shell or CI), else 120.
fn width() -> u16 {
    const PIPED_WIDTH: u16 = 120;
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(PIPED_WIDTH)
}

/// `prefix` then `text`, folded at spaces before `width`, continuation lines indented under
/// the text's start.
fn fold(prefix: &str, text: &str, width: u16) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    wrap_list(prefix, &words, " ", width)
}

/// `prefix` then `items` joined by `separator`, folded before `width` with continuation lines
/// indented under the first item; one item longer than the width stays whole on its line.
/// Written here rather than with `textwrap` because a list folds at its separators, keeping
/// ` + ` at the end of a line, which word wrapping does not promise.
fn wrap_list(prefix: &str, items: &[impl AsRef<str>], separator: &str, width: u16) -> String {
    let width = usize::from(width);
    let indent = " ".repeat(prefix.chars().count());
    let mut out = String::from(prefix);
    let mut line_len = prefix.chars().count();
    for (i, item) in items.iter().enumerate() {
        let item = item.as_ref();
        let piece = if i + 1 < items.len() {
            format!("{item}{separator}")
        } else {
            item.to_owned()
        };
        let piece_len = piece.trim_end().chars().count();
        if i > 0 && line_len + piece_len > width {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('\n');
            out.push_str(&indent);
            line_len = indent.len();
        }
        out.push_str(&piece);
        line_len += piece.chars().count();
    }
    out.push('\n');
    out
}

fn row_cells(input: &ReportInput, r: &Row, first: &str, color: bool) -> Vec<Cell> {
    let paint = |cell: Cell| -> Cell {
        if !color {
            return cell;
        }
        match r.status {
            Status::Same => cell.add_attribute(Attribute::Dim),
            Status::Different => cell.fg(Color::Yellow),
            Status::Partial => cell.fg(Color::Red),
        }
    };
    let label = match &r.aspect {
        Aspect::Setting(_) => first.to_string(),
        _ => first.to_string(),
    };
    // Escaped before the table measures its columns, so that borders stay aligned.
    let mut cells = vec![paint(Cell::new(esc(&label)))];
    cells.extend(
        r.cells
            .iter()
            .map(|c| paint(Cell::new(esc(&format::row_cell(r, c))))),
    );
    cells.push(paint(Cell::new(esc(&format::note(input.comparison, r)))));
    cells
}

/// `envparity check` output: findings grouped by severity, then the score.
pub fn render_check(input: &ReportInput, color: bool) -> String {
    use crate::policy::Severity;
    let c = input.comparison;
    let a = input.analysis;
    let width = width();
    let mut out = String::new();
    let style = |sev: Option<Severity>| -> Style {
        if !color {
            return Style::new();
        }
        match sev {
            Some(Severity::Error) => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
            Some(Severity::Warning) => Style::new().bold().fg_color(Some(AnsiColor::Yellow.into())),
            Some(Severity::Note) => Style::new().bold().fg_color(Some(AnsiColor::Cyan.into())),
            None => Style::new().dimmed(),
        }
    };
    let count = |sev: Severity| {
        a.findings
            .iter()
            .filter(|f| f.severity == sev && f.waived.is_none() && !f.baselined)
            .count()
    };
    let waived = a.findings.iter().filter(|f| f.waived.is_some()).count();
    for sev in [Severity::Error, Severity::Warning, Severity::Note] {
        for f in a
            .findings
            .iter()
            .filter(|f| f.severity == sev && f.waived.is_none() && !f.baselined)
        {
            let s = style(Some(sev));
            let _ = writeln!(
                out,
                "{s}{}[{}]{s:#} {}: {}",
                sev.as_str(),
                f.rule,
                f.name,
                esc(&f.message)
            );
            let mut context: Vec<&str> = Vec::new();
            context.extend(f.environment.as_deref());
            context.extend(f.service.as_deref());
            context.extend(f.setting.as_deref());
            let context = if context.is_empty() {
                String::new()
            } else {
                format!("  ({})", context.join(", "))
            };
            match (&f.file, f.line) {
                (Some(file), Some(line)) => {
                    let _ = writeln!(out, "  --> {}", esc(&format!("{file}:{line}{context}")));
                }
                (Some(file), None) => {
                    let _ = writeln!(out, "  --> {}", esc(&format!("{file}{context}")));
                }
                _ if !context.is_empty() => {
                    let _ = writeln!(out, "{}", esc(&context));
                }
                _ => {}
            }
            for r in &f.related {
                let _ = writeln!(
                    out,
                    "  see {}",
                    esc(&format!("{}:{} ({})", r.file, r.line, r.environment))
                );
            }
        }
    }
    for f in a.findings.iter().filter(|f| f.waived.is_some()) {
        let s = style(None);
        let _ = writeln!(
            out,
            "{s}waived[{}] {}: {} (waiver: {}){s:#}",
            f.rule,
            f.name,
            esc(&f.message),
            esc(f.waived.as_deref().unwrap_or_default())
        );
    }
    if let Some(b) = &a.baseline {
        baseline_lines(&mut out, a, b, style(None));
    }
    if !a.findings.is_empty() || a.baseline.is_some() {
        let _ = writeln!(out);
    }

    let mut table = new_table(color, width);
    let mut head = vec![Cell::new("Parity")];
    head.extend(c.environments.iter().map(|e| Cell::new(esc(e))));
    head.push(Cell::new("Score"));
    table.set_header(head);
    for comp in a.score.categories.iter().chain(&a.score.services) {
        let mut cells = vec![Cell::new(esc(&comp.name))];
        cells.extend(
            comp.per_environment
                .iter()
                .map(|p| Cell::new(p.map_or("—".into(), |p| format!("{p:.1}%")))),
        );
        cells.push(Cell::new(format!("{:.1}", comp.score)));
        table.add_row(cells);
    }
    if c.environments.is_empty() {
        let _ = writeln!(out, "No environments found: nothing to compare.");
    } else {
        let _ = writeln!(out, "{table}");
    }
    let s = &a.score;
    let verdict = if a.passed { "passed" } else { "FAILED" };
    let vs = style(Some(if a.passed {
        Severity::Note
    } else {
        Severity::Error
    }));
    let _ = writeln!(
        out,
        "\nscore {:.1} / 100 ({} of {} items in parity; min_score {}), {} error{}, {} warning{}, {} note{}, {} waived: {vs}{verdict}{vs:#}",
        s.overall,
        s.in_parity,
        s.items,
        s.min_score,
        count(Severity::Error),
        format::plural(count(Severity::Error) as u32),
        count(Severity::Warning),
        format::plural(count(Severity::Warning) as u32),
        count(Severity::Note),
        format::plural(count(Severity::Note) as u32),
        waived,
    );
    if let Some(b) = &a.baseline {
        let _ = writeln!(
            out,
            "baseline {}: {} new, {} baselined, {} fixed",
            esc(&b.file),
            b.new,
            b.baselined,
            b.fixed.len()
        );
    }
    out
}

/// `check --baseline`: the baselined findings (not counted), then the fixed entries.
fn baseline_lines(
    out: &mut String,
    a: &crate::check::Analysis,
    b: &crate::baseline::Outcome,
    s: Style,
) {
    for f in a.findings.iter().filter(|f| f.baselined) {
        let place = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!(" ({file}:{line})"),
            (Some(file), None) => format!(" ({file})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{s}baselined[{}] {}: {}{}{s:#}",
            f.rule,
            f.name,
            esc(&f.message),
            esc(&place)
        );
    }
    for e in &b.fixed {
        let place = e.place();
        let place = if place.is_empty() {
            place
        } else {
            format!(" (was {place})")
        };
        let _ = writeln!(
            out,
            "fixed[{}] {}{}: in the baseline, found no more; the entry is stale (`envparity baseline` rewrites the file)",
            e.rule,
            esc(&e.message),
            esc(&place)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_list;

    #[test]
    fn a_short_list_stays_on_one_line() {
        assert_eq!(
            wrap_list("  prod: ", &["a.yml", "b.yml"], " + ", 80),
            "  prod: a.yml + b.yml\n"
        );
    }

    #[test]
    fn a_long_list_folds_under_its_first_item() {
        let files = ["env/dev/aws.hcl", "env/dev/dns.hcl", "env/dev/eks.hcl"];
        assert_eq!(
            wrap_list("  dev: ", &files, " + ", 42),
            "  dev: env/dev/aws.hcl + env/dev/dns.hcl +\n       env/dev/eks.hcl\n"
        );
    }

    #[test]
    fn an_item_wider_than_the_line_stays_whole() {
        let long = "x".repeat(50);
        assert_eq!(
            wrap_list("  a: ", &[long.as_str(), "b"], " + ", 20),
            format!("  a: {long} +\n     b\n")
        );
    }
}
