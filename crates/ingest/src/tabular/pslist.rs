//! PowerShell formatted-list text (`Get-AzActivityLog | Out-File`, `Format-List`): blocks
//! of `Name : value` lines separated by blank lines. Nested values (Authorization, Claims,
//! HttpRequest, Properties) continue on indented lines; the console wraps long values at
//! its width, mid-token when there is no space to break at. Such files are often UTF-16LE
//! (5.1 `Out-File`) and named `*.json`; detection is by content.
//!
//! Wrap repair: a physical line as long as the block's longest line (the console width)
//! was cut, so the next indented line is glued to it without a separator. Other indented
//! lines start a new logical line (nested `key : value` pair, or a word-wrapped value).

use super::kv::split_pair;
use super::psevent::{self, PsRecord, TimeCtx};
use super::{culture::Evidence, decide_culture, CULTURE_SAMPLE};
use crate::frame::{Frame, FrameKind};
use crate::par::ordered_map;
use crate::pipeline::{skip, StreamCtx};
use crate::stats::{FileStats, Outcome, Sink};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use tokentrail_model::{Provenance, Record};

/// Schema label of PowerShell list records.
pub const PS_LIST_LABEL: &str = "activity/powershell-list";
/// Longest physical line kept whole; longer lines are split.
const MAX_LINE: u64 = 1 << 20;
/// Most bytes in one block; larger blocks are skipped (hostile or not list text).
const MAX_BLOCK: usize = 8 << 20;
/// Properties whose value is nested `key : value` lines.
const NESTED: &[&str] = &["authorization", "claims", "httprequest", "properties"];

/// One blank-line-separated block.
pub struct Block {
    pub line: u64,
    pub offset: u64,
    pub lines: Vec<String>,
    /// Set when the block was too large and its lines were dropped.
    pub oversized: bool,
    /// Set when a read error ended the input inside the block: it is counted as skipped,
    /// then the error is returned.
    pub cut: bool,
}

/// Splits a stream into blocks, tracking lines and byte offsets.
pub struct Blocks<R> {
    rdr: R,
    line: u64,
    offset: u64,
    buf: Vec<u8>,
    /// A line read ahead that starts the next block.
    peeked: Option<(String, u64, u64)>,
    /// The read error that ended a block early, returned by the next call.
    failed: Option<io::Error>,
}

impl<R: BufRead> Blocks<R> {
    pub fn new(rdr: R) -> Self {
        Blocks {
            rdr,
            line: 0,
            offset: 0,
            buf: Vec::new(),
            peeked: None,
            failed: None,
        }
    }

    /// The next physical line (without its line break), its line number and offset.
    fn next_line(&mut self) -> io::Result<Option<(String, u64, u64)>> {
        self.buf.clear();
        let n = (&mut self.rdr)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        let start = (self.line + 1, self.offset);
        self.offset += n as u64;
        if self.buf.last() == Some(&b'\n') {
            self.line += 1;
            self.buf.pop();
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        let s = String::from_utf8_lossy(&self.buf)
            .trim_end_matches('\0')
            .to_string();
        Ok(Some((s, start.0, start.1)))
    }

    /// The next block. Blank lines followed by an indented line belong to the current
    /// block (a multi-line value with empty lines); otherwise they end it.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut block: Option<Block> = None;
        let mut size = 0usize;
        let mut blanks = 0usize;
        loop {
            let next = match self.peeked.take() {
                Some(p) => Some(p),
                None => match self.next_line() {
                    Ok(l) => l,
                    Err(e) => match block.as_mut() {
                        // The block the error cut through is handed on as cut.
                        Some(b) => {
                            b.cut = true;
                            self.failed = Some(e);
                            break;
                        }
                        None => return Err(e),
                    },
                },
            };
            let Some((l, line, offset)) = next else { break };
            if l.trim().is_empty() {
                blanks += 1;
                continue;
            }
            if blanks > 0 && block.is_some() {
                if !l.starts_with(char::is_whitespace) {
                    self.peeked = Some((l, line, offset));
                    break;
                }
                if let Some(b) = block.as_mut().filter(|b| !b.oversized) {
                    b.lines
                        .extend(std::iter::repeat_n(String::new(), blanks.min(1000)));
                }
            }
            blanks = 0;
            let b = block.get_or_insert(Block {
                line,
                offset,
                lines: Vec::new(),
                oversized: false,
                cut: false,
            });
            size += l.len() + 1;
            if size > MAX_BLOCK {
                b.oversized = true;
                b.lines.clear();
            }
            if !b.oversized {
                b.lines.push(l);
            }
        }
        Ok(block)
    }
}

/// A top-level `Name : value` line: name at column 0, word characters only.
fn top_level(line: &str) -> Option<(&str, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let colon = line.find(':')?;
    let padded = &line[..colon];
    let name = padded.trim_end();
    let rest = &line[colon + 1..];
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && (rest.is_empty() || rest.starts_with(' ') || padded.len() > name.len());
    ok.then(|| (name, rest.trim()))
}

/// Rebuilds a block's properties. Returns the record and lines that fit no property.
pub fn parse_block(lines: &[String]) -> (PsRecord, Vec<String>) {
    // Lengths without trailing padding (Out-File may pad lines to the width).
    let len = |l: &str| l.trim_end().chars().count();
    let width = lines.iter().map(|l| len(l)).max().unwrap_or(0);
    let at_width = lines.iter().filter(|l| len(l) == width).count();
    let wrapped = |i: usize| -> bool {
        let Some(l) = lines.get(i) else { return false };
        if width < 60 || len(l) != width {
            return false;
        }
        let next = lines.get(i + 1).map(String::as_str).unwrap_or("");
        let indented_cont = next.starts_with(char::is_whitespace);
        indented_cont && (at_width >= 2 || split_pair(next).is_none())
    };
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    let mut stray = Vec::new();
    let mut glue = false;
    for (i, l) in lines.iter().enumerate() {
        if let Some((name, v)) = top_level(l) {
            entries.push((name.to_string(), vec![v.to_string()]));
        } else if let Some((_, vals)) = entries.last_mut() {
            let content = l.trim_start();
            match (glue, vals.last_mut()) {
                (true, Some(last)) => last.push_str(content),
                _ => vals.push(content.to_string()),
            }
        } else {
            stray.push(l.clone());
        }
        glue = wrapped(i);
    }
    let mut rec = PsRecord::default();
    for (name, vals) in entries {
        let lower = name.to_ascii_lowercase();
        let text = if NESTED.contains(&lower.as_str()) {
            vals.join("\n")
        } else {
            vals.iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        rec.insert(&name, text);
    }
    (rec, stray)
}

struct Item {
    index: u64,
    block: Block,
    rec: PsRecord,
    stray: Vec<String>,
}

/// Reads PowerShell formatted-list text.
pub fn read_ps_list(
    rdr: Box<dyn Read + '_>,
    ctx: &StreamCtx,
    stats: &mut FileStats,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    stats.shape("powershell-list");
    let mut blocks = Blocks::new(BufReader::with_capacity(256 << 10, rdr));
    let mut index = 0u64;
    let mut next_item = |blocks: &mut Blocks<_>| -> io::Result<Option<Item>> {
        let Some(block) = blocks.next_block()? else {
            return Ok(None);
        };
        let (rec, stray) = parse_block(&block.lines);
        let item = Item {
            index,
            block,
            rec,
            stray,
        };
        index += 1;
        Ok(Some(item))
    };
    let mut pending: VecDeque<Item> = VecDeque::new();
    let mut evidence = Evidence::default();
    let mut early_err = None;
    while pending.len() < CULTURE_SAMPLE {
        match next_item(&mut blocks) {
            Ok(Some(it)) => {
                for k in ["eventtimestamp", "submissiontimestamp"] {
                    if let Some(v) = it.rec.props.get(k) {
                        evidence.add(v);
                    }
                }
                let ticks = it.rec.props.get("id").and_then(|i| psevent::ticks_of(i));
                if let (Some(v), Some(t)) = (it.rec.props.get("eventtimestamp"), ticks) {
                    evidence.add_ticks(v, t);
                }
                pending.push_back(it);
            }
            Ok(None) => break,
            Err(e) => {
                early_err = Some(e);
                break;
            }
        }
    }
    let forced = ctx.options.culture.as_deref();
    let time = if evidence.values > 0 || forced.is_some() {
        decide_culture(forced, &evidence, stats)
    } else {
        TimeCtx {
            culture: super::culture::CULTURES[0],
            how: "assumed",
        }
    };
    let file = ctx.file.clone();
    ordered_map(
        || {
            if let Some(it) = pending.pop_front() {
                return Ok(Some(it));
            }
            if let Some(e) = early_err.take() {
                return Err(e);
            }
            next_item(&mut blocks)
        },
        |it| normalize_block(&file, &time, it),
        |(o, label)| {
            if let Some(l) = label {
                *stats.schemas.entry(l.to_string()).or_default() += 1;
            }
            stats.count(&o);
            match o {
                Outcome::Parsed(r) => sink.record(r),
                Outcome::Skipped(s) => sink.skip(s),
                Outcome::Nothing => {}
            }
        },
    )
}

fn normalize_block(file: &Arc<str>, time: &TimeCtx, it: Item) -> (Outcome, Option<&'static str>) {
    let b = &it.block;
    let frame = Frame {
        kind: FrameKind::Json,
        bytes: b
            .lines
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(" | ")
            .into_bytes(),
        offset: b.offset,
        line: b.line,
    };
    if b.oversized {
        let reason = format!(
            "block too large (over {MAX_BLOCK} bytes) at line {}",
            b.line
        );
        return (skip(file, it.index, &frame, reason), None);
    }
    if b.cut {
        let reason = "record cut short by a read error (see the file's error)";
        return (skip(file, it.index, &frame, reason), None);
    }
    let has = |k: &str| it.rec.props.contains_key(k);
    if !has("eventtimestamp") && !has("operationname") && !has("eventdataid") {
        let names: Vec<&str> = it.rec.props.keys().map(String::as_str).take(5).collect();
        let reason = if names.is_empty() {
            format!(
                "not an Activity Log event: text without `Name : value` lines at line {}",
                b.line
            )
        } else {
            format!(
                "not an Activity Log event: PowerShell list block without EventTimestamp, OperationName or EventDataId (has {}) at line {}",
                names.join(", "),
                b.line
            )
        };
        return (skip(file, it.index, &frame, reason), None);
    }
    let prov = Provenance {
        file: file.clone(),
        record: it.index,
        line: Some(b.line),
        offset: Some(b.offset),
    };
    match psevent::build(&it.rec, time, prov) {
        Ok(mut ev) => {
            if !it.stray.is_empty() {
                ev.notes.push(format!(
                    "{} line(s) before the first property ignored",
                    it.stray.len()
                ));
            }
            (
                Outcome::Parsed(Record::Activity(Box::new(ev))),
                Some(PS_LIST_LABEL),
            )
        }
        Err(reason) => (
            skip(
                file,
                it.index,
                &frame,
                format!("{PS_LIST_LABEL}: {reason} at line {}", b.line),
            ),
            Some(PS_LIST_LABEL),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_inside_a_value_stay_in_the_block() {
        let text = "\r\nDescription          : first\r\n\r\n                       second\r\nLevel                : Informational\r\n\r\n\r\nCaller               : x\r\n";
        let mut b = Blocks::new(text.as_bytes());
        let b1 = b.next_block().unwrap().unwrap();
        assert_eq!(b1.line, 2);
        assert_eq!(b1.offset, 2);
        let (rec, _) = parse_block(&b1.lines);
        assert_eq!(rec.props["description"], "first second");
        assert_eq!(rec.props["level"], "Informational");
        let b2 = b.next_block().unwrap().unwrap();
        assert_eq!(b2.line, 8);
        assert_eq!(b2.lines, vec!["Caller               : x".to_string()]);
        assert!(b.next_block().unwrap().is_none());
    }

    #[test]
    fn wraps_are_glued() {
        let pad = " ".repeat(23);
        let l1 = "Id                   : /subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachi".to_string();
        let w = l1.chars().count();
        let l2 = format!("{pad}nes/vm1/events/e1/ticks/1");
        let claim = format!("{pad}http://schemas.microsoft.com/identity/claims/objectidentifier:");
        let l3 = format!("{:<w$}", "Claims               :");
        let lines = vec![
            l1,
            l2,
            l3,
            format!("{pad}aud            : https://management.core.windows.net/"),
            claim,
            format!("{pad}0b0b0b0b-0000-0000-0000-000000000001"),
            format!("{:<w$}", "Caller               : a@b.c"),
        ];
        let (rec, stray) = parse_block(&lines);
        assert!(stray.is_empty());
        assert_eq!(
            rec.props["id"],
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/events/e1/ticks/1"
        );
        assert!(rec.props["claims"].contains("objectidentifier:\n0b0b0b0b"));
        assert_eq!(rec.props["caller"], "a@b.c");
    }
}
