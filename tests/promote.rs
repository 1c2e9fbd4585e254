//! `envparity promote`: the simulated promotion, its checklist on every bundled example
//! (snapshots), and its exit codes on repositories of our own.

mod common;

use common::{envparity, json_in, repo, stdout_of};
use serde_json::Value;

const EXAMPLES: &[&str] = &[
    "flux-platform",
    "hazards",
    "job-finder",
    "kustomize-shop",
    "obcms",
    "terraform-workspaces",
];

/// The Markdown of an example's promotion and its exit code.
fn markdown_of(example: &str) -> (String, i32) {
    let out = envparity()
        .args(["promote", &format!("examples/{example}"), "--format", "md"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn promote_checklist_of_every_example() {
    for example in EXAMPLES {
        let (md, code) = markdown_of(example);
        // Only the hazards example plants a must-match item that differs.
        let expected = if *example == "hazards" { 1 } else { 0 };
        assert_eq!(code, expected, "{example}");
        assert!(md.contains("## Promotion checklist"), "{example}");
        for section in [
            "### Testing",
            "### Configuration",
            "### Infrastructure",
            "### Deployment",
        ] {
            assert!(md.contains(section), "{example} lacks {section}");
        }
        insta::assert_snapshot!(format!("promote_{}_md", example.replace('-', "_")), md);
    }
}

#[test]
fn promote_json_of_hazards() {
    let out = envparity()
        .args(["promote", "examples/hazards", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["kind"], "promotion");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["from"], "staging");
    assert_eq!(doc["to"], "production");
    insta::assert_snapshot!("promote_hazards_json", text);
}

#[test]
fn hazards_promotion_changes_images_and_clears_their_drift() {
    let (doc, _) = json_in(
        std::path::Path::new(common::MANIFEST),
        &["promote", "examples/hazards", "--format", "json"],
    );
    let changes = doc["changes"].as_array().unwrap();
    let web = changes.iter().find(|c| c["service"] == "web").unwrap();
    assert_eq!(web["now"], "docker.io/shop/web:latest");
    assert_eq!(web["after"], "ghcr.io/shop/web:1.4.0");
    assert_eq!(web["kind"], "repository");
    assert_eq!(web["now_at"]["file"], "docker-compose.production.yml");
    assert_eq!(web["now_at"]["line"], 4);
    let db = changes.iter().find(|c| c["service"] == "db").unwrap();
    assert_eq!(db["kind"], "version");
    assert!(db["note"]
        .as_str()
        .unwrap()
        .contains("major version 15 -> 16"));
    let cleared: Vec<&str> = doc["cleared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        cleared.contains(&"EP012") && cleared.contains(&"EP010"),
        "{cleared:?}"
    );
    assert_eq!(doc["must_match"][0]["item"], "celery.concurrency");
    assert_eq!(doc["expected"][0]["key"], "healthcheck.test");
    assert_eq!(doc["source_only_services"][0]["service"], "mailhog");
}

const STAGING: &str = "services:
  web:
    image: ghcr.io/acme/web:1.5.0
    environment:
      DEBUG: \"False\"
      SESSION_COOKIE_SECURE: \"True\"
      FEATURE_FLAGS_URL: https://flags.example.com
      STRIPE_SECRET_KEY: sk_live_9fQ2mXv7Lr4pZt8Kw3NsB6
    deploy:
      resources:
        limits: { cpus: \"1\", memory: 1G }
    healthcheck:
      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/health\"]
";

const PRODUCTION: &str = "services:
  web:
    image: ghcr.io/acme/web:1.4.0
    environment:
      DEBUG: \"False\"
      SESSION_COOKIE_SECURE: \"True\"
    deploy:
      replicas: 3
      resources:
        limits: { cpus: \"2\", memory: 4G }
    healthcheck:
      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/health\"]
";

/// A repository of a staging and a production Compose file, and a policy.
fn pair(staging: &str, production: &str, policy: &str) -> tempfile::TempDir {
    repo(&[
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
        ("envparity.toml", policy),
    ])
}

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    common::run_in(dir, args)
}

#[test]
fn exit_0_when_nothing_blocks_the_promotion() {
    let dir = pair(STAGING, PRODUCTION, "");
    let (code, text, stderr) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 0, "{text}{stderr}");
    assert!(text.contains("Nothing blocks the promotion"), "{text}");
    assert!(
        text.contains("web image: ghcr.io/acme/web:1.4.0 -> ghcr.io/acme/web:1.5.0 (new version)"),
        "{text}"
    );
    // What staging has that production lacks, with the secret masked.
    assert!(
        text.contains("web env.FEATURE_FLAGS_URL = https://flags.example.com"),
        "{text}"
    );
    assert!(
        text.contains("web env.STRIPE_SECRET_KEY = ********"),
        "{text}"
    );
}

#[test]
fn exit_1_when_the_promotion_introduces_an_error() {
    // Staging runs a moving tag; promoted, production would too, and this policy makes a
    // mutable tag an error.
    let staging = STAGING.replace("ghcr.io/acme/web:1.5.0", "ghcr.io/acme/web:latest");
    let dir = pair(&staging, PRODUCTION, "[rules]\nEP006 = \"error\"\n");
    let (doc, _) = json_in(dir.path(), &["promote", ".", "--format", "json"]);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["blockers"][0], "it introduces 1 error-level finding");
    assert_eq!(doc["introduced"][0]["rule"], "EP006");
    assert_eq!(doc["introduced"][0]["environment"], "production");
    let (code, ..) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 1);
    // A waiver accepts it: nothing blocks the promotion any more.
    let dir = pair(
        &staging,
        PRODUCTION,
        "[rules]\nEP006 = \"error\"\n\n[[waiver]]\nrule = \"EP006\"\nreason = \"pinned at deploy\"\nexpires = 2099-01-01\n",
    );
    let (code, text, _) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn exit_1_when_a_must_match_item_would_differ() {
    let policy = "[[must_match]]\nsetting = \"env.SESSION_COOKIE_SECURE\"\nreason = \"security settings are promoted\"\n";
    let production = PRODUCTION.replace(
        "SESSION_COOKIE_SECURE: \"True\"",
        "SESSION_COOKIE_SECURE: \"False\"",
    );
    let dir = pair(STAGING, &production, policy);
    let (code, md, _) = run(dir.path(), &["promote", ".", "--format", "md"]);
    assert_eq!(code, 1);
    assert!(
        md.contains("**Blocked: 1 must-match item would differ.**"),
        "{md}"
    );
    assert!(
        md.contains("| web | `env.SESSION_COOKIE_SECURE` | True (docker-compose.staging.yml:6) | False (docker-compose.production.yml:6) | security settings are promoted |"),
        "{md}"
    );
    assert!(md.contains("- [ ] ✗ Must-match items agree between staging and production (EP016)"));
    // The same entry, with the two agreeing: exit 0, and the item is ticked.
    let dir = pair(STAGING, PRODUCTION, policy);
    let (code, md, _) = run(dir.path(), &["promote", ".", "--format", "md"]);
    assert_eq!(code, 0, "{md}");
    assert!(md.contains("- [x] Must-match items agree between staging and production (EP016)"));
}

#[test]
fn exit_2_on_unknown_environments_and_bad_policy() {
    let dir = pair(STAGING, PRODUCTION, "");
    let (code, _, stderr) = run(dir.path(), &["promote", ".", "--from", "qa"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "--from `qa`: no such environment; the environments found are `staging`, `production`"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        dir.path(),
        &["promote", ".", "--to", "prod", "--from", "prod"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--from and --to are both `production`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(dir.path(), &["promote", ".", "--to", "staging"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("lowest environment"), "{stderr}");
    // The JSON format still writes a document a CI step can read.
    let (code, out, _) = run(
        dir.path(),
        &["promote", ".", "--to", "uat", "--format", "json"],
    );
    assert_eq!(code, 2);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["error"].to_string().contains("no such environment"),
        "{doc}"
    );

    let dir = pair(
        STAGING,
        PRODUCTION,
        "[promote]\nchecklist = [\"Release notes sent\", 42]\n",
    );
    let (code, _, stderr) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("envparity.toml:2"), "{stderr}");
    assert!(stderr.contains("expected a string"), "{stderr}");
}

#[test]
fn explicit_pair_and_the_default_pair_with_three_environments() {
    let dir = repo(&[
        (
            "docker-compose.dev.yml",
            "services:\n  web:\n    image: ghcr.io/acme/web:1.6.0-rc1\n",
        ),
        ("docker-compose.staging.yml", STAGING),
        ("docker-compose.production.yml", PRODUCTION),
    ]);
    let (doc, _) = json_in(dir.path(), &["promote", ".", "--format", "json"]);
    assert_eq!(
        (&doc["from"], &doc["to"]),
        (&Value::from("staging"), &Value::from("production"))
    );
    let (doc, _) = json_in(
        dir.path(),
        &[
            "promote", ".", "--from", "dev", "--to", "staging", "--format", "json",
        ],
    );
    assert_eq!(doc["from"], "development");
    assert_eq!(doc["to"], "staging");
    assert_eq!(doc["changes"][0]["after"], "ghcr.io/acme/web:1.6.0-rc1");
    // Staging is not production-like: the production-only checks say so instead of ticking.
    let debug = doc["checklist"]["sections"][1]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["text"] == "Debug mode off in staging")
        .unwrap();
    assert_eq!(debug["status"], "unknown");
    assert!(debug["reason"]
        .as_str()
        .unwrap()
        .contains("not production-like"));
}

#[test]
fn checklist_ticks_on_evidence_and_adds_the_teams_items() {
    let dir = pair(
        STAGING,
        PRODUCTION,
        "[promote]\nchecklist = [\"Release notes sent to support\", \"Feature flags reviewed\"]\n",
    );
    let (code, md, _) = run(
        dir.path(),
        &["promote", ".", "--format", "md", "-o", "PROMOTION.md"],
    );
    assert_eq!(code, 0);
    assert!(md.is_empty(), "-o writes the file, not standard output");
    let md = std::fs::read_to_string(dir.path().join("PROMOTION.md")).unwrap();
    assert!(
        md.contains(
            "### Team\n\n- [ ] Release notes sent to support\n- [ ] Feature flags reviewed\n"
        ),
        "{md}"
    );
    assert!(md.contains("- [x] Debug mode off in production (EP005)\n  - `env.DEBUG` of `web` is `False` (docker-compose.production.yml:5)"), "{md}");
    assert!(md.contains("- [x] More than one instance of the production web and database services\n  - `web` (web): 3 instances (docker-compose.production.yml:8)"), "{md}");
    // No database in either file: backups cannot be verified, and are not ticked.
    assert!(md.contains("- [ ] ? Backups configured for the production database: could not verify (no database found in production"), "{md}");
    assert!(
        md.contains("- [ ] ✗ Every setting the new version has in staging is set in production"),
        "{md}"
    );
    assert!(md.contains("- [ ] UAT sign-off received"), "{md}");
}

#[test]
fn no_secret_value_in_any_format() {
    let dir = pair(STAGING, PRODUCTION, "");
    for format in ["text", "md", "json"] {
        let (_, out, _) = run(dir.path(), &["promote", ".", "--format", format]);
        assert!(
            !out.contains("sk_live_9fQ2mXv7Lr4pZt8Kw3NsB6"),
            "{format}: {out}"
        );
        assert!(out.contains("********"), "{format}");
    }
}

#[test]
fn help_lists_promote() {
    let help = stdout_of(&["--help"]);
    assert!(help.contains("promote"), "{help}");
}

#[test]
fn inline_suppressions_waive_in_the_simulated_promotion_too() {
    let dir = repo(&[
        (
            "docker-compose.staging.yml",
            "services:\n  web:\n    image: shop/web:1.5\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  web: # envparity: ignore EP007 limits are set by the platform\n    image: shop/web:1.4\n",
        ),
    ]);
    let (code, text, stderr) = run(dir.path(), &["promote", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("EP007: `web` has no CPU or memory limit in production (docker-compose.production.yml:2) [waived: limits are set by the platform (envparity: ignore at docker-compose.production.yml:2)]"),
        "{text}"
    );
}
