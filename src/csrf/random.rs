//! Random form tokens: made here, checked here. This file imports nothing
//! else of the crate, so a login can store a fresh token without the
//! session depending on the extractor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The session key that holds the [`CsrfToken`](crate::CsrfToken).
pub const CSRF_TOKEN_KEY: &str = "_csrf";

/// Random bytes in a token (base64url: 43 characters).
const TOKEN_BYTES: usize = 32;

/// A token this crate makes: base64url of [`TOKEN_BYTES`] bytes.
pub(crate) fn is_token(token: &str) -> bool {
    token.len() == TOKEN_BYTES.div_ceil(3) * 4 - 1
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// A new token from the operating system's randomness; `None` if it gave
/// none.
pub(crate) fn new_token() -> Option<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_are_tokens() {
        let token = new_token().unwrap();
        assert!(is_token(&token), "{token}");
        assert_ne!(token, new_token().unwrap());
        assert!(!is_token("short"));
    }
}
