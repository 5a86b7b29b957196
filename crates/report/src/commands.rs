//! `commands/`: the exact tokentrail command, the collection commands that would fill each
//! gap, and rollback suggestions (containment per identity, undo per operation of interest).
//! These are written out, never run.

use crate::escape::{md, md_code, sh};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::gaps::Query;
use tokentrail_analyze::identity::IdentityType;
use tokentrail_analyze::signins::Kind;

/// `commands/tokentrail.md`.
pub fn tokentrail(command_line: &str) -> String {
    format!(
        "# The tokentrail command\n\nThis bundle was produced by:\n\n```\n{command_line}\n```\n\nA second reviewer re-checks every hash and re-runs the analysis from `exports/` with:\n\n```\ntokentrail verify <this directory>\n```\n"
    )
}

/// Gap windows of one identity and sign-in kind less than this apart are collected with one
/// query: one broader fetch is easier to run and review than one per operation.
const MERGE_WITHIN: SignedDuration = SignedDuration::from_hours(24);

/// One operation's gap window: from, to, and why it is needed.
type Window<'a> = (Timestamp, Timestamp, &'a str);

/// Distinct reasons listed for one query; the rest are counted.
const REASONS_SHOWN: usize = 3;

/// Writes `commands/collect.md` to `w` a block at a time: for each sign-in kind and identity
/// the gaps name, one set of commands (az, PowerShell, KQL) per stretch of time, the gap
/// windows of its operations merged where they overlap or lie less than a day (`MERGE_WITHIN`)
/// apart. (Each operation's own window stays in `findings/operations.jsonl`.)
pub fn collect_to(
    w: &mut dyn std::io::Write,
    findings: &[OperationFinding],
) -> std::io::Result<()> {
    // Borrowed as they are gathered (with no sign-in export, every one of a million
    // operations has gaps), by identity, then sign-in kind: one identity's queries are
    // listed together.
    let mut wanted: BTreeMap<(Option<&str>, Kind), Vec<Window<'_>>> = BTreeMap::new();
    for f in findings {
        for g in &f.gaps {
            for q in &g.queries {
                wanted.entry((q.who.as_deref(), q.kind)).or_default().push((
                    q.from,
                    q.to,
                    g.detail.as_str(),
                ));
            }
        }
    }
    // One query per stretch, with its distinct reasons and how many operations it serves.
    let mut merged: Vec<(Query, BTreeSet<&str>, usize)> = Vec::new();
    for ((who, kind), mut windows) in wanted {
        windows.sort_unstable();
        let mut cur: Option<(Query, BTreeSet<&str>, usize)> = None;
        for (from, to, why) in windows {
            match &mut cur {
                Some((q, reasons, n)) if from < q.to + MERGE_WITHIN => {
                    q.to = q.to.max(to);
                    reasons.insert(why);
                    *n += 1;
                }
                _ => {
                    merged.extend(cur.take());
                    let q = Query {
                        kind,
                        who: who.map(Into::into),
                        from,
                        to,
                    };
                    cur = Some((q, BTreeSet::from([why]), 1));
                }
            }
        }
        merged.extend(cur);
    }
    let mut o = String::from("# Collection commands\n\nEach command fetches evidence this bundle is missing: the sign-ins of one kind for one identity (for every identity when its id cannot safely go into a command). The gap windows of that identity's operations are merged where they overlap or lie less than 24 hours apart; each operation's own window is in `findings/operations.jsonl`. Review before running; times are UTC.\n");
    if merged.is_empty() {
        o.push_str("\nNothing is missing: every operation was linked to a sign-in or is a platform action.\n");
    }
    let tools = [("KQL", "kusto"), ("PowerShell", "powershell"), ("az", "sh")];
    for (tool, fence) in tools.into_iter().filter(|_| !merged.is_empty()) {
        let _ = writeln!(o, "\n## {tool}\n");
        for (q, reasons, n) in &merged {
            crate::blocks::spill(w, &mut o)?;
            let mut why: Vec<&str> = reasons.iter().take(REASONS_SHOWN).copied().collect();
            let more = reasons.len() - why.len();
            let more = (more > 0).then(|| format!("and {more} more"));
            why.extend(more.as_deref());
            let ops = if *n == 1 { "operation" } else { "operations" };
            let whom = q.who.as_deref().map_or("any identity".into(), md_code);
            let _ = writeln!(
                o,
                "{} sign-ins of {whom} for {n} {ops}. Why: {}\n",
                capitalized(q.kind.label()),
                md(&why.join("; "))
            );
            for c in q.commands().iter().filter(|c| c.tool == tool) {
                let _ = writeln!(o, "```{fence}\n{}\n```\n", c.command.replace("```", "'''"));
            }
        }
    }
    w.write_all(o.as_bytes())
}

/// `s` with its first letter in upper case.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// An identity as the Markdown names it: its kind, then its display name in code (the kind
/// once: the display names of principals already start with it).
fn named(kind: &str, display: &str) -> String {
    if display.starts_with(kind) {
        md_code(display)
    } else {
        format!("{kind} {}", md_code(display))
    }
}

/// What undoes the change `f` made to its resource.
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
    v
}

/// The command that contains the identity behind `f`: revoke a user's sessions, review a
/// service principal's credentials or a managed identity's role assignments.
fn containment_for(f: &OperationFinding) -> Option<String> {
    match f.identity.kind {
        // Only a well-formed GUID goes into a URL.
        IdentityType::User => f
            .identity
            .object_id
            .as_deref()
            .and_then(tokentrail_model::Guid::parse)
            .map(|oid| format!("az rest --method post --url https://graph.microsoft.com/v1.0/users/{oid}/revokeSignInSessions   # revoke sessions; then reset the password and re-register MFA")),
        IdentityType::ServicePrincipal => f.identity.app_id.as_ref().map(|app| {
            format!(
                "az ad app credential list --id {}   # remove unknown credentials; rotate the rest",
                sh(app)
            )
        }),
        IdentityType::ManagedIdentity => f
            .identity
            .managed_identity_resource
            .as_ref()
            .map(|r| format!("# review role assignments of the managed identity of {}", sh(r))),
        _ => None,
    }
}

/// Writes `commands/rollback.md` to `w` a block at a time: first what contains each
/// identity behind an operation of interest (once per identity, however many operations it
/// did), then what undoes each operation of interest.
pub fn rollback_to(
    w: &mut dyn std::io::Write,
    findings: &[OperationFinding],
    interest: &[usize],
) -> std::io::Result<()> {
    let mut o = String::from("# Rollback suggestions\n\nWritten out for review, never run. Resource ids come from the logs and are shell-quoted.\n");
    // Containment command (one per identity: it carries the object id, app id or resource)
    // -> the identity's kind, display names and how many operations of interest it did.
    let mut contain: BTreeMap<String, (&str, BTreeSet<&str>, usize)> = BTreeMap::new();
    for &i in interest {
        let f = &findings[i];
        if let Some(c) = containment_for(f) {
            let e = contain
                .entry(c)
                .or_insert((f.identity.kind.label(), BTreeSet::new(), 0));
            e.1.insert(f.identity.display.as_str());
            e.2 += 1;
        }
    }
    // Listed by display name.
    let mut contain: Vec<_> = contain.into_iter().collect();
    contain.sort_by(|a, b| (a.1 .1.first(), &a.0).cmp(&(b.1 .1.first(), &b.0)));
    if !contain.is_empty() {
        o.push_str("\n## Contain the identities\n");
    }
    for (cmd, (kind, names, n)) in &contain {
        crate::blocks::spill(w, &mut o)?;
        let ops = if *n == 1 { "operation" } else { "operations" };
        let names: Vec<String> = names.iter().map(|d| named(kind, d)).collect();
        let _ = writeln!(
            o,
            "\n### {} ({n} {ops} of interest)\n\n```sh\n{}\n```",
            names.join(", "),
            cmd.replace("```", "'''")
        );
    }
    // Operations whose undo is the same command (keys listed again and again on one
    // account, one assignment written twice) share one block, in order of first appearance.
    // Command -> (where it first appears among the operations of interest, the operations).
    let mut groups: std::collections::HashMap<String, (usize, Vec<usize>)> =
        std::collections::HashMap::new();
    for (k, &i) in interest.iter().enumerate() {
        let cmds = rollback_for(&findings[i]);
        if !cmds.is_empty() {
            groups
                .entry(cmds.join("\n"))
                .or_insert((k, Vec::new()))
                .1
                .push(i);
        }
    }
    let mut undo: Vec<(String, (usize, Vec<usize>))> = groups.into_iter().collect();
    undo.sort_by_key(|(_, (first, _))| *first);
    if !undo.is_empty() {
        o.push_str("\n## Undo the changes\n");
    }
    for (cmd, (_, ops)) in &undo {
        crate::blocks::spill(w, &mut o)?;
        undo_block(&mut o, findings, ops, cmd);
    }
    w.write_all(o.as_bytes())
}

/// Names listed in an undo block before "and N more".
const UNDO_NAMES: usize = 5;

/// One "Undo the changes" block: the operations `ops` (indices into `findings`, in order)
/// that `cmd` undoes.
fn undo_block(o: &mut String, findings: &[OperationFinding], ops: &[usize], cmd: &str) {
    let first = &findings[ops[0]];
    if let [_] = ops {
        let _ = writeln!(
            o,
            "\n### {} at {}\n\nBy {}.\n",
            md_code(&first.operation),
            first.time,
            named(first.identity.kind.label(), &first.identity.display)
        );
    } else {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        let mut who: BTreeSet<(&str, &str)> = BTreeSet::new();
        // Earliest and latest by instant (the texts' fractions differ in length).
        fn at(f: &OperationFinding) -> (Option<Timestamp>, &str) {
            (f.time.parse().ok(), f.time.as_str())
        }
        let (mut from, mut to) = (at(first), at(first));
        for &i in ops {
            let f = &findings[i];
            names.insert(f.operation.as_str());
            who.insert((f.identity.kind.label(), f.identity.display.as_str()));
            from = from.min(at(f));
            to = to.max(at(f));
        }
        let (from, to) = (from.1, to.1);
        let names: Vec<String> = names.iter().map(|n| md_code(n)).collect();
        let mut by: Vec<String> = who
            .iter()
            .take(UNDO_NAMES)
            .map(|(k, d)| named(k, d))
            .collect();
        if who.len() > UNDO_NAMES {
            by.push(format!("and {} more", who.len() - UNDO_NAMES));
        }
        let _ = writeln!(
            o,
            "\n### {} ({} operations, {from} to {to})\n\nBy {}.\n",
            names.join(", "),
            ops.len(),
            by.join(", ")
        );
    }
    let _ = writeln!(o, "```sh\n{}\n```", cmd.replace("```", "'''"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentrail_analyze::gaps::Gap;

    fn with_gaps(gaps: Vec<Gap>) -> OperationFinding {
        let mut f = crate::demo::demo_case().0.remove(0);
        f.gaps = gaps;
        f
    }

    fn gap(kind: Kind, who: Option<&str>, at: &str, detail: &str) -> Gap {
        Gap {
            reason: "kind_not_provided",
            detail: detail.into(),
            queries: vec![Query::around(kind, who, at.parse().unwrap(), 2)],
        }
    }

    #[test]
    fn collection_windows_merge_per_identity_and_kind_when_less_than_a_day_apart() {
        let a = Some("alice@contoso.example");
        let b = Some("0b0e54c4-4d3f-4f59-9c1a-8b9f0e3c2d11");
        let findings: Vec<OperationFinding> = [
            // Alice: 06:00 and 20:00 merge (windows 04:00–07:00 and 18:00–21:00); 01:00 two
            // days later (window from 23:00 the next day, 26 h after 21:00) is a query of
            // its own.
            gap(
                Kind::Interactive,
                a,
                "2024-06-10T06:00:00Z",
                "no interactive",
            ),
            gap(
                Kind::Interactive,
                a,
                "2024-06-10T20:00:00Z",
                "no interactive",
            ),
            gap(
                Kind::Interactive,
                a,
                "2024-06-12T01:00:00Z",
                "outside coverage",
            ),
            // Same time, another kind: its own query.
            gap(
                Kind::NonInteractive,
                a,
                "2024-06-10T06:00:00Z",
                "no non-interactive",
            ),
            // Another identity, and one whose id cannot go into a command.
            gap(Kind::ServicePrincipal, b, "2024-06-10T06:00:00Z", "no sp"),
            gap(
                Kind::Interactive,
                Some("x\"; rm -rf ~; \"@a"),
                "2024-06-10T06:00:00Z",
                "no interactive",
            ),
        ]
        .into_iter()
        .map(|g| with_gaps(vec![g]))
        .collect();
        let mut out = Vec::new();
        collect_to(&mut out, &findings).unwrap();
        let md = String::from_utf8(out).unwrap();
        let kql: Vec<&str> = md
            .split("\n## ")
            .nth(1)
            .unwrap()
            .lines()
            .filter(|l| {
                l.starts_with("| where TimeGenerated")
                    || l.ends_with(". Why: no interactive")
                    || l.contains(" for ")
            })
            .collect();
        assert_eq!(
            kql,
            [
                "Interactive user sign-ins of any identity for 1 operation. Why: no interactive",
                "| where TimeGenerated between (datetime(2024-06-10T04:00:00Z) .. datetime(2024-06-10T07:00:00Z))",
                "Service principal sign-ins of `0b0e54c4-4d3f-4f59-9c1a-8b9f0e3c2d11` for 1 operation. Why: no sp",
                "| where TimeGenerated between (datetime(2024-06-10T04:00:00Z) .. datetime(2024-06-10T07:00:00Z))",
                "Interactive user sign-ins of `alice@contoso.example` for 2 operations. Why: no interactive",
                "| where TimeGenerated between (datetime(2024-06-10T04:00:00Z) .. datetime(2024-06-10T21:00:00Z))",
                "Interactive user sign-ins of `alice@contoso.example` for 1 operation. Why: outside coverage",
                "| where TimeGenerated between (datetime(2024-06-11T23:00:00Z) .. datetime(2024-06-12T02:00:00Z))",
                "Non-interactive user sign-ins of `alice@contoso.example` for 1 operation. Why: no non-interactive",
                "| where TimeGenerated between (datetime(2024-06-10T04:00:00Z) .. datetime(2024-06-10T07:00:00Z))",
            ]
        );
        // Every tool lists the same queries, and nothing hostile reached a command.
        assert_eq!(md.matches("```kusto").count(), 5);
        assert_eq!(md.matches("```powershell").count(), 5);
        assert_eq!(md.matches("```sh").count(), 5);
        assert!(!md.contains("rm -rf"));
        // Each identity is filtered on its own field.
        for field in [
            "| where UserPrincipalName =~ \"alice@contoso.example\"",
            "and userPrincipalName eq 'alice@contoso.example'",
            "| where ServicePrincipalId == \"0b0e54c4-4d3f-4f59-9c1a-8b9f0e3c2d11\"",
            "and servicePrincipalId eq '0b0e54c4-4d3f-4f59-9c1a-8b9f0e3c2d11'",
        ] {
            assert!(md.contains(field), "{field}");
        }
    }

    #[test]
    fn each_identity_is_contained_once_however_many_operations_it_did() {
        let (mut findings, _) = crate::demo::demo_case();
        let first = findings[0].clone();
        findings.extend([first.clone(), first]);
        let interest: Vec<usize> = (0..findings.len()).collect();
        let mut out = Vec::new();
        rollback_to(&mut out, &findings, &interest).unwrap();
        let md = String::from_utf8(out).unwrap();
        let contain = md
            .split("## Undo the changes")
            .next()
            .unwrap_or_default()
            .to_string();
        let ids: std::collections::BTreeSet<String> =
            findings.iter().filter_map(containment_for).collect();
        for c in &ids {
            assert_eq!(contain.matches(c.as_str()).count(), 1, "{c}");
        }
        assert_eq!(contain.matches("\n### ").count(), ids.len());
        let n = interest
            .iter()
            .filter(|&&i| containment_for(&findings[i]) == containment_for(&findings[0]))
            .count();
        assert!(
            contain.contains(&format!("({n} operations of interest)")),
            "{contain}"
        );
    }

    /// Operations with the same undo command share one block, which names each operation
    /// kind, the earliest and latest times (by instant: `00.5Z` is before `00.578Z`) and up
    /// to five identities.
    #[test]
    fn operations_with_one_undo_command_share_a_block() {
        let base = crate::demo::demo_case()
            .0
            .into_iter()
            .find(|f| !rollback_for(f).is_empty())
            .unwrap();
        let times = [
            "2024-06-10T06:00:00.578Z",
            "2024-06-10T06:00:00.5Z",
            "2024-06-10T07:00:00Z",
            "2024-06-10T05:59:59.9Z",
            "2024-06-10T06:30:00Z",
            "2024-06-10T06:40:00Z",
            "2024-06-10T06:50:00Z",
        ];
        let findings: Vec<OperationFinding> = times
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let mut f = base.clone();
                f.time = t.to_string();
                let mut who = (*f.identity).clone();
                who.display = format!("user{k}@contoso.example");
                f.identity = std::sync::Arc::new(who);
                f
            })
            .collect();
        let interest: Vec<usize> = (0..findings.len()).collect();
        let mut out = Vec::new();
        rollback_to(&mut out, &findings, &interest).unwrap();
        let text = String::from_utf8(out).unwrap();
        let undo = text.split("## Undo the changes").nth(1).unwrap();
        assert_eq!(undo.matches("\n### ").count(), 1, "{undo}");
        assert_eq!(undo.matches("```sh").count(), 1, "{undo}");
        assert!(
            undo.contains("(7 operations, 2024-06-10T05:59:59.9Z to 2024-06-10T07:00:00Z)"),
            "{undo}"
        );
        assert!(
            undo.contains("user4@contoso.example`, and 2 more."),
            "{undo}"
        );
    }
}
