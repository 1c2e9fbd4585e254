//! Application configuration layouts: `<stem>.<env>.<ext>` or `<stem>-<env>.<ext>` over
//! `<stem>.<ext>` in the same directory, where `<stem>` is `config`, `settings`, `appsettings`
//! or `application` and `<ext>` is `yaml`, `yml`, `json` or `toml`; and node-config's
//! `config/default.<ext>` + `config/<env>.<ext>`. The base is shared by environments without a
//! file of their own.

use std::collections::BTreeMap;

use super::{canonical_env_name, is_env_word, join, Candidate, SourceKind};

const STEMS: &[&str] = &["config", "settings", "appsettings", "application"];
const EXTS: &[&str] = &["yaml", "yml", "json", "toml"];

/// (stem, env) of a configuration file name; env is `None` for a base file.
fn parse_name(name: &str) -> Option<(&str, Option<&str>)> {
    let (rest, ext) = name.rsplit_once('.')?;
    if !EXTS.contains(&ext) {
        return None;
    }
    if STEMS.iter().any(|s| s.eq_ignore_ascii_case(rest)) {
        return Some((rest, None));
    }
    for sep in ['.', '-'] {
        if let Some((stem, env)) = rest.split_once(sep) {
            if STEMS.iter().any(|s| s.eq_ignore_ascii_case(stem)) && is_env_word(env) {
                return Some((stem, Some(env)));
            }
        }
    }
    None
}

/// Whether a file name is an app configuration file (for files named explicitly).
pub fn is_config_name(name: &str) -> bool {
    parse_name(name).is_some()
}

pub fn find(files: &[String]) -> Vec<Candidate> {
    // (dir, stem lower-cased) -> (bases, envs)
    type Group<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let mut groups: BTreeMap<(&str, String), Group> = BTreeMap::new();
    let mut samples: Vec<((&str, &str), &str)> = Vec::new();
    for f in files {
        let (dir, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
        if let Some((stem, env)) = parse_name(name) {
            let g = groups.entry((dir, stem.to_ascii_lowercase())).or_default();
            match env {
                None => g.0.push(name),
                Some(env) => g.1.push((env, name)),
            }
        } else if dir.rsplit('/').next() == Some("config") {
            // node-config: config/default.yaml + config/production.yaml
            if let Some((stem, ext)) = name.rsplit_once('.') {
                if EXTS.contains(&ext) {
                    let g = groups.entry((dir, "default".into())).or_default();
                    if stem == "default" {
                        g.0.push(name);
                    } else if is_env_word(stem) {
                        g.1.push((stem, name));
                    } else if let Some(env) =
                        crate::model::strip_sample_suffix(stem).filter(|e| is_env_word(e))
                    {
                        samples.push(((dir, env), name));
                    }
                }
            }
        }
    }
    // A committed sample stands for its environment when the real file is not committed.
    for ((dir, env), name) in samples {
        let g = groups.entry((dir, "default".into())).or_default();
        if !g
            .1
            .iter()
            .any(|(e, _)| canonical_env_name(e) == canonical_env_name(env))
        {
            g.1.push((env, name));
        }
    }
    let mut out = Vec::new();
    for ((dir, _), (bases, envs)) in groups {
        if envs.is_empty() {
            continue;
        }
        for (env, name) in &envs {
            // The base with the same extension, else the first one.
            let ext = name.rsplit('.').next().unwrap_or("");
            let base = bases
                .iter()
                .find(|b| b.ends_with(&format!(".{ext}")))
                .or(bases.first())
                .map(|b| join(dir, b));
            let file = join(dir, name);
            let mut read: Vec<String> = base.iter().cloned().collect();
            read.push(file.clone());
            let sample = crate::model::is_sample_file(name);
            let what = if sample {
                format!("sample config file `{file}` (the real one is not in the repository)")
            } else {
                format!("config file `{file}`")
            };
            let reason = match &base {
                Some(b) => format!("{what}, merged over the base `{b}`"),
                None => what,
            };
            out.push(Candidate::for_env(
                *env,
                SourceKind::AppConfig,
                read,
                reason,
            ));
        }
        if let Some(b) = bases.first() {
            let b = join(dir, b);
            out.push(Candidate::shared(
                SourceKind::AppConfig,
                vec![b.clone()],
                format!("config file `{b}`, the base read by environments without their own file"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("config.yaml"), Some(("config", None)));
        assert_eq!(
            parse_name("config.production.yaml"),
            Some(("config", Some("production")))
        );
        assert_eq!(
            parse_name("appsettings.Production.json"),
            Some(("appsettings", Some("Production")))
        );
        assert_eq!(
            parse_name("application-prod.yml"),
            Some(("application", Some("prod")))
        );
        assert_eq!(parse_name("config.loader.yaml"), None);
        assert_eq!(parse_name("docker-compose.staging.yml"), None);
        assert_eq!(parse_name("settings.py"), None);
    }

    #[test]
    fn samples_stand_in_for_uncommitted_files() {
        let files: Vec<String> = [
            "config/production.sample.json",
            "config/staging.json",
            "config/staging.example.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c: Vec<(String, Vec<String>, bool)> = find(&files)
            .into_iter()
            .map(|c| {
                let sample = c.source.reason.contains("sample");
                (c.env, c.source.files, sample)
            })
            .collect();
        assert_eq!(
            c,
            vec![
                ("staging".into(), vec!["config/staging.json".into()], false),
                (
                    "production".into(),
                    vec!["config/production.sample.json".into()],
                    true
                ),
            ]
        );
    }

    #[test]
    fn base_and_env_files() {
        let files: Vec<String> = [
            "config/config.production.yaml",
            "config/config.yaml",
            "web/config/default.json",
            "web/config/staging.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c: Vec<(String, bool, Vec<String>)> = find(&files)
            .into_iter()
            .map(|c| (c.env, c.shared, c.source.files))
            .collect();
        assert_eq!(
            c,
            vec![
                (
                    "production".into(),
                    false,
                    vec![
                        "config/config.yaml".into(),
                        "config/config.production.yaml".into()
                    ]
                ),
                ("default".into(), true, vec!["config/config.yaml".into()]),
                (
                    "staging".into(),
                    false,
                    vec![
                        "web/config/default.json".into(),
                        "web/config/staging.json".into()
                    ]
                ),
                (
                    "default".into(),
                    true,
                    vec!["web/config/default.json".into()]
                ),
            ]
        );
    }
}
