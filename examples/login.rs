// A login site in one file: a form that checks a password, a page only a
// logged-in user sees, and a logout button. `cargo run --example login`,
// then open http://127.0.0.1:3005 (ADDR=host:port to move it).

use std::convert::Infallible;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_cookie_session::{
    safe_next, CurrentUser, RequireUser, SaveError, Session, SessionConfig, SessionLayer,
    UserLoader,
};
use serde::Deserialize;
use tracing_subscriber::filter::LevelFilter;

#[derive(Clone)]
struct User {
    id: i64,
}

/// Finds the user a session names. Stand-in for your database: one user, id 1.
struct Users;

impl UserLoader for Users {
    type User = User;
    type Id = i64; // what the session stores under "id"
    type Error = Infallible; // your database's error: a failed lookup answers 500

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        Ok((id == 1).then_some(User { id }))
    }
}

/// Stand-in for your user table and password hashes (the demo uses the
/// password-auth crate): "alice", password "wonderland". It only works in
/// debug builds, so a release build that still has it lets nobody in.
fn check_password(username: &str, password: &str) -> Option<User> {
    let ok = cfg!(debug_assertions) && username == "alice" && password == "wonderland";
    ok.then_some(User { id: 1 })
}

/// `GET /`: logged-in users only (the guard in `app` sends others to log in).
async fn home(CurrentUser(user): CurrentUser<User>) -> Html<String> {
    let logout = r#"<form method="post" action="/logout"><button>Log out</button></form>"#;
    Html(format!("<p>Logged in as user {}.</p>\n{logout}", user.id))
}

/// `GET /login`: the form. With no `action`, it posts back to this URL,
/// the `?next=` the guard added included.
async fn login_form() -> Html<&'static str> {
    Html(
        r#"<form method="post">
<input name="username" placeholder="alice"> <input name="password" type="password">
<button>Log in</button>
</form>"#,
    )
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// `POST /login`: checks the password, logs the user in, goes on to `next`.
async fn login(
    mut session: Session,
    Query(query): Query<Next>,
    Form(form): Form<Credentials>,
) -> Result<Response, SaveError> {
    let Some(user) = check_password(&form.username, &form.password) else {
        return Ok((StatusCode::UNAUTHORIZED, "Wrong user name or password.").into_response());
    };
    session.end(); // a fresh session: nothing from before the login carries over
    session.login(user.id)?; // {"id": 1}, signed into the cookie

    // `next` comes from the visitor: safe_next passes only a path on this site.
    let next = query.next.as_deref().and_then(safe_next).unwrap_or("/");
    Ok(Redirect::to(next).into_response())
}

/// `POST /logout`: ends the session and removes its cookie.
async fn logout(mut session: Session) -> Redirect {
    session.end();
    Redirect::to("/login")
}

fn app(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(home))
        .route_layer(RequireUser::<User>::new()) // guards the routes above it
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        // Last, so it wraps every route: one session per request, saved after
        // the handler; a POST from another site is refused with 403.
        .layer(SessionLayer::new(config.with_user_loader(Users)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The crate logs through `tracing`: warnings about risky config and
    // refused cross-site requests, and at debug level why a session cookie
    // was refused (expired, forged, another key...).
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::DEBUG)
        .init();

    // A random secret, for development: a restart logs everyone out (the
    // crate warns). In production, use `SessionConfig::from_env()?` and set
    // SESSION_SECRET_KEY to 32 random bytes or more (`openssl rand -base64 32`).
    let config = SessionConfig::builder()
        .random_secret()
        .cookie_name("login_session") // not "session": apps on one host share cookies
        .build()?;

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3005".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app(config)).await?;
    Ok(())
}
