//! The command line's finish: shell completions, the manual page, `--version`, `--quiet` and
//! `--verbose`, end to end.

mod common;
use common::envparity;

fn stdout_of(args: &[&str]) -> String {
    let out = envparity().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_for_each_shell_name_the_subcommands_and_formats() {
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("complete -F _envparity"), "{bash}");
    assert!(bash.contains("--exit-zero") && bash.contains("gitlab"));
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef envparity"), "{zsh}");
    assert!(zsh.contains("'--exit-zero[Exit 0 even when the gate fails"));
    let fish = stdout_of(&["completions", "fish"]);
    assert!(fish.contains("complete -c envparity"));
    assert!(fish.contains("-a \"check\""));
    let ps = stdout_of(&["completions", "powershell"]);
    assert!(ps.contains("Register-ArgumentCompleter -Native -CommandName 'envparity'"));
    assert!(ps.contains("'completions'"));
    let out = envparity().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH envparity 1"), "{page}");
    for sub in [
        "discover",
        "compare",
        "report",
        "check",
        "explain",
        "completions",
        "man",
    ] {
        assert!(page.contains(&format!("envparity\\-{sub}(1)")), "{sub}");
    }
    assert!(page.contains(".SH SUBCOMMANDS"));
    let check = stdout_of(&["man", "check"]);
    assert!(check.contains(".TH envparity-check 1"), "{check}");
    assert!(check.contains("\\fB\\-\\-exit\\-zero\\fR"));
    let out = envparity().args(["man", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no subcommand `nope`"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envparity.1");
    let out = envparity()
        .args(["man", "-o", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), page);
}

#[test]
fn version_names_the_git_revision_of_this_checkout() {
    let version = stdout_of(&["--version"]);
    let expected = format!("envparity {}", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&expected), "{version}");
    // This test runs from the repository's checkout, so the revision is there.
    if std::path::Path::new(common::MANIFEST).join(".git").exists() {
        let rev = version
            .trim_end()
            .strip_prefix(&format!("{expected} (git "))
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no revision in {version}"));
        assert_eq!(rev.len(), 12);
        assert!(rev.bytes().all(|b| b.is_ascii_hexdigit()), "{rev}");
    }
}

#[test]
fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let out = envparity()
        .args(["check", "examples/hazards", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    // Errors still are printed.
    let out = envparity()
        .args(["-q", "check", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    // A file asked for with -o is still written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.sarif");
    let out = envparity()
        .args(["check", "examples/hazards", "-q", "-f", "sarif", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("\"2.1.0\""));
    let out = envparity()
        .args(["check", "examples/hazards", "-q", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--quiet and --verbose conflict");
}

#[test]
fn verbose_tells_the_files_read_and_the_stage_times() {
    let out = envparity()
        .args(["check", "examples/hazards", "--verbose", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays the JSON");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("envparity: policy: envparity.toml\n"), "{err}");
    assert!(
        err.contains(
            "envparity: production: 1 file(s) read\nenvparity:   docker-compose.production.yml\n"
        ),
        "{err}"
    );
    for stage in ["discover", "read", "align", "compare", "analyse", "output"] {
        assert!(
            err.contains(&format!("envparity timing: {stage:<9}")),
            "{stage}: {err}"
        );
    }
    // Without it, none of this.
    let out = envparity()
        .args(["check", "examples/hazards", "-f", "json"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("timing"));
}
