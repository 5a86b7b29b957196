//! `case.sqlite`: the case as tables for ad-hoc SQL and for `tokentrail who --case`.
//! Rows are inserted in a fixed order inside one transaction, with no timestamps, so the
//! same inputs give the same file bytes (checked by a test). The schema is documented in
//! the README ("case.sqlite schema").

use crate::html::severity;
use rusqlite::{params, Connection};
use std::path::Path;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::{GuidText, SignInFacts};
use tokentrail_model::guid::decode_token_id;
use tokentrail_model::{ActivityEvent, AuditEvent};

/// The `schema` value in `meta`.
pub const SCHEMA_VERSION: &str = "3";

/// The schema, applied to a new file. The long text of Activity events and operations (an
/// event's `properties`, an operation's statement) is kept in a table of its own beside the
/// columns that are indexed and searched (`activity_fields`, `operations_fields`), and the
/// `activity` and `operations` views join the two back into one row. Each `CREATE INDEX`
/// scans its table, so narrow tables are quick to index. The views use `LEFT JOIN` so that a
/// query reading no long text (e.g. `SELECT n FROM operations WHERE …`) never touches the
/// text tables (SQLite omits a left join on a unique key whose columns are not read).
///
/// Schema 3 holds no second copy of what the bundle already keeps: the raw record is in
/// `exports/` (at `source_file`, `source_record`, `source_offset`; `tokentrail parse` gives
/// its normalized JSON) and each operation's full finding is line `n + 1` of
/// `findings/operations.jsonl`, starting at byte `line_offset`. Schema 2 stored both as JSON
/// columns: more than half of case.sqlite, and a fifth of the run's time at 1M events.
pub const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE activity_fields (
  rowid INTEGER PRIMARY KEY, event_id TEXT NOT NULL, correlation_id TEXT, operation_id TEXT,
  operation TEXT NOT NULL, category TEXT, status TEXT, time TEXT NOT NULL, caller TEXT,
  caller_ip TEXT, resource_id TEXT, resource_id_lc TEXT, tenant_id TEXT, object_id TEXT,
  app_id TEXT, uti TEXT, token_id TEXT, session_id TEXT,
  source_file TEXT NOT NULL, source_record INTEGER NOT NULL, source_line INTEGER,
  source_offset INTEGER);
CREATE TABLE activity_text (rowid INTEGER PRIMARY KEY, properties TEXT NOT NULL);
CREATE VIEW activity AS SELECT
  f.rowid AS rowid, f.event_id, f.correlation_id, f.operation_id, f.operation, f.category,
  f.status, f.time, f.caller, f.caller_ip, f.resource_id, f.resource_id_lc, f.tenant_id,
  f.object_id, f.app_id, f.uti, f.token_id, f.session_id,
  f.source_file, f.source_record, f.source_line, f.source_offset, t.properties
  FROM activity_fields f LEFT JOIN activity_text t ON t.rowid = f.rowid;
CREATE TABLE signins (
  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, time TEXT, kind TEXT NOT NULL, success INTEGER NOT NULL,
  object_id TEXT, upn TEXT, app_id TEXT, app_name TEXT, resource_id TEXT, ip TEXT,
  session_id TEXT, token_id TEXT, user_agent TEXT, client_app_used TEXT, location TEXT,
  device TEXT, mfa INTEGER, auth_requirement TEXT, auth_methods TEXT, conditional_access TEXT,
  credential_type TEXT, federated_credential_id TEXT, incoming_token_type TEXT,
  risk_level TEXT, msi_resource_id TEXT, is_interactive INTEGER);
CREATE TABLE audit (
  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, time TEXT NOT NULL, activity TEXT NOT NULL,
  source_file TEXT NOT NULL, source_record INTEGER NOT NULL, source_line INTEGER, json TEXT NOT NULL);
CREATE TABLE operations_fields (
  n INTEGER PRIMARY KEY, time TEXT NOT NULL, correlation_id TEXT, operation TEXT NOT NULL,
  resource_id TEXT, resource_id_lc TEXT, resource_name_lc TEXT, status TEXT, identity TEXT NOT NULL,
  identity_type TEXT NOT NULL, upn TEXT, object_id TEXT, app_id TEXT, verdict TEXT NOT NULL,
  severity TEXT NOT NULL, sign_in_id TEXT, sign_in_match TEXT, sign_in_confidence REAL,
  session_origin_id TEXT, client TEXT, caller_ip TEXT, subscription_id TEXT,
  line_offset INTEGER NOT NULL);
CREATE TABLE operations_text (n INTEGER PRIMARY KEY, statement TEXT NOT NULL);
CREATE VIEW operations AS SELECT
  f.n, f.time, f.correlation_id, f.operation, f.resource_id, f.resource_id_lc,
  f.resource_name_lc, f.status, f.identity, f.identity_type, f.upn, f.object_id, f.app_id,
  f.verdict, f.severity, f.sign_in_id, f.sign_in_match, f.sign_in_confidence,
  f.session_origin_id, f.client, f.caller_ip, f.subscription_id, f.line_offset, t.statement
  FROM operations_fields f LEFT JOIN operations_text t ON t.n = f.n;
CREATE TABLE operation_events (n INTEGER NOT NULL, event_id TEXT NOT NULL);
CREATE TABLE detections (
  n INTEGER NOT NULL, rule TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
  attack TEXT NOT NULL);
";

/// Indexes on `activity`, created once its rows are in (one sorted build per index is much
/// faster than updating every index on every insert; the result is just as deterministic).
/// They are built while the case is still being analysed.
pub const ACTIVITY_INDEXES: &str = "
CREATE INDEX activity_correlation ON activity_fields(correlation_id);
CREATE INDEX activity_event ON activity_fields(event_id);
CREATE INDEX activity_resource ON activity_fields(resource_id_lc);
CREATE INDEX activity_caller ON activity_fields(caller);
CREATE INDEX activity_time ON activity_fields(time);
";

/// Indexes on `signins` and `audit`, created by [`CaseDb::index_signins`] once their rows
/// are in, while the detections run (or by [`CaseDb::finish`] if not done by then).
pub const SIGNIN_INDEXES: &str = "
CREATE INDEX signins_id ON signins(id);
CREATE INDEX signins_upn ON signins(upn);
CREATE INDEX signins_object ON signins(object_id);
CREATE INDEX signins_time ON signins(time);
CREATE INDEX audit_id ON audit(id);
CREATE INDEX audit_time ON audit(time);
";

/// The other indexes, created by [`CaseDb::finish`] after the rest of the rows.
pub const INDEXES: &str = "
CREATE INDEX operations_correlation ON operations_fields(correlation_id);
CREATE INDEX operations_resource ON operations_fields(resource_id_lc);
CREATE INDEX operations_resource_name ON operations_fields(resource_name_lc);
CREATE INDEX operations_identity ON operations_fields(identity);
CREATE INDEX operations_upn ON operations_fields(upn);
CREATE INDEX operations_sign_in ON operations_fields(sign_in_id);
CREATE INDEX operations_session_origin ON operations_fields(session_origin_id);
CREATE INDEX operations_time ON operations_fields(time);
CREATE INDEX operation_events_event ON operation_events(event_id);
CREATE INDEX operation_events_n ON operation_events(n);
CREATE INDEX detections_n ON detections(n);
CREATE INDEX detections_rule ON detections(rule);
";

/// The page cache while rows are inserted (not stored in the file, so the bytes are
/// unchanged). Every index is built after its rows, so inserts only append pages and
/// 16 MB is as fast as 64 MB was (100k: 8.4–9.4 s either way), for 48 MB less memory.
const ROW_CACHE: &str = "PRAGMA cache_size=-16384;";

/// The page cache while indexes are built (SQLite's default, 2 MB). The cache size is also
/// the size of the sorted runs `CREATE INDEX` merges: runs this small are sorted within
/// the CPU caches, which takes about half the CPU time of 64 MB runs. The index pages
/// and so the file bytes are the same (checked by a test).
const INDEX_CACHE: &str = "PRAGMA cache_size=-2000;";

/// Inserts `activity` rows one event at a time, each with the event's columns and its
/// `properties` (taken before analysis trims the event).
pub struct ActivityInserter<'c> {
    /// Into `activity_fields` (the row id is SQLite's next).
    st: rusqlite::Statement<'c>,
    /// Into `activity_text`, under the same row id.
    text: rusqlite::Statement<'c>,
    /// Scratch space for the properties' JSON, reused across rows.
    buf: Vec<u8>,
    /// Scratch text for the status, time, lower-cased resource id and token id, reused
    /// across rows.
    status: String,
    time: String,
    resource_lc: String,
    token: String,
}

impl ActivityInserter<'_> {
    /// Inserts the row of `e`.
    pub fn insert(&mut self, e: &ActivityEvent) -> rusqlite::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        append_properties_json(&mut buf, e);
        let done = self.insert_with_properties(e, std::str::from_utf8(&buf).unwrap_or_default());
        self.buf = buf;
        done
    }

    /// Inserts the row of `e` with `properties`, its properties' JSON as
    /// [`append_properties_json`] wrote it (serialized ahead, e.g. on another thread); no
    /// `activity_text` row when it is empty.
    pub fn insert_with_properties(
        &mut self,
        e: &ActivityEvent,
        properties: &str,
    ) -> rusqlite::Result<()> {
        use std::fmt::Write as _;
        self.status.clear();
        let _ = write!(self.status, "{:?}", e.status.kind);
        self.status.make_ascii_lowercase();
        self.time.clear();
        let _ = write!(self.time, "{}", e.time.utc);
        self.resource_lc.clear();
        if let Some(r) = &e.resource.id {
            self.resource_lc.push_str(r);
            self.resource_lc.make_ascii_lowercase();
        }
        let uti = e.claims.uti();
        self.token.clear();
        let token = uti.and_then(decode_token_id).map(|(g, _)| {
            let _ = write!(self.token, "{g}");
            self.token.as_str()
        });
        let rowid = self.st.insert(params![
            e.event_id,
            e.correlation_id,
            e.operation_id,
            e.operation.name,
            e.category,
            self.status.as_str(),
            self.time.as_str(),
            e.caller,
            e.caller_ip,
            e.resource.id,
            e.resource.id.as_ref().map(|_| self.resource_lc.as_str()),
            e.tenant_id,
            e.claims.oid(),
            e.claims.appid(),
            uti,
            token,
            e.claims.sid(),
            &*e.source.file,
            e.source.record as i64,
            e.source.line.map(|x| x as i64),
            e.source.offset.map(|x| x as i64),
        ])?;
        if !properties.is_empty() {
            self.text.execute(params![rowid, properties])?;
        }
        Ok(())
    }
}

/// Appends the `activity.properties` text of `e` (its properties as compact JSON, the bytes
/// `serde_json` writes) to `buf`; appends nothing when it has none.
pub fn append_properties_json(buf: &mut Vec<u8>, e: &ActivityEvent) {
    if !e.properties.is_empty() {
        crate::json::map_into(buf, &e.properties);
    }
}

/// A case database being written: records first (before analysis consumes them), then
/// sign-ins and operations, then [`CaseDb::finish`].
pub struct CaseDb {
    c: Connection,
    /// Whether [`SIGNIN_INDEXES`] are built.
    signins_indexed: std::cell::Cell<bool>,
}

fn lc(s: Option<&str>) -> Option<String> {
    s.map(|s| s.to_ascii_lowercase())
}

/// The last path segment of a resource id, lower-cased (the resource's name).
pub fn resource_name_lc(r: &str) -> String {
    r.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `v` as JSON text in `buf` (reused across rows); empty if it cannot be serialized.
fn to_json<'b>(buf: &'b mut Vec<u8>, v: &impl serde::Serialize) -> &'b str {
    if serde_json::to_writer(&mut *buf, v).is_err() {
        buf.clear();
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

impl CaseDb {
    /// Creates a new database at `path` (which must not exist) with fixed settings, the
    /// schema and one open transaction.
    pub fn create(path: &Path, version: &str) -> rusqlite::Result<CaseDb> {
        let c = Connection::open(path)?;
        // 16 KiB pages hold five or six of the 2–3 KB JSON rows each (4 KiB pages held one,
        // the rest of each page unused).
        c.execute_batch(
            "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA encoding='UTF-8';",
        )?;
        c.execute_batch(ROW_CACHE)?;
        c.execute_batch(SCHEMA)?;
        c.execute_batch("BEGIN")?;
        {
            let mut m = c.prepare("INSERT INTO meta VALUES (?1, ?2)")?;
            m.execute(params!["tool", "tokentrail"])?;
            m.execute(params!["version", version])?;
            m.execute(params!["schema", SCHEMA_VERSION])?;
        }
        Ok(CaseDb {
            c,
            signins_indexed: std::cell::Cell::new(false),
        })
    }

    pub fn activity<'a>(
        &self,
        events: impl IntoIterator<Item = &'a ActivityEvent>,
    ) -> rusqlite::Result<()> {
        let mut ins = self.activity_inserter()?;
        events.into_iter().try_for_each(|e| ins.insert(e))
    }

    /// An inserter of `activity` rows (used while the events are still being read).
    pub fn activity_inserter(&self) -> rusqlite::Result<ActivityInserter<'_>> {
        Ok(ActivityInserter {
            st: self.c.prepare(
                "INSERT INTO activity_fields VALUES (NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
            )?,
            text: self
                .c
                .prepare("INSERT INTO activity_text VALUES (?1, ?2)")?,
            buf: Vec::new(),
            status: String::new(),
            time: String::new(),
            resource_lc: String::new(),
            token: String::new(),
        })
    }

    pub fn audit(&self, events: &[AuditEvent]) -> rusqlite::Result<()> {
        let mut st = self
            .c
            .prepare("INSERT INTO audit VALUES (NULL,?1,?2,?3,?4,?5,?6,?7)")?;
        let mut json = Vec::new();
        for a in events {
            json.clear();
            let json = to_json(&mut json, a);
            st.execute(params![
                a.id,
                a.time.as_ref().map(|t| t.utc.to_string()),
                a.activity,
                &*a.source.file,
                a.source.record as i64,
                a.source.line.map(|x| x as i64),
                json
            ])?;
        }
        Ok(())
    }

    pub fn signins(&self, signins: &[SignInFacts]) -> rusqlite::Result<()> {
        let mut st = self.c.prepare(
            "INSERT INTO signins VALUES (NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)",
        )?;
        // Text made for each row is written into buffers reused from row to row.
        let (mut time, mut token, mut methods) = (String::new(), String::new(), String::new());
        for s in signins {
            use std::fmt::Write as _;
            time.clear();
            if let Some(t) = s.time {
                let _ = write!(time, "{t}");
            }
            token.clear();
            if let Some(g) = &s.token_guid {
                let _ = write!(token, "{g}");
            }
            methods.clear();
            for (k, m) in s.auth_methods.iter().enumerate() {
                if k > 0 {
                    methods.push(',');
                }
                methods.push_str(m);
            }
            st.execute(params![
                &*s.id.text(),
                s.time.map(|_| time.as_str()),
                s.kind().label(),
                s.success,
                s.object_id.as_deref(),
                s.upn.as_deref(),
                s.app_id.as_deref(),
                s.app_name.as_deref(),
                s.resource_id.as_deref(),
                s.ip.as_deref(),
                s.session_id.as_ref().map(GuidText::to_cow),
                s.token_guid.map(|_| token.as_str()),
                s.user_agent.as_deref(),
                s.client_app_used.as_deref(),
                s.location.as_deref(),
                s.device.as_deref(),
                s.mfa,
                s.auth_requirement.as_deref(),
                methods.as_str(),
                s.conditional_access.as_deref(),
                s.credential_type.as_deref(),
                s.federated_credential_id.as_deref(),
                s.incoming_token_type.as_deref(),
                s.risk_level.as_deref(),
                s.msi_resource_id.as_deref(),
                s.is_interactive
            ])?;
        }
        Ok(())
    }

    /// One row per finding (numbered in output order, as in operations.jsonl), its event
    /// ids and its detections. `line_offset` gives, in order, the byte at which each
    /// finding's line of operations.jsonl starts (as that file is written).
    pub fn findings(
        &self,
        findings: &[OperationFinding],
        line_offset: &mut dyn FnMut() -> rusqlite::Result<u64>,
    ) -> rusqlite::Result<()> {
        let mut op = self.c.prepare(
            "INSERT INTO operations_fields VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)",
        )?;
        let mut text = self
            .c
            .prepare("INSERT INTO operations_text VALUES (?1, ?2)")?;
        let mut ev = self
            .c
            .prepare("INSERT INTO operation_events VALUES (?1, ?2)")?;
        let mut de = self
            .c
            .prepare("INSERT INTO detections VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (n, f) in findings.iter().enumerate() {
            let n = n as i64;
            let offset = line_offset()? as i64;
            let sign_in = f.sign_in.as_ref();
            op.execute(params![
                n,
                f.time,
                lc(f.correlation_id.as_deref()),
                f.operation.as_str(),
                f.resource_id.as_deref(),
                lc(f.resource_id.as_deref()),
                f.resource_id.as_deref().map(resource_name_lc),
                format!("{:?}", f.status).to_lowercase(),
                f.identity.display,
                serde_json::to_value(f.identity.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                lc(f.identity.upn.as_deref()),
                f.identity.object_id,
                f.identity.app_id,
                format!("{:?}", f.verdict).to_lowercase(),
                severity(f),
                sign_in.map(|s| s.id.as_str()),
                sign_in.map(|s| s.method.name()),
                sign_in.map(|s| s.confidence),
                f.session_origin.as_ref().map(|s| s.id.clone()),
                f.client.name.as_deref().or(f.client.app_id.as_deref()),
                f.caller_ip.as_deref(),
                f.subscription_id.as_deref(),
                offset,
            ])?;
            text.execute(params![n, f.statement()])?;
            for e in &f.event_ids {
                ev.execute(params![n, e.to_ascii_lowercase()])?;
            }
            for x in &f.detections {
                de.execute(params![n, x.rule, x.title, x.severity, x.attack.join(",")])?;
            }
        }
        Ok(())
    }

    /// Indexes the `activity` table: call once, after the last activity row.
    pub fn index_activity(&self) -> rusqlite::Result<()> {
        self.c.execute_batch(INDEX_CACHE)?;
        self.c.execute_batch(ACTIVITY_INDEXES)?;
        self.c.execute_batch(ROW_CACHE)
    }

    /// Indexes the `signins` and `audit` tables: call once, after their last rows. The
    /// index sorts then run beside the detections instead of after the operations' rows.
    pub fn index_signins(&self) -> rusqlite::Result<()> {
        self.index_signins_with(INDEX_CACHE)?;
        self.c.execute_batch(ROW_CACHE)
    }

    fn index_signins_with(&self, cache: &str) -> rusqlite::Result<()> {
        if !self.signins_indexed.replace(true) {
            self.c.execute_batch(cache)?;
            self.c.execute_batch(SIGNIN_INDEXES)?;
        }
        Ok(())
    }

    /// Builds the other indexes (and the sign-in and audit ones if not built yet), commits
    /// and closes the file.
    pub fn finish(self) -> rusqlite::Result<()> {
        self.finish_with(INDEX_CACHE)
    }

    fn finish_with(self, cache: &str) -> rusqlite::Result<()> {
        self.index_signins_with(cache)?;
        self.c.execute_batch(cache)?;
        self.c.execute_batch(INDEXES)?;
        self.c.execute_batch("COMMIT")?;
        self.c.close().map_err(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with enough sign-in rows for `CREATE INDEX` to sort them in several
    /// runs, indexed with the page cache `cache`; returns the file's bytes.
    fn indexed(dir: &Path, cache: &str) -> Vec<u8> {
        let path = dir.join(format!("case{}.sqlite", cache.len()));
        let db = CaseDb::create(&path, "0").unwrap();
        db.c.execute_batch(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 60000)
             INSERT INTO signins (id, time, kind, success, upn, object_id)
             SELECT printf('%08x-%d', (x * 2654435761) % 4294967296, x),
                    printf('2026-02-01T%02d:%02d:%02dZ', x % 24, (x * 7) % 60, (x * 13) % 60),
                    'interactive', x % 2,
                    printf('user%d@example.com', (x * 31) % 977),
                    printf('%032x', (x * 40503) % 65536) FROM n;",
        )
        .unwrap();
        db.finish_with(cache).unwrap();
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn index_cache_size_does_not_change_the_bytes() {
        let d = tempfile::tempdir().unwrap();
        let small = indexed(d.path(), INDEX_CACHE);
        let large = indexed(d.path(), ROW_CACHE);
        assert!(small.len() > 4 << 20);
        assert!(
            small == large,
            "the file bytes depend on the page cache size"
        );
    }
}
