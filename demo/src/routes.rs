//! The routes, mirroring muffin-session's README "Example": home, login and
//! logout, the session as JSON, clearing it, and an admin-only page.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{middleware, Form, Json, Router};
use axum_cookie_session::{
    safe_next, CurrentUser, RequireUser, Session, SessionConfig, SessionLayer,
};
use maud::Markup;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::access_log::log_request;
use crate::db::{Db, DbError, User};
use crate::pages;

/// The whole site. `config` must already have `db` as its user loader.
pub fn app(config: SessionConfig, db: Db) -> Router {
    let admins_only = RequireUser::<User>::new()
        .check(|user: &User| user.is_admin)
        .on_forbidden(|| (StatusCode::FORBIDDEN, pages::forbidden()));
    Router::new()
        .route("/admin", get(admin))
        .route_layer(admins_only)
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout).post(logout))
        .route("/session", get(session))
        .route("/clear", get(clear))
        .layer(SessionLayer::new(config))
        .layer(middleware::from_fn(log_request))
        .with_state(db)
}

/// `GET /`: who is logged in.
async fn home(user: Option<CurrentUser<User>>) -> Markup {
    pages::home(user.as_ref().map(|CurrentUser(user)| user))
}

/// Where to go after logging in, as the query string or the form gives it.
#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the form. A `next` that is not a path on this site is
/// dropped here, so the form never carries it.
async fn login_form(user: Option<CurrentUser<User>>, Query(query): Query<NextQuery>) -> Markup {
    let next = query.next.as_deref().and_then(safe_next);
    pages::login(user.as_ref().map(|CurrentUser(user)| user), next, None)
}

/// The login form's fields.
#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: checks the password, then starts a fresh session holding
/// the user's id and goes to `next` (checked again: the form came from the
/// browser) or home. A wrong name or password re-renders the form with `401`.
async fn login(
    State(db): State<Db>,
    mut session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, DbError> {
    let next = safe_next(&form.next);
    let Some(user) = db.authenticate(form.username, form.password).await? else {
        let page = pages::login(None, next, Some("Wrong user name or password."));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    // Drop whatever the session held before login: a fresh session.
    session.end();
    if let Err(err) = session.login(user.id) {
        return Ok(err.into_response());
    }
    tracing::info!(user = %user.username, "logged in");
    Ok(Redirect::to(next.unwrap_or("/")).into_response())
}

/// `GET` or `POST /logout`: forgets the user, keeps the rest of the session.
async fn logout(mut session: Session) -> Redirect {
    session.logout();
    Redirect::to("/")
}

/// `GET /session`: the whole session object as JSON.
async fn session(session: Session) -> Json<Map<String, Value>> {
    Json(session.into_inner())
}

/// `GET /clear`: empties the session (which logs out too).
async fn clear(mut session: Session) -> Markup {
    session.clear();
    pages::cleared()
}

/// `GET /admin`: only admins get here (the route guard checks).
async fn admin(CurrentUser(user): CurrentUser<User>) -> Markup {
    pages::admin(&user)
}

/// A database failure is logged and answered `500`, without details.
impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "database failure");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
