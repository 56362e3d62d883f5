//! The request's cookies as the crate reads them: one answer to duplicate
//! session cookies (several different values are refused, the same value
//! twice is one cookie), and a bounded scan (`MAX_REQUEST_COOKIES`).
//!
//! The duplicate cases are what a sibling subdomain can do to a cookie
//! without the `__Host-` prefix: set `session=<its own login>` for the
//! parent domain, or for a longer path, beside the real one.

mod common;

use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{Session, SessionConfig, SessionLayer, SessionType, MAX_REQUEST_COOKIES};
use common::{get as send_get, Client};
use http::header::COOKIE;
use http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Map, Value};

/// `/read` answers the session; `/login?id=N` stores an id; `/big` stores a
/// session that needs chunks.
fn app(config: SessionConfig) -> Router {
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    async fn big(mut session: Session) -> &'static str {
        let blob: String = (0..4500)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        session.insert("blob", blob).unwrap();
        "written"
    }
    Router::new()
        .route("/read", get(read))
        .route("/big", get(big))
        .layer(SessionLayer::new(config))
}

/// What `/read` answers, and what the crate logged at debug level.
fn load(config: &SessionConfig, headers: &[&str]) -> (Map<String, Value>, String) {
    let mut map = HeaderMap::new();
    for header in headers {
        map.append(COOKIE, header.parse().unwrap());
    }
    let mut loaded = Map::new();
    let logs = common::logs_of(tracing::Level::DEBUG, || {
        let session: Session = config.load_from_request(&map).unwrap();
        loaded = session.into_inner();
    });
    (loaded, logs)
}

async fn different_session_cookies_are_refused_as_ambiguous(codec: SessionType) {
    let config = common::config(codec);
    let alice = common::encode(&config, json!({"id": "alice"}));
    let mallory = common::encode(&config, json!({"id": "mallory"}));
    let cases: [&[&str]; 6] = [
        &[&format!("session={alice}; session={mallory}")],
        &[&format!("session={mallory}; session={alice}")],
        &[&format!(
            "session={alice}; other=1; session={mallory}; more=2"
        )],
        // Across `Cookie` headers (HTTP/2 sends one per cookie).
        &[&format!("session={alice}"), &format!("session={mallory}")],
        &[
            &format!("a=1; session={mallory}"),
            &format!("session={alice}"),
        ],
        // A planted value need not even be valid to make the pair ambiguous.
        &[&format!("session={alice}; session=planted-garbage")],
    ];
    for headers in cases {
        let (loaded, logs) = load(&config, headers);
        assert_eq!(loaded, Map::new(), "{codec}: {headers:?}");
        assert!(
            logs.contains("several session cookies with different values"),
            "{codec}: {logs}"
        );
        assert!(!logs.contains(&alice), "the cookie was logged: {logs}");
    }
    // Through a Router: an empty session, a 200, never one of the two.
    let reply = send_get(
        &app(config.clone()),
        "/read",
        Some(&format!("session={mallory}; session={alice}")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({}), "{codec}");
}

async fn the_same_session_cookie_sent_twice_is_one_cookie(codec: SessionType) {
    let config = common::config(codec);
    let alice = common::encode(&config, json!({"id": "alice"}));
    for headers in [
        vec![format!("session={alice}; session={alice}")],
        vec![format!("session={alice}"), format!("x=1; session={alice}")],
        vec![format!("session={alice}; session= {alice} ")],
    ] {
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let (loaded, _) = load(&config, &headers);
        assert_eq!(Value::Object(loaded), json!({"id": "alice"}), "{codec}");
    }
    // Other cookies whose names merely start like it are not it.
    let (loaded, _) = load(
        &config,
        &[&format!(
            "session={alice}; sessionX=1; Session=2; session_=3"
        )],
    );
    assert_eq!(Value::Object(loaded), json!({"id": "alice"}), "{codec}");
}

#[tokio::test]
async fn a_chunk_sent_twice_with_different_values_is_refused() {
    let config = common::config(SessionType::Jwt);
    let mut client = Client::new(app(config.clone()));
    client.get("/big").await;
    let jar = client.jar.clone();
    let (base, first, second) = (&jar["session"], &jar["sessionC1"], &jar["sessionC2"]);
    // A chunk of another session, as a sibling site would plant it.
    let planted = &format!(
        "{}{}",
        if first.starts_with('A') { 'B' } else { 'A' },
        &first[1..]
    );

    let whole = format!("session={base}; sessionC1={first}; sessionC2={second}");
    let reply = send_get(&app(config.clone()), "/read", Some(&whole)).await;
    assert!(reply.json()["blob"].is_string(), "the real set loads");

    let twice = format!("{whole}; sessionC1={first}");
    let reply = send_get(&app(config.clone()), "/read", Some(&twice)).await;
    assert!(reply.json()["blob"].is_string(), "an identical chunk again");

    // `chunks-2` twice is the same value: the set loads.
    let (loaded, _) = load(&config, &[&format!("{whole}; session={base}")]);
    assert!(loaded["blob"].is_string());
    for ambiguous in [
        format!("sessionC1={planted}; {whole}"),
        format!("{whole}; sessionC1={planted}"),
    ] {
        let (loaded, logs) = load(&config, &[&ambiguous]);
        assert_eq!(loaded, Map::new(), "{ambiguous}");
        assert!(logs.contains("different values"), "{logs}");
    }
}

#[tokio::test]
async fn at_most_max_request_cookies_are_read() {
    let config = common::config(SessionType::Jwt);
    let alice = common::encode(&config, json!({"id": "alice"}));
    let others = |count: usize| -> Vec<String> { (0..count).map(|i| format!("c{i}=v")).collect() };

    // The session cookie is the last one read.
    let mut cookies = others(MAX_REQUEST_COOKIES - 1);
    cookies.push(format!("session={alice}"));
    let (loaded, _) = load(&config, &[&cookies.join("; ")]);
    assert_eq!(Value::Object(loaded), json!({"id": "alice"}));

    // One cookie too many, wherever the session cookie is: no session, since
    // a second, different one could hide past the limit.
    for position in [0, MAX_REQUEST_COOKIES / 2, MAX_REQUEST_COOKIES] {
        let mut cookies = others(MAX_REQUEST_COOKIES);
        cookies.insert(position, format!("session={alice}"));
        let (loaded, logs) = load(&config, &[&cookies.join("; ")]);
        assert_eq!(loaded, Map::new(), "session at {position}");
        assert!(logs.contains("MAX_REQUEST_COOKIES"), "{logs}");
    }
    // Spread over many headers, or made of empty pairs, they count the same.
    let mut headers: Vec<String> = others(MAX_REQUEST_COOKIES);
    headers.push(format!("session={alice}"));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    assert_eq!(load(&config, &headers).0, Map::new());
    let empty_pairs = format!("{}session={alice}", ";".repeat(MAX_REQUEST_COOKIES));
    assert_eq!(load(&config, &[&empty_pairs]).0, Map::new());

    // A header of 40 000 cookies is an empty session with a 200, quickly.
    let huge = format!("session={alice}; {}", others(40_000).join("; "));
    let request = Request::get("/read")
        .header(COOKIE, huge)
        .body(Body::empty())
        .unwrap();
    let reply = common::send(&app(config), request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({}));
}

codec_tests!(
    different_session_cookies_are_refused_as_ambiguous,
    the_same_session_cookie_sent_twice_is_one_cookie,
);
