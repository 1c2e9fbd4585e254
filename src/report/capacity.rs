//! The "Capacity" section of every report: concurrent requests and tasks per service and
//! environment with their arithmetic and inputs, totals, and the change against the reference.
//! Computed in `crate::capacity`; formatted here.

use std::fmt::Write;

use serde_json::{json, Map, Value};

use super::format;
use super::ReportInput;
use crate::capacity::{Capacity, CapacityTotal, EnvCapacity, Kind};

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Web => "Web",
        Kind::Worker => "Workers",
    }
}

fn change(t: &CapacityTotal, is_reference: bool) -> String {
    match t.change_pct {
        _ if is_reference => "reference".into(),
        Some(p) if p.abs() < 0.05 => "same".into(),
        Some(p) if p < 0.0 => format!("{} less", format::percent(p)),
        Some(p) => format!("{} more", format::percent(p)),
        None => "—".into(),
    }
}

fn cell(v: &Option<EnvCapacity>) -> String {
    match v {
        None => "—".into(),
        Some(c) => c.arithmetic.clone(),
    }
}

/// Markdown: a table of arithmetic per service, totals, then each input with its file:line.
pub fn markdown(out: &mut String, input: &ReportInput) {
    let c = input.comparison;
    let cap = &c.capacity;
    if cap.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Capacity\n");
    let _ = writeln!(
        out,
        "What each environment can serve at once: instances x worker processes x threads per process. A value that cannot be known from the configuration is shown as unknown, with the reason.\n"
    );
    let esc = |s: &str| s.replace('|', "\\|");
    let _ = writeln!(out, "| Service | Serves | {} |", c.environments.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(c.environments.len() + 2));
    for s in &cap.services {
        let cols: Vec<String> = s.envs.iter().map(|v| esc(&cell(v))).collect();
        let _ = writeln!(
            out,
            "| {} | {} ({}) | {} |",
            s.service,
            s.kind.unit(),
            s.server,
            cols.join(" | ")
        );
    }
    for (k, kind) in kinds(cap).into_iter().enumerate() {
        let cols: Vec<String> = cap
            .totals
            .iter()
            .enumerate()
            .map(|(e, t)| {
                let t = &t[k];
                format!("**{}** ({})", t.total.shown(), change(t, e == c.reference))
            })
            .collect();
        let _ = writeln!(
            out,
            "| **Total {}** | {} | {} |",
            kind_label(kind).to_lowercase(),
            kind.unit(),
            cols.join(" | ")
        );
    }
    let _ = writeln!(out, "\nInputs:\n");
    for s in &cap.services {
        for (e, v) in s.envs.iter().enumerate() {
            let Some(v) = v else { continue };
            let _ = writeln!(
                out,
                "- {} in {}: {}",
                s.service,
                c.environments[e],
                esc(&v.inputs.join("; "))
            );
        }
    }
    let _ = writeln!(out);
}

fn kinds(cap: &Capacity) -> Vec<Kind> {
    cap.totals
        .first()
        .map(|t| t.iter().map(|t| t.kind).collect())
        .unwrap_or_default()
}

/// Plain text for the terminal report.
pub fn text(out: &mut String, input: &ReportInput) {
    let c = input.comparison;
    let cap = &c.capacity;
    if cap.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nCapacity (instances x processes x threads)");
    for s in &cap.services {
        let _ = writeln!(out, "  {} ({}, {}):", s.service, s.server, s.kind.unit());
        for (e, v) in s.envs.iter().enumerate() {
            let _ = writeln!(out, "    {}: {}", c.environments[e], cell(v));
        }
    }
    for (k, kind) in kinds(cap).into_iter().enumerate() {
        let _ = writeln!(
            out,
            "  Total {} ({}):",
            kind_label(kind).to_lowercase(),
            kind.unit()
        );
        for (e, t) in cap.totals.iter().enumerate() {
            let t = &t[k];
            let _ = writeln!(
                out,
                "    {}: {} ({})",
                c.environments[e],
                t.arithmetic,
                change(t, e == c.reference)
            );
        }
    }
}

/// Summary lines for the PR comment and `check`: one per kind, environments side by side.
pub fn summary_lines(input: &ReportInput) -> Vec<String> {
    let c = input.comparison;
    let cap = &c.capacity;
    kinds(cap)
        .into_iter()
        .enumerate()
        .map(|(k, kind)| {
            let per: Vec<String> = cap
                .totals
                .iter()
                .enumerate()
                .map(|(e, t)| format!("{} {}", c.environments[e], t[k].total.shown()))
                .collect();
            format!(
                "{} capacity: {} {}",
                kind_label(kind),
                per.join(" vs "),
                kind.unit()
            )
        })
        .collect()
}

/// The JSON `capacity` object (docs/json-schema.md): services with per-environment values
/// keyed by environment name, and totals per environment.
pub fn json(input: &ReportInput) -> Value {
    let c = input.comparison;
    let cap = &c.capacity;
    let per_env = |f: &dyn Fn(usize) -> Value| -> Value {
        let map: Map<String, Value> = c
            .environments
            .iter()
            .enumerate()
            .map(|(e, name)| (name.clone(), f(e)))
            .collect();
        Value::Object(map)
    };
    let services: Vec<Value> = cap
        .services
        .iter()
        .map(|s| {
            json!({
                "service": s.service,
                "kind": s.kind,
                "server": s.server,
                "envs": per_env(&|e| serde_json::to_value(&s.envs[e]).unwrap_or(Value::Null)),
            })
        })
        .collect();
    let totals = per_env(&|e| {
        serde_json::to_value(cap.totals.get(e).cloned().unwrap_or_default()).unwrap_or(Value::Null)
    });
    json!({ "services": services, "totals": totals })
}
