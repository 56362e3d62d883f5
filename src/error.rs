//! Error types: configuration errors at start-up, save errors at response time.
//!
//! Loading a session never fails: a cookie that cannot be decoded is an empty
//! session (the reason is logged at debug level), so there is no load error here.

use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use crate::headers::chosen_by_caller_kind;

/// A boxed error from a [`UserLoader`](crate::UserLoader).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A configuration value was missing or invalid.
///
/// Every variant names the option (builder / serde field such as `max_age`) or
/// the environment variable (such as `SESSION_MAX_AGE`) that holds the bad
/// value, so the message tells the operator what to fix. Secrets are never
/// echoed back.
///
/// Its `Debug` is its message too, so that `?` out of `main` (which prints
/// `Debug`) shows what to do rather than the variant's fields.
#[derive(thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The secret key is empty, or only whitespace.
    #[error(
        "`{option}` is empty or only whitespace: set it to a long random string (at least 32 \
         bytes, e.g. `openssl rand -base64 32`)"
    )]
    EmptySecret {
        /// The option or variable name.
        option: String,
    },
    /// No secret was set for a codec that signs or encrypts, so the public
    /// default [`INSECURE_SECRET`](crate::INSECURE_SECRET) would be used.
    #[error(
        "`{option}` is not set, so sessions would be signed with the public default secret and \
         anyone could forge them: set `{option}` to a long random string (e.g. `openssl rand \
         -base64 32`; the same string as the muffin-session app you share cookies with), or set \
         `{allow}` to true to accept forgeable sessions (local experiments only)"
    )]
    MissingSecret {
        /// The option or variable name of the secret.
        option: String,
        /// The option or variable name of the opt-in.
        allow: String,
    },
    /// Both a secret and a random one were asked for.
    #[error(
        "`{option}` and `{random}` are both set: keep `{option}` (logins survive restarts and \
         are shared by every instance) or `{random}` (development only), not both"
    )]
    TwoSecrets {
        /// The option or variable name of the secret.
        option: String,
        /// The option or variable name of the random secret.
        random: String,
    },
    /// The operating system gave no random bytes for a random secret.
    #[error("no random secret could be made: the operating system gave no random bytes")]
    NoRandomness,
    /// The secret makes cookies muffin-session cannot read, while muffin
    /// compatibility is on: for `fernet`, a secret longer than 32 characters
    /// or not ASCII (a 44-character Fernet key included), whose key this
    /// crate derives its own way.
    #[error(
        "`{option}` cannot be shared with muffin-session: {why}. Use an ASCII secret of exactly \
         32 random characters (e.g. `openssl rand -base64 24`) in both apps, or set `{compat}` \
         to false if no Muffin app shares these cookies"
    )]
    MuffinIncompatibleSecret {
        /// The option or variable name of the secret.
        option: String,
        /// The option or variable name of muffin compatibility.
        compat: String,
        /// Why muffin-session cannot use it.
        why: &'static str,
    },
    /// A secret or fallback key is shorter than 32 bytes (RFC 7518 asks
    /// HS256 keys of at least 256 bits), and the app did not acknowledge
    /// it with [`allow_weak_secret`](crate::SessionConfigBuilder::allow_weak_secret).
    #[error(
        "`{option}` {why} To keep an existing Muffin app's secret until it can change, set \
         `{allow}` to true (a warning is then logged at every start). The value is not shown"
    )]
    WeakSecret {
        /// The option or variable name of the key.
        option: String,
        /// The option or variable name of the opt-in.
        allow: String,
        /// Why the key is weak.
        why: &'static str,
    },
    /// A secret or fallback key starts or ends with whitespace: easily lost
    /// when it is copied, or moved to the fallback keys (which a comma
    /// separates, with spaces allowed around it).
    #[error(
        "`{option}` holds a key that starts or ends with whitespace: remove it, in this app and \
         in any app sharing the cookies (the value is not shown)"
    )]
    SecretWhitespace {
        /// The option or variable name of the key.
        option: String,
    },
    /// A duration is zero: no session could last.
    #[error(
        "`{option}` is 0 seconds: no session could last. Give it a number of seconds above 0, or \
         leave it unset for its default"
    )]
    ZeroDuration {
        /// The option or variable name.
        option: String,
    },
    /// The session type is not one of `base64`, `jwt`, `fernet`.
    #[error("`{option}` is `{value}`: expected one of `base64`, `jwt`, `fernet`")]
    UnknownSessionType {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// The `fernet` session type was asked for, but the crate was built without it.
    #[error(
        "`{option}` is `fernet`, but axum-cookie-session was built without its `fernet` feature: \
         enable it in Cargo.toml (features = [\"fernet\"])"
    )]
    FernetNotEnabled {
        /// The option or variable name.
        option: String,
    },
    /// The SameSite value is not one of `strict`, `lax`, `none`.
    #[error("`{option}` is `{value}`: expected one of `strict`, `lax`, `none`")]
    InvalidSameSite {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// A number (such as the max-age in seconds) could not be parsed.
    #[error("`{option}` is `{value}`: expected a whole number of seconds")]
    InvalidNumber {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// A boolean flag could not be parsed.
    #[error("`{option}` is `{value}`: expected `true` or `false` (or 1/0, yes/no, on/off)")]
    InvalidBool {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// The cookie name is empty or holds characters a cookie name cannot hold.
    #[error("`{option}` is `{value}`: a cookie name must be non-empty ASCII without spaces, `;`, `=`, `,` or quotes")]
    InvalidCookieName {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// A `__Host-` or `__Secure-` cookie name without the attributes the prefix demands.
    #[error(
        "`{option}` is `{value}`: a `__Secure-` cookie needs `secure` on, and a `__Host-` cookie \
         also needs `path` `/` and no `domain`; browsers drop it otherwise"
    )]
    InvalidCookiePrefix {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// A cookie attribute holds a character that would break the `Set-Cookie` header.
    #[error("`{option}` is `{value}`: it must be printable ASCII without `;`")]
    InvalidAttribute {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// The cookie path does not start with `/`.
    #[error(
        "`{option}` is `{value}`: a cookie path must start with `/`; browsers replace any other \
         path with one of their own"
    )]
    InvalidPath {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// The login URL is neither a path on this site (one leading `/`) nor an
    /// `http(s)` URL, or holds control characters or a fragment: a redirect
    /// to it would be broken, go somewhere no login page is (`javascript:`,
    /// `//host`), or lose its `next` (`/login#top?next=..`).
    #[error(
        "`{option}` is {value:?}: expected a path on this site starting with a single `/` (such \
         as `/login`) or an `http://` or `https://` URL, without control characters or a \
         `#fragment` (the `next` parameter is added after it, and a fragment would swallow it)"
    )]
    InvalidLoginUrl {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// The cookie `Domain` is not a bare host name of two labels or more:
    /// a single label (`com`, `.com`) is a public suffix, and a port, a
    /// scheme, a path, a space or a `*` makes browsers drop the cookie, so
    /// no login would ever stick.
    #[error(
        "`{option}` is `{value}`: a cookie domain is a bare host name with at least two labels \
         (`example.com`), without scheme, port, path, `*` or spaces (browsers drop the cookie \
         otherwise, so every login would silently fail); leave it unset for a cookie sent to \
         this host only"
    )]
    InvalidDomain {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// A trusted origin is not `scheme://host[:port]` with an `http` or
    /// `https` scheme.
    #[error(
        "`{option}` holds `{value}`: a trusted origin is `https://host` or `http://host`, with \
         `:port` (digits, no leading zero) when it is not the default, and no path, query, \
         fragment, user or `*`"
    )]
    InvalidOrigin {
        /// The option or variable name.
        option: String,
        /// The value that was given.
        value: String,
    },
    /// No Fernet key could be built from a secret (cannot happen with the
    /// derivation this crate uses; kept so that a failure is an error, not a panic).
    #[error("no Fernet key could be built from `secret_key` or `fallback_keys`")]
    InvalidFernetKey,
    /// `SameSite=None` was asked for without `Secure`; browsers drop such cookies.
    #[error("`{option}` is `none`, which browsers accept only on a Secure cookie: also set `secure` to true")]
    SameSiteNoneNeedsSecure {
        /// The option or variable name.
        option: String,
    },
}

impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The session could not be written to the response.
///
/// In manual mode this is the error of [`Session`](crate::Session)'s
/// `IntoResponseParts`, so axum turns it into a `500`; in auto mode the layer
/// answers `500` for it; it is also returned by
/// [`Session::insert`](crate::Session::insert), [`Session::login`](crate::Session::login)
/// and [`SessionConfig::save_to_response`](crate::SessionConfig::save_to_response).
/// Its response never includes session data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The session value did not serialize to a JSON object.
    #[error("the session did not serialize to a JSON object: {0}")]
    NotAnObject(String),
    /// Serializing the session to JSON failed.
    #[error("the session could not be serialized to JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The encoded session does not fit the cookies a browser keeps and
    /// sends back, even split into chunks, so nothing was sent.
    #[error(
        "the session's cookies would take {size} bytes of the Cookie header, over the {limit} \
         allowed: store less in the session (keep large data server-side, keyed by an id in the \
         session)"
    )]
    TooLarge {
        /// The bytes the session's cookies would take in the request's `Cookie` header.
        size: usize,
        /// The most they may take ([`MAX_SESSION_HEADER`](crate::MAX_SESSION_HEADER)).
        limit: usize,
    },
    /// The session holds a key the configuration reserves: a claim that
    /// carries the cookie's issue time, or (with muffin compatibility on, for
    /// `jwt`) a JWT claim muffin-session's decoder would fail on.
    #[error("the session holds the key `{key}`, which cannot be saved: {why}")]
    ReservedKey {
        /// The reserved key.
        key: String,
        /// Why it is reserved, and what to do.
        why: &'static str,
    },
    /// [`Session::login_user`](crate::Session::login_user) was given a user
    /// type no [`UserLoader`](crate::UserLoader) was registered for.
    #[error(
        "no UserLoader for `{user_type}`: register one with SessionConfig::with_user_loader, on \
         the config given to SessionLayer, or log in with Session::login"
    )]
    NoUserLoader {
        /// The user type that was given.
        user_type: &'static str,
    },
    /// The `Set-Cookie` header could not be built from the encoded cookie.
    /// (Signing and encrypting cannot fail; this guards the header itself.)
    #[error("the session's Set-Cookie header could not be built: {0}")]
    Encode(String),
}

impl IntoResponse for SaveError {
    /// A `500`. Its body names the fix when only the app's code can cause
    /// the error (no loader, a reserved key, a session too big); a
    /// serializer's own message is only logged.
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "session not saved");
        match self {
            Self::NoUserLoader { .. }
            | Self::ReservedKey { .. }
            | Self::TooLarge { .. }
            | Self::NotAnObject(_) => mistake(&self),
            Self::Json(_) | Self::Encode(_) => internal_error(),
        }
    }
}

/// A `500` whose plain-text body says what to fix in the app's code, as
/// axum's own rejections do. Only for errors no request can cause, whose
/// message holds no secret and no session data.
pub(crate) fn mistake(error: &dyn std::fmt::Display) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("Internal Server Error: {error}"),
    )
        .into_response()
}

/// A bare `500`, for errors whose details stay in the log.
pub(crate) fn internal_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
}

/// Why a [`Session`](crate::Session) could not be extracted: a mistake in
/// the app's code, never in the request, so its response is a `500` and the
/// message (logged at error level) says what to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// No [`SessionLayer`](crate::SessionLayer) is in front of the handler
    /// or middleware asking for the session.
    #[error(
        "no session for this request: add `.layer(SessionLayer::new(config))` to the Router, \
         after (outside) every route and middleware that uses the session, and make sure a \
         middleware using it is added before the layer (`.layer(from_fn(...))` first). The \
         extractors read the config from the layer: `.with_state(config)` alone is not enough"
    )]
    MissingLayer,
    /// `Session<T>` was asked for with a `T` that is not a struct or a map.
    #[error(
        "`{type_name}` cannot be a session: a session is a JSON object, so `Session<T>` needs a \
         struct with named fields or a map; put the value in a named field \
         (`struct Counter {{ count: usize }}`)"
    )]
    NotAnObject {
        /// The type that was asked for.
        type_name: &'static str,
    },
}

impl IntoResponse for SessionRejection {
    /// A `500` whose body names the fix: only the app's code can cause it.
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "session not available");
        mistake(&self)
    }
}

/// Why [`CurrentUser`](crate::CurrentUser) (or a guard) turned a request away.
///
/// Its response reveals nothing about the session or the loader's error.
/// A visitor who must log in gets [`LoginRequired`](Self::LoginRequired) (a
/// redirect) when the request is a page navigation, and
/// [`Unauthorized`](Self::Unauthorized) (`401`) when it is an API call or
/// the config turns redirects off.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserRejection {
    /// No one is logged in and the request is a page navigation (or the
    /// config's [`api_unauthorized`](crate::SessionConfigBuilder::api_unauthorized)
    /// is off): redirect to the login page (`Location` is this URL).
    #[error("login required")]
    LoginRequired {
        /// Where to send the visitor, `next` included.
        location: String,
        /// The redirect status (`307` by default).
        status: StatusCode,
    },
    /// No one is logged in, and the request is answered `401 Unauthorized`
    /// instead of a redirect: it is not a page navigation (a `fetch()` or XHR
    /// call, or an `Accept` preferring JSON; see
    /// [`api_unauthorized`](crate::SessionConfigBuilder::api_unauthorized)),
    /// or the config says [`login_redirect(false)`](crate::SessionConfigBuilder::login_redirect).
    ///
    /// The response is `application/json` with the body
    /// `{"error":"login required"}` and a challenge after
    /// draft-broyer-http-cookie-auth, naming the login page and the cookie:
    ///
    /// ```text
    /// WWW-Authenticate: Cookie realm="session", form-action="/login", cookie-name="session"
    /// ```
    ///
    /// The realm is the cookie's name: the routes that one cookie logs in to.
    #[error("login required")]
    Unauthorized {
        /// The config's login URL (without `next`), the challenge's `form-action`.
        login_url: String,
        /// The session cookie's name, the challenge's `realm` and `cookie-name`.
        cookie_name: String,
    },
    /// No [`UserLoader`](crate::UserLoader) for this user type was registered.
    #[error(
        "no UserLoader for `{user_type}`: register one with SessionConfig::with_user_loader, on \
         the config given to SessionLayer, before the layer is made from it \
         (`SessionLayer::new(config.with_user_loader(loader))`)"
    )]
    NoUserLoader {
        /// The user type that was asked for.
        user_type: &'static str,
    },
    /// A user was asked for on a config whose sessions anyone can forge
    /// (`base64`), and the app did not allow it with
    /// [`allow_unsigned_logins`](crate::SessionConfigBuilder::allow_unsigned_logins).
    #[error(
        "no user is loaded from `{session_type}` sessions: anyone can write `{{\"id\": 1}}` into \
         such a cookie and be user 1. Use `jwt` or `fernet` (`session_type`, \
         `SESSION_SESSION_TYPE`), or set `allow_unsigned_logins` (`SESSION_ALLOW_UNSIGNED_LOGINS`) \
         to true to accept forgeable logins while sharing them with a Muffin app"
    )]
    UnsignedLogins {
        /// The configured session type.
        session_type: crate::SessionType,
    },
    /// The [`UserLoader`](crate::UserLoader) failed (not "no such user": that
    /// is an anonymous visitor).
    #[error("the user could not be loaded: {0}")]
    Loader(BoxError),
    /// The session is not available: see [`SessionRejection`].
    #[error(transparent)]
    Session(#[from] SessionRejection),
}

impl IntoResponse for UserRejection {
    fn into_response(self) -> Response {
        match self {
            Self::LoginRequired { location, status } => {
                let mut response = redirect(&location, status);
                chosen_by_caller_kind(response.headers_mut());
                response
            }
            Self::Unauthorized {
                login_url,
                cookie_name,
            } => {
                let mut response = unauthorized(&login_url, &cookie_name);
                chosen_by_caller_kind(response.headers_mut());
                response
            }
            Self::Session(rejection) => rejection.into_response(),
            Self::NoUserLoader { .. } | Self::UnsignedLogins { .. } => {
                tracing::error!(error = %self, "user not loaded");
                mistake(&self)
            }
            // The loader's own error (a database down) may say anything:
            // it stays in the log.
            Self::Loader(_) => {
                tracing::error!(error = %self, "user not loaded");
                internal_error()
            }
        }
    }
}

/// The body of a `401` for a visitor who must log in.
const LOGIN_REQUIRED_JSON: &str = r#"{"error":"login required"}"#;

/// `401` with a JSON body and a `WWW-Authenticate: Cookie` challenge.
fn unauthorized(login_url: &str, cookie_name: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        LOGIN_REQUIRED_JSON,
    )
        .into_response();
    let realm = quoted(cookie_name);
    let challenge = format!(
        "Cookie realm={realm}, form-action={}, cookie-name={realm}",
        quoted(login_url)
    );
    match HeaderValue::try_from(challenge) {
        Ok(challenge) => {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        // The config refuses login URLs with control characters, the only
        // bytes a header value cannot hold: the 401 still stands.
        Err(_) => tracing::error!("login URL is not a valid header value"),
    }
    response
}

/// `text` as an HTTP quoted-string (RFC 9110, 5.6.4).
fn quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// A bare redirect to `location` with `status`.
pub(crate) fn redirect(location: &str, status: StatusCode) -> Response {
    match HeaderValue::try_from(location) {
        Ok(location) => (status, [(LOCATION, location)]).into_response(),
        Err(_) => {
            tracing::error!("redirect location is not a valid header value");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_quotes_and_backslashes() {
        assert_eq!(quoted("/login"), "\"/login\"");
        assert_eq!(quoted(r#"/a"b\c"#), r#""/a\"b\\c""#);
    }
}
