//! `SESSION_*` environment variables: [`SessionConfig::from_env`] and
//! [`SessionConfig::from_vars`].

use super::options::{split_keys, split_list, Lifetime, Options, Secret};
use super::{SessionConfig, ENV_PREFIX};
use crate::error::ConfigError;

impl SessionConfig {
    /// Reads the configuration from `SESSION_*` environment variables (see the
    /// table on [`SessionConfig`]); unset variables keep their defaults.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the variable whose value is invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Like [`from_env`](Self::from_env), from any list of `(name, value)`
    /// pairs. Names without the `SESSION_` prefix are ignored, so a whole
    /// environment or `.env` file can be passed as it is.
    ///
    /// ```
    /// use axum_cookie_session::{SessionConfig, SessionType};
    ///
    /// let config = SessionConfig::from_vars([
    ///     ("SESSION_SESSION_TYPE", "base64"),
    ///     ("SESSION_COOKIE_NAME", "muffin_session"),
    /// ])?;
    /// assert_eq!(config.session_type(), SessionType::Base64);
    /// assert_eq!(config.cookie_name(), "muffin_session");
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the variable whose value is invalid.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut options = Options::default();
        for (name, value) in vars {
            if let Some(option) = name.as_ref().strip_prefix(ENV_PREFIX) {
                options.set_from_env(option, value.as_ref())?;
            }
        }
        options.build(env_name)
    }
}

/// `max_age` → `SESSION_MAX_AGE`.
fn env_name(option: &str) -> String {
    format!("{ENV_PREFIX}{}", option.to_ascii_uppercase())
}

impl Options {
    /// Applies one `SESSION_*` variable, `option` being the part after the prefix.
    fn set_from_env(&mut self, option: &str, value: &str) -> Result<(), ConfigError> {
        let name = || format!("{ENV_PREFIX}{option}");
        let optional = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_owned());
        let flag = || parse_bool(value).ok_or_else(|| invalid_bool(name(), value));
        let name = &name;
        match option {
            "SESSION_TYPE" => {
                self.session_type = value.parse().map_err(|_| ConfigError::UnknownSessionType {
                    option: name(),
                    value: value.to_owned(),
                })?;
            }
            "SECRET_KEY" => self.secret_key = Some(Secret(value.to_owned())),
            "ALLOW_INSECURE_SECRET" => {
                self.allow_insecure_secret = flag()?;
            }
            "ALLOW_UNSIGNED_LOGINS" => {
                self.allow_unsigned_logins = flag()?;
            }
            "ALLOW_WEAK_SECRET" => self.allow_weak_secret = flag()?,
            "RANDOM_SECRET" => self.random_secret = flag()?,
            "FALLBACK_KEYS" => self.fallback_keys = split_keys(value),
            "COOKIE_NAME" => self.cookie_name = optional(value),
            "LOGIN_URL" => self.login_url = value.trim().to_owned(),
            "MAX_AGE" => self.max_age = parse_seconds(value, name)?,
            "LIFETIME" if value.trim().is_empty() => self.lifetime = Lifetime::Default,
            "LIFETIME" => {
                self.lifetime =
                    Lifetime::parse(value).ok_or_else(|| ConfigError::InvalidNumber {
                        option: name(),
                        value: value.to_owned(),
                    })?;
            }
            "MAX_LIFETIME" => {
                if let Some(seconds) = parse_seconds(value, name)? {
                    self.max_lifetime = seconds;
                }
            }
            "REQUIRE_AUTH_HASH" => {
                self.require_auth_hash = flag()?;
            }
            "SLIDING_EXPIRATION" => {
                self.sliding_expiration = flag()?;
            }
            "MUFFIN_COMPAT" => {
                self.muffin_compat = flag()?;
            }
            "LOGIN_REDIRECT" => {
                self.login_redirect = flag()?;
            }
            "CROSS_ORIGIN_PROTECTION" => self.cross_origin_protection = flag()?,
            "TRUSTED_ORIGINS" => self.trusted_origins = split_list(value),
            "TRUST_PROXY_HEADERS" => self.trust_proxy_headers = flag()?,
            "API_UNAUTHORIZED" => {
                self.api_unauthorized = flag()?;
            }
            "PATH" => self.path = value.trim().to_owned(),
            "DOMAIN" => self.domain = optional(value),
            "SECURE" => {
                self.secure = flag()?;
            }
            "HTTP_ONLY" => {
                self.http_only = flag()?;
            }
            "SAMESITE" | "SAME_SITE" => {
                self.samesite = value.parse().map_err(|()| ConfigError::InvalidSameSite {
                    option: name(),
                    value: value.to_owned(),
                })?;
            }
            // X11 and desktop sessions set this one.
            "MANAGER" => {}
            // Most likely a misspelled option: say so, without the value.
            _ => tracing::warn!(
                variable = %name(),
                "unknown session variable ignored: check its spelling against the options table"
            ),
        }
        Ok(())
    }
}

/// A number of seconds; empty means unset.
fn parse_seconds(value: &str, name: &dyn Fn() -> String) -> Result<Option<u64>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| ConfigError::InvalidNumber {
            option: name(),
            value: value.to_owned(),
        })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn invalid_bool(option: String, value: &str) -> ConfigError {
    ConfigError::InvalidBool {
        option,
        value: value.to_owned(),
    }
}
