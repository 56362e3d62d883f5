//! Throttles failed logins, per user name and per client address.
//!
//! The policy, a sliding window: a user name with [`USER_LIMIT`] failed
//! logins in the last [`WINDOW`], or a client address with
//! [`CLIENT_LIMIT`], gets `429 Too Many Requests` before any password is
//! hashed, until the oldest of those failures is a window old. Sliding
//! rather than fixed, since a fixed window lets twice the limit through
//! around its edge.
//!
//! - Per user name: guessing one account's password, from however many
//!   addresses.
//! - Per address: one client trying a password against many names. Its
//!   limit is higher, as many people may share an address (an office, a
//!   NAT) and their typos add up. IPv6 clients count per /64, the block a
//!   single host is commonly given.
//!
//! An attempt counts as failed when it begins and is taken back if it
//! succeeds, so attempts sent at once cannot overrun a limit while their
//! hashes run. A success clears the user name's failures, not the
//! address's: an attacker with an account of their own would otherwise
//! reset their address between guesses.
//!
//! The counts live in this process's memory (instances behind a load
//! balancer count apart), for at most [`MAX_KEYS`] names and addresses.
//! The address is the client's as `client.rs` decides, the same the access
//! log writes: the connection's peer, so that behind a proxy every client is
//! the proxy, unless the session config trusts proxy headers
//! (`SESSION_TRUST_PROXY_HEADERS`), when it is the last `X-Forwarded-For`
//! entry, the one the proxy added. Untrusted, the header is ignored, since
//! any client can send it.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Failures in a [`WINDOW`] after which a user name is refused.
pub const USER_LIMIT: usize = 5;

/// Failures in a [`WINDOW`] after which a client address is refused.
pub const CLIENT_LIMIT: usize = 20;

/// The names and addresses counted at most. Only a hashed failure adds
/// one, and hashing is bounded (`hashing.rs`), so filling the map within a
/// window takes far more logins than the host can check; should it fill
/// anyway, the one whose last failure is oldest is forgotten first. Each
/// takes a few hundred bytes: a few MB in all.
const MAX_KEYS: usize = 20_000;

/// What failures are counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A user name, hashed with the throttle's random key: every key has
    /// the same small size however long the name, and nobody can pick two
    /// names that share a count.
    User(u64),
    /// A client's address (its /64 for IPv6).
    Client(IpAddr),
}

impl Key {
    fn limit(self) -> usize {
        match self {
            Key::User(_) => USER_LIMIT,
            Key::Client(_) => CLIENT_LIMIT,
        }
    }
}

/// The times of a key's recent failures, oldest first; never more than
/// its limit, since a refused attempt adds none.
type Failures = VecDeque<Instant>;

/// Failed logins per user name and per client; shared by every request.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    names: RandomState,
}

/// A login attempt let through, counted as failed unless
/// [`LoginThrottle::succeeded`] is told otherwise.
#[derive(Debug)]
#[must_use = "a successful login must be reported with `succeeded`"]
pub struct Attempt {
    user: Key,
    client: Key,
    at: Instant,
}

/// A refused attempt: how long until the next may be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled(Duration);

impl Throttled {
    /// The wait in whole seconds, rounded up, as `Retry-After` gives it.
    pub fn seconds(self) -> u64 {
        let Throttled(wait) = self;
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    }
}

impl LoginThrottle {
    /// Starts a login for `username` from `client`, or refuses it.
    pub fn begin(&self, username: &str, client: IpAddr) -> Result<Attempt, Throttled> {
        self.begin_at(username, client, Instant::now())
    }

    /// [`Self::begin`] at `now`.
    fn begin_at(&self, username: &str, client: IpAddr, now: Instant) -> Result<Attempt, Throttled> {
        let attempt = Attempt {
            user: Key::User(self.names.hash_one(username)),
            client: client_key(client),
            at: now,
        };
        let mut failures = self.lock();
        let keys = [attempt.user, attempt.client];
        if let Some(wait) = keys
            .iter()
            .filter_map(|key| wait(&mut failures, *key, now))
            .max()
        {
            return Err(Throttled(wait));
        }
        for key in keys {
            record(&mut failures, key, now);
        }
        Ok(attempt)
    }

    /// The attempt logged in: its user name's failures are forgotten, and
    /// its client's count no longer holds it.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut failures = self.lock();
        failures.remove(&attempt.user);
        if let Some(times) = failures.get_mut(&attempt.client) {
            if let Some(at) = times.iter().position(|at| *at == attempt.at) {
                times.remove(at);
            }
        }
    }

    /// The counts. A panic while they were held leaves at worst a count
    /// off by one, so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The client's address as counted: IPv4 (mapped too) as it is, IPv6 by
/// its /64.
fn client_key(client: IpAddr) -> Key {
    match client.to_canonical() {
        IpAddr::V6(v6) => Key::Client(IpAddr::V6(Ipv6Addr::from_bits(
            v6.to_bits() & (u128::MAX << 64),
        ))),
        v4 => Key::Client(v4),
    }
}

/// How long `key` must wait at `now`, if it is at its limit. Forgets its
/// failures older than a window on the way.
fn wait(failures: &mut HashMap<Key, Failures>, key: Key, now: Instant) -> Option<Duration> {
    let times = failures.get_mut(&key)?;
    while times
        .front()
        .is_some_and(|at| now.duration_since(*at) >= WINDOW)
    {
        times.pop_front();
    }
    if times.is_empty() {
        failures.remove(&key);
        return None;
    }
    let oldest_counted = times.len().checked_sub(key.limit())?;
    let free_at = times.get(oldest_counted)?.checked_add(WINDOW)?;
    Some(free_at.saturating_duration_since(now))
}

/// Counts a failure of `key` at `now`, making room for a new key if the
/// map is full.
fn record(failures: &mut HashMap<Key, Failures>, key: Key, now: Instant) {
    if !failures.contains_key(&key) && failures.len() >= MAX_KEYS {
        make_room(failures, now);
    }
    failures.entry(key).or_default().push_back(now);
}

/// Forgets every key whose last failure is a window old; if none is, the
/// key whose last failure is oldest.
fn make_room(failures: &mut HashMap<Key, Failures>, now: Instant) {
    let last = |times: &Failures| times.back().copied();
    failures.retain(|_, times| last(times).is_some_and(|at| now.duration_since(at) < WINDOW));
    if failures.len() < MAX_KEYS {
        return;
    }
    let stalest = failures
        .iter()
        .min_by_key(|(_, times)| last(times))
        .map(|(key, _)| *key);
    if let Some(key) = stalest {
        failures.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const ONE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const TWO: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// `n` failed attempts (never reported as succeeded), one a second.
    fn fail(throttle: &LoginThrottle, name: &str, from: IpAddr, start: Instant, n: u64) {
        for i in 0..n {
            let attempt = throttle.begin_at(name, from, start + secs(i));
            assert!(attempt.is_ok(), "attempt {i} of {name} refused");
        }
    }

    #[test]
    fn a_user_name_is_refused_after_its_limit_until_the_oldest_failure_ages() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        fail(&throttle, "alice", ONE, start, USER_LIMIT as u64);
        let refused = throttle.begin_at("alice", TWO, start + secs(10));
        assert_eq!(refused.unwrap_err(), Throttled(WINDOW - secs(10)));
        assert!(throttle.begin_at("bob", ONE, start + secs(10)).is_ok());
        // The window slides: one failure ages out, one attempt more.
        assert!(throttle.begin_at("alice", ONE, start + WINDOW).is_ok());
        let refused = throttle.begin_at("alice", ONE, start + WINDOW);
        assert_eq!(refused.unwrap_err(), Throttled(secs(1)));
    }

    #[test]
    fn a_client_is_refused_after_its_limit_whatever_the_name() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for n in 0..CLIENT_LIMIT {
            fail(&throttle, &format!("name-{n}"), ONE, start, 1);
        }
        assert!(throttle.begin_at("bob", ONE, start).is_err());
        assert!(throttle.begin_at("bob", TWO, start).is_ok());
    }

    #[test]
    fn a_success_clears_the_name_but_not_the_client() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        fail(&throttle, "bob", ONE, start, USER_LIMIT as u64 - 1);
        let login = throttle.begin_at("bob", ONE, start + secs(5));
        throttle.succeeded(login.expect("under the limit"));
        fail(&throttle, "bob", ONE, start + secs(6), USER_LIMIT as u64);
        assert!(throttle.begin_at("bob", ONE, start + secs(20)).is_err());
        // The client holds its 4 + 5 failures, not the success.
        let client = client_key(ONE);
        assert_eq!(throttle.lock()[&client].len(), 2 * USER_LIMIT - 1);
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let host: Ipv6Addr = "2001:db8:1:2::1".parse().expect("an address");
        let neighbour: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().expect("an address");
        let elsewhere: Ipv6Addr = "2001:db8:1:3::1".parse().expect("an address");
        assert_eq!(client_key(host.into()), client_key(neighbour.into()));
        assert_ne!(client_key(host.into()), client_key(elsewhere.into()));
        let mapped = Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped();
        assert_eq!(client_key(mapped.into()), client_key(ONE));
    }

    #[test]
    fn the_map_never_holds_more_than_its_cap() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        // Each failure counts against a name and an address of its own.
        for n in 0..(MAX_KEYS / 2) as u32 {
            let from = IpAddr::V4(Ipv4Addr::from_bits(n));
            fail(&throttle, &format!("name-{n}"), from, start, 1);
        }
        assert_eq!(throttle.lock().len(), MAX_KEYS);
        // Nothing is a window old: the stalest go, the newest stay.
        fail(&throttle, "alice", ONE, start + secs(1), 1);
        assert_eq!(throttle.lock().len(), MAX_KEYS);
        assert!(throttle.lock().contains_key(&client_key(ONE)));
        // A window later, every old one goes at the next new key.
        fail(&throttle, "bob", TWO, start + WINDOW, 1);
        assert_eq!(throttle.lock().len(), 4);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(Throttled(secs(3)).seconds(), 3);
        assert_eq!(Throttled(Duration::from_millis(2001)).seconds(), 3);
        assert_eq!(Throttled(Duration::from_millis(1)).seconds(), 1);
    }
}
