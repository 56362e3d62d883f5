//! What every fuzz target does: load a session from arbitrary `Cookie`
//! header bytes. Loading must never panic, and with a keyed codec arbitrary
//! bytes must never yield a session.

use axum_cookie_session::{Session, SessionConfig, SessionType};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

/// The configuration the targets decode with: a fixed secret, a lifetime so
/// the expiry checks run too.
pub fn config(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key("fuzzing-secret-fuzzing-secret-32")
        .max_age(std::time::Duration::from_secs(3600))
        .build()
        .expect("a valid fuzzing configuration")
}

/// Loads the session from `bytes` as the `Cookie` header, both as they are and
/// after `session=`, so the fuzzer need not discover the cookie name.
pub fn load(config: &SessionConfig, bytes: &[u8]) {
    let prefixed = [b"session=".as_slice(), bytes].concat();
    for header in [bytes, prefixed.as_slice()] {
        let Ok(value) = HeaderValue::from_bytes(header) else {
            continue;
        };
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, value);
        let session: Session = config.load_from_request(&headers);
        if config.session_type() != SessionType::Base64 {
            assert!(session.is_empty(), "arbitrary bytes loaded as a session");
        }
    }
}
