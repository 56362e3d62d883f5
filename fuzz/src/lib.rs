//! What the fuzz targets do: load a session from arbitrary `Cookie` header
//! bytes (loading must never panic, and with a keyed codec arbitrary bytes
//! must never yield a session), or from arbitrary claims signed with the key.

use axum_cookie_session::{Session, SessionConfig, SessionType};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

/// The key [`config`] signs with.
const SECRET: &str = "fuzzing-secret-fuzzing-secret-32";

/// The configuration the targets decode with: a fixed secret, a lifetime so
/// the expiry checks run too.
pub fn config(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(SECRET)
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
        let session: Session = config
            .load_from_request(&headers)
            .expect("a map is an object");
        if config.session_type() != SessionType::Base64 {
            assert!(session.is_empty(), "arbitrary bytes loaded as a session");
        }
    }
}

/// Signs `claims` (any bytes) as a JWT with [`config`]'s key, loads it, and
/// when it loads, changes and saves it: saving may refuse the session with a
/// typed error, but what it saves must load back as it was saved.
pub fn load_signed_claims(config: &SessionConfig, claims: &[u8]) {
    let message = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}",
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    mac.update(message.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let mut session: Session = load_cookie(config, &format!("session={message}.{signature}"));
    session.insert("fuzzed", true).expect("a bool serializes");
    let expected = session.clone();
    let mut headers = HeaderMap::new();
    // Refused (a typed error), or unchanged: nothing was sent to check.
    let Ok(true) = config.save_to_response(session, &mut headers) else {
        return;
    };
    // What a browser sends back: every cookie set (chunks too), none removed.
    let pairs: Vec<&str> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().expect("an ASCII Set-Cookie"))
        .filter(|set_cookie| !set_cookie.contains("Max-Age=0"))
        .filter_map(|set_cookie| set_cookie.split(';').next())
        .collect();
    let reloaded: Session = load_cookie(config, &pairs.join("; "));
    assert_eq!(*reloaded, expected, "a saved session did not load back");
}

fn load_cookie(config: &SessionConfig, cookie: &str) -> Session {
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_str(cookie).expect("an ASCII cookie"),
    );
    config
        .load_from_request(&headers)
        .expect("a map is an object")
}
