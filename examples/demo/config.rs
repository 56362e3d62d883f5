//! The session configuration: `SESSION_*` variables as usual, and a random
//! secret for this run when `SESSION_SECRET_KEY` is not set, rather than the
//! crate's insecure default.

use axum_cookie_session::{ConfigError, SessionConfig};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The variable holding the secret the cookies are signed or encrypted with.
const SECRET_VAR: &str = "SESSION_SECRET_KEY";

/// Why the configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `SESSION_*` variable has a bad value.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operating system gave no random bytes.
    #[error("no random secret: {0}")]
    Random(getrandom::Error),
}

/// The config from `SESSION_*` variables. Without `SESSION_SECRET_KEY`, a
/// fresh random secret is used and announced: logins then last only as long
/// as this process, and other instances cannot read its cookies.
pub fn session_config() -> Result<SessionConfig, Error> {
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

/// 32 random bytes from the operating system, as URL-safe base64 (43 ASCII
/// characters, fit for every codec).
fn random_secret() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(Error::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
