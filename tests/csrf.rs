//! Cross-site request forgery, in the manner of OWASP's CSRF Prevention Cheat
//! Sheet: forged cross-site form posts, sibling subdomains, `Origin: null`,
//! other ports, other methods and method overrides are refused by
//! `SessionLayer`, by default, and change nothing; same-origin requests, the
//! user's own navigations, trusted origins and clients that are not browsers
//! pass; no layer order leaves a session route unchecked; and the
//! session-bound form token holds where a browser sends neither header.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_cookie_session::{
    ConfigError, CsrfRejection, CsrfToken, Session, SessionConfig, SessionLayer, CSRF_FIELD,
    CSRF_TOKEN_KEY,
};
use common::Reply;
use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::Value;

/// The site's own host, as browsers send it in `Host`.
const HOST_NAME: &str = "app.example.test";
const SELF_ORIGIN: &str = "http://app.example.test";
const TRUSTED: &str = "https://admin.example.test";

/// How many times a state-changing handler ran.
#[derive(Clone, Default)]
struct Changes(Arc<AtomicUsize>);

#[derive(Deserialize)]
struct TokenForm {
    csrf_token: Option<String>,
}

fn config() -> SessionConfig {
    config_with(true)
}

fn config_with(protection: bool) -> SessionConfig {
    SessionConfig::builder()
        .secret_key(common::SECRET)
        .trusted_origins([TRUSTED])
        .cross_origin_protection(protection)
        .build()
        .unwrap()
}

/// `/transfer` (any method) changes the session; `/form` renders the token
/// (`GET`) or checks it (`POST`); `/login` ends the session and logs in,
/// `/form-login` too after checking the form's token.
fn app(config: SessionConfig, changes: Changes) -> Router {
    async fn transfer(State(changes): State<Changes>, mut session: Session) -> &'static str {
        changes.0.fetch_add(1, Ordering::SeqCst);
        session.insert("transferred", true).unwrap();
        "done"
    }
    async fn page(token: CsrfToken) -> String {
        token.as_str().to_owned()
    }
    async fn submit(
        State(changes): State<Changes>,
        token: CsrfToken,
        mut session: Session,
        Form(form): Form<TokenForm>,
    ) -> Result<&'static str, CsrfRejection> {
        token.verify(form.csrf_token.as_deref())?;
        changes.0.fetch_add(1, Ordering::SeqCst);
        session.insert("submitted", true).unwrap();
        Ok("submitted")
    }
    async fn login(mut session: Session) -> &'static str {
        session.end();
        session.login(1).unwrap();
        "logged in"
    }
    // A login that keeps what the session held (muffin-session's way).
    async fn login_keeping(mut session: Session) -> &'static str {
        session.login(1).unwrap();
        "logged in"
    }
    async fn form_login(
        token: CsrfToken,
        mut session: Session,
        Form(form): Form<TokenForm>,
    ) -> Result<&'static str, CsrfRejection> {
        token.verify(form.csrf_token.as_deref())?;
        session.end();
        session.login(1).unwrap();
        Ok("logged in")
    }
    let router = Router::new()
        .route(
            "/transfer",
            get(transfer)
                .post(transfer)
                .put(transfer)
                .patch(transfer)
                .delete(transfer)
                .options(transfer),
        )
        .route("/form", get(page).post(submit))
        .route("/login", post(login))
        .route("/login-keeping", post(login_keeping))
        .route("/form-login", post(form_login))
        .with_state(changes);
    router.layer(SessionLayer::new(config))
}

/// A request to this site, with `headers` on top of `Host`.
async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(HOST, HOST_NAME)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    common::send(app, request.body(Body::from(body.to_owned())).unwrap()).await
}

/// What a case is called, its method, and its headers.
type Case = (&'static str, Method, Vec<(&'static str, &'static str)>);

const CROSS_SITE: &[(&str, &str)] = &[
    ("sec-fetch-site", "cross-site"),
    ("origin", "https://evil.example"),
];

#[tokio::test]
async fn cross_site_state_changing_requests_are_refused_and_change_nothing() {
    let changes = Changes::default();
    let app = app(config(), changes.clone());
    let post = Method::POST;
    let cases: Vec<Case> = vec![
        // A form on evil.example posting here (the classic attack).
        ("cross-site form post", post.clone(), CROSS_SITE.to_vec()),
        // `text/plain` is a "simple" request: no preflight protects it.
        (
            "cross-site text/plain post",
            post.clone(),
            [CROSS_SITE, &[("content-type", "text/plain")]].concat(),
        ),
        // A sibling subdomain is same-site: SameSite cookies do not stop it.
        (
            "sibling subdomain",
            post.clone(),
            vec![
                ("sec-fetch-site", "same-site"),
                ("origin", "https://blog.example.test"),
            ],
        ),
        (
            "same-site without Origin",
            post.clone(),
            vec![("sec-fetch-site", "same-site")],
        ),
        (
            "header in capitals",
            post.clone(),
            vec![("sec-fetch-site", "CROSS-SITE")],
        ),
        (
            "unknown Sec-Fetch-Site",
            post.clone(),
            vec![("sec-fetch-site", "same-origin, cross-site")],
        ),
        // Browsers without Fetch Metadata: Origin alone decides.
        (
            "Origin of another site",
            post.clone(),
            vec![("origin", "https://evil.example")],
        ),
        // Sandboxed iframes, data: URLs and privacy redirects send `null`.
        ("Origin null", post.clone(), vec![("origin", "null")]),
        (
            "same host, another port",
            post.clone(),
            vec![("origin", "http://app.example.test:8080")],
        ),
        (
            "Origin with a path",
            post.clone(),
            vec![("origin", "http://app.example.test/x")],
        ),
        (
            "a suffix of this host",
            post.clone(),
            vec![("origin", "http://evil-app.example.test")],
        ),
        // Spellings no browser sends are not this host.
        (
            "port with a leading zero",
            post.clone(),
            vec![("origin", "http://app.example.test:080")],
        ),
        (
            "port with a sign",
            post.clone(),
            vec![("origin", "http://app.example.test:+80")],
        ),
        (
            "Origin with a fragment",
            post.clone(),
            vec![("origin", "http://app.example.test#x")],
        ),
        // The trusted origin is `https`: its `http` twin is another origin.
        (
            "trusted host, other scheme",
            post.clone(),
            vec![("origin", "http://admin.example.test:443")],
        ),
        // Every state-changing method, and method overrides, which only
        // the method itself decides.
        ("cross-site PUT", Method::PUT, CROSS_SITE.to_vec()),
        ("cross-site PATCH", Method::PATCH, CROSS_SITE.to_vec()),
        ("cross-site DELETE", Method::DELETE, CROSS_SITE.to_vec()),
        (
            "POST claiming to be GET",
            post.clone(),
            [CROSS_SITE, &[("x-http-method-override", "GET")]].concat(),
        ),
    ];
    for (case, method, headers) in cases {
        let reply = send(&app, method, "/transfer", &headers, "amount=1000").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{case}");
        assert!(
            reply.set_cookies().is_empty(),
            "{case}: {:?}",
            reply.set_cookies()
        );
        assert_eq!(
            changes.0.load(Ordering::SeqCst),
            0,
            "{case}: the handler ran"
        );
    }
    // Two `Sec-Fetch-Site` or two `Origin` headers: no browser sends that.
    for name in [ORIGIN.as_str(), "sec-fetch-site"] {
        let mut request = Request::post("/transfer").header(HOST, HOST_NAME);
        for value in [SELF_ORIGIN, "same-origin"] {
            request = request.header(name, value);
        }
        let value = if name == "origin" {
            "https://evil.example"
        } else {
            "cross-site"
        };
        let request = request.header(name, value).body(Body::empty()).unwrap();
        let reply = common::send(&app, request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "two {name} headers");
    }
    assert_eq!(changes.0.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn same_origin_trusted_and_non_browser_requests_pass() {
    let changes = Changes::default();
    let app = app(config(), changes.clone());
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "same-origin form post",
            vec![("sec-fetch-site", "same-origin"), ("origin", SELF_ORIGIN)],
        ),
        // Typed in the address bar, a bookmark: the user's own navigation.
        ("user navigation", vec![("sec-fetch-site", "none")]),
        ("Origin of this host", vec![("origin", SELF_ORIGIN)]),
        (
            "Origin of this host, any case",
            vec![("origin", "HTTP://App.Example.Test")],
        ),
        // Behind a TLS proxy the server cannot know its scheme.
        (
            "https Origin of this host",
            vec![("origin", "https://app.example.test")],
        ),
        (
            "trusted origin, cross-site",
            vec![("sec-fetch-site", "cross-site"), ("origin", TRUSTED)],
        ),
        (
            "trusted origin, default port",
            vec![("origin", "https://admin.example.test:443")],
        ),
        // curl, scripts, servers: no ambient credentials to abuse.
        ("neither header", vec![]),
    ];
    for (index, (case, headers)) in cases.into_iter().enumerate() {
        let reply = send(&app, Method::POST, "/transfer", &headers, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{case}");
        assert_eq!(changes.0.load(Ordering::SeqCst), index + 1, "{case}");
    }
    // Safe methods are never refused: they must not change state anyway.
    for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
        let reply = send(&app, method.clone(), "/transfer", CROSS_SITE, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{method}");
    }
    // A Host with the default port is the same origin as one without.
    let request = Request::post("/transfer")
        .header(HOST, "app.example.test:80")
        .header(ORIGIN, SELF_ORIGIN)
        .body(Body::empty())
        .unwrap();
    assert_eq!(common::send(&app, request).await.status, StatusCode::OK);
}

/// The session's cookie after a reply, as the next request's header.
fn cookie_of(reply: &Reply) -> String {
    format!(
        "session={}",
        reply.cookie_value().expect("a session cookie")
    )
}

#[tokio::test]
async fn the_form_token_is_bound_to_the_session() {
    let changes = Changes::default();
    let config = config();
    let app = app(config.clone(), changes.clone());

    // Serving the form stores a token in the session, and keeps it.
    let page = send(&app, Method::GET, "/form", &[], "").await;
    let token = page.body.clone();
    let cookie = cookie_of(&page);
    let stored = common::decode(&config, cookie.trim_start_matches("session="));
    assert_eq!(stored[CSRF_TOKEN_KEY], Value::String(token.clone()));
    assert_eq!(token.len(), 43, "{token}");
    let again = send(&app, Method::GET, "/form", &[("cookie", &cookie)], "").await;
    assert_eq!(again.body, token);
    assert!(again.set_cookies().is_empty(), "the token is kept");

    // Another visitor's form has another token.
    let other = send(&app, Method::GET, "/form", &[], "").await;
    assert_ne!(other.body, token);

    // A browser that sends neither header, holding this session: the token
    // must come back. Missing, wrong, another session's: refused.
    let with_cookie = [("cookie", cookie.as_str())];
    for body in [
        String::new(),
        format!("{CSRF_FIELD}="),
        format!("{CSRF_FIELD}=wrong"),
        format!("{CSRF_FIELD}={}", other.body),
        format!("{CSRF_FIELD}={}x", token),
    ] {
        let reply = send(&app, Method::POST, "/form", &with_cookie, &body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{body}");
        assert!(reply.set_cookies().is_empty(), "{body}");
    }
    assert_eq!(changes.0.load(Ordering::SeqCst), 0);
    let body = format!("{CSRF_FIELD}={token}");
    let reply = send(&app, Method::POST, "/form", &with_cookie, &body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(changes.0.load(Ordering::SeqCst), 1);

    // A client that never loaded a form holds no token: curl passes.
    let reply = send(&app, Method::POST, "/form", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK, "curl");
    // When the headers vouch for the request, they are the defence.
    let same_origin = [("cookie", cookie.as_str()), ("origin", SELF_ORIGIN)];
    let reply = send(&app, Method::POST, "/form", &same_origin, "").await;
    assert_eq!(reply.status, StatusCode::OK, "same origin");

    // Logging in ends the session: the token goes with it, and the next
    // form gets a fresh one (no token fixation across a login).
    let login = send(&app, Method::POST, "/login", &with_cookie, "").await;
    let logged_in = cookie_of(&login);
    let stored = common::decode(&config, logged_in.trim_start_matches("session="));
    assert!(stored.get(CSRF_TOKEN_KEY).is_none(), "{stored:?}");
    let fresh = send(&app, Method::GET, "/form", &[("cookie", &logged_in)], "").await;
    assert_ne!(fresh.body, token);
}

#[tokio::test]
async fn with_protection_off_the_token_check_judges_the_headers_itself() {
    let changes = Changes::default();
    let app = app(config_with(false), changes.clone());
    let reply = send(&app, Method::POST, "/form", CROSS_SITE, "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let trusted = [("sec-fetch-site", "cross-site"), ("origin", TRUSTED)];
    let reply = send(&app, Method::POST, "/form", &trusted, "").await;
    assert_eq!(reply.status, StatusCode::OK);
    // The layer's check is what protects handlers that do not check:
    // turned off, the plain handler runs.
    let reply = send(&app, Method::POST, "/transfer", CROSS_SITE, "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn no_layer_order_leaves_a_session_route_unchecked() {
    async fn change(mut session: Session) -> &'static str {
        session.insert("changed", true).unwrap();
        "changed"
    }
    async fn no_session() -> &'static str {
        "no session"
    }
    // Routes added before the layer, nested routers, and route layers
    // added after the session layer: all behind the check.
    let nested =
        Router::new()
            .route("/change", post(change))
            .route_layer(axum::middleware::from_fn(
                |request: axum::extract::Request, next: axum::middleware::Next| next.run(request),
            ));
    let app = Router::new()
        .route("/change", post(change))
        .nest("/nested", nested)
        .layer(SessionLayer::new(config()))
        // Added after the layer: outside it, with no session to change.
        .route("/late", post(change))
        .route("/webhook", post(no_session));
    for uri in ["/change", "/nested/change"] {
        let reply = send(&app, Method::POST, uri, CROSS_SITE, "").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(reply.set_cookies().is_empty(), "{uri}");
    }
    // A route outside the layer cannot read the session: it fails loudly
    // rather than running unchecked.
    let reply = send(&app, Method::POST, "/late", CROSS_SITE, "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty());
    // A webhook outside it, which needs no session, is not checked.
    let reply = send(&app, Method::POST, "/webhook", CROSS_SITE, "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_login_leaves_a_fresh_token_and_a_logged_in_session_needs_one() {
    let changes = Changes::default();
    let config = config();
    let app = app(config.clone(), changes.clone());
    // The login form's page, then its post, from a browser that sends
    // neither header.
    let page = send(&app, Method::GET, "/form", &[], "").await;
    let cookie = cookie_of(&page);
    let body = format!("{CSRF_FIELD}={}", page.body);
    let login = send(
        &app,
        Method::POST,
        "/form-login",
        &[("cookie", &cookie)],
        &body,
    )
    .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let logged_in = cookie_of(&login);
    let stored = common::decode(&config, logged_in.trim_start_matches("session="));
    let fresh = stored[CSRF_TOKEN_KEY]
        .as_str()
        .expect("a token after login");
    assert_ne!(fresh, page.body, "a new token at login, not the old one");

    // A header-less post from the logged-in session must carry the token.
    let with_cookie = [("cookie", logged_in.as_str())];
    let reply = send(&app, Method::POST, "/form", &with_cookie, "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let body = format!("{CSRF_FIELD}={fresh}");
    let reply = send(&app, Method::POST, "/form", &with_cookie, &body).await;
    assert_eq!(reply.status, StatusCode::OK);

    // A login that took no token keeps none, not even one the session held
    // before (a planted session's known token must not survive the login),
    // and its session, holding a login but no token, is refused
    // header-less posts all the same.
    let planted = send(&app, Method::GET, "/form", &[], "").await;
    let planted_cookie = cookie_of(&planted);
    let reply = send(
        &app,
        Method::POST,
        "/login-keeping",
        &[("cookie", &planted_cookie)],
        "",
    )
    .await;
    let stored = common::decode(&config, cookie_of(&reply).trim_start_matches("session="));
    assert!(stored.get(CSRF_TOKEN_KEY).is_none(), "{stored:?}");
    let body = format!("{CSRF_FIELD}={}", planted.body);
    let reply = send(
        &app,
        Method::POST,
        "/form",
        &[("cookie", &cookie_of(&reply))],
        &body,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "the planted token passed"
    );
    let plain = send(&app, Method::POST, "/login", &[], "").await;
    let plain = cookie_of(&plain);
    let stored = common::decode(&config, plain.trim_start_matches("session="));
    assert!(stored.get(CSRF_TOKEN_KEY).is_none(), "{stored:?}");
    let reply = send(&app, Method::POST, "/form", &[("cookie", &plain)], "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[test]
fn behind_a_proxy_the_public_origin_is_trusted_and_forwarded_hosts_only_when_told() {
    // The proxy passes `Host: app:3000`; the browser says `Origin:
    // https://shop.example.test` and no `Sec-Fetch-Site`.
    let proxied = |extra: &[(&'static str, &'static str)]| {
        let mut request = Request::post("/transfer")
            .header(HOST, "app:3000")
            .header(ORIGIN, "https://shop.example.test");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let send = |app: &Router, request| runtime.block_on(common::send(app, request));
    let build = |builder: axum_cookie_session::SessionConfigBuilder| {
        app(
            builder.secret_key(common::SECRET).build().unwrap(),
            Changes::default(),
        )
    };
    let forwarded = [("x-forwarded-host", "shop.example.test")];

    let plain = build(SessionConfig::builder());
    let logs = common::logs_of(tracing::Level::WARN, || {
        let reply = send(&plain, proxied(&[]));
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    });
    for compared in [
        "https://shop.example.test",
        "app:3000",
        "cross-origin request refused",
    ] {
        assert!(logs.contains(compared), "{compared} not in {logs}");
    }
    // An `X-Forwarded-Host` anyone can send is not trusted by default.
    let reply = send(&plain, proxied(&forwarded));
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    let public = build(SessionConfig::builder().trusted_origins(["https://shop.example.test"]));
    let reply = send(&public, proxied(&[]));
    assert_eq!(reply.status, StatusCode::OK);

    let trusting = build(SessionConfig::builder().trust_proxy_headers(true));
    let reply = send(&trusting, proxied(&forwarded));
    assert_eq!(reply.status, StatusCode::OK);
    let rfc7239 = [(
        "forwarded",
        "for=1.2.3.4;host=shop.example.test;proto=https",
    )];
    let reply = send(&trusting, proxied(&rfc7239));
    assert_eq!(reply.status, StatusCode::OK);
    let other = [("x-forwarded-host", "evil.example")];
    let reply = send(&trusting, proxied(&other));
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_token_never_shows_in_debug_output() {
    let app = Router::new()
        .route(
            "/",
            get(|token: CsrfToken| async move {
                let debug = format!("{token:?}");
                assert!(!debug.contains(token.as_str()), "{debug}");
                "ok"
            }),
        )
        .layer(SessionLayer::new(config()));
    let reply = common::get(&app, "/", None).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_needs_the_session_layer() {
    let app = Router::new().route("/", get(|_: CsrfToken| async { "unreachable" }));
    let reply = common::get(&app, "/", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn trusted_origins_are_checked_when_the_config_is_built() {
    for bad in [
        "admin.example.test",
        "https://admin.example.test/path",
        "https://*.example.test",
        "null",
        "ftp://files.example.test",
        "https://admin.example.test:03900",
        "https://admin.example.test:+3900",
        "https://admin.example.test#x",
    ] {
        let err = SessionConfig::builder()
            .secret_key(common::SECRET)
            .trusted_origins([bad])
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidOrigin {
                option: "trusted_origins".into(),
                value: bad.into()
            }
        );
    }
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", common::SECRET),
        ("SESSION_TRUSTED_ORIGINS", "https://a.example, evil"),
    ])
    .unwrap_err();
    assert!(
        err.to_string().contains("`SESSION_TRUSTED_ORIGINS`"),
        "{err}"
    );
    SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", common::SECRET),
        (
            "SESSION_TRUSTED_ORIGINS",
            "https://a.example, http://b.example:8080",
        ),
    ])
    .unwrap();
    for json in [
        r#"{"secret_key": "SECRET-TESTS-SECRET-TESTS-SECRET", "trusted_origins": ["https://a.example"]}"#,
        r#"{"secret_key": "SECRET-TESTS-SECRET-TESTS-SECRET", "trusted_origins": "https://a.example,https://b.example"}"#,
    ] {
        serde_json::from_str::<SessionConfig>(json).unwrap();
    }
}

/// Manual mode runs the same check: the handler, which would return the
/// changed session, never runs.
#[tokio::test]
async fn manual_mode_refuses_cross_site_requests_too() {
    let changes = Changes::default();
    async fn transfer(
        State(changes): State<Changes>,
        mut session: Session,
    ) -> (Session, &'static str) {
        changes.0.fetch_add(1, Ordering::SeqCst);
        session.insert("transferred", true).unwrap();
        (session, "done")
    }
    let app = Router::new()
        .route("/transfer", post(transfer))
        .with_state(changes.clone())
        .layer(SessionLayer::manual(config()));
    let reply = send(&app, Method::POST, "/transfer", CROSS_SITE, "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.set_cookies().is_empty());
    assert_eq!(changes.0.load(Ordering::SeqCst), 0);
    let reply = send(
        &app,
        Method::POST,
        "/transfer",
        &[("sec-fetch-site", "same-origin")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(changes.0.load(Ordering::SeqCst), 1);
}
