//! Cookie-based login sessions for [axum] 0.8, wire-compatible with the
//! Python package [muffin-session] 2.6.
//!
//! The whole session is one JSON object kept in one cookie, encoded by one of
//! three codecs ([`SessionType`]): an HS256 JWT (the default: signed), Fernet
//! (encrypted, behind the `fernet` feature) or plain base64 (forgeable: for
//! compatibility only). There is no session store to run, and a Python Muffin
//! app with the same secret reads and writes the same cookies.
//!
//! # Sessions
//!
//! ```
//! use axum::{routing::get, Router};
//! use axum_cookie_session::{SaveError, Session, SessionConfig, SessionLayer};
//!
//! // Auto-managed: the layer saves every change after the handler.
//! async fn update(mut session: Session) -> Result<&'static str, SaveError> {
//!     session.insert("var", "value")?; // any Serialize value
//!     Ok("Session updated.")
//! }
//!
//! async fn load(session: Session) -> String {
//!     session.get_as::<String>("var").unwrap_or_default()
//! }
//!
//! # fn main() -> Result<(), axum_cookie_session::ConfigError> {
//! let config = SessionConfig::builder()
//!     .secret_key("REALLY_SECRET_KEY_OF_32_BYTES_OR_MORE")
//!     .build()?; // or SessionConfig::from_env()? with SESSION_* variables
//!
//! let app: Router = Router::new()
//!     .route("/update", get(update))
//!     .route("/load", get(load))
//!     .layer(SessionLayer::new(config));
//! # Ok(()) }
//! ```
//!
//! With [`SessionLayer::manual`] a handler saves by returning the session in
//! its response instead: `(session, "Session updated.")`. See [`Session`].
//!
//! # Typed views
//!
//! `Session<T>` is a typed view of the same object, read straight from the
//! cookie's JSON. Keys `T` does not name are kept, so views of different
//! types (and the Python app) share one session, and changes made through
//! several views apply in the order the handler makes them.
//!
//! ```
//! use axum_cookie_session::Session;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Default, Serialize, Deserialize)]
//! struct Cart {
//!     #[serde(default)]
//!     items: Vec<String>,
//! }
//!
//! async fn add(mut cart: Session<Cart>) -> String {
//!     cart.items.push("apple".into()); // saved by the layer
//!     format!("{} items", cart.items.len())
//! }
//! ```
//!
//! `T` must be a struct with named fields or a map: `Session<Counter>` for
//! `struct Counter(usize)` is a `500` whose log names the type.
//!
//! # Users and guards
//!
//! Implement [`UserLoader`] once, register it on the config, and extract
//! [`CurrentUser`]; guard routes with [`RequireUser`]. A guard's check is
//! sync ([`check`](RequireUser::check)) or async
//! ([`check_async`](RequireUser::check_async), for permissions in a
//! database); a guard without one applies the loader's
//! [`default_check`](UserLoader::default_check) (muffin-session's
//! `default_user_checker`). Anonymous visitors navigating to a page are
//! redirected to the login URL with `next`; API callers (`fetch()`, XHR, an
//! `Accept` preferring JSON) get `401` with `{"error":"login required"}`
//! instead ([`api_unauthorized`](SessionConfigBuilder::api_unauthorized), on
//! by default, also per guard):
//!
//! ```
//! use std::convert::Infallible;
//! use axum::{routing::get, Router};
//! use axum_cookie_session::{
//!     CurrentUser, RequireUser, SaveError, Session, SessionConfig, SessionLayer, UserLoader,
//! };
//!
//! #[derive(Clone)]
//! struct User { name: String, is_admin: bool }
//!
//! struct Db;
//!
//! impl UserLoader for Db {
//!     type User = User;
//!     type Id = i64; // what the session stores under "id"
//!     type Error = Infallible;
//!
//!     async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
//!         Ok((id == 1).then(|| User { name: "alice".into(), is_admin: true }))
//!     }
//! }
//!
//! async fn login(mut session: Session) -> Result<&'static str, SaveError> {
//!     session.end(); // a fresh session at login
//!     session.login(1)?;
//!     Ok("Logged in.")
//! }
//!
//! async fn me(CurrentUser(user): CurrentUser<User>) -> String {
//!     user.name // anonymous: pages are redirected to the login URL, fetch() gets 401
//! }
//!
//! fn app(config: SessionConfig) -> Router {
//!     Router::new()
//!         .route("/admin", get(|| async { "admins only" }))
//!         .route_layer(RequireUser::<User>::new().check(|user: &User| user.is_admin))
//!         .route("/me", get(me))
//!         .route("/login", get(login))
//!         .layer(SessionLayer::new(config.with_user_loader(Db)))
//! }
//! ```
//!
//! `logout()` forgets the user and keeps the rest of the session, as
//! muffin-session does; `end()` ends it all, as axum-login's `logout` does.
//!
//! A loader that implements [`UserLoader::session_auth_hash`] (bytes from the
//! password hash) makes a password change log out every other browser of the
//! user, with no store: log in with [`Session::login_user`], which stores a
//! keyed digest checked on every load of the user. "Remember me" is
//! [`Session::set_lifetime`]: a lifetime of the session's own, signed into
//! the cookie, capped, and mirrored in its `Max-Age`.
//!
//! # Cross-site request forgery
//!
//! [`SessionLayer`] refuses state-changing requests from other sites before
//! the handler runs (by `Sec-Fetch-Site`, then `Origin`), on every route it
//! covers, by default; [`CsrfToken`] is a session-bound form token for
//! browsers that send neither header. `SameSite=Lax` alone does not stop
//! login CSRF, state-changing `GET`s or sibling subdomains:
//!
//! ```
//! use axum::{routing::post, Router};
//! use axum_cookie_session::{Session, SessionConfig, SessionLayer};
//!
//! async fn logout(mut session: Session) -> &'static str {
//!     session.logout();
//!     "Logged out."
//! }
//!
//! fn app(config: SessionConfig) -> Router {
//!     Router::new()
//!         .route("/logout", post(logout)) // a cross-site POST is a 403
//!         .layer(SessionLayer::new(config))
//! }
//! ```
//!
//! # Wiring
//!
//! The config lives in the [`SessionLayer`], and only there: extractors and
//! guards behind it use it whatever the app's state is, so no `FromRef` is
//! needed. Add the layer last (outside every route and middleware that uses
//! the session); a session extracted with no layer in front is a `500`
//! whose log names the fix. The README's "Wiring it into your app" shows
//! state, middleware and nested routers.
//!
//! # Guarantees
//!
//! - A cookie that is missing, garbage, truncated, forged or made with another
//!   key is an empty session, never an error page; why is logged at debug level.
//! - The cookie is decoded at most once per request, however many extractors
//!   read it, and never if nothing does.
//! - `Set-Cookie` is sent only when the session changed, always with
//!   `Vary: Cookie` and a `Cache-Control` that keeps shared caches from storing
//!   it; every response to a request that read the session varies on `Cookie`.
//! - Neither secrets nor cookie values are ever logged.
//!
//! # Features
//!
//! - `fernet`: the Fernet codec (muffin-session's `[fernet]` extra). Without it the
//!   AES stack is not compiled.
//!
//! [axum]: https://docs.rs/axum
//! [muffin-session]: https://pypi.org/project/muffin-session/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code never panics on input: no `unwrap` or `expect` outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod auth_hash;
mod config;
mod cookie_info;
mod csrf;
mod error;
mod guard;
mod headers;
mod layer;
mod messages;
mod navigation;
mod session;
mod state;
mod testing;
mod user;
mod wire;

pub use api::{ApiRoutes, ApiRoutesService};
pub use config::{
    SameSite, SessionConfig, SessionConfigBuilder, DEFAULT_LIFETIME, ENV_PREFIX, INSECURE_SECRET,
    MIN_SECRET_BYTES,
};
pub use cookie_info::CookieInfo;
pub use csrf::{CsrfRejection, CsrfToken, CSRF_FIELD, CSRF_TOKEN_KEY};
pub use error::{BoxError, ConfigError, SaveError, SessionRejection, UserRejection};
pub use guard::{safe_next, RequireUser, RequireUserService};
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use messages::{Level, Message, Messages, MAX_MESSAGES, MESSAGES_KEY};
pub use session::{Session, SessionData};
pub use user::{CurrentUser, UserLoader, NEXT_PARAM};
pub use wire::chunks::{MAX_CHUNKS, MAX_COOKIE_SIZE, MAX_REQUEST_COOKIES, MAX_SESSION_HEADER};
pub use wire::claims::{ISSUED_AT_CLAIM, LIFETIME_CLAIM};
pub use wire::codec::{SessionType, UnknownSessionType};
pub use wire::expiry::CLOCK_SKEW;
pub use wire::object::{AUTH_HASH_KEY, USER_ID_KEY};

/// Compiles the README's examples as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
