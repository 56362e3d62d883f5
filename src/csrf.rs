//! Cross-site request forgery: [`CsrfLayer`] refuses cross-site
//! state-changing requests by their headers (its docs give the checks), and
//! [`CsrfToken`] is the session-bound form token for browsers that send
//! neither header.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use pin_project_lite::pin_project;
use subtle::ConstantTimeEq;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::error::SessionRejection;
use crate::request::request_session;
use crate::session::Session;

/// The session key that holds the [`CsrfToken`].
pub const CSRF_TOKEN_KEY: &str = "_csrf";

/// The form field [`CsrfToken`]'s docs and the demo carry the token in.
pub const CSRF_FIELD: &str = "csrf_token";

/// Random bytes in a token (base64url: 43 characters).
const TOKEN_BYTES: usize = 32;

/// What a request's headers say about where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This origin, a trusted one, or the user's own navigation.
    SameOrigin,
    /// Neither `Sec-Fetch-Site` nor `Origin`: not a current browser.
    NoHeaders,
    /// Another site, and why (for the debug log).
    CrossSite(&'static str),
}

/// An origin as compared: lower-case scheme and host, and the port (the
/// scheme's default when none is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]` (an optional `/` after it): `http` or
    /// `https` only, no user info, path or query. `None` for anything else,
    /// `null` included.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let uri: Uri = text.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let default = default_port(&scheme);
        let authority = uri.authority()?;
        let bare = matches!(
            uri.path_and_query().map(|pq| pq.as_str()),
            None | Some("" | "/")
        );
        let host = authority.host();
        let host_chars = host.starts_with('[')
            || host
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.');
        if !bare || authority.as_str().contains('@') || host.is_empty() || !host_chars {
            return None;
        }
        // A port written but not a port (`:99999`, `:0`, `:`) is refused,
        // not read as the default.
        let port = match authority.port_u16() {
            Some(0) => return None,
            Some(port) => port,
            None if authority.as_str().len() > host.len() => return None,
            None => default,
        };
        Some(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether this origin is the host the request was sent to: same host,
    /// and same port (a `Host` without a port has this origin's default).
    fn is_host_of(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let host = match headers.get(HOST) {
            Some(host) => host.to_str().ok().and_then(|host| host.parse().ok()),
            None => uri.authority().cloned(),
        };
        let Some(host): Option<http::uri::Authority> = host else {
            return false;
        };
        let default = default_port(&self.scheme);
        !host.as_str().contains('@')
            && host.host().eq_ignore_ascii_case(&self.host)
            && host.port_u16().unwrap_or(default) == self.port
    }
}

/// The port an `http` or `https` URL means when it names none.
fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = default_port(&self.scheme);
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != default {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// Judges a request by its `Sec-Fetch-Site` and `Origin` headers.
pub(crate) fn judge(headers: &HeaderMap, uri: &Uri, trusted: &[Origin]) -> Verdict {
    let origin = || {
        let mut origins = headers.get_all(ORIGIN).iter();
        match (origins.next(), origins.next()) {
            (Some(origin), None) => Some(origin.to_str().ok().and_then(Origin::parse)),
            (None, _) => None,
            // Browsers send one `Origin`: several is not a browser's request.
            (Some(_), Some(_)) => Some(None),
        }
    };
    let is_trusted = |origin: &Option<Origin>| origin.as_ref().is_some_and(|o| trusted.contains(o));
    let mut sites = headers.get_all("sec-fetch-site").iter();
    match (sites.next(), sites.next()) {
        (Some(site), None) => {
            let site = site.to_str().unwrap_or_default().trim();
            let own = site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
            if own || origin().is_some_and(|origin| is_trusted(&origin)) {
                Verdict::SameOrigin
            } else if site.eq_ignore_ascii_case("same-site") {
                Verdict::CrossSite("Sec-Fetch-Site is same-site (a sibling subdomain)")
            } else {
                Verdict::CrossSite("Sec-Fetch-Site is cross-site")
            }
        }
        (Some(_), Some(_)) => Verdict::CrossSite("several Sec-Fetch-Site headers"),
        (None, _) => match origin() {
            None => Verdict::NoHeaders,
            Some(origin) if is_trusted(&origin) => Verdict::SameOrigin,
            Some(Some(origin)) if origin.is_host_of(headers, uri) => Verdict::SameOrigin,
            Some(_) => Verdict::CrossSite("Origin is another site"),
        },
    }
}

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
///    hold against older browsers, [`CsrfToken::verify`] checks a token.
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
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
            Self::Session(rejection) => rejection.into_response(),
        }
    }
}

/// The session's CSRF token, for forms: the fallback defence for browsers
/// that send neither `Sec-Fetch-Site` nor `Origin`, when [`CsrfLayer`]'s
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
    /// [`CsrfLayer`] judges; [`CsrfRejection::CrossSite`] when it says
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
    fn origins_parse_to_one_spelling() {
        let parsed = |text: &str| Origin::parse(text).map(|origin| origin.to_string());
        assert_eq!(
            parsed("https://Example.COM"),
            Some("https://example.com".into())
        );
        assert_eq!(
            parsed("https://example.com:443/"),
            Some("https://example.com".into())
        );
        assert_eq!(
            parsed("http://example.com:8080"),
            Some("http://example.com:8080".into())
        );
        assert_eq!(
            parsed("http://[::1]:3000"),
            Some("http://[::1]:3000".into())
        );
        for bad in [
            "null",
            "example.com",
            "ftp://example.com",
            "https://user@example.com",
            "https://example.com/path",
            "https://example.com?q",
            "https://",
            "*",
            "https://*.example.com",
            "https://example.com:99999",
            "https://example.com:0",
            "https://example.com:",
        ] {
            assert_eq!(parsed(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_tokens_are_tokens() {
        let token = new_token().unwrap();
        assert!(is_token(&token), "{token}");
        assert_ne!(token, new_token().unwrap());
        assert!(!is_token("short"));
    }
}
