//! Where a request came from, by its `Sec-Fetch-Site` and `Origin`
//! headers. This file imports nothing else of the crate: the config parses
//! trusted origins with it, and the cross-origin check judges requests with
//! it.
//!
//! Origins and hosts are parsed here by hand rather than with
//! [`http::Uri`], which accepts spellings no browser sends (`:+80`,
//! `:080`, a fragment): the check must compare exactly what browsers send.

use std::fmt;

use http::header::{FORWARDED, HOST, ORIGIN};
use http::{HeaderMap, HeaderName, Uri};

/// The header of the Fetch Metadata request that says where it came from.
pub(crate) const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The proxy header that names the host the client asked for.
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// What a request's headers say about where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This origin, a trusted one, or the user's own navigation.
    SameOrigin,
    /// Neither `Sec-Fetch-Site` nor `Origin`: not a current browser.
    NoHeaders,
    /// Another site, and why (for the log).
    CrossSite(&'static str),
}

/// How a request is judged: the origins trusted besides the request's own
/// host, and whether the host the client asked for is read from proxy
/// headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Judge {
    /// The site's public origins behind a proxy, and other trusted sites.
    pub(crate) trusted: Vec<Origin>,
    /// Read `X-Forwarded-Host` (else `Forwarded: host=`) before `Host`.
    pub(crate) forwarded_host: bool,
}

/// An origin as compared: lower-case scheme and host, and the port (the
/// scheme's default when none is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// A host and port as `Host` carries them; `port` is `None` when not written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostPort<'a> {
    host: &'a str,
    port: Option<u16>,
}

impl Origin {
    /// Parses `scheme://host[:port]`, optionally ending in `/`: `http` or
    /// `https` only, no user info, path, query or fragment, a port of
    /// digits without a leading zero. `None` for anything else, `null`
    /// included.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let HostPort { host, port } = HostPort::parse(authority)?;
        Some(Self {
            port: port.unwrap_or_else(|| default_port(&scheme)),
            host: host.to_ascii_lowercase(),
            scheme,
        })
    }

    /// Whether this origin is `host`: same host, and same port (a host
    /// without a port has this origin's default).
    fn is(&self, host: &HostPort<'_>) -> bool {
        host.host.eq_ignore_ascii_case(&self.host)
            && host.port.unwrap_or_else(|| default_port(&self.scheme)) == self.port
    }
}

impl<'a> HostPort<'a> {
    /// Parses `host[:port]`: a DNS name or IPv4 address (letters, digits,
    /// `-`, `.`), or an IPv6 address in brackets; the port 1 to 65535 in
    /// digits, without a sign or leading zero.
    fn parse(text: &'a str) -> Option<Self> {
        let (host, port) = match text.rfind(':') {
            Some(colon) if !text[colon..].contains(']') => {
                (&text[..colon], Some(&text[colon + 1..]))
            }
            _ => (text, None),
        };
        let host_ok = if let Some(inner) = host.strip_prefix('[') {
            inner
                .strip_suffix(']')
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.')
        };
        if !host_ok {
            return None;
        }
        let port = match port {
            None => None,
            Some(digits) => Some(parse_port(digits)?),
        };
        Some(Self { host, port })
    }
}

/// A port as browsers write it: digits, no leading zero, 1 to 65535.
fn parse_port(digits: &str) -> Option<u16> {
    let plain = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0');
    if plain {
        digits.parse().ok()
    } else {
        None
    }
}

/// The port an `http` or `https` URL means when it names none.
fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != default_port(&self.scheme) {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// The one value of a header that must appear at most once: `Err` when it
/// appears several times (no browser sends that).
fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, ()> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => Ok(Some(value.to_str().unwrap_or_default().trim())),
        (Some(_), Some(_)) => Err(()),
    }
}

impl Judge {
    /// Judges a request by its `Sec-Fetch-Site` and `Origin` headers.
    pub(crate) fn judge(&self, headers: &HeaderMap, uri: &Uri) -> Verdict {
        let Ok(origin) = single(headers, &ORIGIN) else {
            return Verdict::CrossSite("several Origin headers");
        };
        let origin = origin.map(Origin::parse);
        let trusted = origin
            .as_ref()
            .and_then(Option::as_ref)
            .is_some_and(|origin| self.trusted.contains(origin));
        match single(headers, &SEC_FETCH_SITE) {
            Err(()) => Verdict::CrossSite("several Sec-Fetch-Site headers"),
            Ok(Some(site)) => {
                let own =
                    site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
                if own || trusted {
                    Verdict::SameOrigin
                } else if site.eq_ignore_ascii_case("same-site") {
                    Verdict::CrossSite("Sec-Fetch-Site is same-site (a sibling subdomain)")
                } else {
                    Verdict::CrossSite("Sec-Fetch-Site is cross-site")
                }
            }
            Ok(None) => match origin {
                None => Verdict::NoHeaders,
                Some(_) if trusted => Verdict::SameOrigin,
                Some(Some(origin)) if self.is_requested_host(&origin, headers, uri) => {
                    Verdict::SameOrigin
                }
                Some(Some(_)) => Verdict::CrossSite(
                    "Origin is not the requested host (behind a proxy, name the site's public \
                     origin in trusted_origins)",
                ),
                Some(None) => Verdict::CrossSite("Origin is null or not an origin"),
            },
        }
    }

    /// Whether `origin` is the host the request was sent to: from the proxy's
    /// headers when trusted, else `Host` (or the URI's authority, in HTTP/2).
    fn is_requested_host(&self, origin: &Origin, headers: &HeaderMap, uri: &Uri) -> bool {
        let host = self
            .requested_host(headers)
            .or_else(|| uri.authority().map(|a| a.as_str()));
        host.and_then(HostPort::parse)
            .is_some_and(|host| origin.is(&host))
    }

    /// The `Host` the request names, or with `forwarded_host` the one the
    /// proxy says the client asked for. `None` if it is missing or
    /// repeated.
    pub(crate) fn requested_host<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        if self.forwarded_host {
            if let Ok(Some(host)) = single(headers, &X_FORWARDED_HOST) {
                // Proxies append: the first is what the client sent.
                return host.split(',').next().map(str::trim);
            }
            if let Some(host) = forwarded_host(headers) {
                return Some(host);
            }
        }
        single(headers, &HOST).ok().flatten()
    }
}

/// The `host=` of the first element of an RFC 7239 `Forwarded` header.
fn forwarded_host(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(FORWARDED)?.to_str().ok()?;
    let first = value.split(',').next()?;
    first.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.eq_ignore_ascii_case("host")
            .then(|| value.trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_to_one_spelling() {
        let parsed = |text: &str| Origin::parse(text).map(|origin| origin.to_string());
        assert_eq!(
            parsed("https://Example.COM"),
            Some("https://example.com".into())
        );
        assert_eq!(
            parsed("https://example.com:443/"),
            Some("https://example.com".into())
        );
        assert_eq!(
            parsed("http://example.com:8080"),
            Some("http://example.com:8080".into())
        );
        assert_eq!(
            parsed("http://[::1]:3000"),
            Some("http://[::1]:3000".into())
        );
        for bad in [
            "null",
            "example.com",
            "ftp://example.com",
            "https://user@example.com",
            "https://example.com/path",
            "https://example.com?q",
            "https://example.com#x",
            "https://example.com/#x",
            "https://",
            "*",
            "https://*.example.com",
            "https://example.com:99999",
            "https://example.com:0",
            "https://example.com:",
            "http://example.com:03900",
            "http://example.com:+3900",
            "http://example.com:-1",
            "http://[zz]:80",
            " https://example.com",
        ] {
            assert_eq!(parsed(bad), None, "{bad}");
        }
    }

    #[test]
    fn hosts_parse_as_browsers_send_them() {
        assert!(HostPort::parse("example.com:3900").is_some());
        assert!(HostPort::parse("[::1]").is_some());
        for bad in ["example.com:03900", "example.com:+3900", "a b", "", "x@y"] {
            assert_eq!(HostPort::parse(bad), None, "{bad}");
        }
    }
}
