//! The `[sources]` section of `envparity.toml` at the scanned root: files bound to environments
//! when their names do not say which (Terraform's `default` workspace is production, a config
//! file named `app-live.yaml`):
//!
//! ```toml
//! [sources]
//! production = ["terraform/variables.tf", "nginx/load_balancer.conf"]
//! staging = "terraform/staging.tfvars"
//! ```
//!
//! Each file's kind comes from its name (`SourceKind::of_file`); a Terraform file brings its
//! module. A binding replaces what discovery found for that environment and kind. Only this
//! section is read here: other sections belong to other parts of envparity, and their keys are
//! not checked by this reader.

use toml::de::{DeTable, DeValue};

use super::{group_by_kind, Candidate};
use crate::error::{Error, Result};
use crate::sources::{line_of, Workspace};

/// The configuration file's name, at the scanned root.
pub const FILE: &str = "envparity.toml";

/// Environment names `envparity.toml` states in `[environments]` (`order`, `production_like`,
/// `extra`), canonicalised: a file suffix or directory with such a name is an environment even
/// when it is not a well-known environment word (`docker-compose.coolify.yml`).
pub fn named_environments(workspace: &Workspace, files: &[String]) -> Result<Vec<String>> {
    if !files.iter().any(|f| f == FILE) {
        return Ok(Vec::new());
    }
    let text = workspace.read_text(FILE)?;
    // A file that does not parse is reported, with its line, by the policy reader.
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Ok(Vec::new());
    };
    let Some(section) = doc.get("environments").and_then(toml::Value::as_table) else {
        return Ok(Vec::new());
    };
    let names = ["order", "production_like", "extra"]
        .iter()
        .filter_map(|key| section.get(*key).and_then(toml::Value::as_array))
        .flatten()
        .filter_map(toml::Value::as_str)
        .map(super::canonical_env_name)
        .collect();
    Ok(names)
}

/// Candidates bound in `envparity.toml`, or none when there is no such file or section.
pub fn bindings(workspace: &Workspace, files: &[String]) -> Result<Vec<Candidate>> {
    if !files.iter().any(|f| f == FILE) {
        return Ok(Vec::new());
    }
    let text = workspace.read_text(FILE)?;
    let doc = DeTable::parse(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(&text, s.start));
        Error::at(
            FILE,
            line,
            format!("TOML syntax error: {}", e.message().trim()),
        )
    })?;
    let Some(sources) = doc.get_ref().get("sources") else {
        return Ok(Vec::new());
    };
    let at = |span: std::ops::Range<usize>| line_of(&text, span.start);
    let DeValue::Table(table) = sources.get_ref() else {
        return Err(Error::at(
            FILE,
            at(sources.span()),
            "`sources` must be a table of environment = [files]",
        ));
    };
    let mut all_files = Some(files.to_vec());
    let mut out = Vec::new();
    for (env, value) in table.iter() {
        let line = at(value.span());
        let env_name = env.get_ref().to_string();
        let listed: Vec<String> = match value.get_ref() {
            DeValue::String(s) => vec![s.to_string()],
            DeValue::Array(items) => items
                .iter()
                .map(|i| match i.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    other => Err(Error::at(
                        FILE,
                        at(i.span()),
                        format!(
                            "`sources.{env_name}`: expected file paths, found a {}",
                            other.type_str()
                        ),
                    )),
                })
                .collect::<Result<_>>()?,
            other => {
                return Err(Error::at(
                    FILE,
                    line,
                    format!(
                        "`sources.{env_name}`: expected a file path or a list of them, found a {}",
                        other.type_str()
                    ),
                ))
            }
        };
        let mut listed_clean = Vec::new();
        for f in listed {
            let f = f.trim().trim_start_matches("./").to_string();
            workspace.resolve(&f).map_err(|e| {
                Error::at(
                    FILE,
                    line,
                    format!("`sources.{env_name}`: `{f}`: {}", e.message),
                )
            })?;
            listed_clean.push(f);
        }
        let reason = format!("bound to `{env_name}` in {FILE}");
        for source in group_by_kind(&listed_clean, &reason, &mut all_files, workspace)? {
            out.push(Candidate {
                env: env_name.clone(),
                source,
                shared: false,
                if_found: false,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::SourceKind;

    fn bind(toml_text: &str, extra: &[&str]) -> Result<Vec<(String, SourceKind, Vec<String>)>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), toml_text).unwrap();
        for f in extra {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        let files = crate::discover::walk(&ws).unwrap();
        Ok(bindings(&ws, &files)?
            .into_iter()
            .map(|c| (c.env, c.source.kind, c.source.files))
            .collect())
    }

    #[test]
    fn files_bound_to_environments() {
        let got = bind(
            "[check]\nunknown_key = 1\n\n[sources]\nproduction = [\"tf/variables.tf\", \"./lb.conf\"]\nlive-eu = \"app.env\"\n",
            &["tf/variables.tf", "tf/main.tf", "lb.conf", "app.env"],
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("live-eu".into(), SourceKind::Dotenv, vec!["app.env".into()]),
                (
                    "production".into(),
                    SourceKind::Terraform,
                    vec!["tf/main.tf".into(), "tf/variables.tf".into()]
                ),
                (
                    "production".into(),
                    SourceKind::Nginx,
                    vec!["lb.conf".into()]
                ),
            ]
        );
        assert!(bind("[other]\nx = 1\n", &[]).unwrap().is_empty());
    }

    #[test]
    fn mistakes_name_the_line() {
        let e = bind("[sources]\n\nstaging = 5\n", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "envparity.toml:3: `sources.staging`: expected a file path or a list of them, found a integer"
        );
        let e = bind("[sources]\nstaging = [\"missing.tfvars\"]\n", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "envparity.toml:2: `sources.staging`: `missing.tfvars`: file not found"
        );
        let e = bind("[sources\n", &[]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("envparity.toml:1: TOML syntax error"),
            "{e}"
        );
    }
}
