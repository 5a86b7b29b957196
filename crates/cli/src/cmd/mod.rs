//! One module per subcommand.

pub mod attribute;
pub mod collect;
pub mod parse;
pub mod rules;
pub mod who;
