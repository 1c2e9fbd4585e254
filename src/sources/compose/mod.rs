//! Docker Compose files, following the Compose specification: interpolation from the project's
//! `.env` (and, only with `--env-from-process`, the process environment, whose values are then
//! always masked), `env_file`, multi-file merge with Compose's rules, `extends`, and every
//! service attribute as a setting.
//!
//! The process environment is not read by default: a scan must not depend on who runs it, and
//! a CI runner's `GITHUB_TOKEN` must never reach a report.

pub mod interpolate;
pub mod merge;
pub mod service;
pub mod tree;

use crate::hash::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::{Environment, GapExtent, Note, Service, Setting};
use crate::sources::{dotenv, join_relative, outside, Resource, Workspace};

use interpolate::Var;
use service::EnvFileVars;
use tree::{Interpolation, Kind, Unset, Val};

/// `extends.file` targets of one environment, converted once and shared by every service
/// naming them (a file named by thousands of services is read once, not once per service).
type ExtendsCache = Mutex<HashMap<String, Arc<Val>>>;

/// What every service of an environment is built with.
struct Context<'a> {
    workspace: &'a Workspace,
    vars: Interpolation<'a>,
    extends: ExtendsCache,
}

/// Top-level keys of a Compose file.
const TOP_LEVEL_KEYS: &[&str] = &[
    "version", "name", "services", "networks", "volumes", "configs", "secrets", "include", "models",
];

/// Read the Compose files of one environment (base first, overrides after) into `environment`.
pub fn load(
    workspace: &Workspace,
    files: &[String],
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let variables = project_variables(workspace, first)?;
    let from_process = workspace.env_from_process;
    let lookup =
        |name: &str| process_variable(from_process, name).or_else(|| variables.get(name).cloned());
    let cx = Context {
        workspace,
        vars: Interpolation {
            lookup: &lookup,
            budget: &workspace.expansion,
        },
        extends: ExtendsCache::default(),
    };

    let mut unset = Unset::new();
    let mut merged: Option<Val> = None;
    for file in files {
        let doc = read_file(workspace, file, &cx.vars, &mut unset)?;
        match merged.as_mut() {
            None => merged = Some(doc),
            Some(base) => merge::merge_file(base, doc),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (name, origin, required) in unset {
        if seen.insert(name.clone()) {
            let message = match required {
                None => format!("variable `{name}` is not set; Compose substitutes an empty string"),
                Some(why) => format!(
                    "required variable `{name}` has no value here{}: it is supplied when deployed, and shown as `${{{name}}}`",
                    if why.is_empty() { String::new() } else { format!(" ({why})") }
                ),
            };
            notes.push(Note::at(origin, message));
        }
    }
    let Some(merged) = merged else { return Ok(()) };

    if let Some(services) = merged.get("services") {
        let Some(entries) = services.map() else {
            return Err(services.error(format!(
                "`services` must be a mapping of service names, found {}",
                services.kind_name()
            )));
        };
        // Services are built on every core and taken in file order, with their notes. A
        // service that cannot be built is a gap in the environment; the others are still read.
        let built: Vec<Result<BuiltService>> = entries
            .par_iter()
            .map(|(name, def)| build_service(&cx, name, def, entries))
            .collect();
        for (result, (name, _)) in built.into_iter().zip(entries) {
            match result {
                Ok(built) => {
                    for missing in &built.missing {
                        environment.add_gap(GapExtent::Optional, Some(name), missing);
                    }
                    environment.services.push(built.service);
                    notes.extend(built.notes);
                }
                Err(e) => environment.add_gap(GapExtent::Source, Some(name), &e),
            }
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        let Some(v) = merged.get(section) else {
            continue;
        };
        match &v.kind {
            Kind::Map(entries) => {
                for (name, def) in entries {
                    service::flatten(&format!("{section}.{name}"), def, &mut environment.settings);
                }
            }
            Kind::Null => {}
            _ => {
                return Err(v.error(format!(
                    "`{section}` must be a mapping, found {}",
                    v.kind_name()
                )))
            }
        }
    }
    if let Some(name) = merged.get("name").and_then(Val::str) {
        environment.settings.insert(
            "project.name".into(),
            Setting::new(
                "project.name",
                name,
                merged
                    .get("name")
                    .map(|v| v.origin.clone())
                    .unwrap_or_else(|| merged.origin.clone()),
            ),
        );
    }
    Ok(())
}

/// A service as built, with its notes and the optional pieces (env files) it lacks.
struct BuiltService {
    service: Service,
    notes: Vec<Note>,
    missing: Vec<Error>,
}

/// A variable of the process environment, read only when the user asked for it
/// (`--env-from-process`); its value is always treated as a secret.
fn process_variable(from_process: bool, name: &str) -> Option<Var> {
    if !from_process {
        return None;
    }
    std::env::var(name).ok().map(|value| Var {
        value,
        secret: true,
    })
}

fn build_service(
    cx: &Context,
    name: &str,
    def: &Val,
    siblings: &[(String, Val)],
) -> Result<BuiltService> {
    // Most services extend nothing: they are built from the merged tree as it is, not a copy.
    let extended;
    let def = if def.get("extends").is_some() {
        extended = resolve_extends(cx, name, def, siblings, 0)?;
        &extended
    } else {
        def
    };
    let (env_vars, missing) = read_env_files(cx.workspace, def, &cx.vars)?;
    let mut notes = Vec::new();
    let service = service::build(name, def, env_vars, &mut notes)?;
    Ok(BuiltService {
        service,
        notes,
        missing,
    })
}

/// Parse a Compose file ahead of its environments (`sources::load`).
pub fn prefetch(workspace: &Workspace, file: &str) {
    workspace.prefetch_parsed(file, |text| workspace.yaml_document(text, file));
}

/// Parse one Compose file and check its top level.
fn read_file(
    workspace: &Workspace,
    file: &str,
    vars: &Interpolation,
    unset: &mut Unset,
) -> Result<Val> {
    // Every environment reads the base file: it is parsed once, and converted (interpolated)
    // per environment.
    let node = workspace.read_parsed(file, |text| workspace.yaml_document(text, file))?;
    let doc = tree::from_yaml(&node, file, vars, unset)?;
    match &doc.kind {
        Kind::Map(entries) => {
            for (key, value) in entries {
                if key == "include" {
                    return Err(value.error(
                        "`include` is not supported yet; list the included files with --env NAME=FILE,FILE",
                    ));
                }
                if !TOP_LEVEL_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
                    return Err(value.error(format!("unknown top-level Compose key `{key}`")));
                }
            }
            Ok(doc)
        }
        Kind::Null => Ok(Val::new(Kind::Map(Vec::new()), doc.origin)),
        _ => Err(doc.error(format!(
            "a Compose file must be a mapping with `services`, found {}",
            doc.kind_name()
        ))),
    }
}

/// Variables from the project's `.env` (beside the first Compose file), used for interpolation.
fn project_variables(workspace: &Workspace, first_file: &str) -> Result<HashMap<String, Var>> {
    let Some(path) = join_relative(first_file, ".env") else {
        return Ok(HashMap::default());
    };
    if !workspace.is_file(&path) {
        return Ok(HashMap::default());
    }
    let text = workspace.read_text(&path)?;
    let from_process = workspace.env_from_process;
    let entries = dotenv::parse_vars(
        &text,
        &path,
        &|name| process_variable(from_process, name),
        &workspace.expansion,
    )?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let var = e.as_var(&path);
            (e.key, var)
        })
        .collect())
}

/// Resolve a service's `extends` (same file or another file inside the root). Bounded depth
/// catches cycles.
fn resolve_extends(
    cx: &Context,
    name: &str,
    def: &Val,
    siblings: &[(String, Val)],
    depth: usize,
) -> Result<Val> {
    const MAX_DEPTH: usize = 16;
    let Some(extends) = def.get("extends") else {
        return Ok(def.clone());
    };
    if depth >= MAX_DEPTH {
        return Err(extends.error(format!(
            "`extends` of service `{name}` nests deeper than {MAX_DEPTH} levels (a cycle?)"
        )));
    }
    let (target, file) = match &extends.kind {
        Kind::Str(s) => (s.clone(), None),
        Kind::Map(_) => (
            extends
                .get("service")
                .and_then(Val::str)
                .ok_or_else(|| extends.error("`extends` needs a `service`"))?
                .to_string(),
            extends.get("file").and_then(Val::str).map(str::to_string),
        ),
        _ => return Err(extends.error("`extends` must be a service name or a mapping")),
    };
    let mut base = match file {
        None => {
            let (_, base) = siblings.iter().find(|(n, _)| *n == target).ok_or_else(|| {
                extends.error(format!(
                    "`extends` names service `{target}`, which does not exist"
                ))
            })?;
            resolve_extends(cx, &target, base, siblings, depth + 1)?
        }
        Some(path) => {
            let rel = join_relative(&extends.origin.file, &path).ok_or_else(|| {
                extends.error(format!("`extends.file` `{path}` {}", outside(&path)))
            })?;
            let doc = extends_file(cx, &rel)?;
            let services = doc.get("services").and_then(Val::map).unwrap_or_default();
            let (_, base) = services.iter().find(|(n, _)| *n == target).ok_or_else(|| {
                extends.error(format!(
                    "`extends` names service `{target}`, not found in {rel}"
                ))
            })?;
            resolve_extends(cx, &target, base, services, depth + 1)?
        }
    };
    let mut own = def.clone();
    if let Kind::Map(entries) = &mut own.kind {
        entries.retain(|(k, _)| k != "extends");
    }
    merge::merge_service(&mut base, own);
    base.origin = def.origin.clone();
    // Every service naming a base gets its own copy: many services extending a large one
    // multiply it, so each copy counts against the run budget.
    cx.workspace
        .budget
        .charge(Resource::YamlNodes, &extends.origin.file, base.node_count())
        .map_err(|e| extends.error(e.message))?;
    Ok(base)
}

/// An `extends.file` target, converted once per environment.
fn extends_file(cx: &Context, rel: &str) -> Result<Arc<Val>> {
    if let Some(doc) = cx.extends.lock().ok().and_then(|c| c.get(rel).cloned()) {
        return Ok(doc);
    }
    let doc = read_file(cx.workspace, rel, &cx.vars, &mut Unset::new()).map_err(|e| {
        if e.file.is_none() {
            Error::in_file(rel.to_string(), e.message)
        } else {
            e
        }
    })?;
    let doc = Arc::new(doc);
    if let Ok(mut cache) = cx.extends.lock() {
        cache.insert(rel.to_string(), Arc::clone(&doc));
    }
    Ok(doc)
}

/// The committed sample of a missing env file, if there is one.
fn sample_of(workspace: &Workspace, rel: &str) -> Option<String> {
    crate::model::SAMPLE_SUFFIXES
        .iter()
        .map(|s| format!("{rel}{s}"))
        .find(|candidate| workspace.is_file(candidate))
}

/// Read a service's `env_file`s; later files override earlier ones. A required file that is
/// absent (most often a gitignored `.env`) is returned as missing, not an error: the service is
/// still read, without its variables.
fn read_env_files(
    workspace: &Workspace,
    def: &Val,
    interpolation: &Interpolation,
) -> Result<(EnvFileVars, Vec<Error>)> {
    let mut vars: EnvFileVars = Vec::new();
    let mut missing = Vec::new();
    for (path, required, origin) in service::env_file_paths(def)? {
        // A file on the host (`/etc/app/secrets.env`) is one the repository does not provide,
        // like a gitignored one: said so, and the service is still read.
        if path.starts_with('/') {
            if required {
                missing.push(Error::at(
                    &origin.file,
                    origin.line,
                    format!(
                        "env_file `{path}` {}; the service is read without its variables",
                        outside(&path)
                    ),
                ));
            }
            continue;
        }
        let rel = join_relative(&origin.file, &path).ok_or_else(|| {
            Error::at(
                &origin.file,
                origin.line,
                format!("env_file `{path}` {}", outside(&path)),
            )
        })?;
        // Absent is a gap only when required; outside the root or unreadable is an error. A
        // committed sample (`.env.prod-sample`, `.env.example`) stands in for a gitignored file.
        let rel = if workspace.locate(&rel)?.is_none() {
            let sample = sample_of(workspace, &rel);
            if required {
                let instead = match &sample {
                    Some(s) => format!("its committed sample `{s}` is read in its place"),
                    None => "the service is read without its variables".to_string(),
                };
                missing.push(Error::at(
                    &origin.file,
                    origin.line,
                    format!("env_file `{path}` not found (gitignored?); {instead}"),
                ));
            }
            match sample {
                Some(s) if required => s,
                _ => continue,
            }
        } else {
            rel
        };
        let text = workspace.read_text(&rel)?;
        for entry in dotenv::parse_vars(&text, &rel, interpolation.lookup, interpolation.budget)? {
            let key = format!("env.{}", entry.key);
            let setting = Setting::new(
                &key,
                entry.value,
                crate::model::Origin::new(&rel, entry.line),
            )
            .interpolated(entry.substituted)
            .from_secret_source(entry.secret);
            vars.retain(|(k, _)| *k != entry.key);
            vars.push((entry.key, setting));
        }
    }
    Ok((vars, missing))
}
