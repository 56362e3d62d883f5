//! `Session<T>` through real Routers: muffin-session's own session tests
//! (manual flow, middleware flow, save, login storing `"id"`, error responses
//! still saving) for every codec, plus change tracking, typed views, ending a
//! session and bad cookies.

mod common;

use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{Session, SessionConfig, SessionLayer, SessionType};
use common::{get as send_get, Client};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tower::Layer as _;

async fn show(session: Session) -> Json<Map<String, Value>> {
    Json(session.into_inner())
}

/// muffin-session's `test_session_manual`, session part: handlers save by
/// returning the session.
fn manual_app(config: SessionConfig) -> Router {
    async fn login(
        mut session: Session,
        query: axum::extract::Query<Map<String, Value>>,
    ) -> (Session, Redirect) {
        session
            .insert("id", query.get("name").cloned().unwrap_or(Value::Null))
            .unwrap();
        (session, Redirect::to("/session"))
    }
    async fn error(mut session: Session) -> (StatusCode, Session, &'static str) {
        session.insert("name", "value").unwrap();
        (StatusCode::FORBIDDEN, session, "Forbidden")
    }
    async fn logout(mut session: Session) -> (Session, Redirect) {
        session.remove("id");
        (session, Redirect::to("/"))
    }
    Router::new()
        .route("/login", get(login))
        .route("/session", get(show))
        .route("/error", get(error))
        .route("/logout", get(logout))
        .layer(SessionLayer::manual(config))
}

async fn manual_flow(codec: SessionType) {
    let mut client = Client::new(manual_app(common::config(codec)));

    assert_eq!(client.get("/session").await.json(), json!({}), "{codec}");

    let reply = client.get("/login?name=mike").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.set_cookie().is_some(), "{codec}: login saved nothing");
    assert_eq!(client.get("/session").await.json(), json!({"id": "mike"}));

    let reply = client.get("/error").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.set_cookie().is_some(),
        "{codec}: a 403 must still save"
    );
    assert_eq!(
        client.get("/session").await.json(),
        json!({"id": "mike", "name": "value"})
    );

    let reply = client.get("/logout").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.headers["location"], "/");
    assert_eq!(
        client.get("/session").await.json(),
        json!({"name": "value"})
    );
}

/// muffin-session's `test_session_middleware`: the layer saves whatever the
/// handler returns.
fn auto_app(config: SessionConfig) -> Router {
    async fn login(mut session: Session) -> Redirect {
        session.insert("user", "mike").unwrap();
        Redirect::to("/session")
    }
    async fn error(mut session: Session) -> StatusCode {
        session.insert("name", "value").unwrap();
        StatusCode::FORBIDDEN
    }
    async fn clear(mut session: Session) -> &'static str {
        session.clear();
        "Session cleared."
    }
    async fn end(mut session: Session) -> &'static str {
        session.end();
        "Session ended."
    }
    Router::new()
        .route("/login", get(login))
        .route("/session", get(show))
        .route("/error", get(error))
        .route("/clear", get(clear))
        .route("/end", get(end))
        .route("/untouched", get(|| async { "no session here" }))
        .layer(SessionLayer::new(config.clone()))
}

async fn middleware_flow(codec: SessionType) {
    let mut client = Client::new(auto_app(common::config(codec)));

    let reply = client.get("/session").await;
    assert_eq!(reply.json(), json!({}), "{codec}");
    assert!(reply.set_cookie().is_none());

    let reply = client.get("/login").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.set_cookie().is_some());
    assert_eq!(client.get("/session").await.json(), json!({"user": "mike"}));

    let reply = client.get("/error").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.set_cookie().is_some(),
        "{codec}: a 403 must still save"
    );
    assert_eq!(
        client.get("/session").await.json(),
        json!({"user": "mike", "name": "value"})
    );
}

/// `SessionLayer` wrapped around a finished Router from outside (which spares
/// axum's per-route layer, see `BENCHMARKS.md`) serves the same session as
/// one added with `Router::layer`, error responses included.
#[tokio::test]
async fn the_layer_also_works_around_a_whole_router() {
    async fn visit(mut session: Session) -> StatusCode {
        let visits = session.get_as::<u64>("visits").unwrap_or(0);
        session.insert("visits", visits + 1).unwrap();
        StatusCode::FORBIDDEN
    }
    let config = common::config(SessionType::Jwt);
    let router = Router::new()
        .route("/visit", get(visit))
        .route("/session", get(show));
    let wrapped = SessionLayer::new(config).layer(router);
    // The test client sends its requests to a Router: one that hands every
    // request to the wrapped service.
    let mut client = Client::new(Router::new().fallback_service(wrapped));
    for _ in 0..2 {
        let reply = client.get("/visit").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.set_cookie().is_some(), "a 403 must still save");
    }
    let reply = client.get("/session").await;
    assert_eq!(reply.json(), json!({"visits": 2}));
    assert!(reply.set_cookie().is_none(), "a read sets no cookie");
}

async fn clear_keeps_an_empty_cookie_and_end_removes_it(codec: SessionType) {
    let config = common::config(codec);
    let app = auto_app(config.clone());
    let cookie = format!("session={}", common::encode(&config, json!({"a": 1})));

    let cleared = send_get(&app, "/clear", Some(&cookie)).await;
    let value = cleared.cookie_value().expect("clear saves");
    assert!(common::decode(&config, &value).is_empty());
    assert!(!cleared.set_cookie().unwrap().contains("Max-Age=0"));

    let ended = send_get(&app, "/end", Some(&cookie)).await;
    let set_cookie = ended.set_cookie().expect("end removes the cookie");
    assert!(set_cookie.starts_with("session=;"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");

    // Nothing to clear or remove without a cookie.
    assert!(send_get(&app, "/clear", None).await.set_cookie().is_none());
    assert!(send_get(&app, "/end", None).await.set_cookie().is_none());
}

/// muffin-session's `test_session_save` and `test_session_login`: the plain
/// functions on the config, outside any extractor.
async fn save_to_response_stores_the_id(codec: SessionType) {
    let config = common::config(codec);
    let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
    session.insert("test", 42).unwrap();
    session.insert("id", 1).unwrap();
    let mut headers = HeaderMap::new();
    assert!(config.save_to_response(session, &mut headers).unwrap());
    let set_cookie = headers["set-cookie"].to_str().unwrap();
    let token = set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    let loaded = common::decode(&config, token);
    assert_eq!(loaded["id"], 1, "{codec}");
    assert_eq!(loaded["test"], 42);
    assert_eq!(headers["vary"], "Cookie");
    assert_eq!(headers["cache-control"], "private");
}

/// A response that sets the session cookie must not be stored by a shared
/// cache: the handler's `public` and `s-maxage` are dropped, `private` is
/// added, and CDN-only cache headers (which CDNs obey over `Cache-Control`)
/// are removed. A response that sets no cookie keeps its headers.
#[tokio::test]
async fn a_response_setting_the_cookie_is_never_left_cacheable() {
    const CACHEABLE: [(&str, &str); 3] = [
        ("cache-control", "public, max-age=60, s-maxage=600"),
        ("cdn-cache-control", "max-age=600"),
        ("surrogate-control", "max-age=600"),
    ];
    async fn write(mut session: Session) -> ([(&'static str, &'static str); 3], &'static str) {
        session.insert("var", "value").unwrap();
        (CACHEABLE, "written")
    }
    async fn read(session: Session) -> ([(&'static str, &'static str); 3], String) {
        (
            CACHEABLE,
            session.get_as::<String>("var").unwrap_or_default(),
        )
    }
    // Manual mode: header parts go before the session, which then sees them.
    async fn manual(mut session: Session) -> impl axum::response::IntoResponse {
        session.insert("var", "value").unwrap();
        (CACHEABLE, session, "written")
    }
    let config = common::config(SessionType::Jwt);
    let auto = Router::new()
        .route("/write", get(write))
        .route("/read", get(read))
        .layer(SessionLayer::new(config.clone()));
    let manual = Router::new()
        .route("/write", get(manual))
        .layer(SessionLayer::manual(config));
    for (app, mode) in [(auto.clone(), "auto"), (manual, "manual")] {
        let reply = send_get(&app, "/write", None).await;
        assert!(reply.set_cookie().is_some(), "{mode}");
        assert_eq!(
            reply.headers["cache-control"], "private, max-age=60",
            "{mode}"
        );
        assert!(!reply.headers.contains_key("cdn-cache-control"), "{mode}");
        assert!(!reply.headers.contains_key("surrogate-control"), "{mode}");
    }
    let reply = send_get(&auto, "/read", None).await;
    assert!(reply.set_cookie().is_none());
    for (name, value) in CACHEABLE {
        assert_eq!(reply.headers[name], value);
    }
}

fn cookie_attributes_app(config: SessionConfig) -> Router {
    async fn update(mut session: Session) -> (Session, &'static str) {
        session.insert("var", "value").unwrap();
        (session, "Session updated.")
    }
    Router::new()
        .route("/update", get(update))
        .layer(SessionLayer::manual(config))
}

#[tokio::test]
async fn default_cookie_attributes() {
    let app = cookie_attributes_app(common::config(SessionType::Jwt));
    let reply = send_get(&app, "/update", None).await;
    let set_cookie = reply.set_cookie().unwrap();
    let attributes: Vec<&str> = set_cookie.split("; ").skip(1).collect();
    let mut sorted = attributes.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["HttpOnly", "Path=/", "SameSite=Lax"],
        "{set_cookie}"
    );
    assert_eq!(reply.headers["vary"], "Cookie");
    assert_eq!(reply.headers["cache-control"], "private");
}

#[tokio::test]
async fn configured_cookie_attributes() {
    let config = SessionConfig::builder()
        .secret_key(common::SECRET)
        .cookie_name("muffin_session")
        .max_age(std::time::Duration::from_secs(3600))
        .path("/app")
        .domain("example.com")
        .secure(true)
        .http_only(false)
        .same_site(axum_cookie_session::SameSite::Strict)
        .build()
        .unwrap();
    let app = cookie_attributes_app(config);
    let reply = send_get(&app, "/update", None).await;
    let set_cookie = reply.set_cookie().unwrap();
    assert!(set_cookie.starts_with("muffin_session="), "{set_cookie}");
    let mut attributes: Vec<&str> = set_cookie.split("; ").skip(1).collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        [
            "Domain=example.com",
            "Max-Age=3600",
            "Path=/app",
            "SameSite=Strict",
            "Secure"
        ]
    );
}

async fn nothing_changed_means_no_set_cookie(codec: SessionType) {
    async fn read(session: Session) -> String {
        session.get_as::<String>("var").unwrap_or_default()
    }
    async fn same(mut session: Session) -> (Session, &'static str) {
        session.insert("var", "value").unwrap();
        (session, "same")
    }
    async fn touched(mut session: Session) -> (Session, &'static str) {
        // A mutable borrow that changes nothing.
        let _ = session.get_mut("var");
        (session, "touched")
    }
    let config = common::config(codec);
    let cookie = format!(
        "session={}",
        common::encode(&config, json!({"var": "value"}))
    );
    let routes = Router::new()
        .route("/read", get(read))
        .route("/same", get(same))
        .route("/touched", get(touched));
    let manual = routes.clone().layer(SessionLayer::manual(config.clone()));
    let auto = routes.layer(SessionLayer::new(config.clone()));
    for app in [manual, auto] {
        for uri in ["/read", "/same", "/touched"] {
            let reply = send_get(&app, uri, Some(&cookie)).await;
            assert_eq!(reply.status, StatusCode::OK);
            assert!(reply.set_cookie().is_none(), "{codec} {uri}: {reply:?}");
        }
        assert_eq!(send_get(&app, "/read", Some(&cookie)).await.body, "value");
    }
}

#[tokio::test]
async fn layer_saves_changes_from_extractors_it_did_not_see_returned() {
    async fn two_views(mut a: Session, mut b: Session<Cart>) -> &'static str {
        a.insert("var", "value").unwrap();
        b.items.push("apple".to_owned());
        "both"
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(two_views))
        .layer(SessionLayer::new(config.clone()));
    let reply = send_get(&app, "/", None).await;
    let saved = common::decode(&config, &reply.cookie_value().unwrap());
    assert_eq!(
        Value::Object(saved),
        json!({"var": "value", "items": ["apple"]})
    );
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cart {
    #[serde(default)]
    items: Vec<String>,
}

async fn typed_view_keeps_keys_it_does_not_name(codec: SessionType) {
    async fn add(mut cart: Session<Cart>) -> (Session<Cart>, String) {
        cart.items.push("pear".to_owned());
        let count = cart.items.len().to_string();
        (cart, count)
    }
    let config = common::config(codec);
    let app = Router::new()
        .route("/add", get(add))
        .layer(SessionLayer::manual(config.clone()));
    let cookie = common::encode(&config, json!({"items": ["apple"], "id": 7, "lang": "fr"}));
    let reply = send_get(&app, "/add", Some(&format!("session={cookie}"))).await;
    assert_eq!(reply.body, "2");
    let saved = common::decode(&config, &reply.cookie_value().unwrap());
    assert_eq!(
        Value::Object(saved),
        json!({"items": ["apple", "pear"], "id": 7, "lang": "fr"})
    );
}

#[tokio::test]
async fn a_session_that_does_not_fit_the_type_is_its_default() {
    async fn count(cart: Session<Cart>) -> String {
        cart.items.len().to_string()
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(count))
        .layer(SessionLayer::manual(config.clone()));
    let cookie = common::encode(&config, json!({"items": "not a list"}));
    let reply = send_get(&app, "/", Some(&format!("session={cookie}"))).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "0"));
}

async fn bad_cookies_are_an_empty_session(codec: SessionType) {
    let config = common::config(codec);
    let app = auto_app(config.clone());
    let good = common::encode(&config, json!({"user": "mike"}));
    let other_codec = match codec {
        SessionType::Base64 => common::encode(&common::config(SessionType::Jwt), json!({"a": 1})),
        _ => common::encode(&common::config(SessionType::Base64), json!({"a": 1})),
    };
    let mut bad = vec![
        String::new(),
        "garbage".to_owned(),
        "!!!".to_owned(),
        "a.b.c".to_owned(),
        good[..good.len() / 2].to_owned(),
        good[..good.len() - 3].to_owned(),
        format!("{good}x"),
        "\u{7f}\u{1}".to_owned(),
        other_codec,
        // base64 of `["not","an","object"]`: JSON, but not an object.
        "WyJub3QiLCJhbiIsIm9iamVjdCJd".to_owned(),
    ];
    if codec != SessionType::Base64 {
        bad.push(common::encode(
            &common::config_with_secret(codec, "a different secret"),
            json!({"user": "eve"}),
        ));
    }
    for value in bad {
        let cookie = format!("session={value}");
        let Ok(_) = http::HeaderValue::from_str(&cookie) else {
            continue;
        };
        let reply = send_get(&app, "/session", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{codec}");
        assert_eq!(reply.json(), json!({}), "{codec}: {value:?} was accepted");
        assert!(reply.set_cookie().is_none());
    }
}

#[tokio::test]
async fn non_utf8_cookie_header_is_an_empty_session() {
    let config = common::config(SessionType::Jwt);
    let app = auto_app(config);
    let request = http::Request::get("/session")
        .header(
            "cookie",
            http::HeaderValue::from_bytes(b"session=\xff\xfe; x=1").unwrap(),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = common::send(&app, request).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn the_session_cookie_is_found_among_others() {
    let config = common::config(SessionType::Jwt);
    let app = auto_app(config.clone());
    let token = common::encode(&config, json!({"user": "mike"}));
    let cookie = format!("theme=dark; session={token}; lang=fr");
    let reply = send_get(&app, "/session", Some(&cookie)).await;
    assert_eq!(reply.json(), json!({"user": "mike"}));
}

#[tokio::test]
async fn a_view_that_did_not_fit_only_writes_what_the_handler_set() {
    async fn count(mut counts: Session<std::collections::HashMap<String, u32>>) -> &'static str {
        counts.insert("n".to_owned(), 1);
        "counted"
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(count))
        .layer(SessionLayer::new(config.clone()));
    let cookie = common::encode(&config, json!({"id": "mike", "cart": ["a"]}));
    let reply = send_get(&app, "/", Some(&format!("session={cookie}"))).await;
    let saved = common::decode(&config, &reply.cookie_value().unwrap());
    assert_eq!(
        Value::Object(saved),
        json!({"id": "mike", "cart": ["a"], "n": 1})
    );
}

#[tokio::test]
async fn end_on_a_typed_view_removes_the_cookie() {
    async fn end(mut cart: Session<Cart>) -> &'static str {
        cart.end();
        "ended"
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(end))
        .layer(SessionLayer::new(config.clone()));
    let cookie = common::encode(&config, json!({"items": ["a"], "id": 1}));
    let reply = send_get(&app, "/", Some(&format!("session={cookie}"))).await;
    assert!(
        reply.set_cookie().unwrap().contains("Max-Age=0"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn into_inner_keeps_changes_made_before_it() {
    async fn handler(mut session: Session) -> Json<Map<String, Value>> {
        session.insert("a", 1).unwrap();
        Json(session.into_inner())
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(handler))
        .layer(SessionLayer::new(config.clone()));
    let reply = send_get(&app, "/", None).await;
    assert_eq!(
        Value::Object(common::decode(&config, &reply.cookie_value().unwrap())),
        json!({"a": 1})
    );
}

#[tokio::test]
async fn a_returned_unchanged_session_still_varies_on_cookie() {
    async fn read(session: Session) -> (Session, &'static str) {
        (session, "read")
    }
    let app = Router::new()
        .route("/", get(read))
        .layer(SessionLayer::manual(common::config(SessionType::Jwt)));
    let reply = send_get(&app, "/", None).await;
    assert!(reply.set_cookie().is_none());
    assert_eq!(reply.headers["vary"], "Cookie");
}

/// A response depends on the cookie whenever the request read the session,
/// whether or not it writes one: a shared cache must not hand it to another
/// visitor. That holds in both modes, whatever the handler returns.
#[tokio::test]
async fn every_response_to_a_request_that_read_the_session_varies_on_cookie() {
    use axum::middleware::{self, Next};
    async fn read_only(session: Session) -> String {
        session.get_as::<String>("var").unwrap_or_default()
    }
    async fn not_found(session: Session) -> (StatusCode, String) {
        (StatusCode::NOT_FOUND, format!("{} keys", session.len()))
    }
    async fn peek(
        session: Session,
        request: axum::extract::Request,
        next: Next,
    ) -> axum::response::Response {
        drop(session);
        next.run(request).await
    }
    let config = common::config(SessionType::Jwt);
    let cookie = format!(
        "session={}",
        common::encode(&config, json!({"var": "value"}))
    );
    let routes = || {
        Router::new()
            .route("/read", get(read_only))
            .route("/404", get(not_found))
            .merge(
                Router::new()
                    .route("/peeked", get(|| async { "no session here" }))
                    .layer(middleware::from_fn(peek)),
            )
            .route("/untouched", get(|| async { "untouched" }))
    };
    for (mode, app) in [
        (
            "manual",
            routes().layer(SessionLayer::manual(config.clone())),
        ),
        ("auto", routes().layer(SessionLayer::new(config.clone()))),
    ] {
        for uri in ["/read", "/404", "/peeked"] {
            for cookie in [Some(cookie.as_str()), None] {
                let reply = send_get(&app, uri, cookie).await;
                assert!(reply.set_cookies().is_empty(), "{mode} {uri}");
                assert_eq!(
                    reply.headers.get("vary").map(|v| v.to_str().unwrap()),
                    Some("Cookie"),
                    "{mode} {uri} with cookie {}",
                    cookie.is_some()
                );
            }
        }
        let reply = send_get(&app, "/read", Some(&cookie)).await;
        assert_eq!(reply.body, "value", "{mode}");
        // A request that never read the session does not depend on it.
        let reply = send_get(&app, "/untouched", Some(&cookie)).await;
        assert!(reply.headers.get("vary").is_none(), "{mode}");
    }
}

#[test]
fn an_empty_fallback_key_is_refused() {
    let err = SessionConfig::builder()
        .secret_key(common::SECRET)
        .fallback_keys([""])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("fallback_keys"), "{err}");
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", common::SECRET),
        (
            "SESSION_FALLBACK_KEYS",
            "old-key-old-key-old-key-old-key!, ,",
        ),
    ]);
    assert!(err.is_ok(), "blank entries in the variable are skipped");
}

async fn a_cookie_made_with_a_fallback_key_loads_and_is_reissued_with_the_current_key(
    codec: SessionType,
) {
    let old = common::config_with_secret(codec, "the-old-secret-the-old-secret-00");
    let new = SessionConfig::builder()
        .session_type(codec)
        .secret_key("the-new-secret-the-new-secret-00")
        .fallback_keys(["the-old-secret-the-old-secret-00"])
        .build()
        .unwrap();
    let app = auto_app(new.clone());
    let cookie = format!("session={}", common::encode(&old, json!({"user": "mike"})));
    let reply = send_get(&app, "/session", Some(&cookie)).await;
    assert_eq!(reply.json(), json!({"user": "mike"}), "{codec}");
    let reissued = reply
        .cookie_value()
        .expect("re-issued with the current key");
    let current_only = common::config_with_secret(codec, "the-new-secret-the-new-secret-00");
    assert_eq!(
        Value::Object(common::decode(&current_only, &reissued)),
        json!({"user": "mike"})
    );
    assert!(
        common::decode(&old, &reissued).is_empty(),
        "{codec}: signed with the old key"
    );
}

#[tokio::test]
async fn a_map_session_reads_its_own_writes_whichever_way_it_is_read() {
    async fn handler(mut session: Session) -> Json<Value> {
        session.insert("added", 1).unwrap();
        session.remove("gone");
        session.login(7).unwrap();
        let seen_by_get = json!([session.get("added"), session.get("gone"), session.get("id")]);
        // Through `Deref`, the map shows the same changes.
        let keys: Vec<String> = session.keys().cloned().collect();
        // `DerefMut` keeps them, and more changes go on top.
        session.entry("counter").or_insert(json!(0));
        session.remove("kept");
        Json(json!({"get": seen_by_get, "keys": keys, "user": session.user_id::<i64>()}))
    }
    let config = common::config(SessionType::Jwt);
    let app = Router::new()
        .route("/", get(handler))
        .layer(SessionLayer::new(config.clone()));
    let token = common::encode(&config, json!({"gone": true, "kept": "yes"}));
    let reply = send_get(&app, "/", Some(&format!("session={token}"))).await;
    assert_eq!(
        reply.json(),
        json!({"get": [1, null, 7], "keys": ["added", "id", "kept"], "user": 7})
    );
    let saved = reply.cookie_value().unwrap();
    assert_eq!(
        common::decode(&config, &saved),
        *json!({"added": 1, "id": 7, "counter": 0})
            .as_object()
            .unwrap()
    );
}

/// `user_id` answers what saving will store: on a typed view that names
/// `id`, the id set through its field, not the one the cookie held.
#[test]
fn user_id_follows_a_typed_view_that_names_the_id() {
    #[derive(Default, Serialize, Deserialize)]
    struct Auth {
        id: Option<i64>,
        theme: Option<String>,
    }
    let config = common::config(SessionType::Jwt);
    let cookie = format!("session={}", common::encode(&config, json!({"id": 7})));
    let mut headers = HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());

    let mut auth: Session<Auth> = config.load_from_request(&headers).unwrap();
    assert_eq!(auth.user_id::<i64>(), Some(7));
    auth.theme = Some("dark".into());
    assert_eq!(auth.user_id::<i64>(), Some(7), "the id is untouched");
    auth.id = None;
    assert_eq!(auth.user_id::<i64>(), None, "logged out through the field");
    auth.id = Some(9);
    assert_eq!(auth.user_id::<i64>(), Some(9));
    let mut saved = HeaderMap::new();
    assert!(config.save_to_response(auth, &mut saved).unwrap());
    let token = saved["set-cookie"].to_str().unwrap();
    let token = token.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_eq!(common::decode(&config, token)["id"], 9, "and saving agrees");

    // A cookie whose object does not fit the type keeps its id until the
    // view changes it.
    let cookie = common::encode(&config, json!({"id": 7, "theme": 42}));
    headers.insert("cookie", format!("session={cookie}").parse().unwrap());
    let mut auth: Session<Auth> = config.load_from_request(&headers).unwrap();
    assert_eq!(auth.user_id::<i64>(), Some(7));
    auth.id = Some(8);
    assert_eq!(auth.user_id::<i64>(), Some(8));
    auth.end();
    assert_eq!(auth.user_id::<i64>(), None, "ended");
}

codec_tests!(
    manual_flow,
    middleware_flow,
    clear_keeps_an_empty_cookie_and_end_removes_it,
    save_to_response_stores_the_id,
    nothing_changed_means_no_set_cookie,
    typed_view_keeps_keys_it_does_not_name,
    bad_cookies_are_an_empty_session,
);

codec_tests!(
    keyed:a_cookie_made_with_a_fallback_key_loads_and_is_reissued_with_the_current_key);
