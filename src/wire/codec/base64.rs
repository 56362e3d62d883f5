//! `base64`: `urlsafe_b64encode(json)`, as muffin-session writes it.
//!
//! No signature and no encryption: a client can read and rewrite it freely.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE as PADDED};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::{CookieCodec, DecodeError, Decoded};
use crate::error::ConfigError;

/// URL-safe alphabet that accepts a value with or without its `=` padding.
pub(super) const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `base64` codec: it has no key.
#[derive(Debug)]
pub(super) struct Base64;

impl CookieCodec for Base64 {
    fn new(_keys: &[&str]) -> Result<Self, ConfigError> {
        Ok(Self)
    }

    fn keyed() -> bool {
        false
    }

    fn encode(&self, json: &[u8], _now: u64) -> String {
        PADDED.encode(json)
    }

    fn decode(&self, token: &str, _now: u64) -> Result<Decoded, DecodeError> {
        let json = LENIENT.decode(token).map_err(|_| DecodeError::Malformed)?;
        Ok(Decoded {
            json,
            timestamp: None,
            by_fallback_key: false,
        })
    }
}
