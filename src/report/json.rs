//! The JSON report: stable and versioned. The schema is documented in `docs/json-schema.md`;
//! a change that removes or retypes a field bumps `SCHEMA_VERSION`.

use rayon::prelude::*;
use serde_json::{json, Map, Value};

use super::ReportInput;
use crate::compare::{Cell, CellValue, Row, Totals};

pub const SCHEMA_VERSION: u32 = 1;

pub fn render(input: &ReportInput) -> String {
    let c = input.comparison;
    let env_map = |f: &dyn Fn(usize) -> Value| -> Value {
        let mut m = Map::new();
        for (i, e) in c.environments.iter().enumerate() {
            m.insert(e.clone(), f(i));
        }
        Value::Object(m)
    };
    // The large arrays are built and printed element by element on every core; each element is
    // dropped once printed, so the whole document never exists as one tree.
    let services: Vec<String> = c
        .services
        .par_iter()
        .map(|s| {
            json!({
                "name": s.name,
                "role": s.role,
                "status": s.status,
                "alignment": s.alignment,
                "envs": env_map(&|i| match &s.envs[i] {
                    None => Value::Null,
                    Some(v) => {
                        let settings: Map<String, Value> = v
                            .settings
                            .iter()
                            .map(|(k, st)| {
                                let mut o = json!({
                                    "value": st.display(),
                                    "file": st.origin.file,
                                    "line": st.origin.line,
                                    "secret": st.is_secret(),
                                });
                                if st.interpolated {
                                    o["interpolated"] = json!(true);
                                }
                                if let Some(q) = st.quantity.filter(|_| !st.is_secret()) {
                                    o["quantity"] = json!(q);
                                }
                                (k.clone(), o)
                            })
                            .collect();
                        json!({
                            "members": s.members[i],
                            "instances": v.instances,
                            "instances_max": v.instances_max,
                            "autoscaler": v.autoscaler,
                            "optional": v.optional,
                            "image": v.image,
                            "cpu_limit_millis": v.cpu_limit_millis,
                            "memory_limit_bytes": v.memory_limit_bytes,
                            "cpu_reservation_millis": v.cpu_reservation_millis,
                            "memory_reservation_bytes": v.memory_reservation_bytes,
                            "cpu_limit_total_millis": v.cpu_limit_total_millis,
                            "memory_limit_total_bytes": v.memory_limit_total_bytes,
                            "file": v.origin.file,
                            "line": v.origin.line,
                            "settings": settings,
                        })
                    }
                }),
            })
        })
        .map(|v| element(&v))
        .collect();
    let verdicts = &input.analysis.verdicts;
    let judged = c
        .services
        .iter()
        .zip(&verdicts.services)
        .flat_map(|(s, sv)| {
            s.rows
                .iter()
                .zip(&sv.rows)
                .map(move |(r, v)| (Some(s.name.as_str()), r, v.as_ref()))
        })
        .chain(
            c.environment_rows
                .iter()
                .zip(&verdicts.environment_rows)
                .map(|(r, v)| (None, r, Some(v))),
        );
    let judged: Vec<_> = judged
        .filter(|(_, r, _)| r.status != crate::compare::Status::Same)
        .collect();
    let differences: Vec<String> = judged
        .into_par_iter()
        .map(|(service, r, v)| {
            json!({
                "service": service,
                "aspect": r.aspect.id(),
                "status": r.status,
                "verdict": v.map(|v| v.kind),
                "reason": v.and_then(|v| v.reason.clone()),
                "category": v.map(|v| v.category),
                "values": env_map(&|i| cell_json(&r.cells[i])),
                "change_pct": env_map(&|i| json!(r.change_pct[i].map(round2))),
            })
        })
        .map(|v| element(&v))
        .collect();
    let a = input.analysis;
    let findings: Vec<String> = a
        .findings
        .par_iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "name": f.name,
                "severity": f.severity,
                "environment": f.environment,
                "service": f.service,
                "setting": f.setting,
                "file": f.file,
                "line": f.line,
                "message": f.message,
                "related": f.related,
                "waived": f.waived,
            })
        })
        .map(|v| element(&v))
        .collect();
    let component = |comp: &crate::score::ComponentScore| {
        json!({
            "name": comp.name,
            "score": comp.score,
            "items": comp.items,
            "in_parity": comp.in_parity,
            "per_environment": env_map(&|i| json!(comp.per_environment[i])),
        })
    };
    let score = json!({
        "overall": a.score.overall,
        "min_score": a.score.min_score,
        "items": a.score.items,
        "in_parity": a.score.in_parity,
        "categories": a.score.categories.iter().map(component).collect::<Vec<_>>(),
        "services": a.score.services.iter().map(component).collect::<Vec<_>>(),
        "lost": a.score.lost,
    });
    let environment_settings: Vec<Value> = c
        .environment_rows
        .iter()
        .map(|r| row_json(r, &env_map))
        .collect();
    let notes: Vec<Value> = input
        .notes
        .iter()
        .map(|n| {
            json!({
                "file": n.origin.as_ref().map(|o| &o.file),
                "line": n.origin.as_ref().map(|o| o.line),
                "message": n.message,
            })
        })
        .collect();
    let placeholder = || Value::Array(Vec::new());
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "envparity", "version": env!("CARGO_PKG_VERSION") },
        "environments": c.environments,
        "reference_environment": c.environments.get(c.reference),
        "files": env_map(&|i| json!(input.files[i])),
        "summary": c.summary,
        "services": placeholder(),
        "totals": env_map(&|i| totals_json(&c.totals[i])),
        "differences": placeholder(),
        "findings": placeholder(),
        "score": score,
        "gate": {
            "passed": a.passed,
            "fail_on": a.fail_on,
            "policy_file": a.policy_file,
        },
        "environment_settings": environment_settings,
        "notes": notes,
    });
    let Value::Object(doc) = doc else {
        unreachable!("the document is an object")
    };
    let mut arrays = [
        ("services", services),
        ("differences", differences),
        ("findings", findings),
    ];
    // What `serde_json::to_string_pretty(&doc)` prints, with the large arrays spliced in.
    let mut text = String::from("{\n");
    let last = doc.len().saturating_sub(1);
    for (i, (key, value)) in doc.iter().enumerate() {
        text.push_str("  ");
        text.push_str(&serde_json::to_string(key).unwrap_or_default());
        text.push_str(": ");
        match arrays.iter_mut().find(|(k, _)| k == key) {
            Some((_, items)) if !items.is_empty() => {
                text.push_str("[\n");
                let items = std::mem::take(items);
                let n = items.len();
                for (j, item) in items.into_iter().enumerate() {
                    text.push_str(&item);
                    text.push_str(if j + 1 < n { ",\n" } else { "\n" });
                }
                text.push_str("  ]");
            }
            _ => indented(&mut text, &pretty(value), "  "),
        }
        text.push_str(if i < last { ",\n" } else { "\n" });
    }
    text.push_str("}\n");
    text
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// An element of a top-level array, printed as it appears there: two levels deep.
fn element(v: &Value) -> String {
    let mut out = String::from("    ");
    indented(&mut out, &pretty(v), "    ");
    out
}

/// Append `text`, indenting every line after the first by `indent` (JSON strings hold no raw
/// line breaks, so every line break is the printer's).
fn indented(out: &mut String, text: &str, indent: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(line);
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn totals_json(t: &Totals) -> Value {
    json!({
        "services": t.services,
        "declared_services": t.declared_services,
        "instances": t.instances,
        "optional_services": t.optional_services,
        "cpu_limit_millis": t.cpu_limit_millis,
        "memory_limit_bytes": t.memory_limit_bytes,
        "cpu_reservation_millis": t.cpu_reservation_millis,
        "memory_reservation_bytes": t.memory_reservation_bytes,
        "unlimited_services": t.unlimited_services,
        "services_without_cpu_limit": t.services_without_cpu_limit,
        "services_without_memory_limit": t.services_without_memory_limit,
        "cpu_limit_change_pct": t.cpu_limit_change_pct.map(round2),
        "memory_limit_change_pct": t.memory_limit_change_pct.map(round2),
    })
}

/// Builds an object keyed by environment name from a per-index value.
type EnvMap<'a> = &'a dyn Fn(&dyn Fn(usize) -> Value) -> Value;

fn row_json(r: &Row, env_map: EnvMap) -> Value {
    json!({
        "aspect": r.aspect.id(),
        "status": r.status,
        "values": env_map(&|i| cell_json(&r.cells[i])),
    })
}

/// A cell: `null` when absent, else its value with provenance. Limits are numbers, with `null`
/// for "no limit".
fn cell_json(cell: &Cell) -> Value {
    let value = match &cell.value {
        CellValue::Absent => return Value::Null,
        CellValue::Instances { count, .. } => json!(count),
        CellValue::Millicores(v) | CellValue::Bytes(v) => json!(v),
        CellValue::Flag(b) => json!(b),
        CellValue::Text { text, .. } => json!(text),
    };
    let mut o = json!({ "value": value });
    if let CellValue::Text { secret: true, .. } = cell.value {
        o["secret"] = json!(true);
    }
    if let Some(origin) = &cell.origin {
        o["file"] = json!(origin.file);
        o["line"] = json!(origin.line);
    }
    o
}
