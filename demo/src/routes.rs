//! The routes, mirroring muffin-session's README "Example": home, login and
//! logout, the session, clearing it, and an admin-only page.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{FromRef, OriginalUri, Query, Request, State};
use axum::http::header::{ACCEPT, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use axum_cookie_session::{
    safe_next, ApiRoutes, CurrentUser, Messages, RequireUser, Session, SessionConfig, SessionLayer,
};
use maud::Markup;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access_log::log_request;
use crate::client::Client;
use crate::db::{self, Db, DbError, User};
use crate::no_framing::deny_framing;
use crate::pages::{self, Lifetimes, LoginPage, SessionPage};
use crate::refusals::style_refusals;
use crate::throttle::{LoginThrottle, Throttled};

/// How long a "Remember me" login lasts: in the browser (`Max-Age`) and on
/// the server (at most `SESSION_MAX_LIFETIME`, 30 days by default). A plain
/// login lasts until the browser closes, and 14 days at most on the server
/// (`SESSION_LIFETIME`); `SESSION_MAX_AGE` makes it outlive the browser.
pub const REMEMBER_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// What handlers share: the users, the count of failed logins, and the
/// session config (the same the `SessionLayer` has), for what the pages
/// say of lifetimes and for whether proxy headers are trusted.
#[derive(Clone)]
struct AppState {
    db: Db,
    throttle: Arc<LoginThrottle>,
    config: SessionConfig,
    lifetimes: Lifetimes,
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<LoginThrottle> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.throttle)
    }
}

impl FromRef<AppState> for SessionConfig {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

impl FromRef<AppState> for Lifetimes {
    fn from_ref(state: &AppState) -> Self {
        state.lifetimes
    }
}

/// The whole site. `config` must already have `db` as its user loader, and
/// it must be served with its clients' addresses
/// (`into_make_service_with_connect_info::<SocketAddr>`), which the access
/// log writes and the login throttle counts by (`client.rs`: the peer, or
/// the proxy's `X-Forwarded-For` when `config.trust_proxy_headers()`).
///
/// `SessionLayer` answers `403` to every `POST` another site sends (by
/// `Sec-Fetch-Site`, then `Origin`), so no other site can log a visitor in,
/// out, or change a password; curl and scripts, which send neither header,
/// pass. `style_refusals`, just outside it, turns that `403` into a page of
/// the site. No `GET` changes the session. No other page may frame the site
/// (`deny_framing`, outermost so that every answer carries it).
///
/// The routes under `/api/` are an API (`ApiRoutes`): an anonymous caller
/// gets `401` JSON whatever its `Accept` says (curl's `*/*` included),
/// never the login page. The `401`'s challenge names the config's login
/// URL, `/login`: the demo has one way to log in, its form, which scripts
/// post to as well (`curl -d username=...`), so there is one place where
/// passwords are checked, throttled and logged.
pub fn app(config: SessionConfig, db: Db) -> Router {
    let state = AppState {
        db,
        throttle: Arc::default(),
        lifetimes: Lifetimes::new(&config, REMEMBER_FOR),
        config: config.clone(),
    };
    let admins_only = RequireUser::<User>::new()
        .check(|user: &User| user.is_admin)
        .on_forbidden(|user: &User| (StatusCode::FORBIDDEN, Extension(NotAdmin(user.clone()))));
    Router::new()
        .route("/admin", get(admin))
        .route_layer(admins_only)
        .route_layer(middleware::from_fn(forbidden_page))
        .merge(members_only())
        .nest("/api", api())
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout_page).post(logout))
        .route("/password", get(password_form).post(change_password))
        .route("/session", get(session))
        .route("/clear", post(clear))
        .fallback(not_found)
        .layer(SessionLayer::new(config))
        .layer(middleware::map_response(style_refusals))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .layer(middleware::map_response(deny_framing))
        .with_state(state)
}

/// Actions for any logged-in user, behind `RequireUser`: "Log out my other
/// browsers". An anonymous visitor who posts it (their login ended while
/// the page was open) is sent to the login form with `303`, a `GET`, and
/// from there to the session page, where the button is.
fn members_only() -> Router<AppState> {
    let members = RequireUser::<User>::new()
        .status(StatusCode::SEE_OTHER)
        .redirect_to("/login?next=%2Fsession");
    Router::new()
        .route("/logout-others", post(logout_others))
        .route_layer(members)
}

/// The API, under `/api/`: its anonymous callers get `401` JSON.
fn api() -> Router<AppState> {
    Router::new()
        .route("/me", get(api_me))
        .layer(ApiRoutes::new())
}

/// The visitor, if logged in, as pages take it.
fn visitor(user: &Option<CurrentUser<User>>) -> Option<&User> {
    user.as_ref().map(|CurrentUser(user)| user)
}

/// `GET /`: who is logged in, and the messages the last request left.
async fn home(user: Option<CurrentUser<User>>, mut messages: Messages) -> Markup {
    pages::home(visitor(&user), &messages.take())
}

/// Where to go after logging in, as the query string or the form gives it.
#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the form. A `next` that is not a path on this site is
/// dropped here, so the form never carries it.
async fn login_form(
    State(lifetimes): State<Lifetimes>,
    user: Option<CurrentUser<User>>,
    mut messages: Messages,
    Query(query): Query<NextQuery>,
) -> Markup {
    pages::login(LoginPage {
        user: visitor(&user),
        messages: &messages.take(),
        next: query.next.as_deref().and_then(safe_next),
        message: None,
        username: "",
        remember: false,
        lifetimes: &lifetimes,
    })
}

/// The login form's fields.
#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    /// `on` when "Remember me" is ticked; absent otherwise.
    remember: Option<String>,
}

/// `POST /login`: checks the password, then starts a fresh session holding
/// the user's id (and the digest that a password change revokes) and goes
/// to `next` (checked again: the form came from the browser) or home,
/// which greets the user once ("Welcome back, alice."). A
/// ticked "Remember me" gives the session a 30-day lifetime and a cookie
/// that outlives the browser. A wrong name or password re-renders the form
/// with `401`, keeping the name. Too many failures for the name or from
/// the client (`throttle.rs`) re-render it with `429` and `Retry-After`,
/// before any password is hashed.
async fn login(
    State(db): State<Db>,
    State(throttle): State<Arc<LoginThrottle>>,
    State(lifetimes): State<Lifetimes>,
    Client(client): Client,
    mut session: Session,
    mut messages: Messages,
    Form(form): Form<LoginForm>,
) -> Result<Response, DbError> {
    let LoginForm {
        username,
        password,
        next,
        remember,
    } = form;
    let typed = Typed {
        username: &username,
        next: safe_next(&next),
        remember: remember.as_deref() == Some("on"),
        lifetimes: &lifetimes,
    };
    let attempt = match throttle.begin(&username, client) {
        Ok(attempt) => attempt,
        Err(throttled) => return Ok(too_many_failures(&typed, client, throttled)),
    };
    let Some(user) = db.authenticate(username.clone(), password).await? else {
        tracing::warn!(user = ?shown(&username), %client, "login failed");
        let message = "Wrong user name or password.";
        return Ok(login_again(StatusCode::UNAUTHORIZED, &typed, message));
    };
    throttle.succeeded(attempt);
    // Drop whatever the session held before login: a fresh session.
    session.end();
    if let Err(err) = session.login_user(user.id, &user) {
        return Ok(err.into_response());
    }
    if typed.remember {
        session.set_lifetime(Some(REMEMBER_FOR));
    }
    // After `end`, which would drop it.
    messages.success(format!("Welcome back, {}.", user.username));
    tracing::info!(user = %user.username, "logged in");
    Ok(Redirect::to(typed.next.unwrap_or("/")).into_response())
}

/// What a refused login keeps when the form is shown again: everything
/// the visitor typed but the password.
struct Typed<'a> {
    username: &'a str,
    /// Already checked by `safe_next`.
    next: Option<&'a str>,
    remember: bool,
    lifetimes: &'a Lifetimes,
}

/// The login form again, with `status` and `message`.
fn login_again(status: StatusCode, typed: &Typed<'_>, message: &str) -> Response {
    let page = pages::login(LoginPage {
        user: None,
        messages: &[],
        next: typed.next,
        message: Some(message),
        username: typed.username,
        remember: typed.remember,
        lifetimes: typed.lifetimes,
    });
    (status, page).into_response()
}

/// A login refused by the throttle: `429`, `Retry-After`, and the form
/// saying how long to wait.
fn too_many_failures(typed: &Typed<'_>, client: IpAddr, throttled: Throttled) -> Response {
    let seconds = throttled.seconds();
    let user = shown(typed.username);
    tracing::info!(user = ?user, %client, seconds, "login throttled");
    let message =
        format!("Too many failed logins. Please wait {seconds} seconds before trying again.");
    let page = login_again(StatusCode::TOO_MANY_REQUESTS, typed, &message);
    ([(RETRY_AFTER, seconds.to_string())], page).into_response()
}

/// A user name as logged: its first 64 characters, which are enough to
/// tell who was tried, so that a megabyte of name does not fill the log.
/// It is logged quoted and escaped (`?`), so no name can forge a log line.
fn shown(username: &str) -> &str {
    username
        .char_indices()
        .nth(64)
        .map_or(username, |(end, _)| &username[..end])
}

/// `GET /logout`: a page with the logout button. Logging out changes state,
/// so a GET never does it.
async fn logout_page(user: Option<CurrentUser<User>>, mut messages: Messages) -> Markup {
    pages::logout(visitor(&user), &messages.take())
}

/// `POST /logout`: ends the whole session (`end`, not `logout`, which
/// would keep the rest of it) and says so on the next page.
async fn logout(mut session: Session, mut messages: Messages) -> Redirect {
    session.end();
    messages.success("Logged out.");
    Redirect::to("/")
}

/// `GET /password`: the form.
async fn password_form(CurrentUser(user): CurrentUser<User>, mut messages: Messages) -> Markup {
    pages::password(&user, &messages.take(), None)
}

/// The password form's fields.
#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /password`: a new password of fewer than 8 characters (or more
/// than 1024) is `422` and the form again saying so, before any hash; a
/// wrong current password is `401` and the form again. Otherwise the new
/// hash is stored, which ends every other login of the user (their digest
/// no longer matches), and this browser is logged in again under the new
/// hash, keeping its "Remember me".
async fn change_password(
    State(db): State<Db>,
    CurrentUser(user): CurrentUser<User>,
    mut session: Session,
    mut messages: Messages,
    Form(form): Form<PasswordForm>,
) -> Result<Response, DbError> {
    if let Some(problem) = db::new_password_problem(&form.new_password) {
        let page = pages::password(&user, &[], Some(&problem));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let Some(changed) = db
        .change_password(user.clone(), form.current_password, form.new_password)
        .await?
    else {
        let page = pages::password(&user, &[], Some("Wrong current password."));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    let remembered = session.lifetime();
    if let Err(err) = session.login_user(changed.id, &changed) {
        return Ok(err.into_response());
    }
    session.set_lifetime(remembered);
    messages.success("Password changed. Other browsers are logged out.");
    tracing::info!(user = %changed.username, "password changed");
    Ok(Redirect::to("/").into_response())
}

/// `POST /logout-others`: "Log out my other browsers". Moves the user's
/// session epoch on, which is in the digest every login of theirs holds,
/// so every other browser (and every copy of this cookie) is anonymous on
/// its next request; then logs this browser in again under the new epoch,
/// keeping its "Remember me", and says so on the session page. The layer
/// refuses the form if another site sent it.
async fn logout_others(
    State(db): State<Db>,
    CurrentUser(user): CurrentUser<User>,
    mut session: Session,
    mut messages: Messages,
) -> Result<Response, DbError> {
    let user = db.bump_session_epoch(user.id).await?;
    let remembered = session.lifetime();
    if let Err(err) = session.login_user(user.id, &user) {
        return Ok(err.into_response());
    }
    session.set_lifetime(remembered);
    messages.success("Your other browsers are logged out.");
    tracing::info!(user = %user.username, "logged out the other browsers");
    Ok(Redirect::to("/session").into_response())
}

/// `GET /api/me`: the logged-in user as JSON. An anonymous caller never
/// gets here: `CurrentUser` answers it `401` with `{"error":"login
/// required"}` and a `WWW-Authenticate: Cookie` challenge (`ApiRoutes`).
async fn api_me(CurrentUser(user): CurrentUser<User>) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
    }))
}

/// `GET /session`: for a browser, a page showing the session cookie and
/// what it held when the browser asked, messages included (which the page
/// then shows and removes); for anything else (curl, scripts), the session
/// as JSON, leaving the messages for a page.
async fn session(
    State(config): State<SessionConfig>,
    State(lifetimes): State<Lifetimes>,
    user: Option<CurrentUser<User>>,
    session: Session,
    mut messages: Messages,
    headers: HeaderMap,
) -> Response {
    if !wants_html(&headers) {
        return Json(session.into_inner()).into_response();
    }
    let page = pages::session(SessionPage {
        user: visitor(&user),
        messages: &messages.take(),
        cookie: session.cookie_info(),
        own_lifetime: session.lifetime(),
        lifetimes: &lifetimes,
        cookie_name: config.cookie_name(),
        session: &session,
        now: SystemTime::now(),
    });
    page.into_response()
}

/// Whether the client asked for HTML, as browsers do.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"))
}

/// `POST /clear`: empties the session (which logs out too), and says so
/// on the next page.
async fn clear(mut session: Session, mut messages: Messages) -> Redirect {
    session.clear();
    messages.success("Session cleared.");
    Redirect::to("/session")
}

/// `GET /admin`: only admins get here (the route guard checks).
async fn admin(CurrentUser(user): CurrentUser<User>, mut messages: Messages) -> Markup {
    pages::admin(&user, &messages.take())
}

/// The user the admin guard refused, which its `403` carries out to
/// [`forbidden_page`].
#[derive(Clone)]
struct NotAdmin(User);

/// Makes the admin guard's `403` into the page naming the user, with the
/// messages waiting: a login that sends bob on to `/admin` greets him here.
/// The guard's `on_forbidden` cannot take them (it gets the user alone), and
/// no handler ran, so none took them.
async fn forbidden_page(mut messages: Messages, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    match response.extensions().get::<NotAdmin>() {
        Some(NotAdmin(user)) => (
            StatusCode::FORBIDDEN,
            pages::forbidden(user, &messages.take()),
        )
            .into_response(),
        None => response,
    }
}

/// Any other path: an HTML `404`. Only a page a browser navigates to shows
/// the messages waiting, not the icon it fetches on its own.
async fn not_found(
    user: Option<CurrentUser<User>>,
    mut messages: Messages,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let shown = if wants_html(&headers) {
        messages.take()
    } else {
        Vec::new()
    };
    let page = pages::not_found(visitor(&user), &shown, uri.path());
    (StatusCode::NOT_FOUND, page).into_response()
}

/// A database failure is logged and answered `500`, without details.
impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "database failure");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
