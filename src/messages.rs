//! [`Messages`]: one-time messages ("flash" messages) kept in the session,
//! set in one request and shown once in a later one.

use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::error::SessionRejection;
use crate::session::Session;

/// The session key that holds the pending [`Message`]s.
pub const MESSAGES_KEY: &str = "_messages";

/// The most messages kept waiting: older ones are dropped first, so that a
/// session nobody reads messages from cannot outgrow its cookie.
pub const MAX_MESSAGES: usize = 16;

/// How a message should look, as Django's messages and axum-messages have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something to know.
    Info,
    /// Something went well.
    Success,
    /// Something to watch.
    Warning,
    /// Something failed.
    Error,
}

impl Level {
    /// The level's name in lower case (`"info"`...), handy as a CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Success => "success",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A one-time message: its level and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// How it should look.
    pub level: Level,
    /// What it says (plain text: escape it in HTML).
    pub text: String,
}

/// One-time messages: set in one request, read exactly once in a later one,
/// so a message survives the redirect after a form post ("Welcome back,
/// Ada." after a login). Behind [`SessionLayer`](crate::SessionLayer).
///
/// [`info`](Self::info), [`success`](Self::success),
/// [`warning`](Self::warning) and [`error`](Self::error) add a message for a
/// later request; [`take`](Self::take) (or iterating the extractor) gives
/// the messages set before this request and removes them from the session.
/// Messages set in this request wait for the next one, as in axum-messages.
/// A session without messages gets no cookie from them: extracting
/// `Messages` and finding none changes nothing.
///
/// [`Session::end`] and [`Session::clear`] forget waiting messages with
/// the rest of the session: at login, add the welcome after `end()`.
///
/// They live in the session's cookie under [`MESSAGES_KEY`], so the visitor
/// can read them (with the `jwt` and `base64` codecs): put nothing there the
/// visitor may not see. At most [`MAX_MESSAGES`] wait at a time.
///
/// ```
/// use axum::response::{Html, Redirect};
/// use axum::{routing::{get, post}, Router};
/// use axum_cookie_session::{Messages, SessionLayer};
///
/// async fn log_in(mut messages: Messages) -> Redirect {
///     // ... check the password, log the user in ...
///     messages.success("Welcome back, Ada.");
///     Redirect::to("/")
/// }
///
/// async fn home(messages: Messages) -> Html<String> {
///     let notices: String = messages
///         .into_iter()
///         .map(|message| format!("<p class=\"{}\">{}</p>", message.level, message.text))
///         .collect(); // escape `text` in a real page
///     Html(notices)
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(home))
///     .route("/login", post(log_in));
/// # let _ = app;
/// ```
///
/// In manual mode ([`SessionLayer::manual`](crate::SessionLayer::manual)),
/// return a [`Session`] from the handler that sets or takes messages, as
/// for any other change.
pub struct Messages {
    session: Session,
    /// The messages set before this request, until taken.
    incoming: Vec<Message>,
}

impl Messages {
    /// Adds a message of `level` for a later request.
    pub fn push(&mut self, level: Level, text: impl Into<String>) -> &mut Self {
        let mut waiting = self.waiting();
        waiting.push(Message {
            level,
            text: text.into(),
        });
        let excess = waiting.len().saturating_sub(MAX_MESSAGES);
        waiting.drain(..excess);
        self.store(&waiting);
        self
    }

    /// Adds an [`Info`](Level::Info) message for a later request.
    pub fn info(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Level::Info, text)
    }

    /// Adds a [`Success`](Level::Success) message for a later request.
    pub fn success(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Level::Success, text)
    }

    /// Adds a [`Warning`](Level::Warning) message for a later request.
    pub fn warning(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Level::Warning, text)
    }

    /// Adds an [`Error`](Level::Error) message for a later request.
    pub fn error(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Level::Error, text)
    }

    /// The messages set before this request, oldest first, removed from the
    /// session: they are shown once. Empty after the first call.
    pub fn take(&mut self) -> Vec<Message> {
        let taken = std::mem::take(&mut self.incoming);
        if !taken.is_empty() {
            // Messages added since were appended after the incoming ones,
            // unless the session was ended or cleared in between: then the
            // incoming ones are gone already, and what waits is newer.
            let mut waiting = self.waiting();
            if waiting.starts_with(&taken) {
                waiting.drain(..taken.len());
                self.store(&waiting);
            }
        }
        taken
    }

    /// Whether messages set before this request are waiting to be taken.
    pub fn is_empty(&self) -> bool {
        self.incoming.is_empty()
    }

    /// The messages waiting in the session now: read again if another
    /// view changed the session since (a `session.end()` before a
    /// message at logout drops the older ones).
    fn waiting(&mut self) -> Vec<Message> {
        self.session.refresh();
        self.session
            .get(MESSAGES_KEY)
            .map(|value| {
                Vec::<Message>::deserialize(value).unwrap_or_else(|_| {
                    tracing::debug!("session messages are not a list of messages: dropped");
                    Vec::new()
                })
            })
            .unwrap_or_default()
    }

    /// Stores `waiting`, or removes the key when nothing waits.
    fn store(&mut self, waiting: &[Message]) {
        if waiting.is_empty() {
            self.session.remove(MESSAGES_KEY);
        } else if let Err(err) = self.session.insert(MESSAGES_KEY, waiting) {
            // A list of strings always serializes, and the key is not
            // reserved: this would be a bug, so it is loud.
            tracing::error!(error = %err, "session messages not stored");
        }
    }
}

impl IntoIterator for Messages {
    type Item = Message;
    type IntoIter = std::vec::IntoIter<Message>;

    /// The messages set before this request, [taken](Messages::take).
    fn into_iter(mut self) -> Self::IntoIter {
        self.take().into_iter()
    }
}

impl fmt::Debug for Messages {
    /// Shows how many wait, not what they say.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("incoming", &self.incoming.len())
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Messages {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let mut messages = Self {
            session,
            incoming: Vec::new(),
        };
        messages.incoming = messages.waiting();
        Ok(messages)
    }
}
