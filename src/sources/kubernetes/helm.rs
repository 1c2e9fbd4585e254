//! Helm values: `values.yaml` + `values-<env>.yaml` deep-merged as Helm merges them, and the
//! conventions charts share (`replicaCount`, `image`, `resources`, `autoscaling`) plus the
//! Bitnami PostgreSQL and Redis charts' topology keys, read into a service.

use crate::error::Result;
use crate::model::{
    ImageRef, Instances, Located, Quantity, Resources, Role, Service, Setting, SettingValue,
};
use crate::sources::Workspace;
use crate::yaml;

use super::flatten::{bytes, count, flatten, insert_plain, millicores, Settings};
use super::tree::{deep_merge, from_yaml, Val};

/// Read values files (base first) into one service named after the chart.
pub fn values_files(workspace: &Workspace, files: &[String]) -> Result<Service> {
    let mut merged: Option<Val> = None;
    for file in files {
        let text = workspace.read_text(file)?;
        let node = yaml::parse_document(&text, file, yaml::Limits::default())?;
        let val = from_yaml(&node, file);
        if !(val.map().is_some() || val.is_null()) {
            return Err(val.error(format!(
                "a Helm values file must be a mapping, found {}",
                val.kind_name()
            )));
        }
        match merged.as_mut() {
            None => merged = Some(val),
            Some(base) => deep_merge(base, val),
        }
    }
    let first = files.first().map(String::as_str).unwrap_or("values.yaml");
    let dir = first.rsplit_once('/').map_or("", |(d, _)| d);
    let chart = chart_name(workspace, dir).unwrap_or_else(|| {
        dir.rsplit('/')
            .next()
            .filter(|d| !d.is_empty())
            .unwrap_or("chart")
            .to_string()
    });
    let values = merged.unwrap_or_else(|| Val::empty_map(crate::model::Origin::new(first, 1)));
    let mut service = Service::new(chart.clone(), crate::model::Origin::new(first, 1));
    read_values(&chart, &values, &mut service)?;
    Ok(service)
}

/// The `name:` of a `Chart.yaml` beside the values, if there is one.
fn chart_name(workspace: &Workspace, dir: &str) -> Option<String> {
    let path = if dir.is_empty() {
        "Chart.yaml".to_string()
    } else {
        format!("{dir}/Chart.yaml")
    };
    if !workspace.is_file(&path) {
        return None;
    }
    let text = workspace.read_text(&path).ok()?;
    let node = yaml::parse_document(&text, &path, yaml::Limits::default()).ok()?;
    node.get("name")?.as_str().map(str::to_string)
}

/// Read chart values into a service: every value as a `values.*` setting, and what the common
/// keys mean for image, instances, resources and storage.
pub fn read_values(chart: &str, values: &Val, service: &mut Service) -> Result<()> {
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
        service.image = at.map(|v| Located::new(ImageRef::parse(&reference), v.origin.clone()));
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
        read_values(chart, &v, &mut s).unwrap();
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
        let err = read_values("app", &v, &mut s).unwrap_err();
        assert_eq!(err.line, Some(1));
    }
}
