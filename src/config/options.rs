//! [`Options`]: every option as the builder, the environment and serde see
//! them, their defaults, and the values serde reads (secrets never quoted).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::clock::Clock;
use super::SameSite;
use crate::wire::codec::SessionType;

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
/// [`allow_weak_secret`](crate::SessionConfigBuilder::allow_weak_secret): 256 bits,
/// as RFC 7518 asks of HS256 keys.
pub const MIN_SECRET_BYTES: usize = 32;

/// The cookie name when none is set and the prefix fits: `__Host-` cookies
/// cannot be set by another host, so a sibling subdomain cannot plant one.
pub(super) const HOST_COOKIE_NAME: &str = "__Host-session";

/// The cookie name when none is set and `__Host-` does not fit (not
/// `secure`, a `domain`, or a `path` other than `/`): muffin-session's.
pub(super) const PLAIN_COOKIE_NAME: &str = "session";

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
    pub(super) fn is_blank(&self) -> bool {
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

/// `"old-key, older-key"` → the two keys.
pub(super) fn split_keys(keys: &str) -> Vec<Secret> {
    keys.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(|key| Secret(key.to_owned()))
        .collect()
}
