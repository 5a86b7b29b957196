//! `tokentrail who --case DIR QUERY…`: answer from the bundle's `case.sqlite` without
//! re-reading the exports. Exact matches go through indexes (correlation id, event id,
//! resource id or resource name, sign-in id, identity or UPN); only when none matches is a
//! resource-id fragment searched with a scan.

use crate::term::clean;
use anyhow::Context;
use rusqlite::{params, Connection, OpenFlags};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// Most operations printed per query.
const LIMIT: i64 = 200;

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_str().unwrap_or("")
}

/// The explanation of one finding (its JSON from the `operations` table), in the same
/// words as `who` over exports.
pub fn explain(f: &Value) -> String {
    let mut o = String::new();
    let res = s(f, &["resource_id"]);
    o.push_str(&format!(
        "{} on {}\n  {}\n",
        s(f, &["operation"]),
        if res.is_empty() { "(no resource)" } else { res },
        s(f, &["statement"])
    ));
    let ev: Vec<&str> = f["identity"]["evidence"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    o.push_str(&format!(
        "  identity: {} {} ({})\n",
        s(f, &["identity", "type"]).replace('_', " "),
        s(f, &["identity", "display"]),
        ev.join("; ")
    ));
    if f["sign_in"].is_object() {
        o.push_str(&format!(
            "  token → sign-in {} ({}, {}) by {}, confidence {:.2}\n",
            s(f, &["sign_in", "id"]),
            s(f, &["sign_in", "kind"]).replace('_', " "),
            s(f, &["sign_in", "time"]),
            s(f, &["sign_in", "match"]),
            f["sign_in"]["confidence"].as_f64().unwrap_or(0.0)
        ));
        for e in f["sign_in"]["evidence"].as_array().into_iter().flatten() {
            o.push_str(&format!("    - {}\n", e.as_str().unwrap_or("")));
        }
    } else {
        o.push_str("  token → no sign-in linked\n");
    }
    if f["session_origin"].is_object() {
        o.push_str(&format!(
            "  session origin: interactive sign-in {} at {} from {} (MFA: {})\n",
            s(f, &["session_origin", "id"]),
            s(f, &["session_origin", "time"]),
            s(f, &["session_origin", "ip"]),
            match f["session_origin"]["mfa"].as_bool() {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            }
        ));
    }
    o.push_str(&format!("  verdict: {}\n", s(f, &["verdict"])));
    for (key, label) in [("indicators", "indicator"), ("anomalies", "ANOMALY")] {
        for x in f[key].as_array().into_iter().flatten() {
            o.push_str(&format!("    {label}: {}\n", x.as_str().unwrap_or("")));
        }
    }
    for g in f["gaps"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "    gap ({}): {}\n",
            s(g, &["reason"]),
            s(g, &["detail"])
        ));
    }
    for d in f["detections"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "    detection {} [{}]: {}\n",
            s(d, &["rule"]),
            s(d, &["severity"]),
            s(d, &["title"])
        ));
    }
    o
}

/// Operation numbers matching `q`, through the indexes first.
pub fn lookup(db: &Connection, q: &str) -> rusqlite::Result<Vec<i64>> {
    let ql = q.trim().to_ascii_lowercase();
    let exact = [
        "SELECT n FROM operations WHERE correlation_id = ?1",
        "SELECT n FROM operation_events WHERE event_id = ?1",
        "SELECT n FROM operations WHERE resource_id_lc = ?1",
        "SELECT n FROM operations WHERE resource_name_lc = ?1",
        "SELECT n FROM operations WHERE sign_in_id = ?1",
        "SELECT n FROM operations WHERE session_origin_id = ?1",
        "SELECT n FROM operations WHERE upn = ?1",
    ];
    let mut found = BTreeSet::new();
    for sql in exact {
        let mut st = db.prepare_cached(&format!("{sql} LIMIT {LIMIT}"))?;
        let rows = st.query_map(params![ql], |r| r.get::<_, i64>(0))?;
        for r in rows {
            found.insert(r?);
        }
    }
    let mut st = db.prepare_cached(&format!(
        "SELECT n FROM operations WHERE identity = ?1 LIMIT {LIMIT}"
    ))?;
    for r in st.query_map(params![q.trim()], |r| r.get::<_, i64>(0))? {
        found.insert(r?);
    }
    if found.is_empty() && !ql.is_empty() {
        let pat = format!(
            "%{}%",
            ql.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut st = db.prepare_cached(&format!(
            "SELECT n FROM operations WHERE resource_id_lc LIKE ?1 ESCAPE '\\' LIMIT {LIMIT}"
        ))?;
        for r in st.query_map(params![pat], |r| r.get::<_, i64>(0))? {
            found.insert(r?);
        }
    }
    Ok(found.into_iter().take(LIMIT as usize).collect())
}

pub fn run(dir: &Path, queries: &[String]) -> anyhow::Result<ExitCode> {
    let path = dir.join("case.sqlite");
    if !path.is_file() {
        anyhow::bail!(
            "{} not found (is {} an evidence bundle?)",
            path.display(),
            dir.display()
        );
    }
    let db = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    let mut any = false;
    for q in queries {
        let hits = lookup(&db, q).with_context(|| format!("querying {}", path.display()))?;
        if hits.is_empty() {
            eprintln!("tokentrail: no operation matches {}", clean(q));
            continue;
        }
        any = true;
        let mut st = db.prepare_cached("SELECT json FROM operations WHERE n = ?1")?;
        for n in hits {
            let json: String = st.query_row(params![n], |r| r.get(0))?;
            let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            println!("{}", clean(&explain(&v)).replace("\\n", "\n"));
        }
    }
    Ok(if any {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
