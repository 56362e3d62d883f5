//! A real browser for the demo's browser tests: headless Chromium driven
//! over WebDriver (chromedriver), and the page helpers every such test
//! uses (navigate, wait for a URL or a text, click, run a script).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};

use super::{free_port, Process};

/// How long a page may take to appear after a click.
pub const PAGE_LOAD: Duration = Duration::from_secs(20);

/// Where Chromium and chromedriver are, if installed.
pub struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Browser {
    /// Looks in `/usr/bin`, then on `PATH`.
    pub fn find() -> Option<Self> {
        Some(Self {
            chromium: find_program(&["chromium", "chromium-browser"])?,
            chromedriver: find_program(&["chromedriver"])?,
        })
    }

    /// [`Browser::find`], or a panic saying what to install.
    pub fn require() -> Self {
        Self::find().expect(
            "the browser tests need chromium and chromedriver (Debian packages `chromium` \
             and `chromium-driver`; .ci/run installs them)",
        )
    }

    /// Starts chromedriver on a free port, logging to `dir`; it is stopped
    /// when the returned process is dropped. Returns it and its URL.
    pub fn start_chromedriver(&self, dir: &Path) -> (Process, String) {
        let port = free_port();
        let mut command = Command::new(&self.chromedriver);
        command.arg(format!("--port={port}"));
        let mut process = Process::spawn("chromedriver", command, dir);
        process.wait_until_listening(([127, 0, 0, 1], port).into());
        (process, format!("http://127.0.0.1:{port}"))
    }

    /// A new WebDriver session with headless Chromium (no sandbox: CI runs
    /// as root), with a fresh profile: no cookies.
    pub async fn open(&self, webdriver: &str) -> Client {
        let options = json!({
            "binary": self.chromium,
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
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(PathBuf::from("/usr/bin")).chain(std::env::split_paths(&path));
    dirs.flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The browser on the site at `base` (`http://host:port`, no final `/`).
pub struct Page {
    pub client: Client,
    pub base: String,
}

impl Page {
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client.goto(&url).await.expect("navigate");
    }

    /// Waits until the browser is at `path` (with query) on the site.
    pub async fn expect_url(&self, path: &str) {
        let url = format!("{}{path}", self.base).parse().expect("a URL");
        let reached = self.client.wait().at_most(PAGE_LOAD).for_url(&url).await;
        if reached.is_err() {
            let now = self.client.current_url().await.map(String::from);
            panic!("expected to be at {path}, but the browser is at {now:?}");
        }
    }

    /// Types a name and password into the login form and submits it.
    pub async fn log_in(&self, username: &str, password: &str) {
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

    /// Waits until the page's main message (`#status`) satisfies `wanted`.
    pub async fn expect_status(&self, wanted: impl Fn(&str) -> bool) {
        self.expect_text("#status", wanted).await;
    }

    /// Waits until the text of `css` satisfies `wanted`.
    ///
    /// A click that ends on the same URL (logging out from `/` lands on
    /// `/`) gives no URL to wait for, and the old page's element goes stale
    /// while the new page loads; so poll until the new page says it.
    pub async fn expect_text(&self, css: &str, wanted: impl Fn(&str) -> bool) {
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

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PAGE_LOAD)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no {css} on the page: {err}"))
    }

    /// The HTTP status the browser gets for `path`, with its cookies and
    /// without following redirects (WebDriver does not show statuses).
    pub async fn fetch_status(&self, path: &str) -> u64 {
        let script = "const done = arguments[arguments.length - 1];
            fetch(arguments[0], { redirect: 'manual' }).then(r => done(r.status));";
        let status = self
            .client
            .execute_async(script, vec![json!(path)])
            .await
            .expect("fetch from the page");
        status.as_u64().expect("a numeric status")
    }

    pub async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("run a script")
    }
}
