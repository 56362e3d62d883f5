//! Helpers shared by the integration tests: configs, a cookie-keeping client
//! over a `Router`, and decoding cookies through the public API.
#![allow(dead_code)]

pub(crate) mod users;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::Router;
use axum_cookie_session::{Session, SessionConfig, SessionType};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use tower::ServiceExt;

/// The secret of muffin-session's own test suite.
pub(crate) const SECRET: &str = "SECRET-TESTS-SECRET-TESTS-SECRET";

/// Every codec this build has.
pub(crate) fn codecs() -> Vec<SessionType> {
    let mut codecs = vec![SessionType::Base64, SessionType::Jwt];
    if cfg!(feature = "fernet") {
        codecs.push(SessionType::Fernet);
    }
    codecs
}

/// The signing codecs this build has.
pub(crate) fn keyed_codecs() -> Vec<SessionType> {
    codecs()
        .into_iter()
        .filter(|codec| *codec != SessionType::Base64)
        .collect()
}

pub(crate) fn config(codec: SessionType) -> SessionConfig {
    config_with_secret(codec, SECRET)
}

/// A config with `secret`, which may be a Muffin app's short one (the
/// vectors carry such secrets): weak secrets are allowed here.
pub(crate) fn config_with_secret(codec: SessionType, secret: &str) -> SessionConfig {
    SessionConfig::builder()
        .session_type(codec)
        .secret_key(secret)
        .allow_weak_secret(true)
        .build()
        .unwrap()
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The `Set-Cookie` headers of the response.
    pub(crate) fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect()
    }

    /// The one `Set-Cookie` of the response, if any.
    pub(crate) fn set_cookie(&self) -> Option<&str> {
        let cookies = self.set_cookies();
        assert!(cookies.len() <= 1, "more than one Set-Cookie: {cookies:?}");
        cookies.first().copied()
    }

    /// The value of the one `Set-Cookie`.
    pub(crate) fn cookie_value(&self) -> Option<String> {
        let set_cookie = self.set_cookie()?;
        let pair = set_cookie.split(';').next().unwrap();
        Some(pair.split_once('=').unwrap().1.to_owned())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

/// Sends `GET uri` with an optional `Cookie` header.
pub(crate) async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// A client that keeps cookies between requests, as a browser does: each
/// `Set-Cookie` stores its cookie, or deletes it when it carries `Max-Age=0`.
pub(crate) struct Client {
    pub app: Router,
    pub jar: BTreeMap<String, String>,
}

impl Client {
    pub(crate) fn new(app: Router) -> Self {
        Self {
            app,
            jar: BTreeMap::new(),
        }
    }

    /// The `Cookie` header the client would send.
    pub(crate) fn cookie_header(&self) -> Option<String> {
        let pairs: Vec<String> = self
            .jar
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    pub(crate) async fn get(&mut self, uri: &str) -> Reply {
        let reply = get(&self.app, uri, self.cookie_header().as_deref()).await;
        self.store(&reply);
        reply
    }

    /// A form `POST` from this site's own page (`Sec-Fetch-Site:
    /// same-origin`), as a browser sends it.
    #[allow(dead_code)]
    pub(crate) async fn post(&mut self, uri: &str, form: &str) -> Reply {
        let mut request = Request::post(uri)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = self.cookie_header() {
            request = request.header(COOKIE, cookie);
        }
        let reply = send(
            &self.app,
            request.body(Body::from(form.to_owned())).unwrap(),
        )
        .await;
        self.store(&reply);
        reply
    }

    /// Stores (or deletes) the cookies a reply sets.
    pub(crate) fn store(&mut self, reply: &Reply) {
        for set_cookie in reply.set_cookies() {
            let pair = set_cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if set_cookie.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

/// Decodes a cookie value with `config`, through the public API.
pub(crate) fn decode(config: &SessionConfig, token: &str) -> Map<String, Value> {
    let mut headers = HeaderMap::new();
    let cookie = format!("{}={token}", config.cookie_name());
    headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
    let session: Session = config.load_from_request(&headers).unwrap();
    session.into_inner()
}

/// Encodes `data` into a cookie value with `config`, through the public API.
pub(crate) fn encode(config: &SessionConfig, data: Value) -> String {
    let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
    let Value::Object(data) = data else {
        panic!("not an object")
    };
    for (key, value) in data {
        session.insert(key, value).unwrap();
    }
    let mut headers = HeaderMap::new();
    assert!(config.save_to_response(session, &mut headers).unwrap());
    let set_cookie = headers[SET_COOKIE].to_str().unwrap();
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

/// The JWT header PyJWT writes.
pub(crate) const PYJWT_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A JWT with any header, its HMAC-SHA256 signature made with `secret`, as
/// an attacker who knows (or guesses) a key would make it.
pub(crate) fn sign_jwt(secret: &str, header: &str, claims: &Value) -> String {
    jwt_signed_with(header, claims, |message| {
        hmac::<hmac::Hmac<sha2::Sha256>>(secret, message)
    })
}

/// A JWT with any header and claims, whose signature `sign` makes from the
/// signed message (`header.claims`, base64url).
pub(crate) fn jwt_signed_with(
    header: &str,
    claims: &Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = URL_SAFE_NO_PAD.encode(sign(message.as_bytes()));
    format!("{message}.{signature}")
}

/// The MAC `M` (HMAC with some hash) of `message` keyed by `secret`.
pub(crate) fn hmac<M: hmac::Mac + hmac::digest::KeyInit>(secret: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = <M as hmac::Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// What is logged at `level` or above on this thread while `f` runs: the
/// events `f` logs on the calling thread, formatted as `tracing_subscriber`'s
/// `fmt` prints them (time, level, target, message, fields), without colour.
///
/// Work that `f` hands to another thread is not seen: drive futures on this
/// thread (`block_on` of a current-thread runtime, or a plain
/// `#[tokio::test]`), not in spawned tasks. Tests beside this one, on other
/// threads, are not seen either.
pub(crate) fn logs_of(level: tracing::Level, f: impl FnOnce()) -> String {
    capture::logs_of(level, f)
}

/// One subscriber for the whole test binary, set as the global default the
/// first time `logs_of` runs, which hands each event to the capture of the
/// thread that logs it.
///
/// tracing caches whether a callsite is wanted once for the whole process:
/// a thread-local subscriber (`with_default`) missed events whose callsite
/// was first reached on a thread that had none, while tests ran side by
/// side. This subscriber wants every callsite "sometimes" (asked again at
/// each event, never cached as unwanted) and decides per event, by thread.
mod capture {
    use std::cell::RefCell;
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Once;

    use tracing::level_filters::LevelFilter;
    use tracing::subscriber::Interest;
    use tracing::{Level, Metadata};
    use tracing_subscriber::layer::{Context, Filter, Layer as _, SubscriberExt as _};

    thread_local! {
        /// While `logs_of` runs on this thread: its level, and what was
        /// logged so far.
        static CAPTURE: RefCell<Option<(LevelFilter, Vec<u8>)>> = const { RefCell::new(None) };
    }

    /// Set once the subscriber is the global default.
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// Lets an event through when its thread is capturing at its level.
    struct Capturing;

    impl<S> Filter<S> for Capturing {
        fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
            CAPTURE.with(|capture| match &*capture.borrow() {
                Some((level, _)) => metadata.level() <= level,
                None => false,
            })
        }

        fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
            Interest::sometimes()
        }

        fn max_level_hint(&self) -> Option<LevelFilter> {
            // `OFF` until the subscriber is the global default, so that no
            // callsite is registered (and cached as unwanted) against the
            // "no subscriber" left in place while it is being set.
            if INSTALLED.load(Ordering::SeqCst) {
                Some(LevelFilter::TRACE)
            } else {
                Some(LevelFilter::OFF)
            }
        }
    }

    /// Appends to the capture of the thread that writes.
    struct ThisThread;

    impl io::Write for ThisThread {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            CAPTURE.with(|capture| {
                if let Some((_, logs)) = &mut *capture.borrow_mut() {
                    logs.extend_from_slice(bytes);
                }
            });
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn install() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let fmt = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(|| ThisThread)
                .with_filter(Capturing);
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(fmt))
                .expect("nothing else in the tests sets a global subscriber");
            INSTALLED.store(true, Ordering::SeqCst);
            // Lifts the `OFF` hint: every level now reaches the subscriber.
            tracing::callsite::rebuild_interest_cache();
        });
    }

    /// Ends the capture, even when `f` panics (a pool thread may be reused).
    struct Stop;

    impl Drop for Stop {
        fn drop(&mut self) {
            CAPTURE.with(|capture| capture.borrow_mut().take());
        }
    }

    pub(super) fn logs_of(level: Level, f: impl FnOnce()) -> String {
        install();
        let outer = CAPTURE.with(|capture| {
            capture
                .borrow_mut()
                .replace((LevelFilter::from_level(level), Vec::new()))
        });
        assert!(outer.is_none(), "logs_of does not nest");
        let stop = Stop;
        f();
        let (_, logs) = CAPTURE
            .with(|capture| capture.borrow_mut().take())
            .expect("the capture is still on");
        drop(stop);
        String::from_utf8(logs).unwrap()
    }
}

/// Runs each `async fn name(codec: SessionType)` once per codec this build
/// has, as tests named `name::base64`, `name::jwt` and `name::fernet`; with
/// `keyed:` first, once per signing codec (`name::jwt`, `name::fernet`): the
/// behaviours that need a key, which `Base64` does not take.
#[macro_export]
macro_rules! codec_tests {
    (keyed: $($name:ident),* $(,)?) => {
        $( $crate::codec_tests!(@each $name: jwt Jwt, fernet Fernet); )*
    };
    ($($name:ident),* $(,)?) => {
        $( $crate::codec_tests!(@each $name: base64 Base64, jwt Jwt, fernet Fernet); )*
    };
    (@each $name:ident: $($test:ident $codec:ident),*) => {
        mod $name {
            $( $crate::codec_tests!(@test $name $test $codec); )*
        }
    };
    (@test $name:ident fernet $codec:ident) => {
        #[cfg(feature = "fernet")]
        #[tokio::test]
        async fn fernet() {
            super::$name(axum_cookie_session::SessionType::$codec).await
        }
    };
    (@test $name:ident $test:ident $codec:ident) => {
        #[tokio::test]
        async fn $test() {
            super::$name(axum_cookie_session::SessionType::$codec).await
        }
    };
}
