//! [`SessionLayer`]: one shared session per request, saved after the
//! handler, behind the cross-origin check.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::response::{IntoResponse, Response};
use http::Request;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::csrf::check::check;
use crate::headers::add_set_cookies;
use crate::state::shared::{Mode, RequestSession};

/// A tower layer that refuses cross-origin state-changing requests and
/// saves the session after every request.
///
/// # Cross-origin requests are refused
///
/// Before the handler runs, a request whose method changes state (every
/// method but `GET`, `HEAD` and `OPTIONS`) and that a browser marks as sent
/// by another site is answered `403 Forbidden`, and nothing else happens:
/// no handler, no session. The checks, in order (those of Go's
/// `http.CrossOriginProtection`):
///
/// 1. `Sec-Fetch-Site` (sent by every current browser): `same-origin` or
///    `none` (the user's own navigation) passes; `same-site` (a sibling
///    subdomain) and `cross-site` pass only from a
///    [trusted origin](crate::SessionConfigBuilder::trusted_origins).
/// 2. Without it, `Origin`: it passes if its host and port are the
///    request's `Host` (or, behind a proxy, a trusted origin: the site's
///    public origin); anything else, `null` included, is refused. The
///    scheme is not compared: behind a TLS-terminating proxy the server
///    cannot know its own.
/// 3. Neither header: the request passes. Browsers since 2020 send one of
///    them on every cross-origin `POST`, so this is not a browser, and it
///    carries no visitor's cookies by accident. For forms that must also
///    hold against older browsers, [`CsrfToken`](crate::CsrfToken) checks
///    a token.
///
/// Every route behind the layer is covered, whatever order the routes and
/// layers were added in: a route outside it cannot read the session at all
/// (its extractors answer `500` naming the missing layer). So a webhook
/// that other servers post to goes outside the layer:
///
/// ```
/// use axum::{routing::post, Router};
/// use axum_cookie_session::{Session, SessionConfig, SessionLayer};
///
/// async fn update(session: Session) {}
/// async fn webhook(body: String) {}
///
/// # fn main() -> Result<(), axum_cookie_session::ConfigError> {
/// let config = SessionConfig::builder().secret_key("s".repeat(32)).build()?;
/// let app: Router = Router::new()
///     .route("/account", post(update)) // cross-origin posts: 403
///     .layer(SessionLayer::new(config))
///     .route("/webhooks/payments", post(webhook)); // no session, no check
/// # Ok(()) }
/// ```
///
/// Refusals are logged at warn level with the `Origin`, `Sec-Fetch-Site`
/// and `Host` compared. Keep `GET` handlers free of side effects: they are
/// not checked, as `SameSite=Lax` cookies are sent with them.
/// [`cross_origin_protection(false)`](crate::SessionConfigBuilder::cross_origin_protection)
/// turns the check off.
///
/// # One shared session
///
/// It gives each request one shared session that every
/// [`Session<T>`](crate::Session) extractor of that request uses. The cookie is
/// decoded at most once, and only if something reads the session. After the
/// handler, if the session changed, `Set-Cookie` is added to whatever the
/// handler returned, error responses included, and the response is made
/// uncacheable by shared caches (`Cache-Control: private`); a middleware
/// outside this layer that sets cache headers afterwards can undo that.
///
/// A request that never reads the session costs two small allocations (the
/// shared state, and its place in the request's extensions), and nothing is
/// decoded: see `BENCHMARKS.md`.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_cookie_session::{Session, SessionConfig, SessionLayer};
///
/// async fn update(mut session: Session) -> &'static str {
///     session.insert("var", "value");
///     "Session updated."
/// }
///
/// # fn main() -> Result<(), axum_cookie_session::ConfigError> {
/// let config = SessionConfig::builder().secret_key("s".repeat(32)).build()?;
/// let app: Router = Router::new()
///     .route("/update", get(update))
///     .layer(SessionLayer::new(config));
/// # Ok(()) }
/// ```
///
/// # Around the whole `Router`
///
/// `Router::layer` wraps each route, and axum then boxes and clones the
/// layered route on every request, whatever the layer does. Wrapping the
/// finished `Router` from outside spares that cost (the `untouched_outer`
/// row of `BENCHMARKS.md`); extractors work the same either way:
///
/// ```no_run
/// use axum::{extract::Request, routing::get, Router, ServiceExt};
/// use axum_cookie_session::{Session, SessionConfig, SessionLayer};
/// use tower::Layer as _;
///
/// async fn update(mut session: Session) -> &'static str {
///     session.insert("var", "value");
///     "Session updated."
/// }
///
/// # async fn serve(config: SessionConfig) -> std::io::Result<()> {
/// let router = Router::new().route("/update", get(update));
/// let app = SessionLayer::new(config).layer(router);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// // As in axum's docs for middleware that wraps a Router.
/// axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).await
/// # }
/// ```
#[must_use = "a layer does nothing until it is added with `.layer(..)`"]
#[derive(Debug, Clone)]
pub struct SessionLayer {
    config: SessionConfig,
    mode: Mode,
    /// Shared by every service this layer makes (axum makes one per route).
    warned_nested: Arc<AtomicBool>,
    /// A `Secure` cookie was sent to a page served over plain HTTP, and
    /// that was said.
    warned_plain_http: Arc<AtomicBool>,
}

impl SessionLayer {
    /// Auto-managed sessions with `config` (muffin-session's
    /// `auto_manage=True`): every change is saved after the handler.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            mode: Mode::Auto,
            warned_nested: Arc::default(),
            warned_plain_http: Arc::default(),
        }
    }

    /// Manually saved sessions with `config`: a handler saves the session by
    /// returning it in its response (`(session, "Saved.")`), as
    /// muffin-session's `save_to_response` does. A changed session the
    /// handler does not return is not saved, and logged as a warning.
    pub fn manual(config: SessionConfig) -> Self {
        Self {
            config,
            mode: Mode::Manual,
            warned_nested: Arc::default(),
            warned_plain_http: Arc::default(),
        }
    }

    /// The configuration every extractor and guard behind this layer uses.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: self.config.clone(),
            mode: self.mode,
            warned_nested: Arc::clone(&self.warned_nested),
            warned_plain_http: Arc::clone(&self.warned_plain_http),
        }
    }
}

/// The service made by [`SessionLayer`].
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    config: SessionConfig,
    mode: Mode,
    /// This layer sits inside another with a different config, and said so.
    warned_nested: Arc<AtomicBool>,
    /// See [`SessionLayer`]'s field of that name.
    warned_plain_http: Arc<AtomicBool>,
}

impl<S, ReqBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if let Some(judge) = self.config.cross_origin() {
            match check(judge, &request) {
                Ok(Some(verdict)) => {
                    request.extensions_mut().insert(verdict);
                }
                Ok(None) => {}
                Err(refused) => {
                    return ResponseFuture {
                        state: FutureState::Refused {
                            response: Some(refused.into_response()),
                        },
                    }
                }
            }
        }
        let session = Arc::new(RequestSession::new(self.config.clone(), self.mode));
        let outer = request.extensions_mut().insert(Arc::clone(&session));
        if let Some(outer) = outer {
            self.warn_nested(&outer);
        }
        let plain_http = (self.config.secure()
            && came_over_plain_http(request.headers(), self.config.trust_proxy_headers()))
        .then(|| Arc::clone(&self.warned_plain_http));
        ResponseFuture {
            state: FutureState::Inner {
                future: self.inner.call(request),
                session,
                plain_http,
            },
        }
    }
}

impl<S> SessionService<S> {
    /// Warns, once, that this layer shadows an outer one with another
    /// config: the routes behind it see only this one's cookie.
    fn warn_nested(&self, outer: &RequestSession) {
        if outer.config().same_as(&self.config) || self.warned_nested.swap(true, Ordering::Relaxed)
        {
            return;
        }
        tracing::warn!(
            inner = self.config.cookie_name(),
            outer = outer.config().cookie_name(),
            "a SessionLayer inside another with a different config: the routes behind the inner \
             one read and write only its cookie, not the outer one's. Put one SessionLayer around \
             the whole app, or give the nested router its own path and cookie on purpose"
        );
    }
}

pin_project! {
    /// The response future of [`SessionService`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: FutureState<F>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum FutureState<F> {
        // The handler's answer, then the session saved into it.
        Inner {
            #[pin] future: F,
            session: Arc<RequestSession>,
            // Set when a `Secure` cookie would go to a plain-HTTP page: the
            // flag that says whether this layer warned about it yet.
            plain_http: Option<Arc<AtomicBool>>,
        },
        // The cross-origin refusal, taken once.
        Refused { response: Option<Response> },
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner {
                future,
                session,
                plain_http,
            } => {
                let mut response = ready!(future.poll(cx))?;
                if session.was_read() {
                    save(session, &mut response);
                }
                if let Some(warned) = plain_http {
                    warn_secure_over_plain_http(&response, warned);
                }
                Poll::Ready(Ok(response))
            }
            StateProjection::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
        }
    }
}

/// Whether the page that sent the request was served over plain HTTP, to a
/// host other than this machine: its `Origin` says `http://`, or a trusted
/// proxy's `X-Forwarded-Proto` says `http`. Browsers drop a `Secure` cookie
/// set there (they accept one from `http://localhost`).
fn came_over_plain_http(headers: &http::HeaderMap, trust_proxy: bool) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if trust_proxy
        && header("x-forwarded-proto").is_some_and(|proto| proto.eq_ignore_ascii_case("http"))
    {
        return true;
    }
    let Some(host) = header("origin").and_then(|origin| origin.strip_prefix("http://")) else {
        return false;
    };
    let host = match host.strip_prefix('[') {
        // An IPv6 address, with or without a port after its bracket.
        Some(bracketed) => bracketed
            .split_once(']')
            .map_or(bracketed, |(address, _)| address),
        None => host.rsplit_once(':').map_or(host, |(host, _port)| host),
    };
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "::1";
    !local
}

/// Warns, once per layer, that a `Secure` session cookie went to a page
/// served over plain HTTP: the browser drops it, so the login the app just
/// made (and logged) does not stick.
fn warn_secure_over_plain_http(response: &Response, warned: &AtomicBool) {
    let sets_cookie = response.headers().contains_key(http::header::SET_COOKIE);
    if sets_cookie && !warned.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "the session cookie is `Secure`, but this request came from a page served over plain \
             HTTP: browsers drop the cookie there, so logins will not stick. Serve the site over \
             HTTPS, or set `secure` (SESSION_SECURE) to false for local development"
        );
    }
}

/// Auto mode: adds the session's `Set-Cookie` to the response if it changed.
/// Manual mode: the handler saved it, or it warns. Either way, a session that
/// could not be saved turns the response into a `500`, rather than
/// letting the handler's success reach a client whose session was lost.
fn save(session: &RequestSession, response: &mut Response) {
    let saved = match session.mode() {
        Mode::Auto => session.take_set_cookies(),
        Mode::Manual => session.check_saved().map(|()| Vec::new()),
    };
    match saved {
        Ok(set_cookies) => add_set_cookies(response.headers_mut(), set_cookies),
        // Logged, and answered with the fix when the app's code caused it.
        Err(err) => *response = err.into_response(),
    }
}
