//! Cookie tossing in a real browser: a sibling host plants a session cookie
//! for the parent domain, holding the attacker's own login, and a visitor
//! without a session of their own comes to the site.
//!
//! The demo is `app.site.localhost` and the attacker's page
//! `evil.site.localhost`; Chromium resolves every `*.localhost` name to
//! loopback and treats `http://*.localhost` as a secure context, so `Secure`
//! and `__Host-` cookies work there over plain HTTP, as they would over
//! HTTPS. (The parent has three labels: a lone unknown top-level label is a
//! public suffix, which no cookie may name as its domain.)
//!
//! The attacker logs into the demo as bob and takes his cookie's value; his
//! page sets it as `demo_session` and as `__Host-demo_session` with
//! `Domain=site.localhost`, by `Set-Cookie` and by `document.cookie`, with
//! and without `Secure`. A fresh browser visits that page, then the demo:
//!
//! - as deployed (`SESSION_SECURE=true`, no cookie name set) the cookie is
//!   `__Host-demo_session` (the crate prefixes its default name, and the
//!   demo its own, wherever the prefix fits), which the browser refuses from
//!   another host: the visitor is not logged in, though the planted
//!   `demo_session` reaches the demo;
//! - with a name without the prefix (`SESSION_COOKIE_NAME=demo_session`,
//!   as every default name was before) the same plant logs the visitor in
//!   as bob, which shows the test can fail.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). It is ignored by a plain `cargo test`, and fails when run without them.

mod demo_support;

use std::net::Ipv4Addr;

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Html;
use axum::routing::get as route_get;
use axum::Router;
use cookie::Cookie;
use demo_support::browser::{Browser, Page};
use demo_support::{free_port, get, send, send_with, Demo, TempDir};
use fantoccini::Client;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// The demo's secret: 32 bytes or more, as the crate demands.
const SECRET: &str = "a-secret-for-the-tossing-test-only!";

/// The domain the demo and the attacker's page share.
const PARENT: &str = "site.localhost";
/// The demo's host name.
const APP: &str = "app.site.localhost";
/// The attacker's host name.
const EVIL: &str = "evil.site.localhost";

/// The cookie name the crate picks for a secure, host-only cookie on `/`.
const HOST_NAME: &str = "__Host-demo_session";
/// The old default name, and the one left when `__Host-` does not fit.
const PLAIN_NAME: &str = "demo_session";

/// The attacker's credentials: a real account on the site.
const BOB: &str = "username=bob&password=builder";

/// How the attacker's page sets its cookies.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Plant {
    /// `Set-Cookie` headers on the page.
    Header,
    /// `document.cookie` in a script on the page.
    Script,
}

/// One way of planting: how, and with `Secure` or not.
#[derive(Clone, Copy, Debug, Deserialize)]
struct Variant {
    how: Plant,
    secure: bool,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        how: Plant::Header,
        secure: true,
    },
    Variant {
        how: Plant::Header,
        secure: false,
    },
    Variant {
        how: Plant::Script,
        secure: true,
    },
    Variant {
        how: Plant::Script,
        secure: false,
    },
];

/// The cookies the attacker's page sets, holding `value`: `session` and
/// `__Host-session` for the parent domain and, when `Secure`, a
/// well-formed `__Host-session` of the attacker's host itself (which the
/// browser keeps, for that host only).
fn planted(value: &str, secure: bool) -> Vec<String> {
    let flag = if secure { "; Secure" } else { "" };
    let mut cookies = vec![
        format!("{PLAIN_NAME}={value}; Domain={PARENT}; Path=/{flag}"),
        format!("{HOST_NAME}={value}; Domain={PARENT}; Path=/{flag}"),
    ];
    if secure {
        cookies.push(format!("{HOST_NAME}={value}; Path=/; Secure"));
    }
    cookies
}

/// The attacker's site: a tiny server whose page at `/?how=…&secure=…`
/// plants `value`, then shows what `document.cookie` holds in `#seen`.
struct EvilSite {
    port: u16,
    task: JoinHandle<()>,
}

impl EvilSite {
    async fn start(value: String) -> Self {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the attacker's site");
        let port = listener.local_addr().expect("local address").port();
        let app = Router::new()
            .route("/", route_get(evil_page))
            .with_state(value);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("serve the attacker's site");
        });
        Self { port, task }
    }

    fn url(&self, variant: Variant) -> String {
        let how = match variant.how {
            Plant::Header => "header",
            Plant::Script => "script",
        };
        format!(
            "http://{EVIL}:{}/?how={how}&secure={}",
            self.port, variant.secure
        )
    }
}

impl Drop for EvilSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn evil_page(
    State(value): State<String>,
    Query(variant): Query<Variant>,
) -> (HeaderMap, Html<String>) {
    let cookies = planted(&value, variant.secure);
    let mut headers = HeaderMap::new();
    let mut script = String::new();
    match variant.how {
        Plant::Header => {
            for cookie in &cookies {
                let header = HeaderValue::from_str(cookie).expect("a header value");
                headers.append(SET_COOKIE, header);
            }
        }
        Plant::Script => {
            let list = serde_json::to_string(&cookies).expect("JSON");
            script = format!("for (const c of {list}) document.cookie = c;");
        }
    }
    let page = format!(
        "<!doctype html><title>Free prizes</title><p id=seen></p>\
         <script>{script} document.getElementById('seen').textContent = \
         'cookies: ' + document.cookie;</script>"
    );
    (headers, Html(page))
}

/// What the victim's browser saw.
struct Seen {
    /// `document.cookie` on the attacker's page, after planting.
    evil_script_cookies: String,
    /// The cookies the browser holds for the attacker's page.
    evil_cookies: Vec<Cookie<'static>>,
    /// The demo home page's `#status`.
    status: String,
    /// `/api/me` fetched from the demo's page: status and body.
    me: (u64, Value),
    /// The cookies the browser holds for the demo.
    app_cookies: Vec<Cookie<'static>>,
    /// After logging in as alice through the demo's form, if asked to: the
    /// home page's `#status` and the cookies held for the demo.
    own_login: Option<(String, Vec<Cookie<'static>>)>,
}

impl Seen {
    /// A summary for failure messages, the attacker's value shown as `BOB`.
    fn describe(&self, attacker: &str) -> String {
        let cookies = |cookies: &[Cookie<'_>]| -> Vec<String> {
            cookies
                .iter()
                .map(|c| {
                    let value = if c.value() == attacker {
                        "BOB"
                    } else {
                        "other"
                    };
                    let domain = c.domain().unwrap_or("?");
                    let secure = if c.secure() == Some(true) {
                        "; Secure"
                    } else {
                        ""
                    };
                    format!("{}={value}; Domain={domain}{secure}", c.name())
                })
                .collect()
        };
        let own_login = self
            .own_login
            .as_ref()
            .map(|(status, held)| (status, cookies(held)));
        format!(
            "document.cookie on the attacker's page: {:?}\n\
             cookies for the attacker's page: {:?}\n\
             the demo's #status: {:?}\n\
             /api/me: {:?}\n\
             cookies for the demo: {:?}\n\
             after the visitor's own login: {own_login:?}",
            self.evil_script_cookies.replace(attacker, "BOB"),
            cookies(&self.evil_cookies),
            self.status,
            self.me,
            cookies(&self.app_cookies),
        )
    }
}

/// A fresh browser (no cookies) visits the attacker's page, then the demo
/// at `app` (`http://app.site.localhost:<port>`); then, if `own_login`,
/// logs in as alice through the demo's form.
async fn victim(
    browser: &Browser,
    webdriver: &str,
    evil_url: String,
    app: String,
    own_login: bool,
) -> Seen {
    let client = browser.open(webdriver).await;
    let outcome = tokio::spawn(visit(client.clone(), evil_url, app, own_login)).await;
    let _ = client.close().await;
    match outcome {
        Ok(seen) => seen,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

async fn visit(client: Client, evil_url: String, app: String, own_login: bool) -> Seen {
    client
        .goto(&evil_url)
        .await
        .expect("open the attacker's page");
    let evil = Page {
        client: client.clone(),
        base: String::new(),
    };
    evil.expect_text("#seen", |text| text.starts_with("cookies:"))
        .await;
    let evil_script_cookies = evil.find("#seen").await.text().await.expect("#seen");
    let evil_cookies = client.get_all_cookies().await.expect("the cookies");

    let page = Page {
        client: client.clone(),
        base: app,
    };
    page.open("/").await;
    let status = page.status().await;
    let script = "const done = arguments[arguments.length - 1];
        fetch('/api/me').then(async r => done([r.status, await r.json()]));";
    let me = client
        .execute_async(script, vec![])
        .await
        .expect("fetch /api/me from the page");
    let me = (me[0].as_u64().expect("a status"), me[1].clone());
    let app_cookies = client.get_all_cookies().await.expect("the cookies");

    let own_login = if own_login {
        page.open("/login").await;
        page.log_in("alice", "wonderland").await;
        page.expect_url("/").await;
        let status = page.status().await;
        let held = client.get_all_cookies().await.expect("the cookies");
        Some((status, held))
    } else {
        None
    };
    Seen {
        evil_script_cookies,
        evil_cookies,
        status,
        me,
        app_cookies,
        own_login,
    }
}

impl Page {
    /// The demo page's `#status` text.
    async fn status(&self) -> String {
        let status = self.find("#status").await;
        status.text().await.expect("the status text")
    }
}

/// The cookies named `name` in `cookies`.
fn named<'a>(cookies: &'a [Cookie<'static>], name: &str) -> Vec<&'a Cookie<'static>> {
    cookies.iter().filter(|c| c.name() == name).collect()
}

/// Whether `cookie` is one the attacker planted for the parent domain.
fn is_planted(cookie: &Cookie<'_>, value: &str) -> bool {
    cookie.value() == value && cookie.domain().map(|d| d.trim_start_matches('.')) == Some(PARENT)
}

/// Prints the demo's output if the test fails while it runs.
struct ShowOnFailure<'a>(&'a Demo);

impl Drop for ShowOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("demo output:\n{}", self.0.output());
        }
    }
}

/// The attacker logs into `demo` as bob with a plain HTTP client and takes
/// the cookie named `name` it sets, once the first page has taken the
/// login's welcome message out of it (a page without messages leaves it
/// as it is, so the planted cookie is the only one of its name); checks its
/// attributes.
async fn attacker_login(demo: &Demo, name: &str, other: &str) -> String {
    let reply = send(Method::POST, &demo.url("/login"), None, Some(BOB)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let welcomed = reply
        .set_cookie(name)
        .unwrap_or_else(|| panic!("the login sets {name}: {:?}", reply.headers));
    let header = format!("{name}={}", welcomed.value());
    let cookie_header = [("cookie", header.as_str())];
    let reply = send_with(Method::GET, &demo.url("/"), None, None, &cookie_header).await;
    assert!(reply.body.contains("Welcome back, bob."), "{}", reply.body);
    let cookie = reply
        .set_cookie(name)
        .unwrap_or_else(|| panic!("the welcome is taken from {name}: {:?}", reply.headers));
    assert!(
        reply.set_cookie(other).is_none(),
        "the login sets {other} too"
    );
    assert_eq!(cookie.secure(), Some(true), "{cookie}");
    assert_eq!(cookie.path(), Some("/"), "{cookie}");
    assert_eq!(cookie.domain(), None, "{cookie}");
    assert_eq!(cookie.http_only(), Some(true), "{cookie}");

    // The value is a good login for bob, under its own name only.
    let me = |cookie_name: &str| {
        let header = format!("{cookie_name}={}", cookie.value());
        async move {
            let reply = send_with(
                Method::GET,
                &demo.url("/api/me"),
                None,
                None,
                &[("cookie", header.as_str())],
            )
            .await;
            reply.status
        }
    };
    assert_eq!(me(name).await, StatusCode::OK);
    assert_eq!(me(other).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&demo.url("/api/me"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    cookie.value().to_owned()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (Debian packages `chromium` and `chromium-driver`): \
            run with `cargo test --all-features -- --include-ignored`; .ci/run does"]
async fn a_cookie_tossed_from_a_sibling_host_does_not_log_the_visitor_in() {
    let browser = Browser::require();
    let dir = TempDir::new("tossing");
    let deployed_db = dir.path().join("deployed.db");
    let old_name_db = dir.path().join("old-name.db");
    let deployed_vars = [
        ("SESSION_SECRET_KEY", SECRET),
        ("SESSION_SECURE", "true"),
        ("DATABASE_URL", deployed_db.to_str().expect("a UTF-8 path")),
    ];
    let old_name_vars = [
        ("SESSION_SECRET_KEY", SECRET),
        ("SESSION_SECURE", "true"),
        ("SESSION_COOKIE_NAME", PLAIN_NAME),
        ("DATABASE_URL", old_name_db.to_str().expect("a UTF-8 path")),
    ];
    let deployed = Demo::start("deployed", free_port(), dir.path(), &deployed_vars);
    let _show_deployed = ShowOnFailure(&deployed);
    let old_name = Demo::start("old-name", free_port(), dir.path(), &old_name_vars);
    let _show_old_name = ShowOnFailure(&old_name);
    let (_chromedriver, webdriver) = browser.start_chromedriver(dir.path());

    // As deployed, the demo's cookie is `__Host-session`: Secure, on `/`,
    // without a Domain.
    let value = attacker_login(&deployed, HOST_NAME, PLAIN_NAME).await;
    let evil = EvilSite::start(value.clone()).await;
    let app = format!("http://{APP}:{}", deployed.port());
    for variant in VARIANTS {
        let seen = victim(&browser, &webdriver, evil.url(variant), app.clone(), true).await;
        let context = format!(
            "as deployed, planted by {variant:?}:\n{}",
            seen.describe(&value)
        );

        // The plant landed: the browser holds the parent-domain `session`
        // and sends it to the demo too; no `__Host-` cookie came with a
        // Domain.
        assert_planted_session(&seen, variant, &value, &context);
        assert!(
            named(&seen.evil_cookies, HOST_NAME)
                .iter()
                .all(|c| c.domain().is_none_or(|d| d.trim_start_matches('.') == EVIL)),
            "a __Host- cookie for another host: {context}"
        );
        // When `Secure`, the attacker's host keeps a `__Host-session` of
        // its own: the browser takes Secure and `__Host-` cookies over
        // HTTP on `*.localhost`, as over HTTPS.
        if variant.secure {
            assert_eq!(
                named(&seen.evil_cookies, HOST_NAME).len(),
                1,
                "the attacker's host-only __Host-session: {context}"
            );
        }

        // The visitor is not logged in, and holds no `__Host-session` for
        // the demo.
        assert_eq!(seen.status, "Not logged in.", "{context}");
        assert_eq!(
            seen.me,
            (401, json!({"error": "login required"})),
            "{context}"
        );
        assert!(
            named(&seen.app_cookies, HOST_NAME).is_empty(),
            "a __Host-session for the demo: {context}"
        );

        // The demo's own `__Host-session` works in this browser: the
        // visitor logs in as alice, beside the planted `session`.
        let (status, held) = seen.own_login.as_ref().expect("the visitor's own login");
        assert_eq!(status, "Logged in as alice.", "{context}");
        let own = named(held, HOST_NAME);
        assert!(
            own.len() == 1
                && own[0].value() != value
                && own[0].domain() == Some(APP)
                && own[0].secure() == Some(true)
                && own[0].http_only() == Some(true),
            "the demo's own __Host-session: {context}"
        );
    }

    // The control: the same demo with the old default name. The same
    // plant logs the visitor in as bob.
    let value = attacker_login(&old_name, PLAIN_NAME, HOST_NAME).await;
    let evil = EvilSite::start(value.clone()).await;
    let app = format!("http://{APP}:{}", old_name.port());
    for variant in VARIANTS {
        let seen = victim(&browser, &webdriver, evil.url(variant), app.clone(), false).await;
        let context = format!(
            "with the old name, planted by {variant:?}:\n{}",
            seen.describe(&value)
        );
        assert_planted_session(&seen, variant, &value, &context);
        assert_eq!(seen.status, "Logged in as bob.", "{context}");
        assert_eq!(
            seen.me,
            (200, json!({"id": 2, "username": "bob", "is_admin": false})),
            "{context}"
        );
    }
}

/// The browser holds the attacker's `session` for the parent domain, as
/// `Secure` as planted, seen from both hosts, and scripts on the attacker's
/// page see it.
fn assert_planted_session(seen: &Seen, variant: Variant, value: &str, context: &str) {
    for cookies in [&seen.evil_cookies, &seen.app_cookies] {
        let session = named(cookies, PLAIN_NAME);
        assert!(
            session.len() == 1
                && is_planted(session[0], value)
                && session[0].secure() == Some(variant.secure),
            "the planted session: {context}"
        );
    }
    assert!(
        seen.evil_script_cookies
            .contains(&format!("{PLAIN_NAME}={value}")),
        "document.cookie on the attacker's page: {context}"
    );
}
