//! Renders `report.html` for the made-up incident in [`tokentrail_report::demo`], to look at
//! the design: `cargo run -p tokentrail-report --example demo_report -- /tmp/demo.html`.

use tokentrail_report::demo::demo_case;
use tokentrail_report::html::{render, ReportInput};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo-report.html".into());
    let (findings, signins) = demo_case();
    let interest: Vec<usize> = (0..findings.len()).collect();
    let page = render(&ReportInput {
        version: env!("CARGO_PKG_VERSION"),
        findings: &findings,
        interest: &interest,
        signins: &signins,
        audit_events: 3,
        redacted: false,
    });
    std::fs::write(&out, page).expect("write the page");
    eprintln!("wrote {out}");
}
