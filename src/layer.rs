//! [`SessionLayer`]: auto-managed sessions (muffin-session's `auto_manage=True`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::headers::add_set_cookies;
use crate::state::shared::{Mode, RequestSession};

/// A tower layer that saves the session after every request.
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
}

impl SessionLayer {
    /// Auto-managed sessions with `config` (muffin-session's
    /// `auto_manage=True`): every change is saved after the handler.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            mode: Mode::Auto,
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
        }
    }
}

/// The service made by [`SessionLayer`].
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    config: SessionConfig,
    mode: Mode,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let session = Arc::new(RequestSession::new(self.config.clone(), self.mode));
        request.extensions_mut().insert(Arc::clone(&session));
        ResponseFuture {
            inner: self.inner.call(request),
            session,
        }
    }
}

pin_project! {
    /// The response future of [`SessionService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        session: Arc<RequestSession>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if this.session.was_read() {
            save(this.session, &mut response);
        }
        Poll::Ready(Ok(response))
    }
}

/// Auto mode: adds the session's `Set-Cookie` to the response if it changed.
/// Manual mode: the handler saved it, or it warns. Either way, a session that
/// could not be saved turns the response into a bare `500`, rather than
/// letting the handler's success reach a client whose session was lost.
fn save<B: Default>(session: &RequestSession, response: &mut Response<B>) {
    let saved = match session.mode() {
        Mode::Auto => session.take_set_cookies(),
        Mode::Manual => session.check_saved().map(|()| Vec::new()),
    };
    match saved {
        Ok(set_cookies) => add_set_cookies(response.headers_mut(), set_cookies),
        Err(err) => {
            tracing::error!(error = %err, "session not saved");
            *response = Response::new(B::default());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
}
