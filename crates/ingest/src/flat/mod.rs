//! Typed fast paths for the record shapes that dominate large inputs: diagnostic-settings
//! sign-in and Activity records and Graph sign-in objects.
//!
//! The generic path builds a `serde_json::Value` tree of the whole record and reads it
//! through the case-insensitive [`Fields`](crate::fields::Fields) view. Here one object is
//! deserialized into a [`Flat`]: a slot per member of a known [`Shape`], keyed by its exact
//! spelling; strings are borrowed from the input, other scalars and nested containers are
//! `Value`s, members no reader looks at are checked for validity ([`Skip`]) but not kept.
//! [`Flat`] implements [`FieldSrc`], so the same builders run over it. In debug builds every
//! name a builder asks for must be listed as read by the shape (`Shape::read`), so a new
//! lookup in a builder without a matching list entry fails the tests.
//!
//! A [`Flat`] is built only when the generic path would read the object identically:
//! - a member spelled exactly as in the shape goes to its slot; the same member twice is
//!   refused (a JSON object keeps the last value, a `Value` tree cannot tell);
//! - any other member is skipped only when its normalized name is not one that a reader
//!   (the builder, or `classify` deciding the record's schema) looks up on that object;
//!   otherwise (another spelling of a read member, or a member that would change the
//!   schema) the object is refused.
//!
//! Refused objects return `None` and the caller uses the generic path, so the output never
//! depends on which path ran.

pub mod activity;
pub mod signin;
mod signin_parts;
mod table;

use crate::activity::fast::{ClaimsField, Str};
use crate::fields::{
    array_cow, as_object, as_object_ref, norm_key, str_array, str_bool, str_float, str_int,
    str_object, str_text, value_bool, value_float, value_int, value_text, FieldSrc,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::OnceLock;
use table::Table;

/// The members of one object shape.
pub struct Shape {
    /// Exact spellings kept in slots (slot `i` is `keys[i]`; `a|b` accepts either spelling,
    /// both normalizing alike, into one slot).
    pub keys: &'static [&'static str],
    /// Members read as something other than a [`Slot::Str`] / [`Slot::Val`].
    pub nested: &'static [(&'static str, Nested)],
    /// Exact spellings seen in exports that no reader looks at: skipped without normalizing
    /// the name. (One whose normalized name is read is dropped from this list at start.)
    pub ignored: &'static [&'static str],
    /// Normalized names read on this object besides the slot keys' own: present in any
    /// other spelling, the object is refused.
    pub read: &'static [&'static [&'static str]],
    tables: OnceLock<Tables>,
    /// Member order learned from the objects read so far: at position `i`, one more than the
    /// entry number of [`Tables::exact`] last found there (0: none yet). Exports write every
    /// record's members in one order, so the guess is nearly always right; it is checked
    /// against the member's name, so a wrong or stale guess (another thread's, another
    /// exporter's) only costs the usual lookup.
    order: [AtomicU8; ORDER],
    /// The same for the builders' lookups by normalized name ([`Flat::slot`]): they ask for
    /// the same names in nearly the same order for every object. One more than the entry
    /// number of [`Tables::norm`] last found for the `i`-th lookup, checked the same way.
    asked: [AtomicU8; ORDER],
}

/// How many leading member positions [`Shape::order`] learns.
const ORDER: usize = 128;

/// How [`Shape::nested`] is read.
#[derive(Clone, Copy)]
pub enum Nested {
    /// An object of another shape (refused unless an object).
    Flat(&'static Shape),
    /// An array of objects of another shape (refused unless an array of objects).
    Flats(&'static Shape),
    /// Token claims: an object of string (or null) values under distinct keys.
    Claims,
}

/// What a member's exact spelling means.
#[derive(Clone, Copy)]
enum Role {
    Slot(usize),
    Nested(usize, Nested),
    Ignore,
}

struct Tables {
    /// Exact spelling -> role.
    exact: Table<Role>,
    /// Normalized name -> slot.
    norm: Table<usize>,
    /// Every normalized name read on this object, sorted.
    read: Vec<String>,
}

impl Shape {
    pub const fn new(
        keys: &'static [&'static str],
        nested: &'static [(&'static str, Nested)],
        ignored: &'static [&'static str],
        read: &'static [&'static [&'static str]],
    ) -> Shape {
        Shape {
            keys,
            nested,
            ignored,
            read,
            tables: OnceLock::new(),
            order: [const { AtomicU8::new(0) }; ORDER],
            asked: [const { AtomicU8::new(0) }; ORDER],
        }
    }

    fn tables(&self) -> &Tables {
        self.tables.get_or_init(|| {
            let mut read: Vec<String> = self
                .read
                .iter()
                .flat_map(|l| l.iter())
                .map(|r| r.to_string())
                .chain(self.keys.iter().flat_map(|k| k.split('|')).map(norm_key))
                .collect();
            read.sort();
            read.dedup();
            let mut exact: Vec<(String, Role)> = Vec::new();
            let mut norm = Vec::new();
            for (i, k) in self.keys.iter().enumerate() {
                let role = match self.nested.iter().find(|(n, _)| n == k) {
                    Some(&(_, how)) => Role::Nested(i, how),
                    None => Role::Slot(i),
                };
                for spelling in k.split('|') {
                    exact.push((spelling.to_string(), role));
                }
                let first = k.split('|').next().unwrap_or(k);
                norm.push((norm_key(first), i));
            }
            for k in self.ignored {
                if read.binary_search(&norm_key(k)).is_err() {
                    exact.push((k.to_string(), Role::Ignore));
                }
            }
            Tables {
                exact: Table::new(exact),
                norm: Table::new(norm),
                read,
            }
        })
    }

    /// The role of member `key`, the `at`-th of its object.
    fn role(&self, at: usize, key: &str) -> Option<Role> {
        guessed(&self.tables().exact, self.order.get(at), key)
    }

    /// The slot of a normalized name.
    fn slot_of(&self, norm: &str) -> Option<usize> {
        self.tables().norm.get(norm)
    }

    /// The slot of a normalized name, the `at`-th asked for of one object.
    fn slot_asked(&self, at: usize, norm: &str) -> Option<usize> {
        guessed(&self.tables().norm, self.asked.get(at), norm)
    }

    /// True when some reader looks up the normalized name `norm` on this object.
    pub fn reads(&self, norm: &str) -> bool {
        self.tables()
            .read
            .binary_search_by(|r| r.as_str().cmp(norm))
            .is_ok()
    }
}

/// `table`'s value for `key`, trying the entry `guess` names first and, when it was not
/// that one, remembering the entry found there for next time (see [`Shape::order`]).
fn guessed<T: Copy>(table: &Table<T>, guess: Option<&AtomicU8>, key: &str) -> Option<T> {
    let Some(guess) = guess else {
        return table.get(key);
    };
    let n = guess.load(Relaxed);
    if let Some(v) = n.checked_sub(1).and_then(|n| table.get_at(n.into(), key)) {
        return Some(v);
    }
    let (n, v) = table.find(key)?;
    if let Ok(n) = u8::try_from(n + 1) {
        guess.store(n, Relaxed);
    }
    Some(v)
}

/// One kept member.
pub enum Slot<'a> {
    /// A string, borrowed when it has no escapes.
    Str(Cow<'a, str>),
    /// Null, a boolean, a number, an array or an object, exactly as the `Value` tree has it.
    Val(Value),
    /// A nested object of [`Shape::nested`].
    Flat(Box<Flat<'a>>),
    /// A nested array of objects of [`Shape::nested`].
    Flats(Vec<Flat<'a>>),
    /// The claims of [`Nested::Claims`].
    Claims(ClaimsField<'a>),
}

impl<'de> Deserialize<'de> for Slot<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Slot<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Slot::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Slot::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Slot::Str(Cow::Owned(v)))
            }
            // The rest as `Value`'s own visitor builds them.
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::from(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Slot::Val(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(a)).map(Slot::Val)
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(a)).map(Slot::Val)
            }
        }
        d.deserialize_any(V)
    }
}

/// A member no reader looks at, parsed without keeping it. Unlike `IgnoredAny` it reads
/// numbers in full, so it refuses exactly what a `Value` tree refuses (`1e400`).
pub struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Skip, A::Error> {
                while a.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Skip, A::Error> {
                while m.next_key::<Skip>()?.is_some() {
                    m.next_value::<Skip>()?;
                }
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// One object of a known [`Shape`], its kept members in slots.
pub struct Flat<'a> {
    shape: &'static Shape,
    slots: Vec<Option<Slot<'a>>>,
    /// Members seen, skipped ones included.
    members: usize,
    /// Lookups by name so far (see [`Shape::slot_asked`]).
    asked: Cell<usize>,
}

/// Deserializes a [`Flat`] of a shape.
pub struct FlatSeed(pub &'static Shape);

impl<'de> DeserializeSeed<'de> for FlatSeed {
    type Value = Flat<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Flat<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FlatSeed {
    type Value = Flat<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of a known shape")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Flat<'de>, A::Error> {
        let shape = self.0;
        let mut slots: Vec<Option<Slot<'de>>> = Vec::with_capacity(shape.keys.len());
        slots.resize_with(shape.keys.len(), || None);
        let mut members = 0;
        while let Some(k) = m.next_key::<Str<'de>>()? {
            let role = shape.role(members, &k.0);
            members += 1;
            let (i, v) = match role {
                Some(Role::Slot(i)) => (i, m.next_value::<Slot<'de>>()?),
                Some(Role::Nested(i, Nested::Flat(sub))) => {
                    (i, Slot::Flat(Box::new(m.next_value_seed(FlatSeed(sub))?)))
                }
                Some(Role::Nested(i, Nested::Flats(sub))) => {
                    (i, Slot::Flats(m.next_value_seed(FlatsSeed(sub))?))
                }
                Some(Role::Nested(i, Nested::Claims)) => (i, Slot::Claims(m.next_value()?)),
                Some(Role::Ignore) => {
                    m.next_value::<Skip>()?;
                    continue;
                }
                None => {
                    if shape.reads(&norm_key(&k.0)) {
                        return Err(de::Error::custom("a read member in another spelling"));
                    }
                    m.next_value::<Skip>()?;
                    continue;
                }
            };
            if slots[i].is_some() {
                return Err(de::Error::custom("repeated member"));
            }
            slots[i] = Some(v);
        }
        Ok(Flat {
            shape,
            slots,
            members,
            asked: Cell::new(0),
        })
    }
}

/// Deserializes an array of [`Flat`]s of a shape.
struct FlatsSeed(&'static Shape);

impl<'de> DeserializeSeed<'de> for FlatsSeed {
    type Value = Vec<Flat<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Flat<'de>>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FlatsSeed {
    type Value = Vec<Flat<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects of a known shape")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Vec<Flat<'de>>, A::Error> {
        let mut out = Vec::new();
        while let Some(f) = a.next_element_seed(FlatSeed(self.0))? {
            out.push(f);
        }
        Ok(out)
    }
}

impl<'a> Flat<'a> {
    /// Parses `text` as an object of `shape`; `None` when it is not one.
    pub fn parse(text: &'a str, shape: &'static Shape) -> Option<Flat<'a>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let f = FlatSeed(shape).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(f)
    }

    /// An object of `shape` without members.
    pub fn empty(shape: &'static Shape) -> Flat<'a> {
        let mut slots = Vec::with_capacity(shape.keys.len());
        slots.resize_with(shape.keys.len(), || None);
        Flat {
            shape,
            slots,
            members: 0,
            asked: Cell::new(0),
        }
    }

    /// True when the object has no members at all.
    pub fn is_empty(&self) -> bool {
        self.members == 0
    }

    /// The member whose normalized name is `norm`.
    pub fn slot(&self, norm: &str) -> Option<&Slot<'a>> {
        debug_assert!(
            self.shape.reads(norm),
            "{norm:?} is read but not listed as read by its shape"
        );
        let at = self.asked.get();
        self.asked.set(at + 1);
        self.slots[self.shape.slot_asked(at, norm)?].as_ref()
    }

    /// The nested object in the member `norm`.
    pub fn nested(&self, norm: &str) -> Option<&Flat<'a>> {
        match self.slot(norm)? {
            Slot::Flat(f) => Some(f),
            _ => None,
        }
    }

    /// The claims in the member `norm`.
    pub fn claims(&self, norm: &str) -> Option<&ClaimsField<'a>> {
        match self.slot(norm)? {
            Slot::Claims(c) => Some(c),
            _ => None,
        }
    }

    /// `Fields::object(&[norm]).unwrap_or_default()`, moving the object out of its slot.
    pub fn take_object(&mut self, norm: &str) -> Map<String, Value> {
        let Some(i) = self.slot(norm).and(self.shape.slot_of(norm)) else {
            return Map::new();
        };
        match self.slots[i].take() {
            Some(Slot::Val(Value::Object(m))) => m,
            Some(Slot::Val(v)) => as_object(&v).unwrap_or_default(),
            Some(Slot::Str(s)) => str_object(&s).unwrap_or_default(),
            _ => Map::new(),
        }
    }

    /// `Fields::get`: the first present, non-null member.
    fn get(&self, names: &[&str]) -> Option<&Slot<'a>> {
        names.iter().find_map(|n| match self.slot(n)? {
            Slot::Val(Value::Null) => None,
            s => Some(s),
        })
    }
}

/// The nested shape's members are never read as a value (only through [`Flat::nested`]);
/// these answer as for an object without a `value` member.
impl FieldSrc for Flat<'_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| match self.slot(n)? {
            Slot::Str(s) => str_text(s),
            Slot::Val(v) => value_text(v),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        })
    }
    fn int(&self, names: &[&str]) -> Option<i64> {
        match self.get(names)? {
            Slot::Str(s) => str_int(s),
            Slot::Val(v) => value_int(v),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        }
    }
    fn bool(&self, names: &[&str]) -> Option<bool> {
        match self.get(names)? {
            Slot::Str(s) => str_bool(s),
            Slot::Val(v) => value_bool(v),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        }
    }
    fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.slot(n).is_some())
    }
    fn array(&self, names: &[&str]) -> Option<Cow<'_, [Value]>> {
        match self.get(names)? {
            Slot::Str(s) => Some(Cow::Owned(str_array(s))),
            Slot::Val(v) => Some(array_cow(v)),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        }
    }
    fn object(&self, names: &[&str]) -> Option<Cow<'_, Map<String, Value>>> {
        names.iter().find_map(|n| match self.slot(n)? {
            Slot::Str(s) => str_object(s).map(Cow::Owned),
            Slot::Val(v) => as_object_ref(v),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        })
    }
    fn get_str(&self, names: &[&str]) -> Option<&str> {
        match self.get(names)? {
            Slot::Str(s) => Some(s),
            _ => None,
        }
    }
    fn float(&self, names: &[&str]) -> Option<f64> {
        match self.get(names)? {
            Slot::Str(s) => str_float(s),
            Slot::Val(v) => value_float(v),
            Slot::Flat(_) | Slot::Flats(_) | Slot::Claims(_) => None,
        }
    }
    /// The first member among `names` that `object` would answer for, when it is a nested
    /// object of this shape.
    fn sub_object(&self, names: &[&str]) -> Option<&dyn FieldSrc> {
        for n in names {
            match self.slot(n) {
                None => {}
                Some(Slot::Flat(f)) => return Some(&**f),
                Some(Slot::Str(s)) if str_object(s).is_some() => return None,
                Some(Slot::Val(v)) if as_object_ref(v).is_some() => return None,
                Some(_) => {}
            }
        }
        None
    }
    /// The first present, non-null member among `names` (as `array` finds it), when it is
    /// a nested array of objects of this shape.
    fn sub_objects(&self, names: &[&str]) -> Option<Vec<&dyn FieldSrc>> {
        match self.get(names)? {
            Slot::Flats(v) => Some(v.iter().map(|f| f as &dyn FieldSrc).collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SHAPE: Shape = Shape::new(&["a", "bb", "ccc|cCc"], &[], &["skip"], &[&["zz"]]);

    /// Objects whose members come in changing orders, and builders that ask in changing
    /// orders, read alike: a learned guess is only ever a shortcut.
    #[test]
    fn member_and_lookup_order_guesses_never_change_an_answer() {
        let objects = [
            r#"{"a":"1","bb":"2","ccc":"3","skip":0}"#,
            r#"{"skip":0,"cCc":"3","bb":"2","a":"1"}"#,
            r#"{"bb":"2","a":"1","skip":0}"#,
            r#"{"a":"1","bb":"2","ccc":"3","skip":0}"#,
            r#"{"x":1,"a":"1","cCc":"3","bb":"2"}"#,
        ];
        for round in 0..3 {
            for (i, text) in objects.iter().enumerate() {
                let f = Flat::parse(text, &SHAPE).unwrap();
                let mut names = ["a", "bb", "ccc"];
                names.rotate_left((round + i) % 3);
                for n in names {
                    let want = match n {
                        "a" => Some("1"),
                        "bb" => Some("2"),
                        _ => (i != 2).then_some("3"),
                    };
                    assert_eq!(f.str(&[n]).as_deref(), want, "{text}, {n}, round {round}");
                }
            }
        }
        assert!(Flat::parse(r#"{"a":"1","a":"2"}"#, &SHAPE).is_none());
        assert!(Flat::parse(r#"{"A":"1"}"#, &SHAPE).is_none());
    }
}
