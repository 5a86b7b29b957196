//! Golden snapshots of the bundle's text outputs on one small fixed fixture: notes.md,
//! timeline.md, timeline.csv, timeline.jsonl, findings/operations.jsonl and the collection
//! and rollback commands. Review changes
//! with `cargo insta review`.

use crate::util::{fixtures, tokentrail};

#[test]
fn bundle_text_outputs_match_their_snapshots() {
    let d = tempfile::tempdir().unwrap();
    let input = fixtures().join("activity/json/rest_value_pages.json");
    let out = tokentrail()
        .current_dir(d.path())
        .args(["investigate", input.to_str().unwrap(), "--out", "case"])
        .output()
        .unwrap();
    crate::util::assert_success(&out);
    let case = d.path().join("case");
    for (name, rel) in [
        ("notes_md", "notes.md"),
        ("timeline_md", "timeline.md"),
        ("timeline_csv", "timeline.csv"),
        ("timeline_jsonl", "timeline.jsonl"),
        ("operations_jsonl", "findings/operations.jsonl"),
        ("collect_md", "commands/collect.md"),
        ("rollback_md", "commands/rollback.md"),
    ] {
        let text = std::fs::read_to_string(case.join(rel)).unwrap();
        insta::assert_snapshot!(name, text);
    }
}
