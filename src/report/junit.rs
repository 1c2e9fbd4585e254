//! JUnit XML, for CI test-report views: one test suite per environment pair (each lower
//! environment against the reference). In each, a rule that found nothing is one passing test
//! case; a rule with findings has one test case per finding (named by rule, environment, service
//! and setting, with `file` and `line` attributes), so a new finding of an already failing rule
//! is a new failure in CI's test history.
//!
//! Which pair a finding belongs to: its own environment when that is a lower one; else the first
//! lower environment among its related places; else (a finding about the reference environment
//! alone, such as debug in production) the pair of the environment promoted into the
//! reference, the highest lower one. Findings about no environment (an expired waiver) go to a
//! suite of their own, present only when there are some. A last suite holds one test case for
//! the score gate, so the report fails exactly when `envparity check` does.
//!
//! A finding's test case fails when it is unwaived and at or above `fail_on`, is skipped when
//! waived, and passes with the finding in its `<system-out>` otherwise. `<testsuites>` carries no
//! `skipped` count (Jenkins' junit-10.xsd has none there; each `<testsuite>` has its own). No
//! setting value is printed.

use std::fmt::Write;

use super::ReportInput;
use crate::policy::Severity;
use crate::rules::{Finding, Rule, RULES};

struct Suite {
    name: String,
    classname: String,
    /// Every rule gets a test case, or only rules with findings (the agnostic suite).
    all_rules: bool,
    /// Positions in the catalog of the rules given a test case.
    rules: Vec<usize>,
}

pub fn render(input: &ReportInput) -> String {
    let (body, tests, failures) = suites(input, None);
    document(&body, tests, failures)
}

/// A monorepo's projects in one file: each project's suites, named `<project>: envparity ...`
/// with class names `envparity.<project>.<env>`, and the totals summed.
pub fn render_projects(projects: &[(&str, &ReportInput)]) -> String {
    let (mut body, mut tests, mut failures) = (String::new(), 0, 0);
    for (name, input) in projects {
        let (b, t, f) = suites(input, Some(name));
        body.push_str(&b);
        tests += t;
        failures += f;
    }
    document(&body, tests, failures)
}

fn document(body: &str, tests: usize, failures: usize) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"envparity\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    out.push_str(body);
    out.push_str("</testsuites>\n");
    out
}

/// The suites of one application (`project` names it in a monorepo), their test count and
/// failure count.
fn suites(input: &ReportInput, project: Option<&str>) -> (String, usize, usize) {
    let (title, class) = match project {
        Some(p) => (format!("{p}: envparity"), format!("envparity.{p}")),
        None => ("envparity".to_string(), "envparity".to_string()),
    };
    let c = input.comparison;
    let a = input.analysis;
    let envs = &c.environments;
    let lower: Vec<usize> = (0..envs.len()).filter(|i| *i != c.reference).collect();
    let mut suites: Vec<Suite> = if lower.is_empty() {
        envs.iter()
            .map(|e| suite(format!("{title} {e}"), format!("{class}.{e}"), true))
            .collect()
    } else {
        lower
            .iter()
            .map(|i| {
                suite(
                    format!("{title} {} vs {}", envs[*i], envs[c.reference]),
                    format!("{class}.{}", envs[*i]),
                    true,
                )
            })
            .collect()
    };
    suites.push(suite(
        format!("{title} (all environments)"),
        format!("{class}.all"),
        false,
    ));
    let agnostic = suites.len() - 1;

    // Per suite, per rule (catalog order), the findings, in the order the analysis gives.
    let mut placed: Vec<Vec<Vec<&Finding>>> = vec![vec![Vec::new(); RULES.len()]; suites.len()];
    for f in &a.findings {
        let s = pair_of(input, &lower, f).unwrap_or(agnostic);
        if let Some(r) = RULES.iter().position(|r| r.id == f.rule) {
            placed[s][r].push(f);
        }
    }
    for (s, per_rule) in suites.iter_mut().zip(&placed) {
        s.rules = (0..RULES.len())
            .filter(|r| s.all_rules || !per_rule[*r].is_empty())
            .collect();
    }

    let mut body = String::new();
    let (mut tests, mut failures) = (0usize, 0usize);
    for (s, per_rule) in suites.iter().zip(&placed) {
        if s.rules.is_empty() {
            continue;
        }
        let mut cases = String::new();
        let (mut t, mut fl, mut sk) = (0usize, 0usize, 0usize);
        for &r in &s.rules {
            for outcome in testcases(&mut cases, &s.classname, RULES[r], &per_rule[r], a.fail_on) {
                t += 1;
                fl += usize::from(outcome == Outcome::Failed);
                sk += usize::from(outcome == Outcome::Skipped);
            }
        }
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{fl}\" errors=\"0\" skipped=\"{sk}\">",
            attr(&s.name)
        );
        body.push_str(&cases);
        body.push_str("  </testsuite>\n");
        tests += t;
        failures += fl;
    }

    // The score gate.
    let score = &a.score;
    let below = score.overall < score.min_score;
    let _ = writeln!(
        body,
        "  <testsuite name=\"{} score\" tests=\"1\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        attr(&title),
        usize::from(below)
    );
    let _ = write!(
        body,
        "    <testcase classname=\"{}.score\" name=\"parity score reaches min_score\"",
        attr(&class)
    );
    if below {
        let _ = writeln!(
            body,
            ">\n      <failure message=\"{}\" type=\"score\"/>\n    </testcase>",
            attr(&format!(
                "parity score {} is below min_score {}",
                score.overall, score.min_score
            ))
        );
    } else {
        let _ = writeln!(
            body,
            ">\n      <system-out>{}</system-out>\n    </testcase>",
            text(&format!(
                "parity score {} (min_score {})",
                score.overall, score.min_score
            ))
        );
    }
    body.push_str("  </testsuite>\n");
    tests += 1;
    failures += usize::from(below);
    (body, tests, failures)
}

fn suite(name: String, classname: String, all_rules: bool) -> Suite {
    Suite {
        name,
        classname,
        all_rules,
        rules: Vec::new(),
    }
}

/// The index in `lower` of the pair a finding belongs to; `None` for no environment.
fn pair_of(input: &ReportInput, lower: &[usize], f: &Finding) -> Option<usize> {
    let envs = &input.comparison.environments;
    let index = |name: &str| envs.iter().position(|e| e == name);
    let own = f.environment.as_deref().and_then(index);
    let related = f.related.iter().filter_map(|r| index(&r.environment));
    let involved: Vec<usize> = own.into_iter().chain(related).collect();
    if involved.is_empty() {
        return None;
    }
    if lower.is_empty() {
        // One environment: its own suite.
        return Some(0);
    }
    let pair = involved
        .iter()
        .find_map(|e| lower.iter().position(|l| l == e))
        .unwrap_or(lower.len() - 1);
    Some(pair)
}

#[derive(PartialEq)]
enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// A rule's test cases in a suite: one passing case when it found nothing there, else one case
/// per finding, so a new finding of an already failing rule is a new failure in CI's history.
/// Returns the outcome of each case written.
fn testcases(
    out: &mut String,
    classname: &str,
    rule: &Rule,
    findings: &[&Finding],
    fail_on: Severity,
) -> Vec<Outcome> {
    let title = format!("{} {}", rule.id, rule.name);
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"/>",
            attr(classname),
            attr(&title)
        );
        return vec![Outcome::Passed];
    }
    let mut seen: Vec<String> = Vec::new();
    findings
        .iter()
        .map(|f| {
            let mut name = format!("{title}{}", subject(f));
            let repeats = seen.iter().filter(|n| **n == name).count();
            seen.push(name.clone());
            if repeats > 0 {
                name = format!("{name} #{}", repeats + 1);
            }
            finding_case(out, classname, &name, f, fail_on)
        })
        .collect()
}

/// What a finding is about, for its test case name: stable when lines move.
fn subject(f: &Finding) -> String {
    let parts: Vec<&str> = [&f.environment, &f.service, &f.setting]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(" "))
    }
}

/// One finding's test case, with `file` and `line` attributes (read by GitLab, junitparser and
/// pytest-style viewers): failed at or above `fail_on`, skipped when waived, passed with the
/// finding in `<system-out>` below `fail_on`; skipped too when recorded in the baseline.
fn finding_case(
    out: &mut String,
    classname: &str,
    name: &str,
    f: &Finding,
    fail_on: Severity,
) -> Outcome {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        attr(classname),
        attr(name)
    );
    if let Some(file) = &f.file {
        let _ = write!(out, " file=\"{}\"", attr(file));
        if let Some(line) = f.line.filter(|l| *l > 0) {
            let _ = write!(out, " line=\"{line}\"");
        }
    }
    out.push_str(">\n");
    let outcome = if let Some(reason) = &f.waived {
        let _ = writeln!(
            out,
            "      <skipped message=\"{}\"/>",
            attr(&format!("waived: {reason}"))
        );
        Outcome::Skipped
    } else if f.baselined {
        // Known before `check --baseline`: shown, not a failure of this run.
        let _ = writeln!(
            out,
            "      <skipped message=\"{}\"/>",
            attr(&format!("baselined: {}", f.message))
        );
        Outcome::Skipped
    } else if f.severity >= fail_on {
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            attr(&f.message),
            f.severity.as_str(),
            text(&line(f))
        );
        Outcome::Failed
    } else {
        let _ = writeln!(out, "      <system-out>{}</system-out>", text(&line(f)));
        Outcome::Passed
    };
    out.push_str("    </testcase>\n");
    outcome
}

/// `file:line: severity: message`, with the other side of a comparison and a waiver's reason.
fn line(f: &Finding) -> String {
    let mut s = match (&f.file, f.line) {
        (Some(file), Some(line)) if line > 0 => format!("{file}:{line}: "),
        (Some(file), _) => format!("{file}: "),
        (None, _) => String::new(),
    };
    let _ = write!(s, "{}: {}", f.severity.as_str(), f.message);
    for r in &f.related {
        let _ = write!(s, " (also {} {}:{})", r.environment, r.file, r.line);
    }
    if let Some(reason) = &f.waived {
        let _ = write!(s, " [waived: {reason}]");
    }
    s
}

/// Escape for XML 1.0 character data: `&`, `<`, `>`, quotes; characters XML 1.0 cannot carry at
/// all (control characters other than tab, newline and carriage return; U+FFFE, U+FFFF) become
/// U+FFFD. A carriage return is written as a reference so parsers do not fold it.
pub fn text(s: &str) -> String {
    escape(s, false)
}

/// Escape for an attribute value: as [`text`], and tab, newline and carriage return as
/// character references, which attribute-value normalisation would otherwise turn into spaces.
pub fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::report::sarif::testing::{finding, fixture};

    #[test]
    fn escaper_handles_markup_quotes_and_control_characters() {
        assert_eq!(
            text("a & b < c > d \"e\" 'f'"),
            "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"
        );
        assert_eq!(text("x\ny\tz\r"), "x\ny\tz&#13;");
        assert_eq!(attr("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
        assert_eq!(
            text("bell\u{7}nul\u{0}esc\u{1b}"),
            "bell\u{FFFD}nul\u{FFFD}esc\u{FFFD}"
        );
        assert_eq!(text("\u{FFFE}\u{FFFF}"), "\u{FFFD}\u{FFFD}");
        assert_eq!(text("ünïcødé ✓ ]]>"), "ünïcødé ✓ ]]&gt;");
        assert_eq!(text("&amp;"), "&amp;amp;");
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn a_clean_run_passes_every_case() {
        let xml = render(&fixture(vec![]).input());
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envparity\""
        ));
        assert!(xml.ends_with("</testsuites>\n"));
        // Two pairs (development and staging vs production), every rule each, plus the score.
        let n = crate::rules::RULES.len();
        assert!(xml.contains(&format!(
            "<testsuite name=\"envparity development vs production\" tests=\"{n}\" failures=\"0\""
        )));
        assert!(xml.contains(&format!(
            "<testsuite name=\"envparity staging vs production\" tests=\"{n}\""
        )));
        assert!(
            !xml.contains("all environments"),
            "no agnostic suite without findings"
        );
        assert!(xml.contains(
            "<testcase classname=\"envparity.staging\" name=\"EP001 cross-environment-reference\"/>"
        ));
        assert_eq!(count(&xml, "<testcase "), 2 * n + 1);
        // The fixture's score (drifting DEBUG) is below its min_score of 90.
        assert!(xml.contains(&format!(
            "<testsuites name=\"envparity\" tests=\"{}\" failures=\"1\" errors=\"0\">",
            2 * n + 1
        )));
        assert!(xml.contains("type=\"score\""));
    }

    #[test]
    fn findings_fail_skip_or_inform_their_pair() {
        let debug = finding(
            "EP005",
            Some("production"),
            "compose.prod.yml",
            7,
            "DEBUG is on in production & <loud>",
        )
        .service("web");
        let shared = finding(
            "EP014",
            Some("development"),
            "compose.dev.yml",
            3,
            "shared network",
        )
        .related("staging", &Origin::new("compose.staging.yml", 4));
        let mut waived = finding(
            "EP007",
            Some("staging"),
            "compose.staging.yml",
            1,
            "no limits",
        );
        waived.severity = Severity::Error;
        waived.waived = Some("until \"Q3\"".into());
        let warning = finding(
            "EP011",
            Some("staging"),
            "compose.staging.yml",
            9,
            "only in staging",
        );
        let expired = finding("EP015", None, "envparity.toml", 12, "waiver expired");
        let xml = render(&fixture(vec![debug, shared, waived, warning, expired]).input());

        // Production-only -> staging vs production (the promotion into the reference).
        let staging = xml
            .split("<testsuite ")
            .find(|s| s.starts_with("name=\"envparity staging vs production\""))
            .unwrap();
        let n = crate::rules::RULES.len();
        assert!(staging.starts_with(&format!(
            "name=\"envparity staging vs production\" tests=\"{n}\" failures=\"1\" errors=\"0\" skipped=\"1\">"
        )));
        assert!(staging.contains(
            "<testcase classname=\"envparity.staging\" name=\"EP005 debug-in-production: production web\" file=\"compose.prod.yml\" line=\"7\">\n      <failure message=\"DEBUG is on in production &amp; &lt;loud&gt;\" type=\"error\">compose.prod.yml:7: error: DEBUG is on in production &amp; &lt;loud&gt;</failure>"
        ));
        assert!(staging.contains("<skipped message=\"waived: until &quot;Q3&quot;\"/>"));
        // A warning below fail_on passes, listed in system-out.
        assert!(staging.contains(
            "name=\"EP011 missing-in-environment: staging\" file=\"compose.staging.yml\" line=\"9\">\n      <system-out>compose.staging.yml:9: warning: only in staging</system-out>"
        ));
        // development + staging -> the development pair (its own environment).
        let dev = xml
            .split("<testsuite ")
            .find(|s| s.starts_with("name=\"envparity development vs production\""))
            .unwrap();
        assert!(dev.contains(
            "compose.dev.yml:3: error: shared network (also staging compose.staging.yml:4)"
        ));
        // No environment -> its own suite, with only the rules that have findings.
        assert!(xml.contains("<testsuite name=\"envparity (all environments)\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"envparity.all\" name=\"EP015 expired-waiver\" file=\"envparity.toml\" line=\"12\">\n      <system-out>envparity.toml:12: warning: waiver expired</system-out>"));
        // n + n + 1 + score; failures: EP005 staging, EP014 development, score.
        assert!(xml.contains(&format!(
            "<testsuites name=\"envparity\" tests=\"{}\" failures=\"3\" errors=\"0\">",
            2 * n + 2
        )));
        assert_eq!(
            render(&fixture(vec![]).input()),
            render(&fixture(vec![]).input())
        );
    }

    #[test]
    fn each_finding_is_its_own_case_so_a_second_one_is_a_new_failure() {
        let one = |line| {
            let mut f = finding(
                "EP006",
                Some("production"),
                "compose.prod.yml",
                line,
                "tag `latest`",
            )
            .service("web");
            f.severity = Severity::Error; // as a policy override would
            f
        };
        let xml = render(&fixture(vec![one(3)]).input());
        let two = render(&fixture(vec![one(3), one(9).service("worker")]).input());
        let failures = |xml: &str| count(xml, "<failure message=\"tag `latest`\"");
        assert_eq!((failures(&xml), failures(&two)), (1, 2));
        assert!(two.contains("name=\"EP006 mutable-image-tag: production worker\" file=\"compose.prod.yml\" line=\"9\""));
        // The same subject twice gets a numbered name, so names stay unique within a suite.
        let same = render(&fixture(vec![one(3), one(4)]).input());
        assert!(same.contains("name=\"EP006 mutable-image-tag: production web #2\""));
        assert!(!two.contains("<testsuites name=\"envparity\" tests=\"0\""));
        let root = two.lines().nth(1).unwrap();
        assert!(
            !root.contains("skipped="),
            "junit-10.xsd has no skipped on <testsuites>: {root}"
        );
    }
}
