//! Several views of one session in one handler: changes apply in the order
//! the handler makes them, whatever order the views are declared or dropped
//! in, in auto and in manual mode; a session type that cannot be stored is
//! never a silent `200`; values of any `Serialize` type.

mod common;

use std::collections::BTreeMap;

use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{Session, SessionConfig, SessionLayer, SessionType};
use common::Client;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Debug, Default, Serialize, Deserialize)]
struct FlashBag {
    #[serde(default)]
    flash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cart {
    #[serde(default)]
    items: Vec<String>,
}

/// A handler body run against two views, `a` (the map) and `b` (typed).
type Steps = fn(&mut Session, &mut Session<FlashBag>);

/// What each scenario does, and the session it must leave.
fn scenarios() -> Vec<(&'static str, Steps, Value)> {
    vec![
        (
            "end, login, then flash: the flash is kept",
            |a, b| {
                a.end();
                a.login(2).unwrap();
                b.flash = Some("hi".into());
            },
            json!({"id": 2, "flash": "hi"}),
        ),
        (
            "flash, then end and login: end drops the flash",
            |a, b| {
                b.flash = Some("hi".into());
                a.end();
                a.login(2).unwrap();
            },
            json!({"id": 2}),
        ),
        (
            "insert, flash, then clear: nothing is left",
            |a, b| {
                a.insert("x", 1).unwrap();
                b.flash = Some("hi".into());
                a.clear();
            },
            json!({}),
        ),
        (
            "flash, insert, flash again: the last write of each key wins",
            |a, b| {
                b.flash = Some("first".into());
                a.insert("flash", "map").unwrap();
                a.insert("x", 1).unwrap();
                b.flash = Some("last".into());
            },
            json!({"old": true, "flash": "last", "x": 1}),
        ),
        (
            "flash, map flash, then a note: the map's later flash is kept",
            |a, b| {
                b.flash = Some("typed".into());
                a.insert("flash", "map").unwrap();
                b.note = Some("n".into());
            },
            json!({"old": true, "flash": "map", "note": "n"}),
        ),
        (
            "typed end, then map insert",
            |a, b| {
                b.end();
                a.insert("x", 1).unwrap();
            },
            json!({"x": 1}),
        ),
        (
            "map insert, then typed end",
            |a, b| {
                a.insert("x", 1).unwrap();
                b.end();
            },
            json!(null),
        ),
    ]
}

/// The session the client holds after `steps` ran against a session that
/// held `{"old": true}`, with the views declared map first or typed first.
async fn run(codec: SessionType, manual: bool, typed_first: bool, steps: Steps) -> Value {
    let config = common::config(codec);
    let seed = move |mut session: Session| async move {
        session.insert("old", true).unwrap();
        (session, "seeded")
    };
    let map_view_first = move |mut a: Session, mut b: Session<FlashBag>| async move {
        steps(&mut a, &mut b);
        (a, "done")
    };
    let typed_view_first = move |mut b: Session<FlashBag>, mut a: Session| async move {
        steps(&mut a, &mut b);
        (b, "done")
    };
    let routes = Router::new()
        .route("/seed", get(seed))
        .route("/show", get(show));
    let routes = if typed_first {
        routes.route("/steps", get(typed_view_first))
    } else {
        routes.route("/steps", get(map_view_first))
    };
    let layer = if manual {
        SessionLayer::manual(config)
    } else {
        SessionLayer::new(config)
    };
    let mut client = Client::new(routes.layer(layer));
    client.get("/seed").await;
    let reply = client.get("/steps").await;
    assert_eq!(reply.status, StatusCode::OK);
    if client.cookie_header().is_none() {
        return Value::Null;
    }
    client.get("/show").await.json()
}

async fn show(session: Session) -> (Session, Json<Map<String, Value>>) {
    let object = (*session).clone();
    (session, Json(object))
}

async fn changes_apply_in_handler_order(codec: SessionType) {
    for (what, steps, expected) in scenarios() {
        for manual in [false, true] {
            for typed_first in [false, true] {
                let got = run(codec, manual, typed_first, steps).await;
                assert_eq!(
                    got, expected,
                    "{codec}, {what}, manual: {manual}, typed view first: {typed_first}"
                );
            }
        }
    }
}

/// Two typed views of different types, each dropped before or after the
/// other changes the session.
async fn two_typed_views_compose(codec: SessionType) {
    async fn handler(mut bag: Session<FlashBag>, mut cart: Session<Cart>) -> &'static str {
        cart.items.push("apple".into());
        bag.flash = Some("added".into());
        cart.items.push("pear".into());
        "done"
    }
    let config = common::config(codec);
    let app = Router::new()
        .route("/", get(handler))
        .route("/show", get(show))
        .layer(SessionLayer::new(config));
    let mut client = Client::new(app);
    client.get("/").await;
    assert_eq!(
        client.get("/show").await.json(),
        json!({"flash": "added", "items": ["apple", "pear"]})
    );
}

/// `struct Counter(usize)` is not a JSON object: extracting it is a 500
/// that names the type, never a 200 that forgets every visit.
async fn a_session_type_that_is_not_an_object_is_a_500(codec: SessionType) {
    #[derive(Debug, Default, Serialize, Deserialize)]
    struct Counter(usize);

    async fn count(mut counter: Session<Counter>) -> String {
        counter.0 += 1;
        counter.0.to_string()
    }
    let app = Router::new()
        .route("/", get(count))
        .layer(SessionLayer::new(common::config(codec)));
    let runtime = tokio::runtime::Handle::current();
    let (reply, logs) = tokio::task::spawn_blocking(move || {
        let mut reply = None;
        let logs = common::logs_of(tracing::Level::ERROR, || {
            reply = Some(runtime.block_on(common::get(&app, "/", None)));
        });
        (reply.unwrap(), logs)
    })
    .await
    .unwrap();
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{codec}");
    assert!(logs.contains("Counter"), "the log names the type: {logs}");
    // A mistake in the app's code: the body names the fix, as axum's own
    // rejections do.
    assert!(
        reply
            .body
            .contains("`Session<T>` needs a struct with named fields"),
        "{}",
        reply.body
    );
}

/// A session whose value cannot be serialized is a 500 in auto mode, after
/// the handler, and in manual mode.
async fn a_session_that_cannot_be_saved_is_a_500(codec: SessionType) {
    /// JSON object keys must be strings: this map cannot be written.
    type ByBytes = BTreeMap<Vec<u8>, u8>;

    async fn auto(mut session: Session<ByBytes>) -> &'static str {
        session.insert(vec![1], 1);
        "looks fine"
    }
    async fn manual(mut session: Session<ByBytes>) -> (Session<ByBytes>, &'static str) {
        session.insert(vec![1], 1);
        (session, "looks fine")
    }
    let config = common::config(codec);
    let auto = Router::new()
        .route("/", get(auto))
        .layer(SessionLayer::new(config.clone()));
    let manual = Router::new()
        .route("/", get(manual))
        .layer(SessionLayer::manual(config));
    for app in [auto, manual] {
        let reply = common::get(&app, "/", None).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{codec}");
        assert!(reply.set_cookie().is_none());
    }
}

/// `insert` and `login` take any `Serialize`: a struct, a tuple id.
async fn values_of_any_serialize_type(codec: SessionType) {
    #[derive(Serialize)]
    struct Prefs {
        theme: &'static str,
        size: u8,
    }
    async fn store(mut session: Session) -> Result<&'static str, axum_cookie_session::SaveError> {
        session.insert(
            "prefs",
            Prefs {
                theme: "dark",
                size: 3,
            },
        )?;
        session.login(("tenant-7", 42))?;
        Ok("stored")
    }
    let app = Router::new()
        .route("/", get(store))
        .route("/show", get(show))
        .layer(SessionLayer::new(common::config(codec)));
    let mut client = Client::new(app);
    client.get("/").await;
    assert_eq!(
        client.get("/show").await.json(),
        json!({"prefs": {"theme": "dark", "size": 3}, "id": ["tenant-7", 42]})
    );
}

/// Without a layer, extracting a session is a 500 whose log says what to add.
#[test]
fn a_session_without_a_layer_names_the_fix() {
    let app: Router = Router::new().route("/", get(|_: Session| async { "unreachable" }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let logs = common::logs_of(tracing::Level::ERROR, || {
        let reply = runtime.block_on(common::get(&app, "/", None));
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    });
    assert!(logs.contains("SessionLayer::new(config)"), "{logs}");
}

/// The config comes from the layer only: a state holding another config
/// (or none) changes nothing.
#[tokio::test]
async fn the_layer_is_the_only_config() {
    let layer_config = common::config(SessionType::Jwt);
    let other = SessionConfig::builder()
        .secret_key("another secret of thirty-two bytes")
        .cookie_name("other")
        .build()
        .unwrap();
    async fn write(mut session: Session) -> &'static str {
        session.insert("x", 1).unwrap();
        "ok"
    }
    let app = Router::new()
        .route("/", get(write))
        .layer(SessionLayer::new(layer_config.clone()))
        .with_state(other);
    let reply = common::get(&app, "/", None).await;
    let token = reply.cookie_value().unwrap();
    assert!(reply.set_cookie().unwrap().starts_with("session="));
    assert_eq!(common::decode(&layer_config, &token)["x"], 1);
}

codec_tests!(
    changes_apply_in_handler_order,
    two_typed_views_compose,
    a_session_type_that_is_not_an_object_is_a_500,
    a_session_that_cannot_be_saved_is_a_500,
    values_of_any_serialize_type,
    a_typed_view_at_its_defaults_writes_nothing,
    a_field_the_cookie_held_keeps_being_written,
    a_middleware_change_is_seen_by_its_handler,
    a_method_sees_what_another_view_changed,
);

/// An unsigned cookie with trailing bytes after its object, read by a view
/// it does not fit, is an empty session, not a 500 when the view saves.
#[tokio::test]
async fn trailing_garbage_read_by_a_misfit_view_is_an_empty_session() {
    use base64::Engine as _;
    #[derive(Default, Serialize, Deserialize)]
    struct Prefs {
        theme: String,
    }
    async fn prefer(mut prefs: Session<Prefs>) -> &'static str {
        prefs.theme = "dark".into();
        "saved"
    }
    let app = Router::new()
        .route("/", get(prefer))
        .layer(SessionLayer::new(common::config(SessionType::Base64)));
    let token = base64::engine::general_purpose::URL_SAFE.encode(br#"{"theme":5}x"#);
    let reply = common::get(&app, "/", Some(&format!("session={token}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let config = common::config(SessionType::Base64);
    let saved = common::decode(&config, &reply.cookie_value().unwrap());
    assert_eq!(Value::Object(saved), json!({"theme": "dark"}));
}

/// Flash messages kept the axum-login way, taken with `std::mem::take`, and
/// a pending value taken with `Option::take`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Flash {
    #[serde(default)]
    messages: Vec<String>,
    #[serde(default)]
    pending: Option<String>,
}

/// `/take` takes the messages and the pending value, returning the view
/// (which in auto mode saves nothing itself); `/seed?k=v` stores through
/// the map; `/json` answers the session.
fn flash_app(codec: SessionType, manual: bool) -> Router {
    async fn take(mut flash: Session<Flash>) -> (Session<Flash>, String) {
        let messages = std::mem::take(&mut flash.messages);
        let pending = flash.pending.take();
        (flash, format!("{} {pending:?}", messages.len()))
    }
    async fn seed(
        mut session: Session,
        axum::extract::Query(query): axum::extract::Query<Map<String, Value>>,
    ) -> (Session, &'static str) {
        for (key, value) in query {
            let value: Value = serde_json::from_str(value.as_str().unwrap()).unwrap();
            session.insert(key, value).unwrap();
        }
        (session, "seeded")
    }
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    let config = common::config(codec);
    let layer = if manual {
        SessionLayer::manual(config)
    } else {
        SessionLayer::new(config)
    };
    Router::new()
        .route("/take", get(take))
        .route("/seed", get(seed))
        .route("/json", get(read))
        .layer(layer)
}

async fn a_typed_view_at_its_defaults_writes_nothing(codec: SessionType) {
    for manual in [false, true] {
        let mut client = Client::new(flash_app(codec, manual));
        let reply = client.get("/take").await;
        assert_eq!(reply.body, "0 None");
        assert_eq!(reply.set_cookie(), None, "no cookie, manual={manual}");
        client.get("/seed?other=1").await;
        let reply = client.get("/take").await;
        assert_eq!(reply.set_cookie(), None, "other data, manual={manual}");
        assert_eq!(client.get("/json").await.json(), json!({"other": 1}));
    }
}

async fn a_field_the_cookie_held_keeps_being_written(codec: SessionType) {
    for manual in [false, true] {
        let mut client = Client::new(flash_app(codec, manual));
        // `messages=["hi"]&pending="p"`, percent-encoded.
        client
            .get("/seed?messages=%5B%22hi%22%5D&pending=%22p%22")
            .await;
        let reply = client.get("/take").await;
        assert_eq!(reply.body, r#"1 Some("p")"#);
        assert!(reply.set_cookie().is_some(), "manual={manual}");
        assert_eq!(
            client.get("/json").await.json(),
            json!({"messages": [], "pending": null}),
            "manual={manual}"
        );
    }
}

/// A `from_fn` middleware that counts visits through the map, then calls
/// the handler, which reads the count: the handler sees this request's.
async fn a_middleware_change_is_seen_by_its_handler(codec: SessionType) {
    use axum::extract::Request;
    use axum::middleware::{from_fn, Next};
    use axum::response::Response;

    async fn count(mut session: Session, request: Request, next: Next) -> Response {
        let visits = session.get_as::<u64>("visits").unwrap_or(0);
        session.insert("visits", visits + 1).unwrap();
        next.run(request).await
    }
    async fn visits(session: Session) -> (Session, String) {
        let visits = session.get_as::<u64>("visits").unwrap_or(0);
        (session, visits.to_string())
    }
    for manual in [false, true] {
        let config = common::config(codec);
        let layer = if manual {
            SessionLayer::manual(config)
        } else {
            SessionLayer::new(config)
        };
        let app = Router::new()
            .route("/", get(visits))
            .layer(from_fn(count))
            .layer(layer);
        let mut client = Client::new(app);
        assert_eq!(client.get("/").await.body, "1", "manual={manual}");
        assert_eq!(client.get("/").await.body, "2", "manual={manual}");
    }
}

/// `a` and `b` are read before the handler runs: `b` sets a key, then `a`
/// sets it back to what `a` read, or removes a key only `b` stored. The
/// handler's last change wins.
async fn a_method_sees_what_another_view_changed(codec: SessionType) {
    async fn set_back(mut a: Session, mut b: Session) -> &'static str {
        b.insert("k", 2).unwrap();
        a.insert("k", 1).unwrap();
        b.insert("flash", "x").unwrap();
        assert_eq!(a.remove("flash"), Some(json!("x")));
        "done"
    }
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }
    async fn seed(mut session: Session) -> &'static str {
        session.insert("k", 1).unwrap();
        "seeded"
    }
    let app = Router::new()
        .route("/seed", get(seed))
        .route("/set-back", get(set_back))
        .route("/json", get(read))
        .layer(SessionLayer::new(common::config(codec)));
    let mut client = Client::new(app);
    client.get("/seed").await;
    client.get("/set-back").await;
    assert_eq!(client.get("/json").await.json(), json!({"k": 1}));
}

/// The one case a middleware must handle itself: a typed view changed
/// through `DerefMut` and still held across `next.run`. The handler does not
/// see the change (it is saved afterwards), and the crate says so.
#[test]
fn a_view_held_across_next_run_is_warned_about() {
    use axum::extract::Request;
    use axum::middleware::{from_fn, Next};
    use axum::response::Response;

    async fn count(mut cart: Session<Cart>, request: Request, next: Next) -> Response {
        cart.items.push("held".into());
        next.run(request).await
    }
    async fn items(cart: Session<Cart>) -> String {
        cart.items.len().to_string()
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/", get(items))
        .layer(from_fn(count))
        .layer(SessionLayer::new(common::config(SessionType::Jwt)));
    let mut client = Client::new(app);
    let logs = common::logs_of(tracing::Level::WARN, || {
        let reply = runtime.block_on(client.get("/"));
        assert_eq!(reply.body, "0", "the handler does not see the held change");
    });
    assert!(
        logs.contains("holds changes made through DerefMut"),
        "the held view is warned about: {logs}"
    );
    // Saved all the same, once the middleware dropped its view.
    assert_eq!(runtime.block_on(client.get("/")).body, "1");
}
