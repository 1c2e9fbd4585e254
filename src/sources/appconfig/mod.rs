//! Application configuration files kept per environment: `config.yaml` + `config.production.yaml`
//! (also `.yml`, `.json`, `.toml`; `settings.*`, `appsettings.*`, `application-<env>.*`).
//!
//! The files of one environment are merged in order, the way config libraries do it (later
//! files override earlier ones key by key; lists and scalars are replaced whole), and every leaf
//! becomes an environment-wide setting `config.<dotted.path>` with the line it was written on.
//!
//! YAML and JSON go through `crate::yaml` (YAML 1.2 is a superset of JSON, and that reader keeps
//! lines); TOML through `toml`'s spanned parser (`toml_tree`).

mod toml_tree;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::{Environment, Origin, Quantity, Setting};
use crate::sources::units::parse_number;
use crate::sources::Workspace;
use crate::yaml;

/// A parsed configuration value with its origin.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    /// A scalar: its text, and whether it is a number (unquoted in YAML/JSON, typed in TOML).
    Leaf {
        text: String,
        number: bool,
        origin: Origin,
    },
    List(Vec<Tree>, Origin),
    Map(Vec<(String, Tree)>, Origin),
}

impl Tree {
    fn origin(&self) -> &Origin {
        match self {
            Tree::Leaf { origin, .. } | Tree::List(_, origin) | Tree::Map(_, origin) => origin,
        }
    }
}

/// Read and merge one environment's config files into `config.*` settings.
pub fn load(workspace: &Workspace, files: &[String], environment: &mut Environment) -> Result<()> {
    let mut merged: Option<Tree> = None;
    for file in files {
        let text = workspace.read_text(file)?;
        let tree = parse_with(&text, file, |t, f| workspace.yaml_document(t, f))?;
        merged = Some(match merged {
            None => tree,
            Some(base) => merge(base, tree),
        });
    }
    if let Some(tree) = merged {
        flatten("config", &tree, &mut environment.settings);
    }
    Ok(())
}

/// Parse a file by its extension.
pub fn parse(text: &str, file: &str) -> Result<Tree> {
    parse_with(text, file, |t, f| {
        crate::yaml::parse_document(t, f, crate::yaml::Limits::default())
    })
}

/// `parse`, YAML and JSON read with `yaml` (the run's budget, in `load`).
fn parse_with(
    text: &str,
    file: &str,
    yaml: impl FnOnce(&str, &str) -> Result<crate::yaml::Node>,
) -> Result<Tree> {
    let tree = if file.ends_with(".toml") {
        toml_tree::parse(text, file)?
    } else {
        let node = yaml(text, file)?;
        from_yaml(&node, file, file.ends_with(".json"))
    };
    match tree {
        Tree::Map(..) => Ok(tree),
        Tree::Leaf { ref text, .. } if text.is_empty() => {
            Ok(Tree::Map(Vec::new(), tree.origin().clone()))
        }
        _ => Err(Error::at(
            file,
            tree.origin().line,
            "a configuration file must hold a mapping of keys at the top",
        )),
    }
}

fn from_yaml(node: &yaml::Node, file: &str, json: bool) -> Tree {
    let origin = Origin::new(file, node.line);
    match &node.value {
        yaml::Value::Null => Tree::Leaf {
            text: String::new(),
            number: false,
            origin,
        },
        yaml::Value::Scalar(s) => {
            // JSON's `null` is YAML's null too; YAML's other null spellings were already Null.
            let text = if !s.quoted && json && s.text == "null" {
                String::new()
            } else {
                s.text.clone()
            };
            Tree::Leaf {
                number: !s.quoted && parse_number(&s.text).is_some(),
                text,
                origin,
            }
        }
        yaml::Value::Seq(items) => Tree::List(
            items.iter().map(|i| from_yaml(i, file, json)).collect(),
            origin,
        ),
        yaml::Value::Map(m) => Tree::Map(
            m.iter()
                .map(|(k, _, v)| (k.to_string(), from_yaml(v, file, json)))
                .collect(),
            origin,
        ),
    }
}

/// `over` on top of `base`: mappings merge key by key, anything else replaces.
pub fn merge(base: Tree, over: Tree) -> Tree {
    match (base, over) {
        (Tree::Map(mut entries, origin), Tree::Map(over_entries, _)) => {
            for (k, v) in over_entries {
                match entries.iter().position(|(bk, _)| *bk == k) {
                    Some(i) => {
                        let (_, old) = entries.remove(i);
                        entries.insert(i, (k, merge(old, v)));
                    }
                    None => entries.push((k, v)),
                }
            }
            Tree::Map(entries, origin)
        }
        (_, over) => over,
    }
}

/// Leaves as dotted settings; lists of scalars joined with `, `, other lists indexed.
fn flatten(prefix: &str, tree: &Tree, out: &mut BTreeMap<String, Setting>) {
    match tree {
        Tree::Leaf {
            text,
            number,
            origin,
        } => {
            let setting = Setting::new(prefix, text.clone(), origin.clone());
            let quantity = number
                .then(|| parse_number(text))
                .flatten()
                .filter(|_| !setting.is_secret())
                .map(Quantity::Number);
            out.insert(prefix.to_string(), setting.with_quantity(quantity));
        }
        Tree::Map(entries, origin) => {
            if entries.is_empty() && prefix != "config" {
                out.insert(prefix.to_string(), Setting::new(prefix, "", origin.clone()));
            }
            for (k, v) in entries {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Tree::List(items, origin) => {
            if items.iter().all(|i| matches!(i, Tree::Leaf { .. })) {
                let texts: Vec<&str> = items
                    .iter()
                    .map(|i| match i {
                        Tree::Leaf { text, .. } => text.as_str(),
                        _ => "",
                    })
                    .collect();
                out.insert(
                    prefix.to_string(),
                    Setting::new(prefix, texts.join(", "), origin.clone()),
                );
            } else {
                for (i, item) in items.iter().enumerate() {
                    flatten(&format!("{prefix}[{i}]"), item, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(files: &[(&str, &str)]) -> Result<BTreeMap<String, Setting>> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        let mut env = Environment::new("production");
        let names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
        load(&ws, &names, &mut env)?;
        Ok(env.settings)
    }

    fn show(s: &BTreeMap<String, Setting>, key: &str) -> (String, String) {
        let st = s
            .get(key)
            .unwrap_or_else(|| panic!("no {key}: {:?}", s.keys()));
        (st.display().to_string(), st.origin.to_string())
    }

    #[test]
    fn env_file_overrides_base_key_by_key() {
        let s = settings(&[
            (
                "config/config.yaml",
                "# base\nai:\n  provider: anthropic\n  min_match_score: 70\nsearch:\n  sources: [greenhouse, lever]\ndatabase:\n  password: \"hunter2-long\"\n",
            ),
            (
                "config/config.production.yaml",
                "ai:\n  min_match_score: 80\nsearch:\n  sources:\n    - rss\n",
            ),
        ])
        .unwrap();
        assert_eq!(
            show(&s, "config.ai.min_match_score"),
            ("80".into(), "config/config.production.yaml:2".into())
        );
        assert_eq!(
            s["config.ai.min_match_score"].quantity,
            Some(Quantity::Number(80.0))
        );
        assert_eq!(
            show(&s, "config.ai.provider"),
            ("anthropic".into(), "config/config.yaml:3".into())
        );
        assert_eq!(
            show(&s, "config.search.sources").0,
            "rss",
            "lists are replaced"
        );
        assert!(s["config.database.password"].is_secret());
    }

    #[test]
    fn json_and_toml_with_lines() {
        let s = settings(&[
            ("appsettings.json", "{\n  \"Logging\": {\n    \"Level\": \"Info\",\n    \"Retention\": 30\n  },\n  \"Hosts\": [\"a\", \"b\"],\n  \"Empty\": null\n}\n"),
            (
                "appsettings.Production.toml",
                "# prod\n[Logging]\nLevel = \"Warning\"\n\n[[Workers]]\nname = \"mail\"\nthreads = 4\n",
            ),
        ])
        .unwrap();
        assert_eq!(
            show(&s, "config.Logging.Level"),
            ("Warning".into(), "appsettings.Production.toml:3".into())
        );
        assert_eq!(
            show(&s, "config.Logging.Retention"),
            ("30".into(), "appsettings.json:4".into())
        );
        assert_eq!(show(&s, "config.Hosts").0, "a, b");
        assert_eq!(show(&s, "config.Empty").0, "");
        assert_eq!(
            show(&s, "config.Workers[0].threads"),
            ("4".into(), "appsettings.Production.toml:7".into())
        );
        assert_eq!(
            s["config.Workers[0].threads"].quantity,
            Some(Quantity::Number(4.0))
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = settings(&[("config.json", "{\n  \"a\": 1,\n  \"b\": [1, 2\n}\n")]).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("config.json"));
        assert!(e.line.is_some(), "{e}");
        let e = settings(&[("config.toml", "a = 1\nb = \n")]).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("config.toml"));
        assert_eq!(e.line, Some(2), "{e}");
        let e = settings(&[("config.yaml", "- a\n- b\n")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config.yaml:1: a configuration file must hold a mapping of keys at the top"
        );
    }
}
