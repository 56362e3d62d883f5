//! The per-request session state that every `Session<T>` of a request shares.
//!
//! The first extractor that asks for the session puts a [`RequestSession`] in
//! the request's extensions (or finds the one [`SessionLayer`](crate::SessionLayer)
//! put there), decodes the cookie at most once, and each `Session<T>` writes its
//! changes back here. Whoever saves (the layer after the handler, or a
//! `Session` returned in the response) asks it for the `Set-Cookie` to send.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use crate::chunks;
use crate::codec::Rejection;
use crate::config::SessionConfig;
use crate::error::SaveError;
use crate::expiry::Carried;

/// The session object: a JSON object.
pub(crate) type Object = Map<String, Value>;

/// One request's session, shared through the request extensions.
pub(crate) struct RequestSession {
    config: SessionConfig,
    /// A `SessionLayer` writes the cookie after the handler.
    managed: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `None` until something reads the session.
    loaded: Option<Loaded>,
    /// The data differs from what the cookie held.
    changed: bool,
    /// The session was ended: an empty session then removes the cookie.
    ended: bool,
}

struct Loaded {
    data: Arc<Object>,
    /// The request carried a session cookie (valid or not).
    had_cookie: bool,
    /// How many chunk cookies the request's session was split into.
    chunks: usize,
    /// Claims of the token kept out of the handler's view, written back as
    /// they were (see [`crate::expiry`]).
    carried: Carried,
    /// Re-issue the cookie even if the data did not change.
    reissue: Reissue,
    /// When the cookie was issued, if it said.
    issued_at: Option<u64>,
    /// The size of the JSON the cookie held: a changed session is usually
    /// about as big, so encoding reserves that much once instead of growing.
    json_len: usize,
}

/// Why a cookie is re-issued though the handler did not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reissue {
    No,
    /// Made with a fallback key: the same cookie, under the current key,
    /// with its issue time kept (a re-issue must not extend a lifetime).
    FallbackKey,
    /// Past half its lifetime with sliding expiration: a new issue time.
    Renew,
}

/// What one `Session<T>` changed, applied to the shared state.
pub(crate) struct Changes {
    /// The session was ended: start from an empty object.
    pub(crate) reset: bool,
    /// Keys to set (`Some`) or remove (`None`).
    pub(crate) keys: Vec<(String, Option<Value>)>,
}

impl RequestSession {
    pub(crate) fn new(config: SessionConfig, managed: bool) -> Self {
        Self {
            config,
            managed,
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub(crate) fn is_managed(&self) -> bool {
        self.managed
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across user code, so a poisoned lock still
        // holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session data, decoding the request's cookie on first use only.
    pub(crate) fn data(&self, headers: &HeaderMap) -> Arc<Object> {
        let mut state = self.state();
        if let Some(loaded) = &state.loaded {
            return Arc::clone(&loaded.data);
        }
        let loaded = load(&self.config, headers);
        let data = Arc::clone(&loaded.data);
        state.loaded = Some(loaded);
        data
    }

    /// Applies one extractor's changes; marks the session changed if they
    /// change anything. Returns the session object as it now is.
    pub(crate) fn apply(&self, changes: Changes) -> Arc<Object> {
        let mut state = self.state();
        let State {
            loaded,
            changed,
            ended,
        } = &mut *state;
        let Some(loaded) = loaded.as_mut() else {
            return Arc::default();
        };
        if changes.reset {
            *ended = true;
            // Ending forgets the claims the old token carried too.
            loaded.carried.clear();
            if !loaded.data.is_empty() {
                loaded.data = Arc::new(Object::new());
                *changed = true;
            }
        }
        for (key, value) in changes.keys {
            let data = Arc::make_mut(&mut loaded.data);
            match value {
                Some(value) if data.get(&key) != Some(&value) => {
                    data.insert(key, value);
                    *changed = true;
                }
                None if data.remove(&key).is_some() => *changed = true,
                _ => {}
            }
        }
        Arc::clone(&loaded.data)
    }

    /// Whether anything read the session during this request.
    pub(crate) fn was_read(&self) -> bool {
        self.state().loaded.is_some()
    }

    /// The `Set-Cookie` values to send, if the session changed since it was
    /// loaded (or last saved): none when it did not. Taking them marks the
    /// session saved. On error nothing is sent and the cookie is unchanged.
    pub(crate) fn take_set_cookies(&self) -> Result<Vec<HeaderValue>, SaveError> {
        let mut state = self.state();
        let State {
            loaded,
            changed,
            ended,
        } = &mut *state;
        let Some(loaded) = loaded.as_mut() else {
            return Ok(Vec::new());
        };
        let headers = if *ended && loaded.data.is_empty() {
            // Ended and nothing stored since: remove the cookie, if there was one.
            let headers = if loaded.had_cookie {
                chunks::remove(&self.config, loaded.chunks)
            } else {
                Vec::new()
            };
            loaded.had_cookie = false;
            loaded.chunks = 0;
            headers
        } else if *changed || loaded.reissue != Reissue::No {
            match self.store(loaded, *changed) {
                Ok(headers) => headers,
                // A re-issue the handler did not ask for must not fail its
                // response: the cookie the client has still works.
                Err(err) if !*changed => {
                    tracing::warn!(error = %err, "session cookie not re-issued");
                    Vec::new()
                }
                Err(err) => return Err(err),
            }
        } else {
            Vec::new()
        };
        *changed = false;
        *ended = false;
        loaded.reissue = Reissue::No;
        Ok(headers)
    }

    /// The `Set-Cookie` values that store the session as it now is.
    fn store(&self, loaded: &mut Loaded, changed: bool) -> Result<Vec<HeaderValue>, SaveError> {
        let now = self.config.now();
        let issued_at = match (changed, loaded.reissue) {
            (false, Reissue::FallbackKey) => loaded.issued_at.unwrap_or(now),
            _ => now,
        };
        let token = encode(&self.config, loaded, issued_at)?;
        let (headers, chunks) = chunks::store(&self.config, &token, loaded.chunks)?;
        loaded.had_cookie = true;
        loaded.chunks = chunks;
        loaded.issued_at = Some(issued_at);
        Ok(headers)
    }
}

/// The cookie value for a session object (and the claims its token
/// carried), issued at `issued_at`.
fn encode(config: &SessionConfig, loaded: &Loaded, issued_at: u64) -> Result<String, SaveError> {
    let codec = config.codec();
    let data = &*loaded.data;
    let mut json = Vec::with_capacity(loaded.json_len + JSON_SLACK);
    if codec.uses_claims() {
        config.expiry().check_reserved(data)?;
        if codec.is_jwt() && config.muffin_compat() {
            crate::codec::check_pyjwt_claims(data)?;
        }
        let stamped = config.expiry().stamp(data, &loaded.carried, issued_at);
        serde_json::to_writer(&mut json, &stamped)?;
    } else {
        serde_json::to_writer(&mut json, data)?;
    }
    Ok(codec.encode(&json, issued_at))
}

/// Room for a session to grow by a value or two (and an issue-time claim)
/// without reallocating its JSON.
const JSON_SLACK: usize = 64;

/// Finds the session cookie in the request and decodes it. Anything that does
/// not decode to a valid JSON object is an empty session; why is logged at debug.
fn load(config: &SessionConfig, headers: &HeaderMap) -> Loaded {
    let mut loaded = Loaded {
        data: Arc::default(),
        had_cookie: false,
        chunks: 0,
        carried: Carried::new(),
        reissue: Reissue::No,
        issued_at: None,
        json_len: 0,
    };
    let Some(found) = chunks::find(headers, config.cookie_name()) else {
        return loaded;
    };
    loaded.had_cookie = true;
    loaded.chunks = found.chunks;
    match found
        .token
        .and_then(|token| decode(config, &token, &mut loaded))
    {
        Ok(()) => tracing::trace!(reissue = ?loaded.reissue, "session cookie decoded"),
        Err(rejection) => tracing::debug!(reason = rejection.as_str(), "session cookie rejected"),
    }
    loaded
}

/// Verifies a cookie value and checks its age, filling in `loaded`: the
/// session object, what its token carried, and whether to re-issue it.
fn decode(config: &SessionConfig, token: &str, loaded: &mut Loaded) -> Result<(), Rejection> {
    let codec = config.codec();
    let now = config.now();
    let decoded = codec.decode(token, now)?;
    let mut data: Object =
        serde_json::from_slice(&decoded.json).map_err(|_| Rejection::NotAnObject)?;
    let (issued_at, carried) = match decoded.timestamp {
        Some(timestamp) => (Some(timestamp), Carried::new()),
        None => config
            .expiry()
            .take_claims(&mut data, now, codec.is_jwt())?,
    };
    let renew = config.expiry().check(issued_at, now)?;
    loaded.json_len = decoded.json.len();
    loaded.data = Arc::new(data);
    loaded.carried = carried;
    loaded.issued_at = issued_at;
    loaded.reissue = if renew {
        Reissue::Renew
    } else if decoded.by_fallback_key {
        Reissue::FallbackKey
    } else {
        Reissue::No
    };
    Ok(())
}

/// Adds the session's `Set-Cookie` values to a response made from the
/// session. It always varies on `Cookie`; with a `Set-Cookie`, it is also
/// made private, since a shared cache storing it would hand one user's
/// session to others.
pub(crate) fn add_set_cookies(headers: &mut HeaderMap, set_cookies: Vec<HeaderValue>) {
    add_vary_cookie(headers);
    if set_cookies.is_empty() {
        return;
    }
    for set_cookie in set_cookies {
        headers.append(SET_COOKIE, set_cookie);
    }
    let cache_control = private_cache_control(headers);
    headers.insert(CACHE_CONTROL, cache_control);
    // A CDN obeying these ignores `Cache-Control` (RFC 9213): without them
    // it sees the `private` above.
    for targeted in CDN_CACHE_CONTROLS {
        headers.remove(targeted);
    }
}

/// Cache directives aimed at CDNs only, which take precedence over
/// `Cache-Control` there.
const CDN_CACHE_CONTROLS: [&str; 2] = ["cdn-cache-control", "surrogate-control"];

/// Adds `Vary: Cookie` unless the response already varies on it (or on everything).
fn add_vary_cookie(headers: &mut HeaderMap) {
    let varies = headers.get_all(VARY).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value.split(',').any(|item| {
                matches!(item.trim(), "*") || item.trim().eq_ignore_ascii_case("cookie")
            })
        })
    });
    if !varies {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}

/// `private` added to the response's own `Cache-Control` (all its lines,
/// minus `public` and `s-maxage`, which would let a shared cache store it);
/// `no-store` and `private` responses keep their directives as they are.
fn private_cache_control(headers: &HeaderMap) -> HeaderValue {
    let lines: Vec<&str> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if lines.is_empty() {
        return HeaderValue::from_static("private");
    }
    let current = lines.join(", ");
    let directives: Vec<&str> = current
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    let is = |directive: &str, name: &str| {
        directive
            .split('=')
            .next()
            .is_some_and(|key| key.trim().eq_ignore_ascii_case(name))
    };
    // Only a bare `private` covers the whole response: `private="Set-Cookie"`
    // with field names (RFC 9111, 5.2.2.7) lets a shared cache store the rest.
    if directives
        .iter()
        .any(|d| is(d, "no-store") || d.eq_ignore_ascii_case("private"))
    {
        return HeaderValue::from_str(&current).unwrap_or(HeaderValue::from_static("private"));
    }
    let mut kept: Vec<&str> = directives
        .into_iter()
        .filter(|d| !is(d, "public") && !is(d, "s-maxage"))
        .collect();
    kept.insert(0, "private");
    HeaderValue::from_str(&kept.join(", ")).unwrap_or(HeaderValue::from_static("private"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_control(current: Option<&'static str>) -> String {
        let mut headers = HeaderMap::new();
        for line in current.into_iter().flat_map(|current| current.split('\n')) {
            headers.append(CACHE_CONTROL, HeaderValue::from_static(line));
        }
        private_cache_control(&headers).to_str().unwrap().to_owned()
    }

    #[test]
    fn cache_control_becomes_private() {
        assert_eq!(cache_control(None), "private");
        assert_eq!(
            cache_control(Some("public, max-age=60")),
            "private, max-age=60"
        );
        assert_eq!(
            cache_control(Some("max-age=60, s-maxage=600")),
            "private, max-age=60"
        );
        assert_eq!(cache_control(Some("no-store")), "no-store");
        assert_eq!(
            cache_control(Some("private, max-age=5")),
            "private, max-age=5"
        );
        // `private` naming fields restricts only those fields.
        assert_eq!(
            cache_control(Some(r#"public, s-maxage=600, private="X-Debug""#)),
            r#"private, private="X-Debug""#
        );
        // Directives on several lines are all kept (or dropped) together.
        assert_eq!(
            cache_control(Some("public\nmax-age=60")),
            "private, max-age=60"
        );
        assert_eq!(
            cache_control(Some("max-age=60\nno-store")),
            "max-age=60, no-store"
        );
    }

    #[test]
    fn vary_cookie_is_added_once() {
        let mut headers = HeaderMap::new();
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        add_vary_cookie(&mut headers);
        add_vary_cookie(&mut headers);
        let vary: Vec<_> = headers.get_all(VARY).iter().collect();
        assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
    }
}
