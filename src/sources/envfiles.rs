//! dotenv files kept per environment (`.env.production`, `staging.env`), read with the same
//! parser as Compose's `env_file` (`sources::dotenv`) into environment-wide `env.<NAME>`
//! settings.
//!
//! Files are read in order (a shared `.env` first, when discovery pairs it with the
//! environment's file, as dotenv-flow, Vite and Next.js do); a later definition wins. `${VAR}`
//! expands from earlier entries of the same file, then from earlier files (and, only with
//! `--env-from-process`, from the process environment, whose values are then masked).

use crate::hash::HashMap;

use crate::error::Result;
use crate::model::{Environment, Origin, Setting};
use crate::sources::compose::interpolate::Var;
use crate::sources::{dotenv, Workspace};

pub fn load(workspace: &Workspace, files: &[String], environment: &mut Environment) -> Result<()> {
    let mut seen: HashMap<String, Var> = HashMap::default();
    let from_process = workspace.env_from_process;
    for file in files {
        let text = workspace.read_text(file)?;
        let lookup = |name: &str| {
            seen.get(name).cloned().or_else(|| {
                from_process
                    .then(|| std::env::var(name).ok())
                    .flatten()
                    .map(|value| Var {
                        value,
                        secret: true,
                    })
            })
        };
        let entries = dotenv::parse_vars(&text, file, &lookup, &workspace.expansion)?;
        for entry in entries {
            let key = format!("env.{}", entry.key);
            let setting = Setting::new(&key, entry.value.clone(), Origin::new(file, entry.line))
                .interpolated(entry.substituted)
                .from_secret_source(entry.secret);
            environment.settings.insert(key, setting);
            let var = entry.as_var(file);
            seen.insert(entry.key, var);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_over_shared_base_with_expansion() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "HOST=db\nLEVEL=info\n").unwrap();
        std::fs::write(
            dir.path().join(".env.production"),
            "# prod\nexport LEVEL=warn\nURL=\"postgres://app:s3cret@${HOST}/app\"\nMULTI='a\nb'\n",
        )
        .unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let mut env = Environment::new("production");
        load(&ws, &[".env".into(), ".env.production".into()], &mut env).unwrap();
        let s = &env.settings;
        assert_eq!(s["env.LEVEL"].display(), "warn");
        assert_eq!(s["env.LEVEL"].origin.to_string(), ".env.production:2");
        assert_eq!(s["env.HOST"].origin.to_string(), ".env:1");
        assert_eq!(s["env.URL"].display(), "postgres://app:********@db/app");
        assert!(s["env.URL"].interpolated);
        assert_eq!(s["env.MULTI"].display(), "a\nb");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env.staging"), "A=1\nB=\"open\n").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let e = load(
            &ws,
            &[".env.staging".into()],
            &mut Environment::new("staging"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            ".env.staging:2:3: unterminated double-quoted value for B"
        );
    }
}
