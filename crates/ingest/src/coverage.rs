//! Field coverage per file: how many sign-ins carry each linkage field, and what that
//! means for attribution, in words (e.g. "Graph v1.0 sign-ins carry no
//! uniqueTokenIdentifier or sessionId, so token-level attribution is impossible from this
//! file; export from beta"). Computed while reading; printed by `parse`.

use serde::Serialize;
use std::collections::BTreeMap;
use tokentrail_model::guid::TokenIdEncoding;
use tokentrail_model::signin::LinkField;
use tokentrail_model::{SignIn, SignInKind};

/// Linkage-field counts over the sign-ins of one file.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SignInCoverage {
    pub sign_ins: u64,
    /// Sign-ins per export shape (`graph-beta`, `diagnostic/SignInLogs`, …).
    pub formats: BTreeMap<String, u64>,
    /// Sign-ins per kind.
    pub kinds: BTreeMap<SignInKind, u64>,
    /// Sign-ins carrying each linkage field.
    pub fields: BTreeMap<LinkField, u64>,
    /// `uniqueTokenIdentifier` values by encoding (`guid_bytes`, `guid_text`, `plain`).
    pub token_id_encodings: BTreeMap<TokenIdEncoding, u64>,
    /// `uniqueTokenIdentifier` values present but not decodable to a GUID.
    pub token_id_undecodable: u64,
    /// The findings in words, filled by [`SignInCoverage::finish`].
    pub findings: Vec<String>,
}

impl SignInCoverage {
    pub fn add(&mut self, s: &SignIn) {
        self.sign_ins += 1;
        *self.formats.entry(s.format.clone()).or_default() += 1;
        *self.kinds.entry(s.kind).or_default() += 1;
        for f in s.linkage().fields() {
            *self.fields.entry(f).or_default() += 1;
        }
        if let Some(t) = &s.unique_token_id {
            match t.encoding {
                Some(e) => *self.token_id_encodings.entry(e).or_default() += 1,
                None => self.token_id_undecodable += 1,
            }
        }
    }

    fn count(&self, f: LinkField) -> u64 {
        self.fields.get(&f).copied().unwrap_or(0)
    }

    /// What to do to get the missing fields, given the shapes seen.
    fn remedy(&self) -> &'static str {
        let has = |p: &str| self.formats.keys().any(|k| k.starts_with(p));
        if has("graph-v1.0") {
            return "export from beta (GET /beta/auditLogs/signIns, which also lists non-interactive, service principal and managed identity sign-ins)";
        }
        if has("graph-beta") {
            "this beta export lacks them (a $select, an older collector or a documentation sample may have dropped them); export again with all properties"
        } else if has("graph-v1.0") {
            "export from beta (GET /beta/auditLogs/signIns, which also lists non-interactive, service principal and managed identity sign-ins)"
        } else if has("log-analytics/") {
            "re-query the sign-in tables with all columns (older rows and projected queries lack UniqueTokenIdentifier/SessionId)"
        } else if has("diagnostic/") {
            "these records predate the uniqueTokenIdentifier/sessionId properties; export the same period from Graph beta or Log Analytics if still retained"
        } else if has("portal-csv/") {
            "download again from the admin center (current files have the Unique token identifier and Session ID columns) or export from Graph beta"
        } else {
            "export from Graph beta"
        }
    }

    /// Turns the counts into findings.
    pub fn finish(&mut self) {
        let n = self.sign_ins;
        if n == 0 {
            return;
        }
        let shapes = self.formats.keys().cloned().collect::<Vec<_>>().join(", ");
        let uti = self.count(LinkField::UniqueTokenId);
        let sid = self.count(LinkField::SessionId);
        let users: u64 = self
            .kinds
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k,
                    SignInKind::Interactive | SignInKind::NonInteractive | SignInKind::Unknown
                )
            })
            .map(|(_, v)| *v)
            .sum();
        let mut out = Vec::new();
        if uti == 0 && sid == 0 {
            out.push(format!(
                "{shapes} sign-ins ({n}) carry no uniqueTokenIdentifier or sessionId, so token-level attribution is impossible from this file; {}",
                self.remedy()
            ));
        } else if uti == 0 {
            out.push(format!(
                "{shapes} sign-ins ({n}) carry no uniqueTokenIdentifier: token-level (uti) attribution is impossible, only session (sid), time and identity matching; {}",
                self.remedy()
            ));
        } else if uti < n {
            out.push(format!(
                "uniqueTokenIdentifier on only {uti} of {n} sign-ins; the rest match only by session, time and identity"
            ));
        }
        if sid == 0 && uti > 0 && users > 0 {
            out.push(format!(
                "no sessionId on any of {users} user sign-ins: session-level grouping is impossible from this file"
            ));
        }
        if let Some(k) = self.token_id_encodings.get(&TokenIdEncoding::GuidText) {
            out.push(format!(
                "{k} uniqueTokenIdentifier values use the 2022-era base64-of-GUID-text encoding; decoded to GUIDs"
            ));
        }
        if self.token_id_undecodable > 0 {
            out.push(format!(
                "{} uniqueTokenIdentifier values do not decode to a GUID (sanitized or damaged); they cannot be matched to a uti",
                self.token_id_undecodable
            ));
        }
        let rid = self.count(LinkField::RequestId);
        if rid < n {
            out.push(format!(
                "{} of {n} sign-ins have no GUID Request ID (id)",
                n - rid
            ));
        }
        if self.formats.contains_key("graph-v1.0") {
            out.push(
                "Graph v1.0 lists interactive sign-ins only unless filtered; ARM tokens for CLI/PowerShell are mostly issued in non-interactive sign-ins"
                    .into(),
            );
        }
        self.findings = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokentrail_model::signin::TokenId;
    use tokentrail_model::time::parse_time;
    use tokentrail_model::Provenance;

    fn s(format: &str, uti: Option<&str>) -> SignIn {
        let mut s = SignIn::new(
            parse_time("2024-01-01T00:00:00Z").unwrap(),
            SignInKind::Interactive,
            Provenance {
                file: Arc::from("f"),
                record: 0,
                line: None,
                offset: None,
            },
        );
        s.id = "a08869a8-3b15-46e4-8de3-273849e60100".into();
        s.format = format.into();
        s.unique_token_id = uti.map(TokenId::new);
        s
    }

    #[test]
    fn graph_v1_finding() {
        let mut c = SignInCoverage::default();
        c.add(&s("graph-v1.0", None));
        c.finish();
        assert!(c.findings[0].contains("carry no uniqueTokenIdentifier or sessionId"));
        assert!(c.findings[0].contains("export from beta"));
    }

    #[test]
    fn partial_and_2022_encoding() {
        let mut c = SignInCoverage::default();
        c.add(&s(
            "diagnostic/SignInLogs",
            Some("YTA4ODY5YTgtM2IxNS00NmU0LThkZTMtMjczODQ5ZTYwMTAw"),
        ));
        c.add(&s("diagnostic/SignInLogs", None));
        c.add(&s("diagnostic/SignInLogs", Some("not-a-token")));
        c.finish();
        let all = c.findings.join("\n");
        assert!(all.contains("only 1 of 3"), "{all}");
        assert!(all.contains("2022-era"), "{all}");
        assert!(all.contains("do not decode"), "{all}");
        assert_eq!(c.fields[&LinkField::UniqueTokenId], 1);
    }
}
