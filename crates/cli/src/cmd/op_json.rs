//! `findings/operations.jsonl` is written on one thread while case.sqlite inserts the
//! operations on another; each operation's row records where its line starts
//! (`line_offset`). The writer hands the line offsets over block by block, in finding order.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes gathered before a block is written and its offsets handed over.
const BLOCK: usize = 1 << 16;
/// Blocks written but not yet taken by case.sqlite (the writer waits beyond this).
const QUEUE: usize = 32;

/// The writing end (operations.jsonl) and the reading end (case.sqlite).
pub fn channel() -> (Lines, Offsets) {
    let (tx, rx) = sync_channel(QUEUE);
    (
        Lines { tx },
        Offsets {
            rx,
            block: Vec::new(),
            next: 0,
        },
    )
}

/// Writes operations.jsonl and hands its line offsets over.
pub struct Lines {
    tx: SyncSender<Vec<u64>>,
}

impl Lines {
    /// Writes operations.jsonl to `w`, one compact JSON value per line. If the reading end
    /// has gone, the file is still written in full.
    pub fn write<T: serde::Serialize>(self, w: &mut dyn Write, items: &[T]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(BLOCK + BLOCK / 4);
        let mut starts = Vec::new();
        let mut written = 0u64;
        for x in items {
            starts.push(written + buf.len() as u64);
            serde_json::to_writer(&mut buf, x)?;
            buf.push(b'\n');
            if buf.len() >= BLOCK {
                w.write_all(&buf)?;
                written += buf.len() as u64;
                buf.clear();
                let _ = self.tx.send(std::mem::take(&mut starts));
            }
        }
        w.write_all(&buf)?;
        let _ = self.tx.send(starts);
        Ok(())
    }
}

/// Takes the line offsets one by one, in finding order.
pub struct Offsets {
    rx: Receiver<Vec<u64>>,
    block: Vec<u64>,
    /// Index in `block` of the next line.
    next: usize,
}

impl Offsets {
    /// The byte at which the next line starts; an error if operations.jsonl stopped before
    /// it.
    pub fn take(&mut self) -> rusqlite::Result<u64> {
        while self.next >= self.block.len() {
            self.block = self.rx.recv().map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    "findings/operations.jsonl stopped before its last line".into(),
                )
            })?;
            self.next = 0;
        }
        self.next += 1;
        Ok(self.block[self.next - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_offset_is_where_its_line_starts() {
        for n in [0usize, 1, 7, 5000] {
            let items: Vec<String> = (0..n)
                .map(|i| format!("line {i}\n{}", "x".repeat(i % 97)))
                .collect();
            let (lines, mut offsets) = channel();
            let mut file = Vec::new();
            let reader = std::thread::spawn(move || {
                let got: Vec<u64> = (0..n).map(|_| offsets.take().unwrap()).collect();
                assert!(offsets.take().is_err());
                got
            });
            lines.write(&mut file, &items).unwrap();
            let got = reader.join().unwrap();
            let mut want = Vec::new();
            for (x, at) in items.iter().zip(&got) {
                assert_eq!(*at as usize, want.len());
                want.extend_from_slice(&serde_json::to_vec(x).unwrap());
                want.push(b'\n');
            }
            assert_eq!(file, want);
        }
    }
}
