//! Caller classification: user, service principal, managed identity, Azure platform, or
//! unknown, from the token claims, the caller's shape, the category, well-known app ids and
//! the matched sign-in (formats.md §7.4).

use crate::operations::Operation;
use crate::signins::{Kind, SignInFacts};
use serde::Serialize;
use tokentrail_model::Guid;

/// The kind of identity behind an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityType {
    User,
    ServicePrincipal,
    ManagedIdentity,
    AzurePlatform,
    Unknown,
}

impl IdentityType {
    pub fn label(self) -> &'static str {
        match self {
            IdentityType::User => "user",
            IdentityType::ServicePrincipal => "service principal",
            IdentityType::ManagedIdentity => "managed identity",
            IdentityType::AzurePlatform => "Azure platform",
            IdentityType::Unknown => "unknown identity",
        }
    }
}

/// Who acted, as the output contract names it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Hash)]
pub struct Identity {
    #[serde(rename = "type")]
    pub kind: IdentityType,
    pub upn: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
    pub display: String,
    /// For a managed identity: the ARM resource it belongs to (`xms_mirid`).
    pub managed_identity_resource: Option<String>,
    /// `system_assigned` or `user_assigned` for managed identities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_identity_kind: Option<&'static str>,
    /// Set when the token came from another tenant, or the user is a guest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_tenant: Option<String>,
    /// The evidence behind the classification.
    pub evidence: Vec<String>,
}

const POLICY_APP: &str = "1d78a85d-813d-46f0-b496-dd72f50a3ec0";
const PLATFORM_CATEGORIES: &[&str] = &[
    "servicehealth",
    "resourcehealth",
    "recommendation",
    "autoscale",
    "alert",
    "security",
];

fn lower(s: Option<&str>) -> Option<String> {
    s.map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

/// Classifies the identity behind `op`, using the matched sign-in when there is one.
pub fn classify(op: &Operation, signin: Option<&SignInFacts>) -> Identity {
    let c = op.claims();
    let caller = op.caller().map(str::trim).filter(|s| !s.is_empty());
    let category = op
        .category()
        .unwrap_or("")
        .replace(' ', "")
        .to_ascii_lowercase();
    let appid = lower(c.appid());
    let oid = lower(c.oid()).or_else(|| {
        caller
            .filter(|x| Guid::parse(x).is_some())
            .map(|x| x.to_ascii_lowercase())
    });
    let upn = c
        .upn()
        .map(str::to_string)
        .or_else(|| caller.filter(|x| x.contains('@')).map(str::to_string));
    let mirid = c.xms_mirid().map(str::to_string);
    let mut ev = Vec::new();
    let mut kind = IdentityType::Unknown;

    let caller_is_provider = caller.is_some_and(|x| {
        x.contains('/') && !x.contains('@') && x.to_ascii_lowercase().starts_with("microsoft.")
    });
    if let Some(m) = &mirid {
        kind = IdentityType::ManagedIdentity;
        ev.push(format!("token carries xms_mirid {m}"));
    } else if appid.as_deref() == Some(POLICY_APP) || (category == "policy" && c.is_empty()) {
        kind = IdentityType::AzurePlatform;
        ev.push(
            "Azure Policy (app 1d78a85d-813d-46f0-b496-dd72f50a3ec0 or Policy category)".into(),
        );
    } else if c.is_empty() && (PLATFORM_CATEGORIES.contains(&category.as_str()) || caller.is_none())
    {
        kind = IdentityType::AzurePlatform;
        ev.push(format!(
            "no token claims; category {}",
            op.category().unwrap_or("(none)")
        ));
    } else if caller_is_provider || (c.get("spn").is_some() && c.oid().is_none()) {
        kind = IdentityType::AzurePlatform;
        ev.push(format!(
            "caller is an Azure resource provider ({})",
            caller.unwrap_or("spn claim")
        ));
    } else if c.idtyp() == Some("app") {
        kind = IdentityType::ServicePrincipal;
        ev.push("token idtyp=app (app-only token)".into());
    } else if c.upn().is_some() || c.get("scp").is_some() || c.idtyp() == Some("user") {
        kind = IdentityType::User;
        ev.push(if c.upn().is_some() {
            "token carries a UPN".into()
        } else {
            "delegated token (scp / idtyp=user)".into()
        });
    } else if upn.is_some() {
        kind = IdentityType::User;
        ev.push("caller is a UPN".into());
    } else if !c.is_empty() && c.upn().is_none() && matches!(c.appidacr(), Some("1") | Some("2")) {
        kind = IdentityType::ServicePrincipal;
        ev.push(format!(
            "no UPN and confidential-client token (appidacr={})",
            c.appidacr().unwrap_or("")
        ));
    } else if caller.is_some_and(|x| Guid::parse(x).is_some()) {
        kind = IdentityType::ServicePrincipal;
        ev.push("caller is an object id GUID with no user claims".into());
    }
    // The sign-in's kind refines an app-only token.
    if let Some(s) = signin {
        match (kind, s.kind()) {
            (IdentityType::ServicePrincipal | IdentityType::Unknown, Kind::ManagedIdentity) => {
                kind = IdentityType::ManagedIdentity;
                ev.push("matched sign-in is a managed-identity sign-in".into());
            }
            (IdentityType::Unknown, Kind::ServicePrincipal) => {
                kind = IdentityType::ServicePrincipal;
                ev.push("matched sign-in is a service-principal sign-in".into());
            }
            (IdentityType::Unknown, Kind::Interactive | Kind::NonInteractive) => {
                kind = IdentityType::User;
                ev.push("matched sign-in is a user sign-in".into());
            }
            _ => {}
        }
    }
    let mi_resource = mirid
        .clone()
        .or_else(|| signin.and_then(|s| s.msi_resource_id.as_deref().map(str::to_string)));
    let mi_kind = (kind == IdentityType::ManagedIdentity).then(|| match &mi_resource {
        Some(r)
            if r.to_ascii_lowercase()
                .contains("/microsoft.managedidentity/userassignedidentities/") =>
        {
            "user_assigned"
        }
        Some(_) => "system_assigned",
        None => "unknown",
    });
    let tenant = op.tenant_id().map(str::to_ascii_lowercase);
    let token_tid = lower(c.tid());
    let mut cross = None;
    if let (Some(t), Some(tt)) = (&tenant, &token_tid) {
        if t != tt {
            cross = Some(format!(
                "token tenant {tt} differs from the subscription's tenant {t}"
            ));
        }
    }
    if cross.is_none() {
        if let (Some(idp), Some(iss)) = (c.get("idp"), c.iss()) {
            if kind == IdentityType::User
                && !idp.eq_ignore_ascii_case(iss)
                && idp.starts_with("http")
            {
                cross = Some(format!(
                    "user authenticated at another identity provider ({idp}): guest or B2B"
                ));
            }
        }
    }
    if cross.is_none()
        && upn
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().contains("#ext#"))
    {
        cross = Some("guest account (#EXT# UPN)".into());
    }
    let display = match kind {
        IdentityType::User => upn
            .clone()
            .or_else(|| oid.clone())
            .unwrap_or_else(|| "unknown user".into()),
        IdentityType::ManagedIdentity => mi_resource
            .as_deref()
            .and_then(|r| r.rsplit('/').next())
            .map(|n| format!("managed identity {n}"))
            .or_else(|| oid.clone())
            .unwrap_or_else(|| "managed identity".into()),
        IdentityType::ServicePrincipal => signin
            .and_then(|s| s.app_name.clone())
            .map(|n| format!("service principal {n}"))
            .or_else(|| {
                appid
                    .as_ref()
                    .map(|a| format!("service principal (app {a})"))
            })
            .or_else(|| oid.clone())
            .unwrap_or_else(|| "service principal".into()),
        IdentityType::AzurePlatform => caller
            .map(str::to_string)
            .unwrap_or_else(|| "Azure platform".into()),
        IdentityType::Unknown => caller
            .map(str::to_string)
            .unwrap_or_else(|| "unknown".into()),
    };
    Identity {
        kind,
        upn: if kind == IdentityType::User {
            upn
        } else {
            None
        },
        object_id: oid,
        app_id: appid,
        display,
        managed_identity_resource: if kind == IdentityType::ManagedIdentity {
            mi_resource
        } else {
            None
        },
        managed_identity_kind: mi_kind,
        cross_tenant: cross,
        evidence: ev,
    }
}
