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

/// Leaves `x` to the operating system, which takes a process's memory back at once when
/// it exits, instead of freeing it value by value: the case's millions of findings,
/// sign-ins and detections take about half a second to free at 1M events, after the
/// outputs are written. Only for what a command would otherwise free just before `main`
/// returns.
pub fn exit_soon<T>(x: T) {
    std::mem::forget(x);
}
