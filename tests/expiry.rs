//! Expiry enforced on the server, measured by a clock the test moves (no
//! sleeps): a cookie older than its lifetime loads as empty, whatever the
//! browser does with `Max-Age`; tokens from the future are refused; sliding
//! expiration re-issues; JWTs stay readable by muffin-session.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{
    SaveError, Session, SessionConfig, SessionConfigBuilder, SessionLayer, SessionType, CLOCK_SKEW,
    ISSUED_AT_CLAIM,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{get as send_get, Client};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

const START: u64 = 1_764_000_000;
const HOUR: u64 = 3600;

/// A clock the test sets, in Unix seconds.
#[derive(Clone)]
struct TestClock(Arc<AtomicU64>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(START)))
    }

    fn set(&self, seconds: u64) {
        self.0.store(seconds, Ordering::Relaxed);
    }

    /// A config with a one-hour max-age (and so lifetime) on this clock.
    fn hour(&self, codec: SessionType) -> SessionConfig {
        self.builder(codec)
            .max_age(Duration::from_secs(HOUR))
            .build()
            .unwrap()
    }

    /// A jwt cookie value holding `data` as muffin-session mints it: no
    /// issue time, made at this clock's time.
    fn muffin_token(&self, data: Value) -> String {
        let muffin = self
            .builder(SessionType::Jwt)
            .unlimited_lifetime()
            .build()
            .unwrap();
        let token = common::encode(&muffin, data);
        assert!(
            jwt_claims(&token).get(ISSUED_AT_CLAIM).is_none(),
            "no issue time"
        );
        token
    }

    fn builder(&self, codec: SessionType) -> SessionConfigBuilder {
        let seconds = Arc::clone(&self.0);
        SessionConfig::builder()
            .session_type(codec)
            .secret_key(common::SECRET)
            .clock(move || UNIX_EPOCH + Duration::from_secs(seconds.load(Ordering::Relaxed)))
    }
}

/// `/write?k=v` stores the query's keys; `/read` answers the session.
fn app(config: SessionConfig) -> Router {
    async fn write(
        mut session: Session,
        Query(query): Query<Map<String, Value>>,
    ) -> Result<&'static str, SaveError> {
        for (key, value) in query {
            session.insert(key, value)?;
        }
        Ok("written")
    }
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    Router::new()
        .route("/write", get(write))
        .route("/read", get(read))
        .layer(SessionLayer::new(config.clone()))
}

/// The claims of a JWT, read without checking anything.
fn jwt_claims(token: &str) -> Value {
    let claims = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
}

async fn a_cookie_older_than_the_max_age_loads_as_empty(codec: SessionType) {
    let clock = TestClock::new();
    let config = clock.hour(codec);
    assert_eq!(config.lifetime(), Some(Duration::from_secs(HOUR)));
    let mut client = Client::new(app(config));
    client.get("/write?user=alice").await;

    clock.set(START + HOUR);
    let reply = client.get("/read").await;
    assert_eq!(
        reply.json(),
        json!({"user": "alice"}),
        "{codec}: still valid"
    );

    clock.set(START + HOUR + 1);
    let reply = client.get("/read").await;
    assert_eq!(reply.status, StatusCode::OK, "{codec}");
    assert_eq!(reply.json(), json!({}), "{codec}: expired but accepted");
}

async fn an_explicit_lifetime_is_checked_without_a_max_age(codec: SessionType) {
    let clock = TestClock::new();
    let config = clock
        .builder(codec)
        .lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut client = Client::new(app(config));
    let reply = client.get("/write?a=1").await;
    assert!(!reply.set_cookies()[0].contains("Max-Age"), "{codec}");
    clock.set(START + 61);
    assert_eq!(client.get("/read").await.json(), json!({}), "{codec}");
}

async fn tokens_from_the_future_are_refused_beyond_the_clock_skew(codec: SessionType) {
    let clock = TestClock::new();
    let config = clock.hour(codec);
    let app = app(config.clone());
    for (ahead, accepted) in [(CLOCK_SKEW, true), (CLOCK_SKEW + 1, false)] {
        // Minted by a server whose clock is ahead.
        clock.set(START + ahead);
        let token = common::encode(&config, json!({"a": 1}));
        clock.set(START);
        let cookie = format!("session={token}");
        let reply = send_get(&app, "/read", Some(&cookie)).await;
        let expected = if accepted { json!({"a": 1}) } else { json!({}) };
        assert_eq!(reply.json(), expected, "{codec}, {ahead} s ahead");
    }
}

async fn sliding_expiration_reissues_past_half_the_lifetime(codec: SessionType) {
    let clock = TestClock::new();
    let config = clock
        .builder(codec)
        .max_age(Duration::from_secs(HOUR))
        .sliding_expiration(true)
        .build()
        .unwrap();
    let mut client = Client::new(app(config));
    client.get("/write?a=1").await;

    clock.set(START + HOUR / 2);
    let reply = client.get("/read").await;
    assert!(reply.set_cookies().is_empty(), "{codec}: renewed too early");

    clock.set(START + HOUR / 2 + 1);
    let reply = client.get("/read").await;
    assert_eq!(reply.set_cookies().len(), 1, "{codec}: not renewed");

    // Past the first cookie's lifetime, the renewed one still works.
    clock.set(START + HOUR + 10);
    assert_eq!(
        client.get("/read").await.json(),
        json!({"a": "1"}),
        "{codec}"
    );
}

#[tokio::test]
async fn without_sliding_expiration_reading_never_reissues() {
    let clock = TestClock::new();
    let config = clock.hour(SessionType::Jwt);
    let mut client = Client::new(app(config));
    client.get("/write?a=1").await;
    clock.set(START + HOUR - 1);
    assert!(client.get("/read").await.set_cookies().is_empty());
}

#[tokio::test]
async fn jwt_issue_time_is_a_private_claim_that_handlers_never_see() {
    let clock = TestClock::new();
    let config = clock.hour(SessionType::Jwt);
    let mut client = Client::new(app(config));
    client.get("/write?user=alice").await;
    let claims = jwt_claims(&client.jar["session"]);
    // muffin-session's PyJWT would 500 on an expired `exp` or a future `iat`,
    // so neither is written while compatibility is on.
    assert_eq!(claims, json!({ISSUED_AT_CLAIM: START, "user": "alice"}));
    assert_eq!(client.get("/read").await.json(), json!({"user": "alice"}));
}

#[tokio::test]
async fn with_no_server_lifetime_jwts_are_byte_for_byte_muffin_tokens() {
    let config = TestClock::new()
        .builder(SessionType::Jwt)
        .unlimited_lifetime()
        .build()
        .unwrap();
    let token = common::encode(&config, json!({"user": "alice"}));
    assert_eq!(jwt_claims(&token), json!({"user": "alice"}));
}

/// Sessions expire on the server by default: every cookie written carries
/// an issue time, a session older than 14 days is refused and its cookie
/// removed, and the cookie itself stays a browser-session one.
#[tokio::test]
async fn by_default_sessions_expire_on_the_server_after_fourteen_days() {
    const DAY: u64 = 24 * HOUR;
    for codec in common::keyed_codecs() {
        let clock = TestClock::new();
        let config = clock.builder(codec).build().unwrap();
        let mut client = Client::new(app(config));
        let reply = client.get("/write?user=alice").await;
        let set_cookie = reply.set_cookie().expect("a cookie");
        assert!(!set_cookie.contains("Max-Age"), "{codec}: {set_cookie}");
        if codec == SessionType::Jwt {
            let claims = jwt_claims(&client.jar["session"]);
            assert_eq!(claims[ISSUED_AT_CLAIM], json!(START), "{codec}");
        }
        clock.set(START + 14 * DAY);
        assert_eq!(
            client.get("/read").await.json(),
            json!({"user": "alice"}),
            "{codec}"
        );
        clock.set(START + 14 * DAY + 1);
        let reply = client.get("/read").await;
        assert_eq!(reply.json(), json!({}), "{codec}: expired");
        let removal = reply.set_cookie().expect("the expired cookie is removed");
        assert!(removal.contains("Max-Age=0"), "{codec}: {removal}");
    }
}

/// A cookie muffin-session minted (no issue time) is stamped with one on
/// its first load, so it expires a lifetime later like any other.
#[tokio::test]
async fn a_muffin_cookie_without_an_issue_time_is_stamped_and_then_expires() {
    const DAY: u64 = 24 * HOUR;
    let clock = TestClock::new();
    let token = clock.muffin_token(json!({"id": 1}));
    let config = clock.builder(SessionType::Jwt).build().unwrap();
    let mut client = Client::new(app(config));
    client.jar.insert("session".into(), token);
    clock.set(START + 100 * DAY);
    let reply = client.get("/read").await;
    assert_eq!(reply.json(), json!({"id": 1}));
    assert!(reply.set_cookie().is_some(), "stamped");
    let claims = jwt_claims(&client.jar["session"]);
    assert_eq!(claims, json!({"id": 1, ISSUED_AT_CLAIM: START + 100 * DAY}));
    assert!(client.get("/read").await.set_cookies().is_empty(), "once");
    clock.set(START + 114 * DAY + 1);
    assert_eq!(client.get("/read").await.json(), json!({}), "expired");
}

#[tokio::test]
async fn muffin_tokens_without_an_issue_time_are_accepted_while_compatible() {
    let clock = TestClock::new();
    let token = clock.muffin_token(json!({"id": 1}));
    let config = clock.hour(SessionType::Jwt);
    let cookie = format!("session={token}");
    clock.set(START + 10 * HOUR);
    let reply = send_get(&app(config), "/read", Some(&cookie)).await;
    assert_eq!(reply.json(), json!({"id": 1}));
}

#[tokio::test]
async fn registered_claims_written_by_python_are_honoured_and_kept() {
    // muffin-session apps may store PyJWT's registered claims themselves.
    let clock = TestClock::new();
    let config = clock.hour(SessionType::Jwt);
    let app = app(config);
    let cases = [
        (json!({"id": 1, "iat": START - HOUR - 1}), json!({})),
        (json!({"id": 1, "iat": START - 10}), json!({"id": 1})),
        (json!({"id": 1, "exp": START}), json!({})),
        (json!({"id": 1, "exp": START + 10}), json!({"id": 1})),
        (json!({"id": 1, "nbf": START + CLOCK_SKEW + 1}), json!({})),
        (json!({"id": 1, "aud": "app", "sub": 7}), json!({"id": 1})),
    ];
    for (claims, expected) in cases {
        let token = common::sign_jwt(common::SECRET, common::PYJWT_HEADER, &claims);
        let cookie = format!("session={token}");
        // Handlers see the session without the claims PyJWT checks...
        let reply = send_get(&app, "/read", Some(&cookie)).await;
        assert_eq!(reply.json(), expected, "{claims}");
        if expected == json!({}) {
            continue;
        }
        // ...and saving writes them back as they were, so the Python app
        // reads what it wrote, and the session still expires when it said.
        let reply = send_get(&app, "/write?visits=1", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{claims}");
        let mut written = jwt_claims(&reply.cookie_value().unwrap());
        assert_eq!(written[ISSUED_AT_CLAIM], json!(START), "{claims}");
        let written = written.as_object_mut().unwrap();
        written.remove(ISSUED_AT_CLAIM);
        written.remove("visits");
        assert_eq!(Value::Object(written.clone()), claims);
    }
}

#[tokio::test]
async fn a_renewal_or_rotation_of_a_token_with_exp_never_fails_the_request() {
    let clock = TestClock::new();
    let config = clock
        .builder(SessionType::Jwt)
        .secret_key("new-key-new-key-new-key-new-key!")
        .fallback_keys([common::SECRET])
        .max_age(Duration::from_secs(HOUR))
        .sliding_expiration(true)
        .build()
        .unwrap();
    let claims = json!({"id": 1, "iat": START - HOUR + 100, "exp": START + 100});
    let token = common::sign_jwt(common::SECRET, common::PYJWT_HEADER, &claims);
    let reply = send_get(&app(config), "/read", Some(&format!("session={token}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"id": 1}));
    let reissued = jwt_claims(&reply.cookie_value().expect("re-issued"));
    assert_eq!(
        reissued["exp"],
        json!(START + 100),
        "the Python expiry is kept"
    );
}

async fn a_fallback_key_reissue_keeps_the_issue_time(codec: SessionType) {
    let clock = TestClock::new();
    let old = clock.hour(codec);
    let token = common::encode(&old, json!({"id": 1}));
    let rotated = clock
        .builder(codec)
        .secret_key("new-key-new-key-new-key-new-key!")
        .fallback_keys([common::SECRET])
        .max_age(Duration::from_secs(HOUR))
        .build()
        .unwrap();
    let mut client = Client::new(app(rotated));
    client.jar.insert("session".into(), token);
    clock.set(START + HOUR - 5);
    let reply = client.get("/read").await;
    assert_eq!(reply.set_cookies().len(), 1, "{codec}: not re-issued");
    // Re-issuing under the new key did not extend the cookie's life.
    clock.set(START + HOUR + 1);
    assert_eq!(client.get("/read").await.json(), json!({}), "{codec}");
}

/// A cookie without an issue time (every one muffin-session writes), made
/// with a key that was since rotated out: re-issuing it under the new key
/// with a fresh issue time would let it live a lifetime past the rotation,
/// and without one it would never expire. It is not re-issued: it loads
/// under the old key until that key is dropped, and then it is dead.
#[tokio::test]
async fn a_fallback_key_cookie_without_an_issue_time_cannot_outlive_its_key() {
    let clock = TestClock::new();
    let token = clock.muffin_token(json!({"id": 1}));
    let new_key = "new-key-new-key-new-key-new-key!";
    let rotated = clock
        .builder(SessionType::Jwt)
        .secret_key(new_key)
        .fallback_keys([common::SECRET])
        .max_age(Duration::from_secs(HOUR))
        .build()
        .unwrap();
    let mut client = Client::new(app(rotated));
    client.jar.insert("session".into(), token.clone());
    // Read just before the old key goes: still logged in, nothing re-issued.
    clock.set(START + HOUR - 5);
    let reply = client.get("/read").await;
    assert_eq!(reply.json(), json!({"id": 1}));
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    // The old key is dropped one lifetime after the rotation: the cookie
    // the client holds is dead, with nothing under the new key to replace it.
    let dropped = clock
        .builder(SessionType::Jwt)
        .secret_key(new_key)
        .max_age(Duration::from_secs(HOUR))
        .build()
        .unwrap();
    client.app = app(dropped);
    clock.set(START + HOUR + 1);
    assert_eq!(client.get("/read").await.json(), json!({}));

    // A change of the session writes a new cookie, as any change does: its
    // lifetime runs from that write.
    let rotated = clock
        .builder(SessionType::Jwt)
        .secret_key(new_key)
        .fallback_keys([common::SECRET])
        .max_age(Duration::from_secs(HOUR))
        .build()
        .unwrap();
    let reply = send_get(
        &app(rotated),
        "/write?v=1",
        Some(&format!("session={token}")),
    )
    .await;
    let written = jwt_claims(&reply.cookie_value().expect("written"));
    assert_eq!(written[ISSUED_AT_CLAIM], json!(START + HOUR + 1));

    // Without a lifetime nothing expires: the cookie moves to the new key.
    let no_lifetime = clock
        .builder(SessionType::Jwt)
        .secret_key(new_key)
        .fallback_keys([common::SECRET])
        .unlimited_lifetime()
        .build()
        .unwrap();
    let reply = send_get(
        &app(no_lifetime),
        "/read",
        Some(&format!("session={token}")),
    )
    .await;
    let reissued = reply.cookie_value().expect("re-issued under the new key");
    assert_eq!(jwt_claims(&reissued), json!({"id": 1}));
}

#[tokio::test]
async fn with_compatibility_off_jwts_carry_registered_iat_and_exp() {
    let clock = TestClock::new();
    let config = clock
        .builder(SessionType::Jwt)
        .max_age(Duration::from_secs(HOUR))
        .muffin_compat(false)
        .build()
        .unwrap();
    let mut client = Client::new(app(config.clone()));
    client.get("/write?a=1").await;
    let claims = jwt_claims(&client.jar["session"]);
    assert_eq!(claims, json!({"iat": START, "exp": START + HOUR, "a": "1"}));
    assert_eq!(client.get("/read").await.json(), json!({"a": "1"}));

    // A token without `iat` cannot be aged, so it is refused.
    let token = common::sign_jwt(common::SECRET, common::PYJWT_HEADER, &json!({"a": 1}));
    let reply = send_get(&app(config), "/read", Some(&format!("session={token}"))).await;
    assert_eq!(reply.json(), json!({}));
}

#[tokio::test]
async fn claims_that_would_break_muffin_session_are_refused_when_stored() {
    let config = TestClock::new().builder(SessionType::Jwt).build().unwrap();
    for (key, value) in [
        ("exp", json!(START + HOUR)),
        ("nbf", json!(START)),
        ("iat", json!(START)),
        ("aud", json!("app")),
        ("sub", json!(42)),
        ("jti", json!(7)),
    ] {
        let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
        let err = session.insert(key, value).unwrap_err();
        assert!(
            matches!(&err, SaveError::ReservedKey { key: k, .. } if k == key),
            "{key}: {err}"
        );
        // Refused at once: the session is unchanged, and saves nothing.
        assert!(!config
            .save_to_response(session, &mut HeaderMap::new())
            .unwrap());
    }
    // String `sub` and `jti` pass PyJWT's checks.
    let token = common::encode(&config, json!({"sub": "alice", "jti": "1"}));
    assert_eq!(
        common::decode(&config, &token),
        *json!({"sub": "alice", "jti": "1"}).as_object().unwrap()
    );

    // In auto mode the refusal is a 500 without a cookie.
    let reply = Client::new(app(config)).get("/write?exp=1").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn the_issue_time_claim_is_reserved() {
    let clock = TestClock::new();
    for codec in [SessionType::Jwt, SessionType::Base64] {
        let config = clock.hour(codec);
        let reply = Client::new(app(config))
            .get(&format!("/write?{ISSUED_AT_CLAIM}=1"))
            .await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{codec}");
    }
    // Fernet keeps the issue time in the token, so the key is the app's own.
    let config = clock.hour(SessionType::Fernet);
    let mut client = Client::new(app(config));
    client.get(&format!("/write?{ISSUED_AT_CLAIM}=1")).await;
    assert_eq!(
        client.get("/read").await.json(),
        json!({ISSUED_AT_CLAIM: "1"})
    );
}

codec_tests!(
    a_cookie_older_than_the_max_age_loads_as_empty,
    an_explicit_lifetime_is_checked_without_a_max_age,
    tokens_from_the_future_are_refused_beyond_the_clock_skew,
    sliding_expiration_reissues_past_half_the_lifetime,
);

codec_tests!(
    keyed:a_fallback_key_reissue_keeps_the_issue_time);

/// An expired cookie whose issue time is not at the end of its object (as
/// 0.1 wrote them, and as muffin-session keeps them after adding keys) stays
/// expired, whatever view reads it first: one that does not fit the session,
/// one that only reads it while the cookie is re-issued under a new key, or
/// the user lookup.
#[tokio::test]
async fn an_expired_issue_time_inside_the_object_is_never_revived() {
    #[derive(Default, serde::Serialize, serde::Deserialize)]
    struct Prefs {
        theme: String, // no default: the expired session does not fit it
    }
    async fn prefer(mut prefs: Session<Prefs>) -> &'static str {
        prefs.theme = "dark".into();
        "saved"
    }
    async fn peek(prefs: Session<Prefs>) -> String {
        prefs.theme.clone()
    }
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    let clock = TestClock::new();
    let fallback = "an older secret of thirty-two bytes!";
    let config = clock
        .builder(SessionType::Jwt)
        .max_age(Duration::from_secs(HOUR))
        .fallback_keys([fallback])
        .build()
        .unwrap();
    let app = Router::new()
        .route("/prefer", get(prefer))
        .route("/peek", get(peek))
        .route("/read", get(read))
        .layer(SessionLayer::new(config));
    clock.set(START + 2 * HOUR);
    let expired = json!({ISSUED_AT_CLAIM: START, "id": 1});
    for (secret, path) in [(common::SECRET, "/prefer"), (fallback, "/peek")] {
        let token = common::sign_jwt(secret, common::PYJWT_HEADER, &expired);
        let mut client = Client::new(app.clone());
        client.jar.insert("session".into(), token);
        assert_eq!(client.get(path).await.status, StatusCode::OK, "{path}");
        let session = client.get("/read").await.json();
        assert_eq!(session.get("id"), None, "{path} revived {session}");
    }
}

/// In manual mode the stamp is written when the handler returns the
/// session, like any change, and the stamped cookie then expires too.
#[tokio::test]
async fn manual_mode_stamps_a_muffin_cookie_the_handler_returns() {
    const DAY: u64 = 24 * HOUR;
    async fn read(session: Session) -> (Session, String) {
        let id = format!("{:?}", session.get("id"));
        (session, id)
    }
    let clock = TestClock::new();
    let token = clock.muffin_token(json!({"id": 1}));
    let config = clock.builder(SessionType::Jwt).build().unwrap();
    let app = Router::new()
        .route("/read", get(read))
        .layer(SessionLayer::manual(config));
    let mut client = Client::new(app);
    client.jar.insert("session".into(), token);
    let reply = client.get("/read").await;
    assert_eq!(reply.body, "Some(Number(1))");
    assert!(reply.set_cookie().is_some(), "stamped");
    assert_eq!(
        jwt_claims(&client.jar["session"])[ISSUED_AT_CLAIM],
        json!(START)
    );
    assert!(client.get("/read").await.set_cookies().is_empty(), "once");
    clock.set(START + 14 * DAY + 1);
    assert_eq!(client.get("/read").await.body, "None", "expired");
}
