//! Wire compatibility with muffin-session 2.6: cookies minted by the real
//! Python package (golden vectors made by `tests/python/make_vectors.py`) load
//! here with the same secret, and cookies minted here decode to the same data.
//! `.ci/run` also checks both directions live against the `auto` example.

mod common;

use axum_cookie_session::{SessionConfig, SessionType};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Vectors {
    generator: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    codec: SessionType,
    secret: String,
    payload: Map<String, Value>,
    token: String,
}

fn vectors() -> Vec<Vector> {
    let path = std::env::var("MUFFIN_VECTORS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/muffin_session_2_6.json"
        )
        .to_owned()
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let vectors: Vectors = serde_json::from_str(&text).unwrap();
    assert!(vectors.generator.starts_with("muffin-session 2.6"));
    vectors
        .vectors
        .into_iter()
        .filter(|vector| common::codecs().contains(&vector.codec))
        .collect()
}

fn config(vector: &Vector) -> SessionConfig {
    common::config_with_secret(vector.codec, &vector.secret)
}

#[test]
fn python_minted_cookies_load() {
    let vectors = vectors();
    for codec in common::codecs() {
        assert!(
            vectors.iter().filter(|v| v.codec == codec).count() >= 10,
            "too few {codec} vectors"
        );
    }
    for vector in &vectors {
        let loaded = common::decode(&config(vector), &vector.token);
        assert_eq!(
            loaded, vector.payload,
            "{} vector {}",
            vector.codec, vector.token
        );
    }
}

#[test]
fn crate_minted_cookies_round_trip_the_python_payloads() {
    for vector in vectors() {
        if vector.payload.is_empty() {
            continue; // an empty session is unchanged: nothing to save
        }
        let config = config(&vector);
        let token = common::encode(&config, Value::Object(vector.payload.clone()));
        assert_eq!(common::decode(&config, &token), vector.payload);
    }
}

#[test]
fn base64_cookies_load_without_their_padding() {
    for vector in vectors().iter().filter(|v| v.codec == SessionType::Base64) {
        let unpadded = vector.token.trim_end_matches('=');
        assert_eq!(common::decode(&config(vector), unpadded), vector.payload);
    }
}

#[test]
fn python_cookies_with_another_secret_are_empty() {
    for vector in vectors().iter().filter(|v| v.codec != SessionType::Base64) {
        let other = common::config_with_secret(vector.codec, "another secret entirely");
        assert!(common::decode(&other, &vector.token).is_empty());
    }
}

#[test]
fn jwt_header_is_pyjwts() {
    let config = common::config(SessionType::Jwt);
    let token = common::encode(&config, serde_json::json!({"id": 1}));
    let header = token.split('.').next().unwrap();
    // base64url of {"alg":"HS256","typ":"JWT"}, as PyJWT writes it.
    assert_eq!(header, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
}
