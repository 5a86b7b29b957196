//! CSV framing: delimiter sniffing, the PowerShell `#TYPE` line, RFC 4180 multi-line
//! cells, header cleaning, per-row provenance, bad rows counted and skipped, and
//! dispatch of each row to the PowerShell or the generic (JSON-object) normalizer.

use super::culture::{self, Evidence};
use super::header::{columns, Column};
use super::psevent::{self, PsRecord, TimeCtx};
use super::{decide_culture, CULTURE_SAMPLE};
use crate::fields::norm_key;
use crate::frame::{Frame, FrameKind};
use crate::par::ordered_map;
use crate::pipeline::{normalize_map, skip, StreamCtx};
use crate::stats::{FileStats, Outcome, Sink};
use csv::{ByteRecord, ReaderBuilder};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;
use std::sync::Arc;
use tokentrail_model::{Provenance, Record};

/// Longest first line (type line or header) read for sniffing.
const MAX_HEAD_LINE: u64 = 1 << 20;
/// Most bytes one row may span. A stray quote makes the rest of a file one cell; past this
/// the file stops with an error instead of being buffered whole.
pub const MAX_ROW: u64 = 64 << 20;
/// Schema label of PowerShell `Export-Csv` rows.
pub const PS_CSV_LABEL: &str = "activity/powershell-csv";

/// How rows of this file are normalized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    PowerShell,
    Generic,
}

/// One framed row.
struct Row {
    index: u64,
    line: u64,
    offset: u64,
    rec: ByteRecord,
    /// The row a read error cut short: counted as skipped, then the error ends the file.
    cut: bool,
}

/// Everything the per-row normalizer needs; shared by the worker threads.
struct RowCtx {
    file: Arc<str>,
    cols: Vec<Column>,
    mode: Mode,
    /// Indices of date columns whose culture-formatted values are rewritten as ISO.
    rewrite: Vec<usize>,
    time: TimeCtx,
    any_utc_header: bool,
    delim: u8,
}

/// Reads a CSV stream.
pub fn read_csv(
    rdr: Box<dyn Read + '_>,
    ctx: &StreamCtx,
    stats: &mut FileStats,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    stats.shape("csv");
    let mut br = BufReader::with_capacity(256 << 10, rdr);
    let mut base_line = 0u64;
    let mut base_off = 0u64;
    let mut first = read_line(&mut br)?;
    if first.starts_with(b"\xef\xbb\xbf") {
        first.drain(..3);
        base_off += 3;
    }
    if first.starts_with(b"#TYPE ") {
        let t = String::from_utf8_lossy(&first).trim().to_string();
        stats.shape("powershell-type-line");
        stats.note(format!("skipped PowerShell type line {t:?}"));
        base_line = 1;
        base_off += first.len() as u64;
        first = read_line(&mut br)?;
    }
    let delim = sniff_delimiter(&first);
    // The csv crate reports a record after a CRLF at the `\n`; files written on Windows
    // end every record with CRLF, so their offsets move one byte on.
    let crlf = u64::from(first.ends_with(b"\r\n"));
    if delim != b',' {
        stats.note(format!(
            "delimiter {:?}{}",
            delim as char,
            if delim == b';' {
                " (Export-Csv -UseCulture)"
            } else {
                ""
            }
        ));
    }
    let since_row = Rc::new(Cell::new(0u64));
    let chained = Capped {
        inner: Cursor::new(first).chain(br),
        since_row: since_row.clone(),
    };
    let mut csv = ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(chained);
    let mut head = ByteRecord::new();
    if !csv.read_byte_record(&mut head).map_err(csv_io)? {
        return Ok(());
    }
    let raw_names: Vec<String> = head
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let cols = columns(&raw_names);
    let norm: Vec<String> = cols.iter().map(|c| norm_key(&c.name)).collect();
    let mode = if psevent::is_ps_event(norm.iter().map(String::as_str)) {
        stats.shape("powershell-export-csv");
        Mode::PowerShell
    } else {
        Mode::Generic
    };
    let date_cols: Vec<usize> = norm
        .iter()
        .enumerate()
        .filter(|(_, n)| match mode {
            Mode::PowerShell => {
                n.as_str() == "eventtimestamp" || n.as_str() == "submissiontimestamp"
            }
            Mode::Generic => n.contains("time") || n.contains("date"),
        })
        .map(|(i, _)| i)
        .collect();

    // PowerShell's `Id` ends in the event's exact .NET ticks: the best culture evidence.
    let col = |name: &str| {
        (mode == Mode::PowerShell)
            .then(|| norm.iter().position(|n| n == name))
            .flatten()
    };
    let (id_col, ts_col) = (col("id"), col("eventtimestamp"));
    // Buffer a bounded sample to decide the date culture.
    let mut index = 0u64;
    let mut pending: VecDeque<Row> = VecDeque::new();
    // A read error (a truncated gzip, the decompression cap) inside a row: the row is
    // handed on as cut (so read = parsed + skipped holds), then the error on the next call.
    let mut failed: Option<io::Error> = None;
    let mut next_row = |csv: &mut csv::Reader<_>| -> io::Result<Option<Row>> {
        if let Some(e) = failed.take() {
            return Err(e);
        }
        let mut rec = ByteRecord::new();
        let mut cut = false;
        match csv.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                let e = csv_io(e);
                let start = rec.position().map_or(0, |p| p.byte());
                // Bytes of the row read before the error (a CRLF file's row starts at the
                // `\n` of the one before).
                if csv.position().byte() <= start + crlf {
                    return Err(e);
                }
                failed = Some(e);
                cut = true;
            }
        }
        since_row.set(0);
        let (line, byte) = rec
            .position()
            .map(|p| (p.line(), p.byte()))
            .unwrap_or((0, 0));
        let row = Row {
            index,
            line: line + base_line,
            offset: byte + base_off + crlf,
            rec,
            cut,
        };
        index += 1;
        Ok(Some(row))
    };
    let mut evidence = Evidence::default();
    let mut early_err = None;
    while pending.len() < CULTURE_SAMPLE {
        match next_row(&mut csv) {
            Ok(Some(r)) => {
                for &i in &date_cols {
                    if let Some(v) = r.rec.get(i) {
                        evidence.add(&String::from_utf8_lossy(v));
                    }
                }
                let cell = |i: Option<usize>| {
                    i.and_then(|i| r.rec.get(i))
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                };
                let ticks = cell(id_col).and_then(|i| psevent::ticks_of(&i));
                if let (Some(v), Some(t)) = (cell(ts_col), ticks) {
                    evidence.add_ticks(&v, t);
                }
                pending.push_back(r);
            }
            Ok(None) => break,
            Err(e) => {
                early_err = Some(e);
                break;
            }
        }
    }
    let forced = ctx.options.culture.as_deref();
    let time = if evidence.values > 0 || (mode == Mode::PowerShell && forced.is_some()) {
        decide_culture(forced, &evidence, stats)
    } else {
        TimeCtx {
            culture: culture::CULTURES[0],
            how: "assumed",
        }
    };
    // Generic rows: parse_time reads month-first itself; other cultures are rewritten.
    let rewrite = if mode == Mode::Generic
        && evidence.values > 0
        && time.culture.order != culture::DateOrder::MonthFirst
    {
        date_cols.clone()
    } else {
        Vec::new()
    };
    let rc = RowCtx {
        file: ctx.file.clone(),
        any_utc_header: cols.iter().any(|c| c.utc),
        cols,
        mode,
        rewrite,
        time,
        delim,
    };
    let res = ordered_map(
        || {
            if let Some(r) = pending.pop_front() {
                return Ok(Some(r));
            }
            if let Some(e) = early_err.take() {
                return Err(e);
            }
            next_row(&mut csv)
        },
        |row| normalize_row(&rc, row),
        |(o, label)| {
            if let Some(l) = label {
                *stats.schemas.entry(l).or_default() += 1;
            }
            stats.count(&o);
            match o {
                Outcome::Parsed(r) => sink.record(r),
                Outcome::Skipped(s) => sink.skip(s),
                Outcome::Nothing => {}
            }
        },
    );
    res
}

/// Counts the bytes read since the last complete row and refuses to go past [`MAX_ROW`].
struct Capped<R> {
    inner: R,
    since_row: Rc<Cell<u64>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_row.get() > MAX_ROW {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a CSV row spans more than {MAX_ROW} bytes (unbalanced quote?)"),
            ));
        }
        let n = self.inner.read(buf)?;
        self.since_row.set(self.since_row.get() + n as u64);
        Ok(n)
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Reads one line (capped) including its newline.
fn read_line(br: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    br.take(MAX_HEAD_LINE).read_until(b'\n', &mut line)?;
    Ok(line)
}

/// The delimiter of a header line: the most frequent of `,` `;` tab outside quotes.
pub fn sniff_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_q = false;
    for &b in line {
        match b {
            b'"' => in_q = !in_q,
            b',' if !in_q => counts[0] += 1,
            b';' if !in_q => counts[1] += 1,
            b'\t' if !in_q => counts[2] += 1,
            _ => {}
        }
    }
    let d = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    d[best]
}

/// Decodes a cell; `false` when it was not UTF-8 and was read as Windows-1252.
fn cell_text(b: &[u8]) -> (String, bool) {
    match std::str::from_utf8(b) {
        Ok(s) => (s.to_string(), true),
        Err(_) => {
            let (t, _, _) = encoding_rs::WINDOWS_1252.decode(b);
            (t.into_owned(), false)
        }
    }
}

fn excerpt_bytes(rec: &ByteRecord, delim: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            out.push(delim);
        }
        out.extend_from_slice(&f[..f.len().min(200)]);
        if out.len() > 400 {
            break;
        }
    }
    out
}

fn normalize_row(rc: &RowCtx, row: Row) -> (Outcome, Option<String>) {
    let frame = Frame {
        kind: FrameKind::Json,
        bytes: excerpt_bytes(&row.rec, rc.delim),
        offset: row.offset,
        line: row.line,
    };
    if row.cut {
        let reason = "row cut short by a read error (see the file's error)";
        return (skip(&rc.file, row.index, &frame, reason), None);
    }
    if row.rec.len() != rc.cols.len() {
        let reason = format!(
            "wrong number of fields: {} (header has {}) at line {}",
            row.rec.len(),
            rc.cols.len(),
            row.line
        );
        return (skip(&rc.file, row.index, &frame, reason), None);
    }
    let prov = Provenance {
        file: rc.file.clone(),
        record: row.index,
        line: Some(row.line),
        offset: Some(row.offset),
    };
    let mut notes = Vec::new();
    let mut utf8 = true;
    let cells: Vec<String> = row
        .rec
        .iter()
        .map(|b| {
            let (s, ok) = cell_text(b);
            utf8 &= ok;
            s
        })
        .collect();
    if !utf8 {
        notes.push("row was not valid UTF-8; read as Windows-1252".to_string());
    }
    match rc.mode {
        Mode::PowerShell => {
            let mut rec = PsRecord::default();
            for (c, v) in rc.cols.iter().zip(cells) {
                rec.insert(&c.name, v);
            }
            match psevent::build(&rec, &rc.time, prov) {
                Ok(mut ev) => {
                    ev.notes.extend(notes);
                    (
                        Outcome::Parsed(Record::Activity(Box::new(ev))),
                        Some(PS_CSV_LABEL.to_string()),
                    )
                }
                Err(reason) => (
                    skip(
                        &rc.file,
                        row.index,
                        &frame,
                        format!("{PS_CSV_LABEL}: {reason}"),
                    ),
                    Some(PS_CSV_LABEL.to_string()),
                ),
            }
        }
        Mode::Generic => {
            let mut map = Map::new();
            let mut rewritten: Vec<(String, String)> = Vec::new();
            for (i, (c, v)) in rc.cols.iter().zip(cells).enumerate() {
                if v.is_empty() {
                    continue;
                }
                let mut v = v;
                if rc.rewrite.contains(&i) && culture::looks_like_culture_date(&v) {
                    if let Some((ts, _)) = culture::parse(&v, rc.time.culture) {
                        let iso = ts.to_string();
                        rewritten.push((iso.clone(), v));
                        v = iso;
                    }
                }
                map.insert(c.name.clone(), Value::String(v));
            }
            let (mut o, schema) = normalize_map(&map, &rc.file, row.index, &frame, prov, notes);
            if let Outcome::Parsed(Record::Activity(ev)) = &mut o {
                for t in [Some(&mut ev.time), ev.submission_time.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    if let Some((_, orig)) = rewritten.iter().find(|(iso, _)| *iso == t.raw) {
                        t.raw = orig.clone();
                        t.note = Some(format!(
                            "culture-formatted ({}, {}), UTC assumed",
                            rc.time.culture.name, rc.time.how
                        ));
                    } else if rc.any_utc_header
                        && t.note.as_deref() == Some("no zone in source; UTC assumed")
                    {
                        t.note =
                            Some("no zone in the value; UTC per the ` [UTC]` column header".into());
                    }
                }
            }
            (o, schema.map(|s| s.label().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ReadOptions;
    use crate::stats::Skip;

    #[derive(Default)]
    struct Collect {
        recs: Vec<Record>,
        skips: Vec<Skip>,
    }
    impl Sink for Collect {
        fn record(&mut self, r: Record) {
            self.recs.push(r);
        }
        fn skip(&mut self, s: Skip) {
            self.skips.push(s);
        }
        fn file_done(&mut self, _: FileStats) {}
        fn error(&mut self, _: crate::IngestError) {}
    }

    fn run(bytes: &[u8]) -> (FileStats, Collect) {
        let opts = ReadOptions::default();
        let ctx = StreamCtx {
            file: Arc::from("t.csv"),
            options: &opts,
        };
        let mut stats = FileStats::default();
        let mut c = Collect::default();
        read_csv(
            Box::new(Cursor::new(bytes.to_vec())),
            &ctx,
            &mut stats,
            &mut c,
        )
        .unwrap();
        assert_eq!(stats.read, stats.parsed + stats.skipped);
        (stats, c)
    }

    fn activity(r: &Record) -> &tokentrail_model::ActivityEvent {
        match r {
            Record::Activity(e) => e,
            _ => panic!("not activity"),
        }
    }

    #[test]
    fn day_first_portal_dates_are_rewritten_and_raw_kept() {
        let csv = "TimeGenerated [UTC],OperationNameValue,CategoryValue,ActivityStatusValue,Type\n\
                   \"25/06/2024, 14:03:07.123\",Microsoft.Compute/virtualMachines/delete,Administrative,Succeeded,AzureActivity\n\
                   \"05/06/2024, 09:00:00.000\",Microsoft.Compute/virtualMachines/delete,Administrative,Succeeded,AzureActivity\n";
        let (stats, c) = run(csv.as_bytes());
        assert_eq!(stats.parsed, 2);
        assert!(
            stats.notes.iter().any(|n| n.contains("read as en-GB")),
            "{:?}",
            stats.notes
        );
        let e = activity(&c.recs[1]);
        assert_eq!(e.time.utc.to_string(), "2024-06-05T09:00:00Z");
        assert_eq!(e.time.raw, "05/06/2024, 09:00:00.000");
        assert_eq!(
            e.time.note.as_deref(),
            Some("culture-formatted (en-GB, inferred), UTC assumed")
        );
    }

    #[test]
    fn non_utf8_row_read_as_1252_and_header_duplicates_kept() {
        let mut csv = b"TimeGenerated,OperationNameValue,Caller,Caller,Type\n".to_vec();
        csv.extend_from_slice(b"2024-06-10T06:13:45Z,Microsoft.Compute/virtualMachines/write,j\xf6rg@contoso.com,x,AzureActivity\n");
        let (stats, c) = run(&csv);
        assert_eq!(stats.parsed, 1);
        let e = activity(&c.recs[0]);
        assert_eq!(e.caller.as_deref(), Some("j\u{f6}rg@contoso.com"));
        assert!(e.notes.iter().any(|n| n.contains("Windows-1252")));
    }

    #[test]
    fn unclassified_rows_are_skipped_with_reason() {
        let (stats, c) = run(b"a,b,c\n1,2,3\n4,5,6\n");
        assert_eq!((stats.read, stats.skipped), (2, 2));
        assert!(c.skips[0].reason.contains("no recognised fields"));
        assert_eq!(c.skips[1].line, 3);
        assert_eq!(c.skips[1].offset, 12);
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"\"a;b\",\"c\",d\n"), b',');
        assert_eq!(sniff_delimiter(b"\"a\";\"b\";\"c\"\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
