//! Cookie-based login sessions for [axum] 0.8, wire-compatible with the
//! Python package [muffin-session] 2.6.
//!
//! The whole session is one JSON object kept in one cookie, encoded by one of
//! three codecs ([`SessionType`]): an HS256 JWT (the default: signed), Fernet
//! (encrypted, behind the `fernet` feature) or plain base64 (forgeable: for
//! compatibility only). There is no session store to run, and a Python Muffin
//! app with the same secret reads and writes the same cookies.
//!
//! # Quick start
//!
//! ```
//! use axum::{routing::get, Router};
//! use axum_cookie_session::{Session, SessionConfig, SessionLayer};
//!
//! // Auto-managed: the layer saves every change after the handler.
//! async fn update(mut session: Session) -> &'static str {
//!     session.insert("var", "value");
//!     "Session updated."
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
//!     .layer(SessionLayer::new(config.clone()))
//!     .with_state(config);
//! # Ok(()) }
//! ```
//!
//! Without the layer (manual mode) a handler saves by returning the session in
//! its response: `(session, "Session updated.")`. See [`Session`].
//!
//! # Typed sessions
//!
//! `Session<T>` is a typed view of the same object. Keys `T` does not name are
//! kept, so views of different types (and the Python app) share one session.
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
//! async fn add(mut cart: Session<Cart>) -> (Session<Cart>, String) {
//!     cart.items.push("apple".into());
//!     let count = cart.items.len();
//!     (cart, format!("{count} items"))
//! }
//! ```
//!
//! # Guarantees
//!
//! - A cookie that is missing, garbage, truncated, forged or made with another
//!   key is an empty session, never an error page; why is logged at debug level.
//! - The cookie is decoded at most once per request, however many extractors
//!   read it, and never if nothing does.
//! - `Set-Cookie` is sent only when the session changed, always with
//!   `Vary: Cookie` and a `Cache-Control` that keeps shared caches from storing it.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod chunks;
mod codec;
mod config;
mod cookie;
mod error;
mod expiry;
mod guard;
mod headers;
mod layer;
mod object;
mod request;
mod session;
mod user;

pub use chunks::{MAX_CHUNKS, MAX_COOKIE_SIZE, MAX_SESSION_HEADER};
pub use codec::{SessionType, UnknownSessionType};
pub use config::{SameSite, SessionConfig, SessionConfigBuilder, ENV_PREFIX, INSECURE_SECRET};
pub use error::{BoxError, ConfigError, SaveError, SessionRejection, UserRejection};
pub use expiry::{CLOCK_SKEW, ISSUED_AT_CLAIM};
pub use guard::{safe_next, RequireUser, RequireUserService};
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use object::USER_ID_KEY;
pub use session::Session;
pub use user::{CurrentUser, UserLoader, NEXT_PARAM};

/// Compiles the README's examples as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
