//! Where a request came from, by its `Sec-Fetch-Site` and `Origin`
//! headers. This file imports nothing else of the crate: the config parses
//! trusted origins with it, and the CSRF checks judge requests with it.

use std::fmt;

use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Uri};

/// What a request's headers say about where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This origin, a trusted one, or the user's own navigation.
    SameOrigin,
    /// Neither `Sec-Fetch-Site` nor `Origin`: not a current browser.
    NoHeaders,
    /// Another site, and why (for the debug log).
    CrossSite(&'static str),
}

/// An origin as compared: lower-case scheme and host, and the port (the
/// scheme's default when none is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]` (an optional `/` after it): `http` or
    /// `https` only, no user info, path or query. `None` for anything else,
    /// `null` included.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let uri: Uri = text.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let default = default_port(&scheme);
        let authority = uri.authority()?;
        let bare = matches!(
            uri.path_and_query().map(|pq| pq.as_str()),
            None | Some("" | "/")
        );
        let host = authority.host();
        let host_chars = host.starts_with('[')
            || host
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.');
        if !bare || authority.as_str().contains('@') || host.is_empty() || !host_chars {
            return None;
        }
        // A port written but not a port (`:99999`, `:0`, `:`) is refused,
        // not read as the default.
        let port = match authority.port_u16() {
            Some(0) => return None,
            Some(port) => port,
            None if authority.as_str().len() > host.len() => return None,
            None => default,
        };
        Some(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether this origin is the host the request was sent to: same host,
    /// and same port (a `Host` without a port has this origin's default).
    fn is_host_of(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let host = match headers.get(HOST) {
            Some(host) => host.to_str().ok().and_then(|host| host.parse().ok()),
            None => uri.authority().cloned(),
        };
        let Some(host): Option<http::uri::Authority> = host else {
            return false;
        };
        let default = default_port(&self.scheme);
        !host.as_str().contains('@')
            && host.host().eq_ignore_ascii_case(&self.host)
            && host.port_u16().unwrap_or(default) == self.port
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
        let default = default_port(&self.scheme);
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != default {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// Judges a request by its `Sec-Fetch-Site` and `Origin` headers.
pub(crate) fn judge(headers: &HeaderMap, uri: &Uri, trusted: &[Origin]) -> Verdict {
    let origin = || {
        let mut origins = headers.get_all(ORIGIN).iter();
        match (origins.next(), origins.next()) {
            (Some(origin), None) => Some(origin.to_str().ok().and_then(Origin::parse)),
            (None, _) => None,
            // Browsers send one `Origin`: several is not a browser's request.
            (Some(_), Some(_)) => Some(None),
        }
    };
    let is_trusted = |origin: &Option<Origin>| origin.as_ref().is_some_and(|o| trusted.contains(o));
    let mut sites = headers.get_all("sec-fetch-site").iter();
    match (sites.next(), sites.next()) {
        (Some(site), None) => {
            let site = site.to_str().unwrap_or_default().trim();
            let own = site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
            if own || origin().is_some_and(|origin| is_trusted(&origin)) {
                Verdict::SameOrigin
            } else if site.eq_ignore_ascii_case("same-site") {
                Verdict::CrossSite("Sec-Fetch-Site is same-site (a sibling subdomain)")
            } else {
                Verdict::CrossSite("Sec-Fetch-Site is cross-site")
            }
        }
        (Some(_), Some(_)) => Verdict::CrossSite("several Sec-Fetch-Site headers"),
        (None, _) => match origin() {
            None => Verdict::NoHeaders,
            Some(origin) if is_trusted(&origin) => Verdict::SameOrigin,
            Some(Some(origin)) if origin.is_host_of(headers, uri) => Verdict::SameOrigin,
            Some(_) => Verdict::CrossSite("Origin is another site"),
        },
    }
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
            "https://",
            "*",
            "https://*.example.com",
            "https://example.com:99999",
            "https://example.com:0",
            "https://example.com:",
        ] {
            assert_eq!(parsed(bad), None, "{bad}");
        }
    }
}
