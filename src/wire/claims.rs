//! The claims a session cookie carries beside the session's own keys: when
//! it was issued, the session's own lifetime, and in a JWT the registered
//! claims muffin-session's PyJWT checks. Each codec carries them one way,
//! its [`ClaimScheme`], chosen once when the config is built; this file is
//! the only place that knows the schemes.
//!
//! | scheme | codec | issue time | own lifetime |
//! |---|---|---|---|
//! | [`InToken`](ClaimScheme::InToken) | `fernet` | the token's own timestamp | `_ttl` |
//! | [`Private`](ClaimScheme::Private) | `jwt`, `base64` with muffin compatibility | `_iat`, only when a lifetime applies | `_ttl` |
//! | [`Registered`](ClaimScheme::Registered) | `jwt`, `base64` without it | `iat`, with `exp` when a lifetime applies | `_ttl` |
//!
//! `_iat` is private, and written only when a lifetime applies, because
//! muffin-session's PyJWT answers a cookie carrying an expired `exp` or a
//! future `iat` with a 500. In a JWT read while compatibility is on, the
//! claims PyJWT checks (`exp`, `nbf`, `iat`, `aud`, and a non-string `sub`
//! or `jti`) are honoured as PyJWT would, then carried: kept out of the
//! handler's view and written back as they came, so a session a Python app
//! stamped still loads and saves, and expires when it said.
//!
//! Claims are taken out of the object when a cookie is loaded and written
//! after the session's keys when it is saved, so a handler never sees them.

use serde_json::Value;

use super::expiry::CLOCK_SKEW;
use super::object::{push_entry, Object};
use super::rejection::Rejection;
use crate::error::SaveError;

/// The private claim that holds a `jwt` or `base64` cookie's issue time (Unix
/// seconds) while muffin compatibility is on. Handlers never see it.
pub const ISSUED_AT_CLAIM: &str = "_iat";

/// The private claim that holds a session's own lifetime in seconds (see
/// [`Session::set_lifetime`](crate::Session::set_lifetime)), with every
/// codec. Not one of the JWT registered claims, so muffin-session's PyJWT
/// ignores it. Handlers never see it.
pub const LIFETIME_CLAIM: &str = "_ttl";

/// How a codec's cookies carry their claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimScheme {
    /// The token has an issue time of its own (Fernet).
    InToken,
    /// `_iat`, written only when a lifetime applies (muffin compatibility);
    /// `pyjwt`: the object is a JWT's claims, which PyJWT checks.
    Private { pyjwt: bool },
    /// The registered `iat`, and `exp` when a lifetime applies.
    Registered,
}

/// The claims of one cookie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Claims {
    /// When the cookie was issued (Unix seconds), if it said.
    pub(crate) issued_at: Option<u64>,
    /// The session's own lifetime in seconds, if it has one.
    pub(crate) lifetime: Option<u64>,
    /// Claims written back as they came: `(key, JSON text)`.
    pub(crate) carried: Vec<(String, String)>,
}

impl ClaimScheme {
    /// The scheme of a codec: whether its tokens carry their own issue time,
    /// whether they are JWTs, and whether muffin compatibility is on.
    pub(crate) fn new(issue_time_in_token: bool, jwt: bool, muffin_compat: bool) -> Self {
        match (issue_time_in_token, muffin_compat) {
            (true, _) => Self::InToken,
            (false, true) => Self::Private { pyjwt: jwt },
            (false, false) => Self::Registered,
        }
    }

    /// Whether a cookie without an issue time is refused while a lifetime
    /// is configured: muffin-session's cookies carry none, so only when
    /// compatibility is off.
    pub(crate) fn requires_issue_time(self) -> bool {
        self == Self::Registered
    }

    /// Takes the claims out of a decoded object. `token_time` is the token's
    /// own issue time (Fernet). An `exp` or `nbf` that says the token is not
    /// valid now refuses it, as PyJWT would.
    pub(crate) fn take(
        self,
        object: &mut Object,
        token_time: Option<u64>,
        now: u64,
    ) -> Result<Claims, Rejection> {
        let may_hold_claims = object.iter().any(|entry| self.may_be_claim(entry.key()));
        if !may_hold_claims {
            let issued_at = if self == Self::InToken {
                token_time
            } else {
                None
            };
            return Ok(Claims {
                issued_at,
                ..Claims::default()
            });
        }
        if matches!(self, Self::Private { pyjwt: true } | Self::Registered) {
            check_validity(object, now)?;
        }
        let issued_at = match self {
            Self::InToken => token_time,
            // A muffin-session app may have put a registered `iat` in a JWT
            // itself (PyJWT checks it): it is an issue time too.
            Self::Private { pyjwt } => match numeric(object, ISSUED_AT_CLAIM)? {
                Some(issued_at) => Some(issued_at),
                None if pyjwt => numeric(object, "iat")?,
                None => None,
            },
            Self::Registered => numeric(object, "iat")?,
        };
        let lifetime = numeric(object, LIFETIME_CLAIM)?;
        for claim in self.written() {
            object.remove(claim);
        }
        let mut carried = Vec::new();
        if self == (Self::Private { pyjwt: true }) {
            for key in PYJWT_CLAIMS {
                let checked = object
                    .get(key)
                    .is_some_and(|entry| pyjwt_checks(key, entry.value()));
                if let Some(claim) = checked.then(|| object.take(key)).flatten() {
                    carried.push(claim);
                }
            }
        }
        Ok(Claims {
            issued_at,
            lifetime,
            carried,
        })
    }

    /// Appends the claims of a cookie issued at `issued_at` to the session's
    /// JSON text: the carried claims, the session's own lifetime, then the
    /// issue time; `lifetime` is the lifetime that applies to it, if any.
    pub(crate) fn stamp(
        self,
        json: &mut String,
        claims: &Claims,
        issued_at: u64,
        lifetime: Option<u64>,
    ) {
        for (claim, value) in &claims.carried {
            push_entry(json, claim, value);
        }
        if let Some(own) = claims.lifetime {
            push_entry(json, LIFETIME_CLAIM, &own.to_string());
        }
        match (self, lifetime) {
            (Self::InToken, _) | (Self::Private { .. }, None) => {}
            (Self::Private { .. }, Some(_)) => {
                push_entry(json, ISSUED_AT_CLAIM, &issued_at.to_string());
            }
            (Self::Registered, lifetime) => {
                push_entry(json, "iat", &issued_at.to_string());
                if let Some(lifetime) = lifetime {
                    push_entry(json, "exp", &issued_at.saturating_add(lifetime).to_string());
                }
            }
        }
    }

    /// Refuses a session key this scheme writes itself (the handler's value
    /// would be overwritten, or read as a time), and in a JWT read by
    /// muffin-session a key PyJWT would fail on. `value` is JSON text.
    pub(crate) fn check_key(self, key: &str, value: &str) -> Result<(), SaveError> {
        if self.written().contains(&key) {
            return Err(SaveError::ReservedKey {
                key: key.to_owned(),
                why: "the crate writes it to carry the cookie's issue time or lifetime; rename \
                      the key",
            });
        }
        if self == (Self::Private { pyjwt: true }) && pyjwt_checks(key, value) {
            return Err(SaveError::ReservedKey {
                key: key.to_owned(),
                why: "muffin-session's JWT decoder (PyJWT) checks it and answers a 500 when the \
                      check fails; rename the key, or turn `muffin_compat` off if no \
                      muffin-session app reads these cookies",
            });
        }
        Ok(())
    }

    /// Whether `key` is one this scheme takes out of the object: a claim it
    /// writes, or one PyJWT checks.
    fn may_be_claim(self, key: &str) -> bool {
        let pyjwt = matches!(self, Self::Private { pyjwt: true } | Self::Registered);
        self.written().contains(&key) || (pyjwt && PYJWT_CLAIMS.contains(&key))
    }

    /// The claims this scheme writes.
    fn written(self) -> &'static [&'static str] {
        match self {
            Self::InToken => &[LIFETIME_CLAIM],
            Self::Private { .. } => &[ISSUED_AT_CLAIM, LIFETIME_CLAIM],
            Self::Registered => &["iat", "exp", "nbf", LIFETIME_CLAIM],
        }
    }
}

/// The registered claims PyJWT checks.
const PYJWT_CLAIMS: [&str; 6] = ["exp", "nbf", "iat", "aud", "sub", "jti"];

/// Whether PyJWT checks this session key, and so would answer a 500 for a
/// value it does not accept: always `exp`, `nbf`, `iat` and `aud`; `sub`
/// and `jti` unless they hold a string. `value` is JSON text.
fn pyjwt_checks(key: &str, value: &str) -> bool {
    match key {
        "exp" | "nbf" | "iat" | "aud" => true,
        "sub" | "jti" => !value.starts_with('"'),
        _ => false,
    }
}

/// The registered `exp` and `nbf` claims, checked when present.
fn check_validity(object: &Object, now: u64) -> Result<(), Rejection> {
    if numeric(object, "exp")?.is_some_and(|expires| expires <= now) {
        return Err(Rejection::Expired);
    }
    let not_before = numeric(object, "nbf")?;
    if not_before.is_some_and(|not_before| not_before > now.saturating_add(CLOCK_SKEW)) {
        return Err(Rejection::FromTheFuture);
    }
    Ok(())
}

/// A claim that must be a whole number of seconds when present.
fn numeric(object: &Object, claim: &str) -> Result<Option<u64>, Rejection> {
    let Some(entry) = object.get(claim) else {
        return Ok(None);
    };
    match entry.parsed() {
        Some(Value::Number(number)) => number
            .as_u64()
            .or_else(|| number.as_f64().filter(|n| *n >= 0.0).map(|n| n as u64))
            .map(Some)
            .ok_or(Rejection::Malformed),
        _ => Err(Rejection::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE_JWT: ClaimScheme = ClaimScheme::Private { pyjwt: true };

    fn take(scheme: ClaimScheme, text: &str, now: u64) -> Result<(Claims, String), Rejection> {
        let mut object = Object::parse(text).unwrap();
        let claims = scheme.take(&mut object, None, now)?;
        let mut rest = String::new();
        object.write(&mut rest);
        Ok((claims, rest))
    }

    #[test]
    fn stamped_claims_are_taken_back() {
        let now = 1_000_000;
        for scheme in [
            PRIVATE_JWT,
            ClaimScheme::Private { pyjwt: false },
            ClaimScheme::Registered,
        ] {
            let claims = Claims {
                issued_at: Some(now),
                lifetime: Some(600),
                carried: Vec::new(),
            };
            let mut json = r#"{"a":1}"#.to_owned();
            scheme.stamp(&mut json, &claims, now, Some(600));
            let (taken, rest) = take(scheme, &json, now).unwrap();
            assert_eq!(taken, claims, "{scheme:?}: {json}");
            assert_eq!(rest, r#"{"a":1}"#);
        }
        let mut json = "{}".to_owned();
        ClaimScheme::Registered.stamp(&mut json, &Claims::default(), now, Some(60));
        assert_eq!(json, format!(r#"{{"iat":{now},"exp":{}}}"#, now + 60));
        assert_eq!(
            take(ClaimScheme::Registered, &json, now + 60),
            Err(Rejection::Expired)
        );
    }

    #[test]
    fn claims_pyjwt_checks_are_carried_as_they_came() {
        let (claims, rest) = take(
            PRIVATE_JWT,
            r#"{"aud":"x","sub":"user","jti":7,"id":1,"iat":5}"#,
            10,
        )
        .unwrap();
        assert_eq!(claims.issued_at, Some(5));
        assert_eq!(
            claims.carried,
            [
                ("iat".into(), "5".into()),
                ("aud".into(), r#""x""#.into()),
                ("jti".into(), "7".into())
            ]
        );
        assert_eq!(rest, r#"{"sub":"user","id":1}"#);
        assert_eq!(
            take(PRIVATE_JWT, r#"{"exp":10}"#, 10),
            Err(Rejection::Expired)
        );
        assert_eq!(
            take(PRIVATE_JWT, r#"{"nbf":100}"#, 10),
            Err(Rejection::FromTheFuture)
        );
        assert_eq!(
            take(PRIVATE_JWT, r#"{"_iat":"x"}"#, 10),
            Err(Rejection::Malformed)
        );
    }

    #[test]
    fn reserved_keys_are_refused() {
        assert!(PRIVATE_JWT.check_key("_iat", "1").is_err());
        assert!(PRIVATE_JWT.check_key("exp", "1").is_err());
        assert!(PRIVATE_JWT.check_key("sub", r#""s""#).is_ok());
        assert!(PRIVATE_JWT.check_key("sub", "1").is_err());
        assert!(ClaimScheme::Private { pyjwt: false }
            .check_key("exp", "1")
            .is_ok());
        assert!(ClaimScheme::InToken.check_key("_ttl", "1").is_err());
        assert!(ClaimScheme::InToken.check_key("_iat", "1").is_ok());
    }
}
