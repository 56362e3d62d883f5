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

const SECRET: &str = "a-benchmark-secret-of-32-bytes!!";

fn config(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(SECRET)
        .build()
        .expect("valid config")
}

/// The request header carrying `payload` as a `codec` cookie.
fn cookie(config: &SessionConfig, payload: &Map<String, Value>) -> HeaderValue {
    let mut session: Session = config.load_from_request(&HeaderMap::new());
    for (key, value) in payload {
        session.insert(key.clone(), value.clone());
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
    let mut session: Session = config.load_from_request(&headers);
    let visits = session.get("visits").and_then(Value::as_u64).unwrap_or(0);
    session.insert("visits", visits + 1);
    let mut out = HeaderMap::new();
    config.save_to_response(session, &mut out).expect("saved");
    out
}

fn bench_payload(c: &mut Criterion, name: &str, payload: &Map<String, Value>) {
    let json = serde_json::to_vec(payload).expect("JSON");
    let mut group = c.benchmark_group(format!("codec-{name}"));

    for codec in [SessionType::Jwt, SessionType::Fernet, SessionType::Base64] {
        let config = config(codec);
        let cookie = cookie(&config, payload);
        group.bench_function(format!("{codec}_cycle"), |b| {
            b.iter(|| cycle(&config, black_box(&cookie)))
        });
    }

    // The primitives, each as a round trip (one decode + one encode).
    group.bench_function("json", |b| {
        b.iter(|| {
            let object: Map<String, Value> =
                serde_json::from_slice(black_box(&json)).expect("JSON");
            serde_json::to_vec(&object).expect("JSON")
        })
    });
    let encoded = URL_SAFE_NO_PAD.encode(&json);
    group.bench_function("base64", |b| {
        b.iter(|| {
            let decoded = URL_SAFE_NO_PAD.decode(black_box(&encoded)).expect("base64");
            URL_SAFE_NO_PAD.encode(decoded)
        })
    });
    let key = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    let message = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{encoded}");
    group.bench_function("hmac", |b| {
        b.iter(|| {
            let mut signer = key.clone();
            signer.update(black_box(message.as_bytes()));
            let signature = signer.finalize().into_bytes();
            let mut verifier = key.clone();
            verifier.update(black_box(message.as_bytes()));
            verifier.verify_slice(&signature).expect("verifies")
        })
    });
    let fernet = fernet::Fernet::new(&fernet::Fernet::generate_key()).expect("a key");
    let token = fernet.encrypt(&json);
    group.bench_function("fernet_crypto", |b| {
        b.iter(|| {
            let plain = fernet.decrypt(black_box(&token)).expect("decrypts");
            fernet.encrypt(&plain)
        })
    });
    group.finish();
}

fn report() {
    let mut report = support::Report::new("codecs");
    for (name, payload) in support::payloads() {
        let group = format!("codec-{name}");
        let id = |bench: &str| support::id(&group, bench);
        let rows: Vec<String> = [
            "jwt_cycle",
            "fernet_cycle",
            "base64_cycle",
            "json",
            "base64",
            "hmac",
            "fernet_crypto",
        ]
        .iter()
        .map(|bench| id(bench))
        .collect();
        let title = format!(
            "{name} payload ({} bytes of JSON)",
            support::json_len(&payload)
        );
        report.table(&title, &rows, &id("json"));
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

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    for (name, payload) in support::payloads() {
        bench_payload(&mut criterion, name, &payload);
    }
    criterion.final_summary();
    report();
}
