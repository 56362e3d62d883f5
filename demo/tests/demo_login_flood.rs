//! Login abuse against the demo as a real server process: failed logins
//! are throttled per user name and per client, and a flood from many
//! clients leaves its memory bounded and the site answering.

mod demo_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send_from, Demo, Reply, TempDir};

/// The throttle's limits (demo/src/throttle.rs): failures in a minute.
const USER_LIMIT: usize = 5;
const CLIENT_LIMIT: usize = 20;

/// A wrong password the server must never write down.
const WRONG: &str = "not-her-password-and-never-logged";

/// Starts a demo with a database of its own.
fn start(name: &str, dir: &TempDir) -> Demo {
    let database = dir.path().join("users.db");
    let vars = [
        (
            "SESSION_SECRET_KEY",
            "a-secret-for-the-login-abuse-tests-only",
        ),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    Demo::start(name, free_port(), dir.path(), &vars)
}

/// `POST /login` with `username` and `password`, from 127.0.0.`client`.
async fn log_in(demo: &Demo, client: u8, username: &str, password: &str) -> Reply {
    let from = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, client)));
    let form = format!("username={username}&password={password}");
    send_from(
        from,
        Method::POST,
        &demo.url("/login"),
        None,
        Some(&form),
        &[],
    )
    .await
}

/// A `429` with a `Retry-After` within the minute and the form saying to
/// wait.
fn assert_throttled(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{what}");
    let seconds: u64 = reply
        .headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After in {:?}", reply.headers));
    assert!((1..=60).contains(&seconds), "{what}: Retry-After {seconds}");
    let wait = format!("Please wait {seconds} seconds");
    assert!(reply.body.contains(&wait), "{what}: {}", reply.body);
    assert!(reply.body.contains("login-form"), "{what}: {}", reply.body);
}

#[cfg(target_os = "linux")] // 127.0.0.0/8
#[tokio::test]
async fn failed_logins_are_throttled_per_user_name_and_per_client() {
    let dir = TempDir::new("throttle");
    let demo = start("throttle", &dir);

    // Per user name: after five wrong passwords for alice, the next attempt
    // is refused before any check, the right password included, from any
    // client. Another name from the same client still logs in.
    for _ in 0..USER_LIMIT {
        let reply = log_in(&demo, 2, "alice", WRONG).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    for client in [2, 3] {
        let reply = log_in(&demo, client, "alice", "wonderland").await;
        assert_throttled(&reply, &format!("alice from 127.0.0.{client}"));
    }
    let bob = log_in(&demo, 2, "bob", "builder").await;
    assert_eq!(bob.status, StatusCode::SEE_OTHER, "{}", bob.body);

    // Per client: after twenty failures from one address, each for another
    // name, that address is refused whatever the name; another is not.
    for n in 0..CLIENT_LIMIT {
        let reply = log_in(&demo, 4, &format!("nobody-{n}"), WRONG).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_throttled(&log_in(&demo, 4, "bob", "builder").await, "127.0.0.4");
    let bob = log_in(&demo, 5, "bob", "builder").await;
    assert_eq!(bob.status, StatusCode::SEE_OTHER, "{}", bob.body);

    // A success forgets the name's failures: four, a login, then five more
    // are all checked; the sixth is refused.
    for _ in 0..USER_LIMIT - 1 {
        assert_eq!(
            log_in(&demo, 6, "bob", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let bob = log_in(&demo, 6, "bob", "builder").await;
    assert_eq!(bob.status, StatusCode::SEE_OTHER, "{}", bob.body);
    for _ in 0..USER_LIMIT {
        assert_eq!(
            log_in(&demo, 6, "bob", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_throttled(&log_in(&demo, 6, "bob", "builder").await, "bob again");

    // Failures are logged with the name and the client, never the password.
    let log = demo.output();
    assert!(
        log.contains(r#"login failed user="alice" client=127.0.0.2"#),
        "{log}"
    );
    assert!(!log.contains(WRONG), "the password is in the log:\n{log}");
}

/// Wrong-password logins in the flood, and how many are in flight at once.
const LOGINS: usize = 300;
const AT_ONCE: usize = 16;

/// What the demo may hold at its peak: its own share, plus the hashes in
/// flight (argon2 takes 19 MiB each, and a little besides). Without a bound
/// on hashing, this flood took it to 3.4 GB on 2 cores.
const OWN_KIB: u64 = 64 * 1024;
const PER_HASH_KIB: u64 = 24 * 1024;

/// The `n`th client of the flood: 127.1.x.y, never the 127.0.0.1 the test's
/// other requests come from.
fn flood_client(n: usize) -> IpAddr {
    let n = u16::try_from(n).expect("a small flood");
    let [high, low] = n.to_be_bytes();
    IpAddr::V4(Ipv4Addr::new(127, 1, high, low))
}

/// Sends the flood, `AT_ONCE` logins at a time, and returns their statuses.
///
/// Each login comes from a client of its own with a user name of its own,
/// as from a botnet: that is the flood no throttle on failures stops, since
/// no name and no address ever fails twice, so only the bound on hashing
/// can. (From one address with one name, the throttle would answer `429`
/// before hashing, and the test would say nothing about the bound.)
async fn flood(url: String) -> Vec<StatusCode> {
    let mut senders = tokio::task::JoinSet::new();
    for first in 0..AT_ONCE {
        let url = url.clone();
        senders.spawn(async move {
            let mut statuses = Vec::new();
            for n in (first..LOGINS).step_by(AT_ONCE) {
                let form = format!("username=flood-{n}&password=wrong");
                let from = Some(flood_client(n));
                let reply = send_from(from, Method::POST, &url, None, Some(&form), &[]).await;
                statuses.push(reply.status);
            }
            statuses
        });
    }
    senders.join_all().await.into_iter().flatten().collect()
}

#[cfg(target_os = "linux")] // 127.0.0.0/8 and /proc
#[tokio::test(flavor = "multi_thread")]
async fn a_login_flood_holds_bounded_memory_and_the_site_keeps_answering() {
    let dir = TempDir::new("flood");
    let demo = start("flood", &dir);
    let idle = demo.memory_kib("VmRSS");

    let flooding = tokio::spawn(flood(demo.url("/login")));
    // Another visitor is answered while the flood lasts: the hashes wait
    // for their turn, the rest of the site does not.
    let mut answered_during = 0;
    while !flooding.is_finished() {
        let home = tokio::time::timeout(Duration::from_secs(5), get(&demo.url("/"), None))
            .await
            .expect("GET / answers during the flood");
        assert_eq!(home.status, StatusCode::OK);
        answered_during += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let statuses = flooding.await.expect("the flood ran");

    // Each login waited its turn: all were checked, none was refused.
    assert_eq!(statuses.len(), LOGINS);
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(answered_during > 0, "the flood ended before any GET /");

    // At most one hash per core ran at once, and each gave its memory back.
    // With AT_ONCE cores or more, every login of the flood may hash at
    // once, and the bound is theirs.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let budget = OWN_KIB + PER_HASH_KIB * cores.min(AT_ONCE) as u64;
    let peak = demo.memory_kib("VmHWM");
    let after = demo.memory_kib("VmRSS");
    println!(
        "{LOGINS} wrong-password logins, {AT_ONCE} at a time, {cores} cores: \
         {idle} KiB idle, {peak} KiB at the peak, {after} KiB after \
         (budget {budget} KiB); GET / answered {answered_during} times during the flood"
    );
    assert!(peak < budget, "peak {peak} KiB over {budget} KiB");
    assert!(after < budget, "{after} KiB held after the flood");
}
