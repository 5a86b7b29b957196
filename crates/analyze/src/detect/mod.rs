//! Detections: a data-driven rule pack ([`rules`]) evaluated over flat fact views of
//! operations ([`facts`], with bodies decoded by [`decode`]), audit events and sign-ins
//! ([`records`]); named correlators over several logs ([`chains`]); and SigmaHQ rules run
//! unmodified through a field-alias layer ([`sigma`]). [`run`] does it all, fills each
//! finding's `detections` and returns the evidence lines for `findings/detections.jsonl`.

pub mod catalog;
pub mod chains;
pub mod cond;
pub mod decode;
pub mod facts;
pub mod json;
pub mod records;
pub mod rules;
pub mod sigma;

use crate::engine::Attribution;
use crate::finding::DetectionRef;
use cond::{eval, Facts};
use rules::{glob, normalize_name, Rule, RulePack, Severity, Source};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use tokentrail_model::{AuditEvent, SignIn};

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
    pub matched: BTreeMap<String, Value>,
    /// Decoded body facts and other context.
    pub evidence: BTreeMap<String, Value>,
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

/// A subject with its facts, ready for rules.
#[derive(Clone, Debug)]
pub struct View {
    pub subject: Subject,
    pub facts: Facts,
    pub raw: Value,
    pub op: Option<usize>,
}

fn norm_status(s: &str) -> String {
    match s.to_ascii_lowercase().as_str() {
        "success" => "succeeded".into(),
        "failure" => "failed".into(),
        o => o.to_string(),
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

/// Evaluates one rule over one subject's facts (`name` normalized, `status` snake case).
pub fn eval_rule(r: &Rule, facts: &Facts, pack: &RulePack) -> Option<Detection> {
    let name_key = if r.source == Source::Activity {
        "op"
    } else {
        "activity"
    };
    if r.source != Source::Signin {
        let name = facts.get(name_key).and_then(Value::as_str)?;
        if !r.operations.iter().any(|p| glob(&normalize_name(p), name)) {
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
        .map(|(k, v)| (k.clone(), v.clone()))
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
        matched,
        evidence,
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

/// Inputs beyond the attribution.
#[derive(Default)]
pub struct Extra<'a> {
    pub audit: &'a [AuditEvent],
    /// Full sign-in records, matched to the attribution's sign-in facts by id.
    pub signins: &'a [SignIn],
    pub sigma: Option<&'a sigma::SigmaSet>,
}

/// Builds the views of every operation, audit event and sign-in.
pub fn views(a: &Attribution, extra: &Extra) -> (Vec<View>, Vec<View>, Vec<View>) {
    let ops: Vec<View> = a
        .operations
        .iter()
        .zip(&a.findings)
        .enumerate()
        .map(|(i, (op, fin))| View {
            subject: Subject {
                kind: "operation",
                id: fin.correlation_id.clone().unwrap_or_else(|| op.key.clone()),
                name: fin.operation.clone(),
                time: fin.time.clone(),
                identity: Some(fin.identity.display.clone()),
                resource_id: fin.resource_id.clone(),
            },
            facts: facts::operation_facts(op, fin),
            raw: Value::Null,
            op: Some(i),
        })
        .collect();
    let audits: Vec<View> = extra
        .audit
        .iter()
        .map(|e| {
            let (f, raw) = records::audit_view(e);
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
                raw,
                op: None,
            }
        })
        .collect();
    let by_id: HashMap<&str, &SignIn> = extra.signins.iter().map(|s| (s.id.as_str(), s)).collect();
    let sis: Vec<View> = a
        .index
        .all
        .iter()
        .map(|s| {
            let (f, raw) = records::signin_view(s, by_id.get(s.id.as_str()).copied());
            View {
                subject: Subject {
                    kind: "signin",
                    id: s.id.clone(),
                    name: format!("{} sign-in", s.kind().label()),
                    time: s.time.map(|t| t.to_string()).unwrap_or_default(),
                    identity: s
                        .upn
                        .as_deref()
                        .or(s.app_name.as_deref())
                        .or(s.object_id.as_deref())
                        .map(str::to_string),
                    resource_id: None,
                },
                facts: f,
                raw,
                op: None,
            }
        })
        .collect();
    (ops, audits, sis)
}

fn hit_on(mut d: Detection, v: &View) -> Detection {
    d.subject = v.subject.clone();
    d.op = v.op;
    d
}

/// Runs every rule, correlator and Sigma rule; attaches detections to the findings and
/// returns all hits sorted by time, subject and rule.
pub fn run(pack: &RulePack, a: &mut Attribution, extra: &Extra) -> Vec<Detection> {
    let (ops, audits, sis) = views(a, extra);
    let mut out: Vec<Detection> = Vec::new();
    for (list, src) in [
        (&ops, Source::Activity),
        (&audits, Source::Audit),
        (&sis, Source::Signin),
    ] {
        for v in list.iter() {
            let mut here: Vec<Detection> = pack
                .rules
                .iter()
                .filter(|r| r.source == src && r.after_severity.is_none())
                .filter_map(|r| eval_rule(r, &v.facts, pack))
                .map(|d| hit_on(d, v))
                .collect();
            let top = here.iter().map(|d| d.severity).max();
            for r in pack.rules.iter().filter(|r| r.source == src) {
                if let (Some(min), Some(t)) = (r.after_severity, top) {
                    if t >= min {
                        if let Some(d) = eval_rule(r, &v.facts, pack) {
                            here.push(hit_on(d, v));
                        }
                    }
                }
            }
            out.extend(here);
        }
    }
    out.extend(chains::run(pack, &ops, &audits, &sis, &out));
    if let Some(s) = extra.sigma {
        out.extend(sigma::run(s, pack, &ops, &audits, &sis));
    }
    out.sort_by(|x, y| {
        x.subject
            .time
            .cmp(&y.subject.time)
            .then_with(|| x.subject.id.cmp(&y.subject.id))
            .then_with(|| x.rule.cmp(&y.rule))
    });
    out.dedup_by(|x, y| x.rule == y.rule && x.subject == y.subject);
    for f in a.findings.iter_mut() {
        f.detections.clear();
    }
    for d in &out {
        if let Some(i) = d.op {
            if let Some(f) = a.findings.get_mut(i) {
                f.detections.push(d.to_ref());
            }
        }
    }
    for f in a.findings.iter_mut() {
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
