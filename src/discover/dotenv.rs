//! dotenv layouts: `.env.<env>` and `<env>.env`, where `<env>` is an environment name or alias.
//! A `.env` in the same directory is read first, as the shared base (dotenv-flow, Vite, Next.js
//! and Symfony load `.env` and then `.env.<mode>`), and is shared by environments without a
//! file of their own. A `.env` alone is not an environment source: it is the same for every
//! environment, and beside Compose files it is Compose's interpolation input.
//! `.env.example`, `.env.local`, `.env.<env>.local` and the like are not read.

use std::collections::BTreeMap;

use super::{is_env_word, join, Candidate, SourceKind};

fn env_of(name: &str) -> Option<&str> {
    let env = name
        .strip_prefix(".env.")
        .or_else(|| name.strip_suffix(".env"))?;
    (is_env_word(env) && env != "local").then_some(env)
}

pub fn find(files: &[String]) -> Vec<Candidate> {
    /// Per directory: whether it has a `.env`, and its (environment, file name) pairs.
    type Dir<'a> = (bool, Vec<(&'a str, &'a str)>);
    let mut dirs: BTreeMap<&str, Dir> = BTreeMap::new();
    for f in files {
        let (dir, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
        if name == ".env" {
            dirs.entry(dir).or_default().0 = true;
        } else if let Some(env) = env_of(name) {
            dirs.entry(dir).or_default().1.push((env, name));
        }
    }
    let mut out = Vec::new();
    for (dir, (has_base, envs)) in dirs {
        if envs.is_empty() {
            continue;
        }
        let base = has_base.then(|| join(dir, ".env"));
        for (env, name) in envs {
            let file = join(dir, name);
            let mut read: Vec<String> = base.iter().cloned().collect();
            read.push(file.clone());
            let reason = match &base {
                Some(b) => format!("dotenv file `{file}`, over the shared `{b}`"),
                None => format!("dotenv file `{file}`"),
            };
            out.push(Candidate::for_env(env, SourceKind::Dotenv, read, reason));
        }
        if let Some(b) = base {
            out.push(Candidate::shared(
                SourceKind::Dotenv,
                vec![b.clone()],
                format!("`{b}`, shared by environments without their own dotenv file"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_with_shared_base() {
        let files: Vec<String> = [
            ".env",
            ".env.example",
            ".env.local",
            ".env.production",
            "app/staging.env",
            ".env.docker",
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
                    vec![".env".into(), ".env.production".into()]
                ),
                ("default".into(), true, vec![".env".into()]),
                ("staging".into(), false, vec!["app/staging.env".into()]),
            ]
        );
    }
}
