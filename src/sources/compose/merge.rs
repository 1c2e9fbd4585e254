//! Compose's rules for merging an override file into a base file (the Compose specification's
//! "merge" section): mappings merge key by key, most sequences append, some sequences are sets or
//! are keyed by their container path, `command`/`entrypoint`/`healthcheck.test` are replaced, and
//! the `!reset` / `!override` tags remove or replace a value outright.

use super::tree::{Kind, Val};

/// Merge a whole override file (top level) into the base.
pub fn merge_file(base: &mut Val, over: Val) {
    merge_with(base, over, &|path, base, over| match path {
        ["services", _] => {
            merge_service(base, over);
            None
        }
        _ => Some(over),
    });
}

/// Merge one service definition into another (override files and `extends`).
pub fn merge_service(base: &mut Val, over: Val) {
    if !matches!((&base.kind, &over.kind), (Kind::Map(_), Kind::Map(_))) {
        *base = over;
        return;
    }
    let Kind::Map(over_entries) = over.kind else {
        return;
    };
    for (key, value) in over_entries {
        if value.has_tag("!reset") {
            remove_key(base, &key);
            continue;
        }
        let Some(existing) = get_mut(base, &key) else {
            push_key(base, key, value);
            continue;
        };
        if value.has_tag("!override") {
            *existing = value;
            continue;
        }
        match key.as_str() {
            "command" | "entrypoint" => *existing = value,
            "environment" | "labels" | "annotations" | "extra_hosts" | "sysctls" => {
                // `extra_hosts` also has the `host:ip` form.
                let separators: &[char] = if key == "extra_hosts" {
                    &['=', ':']
                } else {
                    &['=']
                };
                to_map_form(existing, separators);
                let mut value = value;
                to_map_form(&mut value, separators);
                merge_generic(existing, value);
            }
            // `build: ./dir` is `build: {context: ./dir}`: an override's mapping merges into it.
            "build" => {
                build_to_map(existing);
                let mut value = value;
                build_to_map(&mut value);
                merge_generic(existing, value);
            }
            "networks" | "depends_on" => {
                names_to_map(existing);
                let mut value = value;
                names_to_map(&mut value);
                merge_generic(existing, value);
            }
            "volumes" | "devices" | "secrets" | "configs" => {
                merge_keyed(existing, value, mount_key)
            }
            "ports" | "expose" | "dns" | "dns_search" | "dns_opt" | "tmpfs" | "external_links"
            | "env_file" | "profiles" | "cap_add" | "cap_drop" | "security_opt" | "group_add" => {
                merge_keyed(existing, value, |v| Some(display_key(v)))
            }
            "healthcheck" => {
                merge_with(existing, value, &|path, base, over| {
                    if path == ["test"] {
                        *base = over;
                        None
                    } else {
                        Some(over)
                    }
                });
            }
            _ => merge_generic(existing, value),
        }
    }
}

/// The default rule: mappings merge recursively, sequences append, scalars are replaced.
pub fn merge_generic(base: &mut Val, over: Val) {
    merge_with(base, over, &|_, _, over| Some(over));
}

/// Handles the merge at a path itself (returning `None`), or gives the value back.
type Hook<'a> = &'a dyn Fn(&[&str], &mut Val, Val) -> Option<Val>;

/// Recursive merge with a hook for paths that follow their own rule.
fn merge_with(base: &mut Val, over: Val, hook: Hook) {
    let mut path = Vec::new();
    merge_at(&mut path, base, over, hook);
}

fn merge_at(path: &mut Vec<String>, base: &mut Val, over: Val, hook: Hook) {
    if over.has_tag("!override") {
        *base = over;
        return;
    }
    match (&mut base.kind, over.kind) {
        (Kind::Map(_), Kind::Map(over_entries)) => {
            let mut index = KeyIndex::default();
            for (key, value) in over_entries {
                if value.has_tag("!reset") {
                    remove_key(base, &key);
                    index.clear();
                    continue;
                }
                path.push(key.clone());
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                match index.position(base, &key) {
                    Some(i) => {
                        let Kind::Map(entries) = &mut base.kind else {
                            unreachable!("the base is a mapping")
                        };
                        let existing = &mut entries[i].1;
                        if let Some(value) = hook(&refs, existing, value) {
                            merge_at(path, existing, value, hook);
                        }
                    }
                    None => {
                        index.pushed(base, &key);
                        push_key(base, key, value);
                    }
                }
                path.pop();
            }
        }
        (Kind::Seq(items), Kind::Seq(over_items)) => items.extend(over_items),
        (_, kind) => {
            *base = Val {
                kind,
                origin: over.origin,
                interpolated: over.interpolated,
                secret: over.secret,
                defaulted: over.defaulted,
                tag: over.tag,
            }
        }
    }
}

/// Sequences whose items are identified by a key: an override item replaces the base item with
/// the same key, others append.
fn merge_keyed(base: &mut Val, over: Val, key: fn(&Val) -> Option<String>) {
    let Kind::Seq(over_items) = over.kind else {
        *base = over;
        return;
    };
    let Kind::Seq(items) = &mut base.kind else {
        *base = Val {
            kind: Kind::Seq(over_items),
            ..over
        };
        return;
    };
    for item in over_items {
        let k = key(&item);
        match k.and_then(|k| {
            items
                .iter()
                .position(|i| key(i).as_deref() == Some(k.as_str()))
        }) {
            Some(pos) => items[pos] = item,
            None => items.push(item),
        }
    }
}

/// The container-side path of a mount (`./data:/app/data:ro` -> `/app/data`; long syntax:
/// `target`), or a secret's/config's source name.
pub fn mount_key(v: &Val) -> Option<String> {
    match &v.kind {
        Kind::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            Some(match parts.as_slice() {
                [only] => (*only).to_string(),
                [_, target, ..] => (*target).to_string(),
                [] => String::new(),
            })
        }
        Kind::Map(_) => v
            .get("target")
            .or_else(|| v.get("source"))
            .and_then(Val::str)
            .map(str::to_string),
        _ => None,
    }
}

fn display_key(v: &Val) -> String {
    match &v.kind {
        Kind::Str(s) => s.clone(),
        _ => format!("{:?}", v.kind),
    }
}

/// `["A=1", "B"]` -> `{A: "1", B: null}`; a mapping stays as it is. Each item splits at the first
/// separator, trying them in order.
pub fn to_map_form(v: &mut Val, separators: &[char]) {
    let Kind::Seq(items) = &v.kind else { return };
    let entries = items
        .iter()
        .map(|item| {
            let text = item.str().unwrap_or_default();
            let split = separators.iter().find_map(|sep| text.split_once(*sep));
            let (key, kind) = match split {
                Some((k, value)) => (k.trim().to_string(), Kind::Str(value.to_string())),
                None => (text.trim().to_string(), Kind::Null),
            };
            (
                key,
                Val {
                    kind,
                    origin: item.origin.clone(),
                    interpolated: item.interpolated,
                    secret: item.secret,
                    defaulted: item.defaulted,
                    tag: None,
                },
            )
        })
        .collect();
    v.kind = Kind::Map(entries);
}

/// `[a, b]` -> `{a: null, b: null}` (networks, depends_on short syntax).
/// The short form of `build` (a context path) as its long form.
fn build_to_map(v: &mut Val) {
    if let Kind::Str(_) = &v.kind {
        let context = v.clone();
        v.kind = Kind::Map(vec![("context".to_string(), context)]);
        v.tag = None;
    }
}

pub fn names_to_map(v: &mut Val) {
    let Kind::Seq(items) = &v.kind else { return };
    let entries = items
        .iter()
        .map(|item| {
            (
                item.str().unwrap_or_default().to_string(),
                Val::new(Kind::Null, item.origin.clone()),
            )
        })
        .collect();
    v.kind = Kind::Map(entries);
}

/// Positions of a mapping's keys, for merging a large override mapping (a file's `services`)
/// into a large base: a linear search per key would make the merge quadratic. Small mappings
/// are searched directly; the index is built on the first lookup in a large one.
#[derive(Default)]
struct KeyIndex {
    positions: Option<crate::hash::HashMap<String, usize>>,
}

impl KeyIndex {
    /// Mappings up to this size are searched linearly.
    const LINEAR: usize = 16;

    fn position(&mut self, map: &Val, key: &str) -> Option<usize> {
        let Kind::Map(entries) = &map.kind else {
            return None;
        };
        if entries.len() <= Self::LINEAR && self.positions.is_none() {
            return entries.iter().position(|(k, _)| k == key);
        }
        self.positions
            .get_or_insert_with(|| {
                let mut positions = crate::hash::HashMap::with_capacity_and_hasher(
                    entries.len(),
                    Default::default(),
                );
                for (i, (k, _)) in entries.iter().enumerate() {
                    // Keys are unique; keep the first like the linear search would.
                    positions.entry(k.clone()).or_insert(i);
                }
                positions
            })
            .get(key)
            .copied()
    }

    /// `key` is about to be appended to `map`.
    fn pushed(&mut self, map: &Val, key: &str) {
        if let (Some(positions), Kind::Map(entries)) = (&mut self.positions, &map.kind) {
            positions.entry(key.to_string()).or_insert(entries.len());
        }
    }

    /// Entries were removed: positions changed.
    fn clear(&mut self) {
        self.positions = None;
    }
}

fn get_mut<'a>(v: &'a mut Val, key: &str) -> Option<&'a mut Val> {
    match &mut v.kind {
        Kind::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn push_key(v: &mut Val, key: String, value: Val) {
    if let Kind::Map(entries) = &mut v.kind {
        entries.push((key, value));
    }
}

fn remove_key(v: &mut Val, key: &str) {
    if let Kind::Map(entries) = &mut v.kind {
        entries.retain(|(k, _)| k != key);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{from_yaml, Interpolation, Unset};
    use super::*;
    use crate::yaml;

    fn load(text: &str, file: &str) -> Val {
        let node = yaml::parse_document(text, file, yaml::Limits::default()).unwrap();
        let vars = Interpolation {
            lookup: &|_| None,
            budget: &Default::default(),
        };
        from_yaml(&node, file, &vars, &mut Unset::new()).unwrap()
    }

    fn merged(base: &str, over: &str) -> Val {
        let mut b = load(base, "base.yml");
        merge_file(&mut b, load(over, "over.yml"));
        b
    }

    fn service<'a>(v: &'a Val, name: &str) -> &'a Val {
        v.get("services").unwrap().get(name).unwrap()
    }

    /// `build: ./web` under an override's `build: {target: prod}` keeps its context.
    #[test]
    fn build_short_form_merges_with_the_long_form() {
        let v = merged(
            "services:\n  web:\n    build: ./web\n",
            "services:\n  web:\n    build:\n      target: prod\n",
        );
        let build = service(&v, "web").get("build").unwrap();
        assert_eq!(build.get("context").and_then(Val::str), Some("./web"));
        assert_eq!(build.get("target").and_then(Val::str), Some("prod"));
        let v = merged(
            "services:\n  web:\n    build: {context: ./web, target: dev}\n",
            "services:\n  web:\n    build: ./web2\n",
        );
        let build = service(&v, "web").get("build").unwrap();
        assert_eq!(build.get("context").and_then(Val::str), Some("./web2"));
        assert_eq!(build.get("target").and_then(Val::str), Some("dev"));
    }

    #[test]
    fn scalars_replaced_and_maps_merged_with_provenance() {
        let v = merged(
            "services:\n  web:\n    image: app:1\n    restart: always\n",
            "services:\n  web:\n    image: app:2\n",
        );
        let web = service(&v, "web");
        let image = web.get("image").unwrap();
        assert_eq!(image.str(), Some("app:2"));
        assert_eq!((&*image.origin.file, image.origin.line), ("over.yml", 3));
        let restart = web.get("restart").unwrap();
        assert_eq!(
            (&*restart.origin.file, restart.origin.line),
            ("base.yml", 4)
        );
    }

    #[test]
    fn command_is_replaced_environment_merged_across_forms() {
        let v = merged(
            "services:\n  w:\n    command: [a, b]\n    environment:\n      - A=1\n      - B=2\n",
            "services:\n  w:\n    command: [c]\n    environment:\n      B: '3'\n      C: '4'\n",
        );
        let w = service(&v, "w");
        assert_eq!(w.get("command").unwrap().seq().unwrap().len(), 1);
        let env = w.get("environment").unwrap();
        let pairs: Vec<(&str, &str)> = env
            .map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.str().unwrap()))
            .collect();
        assert_eq!(pairs, [("A", "1"), ("B", "3"), ("C", "4")]);
    }

    #[test]
    fn volumes_keyed_by_target_ports_as_set_generic_lists_append() {
        let v = merged(
            "services:\n  w:\n    volumes: ['./a:/data', './logs:/logs']\n    ports: ['80:80']\n    cap_add: [NET_ADMIN]\n    dns_opt: [a]\n",
            "services:\n  w:\n    volumes: ['./b:/data:ro']\n    ports: ['80:80', '443:443']\n    dns_opt: [b]\n",
        );
        let w = service(&v, "w");
        let vols: Vec<&str> = w
            .get("volumes")
            .unwrap()
            .seq()
            .unwrap()
            .iter()
            .map(|x| x.str().unwrap())
            .collect();
        assert_eq!(vols, ["./b:/data:ro", "./logs:/logs"]);
        assert_eq!(w.get("ports").unwrap().seq().unwrap().len(), 2);
        assert_eq!(w.get("dns_opt").unwrap().seq().unwrap().len(), 2);
    }

    #[test]
    fn extra_hosts_merge_by_host_in_both_forms() {
        let v = merged(
            "services:\n  w:\n    extra_hosts: ['db:10.0.0.1', 'cache=10.0.0.2']\n",
            "services:\n  w:\n    extra_hosts: ['db:10.0.0.9']\n",
        );
        let hosts = service(&v, "w").get("extra_hosts").unwrap();
        assert_eq!(hosts.get("db").unwrap().str(), Some("10.0.0.9"));
        assert_eq!(hosts.get("cache").unwrap().str(), Some("10.0.0.2"));
    }

    #[test]
    fn reset_and_override_tags() {
        let v = merged(
            "services:\n  w:\n    ports: ['80:80']\n    deploy:\n      resources:\n        limits: {cpus: '1', memory: 1G}\n",
            "services:\n  w:\n    ports: !reset []\n    deploy: !override\n      replicas: 2\n",
        );
        let w = service(&v, "w");
        assert!(w.get("ports").is_none());
        let deploy = w.get("deploy").unwrap();
        assert!(deploy.get("resources").is_none());
        assert_eq!(deploy.get("replicas").unwrap().str(), Some("2"));
    }

    #[test]
    fn healthcheck_test_replaced_other_fields_merged() {
        let v = merged(
            "services:\n  w:\n    healthcheck:\n      test: [CMD, a]\n      interval: 5m\n",
            "services:\n  w:\n    healthcheck:\n      test: [CMD, b, c]\n",
        );
        let hc = service(&v, "w").get("healthcheck").unwrap();
        assert_eq!(hc.get("test").unwrap().seq().unwrap().len(), 3);
        assert_eq!(hc.get("interval").unwrap().str(), Some("5m"));
    }

    #[test]
    fn new_services_and_networks_are_added() {
        let v = merged(
            "services:\n  a: {image: x}\nnetworks:\n  n1: {}\n",
            "services:\n  b: {image: y}\nnetworks:\n  n2: {driver: bridge}\n",
        );
        assert_eq!(v.get("services").unwrap().map().unwrap().len(), 2);
        assert_eq!(v.get("networks").unwrap().map().unwrap().len(), 2);
    }
}
