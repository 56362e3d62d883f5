//! Mistakes only the app's code can make answer `500` with a plain-text
//! body that names the fix (as axum's own rejections do), and never
//! anything secret; the log line stays. `ConfigError`'s `Debug` is its
//! message. A nested `SessionLayer` with another config warns, once.

mod common;

use std::convert::Infallible;
use std::io;

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    ConfigError, CurrentUser, Session, SessionConfig, SessionLayer, SessionType, UserLoader,
};
use common::Reply;
use http::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Clone)]
struct User;

struct Users;

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, _id: i64) -> Result<Option<User>, Infallible> {
        Ok(Some(User))
    }
}

/// A loader whose database is down.
struct Broken;

impl UserLoader for Broken {
    type User = User;
    type Id = i64;
    type Error = io::Error;

    async fn load_user(&self, _id: i64) -> Result<Option<User>, io::Error> {
        Err(io::Error::other(
            "connection refused to db.internal:5432 as admin",
        ))
    }
}

async fn me(_: CurrentUser<User>) -> &'static str {
    "me"
}

async fn counter(session: Session) -> String {
    format!("{:?}", session.get("n"))
}

fn logged_in(config: &SessionConfig) -> String {
    format!(
        "{}={}",
        config.cookie_name(),
        common::encode(config, serde_json::json!({"id": 1}))
    )
}

/// A `500` whose body says `fix`.
fn assert_names_the_fix(reply: &Reply, fix: &str) {
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.body
    );
    assert!(reply.body.contains(fix), "{fix:?} not in {:?}", reply.body);
    let content_type = reply.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
}

#[tokio::test]
async fn a_missing_layer_names_the_layer() {
    let app = Router::new().route("/", get(counter));
    let reply = common::get(&app, "/", None).await;
    assert_names_the_fix(&reply, ".layer(SessionLayer::new(config))");
}

/// The design statement says the extractors share one config: putting it
/// in the app's state is what a reader of it may try. The answer says what
/// to add instead.
#[tokio::test]
async fn a_config_given_as_state_instead_of_a_layer_is_told_what_to_add() {
    let config = common::config(SessionType::Jwt);
    let app: Router = Router::new().route("/", get(counter)).with_state(config);
    let reply = common::get(&app, "/", None).await;
    assert_names_the_fix(&reply, "SessionLayer::new(config)");
    assert_names_the_fix(&reply, "`.with_state(config)` alone is not enough");
}

#[tokio::test]
async fn a_missing_loader_names_with_user_loader_even_when_registered_too_late() {
    let config = common::config(SessionType::Jwt);
    let cookie = logged_in(&config);
    // Never registered.
    let app = Router::new()
        .route("/", get(me))
        .layer(SessionLayer::new(config.clone()));
    let reply = common::get(&app, "/", Some(&cookie)).await;
    assert_names_the_fix(&reply, "with_user_loader");
    // Registered on the config after the layer was made from it.
    let layer = SessionLayer::new(config.clone());
    let _registered_too_late = config.with_user_loader(Users);
    let app = Router::new().route("/", get(me)).layer(layer);
    let reply = common::get(&app, "/", Some(&cookie)).await;
    assert_names_the_fix(&reply, "before the layer is made from it");
}

#[tokio::test]
async fn a_session_type_that_is_not_an_object_names_the_fix() {
    #[derive(Default, Serialize, Deserialize)]
    struct Counter(usize);
    async fn count(counter: Session<Counter>) -> String {
        counter.0.to_string()
    }
    let app = Router::new()
        .route("/", get(count))
        .layer(SessionLayer::new(common::config(SessionType::Jwt)));
    let reply = common::get(&app, "/", None).await;
    assert_names_the_fix(&reply, "`struct Counter { count: usize }`");
}

#[tokio::test]
async fn logins_from_unsigned_sessions_name_the_option() {
    let config = common::config(SessionType::Base64).with_user_loader(Users);
    let cookie = logged_in(&config);
    let app = Router::new()
        .route("/", get(me))
        .layer(SessionLayer::new(config));
    let reply = common::get(&app, "/", Some(&cookie)).await;
    assert_names_the_fix(&reply, "SESSION_ALLOW_UNSIGNED_LOGINS");
}

/// A loader's own error is not the app's wiring: its text (which may name
/// hosts, users, queries) stays in the log, and the client gets a bare 500.
#[tokio::test]
async fn a_loader_error_is_a_bare_500() {
    let config = common::config(SessionType::Jwt).with_user_loader(Broken);
    let cookie = logged_in(&config);
    let app = Router::new()
        .route("/", get(me))
        .layer(SessionLayer::new(config));
    let reply = common::get(&app, "/", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, "Internal Server Error");
}

#[test]
fn a_config_error_debugs_as_its_message() {
    let err = SessionConfig::from_vars([("SESSION_SECRET_KEY", "short")]).unwrap_err();
    let debug = format!("{err:?}");
    assert_eq!(debug, err.to_string());
    assert!(debug.contains("`SESSION_ALLOW_WEAK_SECRET`"), "{debug}");
    assert!(!debug.contains("short\""), "{debug}");
    // As `?` out of `main` prints it.
    let from_main: Box<dyn std::error::Error> = Box::new(err);
    let printed = format!("Error: {from_main:?}");
    assert!(printed.contains("is shorter than 32 bytes"), "{printed}");
    assert!(!printed.contains("WeakSecret {"), "{printed}");
    let missing = SessionConfig::builder().build().unwrap_err();
    assert!(matches!(missing, ConfigError::MissingSecret { .. }));
    assert!(format!("{missing:?}").contains("openssl rand"));
}

#[test]
fn a_random_secret_takes_one_call_and_warns_what_it_costs() {
    let logs = common::logs_of(tracing::Level::WARN, || {
        let config = SessionConfig::builder().random_secret().build().unwrap();
        let other = SessionConfig::builder().random_secret().build().unwrap();
        // Two processes (or restarts) cannot read each other's cookies.
        let token = common::encode(&config, serde_json::json!({"id": 1}));
        let cookie = format!("session={token}");
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, cookie.parse().unwrap());
        let read: Session = other.load_from_request(&headers).unwrap();
        assert!(read.get("id").is_none());
        let read: Session = config.load_from_request(&headers).unwrap();
        assert_eq!(read.get("id"), Some(&serde_json::json!(1)));
        SessionConfig::from_vars([("SESSION_RANDOM_SECRET", "true")]).unwrap();
    });
    assert!(logs.contains("every restart logs everyone out"), "{logs}");
    assert!(logs.contains("`SESSION_SECRET_KEY`"), "{logs}");
    let err = SessionConfig::builder()
        .random_secret()
        .secret_key(common::SECRET)
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::TwoSecrets { .. }), "{err}");
}

#[test]
fn a_nested_layer_with_another_config_warns_once() {
    let inner_config = SessionConfig::builder()
        .secret_key(common::SECRET)
        .cookie_name("inner")
        .build()
        .unwrap();
    let outer_config = common::config(SessionType::Jwt);
    let nested = Router::new()
        .route("/", get(counter))
        .layer(SessionLayer::new(inner_config));
    let app = Router::new()
        .nest("/nested", nested)
        .route("/", get(counter))
        .layer(SessionLayer::new(outer_config.clone()));
    let same = Router::new()
        .nest(
            "/nested",
            Router::new()
                .route("/", get(counter))
                .layer(SessionLayer::new(outer_config.clone())),
        )
        .layer(SessionLayer::new(outer_config));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let logs = common::logs_of(tracing::Level::WARN, || {
        for _ in 0..3 {
            let reply = runtime.block_on(common::get(&app, "/nested", None));
            assert_eq!(reply.status, StatusCode::OK);
            runtime.block_on(common::get(&app, "/", None));
            runtime.block_on(common::get(&same, "/nested", None));
        }
    });
    assert_eq!(
        logs.matches("a SessionLayer inside another").count(),
        1,
        "{logs}"
    );
    assert!(
        logs.contains("inner=\"inner\"") || logs.contains("inner=inner"),
        "{logs}"
    );
}

#[test]
fn a_secure_cookie_sent_to_a_plain_http_page_is_warned_about_once() {
    async fn login(mut session: Session) -> &'static str {
        session.login(1).unwrap();
        "logged in"
    }
    let config = SessionConfig::builder()
        .secret_key(common::SECRET)
        .secure(true)
        .build()
        .unwrap();
    let app = Router::new()
        .route("/login", axum::routing::post(login))
        .layer(SessionLayer::new(config));
    let post = |origin: &'static str| {
        http::Request::post("/login")
            .header("host", origin.trim_start_matches("http://"))
            .header("origin", origin)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = common::logs_of(tracing::Level::WARN, || {
        // Browsers keep `Secure` cookies from http://localhost.
        for origin in ["http://localhost:3000", "http://[::1]:3000", "http://[::1]"] {
            let reply = runtime.block_on(common::send(&app, post(origin)));
            assert!(reply.set_cookie().is_some(), "{origin}");
        }
    });
    assert_eq!(local, "");
    let logs = common::logs_of(tracing::Level::WARN, || {
        for _ in 0..3 {
            let reply = runtime.block_on(common::send(&app, post("http://shop.example.test")));
            assert!(reply.set_cookie().unwrap().contains("Secure"));
        }
    });
    assert_eq!(logs.matches("served over plain HTTP").count(), 1, "{logs}");
}

#[tokio::test]
async fn a_refused_cross_site_request_carries_its_rejection_for_restyling() {
    use axum::response::{IntoResponse, Response};
    use axum_cookie_session::CsrfRejection;
    async fn styled(response: Response) -> Response {
        match response.extensions().get::<CsrfRejection>() {
            Some(CsrfRejection::CrossSite) => {
                (response.status(), "<h1>Refused</h1>").into_response()
            }
            _ => response,
        }
    }
    let app = Router::new()
        .route("/", axum::routing::post(counter))
        .layer(SessionLayer::new(common::config(SessionType::Jwt)))
        .layer(axum::middleware::map_response(styled));
    let request = http::Request::post("/")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = common::send(&app, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body, "<h1>Refused</h1>");
}
