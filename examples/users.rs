//! From muffin-session's README, "Example": users, login, logout and an admin-only page.
//!
//! An in-memory `UserLoader` holds alice (id 1, admin) and bob (id 2).
//! `POST /login` with `user=NAME` stands in for real authentication (no
//! password: the demo, `cargo run -p demo`, checks one).
//!
//! Logging in and out, and clearing, are `POST`s, which `SessionLayer`
//! refuses from other sites; muffin-session's snippet does them on `GET`,
//! which any site can trigger with a link or an image.
//!
//! ```sh
//! cargo run --example users   # on http://127.0.0.1:3003; a random secret unless SESSION_SECRET_KEY is set
//! curl -i http://127.0.0.1:3003/admin                          # 307 to /login?next=%2Fadmin
//! curl -i -c users.jar -b users.jar http://127.0.0.1:3003/login -d user=alice -d next=/admin
//! curl -b users.jar http://127.0.0.1:3003/admin                # Top secret admin page. Welcome, alice.
//! curl -i -c users.jar -b users.jar -X POST http://127.0.0.1:3003/logout
//! ```
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`) and `ADDR`
//! (default `127.0.0.1:3003`); the cookie is `users_session` unless
//! `SESSION_COOKIE_NAME` says otherwise.

mod support;

use std::collections::HashMap;
use std::convert::Infallible;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
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
struct LoginForm {
    user: String,
    next: Option<String>,
}

/// Where to log in.
async fn login_page() -> &'static str {
    "POST user=alice (admin) or user=bob to /login, with next=/path to go on there."
}

/// Logs in the user the form names (no password: this is an example of the
/// session, not of authentication), then goes to a validated `next`.
async fn login(mut session: Session, Form(form): Form<LoginForm>) -> Response {
    let Some(user) = Users::demo().by_name(&form.user).cloned() else {
        return (StatusCode::UNAUTHORIZED, "No such user.").into_response();
    };
    session.end(); // a fresh session: drop pre-login data
    if let Err(err) = session.login(user.id) {
        return err.into_response();
    }
    let next = form.next.as_deref().and_then(safe_next).unwrap_or("/");
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
async fn main() -> std::process::ExitCode {
    support::init_tracing();
    support::exit_on_error(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = support::session_config("users_session")?.with_user_loader(Users::demo());
    let app = Router::new()
        .route("/admin", get(admin))
        .route_layer(RequireUser::<User>::new().check(|user: &User| user.is_admin))
        .route("/", get(home))
        .route("/session", get(session))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/clear", post(clear))
        .layer(SessionLayer::new(config));
    support::serve(app, "127.0.0.1:3003").await
}
