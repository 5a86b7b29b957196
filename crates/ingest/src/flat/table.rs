//! A small open-addressing hash table over string keys, filled once per `Shape` and read
//! for every member name of every record.
//!
//! A key is summarized by its length and its first and last 8 bytes (overlapping for short
//! keys, zero-padded below 8): hashing is two loads and a multiply, and for keys of up to 16
//! bytes the summary *is* the key, so equal summaries need no byte comparison. Longer keys
//! compare their middle bytes as well, a word at a time.

/// The length and the first and last (up to) 8 bytes of a key.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Summary {
    len: usize,
    head: u64,
    tail: u64,
}

impl Summary {
    fn of(b: &[u8]) -> Summary {
        let len = b.len();
        let (head, tail) = if len >= 8 {
            (word(&b[..8]), word(&b[len - 8..]))
        } else {
            let mut w = [0u8; 8];
            w[..len].copy_from_slice(b);
            (u64::from_le_bytes(w), 0)
        };
        Summary { len, head, tail }
    }

    fn hash(&self) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let h = (self.head ^ (self.len as u64)).wrapping_mul(K);
        (h.rotate_left(23) ^ self.tail).wrapping_mul(K)
    }
}

/// An 8-byte slice as a word.
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    u64::from_le_bytes(w)
}

/// For two keys of equal [`Summary`], whether the bytes between the first and the last 8
/// are equal too (word by word, inline: these keys are short, a `memcmp` call costs more).
fn middle_eq(a: &[u8], b: &[u8]) -> bool {
    let end = b.len().saturating_sub(8);
    let mut i = 8;
    while i < end {
        if word(&a[i..i + 8]) != word(&b[i..i + 8]) {
            return false;
        }
        i += 8;
    }
    true
}

struct Entry<T> {
    summary: Summary,
    key: String,
    value: T,
}

/// String key -> `T`, built once. The probe array holds entry numbers (plus one; zero is
/// empty) so that it stays small enough to sit in L1 next to the entries themselves.
pub(super) struct Table<T> {
    probe: Vec<u32>,
    entries: Vec<Entry<T>>,
    bits: u32,
}

impl<T: Copy> Table<T> {
    /// A table of `items`; of a key listed twice the first value is kept.
    pub(super) fn new(items: Vec<(String, T)>) -> Table<T> {
        let mut bits = 4;
        while (1usize << bits) < items.len() * 4 {
            bits += 1;
        }
        let mut t = Table {
            probe: vec![0; 1 << bits],
            entries: Vec::with_capacity(items.len()),
            bits,
        };
        for (key, value) in items {
            if t.get(&key).is_none() {
                let summary = Summary::of(key.as_bytes());
                let mut i = t.index(&summary);
                while t.probe[i] != 0 {
                    i = (i + 1) & t.mask();
                }
                t.entries.push(Entry {
                    summary,
                    key,
                    value,
                });
                // Shapes list tens of keys: the count fits.
                t.probe[i] = t.entries.len() as u32;
            }
        }
        t
    }

    fn mask(&self) -> usize {
        (1 << self.bits) - 1
    }

    fn index(&self, s: &Summary) -> usize {
        (s.hash() >> (64 - self.bits)) as usize
    }

    /// The value of `k`.
    #[inline]
    pub(super) fn get(&self, k: &str) -> Option<T> {
        self.find(k).map(|(_, v)| v)
    }

    /// The entry number of `k` (see [`Table::get_at`]) and its value.
    #[inline]
    pub(super) fn find(&self, k: &str) -> Option<(usize, T)> {
        let b = k.as_bytes();
        let s = Summary::of(b);
        let mut i = self.index(&s);
        loop {
            let n = (self.probe[i] as usize).checked_sub(1)?;
            let e = self.entries.get(n)?;
            if e.summary == s && middle_eq(e.key.as_bytes(), b) {
                return Some((n, e.value));
            }
            i = (i + 1) & self.mask();
        }
    }

    /// The value of entry number `n` when its key is `k` (a guess checked without hashing).
    #[inline]
    pub(super) fn get_at(&self, n: usize, k: &str) -> Option<T> {
        let e = self.entries.get(n)?;
        let b = k.as_bytes();
        (e.summary == Summary::of(b) && middle_eq(e.key.as_bytes(), b)).then_some(e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_keys_it_holds() {
        let keys: Vec<String> = [
            "",
            "a",
            "id",
            "userId",
            "appId",
            "location",
            "locationX",
            "authenticationDetails",
            "authenticationMethodsUsed",
            "authenticationRequirement",
            "riskEventTypes",
            "riskEventTypes_v2",
            "servicePrincipalCredentialKeyId",
            "abcdefgh",
            "abcdefghi",
            "abcdefghabcdefgh",
            "abcdefgh12345678abcdefgh",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let t = Table::new(keys.iter().cloned().zip(0..).collect());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), Some(i), "{k:?}");
        }
        for miss in [
            "b",
            "ID",
            "userid",
            "appId ",
            "locatio",
            "locationY",
            "authenticationDetailz",
            "authenticationXethodsUsed",
            "riskEventTypes_v3",
            "abcdefgh\0",
            "abcdefg\0",
            "abcdefgh12345679abcdefgh",
            "servicePrincipalXredentialKeyId",
            "servicePrincipalCredentiaXKeyId",
            "abcdefgh1234567abcdefgh",
            "a\0",
        ] {
            assert_eq!(t.get(miss), None, "{miss:?}");
        }
    }

    #[test]
    fn a_guessed_entry_answers_only_for_its_own_key() {
        let keys = [
            "id",
            "userId",
            "authenticationDetails",
            "authenticationMethodsUsed",
        ];
        let t = Table::new(keys.iter().map(|k| k.to_string()).zip(10..).collect());
        for (i, k) in keys.iter().enumerate() {
            let (n, v) = t.find(k).unwrap();
            assert_eq!(v, 10 + i);
            assert_eq!(t.get_at(n, k), Some(v));
            for other in keys.iter().filter(|o| *o != k) {
                assert_eq!(t.get_at(n, other), None, "{k} guessed for {other}");
            }
        }
        assert_eq!(t.get_at(keys.len(), "id"), None);
        assert_eq!(t.find("ID"), None);
    }

    #[test]
    fn first_value_of_a_repeated_key_wins() {
        let t = Table::new(vec![("k".to_string(), 1), ("k".to_string(), 2)]);
        assert_eq!(t.get("k"), Some(1));
    }
}
