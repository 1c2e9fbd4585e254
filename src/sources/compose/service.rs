//! One merged Compose service definition turned into a `model::Service`.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::secret::MASK;
use crate::model::{
    ImageRef, Instances, Located, Note, Origin, Quantity, Resources, Role, Service, Setting,
    SettingValue,
};
use crate::sources::command::{command_secrets, parse_flags, split_words, stray_flags};
use crate::sources::units::{compose_bytes, compose_cpus, duration_seconds, server_quantity};

use super::merge::{mount_key, names_to_map, to_map_form};
use super::tree::{Kind, Val};

/// Service keys of the Compose specification. Anything else (but `x-*`) is noted and ignored.
const KNOWN_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "driver_opts",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "label_file",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// Keys read into typed fields or special settings below rather than flattened generically.
const HANDLED_KEYS: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "deploy",
    "cpus",
    "mem_limit",
    "mem_reservation",
    "scale",
    "profiles",
    "extends",
    "networks",
    "volumes",
    "depends_on",
];

/// Environment variables read from `env_file`s, by name, with where each was written.
pub type EnvFileVars = Vec<(String, Setting)>;

/// Build a service. `env_file_vars` are the variables of its `env_file`s, already read.
pub fn build(
    name: &str,
    def: &Val,
    env_file_vars: EnvFileVars,
    notes: &mut Vec<Note>,
) -> Result<Service> {
    let mut service = Service::new(name, def.origin.clone());
    let Some(entries) = def.map() else {
        return Err(def.error(format!(
            "service `{name}` must be a mapping, found {}",
            def.kind_name()
        )));
    };
    for (key, value) in entries {
        if !KNOWN_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            notes.push(Note::at(
                value.origin.clone(),
                format!("unknown Compose key `{key}` in service `{name}` ignored"),
            ));
        }
    }

    if let Some(image) = def.get("image") {
        let text = expect_str(image, "image")?;
        let reference = if image.secret {
            // A secret went into the image reference: none of it is shown.
            ImageRef::parse(&format!("{MASK}:{MASK}"))
        } else {
            ImageRef::parse(text)
        };
        service.image = Some(Located::new(reference, image.origin.clone()));
    }

    // Environment: env_file first, `environment` overrides it (Compose precedence).
    for (key, setting) in env_file_vars {
        service.settings.insert(format!("env.{key}"), setting);
    }
    if let Some(env) = def.get("environment") {
        let mut env = env.clone();
        to_map_form(&mut env, &['=']);
        let Some(vars) = env.map() else {
            return Err(env.error(format!(
                "`environment` must be a mapping or a list, found {}",
                env.kind_name()
            )));
        };
        for (var, value) in vars {
            let key = format!("env.{var}");
            let text = match &value.kind {
                Kind::Str(s) => s.clone(),
                // `KEY:` alone takes the value from the shell running Compose: unknown here.
                Kind::Null => String::new(),
                _ => {
                    return Err(value.error(format!(
                        "environment variable `{var}` must be a string, found {}",
                        value.kind_name()
                    )))
                }
            };
            let setting = Setting::new(&key, text, value.origin.clone())
                .interpolated(value.interpolated || matches!(value.kind, Kind::Null))
                .from_secret_source(value.secret)
                .from_fallback(value.defaulted);
            service.settings.insert(key, setting);
        }
    }

    let command = read_commands(def, &mut service, notes)?;

    service.role = Role::infer(
        service.image.as_ref().map(|i| i.value.short_name()),
        command.as_deref(),
        name,
    );

    read_instances(def, &mut service)?;
    service.resources = read_resources(def)?;

    if let Some(profiles) = def.get("profiles") {
        service.profiles = string_list(profiles, "profiles")?;
    }
    if let Some(networks) = def.get("networks") {
        let mut networks = networks.clone();
        names_to_map(&mut networks);
        if let Some(entries) = networks.map() {
            let names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            insert(
                &mut service.settings,
                "networks",
                names.join(", "),
                &networks,
            );
            for (net, attrs) in entries
                .iter()
                .filter(|(_, a)| !matches!(a.kind, Kind::Null))
            {
                flatten(&format!("networks.{net}"), attrs, &mut service.settings);
            }
        }
    }
    if let Some(depends) = def.get("depends_on") {
        let mut depends = depends.clone();
        names_to_map(&mut depends);
        if let Some(entries) = depends.map() {
            let mut names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            names.sort_unstable();
            insert(
                &mut service.settings,
                "depends_on",
                names.join(", "),
                &depends,
            );
        }
    }
    if let Some(volumes) = def.get("volumes") {
        for mount in volumes.seq().unwrap_or_default() {
            let target = mount_key(mount).unwrap_or_default();
            let source = match &mount.kind {
                Kind::Str(s) => {
                    let mut parts: Vec<&str> = s.split(':').collect();
                    if parts.len() >= 2 {
                        parts.remove(1);
                    }
                    parts.join(":")
                }
                Kind::Map(_) => {
                    let src = mount.get("source").and_then(Val::str).unwrap_or("");
                    let ro = mount.get("read_only").and_then(Val::str) == Some("true");
                    if ro {
                        format!("{src}:ro")
                    } else {
                        src.to_string()
                    }
                }
                _ => continue,
            };
            // A mount is a path, never a secret, whatever its target is called.
            let setting = Setting {
                value: SettingValue::Text(source.into()),
                ..Setting::new("volumes", "", mount.origin.clone()).interpolated(mount.interpolated)
            }
            .from_secret_source(mount.secret);
            service
                .settings
                .insert(format!("volumes.{target}"), setting);
        }
    }
    if let Some(deploy) = def.get("deploy").and_then(Val::map) {
        for (key, value) in deploy {
            match key.as_str() {
                "replicas" => {}
                "resources" => {
                    for (kind, limits) in value.map().unwrap_or_default() {
                        for (res, v) in limits.map().unwrap_or_default() {
                            if !matches!(res.as_str(), "cpus" | "memory") {
                                flatten(
                                    &format!("deploy.resources.{kind}.{res}"),
                                    v,
                                    &mut service.settings,
                                );
                            }
                        }
                    }
                }
                _ => flatten(&format!("deploy.{key}"), value, &mut service.settings),
            }
        }
    }
    for (key, value) in entries {
        if HANDLED_KEYS.contains(&key.as_str()) || !KNOWN_KEYS.contains(&key.as_str()) {
            // Unknown keys were noted above and are ignored, as the note says.
            continue;
        }
        if matches!(key.as_str(), "labels" | "annotations" | "sysctls") {
            // List form (`- a=b`) and mapping form compare as the same thing.
            let mut value = value.clone();
            to_map_form(&mut value, &['=']);
            flatten(key, &value, &mut service.settings);
        } else if key == "healthcheck" {
            for (hk, hv) in value.map().unwrap_or_default() {
                if let (Some(items), "test") = (hv.seq(), hk.as_str()) {
                    // `[CMD, pg_isready, -U, app]` reads as the command it runs.
                    let words: Vec<&str> = items.iter().filter_map(Val::str).collect();
                    insert(
                        &mut service.settings,
                        "healthcheck.test",
                        words.join(" "),
                        hv,
                    );
                } else {
                    flatten(&format!("healthcheck.{hk}"), hv, &mut service.settings);
                }
            }
        } else {
            flatten(key, value, &mut service.settings);
        }
    }
    // Durations compare as numbers ("5m" vs "30s").
    for (key, setting) in service.settings.iter_mut() {
        if setting.quantity.is_none()
            && matches!(
                key.as_str(),
                "healthcheck.interval"
                    | "healthcheck.timeout"
                    | "healthcheck.start_period"
                    | "healthcheck.start_interval"
                    | "stop_grace_period"
            )
        {
            setting.quantity = duration_seconds(setting.display())
                .ok()
                .filter(|_| !setting.is_secret())
                .map(Quantity::Seconds);
        }
    }
    Ok(service)
}

/// `command` or `entrypoint` as written: words and the text shown.
fn read_argv<'a>(def: &'a Val, key: &str) -> Result<Option<(Vec<String>, String, &'a Val)>> {
    let Some(value) = def.get(key) else {
        return Ok(None);
    };
    Ok(match &value.kind {
        Kind::Str(s) => Some((split_words(s), s.clone(), value)),
        Kind::Seq(items) => {
            let argv = items
                .iter()
                .map(|i| expect_str(i, key).map(str::to_string))
                .collect::<Result<Vec<_>>>()?;
            let line = argv.join(" ");
            Some((argv, line, value))
        }
        Kind::Null => None,
        Kind::Map(_) => {
            return Err(value.error(format!(
                "`{key}` must be a string or a list, found a mapping"
            )))
        }
    })
}

/// Read `entrypoint` and `command` into settings and the server's flags. The process runs
/// `entrypoint + command`; a command that starts with a flag runs the image's own program, so its
/// flags belong to the image (`prom/prometheus` with `--storage.tsdb.retention.time=7d`).
/// Returns the effective command line for role inference.
fn read_commands(
    def: &Val,
    service: &mut Service,
    notes: &mut Vec<Note>,
) -> Result<Option<String>> {
    let entrypoint = read_argv(def, "entrypoint")?;
    let command = read_argv(def, "command")?;
    let mut argv: Vec<String> = Vec::new();
    if let Some((words, _, _)) = &entrypoint {
        argv.extend(words.iter().cloned());
    }
    if let Some((words, _, _)) = &command {
        if argv.is_empty() && words.first().is_some_and(|w| w.starts_with('-')) {
            if let Some(image) = &service.image {
                argv.push(image.value.short_name().to_string());
            }
        }
        argv.extend(words.iter().cloned());
    }
    let origin_of = command.as_ref().or(entrypoint.as_ref()).map(|(_, _, v)| *v);
    let Some(origin_val) = origin_of else {
        return Ok(None);
    };
    let stray = stray_flags(&argv);
    if !stray.is_empty() {
        notes.push(Note::at(
            origin_val.origin.clone(),
            format!(
                "`{}`: `{}` {} in the `sh -c` script, so the shell runs it as a command and the program before it never gets it (join the lines, or end each with `\\`)",
                service.name,
                stray.join("`, `"),
                if stray.len() == 1 { "starts a line of its own" } else { "each start a line of their own" }
            ),
        ));
    }
    let mut secrets: Vec<String> = command_secrets(&argv);
    for flag in parse_flags(&argv) {
        let setting_key = flag.key();
        let mut setting = Setting::new(&setting_key, flag.value.clone(), origin_val.origin.clone())
            .interpolated(origin_val.interpolated)
            .from_secret_source(origin_val.secret);
        if setting.is_secret() {
            if !flag.value.is_empty() {
                secrets.push(flag.value.clone());
            }
        } else {
            setting.quantity = server_quantity(&flag.server, &flag.value);
        }
        service.settings.insert(setting_key, setting);
    }
    for (key, found) in [("entrypoint", &entrypoint), ("command", &command)] {
        let Some((_, line, value)) = found else {
            continue;
        };
        // The whole line is shown too: mask the secrets found in its flags there as well.
        let shown = secrets.iter().fold(line.clone(), |text, secret| {
            text.replace(secret.as_str(), crate::model::secret::MASK)
        });
        let mut setting = Setting::new(key, shown, value.origin.clone())
            .interpolated(value.interpolated)
            .from_secret_source(value.secret);
        if *line != setting.display() && !setting.is_secret() {
            // Equality still follows the real command line.
            setting.value = SettingValue::Secret(Box::new(crate::model::MaskedSecret::new(
                line,
                setting.display().to_string(),
            )));
        }
        service.settings.insert(key.to_string(), setting);
    }
    Ok(Some(argv.join(" ")))
}

fn read_instances(def: &Val, service: &mut Service) -> Result<()> {
    let replicas = def.get("deploy").and_then(|d| d.get("replicas"));
    let value = replicas.or_else(|| def.get("scale"));
    if let Some(v) = value {
        let what = if replicas.is_some() {
            "deploy.replicas"
        } else {
            "scale"
        };
        let text = expect_str(v, what)?;
        let count: u32 = text.trim().parse().map_err(|_| {
            v.error(format!(
                "`{what}` must be a whole number, found {}",
                quoted(v, text)
            ))
        })?;
        service.instances = Instances {
            count,
            autoscale_max: None,
            autoscaler: None,
            origin: Some(v.origin.clone()),
        };
    }
    Ok(())
}

fn read_resources(def: &Val) -> Result<Resources> {
    let deploy = def.get("deploy").and_then(|d| d.get("resources"));
    let limits = deploy.and_then(|r| r.get("limits"));
    let reservations = deploy.and_then(|r| r.get("reservations"));
    let cpu = |v: Option<&Val>, what: &str| -> Result<Option<Located<u64>>> {
        v.map(|v| {
            let text = expect_str(v, what)?;
            compose_cpus(text)
                .map(|m| Located::new(m, v.origin.clone()))
                .map_err(|m| v.error(format!("`{what}`: {}", unless_secret(v, m))))
        })
        .transpose()
    };
    let mem = |v: Option<&Val>, what: &str| -> Result<Option<Located<u64>>> {
        v.map(|v| {
            let text = expect_str(v, what)?;
            compose_bytes(text)
                .map(|b| Located::new(b, v.origin.clone()))
                .map_err(|m| v.error(format!("`{what}`: {}", unless_secret(v, m))))
        })
        .transpose()
    };
    Ok(Resources {
        cpu_limit_millis: match cpu(
            limits.and_then(|l| l.get("cpus")),
            "deploy.resources.limits.cpus",
        )? {
            Some(v) => Some(v),
            None => cpu(def.get("cpus"), "cpus")?,
        },
        memory_limit_bytes: match mem(
            limits.and_then(|l| l.get("memory")),
            "deploy.resources.limits.memory",
        )? {
            Some(v) => Some(v),
            None => mem(def.get("mem_limit"), "mem_limit")?,
        },
        cpu_reservation_millis: cpu(
            reservations.and_then(|l| l.get("cpus")),
            "deploy.resources.reservations.cpus",
        )?,
        memory_reservation_bytes: match mem(
            reservations.and_then(|l| l.get("memory")),
            "deploy.resources.reservations.memory",
        )? {
            Some(v) => Some(v),
            None => mem(def.get("mem_reservation"), "mem_reservation")?,
        },
    })
}

/// Flatten a value into dotted settings: mappings recurse, lists of scalars join with ", ",
/// lists of mappings are indexed.
pub fn flatten(prefix: &str, value: &Val, out: &mut BTreeMap<String, Setting>) {
    match &value.kind {
        Kind::Null => insert(out, prefix, String::new(), value),
        Kind::Str(s) => insert(out, prefix, s.clone(), value),
        Kind::Map(entries) => {
            for (k, v) in entries {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Kind::Seq(items) => {
            if items
                .iter()
                .all(|i| matches!(i.kind, Kind::Str(_) | Kind::Null))
            {
                let joined: Vec<&str> = items.iter().map(|i| i.str().unwrap_or("")).collect();
                let mut setting = Setting::new(prefix, joined.join(", "), value.origin.clone())
                    .from_secret_source(items.iter().any(|i| i.secret));
                setting.interpolated = items.iter().any(|i| i.interpolated);
                out.insert(prefix.to_string(), setting);
            } else {
                for (i, item) in items.iter().enumerate() {
                    flatten(&format!("{prefix}[{i}]"), item, out);
                }
            }
        }
    }
}

fn insert(out: &mut BTreeMap<String, Setting>, key: &str, text: String, at: &Val) {
    let setting = Setting::new(key, text, at.origin.clone())
        .interpolated(at.interpolated)
        .from_secret_source(at.secret);
    out.insert(key.to_string(), setting);
}

/// A value for an error message: quoted, unless a secret went into it.
fn quoted(v: &Val, text: &str) -> String {
    if v.secret {
        "a value from a secret variable (not shown)".to_string()
    } else {
        format!("`{}`", clip(text))
    }
}

/// A parser's message, which quotes the value: replaced when a secret went into the value.
fn unless_secret(v: &Val, message: String) -> String {
    if v.secret {
        "not understood; the value came from a secret variable and is not shown".to_string()
    } else {
        message
    }
}

fn expect_str<'a>(v: &'a Val, what: &str) -> Result<&'a str> {
    v.str().ok_or_else(|| {
        v.error(format!(
            "`{what}` must be a single value, found {}",
            v.kind_name()
        ))
    })
}

fn string_list(v: &Val, what: &str) -> Result<Vec<String>> {
    match &v.kind {
        Kind::Seq(items) => items
            .iter()
            .map(|i| expect_str(i, what).map(str::to_string))
            .collect(),
        Kind::Str(s) => Ok(vec![s.clone()]),
        _ => Err(v.error(format!("`{what}` must be a list, found {}", v.kind_name()))),
    }
}

fn clip(t: &str) -> String {
    t.chars().take(40).collect()
}

/// Used by the loader for errors about `env_file` entries.
pub fn env_file_paths(def: &Val) -> Result<Vec<(String, bool, Origin)>> {
    let Some(v) = def.get("env_file") else {
        return Ok(Vec::new());
    };
    let items: Vec<&Val> = match &v.kind {
        Kind::Str(_) => vec![v],
        Kind::Seq(items) => items.iter().collect(),
        _ => return Err(v.error("`env_file` must be a path or a list of paths")),
    };
    items
        .into_iter()
        .map(|item| match &item.kind {
            Kind::Str(path) => Ok((path.clone(), true, item.origin.clone())),
            Kind::Map(_) => {
                let path = item
                    .get("path")
                    .and_then(Val::str)
                    .ok_or_else(|| item.error("`env_file` entry needs a `path`"))?;
                let required = item.get("required").and_then(Val::str) != Some("false");
                Ok((path.to_string(), required, item.origin.clone()))
            }
            _ => Err(item.error("`env_file` entry must be a path")),
        })
        .collect::<Result<Vec<_>, Error>>()
}
