//! [`FactMap`]: a detection's matched facts and evidence, in one allocation of their size.
//!
//! A hit holds one to a few of each. As a `BTreeMap` each non-empty map took a whole node
//! with room for eleven entries (about 640 bytes), for each of a hundred thousand hits at
//! 1M events. A `FactMap` is built from such a map and reads and serializes like it: a JSON
//! object in name order.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Names and values in name order (as the `BTreeMap` it was built from held them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FactMap(Box<[(String, Value)]>);

impl FactMap {
    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }
}

impl From<BTreeMap<String, Value>> for FactMap {
    fn from(m: BTreeMap<String, Value>) -> Self {
        FactMap(m.into_iter().collect())
    }
}

impl std::ops::Index<&str> for FactMap {
    type Output = Value;
    /// The value named `name`, or `null` (as `serde_json` maps index).
    fn index(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&Value::Null)
    }
}

impl Serialize for FactMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::FactMap;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    #[test]
    fn reads_and_serializes_as_the_map_it_came_from() {
        for n in 0..5 {
            let m: BTreeMap<String, Value> = (0..n)
                .rev()
                .map(|i| (format!("k{i}.x"), json!([i, "v"])))
                .collect();
            let f = FactMap::from(m.clone());
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                serde_json::to_string(&m).unwrap()
            );
            for (k, v) in &m {
                assert_eq!(f.get(k), Some(v));
                assert_eq!(&f[k.as_str()], v);
            }
            assert_eq!(f.get("k9"), None);
            assert_eq!(f["k9"], Value::Null);
        }
    }
}
