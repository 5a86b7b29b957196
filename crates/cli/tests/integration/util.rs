//! Helpers: run the binary, locate fixtures and the shared sample corpus.

use std::path::PathBuf;
use std::process::Output;

pub fn tokentrail() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("tokentrail").expect("binary built")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn fixtures() -> PathBuf {
    repo_root().join("crates/ingest/tests/fixtures")
}

/// `../shared/samples` beside the checkout, when present.
pub fn shared_samples() -> Option<PathBuf> {
    let p = repo_root().join("../shared/samples");
    p.is_dir().then_some(p)
}

/// stdout with the fixture directory replaced, so snapshots do not depend on the checkout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).replace(&fixtures().display().to_string(), "<fixtures>")
}

/// stderr with the fixture directory replaced, so snapshots do not depend on the checkout.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).replace(&fixtures().display().to_string(), "<fixtures>")
}

/// Per-file summary counts parsed from a `parse` summary line: (read, parsed, skipped).
pub fn counts(summary: &str) -> Option<(u64, u64, u64)> {
    let tail = summary.split(": read ").nth(1)?;
    let mut nums = tail
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().unwrap());
    Some((nums.next()?, nums.next()?, nums.next()?))
}

/// Fails the test with the command's stderr unless it succeeded.
pub fn assert_success(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Makes a bundle file (written read-only) writable, so a test can tamper with it.
pub fn make_writable(p: &std::path::Path) {
    let mut perm = std::fs::metadata(p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(p, perm).unwrap();
}
