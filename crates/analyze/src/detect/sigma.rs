//! SigmaHQ rules for `product: azure` (services activitylogs, auditlogs, signinlogs, and
//! riskdetection over the sign-ins' risk event types), parsed and compiled with
//! `rsigma-parser` / `rsigma-eval` and evaluated unmodified. A field-alias layer maps every
//! upstream field name (detections.md §1.1–1.4) onto the normalized facts; a rule that uses
//! a field with no alias, a correlation, or anything the compiler rejects is reported as
//! not evaluable, with the reason.

use super::cond::Facts;
use super::rules::Severity;
use super::{Detection, View};
use rayon::prelude::*;
use rsigma_eval::{compile_rule, evaluate_rule, CompiledRule, JsonEvent};
use rsigma_parser::{parse_sigma_yaml, Detection as SDet, SigmaRule};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The log a Sigma rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Activitylogs,
    Auditlogs,
    Signinlogs,
    Riskdetection,
}

impl Service {
    fn parse(s: &str) -> Option<Service> {
        match s.to_ascii_lowercase().as_str() {
            "activitylogs" => Some(Service::Activitylogs),
            "auditlogs" => Some(Service::Auditlogs),
            "signinlogs" => Some(Service::Signinlogs),
            "riskdetection" => Some(Service::Riskdetection),
            _ => None,
        }
    }
}

/// How a Sigma field is filled from a view: the first fact present among these names.
/// `@` names are computed (see [`computed`]).
fn alias(service: Service, field: &str) -> Option<&'static [&'static str]> {
    let f = field.to_ascii_lowercase();
    Some(match (service, f.as_str()) {
        (Service::Activitylogs, "operationname" | "operationnamevalue" | "operation_name") => {
            &["op"]
        }
        (Service::Activitylogs, "categoryvalue" | "category") => &["category"],
        (Service::Activitylogs, "resourceprovidervalue" | "resourceprovider") => &["@provider"],
        (Service::Activitylogs, "resourceid" | "_resourceid") => &["resource.id"],
        (Service::Activitylogs, "properties.message") => &["message", "op"],
        (Service::Activitylogs, "activitystatusvalue" | "status" | "resulttype") => &["status"],
        (Service::Activitylogs, "caller") => &["caller"],
        (Service::Activitylogs, "calleripaddress") => &["caller_ip"],
        (
            Service::Auditlogs,
            "properties.message"
            | "operationname"
            | "activitydisplayname"
            | "activitytype"
            | "activity",
        ) => &["activity_raw"],
        (Service::Auditlogs, "category") => &["category"],
        (Service::Auditlogs, "status" | "properties.result" | "result") => &["result"],
        (Service::Auditlogs, "loggedbyservice") => &["service"],
        (Service::Auditlogs, "targetresources.type" | "properties.targetresources.type") => {
            &["target.type"]
        }
        (
            Service::Auditlogs,
            "targetresources.modifiedproperties.newvalue" | "targetresources.modifiedproperties",
        ) => &["modified.new_values"],
        (Service::Auditlogs, "targetresources.modifiedproperties.displayname") => {
            &["modified.property"]
        }
        (Service::Auditlogs, "targetresources" | "properties.targetresources" | "target") => {
            &["@targets"]
        }
        (Service::Auditlogs, "initiatedby" | "properties.initiatedby") => {
            &["initiator.upn", "initiator.app"]
        }
        (Service::Signinlogs, "resulttype" | "resultcode") => &["error_code", "@result_code"],
        (Service::Signinlogs, "resultdescription") => &["result_description"],
        (Service::Signinlogs, "status") => &["@status"],
        (Service::Signinlogs, "authenticationrequirement") => &["auth_requirement"],
        (Service::Signinlogs, "conditionalaccessstatus") => &["conditional_access"],
        (Service::Signinlogs, "riskstate") => &["risk_state"],
        (Service::Signinlogs, "useragent") => &["user_agent"],
        (Service::Signinlogs, "clientapp" | "clientappused") => &["client_app"],
        (Service::Signinlogs, "username" | "userprincipalname" | "targetusername") => &["upn"],
        (Service::Signinlogs, "devicedetail.trusttype") => &["device_trust_type"],
        (Service::Signinlogs, "devicedetail.iscompliant") => &["device_compliant"],
        (Service::Signinlogs, "ipaddress" | "calleripaddress") => &["ip"],
        (Service::Signinlogs, "appid" | "properties.appid") => &["app_id"],
        (Service::Signinlogs, "resourcedisplayname") => &["resource_display_name"],
        // Upstream placeholders put the flow name ("Device Code", "ROPC") in properties.message.
        (Service::Signinlogs, "properties.message") => &["@auth_flow"],
        (Service::Riskdetection, "riskeventtype") => &["risk_event_types"],
        _ => return None,
    })
}

fn computed(name: &str, f: &Facts) -> Option<Value> {
    let s = |k: &str| f.get(k).and_then(Value::as_str);
    match name {
        "@provider" => s("op").and_then(|o| o.split('/').next()).map(|p| json!(p)),
        "@targets" => {
            let mut parts: Vec<String> = Vec::new();
            for k in ["target.name", "target.type", "target.id"] {
                if let Some(Value::Array(a)) = f.get(k) {
                    parts.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            if let Some(m) = s("modified.new_values") {
                parts.push(m.to_string());
            }
            (!parts.is_empty()).then(|| json!(parts.join(" ")))
        }
        "@auth_flow" => {
            let p = s("authentication_protocol")
                .unwrap_or("")
                .to_ascii_lowercase();
            let t = s("original_transfer_method")
                .unwrap_or("")
                .to_ascii_lowercase();
            if p == "devicecode" || t == "devicecodeflow" {
                Some(json!("Device Code"))
            } else if p == "ropc" {
                Some(json!("ROPC"))
            } else {
                None
            }
        }
        "@result_code" => {
            (f.get("success").and_then(Value::as_bool) == Some(true)).then(|| json!("0"))
        }
        "@status" => f
            .get("success")
            .and_then(Value::as_bool)
            .map(|b| json!(if b { "Success" } else { "Failure" })),
        _ => None,
    }
}

fn resolve(names: &[&str], f: &Facts) -> Option<Value> {
    names.iter().find_map(|n| {
        if n.starts_with('@') {
            computed(n, f)
        } else {
            f.get(*n).filter(|v| !v.is_null()).cloned()
        }
    })
}

/// Base fields always present so keyword rules have text to search.
fn base_fields(service: Service) -> &'static [&'static str] {
    match service {
        Service::Activitylogs => &[
            "operationName",
            "properties.message",
            "ResourceId",
            "CategoryValue",
        ],
        Service::Auditlogs => &["properties.message", "Category"],
        Service::Signinlogs => &["ResultType", "userAgent"],
        Service::Riskdetection => &["riskEventType"],
    }
}

struct Entry {
    service: Service,
    compiled: CompiledRule,
    id: String,
    title: String,
    level: Severity,
    attack: Vec<String>,
    fields: Vec<String>,
}

/// Loaded, evaluable Sigma rules.
#[derive(Default)]
pub struct SigmaSet {
    entries: Vec<Entry>,
}

impl SigmaSet {
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A rule that could not be evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct Unevaluable {
    pub file: String,
    pub title: String,
    pub reason: String,
    pub detail: String,
}

/// What loading found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SigmaReport {
    pub files: usize,
    /// Rules (and correlations) for product azure and a supported service.
    pub loaded: usize,
    pub evaluable: usize,
    pub unevaluable: Vec<Unevaluable>,
    /// Reason → count.
    pub by_reason: BTreeMap<String, usize>,
    /// Documents for other products or services, not considered.
    pub other: usize,
}

impl SigmaReport {
    fn reject(&mut self, file: &str, title: &str, reason: &str, detail: String) {
        *self.by_reason.entry(reason.to_string()).or_insert(0) += 1;
        self.unevaluable.push(Unevaluable {
            file: file.into(),
            title: title.into(),
            reason: reason.into(),
            detail,
        });
    }
}

fn collect_fields(d: &SDet, out: &mut BTreeSet<Option<String>>) {
    match d {
        SDet::AllOf(items) => out.extend(items.iter().map(|i| i.field.name.clone())),
        SDet::AnyOf(ds) | SDet::And(ds) => ds.iter().for_each(|x| collect_fields(x, out)),
        SDet::Keywords(_) => {
            out.insert(None);
        }
        SDet::ArrayMatch { field, .. } => {
            out.insert(Some(field.clone()));
        }
        SDet::Conditional { named, .. } => named.values().for_each(|x| collect_fields(x, out)),
    }
}

fn level(r: &SigmaRule) -> Severity {
    match r.level.as_ref().map(|l| l.as_str()).unwrap_or("medium") {
        "informational" => Severity::Informational,
        "low" => Severity::Low,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => Severity::Medium,
    }
}

fn attack_tags(r: &SigmaRule) -> Vec<String> {
    r.tags
        .iter()
        .filter_map(|t| {
            t.strip_prefix("attack.t")
                .map(|x| format!("T{}", x.to_ascii_uppercase()))
        })
        .collect()
}

fn azure_service(r: &SigmaRule) -> Result<Option<Service>, String> {
    if !r
        .logsource
        .product
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("azure"))
    {
        return Ok(None);
    }
    let svc = r.logsource.service.clone().unwrap_or_default();
    Service::parse(&svc).map(Some).ok_or(svc)
}

/// Adds the rules of one Sigma YAML text (one or more documents).
pub fn add_text(set: &mut SigmaSet, report: &mut SigmaReport, file: &str, text: &str) {
    report.files += 1;
    let col = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            report.loaded += 1;
            report.reject(file, "", "parse error", e.to_string());
            return;
        }
    };
    for e in &col.errors {
        report.loaded += 1;
        report.reject(file, "", "parse error", e.clone());
    }
    for c in &col.correlations {
        report.loaded += 1;
        report.reject(file, &c.title, "correlation rule", "Sigma correlation rules are not evaluated; tokentrail's own correlators cover these chains".into());
    }
    for f in &col.filters {
        report.loaded += 1;
        report.reject(
            file,
            &f.title,
            "filter rule",
            "Sigma filter documents are not applied".into(),
        );
    }
    for r in &col.rules {
        let service = match azure_service(r) {
            Ok(Some(s)) => s,
            Ok(None) => {
                report.other += 1;
                continue;
            }
            Err(svc) => {
                report.loaded += 1;
                report.reject(
                    file,
                    &r.title,
                    "unsupported service",
                    format!("service {svc:?} is not ingested"),
                );
                continue;
            }
        };
        report.loaded += 1;
        let mut fields = BTreeSet::new();
        for d in r.detection.named.values() {
            collect_fields(d, &mut fields);
        }
        let unmapped: Vec<String> = fields
            .iter()
            .flatten()
            .filter(|f| alias(service, f).is_none())
            .cloned()
            .collect();
        if !unmapped.is_empty() {
            report.reject(file, &r.title, "unmapped field", unmapped.join(", "));
            continue;
        }
        if r.detection.timeframe.is_some() {
            report.reject(
                file,
                &r.title,
                "aggregation (timeframe)",
                "deprecated timeframe aggregation".into(),
            );
            continue;
        }
        match compile_rule(r) {
            Ok(compiled) => {
                report.evaluable += 1;
                set.entries.push(Entry {
                    service,
                    compiled,
                    id: r.id.clone().unwrap_or_else(|| r.title.clone()),
                    title: r.title.clone(),
                    level: level(r),
                    attack: attack_tags(r),
                    fields: fields.into_iter().flatten().collect(),
                });
            }
            Err(e) => {
                let msg = e.to_string();
                let reason = if msg.to_ascii_lowercase().contains("modifier") {
                    "unsupported modifier"
                } else {
                    "compile error"
                };
                report.reject(file, &r.title, reason, msg);
            }
        }
    }
}

/// Loads every `*.yml` / `*.yaml` under `dir` (recursively, sorted, at most 100,000 files).
pub fn load(dir: &Path) -> std::io::Result<(SigmaSet, SigmaReport)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"))
                && files.len() < 100_000
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut set = SigmaSet::default();
    let mut report = SigmaReport::default();
    for f in files {
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        match std::fs::read_to_string(&f) {
            Ok(t) => add_text(&mut set, &mut report, &name, &t),
            Err(e) => {
                report.files += 1;
                report.loaded += 1;
                report.reject(&name, "", "unreadable", e.to_string());
            }
        }
    }
    Ok((set, report))
}

/// The Sigma event for one view: every field the loaded rules of `service` use, filled
/// through the aliases.
fn event(service: Service, fields: &BTreeSet<&str>, facts: &Facts) -> Value {
    let mut m = Map::new();
    for f in fields
        .iter()
        .copied()
        .chain(base_fields(service).iter().copied())
    {
        if m.contains_key(f) {
            continue;
        }
        if let Some(v) = alias(service, f).and_then(|names| resolve(names, facts)) {
            m.insert(f.to_string(), v);
        }
    }
    Value::Object(m)
}

/// Evaluates every Sigma rule over the matching views.
/// Platform-noise caps from `pack` apply to Sigma hits too.
pub fn run(
    set: &SigmaSet,
    pack: &super::rules::RulePack,
    ops: &[View],
    audits: &[View],
    sis: &[View],
) -> Vec<Detection> {
    let mut out = Vec::new();
    for service in [
        Service::Activitylogs,
        Service::Auditlogs,
        Service::Signinlogs,
        Service::Riskdetection,
    ] {
        let views = match service {
            Service::Activitylogs => ops,
            Service::Auditlogs => audits,
            Service::Signinlogs | Service::Riskdetection => sis,
        };
        out.extend(run_service(set, pack, service, views));
    }
    out
}

/// Evaluates the Sigma rules of one service over `views` (in parallel, hits in view order).
pub fn run_service(
    set: &SigmaSet,
    pack: &super::rules::RulePack,
    service: Service,
    views: &[View],
) -> Vec<Detection> {
    let rules: Vec<&Entry> = set
        .entries
        .iter()
        .filter(|e| e.service == service)
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let fields: BTreeSet<&str> = rules
        .iter()
        .flat_map(|e| e.fields.iter().map(String::as_str))
        .collect();
    let hits: Vec<Vec<Detection>> = views
        .par_iter()
        .map(|v| {
            let mut out = Vec::new();
            let ev_val = event(service, &fields, &v.facts);
            let ev = JsonEvent::borrow(&ev_val);
            for e in &rules {
                let Some(res) = evaluate_rule(&e.compiled, &ev) else {
                    continue;
                };
                let mut matched = BTreeMap::new();
                if let Some(d) = res.as_detection() {
                    for fm in &d.matched_fields {
                        matched.insert(fm.field.clone(), fm.value.clone());
                    }
                }
                let mut d = Detection {
                    rule: format!("sigma:{}", e.id),
                    name: format!("sigma_{}", e.id),
                    title: e.title.clone(),
                    severity: e.level,
                    attack: e.attack.clone(),
                    attack_names: Vec::new(),
                    attack_version: "sigma tags".into(),
                    source: "sigma",
                    subject: v.subject.clone(),
                    matched: matched.into(),
                    evidence: Default::default(),
                    notes: vec![format!(
                        "Sigma rule evaluated unmodified over the {service:?} alias view"
                    )],
                    op: v.op,
                };
                super::apply_noise(&mut d, &v.facts, pack);
                out.push(d);
            }
            out
        })
        .collect();
    hits.into_iter().flatten().collect()
}
