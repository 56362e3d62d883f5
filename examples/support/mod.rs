//! What every example shares: logging, the session config (with a random
//! secret when none is set), `ADDR`, serving until Ctrl-C.

use std::error::Error;
use std::io::IsTerminal;
use std::net::SocketAddr;

use axum::Router;
use axum_cookie_session::{ConfigError, SessionConfig};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tracing_subscriber::EnvFilter;

/// The variable holding the secret the cookies are signed or encrypted with.
const SECRET_VAR: &str = "SESSION_SECRET_KEY";

/// Logs with `RUST_LOG` (default `info`), in colour only on a terminal.
pub(crate) fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// Why the session config could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigFailure {
    /// A `SESSION_*` variable has a bad value.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operating system gave no random bytes.
    #[error("no random secret: {0}")]
    Random(getrandom::Error),
}

/// The config from `SESSION_*` variables. Without `SESSION_SECRET_KEY`, a
/// fresh random secret is used and announced once: logins then last only as
/// long as this process, and other instances cannot read its cookies.
pub(crate) fn session_config() -> Result<SessionConfig, ConfigFailure> {
    if std::env::var_os(SECRET_VAR).is_some() {
        return Ok(SessionConfig::from_env()?);
    }
    let secret = random_secret()?;
    println!(
        "{SECRET_VAR} is not set: using a random secret for this run \
         (logins end when the server stops; set it to keep them)."
    );
    let vars = std::env::vars().chain([(SECRET_VAR.to_owned(), secret)]);
    Ok(SessionConfig::from_vars(vars)?)
}

/// 24 random bytes from the operating system, as URL-safe base64: 32 ASCII
/// characters, fit for every codec (muffin-session's Fernet key derivation
/// takes at most 32).
fn random_secret() -> Result<String, ConfigFailure> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(ConfigFailure::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
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
            eprintln!("error: cannot listen on {addr}: {err}; set ADDR to another address");
            std::process::exit(1);
        }
    };
    println!("listening on http://{}", listener.local_addr()?);
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
