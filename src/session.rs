//! [`Session<T>`]: the session extractor, a typed or map view of the session.

use std::any::Any;
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
use serde_json::Value;

use crate::config::SessionConfig;
use crate::cookie_info::CookieInfo;
use crate::error::{SaveError, SessionRejection};
use crate::headers::add_set_cookies;
use crate::object::{self, Object, RawEntries, Shape, AUTH_HASH_KEY, USER_ID_KEY};
use crate::request::{request_session, Handover, Mode, Op, RequestSession};
use crate::user::login_keys;

/// The session of the current request, as a `T`.
///
/// `T` defaults to a JSON object ([`serde_json::Map`]), used like a dict
/// ([`get`](Session::get), [`insert`](Session::insert), [`remove`](Session::remove),
/// [`clear`](Session::clear)). Any struct or map `T: Serialize +
/// DeserializeOwned + Default` is a typed view of the same object: it reads
/// the keys it names straight from the cookie's JSON, and keys it does not
/// name are kept as they were, so several typed views (and other services
/// sharing the cookie) can share one session. A `T` that is not a struct or
/// a map (`struct Counter(usize)`, a tuple, an enum) cannot be a session:
/// extracting it is a `500` whose log names the type
/// ([`SessionRejection::NotAnObject`]).
///
/// A cookie that is missing, forged, expired, made with another key or not
/// decodable at all gives an empty session (`T::default()`), never an error.
/// A cookie whose object does not fit `T` gives `T::default()` too, and then
/// only the keys the handler sets are written.
///
/// # Changes apply in the order the handler makes them
///
/// Several views of one request share one session. Changes made through them
/// apply in the order the handler makes them, whatever order the views are
/// declared or dropped in: [`end`](Self::end) drops what was stored before
/// it, through any view, and keeps what is stored after it. For each key,
/// the change made last wins.
///
/// Each view holds its own copy: it reads the session when it is extracted,
/// and again when it is changed after another view handed back a change
/// (which a view does when it is dropped, saved, or changed again after
/// another view's change). A change still held by one view is not seen by
/// another, so read and change a value through one view.
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
/// `Set-Cookie` is sent only if the session's JSON text changed: a view
/// borrowed mutably without a change writes nothing, except once, when the
/// cookie's text was written in another key order or escaping (by
/// muffin-session, or by a view of another type), which the crate then
/// rewrites in its own. A session that
/// cannot be saved (a value that does not serialize, a reserved key, a
/// session too big for its cookies) is a `500`, never a silent `200`.
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
pub struct Session<T = Object>
where
    T: Serialize + 'static,
{
    value: T,
    /// The keys `T` does not name, as they came.
    rest: RawEntries,
    shape: Shape,
    request: Arc<RequestSession>,
    /// The shared session's JSON text `value` was read from.
    read_from: Arc<Vec<u8>>,
    /// The shared session's generation `value` was read from.
    generation: u64,
    /// When `value` was last changed, if the change is not handed back yet.
    changed_at: Option<u64>,
    /// The stored object did not fit `T`: `T::default()` as JSON, which
    /// changes are measured against instead of `read_from`, so that values
    /// `T` could not read are not overwritten unless the handler set them.
    misfit: Option<Object>,
}

/// A view's generation once it handed back only keys: it no longer matches
/// the shared session, so it reads it again before its next change.
const STALE: u64 = u64::MAX;

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned + Default + 'static,
{
    /// A view of the request's session as `T`.
    fn read(request: Arc<RequestSession>, headers: &HeaderMap) -> Result<Self, SessionRejection> {
        let shape = object::shape_of::<T>();
        if shape == Shape::NotAnObject {
            return Err(SessionRejection::NotAnObject {
                type_name: std::any::type_name::<T>(),
            });
        }
        request.load(headers);
        let mut session = Self {
            value: T::default(),
            rest: RawEntries::new(),
            shape,
            request,
            read_from: Arc::default(),
            generation: STALE,
            changed_at: None,
            misfit: None,
        };
        session.reread();
        Ok(session)
    }

    /// Reads `value` from the shared session as it now is.
    fn reread(&mut self) {
        for _ in 0..3 {
            let snapshot = self.request.snapshot();
            self.read_from = snapshot.json;
            self.generation = snapshot.generation;
            let keys = self.request.keys(self.shape, true);
            match object::parse::<T>(&self.read_from, keys) {
                Ok(parsed) if parsed.claims.is_empty() => {
                    self.request.confirm_canonical(self.generation);
                    self.value = parsed.value;
                    self.rest = parsed.rest;
                    self.misfit = None;
                    return;
                }
                // Claims inside the object: checked and taken out, then read again.
                Ok(_) => self.request.take_inner_claims(),
                // The parse stopped early: the claims it did not reach are
                // checked (and the rest of the text), then read again.
                Err(error) if error.is_data() && !self.request.is_canonical() => {
                    self.request.take_inner_claims();
                }
                // A well-formed, checked object that does not fit `T`.
                Err(error) if error.is_data() => break,
                // Not JSON at all: the cookie is refused, and the view reads `{}`.
                Err(_) => self.request.invalid_json(),
            }
        }
        // The error would quote session values: log the type only.
        tracing::debug!(
            ty = std::any::type_name::<T>(),
            "session does not fit the type; using its default"
        );
        self.value = T::default();
        self.rest = RawEntries::new();
        self.misfit = Some(object::to_object(&self.value).unwrap_or_default());
    }

    /// Called before every change: reads the session again if another view
    /// changed it since, and stamps the change's time.
    fn begin_change(&mut self) {
        // Another view changed something since this view's last change:
        // this view's changes so far go first, stamped with their own time.
        let others_changed = self
            .changed_at
            .is_some_and(|time| self.request.last_tick() != time);
        if others_changed {
            if let Err(err) = self.hand_over() {
                self.request.fail(err);
            }
        }
        if self.request.generation() != self.generation {
            if let Err(err) = self.hand_over() {
                self.request.fail(err);
            }
            self.reread();
        }
        if self.changed_at.is_none() {
            self.request.view_changed();
        }
        self.changed_at = Some(self.request.tick());
    }

    /// A change to the session as a whole: this view's own changes go
    /// first, then the change, then the view reads the result.
    fn change_whole(&mut self, op: Op) -> Result<(), SaveError> {
        self.hand_over()?;
        let applied = self.request.apply(op);
        self.reread();
        applied
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
        if let Err(err) = self.change_whole(Op::Reset { end: true }) {
            self.request.fail(err);
        }
    }

    /// Removes every key, through every view. The cookie is kept (holding
    /// `{}`); use [`end`](Self::end) to remove it.
    pub fn clear(&mut self) {
        if let Err(err) = self.change_whole(Op::Reset { end: false }) {
            self.request.fail(err);
        }
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
        let id = serde_json::to_value(id)?;
        self.change_whole(Op::Keys(vec![
            (USER_ID_KEY.to_owned(), Some(id)),
            (AUTH_HASH_KEY.to_owned(), None),
        ]))?;
        self.change_whole(Op::Lifetime(None))
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
        let id = serde_json::to_value(id)?;
        let keys = login_keys(self.request.config(), id, user)?;
        self.change_whole(Op::Keys(keys))?;
        self.change_whole(Op::Lifetime(None))
    }

    /// Logs the user out the way muffin-session does: forgets the user (the
    /// id, its auth digest and the session's own lifetime) but keeps the
    /// rest of the session, such as a theme or a cart, in a cookie that now
    /// ends with the browser session.
    ///
    /// To end the whole session on logout, as axum-login's `logout` does,
    /// call [`end`](Self::end) instead.
    pub fn logout(&mut self) {
        let forget = Op::Keys(vec![
            (USER_ID_KEY.to_owned(), None),
            (AUTH_HASH_KEY.to_owned(), None),
        ]);
        let result = self
            .change_whole(forget)
            .and_then(|()| self.change_whole(Op::Lifetime(None)));
        if let Err(err) = result {
            self.request.fail(err);
        }
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
        if let Err(err) = self.change_whole(Op::Lifetime(seconds)) {
            self.request.fail(err);
        }
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
        if let Err(err) = self.hand_over() {
            self.request.fail(err);
        }
        std::mem::take(&mut self.value)
    }
}

impl<T: Serialize + 'static> Session<T> {
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
        let id = match self.as_object() {
            Some(object) => object.get(USER_ID_KEY).cloned(),
            None => self.named_id().or_else(|| self.rest_id()),
        };
        id.and_then(|id| I::deserialize(id).ok())
    }

    /// The id as `T` holds it, if `T` names `"id"`.
    fn named_id(&self) -> Option<Value> {
        let named = match self.shape {
            Shape::Struct(fields) => fields.contains(&USER_ID_KEY),
            Shape::Map | Shape::NotAnObject => true,
        };
        if !named {
            return None;
        }
        let id = object::to_object(&self.value).ok()?.remove(USER_ID_KEY);
        match &self.misfit {
            // Saving writes only what differs from the default: else the
            // stored id stays.
            Some(default) if default.get(USER_ID_KEY) == id.as_ref() => {
                let keys = self.request.keys(Shape::Map, false);
                object::login(&self.read_from, keys.claims, keys.claims_unless_string)
                    .ok()?
                    .0
                    .id
            }
            _ => id,
        }
    }

    /// The id among the keys `T` does not name.
    fn rest_id(&self) -> Option<Value> {
        let (_, raw) = self.rest.iter().find(|(key, _)| key == USER_ID_KEY)?;
        serde_json::from_str(raw.get()).ok()
    }

    /// `value`, when `T` is the default map.
    fn as_object(&self) -> Option<&Object> {
        (&self.value as &dyn Any).downcast_ref::<Object>()
    }

    /// Hands this view's changes, if any, to the request's session.
    fn hand_over(&mut self) -> Result<(), SaveError> {
        let Some(time) = self.changed_at.take() else {
            return Ok(());
        };
        let request = Arc::clone(&self.request);
        let handed = request.hand_over(self.generation, time, |whole| self.changes(whole))?;
        match handed {
            Some(snapshot) => {
                self.read_from = snapshot.json;
                self.generation = snapshot.generation;
            }
            None => self.generation = STALE,
        }
        Ok(())
    }

    /// This view's changes: its whole JSON text if `whole` allows it, else
    /// the keys it changed since it read the session.
    fn changes(&self, whole: bool) -> Result<Handover, SaveError> {
        if whole && self.misfit.is_none() {
            self.check_keys()?;
            let mut json = Vec::with_capacity(self.read_from.len() + 16);
            object::write(&self.value, &self.rest, &mut json).map_err(self.write_error())?;
            return Ok(Handover::Whole(json));
        }
        let now = object::to_object(&self.value).map_err(self.write_error())?;
        let read;
        let before = match &self.misfit {
            Some(default) => default,
            None => {
                read = serde_json::from_slice::<Object>(&self.read_from)?;
                &read
            }
        };
        Ok(Handover::Keys(diff(before, &now, self.shape)))
    }

    /// Refuses keys the configuration reserves for claims, before the whole
    /// text is handed back (keys handed back one by one are checked then).
    fn check_keys(&self) -> Result<(), SaveError> {
        let checked = self.request.checked_keys();
        let may_hold = match self.shape {
            Shape::Struct(fields) => fields.iter().any(|field| checked.contains(field)),
            Shape::Map | Shape::NotAnObject => true,
        };
        if !may_hold || checked.is_empty() {
            return Ok(());
        }
        let owned;
        let object = match self.as_object() {
            Some(object) => object,
            None => {
                owned = object::to_object(&self.value).map_err(self.write_error())?;
                &owned
            }
        };
        checked
            .iter()
            .filter_map(|key| Some((*key, object.get(*key)?)))
            .try_for_each(|(key, value)| self.request.check_key(key, value))
    }

    fn write_error(&self) -> impl Fn(object::WriteError) -> SaveError {
        |error| match error {
            object::WriteError::Json(error) => SaveError::Json(error),
            object::WriteError::NotAnObject => {
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
    /// [`serde_json::json!`] values.
    ///
    /// # Errors
    ///
    /// [`SaveError::Json`] if `value` does not serialize; the session is
    /// then unchanged.
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Serialize,
    ) -> Result<Option<Value>, SaveError> {
        let (key, value) = (key.into(), serde_json::to_value(value)?);
        if self.value.get(&key) == Some(&value) {
            return Ok(Some(value));
        }
        self.begin_change();
        Ok(self.value.insert(key, value))
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if !self.value.contains_key(key) {
            return None;
        }
        self.begin_change();
        self.value.remove(key)
    }
}

impl<T: Serialize + DeserializeOwned + Default + 'static> Deref for Session<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize + DeserializeOwned + Default + 'static> DerefMut for Session<T> {
    /// Marks the session as possibly changed; whether it did is decided at
    /// save time, by comparing its JSON with what the cookie held.
    fn deref_mut(&mut self) -> &mut T {
        self.begin_change();
        &mut self.value
    }
}

impl<T: Serialize + 'static> Drop for Session<T> {
    /// Hands unsaved changes back to the request's session, where the layer
    /// (auto mode) or a returned view (manual mode) saves them.
    fn drop(&mut self) {
        if let Err(err) = self.hand_over() {
            self.request.fail(err);
        }
    }
}

impl<T: Serialize + 'static> fmt::Debug for Session<T> {
    /// Never shows the session's data: `Debug` output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("type", &std::any::type_name::<T>())
            .field("changed", &self.changed_at.is_some())
            .finish_non_exhaustive()
    }
}

/// The keys whose values differ between `before` and `now`, among the keys
/// a view of `shape` owns: `Some(value)` to set, `None` to remove.
fn diff(before: &Object, now: &Object, shape: Shape) -> Vec<(String, Option<Value>)> {
    let mut keys = Vec::new();
    match shape {
        Shape::Map | Shape::NotAnObject => {
            keys.extend(
                before
                    .keys()
                    .filter(|key| !now.contains_key(*key))
                    .map(|key| (key.clone(), None)),
            );
            keys.extend(
                now.iter()
                    .filter(|(key, value)| before.get(*key) != Some(*value))
                    .map(|(key, value)| (key.clone(), Some(value.clone()))),
            );
        }
        Shape::Struct(fields) => {
            for field in fields {
                let value = now.get(*field);
                if before.get(*field) != value {
                    keys.push(((*field).to_owned(), value.cloned()));
                }
            }
        }
    }
    keys
}

impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    T: Serialize + DeserializeOwned + Default + Send + 'static,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = request_session(parts)?;
        Self::read(request, &parts.headers)
    }
}

impl<T: Serialize + 'static> IntoResponseParts for Session<T> {
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
    pub fn load_from_request<T>(&self, headers: &HeaderMap) -> Result<Session<T>, SessionRejection>
    where
        T: Serialize + DeserializeOwned + Default,
    {
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
    pub fn save_to_response<T: Serialize + 'static>(
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
