//! Localized operation names mapped back to invariant ones.
//!
//! Az.Monitor ≥ 3.0.0 writes `OperationName` from `localizedValue`, so PowerShell exports
//! hold "Create or Update Virtual Machine" instead of `Microsoft.Compute/virtualMachines/write`.
//! This table holds the en-US display names ARM uses for the operations tokentrail cares
//! about. A name not in the table is kept and flagged as unmapped.

/// (localized en-US display name, invariant operation name)
const NAMES: &[(&str, &str)] = &[
    (
        "Create or Update Virtual Machine",
        "Microsoft.Compute/virtualMachines/write",
    ),
    (
        "Delete Virtual Machine",
        "Microsoft.Compute/virtualMachines/delete",
    ),
    (
        "Create role assignment",
        "Microsoft.Authorization/roleAssignments/write",
    ),
    (
        "Delete role assignment",
        "Microsoft.Authorization/roleAssignments/delete",
    ),
];

/// The invariant name for a localized name (compared case-insensitively, spaces folded).
pub fn to_invariant(localized: &str) -> Option<&'static str> {
    let want = fold(localized);
    NAMES
        .iter()
        .find(|(l, _)| fold(l) == want)
        .map(|(_, inv)| *inv)
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
