//! `401` for API callers, redirects for pages: `CurrentUser` and
//! `RequireUser` through real Routers, asked the way `fetch()`, XHR, JSON
//! clients, browsers navigating and curl ask; the global option (builder,
//! environment, serde) and the per-guard override.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    ConfigError, CurrentUser, RequireUser, SessionConfig, SessionConfigBuilder, SessionLayer,
    SessionType, UserLoader, UserRejection,
};
use common::Reply;
use http::header::COOKIE;
use http::{Request, StatusCode};
use serde_json::json;

#[derive(Debug, Clone)]
struct User {
    name: String,
}

/// User 1 is "alice"; no one else exists.
struct Users;

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        Ok((id == 1).then(|| User {
            name: "alice".to_owned(),
        }))
    }
}

/// What browsers send when following a link or typing a URL.
const NAVIGATION: &[(&str, &str)] = &[
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-dest", "document"),
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
];

/// What curl sends: nothing that says what it wants.
const CURL: &[(&str, &str)] = &[("accept", "*/*")];

/// Requests that come from code, not from a page navigation.
const API_CALLS: &[&[(&str, &str)]] = &[
    // fetch() in a browser, whatever it accepts.
    &[("sec-fetch-mode", "cors"), ("accept", "*/*")],
    &[("sec-fetch-mode", "same-origin"), ("accept", "text/html")],
    // A JSON client outside a browser.
    &[("accept", "application/json")],
    // jQuery and other XHR helpers.
    &[("x-requested-with", "XMLHttpRequest"), ("accept", "*/*")],
    // axios outside a browser.
    &[("accept", "application/json, text/plain, */*")],
];

fn builder() -> SessionConfigBuilder {
    SessionConfig::builder().secret_key(common::SECRET)
}

/// `/me` takes `CurrentUser`, `/page` is behind `guard`.
fn make_app(config: SessionConfig, guard: RequireUser<User>) -> Router {
    async fn me(CurrentUser(user): CurrentUser<User>) -> String {
        user.name
    }
    Router::new()
        .route("/page", get(|| async { "page" }))
        .route_layer(guard)
        .route("/me", get(me))
        .layer(SessionLayer::new(config.with_user_loader(Users)))
}

async fn ask(app: &Router, uri: &str, headers: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    common::send(app, request.body(Body::empty()).unwrap()).await
}

/// The `401` every API caller who must log in gets.
fn assert_unauthorized(reply: &Reply, challenge: &str, context: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{context}");
    assert_eq!(
        reply.headers["content-type"], "application/json",
        "{context}"
    );
    assert_eq!(
        reply.json(),
        json!({"error": "login required"}),
        "{context}"
    );
    assert_eq!(reply.headers["www-authenticate"], challenge, "{context}");
    assert!(reply.headers.get("location").is_none(), "{context}");
    assert_chosen_by_caller_kind(reply, context);
}

/// A `401` or a redirect is chosen by headers: it says which, and no cache
/// keeps it (a shared cache would hand a page's redirect to an API caller,
/// or one visitor's answer to another).
fn assert_chosen_by_caller_kind(reply: &Reply, context: &str) {
    let vary: Vec<String> = reply
        .headers
        .get_all("vary")
        .iter()
        .flat_map(|value| value.to_str().unwrap().split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    for name in ["accept", "sec-fetch-mode", "x-requested-with", "cookie"] {
        let count = vary.iter().filter(|v| *v == name).count();
        assert_eq!(count, 1, "{context}: {name} in Vary {vary:?}");
    }
    let cache_control = reply.headers["cache-control"].to_str().unwrap();
    assert!(
        cache_control.contains("no-store"),
        "{context}: {cache_control}"
    );
}

const CHALLENGE: &str = r#"Cookie realm="session", form-action="/login", cookie-name="session""#;

fn assert_redirect(reply: &Reply, location: &str, context: &str) {
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{context}");
    assert_eq!(reply.headers["location"], location, "{context}");
    assert!(reply.headers.get("www-authenticate").is_none(), "{context}");
    assert_chosen_by_caller_kind(reply, context);
}

#[tokio::test]
async fn api_callers_get_401_json_from_current_user_and_require_user() {
    let app = make_app(builder().build().unwrap(), RequireUser::new());
    for headers in API_CALLS {
        for uri in ["/me", "/page"] {
            let reply = ask(&app, uri, headers, None).await;
            assert_unauthorized(&reply, CHALLENGE, &format!("{uri} {headers:?}"));
        }
    }
}

#[tokio::test]
async fn navigations_and_clients_that_say_nothing_are_redirected() {
    let app = make_app(builder().build().unwrap(), RequireUser::new());
    for headers in [NAVIGATION, CURL, &[]] {
        let reply = ask(&app, "/me?tab=1", headers, None).await;
        assert_redirect(
            &reply,
            "/login?next=%2Fme%3Ftab%3D1",
            &format!("{headers:?}"),
        );
        let reply = ask(&app, "/page", headers, None).await;
        assert_redirect(&reply, "/login?next=%2Fpage", &format!("{headers:?}"));
    }
}

#[tokio::test]
async fn accept_q_values_decide_between_json_and_html() {
    let app = make_app(builder().build().unwrap(), RequireUser::new());
    for uri in ["/me", "/page"] {
        let prefers_json = [("accept", "text/html;q=0.5, application/json")];
        assert_unauthorized(&ask(&app, uri, &prefers_json, None).await, CHALLENGE, uri);

        let prefers_html = [("accept", "application/json;q=0.1, text/html")];
        let reply = ask(&app, uri, &prefers_html, None).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{uri}");
    }
}

/// A logged-in caller is let through, however it asks.
async fn logged_in_api_callers_pass(codec: SessionType) {
    let config = builder()
        .session_type(codec)
        .allow_unsigned_logins(codec == SessionType::Base64)
        .build()
        .unwrap();
    let cookie = format!("session={}", common::encode(&config, json!({"id": 1})));
    let app = make_app(config, RequireUser::new());
    for headers in API_CALLS.iter().copied().chain([NAVIGATION, CURL]) {
        for (uri, body) in [("/me", "alice"), ("/page", "page")] {
            let reply = ask(&app, uri, headers, Some(&cookie)).await;
            assert_eq!(reply.body, body, "{uri} {headers:?}");
        }
    }
}

#[tokio::test]
async fn the_challenge_names_the_login_url_and_the_cookie() {
    let config = builder()
        .login_url(r#"/auth/sign-in?from="api""#)
        .cookie_name("sid")
        .build()
        .unwrap();
    let app = make_app(config, RequireUser::new());
    let challenge =
        r#"Cookie realm="sid", form-action="/auth/sign-in?from=\"api\"", cookie-name="sid""#;
    for uri in ["/me", "/page"] {
        let reply = ask(&app, uri, &[("sec-fetch-mode", "cors")], None).await;
        assert_unauthorized(&reply, challenge, uri);
    }
}

#[tokio::test]
async fn the_401_says_nothing_of_the_session() {
    let config = builder().build().unwrap();
    // A session with data but no user the loader knows.
    let cookie = format!(
        "session={}",
        common::encode(&config, json!({"id": 99, "secret_note": "hush"}))
    );
    let app = make_app(config, RequireUser::new());
    for uri in ["/me", "/page"] {
        let reply = ask(&app, uri, &[("accept", "application/json")], Some(&cookie)).await;
        assert_unauthorized(&reply, CHALLENGE, uri);
        assert!(!reply.body.contains("hush") && !reply.body.contains("99"));
    }
}

#[tokio::test]
async fn the_option_off_redirects_api_callers_too() {
    let configs = [
        builder().api_unauthorized(false).build().unwrap(),
        SessionConfig::from_vars([
            ("SESSION_SECRET_KEY", common::SECRET),
            ("SESSION_API_UNAUTHORIZED", "false"),
        ])
        .unwrap(),
        serde_json::from_value(json!({
            "secret_key": common::SECRET,
            "api_unauthorized": false,
        }))
        .unwrap(),
    ];
    for config in configs {
        assert!(!config.api_unauthorized());
        let app = make_app(config, RequireUser::new());
        for headers in API_CALLS {
            let reply = ask(&app, "/me", headers, None).await;
            assert_redirect(&reply, "/login?next=%2Fme", &format!("{headers:?}"));
            let reply = ask(&app, "/page", headers, None).await;
            assert_redirect(&reply, "/login?next=%2Fpage", &format!("{headers:?}"));
        }
    }
}

#[test]
fn the_option_is_on_by_default_and_a_bad_value_names_the_variable() {
    assert!(builder().build().unwrap().api_unauthorized());
    assert!(SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", common::SECRET),
        ("SESSION_API_UNAUTHORIZED", "on")
    ])
    .unwrap()
    .api_unauthorized());
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", common::SECRET),
        ("SESSION_API_UNAUTHORIZED", "sometimes"),
    ])
    .unwrap_err();
    assert_eq!(
        err,
        ConfigError::InvalidBool {
            option: "SESSION_API_UNAUTHORIZED".to_owned(),
            value: "sometimes".to_owned(),
        }
    );
}

#[tokio::test]
async fn a_guard_overrides_the_option_either_way() {
    let fetch = [("sec-fetch-mode", "cors")];

    // On in the config, off in the guard: the guard redirects, CurrentUser does not.
    let app = make_app(
        builder().build().unwrap(),
        RequireUser::new().api_unauthorized(false),
    );
    assert_redirect(
        &ask(&app, "/page", &fetch, None).await,
        "/login?next=%2Fpage",
        "",
    );
    assert_unauthorized(&ask(&app, "/me", &fetch, None).await, CHALLENGE, "/me");

    // Off in the config, on in the guard.
    let app = make_app(
        builder().api_unauthorized(false).build().unwrap(),
        RequireUser::new().api_unauthorized(true),
    );
    assert_unauthorized(&ask(&app, "/page", &fetch, None).await, CHALLENGE, "/page");
    assert_redirect(
        &ask(&app, "/me", &fetch, None).await,
        "/login?next=%2Fme",
        "",
    );
    // Pages are still redirected.
    let reply = ask(&app, "/page", NAVIGATION, None).await;
    assert_redirect(&reply, "/login?next=%2Fpage", "");
}

#[tokio::test]
async fn login_redirect_false_is_always_401_with_the_same_body() {
    let app = make_app(
        builder().login_redirect(false).build().unwrap(),
        RequireUser::new(),
    );
    for headers in API_CALLS.iter().copied().chain([NAVIGATION, CURL, &[]]) {
        for uri in ["/me", "/page"] {
            let reply = ask(&app, uri, headers, None).await;
            assert_unauthorized(&reply, CHALLENGE, &format!("{uri} {headers:?}"));
        }
    }
    // Even a guard that wants 401 only for API callers.
    let app = make_app(
        builder().login_redirect(false).build().unwrap(),
        RequireUser::new().api_unauthorized(false),
    );
    assert_unauthorized(&ask(&app, "/page", CURL, None).await, CHALLENGE, "/page");
}

#[tokio::test]
async fn custom_redirects_yield_to_the_401_for_api_callers() {
    let located = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&located);
    let guards = [
        RequireUser::new().redirect_to("/elsewhere"),
        RequireUser::new().redirect_to("/elsewhere").html_redirect(),
        RequireUser::new().redirect_with(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            "/elsewhere".to_owned()
        }),
        RequireUser::new().redirect_with_async(|_| async { "/elsewhere".to_owned() }),
    ];
    for guard in guards {
        let app = make_app(builder().build().unwrap(), guard);
        for headers in API_CALLS {
            let reply = ask(&app, "/page", headers, None).await;
            assert_unauthorized(&reply, CHALLENGE, &format!("{headers:?}"));
        }
        let reply = ask(&app, "/page", NAVIGATION, None).await;
        assert_eq!(reply.headers["location"], "/elsewhere");
    }
    assert_eq!(
        located.load(Ordering::SeqCst),
        1,
        "the location is computed for the navigation only"
    );

    // Unless the guard turns it off.
    let guard = RequireUser::new()
        .redirect_to("/elsewhere")
        .api_unauthorized(false);
    let app = make_app(builder().build().unwrap(), guard);
    let reply = ask(&app, "/page", &[("sec-fetch-mode", "cors")], None).await;
    assert_redirect(&reply, "/elsewhere", "");
}

#[tokio::test]
async fn a_custom_response_answers_everyone() {
    let app = make_app(
        builder().build().unwrap(),
        RequireUser::new().respond_with(|| StatusCode::NOT_FOUND),
    );
    for headers in API_CALLS.iter().copied().chain([NAVIGATION, CURL]) {
        let reply = ask(&app, "/page", headers, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{headers:?}");
    }
}

#[tokio::test]
async fn a_handler_can_tell_the_rejections_apart() {
    async fn me(user: Result<CurrentUser<User>, UserRejection>) -> String {
        match user {
            Ok(CurrentUser(user)) => user.name,
            Err(UserRejection::LoginRequired { location, .. }) => format!("redirect {location}"),
            Err(UserRejection::Unauthorized {
                login_url,
                cookie_name,
            }) => format!("401 {login_url} {cookie_name}"),
            Err(other) => format!("{other}"),
        }
    }
    let config = builder().build().unwrap().with_user_loader(Users);
    let app = Router::new()
        .route("/me", get(me))
        .layer(SessionLayer::new(config));
    let fetch = [("sec-fetch-mode", "cors")];
    assert_eq!(
        ask(&app, "/me", &fetch, None).await.body,
        "401 /login session"
    );
    assert_eq!(
        ask(&app, "/me", NAVIGATION, None).await.body,
        "redirect /login?next=%2Fme"
    );
}

codec_tests!(logged_in_api_callers_pass);

/// A sub-router marked as an API answers every anonymous caller `401`,
/// curl's `*/*` and a browser's navigation included, with a challenge
/// naming the API's own login URL; pages beside it still redirect.
#[tokio::test]
async fn api_routes_answer_every_anonymous_caller_401() {
    async fn me(CurrentUser(user): CurrentUser<User>) -> String {
        user.name
    }
    let config = builder().build().unwrap().with_user_loader(Users);
    let api = Router::new()
        .route("/me", get(me))
        .route("/guarded", get(|| async { "guarded" }))
        .route_layer(RequireUser::<User>::new())
        .layer(axum_cookie_session::ApiRoutes::new().login_url("/api/login"));
    let plain_api = Router::new()
        .route("/me", get(me))
        .layer(axum_cookie_session::ApiRoutes::new());
    let app = Router::new()
        .nest("/api", api)
        .nest("/v2", plain_api)
        .route("/page", get(me))
        .layer(SessionLayer::new(config));
    let api_challenge =
        r#"Cookie realm="session", form-action="/api/login", cookie-name="session""#;
    let callers: [&[(&str, &str)]; 3] = [
        &[("accept", "*/*")],
        &[],
        &[("sec-fetch-mode", "navigate"), ("accept", "text/html")],
    ];
    for headers in callers {
        for uri in ["/api/me", "/api/guarded"] {
            let reply = ask(&app, uri, headers, None).await;
            assert_unauthorized(&reply, api_challenge, &format!("{uri} {headers:?}"));
        }
        let reply = ask(&app, "/v2/me", headers, None).await;
        assert_unauthorized(&reply, CHALLENGE, &format!("/v2/me {headers:?}"));
    }
    // A page beside the API still sends a browser to the login page.
    let navigation = [("sec-fetch-mode", "navigate"), ("accept", "text/html")];
    let reply = ask(&app, "/page", &navigation, None).await;
    assert_redirect(&reply, "/login?next=%2Fpage", "page");
    // A logged-in caller passes.
    let config = builder().build().unwrap();
    let cookie = format!("session={}", common::encode(&config, json!({"id": 1})));
    let reply = ask(&app, "/api/me", &[], Some(&cookie)).await;
    assert_eq!(reply.body, "alice");
}
