//! `fernet`: a Fernet token of the compact JSON (AES-128-CBC + HMAC-SHA256).
//!
//! The key is built from the secret string the way muffin-session builds it,
//! for every secret the Python package accepts; see [`fernet_key`].

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use hkdf::Hkdf;
use sha2::Sha256;

use super::{Decoded, Rejection};
use crate::error::ConfigError;

pub(crate) struct Fernet {
    /// The current key first, then the fallback keys.
    keys: Vec<::fernet::Fernet>,
}

impl Fernet {
    pub(super) fn new(secret: &str, fallbacks: &[String]) -> Result<Self, ConfigError> {
        let keys = std::iter::once(secret)
            .chain(fallbacks.iter().map(String::as_str))
            .map(|secret| ::fernet::Fernet::new(&fernet_key(secret)))
            .collect::<Option<Vec<_>>>()
            .ok_or(ConfigError::InvalidFernetKey)?;
        Ok(Self { keys })
    }

    pub(super) fn encode(&self, json: &[u8]) -> String {
        // `keys` always holds the current key first (see `new`).
        self.keys
            .first()
            .map(|key| key.encrypt(json))
            .unwrap_or_default()
    }

    pub(super) fn decode(&self, token: &str) -> Result<Decoded, Rejection> {
        self.keys
            .iter()
            .enumerate()
            .find_map(|(index, key)| key.decrypt(token).ok().map(|json| (index, json)))
            .map(|(index, json)| Decoded {
                json,
                by_fallback_key: index > 0,
            })
            .ok_or(Rejection::Signature)
    }
}

/// The URL-safe base64 Fernet key for a secret string.
///
/// - A secret that already is a Fernet key (44 characters of URL-safe base64
///   for 32 bytes) is used as it is.
/// - An ASCII secret of at most 32 bytes gets muffin-session's derivation: the
///   secret padded with `=` to 32 bytes is the key. Cookies interoperate with
///   Python.
/// - Any other secret (longer, or non-ASCII), which muffin-session rejects, is
///   stretched with HKDF-SHA256. Such cookies are readable by this crate only.
pub(crate) fn fernet_key(secret: &str) -> String {
    if secret.len() == 44 && matches!(URL_SAFE.decode(secret), Ok(bytes) if bytes.len() == 32) {
        return secret.to_owned();
    }
    let mut key = [b'='; 32];
    if secret.is_ascii() && secret.len() <= 32 {
        key[..secret.len()].copy_from_slice(secret.as_bytes());
    } else {
        let hkdf = Hkdf::<Sha256>::new(Some(b"axum-cookie-session"), secret.as_bytes());
        // 32 bytes is far below HKDF-SHA256's limit of 8160, so this cannot fail.
        if hkdf.expand(b"fernet key", &mut key).is_err() {
            key = [b'='; 32];
        }
    }
    URL_SAFE.encode(key)
}
