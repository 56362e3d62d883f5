//! A login flood against the demo as a real server process: the memory it
//! holds stays bounded, and it keeps answering other visitors.

mod demo_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use demo_support::{free_port, get, send_from, Demo, TempDir};

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
    let database = dir.path().join("users.db");
    let vars = [
        ("SESSION_SECRET_KEY", "a-secret-for-the-flood-test-only"),
        (
            "DATABASE_URL",
            database.to_str().expect("a UTF-8 temp path"),
        ),
    ];
    let demo = Demo::start("flood", free_port(), dir.path(), &vars);
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
