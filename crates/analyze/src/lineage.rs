//! Session lineage: from the issuing sign-in (often a non-interactive refresh) back to
//! the interactive sign-in at the root of its session.

use crate::signins::{Kind, SignInFacts, SignInIndex};

/// The interactive sign-in that started the session of `issuer`: the earliest successful
/// interactive sign-in of the same session at or before the issuer. `None` when the session
/// id is absent or the export holds no interactive sign-in for it. The issuer itself is
/// its own origin when it is interactive and nothing earlier exists.
pub fn session_origin<'a>(issuer: &SignInFacts, ix: &'a SignInIndex) -> Option<&'a SignInFacts> {
    let sid = issuer.session_id.as_ref()?;
    let t = issuer.time?;
    ix.by_session(&sid.text())
        .filter(|s| s.success && s.kind() == Kind::Interactive && s.time.is_some_and(|x| x <= t))
        .min_by_key(|s| (s.time, s.index))
}
