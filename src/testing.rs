//! Sessions in an app's own tests: the `Cookie` header of a session made in
//! the test (a logged-in user, a cart), and the session a response leaves
//! the browser with, both with the app's real config.

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::config::SessionConfig;
use crate::error::{SaveError, SessionRejection};
use crate::session::{Session, SessionData};

impl SessionConfig {
    /// The `Cookie` request header a browser holding `session` sends: for
    /// tests that need a logged-in visitor without going through the login
    /// form (Django's `force_login`, Laravel's `actingAs`). Make the
    /// session with [`load_from_request`](Self::load_from_request) on empty
    /// headers, fill it as a handler would, and send the header with the
    /// test's request. Use the app's own config (its loader registered, for
    /// [`login_user`](Session::login_user)), so the cookie is exactly one the
    /// app would have written.
    ///
    /// ```
    /// use axum::{body::Body, routing::get, Router};
    /// use axum_cookie_session::{CurrentUser, Session, SessionConfig, SessionLayer, UserLoader};
    /// use http::{header::COOKIE, HeaderMap, Request};
    /// use tower::ServiceExt as _;
    ///
    /// #[derive(Clone)]
    /// struct User { name: String }
    ///
    /// struct Users;
    ///
    /// impl UserLoader for Users {
    ///     type User = User;
    ///     type Id = i64;
    ///     type Error = std::convert::Infallible;
    ///     async fn load_user(&self, id: i64) -> Result<Option<User>, Self::Error> {
    ///         Ok((id == 1).then(|| User { name: "alice".into() }))
    ///     }
    /// }
    ///
    /// async fn me(CurrentUser(user): CurrentUser<User>) -> String {
    ///     user.name
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = SessionConfig::builder().random_secret().build()?.with_user_loader(Users);
    /// let app = Router::new().route("/me", get(me)).layer(SessionLayer::new(config.clone()));
    ///
    /// // Logged in as user 1, with a cart, without the login form.
    /// let mut session: Session = config.load_from_request(&HeaderMap::new())?;
    /// session.login(1)?;
    /// session.insert("cart", ["apple"])?;
    /// let cookie = config.cookie_header(session)?;
    ///
    /// let request = Request::get("/me").header(COOKIE, cookie).body(Body::empty())?;
    /// let response = app.oneshot(request).await?;
    /// assert_eq!(response.status(), 200);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`SaveError`] if the session cannot be saved, as in a handler.
    pub fn cookie_header<T: SessionData>(
        &self,
        session: Session<T>,
    ) -> Result<HeaderValue, SaveError> {
        let mut headers = HeaderMap::new();
        self.save_to_response(session, &mut headers)?;
        let pairs = stored_pairs(&headers);
        HeaderValue::try_from(pairs.join("; ")).map_err(|err| SaveError::Encode(err.to_string()))
    }

    /// The session a browser holds after receiving `response_headers`:
    /// their `Set-Cookie` values read as the browser would store them, then
    /// loaded as a request would load them. `None` when the response sets
    /// no cookie of this config's session; a removed session reads as an
    /// empty one. For tests that check what a handler stored:
    ///
    /// ```
    /// use axum_cookie_session::{Session, SessionConfig};
    /// use http::HeaderMap;
    ///
    /// let config = SessionConfig::builder().random_secret().build()?;
    /// let mut session: Session = config.load_from_request(&HeaderMap::new())?;
    /// session.insert("theme", "dark")?;
    /// let mut response = HeaderMap::new();
    /// config.save_to_response(session, &mut response)?;
    ///
    /// let stored: Session = config.session_in_response(&response)?.expect("a session cookie");
    /// assert_eq!(stored.get_as::<String>("theme").as_deref(), Some("dark"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NotAnObject`] if `T` is not a struct or a map.
    pub fn session_in_response<T: SessionData>(
        &self,
        response_headers: &HeaderMap,
    ) -> Result<Option<Session<T>>, SessionRejection> {
        let name = self.cookie_name();
        let chunk = format!("{name}C");
        let sets_session = set_cookies(response_headers).any(|cookie| {
            cookie.name() == name || cookie.name().strip_prefix(&chunk).is_some_and(is_number)
        });
        if !sets_session {
            return Ok(None);
        }
        let mut request = HeaderMap::new();
        if let Ok(cookie) = HeaderValue::try_from(stored_pairs(response_headers).join("; ")) {
            request.insert(COOKIE, cookie);
        }
        self.load_from_request(&request).map(Some)
    }
}

/// The `name=value` pairs a browser keeps from `Set-Cookie` headers: every
/// cookie set, except those removed (`Max-Age=0`).
fn stored_pairs(headers: &HeaderMap) -> Vec<String> {
    set_cookies(headers)
        .filter(|cookie| cookie.max_age() != Some(cookie::time::Duration::ZERO))
        .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
        .collect()
}

/// The cookies `Set-Cookie` headers set, parsed.
fn set_cookies(headers: &HeaderMap) -> impl Iterator<Item = cookie::Cookie<'_>> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| cookie::Cookie::parse(value).ok())
}

/// A chunk's number: digits only.
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}
