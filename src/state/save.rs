//! Saving: the session and what happened to it in, the `Set-Cookie` values
//! to send out.

use http::HeaderValue;

use super::load::Reissue;
use crate::config::SessionConfig;
use crate::error::SaveError;
use crate::wire::chunks;
use crate::wire::claims::Claims;
use crate::wire::object::Object;

/// A session at the end of a request (or when a handler returns it).
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    pub(crate) object: &'a Object,
    /// The claims the cookie came with; `lifetime` as the session now has it.
    pub(crate) claims: &'a Claims,
    /// The handler changed the session.
    pub(crate) changed: bool,
    /// The handler ended the session.
    pub(crate) ended: bool,
    pub(crate) reissue: Reissue,
    /// The client holds a session cookie, in `chunks` chunks.
    pub(crate) present: bool,
    pub(crate) chunks: usize,
    pub(crate) now: u64,
}

/// What the client holds once the response is sent.
#[derive(Debug)]
pub(crate) struct Saved {
    pub(crate) set_cookies: Vec<HeaderValue>,
    pub(crate) present: bool,
    pub(crate) chunks: usize,
    /// The issue time of the cookie written, if one was.
    pub(crate) issued_at: Option<u64>,
}

/// The `Set-Cookie` values that bring the client's cookie up to date:
/// removal for an ended, empty session; a new cookie for a changed or
/// re-issued one; nothing otherwise.
///
/// # Errors
///
/// A [`SaveError`] when a changed session cannot be written (too big,
/// not a valid header); a re-issue the handler did not ask for is dropped
/// instead (logged): the cookie the client has still works.
pub(crate) fn save(config: &SessionConfig, session: &Outgoing<'_>) -> Result<Saved, SaveError> {
    let unchanged = Saved {
        set_cookies: Vec::new(),
        present: session.present,
        chunks: session.chunks,
        issued_at: None,
    };
    if session.ended && session.object.is_empty() {
        let set_cookies = if session.present {
            chunks::remove(config.cookie_format(), session.chunks)
        } else {
            Vec::new()
        };
        return Ok(Saved {
            set_cookies,
            present: false,
            chunks: 0,
            issued_at: None,
        });
    }
    if !session.changed && session.reissue == Reissue::No {
        return Ok(unchanged);
    }
    let issued_at = match (session.changed, session.reissue) {
        (false, Reissue::KeepIssueTime) => session.claims.issued_at.unwrap_or(session.now),
        _ => session.now,
    };
    match write(config, session, issued_at) {
        Ok((set_cookies, chunks)) => Ok(Saved {
            set_cookies,
            present: true,
            chunks,
            issued_at: Some(issued_at),
        }),
        Err(err) if !session.changed => {
            tracing::warn!(error = %err, "session cookie not re-issued");
            Ok(unchanged)
        }
        Err(err) => Err(err),
    }
}

/// The cookies that store the session, issued at `issued_at`.
fn write(
    config: &SessionConfig,
    session: &Outgoing<'_>,
    issued_at: u64,
) -> Result<(Vec<HeaderValue>, usize), SaveError> {
    let mut json = String::with_capacity(256);
    session.object.write(&mut json);
    let expiry = config.expiry();
    let lifetime = expiry.lifetime_of(session.claims.lifetime);
    config
        .claims()
        .stamp(&mut json, session.claims, issued_at, lifetime);
    let token = config.codec().encode(json.as_bytes(), issued_at);
    // A remembered session's cookie lasts as long as the server accepts it.
    let max_age = session.claims.lifetime.map(|own| {
        let age = session.now.saturating_sub(issued_at);
        expiry.cap(own).saturating_sub(age)
    });
    chunks::store(config.cookie_format(), &token, max_age, session.chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::load::load;
    use http::header::COOKIE;
    use http::HeaderMap;

    fn config() -> SessionConfig {
        SessionConfig::builder()
            .secret_key("k".repeat(32))
            .lifetime(std::time::Duration::from_secs(3600))
            .build()
            .unwrap()
    }

    fn outgoing<'a>(object: &'a Object, claims: &'a Claims, changed: bool) -> Outgoing<'a> {
        Outgoing {
            object,
            claims,
            changed,
            ended: false,
            reissue: Reissue::No,
            present: false,
            chunks: 0,
            now: 1_000,
        }
    }

    fn cookie_of(saved: &Saved) -> HeaderMap {
        let set_cookie = saved.set_cookies[0].to_str().unwrap();
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, pair.parse().unwrap());
        headers
    }

    #[test]
    fn an_unchanged_session_writes_nothing_and_a_changed_one_loads_back() {
        let config = config();
        let object = Object::parse(r#"{"a":NaN,"b":"\ud800"}"#).unwrap();
        let claims = Claims::default();
        let saved = save(&config, &outgoing(&object, &claims, false)).unwrap();
        assert!(saved.set_cookies.is_empty());
        let saved = save(&config, &outgoing(&object, &claims, true)).unwrap();
        assert_eq!(saved.issued_at, Some(1_000));
        let loaded = load(&config, &cookie_of(&saved), 1_010);
        assert_eq!(loaded.object, object);
        assert_eq!(loaded.claims.issued_at, Some(1_000));
        assert_eq!(
            load(&config, &cookie_of(&saved), 1_000 + 3601).object,
            Object::default()
        );
    }

    #[test]
    fn a_reissue_keeps_the_issue_time_and_lifetime() {
        let config = config();
        let object = Object::parse(r#"{"id":1}"#).unwrap();
        let claims = Claims {
            issued_at: Some(500),
            lifetime: Some(600),
            carried: Vec::new(),
        };
        let mut session = outgoing(&object, &claims, false);
        session.reissue = Reissue::KeepIssueTime;
        let saved = save(&config, &session).unwrap();
        assert_eq!(saved.issued_at, Some(500));
        let set_cookie = saved.set_cookies[0].to_str().unwrap();
        assert!(set_cookie.contains("Max-Age=100"), "{set_cookie}");
        let loaded = load(&config, &cookie_of(&saved), 1_000);
        assert_eq!(loaded.claims, claims);
    }

    #[test]
    fn an_ended_empty_session_removes_the_cookie_it_came_with() {
        let config = config();
        let (object, claims) = (Object::default(), Claims::default());
        let mut session = outgoing(&object, &claims, true);
        session.ended = true;
        assert!(save(&config, &session).unwrap().set_cookies.is_empty());
        session.present = true;
        let saved = save(&config, &session).unwrap();
        assert!(saved.set_cookies[0].to_str().unwrap().contains("Max-Age=0"));
        assert!(!saved.present);
    }
}
