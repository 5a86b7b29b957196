//! One module per subcommand.

pub mod attribute;
pub mod case;
pub mod collect;
pub mod investigate;
pub mod parse;
pub mod verify;
pub mod who;
