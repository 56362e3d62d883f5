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
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::base64::LENIENT;
use super::{Decoded, Rejection};

/// `{"alg":"HS256","typ":"JWT"}`, byte for byte what PyJWT writes.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// An HMAC-SHA256 output.
const SIGNATURE_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct Jwt {
    /// One keyed MAC per key, the current key first, then the fallback keys.
    /// Cloning a keyed MAC skips re-hashing the key on every use.
    keys: Vec<HmacSha256>,
}

impl Jwt {
    pub(super) fn new(keys: &[&str]) -> Self {
        let keys = keys
            .iter()
            .filter_map(|key| HmacSha256::new_from_slice(key.as_bytes()).ok())
            .collect();
        Self { keys }
    }

    pub(super) fn encode(&self, json: &[u8]) -> String {
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

    pub(super) fn decode(&self, token: &str) -> Result<Decoded, Rejection> {
        let (message, signature) = token.rsplit_once('.').ok_or(Rejection::Malformed)?;
        let (header, claims) = message.split_once('.').ok_or(Rejection::Malformed)?;
        if claims.contains('.') {
            return Err(Rejection::Malformed);
        }
        check_header(header)?;
        // Strict base64 (no padding, no stray trailing bits): one signature has
        // exactly one spelling, so a flipped character can never still verify.
        // The buffer has room to spare so that a longer signature is an
        // error of length, not of buffer size.
        let mut buffer = [0u8; 2 * SIGNATURE_LEN];
        let expected = match URL_SAFE_NO_PAD.decode_slice(signature, &mut buffer) {
            Ok(SIGNATURE_LEN) => &buffer[..SIGNATURE_LEN],
            _ => return Err(Rejection::Signature),
        };
        let key_index = self
            .keys
            .iter()
            .position(|key| {
                let mut mac = key.clone();
                mac.update(message.as_bytes());
                mac.verify_slice(expected).is_ok()
            })
            .ok_or(Rejection::Signature)?;
        let json = LENIENT.decode(claims).map_err(|_| Rejection::Malformed)?;
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
fn check_header(header: &str) -> Result<(), Rejection> {
    if header == HEADER {
        return Ok(());
    }
    let bytes = LENIENT.decode(header).map_err(|_| Rejection::Malformed)?;
    let parsed: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed)?;
    if parsed.get("alg").and_then(Value::as_str) != Some("HS256") || parsed.contains_key("crit") {
        return Err(Rejection::Algorithm);
    }
    Ok(())
}
