//! The adversarial suite: every cookie an attacker can make out of a valid
//! one, or from nothing, loads as an empty session with a `200`, never as
//! data and never as a `500`. Each test counts what was accepted and asserts
//! the count is zero.

mod common;

use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{Session, SessionConfig, SessionLayer, SessionType};
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::Hmac;
use http::header::COOKIE;
use http::{HeaderValue, Request, StatusCode};
use serde_json::{json, Map, Value};

/// `/read` answers the session; `/write` stores something, so that saving
/// after a rejected cookie is exercised too.
fn app(config: SessionConfig) -> Router {
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    async fn write(mut session: Session) -> &'static str {
        session.insert("visits", 1).unwrap();
        "written"
    }
    Router::new()
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(SessionLayer::new(config.clone()))
}

/// What a batch of forged cookies achieved.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    sent: usize,
    /// Loaded as a non-empty session.
    accepted: usize,
    /// Answered anything but `200`.
    errors: usize,
}

/// Sends each cookie value (as raw header bytes) to `/read` and `/write`.
async fn attack(app: &Router, name: &str, values: impl IntoIterator<Item = Vec<u8>>) -> Outcome {
    let mut outcome = Outcome::default();
    for value in values {
        let mut header = format!("{name}=").into_bytes();
        header.extend_from_slice(&value);
        // A few flips make bytes no HTTP client can send (control bytes).
        let Ok(header) = HeaderValue::from_bytes(&header) else {
            continue;
        };
        outcome.sent += 1;
        for uri in ["/read", "/write"] {
            let request = Request::get(uri)
                .header(COOKIE, header.clone())
                .body(Body::empty())
                .unwrap();
            let reply = common::send(app, request).await;
            if reply.status != StatusCode::OK {
                outcome.errors += 1;
            } else if uri == "/read" && reply.json() != json!({}) {
                outcome.accepted += 1;
            }
        }
    }
    outcome
}

fn session_data() -> Value {
    json!({"id": 1, "name": "alice", "roles": ["admin"], "csrf": "0123456789abcdef"})
}

/// Every single-bit flip of `bytes`.
fn bit_flips(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..bytes.len() * 8).map(move |bit| {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        flipped
    })
}

/// The same token with one bit of its decoded bytes flipped, re-encoded:
/// for a JWT, in each of its three parts; for Fernet, anywhere.
fn decoded_bit_flips(codec: SessionType, token: &str) -> Vec<Vec<u8>> {
    if codec == SessionType::Fernet {
        let bytes = URL_SAFE.decode(token).unwrap();
        return bit_flips(&bytes)
            .map(|flipped| URL_SAFE.encode(flipped).into_bytes())
            .collect();
    }
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
        for flipped in bit_flips(&bytes) {
            let mut parts: Vec<String> = parts.iter().map(|part| (*part).to_owned()).collect();
            parts[index] = URL_SAFE_NO_PAD.encode(flipped);
            forged.push(parts.join(".").into_bytes());
        }
    }
    forged
}

async fn no_bit_flipped_token_is_ever_accepted(codec: SessionType) {
    let config = common::config(codec);
    let app = app(config.clone());
    let token = common::encode(&config, session_data());
    // The untouched token is accepted: the attack starts from a valid cookie.
    let genuine = attack(&app, "session", [token.clone().into_bytes()]).await;
    assert_eq!(genuine.accepted, 1, "{codec}");

    let text_flips: Vec<Vec<u8>> = bit_flips(token.as_bytes()).collect();
    let outcome = attack(&app, "session", text_flips).await;
    assert!(outcome.sent > token.len() * 6, "{codec}: {outcome:?}");
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );

    let outcome = attack(&app, "session", decoded_bit_flips(codec, &token)).await;
    assert!(outcome.sent > token.len() * 5, "{codec}: {outcome:?}");
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );
}

async fn no_other_spelling_of_a_token_is_accepted(codec: SessionType) {
    let config = common::config(codec);
    let token = common::encode(&config, session_data());
    let unpadded = token.trim_end_matches('=');
    let spellings = [
        format!("{token}===="),
        format!("{token}========"),
        format!("{unpadded}="),
        format!("{token}="),
        format!("\"{token}\"x"),
        format!(" {token}x"),
    ];
    let others = spellings
        .into_iter()
        .filter(|spelling| *spelling != token)
        .map(String::into_bytes);
    let outcome = attack(&app(config), "session", others).await;
    assert!(outcome.sent >= 5, "{codec}: {outcome:?}");
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );
}

async fn no_truncated_token_is_ever_accepted(codec: SessionType) {
    let config = common::config(codec);
    let token = common::encode(&config, session_data());
    let prefixes = (0..token.len()).map(|end| token.as_bytes()[..end].to_vec());
    let suffixes = (1..token.len()).map(|start| token.as_bytes()[start..].to_vec());
    let outcome = attack(&app(config), "session", prefixes.chain(suffixes)).await;
    assert_eq!(outcome.sent, 2 * token.len() - 1, "{codec}");
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Garbage(u64);

impl Garbage {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Random bytes shaped like a token of `codec`: base64 parts of random bytes.
    fn token_shaped(&mut self, codec: SessionType) -> Vec<u8> {
        let len = (self.next() % 300) as usize;
        let random = self.bytes(len);
        match codec {
            SessionType::Fernet => {
                let mut bytes = vec![0x80];
                bytes.extend(random);
                URL_SAFE.encode(bytes).into_bytes()
            }
            _ => {
                let third = random.len() / 3;
                let parts = [
                    URL_SAFE_NO_PAD.encode(&random[..third]),
                    URL_SAFE_NO_PAD.encode(&random[third..2 * third]),
                    URL_SAFE_NO_PAD.encode(&random[2 * third..]),
                ];
                parts.join(".").into_bytes()
            }
        }
    }
}

async fn random_garbage_is_never_accepted(codec: SessionType) {
    let app = app(common::config(codec));
    let mut garbage = Garbage(0x9E37_79B9_7F4A_7C15);
    let raw: Vec<Vec<u8>> = (0..500)
        .map(|_| {
            let len = (garbage.next() % 400) as usize;
            garbage.bytes(len)
        })
        .collect();
    let shaped: Vec<Vec<u8>> = (0..500).map(|_| garbage.token_shaped(codec)).collect();
    let outcome = attack(&app, "session", raw.into_iter().chain(shaped)).await;
    assert!(outcome.sent > 500, "{codec}: {outcome:?}");
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );
}

type Hs256 = Hmac<sha2::Sha256>;
type Hs384 = Hmac<sha2::Sha384>;
type Hs512 = Hmac<sha2::Sha512>;

/// A JWT with this header, signed with the test secret by the MAC `M`,
/// whatever the header says.
fn signed<M: hmac::Mac + hmac::digest::KeyInit>(header: &str, claims: &Value) -> Vec<u8> {
    common::jwt_signed_with(header, claims, |message| {
        common::hmac::<M>(common::SECRET, message)
    })
    .into_bytes()
}

/// A JWT with this header and an empty signature.
fn unsigned(header: &str, claims: &Value) -> Vec<u8> {
    common::jwt_signed_with(header, claims, |_| Vec::new()).into_bytes()
}

#[tokio::test]
async fn only_hs256_headers_are_accepted() {
    let app = app(common::config(SessionType::Jwt));
    let claims = session_data();
    // The attack is meaningful: the same claims under PyJWT's header load.
    let genuine = signed::<Hs256>(r#"{"alg":"HS256","typ":"JWT"}"#, &claims);
    assert_eq!(attack(&app, "session", [genuine]).await.accepted, 1);

    let forged = [
        unsigned(r#"{"alg":"none","typ":"JWT"}"#, &claims),
        unsigned(r#"{"alg":"None"}"#, &claims),
        signed::<Hs256>(r#"{"alg":"none","typ":"JWT"}"#, &claims),
        signed::<Hs384>(r#"{"alg":"HS384","typ":"JWT"}"#, &claims),
        signed::<Hs512>(r#"{"alg":"HS512","typ":"JWT"}"#, &claims),
        // Algorithm confusion: an RS256 header over a valid HMAC.
        signed::<Hs256>(r#"{"alg":"RS256","typ":"JWT"}"#, &claims),
        signed::<Hs256>(r#"{"alg":"hs256"}"#, &claims),
        signed::<Hs256>(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#, &claims),
        signed::<Hs256>(r#"{"typ":"JWT"}"#, &claims),
        signed::<Hs256>(r#"["HS256"]"#, &claims),
        signed::<Hs256>("not json", &claims),
        // A valid signature over claims that are not an object.
        signed::<Hs256>(r#"{"alg":"HS256"}"#, &json!(["id", 1])),
        signed::<Hs256>(r#"{"alg":"HS256"}"#, &json!("id")),
    ];
    let outcome = attack(&app, "session", forged).await;
    assert_eq!(outcome.sent, 13);
    assert_eq!((outcome.accepted, outcome.errors), (0, 0), "{outcome:?}");
}

async fn signing_never_uses_a_fallback_key(codec: SessionType) {
    // Flask's GHSA-4grg-w6v8-c28g: a session signed with the last fallback key.
    let rotating = SessionConfig::builder()
        .session_type(codec)
        .secret_key("new-key-new-key-new-key-new-key!")
        .fallback_keys(["old-key-old-key-old-key-old-key!"])
        .build()
        .unwrap();
    let token = common::encode(&rotating, session_data());
    let new_only = common::config_with_secret(codec, "new-key-new-key-new-key-new-key!");
    let old_only = common::config_with_secret(codec, "old-key-old-key-old-key-old-key!");
    assert_eq!(
        Value::Object(common::decode(&new_only, &token)),
        session_data(),
        "{codec}"
    );
    assert_eq!(common::decode(&old_only, &token), Map::new(), "{codec}");
}

async fn a_removed_fallback_key_no_longer_opens_anything(codec: SessionType) {
    let old = common::config_with_secret(codec, "old-key-old-key-old-key-old-key!");
    let token = common::encode(&old, session_data()).into_bytes();
    let rotating = SessionConfig::builder()
        .session_type(codec)
        .secret_key("new-key-new-key-new-key-new-key!")
        .fallback_keys(["old-key-old-key-old-key-old-key!"])
        .build()
        .unwrap();
    let during = attack(&app(rotating), "session", [token.clone()]).await;
    assert_eq!(during.accepted, 1, "{codec}: rotation window");
    let after = common::config_with_secret(codec, "new-key-new-key-new-key-new-key!");
    let outcome = attack(&app(after), "session", [token]).await;
    assert_eq!(
        (outcome.accepted, outcome.errors),
        (0, 0),
        "{codec}: {outcome:?}"
    );
}

#[tokio::test]
async fn hostile_cookie_headers_are_an_empty_session() {
    let config = common::config(SessionType::Jwt);
    let token = common::encode(&config, session_data());
    let app = app(config);
    let huge_value = "A".repeat(1 << 20);
    let many_cookies = (0..20_000)
        .map(|i| format!("c{i}=v"))
        .collect::<Vec<_>>()
        .join("; ");
    let headers: Vec<Vec<u8>> = vec![
        b"session=\xff\xfe\xfd".to_vec(),
        [b"session=".as_slice(), token.as_bytes(), b"\xff"].concat(),
        format!("session={huge_value}").into_bytes(),
        format!("{many_cookies}; session={huge_value}").into_bytes(),
        format!(
            "session=chunks-8; {}",
            (1..=8)
                .map(|i| format!("sessionC{i}={huge_value}"))
                .collect::<Vec<_>>()
                .join("; ")
        )
        .into_bytes(),
        b"session".to_vec(),
        b"=session".to_vec(),
        b";;;;;".to_vec(),
        b"session=\"quoted\"".to_vec(),
    ];
    let mut outcome = Outcome::default();
    for header in headers {
        let request = Request::get("/read")
            .header(COOKIE, HeaderValue::from_bytes(&header).unwrap())
            .body(Body::empty())
            .unwrap();
        let reply = common::send(&app, request).await;
        outcome.sent += 1;
        if reply.status != StatusCode::OK {
            outcome.errors += 1;
        } else if reply.json() != json!({}) {
            outcome.accepted += 1;
        }
    }
    assert_eq!(
        outcome,
        Outcome {
            sent: 9,
            accepted: 0,
            errors: 0
        }
    );
}

codec_tests!(
    keyed:
    no_bit_flipped_token_is_ever_accepted,
    no_other_spelling_of_a_token_is_accepted,
    no_truncated_token_is_ever_accepted,
    random_garbage_is_never_accepted,
    signing_never_uses_a_fallback_key,
    a_removed_fallback_key_no_longer_opens_anything,
);
