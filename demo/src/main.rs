//! A small site with logins, muffin-session's README "Example" as a real app:
//! server-rendered pages (maud), users in SQLite with argon2-hashed
//! passwords, and the session in a cookie.
//!
//! ```sh
//! cargo run -p demo                        # serves http://127.0.0.1:3000
//! ```
//!
//! On first start it creates the database (`DATABASE_URL`, default `demo.db`
//! in the working directory) with alice (id 1, admin, password `wonderland`)
//! and bob (id 2, password `builder`).
//!
//! - `GET /`: who is logged in; `GET /login`: the form (keeps a safe `next`);
//!   `POST /login`: logs in and goes to `next`, whose page says "Welcome
//!   back, alice." once, or `401` with the form again.
//!   After 5 failed logins for a user name in a minute, or 20 from a client
//!   address, `429` with `Retry-After` and the form saying how long to wait,
//!   before any password is hashed; failures are logged with the name.
//! - Every request is logged with its client's address, the one the login
//!   throttle counts by (`client.rs`): the connection's peer, or, only when
//!   `SESSION_TRUST_PROXY_HEADERS=true` (behind a reverse proxy that sets
//!   it), the address the proxy added to `X-Forwarded-For`.
//! - Password hashes run one per core at a time (`hashing.rs`): a login
//!   flood makes logins wait, and holds no more memory than those hashes.
//! - `GET /logout`: a page with a logout button; `POST /logout`: logs out
//!   and says so. No `GET` changes the session.
//! - What an action says after its redirect ("Logged out.", "Password
//!   changed...", "Session cleared.") is a one-time message (`Messages`):
//!   the next page a browser is shown, whichever it is, shows it once, with
//!   its level as a CSS class, and removes it from the cookie.
//! - `GET /session`: for a browser, a page showing the cookie in plain
//!   words (its size against the 4 KB budget, chunks, codec, when it was
//!   issued, when the server stops accepting it and why, how long the
//!   browser keeps it, which key signed it) and the decoded session, with
//!   what each of the site's own keys (`id`, `_auth`...) is for; for curl
//!   and scripts, the session as JSON.
//!   `POST /clear`: empties it.
//! - "Log out my other browsers", a button on the home and session pages
//!   for a logged-in user: `POST /logout-others` moves the user's session
//!   epoch on (a column beside the password hash, folded into
//!   `session_auth_hash`), so every other browser of the user, and every
//!   copy of this cookie, is anonymous on its next request; this browser is
//!   logged in again (keeping "Remember me") and sent to the session page,
//!   which says so. Anonymous, it is a `303` to the login form.
//! - `GET /password`: the form; `POST /password` (`current_password`,
//!   `new_password`): changes it, logging out every other browser of the
//!   user. A new password needs 8 to 1024 characters (`422` and the form
//!   saying so otherwise); the demo users' own passwords predate the rule.
//! - The login form's "Remember me" (`remember=on`) gives a 30-day cookie;
//!   a plain login lasts until the browser closes, and 14 days at most on
//!   the server (`SESSION_LIFETIME`, the crate's default); `SESSION_MAX_AGE`
//!   makes plain logins outlive the browser. The form says which holds.
//! - `GET /api/me`: the user as JSON. The routes under `/api/` are marked
//!   as an API (`ApiRoutes`): an anonymous caller, curl's `Accept: */*`
//!   included, gets `401` with `{"error":"login required"}` and a
//!   `WWW-Authenticate: Cookie` challenge whose `form-action` is `/login`,
//!   never a redirect.
//! - `GET /admin`: admins only (`RequireUser` with an `is_admin` check):
//!   anonymous visitors are sent to the login form, bob gets a `403` page
//!   naming him. Any other path is an HTML `404` page.
//! - Every `POST` from another site (`Sec-Fetch-Site: cross-site` or
//!   `same-site`, or an `Origin` that is not this host) is a `403` and
//!   changes nothing (`SessionLayer`'s cross-origin check), answered with a
//!   page saying the form came from another site and linking home;
//!   `SESSION_TRUSTED_ORIGINS` names sites that may post. curl and scripts,
//!   which send neither header, pass.
//! - Every answer forbids framing (`Content-Security-Policy: frame-ancestors
//!   'none'` and `X-Frame-Options: DENY`), so no page can lay itself over a
//!   button of this site and steer a click onto it.
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`;
//! without `SESSION_SECRET_KEY` a random secret is made for the run), `ADDR`
//! (default `127.0.0.1:3000`) and `RUST_LOG`. Since the session lives in the
//! cookie, several instances with the same secret and database serve the
//! same logged-in users.

#[path = "../../examples/support/mod.rs"]
mod support;

use std::error::Error;
use std::process::ExitCode;

use demo::db::{self, Db, DEMO_USERS};
use demo::{memory, routes};

/// Sets the allocator up before the runtime starts its threads, then
/// serves. A start-up error is one line, and exit status 1.
fn main() -> ExitCode {
    support::init_tracing();
    memory::return_large_blocks();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => Err(err.into()),
    };
    support::exit_on_error(result)
}

/// Opens the database, creates the demo users on first start, and serves.
async fn run() -> Result<(), Box<dyn Error>> {
    let path = db::database_path();
    let db = Db::open(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    if db.seed_demo_users().await? {
        announce_demo_users(&path);
    }
    let config = support::session_config("demo_session")?.with_user_loader(db.clone());
    support::serve(routes::app(config, db), "127.0.0.1:3000").await
}

/// Tells how to log in, once, when the demo users have just been created.
fn announce_demo_users(path: &std::path::Path) {
    println!("Created the demo users in {}:", path.display());
    for (id, name, password, is_admin) in DEMO_USERS {
        let role = if is_admin { "admin" } else { "not admin" };
        println!("  {name} (id {id}, {role}), password {password}");
    }
    println!("Log in at /login on the address below.");
}
