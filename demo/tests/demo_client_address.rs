//! Who the client is, against the demo as a real server process: the
//! access log and the login throttle name the connection's peer, and ignore
//! `X-Forwarded-For` and `Forwarded` unless the session config trusts proxy
//! headers (`SESSION_TRUST_PROXY_HEADERS=true`); then both name the address
//! the proxy added, the header's last entry, whatever a client put before it.

#![cfg(target_os = "linux")] // 127.0.0.0/8 is this machine: one address per client

mod demo_support;

use std::net::{IpAddr, Ipv4Addr};

use axum::http::{Method, StatusCode};
use demo_support::{free_port, send_from, Demo, Reply, TempDir};

/// The throttle's limit of failures per client in a minute (demo/src/throttle.rs).
const CLIENT_LIMIT: usize = 20;

/// Starts a demo with a database of its own, trusting proxy headers or not.
fn start(name: &str, dir: &TempDir, trust_proxy_headers: bool) -> Demo {
    let database = dir.path().join("users.db");
    let vars = [
        (
            "SESSION_SECRET_KEY",
            "a-secret-for-the-client-address-tests",
        ),
        (
            "SESSION_TRUST_PROXY_HEADERS",
            if trust_proxy_headers { "true" } else { "false" },
        ),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    Demo::start(name, free_port(), dir.path(), &vars)
}

/// 127.0.0.`n`, another client to the server.
fn local(n: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
}

/// `GET /` from 127.0.0.`peer` with these headers.
async fn visit(demo: &Demo, peer: u8, headers: &[(&str, &str)]) -> Reply {
    send_from(
        local(peer),
        Method::GET,
        &demo.url("/"),
        None,
        None,
        headers,
    )
    .await
}

/// `POST /login` from 127.0.0.`peer` with these headers.
async fn log_in(
    demo: &Demo,
    peer: u8,
    headers: &[(&str, &str)],
    username: &str,
    password: &str,
) -> Reply {
    let form = format!("username={username}&password={password}");
    let url = demo.url("/login");
    send_from(local(peer), Method::POST, &url, None, Some(&form), headers).await
}

/// Whether the demo logged `line` (a part of one) so far.
fn logged(demo: &Demo, line: &str) -> bool {
    demo.output().contains(line)
}

#[tokio::test]
async fn untrusted_forwarded_headers_are_ignored_by_the_log_and_the_throttle() {
    let dir = TempDir::new("client-untrusted");
    let demo = start("client-untrusted", &dir, false);

    // The log names the peer, whatever the client says it is.
    let claims = [
        ("x-forwarded-for", "203.0.113.7"),
        ("forwarded", "for=198.51.100.2"),
    ];
    assert_eq!(visit(&demo, 2, &claims).await.status, StatusCode::OK);
    assert!(
        logged(
            &demo,
            r#"request client=127.0.0.2 method=GET path="/" status=200"#
        ),
        "{}",
        demo.output()
    );
    let reply = log_in(&demo, 2, &claims, "alice", "wrong-password").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        logged(&demo, r#"login failed user="alice" client=127.0.0.2"#),
        "{}",
        demo.output()
    );
    assert!(
        logged(
            &demo,
            r#"request client=127.0.0.2 method=POST path="/login" status=401"#
        ),
        "{}",
        demo.output()
    );
    let output = demo.output();
    assert!(!output.contains("203.0.113.7"), "{output}");
    assert!(!output.contains("198.51.100.2"), "{output}");

    // A client cannot escape the throttle by naming itself anew each time.
    for n in 0..CLIENT_LIMIT {
        let claim = format!("203.0.113.{n}");
        let claims = [("x-forwarded-for", claim.as_str())];
        let reply = log_in(&demo, 3, &claims, &format!("nobody-{n}"), "wrong").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let fresh = [("x-forwarded-for", "192.0.2.200")];
    let reply = log_in(&demo, 3, &fresh, "bob", "builder").await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(
        logged(&demo, r#"login throttled user="bob" client=127.0.0.3"#),
        "{}",
        demo.output()
    );
    let reply = log_in(&demo, 4, &[], "bob", "builder").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "another peer");
}

#[tokio::test]
async fn trusted_forwarded_headers_name_the_client_in_the_log_and_the_throttle() {
    let dir = TempDir::new("client-trusted");
    let demo = start("client-trusted", &dir, true);
    // Every request comes from the proxy, 127.0.0.1.
    let proxy = 1;

    // The last X-Forwarded-For entry is the one the proxy added.
    let appended = [("x-forwarded-for", "198.51.100.66, 203.0.113.7")];
    assert_eq!(visit(&demo, proxy, &appended).await.status, StatusCode::OK);
    assert!(
        logged(&demo, r#"request client=203.0.113.7 method=GET path="/""#),
        "{}",
        demo.output()
    );
    // Forwarded, when there is no X-Forwarded-For.
    let forwarded = [("forwarded", r#"for="[2001:db8:cafe::17]:4711";proto=http"#)];
    assert_eq!(visit(&demo, proxy, &forwarded).await.status, StatusCode::OK);
    assert!(
        logged(&demo, r#"request client=2001:db8:cafe::17 method=GET"#),
        "{}",
        demo.output()
    );
    // Without either header, the peer.
    assert_eq!(visit(&demo, proxy, &[]).await.status, StatusCode::OK);
    assert!(
        logged(&demo, r#"request client=127.0.0.1 method=GET"#),
        "{}",
        demo.output()
    );
    assert!(
        !demo.output().contains("198.51.100.66"),
        "{}",
        demo.output()
    );

    // The throttle counts the same client: 203.0.113.8, whatever a client
    // puts before it, and not the proxy every request comes from.
    for n in 0..CLIENT_LIMIT {
        let claim = format!("198.51.100.{n}, 203.0.113.8");
        let claims = [("x-forwarded-for", claim.as_str())];
        let reply = log_in(&demo, proxy, &claims, &format!("nobody-{n}"), "wrong").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    assert!(
        logged(&demo, r#"login failed user="nobody-0" client=203.0.113.8"#),
        "{}",
        demo.output()
    );
    let same = [("x-forwarded-for", "203.0.113.8")];
    let reply = log_in(&demo, proxy, &same, "bob", "builder").await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(
        logged(&demo, r#"login throttled user="bob" client=203.0.113.8"#),
        "{}",
        demo.output()
    );
    let other = [("x-forwarded-for", "203.0.113.9")];
    let reply = log_in(&demo, proxy, &other, "bob", "builder").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert!(
        logged(
            &demo,
            r#"request client=203.0.113.9 method=POST path="/login" status=303"#
        ),
        "{}",
        demo.output()
    );
}
