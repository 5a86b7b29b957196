//! The rule pack: the embedded built-in rules (`rules/builtin.yaml`) plus user rule files in
//! the same format, validated on load and hashed (SHA-256 over canonical JSON) so the
//! evidence bundle can record exactly which rules ran.

use super::cond::{Condition, Matcher};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The built-in rule file, embedded at compile time.
pub const BUILTIN: &str = include_str!("../../rules/builtin.yaml");
/// ATT&CK version the mappings use unless a rule says otherwise.
pub const DEFAULT_ATTACK_VERSION: &str = "18.1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// One step up, capped at critical.
    pub fn raise(self) -> Severity {
        match self {
            Severity::Informational => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Activity,
    Audit,
    Signin,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technique {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub when: Condition,
    pub severity: Severity,
    pub reason: String,
}

/// One single-record rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// snake_case indicator name (what scenario truth files use).
    pub name: String,
    pub title: String,
    pub source: Source,
    /// Operation names (activity) or activity display names (audit); `*` is a wildcard;
    /// compared case-insensitively.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    /// `operations`, each passed through [`normalize_name`] once when the pack is built.
    #[serde(skip)]
    pub operations_normalized: Vec<String>,
    /// Accepted statuses; empty = any status except failed and canceled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<String>,
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub when: Condition,
    /// At least one of these must hold (when present).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<Condition>,
    /// None of these may hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<Condition>,
    /// Fires only when another rule fired on the same operation at this severity or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_severity: Option<Severity>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalation>,
    pub attack: Vec<Technique>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_version: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub false_positives: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// The named correlators (their logic is code; their parameters are data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelatorKind {
    WeakSigninPrivilegedChange,
    SpCredentialSigninActivity,
    ElevationThenSensitiveChange,
    ListKeysRegenerateKey,
    MassDeletion,
    /// Generic: at least `threshold` matching records (or distinct values of `distinct`)
    /// with the same `group_by` fact within `window_minutes`.
    Threshold,
}

impl CorrelatorKind {
    /// Parameter names and whether each is numeric.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            CorrelatorKind::WeakSigninPrivilegedChange => &["min_severity", "lookback_days"],
            CorrelatorKind::SpCredentialSigninActivity => &["window_hours", "lookback_days"],
            CorrelatorKind::ElevationThenSensitiveChange => &["window_hours", "min_severity"],
            CorrelatorKind::ListKeysRegenerateKey => &["window_hours"],
            CorrelatorKind::MassDeletion => &["threshold", "window_minutes"],
            CorrelatorKind::Threshold => &[
                "source",
                "operations",
                "where",
                "group_by",
                "distinct",
                "threshold",
                "window_minutes",
            ],
        }
    }
}

/// A correlation rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    pub id: String,
    pub name: String,
    pub title: String,
    pub kind: CorrelatorKind,
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    pub severity: Severity,
    pub attack: Vec<Technique>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_version: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub false_positives: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

impl Correlation {
    pub fn num(&self, k: &str, default: f64) -> f64 {
        self.params
            .get(k)
            .and_then(Value::as_f64)
            .unwrap_or(default)
    }
    pub fn sev(&self, k: &str, default: Severity) -> Severity {
        self.params
            .get(k)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or(default)
    }
}

/// The parameters of a `threshold` correlation, decoded.
#[derive(Clone, Debug)]
pub struct ThresholdSpec {
    pub source: Source,
    pub operations: Vec<String>,
    pub when: Condition,
    pub group_by: String,
    pub distinct: Option<String>,
    pub threshold: usize,
    pub window_minutes: f64,
}

impl ThresholdSpec {
    pub fn from(c: &Correlation) -> Result<ThresholdSpec, String> {
        let p = &c.params;
        let get = |k: &str| p.get(k).cloned();
        let source: Source =
            serde_json::from_value(get("source").ok_or("threshold needs `source`")?)
                .map_err(|e| format!("source: {e}"))?;
        let operations: Vec<String> = get("operations")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| format!("operations: {e}"))?
            .unwrap_or_default();
        let when: Condition = get("where")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| format!("where: {e}"))?
            .unwrap_or_default();
        let group_by = get("group_by")
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or("threshold needs `group_by` (a fact name)")?;
        let distinct = get("distinct").and_then(|v| v.as_str().map(str::to_string));
        let threshold = c.num("threshold", 0.0);
        if threshold < 2.0 {
            return Err("threshold must be at least 2".into());
        }
        Ok(ThresholdSpec {
            source,
            operations,
            when,
            group_by,
            distinct,
            threshold: threshold as usize,
            window_minutes: c.num("window_minutes", 60.0),
        })
    }
}

/// Severity cap for platform noise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    pub cap: Severity,
    pub when_any: Vec<Condition>,
    #[serde(default)]
    pub note: String,
}

/// The effective rules.
#[derive(Clone, Debug, Serialize)]
pub struct RulePack {
    pub rules: Vec<Rule>,
    pub correlations: Vec<Correlation>,
    pub noise: Vec<Noise>,
    /// Files the pack came from (`builtin` first).
    #[serde(skip)]
    pub files: Vec<String>,
    #[serde(skip)]
    pub sha256: String,
}

/// A rule file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {}{msg}", rule.as_ref().map(|r| format!("rule {r}: ")).unwrap_or_default())]
pub struct RuleError {
    pub file: String,
    pub rule: Option<String>,
    pub msg: String,
}

fn err(file: &str, rule: Option<&str>, msg: impl Into<String>) -> RuleError {
    RuleError {
        file: file.to_string(),
        rule: rule.map(str::to_string),
        msg: msg.into().replace('\n', " "),
    }
}

const STATUSES: &[&str] = &[
    "started",
    "accepted",
    "in_progress",
    "succeeded",
    "failed",
    "canceled",
    "active",
    "resolved",
    "updated",
    "unknown",
    "success",
    "failure",
];

fn valid_technique(id: &str) -> bool {
    let b = id.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

fn check_names(c: &Condition, source: Option<Source>) -> Result<(), String> {
    for k in c.keys() {
        let ok = match source {
            Some(s) => super::catalog::known(s).contains(&k.as_str()),
            None => super::catalog::known_anywhere(k),
        };
        if !ok {
            return Err(format!(
                "unknown fact {k:?} (see crates/analyze/src/detect/catalog.rs)"
            ));
        }
    }
    Ok(())
}

fn check_condition(c: &Condition) -> Result<(), String> {
    for (k, m) in c {
        match m {
            Matcher::Scalar(Value::Object(_)) => {
                return Err(format!("condition on {k}: unknown operator (use eq, in, contains, startswith, endswith, gte, lte, exists, not)"))
            }
            Matcher::Ops(o) if o.is_empty() => return Err(format!("condition on {k}: empty operator object")),
            _ => {}
        }
    }
    Ok(())
}

fn check_common(id: &str, name: &str, title: &str, attack: &[Technique]) -> Result<(), String> {
    if id.trim().is_empty() || title.trim().is_empty() || name.trim().is_empty() {
        return Err("id, name and title must not be empty".into());
    }
    if attack.is_empty() {
        return Err("at least one ATT&CK technique is required".into());
    }
    for t in attack {
        if !valid_technique(&t.id) {
            return Err(format!(
                "bad ATT&CK technique id {:?} (want T1234 or T1234.001)",
                t.id
            ));
        }
    }
    Ok(())
}

fn check_rule(r: &Rule) -> Result<(), String> {
    check_common(&r.id, &r.name, &r.title, &r.attack)?;
    if r.source != Source::Signin && r.operations.is_empty() {
        return Err("activity and audit rules need at least one operation".into());
    }
    for s in &r.statuses {
        if !STATUSES.contains(&s.to_ascii_lowercase().as_str()) {
            return Err(format!("unknown status {s:?}"));
        }
    }
    check_condition(&r.when)?;
    check_names(&r.when, Some(r.source))?;
    for c in r.any.iter().chain(&r.unless) {
        check_condition(c)?;
        check_names(c, Some(r.source))?;
    }
    for e in &r.escalate {
        check_condition(&e.when)?;
        check_names(&e.when, Some(r.source))?;
    }
    Ok(())
}

fn check_correlation(c: &Correlation) -> Result<(), String> {
    check_common(&c.id, &c.name, &c.title, &c.attack)?;
    let known = c.kind.params();
    for k in c.params.keys() {
        if !known.contains(&k.as_str()) {
            return Err(format!(
                "unknown parameter {k:?} for {:?} (known: {})",
                c.kind,
                known.join(", ")
            ));
        }
    }
    if c.kind == CorrelatorKind::Threshold {
        let t = ThresholdSpec::from(c)?;
        check_condition(&t.when)?;
        check_names(&t.when, Some(t.source))?;
        for f in std::iter::once(&t.group_by).chain(t.distinct.as_ref()) {
            if !super::catalog::known(t.source).contains(&f.as_str()) {
                return Err(format!("unknown fact {f:?} in group_by/distinct"));
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct Parsed {
    rules: Vec<Rule>,
    correlations: Vec<Correlation>,
    noise: Vec<Noise>,
}

/// Reads a list of entries (`rules`, `correlations`), validating each; errors name the
/// file and the entry's id (or its position).
fn load_list<T: serde::de::DeserializeOwned>(
    file: &str,
    key: &str,
    v: &yaml_serde::Value,
    check: fn(&T) -> Result<(), String>,
) -> Result<Vec<T>, RuleError> {
    let seq = v
        .as_sequence()
        .ok_or_else(|| err(file, None, format!("`{key}` must be a list")))?;
    let mut out = Vec::with_capacity(seq.len());
    for (i, item) in seq.iter().enumerate() {
        let label = item_id(item).unwrap_or_else(|| format!("#{}", i + 1));
        let x: T = yaml_serde::from_value(item.clone())
            .map_err(|e| err(file, Some(&label), e.to_string()))?;
        check(&x).map_err(|m| err(file, Some(&label), m))?;
        out.push(x);
    }
    Ok(out)
}

fn item_id(v: &yaml_serde::Value) -> Option<String> {
    v.get("id").and_then(|i| i.as_str()).map(str::to_string)
}

/// Parses and validates one rule file's text.
fn parse_file(file: &str, text: &str) -> Result<Parsed, RuleError> {
    let doc: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| err(file, None, format!("not valid YAML: {e}")))?;
    let map = doc.as_mapping().ok_or_else(|| {
        err(
            file,
            None,
            "expected a mapping with `rules:` and/or `correlations:`",
        )
    })?;
    let mut out = Parsed::default();
    for (k, v) in map {
        let key = k.as_str().unwrap_or("");
        match key {
            "version" | "attack_version" | "description" => {}
            "noise" => {
                let ns: Vec<Noise> = yaml_serde::from_value(v.clone())
                    .map_err(|e| err(file, Some("noise"), e.to_string()))?;
                for n in ns {
                    for c in &n.when_any {
                        check_condition(c).map_err(|m| err(file, Some("noise"), m))?;
                        check_names(c, None).map_err(|m| err(file, Some("noise"), m))?;
                    }
                    out.noise.push(n);
                }
            }
            "rules" => out.rules.extend(load_list(file, "rules", v, check_rule)?),
            "correlations" => {
                out.correlations
                    .extend(load_list(file, "correlations", v, check_correlation)?)
            }
            other => return Err(err(file, None, format!("unknown top-level key {other:?}"))),
        }
    }
    Ok(out)
}

impl RulePack {
    /// The built-in rules only.
    pub fn builtin() -> Result<RulePack, RuleError> {
        RulePack::from_sources(&[("builtin".to_string(), BUILTIN.to_string())])
    }

    /// Built-in rules plus every `*.yaml` / `*.yml` file in each of `dirs` (sorted by name).
    pub fn load(dirs: &[impl AsRef<Path>]) -> Result<RulePack, RuleError> {
        let mut sources = vec![("builtin".to_string(), BUILTIN.to_string())];
        for d in dirs {
            let d = d.as_ref();
            let rd = std::fs::read_dir(d).map_err(|e| {
                err(
                    &d.display().to_string(),
                    None,
                    format!("cannot read directory: {e}"),
                )
            })?;
            let mut files: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml")
                    })
                })
                .collect();
            files.sort();
            for f in files {
                let name = f.display().to_string();
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| err(&name, None, format!("cannot read: {e}")))?;
                sources.push((name, text));
            }
        }
        RulePack::from_sources(&sources)
    }

    /// Builds a pack from (file name, text) pairs; ids must be unique across all of them.
    pub fn from_sources(sources: &[(String, String)]) -> Result<RulePack, RuleError> {
        let mut pack = RulePack {
            rules: vec![],
            correlations: vec![],
            noise: vec![],
            files: vec![],
            sha256: String::new(),
        };
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for (file, text) in sources {
            let p = parse_file(file, text)?;
            for id in p
                .rules
                .iter()
                .map(|r| &r.id)
                .chain(p.correlations.iter().map(|c| &c.id))
            {
                if let Some(prev) = ids.insert(id.to_ascii_lowercase(), file.clone()) {
                    return Err(err(
                        file,
                        Some(id),
                        format!("duplicate rule id (already defined in {prev})"),
                    ));
                }
            }
            pack.rules.extend(p.rules);
            pack.correlations.extend(p.correlations);
            pack.noise.extend(p.noise);
            pack.files.push(file.clone());
        }
        pack.rules.sort_by(|a, b| a.id.cmp(&b.id));
        for r in &mut pack.rules {
            r.operations_normalized = r.operations.iter().map(|p| normalize_name(p)).collect();
        }
        pack.correlations.sort_by(|a, b| a.id.cmp(&b.id));
        let canonical = serde_json::to_vec(&pack).map_err(|e| err("pack", None, e.to_string()))?;
        pack.sha256 = hex::encode(Sha256::digest(&canonical));
        Ok(pack)
    }

    /// Counts by source: activity, audit, sign-in, correlation.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in &self.rules {
            let k = match r.source {
                Source::Activity => "activity",
                Source::Audit => "audit",
                Source::Signin => "signin",
            };
            *m.entry(k).or_insert(0) += 1;
        }
        m.insert("correlation", self.correlations.len());
        m
    }

    /// Every ATT&CK id the pack can emit.
    pub fn techniques(&self) -> BTreeSet<String> {
        self.rules
            .iter()
            .flat_map(|r| r.attack.iter())
            .chain(self.correlations.iter().flat_map(|c| c.attack.iter()))
            .map(|t| t.id.clone())
            .collect()
    }
}

/// Normalizes an operation or activity name for matching: lower case, dashes to `-`,
/// whitespace collapsed, trailing `.` dropped (formats.md §6.3).
pub fn normalize_name(s: &str) -> String {
    if s.is_ascii() {
        // No dashes to map; the same steps without the intermediate strings.
        let mut out = String::with_capacity(s.len());
        for w in s.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
        let keep = out.trim_end_matches('.').trim().len();
        out.truncate(keep);
        out.make_ascii_lowercase();
        return out;
    }
    normalize_general(s)
}

/// [`normalize_name`] for any text (the ASCII case takes a shorter path to the same result).
fn normalize_general(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if matches!(c, '\u{2013}' | '\u{2014}' | '\u{2012}' | '\u{2212}') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let collapsed = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_end_matches('.').trim().to_lowercase()
}

/// Glob match with `*` (any run of characters) on normalized names. Run for every rule
/// on every operation, so it allocates nothing: the text before the first `*` is a
/// prefix, the text after the last a suffix, and the parts between are found left to right.
pub fn glob(pattern: &str, name: &str) -> bool {
    let Some((first, tail)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let (middle, last) = match tail.rsplit_once('*') {
        Some((middle, last)) => (Some(middle), last),
        None => (None, tail),
    };
    for part in middle.into_iter().flat_map(|m| m.split('*')) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_loads_and_is_big_enough() {
        let p = RulePack::builtin().unwrap();
        assert!(
            p.rules.len() + p.correlations.len() >= 40,
            "{}",
            p.rules.len()
        );
        assert_eq!(p.sha256.len(), 64);
        let again = RulePack::builtin().unwrap();
        assert_eq!(p.sha256, again.sha256);
        let c = p.counts();
        assert!(
            c["activity"] >= 25 && c["audit"] >= 8 && c["signin"] >= 4 && c["correlation"] >= 5,
            "{c:?}"
        );
    }

    #[test]
    fn ascii_names_normalize_as_the_general_path_does() {
        for s in [
            "",
            " ",
            "...",
            "a.",
            "A . ",
            " Consent  to\tapplication.\x0b",
            "x\x0b.y",
            "Microsoft.Compute/virtualMachines/write",
            "  Add member to role.. ",
            "a\x0c\r\nB .",
        ] {
            assert_eq!(normalize_name(s), normalize_general(s), "{s:?}");
        }
    }

    #[test]
    fn names_and_globs() {
        assert_eq!(
            normalize_name("Update application \u{2013} Certificates and secrets management "),
            "update application - certificates and secrets management"
        );
        assert_eq!(
            normalize_name("Consent to application."),
            "consent to application"
        );
        assert!(glob("*/diagnosticsettings/delete", "microsoft.network/networksecuritygroups/providers/microsoft.insights/diagnosticsettings/delete"));
        assert!(glob(
            "microsoft.storage/*/listkeys/action",
            "microsoft.storage/storageaccounts/listkeys/action"
        ));
        assert!(!glob("*/delete", "microsoft.x/write"));
        assert!(glob("a*b*c", "axxbyyc"));
        // Against the definition (split on `*`, first part a prefix, last a suffix, the
        // others found in order) on every pattern and name of up to five characters.
        fn reference(pattern: &str, name: &str) -> bool {
            let parts: Vec<&str> = pattern.split('*').collect();
            if parts.len() == 1 {
                return pattern == name;
            }
            let mut rest = name;
            for (i, p) in parts.iter().enumerate() {
                if i == 0 {
                    match rest.strip_prefix(p) {
                        Some(r) => rest = r,
                        None => return false,
                    }
                } else if i == parts.len() - 1 {
                    return rest.ends_with(p);
                } else if let Some(at) = rest.find(p) {
                    rest = &rest[at + p.len()..];
                } else {
                    return false;
                }
            }
            true
        }
        fn words(alphabet: &[char], max: usize) -> Vec<String> {
            let mut all = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                    .collect();
                all.extend(last.iter().cloned());
            }
            all
        }
        let names = words(&['a', 'b'], 5);
        for pattern in words(&['a', 'b', '*'], 5) {
            for name in &names {
                assert_eq!(
                    glob(&pattern, name),
                    reference(&pattern, name),
                    "{pattern} {name}"
                );
            }
        }
        assert!(!glob("a*b*c", "ac"));
    }

    fn one(text: &str) -> Result<RulePack, RuleError> {
        RulePack::from_sources(&[("user.yaml".into(), text.into())])
    }

    #[test]
    fn bad_rules_name_file_and_rule() {
        let base = "rules:\n- id: U-1\n  name: u\n  title: t\n  source: activity\n  operations: [x]\n  severity: high\n  attack: [{id: T1098, name: n}]\n";
        assert!(one(base).is_ok());
        let e = one(&base.replace("T1098", "X1")).unwrap_err().to_string();
        assert!(e.starts_with("user.yaml: rule U-1: bad ATT&CK"), "{e}");
        let e = one(&base.replace("high", "urgent"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rule U-1") && !e.contains('\n'), "{e}");
        let e = one(&format!("{base}  where: {{a: {{bogus: 1}}}}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown operator"), "{e}");
        let e = one(&base.replace("operations: [x]", "operations: []"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least one operation"), "{e}");
        let e = one("rules: 3").unwrap_err().to_string();
        assert!(e.contains("must be a list"), "{e}");
        let e = one("ruels: []").unwrap_err().to_string();
        assert!(e.contains("unknown top-level key"), "{e}");
        let dup = RulePack::from_sources(&[
            ("builtin".into(), BUILTIN.into()),
            ("u.yaml".into(), base.replace("U-1", "AZ-ACT-011")),
        ])
        .unwrap_err()
        .to_string();
        assert!(dup.contains("duplicate rule id"), "{dup}");
        let e = one("correlations:\n- {id: C1, name: c, title: t, kind: mass_deletion, params: {treshold: 3}, severity: high, attack: [{id: T1485, name: n}]}\n").unwrap_err().to_string();
        assert!(e.contains("unknown parameter"), "{e}");
    }

    #[test]
    fn user_rules_change_the_hash() {
        let a = RulePack::builtin().unwrap();
        let b = RulePack::from_sources(&[("builtin".into(), BUILTIN.into()), ("u.yaml".into(), "rules:\n- {id: U-9, name: u, title: t, source: activity, operations: [x], severity: low, attack: [{id: T1098, name: n}]}\n".into())]).unwrap();
        assert_ne!(a.sha256, b.sha256);
        assert!(b.rules.iter().any(|r| r.id == "U-9"));
    }
}
