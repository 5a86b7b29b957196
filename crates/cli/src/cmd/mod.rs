//! One module per subcommand.

pub mod attribute;
pub mod case;
pub mod collect;
pub mod investigate;
pub mod op_json;
pub mod outputs;
pub mod parse;
pub mod progress;
pub mod ranges;
pub mod rules;
pub mod usage;
pub mod verify;
pub mod who;
pub mod who_case;
