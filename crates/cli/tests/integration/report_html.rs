//! `report.html` in headless Chromium: the timeline renders, a `<script>` / `<img onerror>`
//! payload in log fields does not execute, and nothing is fetched from the network.
//!
//! The network check is a local listener: the payloads point an `<img>`, a stylesheet
//! and a CSS `url()` at `http://127.0.0.1:PORT/…`, where the test accepts connections. If
//! anything in the page (escaping failure, CSP failure, or the page itself) made the browser
//! fetch, the listener would see a connection; the test asserts it saw none. This is robust
//! where log scraping is not: it does not depend on Chromium's log format or verbosity.
//! Chromium is installed by `.ci/run`; without it the test prints a notice and passes,
//! unless `CI` is set, where it must run.

use crate::util::tokentrail;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOKENTRAIL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Runs headless Chromium with `extra` args on `page`; returns stdout. Killed after 120 s.
fn run_chromium(bin: &Path, profile: &Path, extra: &[String], page: &Path) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn event(
    n: u32,
    caller: &str,
    upn: &str,
    name: &str,
    ip: &str,
    op: &str,
    rid: &str,
    t: &str,
) -> serde_json::Value {
    serde_json::json!({
        "eventDataId": format!("00000000-0000-4000-8000-{n:012}"),
        "correlationId": format!("10000000-0000-4000-8000-{n:012}"),
        "operationId": format!("20000000-0000-4000-8000-{n:012}"),
        "caller": caller,
        "operationName": {"value": op},
        "status": {"value": "Succeeded"},
        "category": {"value": "Administrative"},
        "eventTimestamp": t,
        "resourceId": rid,
        "subscriptionId": "5f1c0a2e-7b3d-4c9a-9e21-0d4b6a8c2f11",
        "claims": {
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn,
            "name": name,
            "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "ipaddr": ip,
            "http://schemas.microsoft.com/identity/claims/objectidentifier": format!("30000000-0000-4000-8000-{n:012}")
        },
        "httpRequest": {"clientIpAddress": ip, "method": "PUT"}
    })
}

/// A small case in the demo's spirit, with hostile payloads in the caller, the user's
/// name and a resource name.
pub fn hostile_fixture(dir: &Path, port: u16) -> PathBuf {
    let sub =
        "/subscriptions/5f1c0a2e-7b3d-4c9a-9e21-0d4b6a8c2f11/resourceGroups/rg-prod/providers";
    let script = format!(
        "<script>document.title='PWNED';document.documentElement.setAttribute('data-pwned','1');fetch('http://127.0.0.1:{port}/script')</script>"
    );
    let img =
        format!("<img src=\"http://127.0.0.1:{port}/img\" onerror=\"document.title='PWNED'\">");
    let css = format!(
        "<link rel=stylesheet href=\"http://127.0.0.1:{port}/css\"><style>body{{background:url(http://127.0.0.1:{port}/bg)}}</style>"
    );
    let evs = vec![
        event(1, "dana.ops@fabrikam.example", "dana.ops@fabrikam.example", "Dana Ops", "198.51.100.23",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            &format!("{sub}/Microsoft.Network/networkSecurityGroups/nsg-web/securityRules/allow-mgmt"), "2024-06-10T06:13:45Z"),
        event(2, "dana.ops@fabrikam.example", "dana.ops@fabrikam.example", "Dana Ops", "198.51.100.23",
            "Microsoft.Authorization/roleAssignments/write",
            &format!("{sub}/Microsoft.Authorization/roleAssignments/9a8b7c6d-1111-4222-8333-944455566677"), "2024-06-10T06:20:02Z"),
        event(3, &script, &script, &css, "203.0.113.66",
            "Microsoft.Compute/virtualMachines/runCommand/action",
            &format!("{sub}/Microsoft.Compute/virtualMachines/{img}"), "2024-06-10T07:02:11Z"),
        event(4, "mallory@contoso.example", "mallory@contoso.example", "Mallory", "203.0.113.66",
            "Microsoft.KeyVault/vaults/write",
            &format!("{sub}/Microsoft.KeyVault/vaults/kv-prod"), "2024-06-10T07:05:40Z"),
        event(5, "erin.admin@fabrikam.example", "erin.admin@fabrikam.example", "Erin Admin", "192.0.2.10",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            &format!("{sub}/Microsoft.Storage/storageAccounts/stprod01"), "2024-06-10T08:30:00Z"),
    ];
    let p = dir.join("activity.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&evs).unwrap()).unwrap();
    p
}

#[test]
fn report_renders_offline_and_payloads_do_not_execute() {
    let Some(bin) = chromium() else {
        assert!(
            !in_ci(),
            "CI=true but chromium is not installed (.ci/run installs it)"
        );
        eprintln!("notice: chromium not found; skipping the headless report.html test (set CI=true to require it)");
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicUsize::new(0));
    let (h2, s2) = (hits.clone(), stop.clone());
    let server = std::thread::spawn(move || {
        while s2.load(Ordering::SeqCst) == 0 {
            match listener.accept() {
                Ok(_) => {
                    h2.fetch_add(1, Ordering::SeqCst);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });

    let d = tempfile::tempdir().unwrap();
    let input = hostile_fixture(d.path(), port);
    let out = tokentrail()
        .current_dir(d.path())
        .args(["investigate", input.to_str().unwrap(), "--out", "case"])
        .output()
        .unwrap();
    crate::util::assert_success(&out);
    let page = d.path().join("case/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert!(
        !html.contains("<img") && !html.contains("<link"),
        "payload reached the markup"
    );

    let profile = d.path().join("profile");
    let dom = run_chromium(
        &bin,
        &profile,
        &["--virtual-time-budget=3000".into(), "--dump-dom".into()],
        &page,
    );
    let filtered = run_chromium(
        &bin,
        &profile,
        &["--virtual-time-budget=3000".into(), "--dump-dom".into()],
        &PathBuf::from(format!("{}#text=listKeys", page.display())),
    );
    let shot = std::env::var("TOKENTRAIL_SCREENSHOT").ok();
    if let Some(s) = &shot {
        run_chromium(
            &bin,
            &profile,
            &[
                format!("--screenshot={s}"),
                "--window-size=1400,2200".into(),
            ],
            &page,
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(1, Ordering::SeqCst);
    server.join().unwrap();

    // (a) the script ran and built the timeline, storylines and finding cards.
    assert!(
        dom.contains("id=\"timeline-svg\""),
        "timeline not rendered:\n{dom}"
    );
    assert!(
        dom.matches("class=\"lane\"").count() >= 3,
        "one lane per identity"
    );
    assert!(dom.contains("class=\"op\""), "no change markers");
    assert!(dom.contains("class=\"story\""), "no storylines");
    assert!(dom.contains("class=\"finding"), "no finding cards");
    assert!(dom.contains("runCommand"), "operation names shown");
    // (b) the payloads are shown as text and did not execute.
    assert!(
        dom.contains("<title>tokentrail report</title>"),
        "title changed"
    );
    assert!(!dom.contains("data-pwned=\"1\""), "payload script ran");
    assert!(
        !dom.contains("<img") && !dom.contains("<link"),
        "payload became markup"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title"),
        "payload text is displayed escaped"
    );
    // (d) the filters work client-side: a view given in the address shows one operation.
    assert_eq!(filtered.matches("class=\"op\"").count(), 1, "text filter");
    assert!(filtered.contains("1 of 5 operations shown"));
    // (c) nothing was fetched.
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the page made network requests"
    );
}
