//! [`CsrfToken`]: the session-bound form token, for browsers that send
//! neither `Sec-Fetch-Site` nor `Origin`.

use std::fmt;

use axum::extract::FromRequestParts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::request::Parts;
use subtle::ConstantTimeEq;

use super::origin::{judge, Verdict};
use super::CsrfRejection;
use crate::session::Session;
use crate::state::shared::request_session;

/// The session key that holds the [`CsrfToken`].
pub const CSRF_TOKEN_KEY: &str = "_csrf";

/// The form field [`CsrfToken`]'s docs and the demo carry the token in.
pub const CSRF_FIELD: &str = "csrf_token";

/// Random bytes in a token (base64url: 43 characters).
const TOKEN_BYTES: usize = 32;

/// The session's CSRF token, for forms: the fallback defence for browsers
/// that send neither `Sec-Fetch-Site` nor `Origin`, when [`CsrfLayer`](crate::CsrfLayer)'s
/// header checks cannot tell where a request came from.
///
/// Extracting it (behind [`SessionLayer`](crate::SessionLayer)) makes a
/// random token and stores it in the session under [`CSRF_TOKEN_KEY`] if
/// the session has none. Put [`as_str`](Self::as_str) in a hidden field of
/// each form (named [`CSRF_FIELD`], say), and in the handler the form posts
/// to, call [`verify`](Self::verify) with what came back. In manual mode,
/// return the session from the page's handler so that a new token is saved.
/// [`Session::end`] drops the token with everything else, so a login
/// (which should end the session first) makes a fresh one.
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
    /// [`CsrfLayer`](crate::CsrfLayer) judges; [`CsrfRejection::CrossSite`] when it says
    /// another site. With neither header, the request needs `submitted` to be
    /// the session's token if the session holds one: a browser that was
    /// served a form must send its token back. A client that never loaded a
    /// form (curl, a script, which carry no visitor's cookies by accident)
    /// holds no token and passes.
    ///
    /// # Errors
    ///
    /// [`CsrfRejection::CrossSite`] or [`CsrfRejection::BadToken`], both a
    /// `403`.
    pub fn verify(&self, submitted: Option<&str>) -> Result<(), CsrfRejection> {
        match self.verdict {
            Verdict::SameOrigin => Ok(()),
            Verdict::CrossSite(_) => Err(CsrfRejection::CrossSite),
            Verdict::NoHeaders if self.held.is_none() => Ok(()),
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
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = CsrfRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verdict = match parts.extensions.get::<Verdict>() {
            Some(verdict) => *verdict,
            None => {
                let config = request_session(parts)?.config().clone();
                judge(&parts.headers, &parts.uri, config.trusted_origins())
            }
        };
        let mut session =
            <Session as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        let held = session
            .get(CSRF_TOKEN_KEY)
            .and_then(|token| token.as_str())
            .filter(|token| is_token(token))
            .map(str::to_owned);
        let token = match &held {
            Some(token) => token.clone(),
            None => {
                let token = new_token()?;
                if let Err(err) = session.insert(CSRF_TOKEN_KEY, &token) {
                    tracing::error!(error = %err, "CSRF token not stored");
                }
                token
            }
        };
        Ok(Self {
            token,
            held,
            verdict,
        })
    }
}

/// A token this crate makes: base64url of [`TOKEN_BYTES`] bytes.
fn is_token(token: &str) -> bool {
    token.len() == TOKEN_BYTES.div_ceil(3) * 4 - 1
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn new_token() -> Result<String, CsrfRejection> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|_| CsrfRejection::NoRandomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_are_tokens() {
        let token = new_token().unwrap();
        assert!(is_token(&token), "{token}");
        assert_ne!(token, new_token().unwrap());
        assert!(!is_token("short"));
    }
}
