//! The transformers a kustomization declares: namespace, name prefix and suffix, labels,
//! annotations, images, replicas; and the references between objects that renames must follow.

use std::collections::HashMap;

use crate::error::Result;

use super::super::manifest::Object;
use super::super::tree::{Kind, Val};

/// Kinds without a namespace: the namespace transformer leaves them alone.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
];

pub fn namespace(objects: &mut [Object], ns: &Val) -> Result<()> {
    let text = ns.expect_str("namespace")?;
    for obj in objects.iter_mut() {
        if CLUSTER_SCOPED.contains(&obj.kind()) {
            continue;
        }
        if let Some(meta) = obj.val.ensure_map("metadata") {
            meta.set("namespace", Val::str_at(text, ns.origin.clone()));
        }
        // Subjects of role bindings follow the objects they name.
        if obj.kind() == "RoleBinding" || obj.kind() == "ClusterRoleBinding" {
            if let Some(subjects) = obj.val.get_mut("subjects").and_then(Val::seq_mut) {
                for s in subjects {
                    if s.text(&["kind"]) == Some("ServiceAccount") {
                        s.set("namespace", Val::str_at(text, ns.origin.clone()));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Add `namePrefix` / `nameSuffix` (not to Namespaces and other cluster-wide names Kustomize
/// leaves alone, nor to CRDs).
pub fn rename(objects: &mut [Object], prefix: &str, suffix: &str) {
    for obj in objects.iter_mut() {
        if matches!(
            obj.kind(),
            "Namespace" | "CustomResourceDefinition" | "APIService"
        ) {
            continue;
        }
        let new = format!("{prefix}{}{suffix}", obj.name());
        obj.rename(new);
    }
}

/// `commonLabels` (also selectors and pod templates) and `labels` entries (selectors and
/// templates only when asked).
pub fn labels(
    objects: &mut [Object],
    labels: &Val,
    selectors: bool,
    templates: bool,
) -> Result<()> {
    let entries = string_map(labels, "labels")?;
    for obj in objects.iter_mut() {
        let kind = obj.kind().to_string();
        add_to(&mut obj.val, &["metadata"], "labels", &entries);
        if templates || selectors {
            if let Some(path) = template_path(&kind) {
                add_to(&mut obj.val, &path[..path.len() - 1], "labels", &entries);
            }
        }
        if selectors {
            match kind.as_str() {
                "Service" => add_to(&mut obj.val, &["spec"], "selector", &entries),
                k if template_path(k).is_some() && k != "CronJob" && k != "Pod" => {
                    add_to(&mut obj.val, &["spec", "selector"], "matchLabels", &entries)
                }
                _ => {}
            }
        }
    }
    Ok(())
}

pub fn annotations(objects: &mut [Object], annotations: &Val) -> Result<()> {
    let entries = string_map(annotations, "commonAnnotations")?;
    for obj in objects.iter_mut() {
        let kind = obj.kind().to_string();
        add_to(&mut obj.val, &["metadata"], "annotations", &entries);
        if let Some(path) = template_path(&kind) {
            add_to(
                &mut obj.val,
                &path[..path.len() - 1],
                "annotations",
                &entries,
            );
        }
    }
    Ok(())
}

fn string_map<'a>(v: &'a Val, what: &str) -> Result<Vec<(&'a str, &'a Val)>> {
    let Some(m) = v.map() else {
        return Err(v.error(format!(
            "`{what}` must be a mapping, found {}",
            v.kind_name()
        )));
    };
    Ok(m.iter().map(|(k, v)| (k.as_str(), v)).collect())
}

/// Add entries to the mapping `field` under `path` (created when missing, but only where the
/// parent exists).
fn add_to(val: &mut Val, path: &[&str], field: &str, entries: &[(&str, &Val)]) {
    let Some(parent) = (if path.is_empty() {
        Some(val)
    } else {
        val.at_mut(path)
    }) else {
        return;
    };
    if parent.map().is_none() {
        return;
    }
    if let Some(m) = parent.ensure_map(field) {
        for (k, v) in entries {
            m.set(k, (*v).clone());
        }
    }
}

/// The path to a workload's pod spec (ending in `spec`).
pub fn template_path(kind: &str) -> Option<Vec<&'static str>> {
    Some(match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => vec!["spec", "template", "spec"],
        "CronJob" => vec!["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// `images`: change the name, tag or digest of every container image with that name.
pub fn images(objects: &mut [Object], images: &Val) -> Result<()> {
    let Some(items) = images.seq() else {
        return Err(images.error("`images` must be a list"));
    };
    for item in items {
        let name = item
            .get("name")
            .ok_or_else(|| item.error("an `images` entry needs a `name`"))?
            .expect_str("images.name")?;
        for obj in objects.iter_mut() {
            let Some(path) = template_path(obj.kind()) else {
                continue;
            };
            let Some(pod) = obj.val.at_mut(&path) else {
                continue;
            };
            for field in ["containers", "initContainers"] {
                for c in pod
                    .get_mut(field)
                    .and_then(Val::seq_mut)
                    .into_iter()
                    .flatten()
                {
                    let Some(image) = c.text(&["image"]) else {
                        continue;
                    };
                    let (repo, tag, digest) = split_image(image);
                    if repo != name {
                        continue;
                    }
                    let new_repo = item.text(&["newName"]).unwrap_or(repo);
                    let reference = if let Some(d) = item.text(&["digest"]) {
                        format!("{new_repo}@{d}")
                    } else if let Some(t) = item.text(&["newTag"]) {
                        format!("{new_repo}:{t}")
                    } else {
                        match (tag, digest) {
                            (_, Some(d)) => format!("{new_repo}@{d}"),
                            (Some(t), None) => format!("{new_repo}:{t}"),
                            (None, None) => new_repo.to_string(),
                        }
                    };
                    c.set("image", Val::str_at(reference, item.origin.clone()));
                }
            }
        }
    }
    Ok(())
}

/// `repo[:tag][@digest]`, where a `:` before the last `/` is a registry port.
fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..]), digest),
        None => (name, None, digest),
    }
}

/// `replicas`: set the count of the workloads with that name.
pub fn replicas(objects: &mut [Object], replicas: &Val) -> Result<()> {
    let Some(items) = replicas.seq() else {
        return Err(replicas.error("`replicas` must be a list"));
    };
    for item in items {
        let name = item
            .get("name")
            .ok_or_else(|| item.error("a `replicas` entry needs a `name`"))?
            .expect_str("replicas.name")?;
        let count = item
            .get("count")
            .ok_or_else(|| item.error("a `replicas` entry needs a `count`"))?;
        count.expect_str("replicas.count")?;
        let mut found = false;
        for obj in objects.iter_mut() {
            if matches!(
                obj.kind(),
                "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
            ) && obj.answers_to(name)
            {
                if let Some(spec) = obj.val.ensure_map("spec") {
                    spec.set("replicas", count.clone());
                }
                found = true;
            }
        }
        if !found {
            return Err(item.error(format!(
                "`replicas` names `{name}`, which is not among the resources"
            )));
        }
    }
    Ok(())
}

/// After renames (prefixes, suffixes, hashes), make references use the new names: ConfigMaps
/// and Secrets in pods, claims, service accounts, Ingress backends and TLS secrets, HPA targets,
/// HelmRelease `valuesFrom`.
pub fn fix_references(objects: &mut [Object]) {
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    for obj in objects.iter() {
        for old in &obj.previous_names {
            renamed
                .entry((obj.kind().to_string(), old.clone()))
                .or_insert_with(|| obj.name().to_string());
        }
    }
    if renamed.is_empty() {
        return;
    }
    let fix = |v: &mut Val, kind: &str| {
        if let Some(name) = v.str() {
            if let Some(new) = renamed.get(&(kind.to_string(), name.to_string())) {
                v.kind = Kind::Str(new.clone());
            }
        }
    };
    for obj in objects.iter_mut() {
        let kind = obj.kind().to_string();
        if let Some(path) = template_path(&kind) {
            if let Some(pod) = obj.val.at_mut(&path) {
                fix_pod(pod, &fix);
            }
            if kind == "StatefulSet" {
                if let Some(v) = obj.val.at_mut(&["spec", "serviceName"]) {
                    fix(v, "Service");
                }
            }
        }
        if kind == "Pod" {
            if let Some(pod) = obj.val.get_mut("spec") {
                fix_pod(pod, &fix);
            }
        }
        if kind == "HorizontalPodAutoscaler" {
            if let Some(target) = obj.val.at_mut(&["spec", "scaleTargetRef"]) {
                let tkind = target.text(&["kind"]).unwrap_or("").to_string();
                if let Some(v) = target.get_mut("name") {
                    fix(v, &tkind);
                }
            }
        }
        if kind == "Ingress" {
            if let Some(spec) = obj.val.get_mut("spec") {
                for tls in spec
                    .get_mut("tls")
                    .and_then(Val::seq_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(v) = tls.get_mut("secretName") {
                        fix(v, "Secret");
                    }
                }
                if let Some(v) = spec.at_mut(&["defaultBackend", "service", "name"]) {
                    fix(v, "Service");
                }
                for rule in spec
                    .get_mut("rules")
                    .and_then(Val::seq_mut)
                    .into_iter()
                    .flatten()
                {
                    let paths = rule.at_mut(&["http", "paths"]).and_then(Val::seq_mut);
                    for p in paths.into_iter().flatten() {
                        if let Some(v) = p.at_mut(&["backend", "service", "name"]) {
                            fix(v, "Service");
                        }
                    }
                }
            }
        }
        if kind == "HelmRelease" {
            let from = obj
                .val
                .at_mut(&["spec", "valuesFrom"])
                .and_then(Val::seq_mut);
            for f in from.into_iter().flatten() {
                let fkind = f.text(&["kind"]).unwrap_or("").to_string();
                if let Some(v) = f.get_mut("name") {
                    fix(v, &fkind);
                }
            }
        }
    }
}

fn fix_pod(pod: &mut Val, fix: &dyn Fn(&mut Val, &str)) {
    for field in ["containers", "initContainers"] {
        for c in pod
            .get_mut(field)
            .and_then(Val::seq_mut)
            .into_iter()
            .flatten()
        {
            for e in c
                .get_mut("envFrom")
                .and_then(Val::seq_mut)
                .into_iter()
                .flatten()
            {
                if let Some(v) = e.at_mut(&["configMapRef", "name"]) {
                    fix(v, "ConfigMap");
                }
                if let Some(v) = e.at_mut(&["secretRef", "name"]) {
                    fix(v, "Secret");
                }
            }
            for e in c
                .get_mut("env")
                .and_then(Val::seq_mut)
                .into_iter()
                .flatten()
            {
                if let Some(v) = e.at_mut(&["valueFrom", "configMapKeyRef", "name"]) {
                    fix(v, "ConfigMap");
                }
                if let Some(v) = e.at_mut(&["valueFrom", "secretKeyRef", "name"]) {
                    fix(v, "Secret");
                }
            }
        }
    }
    for v in pod
        .get_mut("volumes")
        .and_then(Val::seq_mut)
        .into_iter()
        .flatten()
    {
        if let Some(n) = v.at_mut(&["configMap", "name"]) {
            fix(n, "ConfigMap");
        }
        if let Some(n) = v.at_mut(&["secret", "secretName"]) {
            fix(n, "Secret");
        }
        if let Some(n) = v.at_mut(&["persistentVolumeClaim", "claimName"]) {
            fix(n, "PersistentVolumeClaim");
        }
        let sources = v.at_mut(&["projected", "sources"]).and_then(Val::seq_mut);
        for s in sources.into_iter().flatten() {
            if let Some(n) = s.at_mut(&["configMap", "name"]) {
                fix(n, "ConfigMap");
            }
            if let Some(n) = s.at_mut(&["secret", "name"]) {
                fix(n, "Secret");
            }
        }
    }
    for s in pod
        .get_mut("imagePullSecrets")
        .and_then(Val::seq_mut)
        .into_iter()
        .flatten()
    {
        if let Some(n) = s.get_mut("name") {
            fix(n, "Secret");
        }
    }
    if let Some(sa) = pod.get_mut("serviceAccountName") {
        fix(sa, "ServiceAccount");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        assert_eq!(split_image("nginx"), ("nginx", None, None));
        assert_eq!(split_image("nginx:1.25"), ("nginx", Some("1.25"), None));
        assert_eq!(
            split_image("reg:5000/app:2@sha256:ab"),
            ("reg:5000/app", Some("2"), Some("sha256:ab"))
        );
    }
}
