//! A session's own lifetime ("remember me"): `Session::set_lifetime`,
//! signed into the cookie, enforced on the server, capped, and mirrored in
//! `Max-Age`, through a real Router.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{
    SaveError, Session, SessionConfig, SessionConfigBuilder, SessionLayer, SessionType,
};
use common::{Client, SECRET};
use serde::Deserialize;
use serde_json::{Map, Value};

const START: u64 = 1_764_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// A clock a test moves forward.
#[derive(Clone)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(START)))
    }

    fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// A config with a one-hour lifetime on `clock`.
fn builder(codec: SessionType, clock: &Clock) -> SessionConfigBuilder {
    let now = clock.0.clone();
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(SECRET)
        .lifetime(Duration::from_secs(HOUR))
        .clock(move || UNIX_EPOCH + Duration::from_secs(now.load(Ordering::SeqCst)))
}

#[derive(Deserialize)]
struct Login {
    remember: Option<u64>,
}

/// `/login?remember=S` logs in, with a lifetime of S seconds if given;
/// `/session` answers the session and its lifetime; `/touch` changes it;
/// `/logout` logs out; `/store-ttl` tries to store the reserved key.
fn app(config: SessionConfig) -> Router {
    async fn login(
        mut session: Session,
        Query(login): Query<Login>,
    ) -> Result<&'static str, SaveError> {
        session.end();
        session.login(1)?;
        session.insert("theme", "dark")?;
        if let Some(seconds) = login.remember {
            session.set_lifetime(Some(Duration::from_secs(seconds)));
        }
        Ok("ok")
    }
    async fn show(session: Session) -> Json<Value> {
        let lifetime = session.lifetime().map(|lifetime| lifetime.as_secs());
        let data: Map<String, Value> = session.into_inner();
        Json(serde_json::json!({ "data": data, "lifetime": lifetime }))
    }
    async fn touch(mut session: Session) -> Result<&'static str, SaveError> {
        let visits = session.get_as::<u64>("visits").unwrap_or(0);
        session.insert("visits", visits + 1)?;
        Ok("ok")
    }
    async fn logout(mut session: Session) -> &'static str {
        session.logout();
        "ok"
    }
    async fn store_ttl(mut session: Session) -> Result<&'static str, SaveError> {
        session.insert("_ttl", 1)?;
        Ok("ok")
    }
    Router::new()
        .route("/login", get(login))
        .route("/session", get(show))
        .route("/touch", get(touch))
        .route("/logout", get(logout))
        .route("/store-ttl", get(store_ttl))
        .layer(SessionLayer::new(config))
}

fn max_age(set_cookie: &str) -> Option<u64> {
    set_cookie
        .split("; ")
        .find_map(|attribute| attribute.strip_prefix("Max-Age="))
        .map(|seconds| seconds.parse().unwrap())
}

async fn a_remembered_login_outlives_the_configured_lifetime(codec: SessionType) {
    let clock = Clock::new();
    let mut plain = Client::new(app(builder(codec, &clock).build().unwrap()));
    let mut remembered = Client::new(plain.app.clone());
    let reply = plain.get("/login").await;
    assert_eq!(
        max_age(reply.set_cookie().unwrap()),
        None,
        "a browser-session cookie"
    );
    let reply = remembered
        .get(&format!("/login?remember={}", 30 * DAY))
        .await;
    assert_eq!(max_age(reply.set_cookie().unwrap()), Some(30 * DAY));

    clock.advance(HOUR + 1);
    assert_eq!(
        plain.get("/session").await.json()["data"]["id"],
        Value::Null,
        "expired"
    );
    let session = remembered.get("/session").await.json();
    assert_eq!(session["data"]["id"], 1);
    assert_eq!(session["lifetime"], 30 * DAY);
    // The claim is the crate's: handlers never see it.
    assert_eq!(session["data"].as_object().unwrap().len(), 2, "{session}");

    clock.advance(30 * DAY - HOUR);
    assert_eq!(
        remembered.get("/session").await.json()["data"]["id"],
        Value::Null
    );
}

async fn a_lifetime_is_capped_by_the_maximum(codec: SessionType) {
    let clock = Clock::new();
    let config = builder(codec, &clock)
        .max_lifetime(Duration::from_secs(7 * DAY))
        .build()
        .unwrap();
    let mut client = Client::new(app(config));
    let reply = client.get(&format!("/login?remember={}", 365 * DAY)).await;
    assert_eq!(max_age(reply.set_cookie().unwrap()), Some(7 * DAY));
    assert_eq!(client.get("/session").await.json()["lifetime"], 7 * DAY);
    clock.advance(7 * DAY + 1);
    assert_eq!(
        client.get("/session").await.json()["data"]["id"],
        Value::Null
    );

    // A cookie issued under a higher maximum is cut to today's.
    let clock = Clock::new();
    let mut client = Client::new(app(builder(codec, &clock).build().unwrap()));
    client.get(&format!("/login?remember={}", 30 * DAY)).await;
    let lowered = builder(codec, &clock)
        .max_lifetime(Duration::from_secs(DAY))
        .build()
        .unwrap();
    client.app = app(lowered);
    clock.advance(DAY + 1);
    assert_eq!(
        client.get("/session").await.json()["data"]["id"],
        Value::Null
    );
}

async fn writes_and_renewals_keep_it(codec: SessionType) {
    let clock = Clock::new();
    let config = builder(codec, &clock)
        .sliding_expiration(true)
        .build()
        .unwrap();
    let mut client = Client::new(app(config));
    client.get(&format!("/login?remember={}", 2 * DAY)).await;
    clock.advance(HOUR);
    let reply = client.get("/touch").await;
    assert_eq!(
        max_age(reply.set_cookie().unwrap()),
        Some(2 * DAY),
        "a change"
    );
    clock.advance(DAY + 1);
    let reply = client.get("/session").await;
    assert_eq!(reply.json()["data"]["id"], 1);
    assert_eq!(
        max_age(reply.set_cookie().expect("renewed past half its lifetime")),
        Some(2 * DAY)
    );
    clock.advance(DAY + HOUR);
    assert_eq!(
        client.get("/session").await.json()["data"]["id"],
        1,
        "renewed"
    );
}

async fn a_key_rotation_keeps_it_and_its_issue_time(codec: SessionType) {
    let clock = Clock::new();
    let old = "the-previous-secret-of-this-app!";
    let old_config = builder(codec, &clock).secret_key(old).build().unwrap();
    let mut client = Client::new(app(old_config));
    client.get(&format!("/login?remember={}", 2 * DAY)).await;
    clock.advance(DAY);
    let rotated = builder(codec, &clock).fallback_keys([old]).build().unwrap();
    client.app = app(rotated);
    let reply = client.get("/session").await;
    assert_eq!(reply.json()["data"]["id"], 1);
    let set_cookie = reply.set_cookie().expect("re-issued under the current key");
    assert_eq!(max_age(set_cookie), Some(DAY), "what is left of it");
    client.app = app(builder(codec, &clock).build().unwrap());
    assert_eq!(client.get("/session").await.json()["lifetime"], 2 * DAY);
    clock.advance(DAY + 1);
    assert_eq!(
        client.get("/session").await.json()["data"]["id"],
        Value::Null
    );
}

async fn logging_out_drops_it(codec: SessionType) {
    let clock = Clock::new();
    let mut client = Client::new(app(builder(codec, &clock).build().unwrap()));
    client.get(&format!("/login?remember={}", 2 * DAY)).await;
    let reply = client.get("/logout").await;
    assert_eq!(
        max_age(reply.set_cookie().unwrap()),
        None,
        "a browser-session cookie"
    );
    let session = client.get("/session").await.json();
    assert_eq!(session["lifetime"], Value::Null, "the configured one");
    assert_eq!(session["data"]["theme"], "dark", "the rest is kept");
    clock.advance(HOUR + 1);
    assert_eq!(
        client.get("/session").await.json()["data"],
        Value::Object(Map::new())
    );
}

async fn the_claim_is_reserved(codec: SessionType) {
    let clock = Clock::new();
    let mut client = Client::new(app(builder(codec, &clock).build().unwrap()));
    let reply = client.get("/store-ttl").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookie().is_none());
}

codec_tests!(
    a_remembered_login_outlives_the_configured_lifetime,
    a_lifetime_is_capped_by_the_maximum,
    writes_and_renewals_keep_it,
    logging_out_drops_it,
    the_claim_is_reserved,
);

codec_tests!(
    keyed:a_key_rotation_keeps_it_and_its_issue_time);
