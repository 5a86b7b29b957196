//! `commands/`: the exact tokentrail command, the collection commands that would fill each
//! gap, and rollback suggestions per finding. These are written out, never run.

use crate::escape::{md, md_code, sh};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::identity::IdentityType;

/// `commands/tokentrail.md`.
pub fn tokentrail(command_line: &str) -> String {
    format!(
        "# The tokentrail command\n\nThis bundle was produced by:\n\n```\n{command_line}\n```\n\nA second reviewer re-checks every hash and re-runs the analysis from `exports/` with:\n\n```\ntokentrail verify <this directory>\n```\n"
    )
}

/// Writes `commands/collect.md`, each distinct collection command grouped by tool, to `w` a
/// block at a time (with no sign-in export, hundreds of MB at 1M events).
pub fn collect_to(
    w: &mut dyn std::io::Write,
    findings: &[OperationFinding],
) -> std::io::Result<()> {
    // Borrowed and de-duplicated as they are gathered: with no sign-in export, every one of
    // a million operations has gaps, and copying each command and reason held gigabytes.
    let mut by_tool: BTreeMap<&str, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for f in findings {
        for g in &f.gaps {
            for c in &g.commands {
                by_tool
                    .entry(c.tool)
                    .or_default()
                    .entry(c.command.as_str())
                    .or_default()
                    .insert(g.detail.as_str());
            }
        }
    }
    let mut o = String::from("# Collection commands\n\nEach command fetches evidence this bundle is missing. Review before running; time windows are UTC.\n");
    if by_tool.is_empty() {
        o.push_str("\nNothing is missing: every operation was linked to a sign-in or is a platform action.\n");
    }
    for (tool, cmds) in by_tool {
        let _ = writeln!(o, "\n## {tool}\n");
        for (cmd, reasons) in cmds {
            crate::blocks::spill(w, &mut o)?;
            let reasons: Vec<&str> = reasons.into_iter().collect();
            let _ = writeln!(o, "Why: {}\n", md(&reasons.join("; ")));
            let fence = if tool == "KQL" {
                "kusto"
            } else if tool == "PowerShell" {
                "powershell"
            } else {
                "sh"
            };
            let _ = writeln!(o, "```{fence}\n{}\n```\n", cmd.replace("```", "'''"));
        }
    }
    w.write_all(o.as_bytes())
}

fn rollback_for(f: &OperationFinding) -> Vec<String> {
    let op = f.operation.to_ascii_lowercase();
    let id = f.resource_id.as_deref().unwrap_or("");
    let q = sh(id);
    let mut v = Vec::new();
    if op.ends_with("roleassignments/write") {
        v.push(format!("az role assignment delete --ids {q}"));
    } else if op.contains("securityrules/write") || op.ends_with("networksecuritygroups/write") {
        v.push(format!("az network nsg rule delete --ids {q}   # or restore the previous rule from the responseBody"));
    } else if op.contains("storageaccounts/regeneratekey")
        || op.contains("storageaccounts/listkeys")
    {
        v.push(format!("az storage account keys renew --ids {} --key primary && az storage account keys renew --ids {} --key secondary", q, q));
    } else if op.ends_with("virtualmachines/write") {
        v.push(format!(
            "az vm deallocate --ids {q}   # snapshot the disks for evidence before any delete"
        ));
    } else if op.ends_with("locks/delete") {
        v.push(format!("az lock create --name restored-lock --lock-type CanNotDelete --resource {q}   # use the original lock level and name"));
    } else if op.contains("diagnosticsettings/delete") {
        v.push(format!("az monitor diagnostic-settings create --resource {q} --name restored --workspace <workspace-id> --logs '[{{\"categoryGroup\":\"allLogs\",\"enabled\":true}}]'"));
    } else if op.contains("policyassignments/") {
        v.push(format!("az policy assignment show --ids {q}   # restore enforcementMode Default and the original parameters"));
    } else if op.contains("runcommand") || op.contains("extensions/write") {
        v.push(format!(
            "az vm run-command list --ids {q}   # review what ran; isolate the VM if unknown"
        ));
    } else if op.contains("elevateaccess") {
        v.push("az role assignment delete --role 'User Access Administrator' --scope /   # remove the elevated assignment".into());
    }
    match f.identity.kind {
        IdentityType::User => {
            // Only a well-formed GUID goes into a URL.
            if let Some(oid) = f
                .identity
                .object_id
                .as_deref()
                .and_then(tokentrail_model::Guid::parse)
            {
                v.push(format!("az rest --method post --url https://graph.microsoft.com/v1.0/users/{oid}/revokeSignInSessions   # revoke sessions; then reset the password and re-register MFA"));
            }
        }
        IdentityType::ServicePrincipal => {
            if let Some(app) = &f.identity.app_id {
                v.push(format!("az ad app credential list --id {}   # remove unknown credentials; rotate the rest", sh(app)));
            }
        }
        IdentityType::ManagedIdentity => {
            if let Some(r) = &f.identity.managed_identity_resource {
                v.push(format!(
                    "# review role assignments of the managed identity of {}",
                    sh(r)
                ));
            }
        }
        _ => {}
    }
    v
}

/// Writes `commands/rollback.md`, suggestions per operation of interest, to `w` a block at
/// a time (tens of MB at 1M events).
pub fn rollback_to(
    w: &mut dyn std::io::Write,
    findings: &[OperationFinding],
    interest: &[usize],
) -> std::io::Result<()> {
    let mut o = String::from("# Rollback suggestions\n\nWritten out for review, never run. Resource ids come from the logs and are shell-quoted.\n");
    for &i in interest {
        crate::blocks::spill(w, &mut o)?;
        let f = &findings[i];
        let cmds = rollback_for(f);
        if cmds.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "\n## {} at {}\n\nBy {} {}.\n",
            md_code(&f.operation),
            f.time,
            f.identity.kind.label(),
            md_code(&f.identity.display)
        );
        let _ = writeln!(o, "```sh\n{}\n```", cmds.join("\n").replace("```", "'''"));
    }
    w.write_all(o.as_bytes())
}
