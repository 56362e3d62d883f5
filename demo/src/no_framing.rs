//! Forbids every other page to frame the demo's pages.
//!
//! A page that frames the site can lay its own content over it and steer a
//! visitor's click onto a button underneath ("clickjacking"): one click on
//! a framed `/logout` logged the visitor out. The same-site cookie and the
//! CSRF check do not stop it, since the click is a real one in the site's
//! own page. Browsers refuse to render a page in a frame when the answer
//! says so.

use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::HeaderValue;
use axum::response::Response;

/// No page, of this site or another, may frame the answer.
const FRAME_ANCESTORS: HeaderValue = HeaderValue::from_static("frame-ancestors 'none'");

/// The same for browsers that predate `frame-ancestors`.
const X_FRAME: HeaderValue = HeaderValue::from_static("DENY");

/// Adds both headers to every answer, the `404` and the refusals included.
/// The policy is appended rather than set: a handler's own policy stays,
/// and a browser enforces every policy it is given.
pub async fn deny_framing(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.append(CONTENT_SECURITY_POLICY, FRAME_ANCESTORS);
    headers.insert(X_FRAME_OPTIONS, X_FRAME);
    response
}
