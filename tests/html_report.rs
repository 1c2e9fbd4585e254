//! The HTML report: snapshots of two examples, escaping of hostile names and values, and the
//! page in a real headless Chromium (Debian's `chromium`): it loads with no console error and
//! fetches nothing, the findings filters hide exactly the right rows, without JavaScript every
//! finding shows (and no control that needs it), and a screenshot of each bundled example is written to
//! `target/html-screenshots/` (look at them after a change to the page).
//!
//! The browser test fails when Chromium is missing; `ENVPARITY_SKIP_BROWSER=1` skips it on a
//! machine without one (CI installs it, see `.ci/run`).

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{envparity, json_of, repo, stdout_of, MANIFEST};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Log, Page, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

/// The page without its stylesheet and script, which have tests of their own below: the
/// snapshot is what the report says.
fn content_of(html: &str) -> String {
    let cut = |s: &str, open: &str, close: &str| -> String {
        match (s.find(open), s.find(close)) {
            (Some(a), Some(b)) if a < b => format!("{}{open}…{}", &s[..a], &s[b..]),
            _ => s.to_string(),
        }
    };
    let html = cut(html, "<style>", "</style>");
    cut(&html, "<script>", "</script>")
}

#[test]
fn html_report_of_obcms() {
    let html = stdout_of(&["report", "examples/obcms", "--format", "html"]);
    insta::assert_snapshot!(content_of(&html));
}

#[test]
fn html_check_of_hazards() {
    // `check` fails the gate on this example: exit 1, and the page says so.
    let out = envparity()
        .args(["check", "examples/hazards", "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<p class=\"gate-verdict\">Gate failed</p>"));
    insta::assert_snapshot!(content_of(&html));
}

#[test]
fn html_is_the_same_every_run_and_written_with_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    envparity()
        .args(["report", "examples/hazards", "-f", "html", "-o"])
        .arg(&file)
        .assert()
        .success();
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written,
        stdout_of(&["report", "examples/hazards", "--format", "html"])
    );
    assert!(written.starts_with("<!DOCTYPE html>"));
}

#[test]
fn html_escapes_every_repository_string_and_masks_secrets() {
    let staging = r#"services:
  "<script>alert('name')</script>":
    image: "app:1.0"
    environment:
      GREETING: "<script>alert('value')</script>"
      DB_PASSWORD: "hunter2-correct-horse"
"#;
    let production = r#"services:
  "<script>alert('name')</script>":
    image: "app:1.1"
    environment:
      GREETING: "<img src=x onerror=alert(1)>"
      DB_PASSWORD: "hunter3-battery-staple"
"#;
    let dir = repo(&[
        ("docker-compose.staging.yml", staging),
        ("docker-compose.production.yml", production),
    ]);
    let out = common::envparity_in(dir.path())
        .args(["report", ".", "--format", "html"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    // Our one script is the only one; the names and values are there, as text.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"));
    assert!(html.contains("&lt;script&gt;alert(&#39;value&#39;)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        !html.contains("hunter2") && !html.contains("hunter3"),
        "{html}"
    );
    assert!(html.contains("********"));
}

// ---- In the browser ----

/// Chromium's path: `ENVPARITY_CHROMIUM`, or `chromium` on `PATH`. `None` only when the
/// machine has none and `ENVPARITY_SKIP_BROWSER` is set.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ENVPARITY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("ENVPARITY_SKIP_BROWSER").is_some(),
            "the HTML report is tested in Chromium: install it (`apt-get install chromium`) or set ENVPARITY_SKIP_BROWSER=1 to skip this test"
        );
        eprintln!("ENVPARITY_SKIP_BROWSER is set and Chromium is missing: browser test skipped");
    }
    found
}

/// Flags that keep Chromium off the network (this machine has none; without them it tries,
/// and the page load waits on refused connections).
const QUIET_FLAGS: [&str; 7] = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-default-browser-check",
];

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("html-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(MANIFEST).join("examples"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Each example's page, written where the browser can open it.
fn pages(dir: &Path) -> Vec<(String, PathBuf)> {
    examples()
        .into_iter()
        .map(|name| {
            let file = dir.join(format!("{name}.html"));
            envparity()
                .args(["report", &format!("examples/{name}"), "-f", "html", "-o"])
                .arg(&file)
                .assert()
                .success();
            (name, file)
        })
        .collect()
}

fn url(file: &Path) -> String {
    format!("file://{}", file.display())
}

#[test]
fn html_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let pages = pages(work.path());

    let profile = work.path().join("profile");
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium))
            .sandbox(false)
            .user_data_dir(Some(profile))
            .window_size(Some((1280, 900)))
            .args(QUIET_FLAGS.iter().map(OsStr::new).collect())
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    )
    .unwrap();
    no_script_shows_every_finding(&browser, &pages);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    let errors = collect_console_errors(&tab);
    let shots = screenshots_dir();
    for (name, file) in &pages {
        tab.navigate_to(&url(file))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        assert_eq!(
            eval(&tab, "performance.getEntriesByType('resource').length"),
            0,
            "{name}: the page fetched something"
        );
        accessible(&tab, name);
        filters_hide_the_right_rows(&tab, name);
        screenshot(&tab, &shots.join(format!("{name}.png")));
        let found = std::mem::take(&mut *errors.lock().unwrap());
        assert!(found.is_empty(), "{name}: console errors: {found:?}");
    }
    // The same page in dark mode, and as printed.
    let hazards = &pages.iter().find(|(n, _)| n == "hazards").unwrap().1;
    for (media, feature, file) in [
        ("", "dark", "hazards-dark.png"),
        ("print", "light", "hazards-print.png"),
    ] {
        emulate(&tab, media, feature);
        tab.navigate_to(&url(hazards))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        if media == "print" {
            assert_eq!(
                eval(
                    &tab,
                    "getComputedStyle(document.querySelector('nav')).display"
                ),
                "none"
            );
        } else {
            assert_eq!(
                eval(&tab, "getComputedStyle(document.body).backgroundColor"),
                "rgb(22, 24, 28)"
            );
        }
        screenshot(&tab, &shots.join(file));
    }
    let found = errors.lock().unwrap().clone();
    assert!(found.is_empty(), "console errors: {found:?}");
}

/// Script errors, console errors and browser log errors, as they come.
fn collect_console_errors(tab: &Arc<Tab>) -> Arc<Mutex<Vec<String>>> {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&errors);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let message = match event {
            Event::RuntimeExceptionThrown(e) => Some(format!("{:?}", e.params.exception_details)),
            Event::RuntimeConsoleAPICalled(e)
                if matches!(
                    e.params.Type,
                    Runtime::ConsoleAPICalledEventTypeOption::Error
                        | Runtime::ConsoleAPICalledEventTypeOption::Warning
                        | Runtime::ConsoleAPICalledEventTypeOption::Assert
                ) =>
            {
                Some(format!("console: {:?}", e.params.args))
            }
            Event::LogEntryAdded(e)
                if matches!(
                    e.params.entry.level,
                    Log::LogEntryLevel::Error | Log::LogEntryLevel::Warning
                ) =>
            {
                Some(format!("log: {}", e.params.entry.text))
            }
            _ => None,
        };
        if let Some(m) = message {
            sink.lock().unwrap().push(m);
        }
    }))
    .unwrap();
    tab.enable_runtime().unwrap();
    tab.enable_log().unwrap();
    errors
}

/// The value of a JavaScript expression (returned by value).
fn eval(tab: &Tab, expression: &str) -> Value {
    let wrapped = format!("JSON.stringify({expression})");
    let result = tab.evaluate(&wrapped, false).unwrap();
    let Some(text) = result.value.clone() else {
        panic!("`{expression}` gave no value: {result:?}");
    };
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

const VISIBLE_FINDINGS: &str = "Array.from(document.querySelectorAll('#findings-table tbody tr')).filter(r => r.getClientRects().length > 0)";

fn visible_statuses(tab: &Tab) -> Vec<String> {
    let v = eval(
        tab,
        &format!("{VISIBLE_FINDINGS}.map(r => r.dataset.status)"),
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn choose(tab: &Tab, select: &str, value: &str) {
    eval(
        tab,
        &format!(
            "(() => {{ const s = document.getElementById('filter-{select}'); s.value = {value:?}; s.dispatchEvent(new Event('change')); return s.value; }})()"
        ),
    );
}

/// Choosing a severity, then a rule, shows exactly the findings the JSON report has for it;
/// "Show all" brings every row back.
fn filters_hide_the_right_rows(tab: &Tab, name: &str) {
    let doc = json_of(&format!("examples/{name}"));
    let findings = doc["findings"].as_array().unwrap();
    let status = |f: &Value| -> String {
        if f["waived"].is_null() {
            f["severity"].as_str().unwrap().to_string()
        } else {
            "waived".to_string()
        }
    };
    if findings.is_empty() {
        assert_eq!(
            eval(tab, "document.getElementById('findings-table')"),
            Value::Null
        );
        return;
    }
    assert_eq!(
        eval(tab, "document.getElementById('finding-filters').hidden"),
        false,
        "{name}: the script shows the filters"
    );
    assert_eq!(visible_statuses(tab).len(), findings.len(), "{name}");
    for wanted in ["error", "warning", "waived"] {
        let expected = findings.iter().filter(|f| status(f) == wanted).count();
        if expected == 0 {
            continue;
        }
        choose(tab, "status", wanted);
        let shown = visible_statuses(tab);
        assert_eq!(shown.len(), expected, "{name}: severity {wanted}");
        assert!(shown.iter().all(|s| s == wanted), "{name}: {shown:?}");
        assert_eq!(
            eval(tab, "document.getElementById('findings-shown').textContent"),
            format!("Showing {expected} of {} findings.", findings.len())
        );
    }
    choose(tab, "status", "");
    let rule = findings[0]["rule"].as_str().unwrap();
    choose(tab, "rule", rule);
    let expected = findings.iter().filter(|f| f["rule"] == rule).count();
    let shown = eval(tab, &format!("{VISIBLE_FINDINGS}.map(r => r.dataset.rule)"));
    assert_eq!(
        shown.as_array().unwrap().len(),
        expected,
        "{name}: rule {rule}"
    );
    assert!(shown.as_array().unwrap().iter().all(|r| r == rule));
    eval(
        tab,
        "(document.getElementById('finding-filters').reset(), true)",
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(visible_statuses(tab).len(), findings.len(), "{name}: reset");
}

/// What a screen reader needs: a caption on every table, a scope on every header cell, a
/// label on every control, a language; and folded tables start folded.
fn accessible(tab: &Tab, name: &str) {
    let check = |what: &str, expr: &str| {
        assert_eq!(eval(tab, expr), 0, "{name}: {what}");
    };
    check(
        "tables without a caption",
        "Array.from(document.querySelectorAll('table')).filter(t => !t.caption || !t.caption.textContent.trim()).length",
    );
    check(
        "header cells without scope",
        "document.querySelectorAll('th:not([scope])').length",
    );
    check(
        "controls without a label",
        "Array.from(document.querySelectorAll('select, input')).filter(c => c.labels.length === 0).length",
    );
    check(
        "open folded tables",
        "document.querySelectorAll('details[open]').length",
    );
    assert_eq!(eval(tab, "document.documentElement.lang"), "en");
}

fn emulate(tab: &Tab, media: &str, scheme: &str) {
    tab.call_method(Emulation::SetEmulatedMedia {
        media: Some(media.to_string()),
        features: Some(vec![Emulation::MediaFeature {
            name: "prefers-color-scheme".to_string(),
            value: scheme.to_string(),
        }]),
    })
    .unwrap();
}

/// The whole page, as tall as it is.
fn screenshot(tab: &Tab, file: &Path) {
    let metrics = tab.call_method(Page::GetLayoutMetrics(None)).unwrap();
    let size = metrics.css_content_size;
    let png = tab
        .call_method(Page::CaptureScreenshot {
            format: Some(Page::CaptureScreenshotFormatOption::Png),
            quality: None,
            clip: Some(Page::Viewport {
                x: 0.0,
                y: 0.0,
                width: size.width,
                height: size.height,
                scale: 1.0,
            }),
            from_surface: Some(true),
            capture_beyond_viewport: Some(true),
            optimize_for_speed: None,
        })
        .unwrap()
        .data;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png)
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    std::fs::write(file, bytes).unwrap();
}

/// With scripts off (the DevTools switch; `chromium --dump-dom` prints nothing when
/// `--blink-settings=scriptEnabled=false` is given) every finding shows and none is hidden,
/// and the filter controls, which need the script, stay hidden.
fn no_script_shows_every_finding(browser: &Browser, pages: &[(String, PathBuf)]) {
    let tab = browser.new_tab().unwrap();
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true })
        .unwrap();
    for (name, file) in pages {
        tab.navigate_to(&url(file))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let findings = json_of(&format!("examples/{name}"))["findings"]
            .as_array()
            .unwrap()
            .len();
        let dom = tab.get_content().unwrap();
        assert_eq!(dom.matches("<tr data-status=").count(), findings, "{name}");
        assert_eq!(visible_statuses(&tab).len(), findings, "{name}");
        if findings > 0 {
            assert_eq!(
                eval(&tab, "document.getElementById('finding-filters').hidden"),
                true,
                "{name}: filters shown without the script"
            );
            assert_eq!(
                eval(
                    &tab,
                    "document.getElementById('findings-shown').textContent"
                ),
                "",
                "{name}: the script ran"
            );
        }
    }
    tab.close(false).unwrap();
}
