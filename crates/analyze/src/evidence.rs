//! The evidence lines of a token-to-sign-in link. The token-id line, which nearly every
//! link carries, is kept as its parts and written when an output is (it is most of a
//! link's text); the rarer lines are kept as text.

use crate::text::Text;
use serde::{Serialize, Serializer};
use std::fmt;
use tokentrail_model::guid::TokenIdEncoding;
use tokentrail_model::Guid;

/// One evidence line; prints and serializes as the line's text.
#[derive(Clone, Debug, PartialEq)]
pub enum Evidence {
    /// "uti claim X (how) decodes to G, the (via) of sign-in S".
    TokenId {
        uti: Box<str>,
        encoding: TokenIdEncoding,
        guid: Guid,
        /// The GUID is the sign-in's uniqueTokenIdentifier (else its Request ID).
        unique_token_identifier: bool,
        signin: Text,
    },
    /// Any other line.
    Line(String),
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::TokenId {
                uti,
                encoding,
                guid,
                unique_token_identifier,
                signin,
            } => {
                let how = match encoding {
                    TokenIdEncoding::GuidBytes => "base64url of the GUID bytes",
                    TokenIdEncoding::GuidText => "base64 of the GUID text",
                    TokenIdEncoding::Plain => "plain GUID",
                };
                let via = if *unique_token_identifier {
                    "uniqueTokenIdentifier"
                } else {
                    "Request ID"
                };
                write!(
                    f,
                    "uti claim {uti} ({how}) decodes to {guid}, the {via} of sign-in {signin}"
                )
            }
            Evidence::Line(l) => f.write_str(l),
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Evidence::Line(l) => s.serialize_str(l),
            e => s.collect_str(e),
        }
    }
}

impl From<String> for Evidence {
    fn from(l: String) -> Evidence {
        Evidence::Line(l)
    }
}

impl From<&str> for Evidence {
    fn from(l: &str) -> Evidence {
        Evidence::Line(l.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::Evidence;
    use tokentrail_model::guid::TokenIdEncoding;
    use tokentrail_model::Guid;

    #[test]
    fn token_id_line_prints_and_serializes_as_text() {
        let g = Guid::parse("c4fea708-156e-4c84-831e-50fe7bbd6e1c").unwrap();
        let e = Evidence::TokenId {
            uti: "CKf-xG4VhEyDHlD-e71uHA".into(),
            encoding: TokenIdEncoding::GuidBytes,
            guid: g,
            unique_token_identifier: true,
            signin: "c4fea708-156e-4c84-831e-50fe7bbd6e1c".into(),
        };
        let line = "uti claim CKf-xG4VhEyDHlD-e71uHA (base64url of the GUID bytes) decodes to c4fea708-156e-4c84-831e-50fe7bbd6e1c, the uniqueTokenIdentifier of sign-in c4fea708-156e-4c84-831e-50fe7bbd6e1c";
        assert_eq!(e.to_string(), line);
        assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{line}\""));
        let l = Evidence::from("x \"y\"");
        assert_eq!(serde_json::to_string(&l).unwrap(), r#""x \"y\"""#);
    }
}
