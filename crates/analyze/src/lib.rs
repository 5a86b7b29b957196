//! Analysis over normalized records: who did each change, with which token, from which
//! sign-in and session, and how sure we are.
//!
//! The steps, one module each: [`operations`] collapses Activity events into logical
//! operations; [`identity`] and [`client`] classify the caller; [`signins`] indexes sign-ins;
//! [`correlate`] links each operation's token to the sign-in that issued it; [`lineage`]
//! follows the session back to its interactive root; [`verdict`], [`anomalies`] and [`gaps`]
//! explain the result; [`finding`] assembles the output contract; [`engine`] runs it all.

pub mod anomalies;
pub mod client;
pub mod correlate;
pub mod detect;
pub mod engine;
pub mod evidence;
pub mod finding;
pub mod gaps;
pub mod guid_text;
pub mod identity;
pub mod lineage;
pub mod netblocks;
pub mod operations;
pub mod permute;
pub mod signins;
pub mod slim;
pub mod statement;
pub mod text;
pub mod verdict;

pub use detect::rules::{RuleError, RulePack};
pub use engine::{attribute, attribute_with, Attribution, Context};
pub use finding::OperationFinding;
pub use netblocks::RangeTable;
pub use signins::{facts, SignInFacts};
