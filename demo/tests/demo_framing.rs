//! No other page may frame the demo: every answer, pages, redirects, the
//! `404`, JSON and the refusals alike, carries `Content-Security-Policy:
//! frame-ancestors 'none'` and `X-Frame-Options: DENY`. Without them a
//! sibling page framed `/logout` and one click logged the visitor out.

mod demo_support;

use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send_with, Demo, Reply, TempDir};

fn assert_not_framable(reply: &Reply, what: &str) {
    let policies: Vec<_> = reply
        .headers
        .get_all(CONTENT_SECURITY_POLICY)
        .iter()
        .collect();
    assert_eq!(policies, ["frame-ancestors 'none'"], "{what}");
    let frame_options: Vec<_> = reply.headers.get_all(X_FRAME_OPTIONS).iter().collect();
    assert_eq!(frame_options, ["DENY"], "{what}");
}

#[tokio::test]
async fn every_answer_forbids_framing() {
    let dir = TempDir::new("framing");
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-framing-test-only"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("framing", free_port(), dir.path(), &vars);
    let gets = [
        ("/", StatusCode::OK),
        ("/login", StatusCode::OK),
        ("/logout", StatusCode::OK),
        ("/nowhere", StatusCode::NOT_FOUND),
        ("/admin", StatusCode::TEMPORARY_REDIRECT),
        ("/api/me", StatusCode::UNAUTHORIZED),
    ];
    for (path, status) in gets {
        let reply = get(&demo.url(path), None).await;
        assert_eq!(reply.status, status, "GET {path}: {}", reply.body);
        assert_not_framable(&reply, &format!("GET {path}"));
    }

    let cross_site = [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    let posts = [
        (
            "/login",
            "username=alice&password=nope",
            &[][..],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/login",
            "username=alice&password=wonderland",
            &[],
            StatusCode::SEE_OTHER,
        ),
        ("/logout", "", &cross_site, StatusCode::FORBIDDEN),
    ];
    for (path, form, headers, status) in posts {
        let reply = send_with(Method::POST, &demo.url(path), None, Some(form), headers).await;
        assert_eq!(reply.status, status, "POST {path}: {}", reply.body);
        assert_not_framable(&reply, &format!("POST {path}"));
    }
}
