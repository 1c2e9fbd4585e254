//! Helm values: `values.yaml` + `values-<env>.yaml` deep-merged as Helm merges them, and the
//! conventions charts share (`replicaCount`, `image`, `resources`, `autoscaling`) plus the
//! Bitnami PostgreSQL and Redis charts' topology keys, read into a service.

use crate::error::Result;
use crate::model::{
    ChartTag, ImageRef, Instances, Located, Origin, Quantity, Resources, Role, Service, Setting,
    SettingValue,
};
use crate::sources::Workspace;

use super::flatten::{bytes, count, flatten, insert_plain, millicores, Settings};
use super::tree::{deep_merge, from_yaml, Val};

/// Read values files (base first, deep-merged as Helm merges them) into the services of the
/// chart beside the first one: the chart itself, each subchart it depends on (values under the
/// dependency's name or alias, over a local subchart's own `values.yaml`), and each component
/// block (`worker: {replicaCount, image}`).
pub fn values_files(workspace: &Workspace, files: &[String]) -> Result<Vec<Service>> {
    let first = files.first().map(String::as_str).unwrap_or("values.yaml");
    let origin = Origin::new(first, 1);
    let values = merged(workspace, files)?.unwrap_or_else(|| Val::empty_map(origin.clone()));
    let dir = parent(first);
    let chart = Chart::read(workspace, dir)?.unwrap_or_else(|| Chart::unnamed(dir));
    chart.services(workspace, &values, &origin)
}

/// Values files deep-merged in order; `None` when there are none.
fn merged(workspace: &Workspace, files: &[String]) -> Result<Option<Val>> {
    let mut merged: Option<Val> = None;
    for file in files {
        let val = values_file(workspace, file)?;
        match merged.as_mut() {
            None => merged = Some(val),
            Some(base) => deep_merge(base, val),
        }
    }
    Ok(merged)
}

fn values_file(workspace: &Workspace, file: &str) -> Result<Val> {
    let text = workspace.read_text(file)?;
    let node = workspace.yaml_document(&text, file)?;
    let val = from_yaml(&node, file);
    if !(val.map().is_some() || val.is_null()) {
        return Err(val.error(format!(
            "a Helm values file must be a mapping, found {}",
            val.kind_name()
        )));
    }
    Ok(val)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Keys of the `helm create` layout that configure the chart's own workload, never a component.
const CHART_KEYS: &[&str] = &[
    "image",
    "imagePullSecrets",
    "resources",
    "autoscaling",
    "serviceAccount",
    "service",
    "ingress",
    "podAnnotations",
    "podLabels",
    "podSecurityContext",
    "securityContext",
    "nodeSelector",
    "tolerations",
    "affinity",
    "global",
    "persistence",
    "livenessProbe",
    "readinessProbe",
    "volumes",
    "volumeMounts",
];

/// Keys whose presence makes a block of values a workload.
fn is_workload(values: &Val) -> bool {
    values.get("replicaCount").is_some()
        || values.at(&["image", "repository"]).is_some()
        || values.at(&["autoscaling", "enabled"]).is_some()
}

/// Charts whose nested blocks (`primary`, `replica`, `master`) are their own topology.
fn has_own_topology(chart: &str) -> bool {
    let lower = chart.to_ascii_lowercase();
    ["postgres", "redis", "valkey", "mariadb", "mysql", "mongodb"]
        .iter()
        .any(|c| lower.contains(c))
}

/// A chart's `Chart.yaml`: its name and the subcharts it depends on.
#[derive(Debug)]
struct Chart {
    name: String,
    /// `appVersion`: the tag of the chart's image when its values leave it out.
    app_version: Option<String>,
    /// The probes the chart's templates write into its pod spec whatever the values say
    /// (`livenessProbe:` in `templates/deployment.yaml`), and where the first one is.
    template_probes: Option<(String, Origin)>,
    dependencies: Vec<Dependency>,
}

#[derive(Debug)]
struct Dependency {
    /// The chart's name (what it is: `redis`, `generic-service`).
    chart: String,
    /// Where its values sit in the parent's values: the alias, else the name.
    key: String,
    /// A subchart in the repository (`repository: file://../api`).
    local_dir: Option<String>,
    /// The version a chart from a chart repository is pinned to (`2.5.0`, or a range).
    version: Option<String>,
}

/// One service the values deploy: its name, where its values sit, the chart it runs, and its
/// values.
struct Part {
    name: String,
    key: String,
    chart: String,
    values: Val,
    /// What supplies the image tag when the values leave it out.
    default_tag: Option<ChartTag>,
}

impl Chart {
    /// The chart in `dir`, if it has a `Chart.yaml`.
    fn read(workspace: &Workspace, dir: &str) -> Result<Option<Chart>> {
        let path = join(dir, "Chart.yaml");
        if !workspace.is_file(&path) {
            return Ok(None);
        }
        let text = workspace.read_text(&path)?;
        let node = workspace.yaml_document(&text, &path)?;
        let val = from_yaml(&node, &path);
        let mut chart = Chart::unnamed(dir);
        if let Some(name) = val.text(&["name"]).filter(|n| !n.is_empty()) {
            chart.name = name.to_string();
        }
        chart.app_version = val
            .text(&["appVersion"])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        chart.template_probes = template_probes(workspace, &join(dir, "templates"))?;
        for dep in val.list_at("dependencies")? {
            let Some(name) = dep.text(&["name"]) else {
                return Err(dep.error("a chart dependency needs a `name`"));
            };
            let local_dir = dep
                .text(&["repository"])
                .and_then(|r| r.strip_prefix("file://"))
                .and_then(|rel| crate::sources::join_relative(&path, rel));
            chart.dependencies.push(Dependency {
                chart: name.to_string(),
                key: dep.text(&["alias"]).unwrap_or(name).to_string(),
                local_dir,
                version: dep
                    .text(&["version"])
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
            });
        }
        Ok(Some(chart))
    }

    /// Values with no `Chart.yaml`: named after their directory.
    fn unnamed(dir: &str) -> Chart {
        let name = dir.rsplit('/').next().filter(|d| !d.is_empty());
        Chart {
            name: name.unwrap_or("chart").to_string(),
            app_version: None,
            template_probes: None,
            dependencies: Vec::new(),
        }
    }

    /// The services these values deploy.
    fn services(
        &self,
        workspace: &Workspace,
        values: &Val,
        origin: &Origin,
    ) -> Result<Vec<Service>> {
        let mut parts = self.subcharts(workspace, values)?;
        if !has_own_topology(&self.name) {
            parts.extend(self.components(values));
        }
        let mut own = values.clone();
        for part in &parts {
            own.remove(&part.key);
        }
        let own_name = named(values).unwrap_or(&self.name).to_string();
        let own_is_workload = is_workload(&own) || parts.is_empty();
        let mut services = Vec::new();
        if own_is_workload {
            let mut service = service_of(&own_name, &self.name, &own, origin, self.own_tag())?;
            self.add_template_probes(&mut service);
            services.push(service);
        }
        // The one subchart of a wrapper chart (`generic-service`) is the chart's workload.
        let single = !own_is_workload && parts.len() == 1;
        for part in &parts {
            let name = if single && named(&part.values).is_none() {
                &own_name
            } else {
                &part.name
            };
            services.push(service_of(
                name,
                &part.chart,
                &part.values,
                &part.values.origin,
                part.default_tag.clone(),
            )?);
        }
        if !own_is_workload && own.map().is_some_and(|m| !m.is_empty()) {
            // The chart's own settings (`buildEnv`) still differ between environments: they go
            // with the workload named after the chart, else the first one.
            let home = services
                .iter()
                .position(|s| s.name == own_name)
                .unwrap_or(0);
            flatten("chart.values", &own, &mut services[home].settings);
        }
        Ok(services)
    }

    /// Each enabled dependency whose values are a workload (or a database or cache chart,
    /// whose defaults are one): a service running that chart.
    fn subcharts(&self, workspace: &Workspace, values: &Val) -> Result<Vec<Part>> {
        let mut parts = Vec::new();
        for dep in &self.dependencies {
            let Some(sub) = subchart_values(workspace, dep, values)? else {
                continue;
            };
            // A library or configuration subchart (alerts, dashboards) deploys no workload:
            // its values stay with the chart's own settings.
            if is_workload(&sub) || has_own_topology(&dep.chart) {
                let default_tag = match &dep.local_dir {
                    Some(dir) => Chart::read(workspace, dir)?.and_then(|c| c.own_tag()),
                    None => Some(
                        dep.version
                            .clone()
                            .map_or(ChartTag::Unpinned, ChartTag::ChartVersion),
                    ),
                };
                parts.push(Part {
                    name: named(&sub).unwrap_or(&dep.key).to_string(),
                    key: dep.key.clone(),
                    chart: dep.chart.clone(),
                    values: sub,
                    default_tag,
                });
            }
        }
        Ok(parts)
    }

    /// Blocks of values that are workloads of their own (`worker: {replicaCount, image}`).
    fn components(&self, values: &Val) -> Vec<Part> {
        let is_dependency = |k: &str| self.dependencies.iter().any(|d| d.key == k);
        values
            .map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, block)| {
                !is_dependency(k) && !CHART_KEYS.contains(&k.as_str()) && is_workload(block)
            })
            .map(|(key, block)| Part {
                name: named(block).unwrap_or(key).to_string(),
                key: key.clone(),
                chart: key.clone(),
                values: block.clone(),
                default_tag: self.own_tag(),
            })
            .collect()
    }

    /// The probes the templates define, as a setting of the chart's own workload: the health
    /// check is there even when no value names it.
    fn add_template_probes(&self, service: &mut Service) {
        if let Some((names, at)) = &self.template_probes {
            service.settings.insert(
                "chart.templates.probes".into(),
                Setting::new("chart.templates.probes", names.clone(), at.clone()),
            );
        }
    }

    /// What tags the chart's own image when its values leave the tag out: its `appVersion`.
    fn own_tag(&self) -> Option<ChartTag> {
        self.app_version.clone().map(ChartTag::AppVersion)
    }
}

/// The probes written in a chart's templates (`livenessProbe:` followed by its handler,
/// `httpGet:`, `tcpSocket:`, `exec:` or `grpc:`, not by values pasted in with `toYaml`), with
/// the first one's place; `None` when there are none or no templates.
fn template_probes(workspace: &Workspace, dir: &str) -> Result<Option<(String, Origin)>> {
    if !workspace.resolve(dir).is_ok_and(|p| p.is_dir()) {
        return Ok(None);
    }
    let mut found: Vec<&str> = Vec::new();
    let mut first: Option<Origin> = None;
    for name in workspace.list_dir(dir)? {
        if !(name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".tpl")) {
            continue;
        }
        let file = join(dir, &name);
        let text = workspace.read_text(&file)?;
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (n, line) in lines.iter().enumerate() {
            let handler = lines[n + 1..]
                .iter()
                .find(|l| !l.is_empty())
                .is_some_and(|next| {
                    ["httpGet:", "tcpSocket:", "exec:", "grpc:"]
                        .iter()
                        .any(|h| next.starts_with(h))
                });
            for probe in ["livenessProbe:", "readinessProbe:", "startupProbe:"] {
                if handler && line.starts_with(probe) {
                    let probe = probe.trim_end_matches(':');
                    if !found.contains(&probe) {
                        found.push(probe);
                    }
                    first.get_or_insert_with(|| Origin::new(&file, n as u32 + 1));
                }
            }
        }
    }
    Ok(first.map(|at| (found.join(", "), at)))
}

/// A dependency's values: under its key, over a local subchart's own `values.yaml`; `None`
/// when it is disabled (`<key>.enabled: false`) or has no values at all.
fn subchart_values(workspace: &Workspace, dep: &Dependency, values: &Val) -> Result<Option<Val>> {
    let given = values.get(&dep.key);
    if given.and_then(|g| g.text(&["enabled"])) == Some("false") {
        return Ok(None);
    }
    let own = match &dep.local_dir {
        Some(dir) if workspace.is_file(&join(dir, "values.yaml")) => {
            Some(values_file(workspace, &join(dir, "values.yaml"))?)
        }
        _ => None,
    };
    Ok(match (own, given) {
        (Some(mut base), Some(g)) => {
            deep_merge(&mut base, g.clone());
            Some(base)
        }
        (Some(base), None) => Some(base),
        (None, Some(g)) if g.map().is_some() => Some(g.clone()),
        _ => None,
    })
}

/// `nameOverride` or `fullnameOverride`, when set.
fn named(values: &Val) -> Option<&str> {
    ["nameOverride", "fullnameOverride"]
        .iter()
        .find_map(|k| values.text(&[k]).filter(|n| !n.trim().is_empty()))
}

fn service_of(
    name: &str,
    chart: &str,
    values: &Val,
    origin: &Origin,
    default_tag: Option<ChartTag>,
) -> Result<Service> {
    let mut service = Service::new(name.to_string(), origin.clone());
    read_values(chart, values, default_tag, &mut service)?;
    Ok(service)
}

/// Read chart values into a service: every value as a `values.*` setting, and what the common
/// keys mean for image, instances, resources and storage. `default_tag` is what supplies the
/// image's tag when the values leave it out (the chart's `appVersion` or its own values).
pub fn read_values(
    chart: &str,
    values: &Val,
    default_tag: Option<ChartTag>,
    service: &mut Service,
) -> Result<()> {
    if values.map().is_some_and(|m| !m.is_empty()) {
        flatten("values", values, &mut service.settings);
    }
    if let Some(repo) = values.at(&["image", "repository"]).and_then(Val::str) {
        let mut reference = repo.to_string();
        if let Some(registry) = values.text(&["image", "registry"]) {
            reference = format!("{registry}/{reference}");
        }
        if let Some(tag) = values.text(&["image", "tag"]) {
            reference = format!("{reference}:{tag}");
        }
        let at = values
            .at(&["image", "tag"])
            .or(values.at(&["image", "repository"]));
        let mut image = ImageRef::parse(&reference);
        if image.tag.is_none() && image.digest.is_none() {
            image.chart_tag = default_tag;
        }
        service.image = at.map(|v| Located::new(image, v.origin.clone()));
    }
    let chart_lower = chart.to_ascii_lowercase();
    let topology = if chart_lower.contains("postgres") {
        postgresql(values, &mut service.settings)?
    } else if chart_lower.contains("redis-cluster") || chart_lower.contains("valkey-cluster") {
        redis_cluster(values, &mut service.settings)?
    } else if chart_lower.contains("redis") || chart_lower.contains("valkey") {
        redis(values, &mut service.settings)?
    } else {
        generic(values, &mut service.settings)?
    };
    if let Some(instances) = topology.instances {
        service.instances = instances;
    }
    if let Some(res) = topology.resources {
        service.resources = resources(res)?;
    }
    service.role = Role::infer(
        service
            .image
            .as_ref()
            .map(|i| i.value.short_name())
            .or(Some(chart)),
        None,
        &service.name,
    );
    Ok(())
}

/// What a chart's values say about topology.
struct Topology<'a> {
    instances: Option<Instances>,
    resources: Option<&'a Val>,
}

/// `replicaCount`, `autoscaling.*`, `resources`, `persistence.size`: the `helm create` layout.
fn generic<'a>(values: &'a Val, settings: &mut Settings) -> Result<Topology<'a>> {
    let mut instances = values
        .get("replicaCount")
        .map(|v| fixed(v, "replicaCount"))
        .transpose()?;
    if values.text(&["autoscaling", "enabled"]) == Some("true") {
        let min = values.at(&["autoscaling", "minReplicas"]);
        let max = values.at(&["autoscaling", "maxReplicas"]);
        if let Some(max_v) = max {
            instances = Some(Instances {
                count: min
                    .map(|m| count(m, "autoscaling.minReplicas"))
                    .transpose()?
                    .unwrap_or(1),
                autoscale_max: Some(count(max_v, "autoscaling.maxReplicas")?),
                autoscaler: Some("HPA".into()),
                origin: Some(min.unwrap_or(max_v).origin.clone()),
            });
        }
    }
    storage(values.at(&["persistence"]), "storage.data", settings)?;
    Ok(Topology {
        instances,
        resources: values.get("resources"),
    })
}

/// Bitnami `postgresql`: `architecture: standalone | replication`, `readReplicas.replicaCount`,
/// `primary.persistence.size`, `primary.resources`.
fn postgresql<'a>(values: &'a Val, settings: &mut Settings) -> Result<Topology<'a>> {
    let arch = values.get("architecture");
    let replicas = if arch.and_then(Val::str) == Some("replication") {
        let n = values
            .at(&["readReplicas", "replicaCount"])
            .map(|v| count(v, "readReplicas.replicaCount"))
            .transpose()?
            .unwrap_or(1);
        Some((1 + n, arch))
    } else {
        arch.map(|a| (1, Some(a)))
    };
    storage(
        values.at(&["primary", "persistence"]),
        "storage.primary",
        settings,
    )?;
    storage(
        values.at(&["readReplicas", "persistence"]),
        "storage.readReplicas",
        settings,
    )?;
    Ok(Topology {
        instances: replicas.map(|(count, at)| Instances {
            count,
            autoscale_max: None,
            autoscaler: None,
            origin: at.map(|a| a.origin.clone()),
        }),
        resources: values.at(&["primary", "resources"]),
    })
}

/// Bitnami `redis`: `architecture` (replication by default, with `replica.replicaCount`
/// replicas, 3 by default), `master.persistence.size`, `master.resources`.
fn redis<'a>(values: &'a Val, settings: &mut Settings) -> Result<Topology<'a>> {
    let arch = values.get("architecture");
    let standalone = arch.and_then(Val::str) == Some("standalone");
    let replicas = values.at(&["replica", "replicaCount"]);
    let count = if standalone {
        1
    } else {
        1 + replicas
            .map(|v| count(v, "replica.replicaCount"))
            .transpose()?
            .unwrap_or(3)
    };
    storage(
        values.at(&["master", "persistence"]),
        "storage.master",
        settings,
    )?;
    if !standalone {
        storage(
            values.at(&["replica", "persistence"]),
            "storage.replica",
            settings,
        )?;
    }
    Ok(Topology {
        instances: Some(Instances {
            count,
            autoscale_max: None,
            autoscaler: None,
            origin: arch.or(replicas).map(|v| v.origin.clone()),
        }),
        resources: values.at(&["master", "resources"]),
    })
}

/// Bitnami `redis-cluster`: `cluster.nodes` (6 by default), `persistence.size`,
/// `redis.resources`.
fn redis_cluster<'a>(values: &'a Val, settings: &mut Settings) -> Result<Topology<'a>> {
    let nodes = values.at(&["cluster", "nodes"]);
    storage(values.get("persistence"), "storage.data", settings)?;
    Ok(Topology {
        instances: Some(Instances {
            count: nodes
                .map(|v| count(v, "cluster.nodes"))
                .transpose()?
                .unwrap_or(6),
            autoscale_max: None,
            autoscaler: None,
            origin: nodes.map(|v| v.origin.clone()),
        }),
        resources: values.at(&["redis", "resources"]),
    })
}

fn fixed(v: &Val, what: &str) -> Result<Instances> {
    Ok(Instances {
        count: count(v, what)?,
        autoscale_max: None,
        autoscaler: None,
        origin: Some(v.origin.clone()),
    })
}

/// A chart's `persistence` block: its size as bytes under `key` (when enabled).
fn storage(persistence: Option<&Val>, key: &str, settings: &mut Settings) -> Result<()> {
    let Some(p) = persistence else { return Ok(()) };
    if p.text(&["enabled"]) == Some("false") {
        insert_plain(settings, key, "disabled", p.get("enabled").unwrap_or(p));
        return Ok(());
    }
    if let Some(size) = p.get("size") {
        let b = bytes(size, "persistence.size")?;
        let mut s = Setting::new("", "", size.origin.clone());
        s.value = SettingValue::Text(size.str().unwrap_or("").into());
        s.quantity = Some(Quantity::Bytes(b));
        settings.insert(key.to_string(), s);
    }
    Ok(())
}

/// `resources.limits` / `resources.requests` in Kubernetes quantities.
pub fn resources(res: &Val) -> Result<Resources> {
    let cpu = |section: &str| -> Result<Option<Located<u64>>> {
        res.at(&[section, "cpu"])
            .map(|v| {
                millicores(v, &format!("resources.{section}.cpu"))
                    .map(|m| Located::new(m, v.origin.clone()))
            })
            .transpose()
    };
    let mem = |section: &str| -> Result<Option<Located<u64>>> {
        res.at(&[section, "memory"])
            .map(|v| {
                bytes(v, &format!("resources.{section}.memory"))
                    .map(|b| Located::new(b, v.origin.clone()))
            })
            .transpose()
    };
    let limit_cpu = cpu("limits")?;
    let limit_mem = mem("limits")?;
    Ok(Resources {
        cpu_reservation_millis: cpu("requests")?.or_else(|| limit_cpu.clone()),
        memory_reservation_bytes: mem("requests")?.or_else(|| limit_mem.clone()),
        cpu_limit_millis: limit_cpu,
        memory_limit_bytes: limit_mem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::yaml::{parse_document, Limits};

    fn service(chart: &str, values: &str) -> Service {
        let v = from_yaml(
            &parse_document(values, "v.yaml", Limits::default()).unwrap(),
            "v.yaml",
        );
        let mut s = Service::new("x", Origin::new("v.yaml", 1));
        read_values(chart, &v, None, &mut s).unwrap();
        s
    }

    #[test]
    fn bitnami_topologies() {
        let pg = service("postgresql", "architecture: replication\nreadReplicas:\n  replicaCount: 2\nprimary:\n  persistence: {size: 50Gi}\n  resources: {limits: {cpu: '2', memory: 2Gi}}\nauth:\n  password: s3cr3t-pass\n");
        assert_eq!(pg.instances.count, 3);
        assert_eq!(pg.role, Role::Database);
        assert_eq!(
            pg.settings["storage.primary"].quantity,
            Some(Quantity::Bytes(50 << 30))
        );
        assert_eq!(pg.resources.cpu_limit_millis.as_ref().unwrap().value, 2000);
        assert!(pg.settings["values.auth.password"].is_secret());

        assert_eq!(
            service("redis", "architecture: standalone\n")
                .instances
                .count,
            1
        );
        assert_eq!(
            service("redis", "replica: {replicaCount: 2}\n")
                .instances
                .count,
            3
        );
        assert_eq!(
            service("redis", "{}\n").instances.count,
            4,
            "bitnami default: 1 + 3"
        );
        let rc = service(
            "redis-cluster",
            "cluster: {nodes: 6}\npersistence: {size: 20Gi}\n",
        );
        assert_eq!(rc.instances.count, 6);
        assert_eq!(rc.role, Role::Cache);
    }

    #[test]
    fn app_chart_autoscaling_and_image() {
        let app = service("super-todo", "replicaCount: 1\nimage: {repository: acme/app, tag: latest}\nautoscaling: {enabled: true, minReplicas: 2, maxReplicas: 5}\n");
        assert_eq!(
            (app.instances.count, app.instances.autoscale_max),
            (2, Some(5))
        );
        assert_eq!(app.image.unwrap().value.tag.as_deref(), Some("latest"));
        let v = from_yaml(
            &parse_document(
                "resources: {limits: {cpu: fast}}\n",
                "v.yaml",
                Limits::default(),
            )
            .unwrap(),
            "v.yaml",
        );
        let mut s = Service::new("x", Origin::new("v.yaml", 1));
        let err = read_values("app", &v, None, &mut s).unwrap_err();
        assert_eq!(err.line, Some(1));
    }
}
