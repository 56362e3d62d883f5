//! Telling a page navigation from an API call, so that a visitor who must log
//! in is redirected from a page and answered `401` from `fetch()`.
//!
//! Read only the request headers; nothing here allocates.

use http::header::ACCEPT;
use http::{HeaderMap, HeaderName};

/// `Sec-Fetch-Mode`, set by browsers on every request (a forbidden header:
/// page scripts cannot set it).
const SEC_FETCH_MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
/// `X-Requested-With`, set by jQuery and many AJAX helpers.
const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");

/// Whether the request comes from code (`fetch()`, XHR, a JSON client)
/// rather than from a browser navigating to a page.
///
/// - `Sec-Fetch-Mode: navigate` (or the older `nested-navigate`) is a
///   navigation, whatever else the request says: a browser sets it, and an
///   Android WebView's `X-Requested-With` on its navigations must not turn
///   them into API calls.
/// - Any other `Sec-Fetch-Mode` (`cors`, `no-cors`, `same-origin`,
///   `websocket`) is an API call.
/// - Without `Sec-Fetch-Mode`: an `X-Requested-With` header, or an `Accept`
///   that prefers JSON over HTML ([`prefers_json`]), is an API call.
/// - Anything else (curl's `Accept: */*`, no headers at all) is a navigation,
///   as in muffin-session.
pub(crate) fn is_api_request(headers: &HeaderMap) -> bool {
    if let Some(mode) = headers.get(SEC_FETCH_MODE) {
        let mode = mode.as_bytes().trim_ascii();
        return !(mode.eq_ignore_ascii_case(b"navigate")
            || mode.eq_ignore_ascii_case(b"nested-navigate"));
    }
    headers.contains_key(X_REQUESTED_WITH)
        || headers
            .get_all(ACCEPT)
            .iter()
            .any(|accept| prefers_json(accept.as_bytes()))
}

/// Whether an `Accept` value prefers JSON (`application/json`, or any
/// `+json` type such as `application/problem+json`) over HTML (`text/html`,
/// `application/xhtml+xml`).
///
/// Each media type gets the q-value of the most specific range that matches
/// it (RFC 9110, 12.5.1); JSON's is the best of its types', and so is
/// HTML's. JSON is preferred when its q-value is higher, or equal and above
/// zero with a range naming JSON while HTML only matches a wildcard (axios'
/// `application/json, text/plain, */*`). `*/*` alone is no preference;
/// malformed entries are skipped.
fn prefers_json(accept: &[u8]) -> bool {
    let mut ranges = Ranges::default();
    for range in accept.split(|&byte| byte == b',') {
        if let Some((kind, subtype, q)) = media_range(range) {
            ranges.add(kind, subtype, q);
        }
    }
    let (json, json_named) = ranges.json();
    let (html, html_named) = ranges.html();
    json > html || (json == html && json > 0 && json_named && !html_named)
}

/// The q-values (in thousandths) an `Accept` header gives the ranges that
/// matter here; the best one where a range appears more than once.
#[derive(Debug, Default)]
struct Ranges {
    application_json: Option<u16>,
    /// Any `+json` type.
    json_suffix: Option<u16>,
    text_html: Option<u16>,
    xhtml: Option<u16>,
    application: Option<u16>,
    text: Option<u16>,
    any: Option<u16>,
}

impl Ranges {
    fn add(&mut self, kind: &[u8], subtype: &[u8], q: u16) {
        let application = kind.eq_ignore_ascii_case(b"application");
        let text = kind.eq_ignore_ascii_case(b"text");
        let slot = match subtype {
            b"*" if kind == b"*" => &mut self.any,
            b"*" if application => &mut self.application,
            b"*" if text => &mut self.text,
            _ if kind == b"*" || subtype == b"*" => return,
            _ if application && subtype.eq_ignore_ascii_case(b"json") => &mut self.application_json,
            _ if subtype.len() > SUFFIX.len()
                && subtype[subtype.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX) =>
            {
                &mut self.json_suffix
            }
            _ if text && subtype.eq_ignore_ascii_case(b"html") => &mut self.text_html,
            _ if application && subtype.eq_ignore_ascii_case(b"xhtml+xml") => &mut self.xhtml,
            _ => return,
        };
        *slot = Some(slot.map_or(q, |old| old.max(q)));
    }

    /// JSON's q-value, and whether a range naming a JSON type gave it.
    fn json(&self) -> (u16, bool) {
        let named = max(self.application_json, self.json_suffix);
        let q = max(
            self.application_json.or(self.application).or(self.any),
            self.json_suffix,
        )
        .unwrap_or(0);
        (q, named == Some(q))
    }

    /// HTML's q-value, and whether a range naming an HTML type gave it.
    fn html(&self) -> (u16, bool) {
        let named = max(self.text_html, self.xhtml);
        let q = max(
            self.text_html.or(self.text).or(self.any),
            self.xhtml.or(self.application).or(self.any),
        )
        .unwrap_or(0);
        (q, named == Some(q))
    }
}

/// The structured syntax suffix of JSON types (RFC 6839).
const SUFFIX: &[u8] = b"+json";

fn max(a: Option<u16>, b: Option<u16>) -> Option<u16> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// One media range of an `Accept` header: its type, subtype and q-value in
/// thousandths (1000 when absent). `None` when it is not `type/subtype` or
/// its q-value is not a valid one.
fn media_range(range: &[u8]) -> Option<(&[u8], &[u8], u16)> {
    let mut params = range.split(|&byte| byte == b';');
    let media_type = params.next()?.trim_ascii();
    let slash = media_type.iter().position(|&byte| byte == b'/')?;
    let kind = media_type[..slash].trim_ascii();
    let subtype = media_type[slash + 1..].trim_ascii();
    if kind.is_empty() || subtype.is_empty() || subtype.contains(&b'/') {
        return None;
    }
    let mut q = 1000;
    for param in params {
        let Some(eq) = param.iter().position(|&byte| byte == b'=') else {
            continue;
        };
        if param[..eq].trim_ascii().eq_ignore_ascii_case(b"q") {
            q = qvalue(param[eq + 1..].trim_ascii())?;
            break;
        }
    }
    Some((kind, subtype, q))
}

/// A q-value (`0`, `0.5`, `1.000`...) in thousandths; `None` if malformed
/// or above 1.
fn qvalue(value: &[u8]) -> Option<u16> {
    let (whole, fraction) = match value.iter().position(|&byte| byte == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &b""[..]),
    };
    let whole: u16 = match whole {
        b"0" => 0,
        b"1" => 1000,
        _ => return None,
    };
    if fraction.len() > 3 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0;
    for (place, digit) in [100, 10, 1].into_iter().zip(fraction) {
        thousandths += place * u16::from(digit - b'0');
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn browsers_navigating_are_pages() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                      image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for accept in [chrome, firefox] {
            assert!(!is_api_request(&headers(&[("accept", accept)])));
            assert!(!is_api_request(&headers(&[
                ("sec-fetch-mode", "navigate"),
                ("accept", accept)
            ])));
        }
        // An Android WebView's navigations carry X-Requested-With.
        assert!(!is_api_request(&headers(&[
            ("sec-fetch-mode", "navigate"),
            ("x-requested-with", "com.example.app"),
        ])));
        assert!(!is_api_request(&headers(&[(
            "sec-fetch-mode",
            "Nested-Navigate"
        )])));
    }

    #[test]
    fn clients_that_say_nothing_are_pages() {
        assert!(!is_api_request(&HeaderMap::new()));
        assert!(!is_api_request(&headers(&[("accept", "*/*")])));
        assert!(!is_api_request(&headers(&[("accept", "")])));
        assert!(!is_api_request(&headers(&[("accept", "image/png")])));
    }

    #[test]
    fn fetch_and_ajax_are_api_calls() {
        for mode in ["cors", "no-cors", "same-origin", "websocket", "", "garbage"] {
            let mut request = HeaderMap::new();
            request.insert("sec-fetch-mode", HeaderValue::from_static(mode));
            request.insert("accept", HeaderValue::from_static("text/html"));
            assert!(is_api_request(&request), "{mode:?}");
        }
        assert!(is_api_request(&headers(&[(
            "x-requested-with",
            "XMLHttpRequest"
        )])));
        assert!(is_api_request(&headers(&[("accept", "application/json")])));
        // Several Accept lines are one list.
        assert!(is_api_request(&headers(&[
            ("accept", "image/png"),
            ("accept", "application/json")
        ])));
    }

    #[test]
    fn q_values_decide() {
        assert!(prefers_json(b"text/html;q=0.5, application/json"));
        assert!(!prefers_json(b"application/json;q=0.1, text/html"));
        assert!(prefers_json(b"application/json;q=0.9, text/html;q=0.899"));
        assert!(!prefers_json(b"application/json;q=0.9, text/html;q=0.9"));
        assert!(!prefers_json(b"application/json;q=0, */*"));
        assert!(prefers_json(
            b"text/html;q=0, application/xhtml+xml;q=0, */*"
        ));
        // Refusing text/html still leaves application/xhtml+xml through */*.
        assert!(!prefers_json(b"text/html;q=0, */*"));
        assert!(prefers_json(b"application/json ; charset=utf-8 ; Q=1.0"));
        assert!(prefers_json(b"APPLICATION/JSON"));
        // A named type wins a tie against a wildcard match.
        assert!(prefers_json(b"application/json, text/plain, */*"));
        assert!(!prefers_json(b"text/html, */*"));
        // Wildcards alone, or at zero, are no preference.
        assert!(!prefers_json(b"*/*"));
        assert!(!prefers_json(b"*/*;q=0"));
        assert!(!prefers_json(b"application/*"));
        assert!(!prefers_json(b"application/json;q=0"));
    }

    #[test]
    fn the_most_specific_range_gives_the_q_value() {
        // text/html through text/* at 0.1, xhtml named at 0.1, JSON through */*.
        assert!(prefers_json(
            b"text/*;q=0.1, application/xhtml+xml;q=0.1, */*;q=0.5"
        ));
        // application/xhtml+xml through application/* ties JSON's.
        assert!(!prefers_json(b"application/*, text/*;q=0.1"));
        // The named JSON type is not what gives JSON its q-value: a tie.
        assert!(!prefers_json(b"application/problem+json;q=0.1, */*"));
        // text/html named low, xhtml through */* high.
        assert!(!prefers_json(
            b"text/html;q=0.1, application/json;q=0.5, */*;q=0.9"
        ));
    }

    #[test]
    fn json_suffixes_count_as_json_and_xhtml_as_html() {
        assert!(prefers_json(b"application/problem+json"));
        assert!(prefers_json(b"application/vnd.api+json, text/html;q=0.9"));
        assert!(!prefers_json(
            b"application/json;q=0.5, application/xhtml+xml"
        ));
        assert!(!prefers_json(b"+json"));
        assert!(!prefers_json(b"application/+json"));
    }

    #[test]
    fn malformed_ranges_are_skipped() {
        for accept in [
            &b"application/json;q=2"[..],
            b"application/json;q=1.5",
            b"application/json;q=0.1234",
            b"application/json;q=.5",
            b"application/json;q=",
            b"application/json;q=-1",
            b"application/json;q=0.x",
            b"json",
            b"/json",
            b"application/",
            b"application/json/x",
            b"*/json",
            b";;;,,,",
            b"\xff\xfe/\xff",
        ] {
            assert!(
                !prefers_json(accept),
                "{:?}",
                String::from_utf8_lossy(accept)
            );
        }
        assert!(prefers_json(b"text/html;q=nope, application/json"));
        assert!(prefers_json(b"application/json;foo;q=0.5"));
    }

    #[test]
    fn qvalues_parse_to_thousandths() {
        assert_eq!(qvalue(b"0"), Some(0));
        assert_eq!(qvalue(b"1"), Some(1000));
        assert_eq!(qvalue(b"1."), Some(1000));
        assert_eq!(qvalue(b"1.000"), Some(1000));
        assert_eq!(qvalue(b"0.5"), Some(500));
        assert_eq!(qvalue(b"0.05"), Some(50));
        assert_eq!(qvalue(b"0.001"), Some(1));
        assert_eq!(qvalue(b"1.001"), None);
        assert_eq!(qvalue(b""), None);
        assert_eq!(qvalue(b"01"), None);
    }
}
