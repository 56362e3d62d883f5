//! The demo's account features against a real server process: "Remember
//! me", a password change that logs out every other browser, "Log out my
//! other browsers", and `/api/me`.

mod demo_support;

use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send, send_with, Demo, Reply, TempDir, Visitor};
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

/// The `401` an anonymous API caller gets: JSON, and a challenge naming
/// the login form and the cookie it sets.
fn assert_api_login_required(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(
        reply.headers.get(CONTENT_TYPE).map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    assert_eq!(
        serde_json::from_str::<Value>(&reply.body).expect("JSON"),
        json!({"error": "login required"})
    );
    assert_eq!(
        reply.headers.get(WWW_AUTHENTICATE).map(|v| v.as_bytes()),
        Some(
            &br#"Cookie realm="demo_session", form-action="/login", cookie-name="demo_session""#[..]
        )
    );
    assert!(reply.location().is_none(), "no redirect to the login page");
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

/// `GET /api/me` with `cookie`, as curl asks (`Accept: */*`).
async fn me(demo: &Demo, cookie: &str) -> (StatusCode, Value) {
    let curl = [("accept", "*/*")];
    let url = demo.url("/api/me");
    let reply = send_with(Method::GET, &url, Some(cookie), None, &curl).await;
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

    // Anonymous callers of the API get 401 JSON, not the login page,
    // whatever they accept: curl's `*/*`, nothing, or a browser's
    // navigation (`/api/` is marked as an API with `ApiRoutes`).
    let curl = [("accept", "*/*")];
    let navigation = [("sec-fetch-mode", "navigate"), ("accept", "text/html")];
    for headers in [&curl[..], &[], &navigation] {
        let reply = send_with(Method::GET, &demo.url("/api/me"), None, None, headers).await;
        assert_api_login_required(&reply);
    }

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

/// A refused change: `422`, the form again with `message`, and nothing
/// changed.
fn assert_rule_refused(reply: &Reply, message: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("password-form"), "{}", reply.body);
    assert!(
        reply.body.contains(message),
        "{message} not in {}",
        reply.body
    );
    assert_eq!(
        reply.session_cookie(),
        None,
        "a refused change wrote the cookie"
    );
}

#[tokio::test]
async fn a_new_password_needs_8_to_1024_characters_and_old_short_ones_still_log_in() {
    let dir = TempDir::new("password-rule");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-password-rule-test"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("password-rule", free_port(), dir.path(), &vars);
    let log_in = |password: &'static str| {
        let form = format!("username=bob&password={password}");
        let url = demo.url("/login");
        async move { send(Method::POST, &url, None, Some(&form)).await }
    };

    // bob's own password has 7 characters: it predates the rule and logs in.
    let reply = log_in("builder").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let bob = reply.session_cookie().expect("bob's cookie");

    // The form says the rule, and the browser checks the minimum too.
    let form = get(&demo.url("/password"), Some(&bob)).await;
    assert!(
        form.body.contains("At least 8 characters."),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"minlength="8""#), "{}", form.body);

    // Too short, however it is counted: 1 character, 7, and 7 in 14 bytes.
    let reply = demo.change_password(&bob, "builder", "x").await;
    assert_rule_refused(
        &reply,
        "The new password must have at least 8 characters (yours has 1).",
    );
    let reply = demo.change_password(&bob, "builder", "1234567").await;
    assert_rule_refused(&reply, "at least 8 characters (yours has 7)");
    let seven = "%C3%A9".repeat(7); // "ééééééé"
    let reply = demo.change_password(&bob, "builder", &seven).await;
    assert_rule_refused(&reply, "at least 8 characters (yours has 7)");
    // Too long.
    let reply = demo
        .change_password(&bob, "builder", &"x".repeat(1025))
        .await;
    assert_rule_refused(
        &reply,
        "The new password may have at most 1024 characters (yours has 1025).",
    );
    // The rule is checked first: a wrong current password does not matter.
    let reply = demo.change_password(&bob, "nope", "short").await;
    assert_rule_refused(&reply, "at least 8 characters (yours has 5)");

    // Nothing changed: bob is still logged in, with his old password.
    assert_eq!(me(&demo, &bob).await.0, StatusCode::OK);
    assert_eq!(log_in("builder").await.status, StatusCode::SEE_OTHER);

    // Eight characters will do.
    let reply = demo.change_password(&bob, "builder", "builders").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(log_in("builders").await.status, StatusCode::SEE_OTHER);
    assert_eq!(log_in("builder").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn log_out_my_other_browsers_keeps_this_one_and_ends_the_others() {
    let dir = TempDir::new("logout-others");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-logout-others-test"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("logout-others", free_port(), dir.path(), &vars);
    let alice = json!({"id": 1, "username": "alice", "is_admin": true});

    // Anonymous: sent to the login form (a GET), which leads back to the
    // session page, where the button is.
    let reply = send(Method::POST, &demo.url("/logout-others"), None, Some("")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), Some("/login?next=%2Fsession"));
    assert_eq!(reply.session_cookie(), None);

    // alice in two browsers: the first through the form, remembered; the
    // second, and bob in a third, logged in without the form
    // (`cookie_header`, as the demo's own `login_user` would).
    let (first, _) = log_in(&demo, "wonderland", true).await;
    let logins = demo.logins();
    let second = logins.cookie_for(1).await;
    let bob = logins.cookie_for(2).await;
    assert_eq!(me(&demo, &first).await, (StatusCode::OK, alice.clone()));
    assert_eq!(me(&demo, &second).await, (StatusCode::OK, alice.clone()));

    // The first browser's button: it stays logged in, under a new cookie
    // that keeps its "Remember me", and goes to the session page.
    let reply = send(
        Method::POST,
        &demo.url("/logout-others"),
        Some(&first),
        Some(""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), Some("/session"));
    assert_eq!(max_age(&reply), Some(30 * 24 * 3600), "still remembered");
    let renewed = reply.session_cookie().expect("logged in again");
    assert_eq!(me(&demo, &renewed).await, (StatusCode::OK, alice.clone()));

    // The second browser is anonymous, and so is a copy of the first
    // one's cookie from before; bob is not touched.
    assert_eq!(me(&demo, &second).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&demo, &first).await.0,
        StatusCode::UNAUTHORIZED,
        "a copy of the cookie from before"
    );
    let home = get(&demo.url("/"), Some(&second)).await;
    assert!(home.body.contains("Not logged in."), "{}", home.body);
    assert_eq!(me(&demo, &bob).await.0, StatusCode::OK);

    // The session page says so, once.
    let mut button = Visitor::with_cookie(&demo, renewed);
    let page = button.get("/session").await;
    let said = r#"<p class="message success">Your other browsers are logged out.</p>"#;
    assert!(page.body.contains(said), "{}", page.body);
    assert!(page.body.contains("Logged in as alice"), "{}", page.body);
    let page = button.get("/session").await;
    assert!(!page.body.contains(said), "{}", page.body);

    // A login afterwards works, and leaves the first browser logged in.
    let (third, _) = log_in(&demo, "wonderland", false).await;
    assert_eq!(me(&demo, &third).await, (StatusCode::OK, alice.clone()));
    let first_now = button.cookie.clone().expect("the first browser's cookie");
    assert_eq!(me(&demo, &first_now).await, (StatusCode::OK, alice));
}
