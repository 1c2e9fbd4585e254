//! The JSON report: stable and versioned. The schema is documented in `docs/json-schema.md`;
//! a change that removes or retypes a field bumps `SCHEMA_VERSION`.
//!
//! The report lists every setting of every service with its provenance, so on a large repository
//! it is several times the size of the input. It is therefore streamed: borrowed `Serialize`
//! views of the comparison are written straight to the output, and the three large arrays
//! (`services`, `differences`, `findings`) are printed in batches on every core and written in
//! order, so memory holds one batch of text, never the document.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::ser::SerializeMap;
use serde::Serialize;

use super::ReportInput;
use crate::compare::{Cell, CellValue, Status, Totals};
use crate::model::{Quantity, Role, Setting};
use crate::policy::Severity;
use crate::rules::{Finding, Related};
use crate::score::{ComponentScore, LostItem};
use crate::verdict::{Category, Kind};

pub const SCHEMA_VERSION: u32 = 1;

/// The version of the check document (`envparity check --format json`): the judgement without
/// the echo of every setting, so a different shape from the report's.
pub const CHECK_SCHEMA_VERSION: u32 = 2;

/// The JSON document of a run that could not produce a report (exit 2): what a CI step that
/// parses the output reads instead of an empty file. Errors never quote input (see `error.rs`).
pub fn write_error(
    error: &crate::error::Error,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_error_as(error, SCHEMA_VERSION, out)
}

/// `write_error` for `envparity check`: the version is the check document's.
pub fn write_check_error(
    error: &crate::error::Error,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_error_as(error, CHECK_SCHEMA_VERSION, out)
}

fn write_error_as(
    error: &crate::error::Error,
    schema_version: u32,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let doc = serde_json::json!({
        "schema_version": schema_version,
        "tool": {"name": "envparity", "version": env!("CARGO_PKG_VERSION")},
        "error": {
            "file": error.file,
            "line": error.line,
            "column": error.column,
            "message": error.message,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Elements of a large array printed per batch: enough to keep both cores busy, few enough
/// that a batch's text stays small.
const BATCH: usize = 512;

/// The report as a string (tests, and callers that need the text).
pub fn render(input: &ReportInput) -> String {
    let mut out = Vec::new();
    // Writing to a `Vec` cannot fail.
    let _ = write(input, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The check document as a string (tests, and callers that need the text).
pub fn render_check(input: &ReportInput) -> String {
    let mut out = Vec::new();
    // Writing to a `Vec` cannot fail.
    let _ = write_check(input, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the check document (`envparity check --format json`, schema version 2): what the
/// report holds of the judgement (summary, differences, findings, score, gate, notes) and
/// nothing of what is the same everywhere: no `services`, `totals`, `capacity`, `cost` or
/// `environment_settings`. A CI gate's answer costs what differs, not what was read.
pub fn write_check(input: &ReportInput, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = Document::begin(out)?;
    doc.field("schema_version", &CHECK_SCHEMA_VERSION)?;
    doc.field("document", &"check")?;
    header(&mut doc, input)?;
    judgement(&mut doc, input)?;
    notes(&mut doc, input)?;
    if let Some(live) = input.live {
        doc.field("live", live)?;
    }
    doc.end()
}

/// Writes the report to `out`, pretty-printed with two-space indentation and a final newline.
pub fn write(input: &ReportInput, out: &mut dyn Write) -> io::Result<()> {
    let c = input.comparison;
    let envs = c.environments.as_slice();
    let mut doc = Document::begin(out)?;
    doc.field("schema_version", &SCHEMA_VERSION)?;
    header(&mut doc, input)?;
    doc.array("services", &c.services, |s| ServiceJson {
        name: &s.name,
        role: s.role,
        status: s.status,
        alignment: &s.alignment,
        envs: PerEnv::new(envs, move |i| {
            s.envs[i].as_ref().map(|v| ServiceEnvJson {
                members: &s.members[i],
                instances: v.instances,
                instances_max: v.instances_max,
                autoscaler: v.autoscaler.as_deref(),
                optional: v.optional,
                image: v.image.as_deref(),
                cpu_limit_millis: v.cpu_limit_millis,
                memory_limit_bytes: v.memory_limit_bytes,
                cpu_reservation_millis: v.cpu_reservation_millis,
                memory_reservation_bytes: v.memory_reservation_bytes,
                cpu_limit_total_millis: v.cpu_limit_total_millis,
                memory_limit_total_bytes: v.memory_limit_total_bytes,
                file: &v.origin.file,
                line: v.origin.line,
                settings: SettingsJson(&v.settings),
            })
        }),
    })?;
    doc.field("totals", &PerEnv::new(envs, |i| TotalsJson(&c.totals[i])))?;
    doc.field("capacity", &super::capacity::json(input))?;
    doc.field("cost", &super::cost::json(input))?;
    judgement(&mut doc, input)?;
    let environment_settings: Vec<_> = c
        .environment_rows
        .iter()
        .map(|r| RowJson {
            aspect: r.aspect.id().to_string(),
            status: r.status,
            values: PerEnv::new(envs, |i| CellJson::of(&r.cells[i])),
        })
        .collect();
    doc.field("environment_settings", &environment_settings)?;
    notes(&mut doc, input)?;
    if let Some(live) = input.live {
        doc.field("live", live)?;
    }
    doc.end()
}

/// After `schema_version`: the tool, the environments, the files read and the summary.
fn header(doc: &mut Document, input: &ReportInput) -> io::Result<()> {
    let c = input.comparison;
    let envs = c.environments.as_slice();
    doc.field(
        "tool",
        &Tool {
            name: "envparity",
            version: env!("CARGO_PKG_VERSION"),
        },
    )?;
    doc.field("environments", &c.environments)?;
    doc.field("reference_environment", &c.environments.get(c.reference))?;
    doc.field("files", &PerEnv::new(envs, |i| &input.files[i]))?;
    doc.field("summary", &c.summary)
}

/// The judgement, shared by the report and the check document: every row that is not the
/// same with its verdict, the findings, the score and the gate.
fn judgement(doc: &mut Document, input: &ReportInput) -> io::Result<()> {
    let c = input.comparison;
    let a = input.analysis;
    let envs = c.environments.as_slice();
    doc.array("differences", &c.differences(), |d| {
        let v = a.verdicts.of(d);
        let r = d.row;
        DifferenceJson {
            service: d.service,
            aspect: r.aspect.id().to_string(),
            status: r.status,
            verdict: v.map(|v| v.kind),
            reason: v.and_then(|v| v.reason.as_deref()),
            category: v.map(|v| v.category),
            values: PerEnv::new(envs, |i| CellJson::of(&r.cells[i])),
            change_pct: PerEnv::new(envs, |i| r.change_pct[i].map(round2)),
            notes: &r.notes,
        }
    })?;
    let with_baseline = a.baseline.is_some();
    doc.array("findings", &a.findings, |f| {
        FindingJson::of(f, with_baseline)
    })?;
    fn component<'a>(
        envs: &'a [String],
        comp: &'a ComponentScore,
    ) -> ComponentJson<'a, impl Fn(usize) -> Option<f64> + 'a> {
        ComponentJson {
            name: &comp.name,
            score: comp.score,
            items: comp.items,
            in_parity: comp.in_parity,
            per_environment: PerEnv::new(envs, |i| comp.per_environment[i]),
        }
    }
    doc.field(
        "score",
        &ScoreJson {
            overall: a.score.overall,
            min_score: a.score.min_score,
            items: a.score.items,
            in_parity: a.score.in_parity,
            categories: a
                .score
                .categories
                .iter()
                .map(|s| component(envs, s))
                .collect(),
            services: a
                .score
                .services
                .iter()
                .map(|s| component(envs, s))
                .collect(),
            lost: &a.score.lost,
        },
    )?;
    doc.field(
        "gate",
        &GateJson {
            passed: a.passed,
            fail_on: a.fail_on,
            policy_file: a.policy_file.as_deref(),
        },
    )?;
    if let Some(b) = &a.baseline {
        doc.field("baseline", b)?;
    }
    Ok(())
}

/// The notes, last but for `live`.
fn notes(doc: &mut Document, input: &ReportInput) -> io::Result<()> {
    let notes: Vec<NoteJson> = input
        .notes
        .iter()
        .map(|n| NoteJson {
            file: n.origin.as_ref().map(|o| &*o.file),
            line: n.origin.as_ref().map(|o| o.line),
            message: &n.message,
        })
        .collect();
    doc.field("notes", &notes)
}

/// `envparity live --format json`: the live comparison alone (docs/json-schema.md, `live`).
pub fn write_live(live: &crate::live::LiveComparison, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = Document::begin(out)?;
    doc.field("schema_version", &SCHEMA_VERSION)?;
    doc.field(
        "tool",
        &Tool {
            name: "envparity",
            version: env!("CARGO_PKG_VERSION"),
        },
    )?;
    doc.field("live", live)?;
    doc.end()
}

/// The top-level object, written field by field.
struct Document<'w> {
    out: &'w mut dyn Write,
    first: bool,
}

impl<'w> Document<'w> {
    fn begin(out: &'w mut dyn Write) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Document { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n  " } else { b",\n  " })?;
        self.first = false;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b": ")
    }

    fn field(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        to_writer_at(&mut *self.out, 1, value)
    }

    /// A large array: each batch's elements are printed in parallel, then written in order.
    fn array<'a, T: Sync, J: Serialize>(
        &mut self,
        key: &str,
        items: &'a [T],
        view: impl Fn(&'a T) -> J + Sync,
    ) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        for (b, batch) in items.chunks(BATCH).enumerate() {
            let texts: Vec<io::Result<Vec<u8>>> = batch
                .par_iter()
                .map(|item| {
                    let mut text = Vec::with_capacity(256);
                    to_writer_at(&mut text, 2, &view(item))?;
                    Ok(text)
                })
                .collect();
            for (j, text) in texts.into_iter().enumerate() {
                let first = b == 0 && j == 0;
                self.out
                    .write_all(if first { b"\n    " } else { b",\n    " })?;
                self.out.write_all(&text?)?;
            }
        }
        self.out.write_all(b"\n  ]")
    }

    fn end(self) -> io::Result<()> {
        self.out.write_all(b"\n}\n")
    }
}

/// Serializes `value` as `serde_json::to_writer_pretty` would inside a document, `depth`
/// levels deep.
fn to_writer_at(out: &mut dyn Write, depth: usize, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Indented::at(depth));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// serde_json's pretty printer (two spaces) starting at a given depth; its own starts at zero
/// and cannot be told otherwise.
struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    fn at(depth: usize) -> Self {
        Indented {
            depth,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// An object keyed by environment name, its values computed per environment index on the fly.
struct PerEnv<'a, F> {
    names: &'a [String],
    value: F,
}

impl<'a, T: Serialize, F: Fn(usize) -> T> PerEnv<'a, F> {
    fn new(names: &'a [String], value: F) -> Self {
        PerEnv { names, value }
    }
}

impl<T: Serialize, F: Fn(usize) -> T> Serialize for PerEnv<'_, F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.names.len()))?;
        for (i, name) in self.names.iter().enumerate() {
            map.serialize_entry(name, &(self.value)(i))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(bound(serialize = "PerEnv<'a, F>: Serialize"))]
struct ServiceJson<'a, F> {
    name: &'a str,
    role: Role,
    status: Status,
    alignment: &'a [String],
    envs: PerEnv<'a, F>,
}

#[derive(Serialize)]
struct ServiceEnvJson<'a> {
    members: &'a [String],
    instances: u32,
    instances_max: Option<u32>,
    autoscaler: Option<&'a str>,
    optional: bool,
    image: Option<&'a str>,
    cpu_limit_millis: Option<u64>,
    memory_limit_bytes: Option<u64>,
    cpu_reservation_millis: Option<u64>,
    memory_reservation_bytes: Option<u64>,
    cpu_limit_total_millis: Option<u64>,
    memory_limit_total_bytes: Option<u64>,
    file: &'a str,
    line: u32,
    settings: SettingsJson<'a>,
}

struct SettingsJson<'a>(&'a std::collections::BTreeMap<String, Setting>);

impl Serialize for SettingsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, st)| (k, SettingJson::of(st))))
    }
}

/// A setting as shown: the display text (a secret is masked), provenance, and the quantity only
/// for values that are not secret.
#[derive(Serialize)]
struct SettingJson<'a> {
    value: &'a str,
    file: &'a str,
    line: u32,
    secret: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interpolated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<Quantity>,
}

impl<'a> SettingJson<'a> {
    fn of(st: &'a Setting) -> Self {
        SettingJson {
            value: st.display(),
            file: &st.origin.file,
            line: st.origin.line,
            secret: st.is_secret(),
            interpolated: st.interpolated,
            quantity: st.quantity.filter(|_| !st.is_secret()),
        }
    }
}

struct TotalsJson<'a>(&'a Totals);

impl Serialize for TotalsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(13))?;
        m.serialize_entry("services", &t.services)?;
        m.serialize_entry("declared_services", &t.declared_services)?;
        m.serialize_entry("instances", &t.instances)?;
        m.serialize_entry("optional_services", &t.optional_services)?;
        m.serialize_entry("cpu_limit_millis", &t.cpu_limit_millis)?;
        m.serialize_entry("memory_limit_bytes", &t.memory_limit_bytes)?;
        m.serialize_entry("cpu_reservation_millis", &t.cpu_reservation_millis)?;
        m.serialize_entry("memory_reservation_bytes", &t.memory_reservation_bytes)?;
        m.serialize_entry("unlimited_services", &t.unlimited_services)?;
        m.serialize_entry("services_without_cpu_limit", &t.services_without_cpu_limit)?;
        m.serialize_entry(
            "services_without_memory_limit",
            &t.services_without_memory_limit,
        )?;
        m.serialize_entry("cpu_limit_change_pct", &t.cpu_limit_change_pct.map(round2))?;
        m.serialize_entry(
            "memory_limit_change_pct",
            &t.memory_limit_change_pct.map(round2),
        )?;
        m.end()
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "PerEnv<'a, V>: Serialize, PerEnv<'a, C>: Serialize"))]
struct DifferenceJson<'a, V, C> {
    service: Option<&'a str>,
    aspect: String,
    status: Status,
    verdict: Option<Kind>,
    reason: Option<&'a str>,
    category: Option<Category>,
    values: PerEnv<'a, V>,
    change_pct: PerEnv<'a, C>,
    /// What the comparison assumed (a server default for an unset value, keys aligned).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
#[serde(bound(serialize = "PerEnv<'a, V>: Serialize"))]
struct RowJson<'a, V> {
    aspect: String,
    status: Status,
    values: PerEnv<'a, V>,
}

/// A cell: `null` when absent, else its value with provenance. Limits are numbers, with `null`
/// for "no limit".
#[derive(Serialize)]
struct CellJson<'a> {
    value: CellValueJson<'a>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    secret: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum CellValueJson<'a> {
    Count(u32),
    Amount(Option<u64>),
    Flag(bool),
    Text(&'a str),
}

impl<'a> CellJson<'a> {
    fn of(cell: &'a Cell) -> Option<Self> {
        let value = match &cell.value {
            CellValue::Absent => return None,
            CellValue::Instances { count, .. } => CellValueJson::Count(*count),
            CellValue::Millicores(v) | CellValue::Bytes(v) => CellValueJson::Amount(*v),
            CellValue::Flag(b) => CellValueJson::Flag(*b),
            CellValue::Text { text, .. } => CellValueJson::Text(text),
        };
        Some(CellJson {
            value,
            secret: matches!(cell.value, CellValue::Text { secret: true, .. }),
            file: cell.origin.as_ref().map(|o| &*o.file),
            line: cell.origin.as_ref().map(|o| o.line),
        })
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    name: &'a str,
    severity: Severity,
    environment: Option<&'a str>,
    service: Option<&'a str>,
    setting: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    message: &'a str,
    related: &'a [Related],
    waived: Option<&'a str>,
    /// With `check --baseline`: `unchanged` (recorded in the baseline) or `new`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

impl<'a> FindingJson<'a> {
    fn of(f: &'a Finding, with_baseline: bool) -> Self {
        FindingJson {
            rule: f.rule,
            name: f.name,
            severity: f.severity,
            environment: f.environment.as_deref(),
            service: f.service.as_deref(),
            setting: f.setting.as_deref(),
            file: f.file.as_deref(),
            line: f.line,
            message: &f.message,
            related: &f.related,
            waived: f.waived.as_deref(),
            baseline_state: with_baseline.then(|| baseline_state(f)),
        }
    }
}

/// SARIF's words: a baselined finding is `unchanged`, any other `new`.
pub fn baseline_state(f: &Finding) -> &'static str {
    if f.baselined {
        "unchanged"
    } else {
        "new"
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "PerEnv<'a, F>: Serialize"))]
struct ComponentJson<'a, F> {
    name: &'a str,
    score: f64,
    items: u32,
    in_parity: u32,
    per_environment: PerEnv<'a, F>,
}

#[derive(Serialize)]
#[serde(bound(serialize = "ComponentJson<'a, F>: Serialize"))]
struct ScoreJson<'a, F> {
    overall: f64,
    min_score: f64,
    items: u32,
    in_parity: u32,
    categories: Vec<ComponentJson<'a, F>>,
    services: Vec<ComponentJson<'a, F>>,
    lost: &'a [LostItem],
}

#[derive(Serialize)]
struct GateJson<'a> {
    passed: bool,
    fail_on: Severity,
    policy_file: Option<&'a str>,
}

#[derive(Serialize)]
struct NoteJson<'a> {
    file: Option<&'a str>,
    line: Option<u32>,
    message: &'a str,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed printer must print what serde_json's pretty printer prints, at any depth.
    #[test]
    fn indented_printer_matches_serde_json_pretty() {
        let value = serde_json::json!({
            "a": [1, 2, {"b": [], "c": {}, "d": null}],
            "e": {"f": "g\nh", "i": [[], [true]]},
            "j": 1.5,
        });
        let mut out = Vec::new();
        to_writer_at(&mut out, 0, &value).unwrap();
        let expected = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);

        let mut nested = Vec::new();
        to_writer_at(&mut nested, 2, &serde_json::json!({"k": [1]})).unwrap();
        assert_eq!(
            String::from_utf8(nested).unwrap(),
            "{\n      \"k\": [\n        1\n      ]\n    }"
        );
    }

    #[test]
    fn per_env_is_an_object_in_environment_order() {
        let names = vec!["staging".to_string(), "production".to_string()];
        let text = serde_json::to_string(&PerEnv::new(&names, |i| i * 10)).unwrap();
        assert_eq!(text, r#"{"staging":0,"production":10}"#);
    }
}
