//! Terragrunt components: one `terragrunt.hcl` below an environment directory is one service of
//! that environment. Its settings are the module's `variable` defaults (when `terraform {
//! source }` is a local path), then the `inputs` of the files it includes, then its own `inputs`.
//!
//! Only what can be computed from the repository is evaluated: `local.*`, `include.*`, and the
//! path functions `find_in_parent_folders`, `get_terragrunt_dir`, `dirname`, `basename`,
//! `read_terragrunt_config`, `merge`. Environment variables (`get_env`), dependency outputs and
//! other functions are not known here: such an input is shown as written, a file that cannot be
//! found or parsed is an optional gap of the service. Nothing is ever run.

use std::cell::RefCell;

use hcl::edit::structure::{Attribute, Body};
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};

use super::hcl as tf;
use crate::error::{Error, Result};
use crate::model::{Environment, GapExtent, Note, Origin, Service, Setting};
use crate::sources::{join_relative, Workspace};

/// Includes and `read_terragrunt_config` calls followed from one component, at most.
const MAX_DEPTH: usize = 5;

/// What the path functions need, for the component being read. Functions given to the HCL
/// evaluator are plain `fn`s and cannot capture it, so it is set for the current thread while
/// one component is read.
struct Scope {
    workspace: Workspace,
    /// The component's directory, relative to the root (`get_terragrunt_dir()`).
    dir: String,
    depth: usize,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Sets the scope for the current thread and clears it when dropped.
struct ScopeGuard;

impl ScopeGuard {
    fn enter(workspace: &Workspace, dir: &str) -> Self {
        SCOPE.with(|s| {
            *s.borrow_mut() = Some(Scope {
                workspace: workspace.clone(),
                dir: dir.to_string(),
                depth: 0,
            })
        });
        ScopeGuard
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPE.with(|s| *s.borrow_mut() = None);
    }
}

fn with_scope<T>(
    f: impl FnOnce(&mut Scope) -> std::result::Result<T, String>,
) -> std::result::Result<T, String> {
    SCOPE.with(|s| match s.borrow_mut().as_mut() {
        Some(scope) => f(scope),
        None => Err("no Terragrunt component is being read".into()),
    })
}

/// Paths the functions return are root-relative with a leading `/` (Terragrunt's are absolute);
/// a path without one is relative to the component's directory.
fn to_relative(dir: &str, path: &str) -> Option<String> {
    match path.strip_prefix('/') {
        Some(rooted) => join_relative("x", rooted),
        None => join_relative(&format!("{dir}/x"), path),
    }
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn as_path_arg(args: &FuncArgs, i: usize) -> std::result::Result<String, String> {
    args.get(i)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "expected a path".to_string())
}

/// `find_in_parent_folders([name])`: the nearest `name` (default `terragrunt.hcl`) in a folder
/// above the component.
fn find_in_parent_folders(args: FuncArgs) -> std::result::Result<Value, String> {
    let name = match args.first() {
        Some(v) => v.as_str().ok_or("expected a file name")?.to_string(),
        None => "terragrunt.hcl".to_string(),
    };
    with_scope(|scope| {
        let mut dir = scope.dir.as_str();
        while !dir.is_empty() {
            dir = parent_of(dir);
            let candidate = crate::discover::join(dir, &name);
            if matches!(scope.workspace.locate(&candidate), Ok(Some(p)) if p.is_file()) {
                return Ok(Value::from(format!("/{candidate}")));
            }
        }
        Err(format!("no `{name}` in a folder above the component"))
    })
}

fn get_terragrunt_dir(_: FuncArgs) -> std::result::Result<Value, String> {
    with_scope(|scope| Ok(Value::from(format!("/{}", scope.dir))))
}

fn dirname(args: FuncArgs) -> std::result::Result<Value, String> {
    let path = as_path_arg(&args, 0)?;
    Ok(Value::from(parent_of(&path).to_string()))
}

fn basename(args: FuncArgs) -> std::result::Result<Value, String> {
    let path = as_path_arg(&args, 0)?;
    Ok(Value::from(
        path.rsplit('/').next().unwrap_or_default().to_string(),
    ))
}

/// `merge(maps...)`: later keys win.
fn merge(args: FuncArgs) -> std::result::Result<Value, String> {
    let mut out = Map::new();
    for arg in args.iter() {
        match arg {
            Value::Object(map) => out.extend(map.clone()),
            Value::Null => {}
            _ => return Err("merge takes maps".into()),
        }
    }
    Ok(Value::Object(out))
}

/// `read_terragrunt_config(path)`: that file's `locals` and `inputs`, as far as evaluable.
fn read_terragrunt_config(args: FuncArgs) -> std::result::Result<Value, String> {
    let path = as_path_arg(&args, 0)?;
    let (workspace, file) = with_scope(|scope| {
        let file = to_relative(&scope.dir, &path).ok_or("the path leaves the repository")?;
        if scope.depth >= MAX_DEPTH {
            return Err("too many nested Terragrunt files".into());
        }
        scope.depth += 1;
        Ok((scope.workspace.clone(), file))
    })?;
    let config = read_config(&workspace, &file);
    let _ = with_scope(|scope| {
        scope.depth -= 1;
        Ok(())
    });
    let config = config.map_err(|e| e.to_string())?;
    Ok(config.exposed())
}

/// An evaluation context with the path functions, and `local`/`include` when given.
fn context(locals: &Map<String, Value>, includes: &Map<String, Value>) -> Context<'static> {
    let mut ctx = Context::new();
    let path_fn = |f| FuncDef::builder().variadic_param(ParamType::Any).build(f);
    ctx.declare_func("find_in_parent_folders", path_fn(find_in_parent_folders));
    ctx.declare_func("get_terragrunt_dir", path_fn(get_terragrunt_dir));
    ctx.declare_func("dirname", path_fn(dirname));
    ctx.declare_func("basename", path_fn(basename));
    ctx.declare_func("merge", path_fn(merge));
    ctx.declare_func("read_terragrunt_config", path_fn(read_terragrunt_config));
    ctx.declare_var("local", Value::Object(locals.clone()));
    ctx.declare_var("include", Value::Object(includes.clone()));
    ctx
}

/// One input: its value, or the expression as written when it cannot be computed here.
#[derive(Debug, Clone)]
enum Input {
    Value(Value),
    Written(String),
}

/// One Terragrunt file read and evaluated as far as possible.
#[derive(Debug, Default)]
struct Config {
    locals: Map<String, Value>,
    inputs: Vec<(String, Input, Origin)>,
    /// `terraform { source }`: the value, or the expression as written.
    source: Option<(Input, Origin)>,
    /// Included files, in order, each already merged with its own includes.
    includes: Vec<Config>,
    /// An `inputs` that could not be evaluated at all (`merge(get_env(...))`): where.
    opaque_inputs: Vec<Origin>,
    /// What could not be followed (an include path, a missing file).
    gaps: Vec<Error>,
}

impl Config {
    /// What `read_terragrunt_config` and `include.<name>` give: `locals` and `inputs`.
    fn exposed(&self) -> Value {
        let inputs: Map<String, Value> = self
            .merged_inputs()
            .into_iter()
            .filter_map(|(k, v, _)| match v {
                Input::Value(v) => Some((k, v)),
                Input::Written(_) => None,
            })
            .collect();
        let mut out = Map::new();
        out.insert("locals".into(), Value::Object(self.locals.clone()));
        out.insert("inputs".into(), Value::Object(inputs));
        Value::Object(out)
    }

    /// The inputs of the included files, then this file's: later ones win.
    fn merged_inputs(&self) -> Vec<(String, Input, Origin)> {
        let mut out: Vec<(String, Input, Origin)> = Vec::new();
        let own = self.includes.iter().map(Config::merged_inputs);
        for (name, input, origin) in own.flatten().chain(self.inputs.iter().cloned()) {
            out.retain(|(n, _, _)| *n != name);
            out.push((name, input, origin));
        }
        out
    }

    /// The source of the nearest file that sets one: this file's, else an include's.
    fn merged_source(&self) -> Option<(Input, Origin)> {
        self.source
            .clone()
            .or_else(|| self.includes.iter().rev().find_map(Config::merged_source))
    }

    fn all_opaque_inputs(&self) -> Vec<Origin> {
        let mut out = self.opaque_inputs.clone();
        out.extend(self.includes.iter().flat_map(Config::all_opaque_inputs));
        out
    }

    fn all_gaps(&self) -> Vec<Error> {
        let mut out = self.gaps.clone();
        out.extend(self.includes.iter().flat_map(Config::all_gaps));
        out
    }
}

fn origin_of(text: &str, file: &str, attr: &Attribute) -> Origin {
    Origin::new(
        file,
        attr.span()
            .map_or(1, |s| crate::sources::line_of(text, s.start)),
    )
}

fn written(text: &str, attr: &Attribute) -> String {
    attr.value
        .span()
        .and_then(|s| text.get(s))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Read one Terragrunt file: includes first (their paths use functions only), then locals
/// (which may use `include.*`), then inputs and source.
fn read_config(workspace: &Workspace, file: &str) -> Result<Config> {
    let text = workspace.read_text(file)?;
    let body = tf::parse_body(&text, file)?;
    let mut config = Config::default();
    let mut exposed = Map::new();
    for block in body.blocks().filter(|b| b.ident.as_str() == "include") {
        let label = block.labels.first().map(|l| tf::label(l).to_string());
        if let Some(included) = read_include(workspace, &text, file, &block.body, &mut config) {
            exposed.insert(label.unwrap_or_default(), included.exposed());
            config.includes.push(included);
        }
    }
    config.locals = evaluate_locals(&body, &exposed);
    let ctx = context(&config.locals, &exposed);
    if let Some(attr) = body.attributes().find(|a| a.key.as_str() == "inputs") {
        read_inputs(&text, file, attr, &ctx, &mut config);
    }
    let terraform = body.blocks().find(|b| b.ident.as_str() == "terraform");
    if let Some(attr) =
        terraform.and_then(|b| b.body.attributes().find(|a| a.key.as_str() == "source"))
    {
        let expr: hcl::Expression = attr.value.clone().into();
        let input = match expr.evaluate(&ctx) {
            Ok(v) => Input::Value(v),
            Err(_) => Input::Written(written(&text, attr)),
        };
        config.source = Some((input, origin_of(&text, file, attr)));
    }
    Ok(config)
}

/// The file an `include` block names, read; what cannot be followed is a gap.
fn read_include(
    workspace: &Workspace,
    text: &str,
    file: &str,
    body: &Body,
    config: &mut Config,
) -> Option<Config> {
    let attr = body.attributes().find(|a| a.key.as_str() == "path")?;
    let origin = origin_of(text, file, attr);
    let expr: hcl::Expression = attr.value.clone().into();
    let ctx = context(&Map::new(), &Map::new());
    let gap = |message: String| Error::at(file, origin.line, message);
    let path = match expr.evaluate(&ctx) {
        Ok(Value::String(p)) => p,
        _ => {
            let message = format!(
                "include path `{}` cannot be evaluated here",
                written(text, attr)
            );
            config.gaps.push(gap(message));
            return None;
        }
    };
    let dir = SCOPE.with(|s| s.borrow().as_ref().map(|s| s.dir.clone()))?;
    let Some(target) = to_relative(&dir, &path) else {
        config
            .gaps
            .push(gap(format!("include `{path}` leaves the repository")));
        return None;
    };
    let depth_ok = with_scope(|s| {
        s.depth += 1;
        Ok(s.depth <= MAX_DEPTH)
    })
    .unwrap_or(false);
    let included = if depth_ok {
        read_config(workspace, &target)
    } else {
        Err(gap("too many nested Terragrunt includes".into()))
    };
    let _ = with_scope(|s| {
        s.depth -= 1;
        Ok(())
    });
    match included {
        Ok(c) => Some(c),
        Err(e) => {
            config.gaps.push(e);
            None
        }
    }
}

/// `locals`, evaluated in passes since they may refer to each other in any order.
fn evaluate_locals(body: &Body, includes: &Map<String, Value>) -> Map<String, Value> {
    let attrs: Vec<&Attribute> = body
        .blocks()
        .filter(|b| b.ident.as_str() == "locals")
        .flat_map(|b| b.body.attributes())
        .collect();
    let mut locals = Map::new();
    for _ in 0..=attrs.len() {
        let ctx = context(&locals, includes);
        let before = locals.len();
        for attr in &attrs {
            let name = attr.key.as_str();
            if locals.contains_key(name) {
                continue;
            }
            let expr: hcl::Expression = attr.value.clone().into();
            if let Ok(v) = expr.evaluate(&ctx) {
                locals.insert(name.to_string(), v);
            }
        }
        if locals.len() == before {
            break;
        }
    }
    locals
}

/// `inputs = { ... }` key by key (each with its line), or a whole expression (`merge(...)`).
fn read_inputs(text: &str, file: &str, attr: &Attribute, ctx: &Context, config: &mut Config) {
    let origin = origin_of(text, file, attr);
    if let hcl::edit::expr::Expression::Object(object) = &attr.value {
        for (key, value) in object.iter() {
            let name = match key {
                hcl::edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                hcl::edit::expr::ObjectKey::Expression(e) => {
                    let e: hcl::Expression = e.clone().into();
                    match e.evaluate(ctx) {
                        Ok(Value::String(s)) => s,
                        _ => continue,
                    }
                }
            };
            let line = value
                .expr()
                .span()
                .map_or(origin.line, |s| crate::sources::line_of(text, s.start));
            let expr: hcl::Expression = value.expr().clone().into();
            let input = match expr.evaluate(ctx) {
                Ok(v) => Input::Value(v),
                Err(_) => Input::Written(
                    value
                        .expr()
                        .span()
                        .and_then(|s| text.get(s))
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                ),
            };
            config.inputs.push((name, input, Origin::new(file, line)));
        }
        return;
    }
    let expr: hcl::Expression = attr.value.clone().into();
    match expr.evaluate(ctx) {
        Ok(Value::Object(map)) => config.inputs.extend(
            map.into_iter()
                .map(|(k, v)| (k, Input::Value(v), origin.clone())),
        ),
        _ => config.opaque_inputs.push(origin),
    }
}

/// The service name of a component: its directory's name.
fn component_name(file: &str) -> &str {
    let dir = parent_of(file);
    dir.rsplit('/')
        .next()
        .filter(|d| !d.is_empty())
        .unwrap_or("terragrunt")
}

/// A local module directory for a `source` (`../../modules/x`, `../../../aws//rds`); `None` for
/// remote sources (`git::`, `tfr://`, registry addresses).
fn local_module_dir(dir: &str, source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../") || source.starts_with('/')) {
        return None;
    }
    // `//` separates the package root from the module inside it.
    let path = source
        .split('?')
        .next()
        .unwrap_or(source)
        .replace("//", "/");
    to_relative(dir, &path)
}

/// The `.tf` files of a module directory, read into one module; errors are gaps.
fn read_module(
    workspace: &Workspace,
    dir: &str,
    gaps: &mut Vec<Error>,
) -> (tf::Module, Vec<String>) {
    let mut module = tf::Module::default();
    let mut read = Vec::new();
    let listing = workspace
        .locate(dir)
        .ok()
        .flatten()
        .and_then(|p| std::fs::read_dir(p).ok());
    let Some(listing) = listing else {
        gaps.push(Error::in_file(dir, "module directory not found"));
        return (module, read);
    };
    let mut names: Vec<String> = listing
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tf"))
        .collect();
    names.sort();
    for name in names {
        let file = crate::discover::join(dir, &name);
        let result = workspace
            .read_text(&file)
            .and_then(|text| tf::read_tf(&text, &file, &mut module));
        match result {
            Ok(()) => read.push(file),
            Err(e) => gaps.push(e),
        }
    }
    (module, read)
}

/// The module's variable defaults, replaced by the inputs, as `terraform.<name>` settings; an
/// input that cannot be computed is shown as written. Returns the variables left unset.
fn settle_inputs<'m>(
    module: &'m tf::Module,
    inputs: Vec<(String, Input, Origin)>,
    settings: &mut std::collections::BTreeMap<String, Setting>,
) -> Vec<&'m tf::Variable> {
    let mut values: Map<String, (Input, Origin)> = Map::new();
    for v in &module.variables {
        if let Some((default, origin)) = &v.default {
            values.insert(
                v.name.clone(),
                (Input::Value(default.clone()), origin.clone()),
            );
        }
    }
    for (name, input, origin) in inputs {
        values.insert(name, (input, origin));
    }
    let declared = |name: &str| module.variables.iter().find(|v| v.name == name);
    for (name, (input, origin)) in &values {
        let key = format!("terraform.{name}");
        let sensitive = declared(name).is_some_and(|v| v.sensitive);
        match input {
            Input::Value(v) => {
                let number = declared(name).is_some_and(|v| v.number);
                super::flatten(&key, v, origin, sensitive, number, settings);
                if super::is_declared_default(&module.variables, name, origin) {
                    super::mark_input_default(&key, settings);
                }
            }
            Input::Written(w) => {
                let setting = Setting::new(&key, w.clone(), origin.clone()).interpolated(true);
                settings.insert(key, setting);
            }
        }
    }
    module
        .variables
        .iter()
        .filter(|v| !values.contains_key(&v.name))
        .collect()
}

/// Read one component (`env/staging/rds/terragrunt.hcl`) as a service of `environment`.
pub fn load_component(
    workspace: &Workspace,
    file: &str,
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let dir = parent_of(file).to_string();
    let name = component_name(file).to_string();
    let config = {
        let _scope = ScopeGuard::enter(workspace, &dir);
        read_config(workspace, file)?
    };
    let mut gaps = config.all_gaps();
    let mut service = Service::new(&name, Origin::new(file, 1));
    service.settings.insert(
        "kind".into(),
        Setting::new("kind", "terragrunt", Origin::new(file, 1)),
    );
    let mut module = tf::Module::default();
    if let Some((source, origin)) = config.merged_source() {
        let mut text = match &source {
            Input::Value(Value::String(s)) => s.clone(),
            Input::Value(v) => v.to_string(),
            Input::Written(w) => w.clone(),
        };
        if let Input::Value(Value::String(s)) = &source {
            if let Some(module_dir) = local_module_dir(&dir, s) {
                let (m, read) = read_module(workspace, &module_dir, &mut gaps);
                // Shown from the root, the same in every environment that uses it.
                text = module_dir;
                module = m;
                for f in read {
                    if !environment.files.contains(&f) {
                        environment.files.push(f);
                    }
                }
            }
        }
        service.settings.insert(
            "terraform.source".into(),
            Setting::new("terraform.source", text, origin),
        );
    }
    let opaque = config.all_opaque_inputs();
    let unset = settle_inputs(&module, config.merged_inputs(), &mut service.settings);
    if opaque.is_empty() {
        for v in unset {
            notes.push(Note::at(
                v.origin.clone(),
                format!(
                    "Terraform variable `{}` of `{name}` has no default and no Terragrunt input: unset (required input), so not compared",
                    v.name
                ),
            ));
        }
    }
    for origin in opaque {
        notes.push(Note::at(
            origin,
            "`inputs` here cannot be evaluated without running Terragrunt (environment variables, other files' outputs); what they give the components including this file is not compared",
        ));
    }
    for gap in gaps {
        environment.add_gap(GapExtent::Optional, Some(&name), &gap);
    }
    environment.services.push(service);
    Ok(())
}

/// The environment an `env.hcl` states: `locals { environment = "qa" }` (or `env = ...`).
pub fn env_of_env_hcl(text: &str) -> Option<String> {
    let body = hcl::edit::parser::parse_body(text).ok()?;
    let ctx = Context::new();
    let found = body
        .blocks()
        .filter(|b| b.ident.as_str() == "locals")
        .flat_map(|b| b.body.attributes())
        .filter(|a| matches!(a.key.as_str(), "environment" | "env"))
        .find_map(|a| {
            let expr: hcl::Expression = a.value.clone().into();
            match expr.evaluate(&ctx) {
                Ok(Value::String(s)) if !s.is_empty() => Some(s),
                _ => None,
            }
        });
    found
}
