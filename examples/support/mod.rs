//! What every example shares: logging, the session config (with a random
//! secret when none is set, and a cookie name of its own), `ADDR`, serving
//! until Ctrl-C or `SIGTERM`, and start-up errors as one line.

use std::error::Error;
use std::io::IsTerminal;
use std::net::SocketAddr;

use std::process::ExitCode;

use axum::Router;
use axum_cookie_session::{ConfigError, SessionConfig};
use tracing_subscriber::EnvFilter;

/// Logs with `RUST_LOG` (default `info`), in colour only on a terminal.
pub(crate) fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// The config from `SESSION_*` variables, with two defaults of the
/// examples' own:
/// - without `SESSION_SECRET_KEY`, a random secret for this run
///   (`SESSION_RANDOM_SECRET`; the crate warns what it costs);
/// - without `SESSION_COOKIE_NAME`, the cookie is named after the example
///   (`cookie_name`, `__Host-` prefixed where the crate would prefix its own
///   default), so the examples and the demo, run side by side on one host,
///   never read or overwrite each other's cookie.
#[allow(dead_code)] // the oauth example calls session_config_with only
pub(crate) fn session_config(cookie_name: &str) -> Result<SessionConfig, ConfigError> {
    session_config_with(cookie_name, &[])
}

/// [`session_config`] with defaults of an example's own: each `(name,
/// value)` applies when the variable `name` is unset or empty (the `oauth`
/// example defaults `SESSION_SESSION_TYPE` to `fernet`).
pub(crate) fn session_config_with(
    cookie_name: &str,
    defaults: &[(&str, &str)],
) -> Result<SessionConfig, ConfigError> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    let set = |name: &str| {
        vars.iter()
            .any(|(var, value)| var == name && !value.trim().is_empty())
    };
    let random = !set("SESSION_SECRET_KEY") && !set("SESSION_RANDOM_SECRET");
    let name = (!set("SESSION_COOKIE_NAME")).then(|| own_cookie_name(&vars, cookie_name));
    let unset: Vec<(String, String)> = defaults
        .iter()
        .filter(|(name, _)| !set(name))
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    if random {
        vars.push(("SESSION_RANDOM_SECRET".to_owned(), "true".to_owned()));
    }
    if let Some(name) = name {
        vars.push(("SESSION_COOKIE_NAME".to_owned(), name));
    }
    for (name, value) in unset {
        // An empty variable would be read (and refused) before the default.
        vars.retain(|(var, _)| *var != name);
        vars.push((name, value));
    }
    SessionConfig::from_vars(vars)
}

/// `name`, or `__Host-name` when the cookie will be `Secure`, on `/` and
/// without `Domain`: the rule by which the crate names its own default.
fn own_cookie_name(vars: &[(String, String)], name: &str) -> String {
    let var = |wanted: &str| {
        vars.iter()
            .find(|(var, _)| var == wanted)
            .map(|(_, value)| value.trim().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let secure = matches!(var("SESSION_SECURE").as_str(), "1" | "true" | "yes" | "on");
    let host_only = var("SESSION_DOMAIN").is_empty();
    let root = matches!(var("SESSION_PATH").as_str(), "" | "/");
    if secure && host_only && root {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// Runs an example's `main`: an error (a bad `SESSION_*` value, a busy
/// address) is one line with its message on stderr, and exit status 1.
pub(crate) fn exit_on_error(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `app` on `ADDR` (else `default_addr`) until Ctrl-C. An address
/// that cannot be listened on is one line naming it and `ADDR`, and exit
/// status 1. Handlers may take `ConnectInfo<SocketAddr>`, the client's
/// address (the demo's login throttle counts by it).
pub(crate) async fn serve(app: Router, default_addr: &str) -> Result<(), Box<dyn Error>> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| default_addr.to_owned());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            return Err(
                format!("cannot listen on {addr}: {err}; set ADDR to another address").into(),
            );
        }
    };
    println!("listening on http://{}", listener.local_addr()?);
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// Ctrl-C, or `SIGTERM` (how systemd, Docker and Kubernetes stop a
/// service): requests in flight finish, new connections are refused.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            // No SIGTERM handler: Ctrl-C still stops gracefully.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
