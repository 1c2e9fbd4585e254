//! Monthly cost (issue 13, item 3). So far: the dated price catalog compiled into the binary
//! (`data/prices.toml`) and monthly prices looked up from it. Quantities (Terraform resources,
//! container limits, `[cost] hosts` in the policy) and the reports' Cost section are not built
//! yet; see docs/capacity-and-cost.md.

pub mod catalog;

pub use catalog::{Catalog, InstanceType};
