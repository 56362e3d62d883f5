//! `jwt`: an HS256 JWS whose claims are the session object, keyed with the
//! secret's UTF-8 bytes, as muffin-session (PyJWT) writes it.
//!
//! The algorithm is pinned: a token whose header names anything but HS256
//! (`none`, HS512, RS256, ...) is rejected before its signature is looked at.
//! The compact serialization is three base64url parts joined by dots; the MAC
//! is `hmac` + `sha2`, compared in constant time. The claims are parsed once,
//! by the session, and only after the signature matched.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::base64::LENIENT;
use super::{CookieCodec, DecodeError, Decoded};
use crate::error::ConfigError;

/// `{"alg":"HS256","typ":"JWT"}`, byte for byte what PyJWT writes.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// An HMAC-SHA256 output.
const SIGNATURE_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The `jwt` codec with its keys.
pub(super) struct Jwt {
    /// One keyed MAC per key, the current key first, then the fallback keys.
    /// Cloning a keyed MAC skips re-hashing the key on every use.
    keys: Vec<HmacSha256>,
}

impl fmt::Debug for Jwt {
    /// How many keys, never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl CookieCodec for Jwt {
    fn new(keys: &[&str]) -> Result<Self, ConfigError> {
        let keys = keys
            .iter()
            .filter_map(|key| HmacSha256::new_from_slice(key.as_bytes()).ok())
            .collect();
        Ok(Self { keys })
    }

    fn weakness(secret: &str) -> Option<&'static str> {
        (secret.len() < 32).then_some(
            "is shorter than 32 bytes: an HS256 key that short can be guessed offline from one \
             cookie. Use a random string of 32 bytes or more (`openssl rand -base64 24` gives 32 \
             characters).",
        )
    }

    fn pyjwt_claims(&self) -> bool {
        true
    }

    fn encode(&self, json: &[u8], _now: u64) -> String {
        let mut token = String::with_capacity(HEADER.len() + json.len() * 4 / 3 + 48);
        token.push_str(HEADER);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(json, &mut token);
        // `keys` always holds the current key first (see `new`; HMAC takes keys
        // of any length); only the current key ever signs.
        if let Some(key) = self.keys.first() {
            let mut mac = key.clone();
            mac.update(token.as_bytes());
            let signature = mac.finalize().into_bytes();
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        }
        token
    }

    fn decode(&self, token: &str, _now: u64) -> Result<Decoded, DecodeError> {
        let (message, signature) = token.rsplit_once('.').ok_or(DecodeError::Malformed)?;
        let (header, claims) = message.split_once('.').ok_or(DecodeError::Malformed)?;
        if claims.contains('.') {
            return Err(DecodeError::Malformed);
        }
        check_header(header)?;
        // Strict base64 (no padding, no stray trailing bits): one signature has
        // exactly one spelling, so a flipped character can never still verify.
        // The buffer has room to spare so that a longer signature is an
        // error of length, not of buffer size.
        let mut buffer = [0u8; 2 * SIGNATURE_LEN];
        let expected = match URL_SAFE_NO_PAD.decode_slice(signature, &mut buffer) {
            Ok(SIGNATURE_LEN) => &buffer[..SIGNATURE_LEN],
            _ => return Err(DecodeError::Signature),
        };
        let key_index = self
            .keys
            .iter()
            .position(|key| {
                let mut mac = key.clone();
                mac.update(message.as_bytes());
                mac.verify_slice(expected).is_ok()
            })
            .ok_or(DecodeError::Signature)?;
        let json = LENIENT.decode(claims).map_err(|_| DecodeError::Malformed)?;
        Ok(Decoded {
            json,
            timestamp: None,
            by_fallback_key: key_index > 0,
        })
    }
}

/// Accepts PyJWT's exact header cheaply, and any other header only if it is
/// a JSON object naming HS256 with no critical extensions (`crit` names
/// extensions a verifier must understand; we understand none).
fn check_header(header: &str) -> Result<(), DecodeError> {
    if header == HEADER {
        return Ok(());
    }
    let bytes = LENIENT.decode(header).map_err(|_| DecodeError::Malformed)?;
    let parsed: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| DecodeError::Malformed)?;
    if parsed.get("alg").and_then(Value::as_str) != Some("HS256") || parsed.contains_key("crit") {
        return Err(DecodeError::Algorithm);
    }
    Ok(())
}
