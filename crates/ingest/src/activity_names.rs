//! Localized operation names mapped back to invariant ones.
//!
//! Az.Monitor ≥ 3.0.0 writes `OperationName` from `localizedValue`, and old Log Analytics
//! projections carry only the localized `OperationName` column, so exports hold
//! "Create or Update Virtual Machine" instead of `Microsoft.Compute/virtualMachines/write`.
//! This table holds the en-US display names ARM resource providers give the operations
//! tokentrail cares about (every operation in the Activity Log section of detections.md,
//! plus ones seen in public samples). Lookups ignore case and repeated whitespace. Readers
//! prefer `properties.message` (the invariant name ARM logged) when the event has one,
//! and flag names found in neither.

use std::collections::HashMap;
use std::sync::OnceLock;

/// (localized en-US display name, invariant operation name)
pub const NAMES: &[(&str, &str)] = &[
    (
        "Create or Update Virtual Machine",
        "Microsoft.Compute/virtualMachines/write",
    ),
    (
        "Delete Virtual Machine",
        "Microsoft.Compute/virtualMachines/delete",
    ),
    (
        "Start Virtual Machine",
        "Microsoft.Compute/virtualMachines/start/action",
    ),
    (
        "Power Off Virtual Machine",
        "Microsoft.Compute/virtualMachines/powerOff/action",
    ),
    (
        "Deallocate Virtual Machine",
        "Microsoft.Compute/virtualMachines/deallocate/action",
    ),
    (
        "Restart Virtual Machine",
        "Microsoft.Compute/virtualMachines/restart/action",
    ),
    (
        "Redeploy Virtual Machine",
        "Microsoft.Compute/virtualMachines/redeploy/action",
    ),
    (
        "Reimage Virtual Machine",
        "Microsoft.Compute/virtualMachines/reimage/action",
    ),
    (
        "Capture Virtual Machine",
        "Microsoft.Compute/virtualMachines/capture/action",
    ),
    (
        "Run Command on Virtual Machine",
        "Microsoft.Compute/virtualMachines/runCommand/action",
    ),
    (
        "Create or Update Virtual Machine Run Command",
        "Microsoft.Compute/virtualMachines/runCommands/write",
    ),
    (
        "Delete Virtual Machine Run Command",
        "Microsoft.Compute/virtualMachines/runCommands/delete",
    ),
    (
        "Create or Update Virtual Machine Extension",
        "Microsoft.Compute/virtualMachines/extensions/write",
    ),
    (
        "Delete Virtual Machine Extension",
        "Microsoft.Compute/virtualMachines/extensions/delete",
    ),
    (
        "Retrieve boot diagnostic logs blob URIs",
        "Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action",
    ),
    (
        "Create or Update Virtual Machine Scale Set",
        "Microsoft.Compute/virtualMachineScaleSets/write",
    ),
    (
        "Delete Virtual Machine Scale Set",
        "Microsoft.Compute/virtualMachineScaleSets/delete",
    ),
    (
        "Start Virtual Machine Scale Set",
        "Microsoft.Compute/virtualMachineScaleSets/start/action",
    ),
    (
        "Create or Update Virtual Machine Scale Set Extension",
        "Microsoft.Compute/virtualMachineScaleSets/extensions/write",
    ),
    (
        "Run Command on Virtual Machine Scale Set Virtual Machine",
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action",
    ),
    ("Create or Update Disk", "Microsoft.Compute/disks/write"),
    ("Delete Disk", "Microsoft.Compute/disks/delete"),
    (
        "Get Disk SAS URI",
        "Microsoft.Compute/disks/beginGetAccess/action",
    ),
    (
        "Revoke Disk SAS URI",
        "Microsoft.Compute/disks/endGetAccess/action",
    ),
    (
        "Create or Update Snapshot",
        "Microsoft.Compute/snapshots/write",
    ),
    ("Delete Snapshot", "Microsoft.Compute/snapshots/delete"),
    (
        "Get Snapshot SAS URI",
        "Microsoft.Compute/snapshots/beginGetAccess/action",
    ),
    (
        "Delete Restore Point Collection",
        "Microsoft.Compute/restorePointCollections/delete",
    ),
    (
        "Create or Update Gallery Application Version",
        "Microsoft.Compute/galleries/applications/versions/write",
    ),
    (
        "List Storage Account Keys",
        "Microsoft.Storage/storageAccounts/listKeys/action",
    ),
    (
        "Regenerate Storage Account Keys",
        "Microsoft.Storage/storageAccounts/regenerateKey/action",
    ),
    (
        "Returns Storage Account SAS Token",
        "Microsoft.Storage/storageAccounts/listAccountSas/action",
    ),
    (
        "Returns Storage Service SAS Token",
        "Microsoft.Storage/storageAccounts/listServiceSas/action",
    ),
    (
        "Create/Update Storage Account",
        "Microsoft.Storage/storageAccounts/write",
    ),
    (
        "Delete Storage Account",
        "Microsoft.Storage/storageAccounts/delete",
    ),
    (
        "Put blob service properties",
        "Microsoft.Storage/storageAccounts/blobServices/write",
    ),
    (
        "Put storage account management policies",
        "Microsoft.Storage/storageAccounts/managementPolicies/write",
    ),
    (
        "Create or update file share",
        "Microsoft.Storage/storageAccounts/fileServices/shares/write",
    ),
    (
        "Create or Update Network Security Group",
        "Microsoft.Network/networkSecurityGroups/write",
    ),
    (
        "Delete Network Security Group",
        "Microsoft.Network/networkSecurityGroups/delete",
    ),
    (
        "Create or Update Security Rule",
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
    ),
    (
        "Delete Security Rule",
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
    ),
    (
        "Create or Update Virtual Network",
        "Microsoft.Network/virtualNetworks/write",
    ),
    (
        "Delete Virtual Network",
        "Microsoft.Network/virtualNetworks/delete",
    ),
    (
        "Create or Update Subnet",
        "Microsoft.Network/virtualNetworks/subnets/write",
    ),
    (
        "Delete Subnet",
        "Microsoft.Network/virtualNetworks/subnets/delete",
    ),
    (
        "Create or Update Public Ip Address",
        "Microsoft.Network/publicIPAddresses/write",
    ),
    (
        "Delete Public Ip Address",
        "Microsoft.Network/publicIPAddresses/delete",
    ),
    (
        "Create or Update Network Interface",
        "Microsoft.Network/networkInterfaces/write",
    ),
    (
        "Delete Network Interface",
        "Microsoft.Network/networkInterfaces/delete",
    ),
    (
        "Creates or updates an Azure Firewall",
        "Microsoft.Network/azureFirewalls/write",
    ),
    (
        "Deletes an Azure Firewall",
        "Microsoft.Network/azureFirewalls/delete",
    ),
    (
        "Create or Update Firewall Policy",
        "Microsoft.Network/firewallPolicies/write",
    ),
    (
        "Delete Firewall Policy",
        "Microsoft.Network/firewallPolicies/delete",
    ),
    (
        "Generate Firewall Policy Certificates",
        "Microsoft.Network/firewallPolicies/certificates/action",
    ),
    (
        "Create or Update Application Gateway",
        "Microsoft.Network/applicationGateways/write",
    ),
    (
        "Delete Application Gateway",
        "Microsoft.Network/applicationGateways/delete",
    ),
    (
        "Create or Update Application Gateway WAF Policy",
        "Microsoft.Network/applicationGatewayWebApplicationFirewallPolicies/write",
    ),
    (
        "Delete Application Gateway WAF Policy",
        "Microsoft.Network/applicationGatewayWebApplicationFirewallPolicies/delete",
    ),
    (
        "Create or Update Application Security Group",
        "Microsoft.Network/applicationSecurityGroups/write",
    ),
    (
        "Delete Network Watcher",
        "Microsoft.Network/networkWatchers/delete",
    ),
    (
        "Delete Flow Log",
        "Microsoft.Network/networkWatchers/flowLogs/delete",
    ),
    (
        "Create role assignment",
        "Microsoft.Authorization/roleAssignments/write",
    ),
    (
        "Delete role assignment",
        "Microsoft.Authorization/roleAssignments/delete",
    ),
    (
        "Create or update custom role definition",
        "Microsoft.Authorization/roleDefinitions/write",
    ),
    (
        "Delete custom role definition",
        "Microsoft.Authorization/roleDefinitions/delete",
    ),
    (
        "Create management lock",
        "Microsoft.Authorization/locks/write",
    ),
    (
        "Create management locks",
        "Microsoft.Authorization/locks/write",
    ),
    (
        "Delete management lock",
        "Microsoft.Authorization/locks/delete",
    ),
    (
        "Delete management locks",
        "Microsoft.Authorization/locks/delete",
    ),
    (
        "Create policy assignment",
        "Microsoft.Authorization/policyAssignments/write",
    ),
    (
        "Delete policy assignment",
        "Microsoft.Authorization/policyAssignments/delete",
    ),
    (
        "Create policy exemption",
        "Microsoft.Authorization/policyExemptions/write",
    ),
    (
        "Delete policy exemption",
        "Microsoft.Authorization/policyExemptions/delete",
    ),
    (
        "Create policy definition",
        "Microsoft.Authorization/policyDefinitions/write",
    ),
    (
        "Delete policy definition",
        "Microsoft.Authorization/policyDefinitions/delete",
    ),
    (
        "Create policy set definition",
        "Microsoft.Authorization/policySetDefinitions/write",
    ),
    (
        "Delete policy set definition",
        "Microsoft.Authorization/policySetDefinitions/delete",
    ),
    (
        "Assigns the caller to User Access Administrator role",
        "Microsoft.Authorization/elevateAccess/action",
    ),
    (
        "'audit' Policy action.",
        "Microsoft.Authorization/policies/audit/action",
    ),
    (
        "'auditIfNotExists' Policy action.",
        "Microsoft.Authorization/policies/auditIfNotExists/action",
    ),
    (
        "'deny' Policy action.",
        "Microsoft.Authorization/policies/deny/action",
    ),
    (
        "'deployIfNotExists' Policy action.",
        "Microsoft.Authorization/policies/deployIfNotExists/action",
    ),
    (
        "'modify' Policy action.",
        "Microsoft.Authorization/policies/modify/action",
    ),
    (
        "Create or update resource diagnostic setting",
        "Microsoft.Insights/diagnosticSettings/write",
    ),
    (
        "Delete resource diagnostic setting",
        "Microsoft.Insights/diagnosticSettings/delete",
    ),
    (
        "Create or update activity log alert",
        "Microsoft.Insights/activityLogAlerts/write",
    ),
    (
        "Delete activity log alert",
        "Microsoft.Insights/activityLogAlerts/delete",
    ),
    (
        "Create or update action group",
        "Microsoft.Insights/actionGroups/write",
    ),
    (
        "Delete action group",
        "Microsoft.Insights/actionGroups/delete",
    ),
    (
        "Create or update metric alert",
        "Microsoft.Insights/metricAlerts/write",
    ),
    (
        "Delete metric alert",
        "Microsoft.Insights/metricAlerts/delete",
    ),
    (
        "Delete log profile",
        "Microsoft.Insights/logProfiles/delete",
    ),
    (
        "Create or update workbook",
        "Microsoft.Insights/workbooks/write",
    ),
    ("Update Key Vault", "Microsoft.KeyVault/vaults/write"),
    ("Delete Key Vault", "Microsoft.KeyVault/vaults/delete"),
    (
        "Update Access Policy",
        "Microsoft.KeyVault/vaults/accessPolicies/write",
    ),
    ("Update Secret", "Microsoft.KeyVault/vaults/secrets/write"),
    (
        "Purge Soft Deleted Key Vault",
        "Microsoft.KeyVault/locations/deletedVaults/purge/action",
    ),
    ("Create Deployment", "Microsoft.Resources/deployments/write"),
    (
        "Delete Deployment",
        "Microsoft.Resources/deployments/delete",
    ),
    (
        "Validate Deployment",
        "Microsoft.Resources/deployments/validate/action",
    ),
    (
        "Update resource group",
        "Microsoft.Resources/subscriptions/resourceGroups/write",
    ),
    (
        "Create or Update Resource Group",
        "Microsoft.Resources/subscriptions/resourceGroups/write",
    ),
    (
        "Delete resource group",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
    ),
    (
        "Create or Update Management Group",
        "Microsoft.Management/managementGroups/write",
    ),
    (
        "Create/Update User Assigned Identity",
        "Microsoft.ManagedIdentity/userAssignedIdentities/write",
    ),
    (
        "Delete User Assigned Identity",
        "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
    ),
    (
        "Add or update federated identity credential",
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    ),
    (
        "List Cluster Admin Credential",
        "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
    ),
    (
        "Run command on managed cluster",
        "Microsoft.ContainerService/managedClusters/runCommand/action",
    ),
    (
        "List Workspace Shared Keys",
        "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
    ),
    (
        "Delete Workspace",
        "Microsoft.OperationalInsights/workspaces/delete",
    ),
    (
        "Update Incidents",
        "Microsoft.SecurityInsights/incidents/write",
    ),
    ("Update Cases", "Microsoft.SecurityInsights/cases/write"),
    (
        "Update Data Connectors",
        "Microsoft.SecurityInsights/dataConnectors/write",
    ),
    (
        "Delete a Data Connector",
        "Microsoft.SecurityInsights/dataConnectors/delete",
    ),
    (
        "Check user authorization and license",
        "Microsoft.SecurityInsights/dataConnectorsCheckRequirements/action",
    ),
    ("Set Workflow", "Microsoft.Logic/workflows/write"),
    (
        "Trigger Run",
        "Microsoft.Logic/workflows/triggers/run/action",
    ),
    (
        "List Trigger Callback URL",
        "Microsoft.Logic/workflows/triggers/listCallbackUrl/action",
    ),
    (
        "Gets workflow recommend operation groups",
        "Microsoft.Logic/locations/workflows/recommendOperationGroups/action",
    ),
    (
        "Add or Update Connection",
        "Microsoft.Web/connections/write",
    ),
    (
        "List Web App Security Sensitive Settings",
        "Microsoft.Web/sites/config/list/action",
    ),
    (
        "Create/Update server firewall rules",
        "Microsoft.Sql/servers/firewallRules/write",
    ),
    (
        "Create or update an Azure Automation account",
        "Microsoft.Automation/automationAccounts/write",
    ),
];

/// The invariant name for a localized name (compared case-insensitively, spaces folded).
pub fn to_invariant(localized: &str) -> Option<&'static str> {
    static FOLDED: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let table = FOLDED.get_or_init(|| {
        let mut m = HashMap::with_capacity(NAMES.len());
        for (l, inv) in NAMES {
            m.entry(fold(l)).or_insert(*inv);
        }
        m
    });
    table.get(&fold(localized)).copied()
}

/// The first en-US display name known for an invariant name (case-insensitive).
pub fn to_localized(invariant: &str) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(_, inv)| inv.eq_ignore_ascii_case(invariant.trim()))
        .map(|(l, _)| *l)
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sound() {
        assert!(NAMES.len() >= 80);
        for (l, inv) in NAMES {
            assert!(crate::activity::json::looks_invariant(inv), "{inv}");
            assert!(!crate::activity::json::looks_invariant(l), "{l}");
            // Every display name maps to one invariant name.
            assert_eq!(to_invariant(l), Some(*inv), "{l}");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            to_invariant("create or update  security rule"),
            Some("Microsoft.Network/networkSecurityGroups/securityRules/write")
        );
        assert_eq!(
            to_localized("microsoft.authorization/elevateaccess/action"),
            Some("Assigns the caller to User Access Administrator role")
        );
        assert_eq!(to_invariant("Frobnicate the widget"), None);
    }
}
