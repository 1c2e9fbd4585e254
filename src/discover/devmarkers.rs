//! The shape of a Compose file, as discovery needs it: its services, whether each stands on its
//! own (has an `image` or a `build`), and the marks of a local development file: the source tree
//! bind-mounted into a container, a development server (`runserver`, `--reload`, `nodemon`), or
//! debug settings (`DEBUG=1`, `NODE_ENV=development`).

use std::sync::Arc;

use crate::hash::HashSet;
use crate::sources::Workspace;
use crate::yaml::{Node, Value};

/// Where application source is mounted in development containers.
const SOURCE_TARGETS: &[&str] = &[
    "/app",
    "/usr/src",
    "/code",
    "/src",
    "/var/www",
    "/opt/app",
    "/workspace",
    "/srv/app",
    "/home/app",
];

/// Commands that only development runs use.
const DEV_COMMANDS: &[&str] = &[
    "runserver",
    "--reload",
    "nodemon",
    "npm run dev",
    "yarn dev",
    "pnpm dev",
    "flask run",
    "--watch",
];

#[derive(Debug, Default)]
pub struct ComposeShape {
    /// Service name, and whether it has an `image` or a `build`.
    pub services: Vec<(String, bool)>,
    /// What marks the file as a development file, for the reason `discover` prints.
    pub dev_markers: Vec<String>,
    /// The file uses Compose's merge tags (`!reset`, `!override`): it is written as an override.
    pub merge_tags: bool,
}

impl ComposeShape {
    /// The shape of a Compose file, or `None` when it cannot be read or parsed (the reader
    /// reports that later, with its line).
    pub fn read(workspace: &Workspace, path: &str) -> Option<ComposeShape> {
        let doc = Self::parse(workspace, path)?;
        let services = doc.get("services")?.as_map()?;
        let mut shape = ComposeShape::default();
        for (name, _, def) in services.iter() {
            let has = |k: &str| def.get(k).is_some();
            shape
                .services
                .push((name.to_string(), has("image") || has("build")));
            shape.merge_tags |= uses_merge_tags(def, 0);
            shape.dev_markers.extend(dev_markers(name, def));
        }
        Some(shape)
    }

    /// The file's YAML tree, parsed once: the environments reading the file later take this
    /// parse.
    pub fn parse(workspace: &Workspace, path: &str) -> Option<Arc<Node>> {
        workspace
            .read_parsed_before_plan(path, |text| workspace.yaml_document(text, path))
            .ok()
    }

    /// Whether the file can run alone: it has services and each has an image or a build.
    pub fn is_standalone(&self) -> bool {
        !self.services.is_empty() && !self.merge_tags && self.services.iter().all(|s| s.1)
    }

    /// Whether the file is read alone rather than over `base`: it can run alone, and it does not
    /// lean on the base (which is a development file, or holds fewer than half of its services).
    pub fn stands_alone_beside(&self, base: Option<&ComposeShape>, dev_base: bool) -> bool {
        let Some(base) = base else {
            return true;
        };
        let in_base: HashSet<&str> = base.services.iter().map(|(n, _)| n.as_str()).collect();
        let shared = self
            .services
            .iter()
            .filter(|(n, _)| in_base.contains(n.as_str()))
            .count();
        self.is_standalone() && (dev_base || shared * 2 < self.services.len())
    }

    pub fn is_development(&self) -> bool {
        !self.dev_markers.is_empty()
    }
}

fn uses_merge_tags(node: &Node, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    if node.has_tag("!reset") || node.has_tag("!override") {
        return true;
    }
    match &node.value {
        Value::Map(m) => m.iter().any(|(_, _, v)| uses_merge_tags(v, depth + 1)),
        Value::Seq(items) => items.iter().any(|v| uses_merge_tags(v, depth + 1)),
        _ => false,
    }
}

/// The development marks of one service.
fn dev_markers(service: &str, def: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(mount) = def
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .find_map(source_mount)
    {
        out.push(format!("`{service}` bind-mounts the source (`{mount}`)"));
    }
    let command = def.get("command").map(text_of).unwrap_or_default();
    if let Some(cmd) = DEV_COMMANDS.iter().find(|c| command.contains(*c)) {
        out.push(format!(
            "`{service}` runs `{}`",
            cmd.trim_start_matches('-')
        ));
    }
    if let Some(setting) = def.get("environment").and_then(debug_setting) {
        out.push(format!("`{service}` sets {setting}"));
    }
    out
}

/// A volume that mounts the project's source directory into the container: `.:/app`,
/// `./src:/usr/src/app`, or the long form with `type: bind`.
fn source_mount(volume: &Node) -> Option<String> {
    let (host, target) = match &volume.value {
        Value::Scalar(s) => {
            let mut parts = s.text.splitn(3, ':');
            (parts.next()?.to_string(), parts.next()?.to_string())
        }
        Value::Map(_) => (
            volume.get("source")?.as_str()?.to_string(),
            volume.get("target")?.as_str()?.to_string(),
        ),
        _ => return None,
    };
    let whole_project = matches!(host.as_str(), "." | "./" | ".." | "../");
    let last = host.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let source_dir = host.starts_with('.') && !last.contains('.') && !last.is_empty();
    let into_source = SOURCE_TARGETS
        .iter()
        .any(|t| target == *t || target.starts_with(&format!("{t}/")));
    (whole_project || (source_dir && into_source)).then(|| format!("{host}:{target}"))
}

/// `DEBUG=1` and its kin, in a map or list `environment`.
fn debug_setting(environment: &Node) -> Option<String> {
    let pairs: Vec<(String, String)> = match &environment.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, _, v)| (k.to_string(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.as_str()?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    pairs.into_iter().find_map(|(k, v)| {
        let value = v.trim().to_ascii_lowercase();
        let dev = match k.to_ascii_uppercase().as_str() {
            "DEBUG" | "DJANGO_DEBUG" | "FLASK_DEBUG" => {
                matches!(value.as_str(), "1" | "true" | "yes")
            }
            "NODE_ENV" | "FLASK_ENV" | "RAILS_ENV" | "APP_ENV" | "ENVIRONMENT" => {
                matches!(value.as_str(), "development" | "dev" | "local")
            }
            "DJANGO_SETTINGS_MODULE" => [".local", ".dev", ".development"]
                .iter()
                .any(|s| value.ends_with(s)),
            _ => false,
        };
        dev.then(|| format!("{k}={v}"))
    })
}

/// A scalar's text, or a list's items joined by spaces (`command: [npm, run, dev]`).
fn text_of(node: &Node) -> String {
    match &node.value {
        Value::Scalar(s) => s.text.clone(),
        Value::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> ComposeShape {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.yml"), text).unwrap();
        ComposeShape::read(&Workspace::open(dir.path()).unwrap(), "c.yml").unwrap()
    }

    #[test]
    fn development_marks() {
        let dev = shape(
            "services:\n  app:\n    build: .\n    volumes: ['.:/app', 'static:/static']\n    command: python manage.py runserver 0.0.0.0:8000\n    environment: {DEBUG: '1'}\n",
        );
        assert_eq!(
            dev.dev_markers,
            [
                "`app` bind-mounts the source (`.:/app`)",
                "`app` runs `runserver`",
                "`app` sets DEBUG=1"
            ]
        );
        let prod = shape(
            "services:\n  web:\n    image: app:1\n    volumes: ['./nginx/nginx.conf:/etc/nginx/nginx.conf:ro', 'data:/var/lib/x']\n    command: gunicorn app.wsgi\n    environment: [DEBUG=0]\n",
        );
        assert!(prod.dev_markers.is_empty(), "{:?}", prod.dev_markers);
        assert!(prod.is_standalone());
    }

    #[test]
    fn standalone_or_override() {
        let base =
            shape("services:\n  web:\n    image: a\n  db:\n    image: b\n  redis:\n    image: c\n");
        let override_file = shape("services:\n  web:\n    environment: {A: '1'}\n");
        assert!(!override_file.stands_alone_beside(Some(&base), false));
        let tags_only = shape("services:\n  web:\n    image: a:2\n  db:\n    image: b:2\n");
        assert!(
            !tags_only.stands_alone_beside(Some(&base), false),
            "redefines most base services: an override"
        );
        let own = shape("services:\n  web1:\n    build: .\n  postgres:\n    image: p\n");
        assert!(own.stands_alone_beside(Some(&base), false));
        let reset = shape("services:\n  web1:\n    build: .\n    ports: !reset []\n");
        assert!(!reset.stands_alone_beside(Some(&base), false));
    }
}
