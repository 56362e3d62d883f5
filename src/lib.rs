//! Login sessions for [axum] 0.8 that live in a cookie: no session store
//! to run.
//!
//! The whole session is one JSON object kept in one cookie, encoded by one of
//! three codecs ([`SessionType`]): an HS256 JWT (the default: signed), Fernet
//! (encrypted, behind the `fernet` feature) or plain base64 (forgeable: for
//! compatibility only). Extractors read it ([`Session<T>`](Session),
//! [`CurrentUser<U>`](CurrentUser)), a layer saves it ([`SessionLayer`]), and
//! guards keep anonymous visitors out ([`RequireUser`]). The cookies are
//! wire-compatible with the Python package [muffin-session] 2.6:
//! [MIGRATING.md] says how a Muffin app and an axum app share them while a
//! service moves.
//!
//! # A complete program
//!
//! A form that checks a password, a page only a logged-in user sees, and a
//! logout button, with `axum`, `serde`, `tokio` and `tracing-subscriber` as
//! the other dependencies. It is `examples/login.rs` in the repository
//! (`cargo run --example login`), and the program the README opens with.
//!
//! ```no_run
#![doc = include_str!("../examples/login.rs")]
//! ```
//!
//! # Sessions
//!
//! [`Session`] is the session as a map of JSON values. Behind
//! [`SessionLayer::new`], the layer saves every change after the handler,
//! whatever it returns; the cookie is decoded at most once per request, and
//! `Set-Cookie` is sent only when the session changed.
//!
//! ```
//! use axum::{routing::{get, post}, Router};
//! use axum_cookie_session::{SaveError, Session, SessionConfig, SessionLayer};
//!
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
//!     .route("/update", post(update))
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
//! cookie's JSON, for any `T` that is [`SessionData`]. Keys `T` does not
//! name are kept, so views of different types share one session, changes
//! made through several views apply in the order the handler makes them, and
//! a view writes only the fields it changed.
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
//! `struct Counter(usize)` is a `500` naming the type.
//!
//! # Users and guards
//!
//! Implement [`UserLoader`] once, register it on the config, and extract
//! [`CurrentUser`]; guard routes with [`RequireUser`]. A guard's check is
//! sync ([`check`](RequireUser::check)) or async
//! ([`check_async`](RequireUser::check_async), for permissions in a
//! database); a guard without one applies the loader's
//! [`default_check`](UserLoader::default_check). Anonymous visitors
//! navigating to a page are redirected to the login URL with `next`; API
//! callers (`fetch()`, XHR, an `Accept` preferring JSON) get `401` with
//! `{"error":"login required"}` instead
//! ([`api_unauthorized`](SessionConfigBuilder::api_unauthorized), on by
//! default, also per guard):
//!
//! ```
//! use std::convert::Infallible;
//! use axum::{response::Redirect, routing::{get, post}, Router};
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
//! async fn login(mut session: Session) -> Result<Redirect, SaveError> {
//!     // ... check the password first, as the program above does ...
//!     session.end(); // a fresh session at login
//!     session.login(1)?;
//!     Ok(Redirect::to("/me"))
//! }
//!
//! async fn me(CurrentUser(user): CurrentUser<User>) -> String {
//!     user.name // anonymous: pages are redirected to the login URL, fetch() gets 401
//! }
//!
//! async fn home(user: Option<CurrentUser<User>>) -> String {
//!     user.map_or("Not logged in.".into(), |CurrentUser(u)| format!("Hello, {}.", u.name))
//! }
//!
//! fn app(config: SessionConfig) -> Router {
//!     Router::new()
//!         .route("/admin", get(|| async { "admins only" }))
//!         .route_layer(RequireUser::<User>::new().check(|user: &User| user.is_admin))
//!         .route("/", get(home))
//!         .route("/me", get(me))
//!         .route("/login", post(login))
//!         .layer(SessionLayer::new(config.with_user_loader(Db)))
//! }
//! ```
//!
//! `logout()` forgets the user and keeps the rest of the session; `end()`
//! ends it all and removes the cookie.
//!
//! A loader that implements [`UserLoader::session_auth_hash`] (bytes from the
//! password hash) makes a password change log out every other browser of the
//! user, with no store: log in with [`Session::login_user`], which stores a
//! keyed digest checked on every load of the user. "Remember me" is
//! [`Session::set_lifetime`]: a lifetime of the session's own, signed into
//! the cookie, capped, and mirrored in its `Max-Age`.
//!
//! A guard can require permissions the loader grants
//! ([`RequireUser::permission`] over [`UserLoader::has_permission`]) or run
//! a check that may fail ([`RequireUser::try_check`]): a failed lookup is a
//! logged `500`, never a `403`. [`ApiRoutes`] marks a sub-router as an API,
//! whose anonymous callers always get the `401` JSON.
//!
//! # One-time messages
//!
//! [`Messages`] keeps "flash" messages in the session: set in one request,
//! shown once in a later one, through the redirect after a form post.
//!
//! ```
//! use axum::response::Redirect;
//! use axum_cookie_session::Messages;
//!
//! async fn logged_in(mut messages: Messages) -> Redirect {
//!     messages.success("Welcome back, Ada.");
//!     Redirect::to("/")
//! }
//!
//! async fn home(messages: Messages) -> String {
//!     messages.into_iter().map(|message| message.text + "\n").collect()
//! }
//! ```
//!
//! # Testing as a logged-in user
//!
//! [`SessionConfig::cookie_header`] turns a session built in a test (a
//! login, a cart) into the `Cookie` header a browser holding it would send,
//! with the app's real config; [`SessionConfig::session_in_response`] reads
//! back the session a response leaves the browser with.
//!
//! # Wiring
//!
//! The config lives in the [`SessionLayer`], and only there. The layer gives
//! every request one shared session and saves it after the handler, so the
//! extractors and guards read the config from it and the app's state needs
//! nothing (no `FromRef`). `.with_state(config)` alone is not enough: a
//! session extracted with no layer in front is a `500` whose body says to
//! add `.layer(SessionLayer::new(config))`. Add the layer last, outside
//! every route and middleware that uses the session:
//!
//! ```
//! use axum::extract::{Request, State};
//! use axum::middleware::{self, Next};
//! use axum::response::Response;
//! use axum::{routing::get, Router};
//! use axum_cookie_session::{Session, SessionConfig, SessionLayer};
//!
//! #[derive(Clone)]
//! struct AppState { greeting: &'static str } // the app's own: the session needs nothing
//!
//! async fn hello(State(state): State<AppState>, session: Session) -> String {
//!     let visits = session.get_as::<u64>("visits").unwrap_or(0);
//!     format!("{}, visitor {visits}", state.greeting)
//! }
//!
//! /// A middleware that uses the session: it must run inside the layer.
//! async fn count_visits(mut session: Session, request: Request, next: Next) -> Response {
//!     let visits = session.get_as::<u64>("visits").unwrap_or(0);
//!     let _ = session.insert("visits", visits + 1); // the handler sees it at once
//!     next.run(request).await
//! }
//!
//! fn app(config: SessionConfig) -> Router {
//!     Router::new()
//!         .nest("/api", Router::new().route("/hello", get(hello))) // shares the session
//!         .layer(middleware::from_fn(count_visits)) // added first: inside the layer
//!         .layer(SessionLayer::new(config)) // added last: outside everything that uses it
//!         .with_state(AppState { greeting: "Hello" })
//! }
//! ```
//!
//! # Cross-site request forgery
//!
//! [`SessionLayer`] refuses state-changing requests from other sites before
//! the handler runs (by `Sec-Fetch-Site`, then `Origin`), on every route it
//! covers, by default; [`CsrfToken`] is a session-bound form token for
//! browsers that send neither header. `SameSite=Lax` alone does not stop
//! login CSRF, state-changing `GET`s or sibling subdomains. A route other
//! servers post to (a webhook) goes outside the layer:
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
//! async fn payment_webhook(body: String) { /* checks its own signature */ }
//!
//! fn app(config: SessionConfig) -> Router {
//!     Router::new()
//!         .route("/logout", post(logout)) // a cross-site POST is a 403
//!         .layer(SessionLayer::new(config))
//!         .route("/webhooks/payments", post(payment_webhook)) // no session, no check
//! }
//! ```
//!
//! # Guarantees
//!
//! - A cookie that is missing, garbage, truncated, forged, expired or made
//!   with another key is an empty session, never an error page; why is
//!   logged at debug level.
//! - The cookie is decoded at most once per request, however many extractors
//!   read it, and never if nothing does.
//! - `Set-Cookie` is sent only when the session changed, always with
//!   `Vary: Cookie` and a `Cache-Control` that keeps shared caches from storing
//!   it; every response to a request that read the session varies on `Cookie`.
//! - Sessions expire on the server ([`DEFAULT_LIFETIME`] unless configured),
//!   and secrets shorter than [`MIN_SECRET_BYTES`] are refused unless the
//!   app acknowledges them.
//! - Neither secrets nor cookie values are ever logged.
//!
//! # Features
//!
//! - `fernet`: the Fernet codec. Without it the AES stack is not compiled.
//!
//! [axum]: https://docs.rs/axum
//! [muffin-session]: https://pypi.org/project/muffin-session/
//! [MIGRATING.md]: https://docs.rs/crate/axum-cookie-session/latest/source/MIGRATING.md
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
