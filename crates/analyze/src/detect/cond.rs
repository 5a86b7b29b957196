//! Conditions: a map of fact name → matcher, all of which must hold. A matcher is a scalar
//! (equal, case-insensitive; for a list fact: the list contains it), a list (any of), or an
//! operator object (`eq`, `in`, `contains`, `startswith`, `endswith`, `gte`, `lte`,
//! `exists`, `not`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Facts of one subject (operation, audit event, sign-in), by name.
pub type Facts = BTreeMap<std::borrow::Cow<'static, str>, Value>;

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

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_ascii_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn scalar_eq(fact: &Value, want: &Value) -> bool {
    match (fact, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => match (text(fact), text(want)) {
            (Some(a), Some(b)) => a == b,
            _ => fact.is_null() && want.is_null(),
        },
    }
}

/// The values a fact offers: its items when it is a list, else itself.
fn items(fact: &Value) -> Vec<&Value> {
    match fact {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    }
}

fn any_item(fact: &Value, f: impl Fn(&Value) -> bool) -> bool {
    items(fact).into_iter().any(f)
}

fn str_test(fact: &Value, pats: &[String], f: fn(&str, &str) -> bool) -> bool {
    any_item(fact, |v| {
        text(v).is_some_and(|s| pats.iter().any(|p| f(&s, &p.to_ascii_lowercase())))
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
    let mut hit = BTreeMap::new();
    for (name, m) in c {
        let f = facts.get(name.as_str());
        if !matches(f, m) {
            return None;
        }
        hit.insert(name.clone(), f.cloned().unwrap_or(Value::Null));
    }
    Some(hit)
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
