//! `case.sqlite`: the case as tables for ad-hoc SQL and for `tokentrail who --case`.
//! Rows are inserted in a fixed order inside one transaction, with no timestamps, so the
//! same inputs give the same file bytes (checked by a test). The schema is documented in
//! the README ("case.sqlite schema").

use crate::html::severity;
use rusqlite::{params, Connection};
use std::path::Path;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::SignInFacts;
use tokentrail_model::{ActivityEvent, AuditEvent};

/// The schema, applied to a new file.
pub const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE activity (
  rowid INTEGER PRIMARY KEY, event_id TEXT NOT NULL, correlation_id TEXT, operation_id TEXT,
  operation TEXT NOT NULL, category TEXT, status TEXT, time TEXT NOT NULL, caller TEXT,
  caller_ip TEXT, resource_id TEXT, resource_id_lc TEXT, tenant_id TEXT,
  source_file TEXT NOT NULL, source_record INTEGER NOT NULL, source_line INTEGER,
  source_offset INTEGER, json TEXT NOT NULL);
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
CREATE TABLE operations (
  n INTEGER PRIMARY KEY, time TEXT NOT NULL, correlation_id TEXT, operation TEXT NOT NULL,
  resource_id TEXT, resource_id_lc TEXT, resource_name_lc TEXT, status TEXT, identity TEXT NOT NULL,
  identity_type TEXT NOT NULL, upn TEXT, object_id TEXT, app_id TEXT, verdict TEXT NOT NULL,
  severity TEXT NOT NULL, sign_in_id TEXT, session_origin_id TEXT, caller_ip TEXT,
  subscription_id TEXT, statement TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE operation_events (n INTEGER NOT NULL, event_id TEXT NOT NULL);
CREATE TABLE detections (
  n INTEGER NOT NULL, rule TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
  attack TEXT NOT NULL);
";

/// Indexes on `activity`, created once its rows are in (one sorted build per index is much
/// faster than updating every index on every insert; the result is just as deterministic).
/// They are built while the case is still being analysed.
pub const ACTIVITY_INDEXES: &str = "
CREATE INDEX activity_correlation ON activity(correlation_id);
CREATE INDEX activity_event ON activity(event_id);
CREATE INDEX activity_resource ON activity(resource_id_lc);
CREATE INDEX activity_caller ON activity(caller);
CREATE INDEX activity_time ON activity(time);
";

/// The other indexes, created by [`CaseDb::finish`] after the rest of the rows.
pub const INDEXES: &str = "
CREATE INDEX signins_id ON signins(id);
CREATE INDEX signins_upn ON signins(upn);
CREATE INDEX signins_object ON signins(object_id);
CREATE INDEX signins_time ON signins(time);
CREATE INDEX audit_id ON audit(id);
CREATE INDEX audit_time ON audit(time);
CREATE INDEX operations_correlation ON operations(correlation_id);
CREATE INDEX operations_resource ON operations(resource_id_lc);
CREATE INDEX operations_resource_name ON operations(resource_name_lc);
CREATE INDEX operations_identity ON operations(identity);
CREATE INDEX operations_upn ON operations(upn);
CREATE INDEX operations_sign_in ON operations(sign_in_id);
CREATE INDEX operations_session_origin ON operations(session_origin_id);
CREATE INDEX operations_time ON operations(time);
CREATE INDEX operation_events_event ON operation_events(event_id);
CREATE INDEX operation_events_n ON operation_events(n);
CREATE INDEX detections_n ON detections(n);
CREATE INDEX detections_rule ON detections(rule);
";

/// One row of the `activity` table: the event's columns and its whole normalized JSON,
/// taken before analysis trims the event.
pub struct ActivityRow {
    event_id: String,
    correlation_id: Option<String>,
    operation_id: Option<String>,
    operation: String,
    category: Option<String>,
    status: String,
    time: String,
    caller: Option<String>,
    caller_ip: Option<String>,
    resource_id: Option<String>,
    tenant_id: Option<String>,
    source_file: std::sync::Arc<str>,
    source_record: i64,
    source_line: Option<i64>,
    source_offset: Option<i64>,
    json: String,
}

impl ActivityRow {
    /// The row for `e`; `buf` is scratch space reused across rows.
    pub fn of(e: &ActivityEvent, buf: &mut Vec<u8>) -> ActivityRow {
        buf.clear();
        ActivityRow {
            json: to_json(buf, e).to_string(),
            event_id: e.event_id.clone(),
            correlation_id: e.correlation_id.clone(),
            operation_id: e.operation_id.clone(),
            operation: e.operation.name.clone(),
            category: e.category.clone(),
            status: format!("{:?}", e.status.kind).to_lowercase(),
            time: e.time.utc.to_string(),
            caller: e.caller.clone(),
            caller_ip: e.caller_ip.clone(),
            resource_id: e.resource.id.clone(),
            tenant_id: e.tenant_id.clone(),
            source_file: e.source.file.clone(),
            source_record: e.source.record as i64,
            source_line: e.source.line.map(|x| x as i64),
            source_offset: e.source.offset.map(|x| x as i64),
        }
    }
}

/// A case database being written: records first (before analysis consumes them), then
/// sign-ins and operations, then [`CaseDb::finish`].
pub struct CaseDb {
    c: Connection,
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
        c.execute_batch(
            "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA encoding='UTF-8';",
        )?;
        // A larger page cache (not stored in the file, so the bytes are unchanged) keeps
        // index pages in memory instead of spilling them while the transaction grows.
        c.execute_batch("PRAGMA cache_size=-65536;")?;
        c.execute_batch(SCHEMA)?;
        c.execute_batch("BEGIN")?;
        {
            let mut m = c.prepare("INSERT INTO meta VALUES (?1, ?2)")?;
            m.execute(params!["tool", "tokentrail"])?;
            m.execute(params!["version", version])?;
            m.execute(params!["schema", "1"])?;
        }
        Ok(CaseDb { c })
    }

    pub fn activity<'a>(
        &self,
        events: impl IntoIterator<Item = &'a ActivityEvent>,
    ) -> rusqlite::Result<()> {
        let mut buf = Vec::new();
        self.activity_rows(events.into_iter().map(|e| ActivityRow::of(e, &mut buf)))
    }

    /// Inserts `activity` rows made earlier with [`ActivityRow::of`] (perhaps on another
    /// thread, while the events were still being read).
    pub fn activity_rows(
        &self,
        rows: impl IntoIterator<Item = ActivityRow>,
    ) -> rusqlite::Result<()> {
        let mut st = self.c.prepare(
            "INSERT INTO activity VALUES (NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
        )?;
        for r in rows {
            st.execute(params![
                r.event_id,
                r.correlation_id,
                r.operation_id,
                r.operation,
                r.category,
                r.status,
                r.time,
                r.caller,
                r.caller_ip,
                r.resource_id,
                lc(r.resource_id.as_deref()),
                r.tenant_id,
                &*r.source_file,
                r.source_record,
                r.source_line,
                r.source_offset,
                r.json
            ])?;
        }
        Ok(())
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
        for s in signins {
            st.execute(params![
                s.id,
                s.time.map(|t| t.to_string()),
                s.kind().label(),
                s.success,
                s.object_id.as_deref(),
                s.upn.as_deref(),
                s.app_id.as_deref(),
                s.app_name.as_deref(),
                s.resource_id.as_deref(),
                s.ip.as_deref(),
                s.session_id.as_deref(),
                s.token_guid.as_ref().map(|g| g.to_string()),
                s.user_agent.as_deref(),
                s.client_app_used.as_deref(),
                s.location.as_deref(),
                s.device.as_deref(),
                s.mfa,
                s.auth_requirement.as_deref(),
                s.auth_methods.join(","),
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
    /// ids and its detections.
    pub fn findings(&self, findings: &[OperationFinding]) -> rusqlite::Result<()> {
        let mut op = self.c.prepare(
            "INSERT INTO operations VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
        )?;
        let mut ev = self
            .c
            .prepare("INSERT INTO operation_events VALUES (?1, ?2)")?;
        let mut de = self
            .c
            .prepare("INSERT INTO detections VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut json = Vec::new();
        for (n, f) in findings.iter().enumerate() {
            let n = n as i64;
            json.clear();
            let json = to_json(&mut json, f);
            op.execute(params![
                n,
                f.time,
                lc(f.correlation_id.as_deref()),
                f.operation,
                f.resource_id,
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
                f.sign_in.as_ref().map(|s| s.id.clone()),
                f.session_origin.as_ref().map(|s| s.id.clone()),
                f.caller_ip,
                f.subscription_id,
                f.statement,
                json
            ])?;
            for e in &f.event_ids {
                ev.execute(params![n, e.to_ascii_lowercase()])?;
            }
            for x in &f.detections {
                de.execute(params![n, x.rule, x.title, x.severity, x.attack.join(",")])?;
            }
        }
        Ok(())
    }

    /// Commits and closes the file.
    /// Indexes the `activity` table: call once, after the last activity row.
    pub fn index_activity(&self) -> rusqlite::Result<()> {
        self.c.execute_batch(ACTIVITY_INDEXES)
    }

    pub fn finish(self) -> rusqlite::Result<()> {
        self.c.execute_batch(INDEXES)?;
        self.c.execute_batch("COMMIT")?;
        self.c.close().map_err(|(_, e)| e)
    }
}
