//! The cookie is decoded at most once per request, however many extractors
//! read the session, and not at all when nothing does. Counted through the
//! crate's trace event, in a test binary of its own: tracing caches callsite
//! interest process-wide, so other tests running in parallel would race it.

mod common;

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{Session, SessionLayer};
use common::get as send_get;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cart {
    #[serde(default)]
    items: Vec<String>,
}

/// Counts the crate's "session cookie decoded" events.
mod decode_counter {
    use std::fmt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub(crate) struct Decodes(pub Arc<AtomicUsize>);

    impl Decodes {
        pub(crate) fn take(&self) -> usize {
            self.0.swap(0, Ordering::SeqCst)
        }
    }

    struct Message(String);

    impl Visit for Message {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            if field.name() == "message" {
                self.0 = format!("{value:?}");
            }
        }
    }

    impl Subscriber for Decodes {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut message = Message(String::new());
            event.record(&mut message);
            if message.0 == "session cookie decoded" {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[tokio::test]
async fn the_cookie_is_decoded_once_per_request_and_only_if_read() {
    async fn three(a: Session, b: Session<Cart>, c: Session) -> String {
        format!("{} {} {}", a.len(), b.items.len(), c.len())
    }
    let decodes = decode_counter::Decodes::default();
    let _guard = tracing::subscriber::set_default(decodes.clone());
    for codec in common::codecs() {
        let config = common::config(codec);
        let cookie = format!(
            "session={}",
            common::encode(&config, json!({"items": ["a"]}))
        );
        let routes = Router::new()
            .route("/three", get(three))
            .route("/none", get(|| async { "none" }));
        let manual = routes.clone().layer(SessionLayer::manual(config.clone()));
        let auto = routes.layer(SessionLayer::new(config.clone()));
        for app in [manual, auto] {
            let reply = send_get(&app, "/three", Some(&cookie)).await;
            assert_eq!(reply.body, "1 1 1");
            assert_eq!(
                decodes.take(),
                1,
                "{codec}: one decode for three extractors"
            );

            let reply = send_get(&app, "/none", Some(&cookie)).await;
            assert_eq!(reply.body, "none");
            assert_eq!(decodes.take(), 0, "{codec}: no decode when nothing reads");
            assert!(reply.headers.get("vary").is_none());
        }
    }
}
