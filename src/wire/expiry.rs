//! Expiry enforced by the server, as policy: whether a cookie issued at a
//! given time, with a lifetime of its own or not, is still valid now, and
//! whether it is due for renewal. Where the issue time and the lifetime
//! travel in the cookie is [`super::claims`]'s business.
//!
//! A session may have a lifetime of its own ("remember me", see
//! [`Session::set_lifetime`](crate::Session::set_lifetime)): it replaces the
//! configured lifetime for that session, capped by the configured maximum.

use super::rejection::Rejection;

/// How far in the future a cookie's issue time may be (other servers' clocks
/// drift): 60 seconds, the usual Fernet allowance.
pub const CLOCK_SKEW: u64 = 60;

/// The expiry rules of one configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expiry {
    /// In seconds; `None`: cookies never expire on the server.
    lifetime: Option<u64>,
    /// In seconds: the most a session's own lifetime may be.
    max_lifetime: u64,
    /// Re-issue a cookie past half its lifetime.
    sliding: bool,
    /// Refuse a cookie without an issue time while a lifetime is set.
    requires_issue_time: bool,
}

impl Expiry {
    pub(crate) fn new(
        lifetime: Option<u64>,
        max_lifetime: u64,
        sliding: bool,
        requires_issue_time: bool,
    ) -> Self {
        Self {
            lifetime,
            max_lifetime,
            sliding,
            requires_issue_time,
        }
    }

    /// The configured lifetime in seconds; `None`: no server-side limit.
    pub(crate) fn lifetime(&self) -> Option<u64> {
        self.lifetime
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
            let refused = own.is_some() || (self.lifetime.is_some() && self.requires_issue_time);
            return if refused {
                Err(Rejection::NoIssueTime)
            } else {
                Ok(false)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3600;

    #[test]
    fn lifetime_and_skew() {
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, false);
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
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, true, false);
        let now = 1_000_000;
        assert_eq!(expiry.check(Some(now - HOUR / 2), None, now), Ok(false));
        assert_eq!(expiry.check(Some(now - HOUR / 2 - 1), None, now), Ok(true));
    }

    #[test]
    fn missing_issue_time() {
        let now = 1_000_000;
        assert_eq!(
            Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, false).check(None, None, now),
            Ok(false)
        );
        assert_eq!(
            Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, true).check(None, None, now),
            Err(Rejection::NoIssueTime)
        );
        assert_eq!(
            Expiry::new(None, 30 * 24 * HOUR, false, true).check(None, None, now),
            Ok(false)
        );
    }

    #[test]
    fn a_session_lifetime_of_its_own_replaces_the_configured_one_up_to_the_cap() {
        let now = 1_700_000_000;
        let expiry = Expiry::new(Some(HOUR), 30 * 24 * HOUR, false, false);
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
    }
}
