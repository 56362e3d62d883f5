//! Expiry enforced by the server: the time a cookie was issued travels inside
//! it, signed with the rest, and a cookie older than the configured lifetime
//! loads as an empty session, whatever the browser was told by `Max-Age`.
//!
//! Where the issue time lives depends on the codec:
//!
//! - `fernet`: the token's own timestamp (Fernet's TTL check).
//! - `jwt` and `base64`: a claim in the session object. While muffin
//!   compatibility is on (the default) it is the private claim
//!   [`ISSUED_AT_CLAIM`] (`_iat`), written only when a lifetime is set, because
//!   muffin-session's PyJWT would answer a cookie carrying an expired `exp` or
//!   a future `iat` with a 500. With compatibility off it is the registered
//!   `iat` claim, with `exp` beside it when a lifetime is set.
//!
//! The claims are taken out of the object on load and written on save, so a
//! handler never sees them. In a JWT read while compatibility is on, the
//! claims muffin-session's PyJWT checks (`exp`, `nbf`, `iat`, `aud`, and a
//! non-string `sub` or `jti`) are honoured as PyJWT would, then carried: kept
//! out of the handler's view and written back as they were, so a session a
//! Python app stamped still loads and saves, and expires when it said.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::codec::Rejection;
use crate::error::SaveError;
use crate::store::Object;

/// The private claim that holds a `jwt` or `base64` cookie's issue time (Unix
/// seconds) while muffin compatibility is on. Handlers never see it.
pub const ISSUED_AT_CLAIM: &str = "_iat";

/// How far in the future a cookie's issue time may be (other servers' clocks
/// drift): 60 seconds, the usual Fernet allowance.
pub const CLOCK_SKEW: u64 = 60;

/// The time source: the system clock, or one a test sets.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl Clock {
    pub(crate) fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    /// Now, in Unix seconds (0 for a clock set before 1970).
    pub(crate) fn now(&self) -> u64 {
        let now = self.0.as_ref().map_or_else(SystemTime::now, |now| now());
        now.duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "system" })
    }
}

/// Which claims carry the issue time of a `jwt` or `base64` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claims {
    /// `_iat`, written only when a lifetime is set (muffin compatibility).
    Private,
    /// The registered `iat`, and `exp` when a lifetime is set.
    Registered,
}

/// The expiry rules of one configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expiry {
    /// In seconds; `None`: cookies never expire on the server.
    lifetime: Option<u64>,
    /// Re-issue a cookie past half its lifetime.
    sliding: bool,
    claims: Claims,
}

/// The claims of a token that are not the handler's to see or change,
/// written back as they were.
pub(crate) type Carried = Vec<(String, Value)>;

/// The session object as written into a cookie: the issue-time claims, the
/// carried claims, then the session's own keys.
pub(crate) struct Stamped<'a> {
    object: &'a Object,
    claims: [Option<(&'static str, u64)>; 2],
    carried: &'a [(String, Value)],
}

impl Expiry {
    pub(crate) fn new(lifetime: Option<u64>, sliding: bool, muffin_compat: bool) -> Self {
        let claims = if muffin_compat {
            Claims::Private
        } else {
            Claims::Registered
        };
        Self {
            lifetime,
            sliding,
            claims,
        }
    }

    /// Takes the issue-time claims out of a decoded `jwt` or `base64` object,
    /// returning the issue time and the carried claims. In a JWT (or whenever
    /// the registered claims are ours), an `exp` or `nbf` that says the token
    /// is not valid now rejects it, as PyJWT would.
    pub(crate) fn take_claims(
        &self,
        object: &mut Object,
        now: u64,
        jwt: bool,
    ) -> Result<(Option<u64>, Carried), Rejection> {
        if jwt || self.claims == Claims::Registered {
            check_validity_claims(object, now)?;
        }
        let issued_at = match self.claims {
            // A muffin-session app may have put a registered `iat` in the
            // session itself (PyJWT checks it): it is an issue time too.
            Claims::Private => match numeric_claim(object, ISSUED_AT_CLAIM)? {
                Some(issued_at) => Some(issued_at),
                None if jwt => numeric_claim(object, "iat")?,
                None => None,
            },
            Claims::Registered => numeric_claim(object, "iat")?,
        };
        for claim in self.reserved() {
            object.remove(*claim);
        }
        let carried = if jwt && self.claims == Claims::Private {
            take_pyjwt_claims(object)
        } else {
            Carried::new()
        };
        Ok((issued_at, carried))
    }

    /// Whether a cookie issued at `issued_at` is still valid at `now`: `Ok(true)`
    /// when it is and should be re-issued (sliding renewal).
    pub(crate) fn check(&self, issued_at: Option<u64>, now: u64) -> Result<bool, Rejection> {
        let Some(issued_at) = issued_at else {
            // Cookies from muffin-session carry no issue time; they are
            // accepted while compatibility is on, as Python accepts them.
            return match (self.lifetime, self.claims) {
                (Some(_), Claims::Registered) => Err(Rejection::NoIssueTime),
                _ => Ok(false),
            };
        };
        if issued_at > now.saturating_add(CLOCK_SKEW) {
            return Err(Rejection::FromTheFuture);
        }
        let Some(lifetime) = self.lifetime else {
            return Ok(false);
        };
        let age = now.saturating_sub(issued_at);
        if age > lifetime {
            return Err(Rejection::Expired);
        }
        Ok(self.sliding && age > lifetime / 2)
    }

    /// The session object with the issue-time claims a `jwt` or `base64`
    /// cookie issued at `now` carries, and the claims it carried.
    pub(crate) fn stamp<'a>(
        &self,
        object: &'a Object,
        carried: &'a [(String, Value)],
        now: u64,
    ) -> Stamped<'a> {
        let expires = self.lifetime.map(|lifetime| now.saturating_add(lifetime));
        let claims = match (self.claims, expires) {
            (Claims::Private, None) => [None, None],
            (Claims::Private, Some(_)) => [Some((ISSUED_AT_CLAIM, now)), None],
            (Claims::Registered, expires) => {
                [Some(("iat", now)), expires.map(|expires| ("exp", expires))]
            }
        };
        Stamped {
            object,
            claims,
            carried,
        }
    }

    /// Refuses a session that holds a claim name this configuration writes
    /// itself: the handler's value would be overwritten, or read as a time.
    pub(crate) fn check_reserved(&self, object: &Object) -> Result<(), SaveError> {
        match self
            .reserved()
            .iter()
            .find(|claim| object.contains_key(**claim))
        {
            Some(claim) => Err(SaveError::ReservedKey {
                key: (*claim).to_owned(),
                why:
                    "the crate writes it to carry the cookie's issue or expiry time; rename the key",
            }),
            None => Ok(()),
        }
    }

    fn reserved(&self) -> &'static [&'static str] {
        match self.claims {
            Claims::Private => &[ISSUED_AT_CLAIM],
            Claims::Registered => &["iat", "exp", "nbf"],
        }
    }
}

/// Moves the claims PyJWT checks out of a JWT's object (no allocation when,
/// as usual, there are none).
fn take_pyjwt_claims(object: &mut Object) -> Carried {
    let keys: Vec<String> = object
        .iter()
        .filter(|(key, value)| crate::codec::pyjwt_checks(key, value))
        .map(|(key, _)| key.clone())
        .collect();
    keys.into_iter()
        .filter_map(|key| object.remove(&key).map(|value| (key, value)))
        .collect()
}

/// The registered `exp` and `nbf` claims, checked when present.
fn check_validity_claims(object: &Object, now: u64) -> Result<(), Rejection> {
    if numeric_claim(object, "exp")?.is_some_and(|expires| expires <= now) {
        return Err(Rejection::Expired);
    }
    let not_before = numeric_claim(object, "nbf")?;
    if not_before.is_some_and(|not_before| not_before > now.saturating_add(CLOCK_SKEW)) {
        return Err(Rejection::FromTheFuture);
    }
    Ok(())
}

/// A claim that must be a whole number of seconds when present.
fn numeric_claim(object: &Object, claim: &str) -> Result<Option<u64>, Rejection> {
    match object.get(claim) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_u64()
            .or_else(|| number.as_f64().filter(|n| *n >= 0.0).map(|n| n as u64))
            .map(Some)
            .ok_or(Rejection::Malformed),
        Some(_) => Err(Rejection::Malformed),
    }
}

impl Serialize for Stamped<'_> {
    /// The claims first, then the session's own keys.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let claims = self.claims.iter().flatten();
        let len = self.object.len() + self.carried.len() + claims.clone().count();
        let mut map = serializer.serialize_map(Some(len))?;
        for (claim, value) in claims {
            map.serialize_entry(claim, value)?;
        }
        for (claim, value) in self.carried {
            map.serialize_entry(claim, value)?;
        }
        for (key, value) in self.object {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3600;

    #[test]
    fn lifetime_and_skew() {
        let expiry = Expiry::new(Some(HOUR), false, true);
        let now = 1_000_000;
        assert_eq!(expiry.check(Some(now - HOUR), now), Ok(false));
        assert_eq!(
            expiry.check(Some(now - HOUR - 1), now),
            Err(Rejection::Expired)
        );
        assert_eq!(expiry.check(Some(now + CLOCK_SKEW), now), Ok(false));
        assert_eq!(
            expiry.check(Some(now + CLOCK_SKEW + 1), now),
            Err(Rejection::FromTheFuture)
        );
        assert_eq!(expiry.check(Some(u64::MAX), u64::MAX), Ok(false));
        assert_eq!(expiry.check(Some(0), u64::MAX), Err(Rejection::Expired));
    }

    #[test]
    fn sliding_renews_past_half_the_lifetime() {
        let expiry = Expiry::new(Some(HOUR), true, true);
        let now = 1_000_000;
        assert_eq!(expiry.check(Some(now - HOUR / 2), now), Ok(false));
        assert_eq!(expiry.check(Some(now - HOUR / 2 - 1), now), Ok(true));
    }

    #[test]
    fn missing_issue_time() {
        let now = 1_000_000;
        assert_eq!(
            Expiry::new(Some(HOUR), false, true).check(None, now),
            Ok(false)
        );
        assert_eq!(
            Expiry::new(Some(HOUR), false, false).check(None, now),
            Err(Rejection::NoIssueTime)
        );
        assert_eq!(Expiry::new(None, false, false).check(None, now), Ok(false));
    }
}
