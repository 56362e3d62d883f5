//! The cookie codecs, all wire-compatible with muffin-session 2.6.
//!
//! A codec turns the session's compact JSON bytes into a cookie value and
//! back. It knows nothing of HTTP or of `Session`; the JSON is produced and
//! parsed by the caller, so each codec is a pure bytes ⇄ token function.
//!
//! Adding a codec is one file that implements [`CookieCodec`], plus its line
//! in the `session_types!` table below (and its `mod` line).

mod base64;
#[cfg(feature = "fernet")]
mod fernet;
mod jwt;

/// Without the `fernet` feature, asking for Fernet is a configuration error.
#[cfg(not(feature = "fernet"))]
mod fernet {
    use super::{CookieCodec, DecodeError, Decoded};
    use crate::error::ConfigError;

    /// Never built: [`CookieCodec::new`] refuses.
    #[derive(Debug)]
    pub(super) enum Fernet {}

    impl CookieCodec for Fernet {
        fn new(_keys: &[&str]) -> Result<Self, ConfigError> {
            Err(ConfigError::FernetNotEnabled {
                option: "session_type".into(),
            })
        }

        fn encode(&self, _json: &[u8], _now: u64) -> String {
            match *self {}
        }

        fn decode(&self, _token: &str, _now: u64) -> Result<Decoded, DecodeError> {
            match *self {}
        }
    }
}

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Declares [`SessionType`] from its docs and one line per codec,
/// `Variant = "name" => codec type`, with the dispatch from a session type to
/// its codec. The name must be the variant's name in lower case (serde's
/// spelling; a test checks it).
macro_rules! session_types {
    (
        $(#[$doc:meta])*
        pub enum SessionType {
            $($(#[$attr:meta])* $variant:ident = $name:literal => $codec:ty,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        #[non_exhaustive]
        pub enum SessionType {
            $($(#[$attr])* $variant,)*
        }

        impl SessionType {
            /// Every session type.
            const ALL: &[Self] = &[$(Self::$variant),*];

            /// The name used in configuration: `base64`, `jwt` or `fernet`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// Builds this type's codec from its keys.
            fn codec(self, keys: &[&str]) -> Result<Box<dyn CookieCodec>, ConfigError> {
                Ok(match self {
                    $(Self::$variant => Box::new(<$codec as CookieCodec>::new(keys)?),)*
                })
            }

            /// Why `secret` is a weak key for this type's codec, if it is.
            pub(crate) fn weakness(self, secret: &str) -> Option<&'static str> {
                match self {
                    $(Self::$variant => <$codec as CookieCodec>::weakness(secret),)*
                }
            }

            /// Why muffin-session could not share cookies made with
            /// `secret` by this type's codec, if it could not.
            pub(crate) fn muffin_incompatibility(self, secret: &str) -> Option<&'static str> {
                match self {
                    $(Self::$variant => <$codec as CookieCodec>::muffin_incompatibility(secret),)*
                }
            }

            /// Whether this type's codec uses the secret at all.
            pub(crate) fn keyed(self) -> bool {
                match self {
                    $(Self::$variant => <$codec as CookieCodec>::keyed(),)*
                }
            }
        }
    };
}

session_types! {
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
    ///
    /// More codecs may be added: a `match` on it needs a `_` arm.
    pub enum SessionType {
        /// Unsigned URL-safe base64 JSON. Readable and forgeable by anyone.
        Base64 = "base64" => base64::Base64,
        /// HS256 JSON Web Token: signed, readable by anyone. The default.
        #[default]
        Jwt = "jwt" => jwt::Jwt,
        /// Fernet token: encrypted and authenticated. Needs the `fernet` feature.
        Fernet = "fernet" => fernet::Fernet,
    }
}

impl fmt::Display for SessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`SessionType`] from a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSessionType;

impl fmt::Display for UnknownSessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown session type: expected one of ")?;
        for (index, session_type) in SessionType::ALL.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            write!(f, "{separator}`{session_type}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownSessionType {}

impl FromStr for SessionType {
    type Err = UnknownSessionType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|session_type| session_type.as_str() == name)
            .ok_or(UnknownSessionType)
    }
}

/// What each codec implements.
///
/// `Debug` must never show a key.
pub(crate) trait CookieCodec: fmt::Debug + Send + Sync + 'static {
    /// Builds the codec from its keys: the current secret first (there is
    /// always one), then the fallback secrets still accepted when reading.
    fn new(keys: &[&str]) -> Result<Self, ConfigError>
    where
        Self: Sized;

    /// Why `secret` is a weak key for this codec, if it is.
    fn weakness(_secret: &str) -> Option<&'static str>
    where
        Self: Sized,
    {
        None
    }

    /// Why muffin-session could not read (or write) this codec's cookies
    /// made with `secret`, if it could not: the key is derived differently.
    fn muffin_incompatibility(_secret: &str) -> Option<&'static str>
    where
        Self: Sized,
    {
        None
    }

    /// Whether the codec uses the secret at all (if not, an insecure one is
    /// not worth a warning).
    fn keyed() -> bool
    where
        Self: Sized,
    {
        true
    }

    /// Encodes the session's JSON bytes into a cookie value issued at `now`,
    /// always with the current key.
    fn encode(&self, json: &[u8], now: u64) -> String;

    /// Decodes and verifies a cookie value into the session's JSON bytes;
    /// `now` is the time a token's own timestamp is checked against.
    fn decode(&self, token: &str, now: u64) -> Result<Decoded, DecodeError>;

    /// Whether the token carries its own issue time ([`Decoded::timestamp`]),
    /// so that none is stamped into the session object as a claim.
    fn issue_time_in_token(&self) -> bool {
        false
    }

    /// Whether the session object is a JWT's claims, read by PyJWT on the
    /// Python side: its registered-claim rules apply.
    fn pyjwt_claims(&self) -> bool {
        false
    }
}

/// Why a codec refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not a token of this codec at all (bad base64, wrong number of parts...).
    Malformed,
    /// The JWT header names another algorithm than HS256.
    Algorithm,
    /// The signature or MAC does not match any configured key.
    Signature,
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
pub(crate) struct Codec {
    session_type: SessionType,
    codec: Box<dyn CookieCodec>,
}

impl Codec {
    /// Builds the codec for `session_type` from its keys: the current secret
    /// first, then the fallback secrets that are still accepted when reading.
    pub(crate) fn new(session_type: SessionType, keys: &[&str]) -> Result<Self, ConfigError> {
        Ok(Self {
            session_type,
            codec: session_type.codec(keys)?,
        })
    }

    /// Encodes the session's JSON bytes into a cookie value issued at `now`,
    /// always with the current key.
    pub(crate) fn encode(&self, json: &[u8], now: u64) -> String {
        self.codec.encode(json, now)
    }

    /// Decodes and verifies a cookie value into the session's JSON bytes;
    /// `now` is the time a token's own timestamp is checked against.
    pub(crate) fn decode(&self, token: &str, now: u64) -> Result<Decoded, DecodeError> {
        self.codec.decode(token, now)
    }

    /// Whether the token carries its own issue time (`fernet`), rather than
    /// as a claim in the session object (`jwt`, `base64`).
    pub(crate) fn issue_time_in_token(&self) -> bool {
        self.codec.issue_time_in_token()
    }

    /// Whether PyJWT's registered-claim rules apply to the session object
    /// (`jwt`).
    pub(crate) fn pyjwt_claims(&self) -> bool {
        self.codec.pyjwt_claims()
    }
}

impl fmt::Debug for Codec {
    /// The codec's own `Debug`, which never shows a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("session_type", &self.session_type)
            .field("codec", &self.codec)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::SessionType;

    #[test]
    fn names_are_serde_names_and_parse_back() {
        for &session_type in SessionType::ALL {
            let name = session_type.as_str();
            assert_eq!(
                serde_json::to_string(&session_type).unwrap(),
                format!("\"{name}\"")
            );
            assert_eq!(name.parse::<SessionType>(), Ok(session_type));
        }
        assert_eq!(
            "rot13".parse::<SessionType>().unwrap_err().to_string(),
            "unknown session type: expected one of `base64`, `jwt`, `fernet`"
        );
    }
}
