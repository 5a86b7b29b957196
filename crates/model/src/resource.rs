//! ARM resource ids split into subscription, resource group, provider, type and name.

use serde::{Deserialize, Serialize};

/// The parts of an ARM resource id. Case is kept as found; compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The full resource id as logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Resource provider namespace, e.g. `Microsoft.Compute`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Full type, e.g. `Microsoft.Network/networkSecurityGroups/securityRules`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The last name segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ResourceRef {
    /// Splits an ARM id. Unknown shapes keep only `id`. The last `/providers/` segment
    /// decides the provider, so extension resources (role assignments on a VM) resolve to
    /// the extension's type.
    pub fn parse(id: &str) -> ResourceRef {
        let id = id.trim();
        let mut r = ResourceRef {
            id: (!id.is_empty()).then(|| id.to_string()),
            ..Default::default()
        };
        let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
        let mut i = 0;
        let mut last_provider: Option<usize> = None;
        while i < segs.len() {
            let s = segs[i];
            if s.eq_ignore_ascii_case("subscriptions")
                && i + 1 < segs.len()
                && r.subscription_id.is_none()
            {
                r.subscription_id = Some(segs[i + 1].to_string());
                i += 2;
                continue;
            }
            if s.eq_ignore_ascii_case("resourceGroups")
                && i + 1 < segs.len()
                && r.resource_group.is_none()
            {
                r.resource_group = Some(segs[i + 1].to_string());
                i += 2;
                continue;
            }
            if s.eq_ignore_ascii_case("providers") && i + 1 < segs.len() {
                last_provider = Some(i + 1);
            }
            i += 1;
        }
        if let Some(p) = last_provider {
            let ns = segs[p];
            r.provider = Some(ns.to_string());
            let rest = &segs[p + 1..];
            let mut ty = ns.to_string();
            let mut k = 0;
            while k < rest.len() {
                ty.push('/');
                ty.push_str(rest[k]);
                k += 2;
            }
            if !rest.is_empty() {
                r.resource_type = Some(ty);
            }
            if rest.len() >= 2 && rest.len().is_multiple_of(2) {
                r.name = rest.last().map(|s| s.to_string());
            }
        } else if let Some(rg) = &r.resource_group {
            if segs.len() == 4 {
                r.name = Some(rg.clone());
            }
        }
        r
    }

    /// Fills empty parts from another reference (e.g. explicit columns of an export).
    pub fn fill_from(&mut self, other: ResourceRef) {
        macro_rules! fill {
            ($f:ident) => {
                if self.$f.is_none() {
                    self.$f = other.$f;
                }
            };
        }
        fill!(id);
        fill!(subscription_id);
        fill!(resource_group);
        fill!(provider);
        fill!(resource_type);
        fill!(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_resource() {
        let r = ResourceRef::parse(
            "/subscriptions/S1/resourceGroups/RG1/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/allow-rdp",
        );
        assert_eq!(r.subscription_id.as_deref(), Some("S1"));
        assert_eq!(r.resource_group.as_deref(), Some("RG1"));
        assert_eq!(r.provider.as_deref(), Some("Microsoft.Network"));
        assert_eq!(
            r.resource_type.as_deref(),
            Some("Microsoft.Network/networkSecurityGroups/securityRules")
        );
        assert_eq!(r.name.as_deref(), Some("allow-rdp"));
    }

    #[test]
    fn parses_upper_case_and_extension() {
        let r = ResourceRef::parse("/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/RA1");
        assert_eq!(r.resource_group.as_deref(), Some("RG1"));
        assert_eq!(r.provider.as_deref(), Some("MICROSOFT.AUTHORIZATION"));
        assert_eq!(
            r.resource_type.as_deref(),
            Some("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS")
        );
    }

    #[test]
    fn subscription_only_and_garbage() {
        let r = ResourceRef::parse("/subscriptions/S1");
        assert_eq!(r.subscription_id.as_deref(), Some("S1"));
        assert!(r.provider.is_none());
        let g = ResourceRef::parse("not a path");
        assert_eq!(g.id.as_deref(), Some("not a path"));
        assert!(g.subscription_id.is_none());
    }
}
