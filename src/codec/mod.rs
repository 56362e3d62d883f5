//! The three cookie codecs, all wire-compatible with muffin-session 2.6.
//!
//! A codec turns the session's compact JSON bytes into a cookie value and
//! back. It knows nothing of HTTP or of `Session`; the JSON is produced and
//! parsed by the caller, so each codec is a pure bytes ⇄ token function.

mod base64;
#[cfg(feature = "fernet")]
mod fernet;
mod jwt;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, SaveError};

/// How the session is stored in the cookie.
///
/// | type | cookie holds | who can read / forge it |
/// |---|---|---|
/// | [`Base64`](Self::Base64) | URL-safe base64 of the JSON | anyone can read **and forge** it |
/// | [`Jwt`](Self::Jwt) (default) | an HS256-signed JWT whose claims are the session | anyone can read it, only key holders can forge it |
/// | [`Fernet`](Self::Fernet) | a Fernet token (AES-128-CBC + HMAC-SHA256) | only key holders can read or forge it |
///
/// `Base64` exists for compatibility with muffin-session apps that use it:
/// anyone can write any session (including `{"id": 1}`) into such a cookie, so
/// never use it to decide who is logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionType {
    /// Unsigned URL-safe base64 JSON. Readable and forgeable by anyone.
    Base64,
    /// HS256 JSON Web Token: signed, readable by anyone. The default.
    #[default]
    Jwt,
    /// Fernet token: encrypted and authenticated. Needs the `fernet` feature.
    Fernet,
}

impl SessionType {
    /// The name used in configuration: `base64`, `jwt` or `fernet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::Jwt => "jwt",
            Self::Fernet => "fernet",
        }
    }
}

impl fmt::Display for SessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`SessionType`] from a string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown session type: expected one of `base64`, `jwt`, `fernet`")]
pub struct UnknownSessionType;

impl FromStr for SessionType {
    type Err = UnknownSessionType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "base64" => Ok(Self::Base64),
            "jwt" => Ok(Self::Jwt),
            "fernet" => Ok(Self::Fernet),
            _ => Err(UnknownSessionType),
        }
    }
}

/// Why a cookie was not accepted. Logged at debug level, never shown to clients.
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
        }
    }
}

/// A successfully decoded cookie.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The session's JSON bytes (not yet parsed).
    pub(crate) json: Vec<u8>,
    /// The token's own issue time (Fernet), in Unix seconds.
    pub(crate) timestamp: Option<u64>,
    /// The cookie was verified with a fallback key, not the current one.
    pub(crate) by_fallback_key: bool,
}

/// One configured codec with its keys.
pub(crate) enum Codec {
    Base64,
    Jwt(jwt::Jwt),
    #[cfg(feature = "fernet")]
    Fernet(fernet::Fernet),
}

impl Codec {
    /// Builds the codec for `session_type` from its keys: the current secret
    /// first, then the fallback secrets that are still accepted when reading.
    pub(crate) fn new(session_type: SessionType, keys: &[&str]) -> Result<Self, ConfigError> {
        match session_type {
            SessionType::Base64 => Ok(Self::Base64),
            SessionType::Jwt => Ok(Self::Jwt(jwt::Jwt::new(keys))),
            #[cfg(feature = "fernet")]
            SessionType::Fernet => Ok(Self::Fernet(fernet::Fernet::new(keys)?)),
            #[cfg(not(feature = "fernet"))]
            SessionType::Fernet => Err(ConfigError::FernetNotEnabled {
                option: "session_type".into(),
            }),
        }
    }

    /// Encodes the session's JSON bytes into a cookie value issued at `now`,
    /// always with the current key.
    #[cfg_attr(not(feature = "fernet"), allow(unused_variables))]
    pub(crate) fn encode(&self, json: &[u8], now: u64) -> String {
        match self {
            Self::Base64 => base64::encode(json),
            Self::Jwt(jwt) => jwt.encode(json),
            #[cfg(feature = "fernet")]
            Self::Fernet(fernet) => fernet.encode(json, now),
        }
    }

    /// Decodes and verifies a cookie value into the session's JSON bytes;
    /// `now` is the time a token's own timestamp is checked against.
    #[cfg_attr(not(feature = "fernet"), allow(unused_variables))]
    pub(crate) fn decode(&self, token: &str, now: u64) -> Result<Decoded, Rejection> {
        match self {
            Self::Base64 => base64::decode(token).map(|json| Decoded {
                json,
                timestamp: None,
                by_fallback_key: false,
            }),
            Self::Jwt(jwt) => jwt.decode(token),
            #[cfg(feature = "fernet")]
            Self::Fernet(fernet) => fernet.decode(token, now),
        }
    }

    /// Whether the issue time travels as a claim in the session object
    /// (`jwt`, `base64`) rather than in the token itself (`fernet`).
    pub(crate) fn uses_claims(&self) -> bool {
        match self {
            Self::Base64 | Self::Jwt(_) => true,
            #[cfg(feature = "fernet")]
            Self::Fernet(_) => false,
        }
    }

    /// Whether this is the `jwt` codec.
    pub(crate) fn is_jwt(&self) -> bool {
        matches!(self, Self::Jwt(_))
    }
}

/// Why `secret` is a weak key for `session_type`, if it is.
pub(crate) fn weakness(session_type: SessionType, secret: &str) -> Option<&'static str> {
    match session_type {
        SessionType::Base64 => None,
        SessionType::Jwt => (secret.len() < 32).then_some(
            "is shorter than 32 bytes: an HS256 key that short can be guessed offline from one \
             cookie. Use a random string of 32 bytes or more.",
        ),
        #[cfg(feature = "fernet")]
        SessionType::Fernet => fernet::weakness(secret),
        #[cfg(not(feature = "fernet"))]
        SessionType::Fernet => None,
    }
}

/// Whether PyJWT checks this claim on every decode, so that muffin-session
/// could fail on it: the time claims and `aud` always, `sub` and `jti` unless
/// they are strings.
pub(crate) fn pyjwt_checks(key: &str, value: &serde_json::Value) -> bool {
    match key {
        "exp" | "nbf" | "iat" | "aud" => true,
        "sub" | "jti" => !value.is_string(),
        _ => false,
    }
}

/// The JWT claims PyJWT checks on every decode, which muffin-session lets
/// escape as a 500 when they fail: a cookie this crate writes for muffin-session
/// must not hold them (or, for `sub` and `jti`, must hold strings).
pub(crate) fn check_pyjwt_claims(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), SaveError> {
    // One pass over the keys rather than a lookup per claim.
    let refused = object
        .iter()
        .find_map(|(key, value)| pyjwt_checks(key, value).then_some(key));
    match refused {
        Some(claim) => Err(SaveError::ReservedKey {
            key: claim.clone(),
            why: "muffin-session's JWT decoder (PyJWT) checks it and answers a 500 when the \
                  check fails; rename the key, or turn `muffin_compat` off if no muffin-session \
                  app reads these cookies",
        }),
        None => Ok(()),
    }
}
