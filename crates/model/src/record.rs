//! A record of any kind, as readers emit them.

use crate::signin::AuthDetailRecord;
use crate::{ActivityEvent, AuditEvent, Provenance, SignIn};
use serde::Serialize;

/// Any normalized record. Serialized with a `kind` tag for `tokentrail parse`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Activity(Box<ActivityEvent>),
    SignIn(Box<SignIn>),
    Audit(Box<AuditEvent>),
    /// One row of a portal "authentication details only" download; joined to its sign-in
    /// on the Request ID by `tokentrail_ingest::signin::join`.
    AuthDetail(Box<AuthDetailRecord>),
}

/// The kind of a record, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Activity,
    SignIn,
    Audit,
    AuthDetail,
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Activity(_) => RecordKind::Activity,
            Record::SignIn(_) => RecordKind::SignIn,
            Record::Audit(_) => RecordKind::Audit,
            Record::AuthDetail(_) => RecordKind::AuthDetail,
        }
    }
    pub fn source(&self) -> &Provenance {
        match self {
            Record::Activity(a) => &a.source,
            Record::SignIn(s) => &s.source,
            Record::Audit(a) => &a.source,
            Record::AuthDetail(a) => &a.source,
        }
    }
}
