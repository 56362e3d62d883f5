//! Logged-in tests without the login form: `SessionConfig::cookie_header`
//! makes the `Cookie` header of a session built in the test (a login with
//! its auth digest, other values, a session big enough to be chunked), and
//! `SessionConfig::session_in_response` reads back what a response leaves
//! the browser with; both with the app's real config, every codec.

mod common;

use axum::routing::{get, post};
use axum::Router;
use axum_cookie_session::{
    CurrentUser, SaveError, Session, SessionConfig, SessionLayer, SessionType,
};
use common::users::{User, Users};
use http::{HeaderMap, StatusCode};

fn config(codec: SessionType, users: &Users) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(common::SECRET)
        .allow_unsigned_logins(codec == SessionType::Base64)
        .build()
        .unwrap()
        .with_user_loader(users.clone())
}

/// `/me` answers the user and the cart; `/theme` stores a theme.
fn app(config: SessionConfig) -> Router {
    async fn me(CurrentUser(user): CurrentUser<User>, session: Session) -> String {
        let cart: Vec<String> = session.get_as("cart").unwrap_or_default();
        format!("user {} with {}", user.id, cart.join(","))
    }
    async fn theme(mut session: Session) -> Result<&'static str, SaveError> {
        session.insert("theme", "dark")?;
        Ok("saved")
    }
    Router::new()
        .route("/me", get(me))
        .route("/theme", post(theme))
        .layer(SessionLayer::new(config))
}

async fn a_test_logs_in_without_the_form(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let config = config(codec, &users);
    let app = app(config.clone());

    let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
    let alice = User {
        id: 1,
        password_hash: "hash-1".into(),
    };
    session.login_user(1, &alice).unwrap();
    session.insert("cart", ["apple", "pear"]).unwrap();
    let cookie = config.cookie_header(session).unwrap();
    let cookie = cookie.to_str().unwrap();

    let reply = common::get(&app, "/me", Some(cookie)).await;
    assert_eq!(reply.body, "user 1 with apple,pear", "{codec}");
    // The login is a real one: a password change revokes it.
    users.set_password(1, "hash-2");
    let reply = common::get(&app, "/me", Some(cookie)).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{codec}");
}

async fn a_big_session_is_one_header_of_its_chunks(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let config = config(codec, &users);
    let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
    session.login(1).unwrap();
    let cart: Vec<String> = (0..400).map(|n| format!("item-{n}")).collect();
    session.insert("cart", &cart).unwrap();
    let cookie = config.cookie_header(session).unwrap();
    let cookie = cookie.to_str().unwrap();
    assert!(cookie.contains("sessionC1="), "{codec}: not chunked");
    let reply = common::get(&app(config), "/me", Some(cookie)).await;
    assert!(
        reply.body.ends_with("item-399"),
        "{codec}: {}",
        &reply.body[..40]
    );
}

async fn a_test_reads_the_session_a_response_leaves(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let config = config(codec, &users);
    let reply = {
        let request = http::Request::post("/theme")
            .body(axum::body::Body::empty())
            .unwrap();
        common::send(&app(config.clone()), request).await
    };
    let stored: Session = config.session_in_response(&reply.headers).unwrap().unwrap();
    assert_eq!(
        stored.get_as::<String>("theme").as_deref(),
        Some("dark"),
        "{codec}"
    );

    // A response that sets no session cookie: nothing to read.
    let reply = common::get(&app(config.clone()), "/me", None).await;
    assert!(config
        .session_in_response::<serde_json::Map<String, serde_json::Value>>(&reply.headers)
        .unwrap()
        .is_none());
}

codec_tests!(
    a_test_logs_in_without_the_form,
    a_big_session_is_one_header_of_its_chunks,
    a_test_reads_the_session_a_response_leaves,
);
