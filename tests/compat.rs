//! Wire compatibility with muffin-session 2.6: cookies minted by the real
//! Python package (golden vectors made by `tests/python/make_vectors.py`) load
//! here with the same secret, and cookies minted here decode to the same data.
//! `.ci/run` also checks both directions live against the `auto` example.
//!
//! The vectors file's `python_only` group holds sessions with JSON only
//! Python writes (lone surrogate escapes, `NaN`, `Infinity`, integers beyond
//! 64 bits, surrogate-pair escapes, ...), each minted by the real
//! muffin-session; the `python_only_*` tests drive a real `Router` with them.

mod common;

use std::collections::BTreeSet;

use axum::routing::get;
use axum::{Json, Router};
use axum_cookie_session::{SaveError, Session, SessionConfig, SessionLayer, SessionType};
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
struct Vectors {
    generator: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    codec: SessionType,
    secret: String,
    payload: Map<String, Value>,
    token: String,
}

/// The vectors file: `$MUFFIN_VECTORS` (fresh ones, `.ci/run`) or the
/// committed one.
fn vectors_text() -> String {
    let path = std::env::var("MUFFIN_VECTORS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/muffin_session_2_6.json"
        )
        .to_owned()
    });
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn vectors() -> Vec<Vector> {
    let vectors: Vectors = serde_json::from_str(&vectors_text()).unwrap();
    assert!(vectors.generator.starts_with("muffin-session 2.6"));
    vectors
        .vectors
        .into_iter()
        .filter(|vector| common::codecs().contains(&vector.codec))
        .collect()
}

fn config(vector: &Vector) -> SessionConfig {
    common::config_with_secret(vector.codec, &vector.secret)
}

#[test]
fn python_minted_cookies_load() {
    let vectors = vectors();
    for codec in common::codecs() {
        assert!(
            vectors.iter().filter(|v| v.codec == codec).count() >= 10,
            "too few {codec} vectors"
        );
    }
    for vector in &vectors {
        let loaded = common::decode(&config(vector), &vector.token);
        assert_eq!(
            loaded, vector.payload,
            "{} vector {}",
            vector.codec, vector.token
        );
    }
}

#[test]
fn crate_minted_cookies_round_trip_the_python_payloads() {
    for vector in vectors() {
        if vector.payload.is_empty() {
            continue; // an empty session is unchanged: nothing to save
        }
        let config = config(&vector);
        let token = common::encode(&config, Value::Object(vector.payload.clone()));
        assert_eq!(common::decode(&config, &token), vector.payload);
    }
}

#[test]
fn base64_cookies_load_without_their_padding() {
    for vector in vectors().iter().filter(|v| v.codec == SessionType::Base64) {
        let unpadded = vector.token.trim_end_matches('=');
        assert_eq!(common::decode(&config(vector), unpadded), vector.payload);
    }
}

#[test]
fn python_cookies_with_another_secret_are_empty() {
    for vector in vectors().iter().filter(|v| v.codec != SessionType::Base64) {
        let other = common::config_with_secret(vector.codec, "another secret entirely");
        assert!(common::decode(&other, &vector.token).is_empty());
    }
}

#[test]
fn jwt_header_is_pyjwts() {
    let config = common::config(SessionType::Jwt);
    let token = common::encode(&config, serde_json::json!({"id": 1}));
    let header = token.split('.').next().unwrap();
    // base64url of {"alg":"HS256","typ":"JWT"}, as PyJWT writes it.
    assert_eq!(header, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
}

// ---------------------------------------------------------------------------
// python_only: JSON only Python writes (see tests/python/make_vectors.py)
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct PythonOnlyFile {
    generator: String,
    python_only: Vec<PythonOnly>,
}

/// A session muffin-session minted from a value strict JSON (or serde_json)
/// has no room for. Its JSON cannot be a `payload`, so the vector carries
/// the exact text Python wrote, and that text split into top-level entries.
/// jwt claims are written by `json.dumps` (`"\ud800"`, `NaN`, 2**70 in
/// full); base64 and fernet by orjson, which writes `NaN` as `null` and
/// refuses lone surrogates and integers beyond 64 bits (no vector then).
#[derive(Deserialize)]
struct PythonOnly {
    codec: SessionType,
    secret: String,
    /// What the session holds, e.g. `lone_high_surrogate`, `logged_in_nan`.
    case: String,
    /// The cookie value muffin-session minted.
    token: String,
    /// The JSON text inside `token`, byte for byte as Python encoded it.
    json: String,
    entries: Vec<Entry>,
}

/// One top-level entry of a `PythonOnly` session.
#[derive(Deserialize)]
struct Entry {
    key: String,
    /// The entry's exact text in the session JSON: `"key":value`.
    text: String,
    /// True when serde_json cannot load the value (a lone surrogate, `NaN`,
    /// `Infinity`, an integer outside i64/u64): only its text exists.
    python_only: bool,
    /// The value, when `python_only` is false.
    #[serde(default)]
    value: Value,
}

impl PythonOnly {
    fn label(&self) -> String {
        format!("{} python_only vector {:?}", self.codec, self.case)
    }

    fn config(&self) -> SessionConfig {
        common::config_with_secret(self.codec, &self.secret)
    }

    /// The entries serde_json can load, which every map view must read.
    fn readable(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|entry| !entry.python_only)
    }
}

/// The `python_only` vectors of the codecs this build has.
fn python_only_vectors() -> Vec<PythonOnly> {
    let file: PythonOnlyFile = serde_json::from_str(&vectors_text()).unwrap();
    assert!(file.generator.starts_with("muffin-session 2.6"));
    file.python_only
        .into_iter()
        .filter(|vector| common::codecs().contains(&vector.codec))
        .collect()
}

/// The session JSON inside a cookie value, read without the crate: base64
/// decoded, a JWT's middle part, or a Fernet token decrypted with the key
/// muffin-session derives from `secret`.
fn session_json(codec: SessionType, secret: &str, token: &str) -> String {
    let bytes = match codec {
        SessionType::Base64 => URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .unwrap_or_else(|err| panic!("base64 cookie {token}: {err}")),
        SessionType::Jwt => {
            let claims = token.split('.').nth(1).expect("a JWT has three parts");
            URL_SAFE_NO_PAD
                .decode(claims)
                .unwrap_or_else(|err| panic!("JWT claims {claims}: {err}"))
        }
        SessionType::Fernet => fernet::Fernet::new(&python_fernet_key(secret))
            .expect("a 32-byte key")
            .decrypt(token)
            .unwrap_or_else(|err| panic!("Fernet cookie {token}: {err:?}")),
        other => panic!("no decoder for {other}"),
    };
    String::from_utf8(bytes).expect("session JSON is UTF-8")
}

/// The Fernet key asgi-sessions' `SessionFernet` makes of a secret of at most
/// 32 ASCII characters: the secret padded with `=` to 32 bytes, URL-safe
/// base64 encoded.
fn python_fernet_key(secret: &str) -> String {
    assert!(
        secret.is_ascii() && secret.len() <= 32,
        "muffin-session refuses it"
    );
    URL_SAFE.encode(format!("{secret:=<32}"))
}

/// A router whose `/read` answers the session's map view as JSON, and whose
/// `/insert` stores `"rust": true` (saved by the auto-managing layer).
fn python_only_app(config: SessionConfig) -> Router {
    async fn read(session: Session) -> Json<Map<String, Value>> {
        Json(session.into_inner())
    }

    async fn insert(mut session: Session) -> Result<&'static str, SaveError> {
        session.insert("rust", true)?;
        Ok("inserted")
    }

    Router::new()
        .route("/read", get(read))
        .route("/insert", get(insert))
        .layer(SessionLayer::new(config))
}

/// GET `/read` with `token` as the session cookie; asserts a 200 and answers
/// the map view the handler saw.
async fn read_map(app: &Router, config: &SessionConfig, token: &str, what: &str) -> Value {
    let cookie = format!("{}={token}", config.cookie_name());
    let reply = common::get(app, "/read", Some(&cookie)).await;
    // Asserts: loading the Python cookie is a 200, never a 500.
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{what}: /read: {}",
        reply.body
    );
    // Asserts: reading is not a change. A Python cookie has no issue time,
    // so it is written back once, stamped with one: the same session, which
    // then reads without being written again.
    if let Some(stamped) = reply.cookie_value() {
        let cookie = format!("{}={stamped}", config.cookie_name());
        let again = common::get(app, "/read", Some(&cookie)).await;
        assert_eq!(again.status, StatusCode::OK, "{what}: stamped /read");
        assert_eq!(again.set_cookie(), None, "{what}: stamped twice");
        assert_eq!(
            again.json(),
            reply.json(),
            "{what}: the stamp changed the session"
        );
    }
    reply.json()
}

/// The file itself: every codec of the build has vectors; jwt (whose claims
/// Python's `json.dumps` writes) has every case; each vector's entries are its
/// JSON split at the top level, and its token holds that JSON. This needs no
/// session code: it checks the vectors and `session_json`.
#[test]
fn python_only_vectors_are_whole() {
    let vectors = python_only_vectors();
    for codec in common::codecs() {
        assert!(
            vectors.iter().any(|v| v.codec == codec),
            "no {codec} python_only vectors"
        );
    }
    let jwt_cases: BTreeSet<&str> = vectors
        .iter()
        .filter(|v| v.codec == SessionType::Jwt)
        .map(|v| v.case.as_str())
        .collect();
    for case in [
        "lone_high_surrogate",
        "lone_low_surrogate",
        "nested_lone_surrogates",
        "nan",
        "infinity",
        "negative_infinity",
        "int_2_pow_70",
        "int_minus_2_pow_70",
        "ints_just_beyond_64_bits",
        "negative_zero",
        "nul_char",
        "non_bmp",
        "all_together",
        "all_that_every_codec_writes",
        "logged_in_lone_surrogate",
        "logged_in_nan",
    ] {
        assert!(
            jwt_cases.contains(case),
            "no jwt python_only vector {case:?}"
        );
    }
    for vector in &vectors {
        let what = vector.label();
        let texts: Vec<&str> = vector.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(format!("{{{}}}", texts.join(",")), vector.json, "{what}");
        assert_eq!(
            session_json(vector.codec, &vector.secret, &vector.token),
            vector.json,
            "{what}"
        );
    }
    // The JSON only Python writes is there, byte for byte.
    let all: Vec<&PythonOnly> = vectors
        .iter()
        .filter(|v| v.case == "all_together")
        .collect();
    for vector in all.iter().filter(|v| v.codec == SessionType::Jwt) {
        for text in [
            r#""s_hi":"\ud800""#,
            r#""s_lo":"\udc00""#,
            r#""nan":NaN"#,
            r#""inf":Infinity"#,
            r#""ninf":-Infinity"#,
            r#""big":1180591620717411303424"#,
            r#""nbig":-1180591620717411303424"#,
            r#""emoji":"\ud83d\ude00""#,
        ] {
            assert!(vector.json.contains(text), "{}: no {text}", vector.label());
        }
    }
}

/// (1) A Python cookie holding JSON only Python writes loads: `/read` (the
/// map view) answers 200, never 500, and sets no cookie; the session is not
/// empty, and every entry serde_json can hold reads back as Python wrote it
/// (`id` as 1 in the logged-in vectors). Entries it cannot hold are not
/// asserted here: how the map view shows them is the crate's choice; that
/// they are not lost is `python_only_entries_survive_a_rust_insert`.
#[tokio::test]
async fn python_only_cookies_load_through_the_map_view() {
    for vector in python_only_vectors() {
        let what = vector.label();
        let config = vector.config();
        let app = python_only_app(config.clone());
        let map = read_map(&app, &config, &vector.token, &what).await;
        let map = map.as_object().unwrap_or_else(|| panic!("{what}: {map}"));
        // Asserts: the odd value did not empty the whole session.
        assert!(!map.is_empty(), "{what}: the session read as empty");
        // Asserts: the ordinary entries read back as Python wrote them.
        for entry in vector.readable() {
            assert_eq!(
                map.get(&entry.key),
                Some(&entry.value),
                "{what}: key {:?}",
                entry.key
            );
        }
        // Asserts: a logged-in Python session is still logged in as user 1.
        if vector.entries.iter().any(|entry| entry.key == "id") {
            assert_eq!(map.get("id"), Some(&json!(1)), "{what}: id");
        }
    }
}

/// (2) A Rust change keeps what Python wrote: `/insert` (`"rust": true`)
/// answers 200 with a `Set-Cookie`, and the new cookie's JSON, read without
/// the crate (base64 decoded, the JWT's middle part, the Fernet token
/// decrypted with muffin-session's key), holds `"rust":true` and every
/// original entry byte for byte, as Python wrote it: those only Python
/// writes (`"s_hi":"\ud800"`, `"nan":NaN`, `"big":1180591620717411303424`)
/// and the others (`"\ud83d\ude00"` stays an escape pair).
///
/// Then the crate reads its own cookie back: 200, `"rust": true`, and the
/// ordinary entries as before.
#[tokio::test]
async fn python_only_entries_survive_a_rust_insert() {
    for vector in python_only_vectors() {
        let what = vector.label();
        let config = vector.config();
        let app = python_only_app(config.clone());
        let cookie = format!("{}={}", config.cookie_name(), vector.token);
        let reply = common::get(&app, "/insert", Some(&cookie)).await;
        // Asserts: changing a Python session is a 200, never a 500.
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{what}: /insert: {}",
            reply.body
        );
        // Asserts: the change is saved in one Set-Cookie.
        let token = reply
            .cookie_value()
            .unwrap_or_else(|| panic!("{what}: /insert set no cookie"));
        let text = session_json(vector.codec, &vector.secret, &token);
        // Asserts: the new key is in the JSON.
        assert!(
            text.contains(r#""rust":true"#),
            "{what}: no \"rust\":true in {text}"
        );
        // Asserts: every entry the Rust side did not change is written back
        // byte for byte, JSON only Python writes included.
        for entry in &vector.entries {
            assert!(
                text.contains(&entry.text),
                "{what}: {} lost or rewritten in {text}",
                entry.text
            );
        }

        // Asserts: the crate loads its own cookie, with every ordinary entry
        // and the new key.
        let map = read_map(&app, &config, &token, &format!("{what}, Rust cookie")).await;
        assert_eq!(map.get("rust"), Some(&json!(true)), "{what}: {map}");
        for entry in vector.readable() {
            assert_eq!(
                map.get(&entry.key),
                Some(&entry.value),
                "{what}, Rust cookie: key {:?}",
                entry.key
            );
        }
    }
}

/// A logged-in Python session holding JSON only Python writes: the user
/// loads (200, never 500), `Session` and `CurrentUser` agree on the login,
/// and the auth digest the crate stamps into the login keeps the Python
/// entries byte for byte.
#[tokio::test]
async fn python_only_logins_load_their_user_and_keep_their_data() {
    use axum_cookie_session::{CurrentUser, UserLoader};

    #[derive(Clone)]
    struct Users;
    impl UserLoader for Users {
        type User = i64;
        type Id = i64;
        type Error = std::convert::Infallible;
        async fn load_user(&self, id: i64) -> Result<Option<i64>, Self::Error> {
            Ok(Some(id))
        }
        fn session_auth_hash(&self, user: &i64) -> Option<Vec<u8>> {
            Some(user.to_be_bytes().to_vec())
        }
    }

    let logged_in = python_only_vectors()
        .into_iter()
        .filter(|vector| vector.entries.iter().any(|entry| entry.key == "id"))
        // Users load from signed sessions only.
        .filter(|vector| vector.codec != SessionType::Base64)
        .collect::<Vec<_>>();
    assert!(!logged_in.is_empty());
    for vector in logged_in {
        let what = vector.label();
        let config = vector.config().with_user_loader(Users);
        let app = Router::new()
            .route(
                "/me",
                get(
                    |CurrentUser(user): CurrentUser<i64>, session: Session| async move {
                        format!("user {user}, session id {:?}", session.user_id::<i64>())
                    },
                ),
            )
            .layer(SessionLayer::new(config.clone()));
        let cookie = format!("{}={}", config.cookie_name(), vector.token);
        let reply = common::get(&app, "/me", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
        assert_eq!(reply.body, "user 1, session id Some(1)", "{what}");
        let token = reply.cookie_value().expect("the digest is stamped");
        let text = session_json(vector.codec, &vector.secret, &token);
        for entry in &vector.entries {
            assert!(
                text.contains(&entry.text),
                "{what}: {} lost in {text}",
                entry.text
            );
        }
        assert!(text.contains(r#""_auth":"#), "{what}: {text}");
    }
}

/// How a view shows what only Python writes: `NaN` and `Infinity` as
/// `null`, a lone surrogate as U+FFFD, an integer beyond 64 bits as a float;
/// the rest of the session as it is.
#[tokio::test]
async fn values_only_python_writes_read_as_their_nearest_json() {
    let text = r#"{"n":NaN,"i":-Infinity,"s":"a\ud800","big":1180591620717411303424,"id":1}"#;
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(common::PYJWT_HEADER),
        URL_SAFE_NO_PAD.encode(text)
    );
    let signature = common::hmac::<hmac::Hmac<sha2::Sha256>>(common::SECRET, message.as_bytes());
    let token = format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature));
    let app = Router::new()
        .route(
            "/",
            get(|session: Session| async move { Json(session.into_inner()) }),
        )
        .layer(SessionLayer::new(common::config(SessionType::Jwt)));
    let reply = common::get(&app, "/", Some(&format!("session={token}"))).await;
    assert_eq!(
        reply.json(),
        json!({"n": null, "i": null, "s": "a\u{fffd}", "big": 1.1805916207174113e21, "id": 1})
    );
}
