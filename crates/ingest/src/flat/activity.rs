//! Fast path for diagnostic-settings Activity records (storage `PT1H.json`, Event Hub
//! `records`): the envelope and `identity` as [`Flat`]s, the claims borrowed, read by the
//! shared [`diagnostic`] builder. `properties` stays a `Value` map: the event keeps it.

use super::signin::CLASSIFY;
use super::{FieldSrc, Flat, Nested, Shape};
use crate::activity::build::authorization_from;
use crate::activity::json::{diagnostic, DiagSrc};
use crate::detect::{Schema, ACTIVITY_CATEGORIES};
use crate::fields::{as_object_ref, str_object};
use serde_json::{Map, Value};
use tokentrail_model::{ActivityEvent, Authorization, Claims, Provenance};

/// Every normalized name `activity::json::diagnostic` looks up on the record.
const DIAG_READ: &[&str] = &[
    "time",
    "properties",
    "correlationid",
    "operationname",
    "category",
    "resulttype",
    "resultsignature",
    "resultdescription",
    "durationms",
    "calleripaddress",
    "identity",
    "caller",
    "resourceid",
    "subscriptionid",
    "resourcegroupname",
    "resourcegroup",
    "resourceprovidername",
    "resourceprovidervalue",
    "resourceprovider",
    "resourcetype",
    "resource",
    "level",
    "tenantid",
];

/// `identity`: only `claims` and `authorization` are read.
static IDENTITY: Shape = Shape::new(
    &["authorization", "claims"],
    &[("claims", Nested::Claims)],
    &[],
    &[],
);

/// The diagnostic-settings Activity record.
pub static DIAGNOSTIC: Shape = Shape::new(
    &[
        "time",
        "resourceId",
        "operationName",
        "category",
        "resultType",
        "resultSignature",
        "resultDescription",
        "durationMs",
        "callerIpAddress",
        "correlationId",
        "identity",
        "level|Level",
        "properties",
        "tenantId",
        "caller",
    ],
    &[("identity", Nested::Flat(&IDENTITY))],
    &["location", "operationVersion"],
    &[DIAG_READ, CLASSIFY],
);

/// A diagnostic Activity record, when it has exactly the shape the generic path reads the
/// same way (`classify` says `ActivityDiagnostic`).
pub fn try_diagnostic(text: &str, source: &Provenance) -> Option<(ActivityEvent, Schema)> {
    let mut rec = Rec(Flat::parse(text, &DIAGNOSTIC)?);
    // `classify`: `time` and `category` present, the category an Activity one.
    if !rec.0.has(&["time"]) {
        return None;
    }
    let category = rec.0.str(&["category"])?.to_ascii_lowercase();
    if !ACTIVITY_CATEGORIES.contains(&category.as_str()) {
        return None;
    }
    diagnostic(&mut rec, source.clone())
        .ok()
        .map(|ev| (ev, Schema::ActivityDiagnostic))
}

/// [`DiagSrc`] over the record's [`Flat`].
struct Rec<'a>(Flat<'a>);

impl DiagSrc for Rec<'_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        self.0.str(names)
    }
    fn claims(&self) -> Claims {
        self.0
            .nested("identity")
            .and_then(|i| i.claims("claims"))
            .map(|c| c.claims())
            .unwrap_or_default()
    }
    fn authorization(&self) -> Option<Box<Authorization>> {
        match self.0.nested("identity")?.slot("authorization")? {
            super::Slot::Val(v) => as_object_ref(v).and_then(|m| authorization_from(&m)),
            super::Slot::Str(s) => str_object(s).and_then(|m| authorization_from(&m)),
            _ => None,
        }
    }
    fn take_properties(&mut self) -> Map<String, Value> {
        self.0.take_object("properties")
    }
}
