//! `RequireUser` through real Routers: muffin-session's `user_pass` tests
//! (login URL, location from the request, sync and async, a custom 404, the
//! HTML redirect page), predicates, nested routers, and `safe_next` against
//! known open-redirect payloads.

mod common;

use std::convert::Infallible;

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{safe_next, RequireUser, SessionConfig, SessionLayer, UserLoader};
use common::get as send_get;
use http::StatusCode;
use serde_json::json;

#[derive(Debug, Clone)]
struct User {
    is_admin: bool,
}

/// User 1 is an admin, user 2 is not, no one else exists.
struct Users;

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        Ok(match id {
            1 => Some(User { is_admin: true }),
            2 => Some(User { is_admin: false }),
            _ => None,
        })
    }
}

/// The Python tests' app: `SESSION_LOGIN_URL="/home"`.
fn config() -> SessionConfig {
    SessionConfig::builder()
        .secret_key(common::SECRET)
        .login_url("/home")
        .build()
        .unwrap()
        .with_user_loader(Users)
}

fn guarded(guard: RequireUser<User>) -> Router {
    let config = config();
    Router::new()
        .route("/page", get(|| async { "page" }))
        .route_layer(guard)
        .route("/", get(|| async { "ANON" }))
        .layer(SessionLayer::new(config.clone()))
}

fn cookie_for(id: i64) -> String {
    format!("session={}", common::encode(&config(), json!({ "id": id })))
}

#[tokio::test]
async fn anonymous_visitors_go_to_the_login_url_with_next() {
    let app = guarded(RequireUser::new());
    assert_eq!(send_get(&app, "/", None).await.body, "ANON");
    let reply = send_get(&app, "/page?tab=2&x=a%20b", None).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        reply.headers["location"],
        "/home?next=%2Fpage%3Ftab%3D2%26x%3Da%2520b"
    );
    // An id no user has is anonymous too.
    let reply = send_get(&app, "/page", Some(&cookie_for(99))).await;
    assert_eq!(reply.headers["location"], "/home?next=%2Fpage");
}

#[tokio::test]
async fn location_from_the_request_sync_and_async() {
    fn target(parts: &http::request::Parts) -> String {
        let query = parts.uri.query().unwrap_or_default();
        let target = query.strip_prefix("target=").unwrap_or("/");
        target.to_owned()
    }
    let sync = guarded(RequireUser::new().redirect_with(target));
    let asynchronous = guarded(RequireUser::new().redirect_with_async(|parts| {
        let target = target(parts);
        async move { target }
    }));
    for app in [sync, asynchronous] {
        let reply = send_get(&app, "/page?target=/another_page", None).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(reply.headers["location"], "/another_page");
    }
    let fixed = guarded(
        RequireUser::new()
            .redirect_to("/elsewhere")
            .status(StatusCode::FOUND),
    );
    let reply = send_get(&fixed, "/page", None).await;
    assert_eq!(
        (reply.status, &reply.headers["location"]),
        (StatusCode::FOUND, &"/elsewhere".parse().unwrap())
    );
}

#[tokio::test]
async fn a_custom_response_for_anonymous_visitors() {
    let app = guarded(RequireUser::new().respond_with(|| StatusCode::NOT_FOUND));
    assert_eq!(
        send_get(&app, "/page", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send_get(&app, "/page", Some(&cookie_for(2))).await.body,
        "page"
    );
}

#[tokio::test]
async fn html_redirect_page_escapes_the_location() {
    let app = guarded(RequireUser::new().redirect_to("/login").html_redirect());
    let reply = send_get(&app, "/page", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["location"], "/login");
    assert!(reply.body.contains("href=\"/login\""), "{}", reply.body);

    let hostile = "/login?a=\"><script>alert(1)</script>&b='x'";
    let app = guarded(RequireUser::new().redirect_to(hostile).html_redirect());
    let body = send_get(&app, "/page", None).await.body;
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(body.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;b=&#x27;x&#x27;"));
    // The only script reads the URL from the link: no URL inside JavaScript.
    assert_eq!(body.matches("<script>").count(), 1);
    assert!(body.contains(
        "<script>window.location.replace(document.getElementById(\"next\").href)</script>"
    ));

    let app = guarded(
        RequireUser::new()
            .redirect_to("javascript:alert(1)")
            .html_redirect(),
    );
    let reply = send_get(&app, "/page", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!reply.body.contains("javascript"));
}

#[tokio::test]
async fn the_check_decides_and_a_failing_user_gets_403() {
    let app = guarded(RequireUser::new().check(|user: &User| user.is_admin));
    assert_eq!(
        send_get(&app, "/page", Some(&cookie_for(1))).await.body,
        "page"
    );
    let reply = send_get(&app, "/page", Some(&cookie_for(2))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.headers.get("location").is_none());

    let custom = guarded(
        RequireUser::new()
            .check(|user: &User| user.is_admin)
            .on_forbidden(|user: &User| {
                let body = format!("nothing here for admin={}", user.is_admin);
                (StatusCode::NOT_FOUND, body)
            }),
    );
    let reply = send_get(&custom, "/page", Some(&cookie_for(2))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.body, "nothing here for admin=false",
        "made from the refused user"
    );
}

#[tokio::test]
async fn nested_routers_keep_their_prefix_in_next() {
    let config = config();
    let admin = Router::new()
        .route("/users", get(|| async { "users" }))
        .route_layer(RequireUser::<User>::new());
    let app = Router::new()
        .nest("/admin", admin)
        .layer(SessionLayer::new(config.clone()));
    let reply = send_get(&app, "/admin/users?page=2", None).await;
    assert_eq!(
        reply.headers["location"],
        "/home?next=%2Fadmin%2Fusers%3Fpage%3D2"
    );
}

#[tokio::test]
async fn the_guard_reads_the_layer_in_manual_mode_and_names_a_missing_layer() {
    let config = config();
    let manual = Router::new()
        .route("/page", get(|| async { "page" }))
        .route_layer(RequireUser::<User>::new())
        .layer(SessionLayer::manual(config.clone()));
    assert_eq!(
        send_get(&manual, "/page", Some(&cookie_for(1))).await.body,
        "page"
    );
    assert_eq!(
        send_get(&manual, "/page", None).await.status,
        StatusCode::TEMPORARY_REDIRECT
    );
}

#[test]
fn a_guard_without_a_session_layer_is_a_500_naming_the_fix() {
    let misconfigured = Router::new()
        .route("/page", get(|| async { "page" }))
        .route_layer(RequireUser::<User>::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let logs = common::logs_of(tracing::Level::ERROR, || {
        let reply = runtime.block_on(send_get(&misconfigured, "/page", Some(&cookie_for(1))));
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    });
    assert!(
        logs.contains("SessionLayer::new(config)"),
        "the log must name the fix: {logs}"
    );
}

#[test]
fn safe_next_accepts_local_paths() {
    for next in [
        "/",
        "/admin",
        "/admin?tab=users&x=1",
        "/a/b#frag",
        "/search?q=%2F",
        "/caf%C3%A9",
    ] {
        assert_eq!(safe_next(next), Some(next), "{next}");
    }
}

#[test]
fn safe_next_rejects_open_redirect_payloads() {
    let payloads = [
        "",
        "admin",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\\\\\evil.example",
        "/\\/evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%252F%252Fevil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/ok\r\nSet-Cookie: x=1",
        " /evil",
        "\t//evil.example",
        "/%E0%A4%A",
    ];
    for payload in payloads {
        assert_eq!(safe_next(payload), None, "{payload:?} was accepted");
    }
}
