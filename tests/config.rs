//! `SessionConfig` built by the builder, from `SESSION_*` variables and by
//! serde: defaults, validation and errors that name the culprit.

mod common;

use std::time::Duration;

use axum_cookie_session::{ConfigError, SameSite, SessionConfig, SessionType, INSECURE_SECRET};
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderMap;

/// A builder with a secret: every `jwt` or `fernet` config needs one.
fn builder() -> axum_cookie_session::SessionConfigBuilder {
    SessionConfig::builder().secret_key(common::SECRET)
}

/// `SESSION_*` variables, after a secret.
fn from_vars(vars: &[(&str, &str)]) -> Result<SessionConfig, ConfigError> {
    let secret = [("SESSION_SECRET_KEY", common::SECRET)];
    SessionConfig::from_vars(secret.iter().chain(vars).copied())
}

#[test]
fn defaults_follow_muffin_session() {
    let config = builder().build().unwrap();
    assert_eq!(config.session_type(), SessionType::Jwt);
    assert_eq!(config.cookie_name(), "session");
    assert_eq!(config.login_url(), "/login");
    assert_eq!(config.max_age(), None);
    assert_eq!(
        config.session_type(),
        from_vars(&[]).unwrap().session_type()
    );
}

#[test]
fn from_vars_reads_every_session_variable() {
    let config = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", "s3cret-s3cret-s3cret-s3cret-s3cret"),
        ("SESSION_SESSION_TYPE", "BASE64"),
        ("SESSION_COOKIE_NAME", "muffin_session"),
        ("SESSION_LOGIN_URL", "/home"),
        ("SESSION_MAX_AGE", "3600"),
        ("SESSION_PATH", "/"),
        ("SESSION_DOMAIN", "example.com"),
        ("SESSION_SECURE", "true"),
        ("SESSION_SAMESITE", "none"),
        ("SESSION_HTTP_ONLY", "0"),
        ("PATH", "/usr/bin"),
        ("SESSION_SOMETHING_ELSE", "ignored"),
    ])
    .unwrap();
    assert_eq!(config.session_type(), SessionType::Base64);
    assert_eq!(config.cookie_name(), "muffin_session");
    assert_eq!(config.login_url(), "/home");
    assert_eq!(config.max_age(), Some(Duration::from_secs(3600)));
    let debug = format!("{config:?}");
    for attribute in [
        "Domain=example.com",
        "Secure",
        "SameSite=None",
        "Max-Age=3600",
    ] {
        assert!(debug.contains(attribute), "{debug}");
    }
    assert!(!debug.contains("HttpOnly"), "{debug}");
}

#[test]
fn empty_optional_variables_keep_defaults() {
    let config = from_vars(&[("SESSION_MAX_AGE", ""), ("SESSION_DOMAIN", " ")]).unwrap();
    assert_eq!(config.max_age(), None);
    assert!(!format!("{config:?}").contains("Domain"));
}

fn env_error(name: &str, value: &str) -> ConfigError {
    from_vars(&[(name, value)]).unwrap_err()
}

#[test]
fn bad_variables_are_errors_that_name_the_variable() {
    let cases = [
        ("SESSION_SESSION_TYPE", "rot13"),
        ("SESSION_SAMESITE", "sometimes"),
        ("SESSION_MAX_AGE", "two weeks"),
        ("SESSION_MAX_AGE", "-5"),
        ("SESSION_SECURE", "maybe"),
        ("SESSION_HTTP_ONLY", "2"),
        ("SESSION_SECRET_KEY", ""),
        ("SESSION_COOKIE_NAME", "my session"),
        ("SESSION_PATH", "/a;b"),
    ];
    for (name, value) in cases {
        let message = env_error(name, value).to_string();
        assert!(message.contains(name), "{name}={value}: {message}");
    }
}

#[test]
fn errors_never_show_the_secret() {
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", "hunter2-hunter2-hunter2-hunter2"),
        ("SESSION_MAX_AGE", "x"),
    ])
    .unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn debug_never_shows_the_secret() {
    let config = builder()
        .secret_key("hunter2-hunter2-hunter2-hunter2!")
        .fallback_keys(["old-hunter2-old-hunter2-old-hunter2"])
        .build()
        .unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!format!("{:?}", builder().secret_key("hunter2")).contains("hunter2"));
}

#[test]
fn builder_errors_name_the_option() {
    let err = builder().secret_key("").build().unwrap_err();
    assert_eq!(
        err,
        ConfigError::EmptySecret {
            option: "secret_key".into()
        }
    );
    let err = builder().cookie_name("a=b").build().unwrap_err();
    assert!(err.to_string().contains("`cookie_name`"), "{err}");
}

#[test]
fn same_site_none_needs_secure() {
    let err = builder().same_site(SameSite::None).build().unwrap_err();
    assert!(matches!(err, ConfigError::SameSiteNoneNeedsSecure { .. }));
    builder()
        .same_site(SameSite::None)
        .secure(true)
        .build()
        .unwrap();
}

#[test]
fn cookie_prefixes_are_checked() {
    let host = || builder().cookie_name("__Host-session");
    assert!(host().build().is_err(), "__Host- needs Secure");
    assert!(
        host().secure(true).path("/app").build().is_err(),
        "__Host- needs Path=/"
    );
    assert!(
        host().secure(true).domain("example.com").build().is_err(),
        "__Host- forbids Domain"
    );
    host().secure(true).build().unwrap();

    let secure = || builder().cookie_name("__Secure-session");
    assert!(secure().build().is_err());
    secure().secure(true).domain("example.com").build().unwrap();

    // Browsers match the prefixes in any case.
    for name in ["__host-session", "__HOST-session", "__secure-session"] {
        let err = builder().cookie_name(name).build().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidCookiePrefix { .. }),
            "{name}"
        );
    }
}

#[test]
fn a_path_that_browsers_would_replace_is_refused() {
    let err = builder().path("app").build().unwrap_err();
    assert_eq!(
        err,
        ConfigError::InvalidPath {
            option: "path".into(),
            value: "app".into()
        }
    );
    let err = env_error("SESSION_PATH", "app/");
    assert!(err.to_string().contains("`SESSION_PATH`"), "{err}");
    builder().path("/app").build().unwrap();
}

#[test]
fn a_login_url_no_redirect_could_carry_is_refused() {
    for url in ["", "/login\r\nSet-Cookie: x=y", "/log\tin", "/login\0"] {
        let err = builder().login_url(url).build().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidLoginUrl { .. }),
            "{url:?}: {err}"
        );
        // The message shows the value escaped, so it cannot forge log lines.
        assert!(!err.to_string().contains(['\r', '\n', '\t', '\0']), "{err}");
    }
    let err = env_error("SESSION_LOGIN_URL", " ");
    assert!(err.to_string().contains("`SESSION_LOGIN_URL`"), "{err}");
    for url in [
        "/login",
        "https://auth.example.com/login?app=1",
        "HTTP://auth.example.com",
        "/connexion/é",
    ] {
        builder().login_url(url).build().unwrap();
    }
}

#[test]
fn a_login_url_that_is_not_a_path_or_a_web_url_is_refused() {
    for url in [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/login",
        "/\\evil.example/login",
        "login",
        "ftp://files.example.com/login",
        "https://",
        "https:///login",
    ] {
        let err = builder().login_url(url).build().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidLoginUrl { .. }),
            "{url:?}: {err}"
        );
    }
    let err = env_error("SESSION_LOGIN_URL", "javascript:alert(1)");
    assert!(err.to_string().contains("`SESSION_LOGIN_URL`"), "{err}");
    assert!(err.to_string().contains("single `/`"), "{err}");
}

#[test]
fn a_cookie_domain_browsers_would_drop_is_refused() {
    for domain in [
        "example.com:8080",
        "http://example.com",
        "https://example.com/",
        "*.example.com",
        "example .com",
        "example.com/app",
        "user@example.com",
    ] {
        let err = builder().domain(domain).build().unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidDomain { option, .. } | ConfigError::InvalidAttribute { option, .. } if option == "domain"),
            "{domain:?}: {err:?}"
        );
        assert!(err.to_string().contains("`domain`"), "{err}");
    }
    let err = env_error("SESSION_DOMAIN", "example.com:8080");
    assert!(err.to_string().contains("`SESSION_DOMAIN`"), "{err}");
    assert!(err.to_string().contains("port"), "{err}");
}

#[test]
fn durations_of_zero_are_refused() {
    let zero = Duration::ZERO;
    let cases = [
        (builder().max_age(zero).build(), "max_age"),
        (builder().lifetime(zero).build(), "lifetime"),
        (builder().max_lifetime(zero).build(), "max_lifetime"),
        (from_vars(&[("SESSION_MAX_AGE", "0")]), "SESSION_MAX_AGE"),
        (from_vars(&[("SESSION_LIFETIME", "0")]), "SESSION_LIFETIME"),
        (
            from_vars(&[("SESSION_MAX_LIFETIME", "0")]),
            "SESSION_MAX_LIFETIME",
        ),
    ];
    for (result, option) in cases {
        let err = result.unwrap_err();
        assert_eq!(
            err,
            ConfigError::ZeroDuration {
                option: option.into()
            }
        );
    }
    let json = format!(r#"{{"secret_key": "{}", "max_age": 0}}"#, common::SECRET);
    let err = serde_json::from_str::<SessionConfig>(&json).unwrap_err();
    assert!(err.to_string().contains("`max_age` is 0"), "{err}");
}

#[test]
fn a_login_url_with_a_fragment_is_refused() {
    for url in ["/login#top", "https://auth.example.com/login#form"] {
        let err = builder().login_url(url).build().unwrap_err();
        assert!(matches!(err, ConfigError::InvalidLoginUrl { .. }), "{url}");
        assert!(err.to_string().contains("fragment"), "{err}");
    }
}

#[test]
fn the_default_cookie_name_is_host_prefixed_where_the_prefix_fits() {
    // Secure, path `/`, no domain: `__Host-`, which no other host can set.
    let config = builder().secure(true).build().unwrap();
    assert_eq!(config.cookie_name(), "__Host-session");
    let config = from_vars(&[("SESSION_SECURE", "true")]).unwrap();
    assert_eq!(config.cookie_name(), "__Host-session");
    // Where it does not fit, the plain name, as before.
    for config in [
        builder().build().unwrap(),
        builder().secure(true).path("/app").build().unwrap(),
        builder()
            .secure(true)
            .domain("example.com")
            .build()
            .unwrap(),
    ] {
        assert_eq!(config.cookie_name(), "session");
    }
    // An unprefixed name where the prefix fits, and any domain: a warning
    // at every build with the exact fix.
    let warnings = warnings_of(|| {
        builder().secure(true).cookie_name("sid").build().unwrap();
    });
    assert!(warnings.contains("name it `__Host-sid`"), "{warnings}");
    assert!(warnings.contains("same name"), "{warnings}");
    let warnings = warnings_of(|| {
        builder().domain("example.com").build().unwrap();
    });
    assert!(warnings.contains("plant a session"), "{warnings}");
    assert_eq!(
        warnings_of(|| {
            builder().secure(true).build().unwrap();
            builder()
                .secure(true)
                .cookie_name("__Host-sid")
                .build()
                .unwrap();
        }),
        ""
    );
}

#[test]
fn a_cookie_domain_that_is_a_top_level_domain_is_refused() {
    for domain in [
        "com",
        ".com",
        "com.",
        "localhost",
        ".",
        "..com",
        "example..com",
    ] {
        let err = builder().domain(domain).build().unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidDomain {
                option: "domain".into(),
                value: domain.into()
            },
            "{domain:?}"
        );
    }
    let err = env_error("SESSION_DOMAIN", ".com");
    assert!(err.to_string().contains("`SESSION_DOMAIN`"), "{err}");
    for domain in [
        "example.com",
        ".example.com",
        "app.example.co.uk",
        "127.0.0.1",
    ] {
        builder().domain(domain).build().unwrap();
    }
}

#[test]
fn deserializes_from_an_app_config_file() {
    #[derive(serde::Deserialize)]
    struct AppConfig {
        session: SessionConfig,
    }
    let app: AppConfig = serde_json::from_str(
        r#"{"session": {"secret_key": "from-a-file-from-a-file-from-a-file", "session_type": "base64",
            "cookie_name": "sid", "max_age": 60, "samesite": "strict", "login_url": "/signin"}}"#,
    )
    .unwrap();
    assert_eq!(app.session.session_type(), SessionType::Base64);
    assert_eq!(app.session.cookie_name(), "sid");
    assert_eq!(app.session.max_age(), Some(Duration::from_secs(60)));
    assert_eq!(app.session.login_url(), "/signin");
    assert!(format!("{:?}", app.session).contains("SameSite=Strict"));
}

#[test]
fn deserialization_errors_name_the_field() {
    let err = serde_json::from_str::<SessionConfig>(r#"{"secret_key": ""}"#).unwrap_err();
    assert!(err.to_string().contains("secret_key"), "{err}");
    let err = serde_json::from_str::<SessionConfig>(r#"{"session_type": "rot13"}"#).unwrap_err();
    assert!(err.to_string().contains("rot13"), "{err}");
    let err = serde_json::from_str::<SessionConfig>(r#"{"max_age": "soon"}"#).unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
    let err = serde_json::from_str::<SessionConfig>(r#"{"secret": "typo"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `secret`"), "{err}");
}

#[test]
fn from_vars_reads_expiry_and_rotation_variables() {
    let config = SessionConfig::from_vars([
        (
            "SESSION_SECRET_KEY",
            "new-key-new-key-new-key-new-key-new-key",
        ),
        (
            "SESSION_FALLBACK_KEYS",
            "old-key-old-key-old-key-old-key-old, older-key-older-key-older-key-older",
        ),
        ("SESSION_MAX_AGE", "3600"),
        ("SESSION_LIFETIME", "600"),
        ("SESSION_SLIDING_EXPIRATION", "yes"),
        ("SESSION_MUFFIN_COMPAT", "false"),
    ])
    .unwrap();
    assert_eq!(config.max_age(), Some(Duration::from_secs(3600)));
    assert_eq!(config.lifetime(), Some(Duration::from_secs(600)));
    assert!(!config.muffin_compat());
    let debug = format!("{config:?}");
    assert!(debug.contains("sliding: true"), "{debug}");
    assert!(
        !debug.contains("old-key") && !debug.contains("older"),
        "{debug}"
    );

    // The lifetime follows the max-age unless set.
    let config = from_vars(&[("SESSION_MAX_AGE", "60")]).unwrap();
    assert_eq!(config.lifetime(), Some(Duration::from_secs(60)));
    assert!(config.muffin_compat());
    // Else 14 days, on the server only: the cookie stays a browser-session
    // one. No limit at all must be asked for.
    let config = from_vars(&[]).unwrap();
    assert_eq!(config.lifetime(), Some(Duration::from_secs(14 * 24 * 3600)));
    assert_eq!(config.max_age(), None);
    let config = from_vars(&[("SESSION_LIFETIME", "none")]).unwrap();
    assert_eq!(config.lifetime(), None);
    let config = builder().unlimited_lifetime().build().unwrap();
    assert_eq!(config.lifetime(), None);
    let config: SessionConfig = serde_json::from_str(&format!(
        r#"{{"secret_key": "{}", "lifetime": "none"}}"#,
        common::SECRET
    ))
    .unwrap();
    assert_eq!(config.lifetime(), None);

    let err = env_error("SESSION_LIFETIME", "an hour");
    assert!(err.to_string().contains("SESSION_LIFETIME"), "{err}");
}

#[test]
fn fallback_keys_deserialize_from_a_list_or_a_comma_separated_string() {
    // A cookie signed with the second old key loads: both keys were read.
    let old = builder()
        .secret_key("old-2-old-2-old-2-old-2-old-2-old-2")
        .build()
        .unwrap();
    let mut session: axum_cookie_session::Session =
        old.load_from_request(&HeaderMap::new()).unwrap();
    session.insert("id", 1).unwrap();
    let mut headers = HeaderMap::new();
    old.save_to_response(session, &mut headers).unwrap();
    let set_cookie = headers[SET_COOKIE].to_str().unwrap();
    let mut request = HeaderMap::new();
    request.insert(
        COOKIE,
        set_cookie.split(';').next().unwrap().parse().unwrap(),
    );
    let (one, two) = (
        "old-1-old-1-old-1-old-1-old-1-old-1",
        "old-2-old-2-old-2-old-2-old-2-old-2",
    );
    for keys in [
        format!(r#"["{one}", "{two}"]"#),
        format!(r#""{one}, {two}""#),
    ] {
        let json = format!(
            r#"{{"secret_key": "current-current-current-current!", "fallback_keys": {keys}}}"#
        );
        let config: SessionConfig = serde_json::from_str(&json).unwrap();
        let session: axum_cookie_session::Session = config.load_from_request(&request).unwrap();
        assert_eq!(session.get("id"), Some(&serde_json::json!(1)), "{keys}");
    }
}

#[test]
fn badly_typed_secrets_are_refused_without_being_quoted() {
    for json in [
        r#"{"secret_key": 123456789}"#,
        r#"{"secret_key": ["123456789"]}"#,
        r#"{"fallback_keys": 123456789}"#,
        r#"{"fallback_keys": ["ok", 123456789]}"#,
        r#"{"fallback_keys": {"key": "123456789"}}"#,
    ] {
        let err = serde_json::from_str::<SessionConfig>(json).unwrap_err();
        assert!(!err.to_string().contains("123456789"), "{json}: {err}");
        assert!(err.to_string().contains("not shown"), "{json}: {err}");
    }
}

/// The warnings logged while `build` runs.
fn warnings_of(build: impl FnOnce()) -> String {
    common::logs_of(tracing::Level::WARN, build)
}

/// `logs_of` sees what its thread logs at its level, whatever other threads
/// log meanwhile, and nothing after it returns.
#[test]
fn logs_of_captures_its_own_thread_at_its_level() {
    let (logged, go) = std::sync::mpsc::channel::<()>();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let elsewhere = std::thread::spawn(move || {
        go.recv().unwrap();
        tracing::warn!(witness = "elsewhere", "on another thread");
        done.send(()).unwrap();
    });
    let logs = warnings_of(|| {
        tracing::info!(witness = "below", "under the level");
        logged.send(()).unwrap();
        wait.recv().unwrap();
        tracing::warn!(witness = "here", "on this thread");
    });
    elsewhere.join().unwrap();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("on this thread"), "{logs}");
    assert!(logs.contains("witness=\"here\""), "{logs}");
    assert!(!logs.contains("elsewhere"), "{logs}");
    assert!(!logs.contains("below"), "{logs}");
    assert_eq!(logs.lines().count(), 1, "{logs}");
    tracing::warn!("after the capture");
    assert_eq!(warnings_of(|| {}), "");
}

#[test]
fn weak_secrets_are_refused_unless_allowed_and_then_warned_about() {
    let strong = "0123456789abcdef0123456789abcdef";
    let try_build = |codec: SessionType, secret: &str, fallback: &str, allow: bool| {
        builder()
            .session_type(codec)
            .secret_key(secret)
            .fallback_keys([fallback])
            .allow_weak_secret(allow)
            .build()
    };
    let warnings_with = |codec: SessionType, secret: &'static str, fallback: &'static str| {
        warnings_of(move || {
            try_build(codec, secret, fallback, true).unwrap();
        })
    };
    assert_eq!(warnings_with(SessionType::Jwt, strong, strong), "");
    // Refused, naming the option and the opt-in, never the secret: the
    // secret and the fallback keys by one rule, every codec that signs.
    let cases = [
        (SessionType::Jwt, "short-jwt-secret", strong, "secret_key"),
        (
            SessionType::Jwt,
            strong,
            "short-old-secret",
            "fallback_keys",
        ),
        (SessionType::Jwt, INSECURE_SECRET, strong, "secret_key"),
        (SessionType::Jwt, strong, INSECURE_SECRET, "fallback_keys"),
        (
            SessionType::Fernet,
            "sixteen-chars-16",
            strong,
            "secret_key",
        ),
        (
            SessionType::Fernet,
            strong,
            "tiny-fernet-key",
            "fallback_keys",
        ),
    ];
    for (codec, secret, fallback, option) in cases {
        if codec == SessionType::Fernet && !cfg!(feature = "fernet") {
            continue;
        }
        let err = try_build(codec, secret, fallback, false).unwrap_err();
        assert!(
            matches!(&err, ConfigError::WeakSecret { option: named, allow, .. }
                if named == option && allow == "allow_weak_secret"),
            "{codec} {option}: {err:?}"
        );
        let message = format!("{err} {err:?}");
        for shown in [secret, fallback] {
            assert!(shown == strong || !message.contains(shown), "{message}");
        }
    }
    let err = SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", strong),
        ("SESSION_FALLBACK_KEYS", "hunter2"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("`SESSION_FALLBACK_KEYS`"), "{err}");
    assert!(
        err.to_string().contains("`SESSION_ALLOW_WEAK_SECRET`"),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");
    SessionConfig::from_vars([
        ("SESSION_SECRET_KEY", strong),
        ("SESSION_FALLBACK_KEYS", "hunter2"),
        ("SESSION_ALLOW_WEAK_SECRET", "true"),
    ])
    .unwrap();

    // Allowed: a warning at every build, naming the key's option.
    let warnings = warnings_with(SessionType::Jwt, "short-jwt-secret", strong);
    assert!(
        warnings.contains("`secret_key` is shorter than 32 bytes"),
        "{warnings}"
    );
    assert!(!warnings.contains("short-jwt-secret"), "{warnings}");
    let warnings = warnings_with(SessionType::Jwt, strong, "short-old-secret");
    assert!(
        warnings.contains("`fallback_keys` is shorter"),
        "{warnings}"
    );
    if cfg!(feature = "fernet") {
        let warnings = warnings_with(SessionType::Fernet, "sixteen-chars-16", strong);
        assert!(warnings.contains("AES half"), "{warnings}");
        assert!(!warnings.contains("sixteen-chars-16"), "{warnings}");
        let warnings = warnings_with(SessionType::Fernet, "twenty-four-characters!!", strong);
        assert!(
            warnings.contains("shorter than 32 characters"),
            "{warnings}"
        );
        // A real Fernet key, and secrets stretched by HKDF, are not weak
        // (and are Rust-only: see the next test).
        let fernet_key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
        let rust_only = warnings_of(|| {
            builder()
                .session_type(SessionType::Fernet)
                .secret_key(fernet_key)
                .muffin_compat(false)
                .build()
                .unwrap();
        });
        assert_eq!(rust_only, "");
    }
    // The public default as a fallback key lets anyone forge sessions.
    let warnings = warnings_with(SessionType::Jwt, strong, INSECURE_SECRET);
    assert!(
        warnings.contains("`fallback_keys` holds the insecure default"),
        "{warnings}"
    );
    // base64 takes no key: nothing is weak.
    try_build(SessionType::Base64, "x", "y", false).unwrap();
}

#[test]
fn keys_with_whitespace_at_either_end_are_refused_by_one_rule() {
    let strong = "0123456789abcdef0123456789abcdef";
    for padded in [
        format!(" {strong}"),
        format!("{strong}\n"),
        format!("\t{strong} "),
    ] {
        let err = builder().secret_key(padded.clone()).build().unwrap_err();
        assert_eq!(
            err,
            ConfigError::SecretWhitespace {
                option: "secret_key".into()
            }
        );
        let err = builder()
            .fallback_keys([padded.clone()])
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::SecretWhitespace {
                option: "fallback_keys".into()
            }
        );
        let err = env_error("SESSION_SECRET_KEY", &padded);
        assert!(err.to_string().contains("`SESSION_SECRET_KEY`"), "{err}");
    }
    // In the variable's list, spaces around a comma only separate keys: the
    // key is the same one the secret was.
    let config = from_vars(&[("SESSION_FALLBACK_KEYS", &format!(" {strong} , {strong}x "))]);
    config.unwrap();
}

#[test]
fn a_fernet_secret_muffin_session_cannot_read_is_refused_while_compatible() {
    let fernet_key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    let thirty_three = "0123456789abcdef0123456789abcdef!";
    for secret in [fernet_key, thirty_three, "sécret-ключ", &"k".repeat(64)] {
        let err = builder()
            .session_type(SessionType::Fernet)
            .secret_key(secret)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::MuffinIncompatibleSecret { option, compat, .. }
                    if option == "secret_key" && compat == "muffin_compat"
            ),
            "{secret:?}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("at most 32 characters"), "{message}");
        assert!(message.contains("could not read"), "{message}");
        assert!(!message.contains(secret), "the secret is shown: {message}");
        // The app says no Muffin app shares the cookies: the key is its own
        // (the short one still acknowledged as weak).
        builder()
            .session_type(SessionType::Fernet)
            .secret_key(secret)
            .muffin_compat(false)
            .allow_weak_secret(secret.len() < 32)
            .build()
            .unwrap();
    }
    let err = SessionConfig::from_vars([
        ("SESSION_SESSION_TYPE", "fernet"),
        ("SESSION_SECRET_KEY", thirty_three),
    ])
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("`SESSION_SECRET_KEY`"), "{message}");
    assert!(message.contains("`SESSION_MUFFIN_COMPAT`"), "{message}");
    SessionConfig::from_vars([
        ("SESSION_SESSION_TYPE", "fernet"),
        ("SESSION_SECRET_KEY", thirty_three),
        ("SESSION_MUFFIN_COMPAT", "false"),
    ])
    .unwrap();
    // Secrets muffin-session reads, up to 32 ASCII characters, are fine; so
    // are long secrets for jwt (the HMAC key is their bytes in both), and
    // long fallback keys, which never write a cookie.
    for secret in ["s", "sixteen-chars-ok", "0123456789abcdef0123456789abcdef"] {
        builder()
            .session_type(SessionType::Fernet)
            .secret_key(secret)
            .fallback_keys([fernet_key])
            .allow_weak_secret(true)
            .build()
            .unwrap();
    }
    builder().secret_key(thirty_three).build().unwrap();
}

#[test]
fn unknown_session_variables_are_warned_about_by_name_only() {
    let warnings = warnings_of(|| {
        SessionConfig::from_vars([
            ("SESSION_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("SESSION_SECRET", "a-value-never-to-be-logged"),
            ("SESSION_MANAGER", "local/host:@/tmp/.ICE-unix/1"),
            ("OTHER_VARIABLE", "not ours"),
        ])
        .unwrap();
    });
    assert!(warnings.contains("SESSION_SECRET"), "{warnings}");
    assert!(warnings.contains("unknown session variable"), "{warnings}");
    assert!(
        !warnings.contains("a-value-never-to-be-logged"),
        "{warnings}"
    );
    assert!(!warnings.contains("SESSION_MANAGER"), "{warnings}");
    assert!(!warnings.contains("OTHER_VARIABLE"), "{warnings}");
}

#[test]
fn a_signing_config_without_a_secret_is_refused() {
    for codec in common::keyed_codecs() {
        let err = SessionConfig::builder()
            .session_type(codec)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingSecret {
                option: "secret_key".into(),
                allow: "allow_insecure_secret".into()
            },
            "{codec}"
        );
        assert!(err.to_string().contains("long random string"), "{err}");
        let err = SessionConfig::from_vars([("SESSION_SESSION_TYPE", codec.as_str())]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("`SESSION_SECRET_KEY` is not set"),
            "{message}"
        );
        assert!(
            message.contains("`SESSION_ALLOW_INSECURE_SECRET`"),
            "{message}"
        );
        let err =
            serde_json::from_str::<SessionConfig>(&format!(r#"{{"session_type": "{codec}"}}"#))
                .unwrap_err();
        assert!(err.to_string().contains("secret_key"), "{err}");
    }
    // base64 does not use the secret: nothing to refuse.
    SessionConfig::builder()
        .session_type(SessionType::Base64)
        .build()
        .unwrap();
}

#[test]
fn the_public_default_secret_is_used_only_when_asked_for_and_loudly() {
    let opted_in = warnings_of(|| {
        SessionConfig::builder()
            .allow_insecure_secret(true)
            .build()
            .unwrap();
        SessionConfig::from_vars([("SESSION_ALLOW_INSECURE_SECRET", "true")]).unwrap();
        serde_json::from_str::<SessionConfig>(r#"{"allow_insecure_secret": true}"#).unwrap();
    });
    assert_eq!(
        opted_in.matches("PUBLIC DEFAULT `InsecureSecret`").count(),
        3,
        "{opted_in}"
    );
    // A Muffin app left at its default secret, while it migrates: explicit,
    // and acknowledged as the weak key it is.
    let explicit = warnings_of(|| {
        SessionConfig::builder()
            .secret_key(INSECURE_SECRET)
            .allow_weak_secret(true)
            .build()
            .unwrap();
        SessionConfig::from_vars([
            ("SESSION_SECRET_KEY", INSECURE_SECRET),
            ("SESSION_ALLOW_WEAK_SECRET", "1"),
        ])
        .unwrap();
    });
    assert_eq!(explicit.matches("PUBLIC DEFAULT").count(), 2, "{explicit}");
    assert!(explicit.contains("`SESSION_SECRET_KEY`"), "{explicit}");
    let err = env_error("SESSION_ALLOW_INSECURE_SECRET", "perhaps");
    assert!(
        err.to_string().contains("SESSION_ALLOW_INSECURE_SECRET"),
        "{err}"
    );
}

#[test]
fn a_secret_of_only_whitespace_is_refused() {
    for blank in [" ", "\t\n", "        "] {
        let err = builder().secret_key(blank).build().unwrap_err();
        assert_eq!(
            err,
            ConfigError::EmptySecret {
                option: "secret_key".into()
            }
        );
        let err = env_error("SESSION_SECRET_KEY", blank);
        assert!(err.to_string().contains("`SESSION_SECRET_KEY`"), "{err}");
        let err = builder().fallback_keys([blank]).build().unwrap_err();
        assert!(err.to_string().contains("`fallback_keys`"), "{err}");
    }
}
