//! A key rotation changes no session's issue time, lifetime or login, with
//! or without an auth digest, in auto and in manual mode, for every signing
//! codec: the re-issued cookie keeps its issue time and its remaining
//! `Max-Age`, and carries a digest under the new key, so the old key can be
//! dropped without logging anyone out.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::routing::get;
use axum::Router;
use axum_cookie_session::{
    CurrentUser, SaveError, Session, SessionConfig, SessionLayer, SessionType, UserLoader,
};
use common::users::{User, Users};
use common::{Client, SECRET};

const OLD: &str = "an-older-secret-of-this-app-0123";
const START: u64 = 1_700_000_000;
const DAY: u64 = 24 * 3600;
const REMEMBER: u64 = 30 * DAY;

fn users() -> Users {
    Users::with(1, "hash-1")
}

/// Configs at one shared test clock.
#[derive(Clone)]
struct Site {
    codec: SessionType,
    clock: Arc<AtomicU64>,
}

impl Site {
    fn new(codec: SessionType) -> Self {
        Self {
            codec,
            clock: Arc::new(AtomicU64::new(START)),
        }
    }

    fn later(&self, seconds: u64) {
        self.clock.fetch_add(seconds, Ordering::Relaxed);
    }

    fn config(&self, secret: &str, fallback: &[&str], require_digest: bool) -> SessionConfig {
        let clock = Arc::clone(&self.clock);
        SessionConfig::builder()
            .session_type(self.codec)
            .secret_key(secret)
            .fallback_keys(fallback.iter().copied())
            .lifetime(Duration::from_secs(DAY))
            .require_auth_hash(require_digest)
            .clock(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::Relaxed)))
            .build()
            .unwrap()
            .with_user_loader(users())
    }

    /// `/login` (remembered, with a digest) and `/plain-login` (no digest,
    /// as muffin-session logs in) in auto mode; `/me` and `/issued` in
    /// `manual` mode or not, `/me` returning the session in manual mode.
    fn app(&self, secret: &str, fallback: &[&str], manual: bool) -> Router {
        self.app_requiring(secret, fallback, manual, false)
    }

    fn app_requiring(
        &self,
        secret: &str,
        fallback: &[&str],
        manual: bool,
        require: bool,
    ) -> Router {
        let config = self.config(secret, fallback, require);
        let login = |mut session: Session| async move {
            let user = users().load_user(1).await.unwrap().unwrap();
            session.end();
            session.login_user(user.id, &user)?;
            session.set_lifetime(Some(Duration::from_secs(REMEMBER)));
            Ok::<_, SaveError>("logged in")
        };
        let plain_login = |mut session: Session| async move {
            session.login(1)?;
            Ok::<_, SaveError>("logged in")
        };
        let issued = |session: Session| async move {
            let info = session.cookie_info();
            let at = info.and_then(|info| info.issued_at);
            let seconds = at.map(|at| at.duration_since(UNIX_EPOCH).unwrap().as_secs());
            format!("{seconds:?}")
        };
        let logins = Router::new()
            .route("/login", get(login))
            .route("/plain-login", get(plain_login))
            .layer(SessionLayer::new(config.clone()));
        let pages = if manual {
            let me = |user: Option<CurrentUser<User>>, session: Session| async move {
                let who = user.map_or("anonymous".to_owned(), |CurrentUser(u)| {
                    format!("user {}", u.id)
                });
                (session, who)
            };
            Router::new()
                .route("/me", get(me))
                .route("/issued", get(issued))
                .layer(SessionLayer::manual(config))
        } else {
            let me = |user: Option<CurrentUser<User>>| async move {
                user.map_or("anonymous".to_owned(), |CurrentUser(u)| {
                    format!("user {}", u.id)
                })
            };
            Router::new()
                .route("/me", get(me))
                .route("/issued", get(issued))
                .layer(SessionLayer::new(config))
        };
        logins.merge(pages)
    }
}

fn max_age(set_cookie: &str) -> Option<u64> {
    let attribute = set_cookie
        .split("; ")
        .find(|part| part.starts_with("Max-Age="))?;
    attribute["Max-Age=".len()..].parse().ok()
}

/// A remembered login with a digest, the key rotated, the old key dropped.
async fn rotation_keeps_a_remembered_login(codec: SessionType, manual: bool) {
    let site = Site::new(codec);
    let mut client = Client::new(site.app(OLD, &[], manual));
    client.get("/login").await;
    site.later(600);
    client.app = site.app(SECRET, &[OLD], manual);
    let reply = client.get("/me").await;
    assert_eq!(reply.body, "user 1");
    let set_cookie = reply.set_cookie().expect("re-issued under the new key");
    // The issue time and the lifetime are kept: the cookie lives on for
    // what was left of its 30 days, not 30 days more.
    assert_eq!(max_age(set_cookie), Some(REMEMBER - 600), "{set_cookie}");
    client.app = site.app(SECRET, &[], manual);
    assert_eq!(client.get("/issued").await.body, format!("Some({START})"));
    // The digest was renewed under the new key: the old key can go.
    assert_eq!(client.get("/me").await.body, "user 1");
}

async fn auto_mode_rotation_keeps_a_remembered_login(codec: SessionType) {
    rotation_keeps_a_remembered_login(codec, false).await;
}

async fn manual_mode_rotation_keeps_a_remembered_login(codec: SessionType) {
    rotation_keeps_a_remembered_login(codec, true).await;
}

/// A login without a digest gets one when its user is loaded, without a new
/// issue time, in manual mode too when the handler returns the session.
async fn a_login_without_a_digest_is_stamped(codec: SessionType, manual: bool) {
    let site = Site::new(codec);
    let mut client = Client::new(site.app(SECRET, &[], manual));
    client.get("/plain-login").await;
    site.later(60);
    let reply = client.get("/me").await;
    assert_eq!(reply.body, "user 1");
    assert!(reply.set_cookie().is_some(), "the digest is stamped");
    assert_eq!(client.get("/issued").await.body, format!("Some({START})"));
    client.app = site.app_requiring(SECRET, &[], manual, true);
    assert_eq!(client.get("/me").await.body, "user 1");
}

async fn auto_mode_stamps_a_login_without_a_digest(codec: SessionType) {
    a_login_without_a_digest_is_stamped(codec, false).await;
}

async fn manual_mode_stamps_a_login_without_a_digest(codec: SessionType) {
    a_login_without_a_digest_is_stamped(codec, true).await;
}

/// A login that came under the old key is not re-signed by a request that
/// never loads its user: its digest could only be renewed with the user.
async fn a_login_is_not_resigned_without_its_user(codec: SessionType) {
    for manual in [false, true] {
        let site = Site::new(codec);
        let mut client = Client::new(site.app(OLD, &[], manual));
        client.get("/login").await;
        client.app = site.app(SECRET, &[OLD], manual);
        let reply = client.get("/issued").await;
        assert!(reply.set_cookie().is_none(), "{codec} manual={manual}");
        assert_eq!(client.get("/me").await.body, "user 1");
        client.app = site.app(SECRET, &[], manual);
        assert_eq!(client.get("/me").await.body, "user 1");
    }
}

/// A login muffin-session minted under the old key carries no issue time:
/// renewing its digest does not re-issue it with a fresh one while a
/// lifetime is set, or it would outlive the old key. (Fernet tokens always
/// carry their own time.)
#[tokio::test]
async fn an_old_key_login_without_an_issue_time_gets_no_fresh_one() {
    // As muffin-session mints it: no issue time.
    let muffin = SessionConfig::builder()
        .session_type(SessionType::Jwt)
        .secret_key(OLD)
        .unlimited_lifetime()
        .build()
        .unwrap();
    let token = common::encode(&muffin, serde_json::json!({"id": 1}));
    for manual in [false, true] {
        let site = Site::new(SessionType::Jwt);
        let mut client = Client::new(site.app(SECRET, &[OLD], manual));
        client.jar.insert("session".to_owned(), token.clone());
        let reply = client.get("/me").await;
        assert_eq!(reply.body, "user 1");
        assert!(reply.set_cookie().is_none(), "manual={manual}");
    }
}

codec_tests!(
    keyed:
    auto_mode_rotation_keeps_a_remembered_login,
    manual_mode_rotation_keeps_a_remembered_login,
    auto_mode_stamps_a_login_without_a_digest,
    manual_mode_stamps_a_login_without_a_digest,
    a_login_is_not_resigned_without_its_user,
);

/// Two instances behind one load balancer, a user's requests alternating
/// between them, a key rotation rolled out instance by instance. The
/// two-phase rollout README gives (the new key added as a fallback key
/// everywhere first, then promoted instance by instance) never answers the
/// user as anonymous, at any phase; promoting it on one instance at once
/// does, which is why the first phase is there.
async fn a_rolling_rotation_in_two_phases_drops_no_one(codec: SessionType) {
    const NEW: &str = "the-next-secret-of-this-app-4567";
    let site = Site::new(codec);
    let instance = |secret: &str, fallback: &[&str]| site.app(secret, fallback, false);
    // Each phase: the keys of instance A, then of instance B.
    type Keys<'a> = (&'a str, &'a [&'a str]);
    let phases: [(&str, [Keys<'_>; 2]); 5] = [
        ("before", [(OLD, &[]), (OLD, &[])]),
        ("1: A accepts the new key", [(OLD, &[NEW]), (OLD, &[])]),
        ("1: both accept it", [(OLD, &[NEW]), (OLD, &[NEW])]),
        ("2: A signs with it", [(NEW, &[OLD]), (OLD, &[NEW])]),
        ("2: both sign with it", [(NEW, &[OLD]), (NEW, &[OLD])]),
    ];
    let mut client = Client::new(instance(OLD, &[]));
    client.get("/login").await;
    for (phase, [a, b]) in phases {
        let instances = [instance(a.0, a.1), instance(b.0, b.1)];
        for round in 0..3 {
            for (name, app) in ["A", "B"].iter().zip(&instances) {
                client.app = app.clone();
                let reply = client.get("/me").await;
                assert_eq!(
                    reply.body, "user 1",
                    "{codec}, {phase}, round {round}, {name}"
                );
                site.later(60);
            }
        }
    }
    // Every cookie is now under the new key: the old one can go.
    client.app = instance(NEW, &[]);
    assert_eq!(
        client.get("/me").await.body,
        "user 1",
        "{codec}, old key dropped"
    );

    // Promoting the new key on one instance before the other accepts it:
    // the other cannot read what the first re-issues.
    let mut client = Client::new(instance(OLD, &[]));
    client.get("/login").await;
    let instances = [instance(NEW, &[OLD]), instance(OLD, &[])];
    let mut answers = Vec::new();
    for app in &instances {
        client.app = app.clone();
        answers.push(client.get("/me").await.body);
    }
    assert_eq!(
        answers,
        ["user 1", "anonymous"],
        "{codec}: one phase drops the user"
    );
}

codec_tests!(keyed: a_rolling_rotation_in_two_phases_drops_no_one);
