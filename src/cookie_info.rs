//! What the request's session cookie was, for pages that show a user their
//! session: its size, chunks, codec, issue and expiry times, and key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::wire::codec::SessionType;

/// The session cookie the request carried, as the crate accepted it. It
/// describes the cookie as the browser sent it, not the one this response
/// writes, and holds nothing of the token itself, so it is safe to show.
///
/// ```
/// use axum_cookie_session::Session;
///
/// async fn about(session: Session) -> String {
///     match session.cookie_info() {
///         Some(info) => format!(
///             "{} bytes, {} codec, verified with the {} key",
///             info.size,
///             info.session_type,
///             if info.fallback_key { "previous" } else { "current" },
///         ),
///         None => "no session cookie".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieInfo {
    /// The codec that read it.
    pub session_type: SessionType,
    /// Bytes of the token the browser sent, its chunks put back together.
    pub size: usize,
    /// How many chunk cookies it was split into: `0` for one cookie.
    pub chunks: usize,
    /// When it was issued, if it says (cookies minted by muffin-session
    /// with a `jwt` or `base64` codec do not).
    pub issued_at: Option<SystemTime>,
    /// When the server stops accepting it: the issue time plus the
    /// session's lifetime (its own, see
    /// [`Session::set_lifetime`](crate::Session::set_lifetime), else the
    /// configured [`lifetime`](crate::SessionConfig::lifetime)). `None`
    /// without either.
    pub expires_at: Option<SystemTime>,
    /// It was verified with a fallback key rather than the current one: the
    /// response re-issues it under the current key.
    pub fallback_key: bool,
}

/// What the crate learned of an accepted cookie while reading it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) size: usize,
    pub(crate) chunks: usize,
    /// Unix seconds.
    pub(crate) issued_at: Option<u64>,
    /// The session's own lifetime in seconds, as the cookie said.
    pub(crate) lifetime: Option<u64>,
    pub(crate) fallback_key: bool,
}

impl Received {
    /// The public view of it, for a codec and a server-side lifetime.
    pub(crate) fn info(self, session_type: SessionType, lifetime: Option<Duration>) -> CookieInfo {
        let issued_at = self
            .issued_at
            .and_then(|seconds| UNIX_EPOCH.checked_add(Duration::from_secs(seconds)));
        let expires_at = issued_at
            .zip(lifetime)
            .and_then(|(issued_at, lifetime)| issued_at.checked_add(lifetime));
        CookieInfo {
            session_type,
            size: self.size,
            chunks: self.chunks,
            issued_at,
            expires_at,
            fallback_key: self.fallback_key,
        }
    }
}
