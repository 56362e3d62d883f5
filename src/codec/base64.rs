//! `base64`: `urlsafe_b64encode(json)`, as muffin-session writes it.
//!
//! No signature and no encryption: a client can read and rewrite it freely.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE as PADDED};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::Rejection;

/// URL-safe alphabet that accepts a value with or without its `=` padding.
pub(super) const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) fn encode(json: &[u8]) -> String {
    PADDED.encode(json)
}

pub(super) fn decode(token: &str) -> Result<Vec<u8>, Rejection> {
    LENIENT.decode(token).map_err(|_| Rejection::Malformed)
}
