//! Entra admin-center CSV downloads (Sign-in logs → Download → CSV): interactive,
//! non-interactive, application (service principal) and managed-identity files, and the
//! "authentication details only" companions. formats.md §5.6.
//!
//! The CSV framer hands each row over as a map of text cells whose header names are
//! trimmed and whitespace-collapsed (`Application ID ` → `Application ID`,
//! `Autonomous system  number` → `Autonomous system number`), with a ` [UTC]` suffix
//! stripped and a repeated header renamed `Name (2)` (`Incoming token type (2)`).
//! Values: `Date (UTC)` ISO UTC, `Location` = `City, State, CC` (split from the right),
//! `Status` = `Success` / `Failure` / `Interrupted`.

use super::build::{auth_detail_from, ensure_id, fill, mfa_satisfied, non_default, norm_id};
use crate::fields::{value_bool, Fields};
use serde_json::{Map, Value};
use tokentrail_model::signin::{AuthDetailRecord, Device, GeoLocation, ManagedIdentity};
use tokentrail_model::time::parse_time;
use tokentrail_model::{Provenance, SignIn, SignInKind};

/// Normalizes one row of a portal sign-in CSV.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<SignIn, String> {
    let f = Fields::new(map);
    let raw = f
        .str(&["date(utc)", "date", "createddatetime"])
        .ok_or("no Date (UTC)")?;
    let time = parse_time(&raw).ok_or_else(|| format!("unparseable Date (UTC): {raw:?}"))?;
    let kind = file_kind(&f, &source.file);
    let mut s = SignIn::new(time, kind.0, source);
    if let Some(n) = kind.1 {
        s.notes.push(n);
    }
    fill(&f, &mut s);
    s.format = format!("portal-csv/{}", s.kind.label());

    // Status text and error code.
    if let Some(st) = f.str(&["status"]) {
        let l = st.to_ascii_lowercase();
        let ok = match l.as_str() {
            "success" | "succeeded" => Some(true),
            "failure" | "failed" | "interrupted" => Some(false),
            _ => None,
        };
        s.status.success = ok.or(s.status.success);
        s.status.text = Some(st);
    }

    if let Some(loc) = f.str(&["location"]) {
        s.client.location = split_location(&loc);
    }

    s.device = non_default(Device {
        id: f.str(&["deviceid"]).map(|x| norm_id(&x)),
        display_name: None,
        operating_system: f.str(&["operatingsystem"]),
        browser: f.str(&["browser"]),
        is_compliant: f.get(&["compliant"]).and_then(value_bool),
        is_managed: f.get(&["managed"]).and_then(value_bool),
        trust_type: f.str(&["jointype"]),
    })
    .or(s.device.take());

    if let Some(m) = f.str(&["multifactorauthenticationauthmethod"]) {
        if !s.authentication.methods.contains(&m) {
            s.authentication.methods.push(m);
        }
    }
    s.conditional_access.status = f
        .str(&["conditionalaccess"])
        .or(s.conditional_access.status.take());

    let mi = ManagedIdentity {
        msi_type: f
            .str(&["managedidentitytype"])
            .filter(|t| !t.eq_ignore_ascii_case("none")),
        associated_resource_id: f.str(&["associatedresourceid"]),
        federated_token_id: f.str(&["federatedtokenid"]),
        federated_token_issuer: f.str(&["federatedtokenissuer"]),
    };
    s.managed_identity = non_default(mi).or(s.managed_identity.take());

    // `Incoming token type` appears twice in the user files; keep the first and say so
    // when the second disagrees.
    if let (Some(a), Some(b)) = (
        f.str(&["incomingtokentype"]),
        f.str(&["incomingtokentype(2)"]),
    ) {
        if a != b {
            s.notes.push(format!(
                "the two `Incoming token type` columns disagree ({a:?} vs {b:?}); first kept"
            ));
        }
    } else if s.incoming_token_type.is_none() {
        s.incoming_token_type = f.str(&["incomingtokentype(2)"]);
    }

    s.authentication.mfa_satisfied = match f.str(&["multifactorauthenticationresult"]) {
        Some(r) => mfa_result(&r).or_else(|| mfa_satisfied(&s)),
        None => mfa_satisfied(&s),
    };
    ensure_id(&mut s);
    Ok(s)
}

/// The portal's "Multifactor authentication result" text as a yes/no.
fn mfa_result(r: &str) -> Option<bool> {
    let l = r.to_ascii_lowercase();
    if l.contains("fail") || l.contains("denied") || l.contains("not ") {
        Some(false)
    } else if l.contains("satisf") || l.contains("success") || l.contains("completed") {
        Some(true)
    } else {
        None
    }
}

/// The kind of a portal file: from its fingerprint headers, then its file name.
fn file_kind(f: &Fields<'_>, file: &str) -> (SignInKind, Option<String>) {
    let name = file
        .rsplit(['/', '\\', '!'])
        .next()
        .unwrap_or(file)
        .to_ascii_lowercase();
    let mi_value = f
        .str(&["managedidentitytype"])
        .is_some_and(|t| !t.eq_ignore_ascii_case("none"));
    if name.starts_with("msisignins") || (f.has(&["serviceprincipalid"]) && mi_value) {
        return (SignInKind::ManagedIdentity, None);
    }
    if f.has(&["serviceprincipalid"]) && !f.has(&["username"]) {
        return (SignInKind::ServicePrincipal, None);
    }
    if name.contains("noninteractive") {
        (SignInKind::NonInteractive, None)
    } else if name.contains("interactive") {
        (SignInKind::Interactive, None)
    } else {
        (
            SignInKind::Unknown,
            Some(
                "portal user sign-in file: interactive and non-interactive files have the same \
                 columns and the file name does not say which"
                    .into(),
            ),
        )
    }
}

/// Splits `City, State, CC` from the right: the last part is the country, the one before
/// it the state, the rest (which may contain commas) the city.
pub fn split_location(s: &str) -> Option<GeoLocation> {
    let mut parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let country = parts.pop().filter(|p| !p.is_empty()).map(str::to_string);
    let state = if parts.is_empty() {
        None
    } else {
        parts.pop().filter(|p| !p.is_empty()).map(str::to_string)
    };
    let city = Some(parts.join(", ")).filter(|c| !c.is_empty());
    non_default(GeoLocation {
        city,
        state,
        country,
        latitude: None,
        longitude: None,
    })
}

/// Normalizes one row of an AuthDetails companion file.
pub fn auth_detail(
    map: &Map<String, Value>,
    source: Provenance,
) -> Result<AuthDetailRecord, String> {
    let f = Fields::new(map);
    let id = f.str(&["requestid"]).ok_or("no Request ID")?;
    Ok(AuthDetailRecord {
        request_id: norm_id(&id),
        detail: auth_detail_from(map),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn prov(file: &str) -> Provenance {
        Provenance {
            file: Arc::from(file),
            record: 0,
            line: Some(2),
            offset: Some(10),
        }
    }

    #[test]
    fn location_split_from_right() {
        let l = split_location("Washington, D.C., District of Columbia, US").unwrap();
        assert_eq!(l.city.as_deref(), Some("Washington, D.C."));
        assert_eq!(l.state.as_deref(), Some("District of Columbia"));
        assert_eq!(l.country.as_deref(), Some("US"));
        let l = split_location("GB").unwrap();
        assert_eq!(l.country.as_deref(), Some("GB"));
        assert!(l.city.is_none());
        assert!(split_location(" , , ").is_none());
    }

    #[test]
    fn service_principal_row() {
        let v = json!({"Date (UTC)":"2025-12-04T08:19:41Z","Request ID":"a08869a8-3b15-46e4-8de3-273849e60100",
            "Service principal ID":"66666666-7777-8888-9999-000000000000","Service principal name":"deploy",
            "Credential key ID":"k-1","Application ID":"11111111-2222-3333-4444-555555555555",
            "Status":"Failure","Sign-in error code":"7000215","Location":"Dublin, Dublin, IE"});
        let s = normalize(v.as_object().unwrap(), prov("ApplicationSignIns_2025.csv")).unwrap();
        assert_eq!(s.kind, SignInKind::ServicePrincipal);
        assert_eq!(s.status.error_code, Some(7000215));
        assert_eq!(s.status.success, Some(false));
        assert_eq!(
            s.credential.as_ref().unwrap().key_id.as_deref(),
            Some("k-1")
        );
        assert_eq!(
            s.client.location.as_ref().unwrap().country.as_deref(),
            Some("IE")
        );
    }
}
