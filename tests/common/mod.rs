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

/// What the crate logs at `level` or above while `f` runs.
pub(crate) fn logs_of(level: tracing::Level, f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // Tests running beside this one, with no subscriber, may have left
        // a callsite cached as disabled: ask every callsite again.
        tracing::callsite::rebuild_interest_cache();
        f();
    });
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
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
