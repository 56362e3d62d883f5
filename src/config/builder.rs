//! [`SessionConfigBuilder`]: one method per option, each documented where
//! a user looks for it.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::clock::Clock;
use super::options::{Lifetime, Options, Secret};
use super::{SameSite, SessionConfig};
use crate::error::ConfigError;
use crate::wire::codec::SessionType;

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
    /// [`allow_insecure_secret`](Self::allow_insecure_secret) is on. It must
    /// have at least 32 bytes unless [`allow_weak_secret`](Self::allow_weak_secret)
    /// acknowledges a shorter one ([`ConfigError::WeakSecret`]); that is also
    /// how a Muffin app left at its default [`INSECURE_SECRET`](crate::INSECURE_SECRET)
    /// keeps it while it migrates, with a warning at every build. For `fernet`
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

    /// Signs (or encrypts) with the public default secret [`INSECURE_SECRET`](crate::INSECURE_SECRET)
    /// when no [`secret_key`](Self::secret_key) is set (default `false`: no
    /// secret is [`ConfigError::MissingSecret`]). Anyone can forge sessions
    /// made with it, so this is for local experiments only; the build logs a
    /// warning. Environment: `SESSION_ALLOW_INSECURE_SECRET`.
    pub fn allow_insecure_secret(mut self, allow: bool) -> Self {
        self.options.allow_insecure_secret = allow;
        self
    }

    /// Accepts a secret or fallback key shorter than 32 bytes
    /// ([`MIN_SECRET_BYTES`](crate::MIN_SECRET_BYTES); default `false`: such a key is
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
    /// [`max_age`](Self::max_age) if set, else 14 days, [`DEFAULT_LIFETIME`](crate::DEFAULT_LIFETIME)).
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
