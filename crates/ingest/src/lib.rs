//! Readers for every Azure Activity Log and Entra export shape.
//!
//! The flow, one module per step: [`source`] opens files, directories and archives and
//! decodes text; [`detect`] recognises content; [`frame`] splits streams into raw records;
//! [`activity`], [`signin`] and [`audit`] normalize them into `tokentrail-model` records;
//! [`stats`] accounts for every record read; [`pipeline`] ties the steps together.

pub mod activity;
pub mod activity_names;
pub mod audit;
pub mod content_id;
pub mod coverage;
pub mod dedup;
pub mod detect;
pub mod error;
pub mod fields;
pub mod flat;
pub mod frame;
pub mod par;
pub mod pipeline;
pub mod pyrepr;
pub mod repair;
pub mod replay;
pub mod signin;
pub mod source;
pub mod stats;
pub mod tabular;

pub use dedup::DedupSink;
pub use error::IngestError;
pub use pipeline::{read_path, ReadOptions};
pub use source::Limits;
pub use stats::{FileStats, Outcome, PrepareSink, SignInCoverage, Sink, Skip};
