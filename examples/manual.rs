//! From muffin-session's README, "Manual integration": handlers load the session with the
//! `Session` extractor and save it by returning it in the response.
//!
//! ```sh
//! cargo run --example manual   # on http://127.0.0.1:3002; a random secret unless SESSION_SECRET_KEY is set
//! curl -i -c manual.jar -b manual.jar http://127.0.0.1:3002/update   # Session updated.
//! curl -b manual.jar http://127.0.0.1:3002/load                # value
//! ```
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`) and `ADDR`
//! (default `127.0.0.1:3002`); the cookie is `manual_session` unless
//! `SESSION_COOKIE_NAME` says otherwise.

mod support;

use axum::{routing::get, Router};
use axum_cookie_session::{SaveError, Session, SessionLayer};

/// Sets `var`, and saves the session by returning it.
async fn update(mut session: Session) -> Result<(Session, &'static str), SaveError> {
    session.insert("var", "value")?;
    Ok((session, "Session updated."))
}

/// Answers `var` as plain text (empty when unset). Nothing changes, so
/// nothing is saved and no `Set-Cookie` is sent.
async fn load(session: Session) -> String {
    session.get_as::<String>("var").unwrap_or_default()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::init_tracing();
    support::exit_on_error(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = support::session_config("manual_session")?;
    let app = Router::new()
        .route("/update", get(update))
        .route("/load", get(load))
        // Manual mode: only a handler that returns the session saves it.
        .layer(SessionLayer::manual(config));
    support::serve(app, "127.0.0.1:3002").await
}
