//! The demo's own page for a request `SessionLayer` refused as a possible
//! forgery.
//!
//! The layer answers a state-changing request sent by another site with
//! `403` and a plain-text body before any handler runs, and puts the
//! [`CsrfRejection`] in the response's extensions. This middleware, outside
//! the layer, finds it there and gives the answer the site's look: same
//! status, same headers, an HTML page saying what happened and where to go.

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::Response;
use axum_cookie_session::CsrfRejection;

use crate::pages;

/// Every page is UTF-8 HTML, as maud's own answers say.
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// Answers a refused forgery (`CrossSite`, `BadToken`) with
/// [`pages::refused`]; every other response passes as it is.
pub async fn style_refusals(response: Response) -> Response {
    let page = match response.extensions().get::<CsrfRejection>() {
        Some(rejection @ (CsrfRejection::CrossSite | CsrfRejection::BadToken)) => {
            pages::refused(rejection)
        }
        _ => return response,
    };
    let (mut parts, _plain_text) = response.into_parts();
    parts.headers.insert(CONTENT_TYPE, HTML);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page.into_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;

    async fn text(response: Response) -> String {
        let body = response.into_body().collect().await.expect("a body");
        String::from_utf8(body.to_bytes().to_vec()).expect("UTF-8")
    }

    #[tokio::test]
    async fn refusals_get_the_sites_page_and_keep_their_status() {
        for (rejection, says) in [
            (
                CsrfRejection::CrossSite,
                "This form was sent from another site, so it was refused.",
            ),
            (
                CsrfRejection::BadToken,
                "its security token was missing or out of date",
            ),
        ] {
            let response = style_refusals(rejection.into_response()).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            assert_eq!(response.headers()[CONTENT_TYPE], HTML);
            assert!(response.extensions().get::<CsrfRejection>().is_some());
            let page = text(response).await;
            assert!(page.contains(says), "{page}");
            assert!(page.contains(r#"<a href="/">the home page</a>"#), "{page}");
        }
    }

    #[tokio::test]
    async fn other_answers_pass_as_they_are() {
        let forbidden = (StatusCode::FORBIDDEN, "admins only").into_response();
        let response = style_refusals(forbidden).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(text(response).await, "admins only");
    }
}
