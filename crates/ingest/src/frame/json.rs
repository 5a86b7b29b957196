//! Streaming JSON framer.
//!
//! Accepts, at the top level, any sequence of JSON texts separated by whitespace (a single
//! object, a bare array, concatenated arrays, JSON Lines, pretty-printed records one after
//! another). Arrays yield their elements. Objects with a `value` or `records` array member
//! (REST and Graph pages, Event Hub messages, old `PT1H.json` blobs) yield that array's
//! elements; a `tables` member (Log Analytics query API) yields each table's `columns`
//! and rows. Any other object is a record. Memory is bounded by the largest record.

use super::scan::{scan_string, scan_value, Scan};
use super::{Frame, FrameKind};
use std::io::{self, Read};

const CHUNK: usize = 1 << 20;
/// First refill of [`JsonFramer::new`]; each refill doubles it up to [`CHUNK`], so a small
/// file (a `PT1H.json` of a few records) does not pay for a 1 MiB buffer.
const FIRST_CHUNK: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Inside an array whose elements are records (`rows` yields table rows).
    Array { rows: bool },
    /// Scanning the members of a top-level object that started at `start` (absolute).
    Object { start: u64, wrapper: bool },
    /// Inside `"tables": [`.
    Tables,
    /// Inside one table object.
    Table,
}

/// Splits a decoded stream into [`Frame`]s.
pub struct JsonFramer<R> {
    rdr: R,
    buf: Vec<u8>,
    pos: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Newlines counted up to `line_pos`.
    line_pos: usize,
    line: u64,
    stack: Vec<Ctx>,
    /// Whether top-level records are one per line (decided by the first record).
    line_mode: Option<bool>,
    /// An object's bytes must be kept from this absolute offset.
    keep_from: Option<u64>,
    /// The container shapes seen, in order of first appearance.
    pub shapes: Vec<&'static str>,
    /// Bytes requested per refill.
    chunk: usize,
    /// Largest `chunk` grows to.
    max_chunk: usize,
    /// Whether JSON Lines records may take [`JsonFramer::whole_line_object`]'s fast path
    /// (off only in tests that compare it with the exact scan).
    fast_lines: bool,
    /// The read error that ended the input early: the record it cut short is framed as
    /// broken (and so counted), then [`JsonFramer::next_frame`] returns the error.
    failed: Option<io::Error>,
}

/// How far [`JsonFramer::line_end`] reads ahead for a line's end. A record on a longer line
/// is scanned byte by byte instead of by the JSON Lines fast path, and a broken line longer
/// than this is framed in pieces.
const LINE_CAP: usize = 16 << 20;

/// Buffers up to this capacity are kept for the next framer on the same thread.
const SPARE_MAX: usize = 8 << 20;

std::thread_local! {
    /// The buffer of the last framer dropped on this thread: a tree of thousands of small
    /// files then reuses one buffer instead of faulting in fresh pages for every file.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

fn spare_buffer() -> Vec<u8> {
    SPARE.with(|s| s.take())
}

impl<R> Drop for JsonFramer<R> {
    fn drop(&mut self) {
        if self.buf.capacity() <= SPARE_MAX {
            let mut b = std::mem::take(&mut self.buf);
            b.clear();
            SPARE.with(|s| {
                let old = s.take();
                s.set(if old.capacity() > b.capacity() {
                    old
                } else {
                    b
                })
            });
        }
    }
}

impl<R: Read> JsonFramer<R> {
    pub fn new(rdr: R) -> Self {
        let mut f = Self::with_chunk(rdr, FIRST_CHUNK);
        f.max_chunk = CHUNK;
        f
    }

    /// A framer that reads `chunk` bytes per refill (tests use tiny chunks to force
    /// refills and compaction at every position).
    pub fn with_chunk(rdr: R, chunk: usize) -> Self {
        JsonFramer {
            chunk: chunk.max(1),
            max_chunk: chunk.max(1),
            rdr,
            buf: spare_buffer(),
            pos: 0,
            base: 0,
            eof: false,
            failed: None,
            fast_lines: true,
            line_pos: 0,
            line: 1,
            stack: Vec::new(),
            line_mode: None,
            keep_from: None,
            shapes: Vec::new(),
        }
    }

    fn saw(&mut self, shape: &'static str) {
        if !self.shapes.contains(&shape) {
            self.shapes.push(shape);
        }
    }

    /// Reads more bytes; returns false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // Drop consumed bytes that no pending object still needs.
        let keep = match self.keep_from {
            Some(k) => ((k - self.base) as usize).min(self.pos),
            None => self.pos,
        };
        if keep > 0 && keep >= self.buf.len() / 2 {
            self.count_lines_to(keep);
            self.buf.drain(..keep);
            self.pos -= keep;
            self.line_pos -= keep;
            self.base += keep as u64;
        }
        let old = self.buf.len();
        let want = self.chunk.max(old / 2);
        self.buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            match self.rdr.read(&mut self.buf[old + got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // The bytes before the error are framed; the input ends here.
                    self.buf.truncate(old + got);
                    self.eof = true;
                    self.failed = Some(e);
                    return Ok(got > 0);
                }
            }
            if got >= self.chunk / 4 {
                break;
            }
        }
        self.buf.truncate(old + got);
        if got == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.chunk = (self.chunk * 2).min(self.max_chunk);
        Ok(true)
    }

    fn count_lines_to(&mut self, idx: usize) {
        if idx > self.line_pos {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.line_pos..idx]).count() as u64;
            self.line_pos = idx;
        }
    }

    fn line_at(&mut self, idx: usize) -> u64 {
        self.count_lines_to(idx);
        self.line
    }

    fn frame(&mut self, kind: FrameKind, start: usize, end: usize) -> Frame {
        let line = self.line_at(start);
        Frame {
            kind,
            bytes: self.buf[start..end].to_vec(),
            offset: self.base + start as u64,
            line,
        }
    }

    /// Skips whitespace (and stray commas where `commas`). Returns false at end of input.
    fn skip_ws(&mut self, commas: bool) -> io::Result<bool> {
        loop {
            while self.pos < self.buf.len() {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\r' | b'\n' | 0 => self.pos += 1,
                    b',' if commas => self.pos += 1,
                    _ => return Ok(true),
                }
            }
            if !self.fill()? {
                return Ok(false);
            }
        }
    }

    /// Scans the value at `pos`, refilling as needed. Refilling may compact the buffer, so
    /// indices taken before this call are stale: the value starts at `self.pos` afterwards.
    fn scan(&mut self, line_mode: bool) -> io::Result<Scan> {
        loop {
            match scan_value(&self.buf, self.pos, line_mode, self.eof) {
                Scan::Incomplete => {
                    if !self.fill()? {
                        return Ok(match scan_value(&self.buf, self.pos, line_mode, true) {
                            Scan::Incomplete => Scan::Incomplete,
                            other => other,
                        });
                    }
                }
                other => return Ok(other),
            }
        }
    }

    /// Where the object that began at absolute offset `start` is in the buffer, while its
    /// bytes are kept; `None` for a page or envelope (`{"value":[…`), whose bytes were let go
    /// once its records were framed: what is broken then starts where the scan is.
    fn kept(&self, start: u64) -> Option<usize> {
        (self.keep_from == Some(start) && start >= self.base).then(|| (start - self.base) as usize)
    }

    /// Emits bytes from `start` to the next newline (or end) as a broken frame.
    fn broken_to(&mut self, start: usize, end: usize, reason: &str) -> Frame {
        // Always make progress, whatever the caller computed.
        let end = end.max((start + 1).min(self.buf.len())).min(self.buf.len());
        let f = self.frame(FrameKind::Broken(reason.to_string()), start, end);
        self.pos = end;
        f
    }

    fn truncated(&mut self, start: usize) -> Frame {
        self.stack.clear();
        self.keep_from = None;
        let end = self.buf.len();
        let why = if self.failed.is_some() {
            "record cut short by a read error (see the file's error)"
        } else {
            "record truncated at end of input (a file still being written, or cut short)"
        };
        self.broken_to(start, end, why)
    }

    /// Reads a member key at `pos` (which is a `"`), then the colon; leaves `pos` at the value.
    fn member_key(&mut self) -> io::Result<Result<String, Frame>> {
        let lm = self.line_mode.unwrap_or(false);
        if self.buf[self.pos] != b'"' {
            let e = self.line_end()?;
            let p = self.pos;
            return Ok(Err(self.broken_to(
                p,
                e,
                "malformed object: expected a key",
            )));
        }
        // Indices shift when a refill compacts the buffer: always re-read `self.pos`.
        let end = loop {
            match scan_string(&self.buf, self.pos + 1, lm) {
                Scan::Complete(e) => break e,
                Scan::Incomplete => {
                    if !self.fill()? {
                        let p = self.pos;
                        return Ok(Err(self.truncated(p)));
                    }
                }
                Scan::Broken(e, why) => {
                    let p = self.pos;
                    return Ok(Err(self.broken_to(p, e, why)));
                }
            }
        };
        let key = String::from_utf8_lossy(&self.buf[self.pos + 1..end - 1]).into_owned();
        self.pos = end;
        if !self.skip_ws(false)? {
            let p = self.pos;
            return Ok(Err(self.truncated(p)));
        }
        if self.buf[self.pos] != b':' {
            let e = self.line_end()?;
            let p = self.pos;
            return Ok(Err(self.broken_to(
                p,
                e,
                "expected ':' after an object key",
            )));
        }
        self.pos += 1;
        if !self.skip_ws(false)? {
            let p = self.pos;
            return Ok(Err(self.truncated(p)));
        }
        Ok(Ok(key))
    }

    /// JSON Lines fast path: when the line starting at `pos` (a `{`) is one object and
    /// nothing else, where that object ends; `None` when the quick check cannot say so
    /// (then the value is scanned byte by byte). The line's end is found with `memchr`, and
    /// the line must end with the `}` that closes its first `{`, no brace outside a string
    /// closing it earlier (see [`one_object_plain`] and [`one_object_exact`]); a page or
    /// envelope takes the slow path. A line of valid JSON gives the same frames as the
    /// scan (tested); a malformed one may be one frame where the scan cut it in two, and
    /// its records are skipped either way.
    fn whole_line_object(&mut self) -> io::Result<Option<usize>> {
        let end = self.line_end()?;
        if self.buf.get(end.wrapping_sub(1)) != Some(&b'\n') {
            return Ok(None);
        }
        let line = &self.buf[self.pos..end - 1];
        let len = line.len()
            - line
                .iter()
                .rev()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
                .count();
        let line = &line[..len];
        if len < 2 || line[len - 1] != b'}' {
            return Ok(None);
        }
        let one = if memchr::memchr(b'\\', line).is_none() && !may_hold_wrapper(line) {
            one_object_plain(line)
        } else {
            one_object_exact(line)
        };
        Ok(one.then_some(self.pos + len))
    }

    /// The index just past the first newline at or after `pos` (the end of input if none),
    /// reading more input until that newline is in the buffer, so a broken line is one frame
    /// whatever the read sizes; but no further than [`LINE_CAP`] bytes on (then the end of
    /// the buffer), so a long line without a break cannot fill memory. A refill may move
    /// the bytes: indices taken before this call are stale (absolute offsets are not).
    fn line_end(&mut self) -> io::Result<usize> {
        let mut searched = 0;
        loop {
            if let Some(k) = memchr::memchr(b'\n', &self.buf[self.pos + searched..]) {
                return Ok(self.pos + searched + k + 1);
            }
            searched = self.buf.len() - self.pos;
            if searched >= LINE_CAP || !self.fill()? {
                return Ok(self.buf.len());
            }
        }
    }

    /// Resynchronizes after a broken top-level object: drops the object context.
    fn abandon_object(&mut self) {
        while let Some(c) = self.stack.pop() {
            if matches!(c, Ctx::Object { .. }) {
                break;
            }
        }
        self.stack.clear();
        self.keep_from = None;
    }

    /// The next frame, or `None` at the end of input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        match self.next_frame_or_end()? {
            Some(f) => Ok(Some(f)),
            None => self.failed.take().map_or(Ok(None), Err),
        }
    }

    /// [`JsonFramer::next_frame`], ending quietly at a read error.
    fn next_frame_or_end(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let ctx = self.stack.last().copied();
            let commas = matches!(ctx, Some(Ctx::Array { .. }) | Some(Ctx::Tables) | None);
            if !self.skip_ws(commas)? {
                if self.stack.is_empty() {
                    return Ok(None);
                }
                let start = match self.keep_from {
                    Some(k) => (k - self.base) as usize,
                    None => self.pos,
                };
                self.stack.clear();
                self.keep_from = None;
                if start < self.buf.len() {
                    return Ok(Some(self.truncated(start)));
                }
                let f = Frame {
                    kind: FrameKind::Broken("input ends inside an unclosed array or object".into()),
                    bytes: Vec::new(),
                    offset: self.base + self.pos as u64,
                    line: self.line_at(self.pos),
                };
                return Ok(Some(f));
            }
            let c = self.buf[self.pos];
            match ctx {
                None => match c {
                    b'[' => {
                        if self.shapes.contains(&"json-array") {
                            self.saw("concatenated-json");
                        }
                        self.saw("json-array");
                        self.stack.push(Ctx::Array { rows: false });
                        self.pos += 1;
                    }
                    b'{' => {
                        if self.line_mode == Some(true) {
                            let fast = match self.fast_lines {
                                true => self.whole_line_object()?,
                                false => None,
                            };
                            if let Some(end) = fast {
                                let start = self.pos;
                                self.saw("json-lines");
                                let f = self.frame(FrameKind::Json, start, end);
                                self.pos = end;
                                return Ok(Some(f));
                            }
                            // JSON Lines: the object must end on its own line.
                            let scanned = self.scan(true)?;
                            // The value starts at `pos`, which a refill may have moved.
                            let start = self.pos;
                            match scanned {
                                Scan::Complete(end) => {
                                    if !may_be_wrapper(&self.buf[start..end]) {
                                        self.saw("json-lines");
                                        let f = self.frame(FrameKind::Json, start, end);
                                        self.pos = end;
                                        return Ok(Some(f));
                                    }
                                    self.pos = start;
                                }
                                Scan::Incomplete => return Ok(Some(self.truncated(start))),
                                Scan::Broken(e, why) => {
                                    return Ok(Some(self.broken_to(start, e, why)))
                                }
                            }
                        }
                        let start = self.base + self.pos as u64;
                        self.stack.push(Ctx::Object {
                            start,
                            wrapper: false,
                        });
                        self.keep_from = Some(start);
                        self.pos += 1;
                    }
                    _ => {
                        let e = self.line_end()?;
                        let p = self.pos;
                        return Ok(Some(self.broken_to(
                            p,
                            e,
                            "not JSON: text outside any JSON value",
                        )));
                    }
                },
                Some(Ctx::Array { rows }) => {
                    if c == b']' {
                        self.stack.pop();
                        self.pos += 1;
                        continue;
                    }
                    let scanned = self.scan(false)?;
                    // The value starts at `pos`, which a refill may have moved.
                    let start = self.pos;
                    match scanned {
                        Scan::Complete(end) => {
                            let kind = if rows {
                                FrameKind::TableRow
                            } else {
                                FrameKind::Json
                            };
                            let f = self.frame(kind, start, end);
                            self.pos = end;
                            return Ok(Some(f));
                        }
                        Scan::Incomplete => return Ok(Some(self.truncated(start))),
                        Scan::Broken(e, why) => {
                            self.stack.clear();
                            return Ok(Some(self.broken_to(start, e, why)));
                        }
                    }
                }
                Some(Ctx::Object { start, wrapper }) => {
                    if c == b'}' {
                        self.stack.pop();
                        self.pos += 1;
                        self.keep_from = None;
                        if wrapper {
                            continue;
                        }
                        let s = (start - self.base) as usize;
                        let end = self.pos;
                        let f = self.frame(FrameKind::Json, s, end);
                        if self.line_mode.is_none() {
                            let single_line = !f.bytes.contains(&b'\n');
                            self.line_mode = Some(single_line && self.followed_by_newline()?);
                        }
                        self.saw(if self.line_mode == Some(true) {
                            "json-lines"
                        } else {
                            "json-object"
                        });
                        return Ok(Some(f));
                    }
                    if c == b',' {
                        self.pos += 1;
                        continue;
                    }
                    if c != b'"' {
                        // Read to the line's end first: a refill moves the bytes.
                        let e = self.line_end()?;
                        let p = self.pos;
                        let s = self.kept(start).map_or(p, |s| s.min(p));
                        self.abandon_object();
                        return Ok(Some(self.broken_to(
                            s,
                            e,
                            "malformed object: expected a key",
                        )));
                    }
                    let key = match self.member_key()? {
                        Ok(k) => k,
                        Err(f) => {
                            self.abandon_object();
                            return Ok(Some(f));
                        }
                    };
                    let v = self.buf[self.pos];
                    let is_wrapper = v == b'['
                        && matches!(key.as_str(), "value" | "records" | "Records" | "tables");
                    if is_wrapper {
                        if let Some(Ctx::Object { wrapper, .. }) = self.stack.last_mut() {
                            *wrapper = true;
                        }
                        self.keep_from = None;
                        self.pos += 1;
                        self.saw(match key.as_str() {
                            "value" => "value-page",
                            "tables" => "query-api-tables",
                            _ => "records-envelope",
                        });
                        self.stack.push(if key == "tables" {
                            Ctx::Tables
                        } else {
                            Ctx::Array { rows: false }
                        });
                        continue;
                    }
                    let lm = self.line_mode.unwrap_or(false);
                    match self.scan(lm)? {
                        Scan::Complete(end) => self.pos = end,
                        Scan::Incomplete => {
                            let s = self.kept(start).unwrap_or(self.pos);
                            return Ok(Some(self.truncated(s)));
                        }
                        Scan::Broken(e, why) => {
                            let s = self.kept(start).unwrap_or(self.pos);
                            self.abandon_object();
                            return Ok(Some(self.broken_to(s, e, why)));
                        }
                    }
                }
                Some(Ctx::Tables) => match c {
                    b']' => {
                        self.stack.pop();
                        self.pos += 1;
                    }
                    b'{' => {
                        self.stack.push(Ctx::Table);
                        self.pos += 1;
                    }
                    _ => {
                        let scanned = self.scan(false)?;
                        // The value starts at `pos`, which a refill may have moved.
                        let p = self.pos;
                        match scanned {
                            Scan::Complete(e) => {
                                return Ok(Some(self.broken_to(
                                    p,
                                    e,
                                    "query-API tables entry is not an object",
                                )))
                            }
                            _ => return Ok(Some(self.truncated(p))),
                        }
                    }
                },
                Some(Ctx::Table) => {
                    if c == b'}' {
                        self.stack.pop();
                        self.pos += 1;
                        continue;
                    }
                    if c == b',' {
                        self.pos += 1;
                        continue;
                    }
                    let key = match self.member_key()? {
                        Ok(k) => k,
                        Err(f) => {
                            self.stack.clear();
                            return Ok(Some(f));
                        }
                    };
                    if key == "rows" && self.buf[self.pos] == b'[' {
                        self.pos += 1;
                        self.stack.push(Ctx::Array { rows: true });
                        continue;
                    }
                    let scanned = self.scan(false)?;
                    // The value starts at `pos`, which a refill may have moved.
                    let s = self.pos;
                    match scanned {
                        Scan::Complete(e) => {
                            self.pos = e;
                            if key == "columns" {
                                return Ok(Some(self.frame(FrameKind::TableColumns, s, e)));
                            }
                        }
                        Scan::Incomplete => return Ok(Some(self.truncated(s))),
                        Scan::Broken(e, why) => {
                            self.stack.clear();
                            return Ok(Some(self.broken_to(s, e, why)));
                        }
                    }
                }
            }
        }
    }

    /// True when the next non-blank byte after `pos` follows a newline (or input ends).
    fn followed_by_newline(&mut self) -> io::Result<bool> {
        loop {
            let mut i = self.pos;
            while i < self.buf.len() {
                match self.buf[i] {
                    b'\n' => return Ok(true),
                    b' ' | b'\t' | b'\r' => i += 1,
                    _ => return Ok(false),
                }
            }
            if !self.fill()? {
                return Ok(true);
            }
        }
    }
}

/// [`JsonFramer::whole_line_object`] for a `line` (from its `{` to its last `}`) without
/// backslashes, so every quote opens or closes a string, and with no page or envelope
/// member: only the braces are visited, each known to be inside a string or not by the
/// parity of the quotes before it (counted a word at a time).
fn one_object_plain(line: &[u8]) -> bool {
    let (mut depth, mut from, mut quotes) = (0usize, 0, 0);
    for i in memchr::memchr2_iter(b'{', b'}', line) {
        quotes += super::scan::count_byte(&line[from..i], b'"');
        from = i;
        if quotes % 2 == 1 {
            continue;
        }
        if line[i] == b'{' {
            depth += 1;
            continue;
        }
        let Some(d) = depth.checked_sub(1) else {
            return false;
        };
        depth = d;
        if depth == 0 && i + 1 != line.len() {
            return false;
        }
    }
    depth == 0
}

/// [`JsonFramer::whole_line_object`] for any `line`: quotes and braces are visited, a
/// quote after an odd run of backslashes being escaped; a top-level page or envelope member
/// answers false.
fn one_object_exact(line: &[u8]) -> bool {
    let (mut depth, mut in_string, mut string_start) = (0usize, false, 0);
    for i in memchr::memchr3_iter(b'"', b'{', b'}', line) {
        match line[i] {
            b'"' if !in_string => (in_string, string_start) = (true, i),
            b'"' => {
                let escapes = line[..i].iter().rev().take_while(|&&b| b == b'\\').count();
                if escapes % 2 == 0 {
                    in_string = false;
                    if depth == 1 && wrapper_member(&line[string_start + 1..i], &line[i + 1..]) {
                        return false;
                    }
                }
            }
            _ if in_string => {}
            b'{' => depth += 1,
            _ => {
                let Some(d) = depth.checked_sub(1) else {
                    return false;
                };
                depth = d;
                if depth == 0 && i + 1 != line.len() {
                    return false;
                }
            }
        }
    }
    depth == 0 && !in_string
}

/// Whether some member named like a page or envelope's (`"value"`…) holds an array
/// anywhere in `b`, at whatever depth: such lines take [`one_object_exact`].
///
/// Read backwards from each `[` (records hold a few arrays but many `"value"` members):
/// blanks, `:`, blanks, then one of the quoted names, exactly as [`wrapper_member`] reads
/// them forwards.
fn may_hold_wrapper(b: &[u8]) -> bool {
    let blank = |c: &u8| blank(*c);
    memchr::memchr_iter(b'[', b).any(|open| {
        let before = &b[..open];
        let Some(colon) = before.iter().rposition(|c| !blank(c)) else {
            return false;
        };
        if before[colon] != b':' {
            return false;
        }
        let before = &before[..colon];
        let Some(quote) = before.iter().rposition(|c| !blank(c)) else {
            return false;
        };
        let name = &before[..=quote];
        WRAPPER_NAMES.iter().any(|n| name.ends_with(n))
    })
}

/// Searchers for the quoted member names of pages and envelopes, built once
/// (constructing a searcher per record costs more than the search).
fn wrapper_finders() -> &'static [memchr::memmem::Finder<'static>; 4] {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static WRAPPERS: LazyLock<[Finder<'static>; 4]> =
        LazyLock::new(|| WRAPPER_NAMES.map(Finder::new));
    &WRAPPERS
}

/// The member names, quoted, that make an object a page or envelope when they hold an array.
const WRAPPER_NAMES: [&[u8]; 4] = [b"\"value\"", b"\"records\"", b"\"Records\"", b"\"tables\""];

/// The blanks skipped around a wrapper member's colon: JSON's whitespace, and NUL.
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

/// Whether `key` (a member name's raw bytes) followed by `rest` (what comes after its closing
/// quote) is a member that makes its object a page or envelope: `value`, `records`,
/// `Records` or `tables` holding an array, as the object path reads them.
fn wrapper_member(key: &[u8], rest: &[u8]) -> bool {
    let ws = |b: &&u8| blank(**b);
    let mut after = rest.iter().skip_while(ws);
    WRAPPER_NAMES.iter().any(|n| &n[1..n.len() - 1] == key)
        && after.next() == Some(&b':')
        && after.find(|b| !ws(b)) == Some(&b'[')
}

/// Whether an object's bytes contain a member name that makes it a page or envelope.
fn may_be_wrapper(b: &[u8]) -> bool {
    wrapper_finders().iter().any(|f| f.find(b).is_some())
}

impl<R: Read> Iterator for JsonFramer<R> {
    type Item = io::Result<Frame>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`may_hold_wrapper`] as it was first written: every occurrence of each quoted name,
    /// read forwards.
    fn may_hold_wrapper_by_names(b: &[u8]) -> bool {
        wrapper_finders().iter().any(|f| {
            f.find_iter(b).any(|at| {
                let key = &b[at + 1..at + f.needle().len() - 1];
                wrapper_member(key, &b[at + f.needle().len()..])
            })
        })
    }

    proptest! {
        #[test]
        fn wrapper_arrays_are_found_backwards_as_forwards(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "\"value\"", "\"records\"", "\"Records\"", "\"tables\"", "\"other\"",
                    "value", "\"", ":", " ", "\t", "\n", "\0", "[", "]", "{", "}", ",", "x",
                    "\\", "\"valu\"",
                ]),
                0..24,
            )
        ) {
            let b = parts.concat();
            prop_assert_eq!(
                may_hold_wrapper(b.as_bytes()),
                may_hold_wrapper_by_names(b.as_bytes()),
                "{:?}", b
            );
        }
    }

    #[test]
    fn wrapper_arrays_at_any_depth() {
        for (text, holds) in [
            (r#"{"value":[1]}"#, true),
            (r#"{"a":{"records" :  [ ]}}"#, true),
            ("{\"Records\"\t:\n[]}", true),
            (r#"{"tables":{}}"#, false),
            (r#"{"value":"[x]"}"#, false),
            (r#"{"values":[1]}"#, false),
            (r#"{"key":"k","value":"v","list":[1]}"#, false),
            (r#"["value",[1]]"#, false),
        ] {
            assert_eq!(may_hold_wrapper(text.as_bytes()), holds, "{text}");
            assert_eq!(may_hold_wrapper_by_names(text.as_bytes()), holds, "{text}");
        }
    }

    /// Every frame (kind, bytes, offset, line) and the shapes seen, with the JSON Lines fast
    /// path on or off, reading `chunk` bytes at a time.
    #[allow(clippy::type_complexity)]
    fn framed(
        input: &[u8],
        fast: bool,
        chunk: usize,
    ) -> (Vec<(FrameKind, Vec<u8>, u64, u64)>, Vec<&'static str>) {
        let mut f = JsonFramer::with_chunk(input, chunk);
        f.fast_lines = fast;
        let mut out = Vec::new();
        while let Some(x) = f.next_frame().unwrap() {
            out.push((x.kind, x.bytes, x.offset, x.line));
        }
        (out, f.shapes.clone())
    }

    /// Lines of valid JSON the fast path must frame exactly as the scan does: plain
    /// records, braces, quotes and backslashes inside strings, records side by side,
    /// envelopes, blank lines.
    const VALID: &[&str] = &[
        r#"{"a":1,"b":{"c":[1,{"d":2}]}}"#,
        r#"{"s":"a { b"}"#,
        r#"{"s":"} {"}"#,
        r#"{"s":"x}"}"#,
        r#"{"s":"{"}{"t":"}"}"#,
        r#"{"a":1}{"b":2}"#,
        r#"{"a":1} {"b":2}"#,
        r#"{"a":1},{"b":2}"#,
        r#"{"records":[{"a":1},{"a":2}]}"#,
        r#"{"value":[{"a":1}]}"#,
        r#"{"value" : [{"a":1}]}"#,
        r#"{"a":{"value":[1]},"value":"x","k":[{"key":"b","value":"Unknown"}]}"#,
        r#"{"tables":"none","records":{"a":1}}"#,
        r#"{"a":"\"}\\"}"#,
        r#"{"a":"\\"}{"b":"\\\"}"}"#,
        "{\"a\":1}\r",
        "{\"a\":1}  \t",
        "",
        "   ",
        "{}",
    ];

    /// Malformed lines: each path may frame them differently, but neither reads a record
    /// from them.
    const MALFORMED: &[&str] = &[
        r#"{"a":1}]"#,
        r#"{"a":{"b":1}"#,
        r#"{"a":[}"#,
        r#"{"a":1]}"#,
        r#"{"a":"x}"#,
        "not json",
        "}",
        "{",
    ];

    /// The records framed (frames that are whole JSON objects) and the lines with anything
    /// else on them.
    #[allow(clippy::type_complexity)]
    fn outcome(input: &[u8], fast: bool, chunk: usize) -> (Vec<(Vec<u8>, u64, u64)>, Vec<u64>) {
        let (frames, _) = framed(input, fast, chunk);
        let mut records = Vec::new();
        let mut rest = Vec::new();
        for (kind, bytes, offset, line) in frames {
            let object = kind == FrameKind::Json
                && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.is_object());
            if object {
                records.push((bytes, offset, line));
            } else if rest.last() != Some(&line) {
                rest.push(line);
            }
        }
        (records, rest)
    }

    /// Text after a page's array that breaks the page object, when a refill has let go of
    /// the page's first bytes: the broken frame starts where the scan is (it once
    /// subtracted past the buffer's start).
    #[test]
    fn a_broken_page_tail_after_a_refill_is_one_frame_from_where_the_scan_is() {
        for input in [
            &b"{\"value\":[{}\0\0\0\0\0\0\0~]-"[..],
            b"{\"value\":[{\"a\":1},{\"a\":2}],\"next\":tru~e}\n",
            b"{\"value\":[{\"a\":1},{\"a\":2}],\"next\":\"cut",
        ] {
            for chunk in [1, 2, 3, 5, 8, 64] {
                let (frames, _) = framed(input, true, chunk);
                assert_eq!(
                    frames.iter().filter(|f| f.0 == FrameKind::Json).count(),
                    frames.len()
                        - frames
                            .iter()
                            .filter(|f| matches!(f.0, FrameKind::Broken(_)))
                            .count(),
                );
                for (kind, bytes, offset, _) in &frames {
                    if matches!(kind, FrameKind::Broken(_)) {
                        let at = *offset as usize;
                        assert_eq!(
                            &input[at..at + bytes.len()],
                            &bytes[..],
                            "{input:?} {chunk}"
                        );
                        assert!(!bytes.starts_with(b"{\"value\""), "{input:?} {chunk}");
                    }
                }
            }
        }
    }

    /// A broken line longer than [`LINE_CAP`] is framed in pieces (no read-ahead past the
    /// cap), every byte of it in one piece or another, and the records after it are read.
    #[test]
    fn a_broken_line_longer_than_the_cap_is_framed_in_pieces() {
        let garbage = "x".repeat(LINE_CAP + LINE_CAP / 2);
        let input = format!("{{\"a\":1}}\n{garbage}\n{{\"a\":2}}\n");
        let (frames, _) = framed(input.as_bytes(), true, 1 << 20);
        let json: Vec<&[u8]> = frames
            .iter()
            .filter(|f| f.0 == FrameKind::Json)
            .map(|f| &f.1[..])
            .collect();
        assert_eq!(json, [&b"{\"a\":1}"[..], b"{\"a\":2}"]);
        let broken: Vec<_> = frames
            .iter()
            .filter(|f| matches!(f.0, FrameKind::Broken(_)))
            .collect();
        assert!(broken.len() >= 2, "{}", broken.len());
        let bytes: usize = broken.iter().map(|f| f.1.len()).sum();
        assert_eq!(bytes, garbage.len() + 1);
    }

    #[test]
    fn the_json_lines_fast_path_frames_what_the_scan_frames() {
        for first in [VALID[0], VALID[1]] {
            for line in VALID.iter().chain(MALFORMED) {
                for end in ["", "\n"] {
                    let input = format!("{first}\n{line}\n{first}\n{line}{end}");
                    for chunk in [1, 7, 64, 1 << 16] {
                        let (bytes, fast, exact) = (input.as_bytes(), true, false);
                        if MALFORMED.contains(line) {
                            assert_eq!(
                                outcome(bytes, fast, chunk),
                                outcome(bytes, exact, chunk),
                                "{input:?} in chunks of {chunk}"
                            );
                        } else {
                            assert_eq!(
                                framed(bytes, fast, chunk),
                                framed(bytes, exact, chunk),
                                "{input:?} in chunks of {chunk}"
                            );
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn the_fast_path_matches_the_scan_on_any_mix_of_lines(
            picks in proptest::collection::vec(0..VALID.len() + MALFORMED.len(), 1..24),
            chunk in 1usize..300,
            newline_at_end in any::<bool>(),
        ) {
            let mut input = String::from(VALID[0]);
            let mut malformed = false;
            for k in picks {
                input.push('\n');
                input.push_str(VALID.get(k).copied().unwrap_or_else(|| {
                    malformed = true;
                    MALFORMED[k - VALID.len()]
                }));
            }
            if newline_at_end {
                input.push('\n');
            }
            let bytes = input.as_bytes();
            if malformed {
                prop_assert_eq!(outcome(bytes, true, chunk), outcome(bytes, false, chunk));
            } else {
                prop_assert_eq!(framed(bytes, true, chunk), framed(bytes, false, chunk));
            }
        }
    }

    fn frames(input: &str) -> Vec<(FrameKind, String, u64)> {
        JsonFramer::new(input.as_bytes())
            .map(|f| f.unwrap())
            .map(|f| (f.kind, String::from_utf8(f.bytes).unwrap(), f.line))
            .collect()
    }

    fn jsons(input: &str) -> Vec<String> {
        frames(input)
            .into_iter()
            .filter(|f| f.0 == FrameKind::Json)
            .map(|f| f.1)
            .collect()
    }

    #[test]
    fn bare_array_and_pages() {
        assert_eq!(
            jsons(r#"[{"a":1}, {"b":[2]}]"#),
            vec![r#"{"a":1}"#, r#"{"b":[2]}"#]
        );
        assert_eq!(
            jsons(r#"{"value":[{"a":1},{"a":2}],"nextLink":"https://x"}"#),
            vec![r#"{"a":1}"#, r#"{"a":2}"#]
        );
        assert_eq!(
            jsons(r#"{"@odata.context":"x","value":[{"a":1}],"@odata.nextLink":"y"}"#),
            vec![r#"{"a":1}"#]
        );
        assert_eq!(
            jsons(r#"{"records":[{"a":1}]}{"records":[{"a":2}]}"#),
            vec![r#"{"a":1}"#, r#"{"a":2}"#]
        );
    }

    #[test]
    fn single_object_concatenated_and_lines() {
        assert_eq!(jsons(r#"{"a":{"value":1}}"#), vec![r#"{"a":{"value":1}}"#]);
        assert_eq!(
            jsons("[{\"a\":1}][{\"a\":2}]\n[{\"a\":3}]"),
            vec![r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]
        );
        assert_eq!(
            jsons("{\"a\":1}\n{\"a\":2}\r\n{\"a\":3}"),
            vec![r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]
        );
        let pretty = "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n";
        assert_eq!(jsons(pretty).len(), 2);
    }

    #[test]
    fn truncated_last_line_is_counted() {
        let f = frames("{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":\"x");
        assert_eq!(f.len(), 3);
        assert!(matches!(&f[2].0, FrameKind::Broken(r) if r.contains("truncated")));
        assert_eq!(f[2].2, 3);
    }

    #[test]
    fn a_read_error_frames_what_came_before_then_is_returned() {
        /// Hands out its bytes, then fails.
        struct Cut(std::io::Cursor<Vec<u8>>);
        impl Read for Cut {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("incomplete deflate stream")),
                    k => Ok(k),
                }
            }
        }
        for chunk in [1, 7, 1 << 16] {
            let cut = Cut(std::io::Cursor::new(
                br#"[{"a":1},{"a":2},{"a":3,"b""#.to_vec(),
            ));
            let mut fr = JsonFramer::with_chunk(cut, chunk);
            let mut kinds = Vec::new();
            let err = loop {
                match fr.next_frame() {
                    Ok(Some(f)) => kinds.push(f.kind),
                    Ok(None) => panic!("the read error was lost (chunk {chunk})"),
                    Err(e) => break e,
                }
            };
            assert_eq!(err.to_string(), "incomplete deflate stream");
            assert_eq!(kinds.len(), 3, "chunk {chunk}: {kinds:?}");
            assert!(kinds[..2].iter().all(|k| *k == FrameKind::Json));
            assert!(
                matches!(&kinds[2], FrameKind::Broken(r) if r.contains("read error")),
                "{kinds:?}"
            );
        }
    }

    #[test]
    fn broken_line_resyncs() {
        let f = frames("{\"a\":1}\n{\"a\":\"oops\n{\"a\":3}\n");
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(matches!(f[1].0, FrameKind::Broken(_)));
        assert_eq!(f[2].1, r#"{"a":3}"#);
        assert_eq!(f[2].2, 3);
    }

    #[test]
    fn broken_line_never_swallows_the_next() {
        let f = frames("{\"a\":1}\n{\"t\": \"x\", \"op\": \n{\"a\":2}\nnot json\n{\"a\":3}\n");
        let kinds: Vec<bool> = f.iter().map(|x| x.0 == FrameKind::Json).collect();
        assert_eq!(kinds, vec![true, false, true, false, true], "{f:?}");
        assert_eq!(f[2].2, 3);
    }

    #[test]
    fn stray_punctuation_always_progresses() {
        for c in [
            "[}",
            "[,}]",
            "[:]",
            "{\"value\":[}]}",
            "{\"tables\":[}",
            "{\"tables\":[{\"a\":]}]}",
            "{\"tables\":[{]}",
            "{\"a\":}",
            "{\"a\":]",
            "{]",
            "[{\"a\":1}}, {\"b\":2}]",
            "{\"tables\":[{\"rows\":[}]}]}",
        ] {
            let n = JsonFramer::new(c.as_bytes()).take(1000).count();
            assert!(n < 1000, "{c} does not progress");
        }
    }

    #[test]
    fn event_hub_lines_are_wrappers() {
        assert_eq!(
            jsons("{\"records\":[{\"a\":1}]}\n{\"records\":[{\"a\":2},{\"a\":3}]}\n").len(),
            3
        );
    }

    #[test]
    fn garbage_line_between_records() {
        let f = frames("{\"a\":1}\nhello world\n{\"a\":3}\n");
        assert_eq!(f.len(), 3);
        assert!(matches!(&f[1].0, FrameKind::Broken(r) if r.starts_with("not JSON")));
    }

    #[test]
    fn query_api_tables() {
        let f = frames(
            r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"A","type":"string"}],"rows":[["x"],["y"]]}]}"#,
        );
        let kinds: Vec<_> = f.iter().map(|x| x.0.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                FrameKind::TableColumns,
                FrameKind::TableRow,
                FrameKind::TableRow
            ]
        );
        assert_eq!(f[2].1, r#"["y"]"#);
    }

    #[test]
    fn big_records_across_chunks() {
        let big = "x".repeat(3 << 20);
        let input = format!("[{{\"a\":\"{big}\"}},{{\"b\":1}}]");
        let j = jsons(&input);
        assert_eq!(j.len(), 2);
        assert_eq!(j[1], r#"{"b":1}"#);
    }

    /// A reader that returns a few bytes at a time, forcing refills (and compaction) at
    /// every possible point inside records, keys and wrappers.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn trickled_input_frames_identically() {
        let mut doc = String::from("{\"value\":[");
        for i in 0..3000 {
            doc.push_str(&format!(
                "{}{{\"i\":{i},\"s\":\"{}\"}}",
                if i > 0 { "," } else { "" },
                "q".repeat(i % 50)
            ));
        }
        doc.push_str("],\"nextLink\":\"x\"}\n{\"tables\":[{\"columns\":[{\"name\":\"A\"}],\"rows\":[[\"r1\"],[\"r2\"]]}]}");
        let whole: Vec<_> = JsonFramer::new(doc.as_bytes())
            .map(|f| f.unwrap())
            .map(|f| (f.kind, f.bytes, f.offset))
            .collect();
        for step in [1usize, 7, 4096] {
            let t: Vec<_> = JsonFramer::with_chunk(Trickle(doc.as_bytes(), step), step * 3)
                .map(|f| f.unwrap())
                .map(|f| (f.kind, f.bytes, f.offset))
                .collect();
            assert_eq!(t.len(), whole.len(), "step {step}");
            assert!(t == whole, "step {step}");
        }
        assert_eq!(whole.len(), 3003);
    }

    #[test]
    fn many_records_offsets_are_exact() {
        let mut s = String::new();
        for i in 0..50_000 {
            s.push_str(&format!(
                "{{\"i\":{i},\"pad\":\"{}\"}}\n",
                "y".repeat(i % 97)
            ));
        }
        let mut n = 0;
        for f in JsonFramer::new(s.as_bytes()) {
            let f = f.unwrap();
            assert_eq!(f.kind, FrameKind::Json);
            let off = f.offset as usize;
            assert_eq!(&s.as_bytes()[off..off + f.bytes.len()], &f.bytes[..]);
            assert_eq!(f.line, n + 1);
            n += 1;
        }
        assert_eq!(n, 50_000);
    }

    #[test]
    fn a_reused_buffer_frames_like_a_fresh_one() {
        let big: String = (0..5_000)
            .map(|i| format!("{{\"i\":{i},\"pad\":\"{}\"}}\n", "z".repeat(i % 61)))
            .collect();
        let small = "{\"a\":1}\n[{\"b\":2},\n{\"c\":\"d\"}]\n{\"e\":";
        let fresh = frames(small);
        // The big input leaves a large buffer, full of its bytes, for the next framer.
        assert_eq!(frames(&big).len(), 5_000);
        assert!(SPARE.with(|s| {
            let b = s.take();
            let cap = b.capacity();
            s.set(b);
            cap > 0
        }));
        assert_eq!(frames(small), fresh);
        assert_eq!(frames(""), Vec::new());
    }
}
