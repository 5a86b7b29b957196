//! Detections: a data-driven rule pack ([`rules`]) evaluated over flat fact views of
//! operations ([`facts`], with bodies decoded by [`decode`]), audit events and sign-ins
//! ([`records`]); named correlators over several logs ([`chains`]); and SigmaHQ rules run
//! unmodified through a field-alias layer ([`sigma`]). [`run`] does it all, fills each
//! finding's `detections` and returns the evidence lines for `findings/detections.jsonl`.

pub mod catalog;
pub mod chains;
pub mod cond;
pub mod decode;
pub mod fact_map;
pub mod facts;
pub mod json;
pub mod records;
pub mod rules;
pub mod sigma;

use fact_map::FactMap;

use crate::engine::Attribution;
use crate::finding::{DetectionRef, OperationFinding};
use crate::operations::Operation;
use crate::signins::SignInFacts;
use cond::{eval, Facts};
use rayon::prelude::*;
use rules::{glob, Rule, RulePack, Severity, Source};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tokentrail_model::AuditEvent;

/// What a detection is about.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Subject {
    /// `operation`, `audit` or `signin`.
    pub kind: &'static str,
    /// Correlation id (operations), audit id, or sign-in request id.
    pub id: String,
    pub name: String,
    pub time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// One rule hit with the evidence that fired it (a line of `findings/detections.jsonl`).
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    pub rule: String,
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub attack: Vec<String>,
    pub attack_names: Vec<String>,
    pub attack_version: String,
    /// `activity`, `audit`, `signin`, `correlation` or `sigma`.
    pub source: &'static str,
    pub subject: Subject,
    /// The facts the rule's conditions matched, with their values.
    pub matched: FactMap,
    /// Decoded body facts and other context.
    pub evidence: FactMap,
    /// Escalations, severity caps and correlation steps, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Index of the operation (in `Attribution::findings`) this detection is attached to.
    #[serde(skip)]
    pub op: Option<usize>,
}

impl Detection {
    pub fn to_ref(&self) -> DetectionRef {
        DetectionRef {
            rule: self.rule.clone(),
            title: self.title.clone(),
            severity: self.severity.as_str().to_string(),
            attack: self.attack.clone(),
        }
    }
}

/// A subject with its facts, ready for rules. Rules, correlators and Sigma (through its
/// alias layer) read only the facts, so no raw record is kept.
#[derive(Clone, Debug)]
pub struct View {
    pub subject: Subject,
    pub facts: Facts,
    pub op: Option<usize>,
}

impl View {
    /// The view with only the facts named in `keep` (all of them when `keep` is `None`),
    /// rebuilt from their sorted entries: a map filled one insert at a time leaves its
    /// nodes part empty, one built from sorted entries fills them. For the views held until
    /// the correlators run (a hundred thousand at 1M events).
    fn packed(self, keep: Option<&BTreeSet<String>>) -> View {
        View {
            facts: self
                .facts
                .into_iter()
                .filter(|(k, _)| keep.is_none_or(|names| names.contains(k.as_ref())))
                .collect(),
            ..self
        }
    }
}

/// A status in lower case, `success` / `failure` read as `succeeded` / `failed`. Borrowed
/// unless it has upper-case letters: this runs for every rule on every record.
fn norm_status(s: &str) -> Cow<'_, str> {
    if s.eq_ignore_ascii_case("success") {
        Cow::Borrowed("succeeded")
    } else if s.eq_ignore_ascii_case("failure") {
        Cow::Borrowed("failed")
    } else if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

const BODY_PREFIXES: &[&str] = &[
    "nsg.",
    "role.",
    "roledef.",
    "vm.",
    "lock.",
    "policy.",
    "diag.",
    "kv.",
    "storage.",
    "runcmd.",
    "ext.",
    "sql.",
    "defender.",
];

/// The fact holding the operation's name, which rules of `source` match by glob.
fn name_key(source: Source) -> &'static str {
    if source == Source::Activity {
        "op"
    } else {
        "activity"
    }
}

/// Whether rule `r` applies to the operation named `name`.
fn names_operation(r: &Rule, name: &str) -> bool {
    r.operations_normalized.iter().any(|p| glob(p, name))
}

/// The rules among `rules` that apply to the operation named `name`, in order.
fn naming<'r>(rules: &[&'r Rule], name: &str) -> Vec<&'r Rule> {
    rules
        .iter()
        .copied()
        .filter(|r| names_operation(r, name))
        .collect()
}

/// Evaluates one rule over one subject's facts (`name` normalized, `status` snake case).
pub fn eval_rule(r: &Rule, facts: &Facts, pack: &RulePack) -> Option<Detection> {
    if r.source != Source::Signin {
        let name = facts.get(name_key(r.source)).and_then(Value::as_str)?;
        if !names_operation(r, name) {
            return None;
        }
    }
    let status = facts
        .get(if r.source == Source::Audit {
            "result"
        } else {
            "status"
        })
        .and_then(Value::as_str)
        .map(norm_status);
    if r.statuses.is_empty() {
        if status
            .as_deref()
            .is_some_and(|s| s == "failed" || s == "canceled")
        {
            return None;
        }
    } else if !status
        .as_deref()
        .is_some_and(|s| r.statuses.iter().any(|w| norm_status(w) == s))
    {
        return None;
    }
    let mut matched = eval(&r.when, facts)?;
    if !r.any.is_empty() {
        let hit = r.any.iter().find_map(|c| eval(c, facts))?;
        matched.extend(hit);
    }
    if r.unless.iter().any(|c| eval(c, facts).is_some()) {
        return None;
    }
    let mut sev = r.severity;
    let mut notes = Vec::new();
    for e in &r.escalate {
        if let Some(m) = eval(&e.when, facts) {
            if e.severity > sev {
                sev = e.severity;
            }
            notes.push(format!(
                "escalated to {}: {}",
                e.severity.as_str(),
                e.reason
            ));
            matched.extend(m);
        }
    }
    let evidence: BTreeMap<String, Value> = facts
        .iter()
        .filter(|(k, _)| BODY_PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut d = Detection {
        rule: r.id.clone(),
        name: r.name.clone(),
        title: r.title.clone(),
        severity: sev,
        attack: r.attack.iter().map(|t| t.id.clone()).collect(),
        attack_names: r.attack.iter().map(|t| t.name.clone()).collect(),
        attack_version: r
            .attack_version
            .clone()
            .unwrap_or_else(|| rules::DEFAULT_ATTACK_VERSION.into()),
        source: match r.source {
            Source::Activity => "activity",
            Source::Audit => "audit",
            Source::Signin => "signin",
        },
        subject: Subject {
            kind: "",
            id: String::new(),
            name: String::new(),
            time: String::new(),
            identity: None,
            resource_id: None,
        },
        matched: matched.into(),
        evidence: evidence.into(),
        notes,
        op: None,
    };
    apply_noise(&mut d, facts, pack);
    Some(d)
}

/// Caps platform noise (policy remediation, backup pruning, MSI certificate rotation).
pub fn apply_noise(d: &mut Detection, facts: &Facts, pack: &RulePack) {
    for n in &pack.noise {
        if d.severity > n.cap && n.when_any.iter().any(|c| eval(c, facts).is_some()) {
            d.notes.push(format!(
                "severity capped at {} (platform noise{})",
                n.cap.as_str(),
                if n.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", n.note)
                }
            ));
            d.severity = n.cap;
        }
    }
}

/// Inputs beyond the attribution. Sign-ins come from the attribution's own
/// [`crate::signins::SignInFacts`], which carry every field detections and Sigma read.
#[derive(Default)]
pub struct Extra<'a> {
    pub audit: &'a [AuditEvent],
    pub sigma: Option<&'a sigma::SigmaSet>,
}

/// Builds the views of every operation, audit event and sign-in.
pub fn views(a: &Attribution, extra: &Extra) -> (Vec<View>, Vec<View>, Vec<View>) {
    let sis = a.index.all.par_iter().map(signin_view).collect();
    (
        op_views(&a.operations, &a.findings, 0),
        audit_views(extra),
        sis,
    )
}

/// The views of `operations` (the first at index `offset`), in finding order.
fn op_views(operations: &[Operation], findings: &[OperationFinding], offset: usize) -> Vec<View> {
    operations
        .par_iter()
        .zip(findings)
        .enumerate()
        .map(|(i, (op, fin))| View {
            subject: Subject {
                kind: "operation",
                id: fin.correlation_id.clone().unwrap_or_else(|| op.key.clone()),
                name: fin.operation.to_string(),
                time: fin.time.clone(),
                identity: Some(fin.identity.display.clone()),
                resource_id: fin.resource_id.as_deref().map(str::to_string),
            },
            facts: facts::operation_facts(op, fin),
            op: Some(offset + i),
        })
        .collect()
}

/// The views of every audit event, in input order.
fn audit_views(extra: &Extra) -> Vec<View> {
    extra
        .audit
        .par_iter()
        .map(|e| {
            let f = records::audit_view(e);
            let who = f
                .get("initiator.upn")
                .or(f.get("initiator.app"))
                .and_then(Value::as_str)
                .map(str::to_string);
            View {
                subject: Subject {
                    kind: "audit",
                    id: e.id.clone(),
                    name: e.activity.clone(),
                    time: e
                        .time
                        .as_ref()
                        .map(|t| t.utc.to_string())
                        .unwrap_or_default(),
                    identity: who,
                    resource_id: None,
                },
                facts: f,
                op: None,
            }
        })
        .collect()
}

/// The view of one sign-in.
fn signin_view(s: &SignInFacts) -> View {
    View {
        subject: signin_subject(s),
        facts: records::signin_view(s),
        op: None,
    }
}

/// What a sign-in detection is about.
fn signin_subject(s: &SignInFacts) -> Subject {
    Subject {
        kind: "signin",
        id: s.id.to_string(),
        name: format!("{} sign-in", s.kind().label()),
        time: s.time.map(|t| t.to_string()).unwrap_or_default(),
        identity: s
            .upn
            .as_deref()
            .or(s.app_name.as_deref())
            .or(s.object_id.as_deref())
            .map(str::to_string),
        resource_id: None,
    }
}

/// The single-record rules of one source: those always evaluated, and those evaluated only
/// when an earlier hit on the same subject reached their `after_severity`.
fn rules_of(pack: &RulePack, src: Source) -> (Vec<&Rule>, Vec<&Rule>) {
    pack.rules
        .iter()
        .filter(|r| r.source == src)
        .partition(|r| r.after_severity.is_none())
}

/// The single-record hits on one subject, in rule order.
fn hits_on(pack: &RulePack, v: &View, base: &[&Rule], after: &[&Rule]) -> Vec<Detection> {
    let mut here = hits_in(pack, &v.facts, base, after);
    for d in &mut here {
        d.subject = v.subject.clone();
        d.op = v.op;
    }
    here
}

/// [`hits_on`] before the subject is known: the rules need only the facts.
fn hits_in(pack: &RulePack, facts: &Facts, base: &[&Rule], after: &[&Rule]) -> Vec<Detection> {
    let mut here: Vec<Detection> = base
        .iter()
        .filter_map(|r| eval_rule(r, facts, pack))
        .collect();
    if let Some(top) = here.iter().map(|d| d.severity).max() {
        for r in after {
            if r.after_severity.is_some_and(|min| top >= min) {
                if let Some(d) = eval_rule(r, facts, pack) {
                    here.push(d);
                }
            }
        }
    }
    here
}

/// The single-record hits of one source's rules over `list`, in view order.
fn hits_of(pack: &RulePack, list: &[View], src: Source) -> Vec<Detection> {
    let (base, after) = rules_of(pack, src);
    if base.is_empty() {
        return Vec::new();
    }
    if src == Source::Signin {
        let hits: Vec<Vec<Detection>> = list
            .par_iter()
            .map(|v| hits_on(pack, v, &base, &after))
            .collect();
        return hits.into_iter().flatten().collect();
    }
    // Every rule of the other sources names the operations it applies to (`eval_rule` checks
    // that first), and a list repeats a few hundred names: each distinct name's rules are
    // picked once, in rule order, and a view is only tried against those.
    let key = name_key(src);
    type Picked<'r> = (Vec<&'r Rule>, Vec<&'r Rule>);
    let mut by_name: HashMap<&str, Picked<'_>> = HashMap::new();
    for v in list {
        if let Some(name) = v.facts.get(key).and_then(Value::as_str) {
            by_name
                .entry(name)
                .or_insert_with(|| (naming(&base, name), naming(&after, name)));
        }
    }
    let hits: Vec<Vec<Detection>> = list
        .par_iter()
        .map(|v| {
            let name = v.facts.get(key).and_then(Value::as_str);
            match name.and_then(|n| by_name.get(n)) {
                Some((base, after)) => hits_on(pack, v, base, after),
                None => Vec::new(),
            }
        })
        .collect();
    hits.into_iter().flatten().collect()
}

/// Operation and sign-in views built, evaluated and dropped per chunk (only those a
/// correlator may read are kept), so memory does not grow with a view per record. An
/// operation view holds a few KB of facts: 4096 of them are ~15 MB at a time.
const VIEW_CHUNK: usize = 4 * 1024;

/// Runs every rule, correlator and Sigma rule; attaches detections to the findings and
/// returns all hits sorted by time, subject and rule. Views are evaluated in parallel;
/// hits are gathered in input order, so the result does not depend on scheduling.
pub fn run(pack: &RulePack, a: &mut Attribution, extra: &Extra) -> Vec<Detection> {
    run_chunked(pack, a, extra, VIEW_CHUNK)
}

/// [`run`] over the parts of an attribution it reads and writes, so the caller can lend the
/// sign-ins elsewhere (another thread writing them out) at the same time. The operations
/// are consumed: each chunk is dropped once its views are built, so their events are freed
/// before sign-ins and correlators run.
pub fn run_parts(
    pack: &RulePack,
    findings: &mut [OperationFinding],
    operations: Vec<Operation>,
    signins: &[SignInFacts],
    extra: &Extra,
) -> Vec<Detection> {
    run_inner(
        pack,
        findings,
        Ops::Owned(operations),
        signins,
        extra,
        VIEW_CHUNK,
        true,
    )
}

/// The operations detections read: lent (kept by the caller) or given (dropped chunk by
/// chunk once read).
enum Ops<'a> {
    Lent(&'a [Operation]),
    Owned(Vec<Operation>),
}

/// [`run`] with operation and sign-in views built `chunk` at a time (the result does not
/// depend on it; tests use a tiny chunk to prove that).
pub fn run_chunked(
    pack: &RulePack,
    a: &mut Attribution,
    extra: &Extra,
    chunk: usize,
) -> Vec<Detection> {
    run_on(pack, a, extra, chunk, true)
}

/// [`run`] keeping every operation and sign-in view for the correlators: the reference the
/// pruned paths ([`chains::OpNeeds`], [`chains::SigninNeeds`]) are tested against. Not for
/// production use.
#[doc(hidden)]
pub fn run_unpruned(pack: &RulePack, a: &mut Attribution, extra: &Extra) -> Vec<Detection> {
    run_on(pack, a, extra, usize::MAX, false)
}

fn run_on(
    pack: &RulePack,
    a: &mut Attribution,
    extra: &Extra,
    chunk: usize,
    prune: bool,
) -> Vec<Detection> {
    let signins = &a.index.all;
    run_inner(
        pack,
        &mut a.findings,
        Ops::Lent(&a.operations),
        signins,
        extra,
        chunk,
        prune,
    )
}

fn run_inner(
    pack: &RulePack,
    findings: &mut [OperationFinding],
    operations: Ops<'_>,
    signins: &[SignInFacts],
    extra: &Extra,
    chunk: usize,
    prune: bool,
) -> Vec<Detection> {
    // Operations: views built, evaluated and dropped per chunk, like sign-ins below; only
    // those a correlator may read are kept.
    let audits = audit_views(extra);
    let op_needs = chains::OpNeeds::new(pack, &audits, signins);
    // A kept operation view needs only the facts the correlators and noise caps read.
    let op_facts = chains::op_fact_names(pack);
    let (mut out, mut sigma_act) = (Vec::new(), Vec::new());
    let mut ops: Vec<View> = Vec::new();
    let step = chunk.max(1);
    let (lent, mut owned) = match operations {
        Ops::Lent(l) => (l, None),
        Ops::Owned(v) => (&[][..], Some(v.into_iter())),
    };
    for k in 0.. {
        let held: Vec<Operation>;
        let part: &[Operation] = match owned.as_mut() {
            Some(it) => {
                held = it.by_ref().take(step).collect();
                &held
            }
            None => lent.chunks(step).nth(k).unwrap_or(&[]),
        };
        if part.is_empty() {
            break;
        }
        let views = op_views(part, findings.get(k * step..).unwrap_or(&[]), k * step);
        let hits = hits_of(pack, &views, Source::Activity);
        if let Some(s) = extra.sigma {
            sigma_act.extend(sigma::run_service(
                s,
                pack,
                sigma::Service::Activitylogs,
                &views,
            ));
        }
        let mut top: HashMap<usize, Severity> = HashMap::new();
        for d in &hits {
            if let Some(i) = d.op {
                let t = top.entry(i).or_insert(d.severity);
                *t = (*t).max(d.severity);
            }
        }
        out.extend(hits);
        ops.extend(
            views
                .into_iter()
                .filter(|v| !prune || op_needs.wants(v, v.op.and_then(|i| top.get(&i).copied())))
                .map(|v| v.packed(prune.then_some(&op_facts))),
        );
    }
    out.extend(hits_of(pack, &audits, Source::Audit));
    // Sign-ins: rules and Sigma per chunk; correlators see the views they may read.
    let needs = chains::SigninNeeds::new(pack, &ops, &audits, signins, &out);
    let (mut sigma_si, mut sigma_risk) = (Vec::new(), Vec::new());
    let mut kept: Vec<View> = Vec::new();
    let (base, after) = rules_of(pack, Source::Signin);
    for chunk in signins.chunks(chunk.max(1)) {
        // Each sign-in's facts are written over one map per thread; a view is made only
        // for a sign-in that a rule hit, a correlator may read, or Sigma reads.
        let per: Vec<(Vec<Detection>, Option<View>)> = chunk
            .par_iter()
            .map_init(Facts::new, |f, s| {
                records::signin_view_into(s, f);
                let hits = hits_in(pack, f, &base, &after);
                let keep = extra.sigma.is_some() || !prune || needs.wants_facts(&s.id.text(), f);
                if hits.is_empty() && !keep {
                    return (hits, None);
                }
                let subject = signin_subject(s);
                let hits = hits
                    .into_iter()
                    .map(|mut d| {
                        d.subject = subject.clone();
                        d
                    })
                    .collect();
                let view = keep.then(|| View {
                    subject,
                    facts: f.clone(),
                    op: None,
                });
                (hits, view)
            })
            .collect();
        let mut sis: Vec<View> = Vec::new();
        for (hits, view) in per {
            out.extend(hits);
            sis.extend(view);
        }
        if let Some(s) = extra.sigma {
            sigma_si.extend(sigma::run_service(
                s,
                pack,
                sigma::Service::Signinlogs,
                &sis,
            ));
            sigma_risk.extend(sigma::run_service(
                s,
                pack,
                sigma::Service::Riskdetection,
                &sis,
            ));
        }
        kept.extend(sis.into_iter().filter(|v| !prune || needs.wants(v)));
    }
    out.extend(chains::run(pack, &ops, &audits, &kept, &out));
    drop(kept);
    if let Some(s) = extra.sigma {
        out.extend(sigma_act);
        out.extend(sigma::run_service(
            s,
            pack,
            sigma::Service::Auditlogs,
            &audits,
        ));
        out.extend(sigma_si);
        out.extend(sigma_risk);
    }
    drop((ops, audits));
    out.par_sort_by(|x, y| {
        x.subject
            .time
            .cmp(&y.subject.time)
            .then_with(|| x.subject.id.cmp(&y.subject.id))
            .then_with(|| x.rule.cmp(&y.rule))
    });
    out.dedup_by(|x, y| x.rule == y.rule && x.subject == y.subject);
    for f in findings.iter_mut() {
        f.detections.clear();
    }
    for d in &out {
        if let Some(i) = d.op {
            if let Some(f) = findings.get_mut(i) {
                f.detections.push(d.to_ref());
            }
        }
    }
    for f in findings.iter_mut() {
        f.detections.sort_by(|x, y| {
            sev_rank(&y.severity)
                .cmp(&sev_rank(&x.severity))
                .then_with(|| x.rule.cmp(&y.rule))
        });
    }
    out
}

fn sev_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}
