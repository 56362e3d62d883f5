//! The site's HTML pages, written with maud: every value spliced into a page
//! is HTML-escaped, so a user name or a `next` URL cannot inject markup.

use maud::{html, Markup, DOCTYPE};

use crate::db::User;

/// The frame around every page: title, navigation, and `account` (who is
/// logged in, or a login link) at the end of the navigation.
fn layout(title: &str, account: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · axum-cookie-session demo" }
                style { (STYLE) }
            }
            body {
                nav {
                    a href="/" { "Home" } " "
                    a href="/admin" { "Admin" } " "
                    a href="/session" { "Session (JSON)" } " "
                    a href="/clear" { "Clear session" } " "
                    (account)
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The navigation's account part for this visitor.
fn account(user: Option<&User>) -> Markup {
    html! {
        @match user {
            Some(user) => span #who { "Logged in as " (user.username) " " (logout_button()) },
            None => a #login href="/login" { "Log in" },
        }
    }
}

/// Logging out changes state, so it is a POST form rather than a link
/// (`GET /logout` works too, for scripts).
fn logout_button() -> Markup {
    html! {
        form .inline method="post" action="/logout" {
            button #logout type="submit" { "Log out" }
        }
    }
}

/// `GET /`: who is logged in.
pub fn home(user: Option<&User>) -> Markup {
    let body = html! {
        @match user {
            Some(user) => {
                p #status { "Logged in as " (user.username) "." }
                @if user.is_admin {
                    p { "You are an admin: the " a href="/admin" { "admin page" } " is yours." }
                } @else {
                    p { "You are not an admin: " a href="/admin" { "/admin" } " answers 403." }
                }
            },
            None => {
                p #status { "Not logged in." }
                p { a href="/login" { "Log in" } " as alice (admin) or bob." }
            },
        }
    };
    layout("Home", account(user), body)
}

/// `GET /login`, and `POST /login` with a `message` after a failed attempt.
/// `next` (already checked by `safe_next`) rides along in a hidden field.
pub fn login(user: Option<&User>, next: Option<&str>, message: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(message) = message {
            p #message .error role="alert" { (message) }
        }
        form #login-form method="post" action="/login" {
            label { "User name " input name="username" autocomplete="username" required autofocus; }
            label { "Password " input name="password" type="password" autocomplete="current-password" required; }
            input type="hidden" name="next" value=(next.unwrap_or_default());
            button type="submit" { "Log in" }
        }
        p .hint { "Try alice / wonderland (admin) or bob / builder." }
    };
    layout("Log in", account(user), body)
}

/// `GET /admin`, for admins only (the route guard checks).
pub fn admin(user: &User) -> Markup {
    let body = html! {
        p #status { "Top secret admin page. Welcome, " (user.username) "." }
    };
    layout("Admin", account(Some(user)), body)
}

/// The `403` page for a logged-in user who is not an admin. The guard hands
/// this page no user, but whoever sees it is logged in: offer to log out.
pub fn forbidden() -> Markup {
    let body = html! {
        p #status { "Forbidden: this page is for admins only." }
    };
    layout("Forbidden", logout_button(), body)
}

/// `GET /clear`: the session was emptied.
pub fn cleared() -> Markup {
    let body = html! {
        p #status { "Session cleared." }
    };
    layout("Session cleared", account(None), body)
}

/// Just enough CSS to read the pages.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;\
padding:0 1rem}nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ccc;\
padding-bottom:.5rem}label{display:block;margin:.5rem 0}.inline{display:inline}\
.error{color:#b00}.hint{color:#666}";
