//! Conditions: a map of fact name → matcher, all of which must hold. A matcher is a scalar
//! (equal, case-insensitive; for a list fact: the list contains it), a list (any of), or an
//! operator object (`eq`, `in`, `contains`, `startswith`, `endswith`, `gte`, `lte`,
//! `exists`, `not`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Facts of one subject (operation, audit event, sign-in), by name.
pub type Facts = BTreeMap<Cow<'static, str>, Value>;

/// A condition: every entry must match.
pub type Condition = BTreeMap<String, Matcher>;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Matcher {
    Ops(Ops),
    List(Vec<Value>),
    Scalar(Value),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ops {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<Value>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startswith: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endswith: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Matcher>>,
}

impl Ops {
    pub fn is_empty(&self) -> bool {
        *self == Ops::default()
    }
}

/// A scalar as text, compared without regard to ASCII case (strings as they are, numbers
/// and booleans as JSON writes them); `None` for null, lists and objects.
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// `s` in lower case, copied only when it has an upper-case letter.
pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn scalar_eq(fact: &Value, want: &Value) -> bool {
    match (fact, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => match (text(fact), text(want)) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
            _ => fact.is_null() && want.is_null(),
        },
    }
}

/// Does any value the fact offers (its items when it is a list, else itself) pass `f`?
fn any_item(fact: &Value, f: impl Fn(&Value) -> bool) -> bool {
    match fact {
        Value::Array(a) => a.iter().any(f),
        Value::Null => false,
        v => f(v),
    }
}

fn str_test(fact: &Value, pats: &[String], f: fn(&str, &str) -> bool) -> bool {
    any_item(fact, |v| {
        text(v).is_some_and(|s| {
            let s = lower(&s);
            pats.iter().any(|p| f(&s, &lower(p)))
        })
    })
}

/// Does `fact` (absent = `None`) satisfy `m`?
pub fn matches(fact: Option<&Value>, m: &Matcher) -> bool {
    match m {
        Matcher::Scalar(w) => fact.is_some_and(|f| any_item(f, |v| scalar_eq(v, w))),
        Matcher::List(ws) => {
            fact.is_some_and(|f| any_item(f, |v| ws.iter().any(|w| scalar_eq(v, w))))
        }
        Matcher::Ops(o) => {
            let present = fact.is_some_and(|f| !f.is_null());
            if let Some(e) = o.exists {
                if e != present {
                    return false;
                }
            }
            if let Some(n) = &o.not {
                if matches(fact, n) {
                    return false;
                }
            }
            let need_value = o.eq.is_some()
                || o.any_of.is_some()
                || o.contains.is_some()
                || o.startswith.is_some()
                || o.endswith.is_some()
                || o.gte.is_some()
                || o.lte.is_some();
            if !need_value {
                return true;
            }
            let Some(f) = fact.filter(|f| !f.is_null()) else {
                return false;
            };
            o.eq.as_ref()
                .is_none_or(|w| any_item(f, |v| scalar_eq(v, w)))
                && o.any_of
                    .as_ref()
                    .is_none_or(|ws| any_item(f, |v| ws.iter().any(|w| scalar_eq(v, w))))
                && o.contains
                    .as_ref()
                    .is_none_or(|p| str_test(f, p, |s, p| s.contains(p)))
                && o.startswith
                    .as_ref()
                    .is_none_or(|p| str_test(f, p, |s, p| s.starts_with(p)))
                && o.endswith
                    .as_ref()
                    .is_none_or(|p| str_test(f, p, |s, p| s.ends_with(p)))
                && o.gte
                    .is_none_or(|g| any_item(f, |v| v.as_f64().is_some_and(|x| x >= g)))
                && o.lte
                    .is_none_or(|l| any_item(f, |v| v.as_f64().is_some_and(|x| x <= l)))
        }
    }
}

/// Does every entry of `c` hold? Returns the matched facts (name → value) when it does.
pub fn eval(c: &Condition, facts: &Facts) -> Option<BTreeMap<String, Value>> {
    // Most conditions fail: test them all before copying any matched value.
    if !c
        .iter()
        .all(|(name, m)| matches(facts.get(name.as_str()), m))
    {
        return None;
    }
    Some(
        c.keys()
            .map(|name| {
                let v = facts.get(name.as_str()).cloned().unwrap_or(Value::Null);
                (name.clone(), v)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(y: &str) -> Matcher {
        yaml_serde::from_str(y).unwrap()
    }

    #[test]
    fn matcher_forms() {
        assert!(matches(Some(&json!("Succeeded")), &m("succeeded")));
        assert!(matches(Some(&json!(true)), &m("true")));
        assert!(!matches(None, &m("true")));
        assert!(matches(Some(&json!([22, 3389])), &m("3389")));
        assert!(matches(Some(&json!("b")), &m("[a, b]")));
        assert!(matches(
            Some(&json!("Standard_NC6")),
            &m("{startswith: [standard_n]}")
        ));
        assert!(matches(Some(&json!(64)), &m("{gte: 40}")));
        assert!(!matches(Some(&json!(4)), &m("{gte: 40}")));
        assert!(matches(None, &m("{exists: false}")));
        assert!(!matches(Some(&json!("x")), &m("{exists: false}")));
        assert!(matches(
            Some(&json!("user")),
            &m("{not: service_principal}")
        ));
        assert!(matches(None, &m("{not: service_principal}")));
        assert!(matches(
            Some(&json!("Hello World")),
            &m("{contains: [world]}")
        ));
        // Case never matters, patterns included; numbers and strings compare as text.
        assert!(matches(Some(&json!("HELLO")), &m("{contains: [eLL]}")));
        assert!(matches(Some(&json!("AbC")), &m("{endswith: [BC]}")));
        assert!(matches(Some(&json!("3389")), &m("3389")));
        assert!(matches(Some(&json!(3389)), &m("'3389'")));
        assert!(matches(Some(&json!("TRUE")), &m("true")));
        assert!(!matches(Some(&json!(null)), &m("x")));
        assert!(!matches(Some(&json!([])), &m("x")));
    }

    #[test]
    fn unknown_operator_is_rejected() {
        // An object with an unknown key is not Ops; it falls through to Scalar(object),
        // which the rule validator rejects.
        assert!(matches!(m("{bogus: 1}"), Matcher::Scalar(Value::Object(_))));
    }

    #[test]
    fn eval_returns_matched_values() {
        let mut facts = Facts::new();
        facts.insert("a".into(), json!(1));
        let mut c = Condition::new();
        c.insert("a".into(), m("1"));
        assert_eq!(eval(&c, &facts).unwrap()["a"], json!(1));
        c.insert("b".into(), m("2"));
        assert!(eval(&c, &facts).is_none());
    }
}
