//! Users: the [`UserLoader`] an app implements once, the [`CurrentUser<U>`]
//! extractor, and logging in and out.

use std::any::Any;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri};
use http::request::Parts;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::api::ApiRoute;
use crate::auth_hash::Verified;
use crate::config::SessionConfig;
use crate::error::{BoxError, SaveError, UserRejection};
use crate::state::shared::{request_session, RequestSession};
use crate::wire::object::{AUTH_HASH_KEY, USER_ID_KEY};

/// The query parameter that carries the page to return to after login.
pub const NEXT_PARAM: &str = "next";

/// Maps the user id stored in the session to a user. Implement it once on your
/// own type (a database pool, an HTTP client) and register it with
/// [`SessionConfig::with_user_loader`].
///
/// It is a native `async fn` in a trait (no `async-trait` macro, no boxing in
/// your code): write `async fn load_user(...)` in the impl.
///
/// ```
/// use std::collections::HashMap;
/// use std::convert::Infallible;
/// use axum_cookie_session::UserLoader;
///
/// #[derive(Clone)]
/// struct User { name: String, is_admin: bool }
///
/// struct Users(HashMap<i64, User>);
///
/// impl UserLoader for Users {
///     type User = User;
///     type Id = i64;
///     type Error = Infallible;
///
///     async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
///         Ok(self.0.get(&id).cloned())
///     }
/// }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// The user type handlers receive in [`CurrentUser`].
    type User: Clone + Send + Sync + 'static;
    /// The id stored under `"id"` in the session (deserialized from its JSON).
    type Id: DeserializeOwned + Send;
    /// A failure to load (database down...), distinct from "no such user".
    type Error: StdError + Send + Sync + 'static;

    /// The check every [`RequireUser`](crate::RequireUser) applies when it has
    /// no [`check`](crate::RequireUser::check) or
    /// [`check_async`](crate::RequireUser::check_async) of its own
    /// (muffin-session's `default_user_checker`; default: every user passes).
    /// A logged-in user who fails it gets the guard's `403`.
    ///
    /// A guard's own check **replaces** it: `.check(|u| u.is_admin)` lets an
    /// inactive admin in. To apply both, write the default as a method of
    /// the user and call it from the guard's check:
    /// `.check(|u: &User| u.is_active() && u.is_admin)`.
    ///
    /// [`CurrentUser`] does not apply it: a handler that takes
    /// `CurrentUser` behind no guard gets every user the loader loads. Give
    /// `Ok(None)` from [`load_user`](Self::load_user) instead for users no
    /// route may see.
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// use axum_cookie_session::{RequireUser, UserLoader};
    ///
    /// #[derive(Clone)]
    /// struct User { active: bool, is_admin: bool }
    ///
    /// impl User {
    ///     fn is_active(&self) -> bool { self.active }
    /// }
    ///
    /// struct Users;
    ///
    /// impl UserLoader for Users {
    /// #   type User = User; type Id = i64; type Error = Infallible;
    /// #   async fn load_user(&self, _id: i64) -> Result<Option<User>, Infallible> { Ok(None) }
    ///     // ...
    ///     fn default_check(&self, user: &User) -> bool {
    ///         user.is_active()
    ///     }
    /// }
    ///
    /// // Active users only (the default check):
    /// let members = RequireUser::<User>::new();
    /// // Active admins only (this check replaces the default, so repeat it):
    /// let admins = RequireUser::<User>::new().check(|u: &User| u.is_active() && u.is_admin);
    /// ```
    fn default_check(&self, user: &Self::User) -> bool {
        let _ = user;
        true
    }

    /// The user with this id; `Ok(None)` when there is none (deleted,
    /// disabled): the visitor is then anonymous.
    fn load_user(
        &self,
        id: Self::Id,
    ) -> impl Future<Output = Result<Option<Self::User>, Self::Error>> + Send;

    /// Bytes that change when the user's sessions must end: the password
    /// hash, or a "sessions valid after" stamp the app moves (default:
    /// `None`, no revocation).
    ///
    /// When it gives bytes, [`Session::login_user`](crate::Session::login_user)
    /// writes a keyed digest of them into the session (under
    /// [`AUTH_HASH_KEY`](crate::AUTH_HASH_KEY)), and every load of the user
    /// compares it with the user's bytes now, in constant time. Once they
    /// change, every cookie minted before is an anonymous visitor and its
    /// session is ended (the cookie removed): changing the password logs
    /// out every browser, including copies of the cookie. Log the browser
    /// that made the change in again with `login_user` to keep it.
    ///
    /// "Log out my other browsers" needs no store either: fold a per-user
    /// counter, stored beside the password hash, into the bytes; bump it,
    /// and call `login_user` again for the browser that asked (SECURITY.md
    /// has the recipe, and the demo's button does it).
    ///
    /// A login without a digest (minted by muffin-session, or by
    /// [`Session::login`](crate::Session::login)) is accepted and given one
    /// on its first load, unless
    /// [`require_auth_hash`](crate::SessionConfigBuilder::require_auth_hash)
    /// is on. The bytes and the digest are never logged.
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// # use axum_cookie_session::UserLoader;
    /// # #[derive(Clone)] struct User { password_hash: String }
    /// # struct Users;
    /// impl UserLoader for Users {
    ///     // ...
    /// #   type User = User; type Id = i64; type Error = Infallible;
    /// #   async fn load_user(&self, _id: i64) -> Result<Option<User>, Infallible> { Ok(None) }
    ///     fn session_auth_hash(&self, user: &User) -> Option<Vec<u8>> {
    ///         Some(user.password_hash.clone().into_bytes())
    ///     }
    /// }
    /// ```
    fn session_auth_hash(&self, user: &Self::User) -> Option<Vec<u8>> {
        let _ = user;
        None
    }

    /// Whether `user` holds `permission` (default: no permission at all).
    /// [`RequireUser::permission`](crate::RequireUser::permission) asks it
    /// on the routes it guards; an error (the database is down) answers
    /// `500` and is logged, rather than turning into a `403`.
    ///
    /// ```
    /// use std::collections::{HashMap, HashSet};
    /// use std::convert::Infallible;
    /// use axum_cookie_session::{RequireUser, UserLoader};
    ///
    /// #[derive(Clone)]
    /// struct User { id: i64 }
    ///
    /// struct Users { permissions: HashMap<i64, HashSet<&'static str>> }
    ///
    /// impl UserLoader for Users {
    ///     type User = User;
    ///     type Id = i64;
    ///     type Error = Infallible;
    ///
    ///     async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
    ///         Ok(self.permissions.contains_key(&id).then_some(User { id }))
    ///     }
    ///
    ///     async fn has_permission(&self, user: &User, permission: &str) -> Result<bool, Infallible> {
    ///         Ok(self.permissions[&user.id].contains(permission))
    ///     }
    /// }
    ///
    /// let editors = RequireUser::<User>::new().permission("articles.edit");
    /// ```
    fn has_permission(
        &self,
        user: &Self::User,
        permission: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        let _ = (user, permission);
        async { Ok(false) }
    }
}

type LoadFuture<'a, U> = Pin<Box<dyn Future<Output = Result<Option<U>, BoxError>> + Send + 'a>>;
type PermissionFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send + 'a>>;

/// A [`UserLoader`] with its id and error types erased, so the config can
/// hold it and [`CurrentUser<U>`] can find it by the user type alone.
trait ErasedLoader<U>: Send + Sync {
    fn default_check(&self, user: &U) -> bool;
    fn load<'a>(&'a self, id: &'a Value) -> LoadFuture<'a, U>;
    fn auth_hash(&self, user: &U) -> Option<Vec<u8>>;
    fn has_permission<'a>(&'a self, user: &'a U, permission: &'a str) -> PermissionFuture<'a>;
}

impl<L: UserLoader> ErasedLoader<L::User> for L {
    fn default_check(&self, user: &L::User) -> bool {
        UserLoader::default_check(self, user)
    }

    fn load<'a>(&'a self, id: &'a Value) -> LoadFuture<'a, L::User> {
        Box::pin(async move {
            let Ok(id) = L::Id::deserialize(id) else {
                tracing::debug!("session user id is not a valid id; treating as anonymous");
                return Ok(None);
            };
            self.load_user(id)
                .await
                .map_err(|err| Box::new(err) as BoxError)
        })
    }

    fn auth_hash(&self, user: &L::User) -> Option<Vec<u8>> {
        self.session_auth_hash(user)
    }

    fn has_permission<'a>(
        &'a self,
        user: &'a L::User,
        permission: &'a str,
    ) -> PermissionFuture<'a> {
        Box::pin(async move {
            UserLoader::has_permission(self, user, permission)
                .await
                .map_err(|err| Box::new(err) as BoxError)
        })
    }
}

/// What the config stores: the erased loader for users of type `U`.
struct LoaderFor<U>(Arc<dyn ErasedLoader<U>>);

impl SessionConfig {
    /// Registers the app's [`UserLoader`], so that [`CurrentUser`] and
    /// [`RequireUser`](crate::RequireUser) can load the user. One call, made
    /// once at start-up:
    ///
    /// ```
    /// # use axum_cookie_session::{SessionConfig, UserLoader};
    /// # struct Db;
    /// # impl UserLoader for Db {
    /// #     type User = String; type Id = i64; type Error = std::convert::Infallible;
    /// #     async fn load_user(&self, id: i64) -> Result<Option<String>, Self::Error> { Ok(None) }
    /// # }
    /// let config = SessionConfig::builder().secret_key("s".repeat(32)).build()?
    ///     .with_user_loader(Db);
    /// # Ok::<(), axum_cookie_session::ConfigError>(())
    /// ```
    ///
    /// On a `base64` config, users are loaded only if the app allowed it with
    /// [`allow_unsigned_logins`](crate::SessionConfigBuilder::allow_unsigned_logins):
    /// otherwise this logs an error now, and every user lookup is a `500`.
    #[must_use]
    pub fn with_user_loader<L: UserLoader>(mut self, loader: L) -> Self {
        if let Err(err) = self.check_logins() {
            tracing::error!(error = %err, "user loader registered on forgeable sessions");
        }
        let erased: Arc<dyn ErasedLoader<L::User>> = Arc::new(loader);
        self.user_loader = Some(Arc::new(LoaderFor(erased)));
        self
    }

    fn user_loader<U: 'static>(&self) -> Option<Arc<dyn ErasedLoader<U>>> {
        let any: &(dyn Any + Send + Sync) = self.user_loader.as_deref()?;
        any.downcast_ref::<LoaderFor<U>>()
            .map(|loader| Arc::clone(&loader.0))
    }
}

/// The user loaded for this request, cached in the request extensions so that
/// every extractor and guard of the request shares one load.
#[derive(Clone)]
struct LoadedUser<U>(Option<U>);

/// The logged-in user, loaded once per request with the app's [`UserLoader`].
///
/// Without a logged-in user it rejects ([`UserRejection`]): a page
/// navigation is redirected to the configured login URL (`307`, with `next`
/// pointing back here); an API call (`fetch()`, XHR, an `Accept` preferring
/// JSON; see [`api_unauthorized`](crate::SessionConfigBuilder::api_unauthorized))
/// gets `401` with a small JSON body, and so does every request when the
/// config says [`login_redirect(false)`](crate::SessionConfigBuilder::login_redirect).
/// `Option<CurrentUser<U>>` never rejects for a missing user. A loader error
/// is a `500` either way (logged, never shown).
///
/// It does not apply the loader's [`default_check`](UserLoader::default_check):
/// that is [`RequireUser`](crate::RequireUser)'s.
///
/// ```
/// use axum_cookie_session::CurrentUser;
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn me(CurrentUser(user): CurrentUser<User>) -> String {
///     format!("Hello, {}", user.name)
/// }
///
/// async fn home(user: Option<CurrentUser<User>>) -> String {
///     match user {
///         Some(CurrentUser(user)) => format!("Logged in as {}", user.name),
///         None => "Not logged in".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser<U>(pub U);

impl<S, U> FromRequestParts<S> for CurrentUser<U>
where
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = request_session(parts)?;
        match load_user::<U>(parts, &request).await? {
            Some(user) => Ok(Self(user)),
            None => Err(login_redirect(parts, request.config())),
        }
    }
}

impl<S, U> OptionalFromRequestParts<S> for CurrentUser<U>
where
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = UserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let request = request_session(parts)?;
        Ok(load_user::<U>(parts, &request).await?.map(Self))
    }
}

/// The request's user, loading it on first use and caching it in the request.
pub(crate) async fn load_user<U>(
    parts: &mut Parts,
    request: &RequestSession,
) -> Result<Option<U>, UserRejection>
where
    U: Clone + Send + Sync + 'static,
{
    if let Some(LoadedUser(user)) = parts.extensions.get::<LoadedUser<U>>() {
        return Ok(user.clone());
    }
    request.config().check_logins()?;
    let loader = request
        .config()
        .user_loader::<U>()
        .ok_or(UserRejection::NoUserLoader {
            user_type: std::any::type_name::<U>(),
        })?;
    request.load(&parts.headers);
    let login = request.login();
    let user = match &login.id {
        None | Some(Value::Null) => None,
        Some(id) => loader.load(id).await.map_err(UserRejection::Loader)?,
    };
    let user = user.filter(|user| auth_hash_holds(request, &*loader, user, login.auth_hash));
    parts.extensions.insert(LoadedUser(user.clone()));
    Ok(user)
}

/// Whether the session's auth digest matches the user's
/// [`session_auth_hash`](UserLoader::session_auth_hash) now. A revoked
/// login ends the session (its cookie is removed); a login without a
/// digest, when allowed, and one digested under a fallback key are
/// digested again.
fn auth_hash_holds<U>(
    request: &RequestSession,
    loader: &dyn ErasedLoader<U>,
    user: &U,
    stored: Option<Value>,
) -> bool {
    let Some(hash) = loader.auth_hash(user) else {
        return true;
    };
    let config = request.config();
    let verified = match &stored {
        Some(Value::String(stored)) => config.auth_digest().verify(&hash, stored),
        // No digest yet (a login minted by muffin-session or by `login`):
        // accepted, and given one, like a digest under an old key.
        None if !config.require_auth_hash() => Verified::FallbackKey,
        _ => Verified::Mismatch,
    };
    match verified {
        Verified::Current => request.digest_checked(None),
        Verified::FallbackKey => request.digest_checked(config.auth_digest().digest(&hash)),
        Verified::Mismatch => {
            tracing::debug!(
                "session auth hash does not match the user's: the login was revoked, ending the \
                 session"
            );
            request.revoke();
        }
    }
    verified != Verified::Mismatch
}

/// The keys [`Session::login_user`](crate::Session::login_user) stores:
/// the id, and the digest of the user's auth hash if the loader gives one.
pub(crate) fn login_keys<U: 'static>(
    config: &SessionConfig,
    id: String,
    user: &U,
) -> Result<Vec<(String, Option<String>)>, SaveError> {
    let loader = config.user_loader::<U>().ok_or(SaveError::NoUserLoader {
        user_type: std::any::type_name::<U>(),
    })?;
    let digest = loader
        .auth_hash(user)
        .and_then(|hash| config.auth_digest().digest(&hash))
        .and_then(|digest| serde_json::to_string(&digest).ok());
    Ok(vec![
        (USER_ID_KEY.to_owned(), Some(id)),
        (AUTH_HASH_KEY.to_owned(), digest),
    ])
}

/// The config's login URL with `next=<original path and query>`.
pub(crate) fn login_location(parts: &Parts, config: &SessionConfig) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let here = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let login = config.login_url();
    let separator = if login.contains('?') { '&' } else { '?' };
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("{login}{separator}{NEXT_PARAM}={next}")
}

/// The rejection of [`CurrentUser`] for an anonymous visitor: `401` if the
/// config turns redirects off or the request is an API call, else a
/// redirect to the login URL.
pub(crate) fn login_redirect(parts: &Parts, config: &SessionConfig) -> UserRejection {
    let api_call = || crate::navigation::is_api_request(&parts.headers);
    let api_route = parts.extensions.get::<ApiRoute>().is_some();
    if api_route || !config.login_redirect() || (config.api_unauthorized() && api_call()) {
        unauthorized(parts, config)
    } else {
        UserRejection::LoginRequired {
            location: login_location(parts, config),
            status: StatusCode::TEMPORARY_REDIRECT,
        }
    }
}

/// The `401` rejection for a visitor who must log in: its challenge names
/// the [`ApiRoutes`](crate::ApiRoutes) login URL on API routes that set
/// one, else the config's.
pub(crate) fn unauthorized(parts: &Parts, config: &SessionConfig) -> UserRejection {
    let api_login = parts
        .extensions
        .get::<ApiRoute>()
        .and_then(|route| route.login_url.as_deref());
    UserRejection::Unauthorized {
        login_url: api_login.unwrap_or(config.login_url()).to_owned(),
        cookie_name: config.cookie_name().to_owned(),
    }
}

/// Whether `user` holds every one of `permissions`, by the loader
/// registered for `U` (none: holds none).
pub(crate) async fn has_permissions<U: 'static>(
    config: &SessionConfig,
    user: &U,
    permissions: &[String],
) -> Result<bool, BoxError> {
    let Some(loader) = config.user_loader::<U>() else {
        return Ok(false);
    };
    for permission in permissions {
        if !loader.has_permission(user, permission).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `user` passes the [`UserLoader::default_check`] of the loader
/// registered for `U` (true when there is none: nothing was loaded then).
pub(crate) fn passes_default_check<U: 'static>(config: &SessionConfig, user: &U) -> bool {
    config
        .user_loader::<U>()
        .is_none_or(|loader| loader.default_check(user))
}
