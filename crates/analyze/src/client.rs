//! Naming the client tool behind a token: well-known first-party app ids, and the user
//! agent and credential type of the matched sign-in.

/// Well-known first-party application ids (formats.md §8.1) and the tool they mean.
pub const WELL_KNOWN_APPS: &[(&str, &str)] = &[
    ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Azure CLI"),
    ("1950a258-227b-4e31-a9cf-717495945fc2", "Azure PowerShell"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure portal"),
    ("2233b157-f44d-4812-b777-036cdaf9a96e", "Azure Cloud Shell"),
    ("872cd9fa-d31f-45e0-9eab-6e460a02d1f1", "Visual Studio"),
    ("04f0c124-f2bc-4f59-8241-bf6df9866bbd", "Visual Studio"),
    ("aebc6443-996d-45c2-90f0-388ff96faa56", "Visual Studio Code"),
    (
        "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "Microsoft Graph PowerShell",
    ),
    ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer"),
    (
        "1b730954-1685-4b74-9bfd-dac224a7b894",
        "Azure AD PowerShell (legacy)",
    ),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    (
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        "Microsoft Authentication Broker",
    ),
    ("1d78a85d-813d-46f0-b496-dd72f50a3ec0", "Azure Policy"),
    ("499b84ac-1321-427f-aa17-267ca6975798", "Azure DevOps"),
    (
        "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
        "Azure Kubernetes Service AAD client",
    ),
    (
        "8e0e8db5-b713-4e91-98e6-470fed0aa4c2",
        "Microsoft Azure Signup Portal",
    ),
];

/// Tools that mean a person at a keyboard when used with a user token.
pub const HUMAN_TOOLS: &[&str] = &[
    "Azure CLI",
    "Azure PowerShell",
    "Azure portal",
    "Azure Cloud Shell",
    "Visual Studio",
    "Visual Studio Code",
    "Microsoft Graph PowerShell",
    "Graph Explorer",
];

pub fn app_name(app_id: &str) -> Option<&'static str> {
    let a = app_id.trim().to_ascii_lowercase();
    WELL_KNOWN_APPS
        .iter()
        .find(|(id, _)| *id == a)
        .map(|(_, n)| *n)
}

/// Recognises the tool from a user agent. Order matters: wrappers before what they wrap.
pub fn tool_from_user_agent(ua: &str) -> Option<&'static str> {
    let u = ua.to_ascii_lowercase();
    let rules: &[(&str, &str)] = &[
        ("terraform", "Terraform"),
        ("github-actions", "GitHub Actions"),
        ("githubactions", "GitHub Actions"),
        ("azure/login", "GitHub Actions"),
        ("azurepipelines", "Azure DevOps pipeline"),
        ("vsts", "Azure DevOps pipeline"),
        ("cloud-shell", "Azure Cloud Shell"),
        ("cloudshell", "Azure Cloud Shell"),
        ("azurepowershell", "Azure PowerShell"),
        ("azure-cli", "Azure CLI"),
        ("pulumi", "Pulumi"),
        ("ansible", "Ansible"),
        ("vscode", "Visual Studio Code"),
        ("python-requests", "Python script (requests)"),
        ("python/", "Python script"),
        ("curl/", "curl"),
        ("go-http-client", "Go program"),
        ("powershell", "PowerShell"),
        ("mozilla/", "Web browser"),
    ];
    rules
        .iter()
        .find(|(needle, _)| u.contains(needle))
        .map(|(_, t)| *t)
}
