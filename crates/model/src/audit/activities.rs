//! Audit activity names that matter to incident response (formats.md §6.3), exact strings,
//! and the normalization used to compare them.

use serde::Serialize;

/// Normalizes an activity name for comparison: U+2013/U+2014 become `-`, whitespace runs
/// collapse to one space, the ends are trimmed and one trailing `.` is dropped.
/// `Update application – Certificates and secrets management ` →
/// `Update application - Certificates and secrets management`.
pub fn normalize_activity(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '\u{2013}' | '\u{2014}' | '\u{2012}' | '\u{2212}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let collapsed = mapped
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    collapsed
        .strip_suffix('.')
        .map(|x| x.trim_end().to_string())
        .unwrap_or(collapsed)
}

/// IR-relevant audit activities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditActivity {
    PimActivationRequested,
    PimActivationApproved,
    PimActivationCompleted,
    PimActivationEnded,
    PimAssignment,
    RoleMemberAdded,
    ServicePrincipalCredentialsAdded,
    ServicePrincipalCredentialsRemoved,
    ApplicationCredentialsChanged,
    ConsentToApplication,
    DelegatedPermissionGrantAdded,
    AppRoleAssignmentToServicePrincipal,
    OwnerAddedToServicePrincipal,
    OwnerAddedToApplication,
    ApplicationAdded,
    ServicePrincipalAdded,
    ApplicationUpdated,
    ServicePrincipalUpdated,
    ElevateAccess,
    ElevateAccessRemoved,
}

/// Exact activity names as logged (and their documented variants), with their meaning.
/// Matching goes through [`normalize_activity`] and ignores ASCII case.
pub const ACTIVITY_TABLE: &[(&str, AuditActivity)] = &[
    (
        "Add member to role requested (PIM activation)",
        AuditActivity::PimActivationRequested,
    ),
    (
        "Add member to role request approved (PIM activation)",
        AuditActivity::PimActivationApproved,
    ),
    (
        "Add member to role completed (PIM activation)",
        AuditActivity::PimActivationCompleted,
    ),
    (
        "Remove member from role (PIM activation expired)",
        AuditActivity::PimActivationEnded,
    ),
    (
        "Remove member from role completed (PIM deactivate)",
        AuditActivity::PimActivationEnded,
    ),
    (
        "Add eligible member to role in PIM completed (permanent)",
        AuditActivity::PimAssignment,
    ),
    (
        "Add eligible member to role in PIM completed (timebound)",
        AuditActivity::PimAssignment,
    ),
    (
        "Add member to role in PIM requested (timebound)",
        AuditActivity::PimAssignment,
    ),
    (
        "Add member to role in PIM requested (permanent)",
        AuditActivity::PimAssignment,
    ),
    (
        "Add member to role in PIM completed (timebound)",
        AuditActivity::PimAssignment,
    ),
    (
        "Add member to role in PIM completed (permanent)",
        AuditActivity::PimAssignment,
    ),
    ("Add member to role", AuditActivity::RoleMemberAdded),
    (
        "Add eligible member to role",
        AuditActivity::RoleMemberAdded,
    ),
    ("Add scoped member to role", AuditActivity::RoleMemberAdded),
    (
        "Add service principal credentials",
        AuditActivity::ServicePrincipalCredentialsAdded,
    ),
    (
        "Remove service principal credentials",
        AuditActivity::ServicePrincipalCredentialsRemoved,
    ),
    // Real logs: en dash (U+2013) and a trailing space; the docs write a hyphen.
    (
        "Update application \u{2013} Certificates and secrets management ",
        AuditActivity::ApplicationCredentialsChanged,
    ),
    (
        "Update application - Certificates and secrets management",
        AuditActivity::ApplicationCredentialsChanged,
    ),
    (
        "Consent to application",
        AuditActivity::ConsentToApplication,
    ),
    (
        "Consent to application.",
        AuditActivity::ConsentToApplication,
    ),
    (
        "Add delegated permission grant",
        AuditActivity::DelegatedPermissionGrantAdded,
    ),
    (
        "Add app role assignment to service principal",
        AuditActivity::AppRoleAssignmentToServicePrincipal,
    ),
    (
        "Add owner to service principal",
        AuditActivity::OwnerAddedToServicePrincipal,
    ),
    (
        "Add owner to application",
        AuditActivity::OwnerAddedToApplication,
    ),
    ("Add application", AuditActivity::ApplicationAdded),
    (
        "Add service principal",
        AuditActivity::ServicePrincipalAdded,
    ),
    ("Update application", AuditActivity::ApplicationUpdated),
    (
        "Update service principal",
        AuditActivity::ServicePrincipalUpdated,
    ),
    (
        "User has elevated their access to User Access Administrator for their Azure Resources",
        AuditActivity::ElevateAccess,
    ),
    (
        "The role assignment of User Access Administrator has been removed from the user",
        AuditActivity::ElevateAccessRemoved,
    ),
];

impl AuditActivity {
    /// Looks up a normalized activity key (see [`normalize_activity`]).
    pub fn from_key(key: &str) -> Option<AuditActivity> {
        ACTIVITY_TABLE
            .iter()
            .find(|(name, _)| normalize_activity(name).eq_ignore_ascii_case(key))
            .map(|(_, a)| *a)
    }

    /// Looks up an activity name as logged.
    pub fn from_name(name: &str) -> Option<AuditActivity> {
        Self::from_key(&normalize_activity(name))
    }

    pub fn is_pim_activation(self) -> bool {
        matches!(
            self,
            AuditActivity::PimActivationRequested
                | AuditActivity::PimActivationApproved
                | AuditActivity::PimActivationCompleted
        )
    }

    pub fn is_role_addition(self) -> bool {
        matches!(
            self,
            AuditActivity::RoleMemberAdded
                | AuditActivity::PimActivationCompleted
                | AuditActivity::PimAssignment
        )
    }

    pub fn is_credential_add(self) -> bool {
        matches!(
            self,
            AuditActivity::ServicePrincipalCredentialsAdded
                | AuditActivity::ApplicationCredentialsChanged
        )
    }

    pub fn is_consent(self) -> bool {
        matches!(
            self,
            AuditActivity::ConsentToApplication
                | AuditActivity::DelegatedPermissionGrantAdded
                | AuditActivity::AppRoleAssignmentToServicePrincipal
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn en_dash_and_trailing_space() {
        let real = "Update application \u{2013} Certificates and secrets management ";
        assert_eq!(
            normalize_activity(real),
            "Update application - Certificates and secrets management"
        );
        assert_eq!(
            AuditActivity::from_name(real),
            Some(AuditActivity::ApplicationCredentialsChanged)
        );
        assert!(AuditActivity::ApplicationCredentialsChanged.is_credential_add());
    }

    #[test]
    fn trailing_period_and_spaces() {
        assert_eq!(
            AuditActivity::from_name("  Consent   to application. "),
            Some(AuditActivity::ConsentToApplication)
        );
        assert_eq!(
            AuditActivity::from_name("add member to role completed (PIM activation)"),
            Some(AuditActivity::PimActivationCompleted)
        );
        assert_eq!(AuditActivity::from_name("Delete user"), None);
    }

    #[test]
    fn table_entries_all_resolve() {
        for (name, a) in ACTIVITY_TABLE {
            assert_eq!(AuditActivity::from_name(name), Some(*a), "{name}");
        }
    }
}
