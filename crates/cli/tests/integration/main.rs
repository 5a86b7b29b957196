//! The one integration-test binary: every test drives the real `tokentrail` executable.

mod archive;
mod conformance;
mod detect;
mod parse;
mod util;
