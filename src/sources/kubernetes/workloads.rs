//! Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod): one `Service`
//! each, with the pod's containers read into image, instances, resources and settings.

use crate::hash::HashMap;

use crate::error::Result;
use crate::model::{
    ImageRef, Instances, Located, MaskedSecret, Note, Quantity, Resources, Role, Service, Setting,
    SettingValue,
};
use crate::sources::command::parse_flags;
use crate::sources::units::server_quantity;

use super::flatten::{
    bytes, count, flatten, insert, insert_plain, join, millicores, stable_key_name, Settings,
};
use super::manifest::Object;
use super::scaling::LimitDefaults;
use super::tree::Val;

/// Kinds that run pods.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
];

/// Environment variables a ConfigMap or Secret provides, by (kind, namespace, name), each with
/// its setting (Secret values already masked).
pub type EnvSources = HashMap<(String, Option<String>, String), EnvSource>;

pub struct EnvSource {
    /// The name without a Kustomize hash, for display.
    pub stable_name: String,
    pub vars: Vec<(String, Setting)>,
}

/// What a workload is built with besides itself.
pub struct Context<'a> {
    pub env_sources: &'a EnvSources,
    /// The LimitRange defaults of the workload's namespace.
    pub limits: Option<&'a LimitDefaults>,
    /// The workload's namespace, where its ConfigMaps and Secrets are looked up.
    pub namespace: Option<&'a str>,
}

/// A service and the object it came from, for HPAs and LimitRanges to find it.
pub struct Built {
    pub service: Service,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// One container's resources after defaults.
#[derive(Default)]
struct ContainerResources {
    limit_cpu: Option<Located<u64>>,
    limit_mem: Option<Located<u64>>,
    request_cpu: Option<Located<u64>>,
    request_mem: Option<Located<u64>>,
}

/// Build the service of a workload.
pub fn build(obj: &Object, ctx: &Context, notes: &mut Vec<Note>) -> Result<Built> {
    let kind = obj.kind().to_string();
    let name = obj.stable_name().to_string();
    let mut service = Service::new(name.clone(), obj.origin().clone());
    let template_path: &[&str] = match kind.as_str() {
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Pod" => &["spec"],
        _ => &["spec", "template", "spec"],
    };
    let pod = obj.val.at(template_path).ok_or_else(|| {
        obj.val.error(format!(
            "`{}` has no pod template (`{}`)",
            obj.id(),
            template_path.join(".")
        ))
    })?;
    insert_plain(&mut service.settings, "kind", kind.clone(), &obj.val);

    let containers = pod.get("containers").and_then(Val::seq).unwrap_or_default();
    if containers.is_empty() {
        return Err(pod.error(format!("`{}` has no containers", obj.id())));
    }
    let mut per_container = Vec::new();
    let mut defaulted: Vec<&str> = Vec::new();
    let mut argv_main = String::new();
    for (i, c) in containers.iter().enumerate() {
        let cname = c.text(&["name"]).unwrap_or("").to_string();
        let prefix = if i == 0 {
            String::new()
        } else {
            format!("container.{cname}")
        };
        let (image, argv, res) = container(
            c,
            &prefix,
            ctx,
            &mut defaulted,
            &mut service.settings,
            notes,
        )?;
        if i == 0 {
            service.image = image;
            argv_main = argv;
        } else if let Some(image) = image {
            insert(
                &mut service.settings,
                &join(&prefix, "image"),
                &image.value.to_string(),
                c.get("image").unwrap_or(c),
            );
        }
        per_container.push(res);
    }
    if let Some(inits) = pod.get("initContainers").and_then(Val::seq) {
        for c in inits {
            let prefix = format!("initContainer.{}", c.text(&["name"]).unwrap_or(""));
            let mut unused = Vec::new();
            let (image, _, _) =
                container(c, &prefix, ctx, &mut unused, &mut service.settings, notes)?;
            if let Some(image) = image {
                insert(
                    &mut service.settings,
                    &join(&prefix, "image"),
                    &image.value.to_string(),
                    c.get("image").unwrap_or(c),
                );
            }
        }
    }
    service.resources = pod_total(&per_container);
    if let (Some(limits), false) = (ctx.limits, defaulted.is_empty()) {
        defaulted.sort_unstable();
        defaulted.dedup();
        limits.mark(&mut service.settings, &defaulted);
    }

    service.role = Role::infer(
        service.image.as_ref().map(|i| i.value.short_name()),
        (!argv_main.is_empty()).then_some(argv_main.as_str()),
        &name,
    );
    read_pod(pod, &mut service.settings);
    read_workload_spec(obj, &kind, &mut service, notes)?;
    Ok(Built {
        service,
        kind,
        name: obj.name().to_string(),
        namespace: obj.namespace().map(str::to_string),
    })
}

/// Read one container's settings under `prefix`; returns its image, command line and resources.
fn container(
    c: &Val,
    prefix: &str,
    ctx: &Context,
    defaulted: &mut Vec<&'static str>,
    settings: &mut Settings,
    notes: &mut Vec<Note>,
) -> Result<(Option<Located<ImageRef>>, String, ContainerResources)> {
    if c.map().is_none() {
        return Err(c.error(format!(
            "a container must be a mapping, found {}",
            c.kind_name()
        )));
    }
    let image = c
        .get("image")
        .map(|v| {
            v.expect_str("image")
                .map(|t| Located::new(ImageRef::parse(t), v.origin.clone()))
        })
        .transpose()?;
    let argv = read_command(c, prefix, image.as_ref(), settings)?;

    // envFrom first: `env` overrides what it brings.
    if let Some(items) = c.get("envFrom").and_then(Val::seq) {
        let mut refs = Vec::new();
        for item in items {
            let var_prefix = item.text(&["prefix"]).unwrap_or("");
            for (kind, field) in [("ConfigMap", "configMapRef"), ("Secret", "secretRef")] {
                let Some(name) = item.text(&[field, "name"]) else {
                    continue;
                };
                let found = ctx.env_sources.get(&(
                    kind.to_string(),
                    ctx.namespace.map(str::to_string),
                    name.to_string(),
                ));
                match found {
                    Some(source) => {
                        refs.push(format!(
                            "{}:{}",
                            lower_first(kind),
                            shown_name(&source.stable_name)
                        ));
                        for (var, setting) in &source.vars {
                            settings.insert(
                                join(prefix, &format!("env.{var_prefix}{var}")),
                                setting.clone(),
                            );
                        }
                    }
                    None => {
                        refs.push(format!("{}:{}", lower_first(kind), shown_name(name)));
                        if item.text(&[field, "optional"]) != Some("true") {
                            notes.push(Note::at(
                                item.origin.clone(),
                                format!("envFrom {kind} `{name}` is not among the manifests read; its variables are unknown"),
                            ));
                        }
                    }
                }
            }
        }
        insert_plain(
            settings,
            &join(prefix, "envFrom"),
            refs.join(", "),
            c.get("envFrom").unwrap_or(c),
        );
    }
    if let Some(items) = c.get("env").and_then(Val::seq) {
        for item in items {
            let var = item
                .get("name")
                .ok_or_else(|| item.error("an `env` entry needs a `name`"))?;
            let var = var.expect_str("env.name")?;
            let key = join(prefix, &format!("env.{var}"));
            if let Some(from) = item.get("valueFrom") {
                let reference = value_from(from);
                insert_plain(settings, &key, reference, from);
            } else {
                let value = item.get("value");
                let text = value.and_then(Val::str).unwrap_or("");
                insert(settings, &key, text, value.unwrap_or(item));
            }
        }
    }

    let res = container_resources(c, prefix, ctx.limits, defaulted, settings)?;

    for (field, name) in [
        ("livenessProbe", "liveness"),
        ("readinessProbe", "readiness"),
        ("startupProbe", "startup"),
    ] {
        if let Some(probe) = c.get(field) {
            flatten(&join(prefix, &format!("probe.{name}")), probe, settings);
        }
    }
    if let Some(ports) = c.get("ports").and_then(Val::seq) {
        let shown: Vec<String> = ports
            .iter()
            .map(|p| {
                let port = p.text(&["containerPort"]).unwrap_or("?");
                let proto = p.text(&["protocol"]).unwrap_or("TCP");
                match p.text(&["name"]) {
                    Some(n) => format!("{n}:{port}/{proto}"),
                    None => format!("{port}/{proto}"),
                }
            })
            .collect();
        insert_plain(
            settings,
            &join(prefix, "ports"),
            shown.join(", "),
            c.get("ports").unwrap_or(c),
        );
    }
    if let Some(mounts) = c.get("volumeMounts").and_then(Val::seq) {
        for m in mounts {
            let path = m.text(&["mountPath"]).unwrap_or("?");
            let mut text = m.text(&["name"]).unwrap_or("").to_string();
            if m.text(&["readOnly"]) == Some("true") {
                text.push_str(":ro");
            }
            if let Some(sub) = m.text(&["subPath"]) {
                text.push_str(&format!(" (subPath {sub})"));
            }
            insert_plain(
                settings,
                &join(prefix, &format!("volumeMounts.{path}")),
                text,
                m,
            );
        }
    }
    const HANDLED: &[&str] = &[
        "name",
        "image",
        "command",
        "args",
        "env",
        "envFrom",
        "resources",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "ports",
        "volumeMounts",
    ];
    for (key, value) in c.map().unwrap_or_default() {
        if !HANDLED.contains(&key.as_str()) {
            flatten(&join(prefix, key), value, settings);
        }
    }
    Ok((image, argv, res))
}

/// `valueFrom` as the reference it is: `secretKeyRef:db/password`.
fn value_from(from: &Val) -> String {
    for field in ["secretKeyRef", "configMapKeyRef"] {
        if let Some(r) = from.get(field) {
            return format!(
                "{field}:{}/{}",
                r.text(&["name"]).unwrap_or("?"),
                r.text(&["key"]).unwrap_or("?")
            );
        }
    }
    if let Some(path) = from.text(&["fieldRef", "fieldPath"]) {
        return format!("fieldRef:{path}");
    }
    if let Some(r) = from.text(&["resourceFieldRef", "resource"]) {
        return format!("resourceFieldRef:{r}");
    }
    "valueFrom".to_string()
}

/// A referenced object's name without environment words (`dev-backend-config` ->
/// `backend-config`), so a per-environment prefix does not read as a difference.
fn shown_name(name: &str) -> String {
    stable_key_name(name, "").unwrap_or_else(|| name.to_string())
}

fn lower_first(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// `command` + `args` as settings, and the server flags in them. Like Compose: args that start
/// with a flag run the image's own program, so the flags belong to the image.
fn read_command(
    c: &Val,
    prefix: &str,
    image: Option<&Located<ImageRef>>,
    settings: &mut Settings,
) -> Result<String> {
    let words = |key: &str| -> Result<Option<(Vec<String>, &Val)>> {
        let Some(v) = c.get(key) else { return Ok(None) };
        match v.seq() {
            Some(items) => Ok(Some((
                items
                    .iter()
                    .map(|i| i.expect_str(key).map(str::to_string))
                    .collect::<Result<_>>()?,
                v,
            ))),
            None if v.is_null() => Ok(None),
            None => Err(v.error(format!("`{key}` must be a list, found {}", v.kind_name()))),
        }
    };
    let command = words("command")?;
    let args = words("args")?;
    let mut argv: Vec<String> = command.iter().flat_map(|(w, _)| w.clone()).collect();
    if let Some((a, _)) = &args {
        if argv.is_empty() && a.first().is_some_and(|w| w.starts_with('-')) {
            if let Some(image) = image {
                argv.push(image.value.short_name().to_string());
            }
        }
        argv.extend(a.iter().cloned());
    }
    let Some(at) = args.as_ref().or(command.as_ref()).map(|(_, v)| *v) else {
        return Ok(String::new());
    };
    let mut secrets: Vec<String> = Vec::new();
    for flag in parse_flags(&argv) {
        let key = join(prefix, &flag.key());
        let mut setting = Setting::new(&key, flag.value.clone(), at.origin.clone());
        if setting.is_secret() {
            if !flag.value.is_empty() {
                secrets.push(flag.value.clone());
            }
        } else {
            setting.quantity = server_quantity(&flag.server, &flag.value);
        }
        settings.insert(key, setting);
    }
    for (key, found) in [("command", &command), ("args", &args)] {
        let Some((words, v)) = found else { continue };
        let line = words.join(" ");
        // The whole line is shown too: mask the secrets its flags carry there as well.
        let shown = secrets.iter().fold(line.clone(), |text, secret| {
            text.replace(secret.as_str(), crate::model::secret::MASK)
        });
        let key = join(prefix, key);
        let mut setting = Setting::new(&key, shown, v.origin.clone());
        if line != setting.display() && !setting.is_secret() {
            setting.value = SettingValue::Secret(Box::new(MaskedSecret::new(
                &line,
                setting.display().to_string(),
            )));
        }
        settings.insert(key, setting);
    }
    Ok(argv.join(" "))
}

/// A container's CPU and memory, with Kubernetes' defaulting: requests default to the limits set
/// on the container, and what is still missing comes from the namespace's LimitRange.
fn container_resources(
    c: &Val,
    prefix: &str,
    limits_default: Option<&LimitDefaults>,
    defaulted: &mut Vec<&'static str>,
    settings: &mut Settings,
) -> Result<ContainerResources> {
    let resources = c.get("resources");
    let mut res = ContainerResources::default();
    for (section, is_limit) in [("limits", true), ("requests", false)] {
        let Some(values) = resources.and_then(|r| r.get(section)) else {
            continue;
        };
        for (key, v) in values.map().unwrap_or_default() {
            let what = format!("resources.{section}.{key}");
            match key.as_str() {
                "cpu" => {
                    let m = Some(Located::new(millicores(v, &what)?, v.origin.clone()));
                    if is_limit {
                        res.limit_cpu = m;
                    } else {
                        res.request_cpu = m;
                    }
                }
                "memory" => {
                    let b = Some(Located::new(bytes(v, &what)?, v.origin.clone()));
                    if is_limit {
                        res.limit_mem = b;
                    } else {
                        res.request_mem = b;
                    }
                }
                _ => insert(settings, &join(prefix, &what), v.str().unwrap_or(""), v),
            }
        }
    }
    if !prefix.is_empty() {
        // Sidecars keep their own numbers visible; the service totals add them up.
        for (key, v, unit) in [
            ("resources.limits.cpu", &res.limit_cpu, 'c'),
            ("resources.limits.memory", &res.limit_mem, 'b'),
            ("resources.requests.cpu", &res.request_cpu, 'c'),
            ("resources.requests.memory", &res.request_mem, 'b'),
        ] {
            if let Some(v) = v {
                let text = if unit == 'c' {
                    format!("{}m", v.value)
                } else {
                    v.value.to_string()
                };
                let mut s = Setting::new("", "", v.origin.clone());
                s.value = SettingValue::Text(text.into());
                s.quantity = Some(if unit == 'c' {
                    Quantity::Millicores(v.value)
                } else {
                    Quantity::Bytes(v.value)
                });
                settings.insert(join(prefix, key), s);
            }
        }
    }
    if res.request_cpu.is_none() {
        res.request_cpu = res.limit_cpu.clone();
    }
    if res.request_mem.is_none() {
        res.request_mem = res.limit_mem.clone();
    }
    if let Some(d) = limits_default {
        d.apply(
            &mut res.limit_cpu,
            &mut res.limit_mem,
            &mut res.request_cpu,
            &mut res.request_mem,
            defaulted,
        );
    }
    Ok(res)
}

/// The pod's CPU and memory: the containers' sum, or no limit when any container has none.
fn pod_total(containers: &[ContainerResources]) -> Resources {
    fn sum(values: Vec<&Option<Located<u64>>>) -> Option<Located<u64>> {
        let mut total: Option<Located<u64>> = None;
        for v in values {
            let v = v.as_ref()?;
            total = Some(match total {
                None => v.clone(),
                Some(t) => Located::new(t.value.saturating_add(v.value), t.origin),
            });
        }
        total
    }
    Resources {
        cpu_limit_millis: sum(containers.iter().map(|c| &c.limit_cpu).collect()),
        memory_limit_bytes: sum(containers.iter().map(|c| &c.limit_mem).collect()),
        cpu_reservation_millis: sum(containers.iter().map(|c| &c.request_cpu).collect()),
        memory_reservation_bytes: sum(containers.iter().map(|c| &c.request_mem).collect()),
    }
}

/// Pod-level scheduling and security settings.
fn read_pod(pod: &Val, settings: &mut Settings) {
    for (key, value) in pod.map().unwrap_or_default() {
        match key.as_str() {
            "containers" | "initContainers" => {}
            "securityContext" => flatten("podSecurityContext", value, settings),
            "topologySpreadConstraints" => {
                for (i, t) in value.seq().unwrap_or_default().iter().enumerate() {
                    let name = t
                        .text(&["topologyKey"])
                        .map_or_else(|| i.to_string(), str::to_string);
                    flatten(&format!("topologySpread.{name}"), t, settings);
                }
            }
            "imagePullSecrets" => {
                let names: Vec<&str> = value
                    .seq()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.text(&["name"]))
                    .collect();
                insert_plain(settings, "imagePullSecrets", names.join(", "), value);
            }
            "volumes" => {
                for v in value.seq().unwrap_or_default() {
                    let name = v.text(&["name"]).unwrap_or("?");
                    insert_plain(settings, &format!("volumes.{name}"), volume_source(v), v);
                }
            }
            _ => flatten(key, value, settings),
        }
    }
}

/// What a pod volume is backed by: `configMap:app`, `secret:tls`, `pvc:data`, `emptyDir`.
fn volume_source(v: &Val) -> String {
    if let Some(n) = v.text(&["configMap", "name"]) {
        return format!("configMap:{n}");
    }
    if let Some(n) = v.text(&["secret", "secretName"]) {
        return format!("secret:{n}");
    }
    if let Some(n) = v.text(&["persistentVolumeClaim", "claimName"]) {
        return format!("pvc:{n}");
    }
    if let Some(p) = v.text(&["hostPath", "path"]) {
        return format!("hostPath:{p}");
    }
    v.map()
        .unwrap_or_default()
        .iter()
        .find(|(k, _)| k != "name")
        .map_or_else(|| "?".to_string(), |(k, _)| k.clone())
}

/// Replicas and the workload's own spec fields (strategy, schedule, storage claims).
fn read_workload_spec(
    obj: &Object,
    kind: &str,
    service: &mut Service,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let spec = obj.val.get("spec");
    match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
            if let Some(r) = spec.and_then(|s| s.get("replicas")) {
                service.instances = Instances {
                    count: count(r, "spec.replicas")?,
                    autoscale_max: None,
                    autoscaler: None,
                    origin: Some(r.origin.clone()),
                };
            }
        }
        "Job" => {
            if let Some(p) = spec.and_then(|s| s.get("parallelism")) {
                service.instances = Instances {
                    count: count(p, "spec.parallelism")?,
                    autoscale_max: None,
                    autoscaler: None,
                    origin: Some(p.origin.clone()),
                };
            }
        }
        "DaemonSet" => notes.push(Note::at(
            obj.origin().clone(),
            format!(
                "`{}` runs one pod per matching node; counted as 1 instance",
                obj.id()
            ),
        )),
        _ => {}
    }
    let Some(spec) = spec else { return Ok(()) };
    for (key, value) in spec.map().unwrap_or_default() {
        match key.as_str() {
            "replicas" | "selector" | "template" => {}
            "jobTemplate" => {
                for (k, v) in value.get("spec").and_then(Val::map).unwrap_or_default() {
                    if k != "template" {
                        flatten(&format!("job.{k}"), v, &mut service.settings);
                    }
                }
            }
            "volumeClaimTemplates" => {
                for claim in value.seq().unwrap_or_default() {
                    let name = claim.text(&["metadata", "name"]).unwrap_or("?");
                    read_claim(
                        &format!("storage.{name}"),
                        claim.get("spec"),
                        claim,
                        &mut service.settings,
                    )?;
                }
            }
            _ => flatten(key, value, &mut service.settings),
        }
    }
    Ok(())
}

/// A claim's size (in bytes), class and access modes under `key`.
pub fn read_claim(key: &str, spec: Option<&Val>, at: &Val, settings: &mut Settings) -> Result<()> {
    let Some(spec) = spec else { return Ok(()) };
    if let Some(size) = spec.at(&["resources", "requests", "storage"]) {
        let b = bytes(size, "resources.requests.storage")?;
        let mut s = Setting::new("", "", size.origin.clone());
        s.value = SettingValue::Text(size.str().unwrap_or("").into());
        s.quantity = Some(Quantity::Bytes(b));
        settings.insert(key.to_string(), s);
    } else {
        insert_plain(settings, key, "(no size)", at);
    }
    if let Some(class) = spec.get("storageClassName") {
        flatten(&format!("{key}.class"), class, settings);
    }
    if let Some(modes) = spec.get("accessModes") {
        flatten(&format!("{key}.accessModes"), modes, settings);
    }
    Ok(())
}
