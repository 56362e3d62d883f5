//! The demo's code, as a library beside the binary (`src/main.rs`, which
//! serves it and says what each page does), so that the demo's own tests
//! can use the real thing: its users database (`db::Db`, the
//! `UserLoader`) on the file a running demo uses, to log a visitor in
//! without the login form (`SessionConfig::cookie_header`), and its
//! constants.

mod access_log;
mod client;
pub mod db;
mod hashing;
pub mod memory;
mod no_framing;
mod pages;
mod refusals;
pub mod routes;
mod throttle;
mod words;
