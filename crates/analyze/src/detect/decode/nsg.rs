//! NSG security rules from `securityRules/write` bodies and from NSG writes with embedded
//! `properties.securityRules[]`: ports (single, `a-b` ranges, lists, `*`), sources (`*`,
//! `Internet`, `Any`, `0.0.0.0/0`, `::/0`, prefix lists), access and direction
//! (detections.md §2.4).

use crate::detect::json::{key, path, strings, text};
use serde::Serialize;
use serde_json::Value;

/// Admin ports whose exposure to the Internet is the seed indicator (SSH, RDP).
pub const ADMIN_PORTS: &[u16] = &[22, 3389];
/// Extended set: WinRM, SMB, SQL Server, MySQL, PostgreSQL, Redis, MongoDB.
pub const EXTENDED_PORTS: &[u16] = &[5985, 5986, 445, 1433, 3306, 5432, 6379, 27017];

/// One decoded security rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SecurityRule {
    pub name: Option<String>,
    pub access: Option<String>,
    pub direction: Option<String>,
    pub priority: Option<String>,
    pub sources: Vec<String>,
    pub ports: Vec<String>,
}

impl SecurityRule {
    /// Allow + Inbound + a source open to the world.
    pub fn open_inbound(&self) -> bool {
        eq(&self.access, "allow")
            && eq(&self.direction, "inbound")
            && self.sources.iter().any(|s| is_open_source(s))
    }
    /// The ports of `set` this rule exposes to the Internet.
    pub fn exposed(&self, set: &[u16]) -> Vec<u16> {
        if !self.open_inbound() {
            return Vec::new();
        }
        set.iter()
            .copied()
            .filter(|p| self.ports.iter().any(|spec| port_matches(spec, *p)))
            .collect()
    }
    pub fn any_port(&self) -> bool {
        self.ports.iter().any(|p| p.trim() == "*")
    }
}

fn eq(v: &Option<String>, want: &str) -> bool {
    v.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(want))
}

/// A source prefix that means "anyone on the Internet".
pub fn is_open_source(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "*" | "any" | "internet" | "0.0.0.0/0" | "0.0.0.0" | "::/0"
    )
}

/// True if `port` is `spec`: `*`, a number, or an inclusive `a-b` range.
pub fn port_matches(spec: &str, port: u16) -> bool {
    let s = spec.trim();
    if s == "*" {
        return true;
    }
    if let Some((a, b)) = s.split_once('-') {
        return match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        };
    }
    s.parse::<u16>() == Ok(port)
}

fn one(rule: &Value) -> SecurityRule {
    // A rule is `{name, properties:{...}}` or the bare properties object.
    let p = key(rule, "properties").unwrap_or(rule);
    let mut sources = strings(key(p, "sourceAddressPrefix"));
    sources.extend(strings(key(p, "sourceAddressPrefixes")));
    let mut ports = strings(key(p, "destinationPortRange"));
    ports.extend(strings(key(p, "destinationPortRanges")));
    SecurityRule {
        name: text(rule, "name"),
        access: text(p, "access"),
        direction: text(p, "direction"),
        priority: text(p, "priority"),
        sources,
        ports,
    }
}

/// The security rules in a body: a single rule, or an NSG with `properties.securityRules`.
pub fn rules(body: &Value) -> Vec<SecurityRule> {
    if let Some(Value::Array(list)) = path(body, "properties.securityRules") {
        return list.iter().take(1000).map(one).collect();
    }
    let r = one(body);
    if r.access.is_some() || r.direction.is_some() || !r.ports.is_empty() {
        vec![r]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(ports: Value, src: Value) -> Value {
        let mut p = json!({"access": "Allow", "direction": "Inbound", "protocol": "Tcp"});
        let m = p.as_object_mut().unwrap();
        if ports.is_array() {
            m.insert("destinationPortRanges".into(), ports);
        } else {
            m.insert("destinationPortRange".into(), ports);
        }
        if src.is_array() {
            m.insert("sourceAddressPrefixes".into(), src);
        } else {
            m.insert("sourceAddressPrefix".into(), src);
        }
        json!({"name": "r1", "properties": p})
    }

    #[test]
    fn port_edge_cases() {
        let cases = [
            (json!("3389"), vec![3389]),
            (json!("3000-4000"), vec![3389]),
            (json!(["22", "443"]), vec![22]),
            (json!("*"), vec![22, 3389]),
            (json!("443"), vec![]),
            (json!("4000-3000"), vec![]),
            (json!("x-y"), vec![]),
            (json!(["80", "8080-8090"]), vec![]),
        ];
        for (ports, want) in cases {
            let r = rules(&rule(ports.clone(), json!("*")));
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].exposed(ADMIN_PORTS), want, "{ports}");
        }
    }

    #[test]
    fn open_sources() {
        for s in ["*", "Internet", "Any", "0.0.0.0/0", "::/0", "0.0.0.0"] {
            assert!(rules(&rule(json!("22"), json!(s)))[0].open_inbound(), "{s}");
        }
        for s in [
            "10.0.0.0/8",
            "VirtualNetwork",
            "203.0.113.5/32",
            "AzureLoadBalancer",
        ] {
            assert!(
                !rules(&rule(json!("22"), json!(s)))[0].open_inbound(),
                "{s}"
            );
        }
        let r = rules(&rule(json!("22"), json!(["10.0.0.1", "Internet"])));
        assert_eq!(r[0].exposed(ADMIN_PORTS), vec![22]);
    }

    #[test]
    fn deny_and_outbound_do_not_expose() {
        let mut v = rule(json!("3389"), json!("*"));
        v["properties"]["access"] = json!("Deny");
        assert!(rules(&v)[0].exposed(ADMIN_PORTS).is_empty());
        let mut v = rule(json!("3389"), json!("*"));
        v["properties"]["direction"] = json!("Outbound");
        assert!(rules(&v)[0].exposed(ADMIN_PORTS).is_empty());
    }

    #[test]
    fn nsg_with_embedded_rules_and_bare_properties() {
        let nsg = json!({"location": "westeurope", "properties": {"securityRules": [
            rule(json!("443"), json!("*")), rule(json!("22"), json!("Internet"))]}});
        let r = rules(&nsg);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].exposed(ADMIN_PORTS), vec![22]);
        let bare = json!({"Access": "allow", "Direction": "inbound",
            "SourceAddressPrefix": "*", "DestinationPortRange": "3389"});
        assert_eq!(rules(&bare)[0].exposed(ADMIN_PORTS), vec![3389]);
        assert!(rules(&json!({"location": "x"})).is_empty());
        assert!(rules(&json!("not an object")).is_empty());
    }
}
