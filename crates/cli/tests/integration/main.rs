//! The one integration-test binary: every test drives the real `tokentrail` executable.

mod archive;
mod conformance;
mod ground_truth;
mod investigate;
mod parse;
mod util;
