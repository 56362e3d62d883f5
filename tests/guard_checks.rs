//! What a logged-in user must pass behind `RequireUser`: async checks (run
//! only on guarded routes, with the user loaded once per request), and the
//! loader's `default_check` (muffin-session's `default_user_checker`) for
//! guards without a check of their own.

mod common;

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    CurrentUser, RequireUser, SessionConfig, SessionLayer, SessionType, UserLoader,
};
use common::get as send_get;
use http::StatusCode;
use serde_json::json;

#[derive(Debug, Clone)]
struct User {
    id: i64,
    active: bool,
    is_admin: bool,
}

impl User {
    fn is_active(&self) -> bool {
        self.active
    }
}

/// 1: an active admin; 2: an active user; 3: an inactive admin. Counts its
/// loads; its default check lets active users through.
#[derive(Clone, Default)]
struct Users {
    loads: Arc<AtomicUsize>,
}

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let (active, is_admin) = match id {
            1 => (true, true),
            2 => (true, false),
            3 => (false, true),
            _ => return Ok(None),
        };
        Ok(Some(User {
            id,
            active,
            is_admin,
        }))
    }

    fn default_check(&self, user: &User) -> bool {
        user.is_active()
    }
}

/// The same users, with no default check.
struct PlainUsers;

impl UserLoader for PlainUsers {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        Users::default().load_user(id).await
    }
}

fn config(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .secret_key(common::SECRET)
        .session_type(codec)
        .allow_unsigned_logins(codec == SessionType::Base64)
        .build()
        .unwrap()
}

/// `/page` is behind `guard` and its handler takes `CurrentUser` too;
/// `/me` takes `CurrentUser` behind no guard.
fn app(config: SessionConfig, guard: RequireUser<User>) -> Router {
    async fn me(CurrentUser(user): CurrentUser<User>) -> String {
        format!("user {}", user.id)
    }
    Router::new()
        .route("/page", get(me))
        .route_layer(guard)
        .route("/me", get(me))
        .layer(SessionLayer::new(config))
}

fn cookie(config: &SessionConfig, id: i64) -> String {
    format!("session={}", common::encode(config, json!({ "id": id })))
}

/// An async permission lookup: the ids that may see `/page`, behind an await.
#[derive(Clone)]
struct Permissions(Arc<HashSet<i64>>);

impl Permissions {
    async fn allows(&self, id: i64) -> bool {
        tokio::task::yield_now().await;
        self.0.contains(&id)
    }
}

async fn an_async_check_lets_in_or_forbids(codec: SessionType) {
    let config = config(codec);
    let permissions = Permissions(Arc::new(HashSet::from([2])));
    let guard = RequireUser::new().check_async(move |user: &User| {
        let (permissions, id) = (permissions.clone(), user.id);
        async move { permissions.allows(id).await }
    });
    let app = app(config.clone().with_user_loader(Users::default()), guard);

    let reply = send_get(&app, "/page", Some(&cookie(&config, 2))).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (StatusCode::OK, "user 2")
    );
    let reply = send_get(&app, "/page", Some(&cookie(&config, 1))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{codec}");
    assert!(reply.headers.get("location").is_none());
    // Anonymous visitors still go to the login page.
    let reply = send_get(&app, "/page", None).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
}

#[tokio::test]
async fn an_async_check_runs_on_guarded_routes_only_and_the_user_loads_once() {
    let users = Users::default();
    let checks = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&checks);
    let guard = RequireUser::new().check_async(move |user: &User| {
        counter.fetch_add(1, Ordering::SeqCst);
        let is_admin = user.is_admin;
        async move {
            tokio::task::yield_now().await;
            is_admin
        }
    });
    let config = config(SessionType::Jwt);
    let app = app(config.clone().with_user_loader(users.clone()), guard);
    let admin = cookie(&config, 1);

    // The guard and the handler's CurrentUser share one load.
    let reply = send_get(&app, "/page", Some(&admin)).await;
    assert_eq!(reply.body, "user 1");
    assert_eq!(users.loads.load(Ordering::SeqCst), 1);
    assert_eq!(checks.load(Ordering::SeqCst), 1);

    // An unguarded route loads the user without checking.
    let reply = send_get(&app, "/me", Some(&admin)).await;
    assert_eq!(reply.body, "user 1");
    assert_eq!(users.loads.load(Ordering::SeqCst), 2);
    assert_eq!(checks.load(Ordering::SeqCst), 1);

    // No user, no check.
    send_get(&app, "/page", None).await;
    assert_eq!(checks.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failed_async_check_gets_the_forbidden_response() {
    let config = config(SessionType::Jwt);
    let guard = RequireUser::new()
        .check_async(|user: &User| {
            let is_admin = user.is_admin;
            async move { is_admin }
        })
        .on_forbidden(|user: &User| (StatusCode::NOT_FOUND, format!("no page for {}", user.id)));
    let app = app(config.clone().with_user_loader(Users::default()), guard);
    let reply = send_get(&app, "/page", Some(&cookie(&config, 2))).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (StatusCode::NOT_FOUND, "no page for 2")
    );
}

#[tokio::test]
async fn the_last_check_given_wins() {
    let config = config(SessionType::Jwt);
    let sync_last = RequireUser::new()
        .check_async(|_: &User| async { false })
        .check(|_: &User| true);
    let async_last = RequireUser::new()
        .check(|_: &User| true)
        .check_async(|_: &User| async { false });
    let user = cookie(&config, 2);
    let app_sync = app(config.clone().with_user_loader(Users::default()), sync_last);
    let app_async = app(
        config.clone().with_user_loader(Users::default()),
        async_last,
    );
    assert_eq!(
        send_get(&app_sync, "/page", Some(&user)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send_get(&app_async, "/page", Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn guards_without_a_check_apply_the_default_check(codec: SessionType) {
    let config = config(codec);
    let app = app(
        config.clone().with_user_loader(Users::default()),
        RequireUser::new(),
    );
    for (id, status) in [
        (1, StatusCode::OK),
        (2, StatusCode::OK),
        (3, StatusCode::FORBIDDEN),
    ] {
        let reply = send_get(&app, "/page", Some(&cookie(&config, id))).await;
        assert_eq!(reply.status, status, "user {id}, {codec}");
    }
    // CurrentUser does not apply it.
    let reply = send_get(&app, "/me", Some(&cookie(&config, 3))).await;
    assert_eq!(reply.body, "user 3");
}

#[tokio::test]
async fn a_guards_own_check_replaces_the_default_check() {
    let config = config(SessionType::Jwt);
    let inactive_admin = cookie(&config, 3);
    let own_checks = [
        RequireUser::new().check(|user: &User| user.is_admin),
        RequireUser::new().check_async(|user: &User| {
            let is_admin = user.is_admin;
            async move { is_admin }
        }),
    ];
    for guard in own_checks {
        let app = app(config.clone().with_user_loader(Users::default()), guard);
        let reply = send_get(&app, "/page", Some(&inactive_admin)).await;
        assert_eq!(reply.body, "user 3", "the default check was not applied");
    }

    // Both, by calling the default from the guard's check.
    let both = RequireUser::new().check(|u: &User| u.is_active() && u.is_admin);
    let app = app(config.clone().with_user_loader(Users::default()), both);
    for (id, status) in [
        (1, StatusCode::OK),
        (2, StatusCode::FORBIDDEN),
        (3, StatusCode::FORBIDDEN),
    ] {
        let reply = send_get(&app, "/page", Some(&cookie(&config, id))).await;
        assert_eq!(reply.status, status, "user {id}");
    }
}

#[tokio::test]
async fn without_a_default_check_every_user_passes() {
    let config = config(SessionType::Jwt);
    let app = app(
        config.clone().with_user_loader(PlainUsers),
        RequireUser::new(),
    );
    for id in [1, 2, 3] {
        let reply = send_get(&app, "/page", Some(&cookie(&config, id))).await;
        assert_eq!(reply.body, format!("user {id}"));
    }
}

codec_tests!(
    an_async_check_lets_in_or_forbids,
    guards_without_a_check_apply_the_default_check
);
