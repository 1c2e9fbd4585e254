//! `envparity.toml` found above PATH, up to the repository root, when PATH is inside one.

mod common;
use common::envparity;

const STAGING: &str =
    "services:\n  web:\n    image: shop/web:1.2\n    environment:\n      LOG_LEVEL: debug\n";
const PRODUCTION: &str =
    "services:\n  web:\n    image: shop/web:1.2\n    environment:\n      LOG_LEVEL: info\n";

/// `outer/repo/.git`, `outer/repo/apps/shop/` with two Compose files.
fn monorepo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let app = repo.join("apps").join("shop");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    std::fs::write(app.join("docker-compose.staging.yml"), STAGING).unwrap();
    std::fs::write(app.join("docker-compose.production.yml"), PRODUCTION).unwrap();
    (dir, app)
}

fn policy_and_score(app: &std::path::Path) -> (serde_json::Value, serde_json::Value) {
    let out = envparity()
        .args(["check", "-f", "json"])
        .arg(app)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (doc["policy"].clone(), doc["score"]["min_score"].clone())
}

#[test]
fn the_nearest_policy_up_to_the_repository_root_applies() {
    let (dir, app) = monorepo();
    let repo = dir.path().join("repo");
    // Above the repository root: never read.
    std::fs::write(dir.path().join("envparity.toml"), "min_score = 11\n").unwrap();
    let out = envparity()
        .args(["check", "-v"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("envparity: policy: none (defaults)"),
        "{out:?}"
    );
    std::fs::write(repo.join("envparity.toml"), "min_score = 42\n").unwrap();
    let out = envparity()
        .args(["check", "-v"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("envparity: policy: ../../envparity.toml\n"),
        "{out:?}"
    );
    let (_, min) = policy_and_score(&app);
    assert_eq!(min, 42.0);
    // A nearer one wins.
    std::fs::write(repo.join("apps").join("envparity.toml"), "min_score = 43\n").unwrap();
    assert_eq!(policy_and_score(&app).1, 43.0);
    // And one at PATH itself wins over both.
    std::fs::write(app.join("envparity.toml"), "min_score = 44\n").unwrap();
    assert_eq!(policy_and_score(&app).1, 44.0);
}

#[test]
fn an_error_in_a_parent_policy_names_it() {
    let (dir, app) = monorepo();
    std::fs::write(
        dir.path().join("repo").join("envparity.toml"),
        "min_score = \"high\"\n",
    )
    .unwrap();
    let out = envparity().arg("check").arg(&app).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: ../../envparity.toml:1:"), "{err}");
}
