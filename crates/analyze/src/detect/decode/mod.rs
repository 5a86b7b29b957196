//! Typed decoders for ARM request and response bodies. [`body_facts`] routes an operation
//! to the decoders that apply and returns the facts rules test (`nsg.*`, `role.*`, `vm.*`,
//! `lock.*`, `policy.*`, `diag.*`, `kv.*`, `storage.*`, `runcmd.*`, `ext.*`, `sql.*`,
//! `defender.*`). The request body is read first; the response body fills what it lacks.

pub mod nsg;
pub mod role;
pub mod settings;
pub mod vm;

use serde_json::{json, Value};
pub use settings::Facts;

fn ends(op: &str, suffix: &str) -> bool {
    op.ends_with(suffix)
}

/// Decodes one body into `f` (existing keys are kept).
fn decode_into(op: &str, body: &Value, resource_id: Option<&str>, f: &mut Facts) {
    let mut g = Facts::new();
    if ends(
        op,
        "microsoft.network/networksecuritygroups/securityrules/write",
    ) || ends(op, "microsoft.network/networksecuritygroups/write")
    {
        let rules = nsg::rules(body);
        if !rules.is_empty() {
            let admin: Vec<u16> = rules
                .iter()
                .flat_map(|r| r.exposed(nsg::ADMIN_PORTS))
                .collect();
            let ext: Vec<u16> = rules
                .iter()
                .flat_map(|r| r.exposed(nsg::EXTENDED_PORTS))
                .collect();
            let open: Vec<&nsg::SecurityRule> = rules.iter().filter(|r| r.open_inbound()).collect();
            g.insert("nsg.rules".into(), json!(rules.len()));
            g.insert("nsg.open_inbound".into(), json!(!open.is_empty()));
            g.insert(
                "nsg.any_port_open".into(),
                json!(open.iter().any(|r| r.any_port())),
            );
            g.insert("nsg.exposed_admin_ports".into(), json!(admin));
            g.insert("nsg.exposed_extended_ports".into(), json!(ext));
            g.insert("nsg.exposed".into(), json!(!admin.is_empty()));
            g.insert("nsg.exposed_extended".into(), json!(!ext.is_empty()));
            let exposing: Vec<&nsg::SecurityRule> = rules
                .iter()
                .filter(|r| !r.exposed(nsg::ADMIN_PORTS).is_empty())
                .collect();
            if !exposing.is_empty() {
                g.insert("nsg.exposing_rules".into(), json!(exposing));
            }
        }
    }
    if ends(op, "microsoft.authorization/roleassignments/write") {
        if let Some(a) = role::assignment(body, resource_id) {
            g.insert("role.id".into(), json!(a.role_id));
            g.insert("role.name".into(), json!(a.role_name));
            g.insert("role.tier".into(), json!(a.tier));
            g.insert(
                "role.privileged".into(),
                json!(a.tier == "privileged" || a.tier == "sensitive"),
            );
            g.insert("role.principal_id".into(), json!(a.principal_id));
            g.insert("role.principal_type".into(), json!(a.principal_type));
            g.insert("role.scope".into(), json!(a.scope));
            g.insert("role.scope_level".into(), json!(a.scope_level));
        }
    }
    if ends(op, "microsoft.authorization/roledefinitions/write") {
        if let Some(w) = role::definition_wildcard(body) {
            g.insert("roledef.wildcard".into(), json!(w));
        }
    }
    if ends(op, "microsoft.compute/virtualmachines/write")
        || ends(op, "microsoft.compute/virtualmachinescalesets/write")
        || ends(op, "microsoft.resources/deployments/write")
        || op.starts_with("microsoft.machinelearningservices/")
        || ends(op, "microsoft.batch/batchaccounts/pools/write")
    {
        let s = vm::sizes(body);
        if !s.sizes.is_empty() {
            g.insert("vm.sizes".into(), json!(s.sizes));
            g.insert("vm.gpu".into(), json!(s.gpu));
            g.insert("vm.high_core".into(), json!(s.high_core));
            g.insert("vm.max_cores".into(), json!(s.max_cores));
            g.insert("vm.expensive".into(), json!(s.gpu || s.high_core));
        }
        if let Some(c) = s.capacity {
            g.insert("vm.capacity".into(), json!(c));
        }
    }
    if ends(op, "microsoft.authorization/locks/write") {
        settings::lock(body, &mut g);
    }
    if op.starts_with("microsoft.authorization/policy") {
        settings::policy(body, &mut g);
    }
    if ends(op, "/diagnosticsettings/write") {
        settings::diagnostic(body, &mut g);
    }
    if op.starts_with("microsoft.keyvault/vaults") {
        settings::keyvault(body, &mut g);
    }
    if op.starts_with("microsoft.storage/") {
        settings::storage(op, Some(body), &mut g);
    }
    if op.contains("/runcommand") {
        settings::run_command(body, &mut g);
    }
    if ends(op, "/extensions/write") {
        settings::extension(Some(body), resource_id, &mut g);
    }
    if ends(op, "microsoft.sql/servers/firewallrules/write") {
        settings::sql_firewall(body, &mut g);
    }
    if ends(op, "microsoft.security/pricings/write") {
        settings::defender(body, &mut g);
    }
    for (k, v) in g {
        f.entry(k).or_insert(v);
    }
}

/// Facts from the operation name and its bodies.
pub fn body_facts(
    op: &str,
    request: Option<&Value>,
    response: Option<&Value>,
    resource_id: Option<&str>,
) -> Facts {
    let op = op.to_ascii_lowercase();
    let mut f = Facts::new();
    for b in [request, response].into_iter().flatten() {
        decode_into(&op, b, resource_id, &mut f);
    }
    // Facts that need no body.
    if op.starts_with("microsoft.storage/") {
        settings::storage(&op, None, &mut f);
    }
    if ends(&op, "/extensions/write") && !f.contains_key("ext.type") {
        settings::extension(None, resource_id, &mut f);
    }
    if ends(&op, "microsoft.authorization/roleassignments/write")
        && !f.contains_key("role.scope_level")
    {
        if let Some(s) = resource_id.and_then(role::scope_of_assignment_id) {
            f.insert("role.scope_level".into(), json!(role::scope_level(&s)));
            f.insert("role.scope".into(), json!(s));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsg_write_routes_to_decoder() {
        let body = json!({"properties": {"access": "Allow", "direction": "Inbound",
            "sourceAddressPrefix": "Internet", "destinationPortRange": "3000-4000"}});
        let f = body_facts(
            "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
            Some(&body),
            None,
            None,
        );
        assert_eq!(f["nsg.exposed"], json!(true));
        assert_eq!(f["nsg.exposed_admin_ports"], json!([3389]));
    }

    #[test]
    fn response_fills_what_request_lacks() {
        let req = json!({"location": "x"});
        let resp = json!({"properties": {"hardwareProfile": {"vmSize": "Standard_ND96asr_v4"}}});
        let f = body_facts(
            "Microsoft.Compute/virtualMachines/write",
            Some(&req),
            Some(&resp),
            None,
        );
        assert_eq!(f["vm.gpu"], json!(true));
        assert_eq!(f["vm.high_core"], json!(true));
    }
}
