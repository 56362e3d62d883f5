//! One log line per request: the client's address, method, path, status and
//! time taken.
//!
//! The client is the one the login throttle counts (`client.rs`): the
//! connection's peer, or the proxy's `X-Forwarded-For` when the session
//! config trusts proxy headers. Only the path is logged, never the query
//! string or other headers, so neither cookies nor anything a form sent end
//! up in the logs.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum_cookie_session::SessionConfig;

use crate::client;

/// Middleware that logs each request at `info` level once it is answered.
/// A server that does not give its peers' addresses logs `client=unknown`.
pub async fn log_request(
    State(config): State<SessionConfig>,
    request: Request,
    next: Next,
) -> Response {
    let client = client::address(request.headers(), request.extensions(), &config);
    let client = client.map_or_else(|| "unknown".to_owned(), |client| client.to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %client,
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
