//! Arbitrary `Cookie` headers through the `jwt` decoder.
#![no_main]

use std::sync::OnceLock;

use axum_cookie_session::{SessionConfig, SessionType};
use libfuzzer_sys::fuzz_target;

static CONFIG: OnceLock<SessionConfig> = OnceLock::new();

fuzz_target!(|bytes: &[u8]| {
    let config = CONFIG.get_or_init(|| axum_cookie_session_fuzz::config(SessionType::Jwt));
    axum_cookie_session_fuzz::load(config, bytes);
});
