//! Normalized records shared by every stage of tokentrail.
//!
//! Readers (`tokentrail-ingest`) turn each export shape into these types; analysis and
//! reporting only ever see these. Nothing here does I/O.

pub mod activity;
pub mod audit;
pub mod claims;
pub mod entry;
pub mod guid;
pub mod provenance;
pub mod record;
pub mod resource;
pub mod signin;
pub mod time;

pub use activity::{
    ActivityEvent, Authorization, Evidence, HttpRequest, Level, Status, StatusKind,
};
pub use audit::AuditEvent;
pub use claims::Claims;
pub use guid::Guid;
pub use provenance::Provenance;
pub use record::{Record, RecordKind};
pub use resource::ResourceRef;
pub use signin::{AuthDetailRecord, SignIn, SignInKind};
pub use time::EventTime;
