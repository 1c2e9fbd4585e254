//! Terraform root modules: `variable` blocks of the `.tf` files, then the `.tfvars` files in
//! Terraform's order (`terraform.tfvars`, `*.auto.tfvars`, then the environment's own file), so
//! each variable's value in an environment is the last tfvars value, else the default.
//!
//! Settings are environment-wide (see docs/settings.md):
//! - `terraform.<variable>` for every variable (maps and lists flattened), with the origin of
//!   the line that set it. `sensitive = true` variables are masked whatever their name.
//! - `terraform.<type>.<name>.<attribute>` for sizing attributes of resources and modules
//!   (`instance_type`, `count`, `allocated_storage`, ...) computed from variables or written
//!   literally. One set from a single variable (`instance_type = var.instance_type`) is that
//!   variable's row already and gets no second one.

mod hcl;
mod terragrunt;

use std::collections::BTreeMap;

use ::hcl::eval::Context;

use crate::error::{Error, Result};
use crate::model::{
    AttributeValue, CloudResource, Environment, GapExtent, MaskedSecret, Note, Origin, Quantity,
    ResourceAttribute, Setting, SettingValue,
};
use crate::sources::Workspace;
use crate::yaml;

pub use self::hcl::SIZING_ATTRIBUTES;
pub use self::terragrunt::env_of_env_hcl;

/// Read one environment's Terraform files (`.tf` first, then `.tfvars` in precedence order).
pub fn load(
    workspace: &Workspace,
    files: &[String],
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let mut module = hcl::Module::default();
    let mut assigned: Vec<(String, ::hcl::Value, Origin)> = Vec::new();
    for file in files {
        // One file that cannot be read is a gap; the module's other files still are.
        let result = if file.ends_with(".hcl") {
            terragrunt::load_component(workspace, file, environment, notes)
        } else {
            read_file(workspace, file, &mut module, &mut assigned)
        };
        if let Err(e) = result {
            environment.add_gap(GapExtent::Source, None, &e);
        }
    }

    // Each variable's value: the default, replaced by every later tfvars assignment.
    let mut values: BTreeMap<String, (::hcl::Value, Origin)> = BTreeMap::new();
    for v in &module.variables {
        if let Some(default) = &v.default {
            values.insert(v.name.clone(), default.clone());
        }
    }
    for (name, value, origin) in assigned {
        if !module.variables.iter().any(|v| v.name == name) && !module.variables.is_empty() {
            notes.push(Note::at(
                origin.clone(),
                format!("`{name}` is assigned but no `variable \"{name}\"` block declares it"),
            ));
        }
        values.insert(name, (value, origin));
    }

    let sensitive = |name: &str| {
        module
            .variables
            .iter()
            .any(|v| v.name == name && v.sensitive)
    };
    let is_number = |name: &str| module.variables.iter().any(|v| v.name == name && v.number);
    // A required input with no value here is unset, not empty: it gets no setting, so it is
    // never "the same" as another environment's unset input, and a value set elsewhere shows
    // as missing here.
    for v in &module.variables {
        if !values.contains_key(&v.name) {
            notes.push(Note::at(
                v.origin.clone(),
                format!(
                    "Terraform variable `{}` has no default and no value in the tfvars files read: unset (required input, given at apply time), so not compared",
                    v.name
                ),
            ));
        }
    }
    for (name, (value, origin)) in &values {
        let key = format!("terraform.{name}");
        flatten(
            &key,
            value,
            origin,
            sensitive(name),
            is_number(name),
            &mut environment.settings,
        );
        if is_declared_default(&module.variables, name, origin) {
            mark_input_default(&key, &mut environment.settings);
        }
    }

    // Sizing attributes computed from variables and locals.
    let ctx = context(&values, &module);
    for s in &module.sizing {
        if s.value.single_variable().is_some() {
            continue;
        }
        let key = format!("terraform.{}.{}", s.owner, s.attribute);
        let uses_sensitive = module
            .variables
            .iter()
            .any(|v| v.sensitive && s.value.text.contains(&format!("var.{}", v.name)));
        match s.value.evaluate(&ctx) {
            Some(value) => flatten(
                &key,
                &value,
                &s.value.origin,
                uses_sensitive,
                false,
                &mut environment.settings,
            ),
            None => {
                // References Terraform only knows at plan time (resources, workspace, functions):
                // the expression itself is what can be compared.
                let setting = Setting::new(&key, s.value.text.clone(), s.value.origin.clone());
                environment.settings.insert(key, setting);
            }
        }
    }
    environment.resources.extend(
        module
            .resources
            .iter()
            .map(|r| resource(r, &ctx, &values, &module)),
    );
    Ok(())
}

/// A resource block evaluated for this environment.
fn resource(
    block: &hcl::ResourceBlock,
    ctx: &Context,
    values: &BTreeMap<String, (::hcl::Value, Origin)>,
    module: &hcl::Module,
) -> CloudResource {
    use ::hcl::Value as V;
    let attributes = block
        .attributes
        .iter()
        .map(|(name, expr)| {
            let sensitive = module
                .variables
                .iter()
                .any(|v| v.sensitive && expr.text.contains(&format!("var.{}", v.name)));
            let value = match expr.evaluate(ctx) {
                _ if sensitive => AttributeValue::Sensitive,
                Some(V::String(s)) => AttributeValue::Scalar(s),
                Some(V::Number(n)) => AttributeValue::Scalar(n.to_string()),
                Some(V::Bool(b)) => AttributeValue::Scalar(b.to_string()),
                Some(V::Array(items)) => AttributeValue::Collection(items.len()),
                Some(V::Object(map)) => AttributeValue::Collection(map.len()),
                Some(V::Null) | None => AttributeValue::Unresolved,
            };
            let set_at = expr
                .single_variable()
                .and_then(|v| values.get(v))
                .map(|(_, origin)| origin.clone());
            let attribute = ResourceAttribute {
                value,
                text: expr.text.clone(),
                origin: expr.origin.clone(),
                set_at,
            };
            (name.clone(), attribute)
        })
        .collect();
    CloudResource {
        kind: block.kind.clone(),
        name: block.name.clone(),
        origin: block.origin.clone(),
        attributes,
    }
}

/// Read one `.tf` file into `module`, or one tfvars file's assignments into `assigned`.
fn read_file(
    workspace: &Workspace,
    file: &str,
    module: &mut hcl::Module,
    assigned: &mut Vec<(String, ::hcl::Value, Origin)>,
) -> Result<()> {
    let text = workspace.read_text(file)?;
    if file.ends_with(".tfvars.json") {
        assigned.extend(read_tfvars_json(workspace, &text, file)?);
    } else if file.ends_with(".tfvars") {
        assigned.extend(hcl::read_tfvars(&text, file)?);
    } else {
        hcl::read_tf(&text, file, module)?;
    }
    Ok(())
}

/// An evaluation context with `var.*` and the `local.*` values that can be computed from them.
fn context(
    values: &BTreeMap<String, (::hcl::Value, Origin)>,
    module: &hcl::Module,
) -> Context<'static> {
    let vars: ::hcl::Map<String, ::hcl::Value> = values
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect();
    let mut locals: ::hcl::Map<String, ::hcl::Value> = ::hcl::Map::new();
    // Locals may refer to each other in any order: evaluate in passes until nothing changes.
    for _ in 0..=module.locals.len() {
        let mut ctx = Context::new();
        ctx.declare_var("var", ::hcl::Value::Object(vars.clone()));
        ctx.declare_var("local", ::hcl::Value::Object(locals.clone()));
        let mut progressed = false;
        for (name, expr) in &module.locals {
            if locals.contains_key(name) {
                continue;
            }
            if let Some(v) = expr.evaluate(&ctx) {
                locals.insert(name.clone(), v);
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    let mut ctx = Context::new();
    ctx.declare_var("var", ::hcl::Value::Object(vars));
    ctx.declare_var("local", ::hcl::Value::Object(locals));
    ctx
}

/// Whether `origin` is where the variable `name` declares its `default` (no tfvars or input
/// replaced it).
pub(super) fn is_declared_default(
    variables: &[hcl::Variable],
    name: &str,
    origin: &Origin,
) -> bool {
    variables
        .iter()
        .find(|v| v.name == name)
        .and_then(|v| v.default.as_ref())
        .is_some_and(|(_, at)| at == origin)
}

/// Mark the secrets set from a variable's declared default (the setting `key` and the keys
/// flattened below it) as an input's default, not the environment's own value.
pub(super) fn mark_input_default(key: &str, out: &mut BTreeMap<String, Setting>) {
    for (k, setting) in out.range_mut(key.to_string()..) {
        if !k.starts_with(key) {
            break;
        }
        let below = &k[key.len()..];
        if below.is_empty() || below.starts_with('.') || below.starts_with('[') {
            if let SettingValue::Secret(secret) = &mut setting.value {
                secret.mark_input_default();
            }
        }
    }
}

/// One value as settings: scalars as text, lists of scalars joined with `, `, maps and other
/// lists flattened into dotted and indexed keys.
fn flatten(
    key: &str,
    value: &::hcl::Value,
    origin: &Origin,
    sensitive: bool,
    number: bool,
    out: &mut BTreeMap<String, Setting>,
) {
    use ::hcl::Value as V;
    let scalar = |v: &V| -> Option<String> {
        match v {
            V::Null => Some(String::new()),
            V::Bool(b) => Some(b.to_string()),
            V::Number(n) => Some(n.to_string()),
            V::String(s) => Some(s.clone()),
            _ => None,
        }
    };
    let text = match value {
        V::Array(items) if items.iter().all(|i| scalar(i).is_some()) => Some(
            items
                .iter()
                .filter_map(scalar)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        V::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{key}[{i}]"), item, origin, sensitive, false, out);
            }
            None
        }
        V::Object(map) => {
            if map.is_empty() {
                Some(String::new())
            } else {
                for (k, v) in map {
                    flatten(&format!("{key}.{k}"), v, origin, sensitive, false, out);
                }
                None
            }
        }
        v => scalar(v),
    };
    let Some(text) = text else { return };
    let quantity = match value {
        V::Number(n) => n.as_f64().map(Quantity::Number),
        V::String(s) if number => crate::sources::units::parse_number(s).map(Quantity::Number),
        _ => None,
    };
    let setting = if sensitive && !text.is_empty() {
        // `sensitive = true`: masked even when the name and the value look innocent.
        Setting {
            value: SettingValue::Secret(Box::new(MaskedSecret::new(
                &text,
                crate::model::secret::MASK.to_string(),
            ))),
            ..Setting::new(key, "", origin.clone())
        }
    } else {
        let s = Setting::new(key, text, origin.clone());
        if s.is_secret() {
            s
        } else {
            s.with_quantity(quantity)
        }
    };
    out.insert(key.to_string(), setting);
}

/// `*.tfvars.json`: a JSON object of variable values. JSON is read with the YAML reader (YAML
/// 1.2 is a superset of JSON) for its line numbers.
fn read_tfvars_json(
    workspace: &Workspace,
    text: &str,
    file: &str,
) -> Result<Vec<(String, ::hcl::Value, Origin)>> {
    let doc = workspace.yaml_document(text, file)?;
    let Some(map) = doc.as_map() else {
        return Err(Error::at(
            file,
            doc.line,
            format!(
                "a .tfvars.json file must be a JSON object, found {}",
                doc.kind_name()
            ),
        ));
    };
    Ok(map
        .iter()
        .map(|(k, key, v)| (k.to_string(), json_value(v), Origin::new(file, key.line)))
        .collect())
}

fn json_value(node: &yaml::Node) -> ::hcl::Value {
    use ::hcl::Value as V;
    match &node.value {
        yaml::Value::Null => V::Null,
        yaml::Value::Scalar(s) if s.quoted => V::String(s.text.clone()),
        yaml::Value::Scalar(s) => match s.text.as_str() {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            "null" => V::Null,
            t => match t.parse::<i64>() {
                Ok(i) => V::Number(i.into()),
                Err(_) => t
                    .parse::<f64>()
                    .ok()
                    .and_then(::hcl::Number::from_f64)
                    .map_or_else(|| V::String(t.to_string()), V::Number),
            },
        },
        yaml::Value::Seq(items) => V::Array(items.iter().map(json_value).collect()),
        yaml::Value::Map(m) => V::Object(
            m.iter()
                .map(|(k, _, v)| (k.to_string(), json_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(files: &[(&str, &str)], read: &[&str]) -> Result<(Environment, Vec<Note>)> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        let mut env = Environment::new("staging");
        let mut notes = Vec::new();
        let files: Vec<String> = read.iter().map(|s| s.to_string()).collect();
        load(&ws, &files, &mut env, &mut notes)?;
        Ok((env, notes))
    }

    /// What `env_of` read, with its first gap as the error.
    fn read_whole(files: &[(&str, &str)], read: &[&str]) -> Result<(Environment, Vec<Note>)> {
        let (env, notes) = env_of(files, read)?;
        match env.gaps.first() {
            Some(gap) => Err(gap.to_error()),
            None => Ok((env, notes)),
        }
    }

    const TF: &str = r#"
variable "instance_type" {
  default = "t3.micro"
}
variable "enable_domain" {
  type    = bool
  default = true
}
variable "db_name" {
  default   = "app"
  sensitive = true
}
variable "db_password" {
  type      = string
  sensitive = true
}
resource "aws_instance" "web" {
  instance_type = var.instance_type
}
resource "aws_acm_certificate" "main" {
  count = var.enable_domain ? 1 : 0
}
resource "aws_db_instance" "db" {
  allocated_storage = 20
  multi_az          = terraform.workspace == "default"
}
"#;

    #[test]
    fn tfvars_override_defaults_with_provenance() {
        let (env, notes) = env_of(
            &[
                ("tf/variables.tf", TF),
                (
                    "tf/staging.tfvars",
                    "instance_type = \"t3.small\"\nenable_domain = false\nunknown = 1\n",
                ),
            ],
            &["tf/variables.tf", "tf/staging.tfvars"],
        )
        .unwrap();
        let s = |k: &str| {
            let st = env
                .settings
                .get(k)
                .unwrap_or_else(|| panic!("no {k}: {:?}", env.settings.keys()));
            (st.display().to_string(), st.origin.to_string())
        };
        assert_eq!(
            s("terraform.instance_type"),
            ("t3.small".into(), "tf/staging.tfvars:1".into())
        );
        assert_eq!(
            s("terraform.enable_domain"),
            ("false".into(), "tf/staging.tfvars:2".into())
        );
        assert_eq!(
            s("terraform.aws_acm_certificate.main.count"),
            ("0".into(), "tf/variables.tf:21".into())
        );
        assert_eq!(
            env.settings["terraform.aws_acm_certificate.main.count"].quantity,
            Some(Quantity::Number(0.0))
        );
        assert_eq!(s("terraform.aws_db_instance.db.allocated_storage").0, "20");
        assert_eq!(
            s("terraform.aws_db_instance.db.multi_az").0,
            "terraform.workspace == \"default\"",
            "what only Terraform knows is shown as written"
        );
        assert!(!env
            .settings
            .contains_key("terraform.aws_instance.web.instance_type"));
        // Sensitive: masked although `db_name` and `app` look innocent.
        assert!(env.settings["terraform.db_name"].is_secret());
        // Unset (required input): no setting, so never "the same" as another environment's.
        assert!(!env.settings.contains_key("terraform.db_password"));
        let messages: Vec<&str> = notes.iter().map(|n| n.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("`unknown` is assigned")),
            "{messages:?}"
        );
        assert!(messages
            .iter()
            .any(|m| m.contains("`db_password` has no default")));
        // Resources with their attributes evaluated here, for the cost.
        let web = env.resources.iter().find(|r| r.name == "web").unwrap();
        let it = &web.attributes["instance_type"];
        assert_eq!(it.scalar(), Some("t3.small"));
        assert_eq!(it.origin.to_string(), "tf/variables.tf:18");
        assert_eq!(
            it.set_at.as_ref().unwrap().to_string(),
            "tf/staging.tfvars:1"
        );
        let db = env.resources.iter().find(|r| r.name == "db").unwrap();
        assert_eq!(db.attributes["allocated_storage"].scalar(), Some("20"));
        assert_eq!(db.attributes["multi_az"].value, AttributeValue::Unresolved);
        let cert = env
            .resources
            .iter()
            .find(|r| r.kind == "aws_acm_certificate")
            .unwrap();
        assert_eq!(cert.attributes["count"].scalar(), Some("0"));
    }

    #[test]
    fn resources_count_for_each_and_keep_sensitive_values_out() {
        let tf = "variable \"size\" {\n  default   = \"t3.micro\"\n  sensitive = true\n}\nvariable \"zones\" {\n  default = [\"a\", \"b\", \"c\"]\n}\nresource \"aws_instance\" \"x\" {\n  for_each      = toset(var.zones)\n  instance_type = var.size\n}\n";
        let (env, _) = env_of(&[("main.tf", tf)], &["main.tf"]).unwrap();
        let x = &env.resources[0];
        assert_eq!(x.address(), "aws_instance.x");
        assert_eq!(
            x.attributes["instance_type"].value,
            AttributeValue::Sensitive
        );
        // `toset` is a function the evaluator lacks: left to Terraform, said so by the cost.
        assert_eq!(x.attributes["for_each"].value, AttributeValue::Unresolved);
        let tf = "variable \"zones\" {\n  default = {a = 1, b = 2}\n}\nresource \"aws_nat_gateway\" \"n\" {\n  for_each = var.zones\n}\n";
        let (env, _) = env_of(&[("main.tf", tf)], &["main.tf"]).unwrap();
        assert_eq!(
            env.resources[0].attributes["for_each"].value,
            AttributeValue::Collection(2)
        );
    }

    #[test]
    fn tfvars_json_and_defaults_alone() {
        let (env, _) = env_of(
            &[
                ("variables.tf", TF),
                (
                    "prod.tfvars.json",
                    "{\n  \"instance_type\": \"m5.large\",\n  \"tags\": {\"a\": 1}\n}\n",
                ),
            ],
            &["variables.tf", "prod.tfvars.json"],
        )
        .unwrap();
        assert_eq!(
            env.settings["terraform.instance_type"].display(),
            "m5.large"
        );
        assert_eq!(env.settings["terraform.instance_type"].origin.line, 2);
        assert_eq!(
            env.settings["terraform.tags.a"].quantity,
            Some(Quantity::Number(1.0))
        );
        assert_eq!(
            env.settings["terraform.aws_acm_certificate.main.count"].display(),
            "1"
        );
    }

    #[test]
    fn syntax_errors_and_deep_nesting() {
        let e = read_whole(
            &[("main.tf", "variable \"a\" {\n  default = \n}\n")],
            &["main.tf"],
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("main.tf:2:13: HCL syntax error"),
            "{e}"
        );
        let nested = format!("a = {}1{}\n", "[".repeat(60), "]".repeat(60));
        let (env, _) = read_whole(&[("x.tfvars", &nested)], &["x.tfvars"]).unwrap();
        assert!(env
            .settings
            .keys()
            .next()
            .unwrap()
            .starts_with("terraform.a[0]"));
        // hcl-edit caps nesting (64 levels) before its recursive parser could overflow.
        let deep = format!("a = {}\n", "[".repeat(5000));
        let e = read_whole(&[("x.tfvars", &deep)], &["x.tfvars"]).unwrap_err();
        assert!(e.message.contains("nesting depth"), "{e}");
        let e =
            read_whole(&[("x.tfvars.json", "{\"a\": [1, 2}\n")], &["x.tfvars.json"]).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("x.tfvars.json"));
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn a_broken_file_is_a_gap_and_the_others_are_read() {
        let (env, notes) = env_of(
            &[
                ("variables.tf", TF),
                ("broken.tf", "resource \"a\" \"b\" {\n  count = \n}\n"),
                ("staging.tfvars", "instance_type = \"t3.large\"\n"),
            ],
            &["variables.tf", "broken.tf", "staging.tfvars"],
        )
        .unwrap();
        assert_eq!(
            env.settings["terraform.instance_type"].display(),
            "t3.large"
        );
        let gaps: Vec<(GapExtent, String)> =
            env.gaps.iter().map(|g| (g.extent, g.location())).collect();
        assert_eq!(gaps, [(GapExtent::Source, "broken.tf:2:11".to_string())]);
        assert!(env.gaps[0].message.starts_with("HCL syntax error"));
        assert!(!notes.iter().any(|n| n.message.contains("instance_type")));
    }
}
