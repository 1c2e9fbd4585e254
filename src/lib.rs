//! envparity: how staging, production and other environments differ, read from the
//! configuration itself.
//!
//! The data flows one way:
//! `discover` -> `sources` -> `model` -> `align` -> `compare` -> `report`.
//! Sources know nothing of reports; reports compute nothing.

pub mod align;
pub mod baseline;
pub mod capacity;
pub mod check;
pub mod cli;
pub mod compare;
pub mod cost;
pub mod defaults;
pub mod delta;
pub mod discover;
pub mod error;
pub mod escape;
pub mod hash;
pub mod history;
pub mod live;
pub mod memo;
pub mod model;
pub mod policy;
pub mod promote;
pub mod repo;
pub mod report;
pub mod rules;
pub mod score;
pub mod sources;
pub mod verdict;
pub mod write;
pub mod yaml;

pub use error::{Error, Result};
