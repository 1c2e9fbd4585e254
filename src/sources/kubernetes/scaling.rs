//! Objects that change how workloads run without being workloads: HorizontalPodAutoscalers (the
//! instance count becomes min-max) and LimitRanges (defaults for containers that set no
//! resources, marked as such so nobody mistakes them for the workload's own numbers).

use crate::error::Result;
use crate::model::{Instances, Located, Note, Origin, Service};

use super::flatten::{bytes, count, flatten, insert, insert_plain, millicores, Settings};
use super::manifest::Object;
use super::tree::Val;
use super::workloads::Built;

/// A CPU and a memory value, either possibly unset.
type CpuAndMemory = (Option<Located<u64>>, Option<Located<u64>>);

/// The container defaults of one LimitRange.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitDefaults {
    pub name: String,
    pub namespace: Option<String>,
    pub origin: Origin,
    pub limit_cpu: Option<Located<u64>>,
    pub limit_mem: Option<Located<u64>>,
    pub request_cpu: Option<Located<u64>>,
    pub request_mem: Option<Located<u64>>,
}

impl LimitDefaults {
    /// The `type: Container` defaults of a LimitRange, if it has any. Bad quantities are errors.
    pub fn of(obj: &Object) -> Result<Option<LimitDefaults>> {
        let mut d = LimitDefaults {
            name: obj.stable_name().to_string(),
            namespace: obj.namespace().map(str::to_string),
            origin: obj.origin().clone(),
            limit_cpu: None,
            limit_mem: None,
            request_cpu: None,
            request_mem: None,
        };
        let limits = obj
            .val
            .at(&["spec", "limits"])
            .and_then(Val::seq)
            .unwrap_or_default();
        for item in limits {
            if item.text(&["type"]) != Some("Container") {
                continue;
            }
            let read = |section: &str| -> Result<CpuAndMemory> {
                let cpu = item
                    .at(&[section, "cpu"])
                    .map(|v| {
                        millicores(v, &format!("{section}.cpu"))
                            .map(|m| Located::new(m, v.origin.clone()))
                    })
                    .transpose()?;
                let mem = item
                    .at(&[section, "memory"])
                    .map(|v| {
                        bytes(v, &format!("{section}.memory"))
                            .map(|b| Located::new(b, v.origin.clone()))
                    })
                    .transpose()?;
                Ok((cpu, mem))
            };
            let (cpu, mem) = read("default")?;
            let (rcpu, rmem) = read("defaultRequest")?;
            // Without `defaultRequest`, Kubernetes uses `default` for requests too.
            d.request_cpu = rcpu.or_else(|| cpu.clone());
            d.request_mem = rmem.or_else(|| mem.clone());
            d.limit_cpu = cpu;
            d.limit_mem = mem;
        }
        let any = d.limit_cpu.is_some()
            || d.limit_mem.is_some()
            || d.request_cpu.is_some()
            || d.request_mem.is_some();
        Ok(any.then_some(d))
    }

    /// Fill what a container leaves unset, recording which fields were defaulted.
    pub fn apply(
        &self,
        limit_cpu: &mut Option<Located<u64>>,
        limit_mem: &mut Option<Located<u64>>,
        request_cpu: &mut Option<Located<u64>>,
        request_mem: &mut Option<Located<u64>>,
        defaulted: &mut Vec<&'static str>,
    ) {
        for (slot, default, label) in [
            (limit_cpu, &self.limit_cpu, "limits.cpu"),
            (limit_mem, &self.limit_mem, "limits.memory"),
            (request_cpu, &self.request_cpu, "requests.cpu"),
            (request_mem, &self.request_mem, "requests.memory"),
        ] {
            if slot.is_none() && default.is_some() {
                *slot = default.clone();
                defaulted.push(label);
            }
        }
    }

    /// The setting that says which numbers came from this LimitRange.
    pub fn mark(&self, settings: &mut Settings, defaulted: &[&str]) {
        let at = Val::str_at("", self.origin.clone());
        insert_plain(
            settings,
            "resources.defaults",
            format!("{} from LimitRange {}", defaulted.join(", "), self.name),
            &at,
        );
    }

    /// Apply to a whole service (operators and charts, whose pods are not in the files).
    pub fn apply_to_service(&self, service: &mut Service) {
        let r = &mut service.resources;
        let mut defaulted = Vec::new();
        self.apply(
            &mut r.cpu_limit_millis,
            &mut r.memory_limit_bytes,
            &mut r.cpu_reservation_millis,
            &mut r.memory_reservation_bytes,
            &mut defaulted,
        );
        if !defaulted.is_empty() {
            self.mark(&mut service.settings, &defaulted);
        }
    }
}

/// Apply an HPA to the workload it scales: instances become min..max. An HPA whose target is not
/// among the manifests stays an environment setting, with a note.
pub fn apply_hpa(
    hpa: &Object,
    built: &mut [Built],
    env_settings: &mut Settings,
    env_key: &str,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let spec = hpa
        .val
        .get("spec")
        .ok_or_else(|| hpa.val.error(format!("`{}` has no spec", hpa.id())))?;
    let target_kind = spec.text(&["scaleTargetRef", "kind"]).unwrap_or("");
    let target_name = spec.text(&["scaleTargetRef", "name"]).unwrap_or("");
    let min = spec
        .get("minReplicas")
        .map(|v| count(v, "minReplicas").map(|c| (c, v.origin.clone())))
        .transpose()?;
    let max_val = spec
        .get("maxReplicas")
        .ok_or_else(|| spec.error(format!("`{}` has no maxReplicas", hpa.id())))?;
    let max = count(max_val, "maxReplicas")?;
    let mut settings = Settings::new();
    insert_plain(
        &mut settings,
        "autoscaling.hpa",
        hpa.stable_name(),
        &hpa.val,
    );
    insert(
        &mut settings,
        "autoscaling.minReplicas",
        &min.as_ref().map_or(1, |m| m.0).to_string(),
        spec.get("minReplicas").unwrap_or(spec),
    );
    insert(
        &mut settings,
        "autoscaling.maxReplicas",
        &max.to_string(),
        max_val,
    );
    if let Some(pct) = spec.get("targetCPUUtilizationPercentage") {
        insert(
            &mut settings,
            "autoscaling.target.cpu",
            &format!("{}%", pct.str().unwrap_or("")),
            pct,
        );
    }
    for m in spec.get("metrics").and_then(Val::seq).unwrap_or_default() {
        let (Some(name), Some(target)) =
            (m.text(&["resource", "name"]), m.at(&["resource", "target"]))
        else {
            flatten("autoscaling.metrics", m, &mut settings);
            continue;
        };
        let text = match (
            target.text(&["averageUtilization"]),
            target.text(&["averageValue"]),
        ) {
            (Some(u), _) => format!("{u}%"),
            (None, Some(v)) => v.to_string(),
            _ => target.text(&["value"]).unwrap_or("").to_string(),
        };
        insert(
            &mut settings,
            &format!("autoscaling.target.{name}"),
            &text,
            target,
        );
    }
    if let Some(b) = spec.get("behavior") {
        flatten("autoscaling.behavior", b, &mut settings);
    }
    let found = built.iter_mut().find(|b| {
        b.kind == target_kind && b.name == target_name && b.namespace.as_deref() == hpa.namespace()
    });
    match found {
        Some(b) => {
            b.service.instances = Instances {
                count: min.as_ref().map_or(1, |m| m.0),
                autoscale_max: Some(max),
                autoscaler: Some("HPA".into()),
                origin: Some(min.map_or_else(|| max_val.origin.clone(), |m| m.1)),
            };
            b.service.settings.extend(settings);
        }
        None => {
            notes.push(Note::at(
                hpa.origin().clone(),
                format!(
                    "`{}` scales {target_kind}/{target_name}, which is not among the manifests read",
                    hpa.id()
                ),
            ));
            for (k, v) in settings {
                env_settings.insert(format!("{env_key}.{k}"), v);
            }
        }
    }
    Ok(())
}
