//! A real browser on the demo: headless Chromium driven over
//! WebDriver (chromedriver), clicking through login, the admin guard and
//! logout as a person would, with real cookies, and the one-time messages
//! each step leaves; then "Remember me", a password change and "Log out my
//! other browsers" seen from two browsers.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). It is ignored by a plain `cargo test`, and fails when run without them.

mod demo_support;

use demo_support::browser::{Browser, Page};
use demo_support::{free_port, Demo, TempDir};
use fantoccini::{Client, Locator};

#[tokio::test]
#[ignore = "needs chromium and chromedriver (Debian packages `chromium` and `chromium-driver`): \
            run with `cargo test --all-features -- --include-ignored`; .ci/run does"]
async fn a_browser_logs_in_meets_the_admin_guard_and_logs_out() {
    let browser = Browser::require();
    let dir = TempDir::new("browser");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-browser-test-only"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("demo", free_port(), dir.path(), &vars);
    let (_chromedriver, webdriver) = browser.start_chromedriver(dir.path());
    let client = browser.open(&webdriver).await;
    // A second browser, with cookies of its own, for the password change.
    let other = browser.open(&webdriver).await;

    // Run the scenario on its own task so that the browsers are closed even
    // when an assertion fails, then report the failure.
    let base = demo.url("");
    let outcome = tokio::spawn(scenario(client.clone(), other.clone(), base)).await;
    let _ = client.close().await;
    let _ = other.close().await;
    if let Err(err) = outcome {
        eprintln!("demo output:\n{}", demo.output());
        std::panic::resume_unwind(err.into_panic());
    }
}

/// The walk through the site, in one browser, then in two.
async fn scenario(client: Client, other: Client, base: String) {
    let other = Page {
        client: other,
        base: base.clone(),
    };
    let page = Page { client, base };

    // An anonymous visitor of /admin lands on the login form, which will
    // send them back to /admin.
    page.open("/admin").await;
    page.expect_url("/login?next=%2Fadmin").await;
    assert_eq!(page.hidden_next().await, "/admin");

    // bob is not an admin: after logging in he is sent on to /admin, and
    // the guard answers 403, a page that welcomes him all the same.
    page.log_in("bob", "builder").await;
    page.expect_url("/admin").await;
    page.expect_status(|text| text == "This page is for admins only, and bob is not one.")
        .await;
    page.expect_text("#notice", |text| text == "Welcome back, bob.")
        .await;
    assert_eq!(page.fetch_status("/admin").await, 403);
    page.find("#switch-user").await;

    // Logging out (the button in the navigation) goes home, anonymous, and
    // says so once.
    page.click("#logout").await;
    page.expect_url("/").await;
    page.expect_status(|text| text == "Not logged in.").await;
    page.expect_text("#notice", |text| text == "Logged out.")
        .await;
    page.open("/").await;
    page.expect_status(|text| text == "Not logged in.").await;
    assert!(page.client.find(Locator::Css("#notice")).await.is_err());

    // A wrong password re-renders the form with a message, keeping the
    // name and `next`.
    page.open("/admin").await;
    page.expect_url("/login?next=%2Fadmin").await;
    page.log_in("alice", "not her password").await;
    page.expect_url("/login").await;
    page.expect_text("#message", |text| text == "Wrong user name or password.")
        .await;
    assert_eq!(page.hidden_next().await, "/admin");
    assert_eq!(page.field("username").await, "alice");

    // alice is an admin: she is sent on to /admin and sees it, welcomed
    // once: the message is gone when she reloads the page.
    page.log_in("alice", "wonderland").await;
    page.expect_url("/admin").await;
    page.expect_status(|text| text.contains("Welcome, alice"))
        .await;
    page.expect_text("#notice", |text| text == "Welcome back, alice.")
        .await;
    let welcome = page.find("#notice p").await;
    assert_eq!(
        welcome.attr("class").await.expect("read the class"),
        Some("message success".to_owned()),
        "the message's level is its CSS class"
    );
    page.client.refresh().await.expect("reload the page");
    page.expect_status(|text| text.contains("Welcome, alice"))
        .await;
    assert!(
        page.client.find(Locator::Css("#notice")).await.is_err(),
        "the welcome is shown once"
    );
    assert_eq!(page.fetch_status("/admin").await, 200);

    // The browser holds the session cookie, but scripts cannot see it.
    let cookie = page
        .client
        .get_named_cookie("demo_session")
        .await
        .expect("the browser has the session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    let visible = page.script("return document.cookie").await;
    assert!(
        !visible
            .as_str()
            .unwrap_or_default()
            .contains("demo_session="),
        "document.cookie shows the session cookie: {visible}"
    );

    // The session page shows the cookie the browser holds and what it holds.
    page.click("nav a[href='/session']").await;
    page.expect_url("/session").await;
    page.expect_status(|text| text == "Your browser holds a signed session cookie for this site.")
        .await;
    page.expect_text("#expires", |text| {
        text.contains("(in 14 days): after that the server refuses it")
    })
    .await;
    page.expect_text("#kept", |text| text.starts_with("Until you close it"))
        .await;
    page.expect_text("#keys", |text| {
        text.contains("\"Log out my other browsers\" (which moves the counter), logs out every")
    })
    .await;
    let size = page.find("#cookie-size").await.attr("value").await;
    let size: f64 = size
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(size > 50.0, "the size bar shows {size} bytes");
    page.expect_text("#session-json", |text| text.contains("\"id\": 1"))
        .await;

    // Clearing it is a button (a POST); it logs out too. The page shows
    // the message, and the cookie as it held it: the message alone.
    page.click("#clear").await;
    page.expect_text("#notice", |text| text == "Session cleared.")
        .await;
    page.expect_url("/session").await;
    page.expect_text("#session-json", |text| {
        text.contains("\"_messages\"") && !text.contains("\"id\"")
    })
    .await;
    page.find("#login").await;
    page.open("/session").await;
    page.expect_text("#session-json", |text| text == "{}").await;
    assert!(page.client.find(Locator::Css("#notice")).await.is_err());

    // An unknown path is a page of the site, with a 404.
    page.open("/no/such/page").await;
    page.expect_status(|text| text.contains("/no/such/page"))
        .await;
    assert_eq!(page.fetch_status("/no/such/page").await, 404);

    // Log alice in again.
    page.open("/login").await;
    page.log_in("alice", "wonderland").await;
    page.expect_url("/").await;

    // Home says who is logged in; after logout, /admin asks to log in again.
    page.open("/").await;
    page.expect_status(|text| text == "Logged in as alice.")
        .await;
    page.click("#logout").await;
    page.expect_url("/").await;
    page.expect_status(|text| text == "Not logged in.").await;
    page.open("/admin").await;
    page.expect_url("/login?next=%2Fadmin").await;

    // "Remember me" gives a cookie that outlives the browser; a plain
    // login's ends with it.
    page.open("/login").await;
    page.click("#login-form input[name=remember]").await;
    page.log_in("alice", "wonderland").await;
    page.expect_url("/").await;
    assert!(page.session_cookie_expires().await, "a remembered login");
    other.open("/login").await;
    other.log_in("alice", "wonderland").await;
    other.expect_url("/").await;
    other
        .expect_status(|text| text == "Logged in as alice.")
        .await;
    assert!(!other.session_cookie_expires().await, "a plain login");

    // A password change in the first browser logs the second one out and
    // keeps the first logged in.
    page.click("#password-link").await;
    page.expect_url("/password").await;
    page.fill("#password-form", "current_password", "wonderland")
        .await;
    page.fill("#password-form", "new_password", "looking-glass")
        .await;
    page.click("#password-form button[type=submit]").await;
    page.expect_url("/").await;
    page.expect_text("#notice", |text| text.starts_with("Password changed."))
        .await;
    page.expect_status(|text| text == "Logged in as alice.")
        .await;
    assert!(page.session_cookie_expires().await, "still remembered");
    other.open("/").await;
    other.expect_status(|text| text == "Not logged in.").await;
    page.open("/").await;
    page.expect_status(|text| text == "Logged in as alice.")
        .await;

    // "Log out my other browsers": the second browser logs in again, and
    // the first one's button logs it out on its next page load, while the
    // first stays logged in (and remembered).
    other.open("/login").await;
    other.log_in("alice", "looking-glass").await;
    other.expect_url("/").await;
    other
        .expect_text("#notice", |text| text == "Welcome back, alice.")
        .await;
    page.click("#logout-others").await;
    page.expect_url("/session").await;
    page.expect_text("#notice", |text| {
        text == "Your other browsers are logged out."
    })
    .await;
    page.find("#who").await;
    assert!(page.session_cookie_expires().await, "still remembered");
    other.open("/").await;
    other.expect_status(|text| text == "Not logged in.").await;
    page.open("/").await;
    page.expect_status(|text| text == "Logged in as alice.")
        .await;
    assert!(page.client.find(Locator::Css("#notice")).await.is_err());
}

/// What the demo's pages add to the shared [`Page`] helpers: the login and
/// password forms, and the session cookie.
impl Page {
    /// The value of the login form's field `name`.
    async fn field(&self, name: &str) -> String {
        let field = self.find(&format!("#login-form input[name={name}]")).await;
        let value = field.prop("value").await.expect("read a field");
        value.unwrap_or_default()
    }

    /// Types `value` into the field `name` of the form `form`.
    async fn fill(&self, form: &str, name: &str, value: &str) {
        let input = self.find(&format!("{form} input[name={name}]")).await;
        input.clear().await.expect("clear a field");
        input.send_keys(value).await.expect("type into a field");
    }

    /// Whether the browser's session cookie has an expiry date (a
    /// `Max-Age`), rather than ending with the browser session.
    async fn session_cookie_expires(&self) -> bool {
        let cookie = self
            .client
            .get_named_cookie("demo_session")
            .await
            .expect("the browser has the session cookie");
        cookie.expires().is_some()
    }

    /// The login form's hidden `next` field.
    async fn hidden_next(&self) -> String {
        let field = self.find("#login-form input[name=next]").await;
        let value = field.prop("value").await.expect("read next");
        value.unwrap_or_default()
    }
}
