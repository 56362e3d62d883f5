//! Whole requests through an axum `Router` (`oneshot`, in process, no
//! sockets), with the crate and with its peers doing the same work, in the
//! same run (see `support/apps.rs`):
//!
//! - `bare`: a handler without any session layer; `noop_layer`: the same
//!   behind a layer that does nothing (what axum charges for any layer);
//! - `untouched`: behind `SessionLayer`, a handler that never asks for the session;
//!   `untouched_outer`: the same with the layer wrapped around the whole Router
//!   instead of added by `Router::layer`;
//! - `read_{codec}`: reads one value; `write_{codec}`: reads and bumps a counter;
//! - `user_jwt`: reads the session and the `CurrentUser` (in-memory loader);
//!   `user_revocable_jwt`: the same with a loader giving a `session_auth_hash`,
//!   so each load of the user checks the session's digest;
//! - `many_cookies_bare`, `many_cookies_read_jwt`: `bare` and `read_jwt` with
//!   40 000 more cookies after the session's in the `Cookie` header;
//! - `tower_sessions`: tower-sessions with its `MemoryStore`, reading and bumping the counter;
//! - `private_jar` / `signed_jar`: axum-extra's `PrivateCookieJar` / `SignedCookieJar`
//!   holding the same JSON session, reading and bumping the counter;
//! - `typed_read_jwt`, `typed_write_{codec}`: the same through the typed view
//!   `Session<BenchSession>`, a struct naming every key of the payloads;
//! - `floor_read_jwt`, `floor_write_{codec}`: the least that typed work costs,
//!   a hand-written handler without the crate (find the cookie, verify or
//!   decrypt, parse the struct; for a write bump, serialize, sign or encrypt,
//!   one `Set-Cookie`), reading and writing the crate's own cookies;
//! - `tower_sessions_typed`, `tower_sessions_typed_read`, `private_jar_typed`,
//!   `signed_jar_typed`: the peers doing the same typed work.
//!
//! Run with `cargo bench --bench requests`; the ratio table is printed at the end.

mod support;

use std::hint::black_box;

use criterion::Criterion;
use http::header::SET_COOKIE;
use http::StatusCode;

use support::apps::{request, scenarios, Scenario};

/// Benches one scenario, after checking it answers 200 and (for writers)
/// sets a cookie, so a broken setup cannot pass as a fast one.
fn bench(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    scenario: &Scenario,
) {
    let Scenario {
        name,
        app,
        cookie,
        writes,
    } = scenario;
    let response = request(app, Some(cookie));
    assert_eq!(response.status(), StatusCode::OK, "{name}");
    assert_eq!(
        response.headers().contains_key(SET_COOKIE),
        *writes,
        "{name}"
    );
    group.bench_function(*name, |b| b.iter(|| request(black_box(app), Some(cookie))));
}

/// The targets, and one beside them: (what, numerator row,
/// denominator row, the most the ratio may be). The typed rows are held to
/// their hand-written floor (what the crate's tracking, expiry and headers
/// may add) and to the peers doing the same typed work.
const TARGETS: [(&str, &str, &str, f64); 16] = [
    ("untouched / bare", "untouched", "bare", 1.05),
    (
        "untouched, layer around the Router / bare",
        "untouched_outer",
        "bare",
        1.05,
    ),
    ("untouched / no-op layer", "untouched", "noop_layer", 1.05),
    ("read / write (jwt)", "read_jwt", "write_jwt", 0.7),
    (
        "user with revocation / user (jwt)",
        "user_revocable_jwt",
        "user_jwt",
        1.1,
    ),
    (
        "read with 40 000 cookies / bare with them",
        "many_cookies_read_jwt",
        "many_cookies_bare",
        1.5,
    ),
    (
        "write jwt / tower-sessions",
        "write_jwt",
        "tower_sessions",
        1.0,
    ),
    (
        "write fernet / PrivateCookieJar",
        "write_fernet",
        "private_jar",
        0.6,
    ),
    (
        "write jwt / SignedCookieJar",
        "write_jwt",
        "signed_jar",
        1.0,
    ),
    (
        "typed write jwt / floor",
        "typed_write_jwt",
        "floor_write_jwt",
        1.2,
    ),
    (
        "typed write fernet / floor",
        "typed_write_fernet",
        "floor_write_fernet",
        1.2,
    ),
    (
        "typed read jwt / floor",
        "typed_read_jwt",
        "floor_read_jwt",
        1.2,
    ),
    (
        "typed write jwt / SignedCookieJar typed",
        "typed_write_jwt",
        "signed_jar_typed",
        0.9,
    ),
    (
        "typed write fernet / PrivateCookieJar typed",
        "typed_write_fernet",
        "private_jar_typed",
        0.9,
    ),
    (
        "typed write jwt / tower-sessions typed",
        "typed_write_jwt",
        "tower_sessions_typed",
        0.7,
    ),
    (
        "typed read jwt / tower-sessions typed read",
        "typed_read_jwt",
        "tower_sessions_typed_read",
        0.8,
    ),
];

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for (name, payload) in support::payloads() {
        let mut group = c.benchmark_group(format!("request-{name}"));
        for scenario in scenarios(&payload) {
            bench(&mut group, &scenario);
        }
        group.finish();
    }
    c.final_summary();

    let mut report = support::Report::new("requests");
    for (name, payload) in support::payloads() {
        let scenarios = scenarios(&payload);
        let routines = scenarios
            .iter()
            .map(
                |Scenario {
                     name, app, cookie, ..
                 }| {
                    let routine: Box<dyn FnMut() + '_> =
                        Box::new(move || drop(black_box(request(app, Some(cookie)))));
                    ((*name).to_owned(), routine)
                },
            )
            .collect();
        report.measure(&format!("request-{name}"), &payload, routines);
    }
    report.targets_header();
    for (name, _) in support::payloads() {
        let group = format!("request-{name}");
        for (what, numerator, denominator, limit) in TARGETS {
            report.target(
                &format!("{name}: {what}"),
                &[&support::id(&group, numerator)],
                &[&support::id(&group, denominator)],
                limit,
            );
        }
    }
    report.finish();
}
