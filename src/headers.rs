//! Response headers for a response that carries the session: `Vary: Cookie`,
//! and a `Cache-Control` that keeps shared caches from storing a `Set-Cookie`.

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue};

/// Adds the session's `Set-Cookie` values to a response made from the
/// session. It always varies on `Cookie`; with a `Set-Cookie`, it is also
/// made private, since a shared cache storing it would hand one user's
/// session to others.
pub(crate) fn add_set_cookies(headers: &mut HeaderMap, set_cookies: Vec<HeaderValue>) {
    add_vary_cookie(headers);
    if set_cookies.is_empty() {
        return;
    }
    for set_cookie in set_cookies {
        headers.append(SET_COOKIE, set_cookie);
    }
    let cache_control = private_cache_control(headers);
    headers.insert(CACHE_CONTROL, cache_control);
    // A CDN obeying these ignores `Cache-Control` (RFC 9213): without them
    // it sees the `private` above.
    for targeted in CDN_CACHE_CONTROLS {
        headers.remove(targeted);
    }
}

/// Marks an answer chosen by what kind of caller sent the request (a `401`
/// for an API call, a redirect for a page navigation): it varies on the
/// headers that tell them apart, and no cache stores it, since it also
/// depends on who is logged in.
pub(crate) fn chosen_by_caller_kind(headers: &mut HeaderMap) {
    const CALLER_KIND: &str = "Accept, Sec-Fetch-Mode, X-Requested-With";
    let marked = headers
        .get_all(VARY)
        .iter()
        .any(|value| value == CALLER_KIND);
    if !marked {
        headers.append(VARY, HeaderValue::from_static(CALLER_KIND));
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Cache directives aimed at CDNs only, which take precedence over
/// `Cache-Control` there.
const CDN_CACHE_CONTROLS: [&str; 2] = ["cdn-cache-control", "surrogate-control"];

/// Adds `Vary: Cookie` unless the response already varies on it (or on everything).
fn add_vary_cookie(headers: &mut HeaderMap) {
    let varies = headers.get_all(VARY).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value.split(',').any(|item| {
                matches!(item.trim(), "*") || item.trim().eq_ignore_ascii_case("cookie")
            })
        })
    });
    if !varies {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}

/// `private` added to the response's own `Cache-Control` (all its lines,
/// minus `public` and `s-maxage`, which would let a shared cache store it);
/// `no-store` and `private` responses keep their directives as they are.
fn private_cache_control(headers: &HeaderMap) -> HeaderValue {
    let lines: Vec<&str> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if lines.is_empty() {
        return HeaderValue::from_static("private");
    }
    let current = lines.join(", ");
    let directives: Vec<&str> = current
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    let is = |directive: &str, name: &str| {
        directive
            .split('=')
            .next()
            .is_some_and(|key| key.trim().eq_ignore_ascii_case(name))
    };
    // Only a bare `private` covers the whole response: `private="Set-Cookie"`
    // with field names (RFC 9111, 5.2.2.7) lets a shared cache store the rest.
    if directives
        .iter()
        .any(|d| is(d, "no-store") || d.eq_ignore_ascii_case("private"))
    {
        return HeaderValue::from_str(&current).unwrap_or(HeaderValue::from_static("private"));
    }
    let mut kept: Vec<&str> = directives
        .into_iter()
        .filter(|d| !is(d, "public") && !is(d, "s-maxage"))
        .collect();
    kept.insert(0, "private");
    HeaderValue::from_str(&kept.join(", ")).unwrap_or(HeaderValue::from_static("private"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_control(current: Option<&'static str>) -> String {
        let mut headers = HeaderMap::new();
        for line in current.into_iter().flat_map(|current| current.split('\n')) {
            headers.append(CACHE_CONTROL, HeaderValue::from_static(line));
        }
        private_cache_control(&headers).to_str().unwrap().to_owned()
    }

    #[test]
    fn cache_control_becomes_private() {
        assert_eq!(cache_control(None), "private");
        assert_eq!(
            cache_control(Some("public, max-age=60")),
            "private, max-age=60"
        );
        assert_eq!(
            cache_control(Some("max-age=60, s-maxage=600")),
            "private, max-age=60"
        );
        assert_eq!(cache_control(Some("no-store")), "no-store");
        assert_eq!(
            cache_control(Some("private, max-age=5")),
            "private, max-age=5"
        );
        // `private` naming fields restricts only those fields.
        assert_eq!(
            cache_control(Some(r#"public, s-maxage=600, private="X-Debug""#)),
            r#"private, private="X-Debug""#
        );
        // Directives on several lines are all kept (or dropped) together.
        assert_eq!(
            cache_control(Some("public\nmax-age=60")),
            "private, max-age=60"
        );
        assert_eq!(
            cache_control(Some("max-age=60\nno-store")),
            "max-age=60, no-store"
        );
    }

    #[test]
    fn vary_cookie_is_added_once() {
        let mut headers = HeaderMap::new();
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        add_vary_cookie(&mut headers);
        add_vary_cookie(&mut headers);
        let vary: Vec<_> = headers.get_all(VARY).iter().collect();
        assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
    }
}
