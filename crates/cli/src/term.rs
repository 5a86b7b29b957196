//! Terminal safety: log content is attacker-controlled, so anything printed to a terminal
//! goes through `tokentrail_report::escape::terminal` (control, escape and bidirectional
//! characters made visible).

pub use tokentrail_report::escape::terminal as clean;
