//! The site's HTML pages, written with maud: every value spliced into a page
//! is HTML-escaped, so a user name, a `next` URL or a session value cannot
//! inject markup.

use std::time::SystemTime;

use axum_cookie_session::{CookieInfo, CsrfRejection, MAX_COOKIE_SIZE, MAX_SESSION_HEADER};
use maud::{html, Markup, DOCTYPE};
use serde_json::{Map, Value};

use crate::db::{User, MIN_PASSWORD_CHARS};

/// The frame around every page: title, navigation, `account` (who is logged
/// in, or a login link) at the end of the navigation, and a one-off notice.
fn layout(title: &str, account: Markup, notice: Option<&str>, body: Markup) -> Markup {
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
                    a href="/" { "Home" }
                    a href="/admin" { "Admin" }
                    a href="/session" { "Your session" }
                    span .account { (account) }
                }
                main {
                    @if let Some(notice) = notice {
                        p #notice role="status" { (notice) }
                    }
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
            Some(user) => span #who {
                "Logged in as " (user.username) " "
                a #password-link href="/password" { "Password" } " "
                (logout_button("logout"))
            },
            None => a #login href="/login" { "Log in" },
        }
    }
}

/// Logging out changes state, so it is a POST form rather than a link.
/// `id` names the button (ids are unique within a page).
fn logout_button(id: &str) -> Markup {
    html! {
        form .inline method="post" action="/logout" {
            button id=(id) type="submit" { "Log out" }
        }
    }
}

/// `GET /`: who is logged in, and a notice left by the last request.
pub fn home(user: Option<&User>, notice: Option<&str>) -> Markup {
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
        p { "The whole session lives in one signed cookie: "
            a href="/session" { "see what your browser holds" } "." }
    };
    layout("Home", account(user), notice, body)
}

/// What the login form shows: the visitor, where to go next (already
/// checked by `safe_next`), a message after a failed attempt, and the name
/// typed last time.
pub struct LoginPage<'a> {
    pub user: Option<&'a User>,
    pub next: Option<&'a str>,
    pub message: Option<&'a str>,
    pub username: &'a str,
    /// The "Remember me" box was ticked.
    pub remember: bool,
}

/// `GET /login`, and `POST /login` again after a failed attempt. `next`
/// rides along in a hidden field.
pub fn login(page: LoginPage<'_>) -> Markup {
    let body = html! {
        @if let Some(message) = page.message {
            p #message .error role="alert" { (message) }
        }
        form #login-form method="post" action="/login" {
            label { "User name "
                input name="username" autocomplete="username" value=(page.username) required autofocus; }
            label { "Password "
                input name="password" type="password" autocomplete="current-password" required; }
            label { input type="checkbox" name="remember" value="on" checked[page.remember];
                " Remember me for 30 days" }
            input type="hidden" name="next" value=(page.next.unwrap_or_default());
            button type="submit" { "Log in" }
        }
        p .hint { "Try alice / wonderland (admin) or bob / builder." }
    };
    layout("Log in", account(page.user), None, body)
}

/// `GET /password`, and `POST /password` again after a wrong current
/// password or a new one that breaks the rule (`message`). The browser
/// checks the minimum too (`minlength`); there is no `maxlength`, which
/// would silently cut a pasted password short.
pub fn password(user: &User, message: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(message) = message {
            p #message .error role="alert" { (message) }
        }
        p .hint { "Changing it logs you out everywhere else; this browser stays logged in." }
        form #password-form method="post" action="/password" {
            label { "Current password "
                input name="current_password" type="password" autocomplete="current-password" required autofocus; }
            label { "New password "
                input name="new_password" type="password" autocomplete="new-password" required
                    minlength=(MIN_PASSWORD_CHARS) aria-describedby="new-password-rule"; }
            p #new-password-rule .hint { "At least " (MIN_PASSWORD_CHARS) " characters. "
                "A few unrelated words make a long password that is easy to remember." }
            button type="submit" { "Change password" }
        }
    };
    layout("Change password", account(Some(user)), None, body)
}

/// `GET /logout`: logging out is a POST, so a link (or an image another
/// site embeds) cannot do it; this page offers the button.
pub fn logout(user: Option<&User>) -> Markup {
    let body = html! {
        @match user {
            Some(user) => {
                p #status { "Log out " (user.username) "?" }
                (logout_button("logout-confirm"))
            },
            None => p #status { "Not logged in." },
        }
    };
    layout("Log out", account(user), None, body)
}

/// `GET /admin`, for admins only (the route guard checks).
pub fn admin(user: &User) -> Markup {
    let body = html! {
        p #status { "Top secret admin page. Welcome, " (user.username) "." }
    };
    layout("Admin", account(Some(user)), None, body)
}

/// The `403` page for a logged-in user who is not an admin.
pub fn forbidden(user: &User) -> Markup {
    let body = html! {
        p #status { "This page is for admins only, and " (user.username) " is not one." }
        p { a #switch-user href="/login?next=%2Fadmin" { "Log in as someone else" } }
    };
    layout("Forbidden", account(Some(user)), None, body)
}

/// The HTML `404` page.
pub fn not_found(user: Option<&User>, path: &str) -> Markup {
    let body = html! {
        p #status { "Nothing lives at " code { (path) } "." }
        p { a href="/" { "Back home" } }
    };
    layout("Not found", account(user), None, body)
}

/// The `403` page for a form `SessionLayer` refused as a possible forgery
/// (`refusals.rs`). The request never reached a handler, so the page does
/// not know who is logged in, and its navigation leaves that out.
pub fn refused(rejection: &CsrfRejection) -> Markup {
    let body = html! {
        @match rejection {
            CsrfRejection::CrossSite => p #status {
                "This form was sent from another site, so it was refused. Go back to "
                a href="/" { "the home page" } " and try again."
            },
            _ => p #status {
                "This form could not be checked as coming from this site: its security "
                "token was missing or out of date, so it was refused. Go back to "
                a href="/" { "the home page" } " and try again."
            },
        }
        p .hint { "Nothing was changed: you are logged in, or out, just as before. "
            "This site refuses forms sent from other sites, so that no other site can "
            "log you in or out, or change your password, without you knowing." }
    };
    layout("Refused", html! {}, None, body)
}

/// Everything `GET /session` shows of the browser's session cookie.
pub struct SessionPage<'a> {
    pub user: Option<&'a User>,
    pub notice: Option<&'a str>,
    /// The cookie as the request carried it, if it was accepted.
    pub cookie: Option<CookieInfo>,
    /// The session the cookie holds, decoded.
    pub session: &'a Map<String, Value>,
    pub now: SystemTime,
}

/// `GET /session` for a browser: the session cookie and what it holds.
pub fn session(page: SessionPage<'_>) -> Markup {
    let json = serde_json::to_string_pretty(page.session).unwrap_or_default();
    let body = html! {
        @match &page.cookie {
            Some(cookie) => (cookie_table(cookie, page.now)),
            None => p #status { "Your browser holds no session cookie: nothing was stored yet." },
        }
        h2 { "What it holds" }
        pre #session-json { (json) }
        p .hint { "The same as JSON: " code { "curl -b 'session=…' /session" } "." }
        form method="post" action="/clear" {
            button #clear type="submit" { "Clear the session" }
        }
    };
    layout("Your session", account(page.user), page.notice, body)
}

/// The cookie's size against its budget, its chunks, codec, times and key.
fn cookie_table(cookie: &CookieInfo, now: SystemTime) -> Markup {
    let (budget, budget_name) = if cookie.chunks == 0 {
        (MAX_COOKIE_SIZE, "one cookie")
    } else {
        (MAX_SESSION_HEADER, "a chunked session")
    };
    html! {
        p #status { "Your browser holds a " (cookie.session_type) " session cookie." }
        table #cookie {
            tr { th { "Size" } td {
                meter #cookie-size min="0" max=(budget) high=(budget * 3 / 4) value=(cookie.size) {}
                " " (cookie.size) " of the " (budget) " bytes " (budget_name) " may take"
            } }
            tr { th { "Cookies" } td {
                @if cookie.chunks == 0 { "one cookie" }
                @else { "split into " (cookie.chunks) " chunk cookies" }
            } }
            tr { th { "Codec" } td { (cookie.session_type) } }
            tr { th { "Issued" } td { (when(cookie.issued_at, now, "not said in the cookie")) } }
            tr { th { "Expires on the server" } td {
                (when(cookie.expires_at, now, "no limit: no lifetime is configured, or the cookie has no issue time"))
            } }
            tr { th { "Key" } td {
                @if cookie.fallback_key {
                    "a fallback key: this response re-issues it under the current key"
                } @else { "the current key" }
            } }
        }
    }
}

/// A time as an HTTP date with how far it is from now, or `otherwise`.
fn when(time: Option<SystemTime>, now: SystemTime, otherwise: &str) -> String {
    let Some(time) = time else {
        return otherwise.to_owned();
    };
    let date = httpdate::fmt_http_date(time);
    match time.duration_since(now) {
        Ok(ahead) => format!("{date} (in {})", minutes(ahead.as_secs())),
        Err(behind) => format!("{date} ({} ago)", minutes(behind.duration().as_secs())),
    }
}

/// Seconds as whole minutes, or seconds under a minute.
fn minutes(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds / 60)
    }
}

/// Just enough CSS to read the pages.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;\
padding:0 1rem}nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ccc;\
padding-bottom:.5rem}.account{margin-left:auto}label{display:block;margin:.5rem 0}\
.inline{display:inline}.error{color:#b00}.hint{color:#666}#notice{background:#eef6ee;\
padding:.5rem;border-left:4px solid #4a4}th{text-align:left;padding-right:1rem;\
vertical-align:top}meter{width:12rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}";
