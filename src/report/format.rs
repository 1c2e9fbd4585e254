//! How numbers and cells read to people. Formatting only: every value shown was computed by
//! `compare`.

use crate::compare::{Aspect, Cell, CellValue, Comparison, Row, ServiceView, Status};
use crate::model::Quantity;
// Quantities are written the same way in rule messages and in reports: one place for both.
pub use crate::model::units::{bytes, cpu, percent, seconds};

/// A cell's text. `None` cells (absent) read as an em dash.
pub fn cell(c: &Cell) -> String {
    match &c.value {
        CellValue::Absent => "—".into(),
        CellValue::Instances {
            count,
            max: Some(max),
            by,
        } => format!("{count}-{max} ({})", by.as_deref().unwrap_or("autoscaled")),
        CellValue::Instances {
            count, max: None, ..
        } => count.to_string(),
        CellValue::Millicores(Some(m)) => cpu(*m),
        CellValue::Bytes(Some(b)) => bytes(*b),
        CellValue::Millicores(None) | CellValue::Bytes(None) => "no limit".into(),
        CellValue::Flag(true) => "yes".into(),
        CellValue::Flag(false) => "no".into(),
        CellValue::Text { text, .. } if text.is_empty() => "(empty)".into(),
        CellValue::Text { text, quantity, .. } => {
            // Add the normalised number when it says more than the text ("4GB" is clear,
            // "1536MB" reads better as 1.5 GiB).
            match quantity {
                Some(Quantity::Bytes(b)) if !same_number(&bytes(*b), text) => {
                    format!("{text} ({})", bytes(*b))
                }
                _ => fold(text),
            }
        }
    }
}

/// Longest value shown whole in a table cell, in characters; the JSON report has every value.
pub const CELL_CHARS: usize = 160;

/// A long value (a whole shell script, a list of hosts) folded to fit a table: its start, and
/// how much was left out. Whitespace runs are shown as one space.
pub fn fold(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = flat.chars().count();
    if count <= CELL_CHARS {
        return if flat.len() == text.len() {
            text.to_string()
        } else {
            flat
        };
    }
    let kept: String = flat.chars().take(CELL_CHARS - 20).collect();
    format!("{kept}… (+{} characters)", count - (CELL_CHARS - 20))
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    #[test]
    fn long_values_fold_and_short_ones_stay() {
        assert_eq!(fold("gunicorn app -w 4"), "gunicorn app -w 4");
        assert_eq!(
            fold("sh -c \"cd src &&\n   celery\""),
            "sh -c \"cd src && celery\""
        );
        let long = "x".repeat(500);
        let folded = fold(&long);
        assert_eq!(
            folded.chars().count(),
            CELL_CHARS - 20 + "… (+360 characters)".chars().count()
        );
        assert!(folded.ends_with("… (+360 characters)"), "{folded}");
    }
}

/// `512 MiB` and `512MB` show the same number; `1.5 GiB` and `1536MB` do not.
fn same_number(normalised: &str, text: &str) -> bool {
    let number = |t: &str| -> String {
        t.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect()
    };
    number(normalised) == number(text)
}

/// A cell as shown in a row: a missing reservation is "none", a missing limit "no limit".
pub fn row_cell(r: &Row, c: &Cell) -> String {
    match (&r.aspect, &c.value) {
        (
            Aspect::CpuReservation | Aspect::MemoryReservation,
            CellValue::Millicores(None) | CellValue::Bytes(None),
        ) => "none".into(),
        _ => cell(c),
    }
}

/// Whether a service row is worth a line in a table: a row absent everywhere, or a reservation
/// made nowhere, tells nothing.
pub fn tells_something(r: &Row) -> bool {
    if r.cells.iter().all(|cell| cell.value == CellValue::Absent) {
        return false;
    }
    !(matches!(r.aspect, Aspect::CpuReservation | Aspect::MemoryReservation)
        && r.cells.iter().all(|cell| {
            matches!(
                cell.value,
                CellValue::Millicores(None) | CellValue::Bytes(None) | CellValue::Absent
            )
        }))
}

/// The label of a row's aspect.
pub fn aspect(a: &Aspect) -> String {
    match a {
        Aspect::Instances => "Instances".into(),
        Aspect::Image => "Image".into(),
        Aspect::Optional => "Optional (profile)".into(),
        Aspect::CpuLimit => "CPU limit (each)".into(),
        Aspect::MemoryLimit => "Memory limit (each)".into(),
        Aspect::CpuReservation => "CPU reservation (each)".into(),
        Aspect::MemoryReservation => "Memory reservation (each)".into(),
        Aspect::Setting(k) => k.clone(),
    }
}

/// The notes column: how a row differs, in words.
pub fn note(c: &Comparison, r: &Row) -> String {
    match r.status {
        Status::Same => "same".into(),
        Status::Partial => {
            let present: Vec<&str> = c
                .environments
                .iter()
                .zip(&r.cells)
                .filter(|(_, cell)| cell.value != CellValue::Absent)
                .map(|(e, _)| e.as_str())
                .collect();
            format!("only in {}", present.join(", "))
        }
        Status::Different => {
            let reference = &c.environments[c.reference];
            let parts: Vec<String> = c
                .environments
                .iter()
                .zip(&r.change_pct)
                .enumerate()
                .filter(|(i, _)| *i != c.reference)
                .filter_map(|(_, (env, p))| {
                    let p = (*p)?;
                    Some(if p < 0.0 {
                        format!("{} lower in {env}", percent(p))
                    } else if p > 0.0 {
                        format!("{} higher in {env}", percent(p))
                    } else {
                        format!("same as {reference} in {env}")
                    })
                })
                .collect();
            let secret = r
                .cells
                .iter()
                .any(|cell| matches!(cell.value, CellValue::Text { secret: true, .. }));
            if !parts.is_empty() {
                parts.join("; ")
            } else if secret {
                "differs (secret, masked)".into()
            } else if r.cells.iter().any(|cell| {
                matches!(
                    cell.value,
                    CellValue::Millicores(None) | CellValue::Bytes(None)
                )
            }) {
                let unlimited: Vec<&str> = c
                    .environments
                    .iter()
                    .zip(&r.cells)
                    .filter(|(_, cell)| {
                        matches!(
                            cell.value,
                            CellValue::Millicores(None) | CellValue::Bytes(None)
                        )
                    })
                    .map(|(e, _)| e.as_str())
                    .collect();
                let what = if matches!(r.aspect, Aspect::CpuReservation | Aspect::MemoryReservation)
                {
                    "no reservation"
                } else {
                    "no limit"
                };
                format!("{what} in {}", unlimited.join(", "))
            } else {
                "differs".into()
            }
        }
    }
}

/// A total with the count of services it leaves out: `3.38 GiB`, `no limit (19 services)`,
/// `1 CPU + 2 unlimited`.
pub fn total(value: Option<u64>, unlimited: u32, is_cpu: bool) -> String {
    let fmt = |v: u64| if is_cpu { cpu(v) } else { bytes(v) };
    match (value, unlimited) {
        (None, 0) => "—".into(),
        (None, n) => format!("no limit ({n} service{})", plural(n)),
        (Some(v), 0) => fmt(v),
        (Some(v), n) => format!("{} + {n} unlimited", fmt(v)),
    }
}

/// A service's CPU or memory limit in one environment, all instances together: `2 CPU`,
/// `1 GiB (2 × 512 MiB)`, `no limit`, or `—` where the service is absent.
pub fn service_limit(v: Option<&ServiceView>, is_cpu: bool) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    let (total, each) = if is_cpu {
        (v.cpu_limit_total_millis, v.cpu_limit_millis)
    } else {
        (v.memory_limit_total_bytes, v.memory_limit_bytes)
    };
    let fmt = |x: u64| if is_cpu { cpu(x) } else { bytes(x) };
    match (total, each) {
        (Some(t), Some(e)) if v.instances > 1 => {
            format!("{} ({} × {})", fmt(t), v.instances, fmt(e))
        }
        (Some(t), _) => fmt(t),
        (None, _) => "no limit".into(),
    }
}

/// A total's change against the reference environment.
pub fn total_change(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.0 => format!("{} lower", percent(p)),
        Some(p) if p > 0.0 => format!("{} higher", percent(p)),
        Some(_) => "same".into(),
        None => "—".into(),
    }
}

pub fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(cpu(1000), "1 CPU");
        assert_eq!(cpu(500), "0.5 CPU");
        assert_eq!(cpu(1250), "1.25 CPU");
        assert_eq!(bytes(512 << 20), "512 MiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes(3456 << 20), "3.38 GiB");
        assert_eq!(bytes(100), "100 B");
        assert_eq!(seconds(604_800.0), "7d");
        assert_eq!(seconds(90.0), "90s");
        assert_eq!(percent(-87.5), "87.5%");
        assert_eq!(percent(-33.3333), "33.3%");
        assert_eq!(total(None, 19, true), "no limit (19 services)");
        assert_eq!(total(Some(7000), 0, true), "7 CPU");
        assert_eq!(total(Some(1000), 2, true), "1 CPU + 2 unlimited");
        assert!(same_number("512 MiB", "512MB"));
        assert!(!same_number("1.5 GiB", "1536MB"));
    }
}
