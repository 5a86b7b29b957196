//! Anomalies only visible with both logs: token reuse from several IPs, an ARM caller IP
//! that is not the token's `ipaddr`, weak or risky issuing sign-ins.

use crate::operations::Operation;
use crate::signins::SignInFacts;
use std::collections::{BTreeMap, BTreeSet};

/// For each token id (`uti`), the set of IPs that called ARM with it.
pub fn token_ips(ops: &[Operation]) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        if let (Some(uti), Some(ip)) = (op.claims().uti(), op.caller_ip()) {
            m.entry(uti.to_string()).or_default().insert(ip.to_string());
        }
    }
    m
}

/// The anomalies of one operation.
pub fn of(
    op: &Operation,
    issuer: Option<&SignInFacts>,
    origin: Option<&SignInFacts>,
    ips: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    let c = op.claims();
    if let Some(set) = c.uti().and_then(|u| ips.get(u)) {
        if set.len() > 1 {
            out.push(format!(
                "token_multiple_ips: the same token (uti {}) called ARM from {} IPs: {}",
                c.uti().unwrap_or(""),
                set.len(),
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let (Some(caller), Some(tok)) = (op.caller_ip(), c.ipaddr()) {
        if !caller.eq_ignore_ascii_case(tok) {
            out.push(format!(
                "caller_ip_differs_from_token_ip: ARM was called from {caller} but the token was obtained from {tok}"
            ));
        }
    }
    for (role, s) in [("issuing sign-in", issuer), ("session origin", origin)] {
        let Some(s) = s else { continue };
        let single = s
            .auth_requirement
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("singleFactorAuthentication"));
        if single
            && s.mfa != Some(true)
            && (s.kind() == crate::signins::Kind::Interactive || role == "session origin")
        {
            out.push(format!(
                "single_factor_signin: the {role} {} used single-factor authentication",
                s.id
            ));
        }
        if let Some(r) = s
            .risk_level
            .as_deref()
            .filter(|r| matches!(r.to_ascii_lowercase().as_str(), "low" | "medium" | "high"))
        {
            out.push(format!(
                "risky_signin: the {role} {} had risk level {r}",
                s.id
            ));
        }
    }
    out.dedup();
    out
}

/// A user token whose ARM calls came from a hosting provider while its issuing sign-in or
/// session origin came from outside any known hosting range: the token may have been
/// taken to, or replayed from, a cloud VM. Only said when the table knows both sides.
pub fn hosting_ip_for_user_token(
    op: &Operation,
    issuer: Option<&SignInFacts>,
    origin: Option<&SignInFacts>,
    ranges: &crate::netblocks::RangeTable,
) -> Option<String> {
    use crate::netblocks::Lookup;
    let caller = op.caller_ip()?;
    let Lookup::Hosting(l) = ranges.lookup(caller) else {
        return None;
    };
    let elsewhere: Vec<String> = [("issuing sign-in", issuer), ("session origin", origin)]
        .into_iter()
        .filter_map(|(role, s)| {
            let ip = s?.ip.as_deref()?;
            (ranges.lookup(ip) == Lookup::NotHosting).then(|| format!("the {role} came from {ip}"))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if elsewhere.is_empty() {
        return None;
    }
    Some(format!(
        "hosting_ip_for_user_token: a user token called ARM from {caller}, which belongs to {} ({}), but {}",
        l.provider,
        l.tag,
        elsewhere.join(" and ")
    ))
}
