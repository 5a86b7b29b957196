//! Joining the portal's AuthDetails companion rows to their sign-ins.
//!
//! Choice: AuthDetails rows are read as their own records ([`AuthDetailRecord`], one per
//! authentication step, keyed by Request ID) so reading stays streaming and nothing is
//! lost when the companion file comes without its main file. A caller that holds both
//! collects the rows in an [`AuthDetailIndex`] (a first pass over the inputs, or the
//! companion files read first) and calls [`AuthDetailIndex::attach`] on each sign-in.
//! Steps are attached only to a sign-in that has no `authenticationDetails` of its own
//! (the JSON download already embeds them); the sign-in is then marked `details_joined`.
//! `tokentrail parse` prints both record kinds unjoined.

use super::build::mfa_satisfied;
use std::collections::HashMap;
use tokentrail_model::signin::{AuthDetail, AuthDetailRecord};
use tokentrail_model::SignIn;

/// AuthDetails rows by Request ID, in file order.
#[derive(Debug, Default)]
pub struct AuthDetailIndex {
    by_request: HashMap<String, Vec<AuthDetail>>,
}

impl AuthDetailIndex {
    pub fn add(&mut self, rec: AuthDetailRecord) {
        self.by_request
            .entry(rec.request_id)
            .or_default()
            .push(rec.detail);
    }

    pub fn len(&self) -> usize {
        self.by_request.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_request.is_empty()
    }

    /// Attaches the steps recorded for `s.id`. Returns true when it attached any.
    pub fn attach(&self, s: &mut SignIn) -> bool {
        if !s.authentication.details.is_empty() {
            return false;
        }
        let Some(steps) = self.by_request.get(&s.id) else {
            return false;
        };
        s.authentication.details = steps.clone();
        s.authentication.details_joined = true;
        for d in steps {
            if d.succeeded == Some(true) {
                if let Some(m) = &d.method {
                    if !s.authentication.methods.contains(m) {
                        s.authentication.methods.push(m.clone());
                    }
                }
            }
        }
        if s.authentication.mfa_satisfied.is_none() {
            s.authentication.mfa_satisfied = mfa_satisfied(s);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokentrail_model::time::parse_time;
    use tokentrail_model::{Provenance, SignInKind};

    fn prov() -> Provenance {
        Provenance {
            file: Arc::from("x.csv"),
            record: 0,
            line: None,
            offset: None,
        }
    }

    #[test]
    fn joins_on_request_id() {
        let mut idx = AuthDetailIndex::default();
        idx.add(AuthDetailRecord {
            request_id: "r1".into(),
            detail: AuthDetail {
                method: Some("Password".into()),
                succeeded: Some(true),
                ..Default::default()
            },
            source: prov(),
        });
        idx.add(AuthDetailRecord {
            request_id: "r1".into(),
            detail: AuthDetail {
                method: Some("Mobile app notification".into()),
                succeeded: Some(true),
                requirement: Some("Multi-factor authentication".into()),
                ..Default::default()
            },
            source: prov(),
        });
        let mut s = SignIn::new(
            parse_time("2024-01-01T00:00:00Z").unwrap(),
            SignInKind::Interactive,
            prov(),
        );
        s.id = "r1".into();
        assert!(idx.attach(&mut s));
        assert_eq!(s.authentication.details.len(), 2);
        assert!(s.authentication.details_joined);
        assert_eq!(s.authentication.mfa_satisfied, Some(true));
        assert!(!idx.attach(&mut s), "never attached twice");
    }
}
