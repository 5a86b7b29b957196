//! [`Text`]: shared, immutable text one pointer wide.
//!
//! Sign-in facts hold about thirty optional text fields and there are millions of them;
//! `Arc<str>` is two words, so `Option<Arc<str>>` costs 16 bytes a field. A `Text` points at
//! an `Arc<Box<str>>` (one word; `Option<Text>` is one word too): the extra allocation is
//! paid once per distinct string, which the interner shares anyway.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Shared text; compares, hashes, orders, prints and serializes exactly as the `str` it holds.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<Box<str>>);

impl Text {
    /// The text as a `str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Arc::new(s.into()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Arc::new(s.into_boxed_str()))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn one_word_and_behaves_like_str() {
        assert_eq!(
            std::mem::size_of::<Option<Text>>(),
            std::mem::size_of::<usize>()
        );
        let t = Text::from("Ab");
        assert_eq!(&*t, "Ab");
        assert_eq!(t.to_string(), "Ab");
        assert_eq!(format!("{t:?}"), "\"Ab\"");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"Ab\"");
        let set: std::collections::HashSet<Text> = [t.clone()].into_iter().collect();
        assert!(set.contains("Ab"));
        let (a, b) = (Text::from("a"), Text::from("b"));
        assert!(a < b);
        assert!(a == "a");
    }
}
