//! The session one request shares among its views.
//!
//! [`SessionLayer`](crate::SessionLayer) puts one [`RequestSession`] in each
//! request's extensions. The first view that reads the session loads the
//! cookie ([`super::load`]); every view then reads its keys from here and
//! hands its changes back here; whoever saves (the layer after the handler,
//! or a `Session` returned in the response) asks it for the `Set-Cookie`
//! values ([`super::save`]).
//!
//! # Changes apply in the order the handler makes them
//!
//! Each change is stamped with a time from one counter. Changes made
//! through a method apply at once. A view changed through `DerefMut` hands
//! its changes back, stamped with the time of its last change, when it is
//! dropped, saved, or changed again after another view's change. A change
//! handed back late never overrides a later one: a key written (or the
//! session ended or cleared) after it keeps its later value.
//!
//! # Changes the crate makes itself
//!
//! Renewing a login's auth digest (after a key rotation, or for a login
//! that had none) and ending a revoked login are not the handler's
//! changes: they never move the cookie's issue time, and in manual mode
//! they are written when the handler returns the session, and are not
//! warned about when it does not.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::request::Parts;
use http::{HeaderMap, HeaderValue};

use super::load::{load, Loaded, Reissue};
use super::save::{save, Outgoing};
use crate::config::SessionConfig;
use crate::cookie_info::CookieInfo;
use crate::error::{SaveError, SessionRejection};
use crate::wire::object::{Login, Object, AUTH_HASH_KEY};

/// Who writes the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The layer, after the handler.
    Auto,
    /// The handler, by returning the session in its response.
    Manual,
}

/// A change to the session.
#[derive(Debug)]
pub(crate) enum Change {
    /// Set (`Some`, JSON text) or remove (`None`) keys.
    Keys(Vec<(String, Option<String>)>),
    /// Forget every key and the session's own lifetime; `end` also removes
    /// the cookie if nothing is stored after.
    Reset { end: bool },
    /// A lifetime of its own in seconds (capped), or (`None`) the
    /// configured one.
    Lifetime(Option<u64>),
}

/// One request's session, shared through the request extensions.
pub(crate) struct RequestSession {
    config: SessionConfig,
    mode: Mode,
    /// Hands out the times changes are stamped with.
    clock: AtomicU64,
    /// Views holding changes they have not handed back.
    holding: AtomicUsize,
    /// A [`CsrfToken`](crate::CsrfToken) was taken: a login stores a fresh one.
    csrf_tokens: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `None` until something reads the session.
    loaded: Option<Loaded>,
    /// Counts the changes applied, so a view can tell whether what it read
    /// is still current.
    generation: u64,
    /// The handler changed the session since it was loaded or saved.
    changed: bool,
    /// The session was ended: an empty session then removes the cookie.
    ended: bool,
    /// When the session was last ended or cleared.
    last_reset: u64,
    /// When each key was last written.
    key_times: Vec<(String, u64)>,
    /// The login's auth digest was checked against its user this request.
    digest_checked: bool,
    /// The cookie was written: later changes would be lost.
    written: bool,
    /// A change that could not be handed back: the response must not
    /// pretend it was saved.
    error: Option<SaveError>,
}

impl RequestSession {
    pub(crate) fn new(config: SessionConfig, mode: Mode) -> Self {
        Self {
            config,
            mode,
            clock: AtomicU64::new(0),
            holding: AtomicUsize::new(0),
            csrf_tokens: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The request uses CSRF form tokens.
    pub(crate) fn use_csrf_tokens(&self) {
        self.csrf_tokens.store(true, Ordering::Relaxed);
    }

    /// Whether the request uses CSRF form tokens.
    pub(crate) fn uses_csrf_tokens(&self) -> bool {
        self.csrf_tokens.load(Ordering::Relaxed)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across an await, and every change to the
        // state is made whole before a call that could panic, so a
        // poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Loads the request's cookie, the first time only.
    pub(crate) fn load(&self, headers: &HeaderMap) {
        let mut state = self.state();
        if state.loaded.is_none() {
            let loaded = load(&self.config, headers, self.config.now());
            // An expired session ends: its cookie is removed unless the
            // handler stores something new.
            state.ended |= loaded.expired;
            state.loaded = Some(loaded);
        }
    }

    /// Calls `read` with the session as it now is, and returns what it
    /// returned with the session's generation.
    pub(crate) fn read<R>(&self, read: impl FnOnce(&Object) -> R) -> (R, u64) {
        let state = self.state();
        let object = state.loaded.as_ref().map(|loaded| &loaded.object);
        let empty = Object::default();
        (read(object.unwrap_or(&empty)), state.generation)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.state().generation
    }

    /// A new change time, later than every other.
    pub(crate) fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The latest change time handed out.
    pub(crate) fn last_tick(&self) -> u64 {
        self.clock.load(Ordering::Relaxed)
    }

    /// A view started (`true`) or stopped holding changes it has not
    /// handed back.
    pub(crate) fn holds(&self, holding: bool) {
        if holding {
            self.holding.fetch_add(1, Ordering::AcqRel);
        } else {
            let _ = self
                .holding
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        }
    }

    /// How many views hold changes they have not handed back.
    pub(crate) fn holding(&self) -> usize {
        self.holding.load(Ordering::Acquire)
    }

    /// Applies changes made now. Returns the new generation.
    pub(crate) fn apply_now(&self, changes: Vec<Change>) -> Result<u64, SaveError> {
        self.apply(changes, self.tick())
    }

    /// Applies changes made at `time`, except where a key was written, or
    /// the session reset, after that. Nothing is applied if a key is one
    /// the config reserves. Returns the new generation.
    pub(crate) fn apply(&self, changes: Vec<Change>, time: u64) -> Result<u64, SaveError> {
        for change in &changes {
            if let Change::Keys(keys) = change {
                for (key, value) in keys {
                    if let Some(value) = value {
                        self.config.claims().check_key(key, value)?;
                    }
                }
            }
        }
        let mut state = self.state();
        if state.written {
            tracing::warn!(
                "the session changed after it was saved: the change is lost. Change it before \
                 the handler returns, in a middleware inside SessionLayer"
            );
        }
        for change in changes {
            self.apply_one(&mut state, change, time);
        }
        state.generation += 1;
        Ok(state.generation)
    }

    fn apply_one(&self, state: &mut State, change: Change, time: u64) {
        let State {
            loaded,
            changed,
            ended,
            last_reset,
            key_times,
            ..
        } = state;
        let Some(loaded) = loaded.as_mut() else {
            return;
        };
        match change {
            Change::Keys(_) if time < *last_reset => {}
            Change::Keys(keys) => {
                for (key, value) in keys {
                    let later = key_times
                        .iter()
                        .any(|(written, at)| *written == key && *at > time);
                    if later {
                        continue;
                    }
                    *changed |= match &value {
                        Some(value) => loaded.object.set(&key, value),
                        None => loaded.object.remove(&key),
                    };
                    key_times.retain(|(written, _)| *written != key);
                    key_times.push((key, time));
                }
            }
            Change::Reset { end } => {
                *changed |= !loaded.object.is_empty() || loaded.claims.lifetime.is_some();
                loaded.object = Object::default();
                loaded.claims.lifetime = None;
                // Ending or clearing forgets the claims the old token carried too.
                loaded.claims.carried.clear();
                *last_reset = time;
                key_times.clear();
                *ended |= end;
            }
            Change::Lifetime(own) => {
                let own = own.map(|own| self.config.expiry().cap(own));
                *changed |= loaded.claims.lifetime != own;
                loaded.claims.lifetime = own;
            }
        }
    }

    /// The crate's own change: the login's auth digest, checked against its
    /// user, is renewed (`Some`, under the current key) or was current.
    /// A renewed digest is written with the cookie's issue time kept.
    pub(crate) fn digest_checked(&self, renewed: Option<String>) {
        let mut state = self.state();
        state.digest_checked = true;
        let Some(digest) = renewed else {
            return;
        };
        if let Some(loaded) = state.loaded.as_mut() {
            let value = serde_json::to_string(&digest).unwrap_or_default();
            loaded.object.set(AUTH_HASH_KEY, &value);
            if loaded.reissue == Reissue::No {
                loaded.reissue = Reissue::KeepIssueTime;
            }
        }
        state.generation += 1;
    }

    /// The crate's own change: the login was revoked, so the session ends
    /// and its cookie is removed.
    pub(crate) fn revoke(&self) {
        let time = self.tick();
        let mut state = self.state();
        state.digest_checked = true;
        if let Some(loaded) = state.loaded.as_mut() {
            loaded.object = Object::default();
            loaded.claims = Default::default();
        }
        state.ended = true;
        state.last_reset = time;
        state.key_times.clear();
        state.generation += 1;
    }

    /// The login the session holds (the id under `"id"` and the auth
    /// digest).
    pub(crate) fn login(&self) -> Login {
        self.read(Object::login).0
    }

    /// The session's own lifetime in seconds, capped, if it has one.
    pub(crate) fn lifetime(&self) -> Option<u64> {
        let state = self.state();
        let own = state.loaded.as_ref()?.claims.lifetime?;
        Some(self.config.expiry().cap(own))
    }

    /// Records a change that could not be handed back.
    pub(crate) fn fail(&self, error: SaveError) {
        tracing::error!(error = %error, "session change lost");
        self.state().error.get_or_insert(error);
    }

    /// The cookie the request carried, if it was read and accepted.
    pub(crate) fn cookie_info(&self) -> Option<CookieInfo> {
        let state = self.state();
        let received = state.loaded.as_ref()?.received?;
        let lifetime = self
            .config
            .expiry()
            .lifetime_of(received.lifetime)
            .map(std::time::Duration::from_secs);
        Some(received.info(self.config.session_type(), lifetime))
    }

    /// Whether anything read the session during this request.
    pub(crate) fn was_read(&self) -> bool {
        self.state().loaded.is_some()
    }

    /// Manual mode, after the handler: a change that failed is an error, and
    /// a change the handler did not save is logged.
    pub(crate) fn check_saved(&self) -> Result<(), SaveError> {
        let mut state = self.state();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        if state.changed {
            tracing::warn!(
                "the session changed but was not saved: return it from the handler (manual \
                 mode), or use SessionLayer::new for auto-saved sessions"
            );
        }
        Ok(())
    }

    /// The `Set-Cookie` values to send, if the session changed since it was
    /// loaded (or last saved), or is re-issued: none otherwise. Taking them
    /// marks the session saved. On error nothing is sent and the cookie is
    /// unchanged.
    pub(crate) fn take_set_cookies(&self) -> Result<Vec<HeaderValue>, SaveError> {
        let mut state = self.state();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        let State {
            loaded,
            changed,
            ended,
            digest_checked,
            written,
            ..
        } = &mut *state;
        let Some(loaded) = loaded.as_mut() else {
            return Ok(Vec::new());
        };
        *written = true;
        let saved = save(
            &self.config,
            &Outgoing {
                object: &loaded.object,
                claims: &loaded.claims,
                changed: *changed,
                ended: *ended,
                reissue: reissue(loaded, *digest_checked, self.config.lifetime().is_some()),
                present: loaded.present,
                chunks: loaded.chunks,
                now: loaded.now,
            },
        )?;
        loaded.present = saved.present;
        loaded.chunks = saved.chunks;
        loaded.reissue = Reissue::No;
        if saved.issued_at.is_some() {
            loaded.claims.issued_at = saved.issued_at;
        }
        *changed = false;
        *ended = false;
        Ok(saved.set_cookies)
    }
}

/// The re-issue the cookie gets, if any: every rule that holds a re-issue
/// back is here.
///
/// A cookie that came under a fallback key is not re-signed when
/// - it has no issue time to keep while a lifetime is set: a fresh one would
///   let it outlive the old key by up to a lifetime (it keeps working under
///   the old key until that key is dropped, or the session changes);
/// - it holds an auth digest nobody checked this request: the digest may be
///   the old key's too, and can only be renewed with its user at hand;
///   re-signed alone, it would be refused once the old key is dropped.
fn reissue(loaded: &Loaded, digest_checked: bool, lifetime: bool) -> Reissue {
    let by_fallback_key = loaded
        .received
        .is_some_and(|received| received.fallback_key);
    if !by_fallback_key {
        return loaded.reissue;
    }
    let no_time_to_keep = lifetime && loaded.claims.issued_at.is_none();
    let unchecked_digest = !digest_checked && loaded.object.get(AUTH_HASH_KEY).is_some();
    if no_time_to_keep || unchecked_digest {
        Reissue::No
    } else {
        loaded.reissue
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
