//! Inputs copied into the bundle on background threads, in order, while the analysis reads
//! the copies already made: reading starts as soon as the first file is copied, not after
//! the last, and the writes reach the disk spread over the whole read instead of in one
//! burst. A reader asks [`Copying::ready`] before opening a small copy, or reads a large
//! one through [`Copying::follow`] up to the bytes written so far: it never takes a partial
//! copy for a whole one.

use crate::bundle::{BundleError, CopiedInput};
use crate::hash;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

/// Threads copying input files (I/O bound: more than the cores is fine).
const COPY_THREADS: usize = 4;

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
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
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
    /// background thread; [`Copying::finish`] hands that flush back to wait for.
    pub fn start(root: PathBuf, files: Vec<Planned>, sync: bool) -> Copying {
        let files = Arc::new(files);
        let shared = Arc::new(Shared::default());
        {
            let mut st = shared.lock();
            st.results = (0..files.len()).map(|_| None).collect();
            st.written = vec![None; files.len()];
        }
        let thread = {
            let (root, files, shared) = (root.clone(), Arc::clone(&files), Arc::clone(&shared));
            std::thread::spawn(move || copy_all(&root, &files, &shared, sync))
        };
        Copying {
            root,
            files,
            shared,
            thread: Some(thread),
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
        })
    }

    /// Waits for every copy and returns them in order, with the pending flush (see
    /// [`Copying::start`]); or the first failure in file order.
    pub fn finish(mut self) -> Result<(Vec<CopiedInput>, crate::bundle::PendingSync), CopyFailed> {
        let results = {
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

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The copying thread: `COPY_THREADS` workers take files in order; each result is published
/// as soon as it is known. Then, with `sync` and no failure, every copy is flushed in order.
fn copy_all(
    root: &std::path::Path,
    files: &[Planned],
    shared: &Shared,
    sync: bool,
) -> Result<(), BundleError> {
    std::thread::scope(|s| {
        for _ in 0..COPY_THREADS.min(files.len()) {
            s.spawn(|| loop {
                // Taken under the lock, and marked started (0 bytes) at once: a copy that
                // is started is always finished, so no reader gives up on it.
                let i = {
                    let mut st = shared.lock();
                    if st.failed || st.next >= files.len() {
                        break;
                    }
                    let i = st.next;
                    st.next += 1;
                    st.written[i] = Some(0);
                    i
                };
                let f = &files[i];
                let r = copy_one(root, f, &mut |n| {
                    if let Some(w) = shared.lock().written.get_mut(i) {
                        *w = Some(n);
                    }
                    shared.changed.notify_all();
                });
                let mut st = shared.lock();
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

fn copy_one(
    root: &std::path::Path,
    f: &Planned,
    written: &mut dyn FnMut(u64),
) -> Result<CopiedInput, BundleError> {
    // Checked here too: a plan is plain data, and nothing is written outside the bundle.
    let to = root.join(crate::bundle::safe_rel(&f.rel)?);
    if let Some(dir) = to.parent() {
        // Safe to race: another thread making the same directory is not an error.
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let (sha256, size) =
        hash::copy_readonly_nosync(&f.from, &to, written).map_err(|e| match e {
            hash::CopyError::Source(source) => BundleError::Io {
                path: f.from.clone(),
                source,
            },
            hash::CopyError::Copy(source) => BundleError::Io {
                path: to.clone(),
                source,
            },
        })?;
    Ok(CopiedInput {
        original_path: f.from.display().to_string(),
        bundle_path: f.rel.clone(),
        sha256,
        size,
    })
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

impl std::io::Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
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
        let c = Copying::start(root.clone(), plan(&src, &refs), true);
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
        let c = Copying::start(root, plan(&src, &names), false);
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
