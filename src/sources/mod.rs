//! Readers of configuration formats, each turning files into the model.
//!
//! Sources only read: every file goes through `Workspace`, which keeps reads inside the scanned
//! root, bounds their size and names the file in every error. Sources know nothing of reports.

pub mod appconfig;
pub mod attach;
pub mod budget;
pub mod command;
pub mod compose;
pub mod dotenv;
pub mod envfiles;
pub mod kubernetes;
pub mod lines;
pub mod mounts;
pub mod nginx;
pub mod read;
pub mod serverconf;
pub mod terraform;
pub mod tree;
pub mod units;

use crate::hash::HashMap;
use std::any::{Any, TypeId};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use budget::{Budget, BudgetLimits, Resource};

use crate::discover::{Plan, SourceKind};
use crate::error::{Error, Result};
use crate::model::{Environment, GapExtent, Note, Origin, Scan};

/// Default largest file read: configuration files are small; anything bigger is a mistake or an
/// attack on the CI runner.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The scanned repository, read-only.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    canonical_root: PathBuf,
    pub max_file_bytes: u64,
    /// What the whole run may read and build (see `budget`).
    pub budget: Arc<Budget>,
    /// Interpolation may read the process environment (`--env-from-process`); off by default.
    pub env_from_process: bool,
    /// What interpolation has produced in this run, against its cap.
    pub expansion: Arc<compose::interpolate::ExpansionBudget>,
    parsed: Arc<Mutex<ParsedFiles>>,
}

/// Files parsed once for every environment that reads them (a Compose base, a Kustomize base):
/// per file and result type, the parse result, computed by the first reader (or a prefetch)
/// while the others wait for it, and dropped after the last expected reader.
#[derive(Debug, Default)]
struct ParsedFiles {
    entries: HashMap<(PathBuf, TypeId), SharedParse>,
    /// Readers expected for a file the plan does not list (a Kustomize base's manifest): the
    /// number of environments.
    readers: usize,
    /// Readers expected for each file the plan lists: the environments listing it.
    planned: HashMap<PathBuf, usize>,
}

#[derive(Debug)]
struct SharedParse {
    result: Arc<OnceLock<Result<Arc<dyn Any + Send + Sync>>>>,
    reads_left: usize,
}

impl ParsedFiles {
    fn expected_readers(&self, path: &Path) -> usize {
        self.planned.get(path).copied().unwrap_or(self.readers)
    }
}

impl Workspace {
    pub fn open(root: &Path) -> Result<Self> {
        let canonical_root = root.canonicalize().map_err(|e| {
            Error::in_file(
                root.display().to_string(),
                format!("cannot open directory: {e}"),
            )
        })?;
        if !canonical_root.is_dir() {
            return Err(Error::in_file(
                root.display().to_string(),
                "is not a directory (give the repository's root directory)",
            ));
        }
        Ok(Workspace {
            root: root.to_path_buf(),
            canonical_root,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            budget: Arc::default(),
            env_from_process: false,
            expansion: Arc::default(),
            parsed: Arc::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `relative` (a path relative to the root, `/`-separated) to a file inside the
    /// root. Rejects absolute paths, `..` escapes and symlinks pointing outside.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf> {
        self.locate(relative)?
            .ok_or_else(|| Error::in_file(relative, "file not found"))
    }

    /// Like `resolve`, but a path that does not exist is `Ok(None)`: absent is not refused.
    pub fn locate(&self, relative: &str) -> Result<Option<PathBuf>> {
        let rel = Path::new(relative);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(Error::in_file(
                relative,
                "absolute paths are not read; give a path inside the scanned directory",
            ));
        }
        let joined = self.canonical_root.join(rel);
        let canonical = match joined.canonicalize() {
            Ok(c) => c,
            // A dangling symlink is absent too, unless it points outside the root.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match std::fs::read_link(&joined) {
                    Ok(target) if !joined.parent().unwrap_or(&joined).join(&target).starts_with(&self.canonical_root) => Err(
                        Error::in_file(relative, "points outside the scanned directory; envparity reads nothing outside it"),
                    ),
                    _ => Ok(None),
                };
            }
            Err(e) => return Err(Error::in_file(relative, format!("cannot read: {e}"))),
        };
        if !canonical.starts_with(&self.canonical_root) {
            return Err(Error::in_file(
                relative,
                "points outside the scanned directory; envparity reads nothing outside it",
            ));
        }
        Ok(Some(canonical))
    }

    /// Read a UTF-8 text file inside the root.
    pub fn read_text(&self, relative: &str) -> Result<String> {
        self.read_resolved(&self.resolve(relative)?, relative)
    }

    /// `read_text` of a path already resolved from `relative` (named in errors). Every file
    /// envparity reads inside the root comes through here: only regular files, bounded, charged
    /// to the run budget.
    fn read_resolved(&self, path: &Path, relative: &str) -> Result<String> {
        let bytes = read::read_bounded(path, relative, self.max_file_bytes)?;
        self.budget
            .charge(Resource::BytesRead, relative, bytes.len() as u64)?;
        if bytes.contains(&0) {
            return Err(Error::in_file(
                relative,
                "is a binary file (contains NUL bytes), expected text",
            ));
        }
        String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32;
            Error::at(relative, line, "is not valid UTF-8 text")
        })
    }

    /// Read a text file and parse it with `parse`, once per run: environments sharing the file
    /// share the result (and its error). `parse` must not use rayon: a worker waiting here for
    /// another's parse must not be handed the same file's parse to run.
    pub fn read_parsed<T: Any + Send + Sync>(
        &self,
        relative: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<Arc<T>> {
        let path = self.resolve(relative)?;
        let cell = {
            let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
            let expected = parsed.expected_readers(&path);
            let key = (path.clone(), TypeId::of::<T>());
            match parsed.entries.get_mut(&key) {
                Some(entry) => {
                    entry.reads_left = entry.reads_left.saturating_sub(1);
                    let cell = Arc::clone(&entry.result);
                    if entry.reads_left == 0 {
                        parsed.entries.remove(&key);
                    }
                    cell
                }
                // The only reader: nothing to keep.
                None if expected < 2 => {
                    drop(parsed);
                    return self
                        .read_resolved(&path, relative)
                        .and_then(|t| parse(&t))
                        .map(Arc::new);
                }
                None => {
                    let result = Arc::<OnceLock<_>>::default();
                    parsed.entries.insert(
                        key,
                        SharedParse {
                            result: Arc::clone(&result),
                            reads_left: expected - 1,
                        },
                    );
                    result
                }
            }
        };
        Self::parsed_result(relative, self.parse_once(&cell, &path, relative, parse))
    }

    /// Parse a file the plan lists before its environments are read, so that files are parsed
    /// on every core at once; the result waits for its readers. Errors wait too: each reader
    /// reports it where it would have found it.
    pub fn prefetch_parsed<T: Any + Send + Sync>(
        &self,
        relative: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) {
        let Ok(path) = self.resolve(relative) else {
            return;
        };
        let cell = self.waiting_cell::<T>(&path, |parsed| parsed.expected_readers(&path));
        self.parse_once(&cell, &path, relative, parse);
    }

    /// Parse a file for discovery, before there is a plan, and keep the result for the
    /// environments that will read it: `share_parsed` then sets how many readers take it (and
    /// drops it if the plan does not list it), so a file discovery looked at is parsed once.
    pub fn read_parsed_before_plan<T: Any + Send + Sync>(
        &self,
        relative: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<Arc<T>> {
        let path = self.resolve(relative)?;
        let cell = self.waiting_cell::<T>(&path, |_| usize::MAX);
        Self::parsed_result(relative, self.parse_once(&cell, &path, relative, parse))
    }

    /// The cell a parse of `path` is kept in until its readers take it: the existing one, or a
    /// new one waiting for `reads_left` readers.
    fn waiting_cell<T: Any>(
        &self,
        path: &Path,
        reads_left: impl FnOnce(&ParsedFiles) -> usize,
    ) -> Arc<OnceLock<Result<Arc<dyn Any + Send + Sync>>>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let reads_left = reads_left(&parsed);
        let entry = parsed
            .entries
            .entry((path.to_path_buf(), TypeId::of::<T>()))
            .or_insert_with(|| SharedParse {
                result: Arc::default(),
                reads_left,
            });
        Arc::clone(&entry.result)
    }

    fn parse_once<'c, T: Any + Send + Sync>(
        &self,
        cell: &'c OnceLock<Result<Arc<dyn Any + Send + Sync>>>,
        path: &Path,
        relative: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> &'c Result<Arc<dyn Any + Send + Sync>> {
        cell.get_or_init(|| {
            self.read_resolved(path, relative)
                .and_then(|text| parse(&text))
                .map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>)
        })
    }

    fn parsed_result<T: Any + Send + Sync>(
        relative: &str,
        result: &Result<Arc<dyn Any + Send + Sync>>,
    ) -> Result<Arc<T>> {
        match result {
            Ok(any) => Arc::clone(any).downcast::<T>().map_err(|_| {
                Error::in_file(relative, "internal error: parsed file of another type")
            }),
            Err(e) => Err(e.clone()),
        }
    }

    /// Share parsed files between the environments of `plan` while they are read.
    fn share_parsed(&self, plan: &Plan) {
        let mut planned: HashMap<PathBuf, usize> = HashMap::default();
        for env in &plan.environments {
            for file in env.files() {
                if let Ok(path) = self.resolve(&file) {
                    *planned.entry(path).or_default() += 1;
                }
            }
        }
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        // What discovery parsed waits for the environments listing it, and no longer than that.
        parsed.entries.retain(|(path, _), entry| {
            entry.reads_left = planned.get(path).copied().unwrap_or(0);
            entry.reads_left > 0
        });
        parsed.readers = plan.environments.len();
        parsed.planned = planned;
    }

    /// Drop what was kept for sharing, once every environment is read.
    fn forget_parsed(&self) {
        *self.parsed.lock().unwrap_or_else(|e| e.into_inner()) = ParsedFiles::default();
    }

    /// The names of the files directly inside a directory of the root, sorted. Used for
    /// `include dir/*.conf`: entries that resolve outside the root are left out.
    pub fn list_dir(&self, relative: &str) -> Result<Vec<String>> {
        let dir = if relative.is_empty() {
            self.canonical_root.clone()
        } else {
            self.resolve(relative)?
        };
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::in_file(relative, format!("cannot list the directory: {e}")))?;
        let mut names = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if relative.is_empty() {
                name.clone()
            } else {
                format!("{}/{name}", relative.trim_end_matches('/'))
            };
            if self.is_file(&rel) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a relative path names an existing file inside the root.
    pub fn is_file(&self, relative: &str) -> bool {
        self.resolve(relative).map(|p| p.is_file()).unwrap_or(false)
    }

    /// Every YAML document of `text` (read from `file`), its nodes and alias copies charged to
    /// the run budget: one file's limit is lowered to what the run has left.
    pub fn yaml_documents(&self, text: &str, file: &str) -> Result<Vec<crate::yaml::Node>> {
        let mut limits = crate::yaml::Limits::for_file_size(self.max_file_bytes);
        let left = self.budget.remaining(Resource::YamlNodes);
        let lowered = left < limits.max_nodes as u64;
        if lowered {
            limits.max_nodes = left as usize;
        }
        let (docs, usage) =
            crate::yaml::parse_documents_with_usage(text, file, limits).map_err(|e| {
                if lowered && e.message.contains(" nodes") {
                    // The file is within its own limit: the run's total is what ran out.
                    self.budget.exceeded(Resource::YamlNodes, file)
                } else {
                    e
                }
            })?;
        self.budget.charge(Resource::YamlNodes, file, usage.nodes)?;
        self.budget
            .charge(Resource::ExpandedBytes, file, usage.copied_bytes)?;
        Ok(docs)
    }

    /// The first YAML document of `text`, as `yaml_documents`; an empty stream is Null.
    pub fn yaml_document(&self, text: &str, file: &str) -> Result<crate::yaml::Node> {
        Ok(self
            .yaml_documents(text, file)?
            .into_iter()
            .next()
            .unwrap_or_else(|| crate::yaml::Node::null(1, 1)))
    }

    /// Charges `count` rendered objects (Kustomize resources, Compose services after `extends`,
    /// included files) to the run budget, for `file`.
    pub fn charge_rendered(&self, file: &str, count: u64) -> Result<()> {
        self.budget.charge(Resource::Rendered, file, count)
    }
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    u32::try_from(newlines)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// Join a file's directory and a path written inside it (`./nginx/a.conf` from
/// `deploy/docker-compose.yml`), normalising `.` and `..` lexically. `None` if it leaves the root,
/// or is absolute (never read as if it were relative: see `outside`).
pub fn join_relative(base_file: &str, written: &str) -> Option<String> {
    if written.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base_file.split('/').collect();
    parts.pop();
    for part in written.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Why a written path `join_relative` refused is not read, for the error at its line.
pub fn outside(written: &str) -> &'static str {
    if written.starts_with('/') {
        "is an absolute path outside the scanned directory; envparity reads nothing outside it"
    } else {
        "is outside the scanned directory; envparity reads nothing outside it"
    }
}

/// Read every environment of a plan into the model.
///
/// Environments are read in parallel (each on its own thread when cores allow); results and
/// notes are taken in plan order, so output never depends on thread scheduling. A source that
/// cannot be read leaves a gap in its environment and the rest is still read; only a scan that
/// read nothing at all is an error (the first environment's first failure).
pub fn load(workspace: &Workspace, plan: &Plan) -> Result<Scan> {
    use rayon::prelude::*;
    let env_names: Vec<String> = plan.environments.iter().map(|e| e.name.clone()).collect();
    workspace.share_parsed(plan);
    prefetch(workspace, plan);
    let loaded: Vec<(Environment, Vec<Note>, Option<Error>)> = plan
        .environments
        .par_iter()
        .map(|env| {
            let mut notes = Vec::new();
            let (environment, first_error) =
                load_environment(workspace, env, &env_names, &mut notes);
            (environment, notes, first_error)
        })
        .collect();
    workspace.forget_parsed();
    let mut notes: Vec<Note> = plan.notes.clone();
    let mut environments = Vec::with_capacity(plan.environments.len());
    let mut unread = Vec::new();
    let mut first_error = None;
    for (environment, env_notes, error) in loaded {
        notes.extend(env_notes);
        if environment.is_unread() {
            first_error = first_error.or(error);
            unread.push(environment);
        } else {
            environments.push(environment);
        }
    }
    if environments.is_empty() && !unread.is_empty() {
        return Err(first_error.unwrap_or_else(|| Error::msg("no environment could be read")));
    }
    notes.sort();
    notes.dedup();
    Ok(Scan {
        environments,
        unread,
        notes,
    })
}

/// Parse every Compose file of the plan at once, on every core: each environment then finds
/// its files parsed instead of waiting on a file another environment is parsing.
fn prefetch(workspace: &Workspace, plan: &Plan) {
    use rayon::prelude::*;
    let mut files: Vec<&String> = plan
        .environments
        .iter()
        .flat_map(|e| &e.sources)
        .filter(|s| s.kind == SourceKind::Compose)
        .flat_map(|s| &s.files)
        .collect();
    files.sort();
    files.dedup();
    files
        .par_iter()
        .for_each(|file| compose::prefetch(workspace, file));
}

/// Read one environment of a plan: each source that fails leaves a gap, and the others are
/// still read. Returns the environment and the first failure, if any.
fn load_environment(
    workspace: &Workspace,
    env: &crate::discover::EnvPlan,
    env_names: &[String],
    notes: &mut Vec<Note>,
) -> (Environment, Option<Error>) {
    let mut environment = Environment::new(env.name.clone());
    environment.files = env.files();
    // Files mounted into services are theirs; the same file found by name is not read twice.
    let mut mounted: Vec<String> = Vec::new();
    let mut sources: Vec<_> = env.sources.iter().collect();
    sources.sort_by_key(|s| s.kind);
    let record = |result: Result<()>, environment: &mut Environment| {
        if let Err(e) = result {
            environment.add_gap(GapExtent::Source, None, &e);
        }
    };
    // Kubernetes-family sources are read together: a LimitRange or an HPA in one file
    // applies to workloads in another.
    let mut kubernetes_sources = Vec::new();
    for source in sources {
        let unmounted: Vec<String> = source
            .files
            .iter()
            .filter(|f| !mounted.contains(f))
            .cloned()
            .collect();
        let result = match source.kind {
            SourceKind::Compose => compose::load(workspace, &source.files, &mut environment, notes)
                .and_then(|()| {
                    mounted = attach::attach(workspace, &mut environment, notes)?;
                    Ok(())
                }),
            SourceKind::Terraform => {
                terraform::load(workspace, &source.files, &mut environment, notes)
            }
            SourceKind::Dotenv | SourceKind::AppConfig => {
                load_settings_files(workspace, source, &mut environment)
            }
            SourceKind::Nginx => load_nginx(workspace, &unmounted, &mut environment, notes),
            SourceKind::PostgresConf => load_server_files(
                workspace,
                &unmounted,
                serverconf::Server::Postgres,
                &mut environment,
                notes,
            ),
            SourceKind::RedisConf => load_server_files(
                workspace,
                &unmounted,
                serverconf::Server::Redis,
                &mut environment,
                notes,
            ),
            SourceKind::Kubernetes | SourceKind::Kustomize | SourceKind::HelmValues => {
                kubernetes_sources.push(source);
                Ok(())
            }
        };
        record(result, &mut environment);
    }
    add_files(&mut environment.files, mounted);
    if !kubernetes_sources.is_empty() {
        let result = kubernetes::load(
            workspace,
            &kubernetes_sources,
            env_names,
            &mut environment,
            notes,
        );
        record(result, &mut environment);
    }
    let first_failure = environment
        .gaps
        .iter()
        .find(|g| g.extent == GapExtent::Source)
        .map(crate::model::Gap::to_error);
    let read_nothing = environment.services.is_empty() && environment.settings.is_empty();
    if first_failure.is_some() && read_nothing {
        for gap in &mut environment.gaps {
            if gap.extent == GapExtent::Source {
                gap.extent = GapExtent::Environment;
            }
        }
    }
    (environment, first_failure)
}

/// Dotenv or app config files: the environment's settings, or those of the component (module)
/// they configure, as a service of its own.
fn load_settings_files(
    workspace: &Workspace,
    source: &crate::discover::SourcePlan,
    environment: &mut Environment,
) -> Result<()> {
    let load = |into: &mut Environment| match source.kind {
        SourceKind::Dotenv => envfiles::load(workspace, &source.files, into),
        _ => appconfig::load(workspace, &source.files, into),
    };
    let Some(component) = &source.component else {
        return load(environment);
    };
    let mut read = Environment::new(environment.name.clone());
    let result = load(&mut read);
    if read.settings.is_empty() {
        return result;
    }
    let service = match environment
        .services
        .iter()
        .position(|s| s.name == *component)
    {
        Some(i) => &mut environment.services[i],
        None => {
            let file = source.files.first().map(String::as_str).unwrap_or("");
            environment.services.push(crate::model::Service::new(
                component.clone(),
                Origin::new(file, 1),
            ));
            environment.services.last_mut().expect("just pushed")
        }
    };
    service.settings.extend(read.settings);
    result
}

fn load_nginx(
    workspace: &Workspace,
    tops: &[String],
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    if !tops.is_empty() {
        let loaded = nginx::load(workspace, tops, None, notes)?;
        environment.settings.extend(loaded.settings);
        add_files(&mut environment.files, loaded.files);
    }
    Ok(())
}

fn load_server_files(
    workspace: &Workspace,
    files: &[String],
    server: serverconf::Server,
    environment: &mut Environment,
    notes: &mut Vec<Note>,
) -> Result<()> {
    for file in files {
        let loaded = serverconf::load(workspace, file, server, None, notes)?;
        environment.settings.extend(loaded.settings);
        add_files(&mut environment.files, loaded.files);
    }
    Ok(())
}

/// Add files read along the way (mounted, included) to an environment's list, once each.
fn add_files(files: &mut Vec<String>, more: Vec<String>) {
    for f in more {
        if !files.contains(&f) {
            files.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_relative_normalises_and_refuses_escape() {
        assert_eq!(
            join_relative("docker-compose.yml", "./.env").as_deref(),
            Some(".env")
        );
        assert_eq!(
            join_relative("deploy/compose.yml", "../nginx/a.conf").as_deref(),
            Some("nginx/a.conf")
        );
        assert_eq!(join_relative("compose.yml", "../../etc/passwd"), None);
        // Never made relative: `/etc/passwd` is not `etc/passwd` of the repository.
        assert_eq!(join_relative("deploy/compose.yml", "/etc/passwd"), None);
        assert!(outside("/etc/passwd").contains("absolute path outside"));
    }

    #[test]
    fn shared_files_are_parsed_once_per_run() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.yml"), "x: 1").unwrap();
        std::fs::write(dir.path().join("only-prod.yml"), "y: 2").unwrap();
        std::fs::write(dir.path().join("bad.yml"), "z: 3").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let env = |name: &str, files: &[&str]| crate::discover::EnvPlan {
            name: name.into(),
            sources: vec![crate::discover::SourcePlan {
                kind: SourceKind::Compose,
                files: files.iter().map(|f| f.to_string()).collect(),
                reason: String::new(),
                component: None,
            }],
        };
        let plan = Plan {
            environments: vec![
                env("staging", &["base.yml"]),
                env("production", &["base.yml", "only-prod.yml"]),
            ],
            ..Plan::default()
        };
        ws.share_parsed(&plan);
        let parses = AtomicUsize::new(0);
        let parse = |text: &str| {
            parses.fetch_add(1, Ordering::SeqCst);
            Ok(text.len())
        };
        for _ in 0..2 {
            assert_eq!(*ws.read_parsed("base.yml", parse).unwrap(), 4);
        }
        assert_eq!(parses.load(Ordering::SeqCst), 1, "the base is parsed once");
        // The second reader was the last expected one: nothing is kept.
        assert!(ws.parsed.lock().unwrap().entries.is_empty());
        for _ in 0..2 {
            ws.read_parsed("only-prod.yml", parse).unwrap();
        }
        assert_eq!(
            parses.load(Ordering::SeqCst),
            3,
            "a file of one environment is not kept"
        );
        // An error is shared like a result, and names the file.
        let fail = |_: &str| -> Result<usize> { Err(Error::at("bad.yml", 1, "broken")) };
        assert_eq!(
            ws.read_parsed("bad.yml", fail).unwrap_err().to_string(),
            "bad.yml:1: broken"
        );
        assert_eq!(
            ws.read_parsed("bad.yml", |_| Ok(0usize))
                .unwrap_err()
                .to_string(),
            "bad.yml:1: broken"
        );
        ws.forget_parsed();
        assert_eq!(*ws.read_parsed("base.yml", |_| Ok(7usize)).unwrap(), 7);

        // Prefetched files wait for exactly their planned readers, then are dropped.
        ws.share_parsed(&plan);
        ws.prefetch_parsed("base.yml", parse);
        ws.prefetch_parsed("only-prod.yml", parse);
        assert_eq!(parses.load(Ordering::SeqCst), 5);
        assert_eq!(*ws.read_parsed("only-prod.yml", parse).unwrap(), 4);
        assert_eq!(*ws.read_parsed("base.yml", parse).unwrap(), 4);
        assert_eq!(ws.parsed.lock().unwrap().entries.len(), 1);
        assert_eq!(*ws.read_parsed("base.yml", parse).unwrap(), 4);
        assert_eq!(
            parses.load(Ordering::SeqCst),
            5,
            "prefetched files are not parsed again"
        );
        assert!(ws.parsed.lock().unwrap().entries.is_empty());

        // What discovery parsed before the plan is taken by the planned readers; a file the
        // plan does not list is dropped when the plan is shared.
        ws.forget_parsed();
        assert_eq!(*ws.read_parsed_before_plan("base.yml", parse).unwrap(), 4);
        assert_eq!(*ws.read_parsed_before_plan("base.yml", parse).unwrap(), 4);
        ws.read_parsed_before_plan("bad.yml", parse).unwrap();
        assert_eq!(parses.load(Ordering::SeqCst), 7);
        ws.share_parsed(&plan);
        assert_eq!(
            ws.parsed.lock().unwrap().entries.len(),
            1,
            "bad.yml dropped"
        );
        ws.prefetch_parsed("base.yml", parse);
        for _ in 0..2 {
            assert_eq!(*ws.read_parsed("base.yml", parse).unwrap(), 4);
        }
        assert_eq!(
            parses.load(Ordering::SeqCst),
            7,
            "the environments take discovery's parse"
        );
        assert!(ws.parsed.lock().unwrap().entries.is_empty());
    }

    #[test]
    fn workspace_refuses_paths_outside_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yml"), "x: 1").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert_eq!(ws.read_text("a.yml").unwrap(), "x: 1");
        let e = ws.read_text("../outside.yml").unwrap_err();
        assert!(
            e.message.contains("not found") || e.message.contains("outside"),
            "{e}"
        );
        assert!(ws
            .read_text("/etc/passwd")
            .unwrap_err()
            .message
            .contains("absolute"));
        assert_eq!(
            ws.read_text("missing.yml").unwrap_err().to_string(),
            "missing.yml: file not found"
        );
    }

    /// Alias expansion and nodes count over the run, not per file: many files each under the
    /// per-file limit add up to the run's.
    #[test]
    fn yaml_nodes_and_alias_copies_are_charged_to_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(dir.path()).unwrap();
        ws.budget = Arc::new(Budget::new(BudgetLimits {
            yaml_nodes: 100,
            ..BudgetLimits::default()
        }));
        // An anchored list of 9 scalars and four aliases: 1 + 10 + 1 + 4 * 10 nodes and more.
        let bomb = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a, *a, *a]\n";
        ws.yaml_document(bomb, "one.yml").unwrap();
        assert_eq!(
            ws.yaml_document(bomb, "two.yml").unwrap_err().to_string(),
            "two.yml: the run built more than 100 YAML nodes in total (the run budget)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_and_devices_never_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/null", dir.path().join("null")).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        // Out of the tree through the link, then refused as a device if it were in it.
        assert!(ws
            .read_text("null")
            .unwrap_err()
            .message
            .contains("outside"));
        let e = read::read_bounded(Path::new("/dev/urandom"), "r", 10).unwrap_err();
        assert_eq!(e.message, "is a device, not a regular file; not read");
    }

    #[test]
    fn workspace_rejects_binary_invalid_utf8_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bin"), b"a\0b").unwrap();
        std::fs::write(dir.path().join("latin1"), b"ok\n\xff\n").unwrap();
        std::fs::write(dir.path().join("big"), vec![b'a'; 100]).unwrap();
        let mut ws = Workspace::open(dir.path()).unwrap();
        ws.max_file_bytes = 50;
        assert!(ws.read_text("bin").unwrap_err().message.contains("binary"));
        assert_eq!(
            ws.read_text("latin1").unwrap_err().to_string(),
            "latin1:2: is not valid UTF-8 text"
        );
        assert!(ws.read_text("big").unwrap_err().message.contains("limit"));
    }
}
