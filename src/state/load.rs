//! Loading: a request's headers and the time now in, the session as its
//! cookie held it out. Anything that does not decode is an empty session;
//! why is logged at debug level, never shown.

use http::HeaderMap;

use crate::config::SessionConfig;
use crate::cookie_info::Received;
use crate::wire::chunks;
use crate::wire::claims::Claims;
use crate::wire::object::Object;
use crate::wire::rejection::Rejection;

/// Why a cookie is written again though the handler did not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reissue {
    No,
    /// The same session under the current key, with its issue time and
    /// lifetime kept: it was verified by a fallback key, or the crate
    /// renewed its auth digest. A re-issue never extends a lifetime.
    KeepIssueTime,
    /// A new issue time: past half its lifetime with sliding expiration, or
    /// it had none while a lifetime applies (muffin-session's cookies), so
    /// that it expires too.
    Renew,
}

/// A request's session as its cookie held it.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The session, claims taken out: empty when there was no cookie, or
    /// it was refused.
    pub(crate) object: Object,
    pub(crate) claims: Claims,
    /// The request carried a session cookie, valid or not.
    pub(crate) present: bool,
    /// It was refused for its age: it is removed unless the handler
    /// stores something new.
    pub(crate) expired: bool,
    /// How many chunk cookies it was split into (0: one plain cookie).
    pub(crate) chunks: usize,
    pub(crate) reissue: Reissue,
    /// The cookie, if it was accepted.
    pub(crate) received: Option<Received>,
    /// The time the cookie was judged by, and new cookies are issued at.
    pub(crate) now: u64,
}

/// Finds the session cookie in `headers` and decodes it at `now`.
pub(crate) fn load(config: &SessionConfig, headers: &HeaderMap, now: u64) -> Loaded {
    let mut loaded = Loaded {
        object: Object::default(),
        claims: Claims::default(),
        present: false,
        expired: false,
        chunks: 0,
        reissue: Reissue::No,
        received: None,
        now,
    };
    let Some(found) = chunks::find(headers, config.cookie_name()) else {
        return loaded;
    };
    loaded.present = true;
    loaded.chunks = found.chunks;
    let size = found.token.as_ref().map_or(0, |token| token.len());
    match found.token.and_then(|token| decode(config, &token, now)) {
        Ok(decoded) => {
            tracing::trace!("session cookie decoded");
            loaded.received = Some(Received {
                size,
                chunks: found.chunks,
                issued_at: decoded.claims.issued_at,
                lifetime: decoded.claims.lifetime,
                fallback_key: decoded.by_fallback_key,
            });
            loaded.reissue = reissue(&decoded, config.expiry().lifetime().is_some());
            loaded.object = decoded.object;
            loaded.claims = decoded.claims;
        }
        Err(rejection) => {
            tracing::debug!(reason = rejection.as_str(), "session cookie rejected");
            loaded.expired = rejection == Rejection::Expired;
        }
    }
    loaded
}

/// An accepted cookie.
struct Decoded {
    object: Object,
    claims: Claims,
    /// Past half its lifetime, with sliding expiration.
    renew: bool,
    by_fallback_key: bool,
}

/// Verifies a cookie value, takes its claims out and checks them.
fn decode(config: &SessionConfig, token: &str, now: u64) -> Result<Decoded, Rejection> {
    let decoded = config.codec().decode(token, now)?;
    let text = String::from_utf8(decoded.json).map_err(|_| Rejection::NotAnObject)?;
    let mut object = Object::parse(text).map_err(|_| Rejection::NotAnObject)?;
    let claims = config.claims().take(&mut object, decoded.timestamp, now)?;
    let renew = config
        .expiry()
        .check(claims.issued_at, claims.lifetime, now)?;
    Ok(Decoded {
        object,
        claims,
        renew,
        by_fallback_key: decoded.by_fallback_key,
    })
}

/// Why an accepted cookie is re-issued: renewal wins over a fallback key,
/// since both write the current key and renewal also moves the issue time;
/// a cookie without an issue time while a `lifetime` applies is stamped
/// with one. Whether a re-issue is written after all is decided at save
/// time (see `shared::reissue`).
fn reissue(decoded: &Decoded, lifetime: bool) -> Reissue {
    if decoded.renew {
        Reissue::Renew
    } else if decoded.by_fallback_key {
        Reissue::KeepIssueTime
    } else if lifetime && decoded.claims.issued_at.is_none() {
        Reissue::Renew
    } else {
        Reissue::No
    }
}
