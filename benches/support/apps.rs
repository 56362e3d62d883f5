//! The apps the request benches and the allocation count share: the crate
//! in each mode, and its peers doing the same work, each with the cookie that
//! holds a given payload.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::FromRef;
use axum::handler::Handler;
use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    CurrentUser, Session, SessionConfig, SessionLayer, SessionService, SessionType, UserLoader,
};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SignedCookieJar};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use tower::{Layer, ServiceExt};
use tower_sessions::{MemoryStore, SessionManagerLayer};

use super::BenchSession;

/// The secret every bench signs and encrypts with.
pub const SECRET: &str = "a-benchmark-secret-of-32-bytes!!";

/// What a row sends its requests to.
#[derive(Clone)]
pub enum App {
    /// A `Router`, with its layers added by `Router::layer`.
    Router(Router),
    /// `SessionLayer` wrapped around a whole `Router`, from outside.
    Wrapped(SessionService<Router>),
}

impl From<Router> for App {
    fn from(router: Router) -> Self {
        Self::Router(router)
    }
}

/// Sends `GET /` with `cookie` through `app`.
pub fn request(app: &App, cookie: Option<&HeaderValue>) -> Response<Body> {
    request_to(app, "/", cookie)
}

fn request_to(app: &App, path: &str, cookie: Option<&HeaderValue>) -> Response<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie.clone());
    }
    let request = request.body(Body::empty()).expect("a request");
    let response = match app {
        App::Router(router) => super::run(router.clone().oneshot(request)),
        App::Wrapped(service) => super::run(service.clone().oneshot(request)),
    };
    response.expect("infallible")
}

/// The `name=value` pairs of a response's cookies, as a `Cookie` header.
fn cookies_of(response: &Response<Body>) -> HeaderValue {
    let pairs: Vec<&str> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next())
        .collect();
    HeaderValue::from_str(&pairs.join("; ")).expect("a cookie header")
}

/// A session value the handlers read a visit counter from and bump: the map
/// view or [`BenchSession`], so one peer app serves both kinds of rows.
trait Visits: Serialize + DeserializeOwned + Default + Send + 'static {
    fn visits(&self) -> u64;
    fn set_visits(&mut self, visits: u64);
}

impl Visits for Map<String, Value> {
    fn visits(&self) -> u64 {
        self.get("visits").and_then(Value::as_u64).unwrap_or(0)
    }

    fn set_visits(&mut self, visits: u64) {
        self.insert("visits".into(), visits.into());
    }
}

impl Visits for BenchSession {
    fn visits(&self) -> u64 {
        self.visits
    }

    fn set_visits(&mut self, visits: u64) {
        self.visits = visits;
    }
}

// ---- the crate ----------------------------------------------------------

/// The crate's config for `codec`, with the in-memory user loader.
pub fn config(codec: SessionType) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(SECRET)
        .build()
        .expect("valid config")
        .with_user_loader(Users)
}

#[derive(Clone)]
struct User {
    id: u64,
}

struct Users;

impl UserLoader for Users {
    type User = User;
    type Id = u64;
    type Error = Infallible;

    async fn load_user(&self, id: u64) -> Result<Option<User>, Infallible> {
        Ok((id == 42).then_some(User { id }))
    }
}

fn with_layer(router: Router<SessionConfig>, config: SessionConfig) -> Router {
    router
        .layer(SessionLayer::new(config.clone()))
        .with_state(config)
}

fn bare() -> Router {
    Router::new().route("/", get(|| async { "ok" }))
}

/// The same handler behind a layer that does nothing: what axum charges
/// for any `Router::layer`, session or not.
fn noop_layer() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(tower::layer::layer_fn(|service| service))
}

fn untouched(config: SessionConfig) -> Router {
    with_layer(Router::new().route("/", get(|| async { "ok" })), config)
}

/// The same, with `SessionLayer` around the whole Router instead of added by
/// `Router::layer`: axum has no per-route layer to box and clone.
fn untouched_outer(config: SessionConfig) -> App {
    let router = Router::new()
        .route("/", get(|| async { "ok" }))
        .with_state(config.clone());
    App::Wrapped(SessionLayer::new(config).layer(router))
}

fn read(config: SessionConfig) -> Router {
    async fn handler(session: Session) -> String {
        session.visits().to_string()
    }
    with_layer(Router::new().route("/", get(handler)), config)
}

fn write(config: SessionConfig) -> Router {
    async fn handler(mut session: Session) -> &'static str {
        let next = session.visits() + 1;
        session.insert("visits", next);
        "ok"
    }
    with_layer(Router::new().route("/", get(handler)), config)
}

fn user(config: SessionConfig) -> Router {
    async fn handler(session: Session, CurrentUser(user): CurrentUser<User>) -> String {
        format!("{} {}", user.id, session.visits())
    }
    with_layer(Router::new().route("/", get(handler)), config)
}

/// The typed view: reads the struct, answers its counter.
fn typed_read(config: SessionConfig) -> Router {
    async fn handler(session: Session<BenchSession>) -> String {
        session.visits.to_string()
    }
    with_layer(Router::new().route("/", get(handler)), config)
}

/// The typed view: reads the struct, bumps its counter.
fn typed_write(config: SessionConfig) -> Router {
    async fn handler(mut session: Session<BenchSession>) -> &'static str {
        session.visits += 1;
        "ok"
    }
    with_layer(Router::new().route("/", get(handler)), config)
}

/// A cookie holding `payload`, as `app` sets it.
fn crate_cookie(config: &SessionConfig, payload: &Map<String, Value>) -> HeaderValue {
    let payload = payload.clone();
    let fill = Router::new().route(
        "/",
        get(move |mut session: Session| async move {
            for (key, value) in payload {
                session.insert(key, value);
            }
        }),
    );
    cookies_of(&request(&with_layer(fill, config.clone()).into(), None))
}

// ---- the peers ----------------------------------------------------------

/// The key the typed tower-sessions rows keep their whole [`BenchSession`] under.
const TOWER_KEY: &str = "session";

/// tower-sessions with its `MemoryStore`, `handler` at `/`, and the id cookie
/// of a record holding `record` (key by key). The record is filled through
/// the app's own layer, so the rows read a stored session, not a new one.
fn tower_sessions_app<H, T>(handler: H, record: &Map<String, Value>) -> (Router, HeaderValue)
where
    H: Handler<T, ()>,
    T: 'static,
{
    let record = record.clone();
    let fill = move |session: tower_sessions::Session| async move {
        for (key, value) in record {
            session.insert(&key, value).await.expect("a memory store");
        }
    };
    let app = Router::new()
        .route("/", get(handler))
        .route("/fill", get(fill))
        .layer(SessionManagerLayer::new(MemoryStore::default()));
    let cookie = cookies_of(&request_to(&app.clone().into(), "/fill", None));
    assert!(!cookie.is_empty(), "tower-sessions set no cookie");
    (app, cookie)
}

/// tower-sessions holding the session key by key, reading and bumping the counter.
fn tower_sessions_map(payload: &Map<String, Value>) -> (Router, HeaderValue) {
    async fn handler(session: tower_sessions::Session) -> &'static str {
        let visits: u64 = session.get("visits").await.ok().flatten().unwrap_or(0);
        let _ = session.insert("visits", visits + 1).await;
        "ok"
    }
    tower_sessions_app(handler, payload)
}

/// The whole session as one [`BenchSession`] under [`TOWER_KEY`].
fn tower_sessions_record(payload: &Map<String, Value>) -> Map<String, Value> {
    Map::from_iter([(TOWER_KEY.to_owned(), Value::Object(payload.clone()))])
}

/// tower-sessions holding a [`BenchSession`], reading it and bumping its counter.
fn tower_sessions_typed(payload: &Map<String, Value>) -> (Router, HeaderValue) {
    async fn handler(session: tower_sessions::Session) -> &'static str {
        let mut typed: BenchSession = session
            .get(TOWER_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        typed.visits += 1;
        let _ = session.insert(TOWER_KEY, typed).await;
        "ok"
    }
    tower_sessions_app(handler, &tower_sessions_record(payload))
}

/// tower-sessions holding a [`BenchSession`], reading its counter.
fn tower_sessions_typed_read(payload: &Map<String, Value>) -> (Router, HeaderValue) {
    async fn handler(session: tower_sessions::Session) -> String {
        let typed: BenchSession = session
            .get(TOWER_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        typed.visits.to_string()
    }
    tower_sessions_app(handler, &tower_sessions_record(payload))
}

#[derive(Clone)]
struct JarState {
    key: Key,
}

impl FromRef<JarState> for Key {
    fn from_ref(state: &JarState) -> Key {
        state.key.clone()
    }
}

fn jar_state() -> JarState {
    JarState {
        key: Key::from(&[7u8; 64]),
    }
}

/// The session JSON in a jar cookie, read as a `T`, bumped and written back.
fn bump<T: Visits>(value: Option<&str>) -> String {
    let mut session: T = value
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    session.set_visits(session.visits() + 1);
    serde_json::to_string(&session).unwrap_or_default()
}

/// `PrivateCookieJar` holding the session JSON, read as a `T`.
fn private_jar_app<T: Visits>() -> Router {
    async fn handler<T: Visits>(jar: PrivateCookieJar) -> (PrivateCookieJar, &'static str) {
        let json = bump::<T>(jar.get("session").as_ref().map(Cookie::value));
        (jar.add(Cookie::new("session", json)), "ok")
    }
    Router::new()
        .route("/", get(handler::<T>))
        .with_state(jar_state())
}

/// `SignedCookieJar` holding the session JSON, read as a `T`.
fn signed_jar_app<T: Visits>() -> Router {
    async fn handler<T: Visits>(jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
        let json = bump::<T>(jar.get("session").as_ref().map(Cookie::value));
        (jar.add(Cookie::new("session", json)), "ok")
    }
    Router::new()
        .route("/", get(handler::<T>))
        .with_state(jar_state())
}

/// A jar cookie holding `payload`, as `app` sets it.
fn jar_cookie(private: bool, payload: &Map<String, Value>) -> HeaderValue {
    let json = serde_json::to_string(payload).expect("JSON");
    let key = jar_state().key;
    let headers = if private {
        let jar = PrivateCookieJar::new(key).add(Cookie::new("session", json));
        axum::response::IntoResponse::into_response((jar, ()))
            .headers()
            .clone()
    } else {
        let jar = SignedCookieJar::new(key).add(Cookie::new("session", json));
        axum::response::IntoResponse::into_response((jar, ()))
            .headers()
            .clone()
    };
    let mut response = Response::new(Body::empty());
    *response.headers_mut() = headers;
    cookies_of(&response)
}

/// One row of the request benches.
pub struct Scenario {
    pub name: &'static str,
    pub app: App,
    pub cookie: HeaderValue,
    /// The handler changes the session, so a cookie is set.
    pub writes: bool,
}

/// Every row, for one payload, in the order the tables show them.
pub fn scenarios(payload: &Map<String, Value>) -> Vec<Scenario> {
    let jwt = config(SessionType::Jwt);
    let fernet = config(SessionType::Fernet);
    let jwt_cookie = crate_cookie(&jwt, payload);
    let fernet_cookie = crate_cookie(&fernet, payload);
    let tower = tower_sessions_map(payload);
    let tower_typed = tower_sessions_typed(payload);
    let tower_typed_read = tower_sessions_typed_read(payload);
    let private_cookie = jar_cookie(true, payload);
    let signed_cookie = jar_cookie(false, payload);
    vec![
        row("bare", bare(), &jwt_cookie, false),
        row("noop_layer", noop_layer(), &jwt_cookie, false),
        row("untouched", untouched(jwt.clone()), &jwt_cookie, false),
        row(
            "untouched_outer",
            untouched_outer(jwt.clone()),
            &jwt_cookie,
            false,
        ),
        row("read_jwt", read(jwt.clone()), &jwt_cookie, false),
        row("write_jwt", write(jwt.clone()), &jwt_cookie, true),
        row("user_jwt", user(jwt.clone()), &jwt_cookie, false),
        row("read_fernet", read(fernet.clone()), &fernet_cookie, false),
        row("write_fernet", write(fernet.clone()), &fernet_cookie, true),
        // tower-sessions answers a changed session with its id cookie again.
        row("tower_sessions", tower.0, &tower.1, true),
        row(
            "private_jar",
            private_jar_app::<Map<String, Value>>(),
            &private_cookie,
            true,
        ),
        row(
            "signed_jar",
            signed_jar_app::<Map<String, Value>>(),
            &signed_cookie,
            true,
        ),
        // The typed path: the crate, and the peers doing the same.
        row(
            "typed_read_jwt",
            typed_read(jwt.clone()),
            &jwt_cookie,
            false,
        ),
        row("typed_write_jwt", typed_write(jwt), &jwt_cookie, true),
        row(
            "typed_write_fernet",
            typed_write(fernet),
            &fernet_cookie,
            true,
        ),
        row("tower_sessions_typed", tower_typed.0, &tower_typed.1, true),
        row(
            "tower_sessions_typed_read",
            tower_typed_read.0,
            &tower_typed_read.1,
            false,
        ),
        row(
            "private_jar_typed",
            private_jar_app::<BenchSession>(),
            &private_cookie,
            true,
        ),
        row(
            "signed_jar_typed",
            signed_jar_app::<BenchSession>(),
            &signed_cookie,
            true,
        ),
    ]
}

fn row(name: &'static str, app: impl Into<App>, cookie: &HeaderValue, writes: bool) -> Scenario {
    Scenario {
        name,
        app: app.into(),
        cookie: cookie.clone(),
        writes,
    }
}
