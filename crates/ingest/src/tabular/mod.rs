//! Delimited-text and PowerShell text readers: CSV exports (Log Analytics portal and API,
//! Entra portal downloads, PowerShell `Export-Csv`) and PowerShell formatted-list text
//! (`Get-AzActivityLog | Out-File`).
//!
//! [`delimited`] frames CSV rows and hands them to the JSON normalizers as objects, or to
//! [`psevent`] when the header is PowerShell's `PSEventData`; [`pslist`] frames list text
//! into the same [`psevent::PsRecord`]. [`culture`] decides how culture-formatted dates
//! are read; [`kv`] parses PowerShell's multi-line `key : value` cells.

pub mod culture;
pub mod delimited;
pub mod header;
pub mod kv;
pub mod psevent;
pub mod pslist;

pub use delimited::read_csv;
pub use pslist::read_ps_list;

/// How many rows or blocks are buffered to infer a date culture before any is emitted.
pub const CULTURE_SAMPLE: usize = 512;

/// The culture decision for a stream, from `--culture` or a sample of date values.
pub(crate) fn decide_culture(
    forced: Option<&str>,
    evidence: &culture::Evidence,
    stats: &mut crate::stats::FileStats,
) -> psevent::TimeCtx {
    let d = culture::decide(forced, evidence);
    stats.note(d.note.clone());
    let how = if forced.is_some() && d.note.contains("forced") {
        "forced by --culture"
    } else if d.ambiguous {
        "assumed, ambiguous"
    } else {
        "inferred"
    };
    psevent::TimeCtx {
        culture: d.culture,
        how,
    }
}
