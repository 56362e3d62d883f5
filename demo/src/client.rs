//! Who the client is: the one address the access log writes and the login
//! throttle counts by, decided by one rule.
//!
//! The client is the connection's peer (the demo is served with
//! `into_make_service_with_connect_info::<SocketAddr>()`), unless the
//! session config trusts the reverse proxy's headers
//! ([`SessionConfig::trust_proxy_headers`], `SESSION_TRUST_PROXY_HEADERS`):
//! then it is the address the proxy says it was connected from, the last
//! entry of `X-Forwarded-For`, else the last `for=` of `Forwarded`.
//!
//! The last entry, not the first: a proxy appends the address it was
//! connected from to whatever the client sent (nginx's
//! `$proxy_add_x_forwarded_for`), so every entry before the last may be the
//! client's own invention, and a throttle counting by the first would count
//! whatever name a client gives itself. Behind a chain of proxies the last
//! entry is the proxy before the last one, and every client counts as that
//! proxy, which is safe if coarse. A header that is missing, or whose last
//! entry is not an address (`unknown`, an obfuscated `_name`), leaves the
//! peer's address. Without trust, both headers are ignored: anyone can send
//! them to a server reached directly.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::FORWARDED;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, StatusCode};
use axum_cookie_session::SessionConfig;

/// The de facto header for the client's address.
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's address by the demo's rule (see the module docs): `None`
/// only when the app is served without its peers' addresses.
pub fn address(
    headers: &HeaderMap,
    extensions: &Extensions,
    config: &SessionConfig,
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let forwarded = || forwarded_for(headers);
    if config.trust_proxy_headers() {
        forwarded().or(peer)
    } else {
        peer
    }
}

/// The client's address, for handlers: [`address`] of the request. Without
/// the peers' addresses it is a `500` naming the fix, as axum's own
/// `ConnectInfo` is.
#[derive(Clone, Copy, Debug)]
pub struct Client(pub IpAddr);

impl<S> FromRequestParts<S> for Client
where
    SessionConfig: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let config = SessionConfig::from_ref(state);
        match address(&parts.headers, &parts.extensions, &config) {
            Some(client) => Ok(Self(client)),
            None => Err((StatusCode::INTERNAL_SERVER_ERROR, NO_PEER)),
        }
    }
}

/// The `500` body when the server does not say who its peers are.
const NO_PEER: &str = "Internal Server Error: no client address: serve the app with \
    into_make_service_with_connect_info::<SocketAddr>()";

/// The address the nearest proxy says it was connected from: the last
/// entry of `X-Forwarded-For` if the request has the header, else the last
/// `for=` of `Forwarded`. Several lines of a header are one list, in order.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    if let Some(last) = last_entry(headers, &X_FORWARDED_FOR) {
        return node(last);
    }
    let element = last_entry(headers, &FORWARDED)?;
    let value = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value)
    })?;
    node(value)
}

/// The last non-empty entry of a comma-separated header, over all its
/// lines; `""`, which is no address, if a line is not text, since the
/// proxy's entry may be in it.
fn last_entry<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let mut last = None;
    for value in headers.get_all(name) {
        let Ok(text) = value.to_str() else {
            return Some("");
        };
        let mut entries = text.rsplit(',').map(str::trim);
        if let Some(entry) = entries.find(|entry| !entry.is_empty()) {
            last = Some(entry);
        }
    }
    last
}

/// A node as the headers write one: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not. Anything else
/// (`unknown`, `_hidden`) is no address.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|text| text.strip_suffix('"'))
        .unwrap_or(text);
    if let Some(bracketed) = text.strip_prefix('[') {
        let (ip, _port) = bracketed.split_once(']')?;
        return ip.parse().ok();
    }
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PEER: ([u8; 4], u16) = ([10, 0, 0, 1], 50_000);

    fn config(trust: bool) -> SessionConfig {
        SessionConfig::builder()
            .secret_key("a-secret-for-the-client-address-tests")
            .trust_proxy_headers(trust)
            .build()
            .expect("a valid config")
    }

    /// The client of a request from [`PEER`] with these headers.
    fn client(trust: bool, headers: &[(&str, &str)]) -> Option<IpAddr> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            map.append(name, HeaderValue::from_str(value).expect("a header value"));
        }
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(PEER)));
        address(&map, &extensions, &config(trust))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("an address"))
    }

    #[test]
    fn without_trust_the_peer_whatever_the_headers() {
        assert_eq!(client(false, &[]), ip("10.0.0.1"));
        let forwarded = [
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=198.51.100.2"),
        ];
        assert_eq!(client(false, &forwarded), ip("10.0.0.1"));
    }

    #[test]
    fn with_trust_the_last_forwarded_entry() {
        assert_eq!(client(true, &[]), ip("10.0.0.1"), "no header: the peer");
        let xff = [("x-forwarded-for", "203.0.113.7")];
        assert_eq!(client(true, &xff), ip("203.0.113.7"));
        // What the client sent comes first; the proxy appends what it saw.
        let appended = [("x-forwarded-for", "198.51.100.66, 203.0.113.7")];
        assert_eq!(client(true, &appended), ip("203.0.113.7"));
        let lines = [
            ("x-forwarded-for", "198.51.100.66"),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(client(true, &lines), ip("203.0.113.7"));
        // X-Forwarded-For first, then Forwarded.
        let both = [
            ("forwarded", "for=198.51.100.2"),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(client(true, &both), ip("203.0.113.7"));
        let forwarded = [(
            "forwarded",
            r#"for=198.51.100.66;proto=https, For="[2001:db8:cafe::17]:4711";by=10.0.0.1"#,
        )];
        assert_eq!(client(true, &forwarded), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn entries_with_ports_and_entries_that_are_no_address() {
        let port = [("x-forwarded-for", "203.0.113.7:4711")];
        assert_eq!(client(true, &port), ip("203.0.113.7"));
        let v6 = [("x-forwarded-for", "2001:db8::1")];
        assert_eq!(client(true, &v6), ip("2001:db8::1"));
        for hidden in ["unknown", "_proxy", "not an address", "[2001:db8::1"] {
            let xff = [("x-forwarded-for", hidden)];
            assert_eq!(client(true, &xff), ip("10.0.0.1"), "{hidden}");
        }
        let mut map = HeaderMap::new();
        map.append(&X_FORWARDED_FOR, HeaderValue::from_static("203.0.113.7"));
        let opaque = HeaderValue::from_bytes(b"203.0.113.8, \xff").expect("a header value");
        map.append(&X_FORWARDED_FOR, opaque);
        assert_eq!(forwarded_for(&map), None, "a line that is not text");
        let unknown = [("forwarded", "for=unknown")];
        assert_eq!(client(true, &unknown), ip("10.0.0.1"));
        let no_for = [("forwarded", "proto=https;host=example.com")];
        assert_eq!(client(true, &no_for), ip("10.0.0.1"));
    }

    #[test]
    fn no_peer_without_connect_info() {
        let config = config(false);
        let none = address(&HeaderMap::new(), &Extensions::new(), &config);
        assert_eq!(none, None);
    }
}
