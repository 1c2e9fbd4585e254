//! The "Monthly cost" section of every report: per environment, its total and the saving
//! against the reference, then each item with its price and what it was computed from.
//! Computed in `crate::cost`; formatted here.

use std::fmt::Write;

use serde_json::{json, Map, Value};

use super::ReportInput;
use crate::cost::{CostItem, EnvCost, Monthly, Range};

/// `$560.64`.
pub fn dollars(v: f64) -> String {
    format!("${v:.2}")
}

/// `$41.06`, or `$72.08-$180.20` under an autoscaler.
pub fn range(r: Range) -> String {
    if (r.max - r.min).abs() < 0.005 {
        dollars(r.min)
    } else {
        format!("{}-{}", dollars(r.min), dollars(r.max))
    }
}

/// An environment's total: a lower bound when some item is unknown.
pub fn total(e: &EnvCost) -> String {
    match e.unknown {
        0 => range(e.total),
        n => format!(
            "at least {} ({n} item{} unknown)",
            range(e.total),
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// `$12.00 less`, `$3.50 more`, `same`, `reference`, or unknown.
pub fn saving(e: &EnvCost, is_reference: bool) -> String {
    let Some(s) = e.saving_vs_reference else {
        return if is_reference {
            "reference".into()
        } else {
            "unknown (an item is unknown)".into()
        };
    };
    if is_reference {
        return "reference".into();
    }
    let (lo, hi) = (s.min.min(s.max), s.min.max(s.max));
    if lo.abs() < 0.005 && hi.abs() < 0.005 {
        "same".into()
    } else if lo >= 0.0 {
        format!("{} less", range(Range { min: lo, max: hi }))
    } else if hi <= 0.0 {
        format!("{} more", range(Range { min: -hi, max: -lo }))
    } else {
        format!("from {} more to {} less", dollars(-lo), dollars(hi))
    }
}

/// An item's monthly price, or `unknown`.
pub fn monthly(i: &CostItem) -> String {
    match &i.monthly {
        Monthly::Known { usd } => range(*usd),
        Monthly::Unknown { .. } => "unknown".into(),
    }
}

/// What an item was computed from, or why it is unknown.
pub fn basis(i: &CostItem) -> &str {
    match &i.monthly {
        Monthly::Known { .. } => &i.computed_from,
        Monthly::Unknown { reason } => reason,
    }
}

const INTRO: &str = "Approximate on-demand list prices, item by item; each figure says what it was computed from. An item that cannot be priced from the configuration is unknown, with the reason, and its environment's total is then a lower bound.";

/// Markdown: totals per environment, then each environment's items.
pub fn markdown(out: &mut String, input: &ReportInput) {
    let c = input.comparison;
    let cost = &input.analysis.cost;
    if !cost.is_shown() {
        return;
    }
    let esc = |s: &str| s.replace('|', "\\|");
    let _ = writeln!(out, "## Monthly cost\n");
    let _ = writeln!(out, "{INTRO} Prices: {}.\n", cost.basis);
    let _ = writeln!(
        out,
        "| Environment | Monthly | vs {} |",
        c.environments[c.reference]
    );
    let _ = writeln!(out, "|---|---|---|");
    for (e, env) in cost.environments.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | **{}** | {} |",
            c.environments[e],
            total(env),
            saving(env, e == c.reference)
        );
    }
    for (e, env) in cost.environments.iter().enumerate() {
        let _ = writeln!(out, "\n{}:\n", c.environments[e]);
        if env.items.is_empty() {
            let _ = writeln!(out, "Nothing priced.");
            continue;
        }
        let _ = writeln!(out, "| Item | Kind | Monthly | Computed from |");
        let _ = writeln!(out, "|---|---|---|---|");
        for i in &env.items {
            let _ = writeln!(
                out,
                "| `{}` ({}) | {} | {} | {} |",
                esc(&i.item),
                i.origin,
                esc(&i.what),
                monthly(i),
                esc(basis(i))
            );
        }
    }
    let _ = writeln!(out);
}

/// Plain text for the terminal report.
pub fn text(out: &mut String, input: &ReportInput) {
    let c = input.comparison;
    let cost = &input.analysis.cost;
    if !cost.is_shown() {
        return;
    }
    let _ = writeln!(out, "\nMonthly cost ({})", cost.basis);
    for (e, env) in cost.environments.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}: {} ({})",
            c.environments[e],
            total(env),
            saving(env, e == c.reference)
        );
        for i in &env.items {
            let _ = writeln!(
                out,
                "    {} ({}, {}): {}: {}",
                i.item,
                i.what,
                i.origin,
                monthly(i),
                basis(i)
            );
        }
    }
}

/// The PR comment's cost line.
pub fn summary_line(input: &ReportInput) -> Option<String> {
    let c = input.comparison;
    let cost = &input.analysis.cost;
    if !cost.is_shown() {
        return None;
    }
    let per: Vec<String> = cost
        .environments
        .iter()
        .enumerate()
        .map(|(e, env)| format!("{} {}", c.environments[e], total(env)))
        .collect();
    Some(format!("Monthly cost: {} (list prices)", per.join(" vs ")))
}

/// The JSON `cost` object (docs/json-schema.md): the prices' basis, per environment its items,
/// total and saving, and the `[cost] hosts` alone under `hosts`.
pub fn json(input: &ReportInput) -> Value {
    let c = input.comparison;
    let cost = &input.analysis.cost;
    let per_env = |f: &dyn Fn(usize) -> Value| -> Value {
        let map: Map<String, Value> = c
            .environments
            .iter()
            .enumerate()
            .map(|(e, name)| (name.clone(), f(e)))
            .collect();
        Value::Object(map)
    };
    json!({
        "basis": cost.basis,
        "environments": per_env(&|e| {
            serde_json::to_value(cost.environments.get(e)).unwrap_or(Value::Null)
        }),
        "hosts": per_env(&|e| {
            serde_json::to_value(cost.hosts.get(e).cloned().flatten()).unwrap_or(Value::Null)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(total: Range, unknown: usize, saving: Option<Range>) -> EnvCost {
        EnvCost {
            items: Vec::new(),
            total,
            unknown,
            saving_vs_reference: saving,
        }
    }

    #[test]
    fn totals_and_savings_read_plainly() {
        let r = |min, max| Range { min, max };
        assert_eq!(total(&env(r(41.06, 41.06), 0, None)), "$41.06");
        assert_eq!(total(&env(r(72.08, 180.2), 0, None)), "$72.08-$180.20");
        assert_eq!(
            total(&env(r(5.0, 5.0), 2, None)),
            "at least $5.00 (2 items unknown)"
        );
        assert_eq!(
            saving(&env(r(0., 0.), 0, Some(r(499.9, 499.9))), false),
            "$499.90 less"
        );
        assert_eq!(
            saving(&env(r(0., 0.), 0, Some(r(-3.5, -3.5))), false),
            "$3.50 more"
        );
        assert_eq!(saving(&env(r(0., 0.), 0, Some(r(0.0, 0.0))), false), "same");
        assert_eq!(
            saving(&env(r(0., 0.), 0, Some(r(-2.0, 10.0))), false),
            "from $2.00 more to $10.00 less"
        );
        assert_eq!(
            saving(&env(r(0., 0.), 0, Some(r(0.0, 0.0))), true),
            "reference"
        );
        assert_eq!(
            saving(&env(r(0., 0.), 1, None), false),
            "unknown (an item is unknown)"
        );
    }
}
