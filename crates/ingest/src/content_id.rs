//! Synthetic ids for records exported without one (diagnostic-settings Activity records have
//! no `eventDataId`): `sha256:` and the first 32 hex digits of a SHA-256 over the record's
//! identifying fields, each followed by a unit separator (0x1f), so the same record from two
//! overlapping exports gets the same id.
//!
//! Fields are fed to the hash as they are formatted or lower-cased, without building the
//! strings first: every record of a large diagnostic export passes through here.

use sha2::{Digest, Sha256};
use std::fmt;

/// The hash of the fields given so far.
pub struct ContentId(Sha256);

impl Default for ContentId {
    fn default() -> Self {
        ContentId(Sha256::new())
    }
}

impl ContentId {
    /// A field as it is.
    pub fn field(&mut self, s: &str) -> &mut Self {
        self.0.update(s.as_bytes());
        self.end()
    }

    /// A field lower-cased (ASCII only, as `str::to_ascii_lowercase`).
    pub fn field_lower(&mut self, s: &str) -> &mut Self {
        let mut buf = [0u8; 64];
        for chunk in s.as_bytes().chunks(buf.len()) {
            let part = &mut buf[..chunk.len()];
            part.copy_from_slice(chunk);
            part.make_ascii_lowercase();
            self.0.update(&*part);
        }
        self.end()
    }

    /// A field as `format!` would write it.
    pub fn field_fmt(&mut self, args: fmt::Arguments<'_>) -> &mut Self {
        struct Feed<'a>(&'a mut Sha256);
        impl fmt::Write for Feed<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.update(s.as_bytes());
                Ok(())
            }
        }
        // Writing into the hash never fails; a `Display` impl that reported an error would
        // only leave its field short, as `to_string` would panic instead.
        let _ = fmt::write(&mut Feed(&mut self.0), args);
        self.end()
    }

    fn end(&mut self) -> &mut Self {
        self.0.update([0x1f]);
        self
    }

    /// `sha256:` and the first 16 bytes of the digest in lower-case hex.
    pub fn finish(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = std::mem::take(&mut self.0).finalize();
        let mut id = String::with_capacity(7 + 32);
        id.push_str("sha256:");
        for b in &digest[..16] {
            id.push(HEX[usize::from(b >> 4)] as char);
            id.push(HEX[usize::from(b & 0xf)] as char);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id as it was first computed: whole strings, `hex::encode`, cut to 32 digits.
    fn reference(parts: &[&str]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0x1f]);
        }
        format!("sha256:{}", &hex::encode(h.finalize())[..32])
    }

    #[test]
    fn equals_hashing_the_built_strings() {
        let long = "/SUBSCRIPTIONS/X/RESOURCEGROUPS/".repeat(9) + "Ünïcode-ÄB";
        let mut id = ContentId::default();
        id.field("Corr")
            .field_lower(&long)
            .field_lower("")
            .field_fmt(format_args!("{:?}", Some(3)))
            .field_fmt(format_args!("{}", 2.5));
        assert_eq!(
            id.finish(),
            reference(&["Corr", &long.to_ascii_lowercase(), "", "Some(3)", "2.5"])
        );
        assert_eq!(ContentId::default().finish(), reference(&[]));
    }

    proptest::proptest! {
        #[test]
        fn lower_cased_fields_hash_as_their_lower_case_text(s in ".{0,300}") {
            let mut id = ContentId::default();
            id.field_lower(&s);
            proptest::prop_assert_eq!(id.finish(), reference(&[&s.to_ascii_lowercase()]));
        }
    }
}
