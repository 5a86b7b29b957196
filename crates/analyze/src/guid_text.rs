//! [`GuidText`]: an id that is nearly always a GUID, without an allocation when it is.
//!
//! A sign-in's Request ID and session id are GUIDs in canonical text, and almost every
//! sign-in has ids of its own. Held as text, each of millions of sign-ins paid a pointer or
//! string plus an allocation of about 48 bytes for each; a `GuidText` holds the GUID's 16
//! bytes and writes its text when read. Any other id is kept as it came.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;
use tokentrail_model::Guid;

/// An id: compares, orders, prints and serializes exactly as its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GuidText(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// The id is this GUID's canonical (lower-case, hyphenated) text.
    Guid(Guid),
    Raw(Box<str>),
}

impl GuidText {
    /// The id `s`, stored as a GUID when it is one's canonical text (and so reads back
    /// byte for byte as `s`).
    pub fn new(s: &str) -> GuidText {
        match Guid::is_canonical(s).then(|| Guid::parse(s)).flatten() {
            Some(g) => GuidText(Repr::Guid(g)),
            None => GuidText(Repr::Raw(s.into())),
        }
    }

    /// The id with ASCII letters in lower case (a canonical GUID already is).
    pub fn to_ascii_lowercase(&self) -> GuidText {
        match &self.0 {
            Repr::Raw(s) if s.bytes().any(|b| b.is_ascii_uppercase()) => {
                GuidText::new(&s.to_ascii_lowercase())
            }
            _ => self.clone(),
        }
    }

    /// The id's text, borrowed when it is held as text.
    pub fn to_cow(&self) -> std::borrow::Cow<'_, str> {
        match &self.0 {
            Repr::Guid(g) => std::borrow::Cow::Owned(g.to_string()),
            Repr::Raw(s) => std::borrow::Cow::Borrowed(s),
        }
    }

    /// The id's text.
    pub fn text(&self) -> IdText<'_> {
        match &self.0 {
            Repr::Guid(g) => IdText::Guid(g.canonical_bytes()),
            Repr::Raw(s) => IdText::Raw(s),
        }
    }
}

impl Default for GuidText {
    fn default() -> Self {
        GuidText(Repr::Raw("".into()))
    }
}

impl From<&str> for GuidText {
    fn from(s: &str) -> Self {
        GuidText::new(s)
    }
}

impl From<String> for GuidText {
    fn from(s: String) -> Self {
        GuidText::new(&s)
    }
}

impl Ord for GuidText {
    /// As the texts order: a canonical GUID's text orders as its bytes do (hex digits in
    /// nibble order, hyphens at the same places), so two GUIDs compare without writing out.
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Guid(a), Repr::Guid(b)) => a.0.cmp(&b.0),
            _ => (*self.text()).cmp(&*other.text()),
        }
    }
}

impl PartialOrd for GuidText {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq<str> for GuidText {
    fn eq(&self, other: &str) -> bool {
        *self.text() == *other
    }
}

impl fmt::Display for GuidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for GuidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl Serialize for GuidText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// The text of a [`GuidText`], borrowed or written out on the stack.
pub enum IdText<'a> {
    Guid([u8; 36]),
    Raw(&'a str),
}

impl Deref for IdText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            // Only ASCII hex digits and hyphens.
            IdText::Guid(b) => std::str::from_utf8(b).unwrap_or_default(),
            IdText::Raw(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GuidText;

    #[test]
    fn reads_back_as_given_and_orders_as_text() {
        let ids = [
            "0a1b2c3d-0000-4000-8000-00000000000f",
            "0A1B2C3D-0000-4000-8000-00000000000F",
            "{0a1b2c3d-0000-4000-8000-00000000000f}",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "00000000-0000-0000-0000-000000000000",
            "0a1b2c3d-0000-4000-8000-00000000000",
            "not a guid",
            "",
            "zz",
            "0a1b2c3d-0000-4000-8000-00000000000f ",
        ];
        for a in ids {
            let ia = GuidText::new(a);
            assert_eq!(&*ia.text(), a);
            assert_eq!(ia.to_string(), a);
            assert_eq!(
                serde_json::to_string(&ia).unwrap(),
                serde_json::to_string(a).unwrap()
            );
            assert!(ia == *a);
            for b in ids {
                let ib = GuidText::new(b);
                assert_eq!(ia.cmp(&ib), a.cmp(b), "{a} vs {b}");
                assert_eq!(ia == ib, a == b);
            }
        }
        assert!(matches!(
            GuidText::new("0a1b2c3d-0000-4000-8000-00000000000f").0,
            super::Repr::Guid(_)
        ));
        assert_eq!(std::mem::size_of::<GuidText>(), 24);
        assert_eq!(std::mem::size_of::<Option<GuidText>>(), 24);
        for a in ids {
            let lower = GuidText::new(a).to_ascii_lowercase();
            assert_eq!(lower, GuidText::new(&a.to_ascii_lowercase()));
            assert_eq!(&*lower.text(), a.to_ascii_lowercase());
        }
    }
}
