//! One-time messages: set in one request, read exactly once in a later one,
//! through a redirect; no cookie while there are none; levels kept; a
//! bounded list; never in `Debug`.

mod common;

use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use axum_cookie_session::{
    Level, Message, Messages, Session, SessionLayer, SessionType, MAX_MESSAGES, MESSAGES_KEY,
};
use common::Client;
use http::StatusCode;

/// `/login` sets a success and a warning then redirects; `/` shows and
/// takes the waiting messages; `/many` adds more than the bound; `/both`
/// adds one and takes the waiting ones in the same request; `/logout` and
/// `/clear` end or clear the session through another view, then add one.
fn app(codec: SessionType) -> Router {
    async fn login(mut messages: Messages) -> Redirect {
        messages
            .success("Welcome back, Ada.")
            .warning("Your password expires soon.");
        Redirect::to("/")
    }
    async fn home(messages: Messages) -> String {
        messages
            .into_iter()
            .map(|Message { level, text }| format!("[{level}] {text}\n"))
            .collect()
    }
    async fn many(mut messages: Messages) -> &'static str {
        for n in 0..MAX_MESSAGES + 4 {
            messages.info(format!("note {n}"));
        }
        "noted"
    }
    async fn both(mut messages: Messages) -> String {
        messages.error("Saved, but the mail was not sent.");
        let taken = messages.take();
        format!("{taken:?} {messages:?}")
    }
    async fn logout(mut session: Session, mut messages: Messages) -> Redirect {
        session.end();
        messages.success("Logged out.");
        Redirect::to("/")
    }
    async fn clear(mut session: Session, mut messages: Messages) -> Redirect {
        session.clear();
        messages.info("Session cleared.");
        Redirect::to("/")
    }
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/clear", post(clear))
        .route("/many", post(many))
        .route("/both", post(both))
        .layer(SessionLayer::new(common::config(codec)))
}

async fn shown_once_after_a_redirect(codec: SessionType) {
    let mut client = Client::new(app(codec));
    // Nothing waits: no cookie.
    let reply = client.get("/").await;
    assert_eq!(reply.body, "", "{codec}");
    assert!(
        reply.set_cookies().is_empty(),
        "{codec}: a cookie for no messages"
    );

    let reply = client.post("/login", "").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{codec}");
    let reply = client.get("/").await;
    assert_eq!(
        reply.body, "[success] Welcome back, Ada.\n[warning] Your password expires soon.\n",
        "{codec}"
    );
    // Read once: gone, and the session no longer holds the key.
    let reply = client.get("/").await;
    assert_eq!(reply.body, "", "{codec}");
    let session = common::decode(&common::config(codec), &client.jar["session"]);
    assert!(session.get(MESSAGES_KEY).is_none(), "{codec}: {session:?}");
}

async fn messages_set_now_wait_for_the_next_request(codec: SessionType) {
    let mut client = Client::new(app(codec));
    client.post("/login", "").await;
    let reply = client.post("/both", "").await;
    // The two from before are taken; the new one waits.
    assert!(
        reply.body.contains("Welcome back"),
        "{codec}: {}",
        reply.body
    );
    assert!(
        !reply.body.contains("mail was not sent"),
        "{codec}: {}",
        reply.body
    );
    // Debug shows how many wait, never what they say.
    assert!(
        reply.body.ends_with("Messages { incoming: 0, .. }"),
        "{}",
        reply.body
    );
    let reply = client.get("/").await;
    assert_eq!(
        reply.body, "[error] Saved, but the mail was not sent.\n",
        "{codec}"
    );
}

async fn at_most_the_newest_are_kept(codec: SessionType) {
    let mut client = Client::new(app(codec));
    client.post("/many", "").await;
    let reply = client.get("/").await;
    let lines: Vec<&str> = reply.body.lines().collect();
    assert_eq!(lines.len(), MAX_MESSAGES, "{codec}");
    assert_eq!(
        lines[0], "[info] note 4",
        "{codec}: the oldest dropped first"
    );
}

/// Messages extracted before another view ended or cleared the session do
/// not come back with the next one added.
async fn a_message_after_end_or_clear_is_the_only_one(codec: SessionType) {
    for (path, said) in [
        ("/logout", "[success] Logged out.\n"),
        ("/clear", "[info] Session cleared.\n"),
    ] {
        let mut client = Client::new(app(codec));
        client.post("/login", "").await; // two messages wait
        let reply = client.post(path, "").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{codec} {path}");
        let reply = client.get("/").await;
        assert_eq!(reply.body, said, "{codec} {path}");
    }
}

/// A handler that ends the session, adds a message, then takes the waiting
/// ones: the new message is not taken, nor lost.
async fn a_message_added_after_end_survives_a_take(codec: SessionType) {
    async fn end_then_take(mut session: Session, mut messages: Messages) -> String {
        session.end();
        messages.info("bye");
        format!("{}", messages.take().len())
    }
    let app = Router::new()
        .route("/end", post(end_then_take))
        .route(
            "/",
            get(|messages: Messages| async move {
                messages
                    .into_iter()
                    .map(|m| m.text)
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        )
        .route(
            "/login",
            post(|mut messages: Messages| async move {
                messages.success("Welcome back, Ada.");
                "ok"
            }),
        )
        .layer(SessionLayer::new(common::config(codec)));
    let mut client = Client::new(app);
    client.post("/login", "").await;
    let reply = client.post("/end", "").await;
    assert_eq!(reply.body, "1", "{codec}: the welcome was taken");
    assert_eq!(client.get("/").await.body, "bye", "{codec}");
}

codec_tests!(
    a_message_added_after_end_survives_a_take,
    shown_once_after_a_redirect,
    messages_set_now_wait_for_the_next_request,
    at_most_the_newest_are_kept,
    a_message_after_end_or_clear_is_the_only_one,
);

#[tokio::test]
async fn a_malformed_list_is_no_messages_and_no_error() {
    let config = common::config(SessionType::Jwt);
    let token = common::encode(
        &config,
        serde_json::json!({MESSAGES_KEY: "not a list", "id": 1}),
    );
    let mut client = Client::new(app(SessionType::Jwt));
    client.jar.insert("session".into(), token);
    let reply = client.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
}

#[test]
fn levels_read_as_css_classes() {
    let names: Vec<&str> = [Level::Info, Level::Success, Level::Warning, Level::Error]
        .iter()
        .map(|level| level.as_str())
        .collect();
    assert_eq!(names, ["info", "success", "warning", "error"]);
}
