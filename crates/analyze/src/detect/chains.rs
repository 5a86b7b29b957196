//! Correlators: detections that need attribution or several logs. Their logic is code,
//! their parameters and metadata come from the rule pack (`correlations:`):
//!
//! - `weak_signin_privileged_change`: a high/critical change whose token came from a
//!   single-factor, risky or new-location sign-in (or an ARM token without MFA);
//! - `sp_credential_signin_activity`: credential added to an app/SP (audit) → that SP signs
//!   in from a new IP → its control-plane changes;
//! - `elevation_then_sensitive_change`: PIM activation or elevate-access → sensitive change
//!   by the same identity within the window;
//! - `list_keys_regenerate_key`: `listKeys` and `regenerateKey` by the same identity;
//! - `mass_deletion`: many deletes by one identity in a short window;
//! - `threshold`: generic and fully data-driven: N matching records (or N distinct values
//!   of a fact) with the same group key within a window (failure bursts, spraying, MFA
//!   fatigue, creation spikes).

use super::cond::{Condition, Facts};
use super::rules::{
    glob, normalize_name, Correlation, CorrelatorKind, RulePack, Severity, Source, ThresholdSpec,
};
use super::{apply_noise, Detection, View};
use crate::signins::SignInFacts;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

fn ts(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

fn s<'a>(f: &'a Facts, k: &str) -> Option<&'a str> {
    f.get(k).and_then(Value::as_str).filter(|x| !x.is_empty())
}

fn b(f: &Facts, k: &str) -> Option<bool> {
    f.get(k).and_then(Value::as_bool)
}

/// The identity key of an operation: object id, else UPN, else caller (lower case).
pub fn op_identity(f: &Facts) -> Option<String> {
    s(f, "identity.object_id")
        .or(s(f, "identity.upn"))
        .or(s(f, "caller"))
        .map(str::to_ascii_lowercase)
}

fn op_identities(f: &Facts) -> BTreeSet<String> {
    [
        "identity.object_id",
        "identity.upn",
        "caller",
        "identity.app_id",
    ]
    .iter()
    .filter_map(|k| s(f, k))
    .map(str::to_ascii_lowercase)
    .collect()
}

fn hours(h: f64) -> SignedDuration {
    SignedDuration::from_secs((h * 3600.0) as i64)
}

fn new_hit(
    c: &Correlation,
    v: &View,
    sev: Severity,
    extra_attack: &[(String, String)],
    notes: Vec<String>,
    evidence: BTreeMap<String, Value>,
    pack: &RulePack,
) -> Detection {
    let mut attack: Vec<(String, String)> = c
        .attack
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    for t in extra_attack {
        if !attack.iter().any(|(i, _)| *i == t.0) {
            attack.push(t.clone());
        }
    }
    let mut d = Detection {
        rule: c.id.clone(),
        name: c.name.clone(),
        title: c.title.clone(),
        severity: sev,
        attack: attack.iter().map(|t| t.0.clone()).collect(),
        attack_names: attack.iter().map(|t| t.1.clone()).collect(),
        attack_version: c
            .attack_version
            .clone()
            .unwrap_or_else(|| super::rules::DEFAULT_ATTACK_VERSION.into()),
        source: "correlation",
        subject: v.subject.clone(),
        matched: Default::default(),
        evidence: evidence.into(),
        notes,
        op: v.op,
    };
    apply_noise(&mut d, &v.facts, pack);
    d
}

/// Runs every correlation in the pack. `base` holds the single-record hits.
/// The operation facts [`run`] reads by name (besides those the pack's conditions name).
const OP_FACTS: [&str; 14] = [
    "caller",
    "identity.app_id",
    "identity.object_id",
    "identity.type",
    "identity.upn",
    "op",
    "role.scope_level",
    "signin.id",
    "signin.ip",
    "signin.risky",
    "signin.single_factor",
    "status",
    "storage.key_action",
    "token.mfa",
];

/// Every operation fact [`run`] can read, with the noise caps its hits get
/// ([`apply_noise`]): the fixed `OP_FACTS` and the names in the pack's threshold conditions
/// (`when`, `group_by`, `distinct`) and noise conditions. Operation views held for the
/// correlators keep only these (checked against views kept whole by the detection tests).
pub fn op_fact_names(pack: &RulePack) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = OP_FACTS.iter().map(|k| k.to_string()).collect();
    for t in pack
        .correlations
        .iter()
        .filter(|c| c.kind == CorrelatorKind::Threshold)
        .filter_map(|c| ThresholdSpec::from(c).ok())
    {
        names.extend(t.when.keys().cloned());
        names.insert(t.group_by.clone());
        names.extend(t.distinct.clone());
    }
    for n in &pack.noise {
        names.extend(n.when_any.iter().flat_map(|c| c.keys().cloned()));
    }
    names
}

pub fn run(
    pack: &RulePack,
    ops: &[View],
    audits: &[View],
    sis: &[View],
    base: &[Detection],
) -> Vec<Detection> {
    let mut out = Vec::new();
    // Strongest single-record hit per operation, with its techniques.
    let mut best: BTreeMap<usize, (&Detection, Severity)> = BTreeMap::new();
    for d in base.iter().filter(|d| d.source == "activity") {
        if let Some(i) = d.op {
            let e = best.entry(i).or_insert((d, d.severity));
            if d.severity > e.1 {
                *e = (d, d.severity);
            }
        }
    }
    for c in &pack.correlations {
        match c.kind {
            CorrelatorKind::WeakSigninPrivilegedChange => {
                weak_signin(c, pack, ops, sis, &best, &mut out)
            }
            CorrelatorKind::SpCredentialSigninActivity => {
                sp_chain(c, pack, ops, audits, sis, &mut out)
            }
            CorrelatorKind::ElevationThenSensitiveChange => {
                elevation(c, pack, ops, audits, &best, &mut out)
            }
            CorrelatorKind::ListKeysRegenerateKey => keys(c, pack, ops, &mut out),
            CorrelatorKind::MassDeletion => mass_delete(c, pack, ops, &mut out),
            CorrelatorKind::Threshold => threshold(c, pack, ops, audits, sis, &mut out),
        }
    }
    out
}

/// Which sign-in views the correlators can read, decided before the views exist so the
/// caller can build sign-in views in chunks and keep only these. A superset of what
/// [`run`] reads from `sis`: correlators apply their own filters to what is kept, and
/// keep the input order, so their results are the same as over every sign-in view.
pub struct SigninNeeds {
    /// Request ids named by operations (`signin.id`), for `weak_signin_privileged_change`.
    ids: HashSet<String>,
    /// Identity keys (UPN, object id) of those sign-ins: their earlier successful sign-ins.
    who: HashSet<String>,
    /// Target ids and names of audit events, for `sp_credential_signin_activity`.
    sp_keys: HashSet<String>,
    /// `where` conditions of sign-in threshold correlators.
    thresholds: Vec<Condition>,
    weak: bool,
    sp: bool,
}

impl SigninNeeds {
    ///
    /// `base` holds the single-record hits on operations and audit events: only operations
    /// whose strongest hit reaches a weak-sign-in correlator's `min_severity` (and whose
    /// identity is a user) can make that correlator read sign-ins, exactly as in [`run`].
    pub fn new(
        pack: &RulePack,
        ops: &[View],
        audits: &[View],
        all: &[SignInFacts],
        base: &[Detection],
    ) -> Self {
        let has = |k: CorrelatorKind| pack.correlations.iter().any(|c| c.kind == k);
        let weak = has(CorrelatorKind::WeakSigninPrivilegedChange);
        let sp = has(CorrelatorKind::SpCredentialSigninActivity) && !audits.is_empty();
        let mut ids: HashSet<String> = HashSet::new();
        let mut who: HashSet<String> = HashSet::new();
        if weak {
            // The lowest `min_severity` among the weak-sign-in correlators.
            let min = pack
                .correlations
                .iter()
                .filter(|c| c.kind == CorrelatorKind::WeakSigninPrivilegedChange)
                .map(|c| c.sev("min_severity", Severity::High))
                .min()
                .unwrap_or(Severity::High);
            let mut best: BTreeMap<usize, Severity> = BTreeMap::new();
            for d in base.iter().filter(|d| d.source == "activity") {
                if let Some(i) = d.op {
                    let e = best.entry(i).or_insert(d.severity);
                    *e = (*e).max(d.severity);
                }
            }
            ids = ops
                .iter()
                .filter(|v| {
                    v.op.and_then(|i| best.get(&i))
                        .is_some_and(|sev| *sev >= min)
                        && s(&v.facts, "identity.type") == Some("user")
                })
                .filter_map(|v| s(&v.facts, "signin.id"))
                .map(str::to_string)
                .collect();
            for x in all.iter().filter(|x| ids.contains(&*x.id.text())) {
                who.extend(who_keys(&super::records::signin_view(x)));
            }
        }
        let mut sp_keys: HashSet<String> = HashSet::new();
        if sp {
            sp_keys.extend(audits.iter().flat_map(target_keys));
        }
        let thresholds = pack
            .correlations
            .iter()
            .filter(|c| c.kind == CorrelatorKind::Threshold)
            .filter_map(|c| ThresholdSpec::from(c).ok())
            .filter(|t| t.source == Source::Signin && t.operations.is_empty())
            .map(|t| t.when)
            .collect();
        SigninNeeds {
            ids,
            who,
            sp_keys,
            thresholds,
            weak,
            sp,
        }
    }

    /// Whether any correlator may read this sign-in view.
    pub fn wants(&self, v: &View) -> bool {
        self.wants_facts(&v.subject.id, &v.facts)
    }

    /// [`Self::wants`] from the sign-in's request id and facts, before its view exists.
    pub fn wants_facts(&self, id: &str, f: &Facts) -> bool {
        (self.weak
            && (self.ids.contains(id)
                || (b(f, "success") == Some(true)
                    && ["upn", "object_id"]
                        .iter()
                        .filter_map(|k| s(f, k))
                        .any(|k| self.who.contains(super::cond::lower(k).as_ref())))))
            || (self.sp
                && s(f, "kind") == Some("service_principal")
                && ["app_id", "object_id", "app_name"]
                    .iter()
                    .filter_map(|k| s(f, k))
                    .any(|k| self.sp_keys.contains(super::cond::lower(k).as_ref())))
            || self
                .thresholds
                .iter()
                .any(|w| super::cond::eval(w, f).is_some())
    }
}

/// Which operation views the correlators can read, decided before the views exist so the
/// caller can build operation views in chunks and keep only these. Like [`SigninNeeds`], a
/// superset of what [`run`] reads from `ops`, in input order.
pub struct OpNeeds {
    /// `weak_signin_privileged_change` and `elevation_then_sensitive_change` read operations
    /// whose strongest single-record hit reaches their `min_severity`: the lowest of those.
    hit: Option<Severity>,
    elevation: bool,
    keys: bool,
    deletes: bool,
    /// Identity keys an `sp_credential_signin_activity` chain can reach (audit targets and
    /// the keys of sign-ins that name one), lower case.
    sp_keys: Option<HashSet<String>>,
    /// Name patterns and `where` conditions of activity threshold correlators.
    thresholds: Vec<(Vec<String>, Condition)>,
}

impl OpNeeds {
    pub fn new(pack: &RulePack, audits: &[View], all: &[SignInFacts]) -> Self {
        let has = |k: CorrelatorKind| pack.correlations.iter().any(|c| c.kind == k);
        let sp_keys =
            (has(CorrelatorKind::SpCredentialSigninActivity) && !audits.is_empty()).then(|| {
                let mut keys: HashSet<String> = audits.iter().flat_map(target_keys).collect();
                let of = |x: &SignInFacts| -> Vec<String> {
                    [&x.app_id, &x.object_id, &x.app_name]
                        .into_iter()
                        .filter_map(|k| k.as_deref())
                        .filter(|k| !k.is_empty())
                        .map(str::to_ascii_lowercase)
                        .collect()
                };
                let more: Vec<String> = all
                    .iter()
                    .map(of)
                    .filter(|ks| ks.iter().any(|k| keys.contains(k)))
                    .flatten()
                    .collect();
                keys.extend(more);
                keys
            });
        let thresholds = pack
            .correlations
            .iter()
            .filter(|c| c.kind == CorrelatorKind::Threshold)
            .filter_map(|c| ThresholdSpec::from(c).ok())
            .filter(|t| t.source == Source::Activity)
            .map(|t| {
                let pats = t.operations.iter().map(|p| normalize_name(p)).collect();
                (pats, t.when)
            })
            .collect();
        let hit = pack
            .correlations
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    CorrelatorKind::WeakSigninPrivilegedChange
                        | CorrelatorKind::ElevationThenSensitiveChange
                )
            })
            .map(|c| c.sev("min_severity", Severity::High))
            .min();
        OpNeeds {
            hit,
            elevation: has(CorrelatorKind::ElevationThenSensitiveChange),
            keys: has(CorrelatorKind::ListKeysRegenerateKey),
            deletes: has(CorrelatorKind::MassDeletion),
            sp_keys,
            thresholds,
        }
    }

    /// Whether any correlator (or [`SigninNeeds`]) may read this operation view; `top` is
    /// the severity of its strongest single-record hit.
    pub fn wants(&self, v: &View, top: Option<Severity>) -> bool {
        let f = &v.facts;
        let op = s(f, "op");
        self.hit.is_some_and(|min| top.is_some_and(|t| t >= min))
            || (self.elevation && op == Some("microsoft.authorization/elevateaccess/action"))
            || (self.keys && f.contains_key("storage.key_action"))
            || (self.deletes && op.is_some_and(|o| o.ends_with("/delete")))
            || self.sp_keys.as_ref().is_some_and(|keys| {
                matches!(
                    s(f, "identity.type"),
                    Some("service_principal") | Some("unknown")
                ) && op_identities(f).iter().any(|k| keys.contains(k))
            })
            || self.thresholds.iter().any(|(pats, when)| {
                (pats.is_empty() || op.is_some_and(|n| pats.iter().any(|p| glob(p, n))))
                    && super::cond::eval(when, f).is_some()
            })
    }
}

/// The target ids and names of an audit view, lower case.
fn target_keys(a: &View) -> impl Iterator<Item = String> + '_ {
    ["target.id", "target.name"]
        .into_iter()
        .filter_map(|k| match a.facts.get(k) {
            Some(Value::Array(xs)) => Some(xs),
            _ => None,
        })
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
}

fn attack_of(d: &Detection) -> Vec<(String, String)> {
    d.attack
        .iter()
        .cloned()
        .zip(d.attack_names.iter().cloned())
        .collect()
}

/// The identity keys of a sign-in view: UPN and object id, lower case.
fn who_keys(f: &Facts) -> impl Iterator<Item = String> + '_ {
    ["upn", "object_id"]
        .into_iter()
        .filter_map(move |k| s(f, k))
        .map(str::to_ascii_lowercase)
}

/// Sign-in views indexed once for [`weak_signin`]: first view per id, successful views
/// per identity key, and parsed times.
struct SigninIx<'a> {
    first_by_id: HashMap<&'a str, usize>,
    ok_by_who: HashMap<String, Vec<usize>>,
    times: Vec<Option<Timestamp>>,
}

impl<'a> SigninIx<'a> {
    fn new(sis: &'a [View]) -> Self {
        let mut ix = SigninIx {
            first_by_id: HashMap::new(),
            ok_by_who: HashMap::new(),
            times: sis.iter().map(|x| ts(&x.subject.time)).collect(),
        };
        for (i, x) in sis.iter().enumerate() {
            ix.first_by_id.entry(x.subject.id.as_str()).or_insert(i);
            if b(&x.facts, "success") == Some(true) {
                let keys: BTreeSet<String> = who_keys(&x.facts).collect();
                for k in keys {
                    ix.ok_by_who.entry(k).or_default().push(i);
                }
            }
        }
        ix
    }
}

fn weak_signin(
    c: &Correlation,
    pack: &RulePack,
    ops: &[View],
    sis: &[View],
    best: &BTreeMap<usize, (&Detection, Severity)>,
    out: &mut Vec<Detection>,
) {
    let min = c.sev("min_severity", Severity::High);
    let lookback = hours(c.num("lookback_days", 30.0) * 24.0);
    let mut ix: Option<SigninIx> = None;
    for v in ops {
        let Some(i) = v.op else { continue };
        let Some((d, sev)) = best.get(&i) else {
            continue;
        };
        if *sev < min || s(&v.facts, "identity.type") != Some("user") {
            continue;
        }
        let mut why = Vec::new();
        if b(&v.facts, "signin.single_factor") == Some(true) {
            why.push("the token's sign-in used single-factor authentication".to_string());
        }
        if b(&v.facts, "signin.risky") == Some(true) {
            why.push("the token's sign-in was flagged risky".to_string());
        }
        if b(&v.facts, "token.mfa") == Some(false) {
            why.push("the ARM token's amr claim has no mfa".to_string());
        }
        if let (Some(ip), Some(sid)) = (s(&v.facts, "signin.ip"), s(&v.facts, "signin.id")) {
            let ix = ix.get_or_insert_with(|| SigninIx::new(sis));
            if let Some(&si_at) = ix.first_by_id.get(sid) {
                let si = &sis[si_at];
                let t = ix.times[si_at];
                let who: BTreeSet<String> = who_keys(&si.facts).collect();
                // Successful sign-ins of the same user (by UPN or object id), other than
                // this one, in the lookback window before it.
                let earlier: BTreeSet<usize> = who
                    .iter()
                    .filter_map(|k| ix.ok_by_who.get(k))
                    .flatten()
                    .copied()
                    .filter(|&x| sis[x].subject.id != sid)
                    .filter(|&x| match (ix.times[x], t) {
                        (Some(a), Some(b)) => a < b && b.duration_since(a) <= lookback,
                        _ => false,
                    })
                    .collect();
                if !earlier.is_empty()
                    && !earlier.iter().any(|&x| s(&sis[x].facts, "ip") == Some(ip))
                {
                    why.push(format!("the token's sign-in came from {ip}, an IP not seen for this user in {} earlier sign-ins", earlier.len()));
                }
            }
        }
        if why.is_empty() {
            continue;
        }
        let sev = if *sev == Severity::Critical {
            Severity::Critical
        } else {
            sev.raise()
        };
        let mut ev = BTreeMap::new();
        ev.insert("change_rule".into(), json!(d.rule));
        ev.insert("signin".into(), json!(s(&v.facts, "signin.id")));
        ev.insert("signin_ip".into(), json!(s(&v.facts, "signin.ip")));
        let mut notes = vec![format!(
            "privileged change matched {} ({})",
            d.rule,
            d.severity.as_str()
        )];
        notes.extend(why);
        out.push(new_hit(c, v, sev, &attack_of(d), notes, ev, pack));
    }
}

const CREDENTIAL_ACTIVITIES: &[&str] = &[
    "add service principal credentials",
    "update application - certificates and secrets management",
];

fn sp_chain(
    c: &Correlation,
    pack: &RulePack,
    ops: &[View],
    audits: &[View],
    sis: &[View],
    out: &mut Vec<Detection>,
) {
    let window = hours(c.num("window_hours", 72.0));
    let lookback = hours(c.num("lookback_days", 30.0) * 24.0);
    for a in audits {
        let act = s(&a.facts, "activity").unwrap_or("");
        let fed = act == "update application"
            && s(&a.facts, "modified.new_values").is_some_and(|m| {
                m.to_ascii_lowercase()
                    .contains("federatedidentitycredentials")
            });
        if !CREDENTIAL_ACTIVITIES.contains(&act) && !fed {
            continue;
        }
        if s(&a.facts, "initiator.app")
            .is_some_and(|x| x.eq_ignore_ascii_case("Managed Service Identity"))
        {
            continue;
        }
        let Some(t0) = ts(&a.subject.time) else {
            continue;
        };
        let keys: BTreeSet<String> = target_keys(a).collect();
        if keys.is_empty() {
            continue;
        }
        let sp_keys = |f: &Facts| -> BTreeSet<String> {
            ["app_id", "object_id", "app_name"]
                .iter()
                .filter_map(|k| s(f, k))
                .map(str::to_ascii_lowercase)
                .collect()
        };
        let sp_signins: Vec<&View> = sis
            .iter()
            .filter(|x| {
                s(&x.facts, "kind") == Some("service_principal")
                    && !sp_keys(&x.facts).is_disjoint(&keys)
            })
            .collect();
        // Sign-ins after the credential was added, from an IP this SP had not used before it.
        let before_ips: BTreeSet<&str> = sp_signins
            .iter()
            .filter(|x| {
                ts(&x.subject.time).is_some_and(|t| t < t0 && t0.duration_since(t) <= lookback)
            })
            .filter_map(|x| s(&x.facts, "ip"))
            .collect();
        let new_ip: Vec<&View> = sp_signins
            .iter()
            .copied()
            .filter(|x| b(&x.facts, "success") == Some(true))
            .filter(|x| {
                ts(&x.subject.time).is_some_and(|t| t >= t0 && t.duration_since(t0) <= window)
            })
            .filter(|x| s(&x.facts, "ip").is_some_and(|ip| !before_ips.contains(ip)))
            .collect();
        let mut op_keys: BTreeSet<String> = keys.clone();
        for x in &new_ip {
            op_keys.extend(sp_keys(&x.facts));
        }
        let start = new_ip
            .iter()
            .filter_map(|x| ts(&x.subject.time))
            .min()
            .unwrap_or(t0);
        for v in ops {
            let Some(t) = ts(&v.subject.time) else {
                continue;
            };
            if t < start
                || t.duration_since(t0) > window
                || op_identities(&v.facts).is_disjoint(&op_keys)
            {
                continue;
            }
            if !matches!(
                s(&v.facts, "identity.type"),
                Some("service_principal") | Some("unknown")
            ) {
                continue;
            }
            // A change made with a token from one of the SP's earlier, known sign-ins is the
            // SP's usual work, not the new credential's: only tokens from the new-IP
            // sign-ins (or changes whose sign-in is unknown) continue the chain.
            if !new_ip.is_empty() {
                if let Some(linked) = s(&v.facts, "signin.id") {
                    if !new_ip
                        .iter()
                        .any(|x| x.subject.id.eq_ignore_ascii_case(linked))
                    {
                        continue;
                    }
                }
            }
            let mut notes = vec![format!(
                "credential added to {} by {} at {} (audit {})",
                keys.iter().cloned().collect::<Vec<_>>().join(", "),
                a.subject.identity.as_deref().unwrap_or("unknown"),
                a.subject.time,
                a.subject.id
            )];
            let sev = if let Some(x) = new_ip.first() {
                notes.push(format!(
                    "the service principal then signed in from new IP {} at {} (sign-in {})",
                    s(&x.facts, "ip").unwrap_or(""),
                    x.subject.time,
                    x.subject.id
                ));
                c.severity
            } else {
                notes.push("no service-principal sign-in from a new IP found (sign-in logs missing or IP already known)".into());
                Severity::High.min(c.severity)
            };
            let mut ev = BTreeMap::new();
            ev.insert("credential_audit".into(), json!(a.subject.id));
            ev.insert(
                "new_ip_signins".into(),
                json!(new_ip
                    .iter()
                    .map(|x| x.subject.id.clone())
                    .collect::<Vec<_>>()),
            );
            out.push(new_hit(c, v, sev, &[], notes, ev, pack));
        }
    }
}

const ELEVATION_AUDIT: &[&str] = &[
    "add member to role completed (pim activation)",
    "add member to role request approved (pim activation)",
    "user has elevated their access to user access administrator for their azure resources",
];

fn elevation(
    c: &Correlation,
    pack: &RulePack,
    ops: &[View],
    audits: &[View],
    best: &BTreeMap<usize, (&Detection, Severity)>,
    out: &mut Vec<Detection>,
) {
    let window = hours(c.num("window_hours", 8.0));
    let min = c.sev("min_severity", Severity::High);
    let mut starts: Vec<(Timestamp, BTreeSet<String>, String)> = Vec::new();
    for v in ops {
        if s(&v.facts, "op") == Some("microsoft.authorization/elevateaccess/action") {
            if let Some(t) = ts(&v.subject.time) {
                starts.push((
                    t,
                    op_identities(&v.facts),
                    format!(
                        "elevateAccess at {} (operation {})",
                        v.subject.time, v.subject.id
                    ),
                ));
            }
        }
    }
    for a in audits {
        if ELEVATION_AUDIT.contains(&s(&a.facts, "activity").unwrap_or("")) {
            let ids: BTreeSet<String> = ["initiator.upn", "initiator.id"]
                .iter()
                .filter_map(|k| s(&a.facts, k))
                .map(str::to_ascii_lowercase)
                .collect();
            if let Some(t) = ts(&a.subject.time) {
                starts.push((
                    t,
                    ids,
                    format!(
                        "{} at {} (audit {})",
                        s(&a.facts, "activity_raw").unwrap_or(""),
                        a.subject.time,
                        a.subject.id
                    ),
                ));
            }
        }
    }
    for v in ops {
        let Some(i) = v.op else { continue };
        let Some((d, sev)) = best.get(&i) else {
            continue;
        };
        if *sev < min || s(&v.facts, "op") == Some("microsoft.authorization/elevateaccess/action") {
            continue;
        }
        let Some(t) = ts(&v.subject.time) else {
            continue;
        };
        let who = op_identities(&v.facts);
        let Some(st) = starts.iter().find(|(t0, ids, _)| {
            *t0 <= t && t.duration_since(*t0) <= window && !ids.is_disjoint(&who)
        }) else {
            continue;
        };
        let top_scope = matches!(
            s(&v.facts, "role.scope_level"),
            Some("root") | Some("management_group")
        );
        let sev = if top_scope {
            Severity::Critical
        } else {
            c.severity.max(*sev)
        };
        let mut ev = BTreeMap::new();
        ev.insert("change_rule".into(), json!(d.rule));
        let notes = vec![
            format!("elevation: {}", st.2),
            format!("then {} by the same identity", d.rule),
        ];
        out.push(new_hit(c, v, sev, &attack_of(d), notes, ev, pack));
    }
}

fn keys(c: &Correlation, pack: &RulePack, ops: &[View], out: &mut Vec<Detection>) {
    let window = hours(c.num("window_hours", 24.0));
    let acts: Vec<(&View, &str, Timestamp, String)> = ops
        .iter()
        .filter_map(|v| {
            Some((
                v,
                s(&v.facts, "storage.key_action")?,
                ts(&v.subject.time)?,
                op_identity(&v.facts)?,
            ))
        })
        .filter(|(v, ..)| s(&v.facts, "status") != Some("failed"))
        .collect();
    for (v, kind, t, who) in &acts {
        if *kind != "regenerate" {
            continue;
        }
        let partner = acts.iter().find(|(_, k2, t2, w2)| {
            *k2 == "list"
                && w2 == who
                && (if *t2 <= *t {
                    t.duration_since(*t2)
                } else {
                    t2.duration_since(*t)
                }) <= window
        });
        if let Some((p, _, t2, _)) = partner {
            let order = if t2 <= t {
                "listKeys then regenerateKey"
            } else {
                "regenerateKey then listKeys"
            };
            let mut ev = BTreeMap::new();
            ev.insert("list_keys_operation".into(), json!(p.subject.id));
            ev.insert("list_keys_resource".into(), json!(p.subject.resource_id));
            ev.insert("regenerate_key_operation".into(), json!(v.subject.id));
            let notes = vec![format!(
                "{order} by {who} within {} h",
                c.num("window_hours", 24.0)
            )];
            out.push(new_hit(c, v, c.severity, &[], notes, ev.clone(), pack));
            // Listing the keys again after regenerating them fetches the new key: that
            // listKeys is part of the chain too.
            for (p2, _, t3, _) in acts.iter().filter(|(_, k2, t2, w2)| {
                *k2 == "list" && w2 == who && *t2 > *t && t2.duration_since(*t) <= window
            }) {
                let mut ev2 = ev.clone();
                ev2.insert("list_keys_operation".into(), json!(p2.subject.id));
                let notes = vec![format!(
                    "listKeys at {t3} after regenerateKey at {t} by {who}: the new key was fetched"
                )];
                out.push(new_hit(c, p2, c.severity, &[], notes, ev2, pack));
            }
        }
    }
}

fn mass_delete(c: &Correlation, pack: &RulePack, ops: &[View], out: &mut Vec<Detection>) {
    let threshold = c.num("threshold", 5.0).max(2.0) as usize;
    let window = SignedDuration::from_secs((c.num("window_minutes", 60.0) * 60.0) as i64);
    let mut by_who: BTreeMap<String, Vec<(Timestamp, &View)>> = BTreeMap::new();
    for v in ops {
        let is_delete = s(&v.facts, "op").is_some_and(|o| o.ends_with("/delete"));
        if !is_delete || matches!(s(&v.facts, "status"), Some("failed") | Some("canceled")) {
            continue;
        }
        if let (Some(w), Some(t)) = (op_identity(&v.facts), ts(&v.subject.time)) {
            by_who.entry(w).or_default().push((t, v));
        }
    }
    for (who, mut list) in by_who {
        list.sort_by_key(|x| x.0);
        let mut flagged = vec![false; list.len()];
        let mut j = 0;
        for i in 0..list.len() {
            while list[i].0.duration_since(list[j].0) > window {
                j += 1;
            }
            if i + 1 - j >= threshold {
                flagged[j..=i].iter_mut().for_each(|f| *f = true);
            }
        }
        let n = flagged.iter().filter(|f| **f).count();
        for (k, (_, v)) in list.iter().enumerate() {
            if flagged[k] {
                let mut ev = BTreeMap::new();
                ev.insert("deletions_by_identity".into(), json!(n));
                let notes = vec![format!(
                    "{who} deleted {n} resources with at least {threshold} within {} minutes",
                    c.num("window_minutes", 60.0)
                )];
                out.push(new_hit(c, v, c.severity, &[], notes, ev, pack));
            }
        }
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.to_ascii_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn threshold(
    c: &Correlation,
    pack: &RulePack,
    ops: &[View],
    audits: &[View],
    sis: &[View],
    out: &mut Vec<Detection>,
) {
    let Ok(t) = ThresholdSpec::from(c) else {
        return;
    };
    let (views, name_key) = match t.source {
        Source::Activity => (ops, "op"),
        Source::Audit => (audits, "activity"),
        Source::Signin => (sis, ""),
    };
    let pats: Vec<String> = t.operations.iter().map(|p| normalize_name(p)).collect();
    let window = SignedDuration::from_secs((t.window_minutes * 60.0) as i64);
    let mut groups: BTreeMap<String, Vec<(Timestamp, &View)>> = BTreeMap::new();
    for v in views {
        if !pats.is_empty()
            && !s(&v.facts, name_key).is_some_and(|n| pats.iter().any(|p| glob(p, n)))
        {
            continue;
        }
        if super::cond::eval(&t.when, &v.facts).is_none() {
            continue;
        }
        if let (Some(k), Some(at)) = (
            v.facts.get(t.group_by.as_str()).and_then(text_of),
            ts(&v.subject.time),
        ) {
            groups.entry(k).or_default().push((at, v));
        }
    }
    for (key, mut list) in groups {
        list.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.subject.id.cmp(&b.1.subject.id))
        });
        let mut flagged = vec![false; list.len()];
        let mut peak = 0;
        let mut j = 0;
        for i in 0..list.len() {
            while list[i].0.duration_since(list[j].0) > window {
                j += 1;
            }
            let n = match &t.distinct {
                Some(d) => list[j..=i]
                    .iter()
                    .filter_map(|x| x.1.facts.get(d.as_str()).and_then(text_of))
                    .collect::<BTreeSet<_>>()
                    .len(),
                None => i + 1 - j,
            };
            if n >= t.threshold {
                peak = peak.max(n);
                flagged[j..=i].iter_mut().for_each(|f| *f = true);
            }
        }
        for (k, (_, v)) in list.iter().enumerate() {
            if !flagged[k] {
                continue;
            }
            let what = t
                .distinct
                .as_deref()
                .map(|d| format!("distinct {d} values"))
                .unwrap_or_else(|| "records".into());
            let mut ev = BTreeMap::new();
            ev.insert(t.group_by.clone(), json!(key));
            ev.insert("peak_count".into(), json!(peak));
            let notes = vec![format!(
                "{peak} {what} for {} = {key} within {} minutes (threshold {})",
                t.group_by, t.window_minutes, t.threshold
            )];
            out.push(new_hit(c, v, c.severity, &[], notes, ev, pack));
        }
    }
}
