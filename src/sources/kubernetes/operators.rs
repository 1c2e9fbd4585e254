//! Operators' custom resources that stand for whole services: CloudNativePG `Cluster` (a
//! PostgreSQL cluster) and Flux `HelmRelease` (a chart installed with values).

use crate::error::Result;
use crate::model::{
    ImageRef, Instances, Located, Note, Quantity, Role, Service, Setting, SettingValue,
};
use crate::sources::units::server_quantity;

use super::flatten::{bytes, count, flatten, insert_plain, Settings};
use super::helm;
use super::manifest::Object;
use super::tree::Val;

/// Whether an object is a custom resource read as a service.
pub fn is_service_resource(obj: &Object) -> bool {
    matches!(
        (obj.group(), obj.kind()),
        ("postgresql.cnpg.io", "Cluster") | ("helm.toolkit.fluxcd.io", "HelmRelease")
    )
}

/// The service of a CloudNativePG Cluster or a Flux HelmRelease.
pub fn build(obj: &Object, notes: &mut Vec<Note>) -> Result<Service> {
    let mut service = Service::new(obj.stable_name(), obj.origin().clone());
    insert_plain(&mut service.settings, "kind", obj.kind(), &obj.val);
    let spec = obj
        .val
        .get("spec")
        .ok_or_else(|| obj.val.error(format!("`{}` has no spec", obj.id())))?;
    if obj.kind() == "Cluster" {
        cnpg_cluster(spec, &mut service)?;
    } else {
        helm_release(obj, spec, &mut service, notes)?;
    }
    Ok(service)
}

/// CloudNativePG: `instances`, `imageName`, `resources`, `storage`/`walStorage`,
/// `postgresql.parameters` (as `postgres.*`, like server flags elsewhere), `backup`, the rest
/// flattened.
fn cnpg_cluster(spec: &Val, service: &mut Service) -> Result<()> {
    service.role = Role::Database;
    service.instances = match spec.get("instances") {
        Some(v) => Instances {
            count: count(v, "spec.instances")?,
            autoscale_max: None,
            autoscaler: None,
            origin: Some(v.origin.clone()),
        },
        None => Instances::default(),
    };
    if let Some(image) = spec.get("imageName") {
        let text = image.expect_str("imageName")?;
        service.image = Some(Located::new(ImageRef::parse(text), image.origin.clone()));
    }
    if let Some(res) = spec.get("resources") {
        service.resources = helm::resources(res)?;
    }
    for (field, key) in [("storage", "storage.data"), ("walStorage", "storage.wal")] {
        let Some(st) = spec.get(field) else { continue };
        if let Some(size) = st.get("size") {
            let b = bytes(size, &format!("{field}.size"))?;
            let mut s = Setting::new("", "", size.origin.clone());
            s.value = SettingValue::Text(size.str().unwrap_or("").into());
            s.quantity = Some(Quantity::Bytes(b));
            service.settings.insert(key.to_string(), s);
        }
        if let Some(class) = st.get("storageClass") {
            flatten(&format!("{key}.class"), class, &mut service.settings);
        }
    }
    for (field, value) in spec.map().unwrap_or_default() {
        match field.as_str() {
            "instances" | "imageName" | "resources" | "storage" | "walStorage" => {}
            "postgresql" => {
                for (k, v) in value.map().unwrap_or_default() {
                    if k == "parameters" {
                        for (param, pv) in v.map().unwrap_or_default() {
                            let key = format!("postgres.{param}");
                            let text = pv.str().unwrap_or("");
                            let mut s = Setting::new(&key, text, pv.origin.clone());
                            if !s.is_secret() {
                                s.quantity = server_quantity("postgres", text);
                            }
                            service.settings.insert(key, s);
                        }
                    } else {
                        flatten(&format!("postgresql.{k}"), v, &mut service.settings);
                    }
                }
            }
            _ => flatten(field, value, &mut service.settings),
        }
    }
    Ok(())
}

/// Flux HelmRelease: chart, version and source, `values` read like a values file,
/// `valuesFrom` recorded (its content lives elsewhere), release options flattened.
fn helm_release(
    obj: &Object,
    spec: &Val,
    service: &mut Service,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let chart_spec = spec.at(&["chart", "spec"]);
    let chart = chart_spec
        .and_then(|c| c.text(&["chart"]))
        .or_else(|| spec.text(&["chartRef", "name"]))
        .unwrap_or("")
        .to_string();
    let settings: &mut Settings = &mut service.settings;
    if let Some(c) = chart_spec {
        for (field, key) in [("chart", "chart"), ("version", "chart.version")] {
            if let Some(v) = c.get(field) {
                flatten(key, v, settings);
            }
        }
        if let Some(src) = c.get("sourceRef") {
            let text = format!(
                "{}/{}",
                src.text(&["kind"]).unwrap_or("?"),
                src.text(&["name"]).unwrap_or("?")
            );
            insert_plain(settings, "chart.source", text, src);
        }
    }
    if let Some(from) = spec.get("valuesFrom").and_then(Val::seq) {
        let refs: Vec<String> = from
            .iter()
            .map(|f| {
                format!(
                    "{}/{}",
                    f.text(&["kind"]).unwrap_or("?"),
                    f.text(&["name"]).unwrap_or("?")
                )
            })
            .collect();
        insert_plain(
            settings,
            "valuesFrom",
            refs.join(", "),
            spec.get("valuesFrom").unwrap_or(spec),
        );
        notes.push(Note::at(
            obj.origin().clone(),
            format!(
                "`{}` takes values from {}; those are not merged into the comparison",
                obj.id(),
                refs.join(", ")
            ),
        ));
    }
    for (field, value) in spec.map().unwrap_or_default() {
        if !matches!(
            field.as_str(),
            "chart" | "chartRef" | "values" | "valuesFrom"
        ) {
            flatten(&format!("release.{field}"), value, settings);
        }
    }
    let empty = Val::empty_map(obj.origin().clone());
    let values = spec
        .get("values")
        .filter(|v| v.map().is_some())
        .unwrap_or(&empty);
    helm::read_values(&chart, values, service)?;
    Ok(())
}

/// The namespace a service's pods run in (a HelmRelease may install into another one).
pub fn target_namespace(obj: &Object) -> Option<String> {
    obj.val
        .text(&["spec", "targetNamespace"])
        .or_else(|| obj.namespace())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::kubernetes::manifest::parse_objects;

    fn build_one(text: &str) -> Service {
        let obj = parse_objects(text, "o.yaml", 0).unwrap().remove(0);
        build(&obj, &mut Vec::new()).unwrap()
    }

    #[test]
    fn cnpg_cluster_instances_storage_parameters() {
        let s = build_one("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: postgres-production}\nspec:\n  instances: 3\n  storage: {size: 50Gi}\n  resources:\n    requests: {cpu: 500m, memory: 1Gi}\n    limits: {cpu: '2', memory: 2Gi}\n  postgresql:\n    parameters:\n      shared_buffers: 512MB\n  backup:\n    retentionPolicy: 7d\n");
        assert_eq!(s.instances.count, 3);
        assert_eq!(s.role, Role::Database);
        assert_eq!(
            s.settings["storage.data"].quantity,
            Some(Quantity::Bytes(50 << 30))
        );
        assert_eq!(
            s.settings["postgres.shared_buffers"].quantity,
            Some(Quantity::Bytes(512 << 20))
        );
        assert_eq!(s.settings["backup.retentionPolicy"].display(), "7d");
        assert_eq!(s.resources.cpu_limit_millis.unwrap().value, 2000);
        assert_eq!(s.resources.memory_reservation_bytes.unwrap().value, 1 << 30);
    }

    #[test]
    fn helm_release_chart_and_values() {
        let s = build_one("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis, namespace: production}\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: redis-cluster\n      version: 9.0.0\n      sourceRef: {kind: HelmRepository, name: bitnami}\n  values:\n    cluster: {nodes: 6}\n    password: very-secret-redis\n");
        assert_eq!(s.instances.count, 6);
        assert_eq!(s.settings["chart"].display(), "redis-cluster");
        assert_eq!(
            s.settings["chart.source"].display(),
            "HelmRepository/bitnami"
        );
        assert_eq!(s.settings["release.interval"].display(), "10m");
        assert!(s.settings["values.password"].is_secret());
    }
}
