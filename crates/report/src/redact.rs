//! `--redact KEY`: pseudonymize UPNs (and any e-mail address), people's names and IP
//! addresses with a keyed hash (HMAC-SHA256, truncated), so a bundle can be shared across
//! jurisdictions while correlation still reads: the same value always gets the same
//! pseudonym (`user-3f9a2c1d@redacted`, `name-…`, `ip-…`). Applied to the parsed records
//! before analysis, so every output derived from them agrees. The key is never recorded.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use tokentrail_analyze::signins::SignInFacts;
use tokentrail_model::{ActivityEvent, AuditEvent};

/// Claims that carry a person's name.
const NAME_CLAIMS: &[&str] = &["name", "given_name", "family_name"];

pub struct Redactor {
    key: Vec<u8>,
    /// Known names (longest first when replacing) and their pseudonyms.
    names: BTreeMap<String, String>,
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-'".contains(c)
}
fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}
fn is_ipchar(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '.' || c == ':'
}

impl Redactor {
    pub fn new(key: &str) -> Redactor {
        Redactor {
            key: key.as_bytes().to_vec(),
            names: BTreeMap::new(),
        }
    }

    /// The pseudonym of `value` of `kind` (`user`, `name`, `ip`): 8 hex digits of
    /// HMAC-SHA256(key, kind ":" value).
    pub fn tag(&self, kind: &str, value: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return format!("{kind}-redacted"),
        };
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        let h = mac.finalize().into_bytes();
        format!("{kind}-{}", hex::encode(&h[..4]))
    }

    /// Registers a person's name so that it is replaced wherever it appears.
    pub fn add_name(&mut self, name: &str) {
        let n = name.trim();
        if n.chars().count() < 3 || n.contains('@') || self.names.contains_key(n) {
            return;
        }
        let p = self.tag("name", &n.to_lowercase());
        self.names.insert(n.to_string(), p);
    }

    /// Collects names from the records' name claims.
    pub fn learn<'a>(&mut self, activity: impl IntoIterator<Item = &'a ActivityEvent>) {
        for e in activity {
            for c in NAME_CLAIMS {
                if let Some(v) = e.claims.get(c) {
                    self.add_name(v);
                }
            }
        }
    }

    fn emails(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut done = 0usize; // byte offset copied so far
        let mut i = 0usize;
        while i < chars.len() {
            let (at, c) = chars[i];
            if c != '@' || at < done {
                i += 1;
                continue;
            }
            let mut start = i;
            while start > 0 && is_local(chars[start - 1].1) && chars[start - 1].0 >= done {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && is_domain(chars[end].1) {
                end += 1;
            }
            while end > i + 1 && chars[end - 1].1 == '.' {
                end -= 1;
            }
            let domain: String = chars[i + 1..end].iter().map(|x| x.1).collect();
            if start < i && domain.contains('.') {
                let b0 = chars[start].0;
                let b1 = chars.get(end).map_or(s.len(), |x| x.0);
                out.push_str(&s[done..b0]);
                out.push_str(&self.tag("user", &s[b0..b1].to_lowercase()));
                out.push_str("@redacted");
                done = b1;
                i = end;
            } else {
                i += 1;
            }
        }
        out.push_str(&s[done..]);
        out
    }

    fn ips(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(p) = rest.find(is_ipchar) {
            out.push_str(&rest[..p]);
            let tail = &rest[p..];
            let len = tail.find(|c: char| !is_ipchar(c)).unwrap_or(tail.len());
            let tok = &tail[..len];
            let prev_word = out.chars().last().is_some_and(|c| c.is_alphanumeric());
            if prev_word || !tok.bytes().any(|b| b.is_ascii_digit()) {
                out.push_str(tok);
            } else if let Ok(a) = tok.parse::<Ipv4Addr>() {
                out.push_str(&self.tag("ip", &a.to_string()));
            } else if let Ok(a) = tok.parse::<Ipv6Addr>() {
                out.push_str(&self.tag("ip", &a.to_string()));
            } else if let Some((a, port)) = tok
                .rsplit_once(':')
                .and_then(|(a, p)| a.parse::<Ipv4Addr>().ok().map(|a| (a, p)))
            {
                out.push_str(&self.tag("ip", &a.to_string()));
                out.push(':');
                out.push_str(port);
            } else {
                out.push_str(tok);
            }
            rest = &tail[len..];
        }
        out.push_str(rest);
        out
    }

    /// Pseudonymizes e-mail addresses, IP addresses and known names in `s`.
    pub fn text(&self, s: &str) -> String {
        let mut t = self.ips(&self.emails(s));
        let mut names: Vec<(&String, &String)> = self.names.iter().collect();
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
        for (n, p) in names {
            if t.contains(n.as_str()) {
                t = t.replace(n.as_str(), p);
            }
        }
        t
    }

    fn opt(&self, s: &mut Option<String>) {
        if let Some(v) = s {
            *v = self.text(v);
        }
    }

    /// Every string in a JSON value (keys are kept).
    pub fn value(&self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.text(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.value(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.value(x)),
            _ => {}
        }
    }

    pub fn activity(&self, e: &mut ActivityEvent) {
        self.opt(&mut e.caller);
        self.opt(&mut e.caller_ip);
        self.opt(&mut e.description);
        e.claims.map_values(|v| self.text(v));
        if let Some(h) = &mut e.http_request {
            self.opt(&mut h.client_ip);
            self.opt(&mut h.uri);
        }
        for v in e.properties.values_mut() {
            self.value(v);
        }
        for n in &mut e.notes {
            *n = self.text(n);
        }
    }

    pub fn signin(&self, s: &mut SignInFacts) {
        for t in [
            &mut s.upn,
            &mut s.ip,
            &mut s.user_agent,
            &mut s.location,
            &mut s.device,
        ]
        .into_iter()
        .flatten()
        {
            *t = self.text(t).into();
        }
    }

    pub fn audit(&self, a: &mut AuditEvent) {
        a.activity = self.text(&a.activity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_consistent_and_readable() {
        let mut r = Redactor::new("k1");
        r.add_name("Alice Example");
        let a = r.text("Alice Example <Alice@Contoso.com> from 203.0.113.7:443 and 2001:db8::1");
        assert!(!a.contains("Alice") && !a.contains("203.0.113.7") && !a.contains("2001:db8"));
        assert!(
            a.contains("@redacted") && a.contains("ip-") && a.contains("name-"),
            "{a}"
        );
        assert_eq!(
            r.text("alice@contoso.com"),
            r.text("ALICE@contoso.com"),
            "case-insensitive UPNs share a pseudonym"
        );
        assert!(r
            .text("live.com#alice@contoso.com")
            .ends_with(&r.text("alice@contoso.com")));
        assert_ne!(
            Redactor::new("k2").text("alice@contoso.com"),
            r.text("alice@contoso.com")
        );
        // Times, GUIDs and versions-with-letters stay.
        let keep =
            "2024-01-01T10:00:00.123Z 0f8fad5b-d9cb-469f-a165-70867728950e v1.2.3.4 Foo::bar";
        assert_eq!(r.text(keep), keep);
    }
}
