//! The evidence bundle directory. Every write goes through [`Bundle`], which refuses paths
//! outside the directory, never overwrites, and hashes everything it writes.

use crate::copying::{Copying, Planned};
use crate::hash;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: refusing to write outside the bundle directory")]
    Escape(String),
    #[error("{0}: the output directory exists and is not empty; choose a new one (evidence is never overwritten)")]
    NotEmpty(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file the bundle wrote, with its hash.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
    pub size: u64,
}

/// A copied input.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct CopiedInput {
    /// The path as given on the command line (for a directory input: that path joined with
    /// the file's relative path).
    pub original_path: String,
    /// Path inside the bundle, `/`-separated.
    pub bundle_path: String,
    pub sha256: String,
    pub size: u64,
}

pub struct Bundle {
    root: PathBuf,
    pub outputs: BTreeMap<String, Written>,
    /// Entries of input directories that are not copied (and so not read), with why.
    pub not_copied: Vec<crate::tree::NotCopied>,
    /// Copies not yet flushed to stable storage (see [`Bundle::defer_sync`]).
    unsynced: Option<Vec<PathBuf>>,
}

/// Copies being flushed to stable storage on a background thread; [`PendingSync::wait`]
/// returns once every one is durable (or the first failure).
pub struct PendingSync(Option<std::thread::JoinHandle<Result<(), BundleError>>>);

impl PendingSync {
    /// The flush running on `thread` (none: nothing to wait for).
    pub(crate) fn of(thread: Option<std::thread::JoinHandle<Result<(), BundleError>>>) -> Self {
        PendingSync(thread)
    }

    pub fn wait(mut self) -> Result<(), BundleError> {
        match self.0.take() {
            None => Ok(()),
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(BundleError::Io {
                    path: PathBuf::new(),
                    source: std::io::Error::other("the thread flushing copies panicked"),
                })
            }),
        }
    }
}

/// Checks that `rel` is a plain relative path of normal components.
pub fn safe_rel(rel: &str) -> Result<PathBuf, BundleError> {
    let p = Path::new(rel);
    if rel.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(BundleError::Escape(rel.to_string()));
    }
    Ok(p.to_path_buf())
}

/// A file-name component made of safe characters only.
pub fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

impl Bundle {
    /// Creates the bundle directory; it must not exist or be empty.
    pub fn create(root: &Path) -> Result<Bundle, BundleError> {
        if root.exists() {
            let mut rd = std::fs::read_dir(root).map_err(io(root))?;
            if rd.next().is_some() {
                return Err(BundleError::NotEmpty(root.to_path_buf()));
            }
        }
        std::fs::create_dir_all(root).map_err(io(root))?;
        Ok(Bundle {
            root: root.to_path_buf(),
            outputs: BTreeMap::new(),
            not_copied: Vec::new(),
            unsynced: None,
        })
    }

    /// From now on, copies are not flushed (`fsync`) one by one as they are made but
    /// collected for [`Bundle::sync_copies`], so the flush can overlap other work. The bytes
    /// copied and their hashes are the same either way.
    pub fn defer_sync(&mut self) {
        self.unsynced.get_or_insert_with(Vec::new);
    }

    /// Flushes the copies made since [`Bundle::defer_sync`] on a background thread. Wait
    /// for it before the run reports success.
    pub fn sync_copies(&mut self) -> PendingSync {
        let files = self.unsynced.take().unwrap_or_default();
        if files.is_empty() {
            return PendingSync(None);
        }
        PendingSync(Some(std::thread::spawn(move || {
            for p in &files {
                hash::sync_file(p).map_err(io(p))?;
            }
            Ok(())
        })))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn target(&self, rel: &str) -> Result<PathBuf, BundleError> {
        let p = self.root.join(safe_rel(rel)?);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        Ok(p)
    }

    /// Writes an output file and records its hash.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let p = self.target(rel)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
            .map_err(io(&p))?;
        self.outputs.insert(
            rel.to_string(),
            Written {
                sha256: hash::bytes(bytes),
                size: bytes.len() as u64,
            },
        );
        Ok(())
    }

    /// Streams an output file through a buffered, hashing writer and returns its hash and
    /// size without recording it (so independent outputs can be written on several threads;
    /// record each with [`Bundle::record`]). Refuses to overwrite, like [`Bundle::write`].
    pub fn write_with(
        &self,
        rel: &str,
        f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<Written, BundleError> {
        let p = self.target(rel)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .map_err(io(&p))?;
        // The buffer sits in front of the hash, so the hash sees large blocks, not each
        // small write of a renderer.
        // Written around the page cache where possible (see [`crate::direct`]).
        let file = crate::direct::DirectFile::new(file, &p);
        let mut w = std::io::BufWriter::with_capacity(1 << 17, hash::HashWriter::new(file));
        f(&mut w).map_err(io(&p))?;
        let inner = w.into_inner().map_err(|e| io(&p)(e.into_error()))?;
        let (file, sha256, size) = inner.finish().map_err(io(&p))?;
        file.finish().map_err(io(&p))?;
        Ok(Written { sha256, size })
    }

    /// Records an output written with [`Bundle::write_with`].
    pub fn record(&mut self, rel: &str, w: Written) {
        self.outputs.insert(rel.to_string(), w);
    }

    /// The hash and size of a file someone else wrote at `rel` (e.g. a database), to be
    /// recorded with [`Bundle::record`].
    pub fn hash_existing(&self, rel: &str) -> Result<Written, BundleError> {
        let p = self.root.join(safe_rel(rel)?);
        let (sha256, size) = hash::file(&p).map_err(io(&p))?;
        Ok(Written { sha256, size })
    }

    /// The absolute path of an output the caller will write itself.
    pub fn path_for(&self, rel: &str) -> Result<PathBuf, BundleError> {
        self.target(rel)
    }

    /// Copies a file or directory tree into `<area>/NN-name/`, byte for byte and read-only.
    pub fn copy_tree(
        &mut self,
        area: &str,
        n: usize,
        src: &Path,
    ) -> Result<Vec<CopiedInput>, BundleError> {
        let files = self.plan_tree(area, n, src)?;
        let defer = self.unsynced.is_some();
        let (out, sync) = self
            .start_copies(files, !defer, None)
            .finish()
            .map_err(|f| f.error)?;
        sync.wait()?;
        if let Some(pending) = &mut self.unsynced {
            pending.extend(out.iter().map(|c| self.root.join(&c.bundle_path)));
        }
        Ok(out)
    }

    /// Lists what copying input `n` (a file or a directory tree) into `<area>/NN-name/`
    /// copies; entries that are not copied are recorded in [`Bundle::not_copied`]. Nothing
    /// is copied (or made) yet: see [`Bundle::start_copies`].
    pub fn plan_tree(
        &mut self,
        area: &str,
        n: usize,
        src: &Path,
    ) -> Result<Vec<Planned>, BundleError> {
        let base = sanitize(
            &src.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| "input".into()),
        );
        let top = format!("{area}/{n:02}-{base}");
        let meta = std::fs::metadata(src).map_err(io(src))?;
        let files = if meta.is_dir() {
            let (files, not_copied) =
                crate::tree::walk(src, &top, &self.root).map_err(|(p, e)| io(&p)(e))?;
            self.not_copied.extend(not_copied);
            files
        } else {
            vec![(src.to_path_buf(), top)]
        };
        files
            .into_iter()
            .map(|(from, rel)| {
                safe_rel(&rel)?;
                let size = std::fs::metadata(&from).map_err(io(&from))?.len();
                Ok(Planned {
                    from,
                    rel,
                    size,
                    input: n,
                })
            })
            .collect()
    }

    /// Starts copying `files` (from [`Bundle::plan_tree`]) on background threads, in order;
    /// with `sync` each copy is flushed to stable storage once all are made. Files `hold`
    /// names are held for the reader ([`Copying::take`]).
    pub fn start_copies(
        &self,
        files: Vec<Planned>,
        sync: bool,
        hold: Option<crate::copying::Hold>,
    ) -> Copying {
        Copying::start(self.root.clone(), files, sync, hold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes_and_overwrites() {
        let d = tempfile::tempdir().unwrap();
        let mut b = Bundle::create(&d.path().join("case")).unwrap();
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "./a"] {
            assert!(
                matches!(b.write(bad, b"x"), Err(BundleError::Escape(_))),
                "{bad}"
            );
        }
        b.write("notes.md", b"hi").unwrap();
        assert!(b.write("notes.md", b"again").is_err());
        assert!(matches!(
            Bundle::create(&d.path().join("case")),
            Err(BundleError::NotEmpty(_))
        ));
        assert_eq!(sanitize("../../evil name.json"), "_.._evil_name.json");
    }

    #[test]
    fn sources_that_sanitize_alike_get_copies_of_their_own() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        // Four sources whose names sanitize to `a_b.json` (`A_B.json` only case-insensitively),
        // one already named like the first renamed copy, and two in a subdirectory. The
        // first in sorted order (`A_B.json`) keeps its name; the others, by source path,
        // get the free numbers.
        for (name, body) in [
            ("a b.json", "1"),
            ("a_b.json", "2"),
            (".a_b.json", "3"),
            ("A_B.json", "4"),
            ("a_b-2.json", "5"),
            ("sub/x y", "6"),
            ("sub/x_y", "7"),
        ] {
            std::fs::write(src.join(name), body).unwrap();
        }
        let mut b = Bundle::create(&d.path().join("case")).unwrap();
        let copied = b.copy_tree("exports", 1, &src).unwrap();
        let got: Vec<(String, String)> = copied
            .iter()
            .map(|c| {
                let body =
                    std::fs::read_to_string(d.path().join("case").join(&c.bundle_path)).unwrap();
                (c.bundle_path.clone(), body)
            })
            .collect();
        let want = [
            ("exports/01-in/A_B.json", "4"),
            ("exports/01-in/a_b-2.json", "5"),
            ("exports/01-in/a_b-3.json", "3"),
            ("exports/01-in/a_b-4.json", "1"),
            ("exports/01-in/a_b-5.json", "2"),
            ("exports/01-in/sub/x_y", "6"),
            ("exports/01-in/sub/x_y-2", "7"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
