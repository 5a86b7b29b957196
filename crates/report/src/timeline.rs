//! The merged UTC timeline of sign-ins, changes and audit events: `timeline.md` grouped per
//! identity of interest, and Timesketch-ready `timeline.csv` / `timeline.jsonl`
//! (`message`, `datetime`, `timestamp_desc` plus fields).

#[cfg(test)]
use crate::escape::md;
use crate::escape::{csv_cell_cow, md_code, md_code_into, md_into};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::{Kind, SignInFacts};
use tokentrail_analyze::verdict::Verdict;
use tokentrail_model::{AuditEvent, StatusKind};

/// One timeline row. Text taken as is from a finding or sign-in is borrowed, not copied.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Entry<'a> {
    /// The instant, for ordering (RFC 3339 text with varying fraction digits does not sort).
    #[serde(skip)]
    pub ts: jiff::Timestamp,
    pub datetime: Cow<'a, str>,
    pub timestamp_desc: &'static str,
    pub message: String,
    pub source: &'static str,
    pub identity: Cow<'a, str>,
    pub ip: Cow<'a, str>,
    pub operation: Cow<'a, str>,
    pub resource_id: Cow<'a, str>,
    pub status: Cow<'a, str>,
    pub sign_in_id: Cow<'a, str>,
    pub correlation_id: Cow<'a, str>,
    pub verdict: Cow<'a, str>,
}

/// An optional borrowed text, empty when absent.
fn opt(s: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(s.unwrap_or_default())
}

/// The rows of a timeline, in order, each built when it is read (see [`Timeline`]); a
/// slice of ready-made entries is one too.
pub trait Rows {
    /// How many rows.
    fn count(&self) -> usize;
    /// Calls `f` with row `k`.
    fn with<R>(&self, k: usize, f: impl FnOnce(&Entry) -> R) -> R;
    /// Calls `f` with row `k`'s identity, source and sign-in id (what places a row in
    /// `timeline.md`'s sections), without building the whole row where that is cheaper.
    fn route<R>(&self, k: usize, f: impl FnOnce(&str, &str, &str) -> R) -> R {
        self.with(k, |e| f(&e.identity, e.source, &e.sign_in_id))
    }
}

impl Rows for [Entry<'_>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn with<R>(&self, k: usize, f: impl FnOnce(&Entry) -> R) -> R {
        f(&self[k])
    }
}

/// Where a row comes from. The order is that of the `source` names, which sorts rows of
/// the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum From {
    Activity,
    Audit,
    SignIn,
}

/// A row's place: its instant, its source and its position in the source's list.
#[derive(Clone, Copy, Debug)]
struct Slot {
    ts: jiff::Timestamp,
    from: From,
    i: u32,
}

/// The merged timeline of findings, sign-ins and audit events, sorted by time, then source,
/// then message. Only each row's place is held (16 bytes); the row's text is built when it
/// is read, so a timeline of millions of rows does not hold millions of messages.
pub struct Timeline<'a> {
    findings: &'a [OperationFinding],
    signins: &'a [SignInFacts],
    audit: &'a [AuditEvent],
    order: Vec<Slot>,
}

impl<'a> Timeline<'a> {
    /// Orders every finding, every sign-in with a time and every audit event with a time.
    pub fn new(
        findings: &'a [OperationFinding],
        signins: &'a [SignInFacts],
        audit: &'a [AuditEvent],
    ) -> Timeline<'a> {
        let mut order = Vec::with_capacity(findings.len() + signins.len() + audit.len());
        let slot = |ts, from, i: usize| Slot {
            ts,
            from,
            i: i as u32,
        };
        for (i, f) in findings.iter().enumerate() {
            order.push(slot(f.time.parse().unwrap_or_default(), From::Activity, i));
        }
        for (i, s) in signins.iter().enumerate() {
            // A sign-in without a time cannot be placed.
            if let Some(t) = s.time {
                order.push(slot(t, From::SignIn, i));
            }
        }
        for (i, a) in audit.iter().enumerate() {
            // Nor can an audit row without one (e.g. from a hunting-query CSV).
            if let Some(t) = &a.time {
                order.push(slot(t.utc, From::Audit, i));
            }
        }
        let mut tl = Timeline {
            findings,
            signins,
            audit,
            order: Vec::new(),
        };
        // Stable, so rows equal in all three keys keep the order they were pushed in.
        order.sort_by(|a, b| {
            a.ts.cmp(&b.ts)
                .then(a.from.cmp(&b.from))
                .then_with(|| tl.build(*a).message.cmp(&tl.build(*b).message))
        });
        tl.order = order;
        tl
    }

    /// Row `k`.
    pub fn entry(&self, k: usize) -> Entry<'a> {
        self.build(self.order[k])
    }

    /// Every row, in order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + '_ {
        self.order.iter().map(|&s| self.build(s))
    }

    fn build(&self, s: Slot) -> Entry<'a> {
        let i = s.i as usize;
        match s.from {
            From::Activity => finding_entry(&self.findings[i], s.ts),
            From::SignIn => signin_entry(&self.signins[i], s.ts),
            From::Audit => audit_entry(&self.audit[i], s.ts),
        }
    }
}

impl Rows for Timeline<'_> {
    fn count(&self) -> usize {
        self.order.len()
    }
    fn with<R>(&self, k: usize, f: impl FnOnce(&Entry) -> R) -> R {
        f(&self.entry(k))
    }
    fn route<R>(&self, k: usize, f: impl FnOnce(&str, &str, &str) -> R) -> R {
        let s = self.order[k];
        let i = s.i as usize;
        match s.from {
            From::Activity => f(&self.findings[i].identity.display, "activity", ""),
            From::SignIn => {
                let sign_in = &self.signins[i];
                f(signin_who(sign_in), "signin", &sign_in.id.text())
            }
            From::Audit => self.with(k, |e| f(&e.identity, e.source, &e.sign_in_id)),
        }
    }
}

/// Every row of the merged timeline, built (see [`Timeline`], which builds them one at a
/// time).
pub fn entries<'a>(
    findings: &'a [OperationFinding],
    signins: &'a [SignInFacts],
    audit: &'a [AuditEvent],
) -> Vec<Entry<'a>> {
    Timeline::new(findings, signins, audit).entries().collect()
}

fn finding_entry(f: &OperationFinding, t: jiff::Timestamp) -> Entry<'_> {
    Entry {
        ts: t,
        datetime: Cow::Borrowed(&f.time),
        timestamp_desc: "Event Time",
        // `concat` allocates once, at the final size: a message is built for each of
        // millions of rows, twice (`format!` took a third of the time of building a row).
        message: [
            &*f.operation,
            " ",
            f.resource_id.as_deref().unwrap_or(""),
            " by ",
            &f.identity.display,
            " [",
            verdict_name(f.verdict),
            "]",
        ]
        .concat(),
        source: "activity",
        identity: Cow::Borrowed(&f.identity.display),
        ip: opt(f.caller_ip.as_deref()),
        operation: Cow::Borrowed(&f.operation),
        resource_id: opt(f.resource_id.as_deref()),
        status: Cow::Borrowed(status_word(f.status)),
        sign_in_id: opt(f.sign_in.as_ref().map(|s| s.id.as_str())),
        correlation_id: opt(f.correlation_id.as_deref()),
        verdict: Cow::Borrowed(verdict_word(f.verdict)),
    }
}

/// An operation's status as the timeline names it: the variant's name in lower case.
fn status_word(s: StatusKind) -> &'static str {
    match s {
        StatusKind::Started => "started",
        StatusKind::Accepted => "accepted",
        StatusKind::InProgress => "inprogress",
        StatusKind::Succeeded => "succeeded",
        StatusKind::Failed => "failed",
        StatusKind::Canceled => "canceled",
        StatusKind::Active => "active",
        StatusKind::Resolved => "resolved",
        StatusKind::Updated => "updated",
        StatusKind::Unknown => "unknown",
    }
}

/// A verdict as an Activity row's message names it: the variant's name (`{:?}`).
fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Interactive => "Interactive",
        Verdict::Automation => "Automation",
        Verdict::Platform => "Platform",
        Verdict::Undetermined => "Undetermined",
    }
}

/// A verdict as the timeline names it: the variant's name in lower case.
fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Interactive => "interactive",
        Verdict::Automation => "automation",
        Verdict::Platform => "platform",
        Verdict::Undetermined => "undetermined",
    }
}

/// A sign-in row's `operation`: `sign-in (` its kind's label `)`.
fn signin_operation(k: Kind) -> &'static str {
    match k {
        Kind::Interactive => "sign-in (interactive user)",
        Kind::NonInteractive => "sign-in (non-interactive user)",
        Kind::ServicePrincipal => "sign-in (service principal)",
        Kind::ManagedIdentity => "sign-in (managed identity)",
        Kind::Adfs => "sign-in (AD FS)",
        Kind::Unknown => "sign-in (unknown kind)",
    }
}

/// Who a sign-in row is about: the UPN, else the app, else the object id.
fn signin_who(s: &SignInFacts) -> &str {
    s.upn
        .as_deref()
        .or(s.app_name.as_deref())
        .or(s.object_id.as_deref())
        .unwrap_or_default()
}

fn signin_entry(s: &SignInFacts, t: jiff::Timestamp) -> Entry<'_> {
    let who = signin_who(s);
    Entry {
        ts: t,
        datetime: t.to_string().into(),
        timestamp_desc: "Sign-in Time",
        message: [
            if s.success { "successful" } else { "failed" },
            " sign-in ",
            s.kind().label(),
            " by ",
            who,
            " to ",
            s.app_name.as_deref().or(s.app_id.as_deref()).unwrap_or("?"),
            " from ",
            s.ip.as_deref().unwrap_or("?"),
        ]
        .concat(),
        source: "signin",
        identity: Cow::Borrowed(who),
        ip: opt(s.ip.as_deref()),
        operation: Cow::Borrowed(signin_operation(s.kind())),
        resource_id: opt(s.resource_id.as_deref()),
        status: Cow::Borrowed(if s.success { "success" } else { "failure" }),
        sign_in_id: s.id.to_cow(),
        correlation_id: Cow::Borrowed(""),
        verdict: Cow::Borrowed(""),
    }
}

fn audit_entry(a: &AuditEvent, t: jiff::Timestamp) -> Entry<'_> {
    let who = a
        .initiator
        .as_ref()
        .and_then(|i| {
            i.user
                .as_ref()
                .and_then(|u| u.upn.clone().or_else(|| u.id.clone()))
                .or_else(|| {
                    i.app.as_ref().and_then(|p| {
                        p.display_name
                            .clone()
                            .or_else(|| p.service_principal_id.clone())
                    })
                })
        })
        .unwrap_or_default();
    let ip = a
        .initiator
        .as_ref()
        .and_then(|i| i.user.as_ref())
        .and_then(|u| u.ip.clone())
        .unwrap_or_default();
    let targets: Vec<String> = a
        .targets
        .iter()
        .filter_map(|t| t.display_name.clone().or_else(|| t.id.clone()))
        .collect();
    Entry {
        ts: t,
        datetime: t.to_string().into(),
        timestamp_desc: "Activity Time",
        message: format!(
            "audit: {} by {} on {}",
            a.activity,
            if who.is_empty() { "?" } else { &who },
            targets.join(", ")
        ),
        source: "audit",
        identity: who.into(),
        ip: ip.into(),
        operation: Cow::Borrowed(&a.activity),
        resource_id: targets.join(", ").into(),
        status: opt(a.result.as_deref()),
        sign_in_id: Cow::Borrowed(""),
        correlation_id: opt(a.correlation_id.as_deref()),
        verdict: Cow::Borrowed(""),
    }
}

/// `timeline.jsonl`.
pub fn jsonl(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl_to(&mut out, entries).expect("serializing a timeline entry");
    out
}

/// `timeline.jsonl`, streamed to `w`. Each line is built in memory with
/// [`crate::json::str_into`]: the same bytes as `serde_json` gives for an [`Entry`]
/// (checked by a test), without its byte-by-byte scan or a small write per token.
pub fn jsonl_to<R: Rows + ?Sized>(w: &mut dyn Write, rows: &R) -> io::Result<()> {
    csv_and_jsonl_to(None, Some(w), rows)
}

/// `timeline.csv` and `timeline.jsonl` (either may be left out) in one pass over the rows,
/// so each row is built once for both.
pub fn csv_and_jsonl_to<R: Rows + ?Sized>(
    csv: Option<&mut dyn Write>,
    jsonl: Option<&mut dyn Write>,
    rows: &R,
) -> io::Result<()> {
    let mut csv = csv.map(::csv::Writer::from_writer);
    if let Some(c) = csv.as_mut() {
        c.write_record(CSV_HEADER)?;
    }
    let mut jsonl = jsonl.map(|w| (w, Vec::with_capacity(1 << 17)));
    for k in 0..rows.count() {
        rows.with(k, |e| -> io::Result<()> {
            if let Some(c) = csv.as_mut() {
                csv_row(c, e)?;
            }
            if let Some((w, buf)) = jsonl.as_mut() {
                entry_json(buf, e);
                buf.push(b'\n');
                if buf.len() >= 1 << 16 {
                    w.write_all(buf)?;
                    buf.clear();
                }
            }
            Ok(())
        })?;
    }
    if let Some((w, buf)) = jsonl.as_mut() {
        w.write_all(buf)?;
    }
    match csv {
        Some(mut c) => c.flush(),
        None => Ok(()),
    }
}

/// One entry as compact JSON, fields in declaration order (as its `Serialize` derive).
fn entry_json(out: &mut Vec<u8>, e: &Entry) {
    let fields: [(&str, &str); 12] = [
        ("{\"datetime\":", &e.datetime),
        (",\"timestamp_desc\":", e.timestamp_desc),
        (",\"message\":", &e.message),
        (",\"source\":", e.source),
        (",\"identity\":", &e.identity),
        (",\"ip\":", &e.ip),
        (",\"operation\":", &e.operation),
        (",\"resource_id\":", &e.resource_id),
        (",\"status\":", &e.status),
        (",\"sign_in_id\":", &e.sign_in_id),
        (",\"correlation_id\":", &e.correlation_id),
        (",\"verdict\":", &e.verdict),
    ];
    for (key, value) in fields {
        out.extend_from_slice(key.as_bytes());
        crate::json::str_into(out, value);
    }
    out.push(b'}');
}

/// `timeline.csv`, with formula injection neutralized in every cell.
pub fn csv(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = csv_to(&mut out, entries);
    out
}

/// `timeline.csv`, streamed to `w`.
pub fn csv_to<R: Rows + ?Sized>(w: &mut dyn Write, rows: &R) -> io::Result<()> {
    csv_and_jsonl_to(Some(w), None, rows)
}

const CSV_HEADER: [&str; 12] = [
    "datetime",
    "timestamp_desc",
    "message",
    "source",
    "identity",
    "ip",
    "operation",
    "resource_id",
    "status",
    "sign_in_id",
    "correlation_id",
    "verdict",
];

/// One CSV row, with formula injection neutralized in every cell.
fn csv_row<W: Write>(w: &mut ::csv::Writer<W>, e: &Entry) -> io::Result<()> {
    let row: [&str; 12] = [
        &e.datetime,
        e.timestamp_desc,
        &e.message,
        e.source,
        &e.identity,
        &e.ip,
        &e.operation,
        &e.resource_id,
        &e.status,
        &e.sign_in_id,
        &e.correlation_id,
        &e.verdict,
    ];
    for c in row {
        w.write_field(csv_cell_cow(c).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// `timeline.md`: one section per identity of interest with its sign-ins and changes.
pub fn markdown(
    entries: &[Entry],
    identities: &BTreeSet<String>,
    sign_in_ids: &BTreeMap<String, BTreeSet<String>>,
) -> String {
    let mut out = Vec::new();
    markdown_to(&mut out, entries, identities, sign_in_ids).expect("writing to memory");
    String::from_utf8(out).expect("markdown is UTF-8")
}

/// `timeline.md`, streamed to `w`. An identity's section holds its own entries and the
/// sign-ins linked to its operations, in timeline order. Entries are assigned to sections
/// in one pass over the timeline (not one pass per identity).
pub fn markdown_to<R: Rows + ?Sized>(
    w: &mut dyn Write,
    entries: &R,
    identities: &BTreeSet<String>,
    sign_in_ids: &BTreeMap<String, BTreeSet<String>>,
) -> io::Result<()> {
    w.write_all(b"# Timeline (UTC)\n\nSign-ins, control-plane changes and audit events, grouped per identity of interest.\n")?;
    if identities.is_empty() {
        w.write_all(b"\nNo identity of interest.\n")?;
    }
    // Looked up once or twice per row (millions at 1M events): foldhash, not SipHash.
    let pos: foldhash::HashMap<&str, usize> = identities
        .iter()
        .enumerate()
        .map(|(k, who)| (who.as_str(), k))
        .collect();
    // Sign-in id -> the sections (identities) it is linked to.
    let mut linked: foldhash::HashMap<&str, Vec<usize>> = Default::default();
    for (k, who) in identities.iter().enumerate() {
        for id in sign_in_ids.get(who).into_iter().flatten() {
            linked.entry(id.as_str()).or_default().push(k);
        }
    }
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); identities.len()];
    for i in 0..entries.count() {
        entries.route(i, |identity, source, sign_in_id| {
            let own = pos.get(identity).copied();
            if let Some(k) = own {
                rows[k].push(i as u32);
            }
            if source == "signin" {
                for &k in linked.get(sign_in_id).into_iter().flatten() {
                    if Some(k) != own {
                        rows[k].push(i as u32);
                    }
                }
            }
        });
    }
    let mut line = String::new();
    for (who, rows) in identities.iter().zip(&rows) {
        write!(w, "\n## {}\n\n", md_code(who))?;
        w.write_all(
            b"| Time | Source | What | IP | Status | Sign-in |\n|---|---|---|---|---|---|\n",
        )?;
        for &i in rows {
            entries.with(i as usize, |e| md_row(&mut line, e));
            w.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

/// One `timeline.md` table row, built in `line` (cleared first).
fn md_row(line: &mut String, e: &Entry) {
    line.clear();
    line.push_str("| ");
    line.push_str(&e.datetime);
    line.push_str(" | ");
    line.push_str(e.source);
    line.push_str(" | ");
    md_into(line, &e.message);
    line.push_str(" | ");
    if !e.ip.is_empty() {
        md_code_into(line, &e.ip);
    }
    line.push_str(" | ");
    md_into(line, &e.status);
    line.push_str(" | ");
    if !e.sign_in_id.is_empty() {
        md_code_into(line, &e.sign_in_id);
    }
    line.push_str(" |\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_words_are_the_lower_case_variant_names() {
        use StatusKind as S;
        for st in [
            S::Started,
            S::Accepted,
            S::InProgress,
            S::Succeeded,
            S::Failed,
            S::Canceled,
            S::Active,
            S::Resolved,
            S::Updated,
            S::Unknown,
        ] {
            assert_eq!(status_word(st), format!("{st:?}").to_lowercase());
        }
        use Verdict as V;
        for v in [V::Interactive, V::Automation, V::Platform, V::Undetermined] {
            assert_eq!(verdict_word(v), format!("{v:?}").to_lowercase());
            assert_eq!(verdict_name(v), format!("{v:?}"));
        }
        use Kind as K;
        for k in [
            K::Interactive,
            K::NonInteractive,
            K::ServicePrincipal,
            K::ManagedIdentity,
            K::Adfs,
            K::Unknown,
        ] {
            assert_eq!(signin_operation(k), format!("sign-in ({})", k.label()));
        }
    }

    fn entry<'a>(
        t: i64,
        source: &'static str,
        identity: &'a str,
        sign_in_id: &'a str,
    ) -> Entry<'a> {
        Entry {
            ts: jiff::Timestamp::from_second(t).unwrap(),
            datetime: jiff::Timestamp::from_second(t).unwrap().to_string().into(),
            timestamp_desc: "x",
            message: format!("{source} [{identity}] *{t}*"),
            source,
            identity: identity.into(),
            ip: if t % 2 == 0 { "10.0.0.1" } else { "" }.into(),
            operation: "".into(),
            resource_id: "".into(),
            status: "ok".into(),
            sign_in_id: sign_in_id.into(),
            correlation_id: "".into(),
            verdict: "".into(),
        }
    }

    /// The definition: each section scans the whole timeline.
    fn naive(
        entries: &[Entry],
        identities: &BTreeSet<String>,
        sign_in_ids: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<(String, Vec<usize>)> {
        identities
            .iter()
            .map(|who| {
                let linked = sign_in_ids.get(who);
                let rows = (0..entries.len())
                    .filter(|&i| {
                        let e = &entries[i];
                        e.identity == who.as_str()
                            || linked.is_some_and(|l| {
                                l.contains(e.sign_in_id.as_ref()) && e.source == "signin"
                            })
                    })
                    .collect();
                (who.clone(), rows)
            })
            .collect()
    }

    #[test]
    fn rows_are_ordered_by_time_then_source_then_message_and_built_on_demand() {
        let at = |s: i64| Some(jiff::Timestamp::from_second(s).unwrap());
        let signin = |t, upn: &str, id: &str| SignInFacts {
            time: t,
            upn: Some(upn.into()),
            id: id.into(),
            success: true,
            ..Default::default()
        };
        let signins = [
            signin(at(20), "zed@example.com", "a"),
            signin(at(10), "bob@example.com", "b"),
            signin(None, "nobody@example.com", "c"),
            signin(at(20), "amy@example.com", "d"),
            signin(at(20), "amy@example.com", "e"),
        ];
        let tl = Timeline::new(&[], &signins, &[]);
        let ids: Vec<String> = tl.entries().map(|e| e.sign_in_id.into_owned()).collect();
        // Same instant: by message (amy before zed); equal messages keep their order.
        assert_eq!(ids, ["b", "d", "e", "a"]);
        assert_eq!(tl.count(), 4);
        let built: Vec<Entry> = entries(&[], &signins, &[]);
        assert_eq!(built, tl.entries().collect::<Vec<_>>());
        for k in 0..tl.count() {
            let want = tl.entry(k);
            tl.route(k, |identity, source, sign_in_id| {
                assert_eq!(
                    (identity, source, sign_in_id),
                    (&*want.identity, want.source, &*want.sign_in_id)
                )
            });
        }
        // Each output from the lazy rows equals the output from the built ones.
        let (mut csv_lazy, mut jsonl_lazy) = (Vec::new(), Vec::new());
        csv_and_jsonl_to(Some(&mut csv_lazy), Some(&mut jsonl_lazy), &tl).unwrap();
        assert_eq!(csv_lazy, csv(&built));
        assert_eq!(jsonl_lazy, jsonl(&built));
        let who: BTreeSet<String> = ["amy@example.com".to_string()].into();
        let mut md_lazy = Vec::new();
        markdown_to(&mut md_lazy, &tl, &who, &BTreeMap::new()).unwrap();
        assert_eq!(
            String::from_utf8(md_lazy).unwrap(),
            markdown(&built, &who, &BTreeMap::new())
        );
    }

    #[test]
    fn jsonl_matches_serde_json() {
        let mut entries = vec![
            entry(1, "signin", "alice", "s1"),
            entry(2, "activity", "b\"o\\b\u{1}\n", "é😀"),
        ];
        entries[1].message = "</script> \t\r\u{7f}\u{1f}".into();
        let mut want = Vec::new();
        for e in &entries {
            serde_json::to_writer(&mut want, e).unwrap();
            want.push(b'\n');
        }
        assert_eq!(jsonl(&entries), want);
    }

    #[test]
    fn sections_match_the_per_identity_scan() {
        let entries = vec![
            entry(1, "signin", "alice", "s1"),
            entry(2, "activity", "alice", "s1"),
            entry(3, "signin", "bob", "s1"),
            entry(4, "signin", "carol", "s2"),
            entry(5, "activity", "bob", "s2"),
            entry(6, "audit", "carol", "s2"),
            entry(7, "signin", "", ""),
            entry(8, "signin", "alice", "s2"),
        ];
        let identities: BTreeSet<String> = ["alice", "bob", "dave"].map(String::from).into();
        let mut linked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        linked.insert("alice".into(), ["s1", "s2"].map(String::from).into());
        linked.insert("bob".into(), ["s1", ""].map(String::from).into());
        let got = markdown(&entries, &identities, &linked);
        let mut want = String::from("# Timeline (UTC)\n\nSign-ins, control-plane changes and audit events, grouped per identity of interest.\n");
        for (who, rows) in naive(&entries, &identities, &linked) {
            want.push_str(&format!("\n## {}\n\n", md_code(&who)));
            want.push_str(
                "| Time | Source | What | IP | Status | Sign-in |\n|---|---|---|---|---|---|\n",
            );
            for i in rows {
                let e = &entries[i];
                want.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    e.datetime,
                    e.source,
                    md(&e.message),
                    if e.ip.is_empty() {
                        String::new()
                    } else {
                        md_code(&e.ip)
                    },
                    md(&e.status),
                    if e.sign_in_id.is_empty() {
                        String::new()
                    } else {
                        md_code(&e.sign_in_id)
                    }
                ));
            }
        }
        assert_eq!(got, want);
    }
}
