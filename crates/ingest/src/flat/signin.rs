//! Fast paths for sign-ins: diagnostic-settings records (`PT1H.json`, Event Hub `records`)
//! and Graph v1.0/beta `signIn` objects, both read by the shared builders in
//! [`crate::signin`] over a [`Flat`].

use super::{FieldSrc, Flat, Nested, Shape};
use crate::detect::{Schema, SIGNIN_CATEGORIES};
use crate::signin::{diagnostic, graph};
use tokentrail_model::{Provenance, SignIn};

/// Normalized names `classify` looks up before it settles on a sign-in schema (and the
/// alternates the builders accept): present in any spelling, they send the record to the
/// generic path, which decides.
pub(crate) const CLASSIFY: &[&str] = &[
    "type",
    "requestid",
    "date(utc)",
    "date",
    "username",
    "userid",
    "application",
    "applicationid",
    "serviceprincipalid",
    "managedidentitytype",
    "authenticationmethod",
    "authenticationmethoddetail",
    "succeeded",
    "operationnamevalue",
    "categoryvalue",
    "activitystatusvalue",
    "activitystatus",
    "caller",
    "eventdataid",
    "eventtimestamp",
    "time",
    "category",
    "activitydisplayname",
    "initiatedby",
    "targetresources",
    "activitydatetime",
    "createddatetime",
    "userprincipalname",
    "appid",
    "ipaddress",
    "timegenerated",
    "resulttype",
];

/// Every normalized name `signin::build::fill`, `infer_kind`, `diagnostic::build` (on
/// `properties`) and `graph::build` look up on a sign-in object.
const SIGNIN_READ: &[&str] = &[
    "id",
    "requestid",
    "isinteractive",
    "correlationid",
    "originalrequestid",
    "userprincipalname",
    "username",
    "userid",
    "userdisplayname",
    "user",
    "usertype",
    "appid",
    "applicationid",
    "appdisplayname",
    "application",
    "appresourceprovider",
    "resourceidentity",
    "resourceid",
    "resourcedisplayname",
    "resource",
    "serviceprincipalid",
    "serviceprincipalname",
    "ipaddress",
    "useragent",
    "clientappused",
    "clientapp",
    "autonomoussystemnumber",
    "ipaddressfromresourceprovider",
    "ipaddress(seenbyresource)",
    "locationdetails",
    "location",
    "status",
    "resulttype",
    "signinerrorcode",
    "errorcode",
    "resultdescription",
    "failurereason",
    "sessionid",
    "uniquetokenidentifier",
    "incomingtokentype",
    "originaltransfermethod",
    "authenticationprotocol",
    "authenticationrequirement",
    "authenticationdetails",
    "authenticationmethodsused",
    "mfadetail",
    "conditionalaccessstatus",
    "appliedconditionalaccesspolicies",
    "conditionalaccesspolicies",
    "devicedetail",
    "clientcredentialtype",
    "serviceprincipalcredentialkeyid",
    "credentialkeyid",
    "serviceprincipalcredentialthumbprint",
    "credentialthumbprint",
    "federatedcredentialid",
    "managedserviceidentity",
    "crosstenantaccesstype",
    "hometenantid",
    "hometenantname",
    "resourcetenantid",
    "appownertenantid",
    "aadtenantid",
    "risklevelaggregated",
    "risklevelduringsignin",
    "riskstate",
    "riskdetail",
    "riskeventtypesv2",
    "riskeventtypes",
    "tokenissuertype",
    "tokenissuername",
    "createddatetime",
    "date(utc)",
    "date",
    "signineventtypes",
    "hierarchy",
    "eventcategory",
    "entity",
    "responsebody",
];

/// The Graph / diagnostic `properties` sign-in object, Graph's camelCase spellings.
pub static SIGNIN: Shape = Shape::new(
    &[
        "id",
        "createdDateTime",
        "userDisplayName",
        "userPrincipalName",
        "userId",
        "appId",
        "appDisplayName",
        "ipAddress",
        "ipAddressFromResourceProvider",
        "clientAppUsed",
        "userAgent",
        "correlationId",
        "conditionalAccessStatus",
        "originalRequestId",
        "isInteractive",
        "tokenIssuerName",
        "tokenIssuerType",
        "clientCredentialType",
        "riskDetail",
        "riskLevelAggregated",
        // The Graph docs' examples spell it `riskLevelDuringsignIn`.
        "riskLevelDuringSignIn|riskLevelDuringsignIn",
        "riskState",
        "riskEventTypes",
        "riskEventTypes_v2",
        "resourceDisplayName",
        "resourceId",
        "resourceTenantId",
        "homeTenantId",
        "homeTenantName",
        "authenticationMethodsUsed",
        "authenticationRequirement",
        "servicePrincipalName",
        "signInEventTypes",
        "servicePrincipalId",
        "federatedCredentialId",
        "userType",
        "autonomousSystemNumber",
        "crossTenantAccessType",
        "servicePrincipalCredentialKeyId",
        "servicePrincipalCredentialThumbprint",
        "uniqueTokenIdentifier",
        "incomingTokenType",
        "authenticationProtocol",
        "sessionId",
        "originalTransferMethod",
        "status",
        "deviceDetail",
        "location",
        "appliedConditionalAccessPolicies",
        "authenticationDetails",
        "mfaDetail",
        "managedServiceIdentity",
        "appOwnerTenantId",
    ],
    super::signin_parts::NESTED,
    &[
        "processingTimeInMilliseconds",
        "signInIdentifier",
        "signInIdentifierType",
        "flaggedForReview",
        "isTenantRestricted",
        "resourceServicePrincipalId",
        "authenticationContextClassReferences",
        "authenticationProcessingDetails",
        "networkLocationDetails",
        "authenticationRequirementPolicies",
        "sessionLifetimePolicies",
        "resourceOwnerTenantId",
        "privateLinkDetails",
        "authenticationAppDeviceDetails",
        "authenticationAppPolicyEvaluationDetails",
        "appliedEventListeners",
        "conditionalAccessAudiences",
        "isThroughGlobalSecureAccess",
        "globalSecureAccessIpAddress",
        "tokenProtectionStatusDetails",
        "signInTokenProtectionStatus",
        "appTokenProtectionStatus",
        "alternateSignInName",
        "azureResourceId",
        "@odata.type",
    ],
    &[SIGNIN_READ],
);

/// The diagnostic-settings envelope around [`SIGNIN`].
pub static DIAGNOSTIC: Shape = Shape::new(
    &[
        "time",
        "category",
        "tenantId",
        "resultType",
        "resultDescription",
        "callerIpAddress",
        "correlationId",
        "identity",
        "properties",
    ],
    &[("properties", Nested::Flat(&SIGNIN))],
    &[
        "resourceId",
        "operationName",
        "operationVersion",
        "resultSignature",
        "durationMs",
        "Level",
        "location",
    ],
    &[CLASSIFY],
);

/// A diagnostic sign-in record, when it has exactly the shape the generic path reads the
/// same way (`classify` says `SignInDiagnostic`, `properties` is an object or absent).
pub fn try_diagnostic(text: &str, source: &Provenance) -> Option<(SignIn, Schema)> {
    let env = Flat::parse(text, &DIAGNOSTIC)?;
    // `classify`: `time` and `category` present, the category a sign-in one.
    if !env.has(&["time"]) {
        return None;
    }
    let category = env.str(&["category"])?.to_ascii_lowercase();
    if !SIGNIN_CATEGORIES.contains(&category.as_str()) {
        return None;
    }
    let empty;
    let (present, props) = match env.slot("properties") {
        None => {
            empty = Flat::empty(&SIGNIN);
            (None, &empty)
        }
        Some(_) => {
            let p = env.nested("properties")?;
            (Some(p), p)
        }
    };
    diagnostic::build(&env, present, props, props.is_empty(), source.clone())
        .ok()
        .map(|s| (s, Schema::SignInDiagnostic))
}

/// A Graph v1.0 / beta sign-in object, when `classify` would say `SignInGraph` and every
/// member is read the same way.
pub fn try_graph(text: &str, source: &Provenance) -> Option<(SignIn, Schema)> {
    let f = Flat::parse(text, &GRAPH)?;
    // Every name before this branch of `classify` is refused by the shape.
    if !(f.has(&["createddatetime"])
        && f.has(&[
            "userprincipalname",
            "appid",
            "serviceprincipalid",
            "ipaddress",
        ]))
    {
        return None;
    }
    graph::build(&f, source.clone())
        .ok()
        .map(|s| (s, Schema::SignInGraph))
}

/// A Graph sign-in object: [`SIGNIN`]'s members, refusing every other name `classify`
/// looks at before it reaches the Graph sign-in branch.
pub static GRAPH: Shape = Shape::new(
    SIGNIN.keys,
    SIGNIN.nested,
    SIGNIN.ignored,
    &[SIGNIN_READ, CLASSIFY],
);
