//! [`Session<T>`]: the session extractor, a typed or map view of the session.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponseParts, ResponseParts};
use http::request::Parts;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::SessionConfig;
use crate::cookie_info::CookieInfo;
use crate::csrf::random::{new_token, CSRF_TOKEN_KEY};
use crate::error::{SaveError, SessionRejection};
use crate::headers::add_set_cookies;
use crate::state::shared::{request_session, Change, Mode, RequestSession};
use crate::state::view::{self, Shape, WriteError};
use crate::user::login_keys;
use crate::wire::object::{Object, AUTH_HASH_KEY, USER_ID_KEY};

/// The session of the current request, as a `T`.
///
/// `T` defaults to a JSON object ([`serde_json::Map`]), used like a dict
/// ([`get`](Session::get), [`insert`](Session::insert), [`remove`](Session::remove),
/// [`clear`](Session::clear)). Any struct or map `T: Serialize +
/// DeserializeOwned + Default` is a typed view of the same object: it reads
/// the keys it names straight from the cookie's JSON, and keys it does not
/// name are left as they were, so several typed views (and other services
/// sharing the cookie) can share one session. A `T` that is not a struct or
/// a map (`struct Counter(usize)`, a tuple, an enum) cannot be a session:
/// extracting it is a `500` whose log names the type
/// ([`SessionRejection::NotAnObject`]).
///
/// A cookie that is missing, forged, expired, made with another key or not
/// decodable at all gives an empty session (`T::default()`), never an error.
/// A cookie whose object does not fit `T` gives `T::default()` too, and then
/// only the fields the handler changes are written.
///
/// # What is a change
///
/// A view writes the fields whose value differs from what they were when
/// the view read them, and only those. A field the cookie did not hold that
/// is still at its default is not written, so an untouched or emptied view
/// sets no cookie and adds no `null` keys: `std::mem::take(&mut
/// flash.messages)` on a session without messages writes nothing. A field
/// the cookie held keeps its value as it came, byte for byte, unless the
/// handler changed it.
///
/// # Changes apply in the order the handler makes them
///
/// Several views of one request share one session. Changes apply in the
/// order the handler makes them, whatever order the views are declared or
/// dropped in: [`end`](Self::end) drops what was stored before it, through
/// any view, and keeps what is stored after it. For each key, the change
/// made last wins.
///
/// Changes made through a method ([`insert`](Self::insert),
/// [`remove`](Self::remove), [`login`](Self::login),
/// [`login_user`](Self::login_user), [`logout`](Self::logout),
/// [`end`](Self::end), [`clear`](Self::clear),
/// [`set_lifetime`](Self::set_lifetime)) apply at once: every view read
/// after them sees them, in the same middleware or handler or in the ones
/// it calls. Changes made through `DerefMut` (`cart.items.push(..)`) are
/// handed to the session when the view is dropped (or saved, or changed
/// again after another view's change). Change one view through `DerefMut`
/// at a time: while two views hold such changes, which one wins a key they
/// share is not ordered (the crate logs a warning).
///
/// So the one case a middleware must handle itself is a typed view changed
/// through `DerefMut` and still held while it calls `next.run(request)`: the
/// handler does not see that change. Drop the view (or call
/// [`into_inner`](Self::into_inner)) first; the crate logs a warning when a
/// view is read while another holds such changes.
///
/// ```
/// use axum::{extract::Request, middleware::Next, response::Response};
/// use axum_cookie_session::Session;
///
/// async fn count_visits(mut session: Session, request: Request, next: Next) -> Response {
///     let visits = session.get_as::<u64>("visits").unwrap_or(0);
///     let _ = session.insert("visits", visits + 1); // the handler sees it
///     next.run(request).await
/// }
/// ```
///
/// # Saving
///
/// - **Auto mode** ([`SessionLayer::new`](crate::SessionLayer::new)): every
///   change is saved after the handler, whatever it returns.
/// - **Manual mode** ([`SessionLayer::manual`](crate::SessionLayer::manual)):
///   return the session in the response (it implements
///   [`IntoResponseParts`]), like muffin-session's `save_to_response`. Put it
///   after any header parts of the tuple (`(headers, session, body)`): axum
///   applies parts left to right, and the session makes the `Cache-Control`
///   it finds `private` when it sets a cookie, which a later part would undo.
///
/// `Set-Cookie` is sent only if the session changed (or its cookie is
/// re-issued: renewed, or moved to the current key). A session that cannot
/// be saved (a value that does not serialize, a reserved key, a session too
/// big for its cookies) is a `500`, never a silent `200`.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_cookie_session::{Session, SessionConfig, SessionLayer};
///
/// async fn update(mut session: Session) -> Result<&'static str, axum_cookie_session::SaveError> {
///     session.insert("var", "value")?;
///     Ok("Session updated.")
/// }
///
/// async fn load(session: Session) -> String {
///     session.get_as::<String>("var").unwrap_or_default()
/// }
///
/// # fn app(config: SessionConfig) -> Router {
/// Router::new()
///     .route("/update", get(update))
///     .route("/load", get(load))
///     .layer(SessionLayer::new(config))
/// # }
/// ```
pub struct Session<T: SessionData = Map<String, Value>> {
    value: T,
    shape: Shape,
    request: Arc<RequestSession>,
    /// The shared session's generation `value` was read from.
    generation: u64,
    /// What `value` serialized to before its first change: set while the
    /// view holds changes it has not handed back.
    baseline: Option<Object>,
    /// When `value` was last changed, while the change is not handed back.
    changed_at: Option<u64>,
}

/// A view's generation once it handed back changes: it reads the session
/// again before its next change.
const STALE: u64 = u64::MAX;

/// What a [`Session<T>`] view can be: a struct with named fields (or a
/// map) that serde reads and writes, with a `Default` for a session that
/// holds nothing yet. Implemented for every such type: derive
/// `Default, Serialize, Deserialize` and it is one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a `Session<{Self}>`: a session type needs `Default`, `Serialize` and `Deserialize`",
    label = "this session type",
    note = "derive them: `#[derive(Default, Serialize, Deserialize)]` on `{Self}`"
)]
pub trait SessionData: Serialize + DeserializeOwned + Default + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Default + Send + 'static> SessionData for T {}

impl<T: SessionData> Session<T> {
    /// A view of the request's session as `T`.
    fn read(request: Arc<RequestSession>, headers: &HeaderMap) -> Result<Self, SessionRejection> {
        let shape = view::shape_of::<T>();
        if shape == Shape::NotAnObject {
            return Err(SessionRejection::NotAnObject {
                type_name: std::any::type_name::<T>(),
            });
        }
        request.load(headers);
        if request.holding() > 0 {
            tracing::warn!(
                "a session view is read while another view holds changes made through DerefMut: \
                 this view does not see them. Drop the other view (or call into_inner) before \
                 calling `next.run` in a middleware"
            );
        }
        let mut session = Self {
            value: T::default(),
            shape,
            request,
            generation: STALE,
            baseline: None,
            changed_at: None,
        };
        session.reread();
        Ok(session)
    }

    /// Reads `value` from the shared session as it now is.
    fn reread(&mut self) {
        let shape = self.shape;
        let (parsed, generation) = self.request.read(|object| view::parse::<T>(object, shape));
        self.generation = generation;
        self.value = parsed.unwrap_or_else(|_| {
            // The error would quote session values: log the type only.
            tracing::debug!(
                ty = std::any::type_name::<T>(),
                "session does not fit the type; using its default"
            );
            T::default()
        });
    }

    /// Called before every change through `DerefMut`: hands back this
    /// view's earlier changes if another view changed the session since,
    /// reads it again if it moved on, and stamps the change's time.
    fn begin_change(&mut self) {
        let others_changed = self
            .changed_at
            .is_some_and(|time| self.request.last_tick() != time);
        if others_changed || self.request.generation() != self.generation {
            self.hand_over_or_fail();
        }
        if self.request.generation() != self.generation {
            self.reread();
        }
        if self.baseline.is_none() {
            if self.request.holding() > 0 {
                tracing::warn!(
                    "two session views are changed through DerefMut at once: which change wins \
                     a key they share is not ordered. Change one view at a time, or use insert"
                );
            }
            match view::capture(&self.value) {
                Ok(baseline) => self.baseline = Some(baseline),
                Err(err) => self.request.fail(self.write_error(err)),
            }
            self.request.holds(true);
        }
        self.changed_at = Some(self.request.tick());
    }

    /// A change made through a method: this view's own changes go first,
    /// then the change, applied at once; then the view reads the result.
    fn change(&mut self, changes: Vec<Change>) -> Result<(), SaveError> {
        self.hand_over()?;
        let applied = self.request.apply_now(changes);
        self.reread();
        applied.map(drop)
    }

    /// Hands back this view's changes and reads the session again if
    /// another view changed it since, so a method sees what it replaces.
    fn catch_up(&mut self) {
        self.hand_over_or_fail();
        if self.request.generation() != self.generation {
            self.reread();
        }
    }

    /// Reads the session again if another view changed it since this view
    /// read it, so that what it reads next is current: for
    /// [`Messages`](crate::Messages), whose list must not bring back
    /// messages another view's `end` or `clear` dropped.
    pub(crate) fn refresh(&mut self) {
        self.catch_up();
    }

    /// After this view, current, applied a change of its own to `value`
    /// too: it matches the session of generation `applied`, unless another
    /// view changed it in between.
    fn applied(&mut self, applied: u64) {
        if self.generation.checked_add(1) == Some(applied) {
            self.generation = applied;
        } else {
            self.reread();
        }
    }

    fn change_or_fail(&mut self, changes: Vec<Change>) {
        if let Err(err) = self.change(changes) {
            self.request.fail(err);
        }
    }

    /// Ends the whole session: forgets the login and all other data,
    /// including keys `T` does not name, what other views stored before,
    /// and the session's own lifetime, and removes the cookie when saved (an
    /// expired `Set-Cookie`). This is what axum-login's and
    /// tower-sessions' `logout` do; [`logout`](Self::logout) here only
    /// forgets the user.
    ///
    /// Anything stored after `end`, through any view, starts a fresh
    /// session instead, which is how to drop pre-login data at login, or
    /// to leave a notice after logging out:
    ///
    /// ```
    /// use axum::response::Redirect;
    /// use axum_cookie_session::{SaveError, Session};
    ///
    /// async fn log_out(mut session: Session) -> Result<Redirect, SaveError> {
    ///     session.end(); // the login, the theme, the cart: all gone
    ///     session.insert("notice", "Logged out.")?;
    ///     Ok(Redirect::to("/"))
    /// }
    /// ```
    pub fn end(&mut self) {
        self.change_or_fail(vec![Change::Reset { end: true }]);
    }

    /// Removes every key, through every view. The cookie is kept (holding
    /// `{}`); use [`end`](Self::end) to remove it.
    pub fn clear(&mut self) {
        self.change_or_fail(vec![Change::Reset { end: false }]);
    }

    /// Logs a user in: stores `id` under `"id"`, where muffin-session keeps
    /// it and where [`CurrentUser`](crate::CurrentUser) looks. It works on any
    /// `Session<T>`, whether or not `T` names `"id"`. Any `Serialize` id
    /// works: a number, a string, a `Uuid`, a tuple.
    ///
    /// To drop pre-login data (a fresh session at login), call
    /// [`end`](Self::end) first. Logging in resets the session's own
    /// lifetime: call [`set_lifetime`](Self::set_lifetime) after it.
    ///
    /// When the [`UserLoader`](crate::UserLoader) gives a
    /// [`session_auth_hash`](crate::UserLoader::session_auth_hash), log in
    /// with [`login_user`](Self::login_user) instead, so the login can be
    /// revoked from its first request.
    ///
    /// # Errors
    ///
    /// [`SaveError::Json`] if `id` does not serialize.
    pub fn login(&mut self, id: impl Serialize) -> Result<(), SaveError> {
        let id = serde_json::to_string(&id)?;
        let keys = vec![
            (USER_ID_KEY.to_owned(), Some(id)),
            (AUTH_HASH_KEY.to_owned(), None),
        ];
        self.change_login(keys)
    }

    /// Logs `user` in under `id`, as [`login`](Self::login) does, and
    /// stores the keyed digest of the user's
    /// [`session_auth_hash`](crate::UserLoader::session_auth_hash), so that
    /// the login ends when that hash changes (a password change). Call it
    /// again after such a change to keep the browser that made it logged in.
    ///
    /// ```
    /// # use axum_cookie_session::{SaveError, Session};
    /// # #[derive(Clone)] struct User { id: i64 }
    /// async fn logged_in(mut session: Session, user: User) -> Result<(), SaveError> {
    ///     session.end(); // a fresh session
    ///     session.login_user(user.id, &user)
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`SaveError::NoUserLoader`] if no loader for `U` was registered on
    /// the config, [`SaveError::Json`] if `id` does not serialize.
    pub fn login_user<U: 'static>(
        &mut self,
        id: impl Serialize,
        user: &U,
    ) -> Result<(), SaveError> {
        let id = serde_json::to_string(&id)?;
        let keys = login_keys(self.request.config(), id, user)?;
        self.change_login(keys)
    }

    /// Applies a login's keys and resets the session's own lifetime. The
    /// CSRF token never survives a login (one planted before it would still
    /// pass): a fresh one when the request uses tokens, else none until a
    /// form asks for one.
    fn change_login(&mut self, mut keys: Vec<(String, Option<String>)>) -> Result<(), SaveError> {
        let token = if self.request.uses_csrf_tokens() {
            let token = new_token().and_then(|token| serde_json::to_string(&token).ok());
            if token.is_none() {
                tracing::error!(
                    "no CSRF token stored at login: the operating system gave no random bytes"
                );
            }
            token
        } else {
            None
        };
        keys.push((CSRF_TOKEN_KEY.to_owned(), token));
        self.change(vec![Change::Keys(keys), Change::Lifetime(None)])
    }

    /// Logs the user out the way muffin-session does: forgets the user (the
    /// id, its auth digest and the session's own lifetime) but keeps the
    /// rest of the session, such as a theme or a cart, in a cookie that now
    /// ends with the browser session.
    ///
    /// To end the whole session on logout, as axum-login's `logout` does,
    /// call [`end`](Self::end) instead.
    pub fn logout(&mut self) {
        self.change_or_fail(vec![
            Change::Keys(vec![
                (USER_ID_KEY.to_owned(), None),
                (AUTH_HASH_KEY.to_owned(), None),
            ]),
            Change::Lifetime(None),
        ]);
    }

    /// Gives this session a lifetime of its own ("remember me"), or with
    /// `None` the configured one back. The lifetime is signed into the
    /// cookie (the private claim [`LIFETIME_CLAIM`](crate::LIFETIME_CLAIM)),
    /// checked on the server against the cookie's issue time, capped by
    /// [`max_lifetime`](crate::SessionConfigBuilder::max_lifetime), and
    /// mirrored in the cookie: a session with its own lifetime gets a
    /// `Max-Age` of it, others the configured `Max-Age` (by default none: a
    /// browser-session cookie). Sliding renewal and re-issues under a new
    /// key keep it; [`end`](Self::end), [`clear`](Self::clear),
    /// [`login`](Self::login) and [`logout`](Self::logout) drop it.
    ///
    /// ```
    /// use std::time::Duration;
    /// # use axum_cookie_session::{SaveError, Session};
    ///
    /// fn log_in(session: &mut Session, id: i64, remember: bool) -> Result<(), SaveError> {
    ///     session.end();
    ///     session.login(id)?;
    ///     if remember {
    ///         session.set_lifetime(Some(Duration::from_secs(30 * 24 * 3600)));
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn set_lifetime(&mut self, lifetime: Option<Duration>) {
        let seconds = lifetime.map(|lifetime| lifetime.as_secs());
        self.change_or_fail(vec![Change::Lifetime(seconds)]);
    }

    /// The lifetime of its own this session has, as
    /// [`set_lifetime`](Self::set_lifetime) gave it (capped), or as its
    /// cookie carries it; `None` when it follows the configured
    /// [`lifetime`](crate::SessionConfig::lifetime).
    pub fn lifetime(&self) -> Option<Duration> {
        self.request.lifetime().map(Duration::from_secs)
    }

    /// The session's value, consuming the extractor. Changes made so far are
    /// handed to the request's session first (saved by the layer); changes
    /// made to the returned value are not saved.
    pub fn into_inner(mut self) -> T {
        self.hand_over_or_fail();
        std::mem::take(&mut self.value)
    }
}

impl<T: SessionData> Session<T> {
    /// The session cookie the request carried, if it was accepted: its size,
    /// chunks, codec, issue and expiry times, and whether a fallback key
    /// verified it. `None` when the request had no session cookie or it was
    /// refused. It describes the cookie as it came, whatever the handler
    /// changes.
    pub fn cookie_info(&self) -> Option<CookieInfo> {
        self.request.cookie_info()
    }

    /// The logged-in user's id, as saving would store it.
    pub fn user_id<I: DeserializeOwned>(&self) -> Option<I> {
        let held = self.held_changes().ok().and_then(|changes| {
            changes
                .into_iter()
                .find(|(key, _)| key == USER_ID_KEY)
                .map(|(_, value)| value)
        });
        let id = match held {
            Some(value) => value.and_then(|text| serde_json::from_str(&text).ok()),
            None => self.request.login().id,
        };
        id.and_then(|id| I::deserialize(id).ok())
    }

    /// The changes this view holds and has not handed back.
    fn held_changes(&self) -> Result<Vec<(String, Option<String>)>, SaveError> {
        let Some(baseline) = &self.baseline else {
            return Ok(Vec::new());
        };
        let now = view::capture(&self.value).map_err(|err| self.write_error(err))?;
        Ok(view::diff(baseline, &now))
    }

    /// Hands this view's changes, if any, to the request's session.
    fn hand_over(&mut self) -> Result<(), SaveError> {
        let Some(time) = self.changed_at.take() else {
            return Ok(());
        };
        self.request.holds(false);
        let changes = self.held_changes();
        self.baseline = None;
        self.generation = STALE;
        let changes = changes?;
        if !changes.is_empty() {
            self.request.apply(vec![Change::Keys(changes)], time)?;
        }
        Ok(())
    }

    fn hand_over_or_fail(&mut self) {
        if let Err(err) = self.hand_over() {
            self.request.fail(err);
        }
    }

    fn write_error(&self, error: WriteError) -> SaveError {
        match error {
            WriteError::Json(error) => SaveError::Json(error),
            WriteError::NotAnObject => {
                SaveError::NotAnObject(std::any::type_name::<T>().to_owned())
            }
        }
    }

    /// Hands back the changes and returns the `Set-Cookie` values to send:
    /// none if nothing changed, and none in auto mode, where the layer sends
    /// them.
    fn save(mut self) -> Result<Vec<http::HeaderValue>, SaveError> {
        self.hand_over()?;
        match self.request.mode() {
            Mode::Auto => Ok(Vec::new()),
            Mode::Manual => self.request.take_set_cookies(),
        }
    }
}

impl Session {
    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key)
    }

    /// The value stored under `key`, deserialized as `V`; `None` if missing or
    /// of another shape.
    pub fn get_as<V: DeserializeOwned>(&self, key: &str) -> Option<V> {
        self.get(key).and_then(|value| V::deserialize(value).ok())
    }

    /// Stores `value` under `key`, returning the previous value. Any
    /// `Serialize` value works: strings, numbers, structs, vectors,
    /// [`serde_json::json!`] values. The change applies at once: every view
    /// read after it sees it.
    ///
    /// # Errors
    ///
    /// [`SaveError::Json`] if `value` does not serialize, and
    /// [`SaveError::ReservedKey`] for a key the crate writes itself; the
    /// session is then unchanged.
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Serialize,
    ) -> Result<Option<Value>, SaveError> {
        let key = key.into();
        let text = serde_json::to_string(&value)?;
        let value: Value = serde_json::from_str(&text)?;
        self.catch_up();
        // Applied even when the value is the same: it is still the latest
        // write of the key, which a change handed back later must not undo.
        let applied = self
            .request
            .apply_now(vec![Change::Keys(vec![(key.clone(), Some(text))])])?;
        let previous = self.value.insert(key, value);
        self.applied(applied);
        Ok(previous)
    }

    /// Removes `key`, returning its value. The change applies at once.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.catch_up();
        match self
            .request
            .apply_now(vec![Change::Keys(vec![(key.to_owned(), None)])])
        {
            Ok(applied) => {
                let previous = self.value.remove(key);
                self.applied(applied);
                previous
            }
            Err(err) => {
                self.request.fail(err);
                None
            }
        }
    }
}

impl<T: SessionData> Deref for Session<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: SessionData> DerefMut for Session<T> {
    /// Marks the view as possibly changed; what changed is found when it
    /// hands its changes back, field by field.
    fn deref_mut(&mut self) -> &mut T {
        self.begin_change();
        &mut self.value
    }
}

impl<T: SessionData> Drop for Session<T> {
    /// Hands changes back to the request's session, where the layer (auto
    /// mode) or a returned view (manual mode) saves them.
    fn drop(&mut self) {
        self.hand_over_or_fail();
    }
}

impl<T: SessionData> fmt::Debug for Session<T> {
    /// Never shows the session's data: `Debug` output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("type", &std::any::type_name::<T>())
            .field("holds_changes", &self.changed_at.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    T: SessionData,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = request_session(parts)?;
        Self::read(request, &parts.headers)
    }
}

impl<T: SessionData> IntoResponseParts for Session<T> {
    type Error = SaveError;

    /// Saves the session: `Set-Cookie` (with `Vary: Cookie` and a private
    /// `Cache-Control`) if it changed, nothing otherwise.
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, SaveError> {
        add_set_cookies(res.headers_mut(), self.save()?);
        Ok(res)
    }
}

impl SessionConfig {
    /// Loads the session from request headers, outside of any extractor
    /// and layer (muffin-session's `load_from_request`).
    ///
    /// # Errors
    ///
    /// [`SessionRejection::NotAnObject`] if `T` is not a struct or a map.
    pub fn load_from_request<T: SessionData>(
        &self,
        headers: &HeaderMap,
    ) -> Result<Session<T>, SessionRejection> {
        let request = Arc::new(RequestSession::new(self.clone(), Mode::Manual));
        Session::read(request, headers)
    }

    /// Saves a session into response headers (muffin-session's `save_to_response`):
    /// adds `Set-Cookie` if it changed. Returns whether a cookie was written.
    ///
    /// ```
    /// use axum_cookie_session::{Session, SessionConfig};
    /// use http::HeaderMap;
    ///
    /// let config = SessionConfig::builder().secret_key("k".repeat(32)).build()?;
    /// let mut session: Session = config.load_from_request(&HeaderMap::new())?;
    /// session.insert("var", "value")?;
    /// let mut headers = HeaderMap::new();
    /// assert!(config.save_to_response(session, &mut headers)?);
    /// assert!(headers["set-cookie"].to_str()?.starts_with("session="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`SaveError`] if the session cannot be serialized or encoded.
    pub fn save_to_response<T: SessionData>(
        &self,
        session: Session<T>,
        headers: &mut HeaderMap,
    ) -> Result<bool, SaveError> {
        let set_cookies = session.save()?;
        let saved = !set_cookies.is_empty();
        add_set_cookies(headers, set_cookies);
        Ok(saved)
    }
}
