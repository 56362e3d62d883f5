//! `Session::cookie_info`: what the browser's session cookie was (size,
//! chunks, codec, issue and expiry times, key), through a real Router.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{SaveError, Session, SessionConfig, SessionLayer, SessionType};
use common::{get as send_get, Client, SECRET};
use serde_json::{json, Value};

const ISSUED: u64 = 1_764_000_000;
const HOUR: u64 = 3600;

/// A config on a clock stopped at `now`, with a one-hour lifetime.
fn config_at(codec: SessionType, now: u64, secret: &str, fallback: &[&str]) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(secret)
        .fallback_keys(fallback.iter().copied())
        .lifetime(Duration::from_secs(HOUR))
        .clock(move || UNIX_EPOCH + Duration::from_secs(now))
        .build()
        .unwrap()
}

/// `/write?size=N` stores `N` bytes of text; `/info` answers the cookie info.
fn app(config: SessionConfig) -> Router {
    async fn write(
        mut session: Session,
        axum::extract::Query(size): axum::extract::Query<Size>,
    ) -> Result<&'static str, SaveError> {
        session.insert("text", "x".repeat(size.size))?;
        Ok("ok")
    }
    async fn info(session: Session) -> Json<Value> {
        Json(match session.cookie_info() {
            None => Value::Null,
            Some(info) => json!({
                "codec": info.session_type.as_str(),
                "size": info.size,
                "chunks": info.chunks,
                "issued_at": info.issued_at.map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs()),
                "expires_at": info.expires_at.map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs()),
                "fallback_key": info.fallback_key,
            }),
        })
    }
    Router::new()
        .route("/write", get(write))
        .route("/info", get(info))
        .layer(SessionLayer::new(config))
}

#[derive(serde::Deserialize)]
struct Size {
    size: usize,
}

async fn describes_the_cookie_as_it_came(codec: SessionType) {
    let mut client = Client::new(app(config_at(codec, ISSUED, SECRET, &[])));
    assert_eq!(
        client.get("/info").await.json(),
        Value::Null,
        "no cookie yet"
    );
    client.get("/write?size=10").await;
    let sent = client.jar["session"].clone();
    let info = client.get("/info").await.json();
    assert_eq!(info["codec"], codec.as_str());
    assert_eq!(info["size"], sent.len());
    assert_eq!(info["chunks"], 0);
    assert_eq!(info["issued_at"], ISSUED);
    assert_eq!(info["expires_at"], ISSUED + HOUR);
    assert_eq!(info["fallback_key"], false);
}

async fn counts_the_chunks_of_a_large_session(codec: SessionType) {
    let mut client = Client::new(app(config_at(codec, ISSUED, SECRET, &[])));
    client.get("/write?size=5000").await;
    assert_eq!(client.jar["session"], "chunks-2", "the session is chunked");
    let joined = client.jar["sessionC1"].len() + client.jar["sessionC2"].len();
    let info = client.get("/info").await.json();
    assert_eq!(info["chunks"], 2);
    assert_eq!(info["size"], joined);
}

async fn says_when_a_fallback_key_verified_it(codec: SessionType) {
    let old = "the-previous-secret-of-this-app!";
    let mut client = Client::new(app(config_at(codec, ISSUED, old, &[])));
    client.get("/write?size=1").await;
    let rotated = app(config_at(codec, ISSUED + 60, SECRET, &[old]));
    let cookie = client.cookie_header();
    let info = send_get(&rotated, "/info", cookie.as_deref()).await.json();
    assert_eq!(info["fallback_key"], true);
    assert_eq!(
        info["issued_at"], ISSUED,
        "the issue time the cookie carries"
    );
}

async fn is_none_for_a_refused_cookie(codec: SessionType) {
    let mut client = Client::new(app(config_at(codec, ISSUED, SECRET, &[])));
    client.get("/write?size=1").await;
    let cookie = client.cookie_header().unwrap();
    let other = app(config_at(
        codec,
        ISSUED,
        "another-secret-entirely-another!",
        &[],
    ));
    let reply = send_get(&other, "/info", Some(&cookie)).await;
    assert_eq!(reply.json(), Value::Null, "a cookie of another key");
    let expired = app(config_at(codec, ISSUED + HOUR + 60, SECRET, &[]));
    let reply = send_get(&expired, "/info", Some(&cookie)).await;
    assert_eq!(reply.json(), Value::Null, "an expired cookie");
}

codec_tests!(
    keyed:
    describes_the_cookie_as_it_came,
    counts_the_chunks_of_a_large_session,
    says_when_a_fallback_key_verified_it,
    is_none_for_a_refused_cookie,
);
