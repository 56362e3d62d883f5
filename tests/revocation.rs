//! Revoking every session of a user with no store: the loader's
//! `session_auth_hash`, digested into the session at login and checked on
//! every load of the user, through a real Router.

mod common;

use std::convert::Infallible;

use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    CurrentUser, SaveError, Session, SessionConfig, SessionLayer, SessionType, UserLoader,
    AUTH_HASH_KEY,
};
use common::users::{User, Users};
use common::{decode, encode, get as send_get, Client, SECRET};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Params {
    id: Option<i64>,
    hash: Option<String>,
}

/// `/login?id=N` logs user N in; `/me` says who is logged in;
/// `/password?hash=H` changes the logged-in user's hash and keeps this
/// browser logged in; `/plain-login?id=N` logs in without a digest.
fn app(config: SessionConfig, users: Users) -> Router {
    let config = config.with_user_loader(users.clone());
    let loader = users.clone();
    let login = move |mut session: Session, Query(params): Query<Params>| {
        let users = loader.clone();
        async move {
            let id = params.id.unwrap_or(1);
            let user = users.load_user(id).await.unwrap().unwrap();
            session.end();
            session.login_user(user.id, &user)?;
            Ok::<_, SaveError>("logged in")
        }
    };
    let change = {
        let users = users.clone();
        move |CurrentUser(user): CurrentUser<User>,
              mut session: Session,
              Query(params): Query<Params>| {
            let users = users.clone();
            async move {
                let hash = params.hash.unwrap_or_default();
                users.set_password(user.id, &hash);
                let changed = User {
                    password_hash: hash,
                    ..user
                };
                session.login_user(changed.id, &changed)?;
                Ok::<_, SaveError>("changed")
            }
        }
    };
    let plain_login = |mut session: Session, Query(params): Query<Params>| async move {
        session.login(params.id.unwrap_or(1))?;
        Ok::<_, SaveError>("logged in")
    };
    let me = |user: Option<CurrentUser<User>>| async move {
        match user {
            Some(CurrentUser(user)) => format!("user {}", user.id),
            None => "anonymous".to_owned(),
        }
    };
    Router::new()
        .route("/login", get(login))
        .route("/plain-login", get(plain_login))
        .route("/password", get(change))
        .route("/me", get(me))
        .layer(SessionLayer::new(config))
}

fn config(codec: SessionType, secret: &str, fallback: &[&str]) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(secret)
        .fallback_keys(fallback.iter().copied())
        .build()
        .unwrap()
}

async fn a_password_change_logs_out_every_other_browser(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let site = app(config(codec, SECRET, &[]), users.clone());
    let mut this = Client::new(site.clone());
    let mut other = Client::new(site.clone());
    this.get("/login?id=1").await;
    other.get("/login?id=1").await;
    let copied = other.cookie_header().unwrap();
    assert_eq!(other.get("/me").await.body, "user 1");

    this.get("/password?hash=hash-2").await;
    assert_eq!(
        this.get("/me").await.body,
        "user 1",
        "the browser that changed it"
    );

    let reply = other.get("/me").await;
    assert_eq!(reply.body, "anonymous", "another browser");
    assert!(
        reply.set_cookie().is_some_and(|c| c.contains("Max-Age=0")),
        "the stale cookie is removed: {:?}",
        reply.set_cookies()
    );
    assert!(!other.jar.contains_key("session"));
    let reply = send_get(&site, "/me", Some(&copied)).await;
    assert_eq!(reply.body, "anonymous", "a copy taken before the change");
}

async fn the_digest_is_keyed_and_reveals_no_hash(codec: SessionType) {
    let users = Users::with(1, "the-password-hash");
    let config = config(codec, SECRET, &[]);
    let mut client = Client::new(app(config.clone(), users.clone()));
    client.get("/login?id=1").await;
    let session = decode(&config, &client.jar["session"]);
    let digest = session[AUTH_HASH_KEY].as_str().unwrap().to_owned();
    assert!(!digest.contains("the-password-hash"));
    assert!(digest.len() >= 22, "at least 128 bits: {digest}");

    // A digest made without the secret does not pass, whatever it holds.
    for forged in [
        json!("the-password-hash"),
        json!(""),
        json!(null),
        json!(1),
        json!("AAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let token = encode(&config, json!({"id": 1, AUTH_HASH_KEY: forged}));
        let reply = send_get(&client.app, "/me", Some(&format!("session={token}"))).await;
        assert_eq!(reply.body, "anonymous", "{forged}");
    }
    // The same digest under another secret does not pass either.
    let other = app(
        self::config(codec, "another-secret-of-another-app!!!", &[]),
        users,
    );
    let token = encode(
        &self::config(codec, "another-secret-of-another-app!!!", &[]),
        json!({"id": 1, AUTH_HASH_KEY: digest}),
    );
    let reply = send_get(&other, "/me", Some(&format!("session={token}"))).await;
    assert_eq!(reply.body, "anonymous");
}

async fn a_login_without_a_digest_gets_one_unless_required(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let config = config(codec, SECRET, &[]);
    // As muffin-session mints a login: the id alone.
    let token = encode(&config, json!({"id": 1, "theme": "dark"}));
    let cookie = format!("session={token}");

    let site = app(config.clone(), users.clone());
    let reply = send_get(&site, "/me", Some(&cookie)).await;
    assert_eq!(reply.body, "user 1", "accepted while migrating");
    let reissued = reply.cookie_value().expect("given a digest");
    assert!(decode(&config, &reissued)[AUTH_HASH_KEY].is_string());
    // ...and from then on a password change revokes it.
    users.set_password(1, "hash-2");
    let reply = send_get(&site, "/me", Some(&format!("session={reissued}"))).await;
    assert_eq!(reply.body, "anonymous");

    let strict = config_required(codec);
    let users = Users::with(1, "hash-1");
    let site = app(strict.clone(), users);
    let token = encode(&strict, json!({"id": 1}));
    let reply = send_get(&site, "/me", Some(&format!("session={token}"))).await;
    assert_eq!(reply.body, "anonymous", "refused when a digest is required");
    assert!(reply.set_cookie().is_some_and(|c| c.contains("Max-Age=0")));
    // `login` (no user) is such a login too.
    let mut client = Client::new(site);
    client.get("/plain-login?id=1").await;
    assert_eq!(client.get("/me").await.body, "anonymous");
    client.get("/login?id=1").await;
    assert_eq!(client.get("/me").await.body, "user 1");
}

fn config_required(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(SECRET)
        .require_auth_hash(true)
        .build()
        .unwrap()
}

async fn a_key_rotation_keeps_users_logged_in(codec: SessionType) {
    let old = "the-previous-secret-of-this-app!";
    let users = Users::with(1, "hash-1");
    let mut client = Client::new(app(config(codec, old, &[]), users.clone()));
    client.get("/login?id=1").await;
    let rotated = config(codec, SECRET, &[old]);
    client.app = app(rotated.clone(), users.clone());
    assert_eq!(client.get("/me").await.body, "user 1");
    // Re-issued under the current key, digest included: the old key can go.
    client.app = app(config(codec, SECRET, &[]), users.clone());
    assert_eq!(client.get("/me").await.body, "user 1");
    users.set_password(1, "hash-2");
    assert_eq!(client.get("/me").await.body, "anonymous");
}

async fn a_loader_without_a_hash_revokes_nothing(codec: SessionType) {
    #[derive(Clone)]
    struct Plain;
    impl UserLoader for Plain {
        type User = User;
        type Id = i64;
        type Error = Infallible;
        async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
            Ok(Some(User {
                id,
                password_hash: String::new(),
            }))
        }
    }
    let config = config_required(codec).with_user_loader(Plain);
    let site = Router::new()
        .route(
            "/me",
            get(|CurrentUser(user): CurrentUser<User>| async move { format!("user {}", user.id) }),
        )
        .layer(SessionLayer::new(config.clone()));
    let token = encode(&config, json!({"id": 7}));
    let reply = send_get(&site, "/me", Some(&format!("session={token}"))).await;
    assert_eq!(reply.body, "user 7");
    assert!(reply.set_cookie().is_none());
}

async fn manual_mode_revokes_too(codec: SessionType) {
    let users = Users::with(1, "hash-1");
    let config = config(codec, SECRET, &[]);
    let mut client = Client::new(app(config.clone(), users.clone()));
    client.get("/login?id=1").await;
    let cookie = client.cookie_header().unwrap();
    let manual = Router::new()
        .route(
            "/me",
            get(|user: Option<CurrentUser<User>>| async move {
                user.map_or("anonymous".to_owned(), |CurrentUser(u)| {
                    format!("user {}", u.id)
                })
            }),
        )
        .layer(SessionLayer::manual(
            config.clone().with_user_loader(users.clone()),
        ));
    assert_eq!(send_get(&manual, "/me", Some(&cookie)).await.body, "user 1");
    // A login without a digest is accepted, and not changed behind the
    // handler's back.
    let token = encode(&config, json!({"id": 1}));
    let reply = send_get(&manual, "/me", Some(&format!("session={token}"))).await;
    assert_eq!(reply.body, "user 1");
    assert!(reply.set_cookie().is_none());
    users.set_password(1, "hash-2");
    assert_eq!(
        send_get(&manual, "/me", Some(&cookie)).await.body,
        "anonymous"
    );
}

codec_tests!(
    keyed:
    manual_mode_revokes_too,
    a_password_change_logs_out_every_other_browser,
    the_digest_is_keyed_and_reveals_no_hash,
    a_login_without_a_digest_gets_one_unless_required,
    a_key_rotation_keeps_users_logged_in,
    a_loader_without_a_hash_revokes_nothing,
);

#[test]
fn a_revocation_logs_why_but_never_the_hash_or_digest() {
    let users = Users::with(1, "hash-secret-1");
    let config = config(SessionType::Jwt, SECRET, &[]);
    let site = app(config.clone(), users.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut client = Client::new(site);
    runtime.block_on(client.get("/login?id=1"));
    let digest = decode(&config, &client.jar["session"])[AUTH_HASH_KEY]
        .as_str()
        .unwrap()
        .to_owned();
    users.set_password(1, "hash-secret-2");
    let logs = common::logs_of(tracing::Level::TRACE, || {
        let reply = runtime.block_on(client.get("/me"));
        assert_eq!(reply.body, "anonymous");
    });
    assert!(logs.contains("revoked"), "the revocation is logged: {logs}");
    for secret in ["hash-secret-1", "hash-secret-2", &digest, SECRET] {
        assert!(!logs.contains(secret), "the logs show {secret}: {logs}");
    }
}
