//! The demo report in headless Chromium: every sign-in carries a `<script>` / `<img
//! onerror>` payload in its user agent; the page must render the timeline and show the
//! payload as text without running it. Skipped with a notice when Chromium is absent,
//! unless `CI` is set. (The CLI's integration tests check the same for Activity fields, and
//! that no network request is made.)

use std::path::PathBuf;
use std::process::{Command, Stdio};
use tokentrail_report::demo::demo_case;
use tokentrail_report::html::{render, ReportInput};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOKENTRAIL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

#[test]
fn user_agent_payload_in_a_sign_in_does_not_execute() {
    let Some(bin) = chromium() else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(!ci, "CI is set but chromium is not installed");
        eprintln!("notice: chromium not found; skipping the headless report test");
        return;
    };
    let (findings, signins) = demo_case();
    let interest: Vec<usize> = (0..findings.len()).collect();
    let page = render(&ReportInput {
        version: "test",
        findings: &findings,
        interest: &interest,
        signins: &signins,
        audit_events: 0,
        redacted: false,
    });
    assert!(!page.contains("<img"), "payload reached the markup");
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("report.html");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            d.path().join("profile").display()
        ))
        .arg(format!("file://{}", file.display()))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("id=\"timeline-svg\""), "timeline not rendered");
    assert!(
        dom.matches("class=\"signin\"").count() >= 4,
        "sign-in and session-origin marks"
    );
    assert!(
        dom.contains("class=\"link"),
        "links from changes to sign-ins"
    );
    assert!(
        dom.contains("<title>tokentrail report</title>"),
        "title changed"
    );
    assert!(!dom.contains("data-pwned=\"1\""), "payload ran");
    assert!(!dom.contains("<img"), "payload became markup");
    assert!(
        dom.contains("Mozilla/5.0 &lt;script&gt;"),
        "user agent shown as text"
    );
}
