//! Each finding ([`tokentrail_analyze::finding::OperationFinding`]) is serialized to JSON once: `findings/operations.jsonl` is written in
//! blocks of whole lines, and every block is also handed to the case.sqlite thread, which
//! stores each line (without its newline) in the `json` column of `operations`. Both get
//! exactly the bytes `serde_json` gives for the finding.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes gathered before a block is written and handed over.
const BLOCK: usize = 1 << 16;
/// Blocks written but not yet taken by case.sqlite (the writer waits beyond this). The
/// case.sqlite thread is the slower one, so a longer queue only held more lines in memory
/// (256 blocks, up to 20 MB, before).
const QUEUE: usize = 32;

/// A block of JSON lines and the end offset of each line.
type Block = (Vec<u8>, Vec<usize>);

/// The writing end (operations.jsonl) and the reading end (case.sqlite).
pub fn channel() -> (Lines, Taker) {
    let (tx, rx) = sync_channel(QUEUE);
    (
        Lines { tx },
        Taker {
            rx,
            block: (Vec::new(), Vec::new()),
            next: 0,
        },
    )
}

/// Writes operations.jsonl and hands its lines over.
pub struct Lines {
    tx: SyncSender<Block>,
}

impl Lines {
    /// Writes operations.jsonl to `w`, one compact JSON value per line. If the reading end
    /// has gone, the file is still written in full.
    pub fn write<T: serde::Serialize>(self, w: &mut dyn Write, items: &[T]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(BLOCK + BLOCK / 4);
        let mut ends = Vec::new();
        for x in items {
            serde_json::to_writer(&mut buf, x)?;
            ends.push(buf.len());
            buf.push(b'\n');
            if buf.len() >= BLOCK {
                w.write_all(&buf)?;
                let full = (
                    std::mem::replace(&mut buf, Vec::with_capacity(BLOCK + BLOCK / 4)),
                    std::mem::take(&mut ends),
                );
                let _ = self.tx.send(full);
            }
        }
        w.write_all(&buf)?;
        let _ = self.tx.send((buf, ends));
        Ok(())
    }
}

/// Takes the lines one by one, in finding order.
pub struct Taker {
    rx: Receiver<Block>,
    block: Block,
    /// Index in `block.1` of the next line.
    next: usize,
}

impl Taker {
    /// Puts the next line (without its newline) in `out`; an error if operations.jsonl
    /// stopped before it.
    pub fn take(&mut self, out: &mut Vec<u8>) -> rusqlite::Result<()> {
        while self.next >= self.block.1.len() {
            self.block = self.rx.recv().map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    "findings/operations.jsonl stopped before its last line".into(),
                )
            })?;
            self.next = 0;
        }
        let (bytes, ends) = &self.block;
        let start = match self.next {
            0 => 0,
            k => ends[k - 1] + 1,
        };
        out.extend_from_slice(&bytes[start..ends[self.next]]);
        self.next += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_both_ends() {
        for n in [0usize, 1, 7, 5000] {
            let items: Vec<String> = (0..n)
                .map(|i| format!("line {i}\n{}", "x".repeat(i % 97)))
                .collect();
            let (lines, mut taker) = channel();
            let mut file = Vec::new();
            let reader = std::thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..n {
                    let mut out = Vec::new();
                    taker.take(&mut out).unwrap();
                    got.push(out);
                }
                let mut out = Vec::new();
                assert!(taker.take(&mut out).is_err());
                got
            });
            lines.write(&mut file, &items).unwrap();
            let got = reader.join().unwrap();
            let mut want = Vec::new();
            for (x, line) in items.iter().zip(&got) {
                assert_eq!(line, &serde_json::to_vec(x).unwrap());
                want.extend_from_slice(line);
                want.push(b'\n');
            }
            assert_eq!(file, want);
        }
    }
}
