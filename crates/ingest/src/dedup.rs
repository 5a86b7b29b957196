//! Deduplication across overlapping exports: a sign-in or audit event seen before (in any
//! input of the run) is dropped and counted as a duplicate, so
//! `read = parsed + skipped + duplicates` for every file.
//!
//! Identity key (16 bytes of SHA-256):
//! * sign-in: kind + Request ID (+ a flag for the first-party
//!   `MicrosoftServicePrincipalSignInLogs` stream, a separate log);
//! * audit event: its `id` (the same `Directory_…` string in Graph, diagnostic and
//!   Log Analytics exports).
//!
//! A record is a duplicate only when its identity key *and* a fingerprint of the fields
//! every export shape carries (time to the second, outcome, who, which app/IP/targets)
//! match an earlier record (audit time to the millisecond, with category). Same id with different content is a conflict, not a
//! duplicate: both are kept, the later one gets a note and the file a count. Memory: two
//! sets of 16-byte hashes.
//!
//! Records whose id is a content hash (the export had no id) are never dropped: the hash
//! covers too few fields to call two such records the same event.
//! Activity Log events and AuthDetails rows pass through untouched.

use crate::stats::{FileStats, PrepareSink, Sink, Skip};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use tokentrail_model::{Record, RecordKind};

fn h16(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0x1f]);
    }
    let d = h.finalize();
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// Hashes the 16-byte keys of the sets below: they are SHA-256 output already, uniformly
/// distributed, so folding their words together is hash enough (SipHash only costs time).
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(w);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = self.0.rotate_left(17) ^ n as u64;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A set of 16-byte digests.
type DigestSet = HashSet<[u8; 16], BuildHasherDefault<DigestHasher>>;

/// Whether `hay` contains `needle` (ASCII lower case), ignoring ASCII case, without
/// lower-casing a copy of `hay` (this runs for every sign-in).
fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The identity key and content fingerprint of a record, when it is deduplicated at all.
pub fn keys_of(rec: &Record) -> Option<([u8; 16], [u8; 16])> {
    match rec {
        Record::SignIn(s) if !s.id_synthetic => {
            let first_party = contains_ignore_ascii_case(&s.format, "microsoftserviceprincipal");
            let id = h16(&[
                b"signin",
                s.kind.label().as_bytes(),
                s.id.as_bytes(),
                if first_party { b"first-party" } else { b"" },
            ]);
            let user = s
                .user
                .as_ref()
                .and_then(|u| u.id.as_deref().or(u.upn.as_deref()))
                .unwrap_or_default();
            let fp = h16(&[
                &id,
                &s.time.utc.as_second().to_le_bytes(),
                &s.status.error_code.unwrap_or(i64::MIN).to_le_bytes(),
                user.as_bytes(),
                s.app
                    .as_ref()
                    .and_then(|a| a.id.as_deref())
                    .unwrap_or("")
                    .as_bytes(),
                s.client.ip.as_deref().unwrap_or("").as_bytes(),
                s.resource
                    .as_ref()
                    .and_then(|a| a.id.as_deref())
                    .unwrap_or("")
                    .as_bytes(),
            ]);
            Some((id, fp))
        }
        Record::Audit(a) if !a.id_synthetic => {
            let id = h16(&[b"audit", a.id.as_bytes()]);
            let init = a
                .initiator
                .as_ref()
                .map(|i| {
                    let u = i.user.as_ref();
                    let p = i.app.as_ref();
                    format!(
                        "{}|{}|{}|{}",
                        u.and_then(|u| u.id.as_deref()).unwrap_or(""),
                        u.and_then(|u| u.upn.as_deref()).unwrap_or(""),
                        p.and_then(|p| p.service_principal_id.as_deref())
                            .unwrap_or(""),
                        p.and_then(|p| p.display_name.as_deref()).unwrap_or("")
                    )
                })
                .unwrap_or_default();
            let targets: Vec<&str> = a.targets.iter().filter_map(|t| t.id.as_deref()).collect();
            let fp = h16(&[
                &id,
                &a.time
                    .as_ref()
                    .map(|t| t.utc.as_millisecond())
                    .unwrap_or(i64::MIN)
                    .to_le_bytes(),
                a.activity_key.to_ascii_lowercase().as_bytes(),
                a.category
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase()
                    .as_bytes(),
                a.result
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase()
                    .as_bytes(),
                init.as_bytes(),
                targets.join("|").as_bytes(),
            ]);
            Some((id, fp))
        }
        _ => None,
    }
}

/// A [`Sink`] that drops records already seen and corrects each file's counts.
pub struct DedupSink<S: Sink> {
    inner: S,
    ids: DigestSet,
    exact: DigestSet,
    file_dups: BTreeMap<RecordKind, u64>,
    file_conflicts: u64,
    /// Duplicates dropped over the whole run.
    pub total: u64,
}

impl<S: Sink> DedupSink<S> {
    pub fn new(inner: S) -> Self {
        DedupSink {
            inner,
            ids: DigestSet::default(),
            exact: DigestSet::default(),
            file_dups: BTreeMap::new(),
            file_conflicts: 0,
            total: 0,
        }
    }
    pub fn inner(&self) -> &S {
        &self.inner
    }
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// What [`DedupSink::see`] decided about a record.
enum Seen {
    New,
    /// Kept, with the conflict note to attach.
    Conflict,
    Duplicate,
}

/// The note a record gets when an earlier one has its id but other content.
const CONFLICT_NOTE: &str = "an earlier record has the same id but different content (time, \
                             outcome, identity or targets); both kept";

impl<S: Sink> DedupSink<S> {
    /// Records a record's keys and counts it as a duplicate or a conflict.
    fn see(&mut self, keys: Option<([u8; 16], [u8; 16])>, kind: RecordKind) -> Seen {
        let Some((id, fp)) = keys else {
            return Seen::New;
        };
        if !self.exact.insert(fp) {
            *self.file_dups.entry(kind).or_default() += 1;
            self.total += 1;
            return Seen::Duplicate;
        }
        if !self.ids.insert(id) {
            self.file_conflicts += 1;
            return Seen::Conflict;
        }
        Seen::New
    }
}

/// A record prepared for a [`DedupSink`]: its keys, taken on the parsing thread, and what
/// the inner sink made of it.
pub struct Keyed<P> {
    keys: Option<([u8; 16], [u8; 16])>,
    kind: RecordKind,
    inner: P,
}

impl<S: PrepareSink> PrepareSink for DedupSink<S> {
    type Prepared = Keyed<S::Prepared>;

    fn prepare(rec: Record) -> Keyed<S::Prepared> {
        Keyed {
            keys: keys_of(&rec),
            kind: rec.kind(),
            inner: S::prepare(rec),
        }
    }

    fn prepared(&mut self, mut p: Keyed<S::Prepared>) {
        match self.see(p.keys, p.kind) {
            Seen::Duplicate => return,
            Seen::Conflict => S::note(&mut p.inner, CONFLICT_NOTE.to_string()),
            Seen::New => {}
        }
        self.inner.prepared(p.inner);
    }

    fn note(p: &mut Keyed<S::Prepared>, note: String) {
        S::note(&mut p.inner, note);
    }
}

impl<S: Sink> Sink for DedupSink<S> {
    fn record(&mut self, mut rec: Record) {
        match self.see(keys_of(&rec), rec.kind()) {
            Seen::Duplicate => return,
            Seen::Conflict => match &mut rec {
                Record::SignIn(s) => s.notes.push(CONFLICT_NOTE.to_string()),
                Record::Audit(a) => a.notes.push(CONFLICT_NOTE.to_string()),
                _ => {}
            },
            Seen::New => {}
        }
        self.inner.record(rec);
    }

    fn skip(&mut self, skip: Skip) {
        self.inner.skip(skip);
    }

    fn file_done(&mut self, mut stats: FileStats) {
        for (kind, n) in std::mem::take(&mut self.file_dups) {
            stats.duplicates += n;
            stats.parsed = stats.parsed.saturating_sub(n);
            if let Some(c) = stats.kinds.get_mut(&kind) {
                *c = c.saturating_sub(n);
            }
        }
        let c = std::mem::take(&mut self.file_conflicts);
        if c > 0 {
            stats.note(format!(
                "{c} records share their id with an earlier record but differ in content; kept"
            ));
        }
        self.inner.file_done(stats);
    }

    fn error(&mut self, err: crate::IngestError) {
        self.inner.error(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokentrail_model::time::parse_time;
    use tokentrail_model::{Provenance, SignIn, SignInKind};

    #[derive(Default)]
    struct Collect {
        recs: Vec<Record>,
        stats: Vec<FileStats>,
    }
    impl Sink for Collect {
        fn record(&mut self, r: Record) {
            self.recs.push(r)
        }
        fn skip(&mut self, _: Skip) {}
        fn file_done(&mut self, s: FileStats) {
            self.stats.push(s)
        }
        fn error(&mut self, _: crate::IngestError) {}
    }

    fn si(id: &str, t: &str, kind: SignInKind) -> Record {
        let mut s = SignIn::new(
            parse_time(t).unwrap(),
            kind,
            Provenance {
                file: Arc::from("f"),
                record: 0,
                line: None,
                offset: None,
            },
        );
        s.id = id.into();
        Record::SignIn(Box::new(s))
    }

    #[test]
    fn drops_repeats_and_fixes_counts() {
        let mut d = DedupSink::new(Collect::default());
        let mut st = FileStats::default();
        for r in [
            si("a", "2024-01-01T00:00:00.1234567Z", SignInKind::Interactive),
            si("a", "2024-01-01T00:00:00Z", SignInKind::Interactive),
            si("a", "2024-01-01T00:00:00Z", SignInKind::NonInteractive),
            si("a", "2024-01-01T00:09:00Z", SignInKind::NonInteractive),
        ] {
            st.count(&crate::Outcome::Parsed(r.clone()));
            d.record(r);
        }
        d.file_done(st);
        let c = d.into_inner();
        assert_eq!(c.recs.len(), 3);
        let s = &c.stats[0];
        assert_eq!((s.read, s.parsed, s.skipped, s.duplicates), (4, 3, 0, 1));
        assert_eq!(s.kinds[&RecordKind::SignIn], 3);
        assert!(s.notes[0].contains("differ in content"));
        match &c.recs[2] {
            Record::SignIn(x) => assert!(x.notes.iter().any(|n| n.contains("same id"))),
            _ => unreachable!(),
        }
    }

    /// Prepares a record as itself, so the two paths can be compared.
    impl PrepareSink for Collect {
        type Prepared = Record;
        fn prepare(rec: Record) -> Record {
            rec
        }
        fn prepared(&mut self, p: Record) {
            self.record(p)
        }
        fn note(p: &mut Record, note: String) {
            if let Record::SignIn(s) = p {
                s.notes.push(note);
            }
        }
    }

    /// Records taken prepared (keys computed on another thread) are dropped, kept and
    /// noted exactly as records taken whole.
    #[test]
    fn prepared_records_are_deduplicated_alike() {
        let recs = [
            si("a", "2024-01-01T00:00:00.1234567Z", SignInKind::Interactive),
            si("a", "2024-01-01T00:00:00Z", SignInKind::Interactive),
            si("a", "2024-01-01T00:00:00Z", SignInKind::NonInteractive),
            si("a", "2024-01-01T00:09:00Z", SignInKind::NonInteractive),
            si("b", "2024-01-01T00:09:00Z", SignInKind::NonInteractive),
        ];
        let run = |prepared: bool| {
            let mut d = DedupSink::new(Collect::default());
            let mut st = FileStats::default();
            for r in recs.clone() {
                st.count(&crate::Outcome::Parsed(r.clone()));
                if prepared {
                    let p = std::thread::spawn(move || DedupSink::<Collect>::prepare(r))
                        .join()
                        .unwrap();
                    d.prepared(p);
                } else {
                    d.record(r);
                }
            }
            d.file_done(st);
            let total = d.total;
            let c = d.into_inner();
            (
                serde_json::to_string(&c.recs).unwrap(),
                serde_json::to_string(&c.stats).unwrap(),
                total,
            )
        };
        let whole = run(false);
        assert_eq!(whole.2, 1);
        assert!(whole.0.contains("same id"));
        assert_eq!(run(true), whole);
    }
}
