//! Property tests: arbitrary JSON objects round trip through every codec, and
//! no input, however arbitrary, makes a decoder panic or forge a session.

mod common;

use axum_cookie_session::{Session, SessionType};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any JSON value: every scalar kind (finite floats included), nested arrays
/// and objects, strings of any Unicode.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A non-empty session object (an empty one writes no cookie). Keys start with `k`: the crate reserves a few claim
/// names (such as `_iat` and, for JWTs shared with muffin-session, `exp`).
fn session_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("k.{0,8}", json_value(), 1..6)
        .prop_map(|map| map.into_iter().collect())
}

fn load(codec: SessionType, cookie: &[u8]) -> Map<String, Value> {
    let config = common::config(codec);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(cookie) {
        headers.insert(COOKIE, value);
    }
    let session: Session = config.load_from_request(&headers).unwrap();
    session.into_inner()
}

proptest! {
    // Failures print their minimal input; there is no source tree to save them in.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_object_round_trips_through_every_codec(object in session_object()) {
        for codec in common::codecs() {
            let config = common::config(codec);
            let token = common::encode(&config, Value::Object(object.clone()));
            prop_assert_eq!(common::decode(&config, &token), object.clone(), "{}", codec);
        }
    }

    #[test]
    fn any_signed_claims_load_and_save_without_a_server_error(
        object in prop::collection::btree_map(
            prop_oneof![Just("exp".to_owned()), Just("iat".to_owned()), Just("nbf".to_owned()),
                        Just("aud".to_owned()), Just("sub".to_owned()), Just("jti".to_owned()),
                        Just("_iat".to_owned()), Just("id".to_owned()), ".{0,4}"],
            json_value(),
            0..6,
        ),
    ) {
        // Past the signature: claims a Python app (or an attacker with the
        // key) could write, with any values, then a handler that saves.
        let claims = Value::Object(object.into_iter().collect());
        let token = common::sign_jwt(common::SECRET, common::PYJWT_HEADER, &claims);
        let config = axum_cookie_session::SessionConfig::builder()
            .secret_key(common::SECRET)
            .max_age(std::time::Duration::from_secs(3600))
            .sliding_expiration(true)
            .build()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&format!("session={token}")).unwrap());
        let mut session: Session = config.load_from_request(&headers).unwrap();
        session.insert("visits", 1).unwrap();
        let saved = config.save_to_response(session, &mut HeaderMap::new());
        prop_assert!(saved.is_ok(), "{:?} for {}", saved.err(), claims);
    }

    #[test]
    fn arbitrary_cookie_values_never_panic_or_forge(value in ".{0,200}") {
        for codec in common::codecs() {
            let session = load(codec, format!("session={value}").as_bytes());
            if codec != SessionType::Base64 {
                prop_assert!(session.is_empty(), "{} accepted {:?}", codec, value);
            }
        }
    }

    #[test]
    fn arbitrary_cookie_header_bytes_never_panic_or_forge(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        for codec in common::keyed_codecs() {
            prop_assert!(load(codec, &bytes).is_empty(), "{}", codec);
        }
    }
}
