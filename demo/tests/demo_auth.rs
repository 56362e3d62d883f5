//! The demo's account features against a real server process: "Remember
//! me", a password change that logs out every other browser, and `/api/me`.

mod demo_support;

use std::time::Duration;

use axum::http::header::SET_COOKIE;
use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send, send_with, Demo, Reply, TempDir};
use serde_json::{json, Value};

/// The plain login's lifetime on the server, in seconds: short, so the
/// test can outlive it.
const LIFETIME: u64 = 2;

/// The `Max-Age` of the session cookie a reply sets, if it sets one with it.
fn max_age(reply: &Reply) -> Option<u64> {
    let set_cookie = reply
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("demo_session="))
        .expect("the reply sets the session cookie");
    set_cookie
        .split("; ")
        .find_map(|attribute| attribute.strip_prefix("Max-Age="))
        .map(|seconds| seconds.parse().expect("a number"))
}

/// Logs alice in, ticking "Remember me" or not; returns the cookie.
async fn log_in(demo: &Demo, password: &str, remember: bool) -> (String, Option<u64>) {
    let mut form = format!("username=alice&password={password}");
    if remember {
        form.push_str("&remember=on");
    }
    let reply = send(Method::POST, &demo.url("/login"), None, Some(&form)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let cookie = reply.session_cookie().expect("a session cookie");
    (cookie, max_age(&reply))
}

async fn me(demo: &Demo, cookie: &str) -> (StatusCode, Value) {
    let reply = get(&demo.url("/api/me"), Some(cookie)).await;
    let body = serde_json::from_str(&reply.body).expect("a JSON body");
    (reply.status, body)
}

#[tokio::test]
async fn remember_me_a_password_change_and_the_api() {
    let dir = TempDir::new("auth");
    let database = dir.path().join("users.db");
    let lifetime = LIFETIME.to_string();
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-account-test-only"),
        ("SESSION_LIFETIME", lifetime.as_str()),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("auth", free_port(), dir.path(), &vars);

    // Anonymous callers of the API get 401 JSON, not the login page.
    let reply = get(&demo.url("/api/me"), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_str::<Value>(&reply.body).expect("JSON"),
        json!({"error": "login required"})
    );

    // A guarded page answers fetch() with 401 JSON, and a navigation (or
    // curl, which says nothing) with the redirect to the login page.
    let fetch = [("sec-fetch-mode", "cors"), ("accept", "*/*")];
    let reply = send_with(Method::GET, &demo.url("/admin"), None, None, &fetch).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_str::<Value>(&reply.body).expect("JSON"),
        json!({"error": "login required"})
    );
    let navigation = [("sec-fetch-mode", "navigate"), ("accept", "text/html")];
    let reply = send_with(Method::GET, &demo.url("/admin"), None, None, &navigation).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(reply.location(), Some("/login?next=%2Fadmin"));
    let reply = get(&demo.url("/admin"), None).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);

    // Alice in two browsers: one remembered, one not.
    let (remembered, remembered_age) = log_in(&demo, "wonderland", true).await;
    let (plain, plain_age) = log_in(&demo, "wonderland", false).await;
    assert_eq!(remembered_age, Some(30 * 24 * 3600), "a 30-day cookie");
    assert_eq!(plain_age, None, "a browser-session cookie");
    let alice = json!({"id": 1, "username": "alice", "is_admin": true});
    assert_eq!(
        me(&demo, &remembered).await,
        (StatusCode::OK, alice.clone())
    );
    assert_eq!(me(&demo, &plain).await, (StatusCode::OK, alice.clone()));

    // A plain login lasts SESSION_LIFETIME on the server; a remembered one does not end then.
    tokio::time::sleep(Duration::from_secs(LIFETIME + 2)).await;
    assert_eq!(me(&demo, &plain).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&demo, &remembered).await,
        (StatusCode::OK, alice.clone())
    );
    let (other, _) = log_in(&demo, "wonderland", false).await;

    // A wrong current password: 401 and the form again; nothing changes.
    let wrong = "current_password=nope&new_password=rabbit-hole";
    let reply = send(
        Method::POST,
        &demo.url("/password"),
        Some(&remembered),
        Some(wrong),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("password-form"), "{}", reply.body);
    assert_eq!(me(&demo, &other).await.0, StatusCode::OK);

    // The change, from the remembered browser: it stays logged in (and
    // remembered); the other browser is logged out.
    let change = "current_password=wonderland&new_password=rabbit-hole";
    let reply = send(
        Method::POST,
        &demo.url("/password"),
        Some(&remembered),
        Some(change),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), Some("/"));
    assert_eq!(max_age(&reply), Some(30 * 24 * 3600), "still remembered");
    let renewed = reply
        .session_cookie()
        .expect("this browser is logged in again");
    assert_eq!(me(&demo, &renewed).await, (StatusCode::OK, alice.clone()));
    assert_eq!(me(&demo, &other).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&demo, &remembered).await.0,
        StatusCode::UNAUTHORIZED,
        "a copy of the cookie from before the change"
    );

    // The new password logs in; the old one no longer does.
    log_in(&demo, "rabbit-hole", false).await;
    let old = "username=alice&password=wonderland";
    let reply = send(Method::POST, &demo.url("/login"), None, Some(old)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
