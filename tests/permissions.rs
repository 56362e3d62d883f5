//! Permission checks, ported from axum-login's `permissions` example: users
//! and their permissions behind a `UserLoader`, routes that require one
//! (`RequireUser::permission`), a fallible check of the app's own
//! (`RequireUser::try_check`), and a backend error that is a `500`, never a
//! `403`.

mod common;

use std::collections::HashSet;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{RequireUser, SessionConfig, SessionLayer, SessionType, UserLoader};
use http::StatusCode;

#[derive(Clone)]
struct User {
    id: i64,
}

/// ferris may read what is protected; admin may also read what is
/// restricted (axum-login's example users). `down` makes every lookup fail.
#[derive(Clone, Default)]
struct Backend {
    down: Arc<AtomicBool>,
}

impl Backend {
    fn permissions(id: i64) -> HashSet<&'static str> {
        match id {
            1 => HashSet::from(["protected.read"]),
            2 => HashSet::from(["protected.read", "restricted.read"]),
            // A deactivated account whose permission rows remain.
            3 => HashSet::from(["protected.read"]),
            _ => HashSet::new(),
        }
    }

    fn check_up(&self) -> Result<(), io::Error> {
        if self.down.load(Ordering::Relaxed) {
            Err(io::Error::other("database unreachable at db.internal:5432"))
        } else {
            Ok(())
        }
    }
}

impl UserLoader for Backend {
    type User = User;
    type Id = i64;
    type Error = io::Error;

    async fn load_user(&self, id: i64) -> Result<Option<User>, io::Error> {
        Ok(matches!(id, 1..=3).then_some(User { id }))
    }

    /// User 3 is deactivated.
    fn default_check(&self, user: &User) -> bool {
        user.id != 3
    }

    async fn has_permission(&self, user: &User, permission: &str) -> Result<bool, io::Error> {
        self.check_up()?;
        Ok(Self::permissions(user.id).contains(permission))
    }
}

fn app(backend: Backend) -> (Router, SessionConfig) {
    let config = common::config(SessionType::Jwt).with_user_loader(backend.clone());
    let teams = backend.clone();
    // A route layer covers the routes added before it: one router each.
    let protected = Router::new()
        .route("/protected", get(|| async { "protected" }))
        .route_layer(RequireUser::<User>::new().permission("protected.read"));
    let restricted = Router::new()
        .route("/restricted", get(|| async { "restricted" }))
        .route_layer(
            RequireUser::<User>::new()
                .permission("protected.read")
                .permission("restricted.read"),
        );
    let team = Router::new()
        .route("/team", get(|| async { "team" }))
        .route_layer(RequireUser::<User>::new().try_check(move |user: &User| {
            let (teams, id) = (teams.clone(), user.id);
            async move { teams.check_up().map(|()| id == 2) }
        }));
    let router = protected
        .merge(restricted)
        .merge(team)
        .layer(SessionLayer::new(config.clone()));
    (router, config)
}

async fn status(app: &Router, config: &SessionConfig, user: Option<i64>, path: &str) -> StatusCode {
    let cookie = user.map(|id| {
        let token = common::encode(config, serde_json::json!({"id": id}));
        format!("session={token}")
    });
    common::get(app, path, cookie.as_deref()).await.status
}

#[tokio::test]
async fn routes_need_the_permissions_the_loader_grants() {
    let (app, config) = app(Backend::default());
    let cases = [
        (Some(1), "/protected", StatusCode::OK),
        (Some(1), "/restricted", StatusCode::FORBIDDEN),
        (Some(2), "/protected", StatusCode::OK),
        (Some(2), "/restricted", StatusCode::OK),
        // Deactivated: the loader's default check still holds.
        (Some(3), "/protected", StatusCode::FORBIDDEN),
        (Some(1), "/team", StatusCode::FORBIDDEN),
        (Some(2), "/team", StatusCode::OK),
        (None, "/protected", StatusCode::TEMPORARY_REDIRECT),
    ];
    for (user, path, expected) in cases {
        assert_eq!(
            status(&app, &config, user, path).await,
            expected,
            "{user:?} {path}"
        );
    }
}

#[test]
fn a_backend_error_is_a_500_logged_never_a_403() {
    let backend = Backend::default();
    let (app, config) = app(backend.clone());
    backend.down.store(true, Ordering::Relaxed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let logs = common::logs_of(tracing::Level::ERROR, || {
        for path in ["/protected", "/restricted", "/team"] {
            let reply = runtime.block_on(async {
                let token = common::encode(&config, serde_json::json!({"id": 2}));
                common::get(&app, path, Some(&format!("session={token}"))).await
            });
            assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            // The backend's message stays in the log.
            assert_eq!(reply.body, "Internal Server Error", "{path}");
        }
    });
    assert_eq!(
        logs.matches("the guard's check failed").count(),
        3,
        "{logs}"
    );
    assert!(logs.contains("database unreachable"), "{logs}");
}

/// A loader that grants nothing by default: a permission guard over it lets
/// no one in.
#[tokio::test]
async fn without_has_permission_no_one_holds_a_permission() {
    struct Plain;
    impl UserLoader for Plain {
        type User = User;
        type Id = i64;
        type Error = std::convert::Infallible;
        async fn load_user(&self, id: i64) -> Result<Option<User>, Self::Error> {
            Ok(Some(User { id }))
        }
    }
    let config = common::config(SessionType::Jwt).with_user_loader(Plain);
    let app = Router::new()
        .route("/x", get(|| async { "x" }))
        .route_layer(RequireUser::<User>::new().permission("x.read"))
        .layer(SessionLayer::new(config.clone()));
    assert_eq!(
        status(&app, &config, Some(1), "/x").await,
        StatusCode::FORBIDDEN
    );
}
