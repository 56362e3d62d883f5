//! Why a request's session cookie was not accepted: each step of loading it
//! (chunks, codec, expiry, the JSON object) has its reasons. A rejected
//! cookie is an empty session; the reason is logged at debug level and
//! never shown to the client.

use super::codec::DecodeError;

/// Why a cookie was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not a token of this codec at all (bad base64, wrong number of parts...).
    Malformed,
    /// The JWT header names another algorithm than HS256.
    Algorithm,
    /// The signature or MAC does not match any configured key.
    Signature,
    /// Older than the configured lifetime, or past its `exp`.
    Expired,
    /// Issued (or valid from) further in the future than the clock skew allows.
    FromTheFuture,
    /// A lifetime is set, muffin compatibility is off, and the token has no `iat`.
    NoIssueTime,
    /// More chunk cookies than are ever written, or some of them missing.
    Chunks,
    /// The token is genuine, but its content is not a JSON object.
    NotAnObject,
    /// Larger than any cookie (or chunk) this crate writes.
    Oversized,
    /// The session cookie (or one of its chunks) sent twice with different
    /// values.
    Ambiguous,
    /// More cookies in the request than are ever read.
    TooManyCookies,
}

impl Rejection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed token",
            Self::Algorithm => "JWT algorithm is not HS256",
            Self::Signature => "signature does not match any key",
            Self::Expired => "expired",
            Self::FromTheFuture => "issued in the future",
            Self::NoIssueTime => "no issue time (iat) in the token",
            Self::Chunks => "chunk cookies missing or too many",
            Self::NotAnObject => "not a JSON object",
            Self::Oversized => "larger than any session cookie",
            Self::Ambiguous => {
                "several session cookies with different values (one may be planted by a sibling \
                 site: use a `__Host-` cookie name)"
            }
            Self::TooManyCookies => "more cookies in the request than MAX_REQUEST_COOKIES",
        }
    }
}

impl From<DecodeError> for Rejection {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::Malformed => Self::Malformed,
            DecodeError::Algorithm => Self::Algorithm,
            DecodeError::Signature => Self::Signature,
        }
    }
}
