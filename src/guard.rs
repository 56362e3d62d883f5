//! [`RequireUser`]: a route guard (muffin-session's `user_pass`) with sync or
//! async checks, login redirects with a safe `next` for pages and `401` for
//! API callers, and [`safe_next`] for login handlers.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{Html, IntoResponse, Response};
use http::header::LOCATION;
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode};
use percent_encoding::percent_decode_str;
use tower_layer::Layer;
use tower_service::Service;

use crate::api::ApiRoute;
use crate::config::SessionConfig;
use crate::error::{internal_error, redirect, BoxError};
use crate::headers::chosen_by_caller_kind;
use crate::navigation::is_api_request;
use crate::state::shared::request_session;
use crate::user::{has_permissions, load_user, login_location, passes_default_check, unauthorized};

type SyncCheck<U> = Arc<dyn Fn(&U) -> bool + Send + Sync>;
type AsyncCheck<U> = Arc<dyn Fn(&U) -> BoxFuture<bool> + Send + Sync>;
type FallibleCheck<U> = Arc<dyn Fn(&U) -> BoxFuture<Result<bool, BoxError>> + Send + Sync>;
type MakeResponse = Arc<dyn Fn() -> Response + Send + Sync>;
type MakeForbidden<U> = Arc<dyn Fn(&U) -> Response + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type MakeLocation = Arc<dyn Fn(&Parts) -> BoxFuture<String> + Send + Sync>;

/// What a logged-in user must pass.
enum Check<U> {
    /// The loader's [`default_check`](crate::UserLoader::default_check).
    Default,
    /// A plain function: no allocation per request.
    Sync(SyncCheck<U>),
    /// A function returning a future, boxed per request.
    Async(AsyncCheck<U>),
    /// A function returning a future that may fail: a failure is a `500`.
    Fallible(FallibleCheck<U>),
    /// Permissions the loader must grant, every one.
    Permissions(Arc<[String]>),
}

impl<U> Clone for Check<U> {
    fn clone(&self) -> Self {
        match self {
            Self::Default => Self::Default,
            Self::Sync(check) => Self::Sync(Arc::clone(check)),
            Self::Async(check) => Self::Async(Arc::clone(check)),
            Self::Fallible(check) => Self::Fallible(Arc::clone(check)),
            Self::Permissions(permissions) => Self::Permissions(Arc::clone(permissions)),
        }
    }
}

impl<U: 'static> Check<U> {
    /// Whether `user` passes; `Err` when the check could not tell.
    async fn passes(&self, config: &SessionConfig, user: &U) -> Result<bool, BoxError> {
        match self {
            Self::Default => Ok(passes_default_check(config, user)),
            Self::Sync(check) => Ok(check(user)),
            Self::Async(check) => Ok(check(user).await),
            Self::Fallible(check) => check(user).await,
            // The loader's default check ("the account is active") still
            // holds: a deactivated user keeps no permission.
            Self::Permissions(permissions) => Ok(passes_default_check(config, user)
                && has_permissions(config, user, permissions).await?),
        }
    }
}

/// Where an anonymous visitor is sent.
#[derive(Clone)]
enum Anonymous {
    /// The config's login URL, with `next` (or `401` if the config says so).
    LoginUrl,
    /// A URL computed from the request (fixed URLs are a constant function).
    Location(MakeLocation),
    /// A whole response, such as `404`.
    Respond(MakeResponse),
}

/// A guard for routes that need a logged-in user passing a check (muffin-session's
/// `user_pass`). Use it as a `route_layer` behind [`SessionLayer`](crate::SessionLayer):
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_cookie_session::{RequireUser, SessionConfig, SessionLayer};
///
/// #[derive(Clone)]
/// struct User { is_admin: bool }
///
/// # fn app(config: SessionConfig) -> Router {
/// Router::new()
///     .route("/admin", get(|| async { "Top secret admin page." }))
///     .route_layer(RequireUser::<User>::new().check(|user: &User| user.is_admin))
///     .layer(SessionLayer::new(config))
/// # }
/// ```
///
/// - An anonymous visitor (no id in the session, or an id the
///   [`UserLoader`](crate::UserLoader) does not know) navigating to a page
///   is redirected to the config's login URL with
///   `next=<original path and query>` (307 by default; `401` if the config
///   turns redirects off). Change this with [`redirect_to`](Self::redirect_to),
///   [`redirect_with`](Self::redirect_with),
///   [`redirect_with_async`](Self::redirect_with_async) or
///   [`respond_with`](Self::respond_with).
/// - An anonymous API caller (`fetch()`, XHR, an `Accept` preferring JSON)
///   gets `401` with `{"error":"login required"}` instead of any redirect
///   ([`UserRejection::Unauthorized`](crate::UserRejection::Unauthorized)); [`api_unauthorized`](Self::api_unauthorized)
///   or the config's [`api_unauthorized`](crate::SessionConfigBuilder::api_unauthorized)
///   turns this off. A [`respond_with`](Self::respond_with) response answers
///   everyone.
/// - A logged-in user must pass the guard's [`check`](Self::check) or
///   [`check_async`](Self::check_async), or, if it has neither, the
///   loader's [`default_check`](crate::UserLoader::default_check) (which
///   lets everyone pass unless the app writes one). One who fails gets `403`
///   ([`on_forbidden`](Self::on_forbidden) changes it), never the login page,
///   so `next` cannot loop.
/// - The user is loaded once per request, shared with
///   [`CurrentUser`](crate::CurrentUser) extractors; the check runs only on
///   the routes the guard covers.
#[must_use = "a guard protects nothing until it is added with `.route_layer(..)`"]
pub struct RequireUser<U> {
    check: Check<U>,
    anonymous: Anonymous,
    status: StatusCode,
    html: bool,
    /// `None`: the config's `api_unauthorized`.
    api_unauthorized: Option<bool>,
    forbidden: MakeForbidden<U>,
}

impl<U> Clone for RequireUser<U> {
    fn clone(&self) -> Self {
        Self {
            check: self.check.clone(),
            anonymous: self.anonymous.clone(),
            status: self.status,
            html: self.html,
            api_unauthorized: self.api_unauthorized,
            forbidden: Arc::clone(&self.forbidden),
        }
    }
}

impl<U> fmt::Debug for RequireUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireUser")
            .field("status", &self.status)
            .field("html", &self.html)
            .field("api_unauthorized", &self.api_unauthorized)
            .finish_non_exhaustive()
    }
}

impl<U> Default for RequireUser<U>
where
    U: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<U> RequireUser<U>
where
    U: Clone + Send + Sync + 'static,
{
    /// Any logged-in user who passes the loader's
    /// [`default_check`](crate::UserLoader::default_check) passes (every
    /// user, unless the app wrote one); anonymous visitors go to the login
    /// URL, anonymous API callers get `401`.
    pub fn new() -> Self {
        Self {
            check: Check::Default,
            anonymous: Anonymous::LoginUrl,
            status: StatusCode::TEMPORARY_REDIRECT,
            html: false,
            api_unauthorized: None,
            forbidden: Arc::new(|_| StatusCode::FORBIDDEN.into_response()),
        }
    }

    /// Only users for whom `check` is true pass; others get `403`.
    ///
    /// It replaces the loader's [`default_check`](crate::UserLoader::default_check)
    /// (and an earlier `check` or [`check_async`](Self::check_async)); to
    /// apply the default too, call it from here:
    /// `.check(|u: &User| u.is_active() && u.is_admin)`.
    pub fn check(mut self, check: impl Fn(&U) -> bool + Send + Sync + 'static) -> Self {
        self.check = Check::Sync(Arc::new(check));
        self
    }

    /// Only users for whom the future that `check` returns resolves to
    /// `true` pass; others get `403`. For permissions kept in a database: they are looked
    /// up only on the routes this guard covers, after the user was loaded
    /// (once per request, as for [`CurrentUser`](crate::CurrentUser)).
    ///
    /// `check` gets the user to read synchronously and returns a future that
    /// owns what it needs (clone the user's id and your pool into it). Like
    /// [`check`](Self::check), it replaces the loader's
    /// [`default_check`](crate::UserLoader::default_check) and any earlier check.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use axum_cookie_session::RequireUser;
    ///
    /// #[derive(Clone)]
    /// struct User { id: i64 }
    ///
    /// #[derive(Clone)]
    /// struct Permissions; // a database pool
    ///
    /// impl Permissions {
    ///     async fn has(&self, user_id: i64, permission: &str) -> bool {
    ///         user_id == 1 && permission == "reports.read"
    ///     }
    /// }
    ///
    /// let permissions = Permissions;
    /// let reports = RequireUser::<User>::new().check_async(move |user: &User| {
    ///     let (permissions, id) = (permissions.clone(), user.id);
    ///     async move { permissions.has(id, "reports.read").await }
    /// });
    /// let app: Router = Router::new()
    ///     .route("/reports", get(|| async { "reports" }))
    ///     .route_layer(reports);
    /// ```
    pub fn check_async<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(&U) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.check = Check::Async(Arc::new(move |user| Box::pin(check(user))));
        self
    }

    /// Only users for whom the future that `check` returns resolves to
    /// `Ok(true)` pass; `Ok(false)` is a `403`, and an error (the database
    /// is down) a `500`, logged at error level, as axum-login's
    /// `permission_required!` does: a user is never turned away as
    /// forbidden because a lookup failed. Otherwise as
    /// [`check_async`](Self::check_async).
    ///
    /// ```
    /// use axum_cookie_session::RequireUser;
    ///
    /// #[derive(Clone)]
    /// struct User { id: i64 }
    ///
    /// #[derive(Clone)]
    /// struct Db;
    ///
    /// impl Db {
    ///     async fn is_member(&self, user_id: i64, team: &str) -> Result<bool, std::io::Error> {
    ///         Ok(user_id == 1 && team == "editors")
    ///     }
    /// }
    ///
    /// let db = Db;
    /// let editors = RequireUser::<User>::new().try_check(move |user: &User| {
    ///     let (db, id) = (db.clone(), user.id);
    ///     async move { db.is_member(id, "editors").await }
    /// });
    /// ```
    pub fn try_check<F, Fut, E>(mut self, check: F) -> Self
    where
        F: Fn(&U) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<bool, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.check = Check::Fallible(Arc::new(move |user| {
            let checked = check(user);
            Box::pin(async move { checked.await.map_err(Into::into) })
        }));
        self
    }

    /// Only users the [`UserLoader`](crate::UserLoader) grants `permission`
    /// ([`has_permission`](crate::UserLoader::has_permission)) pass; others
    /// get `403`, and a loader error is a `500`, logged. Called again, it
    /// adds a permission: the user needs every one. It replaces any other
    /// check of the guard, but the loader's
    /// [`default_check`](crate::UserLoader::default_check) must still pass:
    /// a deactivated user holds no permission.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use axum_cookie_session::RequireUser;
    /// # #[derive(Clone)] struct User;
    ///
    /// let app: Router = Router::new()
    ///     .route("/reports", get(|| async { "reports" }))
    ///     .route_layer(RequireUser::<User>::new().permission("reports.read"));
    /// ```
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        let mut permissions = match &self.check {
            Check::Permissions(permissions) => permissions.to_vec(),
            _ => Vec::new(),
        };
        permissions.push(permission.into());
        self.check = Check::Permissions(permissions.into());
        self
    }

    /// Whether anonymous API callers get `401` instead of this guard's
    /// redirect (default: the config's
    /// [`api_unauthorized`](crate::SessionConfigBuilder::api_unauthorized),
    /// itself `true` by default). `false` redirects them like pages; `true`
    /// answers them `401` even when the config says otherwise.
    ///
    /// It covers the login URL and [`redirect_to`](Self::redirect_to) /
    /// [`redirect_with`](Self::redirect_with) locations alike, not
    /// [`respond_with`](Self::respond_with), which answers everyone.
    /// With [`login_redirect(false)`](crate::SessionConfigBuilder::login_redirect)
    /// and no location of its own, the guard answers `401` to everyone anyway.
    ///
    /// ```
    /// use axum_cookie_session::RequireUser;
    /// # #[derive(Clone)] struct User;
    ///
    /// // An HTML fragment loaded by htmx: send its caller to the login page.
    /// let fragment = RequireUser::<User>::new().api_unauthorized(false);
    /// ```
    pub fn api_unauthorized(mut self, unauthorized: bool) -> Self {
        self.api_unauthorized = Some(unauthorized);
        self
    }

    /// Sends anonymous visitors to this URL, as it is (no `next` is added).
    /// API callers still get `401` (see [`api_unauthorized`](Self::api_unauthorized)).
    pub fn redirect_to(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.redirect_with(move |_| url.clone())
    }

    /// Sends anonymous visitors to the URL `location` computes from the request
    /// (muffin-session's `location=lambda request: ...`). API callers still
    /// get `401` without it being called (see [`api_unauthorized`](Self::api_unauthorized)).
    pub fn redirect_with(
        mut self,
        location: impl Fn(&Parts) -> String + Send + Sync + 'static,
    ) -> Self {
        self.anonymous = Anonymous::Location(Arc::new(move |parts| {
            let url = location(parts);
            Box::pin(async move { url })
        }));
        self
    }

    /// Like [`redirect_with`](Self::redirect_with), for an async function.
    /// It gets the request parts to read synchronously and returns a future
    /// that owns what it needs.
    pub fn redirect_with_async<F, Fut>(mut self, location: F) -> Self
    where
        F: Fn(&Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = String> + Send + 'static,
    {
        self.anonymous = Anonymous::Location(Arc::new(move |parts| Box::pin(location(parts))));
        self
    }

    /// Answers anonymous visitors with this response instead of a redirect
    /// (muffin-session's `location=ResponseError.NOT_FOUND()`): every one of
    /// them, API callers included.
    pub fn respond_with<R: IntoResponse>(
        mut self,
        response: impl Fn() -> R + Send + Sync + 'static,
    ) -> Self {
        self.anonymous = Anonymous::Respond(Arc::new(move || response().into_response()));
        self
    }

    /// The redirect status (default `307 Temporary Redirect`).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Redirects with a `200` HTML page instead of a 3xx (muffin-session's
    /// `ResponseHTMLRedirect`), so that browsers keep a `Set-Cookie` sent with
    /// it. The URL is HTML-escaped, and only appears in HTML attributes; the
    /// script reads it from the link, so no URL is ever inside JavaScript.
    pub fn html_redirect(mut self) -> Self {
        self.html = true;
        self
    }

    /// The response for logged-in users who fail the check (default `403`),
    /// made from the user who was refused, so the page can name them.
    ///
    /// ```
    /// # #[derive(Clone)] struct User { name: String, is_admin: bool }
    /// use axum::http::StatusCode;
    /// use axum_cookie_session::RequireUser;
    ///
    /// let admins_only = RequireUser::<User>::new()
    ///     .check(|user| user.is_admin)
    ///     .on_forbidden(|user| {
    ///         (StatusCode::FORBIDDEN, format!("{}, this page is for admins.", user.name))
    ///     });
    /// ```
    pub fn on_forbidden<R: IntoResponse>(
        mut self,
        response: impl Fn(&U) -> R + Send + Sync + 'static,
    ) -> Self {
        self.forbidden = Arc::new(move |user| response(user).into_response());
        self
    }

    /// Lets the request through (`Ok`) or answers it.
    async fn admit(&self, parts: &mut Parts) -> Result<(), Response> {
        let request = request_session(parts).map_err(IntoResponse::into_response)?;
        let config = request.config();
        match load_user::<U>(parts, &request).await {
            Ok(Some(user)) => match self.check.passes(config, &user).await {
                Ok(true) => Ok(()),
                Ok(false) => Err((self.forbidden)(&user)),
                // A check that cannot tell (the database is down) is not a
                // "no": the user gets a 500, the log the reason.
                Err(err) => {
                    tracing::error!(error = %err, "the guard's check failed");
                    Err(internal_error())
                }
            },
            Ok(None) => Err(self.anonymous(parts, config).await),
            Err(rejection) => Err(rejection.into_response()),
        }
    }

    /// The answer to a visitor who is not logged in: the app's own, or a
    /// `401` or redirect chosen by what kind of caller asked, which says so
    /// in `Vary` and is not cached.
    async fn anonymous(&self, parts: &Parts, config: &SessionConfig) -> Response {
        let location = match &self.anonymous {
            Anonymous::Respond(response) => return response(),
            Anonymous::LoginUrl => None,
            Anonymous::Location(location) => Some(location),
        };
        let mut response = self.login_answer(parts, config, location).await;
        chosen_by_caller_kind(response.headers_mut());
        response
    }

    /// A `401` for API callers, else a redirect to `location` or the login
    /// URL.
    async fn login_answer(
        &self,
        parts: &Parts,
        config: &SessionConfig,
        location: Option<&MakeLocation>,
    ) -> Response {
        let api = self
            .api_unauthorized
            .unwrap_or_else(|| config.api_unauthorized());
        let always_401 = location.is_none() && !config.login_redirect();
        let api_route = parts.extensions.get::<ApiRoute>().is_some();
        if always_401 || api_route || (api && is_api_request(&parts.headers)) {
            return unauthorized(parts, config).into_response();
        }
        let location = match location {
            Some(location) => location(parts).await,
            None => login_location(parts, config),
        };
        if self.html {
            html_redirect(&location)
        } else {
            redirect(&location, self.status)
        }
    }
}

/// A `200` page that redirects by `<meta refresh>` and script, with a link as
/// fallback. Refuses locations that are not web URLs (`javascript:`...).
fn html_redirect(location: &str) -> Response {
    let web = location.starts_with('/')
        || location.starts_with("https://")
        || location.starts_with("http://");
    if !web || location.chars().any(char::is_control) {
        tracing::error!("refusing a non-web redirect location in an HTML redirect page");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let url = escape_html(location);
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\"></head>\
         <body><p>Please click <a id=\"next\" href=\"{url}\">here</a> if you are not \
         redirected within a few seconds.</p>\
         <script>window.location.replace(document.getElementById(\"next\").href)</script>\
         </body></html>"
    );
    let mut response = Html(page).into_response();
    if let Ok(location) = HeaderValue::try_from(location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// Escapes the five characters that matter in HTML text and quoted attributes.
fn escape_html(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// Returns `next` if it is safe to redirect to after login: a path on this
/// site. Use it on the `next` a login form or query string gives you.
///
/// Only a value that starts with exactly one `/` passes. Rejected: absolute and
/// scheme-relative URLs (`https://evil`, `//evil`, `javascript:...`),
/// backslashes (`/\evil`, which browsers read as `//evil`), control characters
/// (tabs and newlines, which browsers strip), and percent-encoded forms of
/// any of these (`/%2F%2Fevil`, `%5C`), however many times encoded.
///
/// ```
/// use axum_cookie_session::safe_next;
///
/// assert_eq!(safe_next("/admin?tab=users"), Some("/admin?tab=users"));
/// assert_eq!(safe_next("//evil.example"), None);
/// assert_eq!(safe_next("/\\evil.example"), None);
/// assert_eq!(safe_next("https://evil.example"), None);
/// assert_eq!(safe_next("/%2F%2Fevil.example"), None);
/// ```
pub fn safe_next(next: &str) -> Option<&str> {
    let mut current = Cow::Borrowed(next);
    // Each decoding round must stay safe; stop when decoding changes nothing.
    for _ in 0..4 {
        if !is_local_path(&current) {
            return None;
        }
        let decoded = percent_decode_str(&current).decode_utf8().ok()?;
        if decoded == current {
            return Some(next);
        }
        current = Cow::Owned(decoded.into_owned());
    }
    None
}

fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

impl<S, U> Layer<S> for RequireUser<U> {
    type Service = RequireUserService<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireUserService {
            inner,
            guard: Arc::new(self.clone()),
        }
    }
}

/// The service made by [`RequireUser`].
pub struct RequireUserService<S, U> {
    inner: S,
    guard: Arc<RequireUser<U>>,
}

impl<S: Clone, U> Clone for RequireUserService<S, U> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<S: fmt::Debug, U> fmt::Debug for RequireUserService<S, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireUserService")
            .field("inner", &self.inner)
            .field("guard", &self.guard)
            .finish()
    }
}

impl<S, U> Service<Request<Body>> for RequireUserService<S, U>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send,
    U: Clone + Send + Sync + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = Arc::clone(&self.guard);
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match guard.admit(&mut parts).await {
                Ok(()) => inner.call(Request::from_parts(parts, body)).await,
                Err(response) => Ok(response),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_html_escapes_markup_and_quotes() {
        assert_eq!(
            escape_html("/a?b=1&c=<x>\"'"),
            "/a?b=1&amp;c=&lt;x&gt;&quot;&#x27;"
        );
        assert!(matches!(escape_html("/plain"), Cow::Borrowed("/plain")));
    }
}
