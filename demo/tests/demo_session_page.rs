//! What the session page and the login form say of how long a login lasts,
//! against the demo as a real server process, under the default lifetimes
//! and others: plain words, rounded durations, the reason that holds, and
//! what the site's own session keys are for.

mod demo_support;

use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use demo::routes::REMEMBER_FOR;
use demo_support::{free_port, get, send_with, Demo, TempDir};

/// Starts a demo with a database of its own and these variables.
fn start(name: &str, dir: &TempDir, vars: &[(&str, &str)]) -> Demo {
    let database = dir.path().join("users.db");
    let mut all = vec![
        ("SESSION_SECRET_KEY", "a-secret-for-the-session-page-tests"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    all.extend_from_slice(vars);
    Demo::start(name, free_port(), dir.path(), &all)
}

/// A cookie with user `id` logged in, "remembered" or not, as the login
/// form leaves it, made without the form (`SessionConfig::cookie_header`):
/// these tests are about the session page, not the form.
async fn logged_in(demo: &Demo, id: i64, remember: bool) -> String {
    let logins = demo.logins();
    let mut session = logins.session(id).await;
    if remember {
        session.set_lifetime(Some(REMEMBER_FOR));
    }
    logins.cookie(session)
}

/// The session page as a browser gets it, with `cookie`.
async fn session_page(demo: &Demo, cookie: &str) -> String {
    let html = [("accept", "text/html")];
    let reply = send_with(
        Method::GET,
        &demo.url("/session"),
        Some(cookie),
        None,
        &html,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// Asserts that `page` says each of `says` and none of `never`.
fn assert_says(page: &str, says: &[&str], never: &[&str]) {
    for text in says {
        assert!(page.contains(text), "`{text}` is not on the page:\n{page}");
    }
    for text in never {
        assert!(!page.contains(text), "`{text}` is on the page:\n{page}");
    }
}

/// What the old page said: jargon and minutes.
const JARGON: [&str; 5] = [
    "not said in the cookie",
    "no lifetime is configured, or",
    " min)",
    " s ago",
    "Codec",
];

#[tokio::test]
async fn by_default_a_plain_login_ends_with_the_browser_or_after_14_days() {
    let dir = TempDir::new("session-page");
    let demo = start("session-page", &dir, &[]);

    let login = get(&demo.url("/login"), None).await.body;
    assert_says(
        &login,
        &[
            "Remember me for 30 days",
            "Without it, you are logged out when you close your browser, or 14 days after \
             logging in.",
        ],
        &[],
    );

    // A plain login: 14 days on the server, until the browser closes in it.
    let bob = logged_in(&demo, 2, false).await;
    let page = session_page(&demo, &bob).await;
    assert_says(
        &page,
        &[
            r#"<p id="status">Your browser holds a signed session cookie for this site.</p>"#,
            "Signed (jwt): anyone who has the cookie can read it, but nobody can change it \
             without the site's secret.",
            "(just now), the last time the site wrote it.",
            "(in 14 days): after that the server refuses it, and the session ends. Sessions \
             last 14 days on this site, counted from when it last wrote the cookie.",
            "Until you close it: the cookie has no Max-Age.",
            "The site's current secret.",
            " bytes, of the 4096 a browser keeps of one cookie.",
            "One cookie.",
            "A keyed digest of your password hash and of a counter: changing your password, or \
             &quot;Log out my other browsers&quot; (which moves the counter), logs out every \
             other browser.",
            "Your user id: the site looks you up by it on every visit.",
            "curl -b 'demo_session=…'",
        ],
        &JARGON,
    );

    // Remembered: 30 days, in the browser as on the server.
    let alice = logged_in(&demo, 1, true).await;
    let page = session_page(&demo, &alice).await;
    assert_says(
        &page,
        &[
            "(in 30 days): after that the server refuses it, and the session ends. This \
             session has a lifetime of its own, 30 days",
            "Even if you close it, until ",
            "gave the cookie a Max-Age of 30 days.",
        ],
        &JARGON,
    );

    // No cookie yet.
    let page = get(&demo.url("/session"), None).await;
    assert_eq!(page.body, "{}", "JSON for curl");
    let html = [("accept", "text/html")];
    let page = send_with(Method::GET, &demo.url("/session"), None, None, &html).await;
    assert_says(
        &page.body,
        &["Your browser has no session cookie for this site yet, or none the site still accepts."],
        &[],
    );
}

#[tokio::test]
async fn without_a_server_lifetime_the_page_says_never_and_max_age_keeps_plain_logins() {
    let dir = TempDir::new("session-page-unlimited");
    let vars = [("SESSION_LIFETIME", "none"), ("SESSION_MAX_AGE", "3600")];
    let demo = start("session-page-unlimited", &dir, &vars);

    let login = get(&demo.url("/login"), None).await.body;
    assert_says(
        &login,
        &[
            "Without it too, you stay logged in for 1 hour after logging in, even if you close \
           your browser.",
        ],
        &[],
    );
    let bob = logged_in(&demo, 2, false).await;
    let page = session_page(&demo, &bob).await;
    assert_says(
        &page,
        &[
            "Never: the site sets no lifetime (SESSION_LIFETIME=none), so the server accepts \
             this cookie however old it is.",
            "Not said in the cookie: with no lifetime to count, the site writes no issue time.",
            "Even if you close it, for 1 hour after the site last wrote it: the site gives its \
             cookie a Max-Age of 1 hour.",
        ],
        &JARGON,
    );
}

#[tokio::test]
async fn a_cookie_without_an_issue_time_is_given_one_and_sliding_renewal_is_explained() {
    let dir = TempDir::new("session-page-muffin");
    let vars = [
        ("SESSION_SESSION_TYPE", "base64"),
        ("SESSION_ALLOW_UNSIGNED_LOGINS", "true"),
        ("SESSION_SLIDING_EXPIRATION", "true"),
    ];
    let demo = start("session-page-muffin", &dir, &vars);

    let login = get(&demo.url("/login"), None).await.body;
    assert_says(
        &login,
        &[
            "or 14 days after logging in; a visit after the first 7 days starts the 14 days \
           again.",
        ],
        &[],
    );

    // muffin-session's base64 cookies carry no issue time: this answer
    // gives the cookie one.
    let muffin = URL_SAFE.encode(r#"{"_csrf": "a-form-token", "visits": 3}"#);
    let html = [("accept", "text/html")];
    let reply = send_with(
        Method::GET,
        &demo.url("/session"),
        Some(&muffin),
        None,
        &html,
    )
    .await;
    assert_says(
        &reply.body,
        &[
            "Your browser holds an unsigned session cookie for this site.",
            "Neither signed nor encrypted (base64): anyone can read it, and change it.",
            "Not said in the cookie: cookies written by muffin-session's jwt and base64 codecs \
             carry no issue time.",
            "Not counted yet: the cookie says nothing of when it was issued, so this answer \
             gives it the time now. It expires in 14 days, on ",
            "None: this kind of cookie is not signed.",
            "The token the site's forms carry, so that it can tell its own forms from another \
             site's.",
            "Stored by the site's pages.",
        ],
        &JARGON,
    );
    let stamped = reply
        .session_cookie()
        .expect("the cookie is given an issue time");
    let page = session_page(&demo, &stamped).await;
    assert_says(
        &page,
        &[
            "(just now), the last time the site wrote it.",
            "(in 14 days): after that the server refuses it",
            "A visit after ",
            "(in 7 days) renews it.",
        ],
        &JARGON,
    );
}
