//! The one integration-test binary: every test drives the real `tokentrail` executable.

mod archive;
mod case_db;
mod conformance;
mod detect;
mod golden;
mod ground_truth;
mod investigate;
mod parse;
mod report_html;
mod util;
