//! [`ApiRoutes`]: routes that are an API, whose anonymous callers always
//! get `401` and never a redirect to the login page.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower_layer::Layer;
use tower_service::Service;

/// Marks the routes it wraps as an API: an anonymous caller of
/// [`CurrentUser`](crate::CurrentUser) or [`RequireUser`](crate::RequireUser)
/// there gets `401` with `{"error":"login required"}` and a
/// `WWW-Authenticate: Cookie` challenge, whatever its `Accept` says (curl's
/// `*/*` included), and never a redirect. The challenge's `form-action`
/// is the config's login URL, or the one given here (an API logs in at
/// `/api/login`, not at the page `/login`).
///
/// Put it on the API's own router, inside the
/// [`SessionLayer`](crate::SessionLayer):
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_cookie_session::{ApiRoutes, CurrentUser, SessionConfig, SessionLayer};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn me(CurrentUser(user): CurrentUser<User>) -> String {
///     user.name
/// }
///
/// fn app(config: SessionConfig) -> Router {
///     let api = Router::new()
///         .route("/me", get(me))
///         .layer(ApiRoutes::new().login_url("/api/login"));
///     Router::new()
///         .nest("/api", api)
///         .layer(SessionLayer::new(config))
/// }
/// ```
#[must_use = "a layer does nothing until it is added with `.layer(..)`"]
#[derive(Debug, Clone, Default)]
pub struct ApiRoutes {
    marker: ApiRoute,
}

/// What [`ApiRoutes`] puts in each request's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct ApiRoute {
    /// The challenge's `form-action`, if not the config's login URL.
    pub(crate) login_url: Option<Arc<str>>,
}

impl ApiRoutes {
    /// API routes whose challenge names the config's login URL.
    pub fn new() -> Self {
        Self::default()
    }

    /// The URL the `401`'s challenge names as its `form-action`: where the
    /// API logs in.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.marker.login_url = Some(url.into().into());
        self
    }
}

impl<S> Layer<S> for ApiRoutes {
    type Service = ApiRoutesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ApiRoutesService {
            inner,
            marker: self.marker.clone(),
        }
    }
}

/// The service made by [`ApiRoutes`].
#[derive(Debug, Clone)]
pub struct ApiRoutesService<S> {
    inner: S,
    marker: ApiRoute,
}

impl<S, B> Service<Request<B>> for ApiRoutesService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request.extensions_mut().insert(self.marker.clone());
        self.inner.call(request)
    }
}
