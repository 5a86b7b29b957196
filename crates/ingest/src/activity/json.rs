//! Activity Log events from JSON objects: REST / `az` / portal JSON, the Python SDK's
//! snake_case form, diagnostic-settings records, and Log Analytics `AzureActivity` rows
//! (API JSON, query-API tables, and CSV rows converted to objects).

use super::build::{
    authorization_from, claims_from, content_id, http_request_from, resolve_tenant,
};
use crate::detect::Schema;
use crate::fields::{as_object, value_text, Fields};
use serde_json::{Map, Value};
use tokentrail_model::time::{from_dotnet_ticks, parse_time};
use tokentrail_model::{
    activity::Operation, ActivityEvent, Authorization, Claims, EventTime, HttpRequest, Level,
    Provenance, ResourceRef, Status,
};

/// Normalizes one Activity Log object of the given schema.
pub fn normalize(
    map: &Map<String, Value>,
    schema: Schema,
    source: Provenance,
) -> Result<ActivityEvent, String> {
    let f = Fields::new(map);
    match schema {
        Schema::ActivityDiagnostic => diagnostic(&mut DiagFields(&f), source),
        Schema::ActivityLogAnalytics => log_analytics(&f, source),
        _ => rest(&mut RestFields(&f), source),
    }
}

/// What [`rest`] reads from a REST / `az` object. [`Fields`] serves every spelling; the
/// typed fast path ([`super::fast`]) serves the exact `az` shape without a `Value` tree.
/// Both must answer exactly alike for the same object.
pub trait RestSrc {
    /// Like [`Fields::str`].
    fn str(&self, names: &[&str]) -> Option<String>;
    /// Like [`Fields::localized`].
    fn localized(&self, names: &[&str]) -> Option<String>;
    /// `claims` as [`claims_from`] reads it (default when absent or not an object).
    fn claims(&self) -> Claims;
    /// `authorization` as [`authorization_from`] reads it.
    fn authorization(&self) -> Option<Box<Authorization>>;
    /// `httpRequest` as [`http_request_from`] reads it.
    fn http_request(&self) -> Option<Box<HttpRequest>>;
    /// `properties` as an owned map (empty when absent or not an object).
    fn take_properties(&mut self) -> Map<String, Value>;
}

/// [`RestSrc`] over the generic, case-insensitive [`Fields`] view.
pub struct RestFields<'f, 'a>(pub &'f Fields<'a>);

impl RestSrc for RestFields<'_, '_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        self.0.str(names)
    }
    fn localized(&self, names: &[&str]) -> Option<String> {
        self.0.localized(names)
    }
    fn claims(&self) -> Claims {
        self.0
            .object_ref(&["claims"])
            .map(|m| claims_from(&m))
            .unwrap_or_default()
    }
    fn authorization(&self) -> Option<Box<Authorization>> {
        self.0
            .object_ref(&["authorization"])
            .and_then(|m| authorization_from(&m))
    }
    fn http_request(&self) -> Option<Box<HttpRequest>> {
        self.0
            .object_ref(&["httprequest"])
            .and_then(|m| http_request_from(&m))
    }
    fn take_properties(&mut self) -> Map<String, Value> {
        self.0.object(&["properties"]).unwrap_or_default()
    }
}

fn time_of(raw: Option<String>, what: &str) -> Result<EventTime, String> {
    let raw = raw.ok_or_else(|| format!("no {what}"))?;
    parse_time(&raw).ok_or_else(|| format!("unparseable {what}: {raw:?}"))
}

/// An event with only its source and time set.
pub fn empty_event(source: Provenance, time: EventTime) -> ActivityEvent {
    ActivityEvent {
        event_id: String::new(),
        event_id_synthetic: false,
        correlation_id: None,
        operation_id: None,
        operation: Operation::default(),
        event_name: None,
        category: None,
        status: Status::parse(None),
        sub_status: None,
        time,
        submission_time: None,
        caller: None,
        caller_ip: None,
        claims: Default::default(),
        authorization: None,
        http_request: None,
        resource: ResourceRef::default(),
        tenant_id: None,
        level: None,
        description: None,
        duration_ms: None,
        properties: Map::new(),
        source,
        notes: Vec::new(),
    }
}

/// Sets the operation from an invariant value and/or a localized one.
pub fn set_operation(ev: &mut ActivityEvent, invariant: Option<String>, localized: Option<String>) {
    ev.operation.localized = localized.clone();
    match (invariant, localized) {
        (Some(inv), _) => ev.operation.name = inv,
        (None, Some(loc)) => match crate::activity_names::to_invariant(&loc) {
            Some(inv) => {
                ev.operation.name = inv.to_string();
                ev.operation.mapping = Some(format!(
                    "mapped from localized name {loc:?} by the built-in name table"
                ));
            }
            None if looks_invariant(&loc) => ev.operation.name = loc,
            None => {
                ev.operation.mapping = Some(format!(
                    "unmapped localized name {loc:?}: no invariant name known"
                ));
                ev.operation.name = loc;
            }
        },
        (None, None) => ev.notes.push("no operation name in the export".into()),
    }
}

/// The type name pre-3.0 Az.Monitor wrote instead of LocalizableString values.
pub const LOCALIZABLE_TYPE_NAME: &str =
    "Microsoft.Azure.Management.Monitor.Models.LocalizableString";

/// True for a .NET type name written where a value was expected (`ToString()` of an
/// object without an override).
pub fn is_type_name(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("Microsoft.Azure.") && t.contains(".Models.") && !t.contains(char::is_whitespace)
}

/// True when `s` has the shape of an invariant operation name
/// (`Microsoft.Compute/virtualMachines/write`).
pub fn looks_invariant(s: &str) -> bool {
    let t = s.trim();
    let mut segs = t.split('/');
    let ns = segs.next().unwrap_or("");
    ns.contains('.')
        && !ns.starts_with('.')
        && segs.count() >= 1
        && !t.contains(char::is_whitespace)
        && !t.ends_with('/')
}

/// Sets the operation of an event whose export carries only a display (localized) name,
/// a pre-3.0 type name, or nothing. `properties.message` (the invariant operation ARM
/// logged, for Administrative and Policy events) wins over the built-in name table; the
/// way the name was obtained goes to `operation.mapping`. Call after `properties` is set.
pub fn set_operation_from_display(ev: &mut ActivityEvent, display: Option<String>) {
    let message = ev
        .property("message")
        .and_then(value_text)
        .filter(|m| looks_invariant(m));
    let display = display.filter(|d| !d.trim().is_empty());
    match display {
        Some(d) if is_type_name(&d) => {
            ev.notes.push(format!(
                "operation name not in the export: pre-3.0 Az.Monitor wrote the type name {d}"
            ));
            match message {
                Some(m) => {
                    ev.operation.name = m;
                    ev.operation.mapping = Some(
                        "taken from properties.message: the export holds only a type name".into(),
                    );
                }
                None => {
                    ev.operation.name = String::new();
                    ev.operation.mapping = Some(format!(
                        "unknown: the export holds only the type name {d} (Az.Monitor < 3.0)"
                    ));
                }
            }
        }
        Some(d) if looks_invariant(&d) => set_operation(ev, Some(d), None),
        Some(d) => match message {
            Some(m) => {
                ev.operation.localized = Some(d.clone());
                ev.operation.name = m;
                ev.operation.mapping = Some(format!(
                    "taken from properties.message; the export has only the localized name {d:?}"
                ));
            }
            None => set_operation(ev, None, Some(d)),
        },
        None => match message {
            Some(m) => {
                ev.operation.name = m;
                ev.operation.mapping =
                    Some("taken from properties.message; the export has no operation name".into());
            }
            None => set_operation(ev, None, None),
        },
    }
}

/// Finishes an event: ids, tenant, caller fallback.
pub fn finish(
    mut ev: ActivityEvent,
    event_id: Option<String>,
    tenant: Option<String>,
) -> ActivityEvent {
    ev.tenant_id = resolve_tenant(tenant, &ev);
    if ev.caller.is_none() {
        let derived = ev
            .claims
            .upn()
            .or_else(|| ev.claims.oid())
            .or_else(|| ev.claims.get("spn"))
            .map(str::to_string);
        if derived.is_some() {
            ev.notes.push("caller derived from the token claims".into());
        }
        ev.caller = derived;
    }
    match event_id {
        Some(id) => ev.event_id = id.to_ascii_lowercase(),
        None => {
            ev.event_id = content_id(&ev);
            ev.event_id_synthetic = true;
        }
    }
    ev
}

fn resource_from(str: impl Fn(&[&str]) -> Option<String>, id_keys: &[&str]) -> ResourceRef {
    let f = Str(str);
    let mut r = f
        .str(id_keys)
        .map(|id| ResourceRef::parse(&id))
        .unwrap_or_default();
    r.fill_from(ResourceRef {
        id: None,
        subscription_id: f.str(&["subscriptionid"]),
        resource_group: f.str(&["resourcegroupname", "resourcegroup"]),
        provider: f.str(&[
            "resourceprovidername",
            "resourceprovidervalue",
            "resourceprovider",
        ]),
        resource_type: f.str(&["resourcetype"]),
        name: f.str(&["resource"]).filter(|_| r.name.is_none()),
    });
    r
}

/// A string lookup as a value with a `str` method.
struct Str<F>(F);

impl<F: Fn(&[&str]) -> Option<String>> Str<F> {
    fn str(&self, names: &[&str]) -> Option<String> {
        (self.0)(names)
    }
}

/// The REST / `az` / portal / SDK shape, read through any [`RestSrc`].
pub fn rest<S: RestSrc>(f: &mut S, source: Provenance) -> Result<ActivityEvent, String> {
    let raw_time = f.str(&["eventtimestamp"]);
    let time = match raw_time {
        Some(_) => time_of(raw_time, "eventTimestamp")?,
        None => {
            // Fall back to the .NET ticks at the end of `id`.
            let id = f.str(&["id"]).unwrap_or_default();
            let ticks = id
                .rsplit("/ticks/")
                .next()
                .and_then(|t| t.parse::<i128>().ok());
            let ts = ticks
                .and_then(from_dotnet_ticks)
                .ok_or("no eventTimestamp")?;
            EventTime::new(ts, id).with_note("time taken from the .NET ticks in the event id")
        }
    };
    let mut ev = empty_event(source, time);
    ev.correlation_id = f.str(&["correlationid"]);
    ev.operation_id = f.str(&["operationid"]);
    set_operation(
        &mut ev,
        f.str(&["operationname"]),
        f.localized(&["operationname"]),
    );
    ev.event_name = f.str(&["eventname"]);
    ev.category = f.str(&["category"]);
    ev.status = Status::parse(f.str(&["status"]).as_deref());
    ev.sub_status = f
        .str(&["substatus"])
        .or_else(|| f.localized(&["substatus"]));
    ev.submission_time = f.str(&["submissiontimestamp"]).and_then(|s| parse_time(&s));
    ev.caller = f.str(&["caller"]);
    ev.claims = f.claims();
    ev.authorization = f.authorization();
    ev.http_request = f.http_request();
    ev.caller_ip = ev.http_request.as_ref().and_then(|h| h.client_ip.clone());
    ev.resource = resource_from(|n| f.str(n), &["resourceid"]);
    ev.level = f.str(&["level"]).and_then(|l| Level::parse(&l));
    ev.description = f.str(&["description"]);
    ev.properties = f.take_properties();
    Ok(finish(ev, f.str(&["eventdataid"]), f.str(&["tenantid"])))
}

/// What [`diagnostic`] reads from a diagnostic-settings Activity record. [`DiagFields`]
/// serves every spelling; the typed fast path ([`crate::flat::activity`]) serves the exact
/// shape. Both must answer exactly alike for the same object.
pub trait DiagSrc {
    /// Like [`Fields::str`] on the record.
    fn str(&self, names: &[&str]) -> Option<String>;
    /// `identity.claims` as [`claims_from`] reads it (default when absent).
    fn claims(&self) -> Claims;
    /// `identity.authorization` as [`authorization_from`] reads it.
    fn authorization(&self) -> Option<Box<Authorization>>;
    /// `properties` as an owned map (empty when absent or not an object).
    fn take_properties(&mut self) -> Map<String, Value>;
}

/// [`DiagSrc`] over the generic, case-insensitive [`Fields`] view.
pub struct DiagFields<'f, 'a>(pub &'f Fields<'a>);

impl DiagSrc for DiagFields<'_, '_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        self.0.str(names)
    }
    fn claims(&self) -> Claims {
        let Some(identity) = self.0.object_ref(&["identity"]) else {
            return Claims::default();
        };
        let i = Fields::new(&identity);
        i.object_ref(&["claims"])
            .map(|m| claims_from(&m))
            .unwrap_or_default()
    }
    fn authorization(&self) -> Option<Box<Authorization>> {
        let identity = self.0.object_ref(&["identity"])?;
        let i = Fields::new(&identity);
        i.object_ref(&["authorization"])
            .and_then(|m| authorization_from(&m))
    }
    fn take_properties(&mut self) -> Map<String, Value> {
        self.0.object(&["properties"]).unwrap_or_default()
    }
}

/// A diagnostic-settings Activity record, read through any [`DiagSrc`].
pub fn diagnostic<S: DiagSrc>(f: &mut S, source: Provenance) -> Result<ActivityEvent, String> {
    let time = time_of(f.str(&["time"]), "time")?;
    let mut ev = empty_event(source, time);
    let props = f.take_properties();
    let p = Fields::new(&props);
    ev.correlation_id = f.str(&["correlationid"]);
    ev.operation_id = p.str(&["operationid"]);
    set_operation(&mut ev, f.str(&["operationname"]), None);
    ev.event_name = p.str(&["eventname"]);
    ev.category = f.str(&["category"]);
    ev.status = Status::parse(f.str(&["resulttype"]).as_deref());
    ev.sub_status = f
        .str(&["resultsignature"])
        .map(|s| s.split_once('.').map(|(_, b)| b.to_string()).unwrap_or(s))
        .filter(|s| !s.is_empty());
    ev.description = f.str(&["resultdescription"]);
    ev.duration_ms = f
        .str(&["durationms"])
        .and_then(|d| d.parse::<f64>().ok())
        .map(|d| d.max(0.0) as u64);
    ev.caller_ip = f.str(&["calleripaddress"]);
    ev.claims = f.claims();
    ev.authorization = f.authorization();
    ev.caller = f.str(&["caller"]);
    ev.resource = resource_from(|n| f.str(n), &["resourceid"]);
    ev.level = f.str(&["level"]).and_then(|l| Level::parse(&l));
    let id = p.str(&["eventdataid"]);
    drop(p);
    ev.properties = props;
    Ok(finish(ev, id, f.str(&["tenantid"])))
}

fn log_analytics(f: &Fields<'_>, source: Provenance) -> Result<ActivityEvent, String> {
    let time = time_of(
        f.str(&["timegenerated", "timegeneratedutc", "eventtimestamp"]),
        "TimeGenerated",
    )?;
    let mut ev = empty_event(source, time);
    ev.submission_time = f
        .str(&["eventsubmissiontimestamp", "eventsubmissiontimestamputc"])
        .and_then(|s| parse_time(&s));
    ev.correlation_id = f.str(&["correlationid"]);
    ev.operation_id = f.str(&["operationid"]);
    let invariant_op = f.str(&["operationnamevalue"]);
    let display_op = f.str(&["operationname"]);
    let op_later = invariant_op.is_none();
    if !op_later {
        set_operation(&mut ev, invariant_op, display_op.clone());
    }
    ev.category = f.str(&["categoryvalue", "category"]);
    ev.status = Status::parse(f.str(&["activitystatusvalue", "activitystatus"]).as_deref());
    ev.sub_status = f.str(&["activitysubstatusvalue", "activitysubstatus"]);
    ev.caller = f.str(&["caller"]);
    ev.caller_ip = f.str(&["calleripaddress"]);
    ev.claims = f
        .object_ref(&["claimsd", "claims"])
        .map(|m| claims_from(&m))
        .unwrap_or_default();
    ev.authorization = f
        .object_ref(&["authorizationd", "authorization"])
        .and_then(|m| authorization_from(&m));
    ev.http_request = f
        .object_ref(&["httprequest"])
        .and_then(|m| http_request_from(&m));
    if ev.caller_ip.is_none() {
        ev.caller_ip = ev.http_request.as_ref().and_then(|h| h.client_ip.clone());
    }
    ev.resource = resource_from(|n| f.str(n), &["resourceid", "_resourceid"]);
    if ev.resource.id.is_none() {
        if let Some(id) = f.str(&["resourceid"]) {
            ev.resource = ResourceRef::parse(&id);
        }
    }
    ev.level = f.str(&["level"]).and_then(|l| Level::parse(&l));
    let mut props = f.object(&["propertiesd", "properties"]).unwrap_or_default();
    // `eventProperties` nests JSON text once more.
    if let Some(inner) = props.get("eventProperties").and_then(as_object) {
        props.insert("eventProperties".into(), Value::Object(inner));
    }
    if let Some(h) = f.str(&["hierarchy"]) {
        props.entry("hierarchy").or_insert(Value::String(h));
    }
    ev.properties = props;
    if op_later {
        // Old projections carry only the localized `OperationName` column.
        set_operation_from_display(&mut ev, display_op);
    }
    let pid = ev.property("eventDataId").and_then(value_text);
    if ev.event_name.is_none() {
        ev.event_name = ev.property("eventName").and_then(value_text);
    }
    // `TenantId` in Log Analytics is the workspace id: deliberately not used.
    Ok(finish(ev, f.str(&["eventdataid"]).or(pid), None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn prov() -> Provenance {
        Provenance {
            file: Arc::from("t.json"),
            record: 0,
            line: Some(1),
            offset: Some(0),
        }
    }

    #[test]
    fn rest_event() {
        let v = json!({
            "authorization": {"action": "Microsoft.Authorization/roleAssignments/write", "scope": "/subscriptions/s1/resourceGroups/rg1"},
            "caller": "alice@contoso.com",
            "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "0b0b", "uti": "qGmIoBU75EaN4yc4SeYBAA",
                       "iss": "https://sts.windows.net/aaaaaaaa-0000-0000-0000-000000000001/"},
            "correlationId": "c1", "eventDataId": "E1",
            "eventName": {"value": "EndRequest", "localizedValue": "End request"},
            "category": {"value": "Administrative"},
            "eventTimestamp": "2024-06-10T06:13:45.1234567Z",
            "httpRequest": {"clientIpAddress": "203.0.113.7", "method": "PUT"},
            "operationName": {"value": "Microsoft.Authorization/roleAssignments/write", "localizedValue": "Create role assignment"},
            "resourceId": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/ra1",
            "status": {"value": "Succeeded"}, "subStatus": {"value": "Created"},
            "properties": {"requestbody": "{\"Properties\":{\"PrincipalId\":\"p\"}}"}
        });
        let ev = normalize(v.as_object().unwrap(), Schema::ActivityRest, prov()).unwrap();
        assert_eq!(ev.event_id, "e1");
        assert_eq!(
            ev.operation.localized.as_deref(),
            Some("Create role assignment")
        );
        assert_eq!(ev.caller_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.claims.oid(), Some("0b0b"));
        assert_eq!(
            ev.tenant_id.as_deref(),
            Some("aaaaaaaa-0000-0000-0000-000000000001")
        );
        assert_eq!(ev.resource.resource_group.as_deref(), Some("rg1"));
        assert_eq!(ev.request_body().unwrap()["Properties"]["PrincipalId"], "p");
        assert_eq!(ev.time.utc.to_string(), "2024-06-10T06:13:45.1234567Z");
    }

    #[test]
    fn diagnostic_record_with_string_identity() {
        let v = json!({"time":"2024-06-10T06:13:45Z","resourceId":"/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1",
            "operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","category":"Administrative","resultType":"Success",
            "resultSignature":"Succeeded.Created","durationMs":"2826","callerIpAddress":"203.0.113.7","correlationId":"c",
            "identity":"{\"claims\":{\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\"bob@x.com\"}}",
            "Level":"4","properties":"{\"statusCode\":\"Created\",\"hierarchy\":\"tid1/s1\"}"});
        let ev = normalize(v.as_object().unwrap(), Schema::ActivityDiagnostic, prov()).unwrap();
        assert!(ev.event_id_synthetic);
        assert!(ev.event_id.starts_with("sha256:"));
        assert_eq!(ev.caller.as_deref(), Some("bob@x.com"));
        assert_eq!(ev.duration_ms, Some(2826));
        assert_eq!(ev.sub_status.as_deref(), Some("Created"));
        assert_eq!(ev.level, Some(Level::Informational));
        assert_eq!(ev.tenant_id.as_deref(), Some("tid1"));
        assert_eq!(ev.status.kind, tokentrail_model::StatusKind::Succeeded);
    }

    #[test]
    fn log_analytics_ignores_workspace_tenant() {
        let v = json!({"TimeGenerated":"2024-06-10T06:13:45.123Z","OperationNameValue":"Microsoft.Storage/storageAccounts/listKeys/action",
            "TenantId":"workspace-id","ActivityStatusValue":"Success","Claims_d":"{\"http://schemas.microsoft.com/identity/claims/tenantid\":\"real-tid\"}",
            "Type":"AzureActivity","_ResourceId":"/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/sa"});
        let ev = normalize(v.as_object().unwrap(), Schema::ActivityLogAnalytics, prov()).unwrap();
        assert_eq!(ev.tenant_id.as_deref(), Some("real-tid"));
        assert_eq!(ev.resource.name.as_deref(), Some("sa"));
    }

    #[test]
    fn missing_time_is_an_error() {
        let v = json!({"operationName":"x","category":"Administrative","time":"not a time"});
        assert!(
            normalize(v.as_object().unwrap(), Schema::ActivityDiagnostic, prov())
                .unwrap_err()
                .contains("unparseable")
        );
    }
}
