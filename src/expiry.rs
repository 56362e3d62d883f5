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

use serde_json::Value;

use crate::error::SaveError;
use crate::object::{push_entry, Object};
use crate::rejection::Rejection;

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

    /// Whether a cookie without an issue time is refused.
    pub(crate) fn requires_issue_time(&self) -> bool {
        self.lifetime.is_some() && self.claims == Claims::Registered
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

    /// Appends the claims a `jwt` or `base64` cookie issued at `now` carries
    /// to the session's JSON object: the carried claims, then the issue-time
    /// claims, always last, so that [`peel`](Self::peel) finds them without
    /// parsing the object.
    pub(crate) fn stamp(&self, json: &mut Vec<u8>, carried: &[(String, Value)], now: u64) {
        for (claim, value) in carried {
            push_entry(json, claim, &value.to_string());
        }
        let expires = self.lifetime.map(|lifetime| now.saturating_add(lifetime));
        match (self.claims, expires) {
            (Claims::Private, None) => {}
            (Claims::Private, Some(_)) => push_entry(json, ISSUED_AT_CLAIM, &now.to_string()),
            (Claims::Registered, expires) => {
                push_entry(json, "iat", &now.to_string());
                if let Some(expires) = expires {
                    push_entry(json, "exp", &expires.to_string());
                }
            }
        }
    }

    /// Takes the issue-time claims [`stamp`](Self::stamp) wrote off the end
    /// of a decoded object, checking them: the cheap way to read a cookie
    /// this crate wrote. Returns the issue time if they were there. Claims
    /// anywhere else are found when the object is parsed (see
    /// [`claim_keys`](Self::claim_keys)) and taken by
    /// [`take_claims`](Self::take_claims) instead.
    pub(crate) fn peel(&self, json: &mut Vec<u8>, now: u64) -> Result<Option<u64>, Rejection> {
        match self.claims {
            Claims::Private => Ok(peel_claim(json, ISSUED_AT_CLAIM)),
            Claims::Registered => {
                let Some(expires) = peel_claim(json, "exp") else {
                    return Ok(peel_claim(json, "iat"));
                };
                if expires <= now {
                    return Err(Rejection::Expired);
                }
                Ok(peel_claim(json, "iat"))
            }
        }
    }

    /// The keys of a decoded object that are claims, not session data: the
    /// ones this configuration writes, and in a JWT (`pyjwt`) the ones
    /// PyJWT checks. A parse sets them aside; a session may not hold them.
    pub(crate) fn claim_keys(&self, pyjwt: bool) -> &'static [&'static str] {
        match (self.claims, pyjwt) {
            (Claims::Private, false) => &[ISSUED_AT_CLAIM],
            (Claims::Private, true) => &[ISSUED_AT_CLAIM, "exp", "nbf", "iat", "aud"],
            (Claims::Registered, _) => &["iat", "exp", "nbf"],
        }
    }

    /// The keys of a decoded JWT that are claims unless they hold a string:
    /// PyJWT checks `sub` and `jti` only then.
    pub(crate) fn string_claim_keys(&self, pyjwt: bool) -> &'static [&'static str] {
        match (self.claims, pyjwt) {
            (Claims::Private, true) => &["sub", "jti"],
            _ => &[],
        }
    }

    /// The keys [`check_key`](Self::check_key) may refuse.
    pub(crate) fn checked_keys(&self, pyjwt: bool) -> &'static [&'static str] {
        match (self.claims, pyjwt) {
            (Claims::Private, true) => &[ISSUED_AT_CLAIM, "exp", "nbf", "iat", "aud", "sub", "jti"],
            _ => self.claim_keys(pyjwt),
        }
    }

    /// Refuses a session key this configuration writes itself (the handler's
    /// value would be overwritten, or read as a time), and in a JWT read by
    /// muffin-session (`pyjwt`) a key PyJWT would fail on.
    pub(crate) fn check_key(&self, key: &str, value: &Value, pyjwt: bool) -> Result<(), SaveError> {
        if self.reserved().contains(&key) {
            return Err(SaveError::ReservedKey {
                key: key.to_owned(),
                why:
                    "the crate writes it to carry the cookie's issue or expiry time; rename the key",
            });
        }
        if pyjwt && self.claims == Claims::Private && crate::codec::pyjwt_checks(key, value) {
            return Err(SaveError::ReservedKey {
                key: key.to_owned(),
                why: "muffin-session's JWT decoder (PyJWT) checks it and answers a 500 when the \
                      check fails; rename the key, or turn `muffin_compat` off if no \
                      muffin-session app reads these cookies",
            });
        }
        Ok(())
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

/// Takes `"name":<whole number>` off the end of a JSON object, returning
/// the number; leaves the object as it was if it does not end that way.
fn peel_claim(json: &mut Vec<u8>, name: &str) -> Option<u64> {
    let body = json.strip_suffix(b"}")?;
    let digits = body.len() - body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let number = std::str::from_utf8(&body[digits..]).ok()?.parse().ok()?;
    let key_start = digits.checked_sub(name.len() + 3)?;
    let key = &body[key_start..digits];
    let quoted = key.first() == Some(&b'"') && key.ends_with(b"\":");
    if !quoted || &key[1..key.len() - 2] != name.as_bytes() {
        return None;
    }
    let cut = match body[..key_start].last() {
        Some(b',') => key_start - 1,
        Some(b'{') => key_start,
        _ => return None,
    };
    json.truncate(cut);
    json.push(b'}');
    Some(number)
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
    fn stamped_claims_are_peeled_off_the_end() {
        let now = 1_000_000;
        let private = Expiry::new(Some(HOUR), false, true);
        for object in [&b"{}"[..], br#"{"a":1}"#] {
            let mut json = object.to_vec();
            private.stamp(&mut json, &[], now);
            assert_ne!(json, object);
            assert_eq!(private.peel(&mut json, now), Ok(Some(now)));
            assert_eq!(json, object);
        }
        let registered = Expiry::new(Some(HOUR), false, false);
        let mut json = br#"{"a":1}"#.to_vec();
        registered.stamp(&mut json, &[], now);
        assert_eq!(
            json,
            format!(r#"{{"a":1,"iat":{now},"exp":{}}}"#, now + HOUR).as_bytes()
        );
        assert_eq!(registered.peel(&mut json.clone(), now), Ok(Some(now)));
        assert_eq!(
            registered.peel(&mut json, now + HOUR),
            Err(Rejection::Expired)
        );
        // Anything else is left for the parse to find.
        for other in [
            &br#"{"a":"_iat\":1}"#[..],
            br#"{"x_iat":1}"#,
            br#"{"_iat":1.5}"#,
            br#"{"_iat":-1}"#,
            br#"{"a":[1,"_iat":2]}"#,
            b"",
            b"}",
        ] {
            let mut json = other.to_vec();
            assert_eq!(private.peel(&mut json, now), Ok(None), "{other:?}");
            assert_eq!(json, other);
        }
    }

    #[test]
    fn claim_names_are_short_enough_for_the_parse_to_find() {
        for compat in [true, false] {
            let expiry = Expiry::new(Some(HOUR), false, compat);
            for pyjwt in [true, false] {
                let keys = expiry.claim_keys(pyjwt).iter();
                for key in keys.chain(expiry.string_claim_keys(pyjwt)) {
                    assert!(key.len() <= crate::object::CLAIM_LEN_MAX, "{key}");
                }
            }
        }
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
