//! From muffin-session's README, "Example": users, login, logout and an admin-only page.
//!
//! An in-memory `UserLoader` holds alice (id 1, admin) and bob (id 2).
//! `GET /login?user=NAME` stands in for real authentication.
//!
//! Like muffin-session's snippet, it logs in and out on `GET`, so that the
//! two answer the same URLs. Any site can trigger a `GET` with a link or an
//! image: a real app changes the session only on `POST`, which
//! `SessionLayer` refuses from other sites, as the demo (`cargo run -p demo`)
//! does.
//!
//! ```sh
//! cargo run --example users   # on http://127.0.0.1:3003; a random secret unless SESSION_SECRET_KEY is set
//! curl -i http://127.0.0.1:3003/admin                          # 307 to /login?next=%2Fadmin
//! curl -i -c jar -b jar 'http://127.0.0.1:3003/login?user=alice&next=/admin'
//! curl -b jar http://127.0.0.1:3003/admin                      # Top secret admin page.
//! ```
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`) and `ADDR`
//! (default `127.0.0.1:3003`).

mod support;

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{safe_next, CurrentUser, RequireUser, Session, SessionLayer, UserLoader};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Clone)]
struct User {
    id: i64,
    name: String,
    is_admin: bool,
}

/// The app's users, by id.
struct Users(HashMap<i64, User>);

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        Ok(self.0.get(&id).cloned())
    }
}

impl Users {
    fn demo() -> Self {
        let users = [(1, "alice", true), (2, "bob", false)].map(|(id, name, is_admin)| {
            let name = name.to_owned();
            (id, User { id, name, is_admin })
        });
        Self(HashMap::from(users))
    }

    fn by_name(&self, name: &str) -> Option<&User> {
        self.0.values().find(|user| user.name == name)
    }
}

async fn home(user: Option<CurrentUser<User>>) -> String {
    match user {
        Some(CurrentUser(user)) => format!("Logged in as {}.", user.name),
        None => "Not logged in.".to_owned(),
    }
}

async fn session(session: Session) -> Json<Map<String, Value>> {
    Json(session.into_inner())
}

async fn admin(CurrentUser(user): CurrentUser<User>) -> String {
    format!("Top secret admin page. Welcome, {}.", user.name)
}

#[derive(Deserialize)]
struct LoginQuery {
    user: Option<String>,
    next: Option<String>,
}

/// Logs in the user named in the query (no password: this is a demo of the
/// session, not of authentication), then goes to a validated `next`.
async fn login(mut session: Session, Query(query): Query<LoginQuery>) -> Response {
    let Some(name) = query.user else {
        return "Log in with /login?user=alice (admin) or /login?user=bob.".into_response();
    };
    if let Some(user) = Users::demo().by_name(&name) {
        session.end(); // a fresh session: drop pre-login data
        if let Err(err) = session.login(user.id) {
            return err.into_response();
        }
    }
    let next = query.next.as_deref().and_then(safe_next).unwrap_or("/");
    Redirect::to(next).into_response()
}

async fn logout(mut session: Session) -> Redirect {
    session.logout();
    Redirect::to("/")
}

async fn clear(mut session: Session) -> &'static str {
    session.clear();
    "Session cleared."
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    support::init_tracing();
    let config = support::session_config()?.with_user_loader(Users::demo());
    let app = Router::new()
        .route("/admin", get(admin))
        .route_layer(RequireUser::<User>::new().check(|user: &User| user.is_admin))
        .route("/", get(home))
        .route("/session", get(session))
        .route("/login", get(login))
        .route("/logout", get(logout))
        .route("/clear", get(clear))
        .layer(SessionLayer::new(config));
    support::serve(app, "127.0.0.1:3003").await
}
