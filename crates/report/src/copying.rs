//! Inputs copied into the bundle on background threads, in order, while the analysis reads
//! them: reading starts as soon as the first file is copied, not after the last, and the
//! writes reach the disk spread over the whole read instead of in one burst.
//!
//! Small files can be *held* ([`Hold`]): read whole into memory, hashed, written to the
//! bundle from that buffer (with direct I/O, bypassing the page cache: see
//! [`hash::copy_readonly_held`]) and handed to the reader by [`Copying::take`], so each
//! input is read from disk once and never read back, and what is parsed is the very buffer
//! that was hashed and written. The held bytes are bounded ([`Hold::budget`]). Larger
//! files are then *passed*: copied block by block the same way, each block queued for the
//! reader of [`Copying::follow`] (at most [`PASS_AHEAD`] bytes ahead of it). Without a
//! [`Hold`], copies are read from the bundle: a reader asks [`Copying::ready`] before
//! opening one, or reads it through [`Copying::follow`] up to the bytes written so far; it
//! never takes a partial copy for a whole one.

use crate::bundle::{BundleError, CopiedInput};
use crate::hash;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

/// Threads copying input files (I/O bound: more than the cores is fine).
const COPY_THREADS: usize = 4;

/// Bytes of a passed file copied but not yet read before its copying thread waits.
pub const PASS_AHEAD: u64 = 32 << 20;

/// Which files are held for the reader, and how many of their bytes at most; larger files
/// are passed block by block (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Hold {
    /// Files listed at up to this many bytes are held.
    pub up_to: u64,
    /// The most memory held files take (copied or being copied, not yet taken; each
    /// counts its size plus [`Hold::EXTRA`]) under which a copying thread starts another
    /// held file; past it, copying waits for the reader (when nothing is held, a file is
    /// always started). A reader that needs several files before it takes any (a batch
    /// read in parallel) needs them held at once: the budget must be at least the largest
    /// such batch, or copying and reading wait for each other forever. Up to a quarter of
    /// it is kept in buffers given back, for reuse.
    pub budget: u64,
}

impl Hold {
    /// What a held file takes beyond its size (its buffer's room to align and pad).
    pub const EXTRA: u64 = hash::held_room(0) as u64;

    fn holds(hold: Option<Hold>, size: u64) -> bool {
        hold.is_some_and(|h| size <= h.up_to)
    }

    fn passes(hold: Option<Hold>, size: u64) -> bool {
        hold.is_some_and(|h| size > h.up_to)
    }

    /// What a held file of `size` bytes counts against the budget.
    fn cost(size: u64) -> u64 {
        size.saturating_add(Hold::EXTRA)
    }
}

/// The bytes of a held file: the very bytes its copy was written from and its hash was
/// taken of. Dropped, its buffer goes back to the copying threads for the next file (fresh
/// memory costs the kernel a page fault and a cleared page each 4 KiB).
pub struct Held {
    buf: Vec<u8>,
    start: usize,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.pool.put(std::mem::take(&mut self.buf));
    }
}

/// Buffers of held files given back, up to `cap` bytes of them.
#[derive(Default)]
struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    cap: u64,
}

impl Pool {
    /// A buffer with at least `room` bytes of room if one was given back, else the largest.
    fn get(&self, room: usize) -> Vec<u8> {
        let mut p = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let fits = p
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= room)
            .min_by_key(|(_, b)| b.capacity())
            .or_else(|| p.iter().enumerate().max_by_key(|(_, b)| b.capacity()))
            .map(|(i, _)| i);
        fits.map(|i| p.swap_remove(i)).unwrap_or_default()
    }

    fn put(&self, buf: Vec<u8>) {
        let mut p = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let kept: usize = p.iter().map(Vec::capacity).sum();
        if (kept + buf.capacity()) as u64 <= self.cap {
            p.push(buf);
        }
    }
}

/// A file to copy: its source, the bundle path of its copy, its size when it was listed, and
/// which input (as numbered by the caller) it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub from: PathBuf,
    pub rel: String,
    pub size: u64,
    pub input: usize,
}

/// Copies being made. Dropped without [`Copying::finish`] (a run that stops early), the
/// copying goes on in the background until the process ends; no file is cut off mid-copy by
/// the drop.
pub struct Copying {
    root: PathBuf,
    files: Arc<Vec<Planned>>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<Result<(), BundleError>>>,
    /// Which files are held (see the module docs).
    hold: Option<Hold>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    pool: Arc<Pool>,
}

#[derive(Default)]
struct State {
    /// One slot per planned file, filled when its copy is complete (or failed).
    results: Vec<Option<Result<CopiedInput, BundleError>>>,
    /// Per planned file, how many bytes its copy holds so far (`None`: not started).
    written: Vec<Option<u64>>,
    /// The next file to start.
    next: usize,
    /// A copy failed: no further file is started.
    failed: bool,
    /// Every copying thread has stopped.
    finished: bool,
    /// Per planned file, its bytes while held and not yet taken.
    held: Vec<Option<Held>>,
    /// Bytes of held files started and not yet taken or released (see [`Hold::budget`]).
    held_bytes: u64,
    /// Nobody will take held bytes any more (the [`Copying`] was dropped): copying goes on
    /// without holding or waiting.
    abandoned: bool,
    /// Per planned file passed block by block: blocks copied and not yet read.
    blocks: Vec<VecDeque<Held>>,
    /// Per planned file, whether its blocks will not be read (its follower is gone, or it is
    /// read from its copy): they are dropped instead of queued.
    unread: Vec<bool>,
}

/// A copy that failed, with the input (as numbered in [`Planned::input`]) it belongs to.
#[derive(Debug)]
pub struct CopyFailed {
    pub input: usize,
    pub error: BundleError,
}

impl Copying {
    /// Starts copying `files` below `root` (making the directories they go in), read-only.
    /// With `sync`, each copy is flushed to stable storage once all are made, on the same
    /// background thread; [`Copying::finish`] hands that flush back to wait for. Files
    /// that `hold` names are held for [`Copying::take`].
    pub fn start(root: PathBuf, files: Vec<Planned>, sync: bool, hold: Option<Hold>) -> Copying {
        let files = Arc::new(files);
        let shared = Arc::new(Shared {
            pool: Arc::new(Pool {
                free: Mutex::default(),
                cap: hold.map_or(0, |h| h.budget / 4),
            }),
            ..Shared::default()
        });
        {
            let mut st = shared.lock();
            st.results = (0..files.len()).map(|_| None).collect();
            st.written = vec![None; files.len()];
            st.held = (0..files.len()).map(|_| None).collect();
            st.blocks = (0..files.len()).map(|_| VecDeque::new()).collect();
            st.unread = vec![false; files.len()];
        }
        let thread = {
            let (root, files, shared) = (root.clone(), Arc::clone(&files), Arc::clone(&shared));
            std::thread::spawn(move || copy_all(&root, &files, &shared, sync, hold))
        };
        Copying {
            root,
            files,
            shared,
            thread: Some(thread),
            hold,
        }
    }

    /// The bytes of file `k` when it is held: waits for its copy, and returns what was
    /// read, hashed and written. `None` when `k` is not held (too large, its size changed
    /// since it was listed, or it was taken already) or its copy failed or was never made;
    /// the reader then goes by [`Copying::ready`]. Taking frees room for more held copies.
    pub fn take(&self, k: usize) -> Option<Held> {
        let f = self.files.get(k)?;
        if !Hold::holds(self.hold, f.size) {
            return None;
        }
        self.ready(k);
        let mut st = self.shared.lock();
        let h = st.held.get_mut(k)?.take()?;
        st.held_bytes -= Hold::cost(f.size);
        drop(st);
        self.shared.changed.notify_all();
        Some(h)
    }

    /// Drops the held bytes of file `k` if they were not taken (a reader that read it
    /// otherwise, or not at all), freeing their room.
    pub fn release(&self, k: usize) {
        if let Some(f) = self.files.get(k) {
            let mut st = self.shared.lock();
            if let Some(Some(_)) = st.held.get_mut(k).map(Option::take) {
                st.held_bytes -= Hold::cost(f.size);
                drop(st);
                self.shared.changed.notify_all();
            }
        }
    }

    /// The files, in the order they are copied.
    pub fn files(&self) -> &[Planned] {
        &self.files
    }

    /// Waits until copy `k` is complete: true when it is, false when it failed or never
    /// will be made (an earlier copy failed, or `k` is out of range).
    pub fn ready(&self, k: usize) -> bool {
        let mut st = self.shared.lock();
        if self
            .files
            .get(k)
            .is_some_and(|f| Hold::passes(self.hold, f.size))
        {
            // Read from its copy, not block by block: its copying must not wait for that.
            st.unread[k] = true;
            st.blocks[k].clear();
            self.shared.changed.notify_all();
        }
        loop {
            match st.results.get(k) {
                None => return false,
                Some(Some(r)) => return r.is_ok(),
                // Not started, and never will be: a copy already started is finished
                // (successful or not) even after another fails.
                Some(None) if st.written[k].is_none() && (st.failed || st.finished) => {
                    return false
                }
                Some(None) => {
                    st = self
                        .shared
                        .changed
                        .wait(st)
                        .unwrap_or_else(|e| e.into_inner())
                }
            }
        }
    }

    /// A reader of copy `k` that does not wait for the whole copy: see [`Follow`]. `None`
    /// when there is no such file.
    pub fn follow(&self, k: usize) -> Option<Follow> {
        let f = self.files.get(k)?;
        Some(Follow {
            shared: Arc::clone(&self.shared),
            k,
            path: self.root.join(&f.rel),
            file: None,
            pos: 0,
            passed: Hold::passes(self.hold, f.size),
            block: None,
            at: 0,
        })
    }

    /// Waits for every copy and returns them in order, with the pending flush (see
    /// [`Copying::start`]); or the first failure in file order.
    pub fn finish(mut self) -> Result<(Vec<CopiedInput>, crate::bundle::PendingSync), CopyFailed> {
        let results = {
            // Nothing is taken from here on: copies still to come are not held.
            self.abandon();
            let mut st = self.shared.lock();
            while !st.finished {
                st = self
                    .shared
                    .changed
                    .wait(st)
                    .unwrap_or_else(|e| e.into_inner());
            }
            std::mem::take(&mut st.results)
        };
        let thread = self.thread.take();
        let mut out = Vec::with_capacity(results.len());
        for (r, f) in results.into_iter().zip(self.files.iter()) {
            match r {
                Some(Ok(c)) => out.push(c),
                Some(Err(error)) => {
                    return Err(CopyFailed {
                        input: f.input,
                        error,
                    })
                }
                // Not started after an earlier failure, which comes first in order; or a
                // copying thread that stopped without a result.
                None => {
                    return Err(CopyFailed {
                        input: f.input,
                        error: BundleError::Io {
                            path: f.from.clone(),
                            source: std::io::Error::other("a copying thread failed"),
                        },
                    })
                }
            }
        }
        Ok((out, crate::bundle::PendingSync::of(thread)))
    }
}

impl Copying {
    /// Nobody takes held bytes any more: those held are dropped, and the copying threads
    /// stop holding and waiting.
    fn abandon(&self) {
        let mut st = self.shared.lock();
        st.abandoned = true;
        let State {
            held, held_bytes, ..
        } = &mut *st;
        for (h, f) in held.iter_mut().zip(self.files.iter()) {
            if h.take().is_some() {
                *held_bytes -= Hold::cost(f.size);
            }
        }
        st.blocks.iter_mut().for_each(VecDeque::clear);
        drop(st);
        self.shared.changed.notify_all();
    }
}

impl Drop for Copying {
    fn drop(&mut self) {
        self.abandon();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, st: std::sync::MutexGuard<'a, State>) -> std::sync::MutexGuard<'a, State> {
        self.changed.wait(st).unwrap_or_else(|e| e.into_inner())
    }

    /// Queues block `b` of passed file `k` for its reader, waiting while [`PASS_AHEAD`]
    /// bytes of it are queued already; dropped when nobody will read it.
    fn pass(&self, k: usize, b: Held) {
        let mut st = self.lock();
        loop {
            if st.abandoned || st.unread[k] {
                return;
            }
            let queued: usize = st.blocks[k].iter().map(|b| b.as_ref().len()).sum();
            if (queued as u64) < PASS_AHEAD {
                st.blocks[k].push_back(b);
                drop(st);
                self.changed.notify_all();
                return;
            }
            st = self.wait(st);
        }
    }
}

/// The copying thread: `COPY_THREADS` workers take files in order; each result is published
/// as soon as it is known. Then, with `sync` and no failure, every copy is flushed in order.
fn copy_all(
    root: &std::path::Path,
    files: &[Planned],
    shared: &Shared,
    sync: bool,
    hold_cfg: Option<Hold>,
) -> Result<(), BundleError> {
    std::thread::scope(|s| {
        for _ in 0..COPY_THREADS.min(files.len()) {
            s.spawn(|| loop {
                // Taken under the lock, and marked started (0 bytes) at once: a copy that
                // is started is always finished, so no reader gives up on it. A held file
                // waits for room first (never when nothing is held, so one always starts).
                let next = {
                    let mut st = shared.lock();
                    loop {
                        if st.failed || st.next >= files.len() {
                            break None;
                        }
                        let size = files[st.next].size;
                        let cost = Hold::cost(size);
                        let budget = hold_cfg.map_or(0, |h| h.budget);
                        let hold = Hold::holds(hold_cfg, size) && !st.abandoned;
                        if hold && st.held_bytes > 0 && st.held_bytes + cost > budget {
                            st = shared.wait(st);
                            continue;
                        }
                        let i = st.next;
                        st.next += 1;
                        st.written[i] = Some(0);
                        if hold {
                            st.held_bytes += cost;
                        }
                        break Some((i, hold));
                    }
                };
                let Some((i, hold)) = next else { break };
                let f = &files[i];
                let how = if hold {
                    How::Held(&shared.pool)
                } else if Hold::passes(hold_cfg, f.size) {
                    How::Passed(shared, i)
                } else {
                    How::Plain
                };
                let r = copy_one(root, f, how, &mut |n| {
                    if let Some(w) = shared.lock().written.get_mut(i) {
                        *w = Some(n);
                    }
                    shared.changed.notify_all();
                });
                let mut st = shared.lock();
                let (r, held) = match r {
                    Ok((c, held)) => (Ok(c), held),
                    Err(e) => (Err(e), None),
                };
                if hold {
                    match held {
                        Some(h) if !st.abandoned => st.held[i] = Some(h),
                        _ => st.held_bytes -= Hold::cost(f.size),
                    }
                }
                st.failed |= r.is_err();
                st.results[i] = Some(r);
                drop(st);
                shared.changed.notify_all();
            });
        }
    });
    let failed = {
        let mut st = shared.lock();
        st.finished = true;
        st.failed
    };
    shared.changed.notify_all();
    if sync && !failed {
        for f in files {
            let p = root.join(&f.rel);
            hash::sync_file(&p).map_err(|source| BundleError::Io { path: p, source })?;
        }
    }
    Ok(())
}

/// How one file is copied.
enum How<'a> {
    /// Streamed into its copy, which the reader opens.
    Plain,
    /// Held: read whole into a buffer from this pool, returned with the copy.
    Held(&'a Arc<Pool>),
    /// Passed block by block to the reader of planned file `usize`.
    Passed(&'a Shared, usize),
}

/// Copies one file; held, also returns its bytes (see [`hash::copy_readonly_held`]).
fn copy_one(
    root: &std::path::Path,
    f: &Planned,
    how: How<'_>,
    written: &mut dyn FnMut(u64),
) -> Result<(CopiedInput, Option<Held>), BundleError> {
    // Checked here too: a plan is plain data, and nothing is written outside the bundle.
    let to = root.join(crate::bundle::safe_rel(&f.rel)?);
    if let Some(dir) = to.parent() {
        // Safe to race: another thread making the same directory is not an error.
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let copied = match how {
        How::Passed(shared, k) => {
            let pool = &shared.pool;
            hash::copy_readonly_passed(
                &f.from,
                &to,
                &mut || pool.get(hash::passed_room()),
                &mut |buf, start| {
                    shared.pass(
                        k,
                        Held {
                            buf,
                            start,
                            pool: Arc::clone(pool),
                        },
                    )
                },
                written,
            )
            .map(|(h, n)| (h, n, None))
        }
        How::Held(pool) => {
            let mut buf = pool.get(hash::held_room(
                usize::try_from(f.size).unwrap_or(usize::MAX),
            ));
            hash::copy_readonly_held(&f.from, &to, f.size, &mut buf, written).map(|(h, n, at)| {
                let held = match at {
                    Some(start) => Some(Held {
                        buf,
                        start,
                        pool: Arc::clone(pool),
                    }),
                    None => {
                        pool.put(buf);
                        None
                    }
                };
                (h, n, held)
            })
        }
        How::Plain => hash::copy_readonly_nosync(&f.from, &to, written).map(|(h, n)| (h, n, None)),
    };
    let (sha256, size, held) = copied.map_err(|e| match e {
        hash::CopyError::Source(source) => BundleError::Io {
            path: f.from.clone(),
            source,
        },
        hash::CopyError::Copy(source) => BundleError::Io {
            path: to.clone(),
            source,
        },
    })?;
    let copied = CopiedInput {
        original_path: f.from.display().to_string(),
        bundle_path: f.rel.clone(),
        sha256,
        size,
    };
    Ok((copied, held))
}

/// Reads a copy while it is being made: the bytes written so far are returned at once, a
/// read that reaches them waits for more, and the end comes where the finished copy ends.
/// A copy that fails (or is never made, after an earlier failure) makes reading fail: a
/// partial copy never reads as a whole one.
pub struct Follow {
    shared: Arc<Shared>,
    k: usize,
    path: PathBuf,
    file: Option<std::fs::File>,
    pos: u64,
    /// The copy is passed block by block (see the module docs): read from the blocks.
    passed: bool,
    /// The block being read, and how far.
    block: Option<Held>,
    at: usize,
}

impl Follow {
    /// How far the copy may be read now (waiting while it holds nothing past `pos`), and
    /// whether that is its end.
    fn limit(&self) -> std::io::Result<(u64, bool)> {
        let mut st = self.shared.lock();
        loop {
            let written = st.written.get(self.k).copied().flatten();
            match st.results.get(self.k) {
                Some(Some(Ok(c))) => return Ok((c.size, true)),
                Some(Some(Err(e))) => {
                    return Err(std::io::Error::other(format!(
                        "the copy into the bundle failed: {e}"
                    )))
                }
                Some(None) => match written {
                    Some(w) if w > self.pos => return Ok((w, false)),
                    // Started copies are finished even after another fails.
                    None if st.failed || st.finished => {
                        return Err(std::io::Error::other(
                            "the copy into the bundle was not made (an earlier copy failed)",
                        ))
                    }
                    _ => {}
                },
                None => return Err(std::io::Error::other("no such copy")),
            }
            st = self
                .shared
                .changed
                .wait(st)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Follow {
    /// The next block of a passed copy, waiting for it; `None` after the last.
    fn next_block(&self) -> std::io::Result<Option<Held>> {
        let mut st = self.shared.lock();
        loop {
            if let Some(b) = st.blocks[self.k].pop_front() {
                drop(st);
                self.shared.changed.notify_all();
                return Ok(Some(b));
            }
            match st.results.get(self.k) {
                Some(Some(Ok(_))) => return Ok(None),
                Some(Some(Err(e))) => {
                    return Err(std::io::Error::other(format!(
                        "the copy into the bundle failed: {e}"
                    )))
                }
                Some(None) if st.written[self.k].is_none() && (st.failed || st.finished) => {
                    return Err(std::io::Error::other(
                        "the copy into the bundle was not made (an earlier copy failed)",
                    ))
                }
                Some(None) if st.abandoned || st.unread[self.k] => {
                    return Err(std::io::Error::other("the copy is no longer passed on"))
                }
                Some(None) => {}
                None => return Err(std::io::Error::other("no such copy")),
            }
            st = self.shared.wait(st);
        }
    }

    /// [`std::io::Read::read`] of a passed copy.
    fn read_passed(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(b) = &self.block {
                let rest = &b.as_ref()[self.at..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            self.block = None;
            match self.next_block()? {
                Some(b) => {
                    self.block = Some(b);
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

impl Drop for Follow {
    /// A passed copy's reader that goes (at the end, or early) lets its copying finish
    /// without queueing the rest.
    fn drop(&mut self) {
        if self.passed {
            let mut st = self.shared.lock();
            if let Some(u) = st.unread.get_mut(self.k) {
                *u = true;
                st.blocks[self.k].clear();
            }
            drop(st);
            self.shared.changed.notify_all();
        }
    }
}

impl std::io::Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.passed {
            return self.read_passed(buf);
        }
        let (until, complete) = self.limit()?;
        if self.pos >= until {
            // Only a complete copy ends: an incomplete one waited above for more.
            debug_assert!(complete);
            return Ok(0);
        }
        let file = match &mut self.file {
            Some(f) => f,
            // Bytes past `pos` were written, so the copy exists.
            None => self.file.insert(std::fs::File::open(&self.path)?),
        };
        let want = usize::try_from(until - self.pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let got = file.read(&mut buf[..want])?;
        if got == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: the copy ends at byte {} but {until} were written",
                    self.path.display(),
                    self.pos
                ),
            ));
        }
        self.pos += got as u64;
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(src: &std::path::Path, names: &[&str]) -> Vec<Planned> {
        names
            .iter()
            .enumerate()
            .map(|(k, n)| Planned {
                from: src.join(n),
                rel: format!("exports/01-in/{n}"),
                size: 0,
                input: 1 + k / 2,
            })
            .collect()
    }

    #[test]
    fn copies_arrive_in_order_and_each_is_whole_when_ready() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        let names: Vec<String> = (0..40).map(|k| format!("f{k:02}.json")).collect();
        for (k, n) in names.iter().enumerate() {
            std::fs::write(src.join(n), n.repeat(1000 * (k + 1))).unwrap();
        }
        let root = d.path().join("case");
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let c = Copying::start(root.clone(), plan(&src, &refs), true, None);
        for (k, n) in names.iter().enumerate() {
            assert!(c.ready(k));
            let got = std::fs::read_to_string(root.join("exports/01-in").join(n)).unwrap();
            assert_eq!(got.len(), n.len() * 1000 * (k + 1));
        }
        assert!(!c.ready(names.len()));
        let (copied, sync) = c.finish().unwrap();
        sync.wait().unwrap();
        assert_eq!(copied.len(), names.len());
        for (c, n) in copied.iter().zip(&names) {
            assert_eq!(c.bundle_path, format!("exports/01-in/{n}"));
            assert_eq!(
                c.sha256,
                hash::bytes(std::fs::read(src.join(n)).unwrap().as_slice())
            );
        }
    }

    /// Followed while they are copied, large and small copies read as the whole file, and
    /// a copy that fails makes its follower fail instead of ending early.
    #[test]
    fn a_follower_reads_the_whole_copy_as_it_is_made() {
        use std::io::Read;
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        // Several copy blocks (1 MiB), with a pattern that shows any shifted byte.
        let big: Vec<u8> = (0..(5u32 << 20) + 12345).map(|i| (i % 251) as u8).collect();
        std::fs::write(src.join("big.json"), &big).unwrap();
        std::fs::write(src.join("small.json"), b"{}").unwrap();
        std::fs::write(src.join("empty.json"), b"").unwrap();
        let root = d.path().join("case");
        let names = ["big.json", "small.json", "empty.json", "gone.json"];
        let c = Copying::start(root, plan(&src, &names), false, None);
        let read = |k: usize| {
            let mut got = Vec::new();
            c.follow(k).unwrap().read_to_end(&mut got).map(|_| got)
        };
        assert_eq!(read(0).unwrap(), big);
        assert_eq!(read(1).unwrap(), b"{}");
        assert_eq!(read(2).unwrap(), b"");
        let e = read(3).unwrap_err();
        assert!(e.to_string().contains("copy into the bundle failed"), "{e}");
        assert!(c.follow(4).is_none());
        assert!(c.finish().is_err());
    }

    fn sized(src: &std::path::Path, names: &[(&str, u64)]) -> Vec<Planned> {
        names
            .iter()
            .enumerate()
            .map(|(k, (n, size))| Planned {
                from: src.join(n),
                rel: format!("exports/01-in/{n}"),
                size: *size,
                input: 1 + k,
            })
            .collect()
    }

    fn held(up_to: u64, budget: u64) -> Option<Hold> {
        Some(Hold { up_to, budget })
    }

    /// Each copy is byte for byte its source and hashed as such; `take` hands over the
    /// bytes of held files only (not a larger file, nor one whose size changed since it
    /// was listed), once.
    fn check_held_copies(root: &std::path::Path, src: &std::path::Path) {
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("a.json", (0..3000u32).map(|i| (i % 251) as u8).collect()),
            ("big.json", vec![b'x'; 10_000]),
            ("grew.json", b"{\"listed\":\"shorter\"}".to_vec()),
            ("empty.json", Vec::new()),
            ("block.json", vec![b'b'; 8192]),
        ];
        std::fs::create_dir_all(src).unwrap();
        let mut names = Vec::new();
        for (n, body) in &files {
            std::fs::write(src.join(n), body).unwrap();
            let listed = if *n == "grew.json" {
                5
            } else {
                body.len() as u64
            };
            names.push((*n, listed));
        }
        let c = Copying::start(
            root.to_path_buf(),
            sized(src, &names),
            false,
            held(9000, 1 << 20),
        );
        let take = |k: usize| c.take(k).map(|h| h.as_ref().to_vec());
        assert_eq!(take(0).as_deref(), Some(&files[0].1[..]));
        assert_eq!(take(0), None, "taken twice");
        assert_eq!(take(1), None);
        assert!(c.ready(1));
        assert_eq!(take(2), None);
        assert!(c.ready(2));
        assert_eq!(take(3).as_deref(), Some(&b""[..]));
        assert_eq!(take(4).as_deref(), Some(&files[4].1[..]));
        let (copied, _) = c.finish().unwrap();
        for ((n, body), c) in files.iter().zip(&copied) {
            let on_disk = std::fs::read(root.join(&c.bundle_path)).unwrap();
            assert_eq!(&on_disk, body, "{n}");
            assert_eq!(c.sha256, hash::bytes(body), "{n}");
            assert_eq!(c.size, body.len() as u64, "{n}");
            let ro = std::fs::metadata(root.join(&c.bundle_path)).unwrap();
            assert!(ro.permissions().readonly(), "{n}");
        }
    }

    #[test]
    fn held_files_are_handed_over_exactly_as_copied() {
        let d = tempfile::tempdir().unwrap();
        check_held_copies(&d.path().join("case"), &d.path().join("in"));
    }

    /// Where direct I/O is refused (tmpfs), the copies are written the usual way.
    #[test]
    fn held_files_are_copied_where_direct_io_is_refused() {
        let Ok(d) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        check_held_copies(&d.path().join("case"), &d.path().join("in"));
    }

    /// Copying stops starting held files once their bytes reach the budget, goes on as the
    /// reader takes them, and does not wait for a reader that finishes without taking.
    #[test]
    fn held_bytes_stay_within_the_budget() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        let names: Vec<String> = (0..40).map(|k| format!("f{k:02}.json")).collect();
        for n in &names {
            std::fs::write(src.join(n), n.repeat(100)).unwrap();
        }
        let listed: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), 800)).collect();
        let started = |c: &Copying| c.shared.lock().written.iter().flatten().count();
        // Three files fit in the budget.
        let budget = 3 * Hold::cost(800);
        let start = |to: &str| {
            Copying::start(
                d.path().join(to),
                sized(&src, &listed),
                false,
                held(800, budget),
            )
        };
        let c = start("a");
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(started(&c), 3);
        for (k, n) in names.iter().enumerate() {
            assert_eq!(c.take(k).unwrap().as_ref(), n.repeat(100).as_bytes());
            assert!(c.shared.lock().held_bytes <= budget);
        }
        assert_eq!(c.finish().unwrap().0.len(), names.len());
        // Nothing taken: finishing still copies every file.
        let c = start("b");
        std::thread::sleep(std::time::Duration::from_millis(50));
        let (copied, _) = c.finish().unwrap();
        assert_eq!(copied.len(), names.len());
        for (c, n) in copied.iter().zip(&names) {
            assert_eq!(c.sha256, hash::bytes(n.repeat(100).as_bytes()));
        }
    }

    /// A file larger than what is held is passed block by block: its follower reads it
    /// whole, its copy and hash are right; copying does not wait for a follower that stops
    /// early, nor for one that never comes.
    #[test]
    fn larger_files_are_passed_to_their_reader_block_by_block() {
        use std::io::Read;
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        // More than PASS_AHEAD, and not a whole number of blocks.
        let big: Vec<u8> = (0..(9 * hash::PASS_BLOCK + 5))
            .map(|i| (i % 251) as u8)
            .collect();
        for n in ["a.json", "b.json", "c.json"] {
            std::fs::write(src.join(n), &big).unwrap();
        }
        std::fs::write(src.join("small.json"), b"{}").unwrap();
        let n = big.len() as u64;
        let listed = [
            ("a.json", n),
            ("b.json", n),
            ("small.json", 2),
            ("c.json", n),
        ];
        let c = Copying::start(
            d.path().join("case"),
            sized(&src, &listed),
            false,
            held(1 << 20, 8 << 20),
        );
        let mut got = Vec::new();
        c.follow(0).unwrap().read_to_end(&mut got).unwrap();
        assert!(got == big, "passed bytes differ");
        // Stopped after one read; c.json is never read.
        let mut some = vec![0u8; 100];
        c.follow(1).unwrap().read_exact(&mut some).unwrap();
        assert_eq!(some, big[..100]);
        assert_eq!(c.take(2).unwrap().as_ref(), b"{}");
        let (copied, _) = c.finish().unwrap();
        for (f, (name, _)) in copied.iter().zip(listed) {
            let on_disk = std::fs::read(d.path().join("case").join(&f.bundle_path)).unwrap();
            let want = std::fs::read(src.join(name)).unwrap();
            assert!(on_disk == want, "{name}");
            assert_eq!(f.sha256, hash::bytes(&want), "{name}");
        }
    }

    #[test]
    fn a_plan_naming_a_path_outside_the_bundle_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in.json");
        std::fs::write(&src, "{}").unwrap();
        let root = d.path().join("case");
        let c = Copying::start(
            root,
            vec![Planned {
                from: src,
                rel: "../escaped.json".into(),
                size: 2,
                input: 1,
            }],
            false,
            None,
        );
        assert!(!c.ready(0));
        let Err(e) = c.finish() else {
            panic!("a copy outside the bundle was made")
        };
        assert!(matches!(e.error, BundleError::Escape(_)), "{:?}", e.error);
        assert!(!d.path().join("escaped.json").exists());
    }

    #[test]
    fn a_failed_copy_is_reported_with_its_input_and_later_ones_are_never_ready() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(&src).unwrap();
        for n in ["a.json", "b.json", "d.json"] {
            std::fs::write(src.join(n), "{}").unwrap();
        }
        let root = d.path().join("case");
        std::fs::create_dir_all(root.join("exports/01-in")).unwrap();
        // c.json does not exist: its copy fails; it belongs to input 2 (files 2 and 3).
        let c = Copying::start(
            root,
            plan(&src, &["a.json", "b.json", "c.json", "d.json"]),
            true,
            None,
        );
        assert!(!c.ready(2));
        let Err(e) = c.finish() else {
            panic!("a missing source was copied")
        };
        assert_eq!(e.input, 2);
        // Named by the file it failed on: the source that could not be read.
        assert!(
            e.error
                .to_string()
                .starts_with(&src.join("c.json").display().to_string()),
            "{}",
            e.error
        );
    }
}
