//! `fernet`: a Fernet token of the compact JSON (AES-128-CBC + HMAC-SHA256).
//!
//! The key is built from the secret string the way muffin-session builds it,
//! for every secret the Python package accepts; see [`fernet_key`].

use std::fmt;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use hkdf::Hkdf;
use sha2::Sha256;

use super::{CookieCodec, DecodeError, Decoded};
use crate::error::ConfigError;

/// The `fernet` codec with its keys.
pub(super) struct Fernet {
    /// The current key first, then the fallback keys.
    keys: Vec<::fernet::Fernet>,
}

impl fmt::Debug for Fernet {
    /// How many keys, never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fernet")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl CookieCodec for Fernet {
    fn new(keys: &[&str]) -> Result<Self, ConfigError> {
        let keys = keys
            .iter()
            .map(|secret| ::fernet::Fernet::new(&fernet_key(secret)))
            .collect::<Option<Vec<_>>>()
            .ok_or(ConfigError::InvalidFernetKey)?;
        Ok(Self { keys })
    }

    fn weakness(secret: &str) -> Option<&'static str> {
        weakness(secret)
    }

    fn muffin_incompatibility(secret: &str) -> Option<&'static str> {
        (!muffin_derives(secret)).then_some(
            "muffin-session builds its Fernet key from ASCII secrets of at most 32 characters \
             only (it fails on longer or non-ASCII ones, a 44-character Fernet key included), so \
             this crate derives the key its own way and a Muffin app with the same secret could \
             not read these cookies, nor write ones this app reads",
        )
    }

    fn issue_time_in_token(&self) -> bool {
        true
    }

    fn encode(&self, json: &[u8], now: u64) -> String {
        // `keys` always holds the current key first (see `new`); only the
        // current key ever encrypts.
        self.keys
            .first()
            .map(|key| key.encrypt_at_time(json, now))
            .unwrap_or_default()
    }

    /// Decrypts with each key in turn. The token's timestamp is checked here
    /// only against the future (60 s of skew, inside the `fernet` crate); its
    /// age is checked by the caller against the configured lifetime, because
    /// `decrypt_with_ttl` adds the TTL to an attacker-chosen timestamp and
    /// can overflow.
    fn decode(&self, token: &str, now: u64) -> Result<Decoded, DecodeError> {
        // Tokens are padded base64, as Python writes and requires them: a
        // length that is a multiple of 4 and at most two `=`. The `fernet`
        // crate strips any number of them, which would allow other spellings.
        let unpadded = token.trim_end_matches('=');
        if !token.len().is_multiple_of(4) || token.len() - unpadded.len() > 2 {
            return Err(DecodeError::Malformed);
        }
        let (index, json) = self
            .keys
            .iter()
            .enumerate()
            .find_map(|(index, key)| {
                let json = key.decrypt_at_time(token, None, now).ok()?;
                Some((index, json))
            })
            .ok_or(DecodeError::Signature)?;
        Ok(Decoded {
            json,
            timestamp: Some(timestamp(token)?),
            by_fallback_key: index > 0,
        })
    }
}

/// The timestamp of a Fernet token that decrypted: bytes 1 to 8 (big-endian
/// seconds) after the version byte, which the first 12 base64 characters hold.
fn timestamp(token: &str) -> Result<u64, DecodeError> {
    let head = token.get(..12).ok_or(DecodeError::Malformed)?;
    let mut bytes = [0u8; 9];
    match URL_SAFE.decode_slice(head, &mut bytes) {
        Ok(9) => {}
        _ => return Err(DecodeError::Malformed),
    }
    let mut seconds = [0u8; 8];
    seconds.copy_from_slice(&bytes[1..]);
    Ok(u64::from_be_bytes(seconds))
}

/// Why `secret` makes a weak Fernet key, if it does.
///
/// muffin-session pads a short secret with `=` to 32 bytes, and the key's
/// second half is the AES key: with 16 characters or fewer it is all `=`, a
/// constant, so the cookie is signed but anyone can decrypt it.
fn weakness(secret: &str) -> Option<&'static str> {
    if is_fernet_key(secret) || !secret.is_ascii() || secret.len() >= 32 {
        return None;
    }
    Some(if secret.len() <= 16 {
        "has 16 characters or fewer: muffin-session's key derivation then leaves the AES half of \
         the Fernet key constant, so anyone can read the cookies. Use 32 random ASCII \
         characters (`openssl rand -base64 24`), or a Fernet key if no Muffin app shares the \
         cookies."
    } else {
        "is shorter than 32 characters: muffin-session's key derivation pads it with `=`, so part \
         of the Fernet key is constant. Use 32 random ASCII characters (`openssl rand \
         -base64 24`), or a Fernet key if no Muffin app shares the cookies."
    })
}

/// Whether muffin-session can build a Fernet key from `secret`, and this
/// crate builds the same one: an ASCII secret of at most 32 characters.
fn muffin_derives(secret: &str) -> bool {
    secret.is_ascii() && secret.len() <= 32
}

/// A real Fernet key: 44 characters of URL-safe base64 for 32 bytes.
fn is_fernet_key(secret: &str) -> bool {
    secret.len() == 44 && matches!(URL_SAFE.decode(secret), Ok(bytes) if bytes.len() == 32)
}

/// The URL-safe base64 Fernet key for a secret string.
///
/// - A secret that already is a Fernet key (44 characters of URL-safe base64
///   for 32 bytes) is used as it is.
/// - An ASCII secret of at most 32 bytes gets muffin-session's derivation: the
///   secret padded with `=` to 32 bytes is the key. Cookies interoperate with
///   Python.
/// - Any other secret (longer, or non-ASCII), which muffin-session rejects, is
///   stretched with HKDF-SHA256. Such cookies are readable by this crate only,
///   so while muffin compatibility is on such a secret (or a Fernet key) is a
///   configuration error (see `muffin_incompatibility`).
pub(crate) fn fernet_key(secret: &str) -> String {
    if is_fernet_key(secret) {
        return secret.to_owned();
    }
    let mut key = [b'='; 32];
    if muffin_derives(secret) {
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
