//! Objects that are not workloads: environment settings under `<kind>.<name>.<field>` (names
//! without environment words, so staging and production line up), and the variables ConfigMaps
//! and Secrets hand to workloads.

use crate::error::Result;
use crate::model::{secret::MASK, MaskedSecret, Setting, SettingValue};

use super::base64;
use super::flatten::{bytes, flatten, insert_plain, join, millicores, stable_key_name, Settings};
use super::manifest::Object;
use super::tree::Val;
use super::workloads::{read_claim, EnvSource};

/// The setting key prefix of an object: `resourcequota.compute`, or `namespace` for a namespace
/// named after the environment.
pub fn key_of(obj: &Object, env: &str) -> String {
    let kind = obj.kind().to_ascii_lowercase();
    match stable_key_name(obj.stable_name(), env) {
        Some(name) => format!("{kind}.{name}"),
        None => kind,
    }
}

/// Read an environment-level object into settings.
pub fn read(obj: &Object, env: &str, out: &mut Settings) -> Result<()> {
    let key = key_of(obj, env);
    let spec = obj.val.get("spec");
    match obj.kind() {
        "Namespace" => {
            for field in ["labels", "annotations"] {
                if let Some(v) = obj.val.at(&["metadata", field]) {
                    flatten(&join(&key, field), v, out);
                }
            }
            if let Some(spec) = spec {
                flatten(&key, spec, out);
            }
            if !out.keys().any(|k| k.starts_with(&key)) {
                insert_plain(out, &key, obj.name(), &obj.val);
            }
        }
        "ResourceQuota" => {
            if let Some(hard) = spec.and_then(|s| s.get("hard")) {
                check_quantities(hard)?;
            }
            if let Some(spec) = spec {
                flatten(&key, spec, out);
            }
        }
        "LimitRange" => {
            for item in spec
                .and_then(|s| s.get("limits"))
                .and_then(Val::seq)
                .unwrap_or_default()
            {
                let kind = item.text(&["type"]).unwrap_or("?");
                for (section, values) in item.map().unwrap_or_default() {
                    if section != "type" {
                        check_quantities(values)?;
                        flatten(&format!("{key}.{kind}.{section}"), values, out);
                    }
                }
            }
        }
        "Ingress" => read_ingress(obj, &key, out),
        "PodDisruptionBudget" => {
            for (field, value) in spec.and_then(Val::map).unwrap_or_default() {
                if field != "selector" {
                    flatten(&format!("{key}.{field}"), value, out);
                }
            }
        }
        "Service" => read_service(obj, &key, out),
        "PersistentVolumeClaim" => read_claim(&key, spec, &obj.val, out)?,
        "ConfigMap" => {
            for (k, v) in obj.val.get("data").and_then(Val::map).unwrap_or_default() {
                let setting_key = format!("{key}.{k}");
                flatten(&setting_key, v, out);
            }
            for (k, v) in obj
                .val
                .get("binaryData")
                .and_then(Val::map)
                .unwrap_or_default()
            {
                insert_plain(out, &format!("{key}.{k}"), "(binary data)", v);
            }
        }
        "Secret" => {
            if let Some(t) = obj.val.get("type") {
                flatten(&format!("{key}.type"), t, out);
            }
            for (k, setting) in secret_values(obj)? {
                out.insert(format!("{key}.{k}"), setting);
            }
        }
        _ => {
            for (field, value) in obj.val.map().unwrap_or_default() {
                if !matches!(
                    field.as_str(),
                    "apiVersion" | "kind" | "metadata" | "status"
                ) {
                    let prefix = if field == "spec" {
                        key.clone()
                    } else {
                        join(&key, field)
                    };
                    flatten(&prefix, value, out);
                }
            }
            if !out.keys().any(|k| k.starts_with(&key)) {
                insert_plain(out, &key, obj.name(), &obj.val);
            }
        }
    }
    Ok(())
}

/// Quota and limit quantities must parse: a typo there is a real misconfiguration.
fn check_quantities(values: &Val) -> Result<()> {
    for (k, v) in values.map().unwrap_or_default() {
        let last = k.rsplit('.').next().unwrap_or(k);
        if last == "cpu" {
            millicores(v, k)?;
        } else if matches!(last, "memory" | "storage" | "ephemeral-storage") {
            bytes(v, k)?;
        }
    }
    Ok(())
}

fn read_ingress(obj: &Object, key: &str, out: &mut Settings) {
    let spec = obj.val.get("spec");
    let rules = spec
        .and_then(|s| s.get("rules"))
        .and_then(Val::seq)
        .unwrap_or_default();
    let hosts: Vec<&str> = rules.iter().filter_map(|r| r.text(&["host"])).collect();
    if let Some(at) = spec.and_then(|s| s.get("rules")) {
        insert_plain(out, &format!("{key}.hosts"), hosts.join(", "), at);
    }
    for rule in rules {
        let host = rule.text(&["host"]).unwrap_or("*");
        for path in rule
            .at(&["http", "paths"])
            .and_then(Val::seq)
            .unwrap_or_default()
        {
            let p = path.text(&["path"]).unwrap_or("/");
            let backend = match (
                path.text(&["backend", "service", "name"])
                    .or_else(|| path.text(&["backend", "serviceName"])),
                path.text(&["backend", "service", "port", "number"])
                    .or_else(|| path.text(&["backend", "service", "port", "name"]))
                    .or_else(|| path.text(&["backend", "servicePort"])),
            ) {
                (Some(s), Some(port)) => format!("{s}:{port}"),
                (Some(s), None) => s.to_string(),
                _ => "?".to_string(),
            };
            insert_plain(out, &format!("{key}.route.{host}{p}"), backend, path);
        }
    }
    if let Some(tls) = spec.and_then(|s| s.get("tls")) {
        let items = tls.seq().unwrap_or_default();
        let hosts: Vec<&str> = items
            .iter()
            .flat_map(|t| t.get("hosts").and_then(Val::seq).unwrap_or_default())
            .filter_map(Val::str)
            .collect();
        let secrets: Vec<&str> = items
            .iter()
            .filter_map(|t| t.text(&["secretName"]))
            .collect();
        insert_plain(out, &format!("{key}.tls.hosts"), hosts.join(", "), tls);
        insert_plain(
            out,
            &format!("{key}.tls.secretName"),
            secrets.join(", "),
            tls,
        );
    }
    if let Some(class) = spec.and_then(|s| s.get("ingressClassName")) {
        flatten(&format!("{key}.className"), class, out);
    }
    if let Some(a) = obj.val.at(&["metadata", "annotations"]) {
        flatten(&format!("{key}.annotations"), a, out);
    }
}

fn read_service(obj: &Object, key: &str, out: &mut Settings) {
    let Some(spec) = obj.val.get("spec") else {
        return;
    };
    for (field, value) in spec.map().unwrap_or_default() {
        match field.as_str() {
            "selector" | "clusterIP" | "clusterIPs" => {}
            "ports" => {
                let shown: Vec<String> = value
                    .seq()
                    .unwrap_or_default()
                    .iter()
                    .map(|p| {
                        let port = p.text(&["port"]).unwrap_or("?");
                        let target = p.text(&["targetPort"]).unwrap_or(port);
                        let proto = p.text(&["protocol"]).unwrap_or("TCP");
                        let name = p
                            .text(&["name"])
                            .map(|n| format!("{n} "))
                            .unwrap_or_default();
                        format!("{name}{port}->{target}/{proto}")
                    })
                    .collect();
                insert_plain(out, &format!("{key}.ports"), shown.join(", "), value);
            }
            _ => flatten(&format!("{key}.{field}"), value, out),
        }
    }
}

/// A Secret's keys with masked values: `data` decoded from base64 first (so the same secret in
/// two environments is recognised whatever its encoding), `stringData` over it.
pub fn secret_values(obj: &Object) -> Result<Vec<(String, Setting)>> {
    let mut values: Vec<(String, Setting)> = Vec::new();
    for (k, v) in obj.val.get("data").and_then(Val::map).unwrap_or_default() {
        let text = v.str().unwrap_or("");
        let decoded = base64::decode(text).ok_or_else(|| {
            v.error(format!(
                "Secret `{}` key `{k}` is not valid base64",
                obj.name()
            ))
        })?;
        values.push((k.clone(), masked(&String::from_utf8_lossy(&decoded), v)));
    }
    for (k, v) in obj
        .val
        .get("stringData")
        .and_then(Val::map)
        .unwrap_or_default()
    {
        values.retain(|(existing, _)| existing != k);
        values.push((k.clone(), masked(v.str().unwrap_or(""), v)));
    }
    Ok(values)
}

/// A Secret value: always masked, compared by fingerprint.
fn masked(clear: &str, at: &Val) -> Setting {
    let mut s = Setting::new("", "", at.origin.clone());
    s.value = SettingValue::Secret(Box::new(MaskedSecret::new(clear, MASK.to_string())));
    s
}

/// The variables a ConfigMap or Secret gives a container through `envFrom`.
pub fn env_source(obj: &Object) -> Result<Option<EnvSource>> {
    let vars = match obj.kind() {
        "ConfigMap" => obj
            .val
            .get("data")
            .and_then(Val::map)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| {
                let setting =
                    Setting::new(&format!("env.{k}"), v.str().unwrap_or(""), v.origin.clone());
                (k.clone(), setting)
            })
            .collect(),
        "Secret" => secret_values(obj)?,
        _ => return Ok(None),
    };
    Ok(Some(EnvSource {
        stable_name: obj.stable_name().to_string(),
        vars,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quantity;
    use crate::sources::kubernetes::manifest::parse_objects;

    fn obj(text: &str) -> Object {
        parse_objects(text, "o.yaml", 0).unwrap().remove(0)
    }

    #[test]
    fn quotas_and_secrets() {
        let mut out = Settings::new();
        let q = obj("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute-staging}\nspec:\n  hard:\n    limits.cpu: '4'\n    limits.memory: 8Gi\n");
        read(&q, "staging", &mut out).unwrap();
        assert_eq!(
            out["resourcequota.compute.hard.limits.cpu"].quantity,
            Some(Quantity::Millicores(4000))
        );
        assert_eq!(
            out["resourcequota.compute.hard.limits.memory"].quantity,
            Some(Quantity::Bytes(8 << 30))
        );

        let bad = obj("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n  hard:\n    limits.cpu: lots\n");
        let e = read(&bad, "staging", &mut out).unwrap_err();
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("not a Kubernetes quantity"), "{e}");

        // The same password, base64 in one and plain in the other, is one secret.
        let a = obj(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: aHVudGVyMg==\n",
        );
        let b = obj("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: hunter2\n");
        let (va, vb) = (secret_values(&a).unwrap(), secret_values(&b).unwrap());
        assert_eq!(va[0].1.display(), MASK);
        assert!(va[0].1.value.same_as(&vb[0].1.value));
        let bad =
            obj("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: '***'\n");
        assert!(secret_values(&bad)
            .unwrap_err()
            .message
            .contains("not valid base64"));
    }

    #[test]
    fn ingress_hosts_and_tls() {
        let mut out = Settings::new();
        let i = obj("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: app}\nspec:\n  tls:\n  - hosts: [app.example.com]\n    secretName: app-tls\n  rules:\n  - host: app.example.com\n    http:\n      paths:\n      - path: /\n        backend:\n          service: {name: web, port: {number: 80}}\n");
        read(&i, "production", &mut out).unwrap();
        assert_eq!(out["ingress.app.hosts"].display(), "app.example.com");
        assert_eq!(out["ingress.app.tls.hosts"].display(), "app.example.com");
        assert_eq!(
            out["ingress.app.route.app.example.com/"].display(),
            "web:80"
        );
    }
}
