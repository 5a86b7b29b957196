//! Recognising content: what kind of stream a file is, and what schema a record has.
//!
//! Both decisions look at content only. Records are classified one by one, so a file that
//! mixes categories (as diagnostic exports and test corpora do) is read correctly.

use crate::fields::Fields;
use serde::Serialize;

/// The framing a stream needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    Json,
    /// Delimited text with a header row (`,`, `;` or tab); PowerShell `#TYPE` line allowed.
    Csv,
    /// PowerShell formatted-list text (`Name : value` blocks).
    PsList,
}

/// Decides the stream kind from its first bytes (after decoding).
pub fn sniff_stream(head: &[u8]) -> Option<StreamKind> {
    // JSON, decided on bytes (the same test as below, without decoding the whole head).
    let mut rest = head;
    loop {
        match rest {
            [b' ' | b'\t' | b'\r' | b'\n' | 0, tail @ ..] | [0xEF, 0xBB, 0xBF, tail @ ..] => {
                rest = tail
            }
            [b'[' | b'{', ..] => return Some(StreamKind::Json),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n', '\0']);
    match t.chars().next()? {
        '[' | '{' => return Some(StreamKind::Json),
        _ => {}
    }
    let first_line = t.lines().next().unwrap_or("");
    if first_line.starts_with("#TYPE ") {
        return Some(StreamKind::Csv);
    }
    if looks_like_ps_list(t) {
        return Some(StreamKind::PsList);
    }
    let delims = [',', ';', '\t'];
    if delims.iter().any(|d| first_line.matches(*d).count() >= 2) {
        return Some(StreamKind::Csv);
    }
    if delims.iter().any(|&d| two_column_header(t, d)) {
        return Some(StreamKind::Csv);
    }
    None
}

/// A table of two columns (`EventTimestamp,OperationName`, say, cut down from an export):
/// a first line of two names split by `d`, and a next line with `d` in it too. Names are
/// letters, digits, `_`, `.`, spaces and the brackets of `TimeGenerated [UTC]`, optionally
/// quoted.
fn two_column_header(t: &str, d: char) -> bool {
    let mut lines = t.lines().filter(|l| !l.trim().is_empty());
    let (Some(head), Some(next)) = (lines.next(), lines.next()) else {
        return false;
    };
    let name = |c: &str| {
        let c = c.trim().trim_matches('"');
        c.chars().next().is_some_and(char::is_alphabetic)
            && c.chars()
                .all(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '.' | ' ' | '[' | ']'))
    };
    head.matches(d).count() == 1 && head.split(d).all(name) && next.contains(d)
}

/// PowerShell formatted-list text: the first non-blank line is `Name<pad> :` (a value
/// may follow, or may be nested on the next, indented lines), and at least two of the
/// first lines at column 0 have that shape (a leading `WARNING:` line is allowed).
/// Indented lines are nested values or wraps.
fn looks_like_ps_list(t: &str) -> bool {
    let is_key = |l: &str| {
        l.split_once(" :").is_some_and(|(k, rest)| {
            let k = k.trim_end();
            !k.is_empty()
                && k.len() <= 100
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && (rest.is_empty() || rest.starts_with(' '))
        })
    };
    let mut keys = 0;
    for (i, l) in t
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(60)
        .enumerate()
    {
        if l.starts_with(char::is_whitespace) {
            if i == 0 {
                return false;
            }
            continue;
        }
        let k = is_key(l);
        // PowerShell may have written a warning (`3>&1`) before the first record.
        let warning = ["WARNING:", "VERBOSE:"].iter().any(|w| l.starts_with(w));
        if i == 0 && !k && !warning {
            return false;
        }
        keys += usize::from(k);
    }
    keys >= 2
}

/// The schema of one JSON record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Schema {
    /// REST / portal JSON / `az monitor activity-log list` (camelCase, LocalizableStrings).
    ActivityRest,
    /// azure-mgmt-monitor `EventData.as_dict()` (snake_case).
    ActivitySdk,
    /// Diagnostic-settings record (storage `PT1H.json`, Event Hub).
    ActivityDiagnostic,
    /// Log Analytics `AzureActivity` row.
    ActivityLogAnalytics,
    SignInGraph,
    SignInDiagnostic,
    SignInLogAnalytics,
    /// A row of an Entra admin-center CSV download (interactive, non-interactive,
    /// application or managed-identity file).
    SignInPortalCsv,
    /// A row of an admin-center "authentication details only" CSV companion.
    SignInAuthDetailsCsv,
    AuditGraph,
    AuditDiagnostic,
    AuditLogAnalytics,
}

impl Schema {
    pub fn label(self) -> &'static str {
        match self {
            Schema::ActivityRest => "activity/rest",
            Schema::ActivitySdk => "activity/python-sdk",
            Schema::ActivityDiagnostic => "activity/diagnostic",
            Schema::ActivityLogAnalytics => "activity/log-analytics",
            Schema::SignInGraph => "signin/graph",
            Schema::SignInDiagnostic => "signin/diagnostic",
            Schema::SignInLogAnalytics => "signin/log-analytics",
            Schema::SignInPortalCsv => "signin/portal-csv",
            Schema::SignInAuthDetailsCsv => "signin/portal-authdetails-csv",
            Schema::AuditGraph => "audit/graph",
            Schema::AuditDiagnostic => "audit/diagnostic",
            Schema::AuditLogAnalytics => "audit/log-analytics",
        }
    }
}

/// Activity Log categories in diagnostic-settings records (and legacy log profiles).
pub const ACTIVITY_CATEGORIES: &[&str] = &[
    "administrative",
    "servicehealth",
    "resourcehealth",
    "alert",
    "autoscale",
    "recommendation",
    "security",
    "policy",
    "write",
    "delete",
    "action",
];

/// Entra sign-in categories in diagnostic-settings records.
pub const SIGNIN_CATEGORIES: &[&str] = &[
    "signinlogs",
    "noninteractiveusersigninlogs",
    "serviceprincipalsigninlogs",
    "managedidentitysigninlogs",
    "microsoftserviceprincipalsigninlogs",
    "adfssigninlogs",
];

/// Log Analytics sign-in table names.
pub const SIGNIN_TABLES: &[&str] = &[
    "signinlogs",
    "aadnoninteractiveusersigninlogs",
    "aadserviceprincipalsigninlogs",
    "aadmanagedidentitysigninlogs",
    "adfssigninlogs",
];

/// Other Entra / Azure log types met in the same exports, named in skip reasons.
const OTHER_TYPES: &[(&str, &str)] = &[
    ("riskyusers", "an Entra ID Protection risky-user record"),
    ("userriskevents", "an Entra ID Protection risk detection"),
    (
        "riskyserviceprincipals",
        "an Entra ID Protection risky service principal record",
    ),
    (
        "serviceprincipalriskevents",
        "an Entra ID Protection service principal risk detection",
    ),
    (
        "aaduserriskevents",
        "an Entra ID Protection risk detection (Log Analytics)",
    ),
    (
        "aadriskyusers",
        "an Entra ID Protection risky-user row (Log Analytics)",
    ),
    (
        "azureadgraphactivitylogs",
        "an Azure AD Graph API activity log record",
    ),
    (
        "microsoftgraphactivitylogs",
        "a Microsoft Graph API activity log record",
    ),
    (
        "officeactivity",
        "a Microsoft 365 unified audit log row (OfficeActivity)",
    ),
    ("provisioninglogs", "an Entra provisioning log record"),
    ("aadprovisioninglogs", "an Entra provisioning log row"),
    (
        "networkaccesstrafficlogs",
        "a Global Secure Access traffic log record",
    ),
    ("b2crequestlogs", "an Azure AD B2C request log record"),
    (
        "enrichedoffice365auditlogs",
        "an enriched Microsoft 365 audit log record",
    ),
];

/// The reason for a record of a known other log type, or a category/type that is not ours.
fn other_type(f: &Fields<'_>) -> Option<String> {
    let name = f.str(&["category"]).or_else(|| f.str(&["type"]))?;
    let l = name.to_ascii_lowercase();
    let what = OTHER_TYPES
        .iter()
        .find(|(k, _)| *k == l)
        .map(|(_, d)| format!("{d} ({name})"))
        .unwrap_or_else(|| format!("a record of category/type \"{name}\""));
    Some(format!(
        "{what}: not an Activity Log, sign-in or audit record"
    ))
}

/// Classifies a JSON object. `Err` says why it is none of the supported records.
pub fn classify(f: &Fields<'_>) -> Result<Schema, String> {
    let ty = f.str(&["type"]).map(|t| t.to_ascii_lowercase());
    match ty.as_deref() {
        Some("azureactivity") => return Ok(Schema::ActivityLogAnalytics),
        Some("auditlogs") => return Ok(Schema::AuditLogAnalytics),
        Some(t) if SIGNIN_TABLES.contains(&t) => return Ok(Schema::SignInLogAnalytics),
        Some(t) if OTHER_TYPES.iter().any(|(k, _)| *k == t) => {
            return Err(other_type(f).unwrap_or_default())
        }
        _ => {}
    }
    // Entra admin-center CSV downloads (row maps from the CSV framer).
    if f.has(&["requestid"]) && f.has(&["date(utc)", "date"]) {
        let main = f.has(&[
            "username",
            "userid",
            "application",
            "applicationid",
            "serviceprincipalid",
            "managedidentitytype",
        ]);
        if !main
            && f.has(&[
                "authenticationmethod",
                "authenticationmethoddetail",
                "succeeded",
            ])
        {
            return Ok(Schema::SignInAuthDetailsCsv);
        }
        return Ok(Schema::SignInPortalCsv);
    }
    if f.has(&["operationnamevalue", "categoryvalue", "activitystatusvalue"])
        || (f.has(&["activitystatus"]) && f.has(&["caller"]))
    {
        return Ok(Schema::ActivityLogAnalytics);
    }
    if f.has(&["eventdataid", "eventtimestamp"]) && !f.has(&["time"]) {
        // snake_case keys normalize the same way; tell them apart by a raw key.
        return Ok(Schema::ActivityRest);
    }
    // Diagnostic-settings envelope: time + category (+ operationName).
    if f.has(&["time"]) && f.has(&["category"]) {
        let cat = f
            .str(&["category"])
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ACTIVITY_CATEGORIES.contains(&cat.as_str()) {
            return Ok(Schema::ActivityDiagnostic);
        }
        if SIGNIN_CATEGORIES.contains(&cat.as_str()) {
            return Ok(Schema::SignInDiagnostic);
        }
        if cat == "auditlogs" {
            return Ok(Schema::AuditDiagnostic);
        }
        return Err(other_type(f).unwrap_or_default());
    }
    if f.has(&["activitydisplayname"])
        && f.has(&["initiatedby", "targetresources", "activitydatetime"])
    {
        // Graph directoryAudits are camelCase; LA AuditLogs carry TimeGenerated.
        return Ok(if f.has(&["timegenerated"]) {
            Schema::AuditLogAnalytics
        } else {
            Schema::AuditGraph
        });
    }
    if f.has(&["createddatetime"])
        && f.has(&[
            "userprincipalname",
            "appid",
            "serviceprincipalid",
            "ipaddress",
        ])
    {
        return Ok(if f.has(&["timegenerated"]) {
            Schema::SignInLogAnalytics
        } else {
            Schema::SignInGraph
        });
    }
    if f.has(&["timegenerated"])
        && f.has(&["resulttype"])
        && f.has(&["appid", "appdisplayname", "serviceprincipalid"])
    {
        return Ok(Schema::SignInLogAnalytics);
    }
    if f.has(&["timegenerated"]) && f.has(&["activitydisplayname"]) {
        return Ok(Schema::AuditLogAnalytics);
    }
    if let Some(reason) = other_type(f) {
        return Err(reason);
    }
    Err("not an Activity Log, sign-in or audit record: no recognised fields".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: serde_json::Value) -> Result<Schema, String> {
        classify(&Fields::new(v.as_object().unwrap()))
    }

    #[test]
    fn sniffs() {
        assert_eq!(sniff_stream(b"  [{}]"), Some(StreamKind::Json));
        assert_eq!(
            sniff_stream(b"#TYPE Microsoft.Azure.Commands.Insights.OutputClasses.PSEventData\n"),
            Some(StreamKind::Csv)
        );
        assert_eq!(sniff_stream(b"\"A\";\"B\";\"C\"\n"), Some(StreamKind::Csv));
        assert_eq!(
            sniff_stream(b"\r\nAuthorization        : \nCaller               : x\n"),
            Some(StreamKind::PsList)
        );
        assert_eq!(
            sniff_stream(
                b"\r\n\r\nAuthorization        :\r\n                       Scope     : /subscriptions/s\r\n                       Action    : x\r\nCaller               : a@b.c\r\n"
            ),
            Some(StreamKind::PsList)
        );
        assert_eq!(
            sniff_stream(b"WARNING: Upcoming breaking changes\r\n\r\nCaller : a\r\nLevel  : Informational\r\n"),
            Some(StreamKind::PsList)
        );
        assert_eq!(sniff_stream(b"WARNING: x\nhello\n"), None);
        assert_eq!(sniff_stream(b"hello"), None);
        // Two columns: a header of two names and a row.
        assert_eq!(
            sniff_stream(b"EventTimestamp,OperationName\n2024-06-10T06:13:45Z,x/write\n"),
            Some(StreamKind::Csv)
        );
        assert_eq!(
            sniff_stream(b"\"TimeGenerated [UTC]\";\"Caller\"\r\n\"10.06.2024\";\"a\"\r\n"),
            Some(StreamKind::Csv)
        );
        assert_eq!(sniff_stream(b"hello, world\nthis is text\n"), None);
        assert_eq!(sniff_stream(b"EventTimestamp,OperationName\n"), None);
    }

    #[test]
    fn classifies() {
        assert_eq!(
            c(json!({"eventDataId":"x","operationName":{"value":"a"}})),
            Ok(Schema::ActivityRest)
        );
        assert_eq!(
            c(json!({"event_data_id":"x","event_timestamp":"t"})),
            Ok(Schema::ActivityRest)
        );
        assert_eq!(
            c(json!({"time":"t","category":"Administrative","operationName":"x"})),
            Ok(Schema::ActivityDiagnostic)
        );
        assert_eq!(
            c(json!({"time":"t","category":"NonInteractiveUserSignInLogs"})),
            Ok(Schema::SignInDiagnostic)
        );
        assert_eq!(
            c(json!({"OperationNameValue":"x","Type":"AzureActivity"})),
            Ok(Schema::ActivityLogAnalytics)
        );
        assert!(c(json!({"time":"t","category":"RiskyUsers"}))
            .unwrap_err()
            .contains("RiskyUsers"));
        assert!(c(json!({"foo":1})).is_err());
    }

    #[test]
    fn classifies_entra_shapes() {
        assert_eq!(
            c(json!({"Request ID":"r","Date (UTC)":"t","Username":"u"})),
            Ok(Schema::SignInPortalCsv)
        );
        assert_eq!(
            c(json!({"Request ID":"r","Date (UTC)":"t","Service principal ID":"s"})),
            Ok(Schema::SignInPortalCsv)
        );
        assert_eq!(
            c(
                json!({"Request ID":"r","Date (UTC)":"t","Authentication method":"Password","Succeeded":"true"})
            ),
            Ok(Schema::SignInAuthDetailsCsv)
        );
        assert_eq!(
            c(json!({"Type":"AADManagedIdentitySignInLogs","TimeGenerated":"t"})),
            Ok(Schema::SignInLogAnalytics)
        );
        assert_eq!(
            c(json!({"id":"x","createdDateTime":"t","userPrincipalName":"u"})),
            Ok(Schema::SignInGraph)
        );
        assert_eq!(
            c(json!({"id":"x","activityDateTime":"t","activityDisplayName":"a","initiatedBy":{}})),
            Ok(Schema::AuditGraph)
        );
        assert_eq!(
            c(json!({"time":"t","category":"AuditLogs"})),
            Ok(Schema::AuditDiagnostic)
        );
        assert_eq!(
            c(json!({"time":"t","category":"ManagedIdentitySignInLogs"})),
            Ok(Schema::SignInDiagnostic)
        );
        let e = c(json!({"category":"AzureADGraphActivityLogs","operationName":"x"})).unwrap_err();
        assert!(e.contains("Azure AD Graph API activity log"), "{e}");
        let e = c(json!({"Type":"OfficeActivity","TimeGenerated":"t"})).unwrap_err();
        assert!(e.contains("OfficeActivity"), "{e}");
        let e = c(json!({"time":"t","category":"UserRiskEvents"})).unwrap_err();
        assert!(e.contains("risk detection"), "{e}");
    }
}
