//! [`CsrfToken`]: the session-bound form token, for browsers that send
//! neither `Sec-Fetch-Site` nor `Origin`.

use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;
use subtle::ConstantTimeEq;

use super::origin::Verdict;
use super::random::{is_token, new_token, CSRF_TOKEN_KEY};
use super::CsrfRejection;
use crate::session::Session;
use crate::state::shared::request_session;
use crate::wire::object::USER_ID_KEY;

/// The form field [`CsrfToken`]'s docs and the demo carry the token in.
pub const CSRF_FIELD: &str = "csrf_token";

/// The session's CSRF token, for forms: the fallback defence for browsers
/// that send neither `Sec-Fetch-Site` nor `Origin`, when the cross-origin
/// check of [`SessionLayer`](crate::SessionLayer) cannot tell where a
/// request came from.
///
/// Extracting it (behind [`SessionLayer`](crate::SessionLayer)) makes a
/// random token and stores it in the session under [`CSRF_TOKEN_KEY`] if
/// the session has none. Put [`as_str`](Self::as_str) in a hidden field of
/// each form (named [`CSRF_FIELD`], say), and in the handler the form posts
/// to, call [`verify`](Self::verify) with what came back. In manual mode,
/// return the session from the page's handler so that a new token is saved.
/// [`Session::end`] drops the token with everything else; a login made in
/// a request that extracted a `CsrfToken` (the login form's handler) stores
/// a fresh one, so the logged-in session holds a token from its first
/// response, and any other login drops the token the session held.
///
/// ```
/// use axum::{response::Html, routing::get, Form, Router};
/// use axum_cookie_session::{CsrfRejection, CsrfToken, Session, CSRF_FIELD};
/// use serde::Deserialize;
///
/// async fn page(token: CsrfToken) -> Html<String> {
///     Html(format!(
///         r#"<form method="post"><input type="hidden" name="{CSRF_FIELD}" value="{}">
///            <button>Clear</button></form>"#,
///         token.as_str() // base64url: nothing to escape
///     ))
/// }
///
/// #[derive(Deserialize)]
/// struct ClearForm {
///     csrf_token: Option<String>,
/// }
///
/// async fn clear(
///     token: CsrfToken,
///     mut session: Session,
///     Form(form): Form<ClearForm>,
/// ) -> Result<&'static str, CsrfRejection> {
///     token.verify(form.csrf_token.as_deref())?;
///     session.clear();
///     Ok("Cleared.")
/// }
///
/// let routes: Router = Router::new().route("/clear", get(page).post(clear));
/// ```
#[derive(Clone)]
pub struct CsrfToken {
    /// The token forms should carry.
    token: String,
    /// The token the session held when the request came, if any.
    held: Option<String>,
    /// The session held a login when the token was taken.
    logged_in: bool,
    /// What the request's headers said.
    verdict: Verdict,
}

impl CsrfToken {
    /// The token to put in the form.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// Whether `submitted` is this session's token (compared in constant
    /// time). A strict check, whatever the headers say: a request from a
    /// client that never loaded a form fails it.
    pub fn matches(&self, submitted: &str) -> bool {
        self.held
            .as_deref()
            .is_some_and(|held| bool::from(held.as_bytes().ct_eq(submitted.as_bytes())))
    }

    /// Checks a state-changing request: `Ok` when its `Sec-Fetch-Site` or
    /// `Origin` header says it comes from this site (or a trusted origin), as
    /// the cross-origin check judges; [`CsrfRejection::CrossSite`] when it
    /// says another site. With neither header, the request needs
    /// `submitted` to be the session's token if the session holds one, or
    /// holds a login: a browser that was served a form, or logged in, must
    /// send its token back. A client that never loaded a form nor logged in
    /// (curl, a script, which carry no visitor's cookies by accident) holds
    /// no token and passes.
    ///
    /// # Errors
    ///
    /// [`CsrfRejection::CrossSite`] or [`CsrfRejection::BadToken`], both a
    /// `403`.
    pub fn verify(&self, submitted: Option<&str>) -> Result<(), CsrfRejection> {
        match self.verdict {
            Verdict::SameOrigin => Ok(()),
            Verdict::CrossSite(_) => Err(CsrfRejection::CrossSite),
            Verdict::NoHeaders if self.held.is_none() && !self.logged_in => Ok(()),
            Verdict::NoHeaders if submitted.is_some_and(|token| self.matches(token)) => Ok(()),
            Verdict::NoHeaders => {
                tracing::debug!("form CSRF token missing or wrong, and no browser header vouched");
                Err(CsrfRejection::BadToken)
            }
        }
    }
}

impl fmt::Debug for CsrfToken {
    /// Never shows the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfToken")
            .field("held", &self.held.is_some())
            .field("logged_in", &self.logged_in)
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = CsrfRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request = request_session(parts)?;
        request.use_csrf_tokens();
        let verdict = match parts.extensions.get::<Verdict>() {
            Some(verdict) => *verdict,
            None => request.config().judge().judge(&parts.headers, &parts.uri),
        };
        let mut session =
            <Session as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        let logged_in = session.get(USER_ID_KEY).is_some();
        let held = session
            .get(CSRF_TOKEN_KEY)
            .and_then(|token| token.as_str())
            .filter(|token| is_token(token))
            .map(str::to_owned);
        let token = match &held {
            Some(token) => token.clone(),
            None => {
                let token = new_token().ok_or(CsrfRejection::NoRandomness)?;
                if let Err(err) = session.insert(CSRF_TOKEN_KEY, &token) {
                    tracing::error!(error = %err, "CSRF token not stored");
                }
                token
            }
        };
        Ok(Self {
            token,
            held,
            logged_in,
            verdict,
        })
    }
}
