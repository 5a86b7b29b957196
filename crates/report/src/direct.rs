//! Output files written around the page cache: whole blocks go to the disk with direct I/O
//! from a background thread, so a bundle's gigabytes of timelines and findings neither crowd
//! the memory of the machine writing them nor cost it a copy into the cache. The last,
//! partial block and everything on platforms or file systems without direct I/O are written
//! the usual way; the bytes in the file are the same either way.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender};

/// Bytes per block handed to the disk (a multiple of [`crate::hash::DIRECT_ALIGN`]).
const BLOCK: usize = 2 << 20;

/// A block to write at an offset, in a buffer whose bytes start at `start`.
struct Job {
    buf: Vec<u8>,
    start: usize,
    offset: u64,
}

/// The thread writing whole blocks, with the buffers it gives back.
struct Writer {
    jobs: SyncSender<Job>,
    back: Receiver<Vec<u8>>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

/// A new output file, written block by block with direct I/O where that works. Call
/// [`DirectFile::finish`] when done: [`Write::flush`] does not write a partial block.
pub struct DirectFile {
    file: File,
    /// A second handle on the same file, opened for direct I/O (`None` where refused).
    direct: Option<File>,
    /// The block being filled: `buf[start..]`, `start` aligned.
    buf: Vec<u8>,
    start: usize,
    /// Offset in the file of the block being filled.
    offset: u64,
    writer: Option<Writer>,
}

impl DirectFile {
    /// Wraps `file`, a new empty file opened for writing at `path`.
    pub fn new(file: File, path: &std::path::Path) -> DirectFile {
        DirectFile {
            file,
            direct: crate::hash::open_direct(path),
            buf: Vec::new(),
            start: 0,
            offset: 0,
            writer: None,
        }
    }

    /// An empty aligned buffer with room for a block.
    fn fresh(&mut self) -> (Vec<u8>, usize) {
        let mut b = self
            .writer
            .as_ref()
            .and_then(|w| w.back.try_recv().ok())
            .unwrap_or_default();
        b.clear();
        if b.capacity() < BLOCK + crate::hash::DIRECT_ALIGN {
            b = Vec::with_capacity(BLOCK + crate::hash::DIRECT_ALIGN);
        }
        let start = crate::hash::align_up(&b);
        b.resize(start, 0);
        (b, start)
    }

    /// Hands the full block to the writing thread (started on the first one).
    fn send(&mut self) -> io::Result<()> {
        let (next, start) = self.fresh();
        let buf = std::mem::replace(&mut self.buf, next);
        let job = Job {
            buf,
            start: std::mem::replace(&mut self.start, start),
            offset: self.offset,
        };
        self.offset += BLOCK as u64;
        if self.writer.is_none() {
            let (jobs, rx) = std::sync::mpsc::sync_channel::<Job>(1);
            let (back_tx, back) = std::sync::mpsc::channel();
            let file = self.file.try_clone()?;
            let direct = self.direct.take();
            let thread = std::thread::spawn(move || write_blocks(file, direct, rx, back_tx));
            self.writer = Some(Writer { jobs, back, thread });
        }
        let w = self
            .writer
            .as_ref()
            .ok_or_else(|| io::Error::other("no writer"))?;
        if w.jobs.send(job).is_err() {
            // The thread stopped on an error: `finish` reports it.
            return self
                .stop()
                .and(Err(io::Error::other("the writing thread stopped")));
        }
        Ok(())
    }

    /// Waits for the writing thread and returns its result.
    fn stop(&mut self) -> io::Result<()> {
        match self.writer.take() {
            None => Ok(()),
            Some(w) => {
                drop(w.jobs);
                w.thread
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")))
            }
        }
    }

    /// Writes what is left (the last, partial block) and waits for every block to be
    /// written.
    pub fn finish(mut self) -> io::Result<File> {
        self.stop()?;
        if self.buf.len() > self.start {
            write_at(&self.file, &self.buf[self.start..], self.offset)?;
        }
        Ok(self.file)
    }
}

impl Write for DirectFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.capacity() == 0 {
            (self.buf, self.start) = self.fresh();
        }
        let room = self.start + BLOCK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == self.start + BLOCK {
            self.send()?;
        }
        Ok(n)
    }

    /// Nothing: a partial block is written by [`DirectFile::finish`] only.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The writing thread: each block with direct I/O while that works, else the usual way
/// (from then on), each at its own offset; buffers go back for reuse.
fn write_blocks(
    file: File,
    mut direct: Option<File>,
    jobs: Receiver<Job>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
) -> io::Result<()> {
    for job in jobs {
        write_block(&mut direct, &file, &job.buf[job.start..], job.offset)?;
        let _ = back.send(job.buf);
    }
    Ok(())
}

/// Writes `bytes` at `offset`: with direct I/O through `direct` while that works, else (and
/// from then on: `direct` is emptied) through `file`, the same file opened the usual way.
pub(crate) fn write_block(
    direct: &mut Option<File>,
    file: &File,
    bytes: &[u8],
    offset: u64,
) -> io::Result<()> {
    if direct
        .as_ref()
        .is_some_and(|d| write_at(d, bytes, offset).is_ok())
    {
        return Ok(());
    }
    // Refused (or failed): this block and the rest go through the cache.
    *direct = None;
    write_at(file, bytes, offset)
}

/// Writes all of `bytes` at `offset` in `f`.
pub(crate) fn write_at(f: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(f, bytes, offset)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, SeekFrom};
        let mut f = f;
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(dir: &std::path::Path) {
        for len in [
            0,
            1,
            4095,
            4096,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 12345,
        ] {
            let p = dir.join(format!("out-{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .unwrap();
            let mut w = DirectFile::new(f, &p);
            // Uneven pieces, as a renderer writes them.
            for piece in data.chunks(7919) {
                w.write_all(piece).unwrap();
            }
            w.flush().unwrap();
            w.finish().unwrap();
            assert_eq!(std::fs::read(&p).unwrap(), data, "{len} bytes");
        }
    }

    #[test]
    fn the_file_holds_exactly_what_was_written() {
        let d = tempfile::tempdir().unwrap();
        roundtrip(d.path());
    }

    /// Where direct I/O is refused (tmpfs), the same bytes are written the usual way.
    #[test]
    fn without_direct_io_the_file_is_the_same() {
        let Ok(d) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        roundtrip(d.path());
    }
}
