//! The per-request session state that every `Session<T>` of a request shares.
//!
//! The first extractor that asks for the session puts a [`RequestSession`] in
//! the request's extensions (or finds the one [`SessionLayer`](crate::SessionLayer)
//! put there), decodes the cookie at most once, and each `Session<T>` writes its
//! changes back here. Whoever saves (the layer after the handler, or a
//! `Session` returned in the response) asks it for the `Set-Cookie` to send.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use crate::config::SessionConfig;
use crate::error::SaveError;

/// Browsers drop, without a word, a cookie whose name and value exceed this.
pub(crate) const MAX_COOKIE_SIZE: usize = 4096;

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
    /// The cookie was made with a fallback key: re-issue it with the current one.
    by_fallback_key: bool,
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
        let loaded = decode_cookie(&self.config, headers);
        let data = Arc::clone(&loaded.data);
        state.changed = loaded.by_fallback_key;
        state.loaded = Some(loaded);
        data
    }

    /// Applies one extractor's changes; marks the session changed if they change anything.
    pub(crate) fn apply(&self, changes: Changes) {
        let mut state = self.state();
        let State {
            loaded,
            changed,
            ended,
        } = &mut *state;
        let Some(loaded) = loaded.as_mut() else {
            return;
        };
        if changes.reset {
            *ended = true;
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
    }

    /// Whether anything read the session during this request.
    pub(crate) fn was_read(&self) -> bool {
        self.state().loaded.is_some()
    }

    /// The `Set-Cookie` value to send, if the session changed since it was
    /// loaded (or last saved). Taking it marks the session saved.
    pub(crate) fn take_set_cookie(&self) -> Result<Option<HeaderValue>, SaveError> {
        let mut state = self.state();
        let State {
            loaded,
            changed,
            ended,
        } = &mut *state;
        let Some(loaded) = loaded.as_ref() else {
            return Ok(None);
        };
        let header = if *ended && loaded.data.is_empty() {
            // Ended and nothing stored since: remove the cookie, if there was one.
            loaded.had_cookie.then(|| self.config.removal_cookie())
        } else if *changed {
            let json = serde_json::to_vec(&*loaded.data)?;
            let token = self.config.codec().encode(&json)?;
            let header = self
                .config
                .set_cookie(&token)
                .map_err(|err| SaveError::Encode(err.to_string()))?;
            let size = self.config.cookie_name().len() + 1 + token.len();
            if size > MAX_COOKIE_SIZE {
                return Err(SaveError::TooLarge { size });
            }
            Some(header)
        } else {
            None
        };
        *changed = false;
        *ended = false;
        Ok(header)
    }
}

/// Finds the session cookie in the request and decodes it. Anything that does
/// not decode to a JSON object is an empty session; why is logged at debug.
fn decode_cookie(config: &SessionConfig, headers: &HeaderMap) -> Loaded {
    let Some(token) = find_cookie(headers, config.cookie_name()) else {
        return Loaded {
            data: Arc::default(),
            had_cookie: false,
            by_fallback_key: false,
        };
    };
    let mut loaded = Loaded {
        data: Arc::default(),
        had_cookie: true,
        by_fallback_key: false,
    };
    match config.codec().decode(&token) {
        Ok(decoded) => match serde_json::from_slice::<Object>(&decoded.json) {
            Ok(data) => {
                tracing::trace!(
                    by_fallback_key = decoded.by_fallback_key,
                    "session cookie decoded"
                );
                loaded.data = Arc::new(data);
                loaded.by_fallback_key = decoded.by_fallback_key;
            }
            Err(_) => tracing::debug!(reason = "not a JSON object", "session cookie rejected"),
        },
        Err(rejection) => tracing::debug!(reason = rejection.as_str(), "session cookie rejected"),
    }
    loaded
}

/// The value of the first cookie called `name` in the request's `Cookie` headers.
fn find_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().find_map(|header| {
        let header = String::from_utf8_lossy(header.as_bytes());
        cookie::Cookie::split_parse(header.as_ref())
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
    })
}

/// Adds a `Set-Cookie` to a response, with the headers that keep shared caches
/// from storing it (a cached `Set-Cookie` would hand one user's session to others).
pub(crate) fn add_set_cookie(headers: &mut HeaderMap, set_cookie: HeaderValue) {
    headers.append(SET_COOKIE, set_cookie);
    add_vary_cookie(headers);
    let cache_control = private_cache_control(headers.get(CACHE_CONTROL));
    headers.insert(CACHE_CONTROL, cache_control);
}

/// Adds `Vary: Cookie` unless the response already varies on it (or on everything).
pub(crate) fn add_vary_cookie(headers: &mut HeaderMap) {
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

/// `private` added to the response's own `Cache-Control` (minus `public` and
/// `s-maxage`, which would let a shared cache store it); `no-store` and
/// `private` responses are left as they are.
fn private_cache_control(current: Option<&HeaderValue>) -> HeaderValue {
    let Some(current) = current.and_then(|value| value.to_str().ok()) else {
        return HeaderValue::from_static("private");
    };
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
    if directives
        .iter()
        .any(|d| is(d, "no-store") || is(d, "private"))
    {
        return HeaderValue::from_str(current).unwrap_or(HeaderValue::from_static("private"));
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
        let current = current.map(HeaderValue::from_static);
        private_cache_control(current.as_ref())
            .to_str()
            .unwrap()
            .to_owned()
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
