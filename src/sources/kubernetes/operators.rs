//! Operators' custom resources that stand for whole services: CloudNativePG `Cluster` (a
//! PostgreSQL cluster) and Flux `HelmRelease` (a chart installed with values).

use crate::error::Result;
use crate::model::secret::MASK;
use crate::model::{
    ChartTag, ImageRef, Instances, Located, MaskedSecret, Note, Quantity, Role, Service, Setting,
    SettingValue,
};
use crate::sources::units::server_quantity;
use crate::yaml;

use super::base64;
use super::flatten::{bytes, count, flatten, insert_plain, Settings};
use super::helm;
use super::manifest::Object;
use super::tree::{deep_merge, from_yaml, Kind, Val};

/// Whether an object is a custom resource read as a service.
pub fn is_service_resource(obj: &Object) -> bool {
    matches!(
        (obj.group(), obj.kind()),
        ("postgresql.cnpg.io", "Cluster") | ("helm.toolkit.fluxcd.io", "HelmRelease")
    )
}

/// The service of a CloudNativePG Cluster or a Flux HelmRelease. `objects` are the others of
/// the environment, where a release's chart source and `valuesFrom` are looked up.
pub fn build(obj: &Object, objects: &[Object], notes: &mut Vec<Note>) -> Result<Service> {
    let mut service = Service::new(obj.stable_name(), obj.origin().clone());
    insert_plain(&mut service.settings, "kind", obj.kind(), &obj.val);
    let spec = obj
        .val
        .get("spec")
        .ok_or_else(|| obj.val.error(format!("`{}` has no spec", obj.id())))?;
    if obj.kind() == "Cluster" {
        cnpg_cluster(spec, &mut service)?;
    } else {
        helm_release(obj, spec, objects, &mut service, notes)?;
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

/// Flux HelmRelease: chart, version and source (`chart.spec`, or `chartRef` to an
/// OCIRepository or HelmChart), `valuesFrom` ConfigMaps and Secrets of the repository merged
/// under the inline `values` as Flux merges them, the whole read like a values file, release
/// options flattened.
fn helm_release(
    obj: &Object,
    spec: &Val,
    objects: &[Object],
    service: &mut Service,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let chart = chart_settings(obj, spec, objects, &mut service.settings);
    for (field, value) in spec.map().unwrap_or_default() {
        if !matches!(
            field.as_str(),
            "chart" | "chartRef" | "values" | "valuesFrom"
        ) {
            flatten(&format!("release.{field}"), value, &mut service.settings);
        }
    }
    let mut values = Val::empty_map(obj.origin().clone());
    let mut secret_keys: Vec<String> = Vec::new();
    for from in spec.list_at("valuesFrom")? {
        match values_from(obj, from, objects) {
            Ok(Some((found, secret))) => {
                if secret {
                    let mut keys = Settings::new();
                    flatten("values", &found, &mut keys);
                    secret_keys.extend(keys.into_keys());
                }
                deep_merge(&mut values, found);
            }
            Ok(None) => {}
            Err(why) => notes.push(Note::at(from.origin.clone(), why)),
        }
    }
    if let Some(inline) = spec.get("values").filter(|v| v.map().is_some()) {
        deep_merge(&mut values, inline.clone());
    }
    // The chart tags its image itself (its own values), as pinned as the chart's version.
    let default_tag = Some(match service.settings.get("chart.version") {
        Some(v) => ChartTag::ChartVersion(v.display().to_string()),
        None => ChartTag::Unpinned,
    });
    helm::read_values(&chart, &values, default_tag, service)?;
    // Every value a Secret gives is a secret, whatever its key says.
    for key in secret_keys {
        if let Some(setting) = service.settings.get_mut(&key) {
            let clear = setting.display().to_string();
            setting.value =
                SettingValue::Secret(Box::new(MaskedSecret::new(&clear, MASK.to_string())));
            setting.quantity = None;
        }
    }
    Ok(())
}

/// `chart`, `chart.version`, `chart.source` and `chart.url`; returns the chart's name.
fn chart_settings(obj: &Object, spec: &Val, objects: &[Object], settings: &mut Settings) -> String {
    let ns = obj.namespace();
    if let Some(c) = spec.at(&["chart", "spec"]) {
        for (field, key) in [("chart", "chart"), ("version", "chart.version")] {
            if let Some(v) = c.get(field) {
                flatten(key, v, settings);
            }
        }
        if let Some(src) = c.get("sourceRef") {
            source_settings(src, ns, objects, settings);
        }
        return c.text(&["chart"]).unwrap_or("").to_string();
    }
    let Some(chart_ref) = spec.get("chartRef") else {
        return String::new();
    };
    source_settings(chart_ref, ns, objects, settings);
    let name = chart_ref.text(&["name"]).unwrap_or("");
    let source = find(objects, chart_ref.text(&["kind"]).unwrap_or(""), name, ns);
    let Some(source) = source.and_then(|o| o.val.get("spec")) else {
        insert_plain(settings, "chart", name, chart_ref);
        return name.to_string();
    };
    // An OCIRepository names the chart by its URL and the version by its `ref`; a HelmChart
    // by `chart` and `version`.
    let chart_at = source.get("chart").or(source.get("url"));
    let chart = chart_at
        .and_then(Val::str)
        .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
        .unwrap_or_else(|| name.to_string());
    insert_plain(
        settings,
        "chart",
        chart.clone(),
        chart_at.unwrap_or(chart_ref),
    );
    let version = ["tag", "semver", "digest"]
        .iter()
        .find_map(|k| source.at(&["ref", k]))
        .or(source.get("version"));
    if let Some(v) = version {
        flatten("chart.version", v, settings);
    }
    chart
}

/// `chart.source` (`HelmRepository/bitnami`) and the source's `chart.url`, when it is among the
/// objects.
fn source_settings(src: &Val, ns: Option<&str>, objects: &[Object], settings: &mut Settings) {
    let kind = src.text(&["kind"]).unwrap_or("?");
    let name = src.text(&["name"]).unwrap_or("?");
    insert_plain(settings, "chart.source", format!("{kind}/{name}"), src);
    let ns = src.text(&["namespace"]).or(ns);
    if let Some(url) = find(objects, kind, name, ns).and_then(|o| o.val.at(&["spec", "url"])) {
        flatten("chart.url", url, settings);
    }
}

/// The object of this kind and name, in `ns` when there is one there, else anywhere.
fn find<'a>(objects: &'a [Object], kind: &str, name: &str, ns: Option<&str>) -> Option<&'a Object> {
    let named = |o: &&Object| o.kind() == kind && o.answers_to(name);
    objects
        .iter()
        .filter(named)
        .find(|o| ns.is_none() || o.namespace() == ns)
        .or_else(|| objects.iter().find(named))
}

/// The values a `valuesFrom` entry gives (and whether they come from a Secret); `None` for an
/// optional one not found; `Err` says why it is not merged.
fn values_from(
    obj: &Object,
    from: &Val,
    objects: &[Object],
) -> Result<Option<(Val, bool)>, String> {
    let kind = from.text(&["kind"]).unwrap_or("?");
    let name = from.text(&["name"]).unwrap_or("?");
    let key = from.text(&["valuesKey"]).unwrap_or("values.yaml");
    let described = format!("`{}` takes values from {kind}/{name}", obj.id());
    let target_path = match from.get("targetPath") {
        None => None,
        Some(p) => Some(
            p.str()
                .and_then(target_path)
                .ok_or_else(|| format!("{described} at a `targetPath` envparity cannot follow (only dotted keys, `a.b.c`); those values are not compared"))?,
        ),
    };
    let Some(source) = find(objects, kind, name, obj.namespace()) else {
        if from.text(&["optional"]) == Some("true") {
            return Ok(None);
        }
        return Err(format!(
            "{described}, which is not in the repository; those values are not compared"
        ));
    };
    let text = source_text(source, key).ok_or_else(|| {
        format!("{described}, which has no `{key}`; those values are not compared")
    })?;
    // The values are text inside one field of the object: point them at that field.
    let at = source
        .val
        .at(&["stringData", key])
        .or(source.val.at(&["data", key]))
        .map_or_else(|| source.origin().clone(), |v| v.origin.clone());
    if let Some(path) = target_path {
        // One flat value, set at the path (as `helm --set path=value` would).
        let leaf = Val::str_at(text.trim_end_matches('\n'), at.clone());
        let val = path.iter().rev().fold(leaf, |inner, segment| {
            let mut map = Val::empty_map(at.clone());
            map.set(segment, inner);
            map
        });
        return Ok(Some((val, kind == "Secret")));
    }
    let file = source.origin().file.to_string();
    let node = yaml::parse_document(&text, &file, yaml::Limits::default())
        .map_err(|e| format!("{described}: its `{key}` is not YAML ({})", e.message))?;
    let mut val = from_yaml(&node, &file);
    if val.map().is_none() {
        return Err(format!("{described}: its `{key}` is not a mapping"));
    }
    set_origin(&mut val, &at);
    Ok(Some((val, kind == "Secret")))
}

/// The keys of a `targetPath` (`image.tag`, `a\.b.c` for a key holding a dot); `None` for a
/// path with list indexes or an empty key, which are not followed.
fn target_path(path: &str) -> Option<Vec<String>> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => keys.last_mut()?.push(chars.next()?),
            '.' => keys.push(String::new()),
            '[' | ']' => return None,
            c => keys.last_mut()?.push(c),
        }
    }
    keys.iter().all(|k| !k.is_empty()).then_some(keys)
}

/// A ConfigMap's `data` key, or a Secret's (`stringData` as is, `data` decoded).
fn source_text(source: &Object, key: &str) -> Option<String> {
    if let Some(text) = source.val.text(&["stringData", key]) {
        return Some(text.to_string());
    }
    let text = source.val.text(&["data", key])?;
    if source.kind() == "Secret" {
        return base64::decode(text).and_then(|b| String::from_utf8(b).ok());
    }
    Some(text.to_string())
}

fn set_origin(val: &mut Val, origin: &crate::model::Origin) {
    val.origin = origin.clone();
    match &mut val.kind {
        Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| set_origin(v, origin)),
        Kind::Seq(items) => items.iter_mut().for_each(|v| set_origin(v, origin)),
        _ => {}
    }
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
        build(&obj, &[], &mut Vec::new()).unwrap()
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

    #[test]
    fn target_paths_are_dotted_keys() {
        assert_eq!(
            target_path("image.tag"),
            Some(vec!["image".to_string(), "tag".to_string()])
        );
        assert_eq!(
            target_path("annotations.a\\.b"),
            Some(vec!["annotations".to_string(), "a.b".to_string()])
        );
        assert_eq!(target_path("list[0].name"), None);
        assert_eq!(target_path("a..b"), None);
        assert_eq!(target_path(""), None);
    }

    #[test]
    fn values_from_a_target_path_set_one_value() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: production}\nspec:\n  chart:\n    spec: {chart: web}\n  valuesFrom:\n  - kind: ConfigMap\n    name: web-version\n    valuesKey: tag\n    targetPath: image.tag\n  - kind: Secret\n    name: web-token\n    valuesKey: token\n    targetPath: auth.token\n  values:\n    image: {repository: shop/web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-version, namespace: production}\ndata:\n  tag: '2.4.1'\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: web-token, namespace: production}\nstringData:\n  token: s3cr3t-t0ken-value\n";
        let objects = parse_objects(text, "o.yaml", 0).unwrap();
        let mut notes = Vec::new();
        let s = build(&objects[0], &objects, &mut notes).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(s.settings["values.image.tag"].display(), "2.4.1");
        assert_eq!(s.settings["values.image.tag"].origin.line, 23);
        assert_eq!(s.settings["values.image.repository"].display(), "shop/web");
        assert!(s.settings["values.auth.token"].is_secret());
    }
}
