//! SHA-256 of files and bytes, streamed, and the copies of inputs made while hashing them.

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::Path;

pub fn bytes(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Hashes a file without loading it whole. A large file is read on a second thread while
/// the blocks already read are hashed, so the copy out of the page cache and the hashing
/// overlap (the hash is the same: blocks are hashed in file order).
pub fn file(p: &Path) -> io::Result<(String, u64)> {
    let mut f = std::fs::File::open(p)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len < PIPELINE_MIN {
        return hash_reader(&mut f);
    }
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = empty_tx.send(vec![0u8; BLOCK]);
    }
    std::thread::scope(|s| {
        let reader = s.spawn(move || -> io::Result<()> {
            while let Ok(mut buf) = empty_rx.recv() {
                let k = read_full(&mut f, &mut buf)?;
                if k == 0 || full_tx.send((buf, k)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut h = Sha256::new();
        let mut n = 0u64;
        while let Ok((buf, k)) = full_rx.recv() {
            h.update(&buf[..k]);
            n += k as u64;
            let _ = empty_tx.send(buf);
        }
        drop(empty_tx);
        reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reading thread panicked")))?;
        Ok((hex::encode(h.finalize()), n))
    })
}

/// Files at least this large are read and hashed on two threads.
const PIPELINE_MIN: u64 = 16 << 20;
/// Block size for pipelined hashing.
const BLOCK: usize = 4 << 20;

/// Fills `buf` as far as the file allows; 0 at the end.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn hash_reader(f: &mut std::fs::File) -> io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

/// Flushes a file written earlier to stable storage (`fsync`; a read-only handle is
/// enough on the platforms supported).
pub fn sync_file(p: &Path) -> io::Result<()> {
    std::fs::File::open(p)?.sync_all()
}

thread_local! {
    static COPY_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Which file a failed copy failed on.
#[derive(Debug)]
pub enum CopyError {
    /// Opening or reading the source.
    Source(io::Error),
    /// Creating, writing or setting the permissions of the copy.
    Copy(io::Error),
}

/// Copies `from` to `to` byte for byte and leaves the copy read-only, returning the SHA-256
/// and size of what was copied. The copy is not flushed: the caller makes it durable later
/// with [`sync_file`] (e.g. on a background thread while the copy is being read).
/// `written` is told how many bytes the copy holds, after it is created and after each
/// block, so a reader can follow it as it grows.
pub fn copy_readonly_nosync(
    from: &Path,
    to: &Path,
    written: &mut dyn FnMut(u64),
) -> Result<(String, u64), CopyError> {
    let mut r = std::fs::File::open(from).map_err(CopyError::Source)?;
    let mut w = create_copy(to, written)?;
    let mut h = Sha256::new();
    let mut n = 0u64;
    // One buffer per thread, reused from file to file (thousands of small inputs would
    // otherwise each allocate and zero a fresh megabyte).
    COPY_BUF.with_borrow_mut(|buf| -> Result<(), CopyError> {
        buf.resize(1 << 20, 0);
        loop {
            let k = match r.read(buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Source(e)),
            };
            h.update(&buf[..k]);
            w.write_all(&buf[..k]).map_err(CopyError::Copy)?;
            n += k as u64;
            written(n);
        }
        Ok(())
    })?;
    make_readonly(&w).map_err(CopyError::Copy)?;
    Ok((hex::encode(h.finalize()), n))
}

/// Creates the copy `to` (never over an existing file) and says it holds 0 bytes.
fn create_copy(to: &Path, written: &mut dyn FnMut(u64)) -> Result<std::fs::File, CopyError> {
    let w = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(CopyError::Copy)?;
    written(0);
    Ok(w)
}

/// Leaves a copy read-only.
fn make_readonly(w: &std::fs::File) -> io::Result<()> {
    let mut perm = w.metadata()?.permissions();
    perm.set_readonly(true);
    w.set_permissions(perm)
}

/// The alignment direct I/O asks of addresses, lengths and offsets (a page, which covers
/// the logical block size of the disks in use).
pub(crate) const DIRECT_ALIGN: usize = 4096;

/// How far into `buf` its first aligned byte is (with room reserved past it).
pub(crate) fn align_up(buf: &[u8]) -> usize {
    (DIRECT_ALIGN - buf.as_ptr() as usize % DIRECT_ALIGN) % DIRECT_ALIGN
}

/// A second handle on the existing file `p` for writing with direct I/O: `None` where the
/// platform or file system does not offer it.
pub(crate) fn open_direct(p: &Path) -> Option<std::fs::File> {
    open_direct_with(std::fs::OpenOptions::new().write(true), p)
}

/// `p` opened as `o` says, with direct I/O: `None` where the platform or file system does
/// not offer it.
fn open_direct_with(o: &mut std::fs::OpenOptions, p: &Path) -> Option<std::fs::File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_DIRECT).open(p).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (o, p);
        None
    }
}

/// The room [`copy_readonly_held`] needs in its buffer for a file of `size` bytes.
pub const fn held_room(size: usize) -> usize {
    size.saturating_add(2 * DIRECT_ALIGN + 1)
}

/// [`copy_readonly_nosync`] for a file listed as `size` bytes, read whole into `buf`
/// first (reusing its room): on return `buf[start..]` holds those bytes, `start` returned.
/// On Linux the copy is written with direct I/O from that buffer, so its pages never pass
/// through the page cache (writing gigabytes of copies through the cache costs more CPU
/// time than hashing them, and nothing reads them back during the run). Where direct I/O
/// is refused (tmpfs, some network file systems) the copy is written the usual way. A file
/// whose size is no longer `size` is copied as [`copy_readonly_nosync`] does, and `None` is
/// returned for `start`.
pub fn copy_readonly_held(
    from: &Path,
    to: &Path,
    size: u64,
    buf: &mut Vec<u8>,
    written: &mut dyn FnMut(u64),
) -> Result<(String, u64, Option<usize>), CopyError> {
    let streamed = |written: &mut dyn FnMut(u64)| {
        copy_readonly_nosync(from, to, written).map(|(h, n)| (h, n, None))
    };
    let Ok(want) = usize::try_from(size) else {
        return streamed(written);
    };
    // Room to align the start, read one byte past the listed size (to see a file that
    // grew), and pad the end to a whole block.
    let room = held_room(want);
    if buf.capacity() < room {
        *buf = Vec::new();
        buf.try_reserve_exact(room)
            .map_err(|e| CopyError::Source(io::Error::other(e)))?;
    }
    let start = align_up(buf);
    if read_direct(from, buf, start, want).is_none() {
        let mut r = std::fs::File::open(from).map_err(CopyError::Source)?;
        buf.clear();
        buf.resize(start, 0);
        // `read_to_end` retries interrupted reads and fills the reserved room without
        // zeroing.
        Read::read_to_end(&mut Read::take(&mut r, size.saturating_add(1)), buf)
            .map_err(CopyError::Source)?;
    }
    let n = buf.len() - start;
    if n != want {
        return streamed(written);
    }
    let sha = hex::encode(Sha256::digest(&buf[start..]));
    let w = create_copy(to, written)?;
    if !write_direct(to, buf, start, n) {
        // Nothing of a refused direct write is kept: the copy is written again from byte 0.
        w.set_len(0).map_err(CopyError::Copy)?;
        (&w).write_all(&buf[start..]).map_err(CopyError::Copy)?;
    }
    written(n as u64);
    make_readonly(&w).map_err(CopyError::Copy)?;
    Ok((sha, n as u64, Some(start)))
}

/// Reads `from`, a file listed as `want` bytes, whole into `buf[start..]` with direct I/O
/// (Linux): the bytes go from the disk into the buffer without passing through the page
/// cache, or filling it (gigabytes of inputs read through the cache cost a few tenths of a
/// CPU second per GB, and their pages then had to be reclaimed to write the bundle). Whole
/// aligned blocks are read, up to one byte past `want`, so a file that grew is seen; a
/// read of part of a block is the end of the file. On return `buf[start..]` holds the
/// bytes read (fewer or more than `want` if the file changed: the caller checks). `None`
/// where direct I/O is not offered or a read fails: nothing is kept, and the caller reads
/// the usual way from byte 0. `buf` must have the room of [`held_room`] and `start` be its
/// aligned start ([`align_up`]).
fn read_direct(from: &Path, buf: &mut Vec<u8>, start: usize, want: usize) -> Option<()> {
    let padded = want.checked_add(1)?.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
    let end = start.checked_add(padded)?;
    // Within the reserved room only: the buffer must not move.
    if end > buf.capacity() || !(buf.as_ptr() as usize + start).is_multiple_of(DIRECT_ALIGN) {
        return None;
    }
    let mut f = open_direct_with(std::fs::OpenOptions::new().read(true), from)?;
    // Bytes a reused buffer holds already are overwritten rather than zeroed first.
    if buf.len() < end {
        buf.resize(end, 0);
    }
    let mut n = 0;
    while n < padded {
        match f.read(&mut buf[start + n..end]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                if !n.is_multiple_of(DIRECT_ALIGN) {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(start + n);
    Some(())
}

/// Bytes per block of a passed copy ([`copy_readonly_passed`]).
pub const PASS_BLOCK: usize = 4 << 20;

/// The room [`copy_readonly_passed`] needs in each buffer.
pub const fn passed_room() -> usize {
    PASS_BLOCK + DIRECT_ALIGN
}

/// [`copy_readonly_nosync`] block by block for a file too large to hold whole: each block
/// of [`PASS_BLOCK`] bytes is read into a buffer from `next` (reusing its room), hashed,
/// written to the copy (whole blocks with direct I/O where that works, the last one the
/// usual way) and then handed to `pass` with the offset of its first byte in the buffer, so
/// the reader parses the very bytes copied without reading the copy back.
pub fn copy_readonly_passed(
    from: &Path,
    to: &Path,
    next: &mut dyn FnMut() -> Vec<u8>,
    pass: &mut dyn FnMut(Vec<u8>, usize),
    written: &mut dyn FnMut(u64),
) -> Result<(String, u64), CopyError> {
    let mut r = std::fs::File::open(from).map_err(CopyError::Source)?;
    let w = create_copy(to, written)?;
    let mut direct = open_direct(to);
    let mut h = Sha256::new();
    let mut n = 0u64;
    loop {
        let mut buf = next();
        buf.clear();
        if buf.capacity() < passed_room() {
            buf = Vec::with_capacity(passed_room());
        }
        let start = align_up(&buf);
        buf.resize(start, 0);
        // Fewer bytes than a block only at the end of the file.
        Read::read_to_end(&mut Read::take(&mut r, PASS_BLOCK as u64), &mut buf)
            .map_err(CopyError::Source)?;
        let got = buf.len() - start;
        if got == 0 {
            break;
        }
        let bytes = &buf[start..];
        h.update(bytes);
        let aligned = (bytes.as_ptr() as usize) & (DIRECT_ALIGN - 1) == 0;
        if got < PASS_BLOCK || !aligned {
            // The last block (or one that moved): written the usual way.
            direct = None;
        }
        crate::direct::write_block(&mut direct, &w, bytes, n).map_err(CopyError::Copy)?;
        n += got as u64;
        written(n);
        pass(buf, start);
        if got < PASS_BLOCK {
            break;
        }
    }
    make_readonly(&w).map_err(CopyError::Copy)?;
    Ok((hex::encode(h.finalize()), n))
}

/// Writes `buf[start..start + n]` (`start` aligned) into the existing empty file `to`
/// with direct I/O: the last block padded with zeros, then the file cut back to `n` bytes.
/// False when direct I/O is not available or failed (the caller writes the copy again);
/// `buf` holds the same `n` bytes on return either way.
fn write_direct(to: &Path, buf: &mut Vec<u8>, start: usize, n: usize) -> bool {
    let aligned = (buf.as_ptr() as usize + start) & (DIRECT_ALIGN - 1) == 0;
    let padded = n.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
    // Padding within the reserved room only: the buffer must not move.
    if !aligned || start + padded > buf.capacity() {
        return false;
    }
    let Some(mut d) = open_direct(to) else {
        return false;
    };
    buf.resize(start + padded, 0);
    let ok = d.write_all(&buf[start..]).is_ok() && d.set_len(n as u64).is_ok();
    buf.truncate(start + n);
    ok
}

/// A writer that hashes and counts every byte on its way to `inner`, so an output streamed
/// to its file is hashed in the same pass.
pub struct HashWriter<W: Write> {
    inner: W,
    h: Sha256,
    n: u64,
}

impl<W: Write> HashWriter<W> {
    pub fn new(inner: W) -> HashWriter<W> {
        HashWriter {
            inner,
            h: Sha256::new(),
            n: 0,
        }
    }

    /// Flushes `inner` and returns it with the SHA-256 and size of what was written.
    pub fn finish(mut self) -> io::Result<(W, String, u64)> {
        self.inner.flush()?;
        Ok((self.inner, hex::encode(self.h.finalize()), self.n))
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.h.update(&buf[..k]);
        self.n += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct reads give a file's exact bytes at every size around a block boundary, into
    /// a buffer reused from a larger file (its old bytes overwritten, none left over), and
    /// see the bytes of a file longer than listed.
    #[test]
    fn direct_reads_give_the_exact_bytes() {
        let d = tempfile::tempdir().unwrap();
        let mut buf = Vec::new();
        for size in [3 * 4096 + 5, 0, 1, 4095, 4096, 4097, 2 * 4096, 10_000] {
            let p = d.path().join(format!("f{size}"));
            let data: Vec<u8> = (0..size).map(|i: usize| (i * 7 % 251) as u8 + 1).collect();
            std::fs::write(&p, &data).unwrap();
            for listed in [size, size.saturating_sub(1)] {
                let room = held_room(listed);
                if buf.capacity() < room {
                    buf = Vec::with_capacity(room);
                }
                let start = align_up(&buf);
                if read_direct(&p, &mut buf, start, listed).is_none() {
                    // This file system offers no direct I/O: the usual read is used.
                    return;
                }
                assert_eq!(&buf[start..], &data[..], "size {size}, listed {listed}");
            }
        }
    }

    #[test]
    fn streamed_hash_matches_bytes() {
        let mut w = HashWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (v, h, n) = w.finish().unwrap();
        assert_eq!(v, b"hello world");
        assert_eq!(h, bytes(b"hello world"));
        assert_eq!(n, 11);
    }

    #[test]
    fn pipelined_file_hash_matches_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        let data: Vec<u8> = (0..(PIPELINE_MIN as usize + BLOCK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        std::fs::write(&p, &data).unwrap();
        assert_eq!(file(&p).unwrap(), (bytes(&data), data.len() as u64));
        std::fs::write(&p, b"small").unwrap();
        assert_eq!(file(&p).unwrap(), (bytes(b"small"), 5));
    }
}
