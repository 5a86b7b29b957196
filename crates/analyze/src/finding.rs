//! The output contract: one [`OperationFinding`] per logical operation, serialized as a
//! line of `findings/operations.jsonl`.

use crate::gaps::Gap;
use crate::identity::Identity;
use crate::text::Text;
use crate::verdict::Verdict;
use foldhash::HashSet;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::cell::RefCell;
use std::hash::Hash;
use std::sync::Arc;
use std::thread::LocalKey;

thread_local! {
    /// Text already shared by this thread (each worker keeps its own, so there is no lock;
    /// a string is held at most once per thread).
    static SHARED: RefCell<HashSet<Text>> = RefCell::new(HashSet::default());
}

/// `s` as shared text: a string equal to one seen before on this thread reuses it.
pub fn shared_text(s: &str) -> Text {
    SHARED.with(|set| {
        let mut set = set.borrow_mut();
        match set.get(s) {
            Some(t) => t.clone(),
            None => {
                let t = Text::from(s);
                set.insert(t.clone());
                t
            }
        }
    })
}

/// `lines` as shared text (see [`shared_text`]).
pub fn shared(lines: Vec<String>) -> Vec<Text> {
    lines.iter().map(|l| shared_text(l)).collect()
}

thread_local! {
    static IDENTITIES: RefCell<HashSet<Arc<Identity>>> = RefCell::new(HashSet::default());
    static CLIENTS: RefCell<HashSet<Arc<Client>>> = RefCell::new(HashSet::default());
    static ORIGINS: RefCell<HashSet<Arc<SessionOrigin>>> = RefCell::new(HashSet::default());
}

/// `v` shared through `set`: a value equal to one seen before on this thread reuses it.
fn intern<T: Eq + Hash>(set: &'static LocalKey<RefCell<HashSet<Arc<T>>>>, v: T) -> Arc<T> {
    set.with(|set| {
        let mut set = set.borrow_mut();
        match set.get(&v) {
            Some(a) => a.clone(),
            None => {
                let a = Arc::new(v);
                set.insert(a.clone());
                a
            }
        }
    })
}

/// `id` shared: the few thousand identities recur across many operations.
pub fn shared_identity(id: Identity) -> Arc<Identity> {
    intern(&IDENTITIES, id)
}

/// `c` shared: clients recur across many operations.
pub fn shared_client(c: Client) -> Arc<Client> {
    intern(&CLIENTS, c)
}

/// `o` shared: every operation of a session has the same origin.
pub fn shared_origin(o: SessionOrigin) -> Arc<SessionOrigin> {
    intern(&ORIGINS, o)
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, Hash)]
pub struct Client {
    pub app_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SignInRef {
    /// The Request ID, lower-case GUID (shared: many operations use one sign-in's token).
    pub id: Text,
    pub kind: crate::signins::Kind,
    pub time: Option<Text>,
    /// Shared with the sign-in's facts.
    pub ip: Option<Text>,
    #[serde(rename = "match")]
    pub method: crate::correlate::Method,
    pub confidence: f64,
    pub evidence: Vec<crate::evidence::Evidence>,
}

/// The text fields are shared with the origin sign-in's facts, not copied.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Hash)]
pub struct SessionOrigin {
    pub id: String,
    pub time: Option<String>,
    pub ip: Option<Text>,
    pub mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_access: Option<Text>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceRef {
    /// Shared with every other event read from the same file.
    pub file: Arc<str>,
    pub record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// A detection attached to an operation (filled by the detection stage).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DetectionRef {
    pub rule: String,
    pub title: String,
    pub severity: String,
    pub attack: Vec<String>,
}

/// What the statement needs beyond the finding's other fields (see [`crate::statement`]).
#[derive(Clone, Debug, Default)]
pub struct StatementParts {
    /// Index in `event_ids` of the event the statement names.
    pub event: u32,
    /// The issuing sign-in's app id, set only when the finding has no client name.
    pub app_id: Option<Text>,
    /// A statement given as is instead of rendered (hand-made findings such as demo data).
    pub fixed: Option<Box<str>>,
}

/// One logical operation, explained.
#[derive(Clone, Debug)]
pub struct OperationFinding {
    pub correlation_id: Option<String>,
    /// Shared text (see [`shared_text`]), like `resource_id`, `caller`, `caller_ip` and
    /// `subscription_id`: each recurs across many operations.
    pub operation: Text,
    pub resource_id: Option<Text>,
    /// RFC 3339 UTC time of the operation's first event.
    pub time: String,
    pub status: tokentrail_model::StatusKind,
    pub caller: Option<Text>,
    /// Shared with every other operation of the same identity (see [`shared_identity`]).
    pub identity: Arc<Identity>,
    pub client: Arc<Client>,
    pub verdict: Verdict,
    pub sign_in: Option<SignInRef>,
    pub session_origin: Option<Arc<SessionOrigin>>,
    /// Shared text: the same few thousand lines recur across hundreds of thousands of
    /// operations (see [`shared`]).
    pub indicators: Vec<Text>,
    pub anomalies: Vec<Text>,
    pub gaps: Vec<Gap>,
    /// Rendered by [`OperationFinding::statement`] (serialized between `gaps` and
    /// `detections`).
    pub statement_parts: StatementParts,
    pub detections: Vec<DetectionRef>,
    pub caller_ip: Option<Text>,
    pub subscription_id: Option<Text>,
    pub duration_ms: i64,
    pub event_ids: Vec<String>,
    pub sources: Vec<SourceRef>,
}

impl OperationFinding {
    /// The runbook's correlation sentence (see [`crate::statement::sentence`]).
    pub fn statement(&self) -> String {
        crate::statement::sentence(self)
    }
}

/// The statement as a serializable value, written without building a `String`.
struct StatementOf<'a>(&'a OperationFinding);

impl Serialize for StatementOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&DisplayStatement(self.0))
    }
}

struct DisplayStatement<'a>(&'a OperationFinding);

impl std::fmt::Display for DisplayStatement<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::statement::write_sentence(f, self.0)
    }
}

impl Serialize for OperationFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("OperationFinding", 21)?;
        st.serialize_field("correlation_id", &self.correlation_id)?;
        st.serialize_field("operation", &self.operation)?;
        st.serialize_field("resource_id", &self.resource_id)?;
        st.serialize_field("time", &self.time)?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("caller", &self.caller)?;
        st.serialize_field("identity", &self.identity)?;
        st.serialize_field("client", &self.client)?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("sign_in", &self.sign_in)?;
        st.serialize_field("session_origin", &self.session_origin)?;
        st.serialize_field("indicators", &self.indicators)?;
        st.serialize_field("anomalies", &self.anomalies)?;
        st.serialize_field("gaps", &self.gaps)?;
        st.serialize_field("statement", &StatementOf(self))?;
        st.serialize_field("detections", &self.detections)?;
        st.serialize_field("caller_ip", &self.caller_ip)?;
        st.serialize_field("subscription_id", &self.subscription_id)?;
        st.serialize_field("duration_ms", &self.duration_ms)?;
        st.serialize_field("event_ids", &self.event_ids)?;
        st.serialize_field("sources", &self.sources)?;
        st.end()
    }
}
