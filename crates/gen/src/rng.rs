//! A tiny deterministic random number generator (SplitMix64).
//!
//! Hand-written on purpose: the demo files are committed and must regenerate byte for byte,
//! so the generator's stream must never change with a dependency upgrade.

use tokentrail_model::guid::Guid;

/// SplitMix64: fast, good enough statistically for synthetic logs, trivially seedable.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A generator for sub-stream `n` of `seed` (e.g. one per block), independent of order.
    pub fn derive(seed: u64, n: u64) -> Rng {
        let mut r = Rng::new(seed.wrapping_add(n.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// Index in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `pct`/100.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random version-4 GUID.
    pub fn guid(&mut self) -> Guid {
        let a = self.next_u64().to_be_bytes();
        let b = self.next_u64().to_be_bytes();
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&a);
        g[8..].copy_from_slice(&b);
        g[6] = (g[6] & 0x0f) | 0x40;
        g[8] = (g[8] & 0x3f) | 0x80;
        Guid(g)
    }

    /// `n` random characters from `alphabet`.
    pub fn token(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

/// base64url alphabet, for opaque claim values (`aio`, `rh`).
pub const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_derived_streams_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut c = Rng::derive(7, 1);
        let mut d = Rng::derive(7, 2);
        assert_ne!(c.next_u64(), d.next_u64());
        let g = Rng::new(1).guid().to_string();
        assert_eq!(&g[14..15], "4");
    }
}

/// Fast lower-case hyphenated GUID text (the generator formats millions of GUIDs; the
/// `Display` impl goes through `fmt` per byte).
pub trait GuidText {
    fn s(&self) -> String;
}

impl GuidText for Guid {
    fn s(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = Vec::with_capacity(36);
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push(b'-');
            }
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod guid_text_tests {
    use super::*;

    #[test]
    fn matches_display() {
        let mut r = Rng::new(3);
        for _ in 0..100 {
            let g = r.guid();
            assert_eq!(g.s(), g.to_string());
        }
    }
}
