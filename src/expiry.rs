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
//! A session may also have a lifetime of its own ("remember me", see
//! [`Session::set_lifetime`](crate::Session::set_lifetime)): the private
//! claim [`LIFETIME_CLAIM`] (`_ttl`, seconds) in the session object, with
//! every codec, written just before the issue-time claims. It replaces the
//! configured lifetime for that session, capped by the configured maximum,
//! and makes the issue time be written.
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

/// The private claim that holds a session's own lifetime in seconds (see
/// [`Session::set_lifetime`](crate::Session::set_lifetime)), with every
/// codec. Not one of the JWT registered claims, so muffin-session's PyJWT
/// ignores it. Handlers never see it.
pub const LIFETIME_CLAIM: &str = "_ttl";

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
    /// In seconds: the most a session's own lifetime may be.
    max_lifetime: u64,
    /// Re-issue a cookie past half its lifetime.
    sliding: bool,
    claims: Claims,
}

/// The claims of a token that are not the handler's to see or change,
/// written back as they were.
pub(crate) type Carried = Vec<(String, Value)>;

impl Expiry {
    pub(crate) fn new(
        lifetime: Option<u64>,
        max_lifetime: u64,
        sliding: bool,
        muffin_compat: bool,
    ) -> Self {
        let claims = if muffin_compat {
            Claims::Private
        } else {
            Claims::Registered
        };
        Self {
            lifetime,
            max_lifetime,
            sliding,
            claims,
        }
    }

    /// A session's own lifetime as it may be: capped by the maximum.
    pub(crate) fn cap(&self, own: u64) -> u64 {
        own.min(self.max_lifetime)
    }

    /// The lifetime of a session with its `own` lifetime, if any: that,
    /// capped, else the configured one.
    pub(crate) fn lifetime_of(&self, own: Option<u64>) -> Option<u64> {
        own.map(|own| self.cap(own)).or(self.lifetime)
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
    ) -> Result<(Option<u64>, Option<u64>, Carried), Rejection> {
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
        let own = take_own_lifetime(object)?;
        for claim in self.reserved() {
            object.remove(*claim);
        }
        let carried = if jwt && self.claims == Claims::Private {
            take_pyjwt_claims(object)
        } else {
            Carried::new()
        };
        Ok((issued_at, own, carried))
    }

    /// Whether a cookie without an issue time is refused.
    pub(crate) fn requires_issue_time(&self) -> bool {
        self.lifetime.is_some() && self.claims == Claims::Registered
    }

    /// Whether a cookie issued at `issued_at`, with its `own` lifetime if
    /// any, is still valid at `now`: `Ok(true)` when it is and should be
    /// re-issued (sliding renewal).
    pub(crate) fn check(
        &self,
        issued_at: Option<u64>,
        own: Option<u64>,
        now: u64,
    ) -> Result<bool, Rejection> {
        let Some(issued_at) = issued_at else {
            // Cookies from muffin-session carry no issue time; they are
            // accepted while compatibility is on, as Python accepts them.
            // A lifetime of its own is always written with an issue time.
            return match (self.lifetime, self.claims, own) {
                (_, _, Some(_)) | (Some(_), Claims::Registered, _) => Err(Rejection::NoIssueTime),
                _ => Ok(false),
            };
        };
        if issued_at > now.saturating_add(CLOCK_SKEW) {
            return Err(Rejection::FromTheFuture);
        }
        let Some(lifetime) = self.lifetime_of(own) else {
            return Ok(false);
        };
        let age = now.saturating_sub(issued_at);
        if age > lifetime {
            return Err(Rejection::Expired);
        }
        Ok(self.sliding && age > lifetime / 2)
    }

    /// Appends the claims a `jwt` or `base64` cookie issued at `now` carries
    /// to the session's JSON object: the carried claims, the session's own
    /// lifetime, then the issue-time claims, always last, so that
    /// [`peel`](Self::peel) finds them without parsing the object.
    pub(crate) fn stamp(
        &self,
        json: &mut Vec<u8>,
        carried: &[(String, Value)],
        own: Option<u64>,
        now: u64,
    ) {
        for (claim, value) in carried {
            push_entry(json, claim, &value.to_string());
        }
        stamp_own_lifetime(json, own);
        let expires = self
            .lifetime_of(own)
            .map(|lifetime| now.saturating_add(lifetime));
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

    /// Takes the claims [`stamp`](Self::stamp) wrote off the end of a
    /// decoded object, checking them: the cheap way to read a cookie this
    /// crate wrote. Returns the issue time and the session's own lifetime,
    /// if they were there. Claims anywhere else are found when the object is
    /// parsed (see [`claim_keys`](Self::claim_keys)) and taken by
    /// [`take_claims`](Self::take_claims) instead.
    pub(crate) fn peel(
        &self,
        json: &mut Vec<u8>,
        now: u64,
    ) -> Result<(Option<u64>, Option<u64>), Rejection> {
        let issued_at = self.peel_issue_time(json, now)?;
        Ok((issued_at, peel_own_lifetime(json)))
    }

    fn peel_issue_time(&self, json: &mut Vec<u8>, now: u64) -> Result<Option<u64>, Rejection> {
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
            (Claims::Private, false) => &[ISSUED_AT_CLAIM, LIFETIME_CLAIM],
            (Claims::Private, true) => {
                &[ISSUED_AT_CLAIM, LIFETIME_CLAIM, "exp", "nbf", "iat", "aud"]
            }
            (Claims::Registered, _) => &["iat", "exp", "nbf", LIFETIME_CLAIM],
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
            (Claims::Private, true) => &[
                ISSUED_AT_CLAIM,
                LIFETIME_CLAIM,
                "exp",
                "nbf",
                "iat",
                "aud",
                "sub",
                "jti",
            ],
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
            Claims::Private => &[ISSUED_AT_CLAIM, LIFETIME_CLAIM],
            Claims::Registered => &["iat", "exp", "nbf", LIFETIME_CLAIM],
        }
    }
}

/// The claims of a Fernet token's object (its issue time is the token's
/// own): the session's own lifetime only.
pub(crate) const FERNET_CLAIMS: &[&str] = &[LIFETIME_CLAIM];

/// Refuses [`LIFETIME_CLAIM`] as a session key of a Fernet session.
pub(crate) fn check_fernet_key(key: &str) -> Result<(), SaveError> {
    if key == LIFETIME_CLAIM {
        return Err(SaveError::ReservedKey {
            key: key.to_owned(),
            why: "the crate writes it to carry the session's own lifetime; rename the key",
        });
    }
    Ok(())
}

/// Appends the session's own lifetime, if it has one.
pub(crate) fn stamp_own_lifetime(json: &mut Vec<u8>, own: Option<u64>) {
    if let Some(own) = own {
        push_entry(json, LIFETIME_CLAIM, &own.to_string());
    }
}

/// Takes the session's own lifetime off the end of a decoded object.
pub(crate) fn peel_own_lifetime(json: &mut Vec<u8>) -> Option<u64> {
    peel_claim(json, LIFETIME_CLAIM)
}

/// Takes the session's own lifetime out of a parsed object.
pub(crate) fn take_own_lifetime(object: &mut Object) -> Result<Option<u64>, Rejection> {
    let own = numeric_claim(object, LIFETIME_CLAIM)?;
    object.remove(LIFETIME_CLAIM);
    Ok(own)
}

/// Whether decoded JSON text mentions the lifetime claim anywhere (a cookie
/// whose object another app rewrote): it must then be parsed to find it.
pub(crate) fn mentions_own_lifetime(json: &[u8]) -> bool {
    let needle = b"\"_ttl\"";
    json.windows(needle.len()).any(|window| window == needle)
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
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, true);
        let now = 1_000_000;
        assert_eq!(expiry.check(Some(now - HOUR), None, now), Ok(false));
        assert_eq!(
            expiry.check(Some(now - HOUR - 1), None, now),
            Err(Rejection::Expired)
        );
        assert_eq!(expiry.check(Some(now + CLOCK_SKEW), None, now), Ok(false));
        assert_eq!(
            expiry.check(Some(now + CLOCK_SKEW + 1), None, now),
            Err(Rejection::FromTheFuture)
        );
        assert_eq!(expiry.check(Some(u64::MAX), None, u64::MAX), Ok(false));
        assert_eq!(
            expiry.check(Some(0), None, u64::MAX),
            Err(Rejection::Expired)
        );
    }

    #[test]
    fn sliding_renews_past_half_the_lifetime() {
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, true, true);
        let now = 1_000_000;
        assert_eq!(expiry.check(Some(now - HOUR / 2), None, now), Ok(false));
        assert_eq!(expiry.check(Some(now - HOUR / 2 - 1), None, now), Ok(true));
    }

    #[test]
    fn stamped_claims_are_peeled_off_the_end() {
        let now = 1_000_000;
        let private = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, true);
        for object in [&b"{}"[..], br#"{"a":1}"#] {
            let mut json = object.to_vec();
            private.stamp(&mut json, &[], None, now);
            assert_ne!(json, object);
            assert_eq!(private.peel(&mut json, now), Ok((Some(now), None)));
            assert_eq!(json, object);
        }
        let registered = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, false);
        let mut json = br#"{"a":1}"#.to_vec();
        registered.stamp(&mut json, &[], None, now);
        assert_eq!(
            json,
            format!(r#"{{"a":1,"iat":{now},"exp":{}}}"#, now + HOUR).as_bytes()
        );
        assert_eq!(
            registered.peel(&mut json.clone(), now),
            Ok((Some(now), None))
        );
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
            assert_eq!(private.peel(&mut json, now), Ok((None, None)), "{other:?}");
            assert_eq!(json, other);
        }
    }

    #[test]
    fn claim_names_are_short_enough_for_the_parse_to_find() {
        for compat in [true, false] {
            let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, compat);
            for pyjwt in [true, false] {
                let keys = expiry.claim_keys(pyjwt).iter();
                for key in keys.chain(expiry.string_claim_keys(pyjwt)) {
                    assert!(key.len() <= crate::object::CLAIM_LEN_MAX, "{key}");
                }
            }
        }
    }

    #[test]
    fn a_session_lifetime_of_its_own_replaces_the_configured_one_up_to_the_cap() {
        let now = 1_700_000_000;
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, true);
        let day = 24 * HOUR;
        assert_eq!(
            expiry.check(Some(now - 2 * HOUR), Some(day), now),
            Ok(false)
        );
        assert_eq!(
            expiry.check(Some(now - day - 1), Some(day), now),
            Err(Rejection::Expired)
        );
        // Capped: a lifetime above the maximum counts as the maximum.
        assert_eq!(
            expiry.check(Some(now - 31 * day), Some(365 * day), now),
            Err(Rejection::Expired)
        );
        // Always written with an issue time.
        assert_eq!(
            expiry.check(None, Some(day), now),
            Err(Rejection::NoIssueTime)
        );
        // Written before the issue time, and peeled off with it.
        let mut json = br#"{"a":1}"#.to_vec();
        expiry.stamp(&mut json, &[], Some(day), now);
        assert_eq!(
            json,
            format!(r#"{{"a":1,"_ttl":{day},"_iat":{now}}}"#).as_bytes()
        );
        assert_eq!(expiry.peel(&mut json, now), Ok((Some(now), Some(day))));
        assert_eq!(json, br#"{"a":1}"#);
        // With no lifetime configured, a session's own still writes `_iat`.
        let unlimited = Expiry::new(None, 30 * day, false, true);
        let mut json = b"{}".to_vec();
        unlimited.stamp(&mut json, &[], Some(day), now);
        assert_eq!(json, format!(r#"{{"_ttl":{day},"_iat":{now}}}"#).as_bytes());
    }

    #[test]
    fn missing_issue_time() {
        let now = 1_000_000;
        assert_eq!(
            Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, true).check(None, None, now),
            Ok(false)
        );
        assert_eq!(
            Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, false).check(None, None, now),
            Err(Rejection::NoIssueTime)
        );
        assert_eq!(
            Expiry::new(None, 30 * 24 * HOUR, false, false).check(None, None, now),
            Ok(false)
        );
    }
}
