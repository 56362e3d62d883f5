//! Two instances, one secret: the horizontal-scale story of cookie sessions.
//!
//! Two demo processes share a secret and a database. A login on
//! one is honoured by the other, with no session store between them. Then
//! the second is restarted with a new secret and the old one as a fallback
//! key: the user stays logged in, and the reply re-issues the cookie under
//! the new key.

mod demo_support;

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum_cookie_session::SessionConfig;
use demo_support::{free_port, get, send, send_with, Demo, TempDir};

const OLD_SECRET: &str = "the-first-secret-shared-by-both-instances";
const NEW_SECRET: &str = "the-second-secret-after-key-rotation";

/// The user id a server with only `secret` finds in this session cookie.
fn user_id_under(secret: &str, cookie: &str) -> Option<i64> {
    let config = SessionConfig::builder()
        .secret_key(secret)
        .cookie_name("demo_session")
        .build()
        .expect("a valid config");
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("demo_session={cookie}")).expect("a header value");
    headers.insert(COOKIE, value);
    let session: axum_cookie_session::Session = config.load_from_request(&headers).unwrap();
    session.user_id()
}

#[tokio::test]
async fn a_login_on_one_instance_is_honoured_by_the_other_and_survives_key_rotation() {
    let dir = TempDir::new("instances");
    let database = dir.path().join("users.db");
    let database = database.to_str().expect("a UTF-8 temp path");
    let shared = [
        ("SESSION_SECRET_KEY", OLD_SECRET),
        ("DATABASE_URL", database),
    ];
    let first = Demo::start("first", free_port(), dir.path(), &shared);
    let second = Demo::start("second", free_port(), dir.path(), &shared);

    // Log in on the first instance.
    let form = "username=alice&password=wonderland&next=%2Fadmin";
    let login = send(Method::POST, &first.url("/login"), None, Some(form)).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", first.output());
    assert_eq!(login.location(), Some("/admin"));
    let cookie = login
        .session_cookie()
        .expect("login sets the session cookie");

    // The second instance knows who that is, and lets her into /admin.
    let home = get(&second.url("/"), Some(&cookie)).await;
    assert!(home.body.contains("Logged in as alice"), "{}", home.body);
    let admin = get(&second.url("/admin"), Some(&cookie)).await;
    assert_eq!(admin.status, StatusCode::OK);
    assert!(admin.body.contains("Welcome, alice"), "{}", admin.body);
    let session = get(&second.url("/session"), Some(&cookie)).await;
    let session: serde_json::Value = serde_json::from_str(&session.body).expect("JSON");
    assert_eq!(session["id"], 1);
    assert!(
        session["_auth"].is_string(),
        "the password's digest: {session}"
    );
    // ... and it is the cookie that does it.
    let anonymous = get(&second.url("/admin"), None).await;
    assert_eq!(anonymous.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(anonymous.location(), Some("/login?next=%2Fadmin"));

    // Restart the second with a new secret, the old one as a fallback key.
    let port = second.port();
    drop(second);
    let rotated = [
        ("SESSION_SECRET_KEY", NEW_SECRET),
        ("SESSION_FALLBACK_KEYS", OLD_SECRET),
        ("DATABASE_URL", database),
    ];
    let second = Demo::start("second-rotated", port, dir.path(), &rotated);

    // The session page says which key made the cookie, and what happens.
    let html = [("accept", "text/html")];
    let page = send_with(
        Method::GET,
        &second.url("/session"),
        Some(&cookie),
        None,
        &html,
    )
    .await;
    assert!(
        page.body.contains(
            "An older secret the site still accepts (a fallback key): this answer writes the \
             cookie again with the current one."
        ),
        "{}",
        page.body
    );

    // Still logged in, and the cookie comes back made with the new key only.
    let home = get(&second.url("/"), Some(&cookie)).await;
    assert!(home.body.contains("Logged in as alice"), "{}", home.body);
    let reissued = home
        .session_cookie()
        .expect("a cookie read with a fallback key is re-issued");
    assert_eq!(user_id_under(NEW_SECRET, &reissued), Some(1));
    assert_eq!(user_id_under(OLD_SECRET, &reissued), None);
    assert_eq!(user_id_under(OLD_SECRET, &cookie), Some(1));

    // The new cookie works as it is: no further re-issue.
    let again = get(&second.url("/"), Some(&reissued)).await;
    assert!(again.body.contains("Logged in as alice"), "{}", again.body);
    assert_eq!(again.session_cookie(), None);
    // The first instance, still on the old key only, cannot read it: every
    // instance must learn the new key before any starts writing with it.
    let first_home = get(&first.url("/"), Some(&reissued)).await;
    assert!(
        first_home.body.contains("Not logged in"),
        "{}",
        first_home.body
    );
}
