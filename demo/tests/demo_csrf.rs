//! Cross-site request forgery against the demo as a real server process, in
//! the manner of OWASP's CSRF cheat sheet: a forged form post from another
//! site (login CSRF included), from a sibling subdomain, from an opaque
//! origin, and a state-changing `GET` through a link or an image. Each is
//! refused with the site's own page and changes nothing; the site's own
//! forms and curl still work.

mod demo_support;

use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send_with, Demo, Reply, TempDir};

/// The headers a current browser sends on a form post from `origin`, with
/// `site` as its `Sec-Fetch-Site`.
fn browser_post(origin: &str, site: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("origin", origin.to_owned()),
        ("sec-fetch-site", site.to_owned()),
        ("sec-fetch-mode", "navigate".to_owned()),
    ]
}

async fn post(
    demo: &Demo,
    path: &str,
    cookie: Option<&str>,
    form: &str,
    headers: &[(&'static str, String)],
) -> Reply {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    send_with(Method::POST, &demo.url(path), cookie, Some(form), &headers).await
}

/// Who the home page says is logged in with `cookie`.
async fn who(demo: &Demo, cookie: &str) -> String {
    let body = get(&demo.url("/"), Some(cookie)).await.body;
    if body.contains("Logged in as alice") {
        "alice".into()
    } else if body.contains("Not logged in") {
        "nobody".into()
    } else {
        panic!("the home page names nobody known: {body}")
    }
}

/// A `403` that sets no cookie, answered with the site's own page
/// (`demo/src/refusals.rs`) rather than the layer's plain text.
fn assert_refused(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert!(
        reply.headers.get(SET_COOKIE).is_none(),
        "{what} set a cookie: {:?}",
        reply.headers.get_all(SET_COOKIE)
    );
    assert_eq!(
        reply
            .headers
            .get(CONTENT_TYPE)
            .map(|value| value.as_bytes()),
        Some(&b"text/html; charset=utf-8"[..]),
        "{what}"
    );
    let page = &reply.body;
    assert!(page.starts_with("<!DOCTYPE html>"), "{what}: {page}");
    assert!(page.contains("<title>Refused · "), "{what}: {page}");
    assert!(
        page.contains(
            "This form was sent from another site, so it was refused. \
             Go back to <a href=\"/\">the home page</a> and try again."
        ),
        "{what}: {page}"
    );
    assert!(!page.contains("Forbidden: cross-site"), "{what}: {page}");
}

const ALICE: &str = "username=alice&password=wonderland";

#[tokio::test]
async fn cross_site_posts_are_refused_and_the_sites_own_forms_and_curl_work() {
    let dir = TempDir::new("csrf");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-csrf-test-only-!"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("csrf", free_port(), dir.path(), &vars);
    let own = format!("http://127.0.0.1:{}", demo.port());
    let forged = [
        (
            "another site",
            browser_post("https://evil.example", "cross-site"),
        ),
        (
            "a sibling subdomain",
            browser_post("http://evil.127.0.0.1.example", "same-site"),
        ),
        // Fetch Metadata missing (an older browser): Origin alone decides.
        (
            "another site's Origin",
            vec![("origin", "https://evil.example".to_owned())],
        ),
        (
            "another port",
            vec![("origin", format!("http://127.0.0.1:{}", demo.port() ^ 1))],
        ),
        ("an opaque origin", vec![("origin", "null".to_owned())]),
        (
            "Fetch Metadata alone",
            vec![("sec-fetch-site", "cross-site".to_owned())],
        ),
    ];

    // Login CSRF: a forged login sets no cookie.
    for (from, headers) in &forged {
        let reply = post(&demo, "/login", None, ALICE, headers).await;
        assert_refused(&reply, &format!("POST /login from {from}"));
    }

    // The site's own form logs in, with or without Fetch Metadata.
    let same_origin = browser_post(&own, "same-origin");
    let reply = post(&demo, "/login", None, ALICE, &same_origin).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let origin_only = [("origin", own.clone())];
    let reply = post(&demo, "/login", None, ALICE, &origin_only).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    // curl sends neither header: it carries no visitor's cookies by accident.
    let reply = post(&demo, "/login", None, ALICE, &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let welcomed = reply.session_cookie().expect("curl's login sets a cookie");
    // The first page shows the welcome and takes it out of the cookie: the
    // cookie a browser goes on with, which a page without messages leaves
    // as it is.
    let home = get(&demo.url("/"), Some(&welcomed)).await;
    assert!(home.body.contains("Welcome back, alice."), "{}", home.body);
    let alice = home.session_cookie().expect("the welcome is taken");
    assert_eq!(who(&demo, &alice).await, "alice");

    // Forged logout, clear and password change: refused, and alice's
    // password and login are as they were.
    let change = "current_password=wonderland&new_password=chosen-by-the-attacker";
    for (from, headers) in &forged {
        for (path, form) in [("/logout", ""), ("/clear", ""), ("/password", change)] {
            let reply = post(&demo, path, Some(&alice), form, headers).await;
            assert_refused(&reply, &format!("POST {path} from {from}"));
        }
    }
    assert_eq!(who(&demo, &alice).await, "alice");
    let reply = post(&demo, "/login", None, ALICE, &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "the password changed");

    // A link or an image changes nothing: GET /logout is a page with a
    // button, GET /clear is not a route that clears.
    let reply = get(&demo.url("/logout"), Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers.get(SET_COOKIE).is_none(),
        "GET /logout set a cookie"
    );
    assert!(
        reply.body.contains(r#"method="post" action="/logout""#),
        "{}",
        reply.body
    );
    let reply = get(&demo.url("/clear"), Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        reply.headers.get(SET_COOKIE).is_none(),
        "GET /clear set a cookie"
    );
    assert_eq!(who(&demo, &alice).await, "alice");

    // The site's own logout button, and curl's, log out.
    let reply = post(&demo, "/logout", Some(&alice), "", &same_origin).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let after = reply.session_cookie().expect("logout writes the cookie");
    assert_eq!(who(&demo, &after).await, "nobody");
    let reply = post(&demo, "/logout", Some(&alice), "", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let after = reply.session_cookie().expect("logout writes the cookie");
    assert_eq!(who(&demo, &after).await, "nobody");
}
