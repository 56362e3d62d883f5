//! What the demo writes down, against a real server process logging at
//! every level (`RUST_LOG=trace`): failed logins name the user and the
//! client, and no password typed into any form, wrong, right, refused or
//! new, ever reaches the output.

mod demo_support;

use axum::http::{Method, StatusCode};
use demo_support::{free_port, send, Demo, Reply, TempDir};

/// Passwords the test types, each written nowhere else: none may appear in
/// the output. (The demo users' first passwords are printed on first
/// start, by design, so alice changes hers before she logs in with it.)
const WRONG_FOR_ALICE: &str = "wrong-for-alice-9f3b";
const WRONG_FOR_NOBODY: &str = "wrong-for-nobody-5c1e";
const WRONG_FOR_CAROL: &str = "wrong-for-carol-77d0";
const WRONG_CURRENT: &str = "wrong-current-a4e8";
const TOO_SHORT: &str = "sh0rt7c";
const NEW_PASSWORD: &str = "new-password-2b6d";
const NEVER_SET: &str = "never-set-password-e019";

/// The user names the failures are for: each must appear.
const UNKNOWN_NAME: &str = "nobody-here";

async fn log_in(demo: &Demo, username: &str, password: &str) -> Reply {
    let form = format!("username={username}&password={password}");
    send(Method::POST, &demo.url("/login"), None, Some(&form)).await
}

#[tokio::test]
async fn failed_logins_are_logged_with_the_user_name_and_never_the_password() {
    let dir = TempDir::new("logs");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-log-test-only-!!!"),
        ("RUST_LOG", "trace"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("logs", free_port(), dir.path(), &vars);

    // Wrong passwords: for a user, for a name nobody has, and for a name
    // until the throttle refuses it (the refused attempt's password too).
    let reply = log_in(&demo, "alice", WRONG_FOR_ALICE).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = log_in(&demo, UNKNOWN_NAME, WRONG_FOR_NOBODY).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    for _ in 0..5 {
        let reply = log_in(&demo, "carol", WRONG_FOR_CAROL).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let reply = log_in(&demo, "carol", WRONG_FOR_CAROL).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);

    // Password changes: a wrong current password, a new one too short, and
    // one that works; then a login with the new password.
    let reply = log_in(&demo, "alice", "wonderland").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let alice = reply.session_cookie().expect("alice's cookie");
    let reply = demo.change_password(&alice, WRONG_CURRENT, NEVER_SET).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = demo.change_password(&alice, "wonderland", TOO_SHORT).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = demo
        .change_password(&alice, "wonderland", NEW_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = log_in(&demo, "alice", NEW_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);

    let log = demo.output();
    // Who failed, and from where, is written down...
    for line in [
        r#"login failed user="alice" client=127.0.0.1"#,
        r#"login failed user="nobody-here" client=127.0.0.1"#,
        r#"login failed user="carol" client=127.0.0.1"#,
        r#"login throttled user="carol" client=127.0.0.1"#,
        "password changed user=alice",
    ] {
        assert!(log.contains(line), "no `{line}` in the log:\n{log}");
    }
    // ... and no password, nor any form field that carries one.
    for password in [
        WRONG_FOR_ALICE,
        WRONG_FOR_NOBODY,
        WRONG_FOR_CAROL,
        WRONG_CURRENT,
        TOO_SHORT,
        NEW_PASSWORD,
        NEVER_SET,
    ] {
        assert!(
            !log.contains(password),
            "the password {password} is in the log:\n{log}"
        );
    }
    assert!(!log.contains("password="), "a form is in the log:\n{log}");
}
