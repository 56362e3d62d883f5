//! Cross-site request forgery: [`check`] refuses cross-site
//! state-changing requests by their headers, before the handler, in
//! [`SessionLayer`](crate::SessionLayer) (whose docs give the checks), and
//! [`CsrfToken`] is the session-bound form token for browsers that send
//! neither header. [`origin`] reads the headers and [`random`] makes
//! tokens; neither imports anything else of the crate.

pub(crate) mod check;
pub(crate) mod origin;
pub(crate) mod random;
mod token;

use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::StatusCode;

use crate::error::SessionRejection;

pub use random::CSRF_TOKEN_KEY;
pub use token::{CsrfToken, CSRF_FIELD};

/// Why a request was refused as a possible forgery, or why no token could
/// be made.
///
/// Its response carries a copy of it in its extensions, so that a
/// middleware outside [`SessionLayer`](crate::SessionLayer) can answer a
/// refusal in the site's own style:
///
/// ```
/// use axum::{middleware::map_response, response::{Html, IntoResponse, Response}, Router};
/// use axum_cookie_session::CsrfRejection;
///
/// async fn styled(response: Response) -> Response {
///     match response.extensions().get::<CsrfRejection>() {
///         Some(CsrfRejection::CrossSite | CsrfRejection::BadToken) => {
///             let page = Html("<h1>Refused</h1><p>Another site sent this form.</p>");
///             (response.status(), page).into_response()
///         }
///         _ => response,
///     }
/// }
///
/// fn app(routes: Router) -> Router {
///     routes.layer(map_response(styled)) // outside the SessionLayer in `routes`
/// }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRejection {
    /// `Sec-Fetch-Site` or `Origin` says another site sent it (`403`).
    #[error("cross-site request refused")]
    CrossSite,
    /// No browser header vouched for the request, and the form token is
    /// missing or not this session's (`403`).
    #[error("the form's CSRF token is missing or not this session's")]
    BadToken,
    /// The operating system gave no random bytes for a new token (`500`).
    #[error("no CSRF token could be made: the operating system gave no random bytes")]
    NoRandomness,
    /// The session is not available: see [`SessionRejection`] (`500`).
    #[error(transparent)]
    Session(#[from] SessionRejection),
}

impl IntoResponse for CsrfRejection {
    fn into_response(self) -> Response {
        match self {
            Self::CrossSite | Self::BadToken => (
                StatusCode::FORBIDDEN,
                Extension(self),
                "Forbidden: cross-site request refused.",
            )
                .into_response(),
            Self::NoRandomness => {
                tracing::error!(error = %self, "CSRF token not made");
                crate::error::internal_error()
            }
            Self::Session(rejection) => rejection.into_response(),
        }
    }
}
