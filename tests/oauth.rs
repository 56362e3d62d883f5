//! `examples/oauth.rs` end to end, through the example's own Router: the
//! authorization code flow with PKCE against the stand-in provider, `next`,
//! replayed and forged callbacks, the provider's checks, and what the
//! cookie shows during the pending login.

mod common;

// The example itself, `main` and all: only its `app` is used here.
#[path = "../examples/oauth.rs"]
#[allow(dead_code)]
mod oauth;

use std::collections::HashMap;

use axum::body::Body;
use axum_cookie_session::{SessionConfig, SessionType};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{Client, Reply};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use http::{Request, StatusCode};
use serde_json::{json, Map, Value};

/// Where the tests' browser reaches the app.
const ORIGIN: &str = "http://app.test";
const CLIENT_ID: &str = "oauth-example";
const REDIRECT_URI: &str = "http://app.test/callback";
/// The cookie of `common::config`, which does not set a name.
const COOKIE_NAME: &str = "session";

fn config() -> SessionConfig {
    common::config(SessionType::Fernet)
}

fn client() -> Client {
    Client::new(oauth::app(config(), ORIGIN))
}

fn location(reply: &Reply) -> &str {
    reply.headers[LOCATION].to_str().unwrap()
}

/// A URL's query parameters, decoded.
fn query(url: &str) -> HashMap<String, String> {
    let (_, query) = url.split_once('?').unwrap_or((url, ""));
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The path and query a browser requests for a URL of the app.
fn local(url: &str) -> &str {
    url.strip_prefix(ORIGIN).unwrap_or(url)
}

fn is_redirect(reply: &Reply) -> bool {
    matches!(
        reply.status,
        StatusCode::SEE_OTHER | StatusCode::TEMPORARY_REDIRECT
    )
}

/// The session the client's cookie holds, decoded with the app's key.
fn session(client: &Client) -> Map<String, Value> {
    client
        .jar
        .get(COOKIE_NAME)
        .map(|cookie| common::decode(&config(), cookie))
        .unwrap_or_default()
}

/// `GET /login?next=..`: the provider's authorize URL.
async fn start(client: &mut Client, next: Option<&str>) -> String {
    let uri = match next {
        Some(next) => format!("/login?next={}", urlencode(next)),
        None => "/login".to_owned(),
    };
    let reply = client.get(&uri).await;
    assert!(is_redirect(&reply), "{reply:?}");
    location(&reply).to_owned()
}

/// The provider approves: the callback URL, with the app's origin.
async fn approve(client: &mut Client, authorize: &str) -> String {
    let reply = client.get(authorize).await;
    assert!(is_redirect(&reply), "{reply:?}");
    assert!(reply.set_cookies().is_empty(), "the provider set a cookie");
    location(&reply).to_owned()
}

/// A whole login; answers the callback URL, for replays.
async fn log_in(client: &mut Client, next: Option<&str>) -> (String, Reply) {
    let authorize = start(client, next).await;
    let callback = approve(client, &authorize).await;
    let reply = client.get(local(&callback)).await;
    (callback, reply)
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `POST uri` with a form body, keeping cookies.
async fn post(client: &mut Client, uri: &str, form: &[(&str, &str)]) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = Request::post(uri).header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = client.cookie_header() {
        request = request.header(COOKIE, cookie);
    }
    let reply = common::send(&client.app, request.body(Body::from(body)).unwrap()).await;
    client.store(&reply);
    reply
}

async fn assert_anonymous(client: &mut Client) {
    let reply = client.get("/me").await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{reply:?}");
    assert_eq!(location(&reply), "/login?next=%2Fme");
    assert!(client.get("/").await.body.contains("Not logged in."));
    assert_eq!(session(client).get("id"), None);
}

#[tokio::test]
async fn the_whole_flow_logs_ada_in() {
    let mut client = client();
    let reply = client.get("/me").await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    let login = location(&reply).to_owned();
    assert_eq!(login, "/login?next=%2Fme");

    let reply = client.get(&login).await;
    assert!(is_redirect(&reply), "{reply:?}");
    let authorize = location(&reply).to_owned();
    assert!(authorize.starts_with("/provider/authorize?"), "{authorize}");
    let params = query(&authorize);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["code_challenge_method"], "S256");
    let pending = session(&client)["pending_login"].clone();
    let verifier = pending["verifier"].as_str().unwrap();
    assert_eq!(params["state"], pending["state"].as_str().unwrap());
    assert_eq!(params["code_challenge"], oauth::challenge(verifier));
    assert_eq!(pending["next"], "/me");
    // RFC 7636 §4.1: 43 to 128 unreserved characters; a 32-byte state.
    assert!((43..=128).contains(&verifier.len()));
    assert!(verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
    assert_eq!(URL_SAFE_NO_PAD.decode(&params["state"]).unwrap().len(), 32);

    let callback = approve(&mut client, &authorize).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(query(&callback)["state"], params["state"]);
    let reply = client.get(local(&callback)).await;
    assert!(is_redirect(&reply), "{reply:?}");
    assert_eq!(location(&reply), "/me");

    let me = client.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body,
        "Logged in as Ada Lovelace <ada@example.test> (subject user-42)."
    );
    assert!(client
        .get("/")
        .await
        .body
        .contains("Logged in as Ada Lovelace."));
    // A fresh session: the id, the profile, and the pending login gone.
    let stored = session(&client);
    assert_eq!(stored["id"], "user-42");
    assert_eq!(
        stored["profile"],
        json!({"sub": "user-42", "name": "Ada Lovelace", "email": "ada@example.test"})
    );
    assert!(!stored.contains_key("pending_login"), "{stored:?}");
}

#[tokio::test]
async fn next_is_honoured_and_an_unsafe_one_replaced() {
    let cases = [
        (Some("/settings?tab=profile"), "/settings?tab=profile"),
        (None, "/me"),
        (Some("//evil.example"), "/me"),
        (Some("https://evil.example/"), "/me"),
        (Some("/\\evil.example"), "/me"),
        (Some("/%2F%2Fevil.example"), "/me"),
    ];
    for (next, expected) in cases {
        let mut client = client();
        let (_, reply) = log_in(&mut client, next).await;
        assert!(is_redirect(&reply), "{next:?}: {reply:?}");
        assert_eq!(location(&reply), expected, "{next:?}");
    }
}

#[tokio::test]
async fn a_replayed_callback_logs_nobody_in() {
    let mut ada = client();
    let authorize = start(&mut ada, None).await;
    let pending_cookie = ada.jar.clone();
    let callback = approve(&mut ada, &authorize).await;
    let reply = ada.get(local(&callback)).await;
    assert!(is_redirect(&reply), "{reply:?}");

    // The same browser again: no login under way any more.
    let again = ada.get(local(&callback)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{again:?}");
    assert!(
        again.body.contains("No login is under way"),
        "{}",
        again.body
    );

    // Another browser, with the URL only: nothing to complete.
    let mut stranger = client();
    let reply = stranger.get(local(&callback)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_anonymous(&mut stranger).await;

    // With a copy of the cookie from before the callback, the state and
    // verifier match, but the provider's code was used.
    let mut thief = client();
    thief.jar = pending_cookie;
    let reply = thief.get(local(&callback)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(reply.body.contains("refused the code"), "{}", reply.body);
    assert_anonymous(&mut thief).await;
    assert!(!session(&thief).contains_key("pending_login"));
}

#[tokio::test]
async fn a_forged_state_logs_nobody_in_and_ends_the_pending_login() {
    let mut client = client();
    let authorize = start(&mut client, None).await;
    let callback = approve(&mut client, &authorize).await;
    let params = query(&callback);
    let forged_states = ["forged", "", &params["state"][1..]];
    let forged = format!(
        "/callback?code={}&state={}",
        params["code"], forged_states[0]
    );
    let reply = client.get(&forged).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(!session(&client).contains_key("pending_login"));
    assert_anonymous(&mut client).await;

    // The right state comes too late: the pending login is gone.
    let reply = client.get(local(&callback)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_anonymous(&mut client).await;

    // Nor does a missing or truncated state pass.
    for state in &forged_states[1..] {
        let mut client = self::client();
        let authorize = start(&mut client, None).await;
        let callback = approve(&mut client, &authorize).await;
        let code = &query(&callback)["code"];
        let reply = client
            .get(&format!("/callback?code={code}&state={state}"))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{state:?}");
        let reply = client.get(&format!("/callback?code={code}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{state:?}");
        assert_anonymous(&mut client).await;
    }
}

#[tokio::test]
async fn a_refusal_by_the_provider_ends_the_pending_login() {
    let mut client = client();
    let authorize = start(&mut client, None).await;
    let state = query(&authorize)["state"].clone();
    let reply = client
        .get(&format!("/callback?error=access_denied&state={state}"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(
        !reply.body.contains("access_denied"),
        "echoed: {}",
        reply.body
    );
    assert!(!session(&client).contains_key("pending_login"));
    assert_anonymous(&mut client).await;
}

#[tokio::test]
async fn a_second_login_replaces_the_first() {
    let mut client = client();
    let first = start(&mut client, None).await;
    let second = start(&mut client, None).await;
    let first_callback = approve(&mut client, &first).await;
    let reply = client.get(local(&first_callback)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_anonymous(&mut client).await;
    // And the refusal ended the second as well: start over.
    let second_callback = approve(&mut client, &second).await;
    let reply = client.get(local(&second_callback)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
}

/// A code from the provider for `verifier`, as a client would get one.
async fn code_for(client: &mut Client, verifier: &str) -> String {
    let authorize = format!(
        "/provider/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}\
         &state=s&code_challenge={}&code_challenge_method=S256",
        urlencode(REDIRECT_URI),
        oauth::challenge(verifier),
    );
    let callback = approve(client, &authorize).await;
    query(&callback)["code"].clone()
}

async fn redeem(client: &mut Client, code: &str, verifier: &str, redirect_uri: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier),
    ];
    let reply = post(client, "/provider/token", &form).await;
    assert_eq!(reply.headers[CACHE_CONTROL], "no-store");
    reply
}

fn assert_oauth_error(reply: &Reply, error: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(reply.json(), json!({ "error": error }));
}

#[tokio::test]
async fn a_code_is_exchanged_once() {
    let mut client = client();
    let verifier = "v".repeat(43);
    let code = code_for(&mut client, &verifier).await;
    let reply = redeem(&mut client, &code, &verifier, REDIRECT_URI).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["access_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 43));
    assert_eq!(tokens["userinfo"]["sub"], "user-42");

    let again = redeem(&mut client, &code, &verifier, REDIRECT_URI).await;
    assert_oauth_error(&again, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_burns_the_code() {
    let mut client = client();
    let verifier = "v".repeat(43);
    for wrong in [
        "w".repeat(43),
        "v".repeat(44),
        "v".repeat(42),
        String::new(),
    ] {
        let code = code_for(&mut client, &verifier).await;
        let reply = redeem(&mut client, &code, &wrong, REDIRECT_URI).await;
        let expected = if wrong.is_empty() {
            "invalid_request"
        } else {
            "invalid_grant"
        };
        assert_oauth_error(&reply, expected);
        // The right verifier after a wrong one: the code was used up.
        let reply = redeem(&mut client, &code, &verifier, REDIRECT_URI).await;
        assert_oauth_error(&reply, "invalid_grant");
    }
}

#[tokio::test]
async fn the_token_endpoint_checks_the_request() {
    let mut client = client();
    let verifier = "v".repeat(43);
    let code = code_for(&mut client, &verifier).await;
    let other_uri = "http://evil.example/callback";
    assert_oauth_error(
        &redeem(&mut client, &code, &verifier, other_uri).await,
        "invalid_grant",
    );
    assert_oauth_error(
        &redeem(&mut client, "no-such-code", &verifier, REDIRECT_URI).await,
        "invalid_grant",
    );
    let code = code_for(&mut client, &verifier).await;
    let wrong_grant = [
        ("grant_type", "password"),
        ("code", code.as_str()),
        ("client_id", CLIENT_ID),
    ];
    let reply = post(&mut client, "/provider/token", &wrong_grant).await;
    assert_oauth_error(&reply, "unsupported_grant_type");
    let wrong_client = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", "another-app"),
    ];
    let reply = post(&mut client, "/provider/token", &wrong_client).await;
    assert_oauth_error(&reply, "invalid_client");
}

#[tokio::test]
async fn the_provider_checks_the_authorization_request() {
    let mut client = client();
    let challenge = oauth::challenge(&"v".repeat(43));
    let uri = |params: &[(&str, &str)]| {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!("/provider/authorize?{query}")
    };
    let good = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "s"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let with = |key: &str, value: &str| {
        let mut params = good.to_vec();
        params.retain(|(name, _)| *name != key);
        if !value.is_empty() {
            params.push((key, value));
        }
        uri(&params)
    };
    // An unknown client or redirect URI: shown here, never redirected to.
    for bad in [
        with("client_id", "another-app"),
        with("redirect_uri", "http://evil.example/callback"),
        with("redirect_uri", "http://app.test/callback/"),
        with("redirect_uri", ""),
    ] {
        let reply = client.get(&bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!reply.headers.contains_key(LOCATION), "{bad}");
    }
    // Other errors go back to the client, with the state.
    for (bad, error) in [
        (with("response_type", "token"), "unsupported_response_type"),
        (with("code_challenge_method", "plain"), "invalid_request"),
        (with("code_challenge_method", ""), "invalid_request"),
        (with("code_challenge", ""), "invalid_request"),
        (with("code_challenge", "short"), "invalid_request"),
    ] {
        let back = approve(&mut client, &bad).await;
        assert!(back.starts_with(REDIRECT_URI), "{back}");
        let params = query(&back);
        assert_eq!(params["error"], error, "{bad}");
        assert_eq!(params["state"], "s");
        assert!(!params.contains_key("code"));
    }
}

/// Every way to read bytes out of a cookie value as base64: whole, or each
/// `.`-separated part (a JWT's), in both alphabets, padded or not.
fn base64_decodings(value: &str) -> Vec<Vec<u8>> {
    let mut parts = vec![value];
    parts.extend(value.split('.'));
    let engines = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD];
    parts
        .iter()
        .flat_map(|part| engines.map(|engine| engine.decode(part.trim_end_matches('='))))
        .chain(
            parts
                .iter()
                .flat_map(|part| [STANDARD.decode(part), URL_SAFE.decode(part)]),
        )
        .filter_map(Result::ok)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn the_pending_cookie_shows_neither_verifier_nor_state() {
    let mut client = client();
    let authorize = start(&mut client, Some("/settings")).await;
    let state = query(&authorize)["state"].clone();
    let cookie = client.jar[COOKIE_NAME].clone();
    // They are in the session, for the app's key only.
    let pending = session(&client)["pending_login"].clone();
    let verifier = pending["verifier"].as_str().unwrap().to_owned();
    assert_eq!(pending["state"], state.as_str());

    let decodings = base64_decodings(&cookie);
    assert!(!decodings.is_empty(), "the cookie is not base64: {cookie}");
    for secret in [&verifier, &state] {
        let raw = URL_SAFE_NO_PAD.decode(secret).unwrap();
        let mut forms = vec![secret.as_bytes().to_vec(), raw.clone()];
        forms.extend([STANDARD.encode(&raw), STANDARD.encode(secret)].map(String::into_bytes));
        for form in &forms {
            assert!(
                !contains(cookie.as_bytes(), form),
                "in the cookie: {cookie}"
            );
            for decoded in &decodings {
                assert!(!contains(decoded, form), "in the decoded cookie");
            }
        }
    }
    for text in [&b"pending_login"[..], b"verifier", b"/settings"] {
        assert!(decodings.iter().all(|decoded| !contains(decoded, text)));
    }
}

#[tokio::test]
async fn cookie_sizes() {
    let mut client = client();
    start(&mut client, None).await;
    let pending = client.jar[COOKIE_NAME].len();
    let mut client = self::client();
    log_in(&mut client, None).await;
    let logged_in = client.jar[COOKIE_NAME].len();
    println!("cookie value: {pending} bytes pending, {logged_in} bytes logged in");
    // One cookie each, far from the browsers' 4096-byte limit.
    assert!(pending < 1024 && logged_in < 1024, "{pending} {logged_in}");
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in_and_api_callers_get_401() {
    let mut client = client();
    assert_anonymous(&mut client).await;
    let request = Request::get("/me")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let reply = common::send(&client.app, request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let mut client = client();
    log_in(&mut client, None).await;
    assert_eq!(client.get("/me").await.status, StatusCode::OK);
    let reply = post(&mut client, "/logout", &[]).await;
    assert!(is_redirect(&reply), "{reply:?}");
    assert!(reply.set_cookie().unwrap().contains("Max-Age=0"));
    assert!(client.jar.is_empty());
    assert_anonymous(&mut client).await;
}

#[test]
fn only_an_encrypting_session_type_is_accepted() {
    assert!(oauth::require_encryption(&config()).is_ok());
    for codec in [SessionType::Jwt, SessionType::Base64] {
        let err = oauth::require_encryption(&common::config(codec)).unwrap_err();
        assert!(err.contains("fernet"), "{err}");
    }
}
