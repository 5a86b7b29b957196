//! A compact, indexed view of sign-ins for correlation.
//!
//! Correlation needs only a few facts per sign-in; [`SignInFacts`] holds them and
//! [`SignInIndex`] answers the four lookups the matcher makes (token id, request id,
//! session, identity) in O(log n).

use jiff::Timestamp;
use serde::Serialize;
use std::sync::Arc;
use tokentrail_model::Guid;

pub use crate::guid_text::GuidText;

/// The kind of sign-in, as the matcher and the gap diagnosis see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
    Adfs,
    Unknown,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Interactive => "interactive user",
            Kind::NonInteractive => "non-interactive user",
            Kind::ServicePrincipal => "service principal",
            Kind::ManagedIdentity => "managed identity",
            Kind::Adfs => "AD FS",
            Kind::Unknown => "unknown kind",
        }
    }
}

/// Shared text: the same UPN, app, user agent or location repeats across millions of
/// sign-ins, so each distinct value is stored once (see [`Interner`]).
pub use crate::text::Text;

/// Hands out one shared [`Text`] per distinct string, and one shared [`Authn`] per
/// distinct value.
#[derive(Default)]
pub struct Interner {
    texts: foldhash::HashSet<Text>,
    authns: foldhash::HashSet<Arc<Authn>>,
    /// Where [`Interner::joined`] and [`Interner::number`] build their text.
    scratch: String,
}

impl Interner {
    pub fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        let t: Text = s.into();
        self.texts.insert(t.clone());
        t
    }

    /// `a`, or an earlier value equal to it.
    pub fn authn(&mut self, a: Authn) -> Arc<Authn> {
        if let Some(known) = self.authns.get(&a) {
            return known.clone();
        }
        let a = Arc::new(a);
        self.authns.insert(a.clone());
        a
    }

    /// `parts` joined with `", "`, shared.
    pub fn joined<'s>(&mut self, parts: impl Iterator<Item = &'s str>) -> Text {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        for (k, p) in parts.enumerate() {
            if k > 0 {
                buf.push_str(", ");
            }
            buf.push_str(p);
        }
        let t = self.text(&buf);
        self.scratch = buf;
        t
    }

    /// `n` in decimal, shared.
    pub fn number(&mut self, n: i64) -> Text {
        use std::fmt::Write as _;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let _ = write!(buf, "{n}");
        let t = self.text(&buf);
        self.scratch = buf;
        t
    }

    pub fn opt(&mut self, s: Option<&str>) -> Option<Text> {
        s.map(|s| self.text(s))
    }

    /// `s` in ASCII lower case, shared (lower-cased into a new string only when it has an
    /// upper-case letter).
    pub fn lower(&mut self, s: Option<&str>) -> Option<Text> {
        let s = s?;
        Some(if s.bytes().any(|b| b.is_ascii_uppercase()) {
            self.text(&s.to_ascii_lowercase())
        } else {
            self.text(s)
        })
    }
}

/// What correlation needs to know about one sign-in.
///
/// The fields that vary from sign-in to sign-in (ids, time, identity, app, address,
/// session, client) are held here; how it authenticated and what came of it is held in a
/// shared [`Authn`], whose fields read through this struct (`s.mfa`, `s.error_code`).
#[derive(Clone, Debug, Default)]
pub struct SignInFacts {
    /// Position in the caller's sign-in list.
    pub index: usize,
    /// Request ID, lower-case GUID text (or the raw id when it is not a GUID).
    pub id: GuidText,
    pub request_guid: Option<Guid>,
    pub token_guid: Option<Guid>,
    pub time: Option<Timestamp>,
    pub kind: Option<Kind>,
    pub success: bool,
    /// `userId` for users; `servicePrincipalId` for workload identities (lower case).
    pub object_id: Option<Text>,
    pub upn: Option<Text>,
    pub app_id: Option<Text>,
    pub app_name: Option<Text>,
    pub resource_id: Option<Text>,
    pub ip: Option<Text>,
    /// Nearly unique to each sign-in, so held without an allocation (see [`GuidText`]).
    pub session_id: Option<GuidText>,
    pub user_agent: Option<Text>,
    pub location: Option<Text>,
    pub device: Option<Text>,
    pub federated_credential_id: Option<Text>,
    pub msi_resource_id: Option<Text>,
    /// Shared with every sign-in that authenticated the same way (see [`Interner::authn`]).
    pub authn: Arc<Authn>,
}

/// How a sign-in authenticated and what came of it: twenty fields of few distinct values
/// (methods, requirement, Conditional Access, protocol, status, risk, device trust). Sign-ins
/// repeat the same combinations, so each distinct one is held once and a sign-in holds a
/// pointer (8 bytes instead of about 150, plus the method lists).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Authn {
    pub client_app_used: Option<Text>,
    pub mfa: Option<bool>,
    pub auth_requirement: Option<Text>,
    pub auth_methods: Vec<Text>,
    pub conditional_access: Option<Text>,
    pub credential_type: Option<Text>,
    pub incoming_token_type: Option<Text>,
    pub risk_level: Option<Text>,
    pub is_interactive: Option<bool>,
    // Read only by detections (`detect::records::signin_view`); trimmed, never empty.
    /// `status.errorCode` as text.
    pub error_code: Option<Text>,
    /// `status.failureReason` (`resultDescription`).
    pub result_description: Option<Text>,
    pub authentication_protocol: Option<Text>,
    pub original_transfer_method: Option<Text>,
    pub resource_display_name: Option<Text>,
    pub risk_state: Option<Text>,
    pub risk_event_types: Vec<Text>,
    pub device_compliant: Option<bool>,
    pub device_trust_type: Option<Text>,
}

/// The shared [`Authn`] fields read as if they were the sign-in's own.
impl std::ops::Deref for SignInFacts {
    type Target = Authn;
    fn deref(&self) -> &Authn {
        &self.authn
    }
}

impl SignInFacts {
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Unknown)
    }
}

/// Sign-ins indexed for the matcher. Every list is sorted by time.
///
/// The indexes are sorted posting lists (key, position) rather than maps of vectors: two
/// million sign-ins cost a few bytes per key instead of a heap allocation per key.
pub struct SignInIndex {
    pub all: Vec<SignInFacts>,
    by_token: Postings<Guid>,
    by_request: Postings<Guid>,
    /// Keyed by the lower-cased session id itself (a GUID's 16 bytes, mostly).
    by_session: Postings<GuidText>,
    by_object: TextPostings,
    by_upn: TextPostings,
}

/// Positions per key, as one vector sorted by (key, position).
struct Postings<K>(Vec<(K, u32)>);

impl<K: Ord + Clone> Postings<K> {
    /// The postings of the key `key` gives each sign-in (positioned by `index`), collected
    /// at their exact length: growing a list would leave up to twice the room, which the
    /// allocator keeps when it is shrunk.
    fn of(all: &[SignInFacts], key: impl Fn(&SignInFacts) -> Option<K>) -> Self {
        let mut v = Vec::with_capacity(all.iter().filter(|s| key(s).is_some()).count());
        v.extend(
            all.iter()
                .filter_map(|s| key(s).map(|k| (k, s.index as u32))),
        );
        Self::build(v)
    }

    fn build(mut v: Vec<(K, u32)>) -> Self {
        v.sort_unstable();
        v.shrink_to_fit();
        Postings(v)
    }

    /// Positions under `k`, in increasing order (that is, by time).
    fn get(&self, k: &K) -> impl Iterator<Item = usize> + '_ {
        let k = k.clone();
        let start = self.0.partition_point(|(x, _)| *x < k);
        self.0[start..]
            .iter()
            .take_while(move |(x, _)| *x == k)
            .map(|&(_, i)| i as usize)
    }
}

/// Postings keyed by case-insensitive text: each distinct text gets a number.
struct TextPostings {
    /// Lower-case key to number. A key already in lower case (session ids, object ids,
    /// most UPNs) shares the sign-in's text: a million sessions cost no allocation each.
    ids: foldhash::HashMap<Text, u32>,
    postings: Postings<u32>,
}

impl TextPostings {
    fn build<'a>(keys: impl Iterator<Item = (Option<&'a Text>, u32)>) -> Self {
        let mut ids: foldhash::HashMap<Text, u32> = Default::default();
        let mut v = Vec::with_capacity(keys.size_hint().0);
        for (k, i) in keys {
            let Some(k) = k else { continue };
            let n = ids.len() as u32;
            let id = if k.bytes().any(|b| b.is_ascii_uppercase()) {
                let lower = k.to_ascii_lowercase();
                match ids.get(lower.as_str()) {
                    Some(&id) => id,
                    None => *ids.entry(Text::from(lower)).or_insert(n),
                }
            } else {
                match ids.get(k.as_str()) {
                    Some(&id) => id,
                    None => *ids.entry(k.clone()).or_insert(n),
                }
            };
            v.push((id, i));
        }
        TextPostings {
            ids,
            postings: Postings::build(v),
        }
    }

    fn get(&self, k: &str) -> impl Iterator<Item = usize> + '_ {
        let id = self.ids.get(k.to_ascii_lowercase().as_str()).copied();
        id.into_iter().flat_map(move |id| self.postings.get(&id))
    }
}

impl SignInIndex {
    pub fn new(mut all: Vec<SignInFacts>) -> Self {
        use rayon::prelude::*;
        // By time then id; ties keep their input order (the position is the last key), as
        // the stable sort this replaces did. Small keys are sorted and the sign-ins moved
        // once, so no second copy of them is allocated.
        let order: Vec<usize> = {
            let mut keyed: Vec<(Option<Timestamp>, &GuidText, usize)> = all
                .par_iter()
                .enumerate()
                .map(|(i, s)| (s.time, &s.id, i))
                .collect();
            keyed.par_sort_unstable();
            keyed.into_iter().map(|k| k.2).collect()
        };
        crate::permute::apply(&mut all, order);
        // Collected one by one, the list may have up to twice the room it needs; it is held
        // until the outputs are written.
        all.shrink_to_fit();
        for (i, s) in all.iter_mut().enumerate() {
            s.index = i;
        }
        let pos = |s: &SignInFacts| s.index as u32;
        let text = |f: fn(&SignInFacts) -> Option<&Text>| {
            TextPostings::build(all.iter().map(|s| (f(s), pos(s))))
        };
        // The five lists are independent: built side by side.
        let ((by_token, by_request), (by_session, (by_object, by_upn))) = rayon::join(
            || {
                rayon::join(
                    || Postings::of(&all, |s| s.token_guid),
                    || Postings::of(&all, |s| s.request_guid),
                )
            },
            || {
                rayon::join(
                    || {
                        Postings::of(&all, |s| {
                            s.session_id.as_ref().map(GuidText::to_ascii_lowercase)
                        })
                    },
                    || {
                        rayon::join(
                            || text(|s| s.object_id.as_ref()),
                            || text(|s| s.upn.as_ref()),
                        )
                    },
                )
            },
        );
        SignInIndex {
            by_token,
            by_request,
            by_session,
            by_object,
            by_upn,
            all,
        }
    }

    pub fn get(&self, i: usize) -> &SignInFacts {
        &self.all[i]
    }

    /// Frees the lookup lists (by token, request, session, object id, UPN) once linking is
    /// done; the sign-ins stay. The `by_*` lookups find nothing afterwards.
    pub fn drop_lookups(&mut self) {
        self.by_token = Postings(Vec::new());
        self.by_request = Postings(Vec::new());
        self.by_session = Postings(Vec::new());
        for t in [&mut self.by_object, &mut self.by_upn] {
            *t = TextPostings {
                ids: Default::default(),
                postings: Postings(Vec::new()),
            };
        }
    }

    pub fn by_token(&self, g: &Guid) -> impl Iterator<Item = &SignInFacts> {
        self.by_token.get(g).map(|i| &self.all[i])
    }
    pub fn by_request(&self, g: &Guid) -> impl Iterator<Item = &SignInFacts> {
        self.by_request.get(g).map(|i| &self.all[i])
    }
    pub fn by_session<'a>(&'a self, sid: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.by_session
            .get(&GuidText::new(&sid.to_ascii_lowercase()))
            .map(|i| &self.all[i])
    }
    pub fn by_object<'a>(&'a self, oid: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.by_object.get(oid).map(|i| &self.all[i])
    }
    pub fn by_upn<'a>(&'a self, upn: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.by_upn.get(upn).map(|i| &self.all[i])
    }

    /// Kinds present, with the time range each covers.
    pub fn coverage(&self) -> Vec<(Kind, Timestamp, Timestamp, usize)> {
        let mut m: std::collections::BTreeMap<Kind, (Timestamp, Timestamp, usize)> =
            Default::default();
        for s in &self.all {
            let Some(t) = s.time else { continue };
            let e = m.entry(s.kind()).or_insert((t, t, 0));
            e.0 = e.0.min(t);
            e.1 = e.1.max(t);
            e.2 += 1;
        }
        m.into_iter().map(|(k, (a, b, n))| (k, a, b, n)).collect()
    }

    /// The earliest and latest sign-in times in the export.
    pub fn time_range(&self) -> Option<(Timestamp, Timestamp)> {
        let first = self.all.iter().find_map(|s| s.time)?;
        let last = self.all.iter().rev().find_map(|s| s.time)?;
        Some((first, last))
    }

    /// How many sign-ins carry a token id.
    pub fn with_token_ids(&self) -> usize {
        self.all.iter().filter(|s| s.token_guid.is_some()).count()
    }
}

/// The correlation facts of a normalized sign-in.
pub fn facts(s: &tokentrail_model::SignIn) -> SignInFacts {
    facts_interned(s, &mut Interner::default())
}

/// Like [`facts`], sharing repeated text through `it` (use one interner for a whole read).
pub fn facts_interned(s: &tokentrail_model::SignIn, it: &mut Interner) -> SignInFacts {
    use tokentrail_model::signin::SignInKind as K;
    let kind = match s.kind {
        K::Interactive => Kind::Interactive,
        K::NonInteractive => Kind::NonInteractive,
        K::ServicePrincipal => Kind::ServicePrincipal,
        K::ManagedIdentity => Kind::ManagedIdentity,
        K::Adfs => Kind::Adfs,
        K::Unknown => Kind::Unknown,
    };
    let workload = matches!(kind, Kind::ServicePrincipal | Kind::ManagedIdentity);
    // Fields are interned from borrowed text: a string is allocated only when it is new.
    let user_id = s.user.as_ref().and_then(|u| u.id.as_deref());
    let sp_id = s.service_principal.as_ref().and_then(|p| p.id.as_deref());
    let object_id = if workload {
        sp_id.or(user_id)
    } else {
        user_id.or(sp_id)
    };
    // Joined text is built in the interner's scratch buffer and interned from there: a
    // string is allocated only for a location, device or error code not seen before.
    let location = s.client.location.as_ref().map(|l| {
        it.joined(
            [l.city.as_deref(), l.state.as_deref(), l.country.as_deref()]
                .into_iter()
                .flatten()
                .filter(|x| !x.is_empty()),
        )
    });
    let device = s.device.as_ref().map(|d| {
        it.joined(
            [
                d.display_name.as_deref().filter(|x| !x.is_empty()),
                d.operating_system.as_deref().filter(|x| !x.is_empty()),
                d.browser.as_deref().filter(|x| !x.is_empty()),
                (d.is_compliant == Some(true)).then_some("compliant"),
                (d.is_managed == Some(true)).then_some("managed"),
                d.trust_type.as_deref().filter(|x| !x.is_empty()),
            ]
            .into_iter()
            .flatten(),
        )
    });
    let success = s.status.success.unwrap_or(s.status.error_code == Some(0));
    let methods: Vec<Text> = s
        .authentication
        .methods
        .iter()
        .map(|m| it.text(m))
        .collect();
    let events: Vec<Text> = s.risk.event_types.iter().map(|e| it.text(e)).collect();
    let authn = Authn {
        client_app_used: it.opt(s.client.client_app_used.as_deref()),
        mfa: s.authentication.mfa_satisfied,
        auth_requirement: it.opt(s.authentication.requirement.as_deref()),
        auth_methods: methods,
        conditional_access: it.opt(s.conditional_access.status.as_deref()),
        credential_type: it.opt(
            s.credential
                .as_ref()
                .and_then(|c| c.client_credential_type.as_deref()),
        ),
        incoming_token_type: it.opt(s.incoming_token_type.as_deref()),
        risk_level: it.opt(
            s.risk
                .level_during_sign_in
                .as_deref()
                .or(s.risk.level_aggregated.as_deref()),
        ),
        is_interactive: s.is_interactive,
        error_code: s.status.error_code.map(|c| it.number(c)),
        result_description: it.opt(text(s.status.failure_reason.as_deref())),
        authentication_protocol: it.opt(text(s.authentication_protocol.as_deref())),
        original_transfer_method: it.opt(text(s.original_transfer_method.as_deref())),
        resource_display_name: it.opt(text(s.resource.as_ref().and_then(|r| r.name.as_deref()))),
        risk_state: it.opt(text(s.risk.state.as_deref())),
        risk_event_types: events,
        device_compliant: s.device.as_ref().and_then(|d| d.is_compliant),
        device_trust_type: it.opt(text(
            s.device.as_ref().and_then(|d| d.trust_type.as_deref()),
        )),
    };
    SignInFacts {
        index: 0,
        id: GuidText::new(&s.id),
        request_guid: s.request_guid(),
        token_guid: s.token_guid(),
        time: Some(s.time.utc),
        kind: Some(kind),
        success,
        object_id: it.lower(object_id),
        upn: it.opt(s.user.as_ref().and_then(|u| u.upn.as_deref())),
        app_id: it.lower(s.app.as_ref().and_then(|a| a.id.as_deref())),
        app_name: it.opt(
            s.app
                .as_ref()
                .and_then(|a| a.name.as_deref())
                .or_else(|| s.service_principal.as_ref().and_then(|p| p.name.as_deref())),
        ),
        resource_id: it.opt(s.resource.as_ref().and_then(|r| r.id.as_deref())),
        ip: it.opt(s.client.ip.as_deref().filter(|i| !i.is_empty())),
        session_id: s
            .session_id
            .as_deref()
            .filter(|x| !x.is_empty())
            .map(GuidText::new),
        user_agent: it.opt(s.client.user_agent.as_deref().filter(|x| !x.is_empty())),
        location: location.filter(|l| !l.is_empty()),
        device: device.filter(|d| !d.is_empty()),
        federated_credential_id: it.opt(
            s.credential
                .as_ref()
                .and_then(|c| c.federated_credential_id.as_deref())
                .filter(|x| !x.is_empty()),
        ),
        msi_resource_id: it.opt(
            s.managed_identity
                .as_ref()
                .and_then(|m| m.associated_resource_id.as_deref())
                .filter(|x| !x.is_empty()),
        ),
        authn: it.authn(authn),
    }
}

/// A text field trimmed, absent when empty.
fn text(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|x| !x.is_empty())
}
