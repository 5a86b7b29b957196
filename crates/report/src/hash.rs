//! SHA-256 of files and bytes, streamed.

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::Path;

pub fn bytes(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Hashes a file without loading it whole.
pub fn file(p: &Path) -> io::Result<(String, u64)> {
    let mut f = std::fs::File::open(p)?;
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

/// Copies `from` to `to` byte for byte, returning the SHA-256 and size of what was copied.
pub fn copy(from: &Path, to: &Path) -> io::Result<(String, u64)> {
    let mut r = std::fs::File::open(from)?;
    let mut w = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        w.write_all(&buf[..k])?;
        n += k as u64;
    }
    w.sync_all()?;
    Ok((hex::encode(h.finalize()), n))
}
