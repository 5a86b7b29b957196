//! `tokentrail who --case DIR QUERY…`: answer from the bundle's `case.sqlite` and
//! `findings/operations.jsonl` without re-reading the exports. Exact matches go through
//! indexes (correlation id, event id, resource id or resource name, sign-in id, identity or
//! UPN); only when none matches is a resource-id fragment searched with a scan. Each match
//! is explained from its line of operations.jsonl, in the words `who` uses over exports.

use crate::term::clean;
use anyhow::Context;
use rusqlite::{params, Connection, OpenFlags};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// Where each finding's JSON is: line `n + 1` of the bundle's `findings/operations.jsonl`,
/// from byte `line_offset`.
struct Findings {
    file: std::io::BufReader<std::fs::File>,
    path: std::path::PathBuf,
}

impl Findings {
    /// Opens the findings of the bundle in `dir`, whose case.sqlite must have this
    /// tokentrail's schema.
    fn open(db: &Connection, dir: &Path) -> anyhow::Result<Findings> {
        let schema: Option<String> = db
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .ok();
        let want = tokentrail_report::sqlite::SCHEMA_VERSION;
        if schema.as_deref() != Some(want) {
            anyhow::bail!(
                "{} has case.sqlite schema {} and this tokentrail reads schema {want}; \
                 ask the exports instead: tokentrail who -q QUERY {}",
                dir.display(),
                clean(schema.as_deref().unwrap_or("(none)")),
                dir.join("exports").display()
            );
        }
        let path = dir.join("findings").join("operations.jsonl");
        let f =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Findings {
            file: std::io::BufReader::new(f),
            path,
        })
    }

    /// Finding `n`, from its line; an error when that line is not a finding (the file was
    /// changed after the run: `tokentrail verify` says how).
    fn get(&mut self, db: &Connection, n: i64) -> anyhow::Result<Value> {
        use std::io::{BufRead, Seek, SeekFrom};
        let mut st = db.prepare_cached("SELECT line_offset FROM operations_fields WHERE n = ?1")?;
        let at: i64 = st.query_row(params![n], |r| r.get(0))?;
        let mut line = Vec::new();
        self.file
            .seek(SeekFrom::Start(at.max(0) as u64))
            .and_then(|_| self.file.read_until(b'\n', &mut line))
            .with_context(|| format!("reading {} at byte {at}", self.path.display()))?;
        match serde_json::from_slice::<Value>(&line) {
            Ok(v) if v.is_object() => Ok(v),
            _ => anyhow::bail!(
                "{} at byte {at} is not finding {n} of case.sqlite (changed since the run? check the bundle with tokentrail verify)",
                self.path.display()
            ),
        }
    }
}

/// Most operations printed per query.
const LIMIT: i64 = 200;

/// The text at `path` in `v` ("" if none), safe for a terminal: log content is hostile, so
/// control characters (a line break included) are made visible before the text is put on
/// a line of its own.
fn s(v: &Value, path: &[&str]) -> String {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    clean(x.as_str().unwrap_or(""))
}

/// The explanation of one finding (its JSON, as in operations.jsonl), for `who` over
/// exports and `who --case` alike; each field is made terminal-safe as it is inserted.
pub fn explain(f: &Value) -> String {
    let mut o = String::new();
    let res = s(f, &["resource_id"]);
    o.push_str(&format!(
        "{} on {}\n  {}\n",
        s(f, &["operation"]),
        if res.is_empty() {
            "(no resource)"
        } else {
            &res
        },
        s(f, &["statement"])
    ));
    let ev: Vec<String> = f["identity"]["evidence"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(clean).collect())
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
            o.push_str(&format!("    - {}\n", clean(e.as_str().unwrap_or(""))));
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
            o.push_str(&format!(
                "    {label}: {}\n",
                clean(x.as_str().unwrap_or(""))
            ));
        }
    }
    for g in f["gaps"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "    gap ({}): {}\n",
            s(g, &["reason"]),
            s(g, &["detail"])
        ));
        // A command of several lines (KQL) is shown on one.
        for c in g["commands"].as_array().into_iter().flatten() {
            let command = c["command"].as_str().unwrap_or("").replace('\n', " ");
            o.push_str(&format!("      {}: {}\n", s(c, &["tool"]), clean(&command)));
        }
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
    let mut findings = Findings::open(&db, dir)?;
    let mut any = false;
    for q in queries {
        let hits = lookup(&db, q).with_context(|| format!("querying {}", path.display()))?;
        if hits.is_empty() {
            eprintln!("tokentrail: no operation matches {}", clean(q));
            continue;
        }
        any = true;
        for n in hits {
            let v = findings.get(&db, n)?;
            print!("{}", explain(&v));
        }
    }
    Ok(if any {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
