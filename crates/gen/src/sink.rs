//! Streaming writers for the container formats: `az` JSON arrays (2-space indent), JSON
//! Lines, Graph `@odata` pages, and hourly diagnostic-settings blob trees.

use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub fn create(path: &Path) -> Result<BufWriter<File>> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Appends `v` pretty-printed (2-space indent) and indented one level, as an array element.
pub fn push_indented(out: &mut Vec<u8>, v: &Value) {
    let mut tmp = Vec::with_capacity(4096);
    // Serializing a Value to memory cannot fail.
    let _ = serde_json::to_writer_pretty(&mut tmp, v);
    out.extend_from_slice(b"  ");
    for &b in &tmp {
        out.push(b);
        if b == b'\n' {
            out.extend_from_slice(b"  ");
        }
    }
}

/// `az ... -o json`: a top-level array, elements indented by two spaces, trailing newline.
pub struct AzArray<W: Write> {
    w: W,
    first: bool,
    pub bytes: u64,
}

impl<W: Write> AzArray<W> {
    pub fn new(mut w: W) -> Result<AzArray<W>> {
        w.write_all(b"[")?;
        Ok(AzArray {
            w,
            first: true,
            bytes: 1,
        })
    }
    /// Writes one already-indented element (from [`push_indented`]).
    pub fn raw(&mut self, elem: &[u8]) -> Result<()> {
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.w.write_all(sep)?;
        self.w.write_all(elem)?;
        self.bytes += (sep.len() + elem.len()) as u64;
        Ok(())
    }
    pub fn push(&mut self, v: &Value) -> Result<()> {
        let mut b = Vec::new();
        push_indented(&mut b, v);
        self.raw(&b)
    }
    pub fn finish(mut self) -> Result<W> {
        self.w
            .write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Appends one compact JSON line.
pub fn push_line(out: &mut Vec<u8>, v: &Value) {
    let _ = serde_json::to_writer(&mut *out, v);
    out.push(b'\n');
}

/// Graph paging: `{"@odata.context":…,"value":[…],"@odata.nextLink":…}` files of `page` items.
pub struct GraphPages {
    dir: PathBuf,
    prefix: String,
    context: String,
    next_base: String,
    page: usize,
    n_in_page: usize,
    page_no: usize,
    cur: Option<BufWriter<File>>,
}

impl GraphPages {
    pub fn new(
        dir: &Path,
        prefix: &str,
        context: &str,
        next_base: &str,
        page: usize,
    ) -> GraphPages {
        GraphPages {
            dir: dir.to_path_buf(),
            prefix: prefix.into(),
            context: context.into(),
            next_base: next_base.into(),
            page: page.max(1),
            n_in_page: 0,
            page_no: 0,
            cur: None,
        }
    }
    fn open(&mut self) -> Result<()> {
        self.page_no += 1;
        let p = self
            .dir
            .join(format!("{}-page{:04}.json", self.prefix, self.page_no));
        let mut w = create(&p)?;
        write!(w, "{{\"@odata.context\":\"{}\",\"value\":[", self.context)?;
        self.cur = Some(w);
        self.n_in_page = 0;
        Ok(())
    }
    fn close(&mut self, more: bool) -> Result<()> {
        if let Some(mut w) = self.cur.take() {
            w.write_all(b"]")?;
            if more {
                let token = format!("{:08x}{:08x}", self.page_no * 7919, self.page_no);
                write!(
                    w,
                    ",\"@odata.nextLink\":\"{}&$skiptoken={token}\"",
                    self.next_base
                )?;
            }
            w.write_all(b"}\n")?;
            w.flush()?;
        }
        Ok(())
    }
    /// Writes one compact element (no trailing newline).
    pub fn raw(&mut self, elem: &[u8]) -> Result<()> {
        if self.cur.is_some() && self.n_in_page == self.page {
            self.close(true)?;
        }
        if self.cur.is_none() {
            self.open()?;
        }
        if let Some(w) = &mut self.cur {
            if self.n_in_page > 0 {
                w.write_all(b",")?;
            }
            w.write_all(elem)?;
        }
        self.n_in_page += 1;
        Ok(())
    }
    pub fn finish(mut self) -> Result<usize> {
        if self.cur.is_none() {
            self.open()?;
        }
        self.close(false)?;
        Ok(self.page_no)
    }
}

/// Hourly blob tree `<root>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, appended in any order.
/// Keeps at most `max_open` files open (oldest closed first); reopening appends.
pub struct HourTree {
    root: PathBuf,
    open: BTreeMap<(i64, u32, u32, u32), HourFile>,
    max_open: usize,
    gzip: bool,
    pub files: usize,
}

/// One open hourly file, plain or gzip-compressed.
enum HourFile {
    Plain(BufWriter<File>),
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl HourFile {
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            HourFile::Plain(w) => w.write_all(b),
            HourFile::Gzip(w) => w.write_all(b),
        }
    }

    /// Flushes the file; a gzip file gets its trailer (reopened later, it gains another
    /// gzip member, which readers of concatenated gzip take as one stream).
    fn close(self) -> std::io::Result<()> {
        match self {
            HourFile::Plain(mut w) => w.flush(),
            HourFile::Gzip(w) => w.finish()?.flush(),
        }
    }
}

impl HourTree {
    pub fn new(root: PathBuf, max_open: usize) -> HourTree {
        HourTree {
            root,
            open: BTreeMap::new(),
            max_open: max_open.max(1),
            gzip: false,
            files: 0,
        }
    }

    /// Writes `PT1H.json.gz` files (fast compression) instead of `PT1H.json`.
    pub fn gzip(mut self, on: bool) -> HourTree {
        self.gzip = on;
        self
    }

    pub fn path(&self, (y, m, d, h): (i64, u32, u32, u32)) -> PathBuf {
        self.root
            .join(format!("y={y:04}"))
            .join(format!("m={m:02}"))
            .join(format!("d={d:02}"))
            .join(format!("h={h:02}"))
            .join("m=00")
            .join(if self.gzip {
                "PT1H.json.gz"
            } else {
                "PT1H.json"
            })
    }
    pub fn write(&mut self, hour: (i64, u32, u32, u32), bytes: &[u8]) -> Result<()> {
        if !self.open.contains_key(&hour) {
            if self.open.len() >= self.max_open {
                if let Some((&k, _)) = self.open.iter().next() {
                    if let Some(w) = self.open.remove(&k) {
                        w.close()?;
                    }
                }
            }
            let p = self.path(hour);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)?;
            }
            let existed = p.exists();
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)?;
            if !existed {
                self.files += 1;
            }
            let w = BufWriter::with_capacity(256 << 10, f);
            let w = if self.gzip {
                HourFile::Gzip(Box::new(flate2::write::GzEncoder::new(
                    w,
                    flate2::Compression::fast(),
                )))
            } else {
                HourFile::Plain(w)
            };
            self.open.insert(hour, w);
        }
        if let Some(w) = self.open.get_mut(&hour) {
            w.write_all(bytes)?;
        }
        Ok(())
    }
    pub fn finish(mut self) -> Result<usize> {
        for (_, w) in std::mem::take(&mut self.open) {
            w.close()?;
        }
        Ok(self.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Writes the same bytes to a plain and a gzip tree, with a file limit of one so the
    /// first hour is closed and reopened (a second gzip member), and reads both back.
    #[test]
    fn gzip_tree_holds_the_plain_tree_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ((2026, 2, 1, 0), (2026, 2, 1, 1));
        let mut plain = HourTree::new(dir.path().join("plain"), 1);
        let mut gz = HourTree::new(dir.path().join("gz"), 1).gzip(true);
        for (hour, line) in [(a, "{\"n\":1}\n"), (b, "{\"n\":2}\n"), (a, "{\"n\":3}\n")] {
            plain.write(hour, line.as_bytes()).unwrap();
            gz.write(hour, line.as_bytes()).unwrap();
        }
        let gz_path = gz.path(a);
        assert!(gz_path.ends_with("m=00/PT1H.json.gz"));
        assert_eq!(plain.finish().unwrap(), 2);
        assert_eq!(gz.finish().unwrap(), 2);
        let want = std::fs::read(HourTree::new(dir.path().join("plain"), 1).path(a)).unwrap();
        assert_eq!(want, b"{\"n\":1}\n{\"n\":3}\n");
        let mut got = Vec::new();
        flate2::read::MultiGzDecoder::new(File::open(&gz_path).unwrap())
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, want);
    }
}
