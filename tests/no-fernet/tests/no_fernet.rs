//! Without the `fernet` feature: asking for Fernet is a clear configuration
//! error, and the other codecs work.

use axum_cookie_session::{ConfigError, SessionConfig, SessionType};

#[test]
fn fernet_is_a_config_error_naming_the_feature() {
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", "x".repeat(32).as_str()),
        ("SESSION_SESSION_TYPE", "fernet"),
    ])
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::FernetNotEnabled { ref option } if option == "SESSION_SESSION_TYPE")
    );
    assert!(err.to_string().contains("features = [\"fernet\"]"), "{err}");
}

#[test]
fn jwt_and_base64_build() {
    for codec in [SessionType::Jwt, SessionType::Base64] {
        let config = SessionConfig::builder()
            .session_type(codec)
            .secret_key("x".repeat(32))
            .build()
            .unwrap();
        assert_eq!(config.session_type(), codec);
    }
}
