//! `report.html`: one self-contained, offline page (summary, timeline with one lane per
//! identity, storylines, findings by severity, filters). The page skeleton, CSS and script
//! live in `templates/` and are included at build time. Everything from a log is either
//! escaped with [`escape::html`] (server-rendered summary) or carried as JSON inside
//! `<script type="application/json">` (escaped with [`escape::json_in_html`]) and put into
//! the page by the script with `textContent` only. The Content-Security-Policy allows no
//! network access at all and exactly one inline script, named by its SHA-256.

use crate::escape;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::SignInFacts;

const PAGE: &str = include_str!("../templates/report.html");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// Most operations carried into the page; operations of interest always are.
pub const MAX_FINDINGS: usize = 20_000;

/// Severity rank: higher is worse. Operations without a detection rank 0.
pub fn severity_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "informational" | "info" => 1,
        _ => 0,
    }
}

/// The worst severity among a finding's detections, or `none`.
pub fn severity(f: &OperationFinding) -> String {
    f.detections
        .iter()
        .max_by_key(|d| severity_rank(&d.severity))
        .map(|d| d.severity.to_ascii_lowercase())
        .unwrap_or_else(|| "none".into())
}

/// The CSP `script-src` source for the page's one inline script.
pub fn script_hash() -> String {
    let h = Sha256::digest(JS.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(h)
    )
}

/// Inputs to the report.
pub struct ReportInput<'a> {
    pub version: &'a str,
    pub findings: &'a [OperationFinding],
    /// Indices into `findings` of the operations of interest.
    pub interest: &'a [usize],
    pub signins: &'a [SignInFacts],
    pub audit_events: usize,
    pub redacted: bool,
}

fn ms(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

fn signin_json(s: &SignInFacts) -> Value {
    json!({
        "id": s.id,
        "time": s.time.map(|t| t.to_string()),
        "ts": s.time.map(|t| t.as_millisecond()),
        "kind": s.kind().label(),
        "success": s.success,
        "upn": s.upn,
        "app": s.app_name.as_deref().or(s.app_id.as_deref()),
        "ip": s.ip,
        "location": s.location,
        "device": s.device,
        "user_agent": s.user_agent,
        "mfa": s.mfa,
        "conditional_access": s.conditional_access,
    })
}

/// The page's data, streamed to `w` as compact JSON: findings (with severity and epoch
/// milliseconds added) and the sign-ins they link to. One finding's JSON value exists at a
/// time; the bytes are those of serializing the whole object at once.
fn data_to(w: &mut dyn Write, r: &ReportInput<'_>) -> io::Result<()> {
    let interest: BTreeSet<usize> = r.interest.iter().copied().collect();
    let mut keep: Vec<usize> = r.interest.to_vec();
    for i in 0..r.findings.len() {
        if keep.len() >= MAX_FINDINGS.max(r.interest.len()) {
            break;
        }
        if !interest.contains(&i) {
            keep.push(i);
        }
    }
    keep.sort_unstable();
    keep.retain(|&i| i < r.findings.len());
    // The sign-ins the kept findings link to (for a repeated id, the last one, as when
    // every sign-in is put in a map by id).
    let wanted: HashSet<&str> = keep
        .iter()
        .flat_map(|&i| {
            let f = &r.findings[i];
            [
                f.sign_in.as_ref().map(|s| s.id.as_str()),
                f.session_origin.as_ref().map(|s| s.id.as_str()),
            ]
        })
        .flatten()
        .collect();
    let mut by_id: HashMap<&str, &SignInFacts> = HashMap::with_capacity(wanted.len());
    for s in r.signins {
        if let Some(&id) = wanted.get(&*s.id.text()) {
            by_id.insert(id, s);
        }
    }
    let mut linked: BTreeMap<String, Value> = BTreeMap::new();
    w.write_all(b"{\"version\":")?;
    serde_json::to_writer(&mut *w, r.version)?;
    write!(
        w,
        ",\"redacted\":{},\"total_operations\":{},\"shown_operations\":{},\"findings\":[",
        r.redacted,
        r.findings.len(),
        keep.len()
    )?;
    // Findings are serialized into memory and passed on in large blocks: `w` escapes
    // what it is given, which is cheaper on a few large writes than on many small ones.
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    for (k, &i) in keep.iter().enumerate() {
        let f = &r.findings[i];
        let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.remove("sources");
            m.insert("n".into(), json!(i));
            m.insert("interest".into(), json!(interest.contains(&i)));
            m.insert("severity".into(), json!(severity(f)));
            m.insert("ts".into(), json!(ms(&f.time)));
            for (key, id) in [
                ("sign_in", f.sign_in.as_ref().map(|s| s.id.as_str())),
                (
                    "session_origin",
                    f.session_origin.as_ref().map(|s| s.id.as_str()),
                ),
            ] {
                let Some(id) = id else { continue };
                if let Some(s) = by_id.get(id) {
                    linked
                        .entry(id.to_string())
                        .or_insert_with(|| signin_json(s));
                }
                let t = match key {
                    "sign_in" => f.sign_in.as_ref().and_then(|s| s.time.as_deref()),
                    _ => f.session_origin.as_ref().and_then(|s| s.time.as_deref()),
                };
                if let Some(Value::Object(o)) = m.get_mut(key) {
                    o.insert("ts".into(), json!(t.and_then(ms)));
                }
            }
        }
        if k > 0 {
            buf.push(b',');
        }
        crate::json::value_into(&mut buf, &v);
        if buf.len() >= 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    drop(buf);
    w.write_all(b"],\"signins\":")?;
    let mut tail = serde_json::to_vec(&linked)?;
    tail.push(b'}');
    w.write_all(&tail)
}

fn count_by<K: Ord>(it: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut m = BTreeMap::new();
    for k in it {
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// The server-rendered summary: what happened, who, how it was proved, counts.
fn summary(r: &ReportInput<'_>) -> String {
    let f = r.findings;
    let mut o = String::new();
    let interest: Vec<&OperationFinding> = r.interest.iter().filter_map(|&i| f.get(i)).collect();
    let identities: BTreeSet<&str> = interest
        .iter()
        .map(|x| x.identity.display.as_str())
        .collect();
    let (from, to) = (
        f.iter().map(|x| x.time.as_str()).min(),
        f.iter().map(|x| x.time.as_str()).max(),
    );
    let linked = f.iter().filter(|x| x.sign_in.is_some()).count();
    let dets = f.iter().map(|x| x.detections.len()).sum::<usize>();
    let _ = write!(
        o,
        "<p class=\"lead\">{} operations of interest by {} {} between <time>{}</time> and <time>{}</time>. {} of {} operations are linked to the sign-in that issued their token.</p>",
        interest.len(),
        identities.len(),
        if identities.len() == 1 { "identity" } else { "identities" },
        escape::html(from.unwrap_or("?")),
        escape::html(to.unwrap_or("?")),
        linked,
        f.len()
    );
    o.push_str("<div class=\"cards\">");
    let sev = count_by(f.iter().map(severity));
    let mut cards: Vec<(String, String, &str)> = vec![
        (f.len().to_string(), "operations".into(), ""),
        (
            identities.len().to_string(),
            "identities of interest".into(),
            "",
        ),
        (linked.to_string(), "linked to a sign-in".into(), ""),
        (r.signins.len().to_string(), "sign-ins read".into(), ""),
        (r.audit_events.to_string(), "audit events".into(), ""),
        (dets.to_string(), "detections".into(), ""),
    ];
    for s in ["critical", "high", "medium", "low"] {
        if let Some(n) = sev.get(s) {
            cards.push((n.to_string(), format!("{s} severity"), s));
        }
    }
    for (n, label, class) in cards {
        let _ = write!(
            o,
            "<div class=\"card sev-{}\"><b>{}</b><span>{}</span></div>",
            escape::html(if class.is_empty() { "none" } else { class }),
            escape::html(&n),
            escape::html(&label)
        );
    }
    o.push_str("</div>");
    let verdicts = count_by(f.iter().map(|x| format!("{:?}", x.verdict).to_lowercase()));
    let methods = count_by(
        f.iter()
            .filter_map(|x| x.sign_in.as_ref())
            .map(|s| s.method.name().to_string()),
    );
    let _ = write!(
        o,
        "<p class=\"how\"><b>Verdicts:</b> {}. <b>How linked:</b> {}.</p>",
        escape::html(
            &verdicts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape::html(&if methods.is_empty() {
            "no operation could be linked to a sign-in".to_string()
        } else {
            methods
                .iter()
                .map(|(k, v)| format!("{v} by {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    );
    // Worst severity first, then earliest (a stable sort, each key computed once).
    let mut top: Vec<(u8, &OperationFinding)> = interest
        .iter()
        .map(|x| (severity_rank(&severity(x)), *x))
        .collect();
    top.sort_by(|(ra, a), (rb, b)| rb.cmp(ra).then_with(|| a.time.cmp(&b.time)));
    let top: Vec<&OperationFinding> = top.into_iter().map(|(_, x)| x).collect();
    if !top.is_empty() {
        o.push_str("<ol class=\"top\">");
        for x in top.iter().take(5) {
            let sev = severity(x);
            let pill = if sev == "none" {
                let v = format!("{:?}", x.verdict).to_lowercase();
                format!(
                    "<span class=\"pill v-{v}\">{v}</span>",
                    v = escape::html(&v)
                )
            } else {
                format!(
                    "<span class=\"pill sev-{s}\">{s}</span>",
                    s = escape::html(&sev)
                )
            };
            let _ = write!(o, "<li>{pill} {}</li>", escape::html(&x.statement()));
        }
        o.push_str("</ol>");
    }
    if r.redacted {
        o.push_str("<p class=\"note\">Names, UPNs and IP addresses are pseudonymized with a keyed hash; the same value has the same pseudonym everywhere in this bundle.</p>");
    }
    o
}

/// A placeholder's value, written straight to the output.
type Put<'a> = &'a dyn Fn(&mut dyn Write) -> io::Result<()>;

/// Fills `{{NAME}}` placeholders in one pass over the template, so text put in by one
/// placeholder is never searched for another.
fn fill_to(w: &mut dyn Write, template: &str, values: &[(&str, Put<'_>)]) -> io::Result<()> {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        w.write_all(&rest.as_bytes()[..start])?;
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = &after[..end];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => v(w)?,
                    None => {
                        w.write_all(b"{{")?;
                        w.write_all(key.as_bytes())?;
                        w.write_all(b"}}")?;
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                w.write_all(&rest.as_bytes()[start..])?;
                rest = "";
            }
        }
    }
    w.write_all(rest.as_bytes())
}

/// Renders the page.
pub fn render(r: &ReportInput<'_>) -> String {
    let mut out = Vec::new();
    render_to(&mut out, r).expect("writing to memory");
    String::from_utf8(out).expect("the page is UTF-8")
}

/// Renders the page, streamed to `w`.
pub fn render_to(w: &mut dyn Write, r: &ReportInput<'_>) -> io::Result<()> {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {}; base-uri 'none'; form-action 'none'",
        script_hash()
    );
    let text = |s: String| move |w: &mut dyn Write| w.write_all(s.as_bytes());
    let (csp, version, summary) = (text(csp), text(escape::html(r.version)), text(summary(r)));
    fill_to(
        w,
        PAGE,
        &[
            ("CSP", &csp),
            ("VERSION", &version),
            ("CSS", &|w: &mut dyn Write| w.write_all(CSS.as_bytes())),
            ("SUMMARY", &summary),
            ("DATA", &|w: &mut dyn Write| {
                let mut e = escape::JsonInHtml::new(w);
                data_to(&mut e, r)?;
                e.finish()
            }),
            ("SCRIPT", &|w: &mut dyn Write| w.write_all(JS.as_bytes())),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_names_the_script_hash_and_data_cannot_close_the_script() {
        let page = render(&ReportInput {
            version: "0",
            findings: &[],
            interest: &[],
            signins: &[],
            audit_events: 0,
            redacted: false,
        });
        assert!(page.contains(&script_hash()));
        assert!(page.contains("default-src 'none'"));
        assert_eq!(page.matches("<script").count(), 2);
        for t in [PAGE, CSS, JS] {
            for bad in [
                "src=",
                "href=",
                "url(",
                "@import",
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                " onclick=",
                " onload=",
                " onerror=",
            ] {
                assert!(!t.contains(bad), "{bad} in a template");
            }
        }
    }
}
