//! Adopting the gate on a repository that already has findings: the baseline file
//! (`envparity baseline`, `check --baseline FILE`) and inline suppressions (`suppress`).
//!
//! A baseline records today's unwaived findings by their content fingerprint
//! (`rules::fingerprint`, stable when lines move, changed when the value changes). Checked
//! against it, a finding whose fingerprint is recorded is *baselined*: shown, but not counted
//! by the gate. Entries that match no finding any more are *fixed*, and stale: rewriting the
//! baseline drops them.

pub mod suppress;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::Analysis;
use crate::error::{Error, Result};
use crate::rules::{self, Finding};

/// The file name `envparity baseline` writes by default (relative to the current directory).
pub const DEFAULT_FILE: &str = ".envparity-baseline.json";

/// The version of the file's layout; a different one is refused, not guessed at.
pub const VERSION: u32 = 1;

/// One recorded finding. `file`, `line` and `message` are for people reading the file; only
/// the fingerprint decides a match. The message is the finding's own, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The `[[projects]]` entry the finding belongs to, in a monorepo; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default)]
    pub message: String,
}

impl Entry {
    fn of(f: &Finding) -> Entry {
        Entry {
            project: None,
            rule: f.rule.to_string(),
            environment: f.environment.clone(),
            service: f.service.clone(),
            setting: f.setting.clone(),
            fingerprint: f.fingerprint(),
            file: f.file.clone(),
            line: f.line,
            message: f.message.clone(),
        }
    }

    /// `file:line`, `file`, or nothing.
    pub fn place(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => String::new(),
        }
    }
}

/// The baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub baseline_version: u32,
    /// The fingerprint recipe (`envparity/v2`): a baseline of another recipe cannot match.
    pub fingerprint: String,
    #[serde(default)]
    pub tool_version: String,
    pub findings: Vec<Entry>,
}

/// The recipe named in the file.
fn recipe() -> String {
    format!("envparity/{}", rules::fingerprint::VERSION)
}

impl Baseline {
    /// Today's unwaived findings (waived ones already have a reason and an expiry of their
    /// own), in a fixed order so that the file only changes when the findings do.
    pub fn record(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .filter(|f| f.waived.is_none())
            .map(Entry::of)
            .collect();
        entries.sort();
        Baseline {
            baseline_version: VERSION,
            fingerprint: recipe(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            findings: entries,
        }
    }

    /// The same findings, recorded as `project`'s (in a monorepo, fingerprints of two projects
    /// never match each other's).
    pub fn for_project(mut self, project: &str) -> Baseline {
        for e in &mut self.findings {
            e.project = Some(project.to_string());
        }
        self
    }

    /// One file for several projects' baselines.
    pub fn join(parts: Vec<Baseline>) -> Baseline {
        let mut findings: Vec<Entry> = parts.into_iter().flat_map(|b| b.findings).collect();
        findings.sort();
        Baseline {
            findings,
            ..Baseline::record(&[])
        }
    }

    /// The entries recorded for `project` (`None`: a repository without projects).
    pub fn of_project(mut self, project: Option<&str>) -> Baseline {
        self.findings.retain(|e| e.project.as_deref() == project);
        self
    }

    /// The file's text: pretty JSON ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a baseline file's text; `name` is used in errors, with the line.
    pub fn parse(text: &str, name: &str) -> Result<Baseline> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| {
            let line = u32::try_from(e.line()).unwrap_or(u32::MAX).max(1);
            Error::at(name, line, format!("is not a valid baseline file: {e}"))
        })?;
        if baseline.baseline_version != VERSION {
            return Err(Error::at(
                name,
                line_of_key(text, "baseline_version"),
                format!(
                    "baseline_version {} is not supported (this envparity reads version {VERSION}); \
                     rewrite it with `envparity baseline`",
                    baseline.baseline_version
                ),
            ));
        }
        if baseline.fingerprint != recipe() {
            return Err(Error::at(
                name,
                line_of_key(text, "fingerprint"),
                format!(
                    "fingerprints are `{}`, this envparity computes `{}`; rewrite it with `envparity baseline`",
                    baseline.fingerprint,
                    recipe()
                ),
            ));
        }
        Ok(baseline)
    }

    /// Reads the baseline file the user named (relative to the current directory): a regular
    /// file only, at most `max` bytes.
    pub fn read(path: &Path, max: u64) -> Result<Baseline> {
        let name = path.display().to_string();
        let bytes = crate::sources::read::read_bounded(path, &name, max)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::in_file(name.clone(), "is not valid UTF-8 text"))?;
        Baseline::parse(&text, &name)
    }
}

/// The first line that names `key`, for errors about its value.
fn line_of_key(text: &str, key: &str) -> u32 {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|l| l.contains(&quoted))
        .map_or(1, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// What comparing the findings with a baseline found, beside the marks on the findings.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The baseline file, as the user named it.
    pub file: String,
    /// Findings found now and recorded in the baseline.
    pub baselined: usize,
    /// Unwaived findings found now and not in the baseline.
    pub new: usize,
    /// Entries that match no finding any more: fixed since, and stale in the file.
    pub fixed: Vec<Entry>,
}

/// Marks each unwaived finding whose fingerprint the baseline records as baselined (each entry
/// matches one finding: a second finding with the same fingerprint is new), lists the entries
/// left over as fixed, and judges the gate again.
pub fn apply(baseline: &Baseline, file: &str, analysis: &mut Analysis) {
    let (baselined, new, fixed) = mark(baseline, &mut analysis.findings);
    analysis.baseline = Some(Outcome {
        file: file.to_string(),
        baselined,
        new,
        fixed,
    });
    regate(analysis);
}

/// Marks the baselined findings; returns how many were baselined, how many are new, and the
/// entries left over (fixed).
fn mark(baseline: &Baseline, findings: &mut [Finding]) -> (usize, usize, Vec<Entry>) {
    let mut left: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &baseline.findings {
        left.entry(e.fingerprint.as_str()).or_default().push(e);
    }
    let (mut baselined, mut new) = (0, 0);
    for f in findings.iter_mut().filter(|f| f.waived.is_none()) {
        let fingerprint = f.fingerprint();
        match left.get_mut(fingerprint.as_str()).and_then(Vec::pop) {
            Some(_) => {
                f.baselined = true;
                baselined += 1;
            }
            None => new += 1,
        }
    }
    let mut fixed: Vec<Entry> = left.into_values().flatten().cloned().collect();
    fixed.sort();
    (baselined, new, fixed)
}

/// The gate judged again after findings were waived or baselined after the analysis: nothing
/// failing left, and the score at least `min_score`.
pub fn regate(analysis: &mut Analysis) {
    analysis.passed =
        analysis.failing().next().is_none() && analysis.score.overall >= analysis.score.min_score;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn finding(rule: &str, line: u32, message: &str) -> Finding {
        Finding::new(rules::find(rule).unwrap(), message)
            .env("production")
            .service("web")
            .setting("image")
            .at(&Origin::new("compose.prod.yml", line))
    }

    #[test]
    fn records_unwaived_findings_in_a_fixed_order_and_reads_them_back() {
        let mut waived = finding("EP007", 3, "no limits");
        waived.waived = Some("dedicated hosts".into());
        let a = finding("EP006", 9, "`web` uses `app:latest`");
        let b = finding("EP005", 4, "DEBUG is on");
        let one = Baseline::record(&[a.clone(), waived.clone(), b.clone()]);
        let two = Baseline::record(&[b, a, waived]);
        assert_eq!(one, two);
        assert_eq!(
            one.findings
                .iter()
                .map(|e| e.rule.as_str())
                .collect::<Vec<_>>(),
            ["EP005", "EP006"]
        );
        let text = one.to_json();
        assert!(text.contains("\"baseline_version\": 1"), "{text}");
        assert!(text.contains("\"fingerprint\": \"envparity/v2\""), "{text}");
        assert_eq!(Baseline::parse(&text, "b.json").unwrap(), one);
    }

    #[test]
    fn each_entry_matches_one_finding_wherever_it_moved() {
        let baseline = Baseline::record(&[
            finding("EP006", 9, "`web` uses `app:latest`"),
            finding("EP005", 4, "DEBUG is on"),
        ]);
        let mut now = vec![
            finding("EP006", 19, "`web` uses `app:latest`"),
            finding("EP006", 29, "`web` uses `app:latest`"),
            finding("EP006", 9, "`web` uses `app:main`"),
        ];
        let (baselined, new, fixed) = mark(&baseline, &mut now);
        assert_eq!((baselined, new), (1, 2));
        assert_eq!(
            now.iter().map(|f| f.baselined).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(fixed.len(), 1);
        assert_eq!(
            (fixed[0].rule.as_str(), fixed[0].place()),
            ("EP005", "compose.prod.yml:4".to_string())
        );
    }

    #[test]
    fn each_project_matches_only_its_own_entries() {
        let same = || finding("EP006", 9, "`web` uses `app:latest`");
        let joined = Baseline::join(vec![
            Baseline::record(&[same()]).for_project("web"),
            Baseline::record(&[same(), finding("EP005", 4, "DEBUG is on")]).for_project("api"),
        ]);
        let text = joined.to_json();
        assert!(text.contains("\"project\": \"api\""), "{text}");
        let read = Baseline::parse(&text, "b.json").unwrap();
        let rules =
            |b: Baseline| -> Vec<String> { b.findings.into_iter().map(|e| e.rule).collect() };
        assert_eq!(
            rules(read.clone().of_project(Some("api"))),
            ["EP005", "EP006"]
        );
        assert_eq!(rules(read.clone().of_project(Some("web"))), ["EP006"]);
        assert!(rules(read.of_project(None)).is_empty());
    }

    #[test]
    fn malformed_files_name_the_line() {
        let e = Baseline::parse("{\n  \"baseline_version\": 1,\n  oops\n}", "b.json").unwrap_err();
        assert_eq!(
            (e.file.as_deref(), e.line),
            (Some("b.json"), Some(3)),
            "{e}"
        );
        let e = Baseline::parse(
            "{\n  \"fingerprint\": \"envparity/v2\",\n  \"baseline_version\": 7,\n  \"findings\": []\n}",
            "b.json",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("baseline_version 7"), "{e}");
        let e = Baseline::parse(
            "{\"baseline_version\": 1, \"fingerprint\": \"envparity/v2\", \"findings\": [{\"rule\": \"EP006\"}]}",
            "b.json",
        )
        .unwrap_err();
        assert!(e.message.contains("fingerprint"), "{e}");
    }
}
