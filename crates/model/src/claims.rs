//! JWT claims as ARM logs them, normalized to short claim names.
//!
//! ARM records claims after .NET inbound claim-type mapping, so some claims carry long URI
//! keys (formats.md §7.1). [`Claims::from_pairs`] maps them back to their JWT names so the
//! rest of tokentrail only ever asks for `oid`, `upn`, `uti` and so on.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Long claim-type URIs and the short JWT claim names they stand for.
const URI_TO_SHORT: &[(&str, &str)] = &[
    (
        "http://schemas.microsoft.com/identity/claims/identityprovider",
        "idp",
    ),
    (
        "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "oid",
    ),
    (
        "http://schemas.microsoft.com/identity/claims/tenantid",
        "tid",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
        "sub",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        "upn",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "unique_name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "given_name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "family_name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
    ),
    (
        "http://schemas.microsoft.com/claims/authnclassreference",
        "acr",
    ),
    (
        "http://schemas.microsoft.com/claims/authnmethodsreferences",
        "amr",
    ),
    ("http://schemas.microsoft.com/identity/claims/scope", "scp"),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "roles",
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
        "groups",
    ),
    (
        "http://schemas.microsoft.com/2012/01/devicecontext/claims/identifier",
        "deviceid",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/spn",
        "spn",
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod",
        "authmethod",
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant",
        "auth_time",
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/wids",
        "wids",
    ),
];

/// Maps a claim key to its short name (`http://…/objectidentifier` → `oid`). Unknown keys
/// are returned unchanged; matching ignores ASCII case and surrounding whitespace.
pub fn short_name(key: &str) -> &str {
    let k = key.trim();
    // Every long name is an `http…` URI: skip the table scan for short keys.
    if !k
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http"))
    {
        return k;
    }
    URI_TO_SHORT
        .iter()
        .find(|(uri, _)| uri.eq_ignore_ascii_case(k))
        .map(|(_, short)| *short)
        .unwrap_or(k)
}

/// A claims map with short names. Values stay strings, exactly as ARM logs them
/// (multi-valued claims are comma-joined); whitespace around values is trimmed.
///
/// Stored compactly (one text buffer plus offsets, keys sorted) because every Activity
/// event carries one: a million events would otherwise hold tens of millions of small
/// strings. The buffer is shared: clones are one reference count, and every event made
/// with the same token can hold one copy (see `tokentrail_analyze::slim`). An empty map
/// holds nothing. Serializes as a JSON object with keys in sorted order.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Claims(Option<std::sync::Arc<Packed>>);

/// The claims of one [`Claims`] map, packed.
#[derive(PartialEq, Eq, Hash)]
struct Packed {
    /// Keys and values, concatenated.
    text: Box<str>,
    /// Per claim, sorted by key: (key start, value start, value end) in `text`.
    spans: Box<[(u32, u32, u32)]>,
}

/// The packed parts of an empty map.
const NONE: (&str, &[(u32, u32, u32)]) = ("", &[]);

/// The most pairs [`Claims::from_pairs`] reserves room for up front (a token holds thirty
/// or forty claims; a hostile record may claim millions).
const MAX_RESERVED: usize = 256;

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = BTreeMap::<String, String>::deserialize(d)?;
        Ok(Claims::from_sorted(
            m.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ))
    }
}

impl Claims {
    /// Builds from pairs already sorted by key and free of duplicates.
    fn from_sorted<'a, I: IntoIterator<Item = (&'a str, &'a str)> + Clone>(pairs: I) -> Claims {
        // The text's length and the number of pairs in one pass, so that neither the text
        // nor the spans reallocate when boxed.
        let (len, count) = pairs
            .clone()
            .into_iter()
            .fold((0, 0), |(len, n), (k, v)| (len + k.len() + v.len(), n + 1));
        let mut text = String::with_capacity(len);
        let mut spans = Vec::with_capacity(count);
        for (k, v) in pairs {
            let ks = text.len();
            text.push_str(k);
            let vs = text.len();
            text.push_str(v);
            // Claims never reach 4 GiB; saturate rather than wrap if one ever did.
            let c = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            spans.push((c(ks), c(vs), c(text.len())));
        }
        if spans.is_empty() {
            return Claims(None);
        }
        Claims(Some(std::sync::Arc::new(Packed {
            text: text.into_boxed_str(),
            spans: spans.into_boxed_slice(),
        })))
    }

    /// The packed text and spans (empty for an empty map).
    fn parts(&self) -> (&str, &[(u32, u32, u32)]) {
        match &self.0 {
            Some(p) => (&p.text, &p.spans),
            None => NONE,
        }
    }

    /// True when both maps share one buffer (not merely equal content).
    pub fn shares_with(&self, other: &Claims) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Builds a claims map from raw key/value pairs. When both a long and a short form of a
    /// claim are present, the first one seen wins.
    /// Values are borrowed or owned text alike (`&str`, `String`, `Cow<str>`), so a reader
    /// holding the claims as borrowed slices of its input copies each value only once.
    pub fn from_pairs<'a, V: AsRef<str>, I: IntoIterator<Item = (&'a str, V)>>(pairs: I) -> Claims {
        // Room for every pair up front (the filter below leaves the iterator without a
        // lower bound, and growing from empty reallocates four or five times per record).
        let pairs = pairs.into_iter();
        let mut m: Vec<(&str, V)> =
            Vec::with_capacity(pairs.size_hint().1.unwrap_or(0).min(MAX_RESERVED));
        m.extend(
            pairs
                .filter(|(k, _)| !k.trim().is_empty())
                .map(|(k, v)| (short_name(k), v)),
        );
        // A stable sort keeps pairs of one key in the order seen, so the first of each run
        // is the first seen (a vector sorts thirty-odd pairs faster than a map builds).
        m.sort_by(|a, b| a.0.cmp(b.0));
        m.dedup_by(|later, first| later.0 == first.0);
        Claims::from_sorted(m.iter().map(|(k, v)| (*k, v.as_ref().trim())))
    }

    fn entry(&self, i: usize) -> Option<(&str, &str)> {
        let (text, spans) = self.parts();
        let (ks, vs, ve) = *spans.get(i)?;
        let (ks, vs, ve) = (ks as usize, vs as usize, ve as usize);
        Some((text.get(ks..vs)?, text.get(vs..ve)?))
    }

    /// Every claim, by key in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.len()).filter_map(|i| self.entry(i))
    }

    /// The number of claims.
    pub fn len(&self) -> usize {
        self.parts().1.len()
    }

    /// Rewrites every value (pseudonymization); keys are unchanged.
    pub fn map_values(&mut self, mut f: impl FnMut(&str) -> String) {
        let owned: Vec<(String, String)> =
            self.iter().map(|(k, v)| (k.to_string(), f(v))).collect();
        *self = Claims::from_sorted(owned.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Keeps only the claims whose (short) name `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let kept: Vec<(&str, &str)> = self.iter().filter(|(k, _)| keep(k)).collect();
        if kept.len() < self.len() {
            *self = Claims::from_sorted(kept);
        }
    }

    /// A claim value, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        let (text, spans) = self.parts();
        let i = spans
            .binary_search_by(|&(ks, vs, _)| {
                text.get(ks as usize..vs as usize).unwrap_or("").cmp(name)
            })
            .ok()?;
        self.entry(i).map(|(_, v)| v).filter(|v| !v.is_empty())
    }

    pub fn oid(&self) -> Option<&str> {
        self.get("oid")
    }
    pub fn tid(&self) -> Option<&str> {
        self.get("tid")
    }
    /// The user principal name: `upn`, else `unique_name`, else `email`.
    pub fn upn(&self) -> Option<&str> {
        self.get("upn")
            .or_else(|| self.get("unique_name"))
            .or_else(|| self.get("email"))
    }
    /// The client application: `appid` (v1 tokens) or `azp` (v2).
    pub fn appid(&self) -> Option<&str> {
        self.get("appid").or_else(|| self.get("azp"))
    }
    /// `appidacr` / `azpacr`: 0 public client, 1 secret, 2 certificate or assertion.
    pub fn appidacr(&self) -> Option<&str> {
        self.get("appidacr").or_else(|| self.get("azpacr"))
    }
    pub fn idtyp(&self) -> Option<&str> {
        self.get("idtyp")
    }
    pub fn uti(&self) -> Option<&str> {
        self.get("uti")
    }
    pub fn sid(&self) -> Option<&str> {
        self.get("sid")
    }
    pub fn ipaddr(&self) -> Option<&str> {
        self.get("ipaddr")
    }
    pub fn iss(&self) -> Option<&str> {
        self.get("iss")
    }
    pub fn xms_mirid(&self) -> Option<&str> {
        self.get("xms_mirid")
    }
    pub fn iat(&self) -> Option<Timestamp> {
        self.get("iat").and_then(crate::time::parse_unix_seconds)
    }
    pub fn exp(&self) -> Option<Timestamp> {
        self.get("exp").and_then(crate::time::parse_unix_seconds)
    }
    /// Authentication methods (`amr`), split on commas.
    pub fn amr(&self) -> Vec<&str> {
        self.get("amr")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_a_claim_given_twice_the_first_seen_wins() {
        let oid_uri = "http://schemas.microsoft.com/identity/claims/objectidentifier";
        let c = Claims::from_pairs([
            ("zz", "1"),
            (oid_uri, "long first"),
            ("oid", "short second"),
            ("aa", "2"),
            ("zz", "3"),
            ("  ", "blank key"),
        ]);
        assert_eq!(c.oid(), Some("long first"));
        assert_eq!(c.get("zz"), Some("1"));
        let keys: Vec<&str> = c.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["aa", "oid", "zz"]);
        let c = Claims::from_pairs([("oid", "short first"), (oid_uri, "long second")]);
        assert_eq!(c.oid(), Some("short first"));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn long_names_are_shortened() {
        let c = Claims::from_pairs([
            (
                "http://schemas.microsoft.com/identity/claims/objectidentifier",
                "0b0b".to_string(),
            ),
            (
                "HTTP://SCHEMAS.XMLSOAP.ORG/WS/2005/05/IDENTITY/CLAIMS/UPN",
                "alice@contoso.com".into(),
            ),
            (
                "http://schemas.microsoft.com/claims/authnmethodsreferences",
                "pwd,mfa".into(),
            ),
            (
                "http://schemas.microsoft.com/identity/claims/tenantid",
                "aaaa ".into(),
            ),
            ("iat", "1718000000".into()),
            ("", "".into()),
        ]);
        assert_eq!(c.oid(), Some("0b0b"));
        assert_eq!(c.upn(), Some("alice@contoso.com"));
        assert_eq!(c.amr(), vec!["pwd", "mfa"]);
        assert_eq!(c.tid(), Some("aaaa"));
        assert_eq!(c.iat().unwrap().to_string(), "2024-06-10T06:13:20Z");
        assert_eq!(c.len(), 5);
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            json.starts_with(r#"{"amr":"pwd,mfa","iat":"1718000000""#),
            "{json}"
        );
        let back: Claims = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(format!("{c:?}").matches(':').count(), 5);
    }
}
