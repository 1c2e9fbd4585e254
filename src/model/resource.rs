//! Infrastructure resources declared as code (Terraform `resource` blocks), with their
//! top-level attributes evaluated for one environment. The cost module prices them; nothing
//! compares them directly (their sizing attributes are settings already).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Origin;

/// One `resource "<kind>" "<name>"` block in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudResource {
    /// The resource type: `aws_instance`, `google_compute_instance`.
    pub kind: String,
    pub name: String,
    /// Where the block starts.
    pub origin: Origin,
    pub attributes: BTreeMap<String, ResourceAttribute>,
}

impl CloudResource {
    /// `aws_instance.blue`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}

/// One attribute: its value in this environment, or the expression when only Terraform can
/// compute it (resources' outputs, `terraform.workspace`, functions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceAttribute {
    pub value: AttributeValue,
    /// The expression as written (`var.instance_type`).
    pub text: String,
    /// The attribute's line.
    pub origin: Origin,
    /// Where the value was set when the expression is one variable: its tfvars line or its
    /// `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_at: Option<Origin>,
}

impl ResourceAttribute {
    /// The scalar value as text, when known.
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            AttributeValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// `t3.micro` at terraform/main.tf:27 (set at terraform/variables.tf:25): where a figure
    /// computed from it comes from.
    pub fn provenance(&self) -> String {
        match &self.set_at {
            Some(at) if *at != self.origin => format!("{}, set at {at}", self.origin),
            _ => self.origin.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "value")]
pub enum AttributeValue {
    /// A string, number or boolean, as text.
    Scalar(String),
    /// A list, set or map, by its number of elements (what `for_each` counts).
    Collection(usize),
    /// Computed from something only Terraform knows here.
    Unresolved,
    /// Computed from a `sensitive` variable: not held.
    Sensitive,
}
