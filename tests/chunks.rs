//! No silent loss on big sessions: a session too big for one cookie is split
//! across numbered cookies and put back together; stale chunks are deleted;
//! past the `Cookie` header budget, saving fails loudly and sends nothing.
//! In the style of ASP.NET Core's chunking cookie manager tests.

mod common;

use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{
    SaveError, Session, SessionConfig, SessionLayer, SessionType, MAX_CHUNKS, MAX_COOKIE_SIZE,
    MAX_SESSION_HEADER,
};
use common::{get as send_get, Client};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
struct Size {
    size: usize,
}

/// `/write?size=N` stores a blob of N bytes; `/read` answers the session;
/// `/end` ends it.
fn app(config: SessionConfig) -> Router {
    async fn write(mut session: Session, Query(Size { size }): Query<Size>) -> &'static str {
        // Varied characters, so no codec could shrink it by accident.
        let blob: String = (0..size)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        session.insert("blob", blob).unwrap();
        "written"
    }
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    async fn end(mut session: Session) -> &'static str {
        session.end();
        "ended"
    }
    Router::new()
        .route("/write", get(write))
        .route("/read", get(read))
        .route("/end", get(end))
        .layer(SessionLayer::new(config.clone()))
}

fn blob_len(reply: &common::Reply) -> usize {
    reply.json()["blob"].as_str().map_or(0, str::len)
}

async fn a_session_that_fits_is_one_plain_cookie(codec: SessionType) {
    let mut client = Client::new(app(common::config(codec)));
    let reply = client.get("/write?size=1000").await;
    assert_eq!(reply.set_cookies().len(), 1, "{codec}");
    assert!(!reply.set_cookies()[0].contains("chunks-"), "{codec}");
    assert_eq!(blob_len(&client.get("/read").await), 1000, "{codec}");
}

async fn a_big_session_is_split_into_chunks_and_put_back_together(codec: SessionType) {
    let mut client = Client::new(app(common::config(codec)));
    let reply = client.get("/write?size=4500").await;
    assert_eq!(reply.status, StatusCode::OK, "{codec}");
    let set_cookies = reply.set_cookies();
    assert_eq!(set_cookies.len(), 3, "{codec}: {set_cookies:?}");
    assert!(set_cookies[0].starts_with("session=chunks-2;"), "{codec}");
    assert!(set_cookies[1].starts_with("sessionC1="), "{codec}");
    assert!(set_cookies[2].starts_with("sessionC2="), "{codec}");
    for set_cookie in &set_cookies {
        // Each cookie fits what a browser keeps, attributes included,
        // and carries the session cookie's attributes.
        assert!(set_cookie.len() <= MAX_COOKIE_SIZE, "{codec}");
        assert!(set_cookie.contains("; HttpOnly"), "{codec}");
        assert!(set_cookie.contains("; Path=/"), "{codec}");
    }
    let cookie_header = client.cookie_header().unwrap();
    assert!(cookie_header.len() <= MAX_SESSION_HEADER, "{codec}");

    let reply = client.get("/read").await;
    assert_eq!(blob_len(&reply), 4500, "{codec}");
    assert!(
        reply.set_cookies().is_empty(),
        "{codec}: reading re-sent the cookies"
    );
}

#[tokio::test]
async fn chunks_arrive_in_any_order() {
    let config = common::config(SessionType::Jwt);
    let mut client = Client::new(app(config.clone()));
    client.get("/write?size=4500").await;
    let jar = &client.jar;
    let reversed = format!(
        "sessionC2={}; other=1; sessionC1={}; session={}",
        jar["sessionC2"], jar["sessionC1"], jar["session"]
    );
    let reply = send_get(&app(config), "/read", Some(&reversed)).await;
    assert_eq!(blob_len(&reply), 4500);
}

async fn a_session_that_shrinks_deletes_its_stale_chunks(codec: SessionType) {
    let mut client = Client::new(app(common::config(codec)));
    client.get("/write?size=4500").await;
    assert_eq!(client.jar.len(), 3, "{codec}");

    let reply = client.get("/write?size=10").await;
    let set_cookies = reply.set_cookies();
    assert_eq!(set_cookies.len(), 3, "{codec}: {set_cookies:?}");
    assert!(!set_cookies[0].contains("Max-Age=0"), "{codec}");
    assert!(set_cookies[1].starts_with("sessionC1=;"), "{codec}");
    assert!(set_cookies[1].contains("Max-Age=0"), "{codec}");
    assert!(set_cookies[2].starts_with("sessionC2=;"), "{codec}");
    assert_eq!(
        client.jar.keys().collect::<Vec<_>>(),
        ["session"],
        "{codec}"
    );
    assert_eq!(blob_len(&client.get("/read").await), 10, "{codec}");
}

#[tokio::test]
async fn ending_a_chunked_session_deletes_every_chunk() {
    let mut client = Client::new(app(common::config(SessionType::Jwt)));
    client.get("/write?size=4500").await;
    let reply = client.get("/end").await;
    let set_cookies = reply.set_cookies();
    assert_eq!(set_cookies.len(), 3, "{set_cookies:?}");
    assert!(set_cookies.iter().all(|c| c.contains("Max-Age=0")));
    assert!(client.jar.is_empty());
}

async fn past_the_header_budget_saving_fails_and_sends_nothing(codec: SessionType) {
    let config = common::config(codec);
    // Auto mode: a 500, and no cookie at all (not a truncated one).
    let mut client = Client::new(app(config.clone()));
    client.get("/write?size=100").await;
    let reply = client.get("/write?size=8000").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{codec}");
    assert!(reply.set_cookies().is_empty(), "{codec}");
    // The session the client holds is the one before.
    assert_eq!(blob_len(&client.get("/read").await), 100, "{codec}");

    // Manual mode: the handler sees the typed error.
    let mut session: Session = config.load_from_request(&HeaderMap::new()).unwrap();
    session.insert("blob", "y".repeat(8000)).unwrap();
    let mut headers = HeaderMap::new();
    let err = config.save_to_response(session, &mut headers).unwrap_err();
    match err {
        SaveError::TooLarge { size, limit } => {
            assert!(size > limit, "{codec}");
            assert_eq!(limit, MAX_SESSION_HEADER);
        }
        other => panic!("{codec}: {other}"),
    }
    assert!(headers.get("set-cookie").is_none(), "{codec}");
}

#[tokio::test]
async fn broken_chunk_sets_load_as_an_empty_session() {
    let config = common::config(SessionType::Jwt);
    let mut client = Client::new(app(config.clone()));
    client.get("/write?size=4500").await;
    let (base, first, second) = (
        client.jar["session"].clone(),
        client.jar["sessionC1"].clone(),
        client.jar["sessionC2"].clone(),
    );
    let too_many = format!("chunks-{}", MAX_CHUNKS + 1);
    let mut tampered = second.clone();
    tampered.insert(0, if second.starts_with('A') { 'B' } else { 'A' });
    let cases = [
        format!("session={base}; sessionC1={first}"),
        format!("session={base}; sessionC2={second}"),
        format!("session={too_many}; sessionC1={first}; sessionC2={second}"),
        format!("session=chunks-0; sessionC1={first}"),
        format!("session=chunks-1; sessionC1={first}"),
        format!("session=chunks-x; sessionC1={first}"),
        format!("session=chunks-99999999999999999999999; sessionC1={first}"),
        format!("session={base}; sessionC1={first}; sessionC2={tampered}"),
        format!("session={base}; sessionC01={first}; sessionC2={second}"),
        format!("session=chunks-+2; sessionC1={first}; sessionC2={second}"),
        format!("session=chunks-02; sessionC1={first}; sessionC2={second}"),
        format!("session={base}; sessionC+1={first}; sessionC2={second}"),
        // A chunk larger than any cookie is refused before it is decoded.
        format!(
            "session={base}; sessionC1={first}{}; sessionC2={second}",
            "A".repeat(5000)
        ),
    ];
    let app = app(config);
    for cookie in cases {
        let reply = send_get(&app, "/read", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{cookie}");
        assert_eq!(reply.json(), json!({}), "{cookie}");
    }
}

/// A cookie made with a fallback key is re-issued under the current key,
/// though the handler changed nothing. When that re-issue cannot be sent (a
/// cookie another app wrote, as big as the `Cookie` header budget allows,
/// has no room left for the chunk names), the request still succeeds with
/// the session it carried and the old cookie is left in place.
#[tokio::test]
async fn a_reissue_that_cannot_fit_never_fails_the_request() {
    const OLD: &str = "the-old-secret-the-old-secret-00";
    let config = SessionConfig::builder()
        .session_type(SessionType::Jwt)
        .secret_key("the-new-secret-the-new-secret-00")
        .fallback_keys([OLD])
        .build()
        .unwrap();
    // The longest blob whose token still loads, as one cookie.
    let token_with = |size: usize| {
        common::sign_jwt(
            OLD,
            common::PYJWT_HEADER,
            &json!({"blob": "b".repeat(size)}),
        )
    };
    let size = (4000..MAX_SESSION_HEADER)
        .take_while(|size| token_with(*size).len() <= MAX_SESSION_HEADER)
        .last()
        .unwrap();
    let token = token_with(size);
    let reply = send_get(&app(config), "/read", Some(&format!("session={token}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(blob_len(&reply), size, "the session it carried");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

/// Chunks that each fit a cookie but together exceed anything the crate
/// writes are refused before they are decoded (the reason is logged).
#[test]
fn chunks_larger_together_than_any_session_are_refused_unread() {
    let config = common::config(SessionType::Jwt);
    let part = "A".repeat(MAX_COOKIE_SIZE - 100);
    let parts = MAX_SESSION_HEADER / part.len() + 1;
    let mut cookie = format!("session=chunks-{parts}");
    for index in 1..=parts {
        cookie.push_str(&format!("; sessionC{index}={part}"));
    }
    let mut headers = HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    let logs = common::logs_of(tracing::Level::DEBUG, || {
        let session: Session = config.load_from_request(&headers).unwrap();
        assert!(session.is_empty());
    });
    assert!(logs.contains("larger than any session cookie"), "{logs}");
}

codec_tests!(
    a_session_that_fits_is_one_plain_cookie,
    a_big_session_is_split_into_chunks_and_put_back_together,
    a_session_that_shrinks_deletes_its_stale_chunks,
    past_the_header_budget_saving_fails_and_sends_nothing,
);
