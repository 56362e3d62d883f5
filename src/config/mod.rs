//! [`SessionConfig`]: the secret, the codec and the cookie attributes, shared
//! by every extractor, the layer and the guards.
//!
//! It is built three ways that all end in the same validation: the
//! [builder](SessionConfig::builder), [environment variables](SessionConfig::from_env)
//! and serde (`#[derive(Deserialize)]` on your own config struct).

use std::any::Any;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use serde::{Deserialize, Deserializer, Serialize};

use crate::codec::{weakness, Codec, SessionType};
use crate::error::{ConfigError, SaveError};
use crate::expiry::{Clock, Expiry};

/// The secret muffin-session uses when none is configured. It still works, but
/// anyone who reads this source can forge sessions, so it logs a warning.
pub const INSECURE_SECRET: &str = "InsecureSecret";

/// The prefix of the environment variables read by [`SessionConfig::from_env`].
pub const ENV_PREFIX: &str = "SESSION_";

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent on every request; browsers require `Secure` with it.
    None,
}

impl FromStr for SameSite {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(Self::Strict),
            "lax" => Ok(Self::Lax),
            "none" => Ok(Self::None),
            _ => Err(()),
        }
    }
}

impl From<SameSite> for cookie::SameSite {
    fn from(value: SameSite) -> Self {
        match value {
            SameSite::Strict => Self::Strict,
            SameSite::Lax => Self::Lax,
            SameSite::None => Self::None,
        }
    }
}

/// Every option, as the builder, the environment and serde see them.
///
/// Field names are the option names used in errors; the environment variable
/// of a field is `SESSION_` + its name in upper case.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Options {
    session_type: SessionType,
    #[serde(deserialize_with = "secret")]
    secret_key: String,
    #[serde(deserialize_with = "secrets")]
    fallback_keys: Vec<String>,
    cookie_name: String,
    login_url: String,
    login_redirect: bool,
    /// In seconds; `None` makes a browser-session cookie.
    max_age: Option<u64>,
    /// In seconds; `None` follows `max_age`.
    lifetime: Option<u64>,
    sliding_expiration: bool,
    muffin_compat: bool,
    path: String,
    domain: Option<String>,
    secure: bool,
    #[serde(alias = "same_site")]
    samesite: SameSite,
    http_only: bool,
    #[serde(skip)]
    clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            session_type: SessionType::Jwt,
            secret_key: INSECURE_SECRET.to_owned(),
            fallback_keys: Vec::new(),
            cookie_name: "session".to_owned(),
            login_url: "/login".to_owned(),
            login_redirect: true,
            max_age: None,
            lifetime: None,
            sliding_expiration: false,
            muffin_compat: true,
            path: "/".to_owned(),
            domain: None,
            secure: false,
            samesite: SameSite::Lax,
            http_only: true,
            clock: Clock::default(),
        }
    }
}

/// A secret from serde: a string. Any other value is refused without being
/// quoted, since the error message would show the secret.
fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(secret) => Ok(secret),
        _ => Err(serde::de::Error::custom(
            "expected a string (the value is not shown: it may be a secret)",
        )),
    }
}

/// Fallback secrets from serde: a list of strings, or one comma-separated
/// string as in `SESSION_FALLBACK_KEYS`. Errors never quote the value.
fn secrets<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let refused = || {
        serde::de::Error::custom(
            "expected a list of strings or a comma-separated string (the value is not shown: it \
             may hold secrets)",
        )
    };
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(keys) => Ok(split_keys(&keys)),
        serde_json::Value::Array(keys) => keys
            .into_iter()
            .map(|key| match key {
                serde_json::Value::String(key) => Ok(key),
                _ => Err(refused()),
            })
            .collect(),
        _ => Err(refused()),
    }
}

/// `"old-key, older-key"` → the two keys.
fn split_keys(keys: &str) -> Vec<String> {
    keys.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The session configuration: which codec, which keys, which cookie.
///
/// Cheap to clone (one `Arc`). Extractors reach it from your app state through
/// [`FromRef`](axum::extract::FromRef), like axum-extra's cookie `Key`: either make it the state
/// (`.with_state(config)`) or implement `FromRef<AppState> for SessionConfig`.
///
/// | builder | environment | serde field | default |
/// |---|---|---|---|
/// | [`session_type`](SessionConfigBuilder::session_type) | `SESSION_SESSION_TYPE` | `session_type` | `jwt` |
/// | [`secret_key`](SessionConfigBuilder::secret_key) | `SESSION_SECRET_KEY` | `secret_key` | `InsecureSecret` (warns) |
/// | [`fallback_keys`](SessionConfigBuilder::fallback_keys) | `SESSION_FALLBACK_KEYS` (comma-separated) | `fallback_keys` | none |
/// | [`cookie_name`](SessionConfigBuilder::cookie_name) | `SESSION_COOKIE_NAME` | `cookie_name` | `session` |
/// | [`login_url`](SessionConfigBuilder::login_url) | `SESSION_LOGIN_URL` | `login_url` | `/login` |
/// | [`login_redirect`](SessionConfigBuilder::login_redirect) | `SESSION_LOGIN_REDIRECT` | `login_redirect` | `true` (`false`: answer `401`) |
/// | [`max_age`](SessionConfigBuilder::max_age) | `SESSION_MAX_AGE` (seconds) | `max_age` (seconds) | none: a browser-session cookie |
/// | [`lifetime`](SessionConfigBuilder::lifetime) | `SESSION_LIFETIME` (seconds) | `lifetime` (seconds) | the max-age: checked on the server |
/// | [`sliding_expiration`](SessionConfigBuilder::sliding_expiration) | `SESSION_SLIDING_EXPIRATION` | `sliding_expiration` | `false` |
/// | [`muffin_compat`](SessionConfigBuilder::muffin_compat) | `SESSION_MUFFIN_COMPAT` | `muffin_compat` | `true` |
/// | [`path`](SessionConfigBuilder::path) | `SESSION_PATH` | `path` | `/` |
/// | [`domain`](SessionConfigBuilder::domain) | `SESSION_DOMAIN` | `domain` | none (host only) |
/// | [`secure`](SessionConfigBuilder::secure) | `SESSION_SECURE` | `secure` | `false` |
/// | [`same_site`](SessionConfigBuilder::same_site) | `SESSION_SAMESITE` | `samesite` | `lax` |
/// | [`http_only`](SessionConfigBuilder::http_only) | `SESSION_HTTP_ONLY` | `http_only` | `true` |
///
/// ```
/// use std::time::Duration;
/// use axum_cookie_session::{SessionConfig, SessionType};
///
/// let config = SessionConfig::builder()
///     .secret_key("a long random secret of 32 bytes or more")
///     .session_type(SessionType::Jwt)
///     .max_age(Duration::from_secs(14 * 24 * 3600))
///     .build()?;
/// assert_eq!(config.cookie_name(), "session");
/// # Ok::<(), axum_cookie_session::ConfigError>(())
/// ```
#[derive(Clone, Deserialize)]
#[serde(try_from = "Options")]
pub struct SessionConfig {
    inner: Arc<Inner>,
    /// The app's [`UserLoader`](crate::UserLoader), type-erased; see
    /// [`with_user_loader`](SessionConfig::with_user_loader).
    pub(crate) user_loader: Option<Arc<dyn Any + Send + Sync>>,
}

struct Inner {
    session_type: SessionType,
    codec: Codec,
    cookie_name: String,
    login_url: String,
    login_redirect: bool,
    max_age: Option<Duration>,
    lifetime: Option<Duration>,
    expiry: Expiry,
    clock: Clock,
    muffin_compat: bool,
    /// `; HttpOnly; SameSite=Lax; Path=/...`: everything after `name=value`.
    set_cookie_attributes: String,
    /// Everything after `name=` in a `Set-Cookie` that deletes a cookie.
    removal_attributes: String,
    /// The whole `Set-Cookie` value that deletes the session cookie.
    removal: HeaderValue,
}

impl SessionConfig {
    /// Starts a builder with the defaults listed on [`SessionConfig`].
    pub fn builder() -> SessionConfigBuilder {
        SessionConfigBuilder::default()
    }

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

    /// The codec the session cookie is written with.
    pub fn session_type(&self) -> SessionType {
        self.inner.session_type
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.inner.cookie_name
    }

    /// Where guards send visitors who are not logged in.
    pub fn login_url(&self) -> &str {
        &self.inner.login_url
    }

    /// Whether a visitor who must log in is redirected to the login URL
    /// (`true`, for pages) or answered `401 Unauthorized` (`false`, for APIs).
    pub fn login_redirect(&self) -> bool {
        self.inner.login_redirect
    }

    /// The cookie's `Max-Age`, if any (`None`: the cookie lasts until the browser closes).
    pub fn max_age(&self) -> Option<Duration> {
        self.inner.max_age
    }

    /// How long a cookie is accepted after it was issued, checked on the
    /// server against the time inside the token: [`lifetime`](SessionConfigBuilder::lifetime)
    /// if set, else the max-age. `None`: no server-side expiry.
    pub fn lifetime(&self) -> Option<Duration> {
        self.inner.lifetime
    }

    /// Whether cookies stay readable by muffin-session (see
    /// [`muffin_compat`](SessionConfigBuilder::muffin_compat)).
    pub fn muffin_compat(&self) -> bool {
        self.inner.muffin_compat
    }

    pub(crate) fn codec(&self) -> &Codec {
        &self.inner.codec
    }

    pub(crate) fn expiry(&self) -> &Expiry {
        &self.inner.expiry
    }

    /// Now, in Unix seconds, by the configured clock.
    pub(crate) fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// The length of the attributes written after each `name=value`.
    pub(crate) fn attributes_len(&self) -> usize {
        self.inner.set_cookie_attributes.len()
    }

    /// The `Set-Cookie` value that stores `value` in the cookie `name`, with
    /// the session cookie's attributes.
    pub(crate) fn cookie_header(&self, name: &str, value: &str) -> Result<HeaderValue, SaveError> {
        let attributes = &self.inner.set_cookie_attributes;
        let mut header = String::with_capacity(name.len() + 1 + value.len() + attributes.len());
        header.push_str(name);
        header.push('=');
        header.push_str(value);
        header.push_str(attributes);
        HeaderValue::try_from(header).map_err(|err| SaveError::Encode(err.to_string()))
    }

    /// The `Set-Cookie` value that deletes the session cookie.
    pub(crate) fn removal_cookie(&self) -> HeaderValue {
        self.inner.removal.clone()
    }

    /// The `Set-Cookie` value that deletes the cookie `name` (a chunk of the
    /// session cookie), with the session cookie's path and domain.
    pub(crate) fn removal_header(&self, name: &str) -> Option<HeaderValue> {
        HeaderValue::try_from(format!("{name}={}", self.inner.removal_attributes)).ok()
    }
}

impl fmt::Debug for SessionConfig {
    /// Shows the options but never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("session_type", &self.inner.session_type)
            .field("secret_key", &"<redacted>")
            .field("cookie_name", &self.inner.cookie_name)
            .field("login_url", &self.inner.login_url)
            .field("max_age", &self.inner.max_age)
            .field("lifetime", &self.inner.lifetime)
            .field("expiry", &self.inner.expiry)
            .field("muffin_compat", &self.inner.muffin_compat)
            .field("clock", &self.inner.clock)
            .field("attributes", &self.inner.set_cookie_attributes)
            .finish()
    }
}

impl TryFrom<Options> for SessionConfig {
    type Error = ConfigError;

    fn try_from(options: Options) -> Result<Self, Self::Error> {
        options.build(str::to_owned)
    }
}

/// Builds a [`SessionConfig`]; start with [`SessionConfig::builder`].
#[derive(Clone, Default)]
#[must_use = "call `.build()` to get a SessionConfig"]
pub struct SessionConfigBuilder {
    options: Options,
}

impl fmt::Debug for SessionConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfigBuilder")
            .finish_non_exhaustive()
    }
}

impl SessionConfigBuilder {
    /// The codec: [`SessionType::Jwt`] (default), `Fernet` or `Base64`.
    pub fn session_type(mut self, session_type: SessionType) -> Self {
        self.options.session_type = session_type;
        self
    }

    /// The secret that signs (`jwt`) or encrypts (`fernet`) the cookie. Use the
    /// same string as the muffin-session app you share cookies with.
    pub fn secret_key(mut self, secret: impl Into<String>) -> Self {
        self.options.secret_key = secret.into();
        self
    }

    /// Older secrets still accepted when reading a cookie, never used to write
    /// one: set the new secret, move the old one here, and no one is logged out.
    /// In `SESSION_FALLBACK_KEYS` they are separated by commas (each trimmed),
    /// so keys given that way cannot contain a comma.
    pub fn fallback_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.options.fallback_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The cookie's name (default `session`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.options.cookie_name = name.into();
        self
    }

    /// Where guards send visitors who are not logged in (default `/login`).
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.options.login_url = url.into();
        self
    }

    /// Whether visitors who must log in are redirected to the login URL
    /// (default `true`, for pages) or answered `401 Unauthorized` (`false`, for APIs).
    pub fn login_redirect(mut self, redirect: bool) -> Self {
        self.options.login_redirect = redirect;
        self
    }

    /// The cookie's `Max-Age`. Without it the cookie ends with the browser session.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.options.max_age = Some(max_age.as_secs());
        self
    }

    /// How long a cookie is accepted after it was issued (default: the
    /// [`max_age`](Self::max_age), if set). Checked on the server against the
    /// issue time signed into the token, so a copied or kept cookie stops
    /// working even if a client ignores `Max-Age`; an expired cookie loads as
    /// an empty session. The issue time is the last time the server wrote the
    /// cookie (a re-issue under a new key keeps it); cookies that carry none,
    /// such as muffin-session's, do not expire on the server.
    ///
    /// The issue time is Fernet's own timestamp for `fernet`; for `jwt` and
    /// `base64` it is the claim `_iat`, or the registered `iat` and `exp`
    /// when [`muffin_compat`](Self::muffin_compat) is off.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.options.lifetime = Some(lifetime.as_secs());
        self
    }

    /// Re-issues the cookie, with a new issue time, on a request that reads a
    /// session more than half of its [`lifetime`](Self::lifetime) old (default
    /// `false`): active visitors stay logged in, idle ones expire.
    pub fn sliding_expiration(mut self, sliding: bool) -> Self {
        self.options.sliding_expiration = sliding;
        self
    }

    /// Keeps `jwt` cookies readable by muffin-session (default `true`).
    ///
    /// muffin-session answers a JWT whose registered `exp`, `nbf` or `iat`
    /// claim fails PyJWT's checks with a 500, so while this is on the issue
    /// time is the private claim `_iat`, and saving a session whose handler
    /// stored `exp`, `nbf`, `iat`, `aud`, or a non-string `sub` or `jti` fails
    /// with [`SaveError::ReservedKey`]. Such claims in a token a Python app
    /// wrote are honoured, hidden from handlers, and written back unchanged.
    /// Turn it off when no muffin-session app reads the cookies: JWTs then
    /// carry the standard `iat` and `exp`, and a token without `iat` is
    /// refused once a lifetime is set.
    pub fn muffin_compat(mut self, compat: bool) -> Self {
        self.options.muffin_compat = compat;
        self
    }

    /// The clock that issue times and expiry are measured by (default the
    /// system clock). Meant for tests that move time forward instead of
    /// sleeping.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use axum_cookie_session::SessionConfig;
    ///
    /// let seconds = Arc::new(AtomicU64::new(1_700_000_000));
    /// let clock = Arc::clone(&seconds);
    /// let config = SessionConfig::builder()
    ///     .secret_key("a long random secret of 32 bytes or more")
    ///     .max_age(Duration::from_secs(3600))
    ///     .clock(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::Relaxed)))
    ///     .build()?;
    /// // Later, in the test: an hour and a second pass.
    /// seconds.fetch_add(3601, Ordering::Relaxed);
    /// # let _ = config;
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.options.clock = Clock::new(now);
        self
    }

    /// The cookie's `Path` (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.options.path = path.into();
        self
    }

    /// The cookie's `Domain` (default none: the cookie is sent to this host only).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.options.domain = Some(domain.into());
        self
    }

    /// The cookie's `Secure` flag (default `false`; turn it on behind HTTPS).
    pub fn secure(mut self, secure: bool) -> Self {
        self.options.secure = secure;
        self
    }

    /// The cookie's `SameSite` attribute (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.options.samesite = same_site;
        self
    }

    /// The cookie's `HttpOnly` flag (default `true`: scripts cannot read the cookie).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.options.http_only = http_only;
        self
    }

    /// Checks the options and builds the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first invalid option.
    pub fn build(self) -> Result<SessionConfig, ConfigError> {
        self.options.build(str::to_owned)
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
        let name = &name;
        match option {
            "SESSION_TYPE" => {
                self.session_type = value.parse().map_err(|_| ConfigError::UnknownSessionType {
                    option: name(),
                    value: value.to_owned(),
                })?;
            }
            "SECRET_KEY" => self.secret_key = value.to_owned(),
            "FALLBACK_KEYS" => self.fallback_keys = split_keys(value),
            "COOKIE_NAME" => self.cookie_name = value.trim().to_owned(),
            "LOGIN_URL" => self.login_url = value.trim().to_owned(),
            "MAX_AGE" => self.max_age = parse_seconds(value, name)?,
            "LIFETIME" => self.lifetime = parse_seconds(value, name)?,
            "SLIDING_EXPIRATION" => {
                self.sliding_expiration =
                    parse_bool(value).ok_or_else(|| invalid_bool(name(), value))?;
            }
            "MUFFIN_COMPAT" => {
                self.muffin_compat =
                    parse_bool(value).ok_or_else(|| invalid_bool(name(), value))?;
            }
            "LOGIN_REDIRECT" => {
                self.login_redirect =
                    parse_bool(value).ok_or_else(|| invalid_bool(name(), value))?;
            }
            "PATH" => self.path = value.trim().to_owned(),
            "DOMAIN" => self.domain = optional(value),
            "SECURE" => {
                self.secure = parse_bool(value).ok_or_else(|| invalid_bool(name(), value))?
            }
            "HTTP_ONLY" => {
                self.http_only = parse_bool(value).ok_or_else(|| invalid_bool(name(), value))?;
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

    /// Validates every option and builds the config; `name` turns an option's
    /// field name into the name the user knows it by (field or variable).
    fn build(self, name: fn(&str) -> String) -> Result<SessionConfig, ConfigError> {
        if self.secret_key.is_empty() {
            return Err(ConfigError::EmptySecret {
                option: name("secret_key"),
            });
        }
        if self.fallback_keys.iter().any(String::is_empty) {
            // An empty key would let anyone sign (or read) sessions.
            return Err(ConfigError::EmptySecret {
                option: name("fallback_keys"),
            });
        }
        self.warn_weak_secrets(name);
        check_cookie_name(&self.cookie_name).map_err(|()| ConfigError::InvalidCookieName {
            option: name("cookie_name"),
            value: self.cookie_name.clone(),
        })?;
        check_attribute(&self.path, name("path"))?;
        if !self.path.starts_with('/') {
            return Err(ConfigError::InvalidPath {
                option: name("path"),
                value: self.path.clone(),
            });
        }
        if self.login_url.is_empty() || self.login_url.chars().any(char::is_control) {
            return Err(ConfigError::InvalidLoginUrl {
                option: name("login_url"),
                value: self.login_url.clone(),
            });
        }
        if let Some(domain) = &self.domain {
            check_attribute(domain, name("domain"))?;
        }
        if self.samesite == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneNeedsSecure {
                option: name("samesite"),
            });
        }
        self.check_prefix(name)?;
        let codec = Codec::new(self.session_type, &self.secret_key, &self.fallback_keys).map_err(
            |err| match err {
                ConfigError::FernetNotEnabled { .. } => ConfigError::FernetNotEnabled {
                    option: name("session_type"),
                },
                other => other,
            },
        )?;
        let (set_cookie_attributes, removal_attributes) = self.cookie_attributes();
        let removal = HeaderValue::try_from(format!("{}={removal_attributes}", self.cookie_name))
            .map_err(|_| ConfigError::InvalidAttribute {
            option: name("cookie_name"),
            value: self.cookie_name.clone(),
        })?;
        let lifetime = self.lifetime.or(self.max_age);
        let expiry = Expiry::new(lifetime, self.sliding_expiration, self.muffin_compat);
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                session_type: self.session_type,
                codec,
                cookie_name: self.cookie_name,
                login_url: self.login_url,
                login_redirect: self.login_redirect,
                max_age: self.max_age.map(Duration::from_secs),
                lifetime: lifetime.map(Duration::from_secs),
                expiry,
                clock: self.clock,
                muffin_compat: self.muffin_compat,
                set_cookie_attributes,
                removal_attributes,
                removal,
            }),
            user_loader: None,
        })
    }

    /// Warns about each secret too weak for the codec, naming its option,
    /// never the secret.
    fn warn_weak_secrets(&self, name: fn(&str) -> String) {
        if self.session_type == SessionType::Base64 {
            return;
        }
        if self.secret_key == INSECURE_SECRET {
            tracing::warn!(
                "the session secret is the insecure default `{INSECURE_SECRET}`: anyone can forge \
                 sessions. Set `{}` to a long random string.",
                name("secret_key")
            );
            return;
        }
        let keys = std::iter::once(("secret_key", &self.secret_key))
            .chain(self.fallback_keys.iter().map(|key| ("fallback_keys", key)));
        for (option, key) in keys {
            if key == INSECURE_SECRET {
                tracing::warn!(
                    "`{}` holds the insecure default `{INSECURE_SECRET}`: anyone can forge \
                     sessions while it is accepted, and they are re-issued under the current key",
                    name(option)
                );
            } else if let Some(weakness) = weakness(self.session_type, key) {
                tracing::warn!("`{}` {weakness}", name(option));
            }
        }
    }

    /// `__Host-` cookies must be Secure, on `/`, without a Domain; `__Secure-`
    /// cookies must be Secure. Browsers silently drop cookies that break this.
    /// Browsers match the prefixes in any case (`__host-` too).
    fn check_prefix(&self, name: fn(&str) -> String) -> Result<(), ConfigError> {
        let has_prefix = |prefix: &str| {
            self.cookie_name
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        let host = has_prefix("__Host-");
        let secure_prefix = host || has_prefix("__Secure-");
        let broken = (secure_prefix && !self.secure)
            || (host && (self.path != "/" || self.domain.is_some()));
        if broken {
            return Err(ConfigError::InvalidCookiePrefix {
                option: name("cookie_name"),
                value: self.cookie_name.clone(),
            });
        }
        Ok(())
    }

    /// The attributes written after `name=value`, and everything after
    /// `name=` in a removal cookie, both rendered once here by the `cookie` crate.
    fn cookie_attributes(&self) -> (String, String) {
        let mut cookie = cookie::Cookie::build((self.cookie_name.clone(), ""))
            .path(self.path.clone())
            .secure(self.secure)
            .http_only(self.http_only)
            .same_site(self.samesite.into());
        if let Some(domain) = &self.domain {
            cookie = cookie.domain(domain.clone());
        }
        let removal = cookie.clone().removal().to_string();
        if let Some(max_age) = self.max_age {
            let seconds = i64::try_from(max_age).unwrap_or(i64::MAX);
            cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
        }
        let rendered = cookie.to_string();
        let after_name = |rendered: &str| {
            rendered
                .strip_prefix(&format!("{}=", self.cookie_name))
                .unwrap_or(rendered)
                .to_owned()
        };
        (after_name(&rendered), after_name(&removal))
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

/// A cookie name is an RFC 6265 token: visible ASCII minus separators.
fn check_cookie_name(name: &str) -> Result<(), ()> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(())
    }
}

/// `Path` and `Domain` values: printable ASCII without `;`.
fn check_attribute(value: &str, option: String) -> Result<(), ConfigError> {
    if value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b';')
    {
        Ok(())
    } else {
        Err(ConfigError::InvalidAttribute {
            option,
            value: value.to_owned(),
        })
    }
}
