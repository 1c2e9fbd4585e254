//! Terraform's HCL files read with `hcl-edit` (through `hcl-rs`): its parser keeps the byte span
//! of every attribute and block, which gives each value its line. Expressions are converted to
//! `hcl-rs` expressions so they can be evaluated per environment (`var.x`, conditionals,
//! arithmetic), with no regular expression anywhere.

use hcl::edit::structure::{Attribute, Block, BlockLabel, Body};
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate};

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::sources::lines::LineIndex;

/// Attributes of resources that size or count infrastructure: they get their own row when
/// written as anything other than a single variable.
pub const SIZING_ATTRIBUTES: &[&str] = &[
    "instance_type",
    "instance_class",
    "node_type",
    "allocated_storage",
    "max_allocated_storage",
    "multi_az",
    "backup_retention_period",
    "count",
    "desired_count",
    "desired_capacity",
    "min_size",
    "max_size",
    "num_cache_nodes",
    "cpu",
    "memory",
];

/// A `variable` block.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub default: Option<(hcl::Value, Origin)>,
    pub sensitive: bool,
    /// `type = number`: values compare as numbers.
    pub number: bool,
    pub origin: Origin,
}

/// An expression as written, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Expr {
    pub expr: hcl::Expression,
    /// The source text, shown when the expression cannot be evaluated here.
    pub text: String,
    pub origin: Origin,
}

impl Expr {
    /// The variable this expression is, when it is exactly `var.<name>`.
    pub fn single_variable(&self) -> Option<&str> {
        let hcl::Expression::Traversal(t) = &self.expr else {
            return None;
        };
        match (&t.expr, t.operators.as_slice()) {
            (hcl::Expression::Variable(root), [hcl::TraversalOperator::GetAttr(name)])
                if root.as_str() == "var" =>
            {
                Some(name.as_str())
            }
            _ => None,
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Option<hcl::Value> {
        self.expr.evaluate(ctx).ok()
    }
}

/// A sizing attribute of a resource, module or data block.
#[derive(Debug, Clone)]
pub struct Sizing {
    /// `aws_instance.web`, `module.db`.
    pub owner: String,
    pub attribute: String,
    pub value: Expr,
}

/// A `resource` block: its type, name and top-level attributes (nested blocks are not read).
#[derive(Debug, Clone)]
pub struct ResourceBlock {
    pub kind: String,
    pub name: String,
    pub origin: Origin,
    pub attributes: Vec<(String, Expr)>,
}

/// What the `.tf` files of one module declare.
#[derive(Debug, Default, Clone)]
pub struct Module {
    pub variables: Vec<Variable>,
    pub locals: Vec<(String, Expr)>,
    pub sizing: Vec<Sizing>,
    pub resources: Vec<ResourceBlock>,
}

pub(super) fn parse_body(text: &str, file: &str) -> Result<Body> {
    hcl::edit::parser::parse_body(text).map_err(|e| {
        // The error's own rendering quotes the source line; only the message and place are used.
        let loc = e.location();
        Error::at(
            file,
            u32::try_from(loc.line()).unwrap_or(u32::MAX),
            format!("HCL syntax error: {}", e.message()),
        )
        .with_column(u32::try_from(loc.column()).unwrap_or(u32::MAX))
    })
}

/// One file being read, with its lines indexed once (a tfvars file of 50,000 entries would
/// otherwise count newlines from the start for each).
struct Source<'a> {
    text: &'a str,
    file: &'a str,
    lines: LineIndex,
}

impl<'a> Source<'a> {
    fn new(text: &'a str, file: &'a str) -> Self {
        Source {
            text,
            file,
            lines: LineIndex::new(text),
        }
    }
}

fn origin_of(src: &Source, span: Option<std::ops::Range<usize>>) -> Origin {
    Origin::new(src.file, span.map_or(1, |s| src.lines.line(s.start)))
}

fn expr_of(src: &Source, attr: &Attribute) -> Expr {
    let span = attr.value.span();
    let source = span
        .clone()
        .and_then(|s| src.text.get(s))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    Expr {
        expr: attr.value.clone().into(),
        text: source,
        origin: origin_of(src, attr.span()),
    }
}

pub(super) fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.as_str(),
    }
}

/// A literal value (`default`, `sensitive`, tfvars entries): evaluated with no variables.
fn literal(src: &Source, attr: &Attribute, what: &str) -> Result<hcl::Value> {
    let expr: hcl::Expression = attr.value.clone().into();
    expr.evaluate(&Context::new()).map_err(|_| {
        let line = origin_of(src, attr.span()).line;
        Error::at(
            src.file,
            line,
            format!("{what} must be a literal value (no references or function calls)"),
        )
    })
}

/// Read one `.tf` file into `module`.
pub fn read_tf(text: &str, file: &str, module: &mut Module) -> Result<()> {
    let body = parse_body(text, file)?;
    let src = Source::new(text, file);
    for block in body.blocks() {
        match block.ident.as_str() {
            "variable" => module.variables.push(variable(&src, block)?),
            "locals" => {
                for attr in block.body.attributes() {
                    module
                        .locals
                        .push((attr.key.as_str().to_string(), expr_of(&src, attr)));
                }
            }
            kind @ ("resource" | "data" | "module") => {
                let labels: Vec<&str> = block.labels.iter().map(label).collect();
                let owner = match (kind, labels.as_slice()) {
                    ("resource", [t, n]) => format!("{t}.{n}"),
                    ("data", [t, n]) => format!("data.{t}.{n}"),
                    ("module", [n]) => format!("module.{n}"),
                    _ => continue,
                };
                for attr in block.body.attributes() {
                    let name = attr.key.as_str();
                    if SIZING_ATTRIBUTES.contains(&name) {
                        module.sizing.push(Sizing {
                            owner: owner.clone(),
                            attribute: name.to_string(),
                            value: expr_of(&src, attr),
                        });
                    }
                }
                if let ("resource", [t, n]) = (kind, labels.as_slice()) {
                    module.resources.push(ResourceBlock {
                        kind: t.to_string(),
                        name: n.to_string(),
                        origin: origin_of(&src, block.span()),
                        attributes: block
                            .body
                            .attributes()
                            .map(|a| (a.key.as_str().to_string(), expr_of(&src, a)))
                            .collect(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn variable(src: &Source, block: &Block) -> Result<Variable> {
    let origin = origin_of(src, block.span());
    let name = match block.labels.as_slice() {
        [l] => label(l).to_string(),
        _ => {
            return Err(Error::at(
                &origin.file,
                origin.line,
                "a `variable` block takes exactly one name",
            ))
        }
    };
    let mut var = Variable {
        name,
        default: None,
        sensitive: false,
        number: false,
        origin,
    };
    for attr in block.body.attributes() {
        match attr.key.as_str() {
            "default" => {
                let value = literal(src, attr, "a variable's `default`")?;
                var.default = Some((value, origin_of(src, attr.span())));
            }
            "sensitive" => {
                // Terraform converts the string `"true"` to the boolean: it is sensitive too.
                let value = literal(src, attr, "`sensitive`")?;
                var.sensitive = match value {
                    hcl::Value::Bool(b) => b,
                    hcl::Value::String(s) => s == "true",
                    _ => false,
                };
            }
            "type" => {
                let t: hcl::Expression = attr.value.clone().into();
                var.number = matches!(&t, hcl::Expression::Variable(v) if v.as_str() == "number");
            }
            _ => {}
        }
    }
    Ok(var)
}

/// Read a `.tfvars` file: `name = literal` lines.
pub fn read_tfvars(text: &str, file: &str) -> Result<Vec<(String, hcl::Value, Origin)>> {
    let body = parse_body(text, file)?;
    let src = Source::new(text, file);
    if let Some(block) = body.blocks().next() {
        let line = origin_of(&src, block.span()).line;
        return Err(Error::at(
            file,
            line,
            "a .tfvars file holds `name = value` assignments only, not blocks",
        ));
    }
    body.attributes()
        .map(|attr| {
            let name = attr.key.as_str().to_string();
            let value = literal(&src, attr, &format!("the value of `{name}`"))?;
            Ok((name, value, origin_of(&src, attr.span())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARIABLES: &str = r#"
# Inputs of the stack.
variable "instance_type" {
  description = "EC2 size"
  type        = string
  default     = "t3.micro"
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "min_size" {
  type    = number
  default = 1
}

variable "tags" {
  default = {
    Team = "platform"
    Cost = "shared" # inline comment
  }
}

variable "user_data" {
  default = <<-EOT
    #!/bin/bash
    echo "hello ${"$"}{name}"
  EOT
}

locals {
  web_count = var.min_size * 2
}

resource "aws_instance" "web" {
  count         = var.enable ? local.web_count : 0
  instance_type = var.instance_type
  tags          = var.tags
}
"#;

    #[test]
    fn variables_with_defaults_types_sensitivity_and_lines() {
        let mut m = Module::default();
        read_tf(VARIABLES, "variables.tf", &mut m).unwrap();
        let names: Vec<&str> = m.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "instance_type",
                "db_password",
                "min_size",
                "tags",
                "user_data"
            ]
        );
        let it = &m.variables[0];
        assert_eq!(it.origin.line, 3);
        let (value, at) = it.default.as_ref().unwrap();
        assert_eq!(value, &hcl::Value::from("t3.micro"));
        assert_eq!(at.line, 6);
        assert!(m.variables[1].sensitive && m.variables[1].default.is_none());
        assert!(m.variables[2].number);
        let tags = m.variables[3]
            .default
            .as_ref()
            .unwrap()
            .0
            .as_object()
            .unwrap();
        assert_eq!(tags["Cost"], hcl::Value::from("shared"));
        let heredoc = m.variables[4]
            .default
            .as_ref()
            .unwrap()
            .0
            .as_str()
            .unwrap()
            .to_string();
        assert!(heredoc.starts_with("#!/bin/bash\n"), "{heredoc:?}");
        assert_eq!(m.locals[0].0, "web_count");
        let sizing: Vec<(&str, &str, Option<&str>, u32)> = m
            .sizing
            .iter()
            .map(|s| {
                (
                    s.owner.as_str(),
                    s.attribute.as_str(),
                    s.value.single_variable(),
                    s.value.origin.line,
                )
            })
            .collect();
        assert_eq!(
            sizing,
            [
                ("aws_instance.web", "count", None, 38),
                (
                    "aws_instance.web",
                    "instance_type",
                    Some("instance_type"),
                    39
                ),
            ]
        );
        assert_eq!(m.sizing[0].value.text, "var.enable ? local.web_count : 0");
        let r = &m.resources[0];
        assert_eq!(
            (r.kind.as_str(), r.name.as_str(), r.origin.line),
            ("aws_instance", "web", 37)
        );
        let attrs: Vec<&str> = r.attributes.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(attrs, ["count", "instance_type", "tags"]);
    }

    #[test]
    fn tfvars_are_literal_assignments() {
        let vars = read_tfvars(
            "# staging\ninstance_type = \"t3.small\"\n\nmin_size = 2\nazs = [\"a\", \"b\"]\n",
            "staging.tfvars",
        )
        .unwrap();
        let summary: Vec<(&str, u32)> = vars.iter().map(|(n, _, o)| (n.as_str(), o.line)).collect();
        assert_eq!(summary, [("instance_type", 2), ("min_size", 4), ("azs", 5)]);
        let e = read_tfvars("a = var.b\n", "x.tfvars").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.tfvars:1: the value of `a` must be a literal value (no references or function calls)"
        );
        let e = read_tfvars("a = 1\nb = {\n", "x.tfvars").unwrap_err();
        assert!(e.to_string().starts_with("x.tfvars:2:"), "{e}");
        assert!(e.message.starts_with("HCL syntax error"), "{e}");
        let e = read_tfvars("a = 1\nb {\n}\n", "x.tfvars").unwrap_err();
        assert!(e.to_string().contains("not blocks"), "{e}");
    }

    #[test]
    fn sensitive_as_the_string_true_is_sensitive() {
        let mut m = Module::default();
        read_tf(
            "variable \"token\" {\n  sensitive = \"true\"\n}\nvariable \"name\" {\n  sensitive = \"false\"\n}\n",
            "variables.tf",
            &mut m,
        )
        .unwrap();
        assert!(m.variables[0].sensitive);
        assert!(!m.variables[1].sensitive);
    }

    /// Lines come from an index built once per file: 50,000 tfvars entries used to count
    /// newlines from the start for each.
    #[test]
    fn many_tfvars_are_read_in_linear_time() {
        let text: String = (0..50_000).map(|i| format!("v{i} = \"x{i}\"\n")).collect();
        let started = std::time::Instant::now();
        let vars = read_tfvars(&text, "big.tfvars").unwrap();
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
        assert_eq!(vars.len(), 50_000);
        assert_eq!(vars[49_999].2.line, 50_000);
    }
}
