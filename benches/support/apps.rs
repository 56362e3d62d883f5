//! The apps the request benches and the allocation count share: the crate
//! in each mode, and its peers doing the same work, each with the cookie that
//! holds a given payload.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::handler::Handler;
use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    CurrentUser, Session, SessionConfig, SessionLayer, SessionService, SessionType, UserLoader,
};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SignedCookieJar};
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;
use tower::{Layer, ServiceExt};
use tower_sessions::{MemoryStore, SessionManagerLayer};

use super::BenchSession;

/// The secret every bench signs and encrypts with.
pub(crate) const SECRET: &str = "a-benchmark-secret-of-32-bytes!!";

/// What a row sends its requests to.
#[derive(Clone)]
pub(crate) enum App {
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
pub(crate) fn request(app: &App, cookie: Option<&HeaderValue>) -> Response<Body> {
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

/// The body of a response, as text.
fn body_of(response: Response<Body>) -> String {
    let bytes = super::run(response.into_body().collect())
        .expect("an in-memory body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("a text body")
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
pub(crate) fn config(codec: SessionType) -> SessionConfig {
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

/// The same users, whose sessions a password change revokes: every load of
/// the user checks the session's auth digest.
struct RevocableUsers;

impl UserLoader for RevocableUsers {
    type User = User;
    type Id = u64;
    type Error = Infallible;

    async fn load_user(&self, id: u64) -> Result<Option<User>, Infallible> {
        Ok((id == 42).then_some(User { id }))
    }

    fn session_auth_hash(&self, _user: &User) -> Option<Vec<u8>> {
        Some(PASSWORD_HASH.to_vec())
    }
}

/// An argon2 hash's length and shape, as a real loader would give.
const PASSWORD_HASH: &[u8] =
    b"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qLml5cTyS0Bhnwm6AXRf0Q3oFbU0jxkA";

/// A jwt config with [`RevocableUsers`], and the payload's cookie with the
/// digest its first load adds.
fn revocable(payload_cookie: &HeaderValue) -> (SessionConfig, HeaderValue) {
    let config = SessionConfig::builder()
        .session_type(SessionType::Jwt)
        .secret_key(SECRET)
        .build()
        .expect("valid config")
        .with_user_loader(RevocableUsers);
    let first = request(&user(config.clone()).into(), Some(payload_cookie));
    (config, cookies_of(&first))
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
        session.insert("visits", next).expect("a number serializes");
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
                session.insert(key, value).expect("JSON values serialize");
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

// ---- the floor ----------------------------------------------------------
//
// What a typed session costs at the least, written by hand without the
// crate: find the cookie, verify or decrypt it, parse the struct, and for a
// write serialize it, sign or encrypt it and set one cookie. No change
// tracking, no `Vary` or `Cache-Control`, no expiry, chunking or key
// rotation: the crate's rows over these are what all of that costs.

/// A cookie codec of the floor, over the same secret and token format as the
/// crate's, so the floor and the crate read each other's cookies.
trait FloorCodec: Send + Sync + 'static {
    /// The JSON a token holds, if it verifies.
    fn open(&self, token: &str) -> Option<Vec<u8>>;
    /// Appends the token for `json` to `out`.
    fn seal(&self, json: &[u8], out: &mut String);
}

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`, the header the crate writes.
const JWT_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// HS256 JWT keyed with the secret's bytes.
#[derive(Clone)]
struct FloorJwt(HmacSha256);

impl FloorJwt {
    fn new() -> Self {
        Self(HmacSha256::new_from_slice(SECRET.as_bytes()).expect("HMAC takes any key"))
    }
}

impl FloorCodec for FloorJwt {
    fn open(&self, token: &str) -> Option<Vec<u8>> {
        let (message, signature) = token.rsplit_once('.')?;
        // The algorithm is pinned, as any JWT reader must: only this header.
        let claims = message.strip_prefix(JWT_HEADER)?.strip_prefix('.')?;
        let mut buffer = [0u8; 64];
        let length = URL_SAFE_NO_PAD.decode_slice(signature, &mut buffer).ok()?;
        let mut mac = self.0.clone();
        mac.update(message.as_bytes());
        mac.verify_slice(&buffer[..length]).ok()?;
        URL_SAFE_NO_PAD.decode(claims).ok()
    }

    fn seal(&self, json: &[u8], out: &mut String) {
        let start = out.len();
        out.push_str(JWT_HEADER);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(json, out);
        let mut mac = self.0.clone();
        mac.update(&out.as_bytes()[start..]);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), out);
    }
}

/// Fernet with the key the crate derives from [`SECRET`]: an ASCII secret of
/// 32 bytes is itself the key's bytes (see `fernet_key` in `src/codec/fernet.rs`).
#[derive(Clone)]
struct FloorFernet(fernet::Fernet);

impl FloorFernet {
    fn new() -> Self {
        assert!(
            SECRET.is_ascii() && SECRET.len() == 32,
            "the key derivation below"
        );
        Self(fernet::Fernet::new(&URL_SAFE.encode(SECRET)).expect("a 32-byte key"))
    }
}

impl FloorCodec for FloorFernet {
    fn open(&self, token: &str) -> Option<Vec<u8>> {
        self.0.decrypt(token).ok()
    }

    fn seal(&self, json: &[u8], out: &mut String) {
        out.push_str(&self.0.encrypt(json));
    }
}

/// The request's `session` cookie, opened and parsed; the default if there is
/// none or it does not verify.
fn floor_load(codec: &impl FloorCodec, headers: &HeaderMap) -> BenchSession {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("session="))
        .and_then(|token| codec.open(token))
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default()
}

/// The floor of `typed_read_*`: verify, parse, read the counter.
fn floor_read<C: FloorCodec>(codec: C) -> Router {
    async fn handler<C: FloorCodec>(State(codec): State<Arc<C>>, headers: HeaderMap) -> String {
        floor_load(&*codec, &headers).visits.to_string()
    }
    Router::new()
        .route("/", get(handler::<C>))
        .with_state(Arc::new(codec))
}

/// The floor of `typed_write_*`: verify, parse, bump, serialize, sign, one cookie.
fn floor_write<C: FloorCodec>(codec: C) -> Router {
    async fn handler<C: FloorCodec>(
        State(codec): State<Arc<C>>,
        headers: HeaderMap,
    ) -> ([(HeaderName, HeaderValue); 1], &'static str) {
        let mut session = floor_load(&*codec, &headers);
        session.visits += 1;
        let json = serde_json::to_vec(&session).unwrap_or_default();
        let mut cookie = String::with_capacity(json.len() * 2 + 128);
        cookie.push_str("session=");
        codec.seal(&json, &mut cookie);
        cookie.push_str("; HttpOnly; SameSite=Lax; Path=/");
        let cookie = HeaderValue::try_from(cookie).expect("a token is header-safe");
        ([(SET_COOKIE, cookie)], "ok")
    }
    Router::new()
        .route("/", get(handler::<C>))
        .with_state(Arc::new(codec))
}

/// Checks, once per codec and payload, that the floor and the crate read each
/// other's cookies: the crate's written cookie read by the floor, the floor's
/// read by the crate, each after one bump of `cookie`'s counter. A floor
/// that could not read the crate's cookies would be timing empty sessions.
fn check_floor(config: &SessionConfig, codec: impl FloorCodec + Clone, cookie: &HeaderValue) {
    let visits = |app: App, cookie: &HeaderValue| body_of(request(&app, Some(cookie)));
    let before: u64 = visits(typed_read(config.clone()).into(), cookie)
        .parse()
        .expect("a counter");
    let bumped = (before + 1).to_string();
    let by_crate = cookies_of(&request(&typed_write(config.clone()).into(), Some(cookie)));
    assert_eq!(
        visits(floor_read(codec.clone()).into(), &by_crate),
        bumped,
        "the floor reads the crate's cookie"
    );
    let by_floor = cookies_of(&request(&floor_write(codec).into(), Some(cookie)));
    assert_eq!(
        visits(typed_read(config.clone()).into(), &by_floor),
        bumped,
        "the crate reads the floor's cookie"
    );
}

/// One row of the request benches.
pub(crate) struct Scenario {
    pub name: &'static str,
    pub app: App,
    pub cookie: HeaderValue,
    /// The handler changes the session, so a cookie is set.
    pub writes: bool,
}

/// Every row, for one payload, in the order the tables show them.
pub(crate) fn scenarios(payload: &Map<String, Value>) -> Vec<Scenario> {
    let jwt = config(SessionType::Jwt);
    let fernet = config(SessionType::Fernet);
    let jwt_cookie = crate_cookie(&jwt, payload);
    let revocable = revocable(&jwt_cookie);
    let fernet_cookie = crate_cookie(&fernet, payload);
    check_floor(&jwt, FloorJwt::new(), &jwt_cookie);
    check_floor(&fernet, FloorFernet::new(), &fernet_cookie);
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
        row("user_revocable_jwt", user(revocable.0), &revocable.1, false),
        // 40 000 cookies after the session's: what a header stuffed with
        // cookies costs a request that reads the session, beside one that
        // does not.
        row(
            "many_cookies_bare",
            bare(),
            &many_cookies(&jwt_cookie),
            false,
        ),
        row(
            "many_cookies_read_jwt",
            read(jwt.clone()),
            &many_cookies(&jwt_cookie),
            false,
        ),
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
        // The typed path: the crate, its floor, and the peers doing the same.
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
        row(
            "floor_read_jwt",
            floor_read(FloorJwt::new()),
            &jwt_cookie,
            false,
        ),
        row(
            "floor_write_jwt",
            floor_write(FloorJwt::new()),
            &jwt_cookie,
            true,
        ),
        row(
            "floor_write_fernet",
            floor_write(FloorFernet::new()),
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

/// `cookie` followed by 40 000 other cookies, in one `Cookie` header.
fn many_cookies(cookie: &HeaderValue) -> HeaderValue {
    let mut header = cookie.as_bytes().to_vec();
    for index in 0..40_000 {
        header.extend_from_slice(format!("; c{index}=v").as_bytes());
    }
    HeaderValue::from_bytes(&header).expect("a cookie header")
}

fn row(name: &'static str, app: impl Into<App>, cookie: &HeaderValue, writes: bool) -> Scenario {
    Scenario {
        name,
        app: app.into(),
        cookie: cookie.clone(),
        writes,
    }
}
