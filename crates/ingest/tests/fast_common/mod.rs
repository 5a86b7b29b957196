//! What the fast-path equivalence tests share: running one frame through both paths and
//! comparing their outcomes.

use std::sync::Arc;
use tokentrail_ingest::frame::{Frame, FrameKind};
use tokentrail_ingest::pipeline::{fast_path, normalize_frame_with};
use tokentrail_ingest::Outcome;

/// An outcome as comparable text: its `Debug` rendering and the record's JSON (which also
/// pins the key order of `properties`).
pub fn render(o: &(Outcome, Option<tokentrail_ingest::detect::Schema>)) -> String {
    let json = match &o.0 {
        Outcome::Parsed(r) => serde_json::to_string(r).unwrap(),
        _ => String::new(),
    };
    format!("{:?}\n{json}", o)
}

/// Both paths on one frame; returns true when a fast path took it.
pub fn check(file: &Arc<str>, index: u64, frame: &Frame) -> bool {
    let fast = normalize_frame_with(file, index, frame.clone(), None, true);
    let generic = normalize_frame_with(file, index, frame.clone(), None, false);
    assert_eq!(
        render(&fast),
        render(&generic),
        "fast and generic paths differ on {file} record {index}: {}",
        String::from_utf8_lossy(&frame.bytes)
    );
    let p = tokentrail_model::Provenance {
        file: file.clone(),
        record: index,
        line: Some(frame.line),
        offset: Some(frame.offset),
    };
    frame.kind == FrameKind::Json && fast_path(&frame.bytes, &p).is_some()
}

/// A JSON frame holding `bytes`, at the start of its file.
pub fn frame_bytes(bytes: Vec<u8>) -> Frame {
    Frame {
        kind: FrameKind::Json,
        bytes,
        offset: 0,
        line: 1,
    }
}
