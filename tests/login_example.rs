//! The README opens with a complete program, which is also
//! `examples/login.rs` (`cargo run --example login`). Three checks keep the
//! two one program that works:
//!
//! - the README's block compiles, as a doc test (`src/lib.rs` includes
//!   README.md), and the example compiles, as an example;
//! - `the_readme_opens_with_examples_login` below fails when the README's
//!   first `rust,no_run` block and the example's file differ by one byte:
//!   change one, copy it to the other;
//! - the example's `app` is compiled into this test (`include!`) and driven
//!   through a real `Router`: log in with a `POST`, see the guarded page,
//!   log out.

mod common;

mod login {
    #![allow(dead_code)] // the example's `main`, which the tests do not run
    include!("../examples/login.rs");

    mod tests {
        use axum::body::Body;
        use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
        use axum::http::{Request, StatusCode};
        use axum_cookie_session::SessionConfig;

        use crate::common::{send, Client, Reply};

        fn client() -> Client {
            let config = SessionConfig::builder()
                .random_secret()
                .cookie_name("login_session")
                .build()
                .unwrap();
            Client::new(super::app(config))
        }

        /// `POST uri` with a form body and the client's cookies, as a
        /// browser's form post (or curl's `-d`) sends it.
        async fn post(client: &mut Client, uri: &str, form: &str) -> Reply {
            let mut request =
                Request::post(uri).header(CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(cookie) = client.cookie_header() {
                request = request.header(COOKIE, cookie);
            }
            let reply = send(
                &client.app,
                request.body(Body::from(form.to_owned())).unwrap(),
            )
            .await;
            client.store(&reply);
            reply
        }

        fn location(reply: &Reply) -> &str {
            reply.headers[LOCATION].to_str().unwrap()
        }

        #[test]
        fn the_readme_opens_with_examples_login() {
            let readme = include_str!("../README.md");
            let example = include_str!("../examples/login.rs");
            let start = "```rust,no_run\n";
            let block = readme
                .split_once(start)
                .and_then(|(_, rest)| rest.split_once("```\n"))
                .map(|(block, _)| block)
                .expect("README.md has a ```rust,no_run block");
            assert!(
                block == example,
                "README.md's first ```rust,no_run block differs from examples/login.rs: \
                 copy the one you changed over the other"
            );
        }

        #[tokio::test]
        async fn logs_in_with_a_post_sees_the_page_and_logs_out() {
            let mut client = client();

            let anonymous = client.get("/").await;
            assert_eq!(anonymous.status, StatusCode::TEMPORARY_REDIRECT);
            assert_eq!(location(&anonymous), "/login?next=%2F");
            assert!(client
                .get("/login")
                .await
                .body
                .contains(r#"<form method="post">"#));

            let wrong = post(
                &mut client,
                "/login?next=%2F",
                "username=alice&password=nope",
            )
            .await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
            assert!(wrong.set_cookie().is_none());

            let login = "username=alice&password=wonderland";
            let logged_in = post(&mut client, "/login?next=%2F", login).await;
            assert_eq!(logged_in.status, StatusCode::SEE_OTHER);
            assert_eq!(location(&logged_in), "/");
            assert!(logged_in
                .set_cookie()
                .unwrap()
                .starts_with("login_session="));

            let page = client.get("/").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("Logged in as user 1."), "{}", page.body);

            let logged_out = post(&mut client, "/logout", "").await;
            assert_eq!(logged_out.status, StatusCode::SEE_OTHER);
            assert_eq!(location(&logged_out), "/login");
            assert!(logged_out.set_cookie().unwrap().contains("Max-Age=0"));
            assert!(client.jar.is_empty());
            assert_eq!(client.get("/").await.status, StatusCode::TEMPORARY_REDIRECT);
        }

        #[tokio::test]
        async fn goes_on_only_to_a_path_of_this_site() {
            let mut client = client();
            let login = "username=alice&password=wonderland";
            let reply = post(&mut client, "/login?next=%2F%2Fevil.example", login).await;
            assert_eq!(location(&reply), "/");
        }

        #[tokio::test]
        async fn another_site_cannot_post_the_login_form() {
            let client = client();
            let request = Request::post("/login")
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from("username=alice&password=wonderland"))
                .unwrap();
            let reply = send(&client.app, request).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
            assert!(reply.headers.get(SET_COOKIE).is_none());
        }
    }
}
