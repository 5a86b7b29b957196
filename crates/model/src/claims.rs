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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(pub BTreeMap<String, String>);

impl Claims {
    /// Builds a claims map from raw key/value pairs. When both a long and a short form of a
    /// claim are present, the first one seen wins.
    pub fn from_pairs<'a, I: IntoIterator<Item = (&'a str, String)>>(pairs: I) -> Claims {
        let mut m = BTreeMap::new();
        for (k, v) in pairs {
            if k.trim().is_empty() {
                continue;
            }
            let short = short_name(k);
            if m.contains_key(short) {
                continue;
            }
            // Reuse the value's allocation unless it needs trimming.
            let v = if v.trim().len() == v.len() {
                v
            } else {
                v.trim().to_string()
            };
            m.insert(short.to_string(), v);
        }
        Claims(m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A claim value, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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
        assert_eq!(c.0.len(), 5);
    }
}
