//! Comparison: per aligned service and per setting, what is the same, what differs and what
//! exists in some environments only; resource totals per environment with the change against the
//! highest environment (the reference, usually production).
//!
//! Everything a report shows is computed here; reports only format it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::align::AlignedService;
use crate::defaults::{default_of, KnownDefault};
use crate::discover::is_env_word;
use crate::model::{Origin, Quantity, Role, Scan, Setting, SettingValue, Settings};

/// The whole comparison of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Environment names, lowest to highest.
    pub environments: Vec<String>,
    /// Index of the reference environment changes are measured against (the highest).
    pub reference: usize,
    pub services: Vec<ServiceComparison>,
    /// Environment-wide settings (networks, volumes) compared key by key.
    pub environment_rows: Vec<Row>,
    pub totals: Vec<Totals>,
    pub summary: Summary,
    /// Concurrent requests and tasks per service and environment (see `crate::capacity`).
    pub capacity: crate::capacity::Capacity,
}

/// How a row (or a service) compares across environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Same,
    Different,
    /// Present in some environments only.
    Partial,
}

/// One logical service compared.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceComparison {
    pub name: String,
    pub role: Role,
    /// Per environment: the declared names behind it (empty when absent).
    pub members: Vec<Vec<String>>,
    pub alignment: Vec<String>,
    /// Per environment: the service as one view, `None` when absent.
    pub envs: Vec<Option<ServiceView>>,
    pub rows: Vec<Row>,
    pub status: Status,
}

/// A logical service in one environment: its members taken together.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub instances: u32,
    pub instances_max: Option<u32>,
    /// What scales it (`HPA`), when autoscaled.
    pub autoscaler: Option<String>,
    pub image: Option<String>,
    pub optional: bool,
    /// Per instance; `None` = no limit.
    pub cpu_limit_millis: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub cpu_reservation_millis: Option<u64>,
    pub memory_reservation_bytes: Option<u64>,
    /// Limit times instances; `None` when any instance is unlimited.
    pub cpu_limit_total_millis: Option<u64>,
    pub memory_limit_total_bytes: Option<u64>,
    pub settings: Settings,
    pub origin: Origin,
}

/// What a row compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Instances,
    Image,
    Optional,
    CpuLimit,
    MemoryLimit,
    CpuReservation,
    MemoryReservation,
    Setting(String),
}

impl Aspect {
    /// A stable identifier: `instances`, `memory_limit`, or the setting key.
    pub fn id(&self) -> &str {
        match self {
            Aspect::Instances => "instances",
            Aspect::Image => "image",
            Aspect::Optional => "optional",
            Aspect::CpuLimit => "cpu_limit",
            Aspect::MemoryLimit => "memory_limit",
            Aspect::CpuReservation => "cpu_reservation",
            Aspect::MemoryReservation => "memory_reservation",
            Aspect::Setting(k) => k,
        }
    }
}

/// One compared aspect across environments.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub aspect: Aspect,
    /// Per environment.
    pub cells: Vec<Cell>,
    pub status: Status,
    /// Per environment: percentage change against the reference environment (negative = less),
    /// when both are numbers of the same unit and the reference is not zero.
    pub change_pct: Vec<Option<f64>>,
    /// What the comparison assumed: a server default standing for an unset value, keys of
    /// different spelling compared as one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One environment's value in a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CellValue {
    /// The aspect does not exist there (service or setting absent).
    Absent,
    Instances {
        count: u32,
        max: Option<u32>,
        /// What scales it (`HPA`), when autoscaled.
        by: Option<String>,
    },
    /// CPU in millicores; `None` = no limit.
    Millicores(Option<u64>),
    /// Memory in bytes; `None` = no limit.
    Bytes(Option<u64>),
    Flag(bool),
    Text {
        /// Shared with the setting it shows.
        text: std::sync::Arc<str>,
        secret: bool,
        quantity: Option<Quantity>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub value: CellValue,
    pub origin: Option<Origin>,
}

/// Resource totals of one environment: per-instance values times instances, summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Logical services present.
    pub services: u32,
    /// Services as declared in the files (`web1..web4` count 4).
    pub declared_services: u32,
    pub instances: u32,
    pub optional_services: u32,
    /// Sum over services with a limit; `None` when no service has one.
    pub cpu_limit_millis: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub cpu_reservation_millis: Option<u64>,
    pub memory_reservation_bytes: Option<u64>,
    /// Declared services lacking a CPU limit, a memory limit, or either.
    pub services_without_cpu_limit: u32,
    pub services_without_memory_limit: u32,
    pub unlimited_services: u32,
    /// Change of the CPU and memory limit totals against the reference, when both environments
    /// limit every service.
    pub cpu_limit_change_pct: Option<f64>,
    pub memory_limit_change_pct: Option<f64>,
}

/// Counts for a summary line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub services: u32,
    pub services_in_all: u32,
    pub services_partial: u32,
    pub rows_same: u32,
    pub rows_different: u32,
    pub rows_partial: u32,
}

/// A difference, flattened for lists and the JSON `differences[]`.
#[derive(Debug, Clone, Serialize)]
pub struct Difference<'a> {
    pub service: Option<&'a str>,
    pub row: &'a Row,
    /// Where the row is: `(Some(service index), row index)` in `services`, or
    /// `(None, index)` in `environment_rows` (verdicts are parallel to these).
    #[serde(skip)]
    pub position: (Option<usize>, usize),
}

impl Comparison {
    /// Every row that is not the same everywhere, service rows first.
    pub fn differences(&self) -> Vec<Difference<'_>> {
        let service_rows = self.services.iter().enumerate().flat_map(|(si, s)| {
            s.rows.iter().enumerate().map(move |(ri, row)| Difference {
                service: Some(s.name.as_str()),
                row,
                position: (Some(si), ri),
            })
        });
        let environment_rows =
            self.environment_rows
                .iter()
                .enumerate()
                .map(|(ri, row)| Difference {
                    service: None,
                    row,
                    position: (None, ri),
                });
        service_rows
            .chain(environment_rows)
            .filter(|d| d.row.status != Status::Same)
            .collect()
    }
}

/// Compare aligned services across the scan's environments.
pub fn compare(scan: &Scan, aligned: &[AlignedService]) -> Comparison {
    let environments: Vec<String> = scan.environments.iter().map(|e| e.name.clone()).collect();
    let reference = environments.len().saturating_sub(1);
    // Each logical service is compared on its own: on every core, taken in alignment order,
    // beside the capacity model, which reads only the scan.
    let (services, capacity) = rayon::join(
        || -> Vec<ServiceComparison> {
            aligned
                .par_iter()
                .map(|a| compare_service(scan, a, reference))
                .collect()
        },
        || crate::capacity::compute(scan, aligned, reference),
    );

    let environment_rows = compare_environment_settings(scan, reference);
    let mut totals: Vec<Totals> = (0..environments.len())
        .map(|e| totals_of(scan, e, &services))
        .collect();
    let ref_totals = totals.get(reference).cloned().unwrap_or_default();
    for t in &mut totals {
        let fully = |x: &Totals, unlimited: u32, v: Option<u64>| {
            v.filter(|_| unlimited == 0 && x.declared_services > 0)
        };
        t.cpu_limit_change_pct = change(
            fully(t, t.services_without_cpu_limit, t.cpu_limit_millis).map(|v| v as f64),
            fully(
                &ref_totals,
                ref_totals.services_without_cpu_limit,
                ref_totals.cpu_limit_millis,
            )
            .map(|v| v as f64),
        );
        t.memory_limit_change_pct = change(
            fully(t, t.services_without_memory_limit, t.memory_limit_bytes).map(|v| v as f64),
            fully(
                &ref_totals,
                ref_totals.services_without_memory_limit,
                ref_totals.memory_limit_bytes,
            )
            .map(|v| v as f64),
        );
    }

    let mut summary = Summary {
        services: services.len() as u32,
        ..Summary::default()
    };
    for s in &services {
        if s.envs.iter().all(Option::is_some) {
            summary.services_in_all += 1;
        } else {
            summary.services_partial += 1;
        }
        for r in &s.rows {
            count_row(&mut summary, r);
        }
    }
    for r in &environment_rows {
        count_row(&mut summary, r);
    }
    Comparison {
        environments,
        reference,
        services,
        environment_rows,
        totals,
        summary,
        capacity,
    }
}

fn count_row(summary: &mut Summary, r: &Row) {
    match r.status {
        Status::Same => summary.rows_same += 1,
        Status::Different => summary.rows_different += 1,
        Status::Partial => summary.rows_partial += 1,
    }
}

fn compare_service(scan: &Scan, a: &AlignedService, reference: usize) -> ServiceComparison {
    let n = scan.environments.len();
    let envs: Vec<Option<ServiceView>> = (0..n).map(|e| view(scan, a, e)).collect();
    // Rows compare the environments that have the service (its absence is the presence row);
    // a service of one environment only is "only in" it, row by row.
    let mut present: Vec<bool> = envs.iter().map(Option::is_some).collect();
    if present.iter().filter(|p| **p).count() < 2 {
        present.fill(true);
    }
    let members = (0..n)
        .map(|e| a.services(scan, e).map(|s| s.name.clone()).collect())
        .collect();

    let mut rows = Vec::new();
    let cell_of = |f: &dyn Fn(&ServiceView) -> (CellValue, Option<Origin>)| -> Vec<Cell> {
        envs.iter()
            .map(|v| match v {
                Some(v) => {
                    let (value, origin) = f(v);
                    Cell { value, origin }
                }
                None => Cell {
                    value: CellValue::Absent,
                    origin: None,
                },
            })
            .collect()
    };
    let first = |e: usize| a.services(scan, e).next();
    rows.push(row(
        Aspect::Instances,
        cell_of(&|v| {
            (
                CellValue::Instances {
                    count: v.instances,
                    max: v.instances_max,
                    by: v.autoscaler.clone(),
                },
                None,
            )
        }),
        reference,
        &present,
    ));
    rows.push(row(
        Aspect::Image,
        envs.iter()
            .enumerate()
            .map(|(e, v)| match v {
                Some(v) => Cell {
                    value: match &v.image {
                        Some(i) => CellValue::Text {
                            text: i.as_str().into(),
                            secret: false,
                            quantity: None,
                        },
                        None => CellValue::Absent,
                    },
                    origin: first(e).and_then(|s| s.image.as_ref().map(|i| i.origin.clone())),
                },
                None => Cell {
                    value: CellValue::Absent,
                    origin: None,
                },
            })
            .collect(),
        reference,
        &present,
    ));
    if envs.iter().flatten().any(|v| v.optional) {
        rows.push(row(
            Aspect::Optional,
            cell_of(&|v| (CellValue::Flag(v.optional), None)),
            reference,
            &present,
        ));
    }
    let res_origin =
        |e: usize, pick: fn(&crate::model::Resources) -> Option<&crate::model::Located<u64>>| {
            first(e).and_then(|s| pick(&s.resources).map(|l| l.origin.clone()))
        };
    type Pick = fn(&crate::model::Resources) -> Option<&crate::model::Located<u64>>;
    type Spec = (Aspect, fn(&ServiceView) -> Option<u64>, bool, Pick);
    let specs: [Spec; 4] = [
        (
            Aspect::CpuLimit,
            |v| v.cpu_limit_millis,
            true,
            |r| r.cpu_limit_millis.as_ref(),
        ),
        (
            Aspect::MemoryLimit,
            |v| v.memory_limit_bytes,
            false,
            |r| r.memory_limit_bytes.as_ref(),
        ),
        (
            Aspect::CpuReservation,
            |v| v.cpu_reservation_millis,
            true,
            |r| r.cpu_reservation_millis.as_ref(),
        ),
        (
            Aspect::MemoryReservation,
            |v| v.memory_reservation_bytes,
            false,
            |r| r.memory_reservation_bytes.as_ref(),
        ),
    ];
    for (aspect, get, is_cpu, pick) in specs {
        let cells = envs
            .iter()
            .enumerate()
            .map(|(e, v)| match v {
                Some(v) => Cell {
                    value: if is_cpu {
                        CellValue::Millicores(get(v))
                    } else {
                        CellValue::Bytes(get(v))
                    },
                    origin: res_origin(e, pick),
                },
                None => Cell {
                    value: CellValue::Absent,
                    origin: None,
                },
            })
            .collect();
        rows.push(row(aspect, cells, reference, &present));
    }

    let env_names: Vec<&str> = scan.environments.iter().map(|e| e.name.as_str()).collect();
    let per_env_keys: Vec<Vec<&str>> = envs
        .iter()
        .map(|v| {
            v.as_ref()
                .map(|v| v.settings.keys().map(String::as_str).collect())
                .unwrap_or_default()
        })
        .collect();
    let mut alignment = a.reasons.clone();
    for k in align_keys(&per_env_keys, &env_names, reference) {
        let settings: Vec<Option<&Setting>> = (0..n)
            .map(|e| k.keys[e].and_then(|raw| envs[e].as_ref()?.settings.get(raw)))
            .collect();
        // A server the service runs in an environment without setting this runs on its default.
        let defaults: Vec<Option<KnownDefault>> = (0..n)
            .map(|e| {
                let view = envs[e].as_ref().filter(|_| settings[e].is_none())?;
                default_of(&k.shown, view.image.as_deref())
            })
            .collect();
        let mut r = setting_row(k.shown.clone(), &settings, reference, &present, &defaults);
        note_alignment(&k, &env_names, &mut r.notes, &mut alignment);
        rows.push(r);
    }
    let status = if envs.iter().any(Option::is_none) {
        Status::Partial
    } else if rows.iter().all(|r| r.status == Status::Same) {
        Status::Same
    } else {
        Status::Different
    };
    ServiceComparison {
        name: a.name.clone(),
        role: a.role,
        members,
        alignment,
        envs,
        rows,
        status,
    }
}

/// A row of one setting across environments (`None` where it is absent). Secrets compare by
/// fingerprint, not by their (identical) masked text.
/// Where a setting is unset and `defaults` knows its server's default, the cell holds that
/// default (with no origin) and the row says so in its notes.
fn setting_row(
    key: String,
    settings: &[Option<&Setting>],
    reference: usize,
    present: &[bool],
    defaults: &[Option<KnownDefault>],
) -> Row {
    let mut notes: Vec<String> = Vec::new();
    let cells = settings
        .iter()
        .zip(defaults)
        .map(|(s, default)| match (s, default) {
            (Some(s), _) => Cell {
                value: CellValue::Text {
                    text: s.value.shared_display(),
                    secret: s.is_secret(),
                    quantity: s.quantity,
                },
                origin: Some(s.origin.clone()),
            },
            (None, Some(d)) => {
                if !notes.contains(&d.note) {
                    notes.push(d.note.clone());
                }
                default_cell(&key, d)
            }
            (None, None) => Cell {
                value: CellValue::Absent,
                origin: None,
            },
        })
        .collect();
    let mut r = row(Aspect::Setting(key), cells, reference, present);
    r.notes = notes;
    let values: Vec<Option<&SettingValue>> = settings
        .iter()
        .zip(present)
        .filter(|(_, p)| **p)
        .map(|(s, _)| s.map(|s| &s.value))
        .collect();
    if r.status != Status::Partial && values.iter().flatten().any(|v| v.is_secret()) {
        let first = values.first().copied().flatten();
        r.status = if values.iter().all(|v| *v == first) {
            Status::Same
        } else {
            Status::Different
        };
    }
    r
}

/// A server default shown as the value of an unset setting; it was written nowhere.
fn default_cell(key: &str, d: &KnownDefault) -> Cell {
    let server = key.split('.').next().unwrap_or(key);
    Cell {
        value: CellValue::Text {
            text: d.value.into(),
            secret: false,
            quantity: crate::sources::units::server_quantity(server, d.value),
        },
        origin: None,
    }
}

/// The members of an aligned service in one environment, as one service.
fn view(scan: &Scan, a: &AlignedService, e: usize) -> Option<ServiceView> {
    let members: Vec<_> = a.services(scan, e).collect();
    let first = members.first()?;
    let instances: u32 = members.iter().map(|s| s.instances.count).sum();
    let instances_max = members
        .iter()
        .map(|s| s.instances.autoscale_max)
        .try_fold(0u32, |acc, m| m.map(|m| acc + m))
        .filter(|_| members.iter().any(|s| s.instances.autoscale_max.is_some()));
    let per_instance = |get: fn(&crate::model::Resources) -> Option<u64>| -> Option<u64> {
        // Unlimited if any member is; otherwise the largest member's value.
        members
            .iter()
            .map(|s| get(&s.resources))
            .try_fold(0u64, |acc, v| v.map(|v| acc.max(v)))
    };
    let total = |get: fn(&crate::model::Resources) -> Option<u64>| -> Option<u64> {
        members
            .iter()
            .map(|s| get(&s.resources).map(|v| v.saturating_mul(u64::from(s.instances.count))))
            .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
    };
    let mut images: Vec<String> = members
        .iter()
        .filter_map(|s| s.image.as_ref().map(|i| i.value.to_string()))
        .collect();
    images.dedup();
    let autoscaler = members.iter().find_map(|s| s.instances.autoscaler.clone());
    Some(ServiceView {
        instances,
        instances_max,
        autoscaler,
        image: (!images.is_empty()).then(|| images.join(" / ")),
        optional: members.iter().all(|s| s.is_optional()),
        cpu_limit_millis: per_instance(|r| r.cpu_limit_millis.as_ref().map(|l| l.value)),
        memory_limit_bytes: per_instance(|r| r.memory_limit_bytes.as_ref().map(|l| l.value)),
        cpu_reservation_millis: per_instance(|r| {
            r.cpu_reservation_millis.as_ref().map(|l| l.value)
        }),
        memory_reservation_bytes: per_instance(|r| {
            r.memory_reservation_bytes.as_ref().map(|l| l.value)
        }),
        cpu_limit_total_millis: total(|r| r.cpu_limit_millis.as_ref().map(|l| l.value)),
        memory_limit_total_bytes: total(|r| r.memory_limit_bytes.as_ref().map(|l| l.value)),
        settings: with_long_build_form(merged_settings(
            &members.iter().map(|s| &s.settings).collect::<Vec<_>>(),
        )),
        origin: first.origin.clone(),
    })
}

/// Compose's short `build: ./app` is the long form's `build.context: ./app`: one setting.
fn with_long_build_form(mut settings: Settings) -> Settings {
    // Asked first: removing through a shared map would copy it.
    if !settings.contains_key("build") {
        return settings;
    }
    if let Some(context) = settings.remove("build") {
        settings
            .entry("build.context".to_string())
            .or_insert(context);
    }
    settings
}

/// Settings of several members as one map. A key with one value everywhere keeps it; otherwise
/// the distinct values are listed, and a key some members lack says on how many it is set.
/// One member's map is shared, not copied.
fn merged_settings(members: &[&Settings]) -> Settings {
    if let [only] = members {
        return (*only).clone();
    }
    let keys: BTreeSet<&String> = members.iter().flat_map(|m| m.keys()).collect();
    let mut out = BTreeMap::new();
    for key in keys {
        let present: Vec<&Setting> = members.iter().filter_map(|m| m.get(key)).collect();
        let mut distinct: Vec<&Setting> = Vec::new();
        for s in &present {
            if !distinct.iter().any(|d| d.value == s.value) {
                distinct.push(s);
            }
        }
        let first = present[0];
        let merged = if distinct.len() == 1 && present.len() == members.len() {
            first.clone()
        } else {
            let mut text = distinct
                .iter()
                .map(|s| s.display())
                .collect::<Vec<_>>()
                .join(" / ");
            if present.len() < members.len() {
                text.push_str(&format!(
                    " (on {} of {} members)",
                    present.len(),
                    members.len()
                ));
            }
            let mut s = first.clone();
            s.value = if distinct.iter().any(|d| d.is_secret()) {
                SettingValue::Secret(Box::new(crate::model::MaskedSecret::new(
                    &distinct
                        .iter()
                        .map(|d| format!("{:?}", d.value))
                        .collect::<String>(),
                    text,
                )))
            } else {
                SettingValue::Text(text.into())
            };
            s.quantity = None;
            s
        };
        out.insert(key.clone(), merged);
    }
    out.into()
}

/// A row over the environments where its service is `present`.
fn row(aspect: Aspect, cells: Vec<Cell>, reference: usize, present: &[bool]) -> Row {
    let compared: Vec<&Cell> = cells
        .iter()
        .zip(present)
        .filter(|(_, p)| **p)
        .map(|(c, _)| c)
        .collect();
    let with_value = compared
        .iter()
        .filter(|c| c.value != CellValue::Absent)
        .count();
    let status = if with_value > 0 && with_value < compared.len() {
        Status::Partial
    } else if compared
        .windows(2)
        .all(|w| equivalent(aspect.id(), &w[0].value, &w[1].value))
    {
        Status::Same
    } else {
        Status::Different
    };
    let number = |c: &Cell| -> Option<(std::mem::Discriminant<CellValue>, Option<Quantity>, f64)> {
        match &c.value {
            CellValue::Instances { count, .. } => {
                Some((std::mem::discriminant(&c.value), None, f64::from(*count)))
            }
            CellValue::Millicores(Some(v)) | CellValue::Bytes(Some(v)) => {
                Some((std::mem::discriminant(&c.value), None, *v as f64))
            }
            CellValue::Text {
                quantity: Some(q),
                secret: false,
                ..
            } => Some((std::mem::discriminant(&c.value), Some(*q), q.magnitude())),
            _ => None,
        }
    };
    let reference_number = cells.get(reference).and_then(number);
    let change_pct = cells
        .iter()
        .map(|c| {
            let (kind, q, v) = number(c)?;
            let (rkind, rq, r) = reference_number?;
            let same_unit = kind == rkind
                && match (q, rq) {
                    (Some(a), Some(b)) => a.same_unit(&b),
                    (None, None) => true,
                    _ => false,
                };
            if !same_unit || status == Status::Same {
                return None;
            }
            change(Some(v), Some(r))
        })
        .collect();
    Row {
        aspect,
        cells,
        status,
        change_pct,
        notes: Vec::new(),
    }
}

/// Whether two cells of the row `key` say the same thing: equal, or texts that mean the same
/// (`true` / `1` / `yes` / `on`; `60s` / `60`; the server's own spellings, see
/// [`crate::defaults::canonical`]). Secrets compare by fingerprint elsewhere.
pub fn equivalent(key: &str, a: &CellValue, b: &CellValue) -> bool {
    if a == b {
        return true;
    }
    let (
        CellValue::Text {
            text: ta,
            secret: false,
            quantity: qa,
        },
        CellValue::Text {
            text: tb,
            secret: false,
            quantity: qb,
        },
    ) = (a, b)
    else {
        return false;
    };
    if let (Some(qa), Some(qb)) = (qa, qb) {
        if qa.same_unit(qb) && qa.magnitude() == qb.magnitude() {
            return true;
        }
    }
    canonical_text(key, ta) == canonical_text(key, tb)
}

/// A value with booleans spelled one way (`True`, `1`, `yes`, `on` are `true`) and the server's
/// own equivalent spellings folded.
fn canonical_text(key: &str, text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => return "true".into(),
        "false" | "0" | "no" | "off" => return "false".into(),
        _ => {}
    }
    crate::defaults::canonical(key, trimmed).unwrap_or_else(|| trimmed.to_string())
}

/// Percentage change of `value` against `reference`; `None` when unknown or the reference is 0.
fn change(value: Option<f64>, reference: Option<f64>) -> Option<f64> {
    let (v, r) = (value?, reference?);
    (r != 0.0).then(|| (v - r) / r * 100.0)
}

fn totals_of(scan: &Scan, e: usize, services: &[ServiceComparison]) -> Totals {
    let env = &scan.environments[e];
    let mut t = Totals {
        services: services.iter().filter(|s| s.envs[e].is_some()).count() as u32,
        declared_services: env.services.len() as u32,
        ..Totals::default()
    };
    let add = |acc: &mut Option<u64>, v: Option<u64>, n: u32| {
        if let Some(v) = v {
            *acc = Some(
                acc.unwrap_or(0)
                    .saturating_add(v.saturating_mul(u64::from(n))),
            );
        }
    };
    for s in &env.services {
        let r = &s.resources;
        let n = s.instances.count;
        t.instances += n;
        if s.is_optional() {
            t.optional_services += 1;
        }
        add(
            &mut t.cpu_limit_millis,
            r.cpu_limit_millis.as_ref().map(|l| l.value),
            n,
        );
        add(
            &mut t.memory_limit_bytes,
            r.memory_limit_bytes.as_ref().map(|l| l.value),
            n,
        );
        add(
            &mut t.cpu_reservation_millis,
            r.cpu_reservation_millis.as_ref().map(|l| l.value),
            n,
        );
        add(
            &mut t.memory_reservation_bytes,
            r.memory_reservation_bytes.as_ref().map(|l| l.value),
            n,
        );
        let no_cpu = r.cpu_limit_millis.is_none();
        let no_mem = r.memory_limit_bytes.is_none();
        t.services_without_cpu_limit += u32::from(no_cpu);
        t.services_without_memory_limit += u32::from(no_mem);
        t.unlimited_services += u32::from(no_cpu || no_mem);
    }
    t
}

/// Environment-wide settings, keys aligned across environments as service settings are (see
/// [`align_keys`]). A server setting an environment leaves unset while setting others of the
/// same server (`redis.*`) is compared with the server's default.
fn compare_environment_settings(scan: &Scan, reference: usize) -> Vec<Row> {
    let env_names: Vec<&str> = scan.environments.iter().map(|e| e.name.as_str()).collect();
    let per_env_keys: Vec<Vec<&str>> = scan
        .environments
        .iter()
        .map(|env| env.settings.keys().map(String::as_str).collect())
        .collect();
    // Per environment, the namespaces of its settings (`postgres` of `postgres.max_connections`):
    // which servers it configures, looked up once per key instead of by a scan of every key.
    let namespaces: Vec<crate::hash::HashSet<&str>> = per_env_keys
        .iter()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.split_once('.').map(|(ns, _)| ns))
                .collect()
        })
        .collect();
    let every = vec![true; scan.environments.len()];
    let mut ignored = Vec::new();
    align_keys(&per_env_keys, &env_names, reference)
        .into_iter()
        .map(|k| {
            let settings: Vec<Option<&Setting>> = scan
                .environments
                .iter()
                .zip(&k.keys)
                .map(|(env, raw)| raw.and_then(|raw| env.settings.get(raw)))
                .collect();
            let defaults: Vec<Option<KnownDefault>> = namespaces
                .iter()
                .zip(&settings)
                .map(|(namespaces, s)| {
                    let server = k.shown.split_once('.')?.0;
                    let runs_server = namespaces.contains(server);
                    (s.is_none() && runs_server)
                        .then(|| default_of(&k.shown, None))
                        .flatten()
                })
                .collect();
            let mut r = setting_row(k.shown.clone(), &settings, reference, &every, &defaults);
            note_alignment(&k, &env_names, &mut r.notes, &mut ignored);
            r
        })
        .collect()
}

/// One compared setting: the key shown (the reference environment's spelling, else the first
/// one's) and, per environment, the key it has there.
struct AlignedKey<'k> {
    shown: String,
    keys: Vec<Option<&'k str>>,
}

/// Keys of each environment aligned across environments: equal keys together, and keys that
/// differ only by environment words in a segment (`secrets-staging.URL`,
/// `secrets-production.URL`). Normalising never merges two keys of one environment
/// (`dev_account_id` and `staging_account_id` stay two) and never renames a key: the real key
/// is kept, the normalised one only aligns.
fn align_keys<'k>(
    per_env: &[Vec<&'k str>],
    env_names: &[&str],
    reference: usize,
) -> Vec<AlignedKey<'k>> {
    let mut environments_of: BTreeMap<&str, usize> = BTreeMap::new();
    for keys in per_env {
        for k in keys {
            *environments_of.entry(k).or_default() += 1;
        }
    }
    // Keys are borrowed where they align as spelled, which is nearly always: only a key of one
    // environment is rewritten.
    let mut groups: BTreeMap<Cow<'k, str>, Vec<Option<&'k str>>> = BTreeMap::new();
    for (e, keys) in per_env.iter().enumerate() {
        let mut by_normal: BTreeMap<Cow<'k, str>, Vec<&'k str>> = BTreeMap::new();
        for k in keys {
            // A key spelled alike in several environments aligns as spelled.
            let normal = if environments_of[k] > 1 {
                Cow::Borrowed(*k)
            } else {
                Cow::Owned(key_without_environment(k, env_names))
            };
            by_normal.entry(normal).or_default().push(k);
        }
        let mut place = |key: Cow<'k, str>, raw: &'k str| {
            groups
                .entry(key)
                .or_insert_with(|| vec![None; per_env.len()])[e] = Some(raw);
        };
        for (normal, raws) in by_normal {
            match raws.as_slice() {
                [one] => place(normal, one),
                _ => raws.iter().for_each(|r| place(Cow::Borrowed(r), r)),
            }
        }
    }
    let mut out: Vec<AlignedKey> = groups
        .into_values()
        .map(|keys| {
            let shown = keys
                .get(reference)
                .copied()
                .flatten()
                .or_else(|| keys.iter().flatten().next().copied())
                .unwrap_or_default()
                .to_string();
            AlignedKey { shown, keys }
        })
        .collect();
    out.sort_by(|a, b| a.shown.cmp(&b.shown));
    out
}

/// `networks.app_staging_net.driver` -> `networks.app-net.driver`: segments naming an
/// environment lose those words (the rest joined with `-`), a segment that is only an
/// environment word goes (`route.api.staging.example.com/` -> `route.api.example.com/`); other
/// segments keep their spelling. Only for aligning: keys are shown as written.
fn key_without_environment(key: &str, env_names: &[&str]) -> String {
    key.split('.')
        .filter(|seg| !(is_env_word(seg) || env_names.contains(seg)))
        .map(|seg| {
            let words: Vec<&str> = seg.split(['-', '_']).collect();
            let kept: Vec<&str> = words
                .iter()
                .copied()
                .filter(|w| !(is_env_word(w) || env_names.contains(w)))
                .collect();
            // Only a segment that named an environment is rewritten: `DATABASE_URL` and
            // `instance_type` keep their spelling.
            if kept.is_empty() || kept.len() == words.len() {
                seg.to_string()
            } else {
                kept.join("-")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A row whose environments spell its key differently says which keys it compares, and the
/// service's alignment notes say once per differing segment that they were taken as one.
fn note_alignment(
    k: &AlignedKey,
    env_names: &[&str],
    row_notes: &mut Vec<String>,
    alignment: &mut Vec<String>,
) {
    let spelled: Vec<(&str, &str)> = env_names
        .iter()
        .zip(&k.keys)
        .filter_map(|(env, key)| Some((*env, (*key)?)))
        .collect();
    if spelled.iter().all(|(_, key)| *key == k.shown) {
        return;
    }
    let list = |parts: Vec<String>| parts.join(", ");
    row_notes.push(format!(
        "compared as one setting (environment names in the key): {}",
        list(
            spelled
                .iter()
                .map(|(env, key)| format!("`{key}` ({env})"))
                .collect()
        )
    ));
    let segments: Vec<Vec<&str>> = spelled
        .iter()
        .map(|(_, key)| key.split('.').collect())
        .collect();
    let depth = segments.iter().map(Vec::len).min().unwrap_or(0);
    for i in (0..depth).filter(|i| segments.iter().any(|s| s[*i] != segments[0][*i])) {
        let note = format!(
            "settings under {} compared as one (environment names in setting keys)",
            list(
                spelled
                    .iter()
                    .zip(&segments)
                    .map(|((env, _), s)| format!("`{}` ({env})", s[..=i].join(".")))
                    .collect()
            )
        );
        if !alignment.contains(&note) {
            alignment.push(note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::align;
    use crate::model::{Environment, Instances, Located, Service};

    fn svc(
        name: &str,
        cpu: Option<u64>,
        mem: Option<u64>,
        n: u32,
        settings: &[(&str, &str)],
    ) -> Service {
        let mut s = Service::new(name, Origin::new("f.yml", 1));
        s.role = Role::Web;
        s.instances = Instances {
            count: n,
            ..Instances::default()
        };
        s.resources.cpu_limit_millis = cpu.map(|v| Located::new(v, Origin::new("f.yml", 3)));
        s.resources.memory_limit_bytes = mem.map(|v| Located::new(v, Origin::new("f.yml", 4)));
        for (k, v) in settings {
            s.settings
                .insert(k.to_string(), Setting::new(k, *v, Origin::new("f.yml", 9)));
        }
        s
    }

    fn scan(staging: Vec<Service>, production: Vec<Service>) -> Scan {
        Scan {
            environments: vec![
                Environment {
                    services: staging,
                    ..Environment::new("staging")
                },
                Environment {
                    services: production,
                    ..Environment::new("production")
                },
            ],
            unread: Vec::new(),
            notes: vec![],
        }
    }

    fn run(s: &Scan) -> Comparison {
        compare(s, &align(s))
    }

    #[test]
    fn rows_compare_only_the_environments_that_have_the_service() {
        let mut s = scan(
            vec![svc("web", None, None, 2, &[("env.W", "4"), ("env.T", "2")])],
            vec![svc(
                "web",
                None,
                None,
                4,
                &[("env.W", "17"), ("env.T", "2")],
            )],
        );
        s.environments.insert(
            0,
            Environment {
                services: vec![svc("app", None, None, 1, &[])],
                ..Environment::new("local")
            },
        );
        let c = run(&s);
        let web = c.services.iter().find(|x| x.name == "web").unwrap();
        assert_eq!(web.status, Status::Partial, "web is not in local");
        let status = |id: &str| {
            web.rows
                .iter()
                .find(|r| r.aspect.id() == id)
                .unwrap()
                .status
        };
        assert_eq!(status("instances"), Status::Different);
        assert_eq!(status("env.T"), Status::Same);
        assert_eq!(status("env.W"), Status::Different);
        // One environment only: every row is "only in" it.
        let app = c.services.iter().find(|x| x.name == "app").unwrap();
        assert_eq!(app.rows[0].status, Status::Partial);
    }

    #[test]
    fn totals_multiply_instances_and_count_unlimited() {
        const MIB: u64 = 1 << 20;
        let s = scan(
            vec![
                svc("web1", Some(1000), Some(512 * MIB), 1, &[]),
                svc("web2", Some(1000), Some(512 * MIB), 1, &[]),
            ],
            vec![
                svc("web", None, None, 4, &[]),
                svc("worker", Some(500), Some(256 * MIB), 2, &[]),
            ],
        );
        let c = run(&s);
        let (st, pr) = (&c.totals[0], &c.totals[1]);
        assert_eq!(
            (st.cpu_limit_millis, st.memory_limit_bytes),
            (Some(2000), Some(1024 * MIB))
        );
        assert_eq!(
            (st.declared_services, st.instances, st.unlimited_services),
            (2, 2, 0)
        );
        assert_eq!(
            (pr.cpu_limit_millis, pr.memory_limit_bytes),
            (Some(1000), Some(512 * MIB))
        );
        assert_eq!((pr.instances, pr.unlimited_services), (6, 1));
        assert_eq!(
            st.memory_limit_change_pct, None,
            "production is partly unlimited"
        );
    }

    #[test]
    fn reduction_against_the_reference() {
        let s = scan(
            vec![svc(
                "app",
                Some(1000),
                Some(1 << 30),
                1,
                &[("env.A", "1"), ("env.B", "x")],
            )],
            vec![svc(
                "app",
                Some(1500),
                Some(3 << 29),
                1,
                &[("env.A", "1"), ("env.C", "y")],
            )],
        );
        let c = run(&s);
        let pct = c.totals[0].cpu_limit_change_pct.unwrap();
        assert!((pct + 33.333).abs() < 0.01, "{pct}");
        assert_eq!(c.totals[1].cpu_limit_change_pct, Some(0.0));
        let rows = &c.services[0].rows;
        let status = |id: &str| rows.iter().find(|r| r.aspect.id() == id).unwrap().status;
        assert_eq!(status("cpu_limit"), Status::Different);
        assert_eq!(status("env.A"), Status::Same);
        assert_eq!(status("env.B"), Status::Partial);
        assert_eq!(status("env.C"), Status::Partial);
        assert_eq!(c.summary.rows_partial, 2);
        let cpu = rows.iter().find(|r| r.aspect == Aspect::CpuLimit).unwrap();
        assert!((cpu.change_pct[0].unwrap() + 33.333).abs() < 0.01);
        assert_eq!(c.differences().len(), 4, "cpu, memory, env.B, env.C");
    }

    #[test]
    fn secrets_compare_by_fingerprint() {
        let s = scan(
            vec![svc(
                "app",
                None,
                None,
                1,
                &[
                    ("env.DB_PASSWORD", "same-secret"),
                    ("env.API_TOKEN", "a-token"),
                ],
            )],
            vec![svc(
                "app",
                None,
                None,
                1,
                &[
                    ("env.DB_PASSWORD", "same-secret"),
                    ("env.API_TOKEN", "b-token"),
                ],
            )],
        );
        let c = run(&s);
        let status = |id: &str| {
            c.services[0]
                .rows
                .iter()
                .find(|r| r.aspect.id() == id)
                .unwrap()
                .status
        };
        assert_eq!(status("env.DB_PASSWORD"), Status::Same);
        assert_eq!(status("env.API_TOKEN"), Status::Different);
    }

    #[test]
    fn grouped_members_with_differing_settings() {
        let s = scan(
            vec![svc("redis", None, None, 1, &[("redis.maxmemory", "256mb")])],
            vec![
                svc(
                    "redis-master",
                    None,
                    None,
                    1,
                    &[("redis.config_file", "/r.conf")],
                ),
                svc(
                    "redis-replica-1",
                    None,
                    None,
                    1,
                    &[
                        ("redis.config_file", "/r.conf"),
                        ("redis.replicaof", "redis-master 6379"),
                    ],
                ),
            ],
        );
        let c = run(&s);
        let v = c.services[0].envs[1].as_ref().unwrap();
        assert_eq!(v.instances, 2);
        assert_eq!(
            v.settings["redis.replicaof"].display(),
            "redis-master 6379 (on 1 of 2 members)"
        );
        assert_eq!(v.settings["redis.config_file"].display(), "/r.conf");
    }
}
