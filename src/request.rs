//! The per-request session state that every view of a request shares.
//!
//! [`SessionLayer`](crate::SessionLayer) puts one [`RequestSession`] in each
//! request's extensions. The first view that reads the session decodes the
//! cookie (once per request); every view then reads the session's JSON text
//! from here and hands its changes back here; whoever saves (the layer after
//! the handler, or a `Session` returned in the response) asks it for the
//! `Set-Cookie` to send.
//!
//! # Changes apply in the order the handler makes them
//!
//! Each change is stamped with a time from one counter. A view that is
//! changed marks itself with the time of its last change and hands its
//! changes back when it is dropped, saved, or changed again after another
//! view changed the session. A change handed back late never overrides a
//! later one: a key written (or a session ended or cleared) after the view's
//! last change keeps its later value. When only one view changed the
//! session, as in most handlers, it hands back its whole JSON text and no
//! key is compared.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::chunks;
use crate::config::SessionConfig;
use crate::cookie_info::{CookieInfo, Received};
use crate::error::{SaveError, SessionRejection};
use crate::expiry::{self, Carried};
use crate::object::{self, Keys, Object, Shape};
use crate::rejection::Rejection;

/// The JSON text of an empty session.
const EMPTY: &[u8] = b"{}";

/// One shared empty session, so that a request that never reads the
/// session allocates nothing for it.
static EMPTY_JSON: LazyLock<Arc<Vec<u8>>> = LazyLock::new(|| Arc::new(EMPTY.to_vec()));

fn empty_json() -> Arc<Vec<u8>> {
    Arc::clone(&EMPTY_JSON)
}

/// Who writes the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The layer, after the handler.
    Auto,
    /// The handler, by returning the session in its response.
    Manual,
}

/// One request's session, shared through the request extensions.
pub(crate) struct RequestSession {
    config: SessionConfig,
    mode: Mode,
    /// Hands out the times changes are stamped with.
    clock: AtomicU64,
    /// Counts the changes made to the shared JSON text, so a view can tell
    /// whether what it read is still current.
    generation: AtomicU64,
    /// Views changed but not handed back yet.
    dirty_views: AtomicUsize,
    state: Mutex<State>,
}

/// The JSON text views read, and the generation it belongs to.
pub(crate) struct Snapshot {
    pub(crate) json: Arc<Vec<u8>>,
    pub(crate) generation: u64,
}

/// What a changed view hands back.
pub(crate) enum Handover {
    /// Its whole JSON text: allowed when no other view changed the session
    /// since it read it, and no other view is changed.
    Whole(Vec<u8>),
    /// The keys it changed: `Some` to set, `None` to remove.
    Keys(Vec<(String, Option<Value>)>),
}

/// A change made to the session as a whole.
pub(crate) enum Op {
    /// Forget every key and the session's own lifetime; `end` also removes
    /// the cookie if nothing is stored after.
    Reset { end: bool },
    /// Set (`Some`) or remove (`None`) keys.
    Keys(Vec<(String, Option<Value>)>),
    /// Give the session a lifetime of its own in seconds (capped), or
    /// (`None`) the configured one.
    Lifetime(Option<u64>),
}

struct State {
    /// `None` until something reads the session.
    cookie: Option<Cookie>,
    /// The session's JSON text as it now is, without claims.
    json: Arc<Vec<u8>>,
    /// The JSON text the cookie held (or that was last saved).
    saved_json: Arc<Vec<u8>>,
    /// The session's own lifetime in seconds, capped (see
    /// [`crate::expiry`]); `None`: the configured one.
    lifetime: Option<u64>,
    /// The own lifetime the cookie held (or that was last saved).
    saved_lifetime: Option<u64>,
    /// Claims anywhere in the object have been taken out (see [`crate::expiry`]).
    canonical: bool,
    /// When the session was last ended or cleared.
    last_reset: u64,
    /// When each key was last written by a view that handed back its keys.
    key_times: Vec<(String, u64)>,
    /// The session was ended: an empty session then removes the cookie.
    ended: bool,
    /// The cookie was written: later changes would be lost.
    saved: bool,
    /// A change that could not be handed back (a view dropped without
    /// being saved): the response must not pretend it was saved.
    error: Option<SaveError>,
}

/// What the request's session cookie was.
struct Cookie {
    /// The request carried a session cookie (valid or not).
    present: bool,
    /// How many chunk cookies it was split into.
    chunks: usize,
    /// Claims of the token kept out of the handler's view, written back as
    /// they were (see [`crate::expiry`]).
    carried: Carried,
    /// Re-issue the cookie even if the session did not change.
    reissue: Reissue,
    /// When the cookie was issued, if it said.
    issued_at: Option<u64>,
    /// What the cookie was when it came, if it was accepted.
    received: Option<Received>,
    /// The request's time, read once when the session is first read: the
    /// time expiry is checked against and new cookies are issued at.
    now: u64,
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

impl RequestSession {
    pub(crate) fn new(config: SessionConfig, mode: Mode) -> Self {
        Self {
            config,
            mode,
            clock: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            dirty_views: AtomicUsize::new(0),
            state: Mutex::new(State {
                cookie: None,
                json: empty_json(),
                saved_json: empty_json(),
                lifetime: None,
                saved_lifetime: None,
                canonical: false,
                last_reset: 0,
                key_times: Vec::new(),
                ended: false,
                saved: false,
                error: None,
            }),
        }
    }

    pub(crate) fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across an await or a user callback that
        // could leave the state half-changed, so a poisoned lock still holds
        // consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Which keys of the object a parse for `shape` hands to the view:
    /// claims (see [`crate::expiry`]) never.
    pub(crate) fn keys(&self, shape: Shape, keep_rest: bool) -> Keys<'static> {
        let codec = self.config.codec();
        let (claims, claims_unless_string) = if !codec.issue_time_in_token() {
            let expiry = self.config.expiry();
            let pyjwt = codec.pyjwt_claims();
            (expiry.claim_keys(pyjwt), expiry.string_claim_keys(pyjwt))
        } else {
            (expiry::FERNET_CLAIMS, &[][..])
        };
        Keys {
            shape,
            claims,
            claims_unless_string,
            keep_rest,
        }
    }

    /// The keys a session may not hold, or only with some values: see
    /// [`check_key`](Self::check_key).
    pub(crate) fn checked_keys(&self) -> &'static [&'static str] {
        let codec = self.config.codec();
        if !codec.issue_time_in_token() {
            self.config.expiry().checked_keys(codec.pyjwt_claims())
        } else {
            expiry::FERNET_CLAIMS
        }
    }

    /// Refuses a key the configuration reserves for claims.
    pub(crate) fn check_key(&self, key: &str, value: &Value) -> Result<(), SaveError> {
        let codec = self.config.codec();
        if !codec.issue_time_in_token() {
            self.config
                .expiry()
                .check_key(key, value, codec.pyjwt_claims())
        } else {
            expiry::check_fernet_key(key)
        }
    }

    /// A new change time, later than every other.
    pub(crate) fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The latest change time handed out.
    pub(crate) fn last_tick(&self) -> u64 {
        self.clock.load(Ordering::Relaxed)
    }

    /// A view has changes it has not handed back.
    pub(crate) fn view_changed(&self) {
        self.dirty_views.fetch_add(1, Ordering::AcqRel);
    }

    /// Decodes the request's cookie, the first time only.
    pub(crate) fn load(&self, headers: &HeaderMap) {
        let mut state = self.state();
        if state.cookie.is_none() {
            self.load_cookie(&mut state, headers);
        }
    }

    /// The session's JSON text as it now is.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let state = self.state();
        Snapshot {
            json: Arc::clone(&state.json),
            generation: self.generation(),
        }
    }

    /// A parse found claims inside the object (a cookie written elsewhere):
    /// takes them out once, checking them; the caller reads again.
    pub(crate) fn take_inner_claims(&self) {
        let mut state = self.state();
        if !state.canonical {
            self.canonicalize(&mut state);
        }
    }

    /// Whether the JSON text is known to hold no claims.
    pub(crate) fn is_canonical(&self) -> bool {
        self.state().canonical
    }

    /// A parse of generation `read` found no claim among the object's keys:
    /// the text holds none, if it is still the current one.
    pub(crate) fn confirm_canonical(&self, read: u64) {
        let mut state = self.state();
        if self.generation() == read {
            state.canonical = true;
        }
    }

    /// A parse found the JSON text invalid: the cookie is refused.
    pub(crate) fn invalid_json(&self) {
        let mut state = self.state();
        reject(&mut state, Rejection::NotAnObject);
        self.bump();
    }

    /// The login the session holds (the id under `"id"` and the auth
    /// digest), without parsing anything else.
    pub(crate) fn login(&self, headers: &HeaderMap) -> object::Login {
        self.load(headers);
        for _ in 0..3 {
            let snapshot = self.snapshot();
            let keys = self.keys(Shape::Map, false);
            match object::login(&snapshot.json, keys.claims, keys.claims_unless_string) {
                Ok((login, claims)) if claims.is_empty() => {
                    self.confirm_canonical(snapshot.generation);
                    return login;
                }
                Ok(_) => self.take_inner_claims(),
                Err(error) if error.is_data() => return object::Login::default(),
                Err(_) => self.invalid_json(),
            }
        }
        object::Login::default()
    }

    /// The session's own lifetime in seconds, capped, if it has one.
    pub(crate) fn lifetime(&self) -> Option<u64> {
        let mut state = self.state();
        if state.cookie.is_some() && !state.canonical {
            self.canonicalize(&mut state);
        }
        state.lifetime
    }

    /// Takes a changed view's changes, last made at `time`, from a view that
    /// read generation `read`. `handover` is told whether the view may hand
    /// back its whole text. Returns what the view now matches, if it handed
    /// back its whole text.
    pub(crate) fn hand_over(
        &self,
        read: u64,
        time: u64,
        handover: impl FnOnce(bool) -> Result<Handover, SaveError>,
    ) -> Result<Option<Snapshot>, SaveError> {
        let mut state = self.state();
        let others = self
            .dirty_views
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            })
            .map_or(0, |n| n.saturating_sub(1));
        let whole = others == 0 && self.generation() == read;
        if state.saved {
            tracing::warn!(
                "the session changed after it was saved: the change is lost. Change it before the \
                 handler returns, in a middleware inside SessionLayer"
            );
        }
        match handover(whole)? {
            Handover::Whole(json) => {
                state.json = Arc::new(json);
                Ok(Some(Snapshot {
                    json: Arc::clone(&state.json),
                    generation: self.bump(),
                }))
            }
            Handover::Keys(keys) => {
                self.apply_keys(&mut state, keys, time)?;
                self.bump();
                Ok(None)
            }
        }
    }

    /// Applies a change to the session as a whole, made now.
    pub(crate) fn apply(&self, op: Op) -> Result<(), SaveError> {
        let mut state = self.state();
        let time = self.tick();
        match op {
            Op::Reset { end } => {
                if state.cookie.is_some() && !state.canonical {
                    // What is reset must have been checked first.
                    self.canonicalize(&mut state);
                }
                state.json = empty_json();
                state.lifetime = None;
                state.last_reset = time;
                state.key_times.clear();
                state.ended |= end;
                if let Some(cookie) = &mut state.cookie {
                    // Ending forgets the claims the old token carried too.
                    cookie.carried.clear();
                }
            }
            Op::Keys(keys) => self.apply_keys(&mut state, keys, time)?,
            Op::Lifetime(own) => {
                if !state.canonical {
                    // The cookie's own lifetime must be known before it is replaced.
                    self.canonicalize(&mut state);
                }
                state.lifetime = own.map(|own| self.config.expiry().cap(own));
            }
        }
        self.bump();
        Ok(())
    }

    fn bump(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Applies key changes made at `time`, except where the key was written,
    /// or the session reset, after that.
    fn apply_keys(
        &self,
        state: &mut State,
        keys: Vec<(String, Option<Value>)>,
        time: u64,
    ) -> Result<(), SaveError> {
        if time < state.last_reset {
            return Ok(());
        }
        if !state.canonical {
            self.canonicalize(state);
        }
        for (key, value) in &keys {
            if let Some(value) = value {
                self.check_key(key, value)?;
            }
        }
        let mut object: Object = serde_json::from_slice(&state.json)?;
        for (key, value) in keys {
            let later = state
                .key_times
                .iter()
                .any(|(written, at)| *written == key && *at > time);
            if later {
                continue;
            }
            match value {
                Some(value) => {
                    object.insert(key.clone(), value);
                }
                None => {
                    object.remove(&key);
                }
            }
            state.key_times.retain(|(written, _)| *written != key);
            state.key_times.push((key, time));
        }
        state.json = Arc::new(serde_json::to_vec(&object)?);
        Ok(())
    }

    /// Records a change that could not be handed back.
    pub(crate) fn fail(&self, error: SaveError) {
        tracing::error!(error = %error, "session change lost");
        self.state().error.get_or_insert(error);
    }

    /// The cookie the request carried, if it was read and accepted, its
    /// claims checked first.
    pub(crate) fn cookie_info(&self) -> Option<CookieInfo> {
        let mut state = self.state();
        if !state.canonical {
            self.canonicalize(&mut state);
        }
        let received = state.cookie.as_ref()?.received?;
        let lifetime = self
            .config
            .expiry()
            .lifetime_of(received.lifetime)
            .map(std::time::Duration::from_secs);
        Some(received.info(self.config.session_type(), lifetime))
    }

    /// Whether anything read the session during this request.
    pub(crate) fn was_read(&self) -> bool {
        self.state().cookie.is_some()
    }

    /// Manual mode, after the handler: a change that failed is an error, and
    /// a change the handler did not save is logged.
    pub(crate) fn check_saved(&self) -> Result<(), SaveError> {
        let mut state = self.state();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        let lifetime_changed = state.lifetime != state.saved_lifetime;
        if state.cookie.is_some()
            && (state.json != state.saved_json || state.ended || lifetime_changed)
        {
            tracing::warn!(
                "the session changed but was not saved: return it from the handler (manual mode), \
                 or use SessionLayer::new for auto-saved sessions"
            );
        }
        Ok(())
    }

    /// The `Set-Cookie` values to send, if the session changed since it was
    /// loaded (or last saved): none when it did not. Taking them marks the
    /// session saved. On error nothing is sent and the cookie is unchanged.
    pub(crate) fn take_set_cookies(&self) -> Result<Vec<HeaderValue>, SaveError> {
        let mut state = self.state();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        if state.cookie.is_some() && !state.canonical {
            // Nothing checked the claims inside the object yet: a cookie is
            // never written (or re-issued) from text that was not checked.
            self.canonicalize(&mut state);
        }
        let State {
            cookie,
            json,
            saved_json,
            lifetime,
            saved_lifetime,
            ended,
            saved,
            ..
        } = &mut *state;
        let Some(cookie) = cookie.as_mut() else {
            return Ok(Vec::new());
        };
        *saved = true;
        let changed =
            (!Arc::ptr_eq(json, saved_json) && json != saved_json) || lifetime != saved_lifetime;
        let headers = if *ended && **json == EMPTY {
            // Ended and nothing stored since: remove the cookie, if there was one.
            let headers = if cookie.present {
                chunks::remove(&self.config, cookie.chunks)
            } else {
                Vec::new()
            };
            cookie.present = false;
            cookie.chunks = 0;
            headers
        } else if changed || cookie.reissue != Reissue::No {
            match self.write(cookie, json, *lifetime, changed) {
                Ok(headers) => headers,
                // A re-issue the handler did not ask for must not fail its
                // response: the cookie the client has still works.
                Err(err) if !changed => {
                    tracing::warn!(error = %err, "session cookie not re-issued");
                    Vec::new()
                }
                Err(err) => return Err(err),
            }
        } else {
            Vec::new()
        };
        *saved_json = Arc::clone(json);
        *saved_lifetime = *lifetime;
        *ended = false;
        cookie.reissue = Reissue::No;
        Ok(headers)
    }

    /// The `Set-Cookie` values that store `json`, with the session's own
    /// `lifetime` if it has one.
    fn write(
        &self,
        cookie: &mut Cookie,
        json: &[u8],
        lifetime: Option<u64>,
        changed: bool,
    ) -> Result<Vec<HeaderValue>, SaveError> {
        let config = &self.config;
        let now = cookie.now;
        let issued_at = match (changed, cookie.reissue) {
            (false, Reissue::FallbackKey) => cookie.issued_at.unwrap_or(now),
            _ => now,
        };
        let token = if !config.codec().issue_time_in_token() {
            let mut stamped = Vec::with_capacity(json.len() + JSON_SLACK);
            stamped.extend_from_slice(json);
            config
                .expiry()
                .stamp(&mut stamped, &cookie.carried, lifetime, issued_at);
            config.codec().encode(&stamped, issued_at)
        } else if lifetime.is_some() {
            let mut stamped = Vec::with_capacity(json.len() + JSON_SLACK);
            stamped.extend_from_slice(json);
            expiry::stamp_own_lifetime(&mut stamped, lifetime);
            config.codec().encode(&stamped, issued_at)
        } else {
            config.codec().encode(json, issued_at)
        };
        // A remembered session's cookie lasts as long as the server accepts it.
        let max_age = lifetime.map(|lifetime| {
            let age = now.saturating_sub(issued_at);
            lifetime.saturating_sub(age)
        });
        let (headers, chunks) = chunks::store(config, &token, max_age, cookie.chunks)?;
        cookie.present = true;
        cookie.chunks = chunks;
        cookie.issued_at = Some(issued_at);
        Ok(headers)
    }

    /// Finds the session cookie in the request and decodes it. Anything that
    /// does not decode is an empty session; why is logged at debug level.
    fn load_cookie(&self, state: &mut State, headers: &HeaderMap) {
        let mut cookie = Cookie {
            present: false,
            chunks: 0,
            carried: Carried::new(),
            reissue: Reissue::No,
            issued_at: None,
            received: None,
            now: self.config.now(),
        };
        let Some(found) = chunks::find(headers, self.config.cookie_name()) else {
            state.cookie = Some(cookie);
            state.canonical = true;
            return;
        };
        cookie.present = true;
        cookie.chunks = found.chunks;
        let size = found.token.as_ref().map_or(0, String::len);
        let decoded = found
            .token
            .and_then(|token| self.decode(&token, &mut cookie));
        state.cookie = Some(cookie);
        match decoded {
            Ok((json, lifetime, canonical, fallback_key)) => {
                tracing::trace!("session cookie decoded");
                if let Some(cookie) = &mut state.cookie {
                    cookie.received = Some(Received {
                        size,
                        chunks: cookie.chunks,
                        issued_at: cookie.issued_at,
                        lifetime,
                        fallback_key,
                    });
                }
                let json = Arc::new(json);
                state.json = Arc::clone(&json);
                state.saved_json = json;
                state.lifetime = lifetime;
                state.saved_lifetime = lifetime;
                state.canonical = canonical;
                if !canonical && self.must_find_issue_time(state) {
                    self.canonicalize(state);
                }
            }
            Err(rejection) => reject(state, rejection),
        }
    }

    /// Verifies a cookie value and takes off the claims this crate stamps
    /// at its end. Returns the JSON text, the session's own lifetime,
    /// whether the text is known to hold no claims, and whether a fallback
    /// key verified it.
    fn decode(&self, token: &str, cookie: &mut Cookie) -> Result<Decoded, Rejection> {
        let config = &self.config;
        let now = cookie.now;
        let decoded = config.codec().decode(token, now)?;
        let by_fallback_key = decoded.by_fallback_key;
        let mut json = decoded.json;
        let (issued_at, lifetime, canonical) = match decoded.timestamp {
            Some(timestamp) => {
                let lifetime = expiry::peel_own_lifetime(&mut json);
                let canonical = lifetime.is_some() || !expiry::mentions_own_lifetime(&json);
                (Some(timestamp), lifetime, canonical)
            }
            None => {
                let (issued_at, lifetime) = config.expiry().peel(&mut json, now)?;
                (issued_at, lifetime, false)
            }
        };
        if json.trim_ascii_start().first() != Some(&b'{') {
            return Err(Rejection::NotAnObject);
        }
        let renew = config.expiry().check(issued_at, lifetime, now)?;
        cookie.issued_at = issued_at;
        cookie.reissue = self.reissue(renew, by_fallback_key, issued_at);
        Ok((json, lifetime, canonical, by_fallback_key))
    }

    /// Why a cookie is re-issued: renewal wins over a fallback key, since both
    /// write the current key and renewal also moves the issue time.
    ///
    /// A fallback-key cookie without an issue time is not re-issued while a
    /// lifetime is set: it has no time to keep, and a fresh one would let it
    /// outlive the old key by up to a lifetime. It keeps working under the
    /// old key until that key is dropped (or the session changes, which
    /// writes a fresh cookie, as any change does).
    fn reissue(&self, renew: bool, by_fallback_key: bool, issued_at: Option<u64>) -> Reissue {
        if renew {
            Reissue::Renew
        } else if by_fallback_key && (issued_at.is_some() || self.config.lifetime().is_none()) {
            Reissue::FallbackKey
        } else {
            Reissue::No
        }
    }

    /// Whether a cookie with no issue time at its end must be searched for
    /// one right away, because it is refused without one.
    fn must_find_issue_time(&self, state: &State) -> bool {
        let no_issue_time = state
            .cookie
            .as_ref()
            .is_some_and(|cookie| cookie.issued_at.is_none());
        no_issue_time && self.config.expiry().requires_issue_time()
    }

    /// Takes the claims out of the whole object and checks them (the slow
    /// way, for cookies this crate did not write).
    fn canonicalize(&self, state: &mut State) {
        state.canonical = true;
        let peeled_lifetime = state.lifetime;
        let result = (|| {
            let mut object: Object =
                serde_json::from_slice(&state.json).map_err(|_| Rejection::NotAnObject)?;
            let cookie = state.cookie.as_ref();
            let now = cookie.map_or_else(|| self.config.now(), |cookie| cookie.now);
            let expiry = self.config.expiry();
            let peeled = cookie.and_then(|cookie| cookie.issued_at);
            let (found, found_lifetime, carried) = if self.config.codec().issue_time_in_token() {
                // Fernet: the issue time is the token's own.
                let lifetime = expiry::take_own_lifetime(&mut object)?;
                (None, lifetime, Carried::new())
            } else {
                expiry.take_claims(&mut object, now, self.config.codec().pyjwt_claims())?
            };
            // A claim at the end and the same claim inside: not a cookie
            // this crate (or muffin-session) wrote.
            let issued_at = one_of(peeled, found)?;
            let lifetime = one_of(peeled_lifetime, found_lifetime)?;
            let renew = expiry.check(issued_at, lifetime, now)?;
            let json = serde_json::to_vec(&object).map_err(|_| Rejection::NotAnObject)?;
            Ok((json, issued_at, lifetime, carried, renew))
        })();
        match result {
            Ok((json, issued_at, lifetime, carried, renew)) => {
                let json = Arc::new(json);
                state.json = Arc::clone(&json);
                state.saved_json = json;
                state.lifetime = lifetime;
                state.saved_lifetime = lifetime;
                if let Some(cookie) = &mut state.cookie {
                    let by_fallback_key = cookie.reissue == Reissue::FallbackKey;
                    cookie.issued_at = issued_at;
                    if let Some(received) = &mut cookie.received {
                        received.issued_at = issued_at;
                        received.lifetime = lifetime;
                    }
                    cookie.carried = carried;
                    cookie.reissue = self.reissue(renew, by_fallback_key, issued_at);
                }
            }
            Err(rejection) => reject(state, rejection),
        }
        self.bump();
    }
}

/// The request's shared session, put there by [`SessionLayer`](crate::SessionLayer).
pub(crate) fn request_session(parts: &Parts) -> Result<Arc<RequestSession>, SessionRejection> {
    parts
        .extensions
        .get::<Arc<RequestSession>>()
        .cloned()
        .ok_or(SessionRejection::MissingLayer)
}

/// A claim found at the end of the object or inside it, not both.
fn one_of(peeled: Option<u64>, found: Option<u64>) -> Result<Option<u64>, Rejection> {
    match (peeled, found) {
        (Some(_), Some(_)) => Err(Rejection::Malformed),
        (peeled, found) => Ok(peeled.or(found)),
    }
}

/// What [`RequestSession::decode`] returns.
type Decoded = (Vec<u8>, Option<u64>, bool, bool);

/// The cookie is refused: an empty session, logged at debug level.
fn reject(state: &mut State, rejection: Rejection) {
    tracing::debug!(reason = rejection.as_str(), "session cookie rejected");
    state.json = empty_json();
    state.saved_json = empty_json();
    state.lifetime = None;
    state.saved_lifetime = None;
    state.canonical = true;
    if let Some(cookie) = &mut state.cookie {
        cookie.carried.clear();
        cookie.issued_at = None;
        cookie.received = None;
        cookie.reissue = Reissue::No;
    }
}

/// Room for the claims a cookie carries at its end, so stamping them does
/// not reallocate.
const JSON_SLACK: usize = 64;
