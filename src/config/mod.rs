//! [`SessionConfig`]: the secret, the codec and the cookie attributes, shared
//! by every extractor, the layer and the guards.
//!
//! It is built three ways that all end in the same validation: the
//! [builder](SessionConfig::builder), [environment variables](SessionConfig::from_env)
//! and serde (`#[derive(Deserialize)]` on your own config struct).

mod builder;
mod clock;
mod env;
mod options;
mod validate;

use std::any::Any;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth_hash::AuthDigest;
use crate::csrf::origin::Judge;
use crate::error::{ConfigError, UserRejection};
use crate::wire::claims::ClaimScheme;
use crate::wire::codec::{Codec, SessionType};
use crate::wire::cookie::CookieFormat;
use crate::wire::expiry::Expiry;
pub use builder::SessionConfigBuilder;
use options::Options;
pub use options::{DEFAULT_LIFETIME, MIN_SECRET_BYTES};

/// The secret muffin-session uses when none is configured. Anyone who reads
/// this source can forge sessions made with it, so a `jwt` or `fernet`
/// config without a secret is refused ([`ConfigError::MissingSecret`]) unless
/// the app opts in with
/// [`allow_insecure_secret`](SessionConfigBuilder::allow_insecure_secret) or
/// sets this value explicitly (a Muffin app left at its default, while it
/// migrates); either way every build logs a warning.
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

/// The session configuration: which codec, which keys, which cookie.
///
/// Cheap to clone (one `Arc`). Give it to [`SessionLayer`](crate::SessionLayer):
/// every extractor and guard behind the layer uses the layer's config, so
/// the app's state does not need to hold it.
///
/// | builder | environment | serde field | default |
/// |---|---|---|---|
/// | [`session_type`](SessionConfigBuilder::session_type) | `SESSION_SESSION_TYPE` | `session_type` | `jwt` |
/// | [`secret_key`](SessionConfigBuilder::secret_key) | `SESSION_SECRET_KEY` | `secret_key` | none: required for `jwt` and `fernet` |
/// | [`allow_insecure_secret`](SessionConfigBuilder::allow_insecure_secret) | `SESSION_ALLOW_INSECURE_SECRET` | `allow_insecure_secret` | `false` (`true`: no secret means `InsecureSecret`, with a warning) |
/// | [`allow_weak_secret`](SessionConfigBuilder::allow_weak_secret) | `SESSION_ALLOW_WEAK_SECRET` | `allow_weak_secret` | `false`: keys under 32 bytes are refused |
/// | [`allow_unsigned_logins`](SessionConfigBuilder::allow_unsigned_logins) | `SESSION_ALLOW_UNSIGNED_LOGINS` | `allow_unsigned_logins` | `false` (`true`: users log in from forgeable `base64` sessions) |
/// | [`fallback_keys`](SessionConfigBuilder::fallback_keys) | `SESSION_FALLBACK_KEYS` (comma-separated) | `fallback_keys` | none |
/// | [`cookie_name`](SessionConfigBuilder::cookie_name) | `SESSION_COOKIE_NAME` | `cookie_name` | `__Host-session` when `secure`, path `/` and no `domain`, else `session` |
/// | [`login_url`](SessionConfigBuilder::login_url) | `SESSION_LOGIN_URL` | `login_url` | `/login` |
/// | [`login_redirect`](SessionConfigBuilder::login_redirect) | `SESSION_LOGIN_REDIRECT` | `login_redirect` | `true` (`false`: always answer `401`) |
/// | [`api_unauthorized`](SessionConfigBuilder::api_unauthorized) | `SESSION_API_UNAUTHORIZED` | `api_unauthorized` | `true`: `401` for API callers, redirects for pages |
/// | [`max_age`](SessionConfigBuilder::max_age) | `SESSION_MAX_AGE` (seconds) | `max_age` (seconds) | none: a browser-session cookie |
/// | [`lifetime`](SessionConfigBuilder::lifetime), [`unlimited_lifetime`](SessionConfigBuilder::unlimited_lifetime) | `SESSION_LIFETIME` (seconds, or `none`) | `lifetime` (seconds, or `"none"`) | the max-age, else 14 days: checked on the server |
/// | [`max_lifetime`](SessionConfigBuilder::max_lifetime) | `SESSION_MAX_LIFETIME` (seconds) | `max_lifetime` (seconds) | 30 days: the cap on a session's own lifetime |
/// | [`require_auth_hash`](SessionConfigBuilder::require_auth_hash) | `SESSION_REQUIRE_AUTH_HASH` | `require_auth_hash` | `false`: a login without a digest gets one |
/// | [`sliding_expiration`](SessionConfigBuilder::sliding_expiration) | `SESSION_SLIDING_EXPIRATION` | `sliding_expiration` | `false` |
/// | [`muffin_compat`](SessionConfigBuilder::muffin_compat) | `SESSION_MUFFIN_COMPAT` | `muffin_compat` | `true` |
/// | [`path`](SessionConfigBuilder::path) | `SESSION_PATH` | `path` | `/` |
/// | [`domain`](SessionConfigBuilder::domain) | `SESSION_DOMAIN` | `domain` | none (host only) |
/// | [`secure`](SessionConfigBuilder::secure) | `SESSION_SECURE` | `secure` | `false` |
/// | [`same_site`](SessionConfigBuilder::same_site) | `SESSION_SAMESITE` | `samesite` | `lax` |
/// | [`http_only`](SessionConfigBuilder::http_only) | `SESSION_HTTP_ONLY` | `http_only` | `true` |
/// | [`cross_origin_protection`](SessionConfigBuilder::cross_origin_protection) | `SESSION_CROSS_ORIGIN_PROTECTION` | `cross_origin_protection` | `true`: cross-site state-changing requests are a `403` |
/// | [`trusted_origins`](SessionConfigBuilder::trusted_origins) | `SESSION_TRUSTED_ORIGINS` (comma-separated) | `trusted_origins` | none: only this site (behind a proxy, its public origin goes here) |
/// | [`trust_proxy_headers`](SessionConfigBuilder::trust_proxy_headers) | `SESSION_TRUST_PROXY_HEADERS` | `trust_proxy_headers` | `false` |
///
/// ```
/// use std::time::Duration;
/// use axum_cookie_session::{SessionConfig, SessionType};
///
/// let config = SessionConfig::builder()
///     .secret_key("a long random secret of 32 bytes or more")
///     .session_type(SessionType::Jwt)
///     .secure(true)
///     .lifetime(Duration::from_secs(8 * 3600))
///     .build()?;
/// assert_eq!(config.cookie_name(), "__Host-session");
/// assert_eq!(config.lifetime(), Some(Duration::from_secs(8 * 3600)));
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

/// The validated options, and what is derived from them once.
struct Inner {
    options: Options,
    codec: Codec,
    auth_digest: AuthDigest,
    claims: ClaimScheme,
    expiry: Expiry,
    cookie: CookieFormat,
    /// The cross-origin check: the trusted origins, parsed.
    judge: Judge,
}

impl SessionConfig {
    /// Starts a builder with the defaults listed on [`SessionConfig`].
    pub fn builder() -> SessionConfigBuilder {
        SessionConfigBuilder::default()
    }

    /// The codec the session cookie is written with.
    pub fn session_type(&self) -> SessionType {
        self.inner.options.session_type
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        // Always set by the build: the one given, or the default chosen.
        self.inner
            .options
            .cookie_name
            .as_deref()
            .unwrap_or_default()
    }

    /// Where guards send visitors who are not logged in.
    pub fn login_url(&self) -> &str {
        &self.inner.options.login_url
    }

    /// Whether a visitor who must log in is redirected to the login URL
    /// (`true`, for pages) or always answered `401 Unauthorized` (`false`,
    /// for APIs).
    pub fn login_redirect(&self) -> bool {
        self.inner.options.login_redirect
    }

    /// Whether API callers (requests that are not page navigations) get `401`
    /// instead of a redirect to the login page (see
    /// [`api_unauthorized`](SessionConfigBuilder::api_unauthorized)).
    pub fn api_unauthorized(&self) -> bool {
        self.inner.options.api_unauthorized
    }

    /// The cookie's `Max-Age`, if any (`None`: the cookie lasts until the browser closes).
    pub fn max_age(&self) -> Option<Duration> {
        self.inner.options.max_age.map(Duration::from_secs)
    }

    /// How long a cookie is accepted after it was issued, checked on the
    /// server against the time inside the token: [`lifetime`](SessionConfigBuilder::lifetime)
    /// if set, else the max-age, else 14 days. `None`: no server-side
    /// expiry, chosen with [`unlimited_lifetime`](SessionConfigBuilder::unlimited_lifetime).
    pub fn lifetime(&self) -> Option<Duration> {
        self.inner.expiry.lifetime().map(Duration::from_secs)
    }

    /// Whether a session read past half its [`lifetime`](Self::lifetime)
    /// is re-issued with a new issue time (see
    /// [`sliding_expiration`](SessionConfigBuilder::sliding_expiration)):
    /// active visitors stay logged in, idle ones expire.
    ///
    /// ```
    /// use axum_cookie_session::SessionConfig;
    ///
    /// let config = SessionConfig::builder()
    ///     .secret_key("a long random secret of 32 bytes or more")
    ///     .sliding_expiration(true)
    ///     .build()?;
    /// assert!(config.sliding_expiration());
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    pub fn sliding_expiration(&self) -> bool {
        self.inner.options.sliding_expiration
    }

    /// The longest lifetime a session may be given with
    /// [`Session::set_lifetime`](crate::Session::set_lifetime).
    pub fn max_lifetime(&self) -> Duration {
        Duration::from_secs(self.inner.options.max_lifetime)
    }

    /// Whether logins without a session auth digest are refused (see
    /// [`require_auth_hash`](SessionConfigBuilder::require_auth_hash)).
    pub fn require_auth_hash(&self) -> bool {
        self.inner.options.require_auth_hash
    }

    /// Whether cookies stay readable by muffin-session (see
    /// [`muffin_compat`](SessionConfigBuilder::muffin_compat)).
    pub fn muffin_compat(&self) -> bool {
        self.inner.options.muffin_compat
    }

    /// Whether a user may be looked up from this config's sessions: not
    /// from forgeable (`base64`) ones unless the app allowed it.
    pub(crate) fn check_logins(&self) -> Result<(), UserRejection> {
        let options = &self.inner.options;
        if options.session_type.keyed() || options.allow_unsigned_logins {
            Ok(())
        } else {
            Err(UserRejection::UnsignedLogins {
                session_type: options.session_type,
            })
        }
    }

    /// Whether the cookie is `Secure` (sent over HTTPS only).
    pub fn secure(&self) -> bool {
        self.inner.options.secure
    }

    /// Whether the app is behind a reverse proxy whose `X-Forwarded-*`
    /// headers it trusts (see
    /// [`trust_proxy_headers`](SessionConfigBuilder::trust_proxy_headers)).
    pub fn trust_proxy_headers(&self) -> bool {
        self.inner.options.trust_proxy_headers
    }

    /// Whether `other` is this very config (a clone of it), the user
    /// loader aside.
    pub(crate) fn same_as(&self, other: &SessionConfig) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// How requests are judged by where they came from.
    pub(crate) fn judge(&self) -> &Judge {
        &self.inner.judge
    }

    /// The cross-origin check [`SessionLayer`](crate::SessionLayer) runs,
    /// unless the app turned it off.
    pub(crate) fn cross_origin(&self) -> Option<&Judge> {
        self.inner
            .options
            .cross_origin_protection
            .then_some(&self.inner.judge)
    }

    pub(crate) fn codec(&self) -> &Codec {
        &self.inner.codec
    }

    pub(crate) fn auth_digest(&self) -> &AuthDigest {
        &self.inner.auth_digest
    }

    pub(crate) fn expiry(&self) -> &Expiry {
        &self.inner.expiry
    }

    /// Now, in Unix seconds, by the configured clock.
    pub(crate) fn now(&self) -> u64 {
        self.inner.options.clock.now()
    }

    /// How cookies carry their issue time and lifetime, chosen once for
    /// the codec.
    pub(crate) fn claims(&self) -> ClaimScheme {
        self.inner.claims
    }

    /// The session cookie's name and rendered attributes.
    pub(crate) fn cookie_format(&self) -> &CookieFormat {
        &self.inner.cookie
    }
}

impl fmt::Debug for SessionConfig {
    /// Shows the options but never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("options", &self.inner.options)
            .field("expiry", &self.inner.expiry)
            .field("attributes", &self.inner.cookie)
            .field("user_loader", &self.user_loader.is_some())
            .finish()
    }
}

impl TryFrom<Options> for SessionConfig {
    type Error = ConfigError;

    fn try_from(options: Options) -> Result<Self, Self::Error> {
        options.build(str::to_owned)
    }
}
