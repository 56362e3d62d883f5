//! The demo's one-time messages (`Messages`) against a real server process:
//! each is shown once, by the next page a browser sees, with its level as a
//! CSS class, and is gone from the page after (and from the cookie).

mod demo_support;

use axum::http::StatusCode;
use axum_cookie_session::MESSAGES_KEY;
use demo_support::{free_port, get, Demo, Reply, TempDir, Visitor};
use serde_json::json;

/// Starts a demo with a database of its own.
fn start(name: &str, dir: &TempDir) -> Demo {
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-messages-test-only"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    Demo::start(name, free_port(), dir.path(), &vars)
}

/// How a page shows a success message.
fn success(text: &str) -> String {
    format!(r#"<p class="message success">{text}</p>"#)
}

/// Asserts that `page` shows `text` as its only message.
fn assert_shows(page: &Reply, text: &str) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let shown = format!(r#"<div id="notice" role="status">{}</div>"#, success(text));
    assert!(page.body.contains(&shown), "{shown} not in {}", page.body);
}

/// Asserts that `page` shows no message.
fn assert_no_message(page: &Reply) {
    assert!(!page.body.contains(r#"id="notice""#), "{}", page.body);
}

/// Asserts that the redirect `reply` goes to `path`.
fn assert_redirect(reply: &Reply, path: &str) {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), Some(path));
}

#[tokio::test]
async fn a_login_is_welcomed_once_by_the_next_page() {
    let dir = TempDir::new("messages-welcome");
    let demo = start("messages-welcome", &dir);

    // Through the form, as the form's own test: the next page welcomes.
    let mut alice = Visitor::new(&demo);
    let reply = alice
        .post("/login", "username=alice&password=wonderland")
        .await;
    assert_redirect(&reply, "/");
    let home = alice.get("/").await;
    assert_shows(&home, "Welcome back, alice.");
    assert!(home.body.contains("Logged in as alice."), "{}", home.body);
    assert!(
        home.session_cookie().is_some(),
        "the page takes the message out of the cookie"
    );

    // Not on the second page view, nor on any page after.
    let again = alice.get("/").await;
    assert_no_message(&again);
    assert!(again.body.contains("Logged in as alice."), "{}", again.body);
    assert_eq!(
        again.session_cookie(),
        None,
        "a page without messages leaves the cookie as it is"
    );
    assert_no_message(&alice.get("/session").await);

    // Sent on to `next`, the user is welcomed there: on /admin, and on the
    // admin guard's 403 page for bob.
    let mut admin = Visitor::new(&demo);
    let reply = admin
        .post("/login", "username=alice&password=wonderland&next=%2Fadmin")
        .await;
    assert_redirect(&reply, "/admin");
    assert_shows(&admin.get("/admin").await, "Welcome back, alice.");
    assert_no_message(&admin.get("/admin").await);

    let mut bob = Visitor::new(&demo);
    let reply = bob
        .post("/login", "username=bob&password=builder&next=%2Fadmin")
        .await;
    assert_redirect(&reply, "/admin");
    let forbidden = bob.get("/admin").await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.body
    );
    assert!(
        forbidden.body.contains(&success("Welcome back, bob.")),
        "{}",
        forbidden.body
    );
    assert!(
        forbidden.body.contains("bob is not one"),
        "{}",
        forbidden.body
    );
    let forbidden = bob.get("/admin").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_no_message(&forbidden);

    // curl's JSON view of the session leaves the message for a page.
    let mut curl = Visitor::new(&demo);
    curl.post("/login", "username=bob&password=builder").await;
    let json = get(&demo.url("/session"), curl.cookie.as_deref()).await;
    assert!(
        json.body
            .contains(r#""_messages":[{"level":"success","text":"Welcome back, bob."}]"#),
        "{}",
        json.body
    );
    assert_shows(&curl.get("/").await, "Welcome back, bob.");
}

#[tokio::test]
async fn logout_a_password_change_and_a_cleared_session_say_so_once() {
    let dir = TempDir::new("messages-actions");
    let demo = start("messages-actions", &dir);
    // Logged in without the form: these are not the form's messages.
    let logins = demo.logins();
    let mut alice = Visitor::with_cookie(&demo, logins.cookie_for(1).await);
    assert_no_message(&alice.get("/").await);

    // A password change: home says so, once.
    let reply = alice
        .post(
            "/password",
            "current_password=wonderland&new_password=rabbit-hole",
        )
        .await;
    assert_redirect(&reply, "/");
    let home = alice.get("/").await;
    assert_shows(&home, "Password changed. Other browsers are logged out.");
    assert!(home.body.contains("Logged in as alice."), "{}", home.body);
    assert_no_message(&alice.get("/").await);

    // Logging out: home says so, once.
    let reply = alice.post("/logout", "").await;
    assert_redirect(&reply, "/");
    let home = alice.get("/").await;
    assert_shows(&home, "Logged out.");
    assert!(home.body.contains("Not logged in."), "{}", home.body);
    let home = alice.get("/").await;
    assert_no_message(&home);
    assert!(home.body.contains("Not logged in."), "{}", home.body);

    // Clearing the session: the session page says so, once. It shows the
    // session as the cookie held it, the message included, which it takes.
    // Logged in again (under the new password's digest), with a message
    // waiting that clearing the session drops.
    let mut session = logins.session(1).await;
    session
        .insert(
            MESSAGES_KEY,
            [json!({"level": "info", "text": "Welcome back"})],
        )
        .expect("a message");
    alice.cookie = Some(logins.cookie(session));
    let reply = alice.post("/clear", "").await;
    assert_redirect(&reply, "/session");
    let page = alice.get("/session").await;
    assert_shows(&page, "Session cleared.");
    assert!(page.body.contains("One-time messages"), "{}", page.body);
    assert!(!page.body.contains("Welcome back"), "{}", page.body);
    let page = alice.get("/session").await;
    assert_no_message(&page);
    assert!(
        page.body.contains(r#"<pre id="session-json">{}</pre>"#),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_message_is_escaped_and_shows_its_level() {
    let dir = TempDir::new("messages-escaped");
    let demo = start("messages-escaped", &dir);
    let logins = demo.logins();

    // A session the test makes, logged in as bob, with messages of every
    // level waiting, one of them markup.
    let mut session = logins.session(2).await;
    let waiting = json!([
        {"level": "info", "text": "Maintenance tonight."},
        {"level": "warning", "text": "Your password is old."},
        {"level": "error", "text": "<script>alert('owned')</script> & more"},
    ]);
    session.insert(MESSAGES_KEY, waiting).expect("the messages");
    let mut bob = Visitor::with_cookie(&demo, logins.cookie(session));

    let home = bob.get("/").await;
    assert!(home.body.contains("Logged in as bob."), "{}", home.body);
    let shown = concat!(
        r#"<div id="notice" role="status">"#,
        r#"<p class="message info">Maintenance tonight.</p>"#,
        r#"<p class="message warning">Your password is old.</p>"#,
        r#"<p class="message error">&lt;script&gt;alert('owned')&lt;/script&gt; &amp; more</p>"#,
        "</div>",
    );
    assert!(home.body.contains(shown), "{shown} not in {}", home.body);
    assert!(!home.body.contains("<script>"), "{}", home.body);
    assert_no_message(&bob.get("/").await);
}
