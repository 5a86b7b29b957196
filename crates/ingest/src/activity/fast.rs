//! Typed fast path for REST / `az monitor activity-log list` Activity objects.
//!
//! The generic path builds a `serde_json::Value` tree of the whole object, then reads it
//! through the case-insensitive [`Fields`] view. This path
//! deserializes the exact `az` shape (its camelCase keys, LocalizableString objects,
//! string claims) straight into borrowed fields and runs the same [`rest`] builder over
//! them; only `properties`, `authorization` and `httpRequest` become `Value`s.
//!
//! It accepts an object only when the generic path would read it identically: every key
//! is one of the known keys spelled exactly (or `channels` / `relatedEvents`, which no
//! reader looks at), with no other key and no duplicate, scalar fields are
//! strings or null, LocalizableStrings hold only `value` / `localizedValue` strings, claims
//! are string (or null) values under distinct keys. Anything else returns `None` and the
//! caller uses the generic path, so the output never depends on which path ran.

use super::build::{authorization_from, http_request_from};
use super::json::{rest, RestSrc};
use crate::fields::{as_object, as_object_ref, value_text, Fields};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use tokentrail_model::{ActivityEvent, Authorization, Claims, HttpRequest, Provenance};

/// Normalizes `text` as a REST / `az` Activity object when it has exactly the `az` shape.
/// `None`: not that shape (or the builder refused it); use the generic path.
pub fn try_rest(text: &str, source: &Provenance) -> Option<ActivityEvent> {
    let mut r: RestRecord<'_> = serde_json::from_str(text).ok()?;
    // `classify` says ActivityRest only with one of these present (there is no `time`).
    if r.event_data_id.is_none() && r.event_timestamp.is_none() {
        return None;
    }
    rest(&mut r, source.clone()).ok()
}

/// A string borrowed from the input when it has no escapes.
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A string or null.
pub(crate) struct OptStr<'a>(pub(crate) Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for OptStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<Str<'de>>::deserialize(d).map(|o| OptStr(o.map(|s| s.0)))
    }
}

/// A scalar member: null, a string, or a LocalizableString object.
enum Text<'a> {
    Null,
    Str(Cow<'a, str>),
    Loc {
        value: Option<Cow<'a, str>>,
        localized: Option<Cow<'a, str>>,
    },
}

/// `value_text` of a string: trimmed, `None` when empty.
fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Text<'_> {
    /// Exactly `value_text` of the same JSON value.
    fn text(&self) -> Option<String> {
        match self {
            Text::Null => None,
            Text::Str(s) => trimmed(s),
            Text::Loc { value, .. } => value.as_deref().and_then(trimmed),
        }
    }

    /// Exactly `Fields::localized` over the same JSON value (only objects have one).
    fn localized(&self) -> Option<String> {
        match self {
            Text::Null | Text::Str(_) => None,
            Text::Loc { localized, .. } => localized.as_deref().and_then(trimmed),
        }
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, null or a LocalizableString")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::Null)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut value = None;
                let mut localized = None;
                while let Some(k) = m.next_key::<Str<'de>>()? {
                    let slot = match k.0.as_ref() {
                        "value" => &mut value,
                        "localizedValue" => &mut localized,
                        _ => return Err(de::Error::custom("not a plain LocalizableString")),
                    };
                    put(slot, m.next_value::<OptStr<'de>>()?.0)?;
                }
                Ok(Text::Loc {
                    value: value.flatten(),
                    localized: localized.flatten(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `claims`: null, or an object of string (or null) values.
pub enum ClaimsField<'a> {
    Null,
    Pairs(Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>),
}

impl<'de> Deserialize<'de> for ClaimsField<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ClaimsField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("null or an object of strings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ClaimsField::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(m.size_hint().unwrap_or(32));
                while let Some(k) = m.next_key::<Str<'de>>()? {
                    pairs.push((k.0, m.next_value::<OptStr<'de>>()?.0));
                }
                // A repeated key: a JSON object keeps the first position with the last value,
                // and claims keep the first one seen; leave that to the generic path.
                let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
                keys.sort_unstable();
                if keys.windows(2).any(|w| w[0] == w[1]) {
                    return Err(de::Error::custom("repeated claim"));
                }
                Ok(ClaimsField::Pairs(pairs))
            }
        }
        d.deserialize_any(V)
    }
}

impl ClaimsField<'_> {
    /// Exactly [`claims_from`](super::build::claims_from) over the same JSON value.
    pub fn claims(&self) -> Claims {
        match self {
            ClaimsField::Pairs(p) => Claims::from_pairs(
                p.iter()
                    .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_ref(), v))),
            ),
            ClaimsField::Null => Claims::default(),
        }
    }
}

/// The `az` / REST object, every member optional.
#[derive(Default)]
struct RestRecord<'a> {
    authorization: Option<Value>,
    caller: Option<Text<'a>>,
    category: Option<Text<'a>>,
    claims: Option<ClaimsField<'a>>,
    correlation_id: Option<Text<'a>>,
    description: Option<Text<'a>>,
    event_data_id: Option<Text<'a>>,
    event_name: Option<Text<'a>>,
    event_timestamp: Option<Text<'a>>,
    http_request: Option<Value>,
    id: Option<Text<'a>>,
    level: Option<Text<'a>>,
    operation_id: Option<Text<'a>>,
    operation_name: Option<Text<'a>>,
    properties: Option<Value>,
    resource_group_name: Option<Text<'a>>,
    resource_id: Option<Text<'a>>,
    resource_provider_name: Option<Text<'a>>,
    resource_type: Option<Text<'a>>,
    status: Option<Text<'a>>,
    sub_status: Option<Text<'a>>,
    submission_timestamp: Option<Text<'a>>,
    subscription_id: Option<Text<'a>>,
    tenant_id: Option<Text<'a>>,
}

/// Stores a member, refusing a repeated key.
fn put<T, E: de::Error>(slot: &mut Option<T>, v: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom("repeated key"));
    }
    *slot = Some(v);
    Ok(())
}

impl<'de> Deserialize<'de> for RestRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RestRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an az Activity Log object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut r = RestRecord::default();
                while let Some(k) = m.next_key::<Str<'de>>()? {
                    let slot = match k.0.as_ref() {
                        "authorization" | "httpRequest" | "properties" => {
                            let slot = match k.0.as_ref() {
                                "authorization" => &mut r.authorization,
                                "httpRequest" => &mut r.http_request,
                                _ => &mut r.properties,
                            };
                            put(slot, m.next_value::<Value>()?)?;
                            continue;
                        }
                        "claims" => {
                            put(&mut r.claims, m.next_value()?)?;
                            continue;
                        }
                        "caller" => &mut r.caller,
                        "category" => &mut r.category,
                        "correlationId" => &mut r.correlation_id,
                        "description" => &mut r.description,
                        "eventDataId" => &mut r.event_data_id,
                        "eventName" => &mut r.event_name,
                        "eventTimestamp" => &mut r.event_timestamp,
                        "id" => &mut r.id,
                        "level" => &mut r.level,
                        "operationId" => &mut r.operation_id,
                        "operationName" => &mut r.operation_name,
                        "resourceGroupName" => &mut r.resource_group_name,
                        "resourceId" => &mut r.resource_id,
                        "resourceProviderName" => &mut r.resource_provider_name,
                        "resourceType" => &mut r.resource_type,
                        "status" => &mut r.status,
                        "subStatus" => &mut r.sub_status,
                        "submissionTimestamp" => &mut r.submission_timestamp,
                        "subscriptionId" => &mut r.subscription_id,
                        "tenantId" => &mut r.tenant_id,
                        // Members no reader looks at (nor `classify`): skipped unparsed.
                        "channels" | "relatedEvents" => {
                            m.next_value::<crate::flat::Skip>()?;
                            continue;
                        }
                        _ => return Err(de::Error::custom("not the az shape")),
                    };
                    put(slot, m.next_value()?)?;
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

impl RestRecord<'_> {
    /// The text member whose normalized key is `name`.
    fn text_field(&self, name: &str) -> Option<&Text<'_>> {
        match name {
            "caller" => self.caller.as_ref(),
            "category" => self.category.as_ref(),
            "correlationid" => self.correlation_id.as_ref(),
            "description" => self.description.as_ref(),
            "eventdataid" => self.event_data_id.as_ref(),
            "eventname" => self.event_name.as_ref(),
            "eventtimestamp" => self.event_timestamp.as_ref(),
            "id" => self.id.as_ref(),
            "level" => self.level.as_ref(),
            "operationid" => self.operation_id.as_ref(),
            "operationname" => self.operation_name.as_ref(),
            "resourcegroupname" => self.resource_group_name.as_ref(),
            "resourceid" => self.resource_id.as_ref(),
            "resourceprovidername" => self.resource_provider_name.as_ref(),
            "resourcetype" => self.resource_type.as_ref(),
            "status" => self.status.as_ref(),
            "substatus" => self.sub_status.as_ref(),
            "submissiontimestamp" => self.submission_timestamp.as_ref(),
            "subscriptionid" => self.subscription_id.as_ref(),
            "tenantid" => self.tenant_id.as_ref(),
            _ => None,
        }
    }

    /// The `Value` member whose normalized key is `name`.
    fn value_field(&self, name: &str) -> Option<&Value> {
        match name {
            "authorization" => self.authorization.as_ref(),
            "httprequest" => self.http_request.as_ref(),
            "properties" => self.properties.as_ref(),
            _ => None,
        }
    }
}

impl RestSrc for RestRecord<'_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| match self.text_field(n) {
            Some(t) => t.text(),
            None => self.value_field(n).and_then(value_text),
        })
    }

    fn localized(&self, names: &[&str]) -> Option<String> {
        // `Fields::get`: the first present, non-null member.
        for n in names {
            if let Some(t) = self.text_field(n) {
                if !matches!(t, Text::Null) {
                    return t.localized();
                }
            } else if let Some(v) = self.value_field(n).filter(|v| !v.is_null()) {
                return Fields::new(v.as_object()?).str(&["localizedvalue"]);
            }
        }
        None
    }

    fn claims(&self) -> Claims {
        self.claims
            .as_ref()
            .map(ClaimsField::claims)
            .unwrap_or_default()
    }

    fn authorization(&self) -> Option<Box<Authorization>> {
        as_object_ref(self.authorization.as_ref()?).and_then(|m| authorization_from(&m))
    }

    fn http_request(&self) -> Option<Box<HttpRequest>> {
        as_object_ref(self.http_request.as_ref()?).and_then(|m| http_request_from(&m))
    }

    fn take_properties(&mut self) -> Map<String, Value> {
        match self.properties.take() {
            Some(Value::Object(m)) => m,
            Some(other) => as_object(&other).unwrap_or_default(),
            None => Map::new(),
        }
    }
}
