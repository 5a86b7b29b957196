//! Well-known identifiers (formats.md §8) and display names used by the generator.

/// A client or resource application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
}

pub const AZURE_CLI: App = App {
    id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    name: "Microsoft Azure CLI",
};
pub const AZURE_POWERSHELL: App = App {
    id: "1950a258-227b-4e31-a9cf-717495945fc2",
    name: "Microsoft Azure PowerShell",
};
pub const AZURE_PORTAL: App = App {
    id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    name: "Azure Portal",
};
pub const OFFICE: App = App {
    id: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    name: "Microsoft Office",
};
pub const POLICY_INSIGHTS: App = App {
    id: "1d78a85d-813d-46f0-b496-dd72f50a3ec0",
    name: "Microsoft Azure Policy Insights",
};
/// The ARM token audience ("Windows Azure Service Management API").
pub const ARM: App = App {
    id: "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    name: "Windows Azure Service Management API",
};
pub const GRAPH: App = App {
    id: "00000003-0000-0000-c000-000000000000",
    name: "Microsoft Graph",
};
pub const EXCHANGE: App = App {
    id: "00000002-0000-0ff1-ce00-000000000000",
    name: "Office 365 Exchange Online",
};

pub const ROLE_OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// Microsoft's first-party app owner tenant.
pub const MS_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// The `localizedValue` the portal shows for an operation (defaults to the invariant name).
pub fn localized_operation(op: &str) -> &str {
    const T: &[(&str, &str)] = &[
        (
            "Microsoft.Authorization/roleAssignments/write",
            "Create role assignment",
        ),
        (
            "Microsoft.Authorization/elevateAccess/action",
            "Assigns the caller to User Access Administrator role",
        ),
        (
            "Microsoft.Authorization/locks/delete",
            "Delete management locks",
        ),
        (
            "Microsoft.Authorization/policyAssignments/write",
            "Create policy assignment",
        ),
        (
            "Microsoft.Authorization/policies/audit/action",
            "'audit' Policy action.",
        ),
        (
            "Microsoft.Authorization/policies/auditIfNotExists/action",
            "'auditIfNotExists' Policy action.",
        ),
        (
            "Microsoft.Authorization/policies/deployIfNotExists/action",
            "'deployIfNotExists' Policy action.",
        ),
        (
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "List Storage Account Keys",
        ),
        (
            "Microsoft.Storage/storageAccounts/regenerateKey/action",
            "Regenerates the storage account keys",
        ),
        (
            "Microsoft.Storage/storageAccounts/write",
            "Create/Update Storage Account",
        ),
        (
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            "Create or Update Security Rule",
        ),
        (
            "Microsoft.Network/networkSecurityGroups/write",
            "Create or Update Network Security Group",
        ),
        (
            "Microsoft.Network/virtualNetworks/write",
            "Create or Update Virtual Network",
        ),
        (
            "Microsoft.Network/publicIPAddresses/write",
            "Create or Update Public Ip Address",
        ),
        (
            "Microsoft.Network/networkInterfaces/write",
            "Create or Update Network Interface",
        ),
        (
            "Microsoft.Compute/virtualMachines/write",
            "Create or Update Virtual Machine",
        ),
        (
            "Microsoft.Compute/virtualMachines/runCommand/action",
            "Run Command on Virtual Machine",
        ),
        (
            "Microsoft.Compute/virtualMachines/start/action",
            "Start Virtual Machine",
        ),
        (
            "Microsoft.Compute/virtualMachines/deallocate/action",
            "Deallocate Virtual Machine",
        ),
        (
            "Microsoft.Compute/snapshots/write",
            "Create or Update Snapshot",
        ),
        ("Microsoft.Compute/snapshots/delete", "Delete Snapshot"),
        (
            "Microsoft.Insights/diagnosticSettings/delete",
            "Delete diagnostic setting",
        ),
        (
            "Microsoft.Insights/diagnosticSettings/write",
            "Create or update resource diagnostic setting",
        ),
        ("Microsoft.Resources/deployments/write", "Create Deployment"),
        (
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            "Update resource group",
        ),
        ("Microsoft.Resources/tags/write", "Write tags"),
        ("Microsoft.Web/sites/restart/action", "Restart Web App"),
        (
            "Microsoft.Web/sites/config/write",
            "Update Web App Configuration",
        ),
        ("Microsoft.KeyVault/vaults/write", "Update key vault"),
    ];
    T.iter()
        .find(|(k, _)| *k == op)
        .map(|(_, v)| *v)
        .unwrap_or(op)
}

/// `subStatus.localizedValue` text for an HTTP-ish sub-status.
pub fn localized_substatus(s: &str) -> String {
    let code = match s {
        "OK" => "200",
        "Created" => "201",
        "Accepted" => "202",
        "NoContent" => "204",
        "BadRequest" => "400",
        "Forbidden" => "403",
        "NotFound" => "404",
        "Conflict" => "409",
        _ => return s.to_string(),
    };
    let text = match s {
        "NoContent" => "No Content",
        "BadRequest" => "Bad Request",
        "NotFound" => "Not Found",
        other => other,
    };
    format!("{text} (HTTP Status Code: {code})")
}
