//! The commented starting `envparity.toml` that `envparity init` writes, from what was found.

use std::fmt::Write;

use crate::check::Analysis;
use crate::compare::Comparison;

pub fn starter(c: &Comparison, analysis: &Analysis) -> String {
    let mut out = String::new();
    let quoted: Vec<String> = c.environments.iter().map(|e| format!("\"{e}\"")).collect();
    let highest = c
        .environments
        .last()
        .cloned()
        .unwrap_or_else(|| "production".into());
    let _ = writeln!(
        out,
        "# envparity policy: what may differ between environments, and what fails CI.\n\
         # Written by `envparity init`; edit freely. Reference: docs/policy.md.\n"
    );
    let _ = writeln!(
        out,
        "# The parity score today is {:.1}. `envparity check` exits 1 below this value.\nmin_score = {}\n",
        analysis.score.overall,
        analysis.score.overall.floor()
    );
    let _ = writeln!(
        out,
        "# Findings at or above this severity fail `envparity check`: note, warning or error.\nfail_on = \"error\"\n"
    );
    let _ = writeln!(
        out,
        "[environments]\n# Lowest to highest; changes are measured against the last one.\norder = [{}]\n# Production-like environments get the production rules (debug, tags, limits, probes, TLS).\nproduction_like = [\"{highest}\"]\n",
        quoted.join(", ")
    );
    let _ = writeln!(
        out,
        "# Scale (instances, CPU, memory, storage, worker counts, database and cache sizing,\n\
         # retention) is intended to differ by default. Declare other intended differences:\n\
         # [[intended]]\n\
         # setting = \"env.LOG_LEVEL\"          # a setting or aspect id; globs allowed\n\
         # service = \"web\"                    # optional\n\
         # reason = \"more logging below production\"\n"
    );
    // Offer the services present in some environments only as candidates.
    for s in c
        .services
        .iter()
        .filter(|s| s.envs.iter().any(Option::is_none))
    {
        let present: Vec<&str> = c
            .environments
            .iter()
            .zip(&s.envs)
            .filter(|(_, v)| v.is_some())
            .map(|(e, _)| e.as_str())
            .collect();
        let _ = writeln!(
            out,
            "# `{}` exists only in {}. If that is on purpose:\n# [[intended]]\n# service = \"{}\"\n# reason = \"...\"\n",
            s.name,
            present.join(", "),
            s.name
        );
    }
    let _ = writeln!(
        out,
        "# Items whose difference is an error, reported by EP012 (images) and EP016 (promotion parity):\n\
         # [[must_match]]\n\
         # setting = \"image\"\n\
         # reason = \"production runs exactly the image staging tested\"\n"
    );
    let _ = writeln!(
        out,
        "# Accept a finding for a while, with a reason. Expired waivers stop waiving (EP015).\n\
         # [[waiver]]\n\
         # rule = \"EP007\"\n\
         # environment = \"{highest}\"\n\
         # reason = \"dedicated hosts, no limits until the move to Kubernetes\"\n\
         # expires = 2027-06-30\n"
    );
    let _ = writeln!(
        out,
        "# Change a rule's severity or turn it off: off, note, warning, error.\n# [rules]\n# EP006 = \"error\""
    );
    if !analysis.findings.is_empty() {
        let _ = writeln!(out, "\n# Findings today, for reference:");
        for f in analysis.findings.iter().take(30) {
            let _ = writeln!(
                out,
                "#   {} {} {}{}",
                f.rule,
                f.severity.as_str(),
                f.environment
                    .as_deref()
                    .map(|e| format!("[{e}] "))
                    .unwrap_or_default(),
                f.message.replace('\n', " ")
            );
        }
        if analysis.findings.len() > 30 {
            let _ = writeln!(
                out,
                "#   ... and {} more (`envparity check`)",
                analysis.findings.len() - 30
            );
        }
    }
    out
}
