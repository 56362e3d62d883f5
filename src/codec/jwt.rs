//! `jwt`: an HS256 JWS whose claims are the session object, keyed with the
//! secret's UTF-8 bytes, as muffin-session (PyJWT) writes it.
//!
//! The algorithm is pinned: a token whose header names anything but HS256
//! (`none`, HS512, RS256, ...) is rejected before its signature is looked at.
//! Signing and verifying use `jsonwebtoken::crypto` directly, so the claims are
//! parsed once, by the session, and only after the signature matched.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{crypto, Algorithm, DecodingKey, EncodingKey};
use serde::Deserialize;

use super::base64::LENIENT;
use super::{Decoded, Rejection};
use crate::error::SaveError;

/// `{"alg":"HS256","typ":"JWT"}`, byte for byte what PyJWT writes.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

pub(crate) struct Jwt {
    signing: EncodingKey,
    /// The current key first, then the fallback keys.
    verifying: Vec<DecodingKey>,
}

impl Jwt {
    pub(super) fn new(secret: &str, fallbacks: &[String]) -> Self {
        let verifying = std::iter::once(secret)
            .chain(fallbacks.iter().map(String::as_str))
            .map(|key| DecodingKey::from_secret(key.as_bytes()))
            .collect();
        Self {
            signing: EncodingKey::from_secret(secret.as_bytes()),
            verifying,
        }
    }

    pub(super) fn encode(&self, json: &[u8]) -> Result<String, SaveError> {
        let mut token = String::with_capacity(HEADER.len() + json.len() * 4 / 3 + 48);
        token.push_str(HEADER);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(json, &mut token);
        let signature = crypto::sign(token.as_bytes(), &self.signing, Algorithm::HS256)
            .map_err(|err| SaveError::Encode(err.to_string()))?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }

    pub(super) fn decode(&self, token: &str) -> Result<Decoded, Rejection> {
        let (message, signature) = token.rsplit_once('.').ok_or(Rejection::Malformed)?;
        let (header, claims) = message.split_once('.').ok_or(Rejection::Malformed)?;
        if claims.contains('.') {
            return Err(Rejection::Malformed);
        }
        check_header(header)?;
        let key_index = self
            .verifying
            .iter()
            .position(|key| {
                crypto::verify(signature, message.as_bytes(), key, Algorithm::HS256)
                    .unwrap_or(false)
            })
            .ok_or(Rejection::Signature)?;
        let json = LENIENT.decode(claims).map_err(|_| Rejection::Malformed)?;
        Ok(Decoded {
            json,
            by_fallback_key: key_index > 0,
        })
    }
}

/// The only header fields that matter: the algorithm, and `crit`, which names
/// extensions a verifier must understand (we understand none).
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// Accepts PyJWT's exact header cheaply, and any other header only if it is
/// JSON naming HS256 with no critical extensions.
fn check_header(header: &str) -> Result<(), Rejection> {
    if header == HEADER {
        return Ok(());
    }
    let bytes = LENIENT.decode(header).map_err(|_| Rejection::Malformed)?;
    let parsed: Header = serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed)?;
    if parsed.alg != "HS256" || parsed.crit.is_some() {
        return Err(Rejection::Algorithm);
    }
    Ok(())
}
