//! A real browser on the demo: headless Chromium driven over
//! WebDriver (chromedriver), clicking through login, the admin guard and
//! logout as a person would, with real cookies; then "Remember me" and a
//! password change seen from two browsers.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). It is ignored by a plain `cargo test`, and fails when run without them.

mod demo_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use demo_support::{free_port, Demo, Process, TempDir};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};

/// How long a page may take to appear after a click.
const PAGE_LOAD: Duration = Duration::from_secs(20);

/// Where Chromium and chromedriver are, if installed.
struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Browser {
    /// Looks in `/usr/bin`, then on `PATH`.
    fn find() -> Option<Self> {
        Some(Self {
            chromium: find_program(&["chromium", "chromium-browser"])?,
            chromedriver: find_program(&["chromedriver"])?,
        })
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(PathBuf::from("/usr/bin")).chain(std::env::split_paths(&path));
    dirs.flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Starts chromedriver on a free port; it is stopped when the returned
/// process is dropped.
fn start_chromedriver(browser: &Browser, dir: &Path) -> (Process, String) {
    let port = free_port();
    let mut command = Command::new(&browser.chromedriver);
    command.arg(format!("--port={port}"));
    let mut process = Process::spawn("chromedriver", command, dir);
    process.wait_until_listening(([127, 0, 0, 1], port).into());
    (process, format!("http://127.0.0.1:{port}"))
}

/// A WebDriver session with headless Chromium (no sandbox: CI runs as root).
async fn open_browser(browser: &Browser, webdriver: &str) -> Client {
    let options = json!({
        "binary": browser.chromium,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    let mut capabilities = Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("start a Chromium session")
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (Debian packages `chromium` and `chromium-driver`): \
            run with `cargo test --all-features -- --include-ignored`; .ci/run does"]
async fn a_browser_logs_in_meets_the_admin_guard_and_logs_out() {
    let browser = Browser::find().expect(
        "the browser test needs chromium and chromedriver (Debian packages `chromium` and \
         `chromium-driver`; .ci/run installs them)",
    );
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
    let (_chromedriver, webdriver) = start_chromedriver(&browser, dir.path());
    let client = open_browser(&browser, &webdriver).await;
    // A second browser, with cookies of its own, for the password change.
    let other = open_browser(&browser, &webdriver).await;

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
    // the guard answers 403.
    page.log_in("bob", "builder").await;
    page.expect_url("/admin").await;
    page.expect_status(|text| text == "This page is for admins only, and bob is not one.")
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

    // alice is an admin: she is sent on to /admin and sees it.
    page.log_in("alice", "wonderland").await;
    page.expect_url("/admin").await;
    page.expect_status(|text| text.contains("Welcome, alice"))
        .await;
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
    page.expect_status(|text| text == "Your browser holds a jwt session cookie.")
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

    // Clearing it is a button (a POST); it logs out too.
    page.click("#clear").await;
    page.expect_text("#notice", |text| text == "Session cleared.")
        .await;
    page.expect_url("/session").await;
    page.expect_text("#session-json", |text| text == "{}").await;
    page.find("#login").await;

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
}

/// The browser on the demo site at `base`.
struct Page {
    client: Client,
    base: String,
}

impl Page {
    async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client.goto(&url).await.expect("navigate");
    }

    /// Waits until the browser is at `path` (with query) on the demo site.
    async fn expect_url(&self, path: &str) {
        let url = format!("{}{path}", self.base).parse().expect("a URL");
        let reached = self.client.wait().at_most(PAGE_LOAD).for_url(&url).await;
        if reached.is_err() {
            let now = self.client.current_url().await.map(String::from);
            panic!("expected to be at {path}, but the browser is at {now:?}");
        }
    }

    /// Types a name and password into the login form and submits it.
    async fn log_in(&self, username: &str, password: &str) {
        let form = self.find("#login-form").await;
        for (field, value) in [("username", username), ("password", password)] {
            let input = form
                .find(Locator::Css(&format!("input[name={field}]")))
                .await
                .expect("a login form field");
            input.clear().await.expect("clear a field");
            input.send_keys(value).await.expect("type into a field");
        }
        let button = form
            .find(Locator::Css("button[type=submit]"))
            .await
            .expect("the login button");
        button.click().await.expect("submit the login form");
    }

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

    /// Waits until the page's main message (`#status`) satisfies `wanted`.
    async fn expect_status(&self, wanted: impl Fn(&str) -> bool) {
        self.expect_text("#status", wanted).await;
    }

    /// Waits until the text of `css` satisfies `wanted`.
    ///
    /// A click that ends on the same URL (logging out from `/` lands on
    /// `/`) gives no URL to wait for, and the old page's element goes stale
    /// while the new page loads; so poll until the new page says it.
    async fn expect_text(&self, css: &str, wanted: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PAGE_LOAD;
        let mut seen = None;
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                match element.text().await {
                    Ok(text) if wanted(&text) => return,
                    Ok(text) => seen = Some(text),
                    Err(_stale) => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} never showed the expected text; last seen: {seen:?}");
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PAGE_LOAD)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no {css} on the page: {err}"))
    }

    /// The HTTP status the browser gets for `path`, with its cookies and
    /// without following redirects (WebDriver does not show statuses).
    async fn fetch_status(&self, path: &str) -> u64 {
        let script = "const done = arguments[arguments.length - 1];
            fetch(arguments[0], { redirect: 'manual' }).then(r => done(r.status));";
        let status = self
            .client
            .execute_async(script, vec![json!(path)])
            .await
            .expect("fetch from the page");
        status.as_u64().expect("a numeric status")
    }

    async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("run a script")
    }
}
