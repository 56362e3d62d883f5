//! Each codec's load + save cycle, beside the primitives it is made of,
//! measured in the same run: a cookie is decoded, one value changes, and the
//! new cookie is encoded, through the public API
//! (`load_from_request` / `save_to_response`).
//!
//! Run with `cargo bench --bench codecs`; the ratio table is printed at the end.

mod support;

use std::hint::black_box;

use axum_cookie_session::{Session, SessionConfig, SessionType};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::Criterion;
use hmac::{Hmac, Mac};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use support::apps::{config, SECRET};

/// The request header carrying `payload` as a `codec` cookie.
fn cookie(config: &SessionConfig, payload: &Map<String, Value>) -> HeaderValue {
    let mut session: Session = config.load_from_request(&HeaderMap::new()).expect("a map");
    for (key, value) in payload {
        session
            .insert(key.clone(), value.clone())
            .expect("JSON values serialize");
    }
    let mut headers = HeaderMap::new();
    config
        .save_to_response(session, &mut headers)
        .expect("saved");
    let set_cookie = headers["set-cookie"].to_str().expect("ASCII");
    let pair = set_cookie.split(';').next().expect("a pair");
    HeaderValue::from_str(pair).expect("valid header")
}

/// Load, bump `visits`, save: what a handler that writes pays for the cookie.
fn cycle(config: &SessionConfig, cookie: &HeaderValue) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, cookie.clone());
    let mut session: Session = config.load_from_request(&headers).expect("a map");
    let visits = session.get("visits").and_then(Value::as_u64).unwrap_or(0);
    session
        .insert("visits", visits + 1)
        .expect("a number serializes");
    let mut out = HeaderMap::new();
    config.save_to_response(session, &mut out).expect("saved");
    out
}

/// Every row for one payload: each codec's cycle, then the primitives, each
/// as a round trip (one decode and one encode).
fn routines(payload: &Map<String, Value>) -> Vec<support::Routine<'static>> {
    let json = serde_json::to_vec(payload).expect("JSON");
    let mut routines: Vec<support::Routine<'static>> = Vec::new();
    for (name, codec) in [
        ("jwt_cycle", SessionType::Jwt),
        ("fernet_cycle", SessionType::Fernet),
        ("base64_cycle", SessionType::Base64),
    ] {
        let config = config(codec);
        let cookie = cookie(&config, payload);
        routines.push((
            name.to_owned(),
            Box::new(move || drop(black_box(cycle(&config, &cookie)))),
        ));
    }
    let json_bytes = json.clone();
    routines.push((
        "json".into(),
        Box::new(move || {
            let object: Map<String, Value> =
                serde_json::from_slice(black_box(&json_bytes)).expect("JSON");
            black_box(serde_json::to_vec(&object).expect("JSON"));
        }),
    ));
    let encoded = URL_SAFE_NO_PAD.encode(&json);
    let base64_input = encoded.clone();
    routines.push((
        "base64".into(),
        Box::new(move || {
            let decoded = URL_SAFE_NO_PAD
                .decode(black_box(&base64_input))
                .expect("base64");
            black_box(URL_SAFE_NO_PAD.encode(decoded));
        }),
    ));
    let key = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    let message = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{encoded}");
    routines.push((
        "hmac".into(),
        Box::new(move || {
            let mut signer = key.clone();
            signer.update(black_box(message.as_bytes()));
            let signature = signer.finalize().into_bytes();
            let mut verifier = key.clone();
            verifier.update(black_box(message.as_bytes()));
            verifier.verify_slice(&signature).expect("verifies");
        }),
    ));
    let fernet = fernet::Fernet::new(&fernet::Fernet::generate_key()).expect("a key");
    let token = fernet.encrypt(&json);
    routines.push((
        "fernet_crypto".into(),
        Box::new(move || {
            let plain = fernet.decrypt(black_box(&token)).expect("decrypts");
            black_box(fernet.encrypt(&plain));
        }),
    ));
    routines
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    for (name, payload) in support::payloads() {
        let mut group = criterion.benchmark_group(format!("codec-{name}"));
        for (bench, mut routine) in routines(&payload) {
            group.bench_function(bench, |b| b.iter(&mut routine));
        }
        group.finish();
    }
    criterion.final_summary();

    let mut report = support::Report::new("codecs");
    for (name, payload) in support::payloads() {
        report.measure(&format!("codec-{name}"), &payload, routines(&payload));
    }
    report.targets_header();
    for (name, _) in support::payloads() {
        let group = format!("codec-{name}");
        let id = |bench: &str| support::id(&group, bench);
        report.target(
            &format!("{name}: jwt cycle / (json + base64 + hmac)"),
            &[&id("jwt_cycle")],
            &[&id("json"), &id("base64"), &id("hmac")],
            1.3,
        );
        report.target(
            &format!("{name}: fernet cycle / (json + fernet)"),
            &[&id("fernet_cycle")],
            &[&id("json"), &id("fernet_crypto")],
            1.3,
        );
    }
    report.finish();
}
