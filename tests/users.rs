//! `UserLoader`, `CurrentUser<U>` and login/logout through real Routers:
//! muffin-session's login tests, the user loaded once per request, loader
//! errors kept apart from "no such user".

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{
    CurrentUser, Session, SessionConfig, SessionLayer, SessionType, UserLoader,
};
use common::{get as send_get, Client};
use http::StatusCode;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq)]
struct User {
    name: String,
}

#[derive(Debug, thiserror::Error)]
#[error("database is down")]
struct DatabaseDown;

/// Knows "mike" and "bob"; fails for "crash"; counts its loads.
#[derive(Clone, Default)]
struct Users {
    loads: Arc<AtomicUsize>,
}

impl UserLoader for Users {
    type User = User;
    type Id = String;
    type Error = DatabaseDown;

    async fn load_user(&self, id: String) -> Result<Option<User>, DatabaseDown> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        match id.as_str() {
            "crash" => Err(DatabaseDown),
            "mike" | "bob" => Ok(Some(User { name: id })),
            _ => Ok(None),
        }
    }
}

fn app(config: SessionConfig) -> Router {
    async fn login(
        mut session: Session,
        query: axum::extract::Query<Map<String, Value>>,
    ) -> &'static str {
        let name = query.get("name").cloned().unwrap_or_default();
        if query.contains_key("fresh") {
            session.end();
        }
        session.login(name).unwrap();
        "Logged in."
    }
    async fn logout(mut session: Session) -> &'static str {
        session.logout();
        "Logged out."
    }
    async fn show(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    async fn me(CurrentUser(user): CurrentUser<User>) -> String {
        user.name
    }
    async fn maybe(user: Option<CurrentUser<User>>) -> String {
        user.map_or("anonymous".to_owned(), |CurrentUser(user)| user.name)
    }
    async fn many(
        CurrentUser(a): CurrentUser<User>,
        b: Option<CurrentUser<User>>,
        CurrentUser(c): CurrentUser<User>,
    ) -> String {
        format!("{} {} {}", a.name, b.is_some(), c.name)
    }
    Router::new()
        .route("/login", get(login))
        .route("/logout", get(logout))
        .route("/session", get(show))
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/many", get(many))
        .layer(SessionLayer::new(config.clone()))
}

/// A config for `codec` with the users; `base64` logins are acknowledged,
/// since these tests run every codec.
fn config(codec: SessionType, users: &Users) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(common::SECRET)
        .allow_unsigned_logins(codec == SessionType::Base64)
        .build()
        .unwrap()
        .with_user_loader(users.clone())
}

async fn login_stores_the_id_and_logout_removes_it(codec: SessionType) {
    let users = Users::default();
    let mut client = Client::new(app(config(codec, &users)));
    assert_eq!(client.get("/maybe").await.body, "anonymous");

    client.get("/login?name=mike").await;
    assert_eq!(
        client.get("/session").await.json(),
        json!({"id": "mike"}),
        "{codec}"
    );
    assert_eq!(client.get("/me").await.body, "mike");
    assert_eq!(client.get("/maybe").await.body, "mike");

    client.get("/logout").await;
    assert_eq!(client.get("/session").await.json(), json!({}));
    let reply = client.get("/me").await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(reply.headers["location"], "/login?next=%2Fme");
}

#[tokio::test]
async fn login_keeps_other_data_unless_the_session_is_ended_first() {
    let users = Users::default();
    let config = config(SessionType::Jwt, &users);
    let app = app(config.clone());
    let cookie = format!(
        "session={}",
        common::encode(&config, json!({"cart": [1, 2]}))
    );

    let kept = send_get(&app, "/login?name=mike", Some(&cookie)).await;
    let kept = common::decode(&config, &kept.cookie_value().unwrap());
    assert_eq!(Value::Object(kept), json!({"cart": [1, 2], "id": "mike"}));

    let fresh = send_get(&app, "/login?name=mike&fresh", Some(&cookie)).await;
    let fresh = common::decode(&config, &fresh.cookie_value().unwrap());
    assert_eq!(Value::Object(fresh), json!({"id": "mike"}));
}

#[tokio::test]
async fn the_user_is_loaded_once_per_request() {
    let users = Users::default();
    let config = config(SessionType::Jwt, &users);
    let app = app(config.clone());
    let cookie = format!("session={}", common::encode(&config, json!({"id": "bob"})));
    let reply = send_get(&app, "/many", Some(&cookie)).await;
    assert_eq!(reply.body, "bob true bob");
    assert_eq!(users.loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unknown_id_is_anonymous() {
    let users = Users::default();
    let config = config(SessionType::Jwt, &users);
    let app = app(config.clone());
    for id in [
        json!("nobody"),
        json!(12),
        json!(null),
        json!({"not": "an id"}),
    ] {
        let cookie = format!("session={}", common::encode(&config, json!({ "id": id })));
        assert_eq!(
            send_get(&app, "/maybe", Some(&cookie)).await.body,
            "anonymous"
        );
        let reply = send_get(&app, "/me", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{id}");
    }
}

#[tokio::test]
async fn a_loader_error_is_a_500_not_an_anonymous_visitor() {
    let users = Users::default();
    let config = config(SessionType::Jwt, &users);
    let app = app(config.clone());
    let cookie = format!(
        "session={}",
        common::encode(&config, json!({"id": "crash"}))
    );
    for uri in ["/me", "/maybe"] {
        let reply = send_get(&app, uri, Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        assert!(
            !reply.body.contains("database"),
            "the error leaked: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn api_style_answers_401() {
    let users = Users::default();
    let config = SessionConfig::builder()
        .secret_key(common::SECRET)
        .login_redirect(false)
        .build()
        .unwrap()
        .with_user_loader(users);
    let reply = send_get(&app(config), "/me", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.headers.get("location").is_none());
}

#[tokio::test]
async fn a_missing_loader_is_a_500() {
    let reply = send_get(&app(common::config(SessionType::Jwt)), "/maybe", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn current_user_works_in_manual_mode() {
    async fn me(CurrentUser(user): CurrentUser<User>) -> String {
        user.name
    }
    let users = Users::default();
    let config = config(SessionType::Jwt, &users);
    let app = Router::new()
        .route("/me", get(me))
        .layer(SessionLayer::manual(config.clone()));
    let cookie = format!("session={}", common::encode(&config, json!({"id": "mike"})));
    assert_eq!(send_get(&app, "/me", Some(&cookie)).await.body, "mike");
}

#[tokio::test]
async fn no_user_is_loaded_from_forgeable_sessions_unless_acknowledged() {
    use axum_cookie_session::RequireUser;
    use base64::Engine as _;
    // `printf '{"id":"mike"}' | base64`: what anyone can write.
    let forged = |id: &str| {
        let json = format!(r#"{{"id":"{id}"}}"#);
        let token = base64::engine::general_purpose::URL_SAFE.encode(json);
        format!("session={token}")
    };
    let guarded = |config: SessionConfig| {
        app(config.clone()).merge(
            Router::new()
                .route("/admin", get(|| async { "admin page" }))
                .route_layer(RequireUser::<User>::new())
                .layer(SessionLayer::new(config)),
        )
    };
    let users = Users::default();
    let configs = [
        SessionConfig::builder()
            .session_type(SessionType::Base64)
            .build()
            .unwrap(),
        SessionConfig::from_vars([("SESSION_SESSION_TYPE", "base64")]).unwrap(),
    ];
    for config in configs {
        let registered = common::logs_of(tracing::Level::ERROR, || {
            let _ = config.clone().with_user_loader(users.clone());
        });
        assert!(
            registered.contains("`SESSION_ALLOW_UNSIGNED_LOGINS`"),
            "registering says so at start-up: {registered}"
        );
        let app = guarded(config.with_user_loader(users.clone()));
        for uri in ["/me", "/maybe", "/many", "/admin"] {
            let reply = send_get(&app, uri, Some(&forged("mike"))).await;
            assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
            assert!(!reply.body.contains("mike"), "{uri}: {}", reply.body);
            assert!(!reply.body.contains("admin page"), "{uri}: {}", reply.body);
            // Anonymous visitors are refused the same way: nothing is guessed.
            let reply = send_get(&app, uri, None).await;
            assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        }
        assert_eq!(users.loads.load(Ordering::SeqCst), 0, "the loader ran");
        // Sessions themselves still work: only logins are refused.
        let reply = send_get(&app, "/session", Some(&forged("mike"))).await;
        assert_eq!(reply.json(), json!({"id": "mike"}));
    }

    // Acknowledged: the forged cookie logs in, as it does in muffin-session,
    // and the build says so.
    let warnings = common::logs_of(tracing::Level::WARN, || {
        let config = SessionConfig::from_vars([
            ("SESSION_SESSION_TYPE", "base64"),
            ("SESSION_ALLOW_UNSIGNED_LOGINS", "true"),
        ])
        .unwrap();
        drop(config.with_user_loader(users.clone()));
    });
    assert!(
        warnings.contains("LOGINS OVER UNSIGNED `base64` SESSIONS ARE ALLOWED"),
        "{warnings}"
    );
    let config = SessionConfig::builder()
        .session_type(SessionType::Base64)
        .allow_unsigned_logins(true)
        .build()
        .unwrap();
    let app = guarded(config.with_user_loader(users.clone()));
    assert_eq!(
        send_get(&app, "/me", Some(&forged("mike"))).await.body,
        "mike"
    );
    let reply = send_get(&app, "/admin", Some(&forged("bob"))).await;
    assert_eq!(reply.body, "admin page");

    // The acknowledgement changes nothing for signed codecs: a forged
    // cookie is anonymous.
    for codec in common::keyed_codecs() {
        let config = SessionConfig::builder()
            .session_type(codec)
            .secret_key(common::SECRET)
            .allow_unsigned_logins(true)
            .build()
            .unwrap();
        let app = guarded(config.with_user_loader(users.clone()));
        let reply = send_get(&app, "/maybe", Some(&forged("mike"))).await;
        assert_eq!(reply.body, "anonymous", "{codec}");
    }
}

codec_tests!(login_stores_the_id_and_logout_removes_it);
