//! [`Session<T>`]: the session extractor, typed or dict-like, with change tracking.

use std::any::{Any, TypeId};
use std::convert::Infallible;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock, OnceLock};

use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponseParts, ResponseParts};
use http::request::Parts;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::SessionConfig;
use crate::error::SaveError;
use crate::fields::{fields_of, Fields};
use crate::store::{add_set_cookies, Changes, Object, RequestSession};
use crate::user::USER_ID_KEY;

/// The session of the current request, as a `T`.
///
/// `T` defaults to a JSON object ([`serde_json::Map`]), used like a dict
/// ([`get`](Session::get), [`insert`](Session::insert), [`remove`](Session::remove),
/// [`clear`](Session::clear)). Any `T: Serialize + DeserializeOwned + Default`
/// is a typed view of the same object: it reads the keys it names, and keys it
/// does not name are kept as they were, so several typed views (and other
/// services sharing the cookie) can share one session.
///
/// A cookie that is missing, forged, expired, made with another key or not
/// decodable at all gives an empty session (`T::default()`), never an error.
/// A cookie whose object does not fit `T` gives `T::default()` too.
///
/// Reading is free: the default map view reads the decoded object in place,
/// and copies it only when it is first mutated. Mutating through
/// [`DerefMut`] marks the session as possibly changed, and at save time it is
/// compared with what the cookie held, so `Set-Cookie` is sent only if
/// something really changed.
///
/// # Saving
///
/// - **Manual mode**: return the session in the response (it implements
///   [`IntoResponseParts`]), like muffin-session's `save_to_response`. Put it
///   after any header parts of the tuple (`(headers, session, body)`): axum
///   applies parts left to right, and the session makes the `Cache-Control` it
///   finds `private` when it sets a cookie, which a later part would undo.
/// - **Auto mode**: add [`SessionLayer`](crate::SessionLayer); every change is
///   saved after the handler, whatever it returns.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_cookie_session::{Session, SessionConfig};
///
/// async fn update(mut session: Session) -> (Session, &'static str) {
///     session.insert("var", "value");
///     (session, "Session updated.")
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
///     .with_state(config)
/// # }
/// ```
pub struct Session<T = Map<String, Value>>
where
    T: Serialize + 'static,
{
    /// The view's value, unless `borrowed`.
    data: T,
    /// A map view not copied yet: its value is `loaded` with `extra` laid
    /// over it, and `data` is an empty placeholder. Inserting and removing
    /// keys only add to `extra`; the first `DerefMut` makes the copy.
    borrowed: bool,
    /// A borrowed map view's value with `extra` applied, made on first `Deref`.
    shown: OnceLock<Object>,
    /// The object as it was when this view was taken (or last written back).
    loaded: Arc<Object>,
    /// The keys `T` owns; the rest of `loaded` is kept untouched.
    fields: Fields,
    request: Arc<RequestSession>,
    /// `data` was borrowed mutably since the last write-back.
    touched: bool,
    /// [`end`](Self::end) was called.
    ended: bool,
    /// Keys set outside `data`, `None` removing: the user id of
    /// [`login`](Self::login) on a typed view, and every change of a
    /// borrowed map view.
    extra: Vec<(String, Option<Value>)>,
    /// `T::default()` as JSON, when changes must be measured against it rather
    /// than against `loaded`: after [`end`](Self::end), and when the stored
    /// object did not fit `T` (so values `T` could not read are not overwritten
    /// unless the handler set them).
    default_base: Option<Object>,
}

/// Stands in for a view's `loaded` object while it is handed back, so the
/// request's session can change its object without copying it.
static NOTHING: LazyLock<Arc<Object>> = LazyLock::new(Arc::default);

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned + Default + 'static,
{
    /// A view of the request's session as `T`.
    fn view(request: Arc<RequestSession>, headers: &HeaderMap) -> Self {
        let loaded = request.data(headers);
        if TypeId::of::<T>() == TypeId::of::<Object>() {
            // The default map view: read in place, copied on first mutation.
            return Self {
                data: T::default(),
                borrowed: true,
                shown: OnceLock::new(),
                loaded,
                fields: Fields::All,
                request,
                touched: false,
                ended: false,
                extra: Vec::new(),
                default_base: None,
            };
        }
        let (data, default_base) = match T::deserialize(&*loaded) {
            Ok(data) => (data, None),
            Err(_) => {
                // The error would quote session values: log the type only.
                tracing::debug!(
                    ty = std::any::type_name::<T>(),
                    "session does not fit the type; using its default"
                );
                (T::default(), Some(default_object::<T>()))
            }
        };
        Self {
            data,
            borrowed: false,
            shown: OnceLock::new(),
            loaded,
            fields: fields_of::<T>(),
            request,
            touched: false,
            ended: false,
            extra: Vec::new(),
            default_base,
        }
    }

    /// A session standing alone, loaded from request headers (muffin-session's
    /// `load_from_request`); see [`SessionConfig::load_from_request`].
    pub(crate) fn load(config: &SessionConfig, headers: &HeaderMap) -> Self {
        Self::view(
            Arc::new(RequestSession::new(config.clone(), false)),
            headers,
        )
    }

    /// Ends the session: forgets all its data, including keys `T` does not
    /// name, and removes the cookie when saved (an expired `Set-Cookie`).
    ///
    /// Anything stored after `end` starts a fresh session instead, which is
    /// how to drop pre-login data at login.
    pub fn end(&mut self) {
        self.data = T::default();
        self.borrowed = false;
        self.shown = OnceLock::new();
        self.extra.clear();
        self.default_base = Some(default_object::<T>());
        self.touched = true;
        self.ended = true;
    }

    /// The session's value, consuming the extractor. Changes made so far are
    /// handed to the request's session first (saved by the layer); changes
    /// made to the returned value are not saved.
    pub fn into_inner(mut self) -> T {
        if let Err(err) = self.write_back() {
            tracing::error!(error = %err, "session changes lost");
        }
        self.own();
        std::mem::take(&mut self.data)
    }
}

impl<T: Serialize + 'static> Session<T> {
    /// The view's value: `data`, or for a borrowed map view, the loaded
    /// object (with its pending changes applied, copied once if there are any).
    fn value(&self) -> &T {
        if self.borrowed {
            let object = if self.extra.is_empty() {
                &self.loaded
            } else {
                self.shown
                    .get_or_init(|| overlaid(&self.loaded, &self.extra))
            };
            if let Some(object) = (object as &dyn Any).downcast_ref::<T>() {
                return object;
            }
        }
        &self.data
    }

    /// Makes `data` the view's own copy of its value, before it is mutated.
    fn own(&mut self) {
        if !self.borrowed {
            return;
        }
        self.borrowed = false;
        let object = match self.shown.take() {
            Some(object) => object,
            None => overlaid(&self.loaded, &self.extra),
        };
        // The pending changes are in the copy now; `changes` finds them by diff.
        self.extra.clear();
        let mut object = Some(object);
        if let Some(object) = (&mut object as &mut dyn Any).downcast_mut::<Option<T>>() {
            if let Some(object) = object.take() {
                self.data = object;
            }
        }
    }

    /// A borrowed map view's pending change of `key`.
    fn pending(&self, key: &str) -> Option<&Option<Value>> {
        self.extra
            .iter()
            .rev()
            .find(|(pending, _)| pending == key)
            .map(|(_, value)| value)
    }

    /// The view's value, to mutate: marks the session possibly changed.
    fn value_mut(&mut self) -> &mut T {
        self.own();
        self.touched = true;
        &mut self.data
    }

    /// Logs a user in: stores `id` under `"id"`, where muffin-session keeps
    /// it and where [`CurrentUser`](crate::CurrentUser) looks. It works on any
    /// `Session<T>`, whether or not `T` names `"id"`.
    ///
    /// To drop pre-login data (a fresh session at login), call
    /// [`end`](Self::end) first.
    pub fn login(&mut self, id: impl Into<Value>) {
        self.set_outside(USER_ID_KEY, Some(id.into()));
    }

    /// Logs the user out: removes `"id"`, keeping the rest of the session.
    /// Use [`end`](Self::end) to forget everything.
    pub fn logout(&mut self) {
        self.set_outside(USER_ID_KEY, None);
    }

    /// The logged-in user's id, as saving would store it: the one given to
    /// [`login`](Self::login) in this request, or set through a typed view
    /// that names `id`, or else the one the cookie held.
    pub fn user_id<I: DeserializeOwned>(&self) -> Option<I> {
        // This view's changes decide, measured exactly as saving measures them.
        let changes = self.changes().ok()?;
        let changed = changes.keys.into_iter().find(|(key, _)| key == USER_ID_KEY);
        let id = match changed {
            Some((_, id)) => id,
            None if changes.reset => None,
            None => self.loaded.get(USER_ID_KEY).cloned(),
        };
        id.and_then(|id| I::deserialize(id).ok())
    }

    /// Sets (or with `None` removes) `key`: in an owned map view's value, or
    /// as a pending change.
    fn set_outside(&mut self, key: &str, value: Option<Value>) {
        self.touched = true;
        if !self.borrowed {
            if let Some(map) = (&mut self.data as &mut dyn Any).downcast_mut::<Object>() {
                match value {
                    Some(value) => map.insert(key.to_owned(), value),
                    None => map.remove(key),
                };
                return;
            }
        }
        self.shown = OnceLock::new();
        self.extra.retain(|(existing, _)| existing != key);
        self.extra.push((key.to_owned(), value));
    }

    /// What this view changed, relative to the object it was taken from.
    fn changes(&self) -> Result<Changes, SaveError> {
        let before: &Object = self.default_base.as_ref().unwrap_or(&self.loaded);
        let mut keys = Vec::new();
        if !self.borrowed {
            // A map view is compared as it is; a typed one through its JSON.
            let serialized;
            let now: &Object = match (&self.data as &dyn Any).downcast_ref::<Object>() {
                Some(object) => object,
                None => {
                    let Value::Object(object) = serde_json::to_value(&self.data)? else {
                        return Err(SaveError::NotAnObject(
                            std::any::type_name::<T>().to_owned(),
                        ));
                    };
                    serialized = object;
                    &serialized
                }
            };
            diff(before, now, self.fields, &mut keys);
        }
        for (key, value) in &self.extra {
            keys.retain(|(changed, _)| changed != key);
            if before.get(key) != value.as_ref() {
                keys.push((key.clone(), value.clone()));
            }
        }
        Ok(Changes {
            reset: self.ended,
            keys,
        })
    }

    /// Hands this view's changes to the request's shared session, whose
    /// object then becomes the view's new starting point.
    fn write_back(&mut self) -> Result<(), SaveError> {
        if !self.touched {
            return Ok(());
        }
        let changes = self.changes()?;
        self.touched = false;
        self.ended = false;
        self.extra.clear();
        self.shown = OnceLock::new();
        self.loaded = self.hand_back(changes);
        Ok(())
    }

    /// Applies `changes` to the request's session and returns its object.
    /// The view lets go of its own reference first, so that the object is
    /// changed in place rather than copied.
    fn hand_back(&mut self, changes: Changes) -> Arc<Object> {
        self.loaded = Arc::clone(&NOTHING);
        self.request.apply(changes)
    }

    /// Writes the changes and returns the `Set-Cookie` values to send (none
    /// if nothing changed). In auto mode the layer sends them instead, so
    /// this returns none.
    fn save(mut self) -> Result<Vec<http::HeaderValue>, SaveError> {
        self.write_back()?;
        if self.request.is_managed() {
            return Ok(Vec::new());
        }
        self.request.take_set_cookies()
    }
}

impl Session {
    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        if !self.borrowed {
            return self.data.get(key);
        }
        match self.pending(key) {
            Some(value) => value.as_ref(),
            None => self.loaded.get(key),
        }
    }

    /// The value stored under `key`, deserialized as `V`; `None` if missing or
    /// of another shape.
    pub fn get_as<V: DeserializeOwned>(&self, key: &str) -> Option<V> {
        self.get(key).and_then(|value| V::deserialize(value).ok())
    }

    /// Stores `value` under `key`, returning the previous value.
    ///
    /// `value` is anything that converts into a JSON value: strings, numbers,
    /// booleans, vectors of those, [`serde_json::json!`] values.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let (key, value) = (key.into(), value.into());
        let previous = self.get(&key);
        if previous == Some(&value) {
            return Some(value);
        }
        if !self.borrowed {
            return self.value_mut().insert(key, value);
        }
        // Borrowed: a pending change, not a copy of the whole object.
        let previous = previous.cloned();
        self.set_outside(&key, Some(value));
        previous
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let previous = self.get(key)?;
        if !self.borrowed {
            return self.value_mut().remove(key);
        }
        let previous = previous.clone();
        self.set_outside(key, None);
        Some(previous)
    }

    /// Removes every key. The cookie is kept (holding `{}`); use
    /// [`end`](Self::end) to remove it.
    pub fn clear(&mut self) {
        self.own();
        if !self.data.is_empty() {
            self.value_mut().clear();
        }
    }
}

impl<T: Serialize + 'static> Deref for Session<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value()
    }
}

impl<T: Serialize + 'static> DerefMut for Session<T> {
    /// Marks the session as possibly changed; whether it did is decided at save time.
    fn deref_mut(&mut self) -> &mut T {
        self.value_mut()
    }
}

impl<T: Serialize + 'static> Drop for Session<T> {
    /// Writes unsaved changes back to the request's session, where the layer
    /// (auto mode) saves them.
    fn drop(&mut self) {
        if !self.touched {
            return;
        }
        self.touched = false;
        match self.changes() {
            Ok(changes) => {
                let changed = changes.reset || !changes.keys.is_empty();
                if changed && !self.request.is_managed() {
                    tracing::warn!(
                        "a changed session was dropped without being saved: return it from the \
                         handler or add SessionLayer"
                    );
                }
                self.hand_back(changes);
            }
            Err(err) => tracing::error!(error = %err, "session changes lost"),
        }
    }
}

impl<T: Serialize + 'static> fmt::Debug for Session<T> {
    /// Never shows the session's data: `Debug` output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// `loaded` with the pending changes applied.
fn overlaid(loaded: &Object, pending: &[(String, Option<Value>)]) -> Object {
    let mut object = loaded.clone();
    for (key, value) in pending {
        match value {
            Some(value) => object.insert(key.clone(), value.clone()),
            None => object.remove(key),
        };
    }
    object
}

/// The keys whose values differ between `before` and `now`, among the keys
/// `fields` names: `Some(value)` to set, `None` to remove.
fn diff(before: &Object, now: &Object, fields: Fields, keys: &mut Vec<(String, Option<Value>)>) {
    match fields {
        Fields::All => {
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
        Fields::Named(names) => {
            for name in names {
                let value = now.get(*name);
                if before.get(*name) != value {
                    keys.push(((*name).to_owned(), value.cloned()));
                }
            }
        }
    }
}

/// `T::default()` as a JSON object (empty if it is not one).
fn default_object<T: Serialize + Default>() -> Object {
    match serde_json::to_value(T::default()) {
        Ok(Value::Object(object)) => object,
        _ => Object::new(),
    }
}

impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    SessionConfig: FromRef<S>,
    T: Serialize + DeserializeOwned + Default + Send,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request = request_session(parts, state);
        Ok(Self::view(request, &parts.headers))
    }
}

/// The request's shared session: the layer's, or one made (and remembered
/// for the other extractors) from the config in the app state.
pub(crate) fn request_session<S>(parts: &mut Parts, state: &S) -> Arc<RequestSession>
where
    SessionConfig: FromRef<S>,
{
    if let Some(request) = parts.extensions.get::<Arc<RequestSession>>() {
        return Arc::clone(request);
    }
    let request = Arc::new(RequestSession::new(SessionConfig::from_ref(state), false));
    parts.extensions.insert(Arc::clone(&request));
    request
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
    /// (muffin-session's `load_from_request`).
    pub fn load_from_request<T>(&self, headers: &HeaderMap) -> Session<T>
    where
        T: Serialize + DeserializeOwned + Default,
    {
        Session::load(self, headers)
    }

    /// Saves a session into response headers (muffin-session's `save_to_response`):
    /// adds `Set-Cookie` if it changed. Returns whether a cookie was written.
    ///
    /// ```
    /// use axum_cookie_session::{Session, SessionConfig};
    /// use http::HeaderMap;
    ///
    /// let config = SessionConfig::builder().secret_key("k".repeat(32)).build()?;
    /// let mut session: Session = config.load_from_request(&HeaderMap::new());
    /// session.insert("var", "value");
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
