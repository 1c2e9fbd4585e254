//! Kubernetes manifests, Kustomize overlays (rendered natively), Helm values files, and the
//! CloudNativePG and Flux resources that stand for services.
//!
//! Every source of one environment is first turned into a list of objects; the objects are then
//! read into the model together, so a LimitRange or an HPA applies to workloads whichever file
//! declares them. Workloads and service-like custom resources become `Service`s; everything else
//! becomes environment settings.

pub mod base64;
pub mod flatten;
pub mod flux;
pub mod helm;
pub mod kustomize;
pub mod manifest;
pub mod objects;
pub mod operators;
pub mod scaling;
pub mod tree;
pub mod workloads;

use crate::hash::HashMap;

use crate::discover::{canonical_env_name, SourceKind, SourcePlan};
use crate::error::Result;
use crate::model::{Environment, GapExtent, Note};
use crate::sources::Workspace;

use manifest::Object;
use scaling::LimitDefaults;
use workloads::{Built, Context, EnvSources, WORKLOAD_KINDS};

/// Read the Kubernetes-family sources of one environment into it. `env_names` are every
/// environment of the scan: an object in another environment's namespace is not this one's.
pub fn load(
    workspace: &Workspace,
    sources: &[&SourcePlan],
    env_names: &[String],
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let mut objects: Vec<Object> = Vec::new();
    for source in sources {
        match source.kind {
            SourceKind::Kubernetes => {
                for file in &source.files {
                    // One manifest file that cannot be read leaves a gap; the others are read.
                    match manifest::read_file(workspace, file) {
                        Ok(read) => objects.extend(
                            read.into_iter()
                                .filter(|o| belongs_to(o, &environment.name, env_names)),
                        ),
                        Err(e) => environment.add_gap(GapExtent::Source, None, &e),
                    }
                }
            }
            SourceKind::Kustomize => {
                for file in &source.files {
                    // One overlay that cannot be read leaves a gap; the others are still read.
                    match kustomize::build(workspace, file) {
                        Ok(rendered) => {
                            objects.extend(rendered.objects);
                            notes.extend(rendered.notes);
                            for (extent, e) in &rendered.gaps {
                                environment.add_gap(*extent, None, e);
                            }
                        }
                        Err(e) => environment.add_gap(GapExtent::Source, None, &e),
                    }
                }
            }
            SourceKind::HelmValues => match helm::values_files(workspace, &source.files) {
                Ok(services) => environment.services.extend(services),
                Err(e) => environment.add_gap(GapExtent::Source, None, &e),
            },
            // Other kinds have their own readers; the caller passes only these three.
            _ => {}
        }
    }
    let read_dirs: Vec<String> = sources
        .iter()
        .flat_map(|s| &s.files)
        .map(|f| f.rsplit_once('/').map_or("", |(d, _)| d).to_string())
        .collect();
    let followed = flux::follow(workspace, &objects, &read_dirs);
    objects.extend(followed.objects);
    notes.extend(followed.notes);
    for (extent, e) in &followed.gaps {
        environment.add_gap(*extent, None, e);
    }
    read_objects(&objects, environment, notes)
}

/// Whether an object read from a shared file is for this environment: not when its namespace
/// (or, for a Namespace, its name) is another environment's.
fn belongs_to(obj: &Object, env: &str, env_names: &[String]) -> bool {
    let ns = if obj.kind() == "Namespace" {
        Some(obj.name())
    } else {
        obj.namespace()
    };
    match ns {
        Some(ns) => {
            let canonical = canonical_env_name(ns);
            canonical == env || !env_names.contains(&canonical)
        }
        None => true,
    }
}

/// Read objects into the environment: workloads and operator resources as services, the rest as
/// settings; then HPAs and LimitRange defaults. An object that cannot be read is a gap naming
/// it; the others are still read.
pub fn read_objects(
    objects: &[Object],
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let env = environment.name.clone();
    let mut limit_ranges: Vec<LimitDefaults> = Vec::new();
    let mut env_sources: EnvSources = HashMap::default();
    for obj in objects {
        if obj.kind() == "LimitRange" {
            match LimitDefaults::of(obj) {
                Ok(limits) => limit_ranges.extend(limits),
                Err(e) => environment.add_gap(GapExtent::Source, None, &e),
            }
        }
        match objects::env_source(obj) {
            Ok(Some(source)) => {
                let key = (
                    obj.kind().to_string(),
                    obj.namespace().map(str::to_string),
                    obj.name().to_string(),
                );
                env_sources.insert(key, source);
            }
            Ok(None) => {}
            Err(e) => environment.add_gap(GapExtent::Source, None, &e),
        }
    }
    let limits_for = |ns: Option<&str>| limit_ranges.iter().find(|l| l.namespace.as_deref() == ns);

    let mut built: Vec<Built> = Vec::new();
    let mut hpas: Vec<&Object> = Vec::new();
    for obj in objects {
        let kind = obj.kind();
        let result = if WORKLOAD_KINDS.contains(&kind) && obj.group() != "postgresql.cnpg.io" {
            let ctx = Context {
                env_sources: &env_sources,
                limits: limits_for(obj.namespace()),
                namespace: obj.namespace(),
            };
            workloads::build(obj, &ctx, notes).map(|b| built.push(b))
        } else if operators::is_service_resource(obj) {
            operators::build(obj, objects, notes).map(|mut service| {
                let ns = operators::target_namespace(obj);
                if let Some(limits) = limits_for(ns.as_deref()) {
                    limits.apply_to_service(&mut service);
                }
                built.push(Built {
                    service,
                    kind: kind.to_string(),
                    name: obj.name().to_string(),
                    namespace: ns,
                });
            })
        } else if kind == "HorizontalPodAutoscaler" {
            hpas.push(obj);
            Ok(())
        } else {
            objects::read(obj, &env, &mut environment.settings)
        };
        if let Err(e) = result {
            environment.add_gap(GapExtent::Source, Some(obj.stable_name()), &e);
        }
    }
    for hpa in hpas {
        let key = objects::key_of(hpa, &env);
        let scaled = scaling::apply_hpa(hpa, &mut built, &mut environment.settings, &key, notes);
        if let Err(e) = scaled {
            environment.add_gap(GapExtent::Source, Some(hpa.name()), &e);
        }
    }
    environment
        .services
        .extend(built.into_iter().map(|b| b.service));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn environment(name: &str, text: &str) -> (Environment, Vec<Note>) {
        let objects = manifest::parse_objects(text, "m.yaml", 0).unwrap();
        let mut env = Environment::new(name);
        let mut notes = Vec::new();
        read_objects(&objects, &mut env, &mut notes).unwrap();
        (env, notes)
    }

    const APP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n      - name: proxy\n        image: envoy:1\n        resources:\n          limits: {cpu: 100m, memory: 64Mi}\n";

    #[test]
    fn hpa_sets_min_and_max() {
        let text = format!("{APP}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: prod}}\nspec:\n  scaleTargetRef: {{kind: Deployment, name: web}}\n  minReplicas: 2\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}\n");
        let (env, notes) = environment("production", &text);
        let web = &env.services[0];
        assert_eq!(
            (web.instances.count, web.instances.autoscale_max),
            (2, Some(5))
        );
        assert_eq!(web.instances.origin, Some(Origin::new("m.yaml", 21)));
        assert_eq!(web.settings["autoscaling.target.cpu"].display(), "80%");
        assert!(notes.is_empty());
        // An HPA in another namespace does not scale it.
        let other = text.replace(
            "{name: web, namespace: prod}\nspec:\n  scaleTargetRef",
            "{name: web, namespace: other}\nspec:\n  scaleTargetRef",
        );
        let (env, notes) = environment("production", &other);
        assert_eq!(env.services[0].instances.count, 3);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn limit_range_fills_unset_containers_and_says_so() {
        let text = format!("{APP}---\napiVersion: v1\nkind: LimitRange\nmetadata: {{name: defaults, namespace: prod}}\nspec:\n  limits:\n  - type: Container\n    default: {{cpu: 500m, memory: 512Mi}}\n");
        let (env, _) = environment("production", &text);
        let web = &env.services[0];
        // web gets the defaults (requests too, from `default`), the proxy keeps its own.
        assert_eq!(web.resources.cpu_limit_millis.as_ref().unwrap().value, 600);
        assert_eq!(
            web.resources.memory_limit_bytes.as_ref().unwrap().value,
            576 << 20
        );
        assert_eq!(
            web.resources.cpu_reservation_millis.as_ref().unwrap().value,
            600
        );
        assert_eq!(
            web.settings["resources.defaults"].display(),
            "limits.cpu, limits.memory, requests.cpu, requests.memory from LimitRange defaults"
        );
        assert_eq!(
            web.settings["container.proxy.resources.limits.cpu"].display(),
            "100m"
        );
        // Without the LimitRange, the pod has no limit (one container has none).
        let (env, _) = environment("production", APP);
        assert!(env.services[0].resources.cpu_limit_millis.is_none());
        assert!(!env.services[0].settings.contains_key("resources.defaults"));
    }

    #[test]
    fn shared_files_keep_only_their_environment() {
        let objs = manifest::parse_objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: staging}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: production}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: tools}\n", "m.yaml", 0).unwrap();
        let envs = vec!["staging".to_string(), "production".to_string()];
        let kept: Vec<String> = objs
            .iter()
            .filter(|o| belongs_to(o, "staging", &envs))
            .map(Object::id)
            .collect();
        assert_eq!(kept, ["Namespace/staging", "ConfigMap/d"]);
    }
}
