//! Test harness: run the real pipeline on a small repository and return the findings.

use super::{run, Context, Finding};
use crate::policy::{self, Date};

/// Write `files` to a temporary repository, read it as envparity does, run every rule.
pub fn findings(files: &[(&str, &str)]) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let ws = crate::sources::Workspace::open(dir.path()).unwrap();
    let plan = crate::discover::discover(&ws).unwrap();
    let scan = crate::sources::load(&ws, &plan).unwrap();
    let policy = policy::load(&ws, None, &super::ids()).unwrap();
    let aligned = crate::align::align(&scan);
    let comparison = crate::compare::compare(&scan, &aligned);
    let verdicts = crate::verdict::classify(&comparison, &policy);
    let today = Date {
        year: 2026,
        month: 11,
        day: 23,
    };
    run(&Context::new(
        &scan,
        &comparison,
        &aligned,
        &verdicts,
        &policy,
        today,
    ))
}

/// Findings of one rule, as `(environment, service, setting)`.
pub fn hits(rule: &str, files: &[(&str, &str)]) -> Vec<(String, String, String)> {
    findings(files)
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            (
                f.environment.unwrap_or_default(),
                f.service.unwrap_or_default(),
                f.setting.unwrap_or_default(),
            )
        })
        .collect()
}

/// A staging and a production Compose file.
pub fn pair<'a>(staging: &'a str, production: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
    ]
}

/// `(env, service, setting)` with owned strings, for assertions.
pub fn hit(env: &str, service: &str, setting: &str) -> (String, String, String) {
    (env.to_string(), service.to_string(), setting.to_string())
}
