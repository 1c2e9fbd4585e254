//! Terraform layouts. A root module is a directory of `.tf` files; an environment's values are
//! a tfvars file (also `.tfvars.json`) whose name holds one environment word (`staging.tfvars`,
//! `terraform.prod.tfvars`, `dev_config.tfvars`, `mgt-production.tfvars`) beside it or in a
//! `vars/`, `envs/`, `environments/`, `tfvars/`, `variables/` or `config/` directory below it,
//! or `env/<env>/terraform.tfvars` (any of those directory names) below it. When `env/<env>/` holds `.tf` files itself it is
//! its own root module. `terraform.tfvars` and `*.auto.tfvars` beside the `.tf` files are loaded
//! by Terraform in every workspace: they are part of the base, shared by environments without
//! a tfvars file of their own.

use std::collections::{BTreeMap, BTreeSet};

use super::{canonical_env_name, is_env_word, join, Candidate, SourceKind};
use crate::sources::Workspace;

/// Directories that hold per-environment tfvars below a module.
const VARS_DIRS: &[&str] = &[
    "env",
    "envs",
    "environments",
    "environment",
    "vars",
    "tfvars",
    "variables",
    "config",
    "configs",
];

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn is_tfvars(name: &str) -> bool {
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

fn tfvars_stem(name: &str) -> &str {
    name.strip_suffix(".tfvars.json")
        .or_else(|| name.strip_suffix(".tfvars"))
        .unwrap_or(name)
}

/// Loaded by Terraform in every workspace.
fn is_auto_tfvars(name: &str) -> bool {
    matches!(name, "terraform.tfvars" | "terraform.tfvars.json")
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// The `.tf` files of a directory, then the tfvars Terraform loads by itself there, in its order.
fn module_base(files: &[String], dir: &str) -> Vec<String> {
    let in_dir = |f: &&String| split(f).0 == dir;
    let mut out: Vec<String> = files
        .iter()
        .filter(in_dir)
        .filter(|f| f.ends_with(".tf"))
        .cloned()
        .collect();
    let auto = |name: &str| -> u8 {
        match name {
            "terraform.tfvars" => 0,
            "terraform.tfvars.json" => 1,
            _ => 2,
        }
    };
    let mut vars: Vec<&String> = files
        .iter()
        .filter(in_dir)
        .filter(|f| is_auto_tfvars(split(f).1))
        .collect();
    vars.sort_by_key(|f| (auto(split(f).1), (*f).clone()));
    out.extend(vars.into_iter().cloned());
    out
}

/// The files to read for tfvars `chosen`: their module's base, then them.
pub fn with_module(files: &[String], chosen: &[String]) -> Vec<String> {
    let tf_dirs: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.ends_with(".tf"))
        .map(|f| split(f).0)
        .collect();
    let mut out: Vec<String> = Vec::new();
    // A Terragrunt file names its module in its `source`, not by where it is.
    for c in chosen.iter().filter(|c| !c.ends_with(".hcl")) {
        if let Some(dir) = module_dir(&tf_dirs, split(c).0) {
            for f in module_base(files, dir) {
                if !out.contains(&f) && !chosen.contains(&f) {
                    out.push(f);
                }
            }
        }
    }
    // `.tf` files first, then tfvars in the order given.
    let (tf, vars): (Vec<&String>, Vec<&String>) = chosen.iter().partition(|f| f.ends_with(".tf"));
    for f in tf.into_iter().chain(vars) {
        if !out.contains(f) {
            out.push(f.clone());
        }
    }
    let (tf, rest): (Vec<String>, Vec<String>) = out.into_iter().partition(|f| f.ends_with(".tf"));
    tf.into_iter().chain(rest).collect()
}

/// The nearest directory at or above `dir` holding `.tf` files.
fn module_dir<'a>(tf_dirs: &BTreeSet<&'a str>, dir: &str) -> Option<&'a str> {
    let mut d = dir;
    loop {
        if let Some(found) = tf_dirs.get(d) {
            return Some(found);
        }
        if d.is_empty() {
            return None;
        }
        d = split(d).0;
    }
}

/// The environment word of a tfvars stem (`dev_config`, `mgt-production`, `terraform.prod`):
/// its one word, split on `_`, `-` and `.`, that names an environment. Two different ones
/// (`prod-to-staging`) say nothing certain.
fn env_word_of_stem(stem: &str) -> Option<&str> {
    let mut words = stem.split(['_', '-', '.']).filter(|w| is_env_word(w));
    let first = words.next()?;
    let same = |w: &str| canonical_env_name(w) == canonical_env_name(first);
    words.all(same).then_some(first)
}

/// The environment a tfvars file belongs to, if its name or place says so.
fn env_of_tfvars(path: &str) -> Option<String> {
    let (dir, name) = split(path);
    let stem = tfvars_stem(name);
    if let Some(word) = env_word_of_stem(stem) {
        return Some(word.to_string());
    }
    if stem == "terraform" {
        let dir_name = split(dir).1;
        if is_env_word(dir_name) {
            return Some(dir_name.to_string());
        }
    }
    None
}

/// Environments found from tfvars file names.
fn tfvars_candidates(files: &[String]) -> Vec<Candidate> {
    let tf_dirs: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.ends_with(".tf"))
        .map(|f| split(f).0)
        .collect();
    // Per module directory, the environments' tfvars files.
    let mut modules: BTreeMap<Option<&str>, Vec<(String, &String)>> = BTreeMap::new();
    for f in files {
        let (dir, name) = split(f);
        if !is_tfvars(name) {
            continue;
        }
        let Some(env) = env_of_tfvars(f) else {
            continue;
        };
        // Beside the module, or in a vars directory (any depth of `env/<env>/`) below it.
        let module = if tf_dirs.contains(dir) {
            Some(dir)
        } else {
            let mut d = dir;
            let mut found = None;
            while !d.is_empty() {
                let (parent, last) = split(d);
                if VARS_DIRS.contains(&last) || canonical_env_name(last) == canonical_env_name(&env)
                {
                    if let Some(m) = tf_dirs.get(parent) {
                        found = Some(*m);
                        break;
                    }
                    d = parent;
                } else {
                    break;
                }
            }
            found
        };
        modules.entry(module).or_default().push((env, f));
    }
    let mut out = Vec::new();
    for (module, envs) in modules {
        let base = module.map(|m| module_base(files, m)).unwrap_or_default();
        for (env, file) in &envs {
            let (dir, _) = split(file);
            // `env/staging/main.tf` + `env/staging/terraform.tfvars`: a root module of its own.
            let own_module = module == Some(dir) && split(file).1.starts_with("terraform.tfvars");
            let mut read: Vec<String> = if own_module {
                base.iter()
                    .filter(|f| f.ends_with(".tf"))
                    .cloned()
                    .collect()
            } else {
                base.clone()
            };
            if !read.contains(file) {
                read.push((*file).clone());
            }
            let reason = match module {
                Some(m) if !own_module => format!(
                    "tfvars file `{file}` over the Terraform module `{}`",
                    if m.is_empty() { "." } else { m }
                ),
                Some(_) => format!("Terraform root module in `{dir}`, named after the environment"),
                None => format!("tfvars file `{file}` (no `.tf` files found above it)"),
            };
            out.push(Candidate::for_env(
                env.clone(),
                SourceKind::Terraform,
                read,
                reason,
            ));
        }
        if let Some(m) = module {
            if !base.is_empty()
                && !envs
                    .iter()
                    .any(|(_, f)| split(f).0 == m && split(f).1.starts_with("terraform.tfvars"))
            {
                let shown = join(m, "*.tf");
                out.push(Candidate::shared(
                    SourceKind::Terraform,
                    base.clone(),
                    format!("Terraform module `{shown}` with its defaults (no tfvars file for this environment)"),
                ));
            }
        }
    }
    out
}

/// Terraform environments: tfvars files named after them, and Terragrunt components below
/// their directories. One environment's tfvars and components are one source.
pub fn find(workspace: &Workspace, files: &[String]) -> Vec<Candidate> {
    let mut out = tfvars_candidates(files);
    for (env, components) in terragrunt_components(workspace, files) {
        let reason = format!(
            "{} Terragrunt component{} (`terragrunt.hcl` files below the `{env}` directory)",
            components.len(),
            if components.len() == 1 { "" } else { "s" }
        );
        let same_env = |c: &&mut Candidate| {
            !c.shared && canonical_env_name(&c.env) == canonical_env_name(&env)
        };
        match out.iter_mut().find(same_env) {
            Some(c) => {
                c.source.files.extend(components);
                c.source.reason = format!("{}; {reason}", c.source.reason);
            }
            None => out.push(Candidate::for_env(
                env,
                SourceKind::Terraform,
                components,
                reason,
            )),
        }
    }
    out
}

/// The environment of a Terragrunt component directory: `locals { environment }` of the nearest
/// `env.hcl` above it, else its deepest ancestor directory named as an environment (`files` is
/// sorted). `None` for
/// the environment's directory itself (a root configuration others include).
fn env_of_component(workspace: &Workspace, files: &[String], dir: &str) -> Option<String> {
    let mut d = dir;
    loop {
        let env_hcl = join(d, "env.hcl");
        if files.binary_search(&env_hcl).is_ok() {
            let stated = workspace
                .read_text(&env_hcl)
                .ok()
                .and_then(|t| crate::sources::terraform::env_of_env_hcl(&t));
            if stated.is_some() {
                return stated;
            }
        }
        if d.is_empty() {
            break;
        }
        d = split(d).0;
    }
    let segments: Vec<&str> = dir.split('/').collect();
    let (_, above) = segments.split_last()?;
    above
        .iter()
        .rev()
        .find(|s| is_env_word(s))
        .map(|s| s.to_string())
}

/// `terragrunt.hcl` files grouped by environment, in path order. One with another below it is a
/// root configuration included by those, not a component.
fn terragrunt_components(workspace: &Workspace, files: &[String]) -> BTreeMap<String, Vec<String>> {
    let configs: Vec<&String> = files
        .iter()
        .filter(|f| split(f).1 == "terragrunt.hcl")
        .collect();
    let is_root = |dir: &str| {
        configs
            .iter()
            .any(|c| split(c).0 != dir && (dir.is_empty() || c.starts_with(&format!("{dir}/"))))
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for config in &configs {
        let dir = split(config).0;
        if is_root(dir) {
            continue;
        }
        if let Some(env) = env_of_component(workspace, files, dir) {
            out.entry(env).or_default().push((*config).clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn summary(c: &[Candidate]) -> Vec<(String, bool, Vec<String>)> {
        c.iter()
            .map(|c| (c.env.clone(), c.shared, c.source.files.clone()))
            .collect()
    }

    #[test]
    fn tfvars_beside_the_module_and_shared_defaults() {
        let f = files(&[
            "terraform/main.tf",
            "terraform/staging.tfvars",
            "terraform/terraform.prod.tfvars.json",
            "terraform/terraform.tfvars",
            "terraform/variables.tf",
            "terraform/backend.tfvars",
        ]);
        let c = tfvars_candidates(&f);
        let base = [
            "terraform/main.tf",
            "terraform/variables.tf",
            "terraform/terraform.tfvars",
        ];
        let with = |x: &str| {
            base.iter()
                .map(|s| s.to_string())
                .chain([x.to_string()])
                .collect::<Vec<_>>()
        };
        assert_eq!(
            summary(&c),
            vec![
                ("staging".into(), false, with("terraform/staging.tfvars")),
                (
                    "prod".into(),
                    false,
                    with("terraform/terraform.prod.tfvars.json")
                ),
                (
                    "default".into(),
                    true,
                    base.iter().map(|s| s.to_string()).collect()
                ),
            ]
        );
    }

    #[test]
    fn env_directories() {
        let f = files(&[
            "infra/main.tf",
            "infra/env/staging/terraform.tfvars",
            "infra/envs/prod.tfvars",
            "stacks/dev/main.tf",
            "stacks/dev/terraform.tfvars",
        ]);
        let c = tfvars_candidates(&f);
        assert_eq!(
            summary(&c),
            vec![
                (
                    "staging".into(),
                    false,
                    files(&["infra/main.tf", "infra/env/staging/terraform.tfvars"])
                ),
                (
                    "prod".into(),
                    false,
                    files(&["infra/main.tf", "infra/envs/prod.tfvars"])
                ),
                ("default".into(), true, files(&["infra/main.tf"])),
                (
                    "dev".into(),
                    false,
                    files(&["stacks/dev/main.tf", "stacks/dev/terraform.tfvars"])
                ),
            ]
        );
    }

    #[test]
    fn the_environment_word_anywhere_in_the_stem() {
        let env = |p: &str| env_of_tfvars(p);
        assert_eq!(env("dev_config.tfvars").as_deref(), Some("dev"));
        assert_eq!(env("env/staging_config.tfvars").as_deref(), Some("staging"));
        assert_eq!(env("mgt-production.tfvars").as_deref(), Some("production"));
        assert_eq!(env("terraform.prod.tfvars").as_deref(), Some("prod"));
        assert_eq!(env("app.prod.prd.tfvars.json").as_deref(), Some("prod"));
        assert_eq!(env("prod-to-staging.tfvars"), None);
        assert_eq!(env("backend.tfvars"), None);
        assert_eq!(env("env/qa/terraform.tfvars").as_deref(), Some("qa"));
    }

    #[test]
    fn tfvars_in_a_variables_directory_read_the_parent_module() {
        let f = files(&[
            "main.tf",
            "variables.tf",
            "variables/mgt-production.tfvars",
            "variables/mgt-staging.tfvars",
        ]);
        let c = tfvars_candidates(&f);
        let module = ["main.tf", "variables.tf"];
        let with = |x: &str| files(&[module[0], module[1], x]);
        assert_eq!(
            summary(&c),
            vec![
                (
                    "production".into(),
                    false,
                    with("variables/mgt-production.tfvars")
                ),
                (
                    "staging".into(),
                    false,
                    with("variables/mgt-staging.tfvars")
                ),
                ("default".into(), true, files(&module)),
            ]
        );
    }

    #[test]
    fn a_bound_file_brings_its_module() {
        let f = files(&[
            "tf/main.tf",
            "tf/variables.tf",
            "tf/terraform.tfvars",
            "tf/x.tfvars",
        ]);
        assert_eq!(
            with_module(&f, &files(&["tf/x.tfvars"])),
            files(&[
                "tf/main.tf",
                "tf/variables.tf",
                "tf/terraform.tfvars",
                "tf/x.tfvars"
            ])
        );
        assert_eq!(
            with_module(&f, &files(&["tf/variables.tf"])),
            files(&["tf/main.tf", "tf/variables.tf", "tf/terraform.tfvars"])
        );
    }

    #[test]
    fn terragrunt_components_by_env_directory_or_env_hcl() {
        let dir = tempfile::tempdir().unwrap();
        let write = |f: &str, text: &str| {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // Sorted, as `walk` gives them.
        let mut f = files(&[
            "env/terragrunt.hcl",
            "env/staging/rds/terragrunt.hcl",
            "env/staging_config.tfvars",
            "env/variables.tf",
            "acct/us-east-1/blue/env.hcl",
            "acct/us-east-1/blue/vpc/terragrunt.hcl",
            "prod/us-east-1/prod/vpc/terragrunt.hcl",
        ]);
        f.sort();
        for name in &f {
            write(name, "");
        }
        write(
            "acct/us-east-1/blue/env.hcl",
            "locals {\n  environment = \"qa\"\n}\n",
        );
        let ws = Workspace::open(dir.path()).unwrap();
        let c = find(&ws, &f);
        let mut got = summary(&c);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("default".into(), true, files(&["env/variables.tf"])),
                (
                    "prod".into(),
                    false,
                    files(&["prod/us-east-1/prod/vpc/terragrunt.hcl"])
                ),
                (
                    "qa".into(),
                    false,
                    files(&["acct/us-east-1/blue/vpc/terragrunt.hcl"])
                ),
                (
                    "staging".into(),
                    false,
                    files(&[
                        "env/variables.tf",
                        "env/staging_config.tfvars",
                        "env/staging/rds/terragrunt.hcl"
                    ])
                ),
            ]
        );
    }
}
