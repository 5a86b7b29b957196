//! Scanning text eight bytes at a time: the fast path of the JSON and HTML escapers, which
//! skip whole words that hold no byte they must escape.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is zero (exact: the borrow in the subtraction only
/// spreads above a byte that already matched).
#[inline]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// Whether any byte of `x` equals `b`.
#[inline]
pub(crate) fn has(x: u64, b: u8) -> bool {
    zero_bytes(x ^ (ONES * b as u64)) != 0
}

/// Whether any byte of `x` is below 0x20.
#[inline]
pub(crate) fn has_control(x: u64) -> bool {
    x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0
}

/// The first position at or after `i` that is not the start of a whole 8-byte word in which
/// `special` finds nothing.
#[inline]
pub(crate) fn skip_plain(b: &[u8], mut i: usize, special: impl Fn(u64) -> bool) -> usize {
    while let Some(w) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        if special(u64::from_le_bytes(word)) {
            break;
        }
        i += 8;
    }
    i
}
