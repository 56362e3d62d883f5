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
use std::time::Duration;

use http::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::codec::{Codec, SessionType};
use crate::error::ConfigError;

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
    secret_key: String,
    fallback_keys: Vec<String>,
    cookie_name: String,
    login_url: String,
    login_redirect: bool,
    /// In seconds; `None` makes a browser-session cookie.
    max_age: Option<u64>,
    path: String,
    domain: Option<String>,
    secure: bool,
    #[serde(alias = "same_site")]
    samesite: SameSite,
    http_only: bool,
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
            path: "/".to_owned(),
            domain: None,
            secure: false,
            samesite: SameSite::Lax,
            http_only: true,
        }
    }
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
    /// `; HttpOnly; SameSite=Lax; Path=/...`: everything after `name=value`.
    set_cookie_attributes: String,
    /// The whole `Set-Cookie` value that deletes the cookie.
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

    pub(crate) fn codec(&self) -> &Codec {
        &self.inner.codec
    }

    /// The `Set-Cookie` value that stores `token` as the session cookie.
    pub(crate) fn set_cookie(
        &self,
        token: &str,
    ) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
        let inner = &self.inner;
        let mut value = String::with_capacity(
            inner.cookie_name.len() + 1 + token.len() + inner.set_cookie_attributes.len(),
        );
        value.push_str(&inner.cookie_name);
        value.push('=');
        value.push_str(token);
        value.push_str(&inner.set_cookie_attributes);
        HeaderValue::try_from(value)
    }

    /// The `Set-Cookie` value that deletes the session cookie.
    pub(crate) fn removal_cookie(&self) -> HeaderValue {
        self.inner.removal.clone()
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
        match option {
            "SESSION_TYPE" => {
                self.session_type = value.parse().map_err(|_| ConfigError::UnknownSessionType {
                    option: name(),
                    value: value.to_owned(),
                })?;
            }
            "SECRET_KEY" => self.secret_key = value.to_owned(),
            "FALLBACK_KEYS" => {
                self.fallback_keys = value
                    .split(',')
                    .map(str::trim)
                    .filter(|key| !key.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "COOKIE_NAME" => self.cookie_name = value.trim().to_owned(),
            "LOGIN_URL" => self.login_url = value.trim().to_owned(),
            "MAX_AGE" => {
                self.max_age = optional(value)
                    .map(|value| value.parse::<u64>())
                    .transpose()
                    .map_err(|_| ConfigError::InvalidNumber {
                        option: name(),
                        value: value.to_owned(),
                    })?;
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
            // Other SESSION_* variables belong to someone else.
            _ => {}
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
        if self.secret_key == INSECURE_SECRET && self.session_type != SessionType::Base64 {
            tracing::warn!(
                "the session secret is the insecure default `{INSECURE_SECRET}`: anyone can forge \
                 sessions. Set `{}` to a long random string.",
                name("secret_key")
            );
        }
        check_cookie_name(&self.cookie_name).map_err(|()| ConfigError::InvalidCookieName {
            option: name("cookie_name"),
            value: self.cookie_name.clone(),
        })?;
        check_attribute(&self.path, name("path"))?;
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
        let (set_cookie_attributes, removal) = self.cookie_attributes();
        let removal =
            HeaderValue::try_from(removal).map_err(|_| ConfigError::InvalidAttribute {
                option: name("cookie_name"),
                value: self.cookie_name.clone(),
            })?;
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                session_type: self.session_type,
                codec,
                cookie_name: self.cookie_name,
                login_url: self.login_url,
                login_redirect: self.login_redirect,
                max_age: self.max_age.map(Duration::from_secs),
                set_cookie_attributes,
                removal,
            }),
            user_loader: None,
        })
    }

    /// `__Host-` cookies must be Secure, on `/`, without a Domain; `__Secure-`
    /// cookies must be Secure. Browsers silently drop cookies that break this.
    fn check_prefix(&self, name: fn(&str) -> String) -> Result<(), ConfigError> {
        let host = self.cookie_name.starts_with("__Host-");
        let secure_prefix = host || self.cookie_name.starts_with("__Secure-");
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

    /// The attributes written after `name=value`, and the full removal cookie,
    /// both rendered once here by the `cookie` crate.
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
        let attributes = rendered
            .strip_prefix(&format!("{}=", self.cookie_name))
            .unwrap_or(&rendered)
            .to_owned();
        (attributes, removal)
    }
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
