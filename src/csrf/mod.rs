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
use http::StatusCode;

use crate::error::SessionRejection;

pub use random::CSRF_TOKEN_KEY;
pub use token::{CsrfToken, CSRF_FIELD};

/// Why a request was refused as a possible forgery, or why no token could
/// be made.
#[derive(Debug, thiserror::Error)]
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
