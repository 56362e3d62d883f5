//! [`CsrfLayer`]: cross-site state-changing requests refused by their
//! headers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::response::{IntoResponse, Response};
use http::{Method, Request};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::origin::{judge, Origin, Verdict};
use super::CsrfRejection;
use crate::config::SessionConfig;

/// Whether a method only reads: `GET`, `HEAD`, `OPTIONS`.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A tower layer that refuses cross-site state-changing requests with
/// `403 Forbidden`: every method but `GET`, `HEAD` and `OPTIONS`, when
/// `Sec-Fetch-Site` or `Origin` says it comes from another site (a sibling
/// subdomain included) that is not one of the config's
/// [`trusted_origins`](crate::SessionConfigBuilder::trusted_origins).
/// Requests with neither header (curl, scripts, servers) pass. Why a
/// request was refused is logged at debug level.
///
/// The checks, in order (those of Go's `http.CrossOriginProtection`):
///
/// 1. `Sec-Fetch-Site` (Fetch Metadata, sent by every current browser):
///    `same-origin` or `none` (the user's own navigation) passes; anything
///    else (`same-site`, `cross-site`) passes only from a trusted origin.
/// 2. Without it, `Origin`: it passes if its host and port are the
///    request's own (`Host`), or it is a trusted origin; anything else
///    (`null` included) is refused. The scheme is not compared: behind a
///    TLS-terminating proxy the server cannot know its own.
/// 3. Neither header: the request passes. Browsers since 2020 send one of
///    them on every cross-origin `POST`, so this is not a browser, and it
///    carries no visitor's cookies by accident. For forms that must also
///    hold against older browsers, [`CsrfToken::verify`](crate::CsrfToken::verify) checks a token.
///
/// Put it on every route that changes state for a logged-in visitor, and on
/// the login form's target too (login CSRF logs a victim into the
/// attacker's account). Keep `GET` handlers free of side effects: the layer
/// lets them through, as `SameSite=Lax` cookies do.
///
/// ```
/// use axum::{routing::post, Router};
/// use axum_cookie_session::{CsrfLayer, Session, SessionConfig, SessionLayer};
///
/// async fn logout(mut session: Session) -> &'static str {
///     session.logout();
///     "Logged out."
/// }
///
/// # fn main() -> Result<(), axum_cookie_session::ConfigError> {
/// let config = SessionConfig::builder()
///     .secret_key("a long random secret of 32 bytes or more")
///     .trusted_origins(["https://admin.example.com"]) // optional
///     .build()?;
/// let app: Router = Router::new()
///     .route("/logout", post(logout))
///     .layer(CsrfLayer::new(&config))
///     .layer(SessionLayer::new(config));
/// # Ok(()) }
/// ```
#[must_use = "a layer protects nothing until it is added with `.layer(..)`"]
#[derive(Debug, Clone)]
pub struct CsrfLayer {
    trusted: Arc<[Origin]>,
}

impl CsrfLayer {
    /// Refuses cross-site requests, trusting the config's
    /// [`trusted_origins`](crate::SessionConfigBuilder::trusted_origins).
    pub fn new(config: &SessionConfig) -> Self {
        Self {
            trusted: config.trusted_origins().into(),
        }
    }
}

impl<S> Layer<S> for CsrfLayer {
    type Service = CsrfService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            trusted: Arc::clone(&self.trusted),
        }
    }
}

/// The service made by [`CsrfLayer`].
#[derive(Debug, Clone)]
pub struct CsrfService<S> {
    inner: S,
    trusted: Arc<[Origin]>,
}

impl<S, B> Service<Request<B>> for CsrfService<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = CsrfFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let verdict = judge(request.headers(), request.uri(), &self.trusted);
        if let Verdict::CrossSite(reason) = verdict {
            if !is_safe(request.method()) {
                tracing::debug!(
                    %reason,
                    method = %request.method(),
                    path = request.uri().path(),
                    "cross-site request refused"
                );
                return CsrfFuture::refused();
            }
        }
        request.extensions_mut().insert(verdict);
        CsrfFuture::inner(self.inner.call(request))
    }
}

pin_project! {
    /// The response future of [`CsrfService`].
    pub struct CsrfFuture<F> {
        #[pin]
        state: FutureState<F>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum FutureState<F> {
        // The inner service's answer.
        Inner { #[pin] future: F },
        // The `403`, taken once.
        Refused { response: Option<Response> },
    }
}

impl<F> CsrfFuture<F> {
    fn inner(future: F) -> Self {
        Self {
            state: FutureState::Inner { future },
        }
    }

    fn refused() -> Self {
        Self {
            state: FutureState::Refused {
                response: Some(CsrfRejection::CrossSite.into_response()),
            },
        }
    }
}

impl<F> fmt::Debug for CsrfFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for CsrfFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { future } => Poll::Ready(ready!(future.poll(cx))),
            StateProjection::Refused { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| CsrfRejection::CrossSite.into_response()))),
        }
    }
}
