//! [`SessionConfigBuilder`], and the one validation every way of configuring
//! (builder, environment, serde) ends in.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer};

use super::clock::Clock;
use super::{Inner, SameSite, SessionConfig, INSECURE_SECRET};
use crate::auth_hash::AuthDigest;
use crate::csrf::origin::{Judge, Origin};
use crate::error::ConfigError;
use crate::wire::claims::ClaimScheme;
use crate::wire::codec::{Codec, SessionType};
use crate::wire::cookie::{self, Attributes, CookieFormat};
use crate::wire::expiry::Expiry;

/// Every option, as the builder, the environment and serde see them; once
/// validated, the configuration keeps them as they are.
///
/// Field names are the option names used in errors; the environment variable
/// of a field is `SESSION_` + its name in upper case. Adding an option: a
/// field here and its default, a builder method, an arm in
/// `Options::set_from_env`, a line in the table on [`SessionConfig`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct Options {
    pub(super) session_type: SessionType,
    /// `None` until the app sets one: see [`Options::secret`].
    #[serde(deserialize_with = "explicit_secret")]
    pub(super) secret_key: Option<Secret>,
    pub(super) random_secret: bool,
    pub(super) allow_insecure_secret: bool,
    pub(super) allow_weak_secret: bool,
    pub(super) allow_unsigned_logins: bool,
    #[serde(deserialize_with = "secrets")]
    pub(super) fallback_keys: Vec<Secret>,
    /// `None` until the app names one: see [`Options::cookie_name`].
    pub(super) cookie_name: Option<String>,
    pub(super) login_url: String,
    pub(super) login_redirect: bool,
    pub(super) api_unauthorized: bool,
    /// In seconds; `None` makes a browser-session cookie.
    pub(super) max_age: Option<u64>,
    pub(super) lifetime: Lifetime,
    /// In seconds: the most a session's own lifetime may be.
    pub(super) max_lifetime: u64,
    pub(super) require_auth_hash: bool,
    pub(super) sliding_expiration: bool,
    pub(super) muffin_compat: bool,
    pub(super) path: String,
    pub(super) domain: Option<String>,
    pub(super) secure: bool,
    #[serde(alias = "same_site")]
    pub(super) samesite: SameSite,
    pub(super) http_only: bool,
    pub(super) cross_origin_protection: bool,
    #[serde(deserialize_with = "strings")]
    pub(super) trusted_origins: Vec<String>,
    pub(super) trust_proxy_headers: bool,
    #[serde(skip)]
    pub(super) clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            session_type: SessionType::Jwt,
            secret_key: None,
            random_secret: false,
            allow_insecure_secret: false,
            allow_weak_secret: false,
            allow_unsigned_logins: false,
            fallback_keys: Vec::new(),
            cookie_name: None,
            login_url: "/login".to_owned(),
            login_redirect: true,
            api_unauthorized: true,
            max_age: None,
            lifetime: Lifetime::Default,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            require_auth_hash: false,
            sliding_expiration: false,
            muffin_compat: true,
            path: "/".to_owned(),
            domain: None,
            secure: false,
            samesite: SameSite::Lax,
            http_only: true,
            cross_origin_protection: true,
            trusted_origins: Vec::new(),
            trust_proxy_headers: false,
            clock: Clock::default(),
        }
    }
}

/// The default cap on a session's own lifetime: 30 days.
const DEFAULT_MAX_LIFETIME: u64 = 30 * 24 * 3600;

/// The default server-side lifetime of a session without a `max_age`: 14
/// days, Django's default.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// The fewest bytes a secret may have without
/// [`allow_weak_secret`](SessionConfigBuilder::allow_weak_secret): 256 bits,
/// as RFC 7518 asks of HS256 keys.
pub const MIN_SECRET_BYTES: usize = 32;

/// The cookie name when none is set and the prefix fits: `__Host-` cookies
/// cannot be set by another host, so a sibling subdomain cannot plant one.
const HOST_COOKIE_NAME: &str = "__Host-session";

/// The cookie name when none is set and `__Host-` does not fit (not
/// `secure`, a `domain`, or a `path` other than `/`): muffin-session's.
const PLAIN_COOKIE_NAME: &str = "session";

/// How long a session is accepted on the server after it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Lifetime {
    /// The `max_age` if set, else [`DEFAULT_LIFETIME`].
    #[default]
    Default,
    /// So many seconds.
    Seconds(u64),
    /// No limit on the server: the app said so.
    Unlimited,
}

impl Lifetime {
    /// `"none"` (any case) is [`Lifetime::Unlimited`], a whole number of
    /// seconds is [`Lifetime::Seconds`], anything else `None`.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            Some(Self::Unlimited)
        } else {
            text.parse().ok().map(Self::Seconds)
        }
    }
}

impl<'de> Deserialize<'de> for Lifetime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Seconds(u64),
            Text(String),
        }
        let invalid = || serde::de::Error::custom("expected a number of seconds or \"none\"");
        match Given::deserialize(deserializer).map_err(|_| invalid())? {
            Given::Seconds(seconds) => Ok(Self::Seconds(seconds)),
            Given::Text(text) => Self::parse(&text).ok_or_else(invalid),
        }
    }
}

/// A secret key: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Secret(pub(super) String);

impl Secret {
    /// Empty, or only whitespace: no secret at all.
    fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A secret from serde: a string. Any other value is refused without being
/// quoted, since the error message would show the secret.
fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(secret) => Ok(Secret(secret)),
        _ => Err(serde::de::Error::custom(
            "expected a string (the value is not shown: it may be a secret)",
        )),
    }
}

/// A secret set in a serde config: explicit, even when it is the default string.
fn explicit_secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    secret(deserializer).map(Some)
}

/// Fallback secrets from serde: a list of strings, or one comma-separated
/// string as in `SESSION_FALLBACK_KEYS`. Errors never quote the value.
fn secrets<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Secret>, D::Error> {
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
                serde_json::Value::String(key) => Ok(Secret(key)),
                _ => Err(refused()),
            })
            .collect(),
        _ => Err(refused()),
    }
}

/// A list of strings from serde: a list, or one comma-separated string as in
/// the environment.
fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Strings {
        List(Vec<String>),
        One(String),
    }
    Ok(match Strings::deserialize(deserializer)? {
        Strings::List(list) => list,
        Strings::One(text) => split_list(&text),
    })
}

/// `"a, b"` → `a` and `b`, each trimmed, empty items dropped.
pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds a [`SessionConfig`]; start with [`SessionConfig::builder`].
#[derive(Clone, Default)]
#[must_use = "call `.build()` to get a SessionConfig"]
pub struct SessionConfigBuilder {
    options: Options,
}

impl fmt::Debug for SessionConfigBuilder {
    /// Shows the options so far, never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfigBuilder")
            .field("options", &self.options)
            .finish()
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
    ///
    /// Required for `jwt` and `fernet`: building without one is
    /// [`ConfigError::MissingSecret`], unless
    /// [`allow_insecure_secret`](Self::allow_insecure_secret) is on. Setting it
    /// to [`INSECURE_SECRET`] itself (a Muffin app left at its default, while
    /// it migrates) is allowed, with a warning at every build. For `fernet`
    /// with [`muffin_compat`](Self::muffin_compat) on, it must be ASCII and
    /// at most 32 characters, as muffin-session requires.
    pub fn secret_key(mut self, secret: impl Into<String>) -> Self {
        self.options.secret_key = Some(Secret(secret.into()));
        self
    }

    /// Signs (or encrypts) with a random secret made for this process, for
    /// development: every build logs a warning, since a restart logs
    /// everyone out and other instances cannot read its cookies. Setting
    /// [`secret_key`](Self::secret_key) too is
    /// [`ConfigError::TwoSecrets`]. Environment: `SESSION_RANDOM_SECRET`.
    ///
    /// ```
    /// use axum_cookie_session::SessionConfig;
    ///
    /// let config = SessionConfig::builder().random_secret().build()?;
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    pub fn random_secret(mut self) -> Self {
        self.options.random_secret = true;
        self
    }

    /// Signs (or encrypts) with the public default secret [`INSECURE_SECRET`]
    /// when no [`secret_key`](Self::secret_key) is set (default `false`: no
    /// secret is [`ConfigError::MissingSecret`]). Anyone can forge sessions
    /// made with it, so this is for local experiments only; the build logs a
    /// warning. Environment: `SESSION_ALLOW_INSECURE_SECRET`.
    pub fn allow_insecure_secret(mut self, allow: bool) -> Self {
        self.options.allow_insecure_secret = allow;
        self
    }

    /// Accepts a secret or fallback key shorter than 32 bytes
    /// ([`MIN_SECRET_BYTES`]; default `false`: such a key is
    /// [`ConfigError::WeakSecret`]). A short HS256 key can be guessed
    /// offline from one cookie, so this is only for an existing Muffin
    /// app's secret that cannot change yet; every build then logs a
    /// warning. Environment: `SESSION_ALLOW_WEAK_SECRET`.
    pub fn allow_weak_secret(mut self, allow: bool) -> Self {
        self.options.allow_weak_secret = allow;
        self
    }

    /// Lets [`CurrentUser`](crate::CurrentUser) and
    /// [`RequireUser`](crate::RequireUser) log users in from `base64`
    /// sessions (default `false`). Anyone can write `{"id": 1}` into such a
    /// cookie and be user 1, so without this a user lookup on a `base64`
    /// config is refused with a `500` whose log names this option
    /// ([`UserRejection::UnsignedLogins`](crate::UserRejection::UnsignedLogins)).
    /// Turn it on only to share logins with a Muffin app that uses `base64`,
    /// while both move to a signed codec; the build then logs a warning.
    /// No effect on `jwt` and `fernet`. Environment:
    /// `SESSION_ALLOW_UNSIGNED_LOGINS`.
    pub fn allow_unsigned_logins(mut self, allow: bool) -> Self {
        self.options.allow_unsigned_logins = allow;
        self
    }

    /// Older (or, while a rotation rolls out, newer) secrets still accepted
    /// when reading a cookie, never used to write one. Each key follows the
    /// secret's rules: at least 32 bytes (unless
    /// [`allow_weak_secret`](Self::allow_weak_secret)), no whitespace at
    /// either end. In `SESSION_FALLBACK_KEYS` they are separated by commas,
    /// with any spaces around a comma, so keys given that way cannot contain
    /// a comma.
    ///
    /// To rotate the secret across several instances without logging anyone
    /// out, roll out twice: first add the new key here on every instance,
    /// then, once all have it, make it the secret (and the old one a
    /// fallback key) instance by instance. An instance whose secret is the new
    /// key re-issues cookies under it, which only instances that already
    /// accept it can read.
    pub fn fallback_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.options.fallback_keys = keys.into_iter().map(|key| Secret(key.into())).collect();
        self
    }

    /// The cookie's name. Default: `__Host-session` when the cookie is
    /// [`secure`](Self::secure), on [`path`](Self::path) `/` and without a
    /// [`domain`](Self::domain) (browsers then refuse the same name from
    /// any other host, so a sibling subdomain cannot plant a login), else
    /// `session`.
    ///
    /// A secure, host-only name set here without the prefix is accepted,
    /// with a warning at every build naming the `__Host-` fix; a Muffin app
    /// sharing the cookie must use the same name
    /// (`session_cookie_name` in muffin-session).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.options.cookie_name = Some(name.into());
        self
    }

    /// Where guards send visitors who are not logged in (default `/login`).
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.options.login_url = url.into();
        self
    }

    /// Whether visitors who must log in are redirected to the login URL
    /// (default `true`, for pages) or always answered `401 Unauthorized`
    /// (`false`, for an app that is all API). With `true`, API callers still
    /// get `401` while [`api_unauthorized`](Self::api_unauthorized) is on.
    pub fn login_redirect(mut self, redirect: bool) -> Self {
        self.options.login_redirect = redirect;
        self
    }

    /// Whether a request that is not a page navigation gets `401
    /// Unauthorized` instead of a redirect to the login page (default
    /// `true`): a `fetch()` or XHR call, or a client whose `Accept` prefers
    /// JSON over HTML. Plain navigations, and clients that say nothing (curl's
    /// `Accept: */*`), are redirected either way.
    ///
    /// It applies to [`CurrentUser`](crate::CurrentUser) and to every
    /// [`RequireUser`](crate::RequireUser) that does not set its own
    /// ([`RequireUser::api_unauthorized`](crate::RequireUser::api_unauthorized)).
    /// Turn it off to redirect every request, as muffin-session does.
    ///
    /// A request is an API call when its `Sec-Fetch-Mode` is present and not
    /// `navigate`; or, without `Sec-Fetch-Mode`, when it has an
    /// `X-Requested-With` header or an `Accept` whose q-values prefer
    /// `application/json` (or a `+json` type) to `text/html` and
    /// `application/xhtml+xml`. The `401` carries the body
    /// `{"error":"login required"}` and a `WWW-Authenticate: Cookie`
    /// challenge (see [`UserRejection::Unauthorized`](crate::UserRejection::Unauthorized)).
    ///
    /// ```
    /// use axum_cookie_session::SessionConfig;
    ///
    /// let config = SessionConfig::builder()
    ///     .secret_key("a long random secret of 32 bytes or more")
    ///     .api_unauthorized(false) // redirect fetch() calls too
    ///     .build()?;
    /// assert!(!config.api_unauthorized());
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    pub fn api_unauthorized(mut self, unauthorized: bool) -> Self {
        self.options.api_unauthorized = unauthorized;
        self
    }

    /// The cookie's `Max-Age`. Without it the cookie ends with the browser session.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.options.max_age = Some(max_age.as_secs());
        self
    }

    /// How long a cookie is accepted after it was issued (default: the
    /// [`max_age`](Self::max_age) if set, else 14 days, [`DEFAULT_LIFETIME`]).
    /// Checked on the server against the issue time signed into the token,
    /// so a copied or kept cookie stops working even if a client ignores
    /// `Max-Age`; an expired cookie loads as an empty session and is
    /// removed. The issue time is the last time the server wrote the cookie
    /// (a re-issue under a new key keeps it). A cookie that carries none,
    /// such as muffin-session's, is given one the first time it is read, so
    /// the browser's cookie expires too; one read by a fallback key is not,
    /// and dies with its key. A copy of such a cookie taken before it was
    /// stamped still carries none, and is accepted (and stamped anew) while
    /// [`muffin_compat`](Self::muffin_compat) is on: turn that off, or
    /// rotate the key, once no Python app writes the cookies. It is not the cookie's `Max-Age`: without one, a login still
    /// ends when the browser closes.
    ///
    /// Zero is [`ConfigError::ZeroDuration`]. For no server-side limit,
    /// say so with [`unlimited_lifetime`](Self::unlimited_lifetime).
    ///
    /// The issue time is Fernet's own timestamp for `fernet`; for `jwt` and
    /// `base64` it is the claim `_iat`, or the registered `iat` and `exp`
    /// when [`muffin_compat`](Self::muffin_compat) is off.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.options.lifetime = Lifetime::Seconds(lifetime.as_secs());
        self
    }

    /// Accepts sessions however old they are (default: a
    /// [`lifetime`](Self::lifetime) of 14 days): a copy of a cookie then
    /// stays valid until the user's password changes, or forever for a
    /// session without a login, so every build logs a warning. Environment:
    /// `SESSION_LIFETIME=none`.
    pub fn unlimited_lifetime(mut self) -> Self {
        self.options.lifetime = Lifetime::Unlimited;
        self
    }

    /// The longest lifetime a session may be given with
    /// [`Session::set_lifetime`](crate::Session::set_lifetime) ("remember
    /// me"; default 30 days). A longer one is cut to this, also when the
    /// cookie was issued under a higher maximum. It caps only sessions'
    /// own lifetimes, not [`lifetime`](Self::lifetime).
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.options.max_lifetime = max_lifetime.as_secs();
        self
    }

    /// Refuses logins that carry no session auth digest when the
    /// [`UserLoader`](crate::UserLoader) gives a
    /// [`session_auth_hash`](crate::UserLoader::session_auth_hash) (default
    /// `false`).
    ///
    /// While it is off, a login without a digest (minted by muffin-session,
    /// or by [`Session::login`](crate::Session::login) before the loader had
    /// a hash) is accepted and given one the first time its user is loaded,
    /// so migrating logins keep working; a copy of such a cookie taken before
    /// a password change is then not revoked by it. Turn it on once every
    /// live login was minted by this crate: such logins are then anonymous
    /// visitors and their cookie is removed.
    pub fn require_auth_hash(mut self, require: bool) -> Self {
        self.options.require_auth_hash = require;
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
    /// with [`SaveError::ReservedKey`](crate::SaveError::ReservedKey). Such
    /// claims in a token a Python app wrote are honoured, hidden from
    /// handlers, and written back unchanged.
    /// For `fernet`, it also requires a secret muffin-session can build its
    /// key from, an ASCII string of at most 32 characters: a longer or
    /// non-ASCII one (a 44-character Fernet key included) is
    /// [`ConfigError::MuffinIncompatibleSecret`], since this crate derives
    /// its key another way and the Python app could not read the cookies.
    ///
    /// Turn it off when no muffin-session app reads the cookies: JWTs then
    /// carry the standard `iat` and `exp`, a token without `iat` is refused
    /// once a lifetime is set, and a Fernet secret may be any string (a
    /// Fernet key is used as it is, others are stretched with HKDF-SHA256).
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

    /// Refuses state-changing requests another site sent, in
    /// [`SessionLayer`](crate::SessionLayer), before the handler (default
    /// `true`; its docs give the checks). Turn it off only for an app that
    /// defends itself some other way: every build then logs a warning.
    /// Environment: `SESSION_CROSS_ORIGIN_PROTECTION`.
    pub fn cross_origin_protection(mut self, protect: bool) -> Self {
        self.options.cross_origin_protection = protect;
        self
    }

    /// Origins whose state-changing requests the cross-origin check (and
    /// [`CsrfToken::verify`](crate::CsrfToken::verify)) accepts, as
    /// `https://admin.example.com`, with a port when it is not the scheme's
    /// default (default none: only this site). Behind a reverse proxy, name
    /// the site's own public origin here: a browser that sends `Origin` but
    /// no `Sec-Fetch-Site` is then accepted whatever `Host` the proxy
    /// passes. A sibling subdomain is another site here, though browsers
    /// call it same-site. Environment: `SESSION_TRUSTED_ORIGINS`,
    /// comma-separated.
    pub fn trusted_origins<I, O>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.options.trusted_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Trusts the reverse proxy's forwarded headers (default `false`): the
    /// cross-origin check compares `Origin` with the host the proxy says the
    /// client asked for (`X-Forwarded-Host`, else `Forwarded: host=`) rather
    /// than `Host`, and the app can read
    /// [`SessionConfig::trust_proxy_headers`] to decide whether to believe
    /// `X-Forwarded-For` too (the demo's access log and login throttle do).
    /// Turn it on only behind a proxy that sets those headers itself, and
    /// through which alone the app is reached: anyone can send them to a
    /// server reached directly. Naming the public origin in
    /// [`trusted_origins`](Self::trusted_origins) needs no trust in headers,
    /// and is the simpler fix for the check. Environment:
    /// `SESSION_TRUST_PROXY_HEADERS`.
    pub fn trust_proxy_headers(mut self, trust: bool) -> Self {
        self.options.trust_proxy_headers = trust;
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

impl Options {
    /// Validates every option and builds the config; `name` turns an option's
    /// field name into the name the user knows it by (field or variable).
    pub(super) fn build(mut self, name: fn(&str) -> String) -> Result<SessionConfig, ConfigError> {
        let secret = self.secret(name)?;
        if self.muffin_compat {
            if let Some(why) = self.session_type.muffin_incompatibility(&secret.0) {
                return Err(ConfigError::MuffinIncompatibleSecret {
                    option: name("secret_key"),
                    compat: name("muffin_compat"),
                    why,
                });
            }
        }
        self.check_keys(&secret, name)?;
        let cookie_name = self.cookie_name();
        self.cookie_name = Some(cookie_name.clone());
        self.check_cookie(&cookie_name, name)?;
        if !is_login_url(&self.login_url) {
            return Err(ConfigError::InvalidLoginUrl {
                option: name("login_url"),
                value: self.login_url.clone(),
            });
        }
        let lifetime = self.server_lifetime(name)?;
        let keys: Vec<&str> = std::iter::once(&secret)
            .chain(&self.fallback_keys)
            .map(|key| key.0.as_str())
            .collect();
        let codec = Codec::new(self.session_type, &keys).map_err(|err| match err {
            ConfigError::FernetNotEnabled { .. } => ConfigError::FernetNotEnabled {
                option: name("session_type"),
            },
            other => other,
        })?;
        let auth_digest = AuthDigest::new(&keys);
        let cookie = CookieFormat::new(&self.cookie_attributes(&cookie_name)).map_err(|()| {
            ConfigError::InvalidAttribute {
                option: name("cookie_name"),
                value: cookie_name.clone(),
            }
        })?;
        let judge = self.judge(name)?;
        self.warn_insecure_choices(&secret, &cookie_name, name);
        let claims = ClaimScheme::new(
            codec.issue_time_in_token(),
            codec.pyjwt_claims(),
            self.muffin_compat,
        );
        let expiry = Expiry::new(
            lifetime,
            self.max_lifetime,
            self.sliding_expiration,
            claims.requires_issue_time(),
        );
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                options: self,
                codec,
                auth_digest,
                claims,
                expiry,
                cookie,
                judge,
            }),
            user_loader: None,
        })
    }

    /// The secret to sign with: the one set, else the public default when the
    /// codec does not use it or the app allowed it.
    fn secret(&self, name: fn(&str) -> String) -> Result<Secret, ConfigError> {
        match &self.secret_key {
            Some(_) if self.random_secret => Err(ConfigError::TwoSecrets {
                option: name("secret_key"),
                random: name("random_secret"),
            }),
            Some(secret) => Ok(secret.clone()),
            None if self.random_secret => {
                tracing::warn!(
                    "the session secret is random, made for this process (`{}`): every restart \
                     logs everyone out, and other instances cannot read its cookies. Set `{}` to \
                     keep logins",
                    name("random_secret"),
                    name("secret_key")
                );
                random_secret().ok_or(ConfigError::NoRandomness)
            }
            None if self.session_type.keyed() && !self.allow_insecure_secret => {
                Err(ConfigError::MissingSecret {
                    option: name("secret_key"),
                    allow: name("allow_insecure_secret"),
                })
            }
            None => Ok(Secret(INSECURE_SECRET.to_owned())),
        }
    }

    /// The one rule every key follows, the secret and each fallback key
    /// alike: not blank, no whitespace at either end, and (for a codec that
    /// uses keys) at least [`MIN_SECRET_BYTES`] unless the app allowed
    /// weaker ones. The public default, when allowed, is warned about
    /// instead.
    fn check_keys(&self, secret: &Secret, name: fn(&str) -> String) -> Result<(), ConfigError> {
        let keys = std::iter::once(("secret_key", secret))
            .chain(self.fallback_keys.iter().map(|key| ("fallback_keys", key)));
        for (option, key) in keys {
            if key.is_blank() {
                // An empty key would let anyone sign (or read) sessions.
                return Err(ConfigError::EmptySecret {
                    option: name(option),
                });
            }
            if key.0.trim() != key.0 {
                return Err(ConfigError::SecretWhitespace {
                    option: name(option),
                });
            }
            let public_default = self.secret_key.is_none() && option == "secret_key";
            if !self.session_type.keyed() || public_default {
                continue;
            }
            let Some(why) = weakness(self.session_type, &key.0) else {
                continue;
            };
            if !self.allow_weak_secret {
                return Err(ConfigError::WeakSecret {
                    option: name(option),
                    allow: name("allow_weak_secret"),
                    why,
                });
            }
            tracing::warn!(
                "WEAK SESSION KEY ACCEPTED (`{}`): `{}` {why} Replace it as soon as the apps \
                 sharing it can move",
                name("allow_weak_secret"),
                name(option)
            );
        }
        Ok(())
    }

    /// The cookie's name: the one set, else `__Host-session` where the
    /// prefix fits, else `session`.
    fn cookie_name(&self) -> String {
        match &self.cookie_name {
            Some(name) => name.clone(),
            None if self.host_prefix_fits() => HOST_COOKIE_NAME.to_owned(),
            None => PLAIN_COOKIE_NAME.to_owned(),
        }
    }

    /// Whether a `__Host-` name fits these attributes.
    fn host_prefix_fits(&self) -> bool {
        self.secure && self.domain.is_none() && self.path == "/"
    }

    /// The cookie's name and attributes are ones browsers keep.
    fn check_cookie(&self, cookie_name: &str, name: fn(&str) -> String) -> Result<(), ConfigError> {
        if !cookie::is_valid_name(cookie_name) {
            return Err(ConfigError::InvalidCookieName {
                option: name("cookie_name"),
                value: cookie_name.to_owned(),
            });
        }
        check_attribute(&self.path, name("path"))?;
        if !self.path.starts_with('/') {
            return Err(ConfigError::InvalidPath {
                option: name("path"),
                value: self.path.clone(),
            });
        }
        if let Some(domain) = &self.domain {
            check_attribute(domain, name("domain"))?;
            if !cookie::is_registrable_domain(domain) {
                return Err(ConfigError::InvalidDomain {
                    option: name("domain"),
                    value: domain.clone(),
                });
            }
        }
        if self.samesite == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneNeedsSecure {
                option: name("samesite"),
            });
        }
        if !cookie::prefix_allows(&self.cookie_attributes(cookie_name)) {
            return Err(ConfigError::InvalidCookiePrefix {
                option: name("cookie_name"),
                value: cookie_name.to_owned(),
            });
        }
        if self.max_age == Some(0) {
            return Err(ConfigError::ZeroDuration {
                option: name("max_age"),
            });
        }
        Ok(())
    }

    /// The lifetime checked on the server, in seconds: `None` only when the
    /// app chose no limit.
    fn server_lifetime(&self, name: fn(&str) -> String) -> Result<Option<u64>, ConfigError> {
        if self.max_lifetime == 0 {
            return Err(ConfigError::ZeroDuration {
                option: name("max_lifetime"),
            });
        }
        match self.lifetime {
            Lifetime::Seconds(0) => Err(ConfigError::ZeroDuration {
                option: name("lifetime"),
            }),
            Lifetime::Seconds(seconds) => Ok(Some(seconds)),
            Lifetime::Default => Ok(Some(self.max_age.unwrap_or(DEFAULT_LIFETIME.as_secs()))),
            Lifetime::Unlimited => Ok(None),
        }
    }

    /// The cross-origin check's trusted origins, parsed.
    fn judge(&self, name: fn(&str) -> String) -> Result<Judge, ConfigError> {
        let trusted = self
            .trusted_origins
            .iter()
            .map(|origin| {
                Origin::parse(origin).ok_or_else(|| ConfigError::InvalidOrigin {
                    option: name("trusted_origins"),
                    value: origin.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Judge {
            trusted,
            forwarded_host: self.trust_proxy_headers,
        })
    }

    /// The options the cookie is written with.
    fn cookie_attributes<'a>(&'a self, cookie_name: &'a str) -> Attributes<'a> {
        Attributes {
            name: cookie_name,
            path: &self.path,
            domain: self.domain.as_deref(),
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.samesite.into(),
            max_age: self.max_age,
        }
    }

    /// Warns, at every build, about each insecure choice the app made
    /// explicitly, naming its option and never a secret.
    fn warn_insecure_choices(&self, secret: &Secret, cookie_name: &str, name: fn(&str) -> String) {
        if self.session_type.keyed() && secret.0 == INSECURE_SECRET {
            tracing::warn!(
                "SESSION SECRET IS THE PUBLIC DEFAULT `{INSECURE_SECRET}`: anyone can forge \
                 sessions and log in as any user. Set `{}` to a long random string \
                 (`openssl rand -base64 24`) as soon as the apps sharing it can move",
                name("secret_key")
            );
        }
        if self.session_type.keyed()
            && self
                .fallback_keys
                .iter()
                .any(|key| key.0 == INSECURE_SECRET)
        {
            tracing::warn!(
                "`{}` holds the insecure default `{INSECURE_SECRET}`: anyone can forge sessions \
                 while it is accepted, and they are re-issued under the current key",
                name("fallback_keys")
            );
        }
        if !self.session_type.keyed() && self.allow_unsigned_logins {
            tracing::warn!(
                "LOGINS OVER UNSIGNED `{}` SESSIONS ARE ALLOWED (`{}`): anyone can write any user \
                 id into the cookie and be that user. Move to `jwt` or `fernet` as soon as the \
                 apps sharing the cookies can.",
                self.session_type,
                name("allow_unsigned_logins")
            );
        }
        if self.lifetime == Lifetime::Unlimited {
            tracing::warn!(
                "sessions never expire on the server (`{}` is none): a copied cookie stays valid \
                 until the user's password changes. Set a lifetime in seconds",
                name("lifetime")
            );
        }
        if !self.cross_origin_protection {
            tracing::warn!(
                "CROSS-ORIGIN PROTECTION IS OFF (`{}`): other sites can post forms to this app \
                 with the visitor's cookies. Turn it back on unless every state-changing route \
                 checks a CSRF token",
                name("cross_origin_protection")
            );
        }
        let host_prefixed = cookie_name
            .get(..7)
            .is_some_and(|start| start.eq_ignore_ascii_case("__Host-"));
        if self.host_prefix_fits() && !host_prefixed {
            tracing::warn!(
                "the session cookie `{cookie_name}` (`{}`) can be planted by a sibling subdomain, \
                 logging visitors in as the attacker: name it `__Host-{cookie_name}` (a \
                 muffin-session app sharing it needs the same name)",
                name("cookie_name")
            );
        }
        if let Some(domain) = &self.domain {
            tracing::warn!(
                "the session cookie is sent to every host under `{domain}` (`{}`): any of them \
                 can read it, or plant a session of its own and log visitors in as the attacker. \
                 Leave it unset unless every such host is trusted",
                name("domain")
            );
        }
    }
}

/// A secret for this process only: 24 random bytes as URL-safe base64, 32
/// ASCII characters, which every codec takes (muffin-session's Fernet key
/// derivation included). `None` if the operating system gave no random
/// bytes.
fn random_secret() -> Option<Secret> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(Secret(URL_SAFE_NO_PAD.encode(bytes)))
}

/// Why a key is too weak for the codec, if it is: the codec's own reason,
/// else under [`MIN_SECRET_BYTES`].
fn weakness(session_type: SessionType, key: &str) -> Option<&'static str> {
    session_type.weakness(key).or_else(|| {
        (key.len() < MIN_SECRET_BYTES).then_some(
            "is shorter than 32 bytes: a key that short can be guessed offline from one cookie. \
             Use a random string of 32 bytes or more (`openssl rand -base64 24` gives 32 \
             characters).",
        )
    })
}

/// A login URL a redirect can go to: a path on this site (one leading `/`;
/// `//host` and `/\host` are other hosts to browsers), or an absolute
/// `http(s)` URL with a host. Anything else (`javascript:`, `login`) is a
/// mistake. No control characters or fragment either way: `next` is added
/// at the end, and would be lost in a fragment.
fn is_login_url(url: &str) -> bool {
    if url.chars().any(char::is_control) || url.contains('#') {
        return false;
    }
    if let Some(rest) = url.strip_prefix('/') {
        return !rest.starts_with(['/', '\\']);
    }
    let has_scheme = ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    has_scheme
        && url
            .parse::<http::Uri>()
            .is_ok_and(|uri| uri.host().is_some_and(|host| !host.is_empty()))
}

/// `Path` and `Domain` values: printable ASCII without `;`.
fn check_attribute(value: &str, option: String) -> Result<(), ConfigError> {
    if cookie::is_valid_attribute(value) {
        Ok(())
    } else {
        Err(ConfigError::InvalidAttribute {
            option,
            value: value.to_owned(),
        })
    }
}

/// `"old-key, older-key"` → the two keys.
pub(super) fn split_keys(keys: &str) -> Vec<Secret> {
    keys.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(|key| Secret(key.to_owned()))
        .collect()
}
