//! Strategic merge patches: mappings merge, `null` deletes, lists of built-in kinds merge by
//! their merge key (containers by `name`, volume mounts by `mountPath`, ...), other lists are
//! replaced. Directives: `$patch: replace | delete | merge`. Others are refused, not ignored.

use crate::hash::HashMap;
use std::collections::VecDeque;

use crate::error::Result;

use super::super::tree::{Kind, Val};

/// What a patch did to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patched {
    Merged,
    /// `$patch: delete` at the top: the object is removed from the build.
    Deleted,
}

/// Apply `patch` to `target`. `builtin` says whether the object is a built-in kind (its lists
/// have merge keys); custom resources merge like JSON merge patches (lists replaced).
pub fn apply(target: &mut Val, patch: &Val, builtin: bool) -> Result<Patched> {
    let mut path = Vec::new();
    Ok(match merge(target, patch, builtin, &mut path)? {
        Action::Delete => Patched::Deleted,
        Action::Keep => Patched::Merged,
    })
}

#[derive(Debug, PartialEq)]
enum Action {
    Keep,
    Delete,
}

fn directive(patch: &Val) -> Result<Option<&str>> {
    match patch.get("$patch") {
        None => Ok(None),
        Some(v) => match v.str() {
            Some(d @ ("replace" | "delete" | "merge")) => Ok(Some(d)),
            _ => Err(v.error("`$patch` must be `replace`, `delete` or `merge`")),
        },
    }
}

/// A patch value without its directives, to insert where the target has nothing.
fn clean(patch: &Val) -> Val {
    let mut v = patch.clone();
    strip(&mut v);
    v
}

fn strip(v: &mut Val) {
    match &mut v.kind {
        Kind::Map(entries) => {
            entries.retain(|(k, _)| !k.starts_with('$'));
            entries.iter_mut().for_each(|(_, v)| strip(v));
        }
        Kind::Seq(items) => {
            items.retain(|i| i.get("$patch").is_none());
            items.iter_mut().for_each(strip);
        }
        _ => {}
    }
}

fn merge(target: &mut Val, patch: &Val, builtin: bool, path: &mut Vec<String>) -> Result<Action> {
    let Kind::Map(patch_entries) = &patch.kind else {
        *target = patch.clone();
        return Ok(Action::Keep);
    };
    match directive(patch)? {
        Some("delete") => return Ok(Action::Delete),
        Some("replace") => {
            *target = clean(patch);
            return Ok(Action::Keep);
        }
        _ => {}
    }
    if target.map().is_none() {
        *target = clean(patch);
        return Ok(Action::Keep);
    }
    let entries = target.map_mut().map(std::mem::take).unwrap_or_default();
    let mut entries = IndexedMap::new(entries);
    let result = merge_entries(&mut entries, patch_entries, builtin, path);
    if let Some(target_entries) = target.map_mut() {
        *target_entries = entries.into_entries();
    }
    result?;
    Ok(Action::Keep)
}

fn merge_entries(
    target: &mut IndexedMap,
    patch_entries: &[(String, Val)],
    builtin: bool,
    path: &mut Vec<String>,
) -> Result<()> {
    for (key, pv) in patch_entries {
        if key == "$patch" {
            continue;
        }
        if key.starts_with('$') {
            return Err(pv.error(format!(
                "strategic merge directive `{key}` is not supported (see docs/kubernetes.md)"
            )));
        }
        if pv.is_null() {
            target.remove(key);
            continue;
        }
        let Some(existing) = target.get_mut(key) else {
            target.push(key, clean(pv));
            continue;
        };
        path.push(key.clone());
        let mut delete = false;
        match (&mut existing.kind, &pv.kind) {
            (Kind::Seq(items), Kind::Seq(patch_items)) => {
                let merge_key = if builtin { merge_key(path) } else { None };
                merge_list(items, patch_items, merge_key, builtin, path)?;
                existing.origin = pv.origin.clone();
            }
            (Kind::Map(_), Kind::Map(_)) => {
                delete = merge(existing, pv, builtin, path)? == Action::Delete;
            }
            _ => *existing = clean(pv),
        }
        path.pop();
        if delete {
            target.remove(key);
        }
    }
    Ok(())
}

/// A mapping's entries with their keys indexed, so that a patch of thousands of keys (a large
/// ConfigMap's `data`) finds each in constant time instead of scanning the mapping. Order is kept;
/// removed entries are dropped when the entries are given back.
struct IndexedMap {
    entries: Vec<Option<(String, Val)>>,
    index: HashMap<String, usize>,
}

impl IndexedMap {
    fn new(entries: Vec<(String, Val)>) -> Self {
        let mut index = HashMap::with_capacity_and_hasher(entries.len(), Default::default());
        for (i, (key, _)) in entries.iter().enumerate() {
            // The first of duplicate keys is the one a lookup finds, as `Val::get` does.
            index.entry(key.clone()).or_insert(i);
        }
        IndexedMap {
            entries: entries.into_iter().map(Some).collect(),
            index,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Val> {
        let i = *self.index.get(key)?;
        self.entries[i].as_mut().map(|(_, v)| v)
    }

    fn push(&mut self, key: &str, value: Val) {
        self.index.insert(key.to_string(), self.entries.len());
        self.entries.push(Some((key.to_string(), value)));
    }

    fn remove(&mut self, key: &str) {
        if let Some(i) = self.index.remove(key) {
            self.entries[i] = None;
        }
    }

    fn into_entries(self) -> Vec<(String, Val)> {
        self.entries.into_iter().flatten().collect()
    }
}

fn merge_list(
    items: &mut Vec<Val>,
    patch_items: &[Val],
    merge_key: Option<&str>,
    builtin: bool,
    path: &mut Vec<String>,
) -> Result<()> {
    if patch_items
        .iter()
        .any(|p| p.get("$patch").and_then(Val::str) == Some("replace"))
    {
        *items = patch_items
            .iter()
            .filter(|p| p.get("$patch").is_none())
            .map(clean)
            .collect();
        return Ok(());
    }
    let Some(key) = merge_key else {
        *items = patch_items.iter().map(clean).collect();
        return Ok(());
    };
    // Ordered as `kubectl kustomize` (Kustomize v5.5.0) orders them: the patch's items first, in
    // the patch's order, then the target's other items. Ports (a container's or a Service's) are
    // the exception once either side writes a `protocol`: they are then told apart by port and
    // protocol (none meaning TCP), merge in place, and only new ones come first.
    let ports = key == "containerPort" || key == "port";
    let by_protocol = ports
        && items
            .iter()
            .chain(patch_items)
            .any(|i| i.get("protocol").is_some());
    let protocol = |v: &Val| v.text(&["protocol"]).unwrap_or("TCP").to_string();
    let identity = |v: &Val| -> Option<(String, String)> {
        let id = v.text(&[key])?.to_string();
        Some((
            id,
            if by_protocol {
                protocol(v)
            } else {
                String::new()
            },
        ))
    };
    let mut rest: Vec<Option<Val>> = std::mem::take(items).into_iter().map(Some).collect();
    // The target's items by identity, in order: a patch of thousands of items finds each in
    // constant time instead of scanning the list.
    let mut by_identity: HashMap<(String, String), VecDeque<usize>> = HashMap::default();
    for (i, item) in rest.iter().enumerate() {
        if let Some(id) = item.as_ref().and_then(identity) {
            by_identity.entry(id).or_default().push_back(i);
        }
    }
    let mut front: Vec<Val> = Vec::new();
    for p in patch_items {
        let Some(id) = identity(p) else {
            return Err(p.error(format!(
                "this list merges by `{key}`, and the patch item has none"
            )));
        };
        // The first item with this identity still in place (taken or deleted ones are dropped).
        let pos = by_identity.get_mut(&id).and_then(|queue| {
            while queue.front().is_some_and(|&i| rest[i].is_none()) {
                queue.pop_front();
            }
            queue.front().copied()
        });
        if directive(p)? == Some("delete") {
            if let Some(pos) = pos {
                rest[pos] = None;
            }
            continue;
        }
        match pos {
            Some(pos) if by_protocol => {
                if let Some(item) = rest[pos].as_mut() {
                    merge(item, p, builtin, path)?;
                }
            }
            Some(pos) => {
                if let Some(mut item) = rest[pos].take() {
                    merge(&mut item, p, builtin, path)?;
                    front.push(item);
                }
            }
            None => front.push(clean(p)),
        }
    }
    *items = front
        .into_iter()
        .chain(rest.into_iter().flatten())
        .collect();
    Ok(())
}

/// The merge key of a built-in list, from the field path leading to it.
fn merge_key(path: &[String]) -> Option<&'static str> {
    let field = path.last()?.as_str();
    let parent = path.iter().rev().nth(1).map(String::as_str);
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        // Container ports merge by containerPort; a Service's by port.
        "ports"
            if matches!(parent, Some("containers" | "initContainers"))
                || path_has_container(path) =>
        {
            "containerPort"
        }
        "ports" => "port",
        _ => return None,
    })
}

fn path_has_container(path: &[String]) -> bool {
    path.iter()
        .any(|p| p == "containers" || p == "initContainers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::kubernetes::tree::from_yaml;
    use crate::yaml::{parse_document, Limits};

    fn val(text: &str, file: &str) -> Val {
        from_yaml(
            &parse_document(text, file, Limits::default()).unwrap(),
            file,
        )
    }

    const BASE: &str = "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n        env:\n        - {name: A, value: '1'}\n        - {name: B, value: '2'}\n        ports:\n        - {containerPort: 80}\n      - name: sidecar\n        image: side:1\n      tolerations:\n      - {key: a}\n";

    #[test]
    fn containers_merge_by_name_env_by_name() {
        let mut t = val(BASE, "base.yaml");
        let p = val("spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - {name: B, value: changed}\n        - {name: C, value: '3'}\n        resources:\n          limits: {cpu: 500m}\n      tolerations:\n      - {key: b}\n", "patch.yaml");
        apply(&mut t, &p, true).unwrap();
        assert_eq!(t.text(&["spec", "replicas"]), Some("3"));
        let containers = t
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .seq()
            .unwrap();
        assert_eq!(containers.len(), 2, "sidecar kept");
        let app = &containers[0];
        assert_eq!(app.text(&["image"]), Some("app:1"), "untouched fields stay");
        let env = app.get("env").unwrap().seq().unwrap();
        let shown: Vec<(&str, &str)> = env
            .iter()
            .map(|e| (e.text(&["name"]).unwrap(), e.text(&["value"]).unwrap()))
            .collect();
        // The patch's items first, then the others, as `kubectl kustomize` orders them.
        assert_eq!(shown, [("B", "changed"), ("C", "3"), ("A", "1")]);
        assert_eq!(&*env[0].get("value").unwrap().origin.file, "patch.yaml");
        assert_eq!(app.text(&["resources", "limits", "cpu"]), Some("500m"));
        let tol = t
            .at(&["spec", "template", "spec", "tolerations"])
            .unwrap()
            .seq()
            .unwrap();
        assert_eq!(tol.len(), 1, "lists without a merge key are replaced");
        assert_eq!(tol[0].text(&["key"]), Some("b"));
    }

    fn names(v: &Val, path: &[&str], key: &str) -> Vec<String> {
        v.at(path)
            .unwrap()
            .seq()
            .unwrap()
            .iter()
            .map(|i| {
                let id = i.text(&[key]).unwrap_or("");
                match i.text(&["protocol"]) {
                    Some(p) => format!("{id}/{p}"),
                    None => id.to_string(),
                }
            })
            .collect()
    }

    #[test]
    fn merged_lists_are_ordered_as_kubectl_kustomize_orders_them() {
        // Each expected order is what `kubectl kustomize` (Kustomize v5.5.0) printed for the
        // same patch: the patch's items first, then the target's others; ports, where a
        // `protocol` is written, merge in place, new ones first, told apart by protocol (none
        // meaning TCP).
        let mut t = val("spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env: [{name: A}, {name: B}, {name: C}]\n        volumeMounts: [{name: a, mountPath: /a}, {name: b, mountPath: /b}]\n        ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]\n      - {name: side}\n      - {name: third}\n      volumes: [{name: a}, {name: b}]\n", "b.yaml");
        let p = val("spec:\n  template:\n    spec:\n      containers:\n      - {name: third, image: t}\n      - name: web\n        env: [{name: C, value: c}, {name: A, $patch: delete}, {name: Z}]\n        volumeMounts: [{name: c, mountPath: /c}, {name: b, mountPath: /b, readOnly: true}]\n        ports: [{containerPort: 53, protocol: TCP}, {containerPort: 9000}, {containerPort: 80, hostPort: 4}]\n      volumes: [{name: c}]\n", "p.yaml");
        apply(&mut t, &p, true).unwrap();
        let pod = ["spec", "template", "spec"];
        let containers = [&pod[..], &["containers"]].concat();
        assert_eq!(names(&t, &containers, "name"), ["third", "web", "side"]);
        let web = &t.at(&containers).unwrap().seq().unwrap()[1];
        assert_eq!(names(web, &["env"], "name"), ["C", "Z", "B"]);
        assert_eq!(
            names(web, &["volumeMounts"], "mountPath"),
            ["/c", "/b", "/a"]
        );
        assert_eq!(
            names(web, &["ports"], "containerPort"),
            ["53/TCP", "9000", "80", "53/UDP"]
        );
        assert_eq!(
            web.get("ports").unwrap().seq().unwrap()[2].text(&["hostPort"]),
            Some("4")
        );
        assert_eq!(
            names(&t, &[&pod[..], &["volumes"]].concat(), "name"),
            ["c", "a", "b"]
        );

        // Without any `protocol`, ports are ordered like other lists.
        let mut svc = val(
            "spec:\n  ports: [{port: 80}, {port: 443}, {port: 8080}]\n",
            "b.yaml",
        );
        let p = val(
            "spec:\n  ports: [{port: 443, nodePort: 1}, {port: 9000}]\n",
            "p.yaml",
        );
        apply(&mut svc, &p, true).unwrap();
        assert_eq!(
            names(&svc, &["spec", "ports"], "port"),
            ["443", "9000", "80", "8080"]
        );
        // With one, they merge in place and new ones come first.
        let mut svc = val(
            "spec:\n  ports: [{port: 80}, {port: 443}, {port: 8080, protocol: TCP}]\n",
            "b.yaml",
        );
        apply(&mut svc, &p, true).unwrap();
        assert_eq!(
            names(&svc, &["spec", "ports"], "port"),
            ["9000", "80", "443", "8080/TCP"]
        );
        assert_eq!(
            svc.get("spec")
                .unwrap()
                .get("ports")
                .unwrap()
                .seq()
                .unwrap()[2]
                .text(&["nodePort"]),
            Some("1")
        );
    }

    #[test]
    fn delete_replace_and_null() {
        let mut t = val(BASE, "base.yaml");
        let p = val("spec:\n  replicas: null\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        $patch: delete\n      - name: app\n        env:\n        - $patch: replace\n        - {name: Z, value: '9'}\n", "p.yaml");
        apply(&mut t, &p, true).unwrap();
        assert!(t.at(&["spec", "replicas"]).is_none());
        let containers = t
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .seq()
            .unwrap();
        assert_eq!(containers.len(), 1);
        let env = containers[0].get("env").unwrap().seq().unwrap();
        assert_eq!(env.len(), 1);
        assert_eq!(env[0].text(&["name"]), Some("Z"));
    }

    #[test]
    fn custom_resources_replace_lists_and_unknown_directives_fail() {
        let mut t = val(
            "spec:\n  containers:\n  - {name: a}\n  - {name: b}\n",
            "b.yaml",
        );
        apply(
            &mut t,
            &val("spec:\n  containers:\n  - {name: a, x: 1}\n", "p.yaml"),
            false,
        )
        .unwrap();
        assert_eq!(
            t.at(&["spec", "containers"]).unwrap().seq().unwrap().len(),
            1
        );
        let e = apply(&mut t, &val("spec:\n  $retainKeys: [a]\n", "p.yaml"), true).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not supported"));
        let e = apply(&mut t, &val("spec:\n  $patch: bogus\n", "p.yaml"), true).unwrap_err();
        assert!(e.message.contains("must be `replace`"));
    }

    /// Patch items are found by merge key through an index, not a scan of the target's list.
    #[test]
    fn a_long_list_merges_in_linear_time() {
        let env = |value: &str| -> String {
            (0..20_000)
                .map(|i| format!("        - {{name: V{i}, value: '{value}'}}\n"))
                .collect()
        };
        let doc = |value: &str| {
            format!(
                "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n{}",
                env(value)
            )
        };
        let mut t = val(&doc("old"), "base.yaml");
        let p = val(&doc("new"), "patch.yaml");
        let started = std::time::Instant::now();
        apply(&mut t, &p, true).unwrap();
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        let container = &t
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .seq()
            .unwrap()[0];
        let env = container.get("env").unwrap().seq().unwrap();
        assert_eq!(env.len(), 20_000);
        assert_eq!(env[19_999].text(&["name"]), Some("V19999"));
        assert!(env.iter().all(|e| e.text(&["value"]) == Some("new")));
    }

    #[test]
    fn a_large_mapping_merges_in_linear_time() {
        let data = |value: &str| -> String {
            (0..50_000)
                .filter(|&i| i != 7 || value == "old")
                .map(|i| format!("  K{i}: '{value}{i}'\n"))
                .collect()
        };
        let mut t = val(&format!("data:\n{}", data("old")), "base.yaml");
        let p = val(
            &format!("data:\n{}  K7: null\n  NEW: added\n", data("new")),
            "patch.yaml",
        );
        let started = std::time::Instant::now();
        apply(&mut t, &p, true).unwrap();
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        let data = t.get("data").unwrap().map().unwrap();
        assert_eq!(data.len(), 50_000);
        assert_eq!(data[0], ("K0".to_string(), data[0].1.clone()));
        assert_eq!(t.text(&["data", "K49999"]), Some("new49999"));
        assert_eq!(t.get("data").unwrap().get("K7"), None);
        assert_eq!(data.last().unwrap().0, "NEW");
    }
}
