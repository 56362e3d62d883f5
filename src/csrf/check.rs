//! The cross-origin check [`SessionLayer`](crate::SessionLayer) runs before
//! every handler: a state-changing request another site sent is refused.

use http::header::{HOST, ORIGIN};
use http::{Method, Request};

use super::origin::{Judge, Verdict, SEC_FETCH_SITE};
use super::CsrfRejection;

/// Whether a method only reads: `GET`, `HEAD`, `OPTIONS`.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Judges a state-changing request; a safe one is not judged here (`None`:
/// [`CsrfToken`](crate::CsrfToken) judges it if it is asked to). A refusal
/// is logged at warn level with the headers compared, so that an operator
/// behind a proxy sees why; none of them is secret.
pub(crate) fn check<B>(
    judge: &Judge,
    request: &Request<B>,
) -> Result<Option<Verdict>, CsrfRejection> {
    if is_safe(request.method()) {
        return Ok(None);
    }
    let headers = request.headers();
    match judge.judge(headers, request.uri()) {
        Verdict::CrossSite(reason) => {
            fn shown(value: Option<&http::HeaderValue>) -> &str {
                value.map_or("(none)", |value| value.to_str().unwrap_or("(not text)"))
            }
            tracing::warn!(
                reason,
                method = %request.method(),
                path = request.uri().path(),
                origin = shown(headers.get(ORIGIN)),
                sec_fetch_site = shown(headers.get(SEC_FETCH_SITE)),
                host = shown(headers.get(HOST)),
                compared_host = judge.requested_host(headers).unwrap_or("(none)"),
                "cross-origin request refused"
            );
            Err(CsrfRejection::CrossSite)
        }
        verdict => Ok(Some(verdict)),
    }
}
