//! Delimited-text and PowerShell list readers (CSV exports, `Export-Csv`, `Out-File`).
//! Stub: filled in by the CSV/PowerShell reader work.

use crate::pipeline::StreamCtx;
use crate::stats::{FileStats, Sink};
use std::io::Read;

/// Reads a CSV stream.
pub fn read_csv(
    _rdr: Box<dyn Read + '_>,
    _ctx: &StreamCtx,
    stats: &mut FileStats,
    _sink: &mut dyn Sink,
) -> std::io::Result<()> {
    stats.shape("csv");
    stats.error = Some("CSV exports are recognised but not yet read by this version".into());
    Ok(())
}

/// Reads PowerShell formatted-list text.
pub fn read_ps_list(
    _rdr: Box<dyn Read + '_>,
    _ctx: &StreamCtx,
    stats: &mut FileStats,
    _sink: &mut dyn Sink,
) -> std::io::Result<()> {
    stats.shape("powershell-list");
    stats.error =
        Some("PowerShell list text is recognised but not yet read by this version".into());
    Ok(())
}
