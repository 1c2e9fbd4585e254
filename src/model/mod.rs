//! The environment model every source fills and every analysis reads.
//!
//! `Scan` -> `Environment` -> `Service`, with typed aspects (image, instances, resources) for the
//! numbers that are totalled and a flat map of `Setting`s for everything else. Every value carries
//! its `Origin` (file relative to the scanned root, 1-based line). Secret values are masked when a
//! source creates them (`SettingValue::Secret`): the model never holds a secret in clear, so no
//! report can print one.

pub mod image;
pub mod resource;
pub mod role;
pub mod secret;
pub mod settings;
pub mod units;

use std::collections::BTreeMap;

use std::sync::Arc;

use crate::error::Error;

use serde::Serialize;

pub use image::{ChartTag, ImageRef};
pub use resource::{AttributeValue, CloudResource, ResourceAttribute};
pub use role::Role;
pub use secret::{is_secret_key, MaskedSecret, SettingValue};
pub use settings::Settings;

/// Suffixes of a committed sample standing in for a file kept out of the repository
/// (`.env.prod-sample`, `.env.production.example`, `config/production.sample.json`).
pub const SAMPLE_SUFFIXES: &[&str] = &["-sample", ".sample", ".example", ".template", ".dist"];

/// A name without its sample suffix: `production.sample` -> `production`.
pub fn strip_sample_suffix(name: &str) -> Option<&str> {
    SAMPLE_SUFFIXES.iter().find_map(|s| {
        let cut = name.len().checked_sub(s.len())?;
        // The suffixes are ASCII: a case-insensitive byte match ends on a character boundary.
        name.as_bytes()[cut..]
            .eq_ignore_ascii_case(s.as_bytes())
            .then(|| &name[..cut])
    })
}

/// Whether a file (by its name) is a committed sample: its secrets are placeholders by design.
pub fn is_sample_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    strip_sample_suffix(name).is_some() || strip_sample_suffix(stem).is_some()
}

/// Where a value was written: a path relative to the scanned root (with `/` separators) and a
/// 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// Shared: a large file gives its name to hundreds of thousands of values.
    pub file: Arc<str>,
    pub line: u32,
}

impl Origin {
    pub fn new(file: impl AsRef<str>, line: u32) -> Self {
        Origin {
            file: shared_file_name(file.as_ref()),
            line,
        }
    }
}

/// The file name as a shared string. Sources create the origins of one file one after another,
/// so remembering the last name per thread shares it without a global table.
fn shared_file_name(file: &str) -> Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Arc<str>>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match last.as_ref() {
            Some(name) if **name == *file => Arc::clone(name),
            _ => {
                let name: Arc<str> = Arc::from(file);
                *last = Some(Arc::clone(&name));
                name
            }
        }
    })
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A typed value and where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Located<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Located { value, origin }
    }
}

/// A number a source understood the meaning of, so comparisons can compute a change
/// ("512MB" vs "4GB" is an 87.5% reduction, not just "different").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "unit", content = "amount", rename_all = "snake_case")]
pub enum Quantity {
    Number(f64),
    Bytes(u64),
    Seconds(f64),
    Millicores(u64),
}

impl Quantity {
    /// The magnitude, comparable only between quantities of the same unit.
    pub fn magnitude(&self) -> f64 {
        match *self {
            Quantity::Number(n) | Quantity::Seconds(n) => n,
            Quantity::Bytes(b) => b as f64,
            Quantity::Millicores(m) => m as f64,
        }
    }

    pub fn same_unit(&self, other: &Quantity) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One configuration value of a service or environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub value: SettingValue,
    pub origin: Origin,
    /// The number behind the text, when the source knows its unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// The value came (wholly or partly) from `${VAR}` interpolation rather than being written
    /// literally in the file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interpolated: bool,
}

impl Setting {
    /// A setting whose key and value decide whether it is secret.
    pub fn new(key: &str, text: impl Into<String>, origin: Origin) -> Self {
        let text = text.into();
        // `password: ${DB_PASSWORD:postgres}` runs with `postgres` when the variable is unset:
        // the default is what is written in the file, and it came from a placeholder.
        if let Some(default) = secret::placeholder_default(&text).filter(|_| is_secret_key(key)) {
            return Setting {
                value: SettingValue::classify_fallback(key, &text, default),
                origin,
                quantity: None,
                interpolated: true,
            };
        }
        Setting {
            value: SettingValue::classify(key, text),
            origin,
            quantity: None,
            interpolated: false,
        }
    }

    pub fn with_quantity(mut self, quantity: Option<Quantity>) -> Self {
        self.quantity = quantity;
        self
    }

    pub fn interpolated(mut self, interpolated: bool) -> Self {
        self.interpolated = interpolated;
        self
    }

    /// When `secret`, a value from a secret source (a secret variable, the process
    /// environment) went into this one: it is masked whatever its key. A value already masked
    /// (a URL whose password is masked) keeps its display.
    pub fn from_secret_source(mut self, secret: bool) -> Self {
        if let (true, SettingValue::Text(text)) = (secret, &self.value) {
            self.value =
                SettingValue::Secret(Box::new(MaskedSecret::new(text, secret::MASK.to_string())));
            self.quantity = None;
        }
        self
    }

    /// When `defaulted`, the value took in the default of a `${VAR:-default}` whose variable
    /// is unset: a secret is then a fallback (EP003's when weak; the same fallback in two
    /// environments is no reused secret).
    pub fn from_fallback(mut self, defaulted: bool) -> Self {
        if let (true, SettingValue::Secret(secret)) = (defaulted, &mut self.value) {
            secret.mark_fallback();
        }
        self
    }

    pub fn is_secret(&self) -> bool {
        self.value.is_secret()
    }

    /// The value as it may be shown anywhere: secrets are masked.
    pub fn display(&self) -> &str {
        self.value.display()
    }
}

/// CPU and memory per instance. `None` means "no limit" / "no reservation", a real state distinct
/// from zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resources {
    pub cpu_limit_millis: Option<Located<u64>>,
    pub memory_limit_bytes: Option<Located<u64>>,
    pub cpu_reservation_millis: Option<Located<u64>>,
    pub memory_reservation_bytes: Option<Located<u64>>,
}

/// How many copies of a service run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instances {
    /// Fixed count, or the minimum when autoscaled.
    pub count: u32,
    /// Upper bound when an autoscaler manages the count.
    pub autoscale_max: Option<u32>,
    /// What scales it (`HPA`), shown beside the range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<String>,
    /// Where the count was set; `None` when it is the platform default (one).
    pub origin: Option<Origin>,
}

impl Default for Instances {
    fn default() -> Self {
        Instances {
            count: 1,
            autoscale_max: None,
            autoscaler: None,
            origin: None,
        }
    }
}

/// One deployable unit in one environment, as its source declares it (one Compose service, one
/// Kubernetes workload). Alignment later groups these across and within environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// The name as declared (`web1`, `job-finder-staging`).
    pub name: String,
    pub role: Role,
    pub image: Option<Located<ImageRef>>,
    pub instances: Instances,
    pub resources: Resources,
    /// Compose profiles (or similar): a service that only runs when asked for is optional.
    pub profiles: Vec<String>,
    /// Settings by dotted key: `env.DEBUG`, `postgres.max_connections`, `healthcheck.interval`.
    pub settings: Settings,
    /// Where the service is declared.
    pub origin: Origin,
}

impl Service {
    pub fn new(name: impl Into<String>, origin: Origin) -> Self {
        Service {
            name: name.into(),
            role: Role::Other,
            image: None,
            instances: Instances::default(),
            resources: Resources::default(),
            profiles: Vec::new(),
            settings: Settings::new(),
            origin,
        }
    }

    pub fn is_optional(&self) -> bool {
        !self.profiles.is_empty()
    }

    /// Whether the service runs a container (an image, or one built from source): only those
    /// have resource limits and health checks. A Terraform or Terragrunt component, or a
    /// module's app config, does not.
    pub fn runs_container(&self) -> bool {
        self.image.is_some() || self.is_built_locally()
    }

    /// Whether the image is built from source (Compose `build`): `image` then names the build's
    /// output, not something pulled from a registry.
    pub fn is_built_locally(&self) -> bool {
        self.settings
            .keys()
            .any(|k| k == "build" || k.starts_with("build."))
    }
}

/// One environment (staging, production, ...) and what was read for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// Canonical name: `production`, `staging`, `development`, or the name as found.
    pub name: String,
    /// Files read for this environment, relative to the scanned root, in merge order.
    pub files: Vec<String>,
    pub services: Vec<Service>,
    /// Environment-wide settings (Compose top-level `networks.*`, `volumes.*`).
    pub settings: BTreeMap<String, Setting>,
    /// What could not be read: when not empty, the environment is incomplete.
    pub gaps: Vec<Gap>,
    /// Infrastructure declared as code (Terraform resources), for the cost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<CloudResource>,
}

impl Environment {
    pub fn new(name: impl Into<String>) -> Self {
        Environment {
            name: name.into(),
            files: Vec::new(),
            services: Vec::new(),
            settings: BTreeMap::new(),
            gaps: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// Whether nothing of this environment could be read: its every source failed.
    pub fn is_unread(&self) -> bool {
        self.gaps.iter().any(|g| g.extent == GapExtent::Environment)
    }

    /// Record that part of this environment could not be read. The same failure in several
    /// services (one missing `env_file` they all name) is one gap listing them.
    pub fn add_gap(&mut self, extent: GapExtent, service: Option<&str>, error: &Error) {
        let same = self.gaps.iter_mut().find(|g| {
            g.extent == extent
                && g.file == error.file
                && g.line == error.line
                && g.message == error.message
        });
        match same {
            Some(gap) => {
                if let Some(s) = service {
                    if !gap.services.iter().any(|x| x == s) {
                        gap.services.push(s.to_string());
                    }
                }
            }
            None => self.gaps.push(Gap {
                extent,
                services: service.map(str::to_string).into_iter().collect(),
                file: error.file.clone(),
                line: error.line,
                column: error.column,
                message: error.message.clone(),
            }),
        }
    }
}

/// A part of an environment that could not be read, and why. One bad file never hides the
/// rest: what could be read is compared, and the gap is shown in every output format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Gap {
    pub extent: GapExtent,
    /// The services the gap is in, when it is in some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// The file (relative to the scanned root) and line where reading failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

impl Gap {
    /// The gap as the error it came from (`file:line: message`).
    pub fn to_error(&self) -> Error {
        Error {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: self.message.clone(),
        }
    }

    /// `file:line:column`, `file:line` or the file alone, like an error.
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), Some(l), None) => format!("{f}:{l}"),
            (Some(f), None, _) => f.clone(),
            _ => String::new(),
        }
    }
}

/// How much of an environment a gap leaves unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapExtent {
    /// An optional piece a repository usually does not hold: a gitignored `env_file`, a
    /// remote Kustomize base. The rest of the service or environment was read.
    Optional,
    /// One source of the environment (a file, an overlay) could not be read; the others were.
    Source,
    /// Nothing of the environment could be read.
    Environment,
}

impl GapExtent {
    pub fn describe(self) -> &'static str {
        match self {
            GapExtent::Optional => "optional piece not read",
            GapExtent::Source => "source not read",
            GapExtent::Environment => "environment not read",
        }
    }
}

/// Something a user should know that is not an error (an ignored key, an assumption made).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub origin: Option<Origin>,
    pub message: String,
}

impl Note {
    pub fn at(origin: Origin, message: impl Into<String>) -> Self {
        Note {
            origin: Some(origin),
            message: message.into(),
        }
    }
}

/// Everything read from one repository: environments in order, lowest to highest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scan {
    pub environments: Vec<Environment>,
    /// Environments found but not read at all (every source failed), with their gaps; they
    /// take no part in the comparison.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Environment>,
    pub notes: Vec<Note>,
}

impl Scan {
    /// Every gap, with its environment's name: of the environments read, then of those not read.
    pub fn gaps(&self) -> impl Iterator<Item = (&str, &Gap)> {
        self.environments
            .iter()
            .chain(&self.unread)
            .flat_map(|e| e.gaps.iter().map(move |g| (e.name.as_str(), g)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_by_name() {
        assert!(is_sample_file(".env.prod-sample"));
        assert!(is_sample_file("deploy/.env.production.example"));
        assert!(is_sample_file("config/production.sample.json"));
        assert!(!is_sample_file("config/production.json"));
        assert!(!is_sample_file(".env.production"));
        assert_eq!(strip_sample_suffix("staging.Example"), Some("staging"));
    }
}
