//! Inputs copied into the bundle on background threads, in order, while the analysis reads
//! the copies already made: reading starts as soon as the first file is copied, not after
//! the last, and the writes reach the disk spread over the whole read instead of in one
//! burst. A reader asks [`Copying::ready`] before opening copy `k`, so it never sees a
//! partial copy.

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

/// Copies being made. Dropping it without [`Copying::finish`] still lets the copying
/// threads finish their files (they are never cut off mid-file).
pub struct Copying {
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
    /// Starts copying `files` below `root` (making the directories they go in), read-only. With `sync`,
    /// each copy is flushed to stable storage once all are made, on the same background
    /// thread; [`Copying::finish`] hands that flush back to wait for.
    pub fn start(root: PathBuf, files: Vec<Planned>, sync: bool) -> Copying {
        let files = Arc::new(files);
        let shared = Arc::new(Shared::default());
        shared.lock().results = (0..files.len()).map(|_| None).collect();
        let thread = {
            let (files, shared) = (Arc::clone(&files), Arc::clone(&shared));
            std::thread::spawn(move || copy_all(&root, &files, &shared, sync))
        };
        Copying {
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
                Some(None) if st.failed || st.finished => return false,
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
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..COPY_THREADS.min(files.len()) {
            s.spawn(|| loop {
                if shared.lock().failed {
                    break;
                }
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let r = copy_one(root, f);
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

fn copy_one(root: &std::path::Path, f: &Planned) -> Result<CopiedInput, BundleError> {
    // Checked here too: a plan is plain data, and nothing is written outside the bundle.
    let to = root.join(crate::bundle::safe_rel(&f.rel)?);
    if let Some(dir) = to.parent() {
        // Safe to race: another thread making the same directory is not an error.
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let (sha256, size) = hash::copy_readonly_nosync(&f.from, &to).map_err(|e| match e {
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
