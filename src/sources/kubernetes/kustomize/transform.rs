//! The transformers a kustomization declares: namespace, name prefix and suffix, labels,
//! annotations, images, replicas; and the references between objects that renames must follow.

use crate::hash::HashMap;

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
    // Role binding subjects that name a ServiceAccount of this build (by a name it answers to,
    // in the namespace it has before this transformer) follow it into the new namespace; other
    // subjects are left alone, as `kubectl kustomize` does.
    let accounts = service_accounts(objects);
    // A Namespace takes the name of the namespace, as with Kustomize (which fails when that makes
    // two Namespaces one).
    let namespaces: Vec<String> = objects
        .iter()
        .filter(|o| o.kind() == "Namespace")
        .map(|o| format!("`{}`", o.name()))
        .collect();
    if namespaces.len() > 1 {
        return Err(ns.error(format!(
            "`namespace: {text}` would rename the Namespaces {} to one name (Kustomize refuses this too)",
            namespaces.join(", ")
        )));
    }
    for obj in objects.iter_mut() {
        if obj.kind() == "Namespace" {
            obj.rename(text.to_string());
            continue;
        }
        if obj.kind() == "RoleBinding" || obj.kind() == "ClusterRoleBinding" {
            for s in seq_at(&mut obj.val, &["subjects"]) {
                if account_of(&accounts, s).is_some() {
                    s.set("namespace", Val::str_at(text, ns.origin.clone()));
                }
            }
        }
        if CLUSTER_SCOPED.contains(&obj.kind()) {
            continue;
        }
        if let Some(meta) = obj.val.ensure_map("metadata") {
            meta.set("namespace", Val::str_at(text, ns.origin.clone()));
        }
    }
    Ok(())
}

/// A ServiceAccount of the build: every name it answers to, its name, its namespace.
struct Account {
    names: Vec<String>,
    name: String,
    namespace: String,
}

fn service_accounts(objects: &[Object]) -> Vec<Account> {
    objects
        .iter()
        .filter(|o| o.kind() == "ServiceAccount")
        .map(|o| Account {
            names: o
                .previous_names
                .iter()
                .cloned()
                .chain([o.name().to_string()])
                .collect(),
            name: o.name().to_string(),
            namespace: o.namespace().unwrap_or("default").to_string(),
        })
        .collect()
}

/// The ServiceAccount a role binding subject names, if it is one of `accounts` (a subject
/// without a namespace means `default`).
fn account_of<'a>(accounts: &'a [Account], subject: &Val) -> Option<&'a Account> {
    if subject.text(&["kind"]) != Some("ServiceAccount") {
        return None;
    }
    let name = subject.text(&["name"])?;
    let namespace = subject.text(&["namespace"]).unwrap_or("default");
    accounts
        .iter()
        .find(|a| a.namespace == namespace && a.names.iter().any(|n| n == name))
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
/// templates only when asked). Where labels go follows `kubectl kustomize` (Kustomize v5.5.0):
/// templates are pod templates, a CronJob's job template and a StatefulSet's volume claim
/// templates; selectors are created where a workload or Service must have one, and otherwise
/// extended only where they already have `matchLabels` (Jobs, CronJobs, PodDisruptionBudgets,
/// NetworkPolicies, and the pod affinity and topology spread terms of Deployments and
/// StatefulSets).
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
            add_to_templates(&mut obj.val, &kind, "labels", &entries);
            if kind == "StatefulSet" {
                for claim in seq_at(&mut obj.val, &["spec", "volumeClaimTemplates"]) {
                    if let Some(meta) = claim.ensure_map("metadata") {
                        add_to(meta, &[], "labels", &entries);
                    }
                }
            }
        }
        if selectors {
            selector_labels(&mut obj.val, &kind, &entries);
        }
    }
    Ok(())
}

/// The selectors `commonLabels` and `labels` with `includeSelectors` extend.
fn selector_labels(val: &mut Val, kind: &str, entries: &[(&str, &Val)]) {
    match kind {
        "Service" | "ReplicationController" => add_to(val, &["spec"], "selector", entries),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            if let Some(selector) = val.get_mut("spec").and_then(|s| s.ensure_map("selector")) {
                add_to(selector, &[], "matchLabels", entries);
            }
        }
        "Job" | "PodDisruptionBudget" => {
            add_to_existing(val, &["spec", "selector", "matchLabels"], entries)
        }
        "CronJob" => add_to_existing(
            val,
            &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
            entries,
        ),
        "NetworkPolicy" => {
            add_to_existing(val, &["spec", "podSelector", "matchLabels"], entries);
            for (rules, peers) in [("ingress", "from"), ("egress", "to")] {
                for rule in seq_at(val, &["spec", rules]) {
                    for peer in seq_at(rule, &[peers]) {
                        add_to_existing(peer, &["podSelector", "matchLabels"], entries);
                    }
                }
            }
        }
        _ => {}
    }
    if matches!(kind, "Deployment" | "StatefulSet") {
        let Some(pod) = val.at_mut(&["spec", "template", "spec"]) else {
            return;
        };
        for affinity in ["podAffinity", "podAntiAffinity"] {
            let base = ["affinity", affinity];
            let required = [
                &base[..],
                &["requiredDuringSchedulingIgnoredDuringExecution"],
            ]
            .concat();
            for term in seq_at(pod, &required) {
                add_to_existing(term, &["labelSelector", "matchLabels"], entries);
            }
            let preferred = [
                &base[..],
                &["preferredDuringSchedulingIgnoredDuringExecution"],
            ]
            .concat();
            for term in seq_at(pod, &preferred) {
                add_to_existing(
                    term,
                    &["podAffinityTerm", "labelSelector", "matchLabels"],
                    entries,
                );
            }
        }
        for c in seq_at(pod, &["topologySpreadConstraints"]) {
            add_to_existing(c, &["labelSelector", "matchLabels"], entries);
        }
    }
}

/// The items of the list at `path`, if there is one.
fn seq_at<'a>(val: &'a mut Val, path: &[&str]) -> impl Iterator<Item = &'a mut Val> {
    val.at_mut(path)
        .and_then(Val::seq_mut)
        .into_iter()
        .flatten()
}

/// Add entries to the mapping at `path` only if it already exists.
fn add_to_existing(val: &mut Val, path: &[&str], entries: &[(&str, &Val)]) {
    if let Some(m) = val.at_mut(path).filter(|m| m.map().is_some()) {
        for (k, v) in entries {
            m.set(k, (*v).clone());
        }
    }
}

pub fn annotations(objects: &mut [Object], annotations: &Val) -> Result<()> {
    let entries = string_map(annotations, "commonAnnotations")?;
    for obj in objects.iter_mut() {
        let kind = obj.kind().to_string();
        add_to(&mut obj.val, &["metadata"], "annotations", &entries);
        add_to_templates(&mut obj.val, &kind, "annotations", &entries);
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

/// Add entries to `metadata.<field>` of a workload's templates, as Kustomize does: the pod
/// template's, and for a CronJob its job template's too. `metadata` is created under an existing
/// template when missing.
fn add_to_templates(val: &mut Val, kind: &str, field: &str, entries: &[(&str, &Val)]) {
    let templates: &[&[&str]] = match kind {
        "CronJob" => &[
            &["spec", "jobTemplate"],
            &["spec", "jobTemplate", "spec", "template"],
        ],
        k if template_path(k).is_some() => &[&["spec", "template"]],
        _ => &[],
    };
    for path in templates {
        if let Some(meta) = val.at_mut(path).and_then(|t| t.ensure_map("metadata")) {
            add_to(meta, &[], field, entries);
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
/// HelmRelease `valuesFrom`, ServiceAccount subjects of role bindings (in the account's
/// namespace).
pub fn fix_references(objects: &mut [Object]) {
    let mut renamed: HashMap<(String, String), String> = HashMap::default();
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
    let accounts = service_accounts(objects);
    for obj in objects.iter_mut() {
        let kind = obj.kind().to_string();
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            for s in seq_at(&mut obj.val, &["subjects"]) {
                if let Some(account) = account_of(&accounts, s) {
                    if let Some(v) = s.get_mut("name") {
                        v.kind = Kind::Str(account.name.clone());
                    }
                }
            }
        }
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

/// Where a pod spec names other objects: per list field, the paths inside each item and the
/// kind of object each names.
type References = &'static [(&'static [&'static str], &'static str)];

const ENV_FROM: References = &[
    (&["configMapRef", "name"], "ConfigMap"),
    (&["secretRef", "name"], "Secret"),
];
const ENV: References = &[
    (&["valueFrom", "configMapKeyRef", "name"], "ConfigMap"),
    (&["valueFrom", "secretKeyRef", "name"], "Secret"),
];
const VOLUMES: References = &[
    (&["configMap", "name"], "ConfigMap"),
    (&["secret", "secretName"], "Secret"),
    (
        &["persistentVolumeClaim", "claimName"],
        "PersistentVolumeClaim",
    ),
];
const PROJECTED_SOURCES: References = &[
    (&["configMap", "name"], "ConfigMap"),
    (&["secret", "name"], "Secret"),
];
const IMAGE_PULL_SECRETS: References = &[(&["name"], "Secret")];

/// Fix the references of every item of the list under `field` of `parent`.
fn fix_list(parent: &mut Val, field: &[&str], refs: References, fix: &dyn Fn(&mut Val, &str)) {
    for item in parent
        .at_mut(field)
        .and_then(Val::seq_mut)
        .into_iter()
        .flatten()
    {
        for (path, kind) in refs {
            if let Some(v) = item.at_mut(path) {
                fix(v, kind);
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
            fix_list(c, &["envFrom"], ENV_FROM, fix);
            fix_list(c, &["env"], ENV, fix);
        }
    }
    fix_list(pod, &["volumes"], VOLUMES, fix);
    for v in pod
        .get_mut("volumes")
        .and_then(Val::seq_mut)
        .into_iter()
        .flatten()
    {
        fix_list(v, &["projected", "sources"], PROJECTED_SOURCES, fix);
    }
    fix_list(pod, &["imagePullSecrets"], IMAGE_PULL_SECRETS, fix);
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

    fn objects(text: &str) -> Vec<Object> {
        crate::sources::kubernetes::manifest::parse_objects(text, "r.yaml", 0).unwrap()
    }

    fn entries(text: &str) -> Val {
        objects(&format!(
            "apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nm: {text}\n"
        ))[0]
            .val
            .get("m")
            .unwrap()
            .clone()
    }

    #[test]
    fn namespace_renames_the_namespace_and_follows_service_accounts() {
        // As `kubectl kustomize` (Kustomize v5.5.0) renders it: the Namespace takes the new name;
        // role binding subjects (cluster-wide ones too) follow a ServiceAccount of the build,
        // into its namespace and to its new name, when they name it in its namespace (none
        // meaning `default`); others are left alone.
        let mut objs = objects(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\nsubjects:\n- {kind: ServiceAccount, name: sa}\n- {kind: ServiceAccount, name: sa, namespace: default}\n- {kind: ServiceAccount, name: sa, namespace: other}\n- {kind: ServiceAccount, name: external}\n- {kind: Group, name: g, namespace: default}\n",
        );
        namespace(&mut objs, &entries("ns")).unwrap();
        rename(&mut objs, "p-", "");
        fix_references(&mut objs);
        assert_eq!(objs[0].name(), "ns");
        assert_eq!(objs[1].namespace(), Some("ns"));
        assert_eq!(objs[2].namespace(), None, "cluster-wide");
        let subjects: Vec<(Option<&str>, Option<&str>)> = objs[2]
            .val
            .get("subjects")
            .unwrap()
            .seq()
            .unwrap()
            .iter()
            .map(|s| (s.text(&["name"]), s.text(&["namespace"])))
            .collect();
        assert_eq!(
            subjects,
            [
                (Some("p-sa"), Some("ns")),
                (Some("p-sa"), Some("ns")),
                (Some("sa"), Some("other")),
                (Some("external"), None),
                (Some("g"), Some("default")),
            ]
        );

        let mut two = objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: one}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: two}\n");
        let e = namespace(&mut two, &entries("ns")).unwrap_err();
        assert!(e.message.contains("`one`, `two`"), "{e}");
    }

    #[test]
    fn labels_and_annotations_go_to_template_metadata() {
        // As `kubectl kustomize` (Kustomize v5.5.0) renders it: pod templates get labels and
        // annotations under `metadata` (created when missing), a CronJob's job template too, and
        // a Job without a selector gets none.
        let mut objs = objects(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {x: y}}\n  template:\n    spec: {containers: [{name: a, image: a}]}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {keep: me}}\n        spec: {containers: [{name: a, image: a}]}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec: {containers: [{name: a, image: a}]}\n",
        );
        labels(&mut objs, &entries("{cl: v}"), true, true).unwrap();
        labels(&mut objs, &entries("{pl: v}"), false, false).unwrap();
        annotations(&mut objs, &entries("{ca: v}")).unwrap();
        let d = &objs[0].val;
        assert_eq!(
            d.text(&["spec", "template", "metadata", "labels", "cl"]),
            Some("v")
        );
        assert_eq!(
            d.text(&["spec", "template", "metadata", "annotations", "ca"]),
            Some("v")
        );
        assert!(d.at(&["spec", "template", "labels"]).is_none());
        assert!(d.at(&["spec", "template", "annotations"]).is_none());
        assert!(d
            .at(&["spec", "template", "metadata", "labels", "pl"])
            .is_none());
        assert_eq!(
            d.text(&["spec", "selector", "matchLabels", "cl"]),
            Some("v")
        );
        assert_eq!(d.text(&["metadata", "labels", "pl"]), Some("v"));
        let cj = &objs[1].val;
        for path in [
            &["spec", "jobTemplate", "metadata"][..],
            &["spec", "jobTemplate", "spec", "template", "metadata"][..],
        ] {
            let meta = cj.at(path).unwrap();
            assert_eq!(meta.text(&["labels", "cl"]), Some("v"), "{path:?}");
            assert_eq!(meta.text(&["annotations", "ca"]), Some("v"), "{path:?}");
        }
        assert_eq!(
            cj.text(&[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "labels",
                "keep"
            ]),
            Some("me")
        );
        let j = &objs[2].val;
        assert_eq!(
            j.text(&["spec", "template", "metadata", "labels", "cl"]),
            Some("v")
        );
        assert!(j.at(&["spec", "selector"]).is_none());
    }
}
