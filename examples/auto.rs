//! From muffin-session's README, "Auto-managed sessions": `SessionLayer` saves the
//! session after every handler that changed it, whatever the handler returns.
//!
//! ```sh
//! cargo run --example auto   # on http://127.0.0.1:3001; a random secret unless SESSION_SECRET_KEY is set
//! curl -i -c auto.jar -b auto.jar http://127.0.0.1:3001/update   # Session updated.
//! curl -b auto.jar http://127.0.0.1:3001/load                # value
//! ```
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`) and `ADDR`
//! (default `127.0.0.1:3001`); the cookie is `auto_session` unless
//! `SESSION_COOKIE_NAME` says otherwise.

mod support;

use axum::{routing::get, Router};
use axum_cookie_session::{SaveError, Session, SessionLayer};

/// Sets `var`; the layer writes the cookie.
async fn update(mut session: Session) -> Result<&'static str, SaveError> {
    session.insert("var", "value")?;
    Ok("Session updated.")
}

/// Answers `var` as plain text (empty when unset).
async fn load(session: Session) -> String {
    session.get_as::<String>("var").unwrap_or_default()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::init_tracing();
    support::exit_on_error(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = support::session_config("auto_session")?;
    let app = Router::new()
        .route("/update", get(update))
        .route("/load", get(load))
        .layer(SessionLayer::new(config));
    support::serve(app, "127.0.0.1:3001").await
}
