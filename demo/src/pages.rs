//! The site's HTML pages, written with maud: every value spliced into a page
//! is HTML-escaped, so a user name, a `next` URL or a session value cannot
//! inject markup.

use std::time::{Duration, SystemTime};

use axum_cookie_session::{
    CookieInfo, CsrfRejection, Message, SessionConfig, SessionType, AUTH_HASH_KEY, CSRF_TOKEN_KEY,
    ISSUED_AT_CLAIM, LIFETIME_CLAIM, MAX_COOKIE_SIZE, MAX_SESSION_HEADER, MESSAGES_KEY,
    USER_ID_KEY,
};
use maud::{html, Markup, DOCTYPE};
use serde_json::{Map, Value};

use crate::db::{User, MIN_PASSWORD_CHARS};
use crate::words::{from_now, length};

/// The frame around every page: title, navigation, `account` (who is logged
/// in, or a login link) at the end of the navigation, and the one-time
/// messages the last requests left (`Messages`), each with its level as a
/// CSS class, in `#notice`.
fn layout(title: &str, account: Markup, messages: &[Message], body: Markup) -> Markup {
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
                    @if !messages.is_empty() {
                        div #notice role="status" {
                            @for message in messages {
                                p .message .(message.level) { (message.text) }
                            }
                        }
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

/// "Log out my other browsers": a POST form, like logging out. This
/// browser stays logged in; every other one, and every copy of this
/// cookie, is logged out.
fn logout_others_form() -> Markup {
    html! {
        form #logout-others-form method="post" action="/logout-others" {
            button #logout-others type="submit" { "Log out my other browsers" }
            " " span .hint { "This browser stays logged in." }
        }
    }
}

/// `GET /`: who is logged in, and the messages the last request left.
pub fn home(user: Option<&User>, messages: &[Message]) -> Markup {
    let body = html! {
        @match user {
            Some(user) => {
                p #status { "Logged in as " (user.username) "." }
                @if user.is_admin {
                    p { "You are an admin: the " a href="/admin" { "admin page" } " is yours." }
                } @else {
                    p { "You are not an admin: " a href="/admin" { "/admin" } " answers 403." }
                }
                p { "Logged in on another computer, and not sure you logged out there?" }
                (logout_others_form())
            },
            None => {
                p #status { "Not logged in." }
                p { a href="/login" { "Log in" } " as alice (admin) or bob." }
            },
        }
        p { "The whole session lives in a cookie your browser holds: "
            a href="/session" { "see what it says" } "." }
    };
    layout("Home", account(user), messages, body)
}

/// What the login form shows: the visitor, where to go next (already
/// checked by `safe_next`), a message after a failed attempt, and the name
/// typed last time.
pub struct LoginPage<'a> {
    pub user: Option<&'a User>,
    /// One-time messages to show (none when the form is shown again).
    pub messages: &'a [Message],
    pub next: Option<&'a str>,
    pub message: Option<&'a str>,
    pub username: &'a str,
    /// The "Remember me" box was ticked.
    pub remember: bool,
    /// How long a login lasts, with "Remember me" and without.
    pub lifetimes: &'a Lifetimes,
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
            label { input type="checkbox" name="remember" value="on" checked[page.remember]
                    aria-describedby="remember-hint";
                " Remember me for " (length(page.lifetimes.remember)) }
            p #remember-hint .hint { (page.lifetimes.plain_login()) }
            input type="hidden" name="next" value=(page.next.unwrap_or_default());
            button type="submit" { "Log in" }
        }
        p .hint { "Try alice / wonderland (admin) or bob / builder." }
    };
    layout("Log in", account(page.user), page.messages, body)
}

/// `GET /password`, and `POST /password` again after a wrong current
/// password or a new one that breaks the rule (`message`). The browser
/// checks the minimum too (`minlength`); there is no `maxlength`, which
/// would silently cut a pasted password short.
pub fn password(user: &User, messages: &[Message], message: Option<&str>) -> Markup {
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
    layout("Change password", account(Some(user)), messages, body)
}

/// `GET /logout`: logging out is a POST, so a link (or an image another
/// site embeds) cannot do it; this page offers the button.
pub fn logout(user: Option<&User>, messages: &[Message]) -> Markup {
    let body = html! {
        @match user {
            Some(user) => {
                p #status { "Log out " (user.username) "?" }
                (logout_button("logout-confirm"))
            },
            None => p #status { "Not logged in." },
        }
    };
    layout("Log out", account(user), messages, body)
}

/// `GET /admin`, for admins only (the route guard checks).
pub fn admin(user: &User, messages: &[Message]) -> Markup {
    let body = html! {
        p #status { "Top secret admin page. Welcome, " (user.username) "." }
    };
    layout("Admin", account(Some(user)), messages, body)
}

/// The `403` page for a logged-in user who is not an admin.
pub fn forbidden(user: &User, messages: &[Message]) -> Markup {
    let body = html! {
        p #status { "This page is for admins only, and " (user.username) " is not one." }
        p { a #switch-user href="/login?next=%2Fadmin" { "Log in as someone else" } }
    };
    layout("Forbidden", account(Some(user)), messages, body)
}

/// The HTML `404` page.
pub fn not_found(user: Option<&User>, messages: &[Message], path: &str) -> Markup {
    let body = html! {
        p #status { "Nothing lives at " code { (path) } "." }
        p { a href="/" { "Back home" } }
    };
    layout("Not found", account(user), messages, body)
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
    layout("Refused", html! {}, &[], body)
}

/// How long logins last on this site, from its session config, as the
/// login and session pages tell it.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    /// How long the server accepts a session after it last wrote the
    /// cookie (`SESSION_LIFETIME`, 14 days by default); `None`: no limit.
    pub server: Option<Duration>,
    /// The cookie's `Max-Age` for a login without "Remember me"
    /// (`SESSION_MAX_AGE`); `None`: the browser deletes it when it closes.
    pub max_age: Option<Duration>,
    /// Whether a visit in the second half of a session's lifetime renews it.
    pub sliding: bool,
    /// How long "Remember me" keeps a login, as the config caps it.
    pub remember: Duration,
}

impl Lifetimes {
    /// The lifetimes `config` gives, with "Remember me" asking for `remember`.
    pub fn new(config: &SessionConfig, remember: Duration) -> Self {
        Self {
            server: config.lifetime(),
            max_age: config.max_age(),
            sliding: config.sliding_expiration(),
            remember: remember.min(config.max_lifetime()),
        }
    }

    /// What a login without "Remember me" lasts, in a sentence.
    fn plain_login(&self) -> String {
        let Some(server) = self.server else {
            return match self.max_age {
                None => "Without it, you are logged out when you close your browser.".to_owned(),
                Some(max_age) => format!(
                    "Without it too, you stay logged in for {} after logging in, even if you \
                     close your browser.",
                    length(max_age)
                ),
            };
        };
        // The browser and the server both count from the cookie's last
        // write: the shorter ends the login. A visit in the second half of
        // the server's lifetime writes the cookie again, if the browser
        // still has it then.
        let lasts = self.max_age.map_or(server, |max_age| max_age.min(server));
        let renewal = if self.sliding && lasts > server / 2 {
            format!(
                "; a visit after the first {} starts the {} again",
                length(server / 2),
                length(lasts)
            )
        } else {
            String::new()
        };
        match self.max_age {
            None => format!(
                "Without it, you are logged out when you close your browser, or {} after \
                 logging in{renewal}.",
                length(lasts)
            ),
            Some(_) => format!(
                "Without it too, you stay logged in for {} after logging in, even if you close \
                 your browser{renewal}.",
                length(lasts)
            ),
        }
    }
}

/// Everything `GET /session` shows of the browser's session cookie.
pub struct SessionPage<'a> {
    pub user: Option<&'a User>,
    /// The one-time messages this page shows (and so removes).
    pub messages: &'a [Message],
    /// The cookie as the request carried it, if it was accepted.
    pub cookie: Option<CookieInfo>,
    /// The session's own lifetime ("Remember me"), if it has one.
    pub own_lifetime: Option<Duration>,
    pub lifetimes: &'a Lifetimes,
    pub cookie_name: &'a str,
    /// The session the cookie held when the browser asked, decoded: with
    /// the messages this page shows, which it removes.
    pub session: &'a Map<String, Value>,
    pub now: SystemTime,
}

/// `GET /session` for a browser: the session cookie, what it holds, and
/// what each of the site's own keys is for.
pub fn session(page: SessionPage<'_>) -> Markup {
    let json = serde_json::to_string_pretty(page.session).unwrap_or_default();
    let body = html! {
        @match &page.cookie {
            Some(cookie) => (cookie_table(cookie, &page)),
            None => p #status {
                "Your browser has no session cookie for this site yet, or none the site still accepts."
            },
        }
        h2 { "What it holds" }
        pre #session-json { (json) }
        @if !page.session.is_empty() {
            table #keys {
                @for key in page.session.keys() {
                    tr { th { code { (key) } } td { (meaning(key)) } }
                }
            }
        }
        p .hint { "Scripts get the same as JSON: "
            code { "curl -b '" (page.cookie_name) "=…' http://…/session" } "." }
        form method="post" action="/clear" {
            button #clear type="submit" { "Clear the session" }
        }
        @if page.user.is_some() {
            (logout_others_form())
        }
    };
    layout("Your session", account(page.user), page.messages, body)
}

/// What a key of the session is for, in a sentence.
fn meaning(key: &str) -> &'static str {
    match key {
        USER_ID_KEY => "Your user id: the site looks you up by it on every visit.",
        AUTH_HASH_KEY => {
            "A keyed digest of your password hash and of a counter: changing your password, or \
             \"Log out my other browsers\" (which moves the counter), logs out every other \
             browser."
        }
        CSRF_TOKEN_KEY => {
            "The token the site's forms carry, so that it can tell its own forms from another \
             site's."
        }
        ISSUED_AT_CLAIM => {
            "When the cookie was issued, in seconds since 1970: the server counts the session's \
             lifetime from it."
        }
        LIFETIME_CLAIM => "This session's own lifetime, in seconds (\"Remember me\").",
        MESSAGES_KEY => {
            "One-time messages (\"Logged out.\"), waiting for the next page you see, which \
             shows them once and removes them."
        }
        _ => "Stored by the site's pages.",
    }
}

/// The cookie's size against its budget, its chunks, kind, times and key.
fn cookie_table(cookie: &CookieInfo, page: &SessionPage<'_>) -> Markup {
    let (budget, budget_words) = if cookie.chunks == 0 {
        (MAX_COOKIE_SIZE, "a browser keeps of one cookie")
    } else {
        (
            MAX_SESSION_HEADER,
            "the session's cookies may take together, which keeps the Cookie header under the 8 KB \
             many servers accept",
        )
    };
    let (kind, kind_words) = kind(cookie.session_type);
    html! {
        p #status { "Your browser holds " (kind) " session cookie for this site." }
        table #cookie {
            tr { th { "Size" } td {
                meter #cookie-size min="0" max=(budget) high=(budget * 3 / 4) value=(cookie.size) {}
                " " (cookie.size) " bytes, of the " (budget) " " (budget_words) "."
            } }
            tr { th { "Cookies" } td #chunks {
                @if cookie.chunks == 0 { "One cookie." }
                @else { "Split into " (cookie.chunks) " cookies, since it is too big for one." }
            } }
            tr { th { "Kind" } td #kind { (kind_words) } }
            tr { th { "Issued" } td #issued { (issued(cookie, page)) } }
            tr { th { "Expires on the server" } td #expires { (expires(cookie, page)) } }
            tr { th { "Kept by your browser" } td #kept { (kept(cookie, page)) } }
            tr { th { "Key" } td #key { (key(cookie, page)) } }
        }
    }
}

/// The cookie's kind, in two words ("a signed") and in a sentence naming
/// the codec.
fn kind(session_type: SessionType) -> (&'static str, &'static str) {
    match session_type {
        SessionType::Jwt => (
            "a signed",
            "Signed (jwt): anyone who has the cookie can read it, but nobody can change it \
             without the site's secret.",
        ),
        SessionType::Fernet => (
            "an encrypted",
            "Encrypted (fernet): only the site, with its secret, can read or change it.",
        ),
        SessionType::Base64 => (
            "an unsigned",
            "Neither signed nor encrypted (base64): anyone can read it, and change it.",
        ),
        other => (other.as_str(), other.as_str()),
    }
}

/// A time as a date and how far it is from now: "Tue, 08 Dec 2026
/// 02:14:26 GMT (in 14 days)".
fn date(time: SystemTime, now: SystemTime) -> String {
    format!(
        "{} ({})",
        httpdate::fmt_http_date(time),
        from_now(time, now)
    )
}

/// When the server last wrote the cookie, or why it does not say.
fn issued(cookie: &CookieInfo, page: &SessionPage<'_>) -> String {
    let lifetime = page.own_lifetime.or(page.lifetimes.server);
    match (cookie.issued_at, lifetime) {
        (Some(issued), _) => format!(
            "{}, the last time the site wrote it.",
            date(issued, page.now)
        ),
        (None, None) => "Not said in the cookie: with no lifetime to count, the site writes no \
                         issue time."
            .to_owned(),
        (None, Some(_)) => "Not said in the cookie: cookies written by muffin-session's jwt and \
                            base64 codecs carry no issue time."
            .to_owned(),
    }
}

/// When the server stops accepting the cookie, and which lifetime says so;
/// or why it never does, or has not started counting.
fn expires(cookie: &CookieInfo, page: &SessionPage<'_>) -> String {
    let now = page.now;
    let lifetime = page.own_lifetime.or(page.lifetimes.server);
    let Some(lifetime) = lifetime else {
        return "Never: the site sets no lifetime (SESSION_LIFETIME=none), so the server accepts \
                this cookie however old it is."
            .to_owned();
    };
    let (Some(expires), Some(issued)) = (cookie.expires_at, cookie.issued_at) else {
        return if cookie.fallback_key {
            "Not counted: the cookie says nothing of when it was issued, and an older secret \
             signed it. The server accepts it until that secret is retired."
                .to_owned()
        } else {
            format!(
                "Not counted yet: the cookie says nothing of when it was issued, so this answer \
                 gives it the time now. It expires {}, on {}.",
                from_now(now + lifetime, now),
                httpdate::fmt_http_date(now + lifetime)
            )
        };
    };
    let why = match page.own_lifetime {
        Some(own) => format!(
            "This session has a lifetime of its own, {} (\"Remember me\"), counted from when the \
             site last wrote the cookie.",
            length(own)
        ),
        None => format!(
            "Sessions last {} on this site, counted from when it last wrote the cookie.",
            length(lifetime)
        ),
    };
    let renewal = if page.lifetimes.sliding {
        format!(
            " A visit after {} renews it.",
            date(issued + lifetime / 2, now)
        )
    } else {
        String::new()
    };
    format!(
        "{}: after that the server refuses it, and the session ends. {why}{renewal}",
        date(expires, now)
    )
}

/// How long the browser keeps the cookie: the `Max-Age` the site gives it.
fn kept(cookie: &CookieInfo, page: &SessionPage<'_>) -> String {
    let max_age = match (page.own_lifetime, page.lifetimes.max_age) {
        (Some(own), _) => {
            let until = cookie.expires_at.map_or_else(
                || format!("for {}", length(own)),
                |at| format!("until {}", date(at, page.now)),
            );
            return format!(
                "Even if you close it, {until}: \"Remember me\" gave the cookie a Max-Age of {}.",
                length(own)
            );
        }
        (None, Some(max_age)) => max_age,
        (None, None) => {
            return "Until you close it: the cookie has no Max-Age. (A browser that reopens your \
                    tabs when it starts may keep it longer.)"
                .to_owned()
        }
    };
    let until = cookie.issued_at.map_or_else(
        || format!("for {} after the site last wrote it", length(max_age)),
        |issued| format!("until {}", date(issued + max_age, page.now)),
    );
    format!(
        "Even if you close it, {until}: the site gives its cookie a Max-Age of {}.",
        length(max_age)
    )
}

/// Which secret made the cookie, and what this answer does about it.
fn key(cookie: &CookieInfo, page: &SessionPage<'_>) -> &'static str {
    let lifetime = page.own_lifetime.or(page.lifetimes.server);
    if cookie.session_type == SessionType::Base64 {
        "None: this kind of cookie is not signed."
    } else if !cookie.fallback_key {
        "The site's current secret."
    } else if cookie.issued_at.is_none() && lifetime.is_some() {
        "An older secret the site still accepts (a fallback key). The cookie stays as it is \
         until that secret is retired."
    } else {
        "An older secret the site still accepts (a fallback key): this answer writes the cookie \
         again with the current one."
    }
}

/// Just enough CSS to read the pages.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;\
padding:0 1rem}nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ccc;\
padding-bottom:.5rem}.account{margin-left:auto}label{display:block;margin:.5rem 0}\
.inline{display:inline}.error{color:#b00}.hint{color:#666}.message{padding:.5rem;\
border-left:4px solid;margin:.5rem 0}.message.info{background:#eef3fb;border-color:#47a}\
.message.success{background:#eef6ee;border-color:#4a4}.message.warning{background:#fdf6e3;\
border-color:#c90}.message.error{background:#fbeeee;border-color:#b00}th{text-align:left;\
padding-right:1rem;vertical-align:top}meter{width:12rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}";

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 3600;

    fn lifetimes(server: Option<u64>, max_age: Option<u64>, sliding: bool) -> Lifetimes {
        Lifetimes {
            server: server.map(Duration::from_secs),
            max_age: max_age.map(Duration::from_secs),
            sliding,
            remember: Duration::from_secs(30 * DAY),
        }
    }

    #[test]
    fn a_plain_login_is_said_to_last_what_the_config_gives() {
        let said = |server, max_age, sliding| lifetimes(server, max_age, sliding).plain_login();
        assert_eq!(
            said(Some(14 * DAY), None, false),
            "Without it, you are logged out when you close your browser, or 14 days after \
             logging in."
        );
        assert_eq!(
            said(None, None, false),
            "Without it, you are logged out when you close your browser."
        );
        // The browser and the server count from the same write: the
        // shorter wins.
        assert_eq!(
            said(Some(14 * DAY), Some(DAY), false),
            "Without it too, you stay logged in for 1 day after logging in, even if you close \
             your browser."
        );
        assert_eq!(
            said(Some(14 * DAY), Some(30 * DAY), true),
            "Without it too, you stay logged in for 14 days after logging in, even if you \
             close your browser; a visit after the first 7 days starts the 14 days again."
        );
        // The browser drops the cookie before a visit could renew it.
        assert_eq!(
            said(Some(14 * DAY), Some(3 * DAY), true),
            "Without it too, you stay logged in for 3 days after logging in, even if you close \
             your browser."
        );
    }
}
