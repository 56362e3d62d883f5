//! Arbitrary claims in a correctly signed `jwt` cookie: what only a key
//! holder (or a muffin-session app sharing the key) can send. Past the MAC,
//! loading must never panic; a session that loads and is changed must save
//! (or fail with a typed error), and what it saves must load back as it was.
#![no_main]

use std::sync::OnceLock;

use axum_cookie_session::{SessionConfig, SessionType};
use libfuzzer_sys::fuzz_target;

static CONFIG: OnceLock<SessionConfig> = OnceLock::new();

fuzz_target!(|claims: &[u8]| {
    let config = CONFIG.get_or_init(|| axum_cookie_session_fuzz::config(SessionType::Jwt));
    axum_cookie_session_fuzz::load_signed_claims(config, claims);
});
