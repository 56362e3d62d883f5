//! Logging in through an identity provider, without a database: the OAuth
//! 2.0 authorization code flow with PKCE (S256). A stand-in provider under
//! `/provider/` approves one fixed user, so the example runs offline.
//!
//! - `GET /login?next=/me` keeps a random `state`, a PKCE verifier and the
//!   validated `next` in the session (`Session<PendingLogin>`), and sends
//!   the browser to the provider's authorize URL.
//! - The provider sends it back to `/callback?code=...&state=...`. The
//!   callback removes the pending login whatever happens next, compares the
//!   state, exchanges the code and the verifier for the user's claims at the
//!   token endpoint, ends the pre-login session, logs the user in
//!   (`login(sub)`, the profile under `profile`) and goes on to `next`.
//! - `GET /me` needs a login (`RequireUser`); `POST /logout` ends the
//!   session; `GET /` says who is logged in.
//!
//! ```sh
//! cargo run --example oauth   # on http://127.0.0.1:3004; a random secret unless SESSION_SECRET_KEY is set
//! curl -i http://127.0.0.1:3004/me                              # 307 to /login?next=%2Fme
//! # 303 to /provider/authorize?response_type=code&client_id=oauth-example&redirect_uri=...&scope=...&state=...&code_challenge=...&code_challenge_method=S256
//! authorize=$(curl -s -o /dev/null -w '%{redirect_url}' -c oauth.jar -b oauth.jar 'http://127.0.0.1:3004/login?next=/me')
//! # the provider approves Ada: 303 to http://127.0.0.1:3004/callback?code=...&state=...
//! callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$authorize")
//! curl -i -c oauth.jar -b oauth.jar "$callback"                # 303 to /me, a new oauth_session cookie
//! curl -b oauth.jar http://127.0.0.1:3004/me                    # Logged in as Ada Lovelace <ada@example.test> (subject user-42).
//! curl -i -c oauth.jar -b oauth.jar "$callback"                # replayed: 400 No login is under way in this browser...
//! curl -i -c oauth.jar -b oauth.jar -X POST http://127.0.0.1:3004/logout   # 303 to /, the cookie removed
//! curl -L -c oauth.jar -b oauth.jar http://127.0.0.1:3004/me    # all of it in one go: curl follows the redirects
//! ```
//!
//! Configured by `SESSION_*` variables (see `SessionConfig::from_env`) and
//! `ADDR` (default `127.0.0.1:3004`); the cookie is `oauth_session` unless
//! `SESSION_COOKIE_NAME` says otherwise. The session type is `fernet` unless
//! `SESSION_SESSION_TYPE` says otherwise, and the example refuses to start
//! with any other (see below). The registered redirect URI is
//! `http://{ADDR}/callback`: open the site at that very origin
//! (`127.0.0.1`, not `localhost`), or the callback arrives at a host without
//! the cookie and finds no login under way.
//!
//! # Logging in through an identity provider (OAuth 2.0 / OpenID Connect)
//!
//! `examples/oauth.rs` logs users in through an identity provider with the
//! authorization code flow and PKCE, without a database: the provider says
//! who the user is, the session remembers it. It brings a stand-in provider
//! (under `/provider/`) so that it runs offline:
//!
//! ```sh
//! cargo run --example oauth   # then open http://127.0.0.1:3004/
//! ```
//!
//! ## Pointing it at a real provider
//!
//! 1. Register the app with the provider. You get a client id, and a
//!    client secret for an app that runs on a server. Register the redirect
//!    URI exactly as the app sends it (`https://app.example.com/callback`):
//!    the provider compares it character for character, and the browser
//!    must come back to the host that set the session cookie.
//! 2. Point `AUTHORIZE_URL` at the provider's authorization endpoint (its
//!    discovery document, `/.well-known/openid-configuration`, lists the
//!    endpoints and the issuer). Keep `response_type=code`, the `state` and
//!    the S256 `code_challenge`; ask for `scope=openid profile email`, and
//!    add a random `nonce` to the URL and to the pending login.
//! 3. Replace the in-process token exchange (`OAuthClient::exchange`) with a
//!    `POST` of the same form to the provider's token endpoint, over HTTPS,
//!    with an HTTP client (`reqwest`, or `oauth2`, which also makes the
//!    state and the PKCE pair), authenticated with the client secret (HTTP
//!    Basic, or `client_secret` in the form).
//! 4. Verify the ID token of the answer before trusting a claim in it: its
//!    signature, with the provider's published keys (JWKS) and the algorithm
//!    you expect, never `none`; `iss`, the provider's issuer exactly; `aud`,
//!    which must contain your client id (and `azp`, when there are several
//!    audiences); `exp`, in the future (and `iat`, not long past); `nonce`,
//!    the one kept in the pending login. Or call the provider's userinfo
//!    endpoint with the access token. Know a user by issuer and `sub`
//!    together, never by email, which can change hands.
//! 5. In production: a fixed `SESSION_SECRET_KEY`, and `SESSION_SECURE=true`
//!    behind HTTPS (the cookie is then `__Host-oauth_session`). Keep
//!    `SameSite=Lax` (the default): the provider's redirect back is a
//!    navigation from another site, which a `Strict` cookie does not follow,
//!    and the callback would find no login under way.
//!
//! ## Why the pending login is encrypted
//!
//! Between `/login` and `/callback` the session holds the PKCE verifier,
//! and the verifier is a secret until the code is exchanged: it is what
//! proves to the token endpoint that whoever redeems the code is the browser
//! that started the login. The code itself travels in a URL (history, logs,
//! `Referer`); anyone who could read the verifier in the cookie as well (a
//! log of request headers, a proxy, an extension) could redeem the code
//! first. A `jwt` cookie is signed but readable by anyone, a `base64` one
//! readable and forgeable: the example refuses both, and defaults to
//! `fernet`, which encrypts and authenticates the session. The cookie shows
//! neither the verifier nor the state.
//!
//! The `state` binds the callback to the browser that started the login: a
//! callback carrying someone else's code and state (an attacker's, to log
//! the visitor into the attacker's account) does not match this browser's
//! session and is refused, in constant time. The pending login is removed
//! at the first callback, whatever its outcome, so a forged or replayed
//! callback completes nothing. A cookie cannot be made single-use on the
//! server, so a replay with an old copy of the cookie still finds the
//! pending login: the provider's code is single-use, and refuses it.

mod support;

use std::convert::Infallible;
use std::error::Error;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_cookie_session::{
    safe_next, CurrentUser, RequireUser, SaveError, Session, SessionConfig, SessionLayer,
    SessionType, UserLoader,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Where the example listens unless `ADDR` says otherwise.
const DEFAULT_ADDR: &str = "127.0.0.1:3004";
/// The id the app is registered under at the provider.
const CLIENT_ID: &str = "oauth-example";
/// The provider's authorization endpoint: a real provider's is an absolute
/// URL on its own host.
const AUTHORIZE_URL: &str = "/provider/authorize";
/// Where the provider sends the browser back, after the app's origin.
const CALLBACK_PATH: &str = "/callback";
/// Where a login goes on to without a (safe) `next`.
const DEFAULT_NEXT: &str = "/me";

/// The user as the provider describes them (OpenID Connect standard claims).
#[derive(Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    name: String,
    email: String,
}

/// The login under way, from `/login` to `/callback`, in the session: a
/// view of its `pending_login` key only.
#[derive(Default, Serialize, Deserialize)]
struct PendingLogin {
    // `None` removes the key, rather than storing `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_login: Option<Pending>,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    /// Sent to the provider and expected back with the code.
    state: String,
    /// The PKCE verifier: only its hash (the challenge) leaves the server
    /// before the code is exchanged.
    verifier: String,
    /// Where to go after the login, already checked by `safe_next`.
    next: String,
}

/// The logged-in user's profile as the provider gave it at login, under the
/// session's `profile` key. Without a database, the session is the only
/// place to keep it; it is as fresh as the login.
#[derive(Default, Serialize, Deserialize)]
struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<Claims>,
}

/// The logged-in user as `RequireUser` and `CurrentUser` see them: the
/// provider's subject, which `login` stores under `"id"`.
#[derive(Clone)]
struct User {
    sub: String,
}

/// Makes a `User` of the subject in the session. With no database there is
/// nothing to look up, and no need to: only this app can write its
/// (encrypted, authenticated) cookie, so every subject in one was logged in
/// here. With a database, look the subject up here instead, answering
/// `None` for an account that was closed.
struct Subjects;

impl UserLoader for Subjects {
    type User = User;
    type Id = String;
    type Error = Infallible;

    async fn load_user(&self, sub: String) -> Result<Option<User>, Infallible> {
        Ok(Some(User { sub }))
    }
}

/// The app as a client of the provider: what it registered there, and the
/// provider's token endpoint (in this process, see `exchange`).
#[derive(Clone)]
struct OAuthClient {
    id: &'static str,
    redirect_uri: String,
    provider: provider::Provider,
}

impl OAuthClient {
    /// The provider's authorization URL for this login, every parameter
    /// URL-encoded.
    fn authorize_url(&self, state: &str, challenge: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", self.id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("{AUTHORIZE_URL}?{query}")
    }

    /// Exchanges the code and the verifier for the user's claims at the
    /// provider's token endpoint; an error is the answer to the browser.
    ///
    /// A real app POSTs this form to the provider's token URL with an HTTP
    /// client (`reqwest`, or `oauth2`, which also makes the PKCE pair), over
    /// HTTPS, with its client secret. The stand-in provider runs in this
    /// process, so the form goes to its handler directly: the same form in,
    /// the same status and JSON out, without an HTTP client in the example.
    async fn exchange(&self, code: String, verifier: String) -> Result<Claims, Response> {
        let form = provider::TokenForm {
            grant_type: Some("authorization_code".to_owned()),
            code: Some(code),
            redirect_uri: Some(self.redirect_uri.clone()),
            client_id: Some(self.id.to_owned()),
            code_verifier: Some(verifier),
        };
        let response = provider::token(State(self.provider.clone()), Form(form)).await;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .map_err(|_| provider_failed("unreadable token response"))?;
        if status.is_client_error() {
            tracing::info!(%status, body = %String::from_utf8_lossy(&body), "code refused");
            return Err(refuse("The provider refused the code: log in again."));
        }
        let tokens: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| provider_failed("unexpected token response"))?;
        Ok(tokens.userinfo)
    }
}

/// What the app reads of the token endpoint's answer. The access token is
/// for the provider's APIs, which this app does not call.
#[derive(Deserialize)]
struct TokenResponse {
    userinfo: Claims,
}

/// 32 random bytes, base64url without padding: 43 characters, all from
/// RFC 7636's unreserved set, so fit for a PKCE verifier as for a state.
fn random_token() -> Option<String> {
    let mut bytes = [0_u8; 32];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a PKCE verifier: BASE64URL-NOPAD(SHA256(verifier)).
pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A `400` with a sentence for the visitor.
fn refuse(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

/// A `502`: the provider answered something the app cannot use.
fn provider_failed(why: &'static str) -> Response {
    tracing::error!("token exchange failed: {why}");
    (
        StatusCode::BAD_GATEWAY,
        "The identity provider failed: try again later.",
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Starts a login: a fresh state and PKCE verifier kept in the session, and
/// the browser sent to the provider with the state and the challenge. A
/// login started before this one came back is replaced: its callback fails.
async fn login(
    State(client): State<OAuthClient>,
    mut session: Session<PendingLogin>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let (Some(state), Some(verifier)) = (random_token(), random_token()) else {
        tracing::error!("the operating system gave no random bytes");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let next = query.next.as_deref().and_then(safe_next);
    let next = next.unwrap_or(DEFAULT_NEXT).to_owned();
    let url = client.authorize_url(&state, &challenge(&verifier));
    session.pending_login = Some(Pending {
        state,
        verifier,
        next,
    });
    Redirect::to(&url).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Completes a login: the state checked, the code exchanged, the user
/// logged in in a fresh session, the browser sent on to `next`.
async fn callback(
    State(client): State<OAuthClient>,
    mut session: Session<PendingLogin>,
    profile: Session<Profile>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // Single use, whatever the outcome: a replayed or forged callback finds
    // nothing to complete, and a failed login starts over.
    let Some(pending) = session.pending_login.take() else {
        return refuse("No login is under way in this browser: log in again.");
    };
    let code = match check_callback(query, &pending) {
        Ok(code) => code,
        Err(message) => return refuse(message),
    };
    let claims = match client.exchange(code, pending.verifier).await {
        Ok(claims) => claims,
        Err(response) => return response,
    };
    match log_in(session, profile, claims) {
        Ok(()) => Redirect::to(&pending.next).into_response(),
        Err(err) => err.into_response(),
    }
}

/// The code of a callback that answers this browser's pending login, or
/// why not, for the visitor.
fn check_callback(query: CallbackQuery, pending: &Pending) -> Result<String, &'static str> {
    if let Some(error) = query.error {
        // Logged, not shown: the query is anyone's to write.
        tracing::info!(error, "the provider did not approve the login");
        return Err("The provider did not approve the login.");
    }
    let state = query.state.unwrap_or_default();
    // Constant time: how much of a guess matches must not show.
    if !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
        return Err("This login was not started in this browser.");
    }
    query.code.ok_or("The callback has no code.")
}

/// Logs the provider's user in, in a fresh session: the pending login and
/// anything else from before the login are gone.
fn log_in(
    mut session: Session<PendingLogin>,
    mut profile: Session<Profile>,
    claims: Claims,
) -> Result<(), SaveError> {
    session.end();
    session.login(&claims.sub)?;
    profile.profile = Some(claims);
    Ok(())
}

/// The visitor's name, or that they are not logged in, with links.
async fn home(user: Option<CurrentUser<User>>, profile: Session<Profile>) -> Html<String> {
    let Some(CurrentUser(user)) = user else {
        return Html(r#"<p>Not logged in. <a href="/login">Log in</a></p>"#.to_owned());
    };
    let name = profile
        .profile
        .as_ref()
        .map_or(&user.sub, |claims| &claims.name);
    Html(format!(
        r#"<p>Logged in as {}. <a href="/me">Me</a></p>
<form method="post" action="/logout"><button>Log out</button></form>"#,
        escape_html(name)
    ))
}

/// The logged-in user (the guard sends others to log in).
async fn me(CurrentUser(user): CurrentUser<User>, profile: Session<Profile>) -> String {
    match &profile.profile {
        Some(claims) => format!(
            "Logged in as {} <{}> (subject {}).",
            claims.name, claims.email, user.sub
        ),
        None => format!("Logged in as subject {}.", user.sub),
    }
}

/// Ends the session: the login and the profile.
async fn logout(mut session: Session) -> Redirect {
    session.end();
    Redirect::to("/")
}

/// Escapes the characters that matter in HTML text: names come from the
/// provider, not from this app.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The app and its stand-in provider. `origin` is where browsers reach the
/// app (`http://127.0.0.1:3004`): the redirect URI registered at the
/// provider is `{origin}/callback`. `config` must be a Fernet one (see
/// `require_encryption`).
pub(crate) fn app(config: SessionConfig, origin: &str) -> Router {
    let redirect_uri = format!("{origin}{CALLBACK_PATH}");
    let provider = provider::Provider::new(CLIENT_ID, &redirect_uri, provider::ada());
    let client = OAuthClient {
        id: CLIENT_ID,
        redirect_uri,
        provider: provider.clone(),
    };
    let config = config.with_user_loader(Subjects);
    Router::new()
        .route("/me", get(me))
        .route_layer(RequireUser::<User>::new())
        .route("/", get(home))
        .route("/login", get(login))
        .route(CALLBACK_PATH, get(callback))
        .route("/logout", post(logout))
        .layer(SessionLayer::new(config))
        // After the layer: the provider is another site, with no part in
        // this app's session (its token endpoint is posted to by servers).
        .nest("/provider", provider::router(provider))
        .with_state(client)
}

/// Refuses a session type that does not encrypt: the pending login's
/// verifier would be readable in the cookie.
pub(crate) fn require_encryption(config: &SessionConfig) -> Result<(), String> {
    match config.session_type() {
        SessionType::Fernet => Ok(()),
        other => Err(format!(
            "SESSION_SESSION_TYPE={other}: the oauth example keeps the PKCE verifier in the \
             session until the callback, and only fernet encrypts it; unset \
             SESSION_SESSION_TYPE or set it to fernet"
        )),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::init_tracing();
    support::exit_on_error(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let defaults = [("SESSION_SESSION_TYPE", "fernet")];
    let config = support::session_config_with("oauth_session", &defaults)?;
    require_encryption(&config)?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let app = app(config, &format!("http://{addr}"));
    support::serve(app, DEFAULT_ADDR).await
}

/// The stand-in identity provider: what a real one (Google, GitHub,
/// Keycloak...) does on its own servers, down to the checks that matter to
/// the client. It approves one fixed user without asking anything.
mod provider {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
    use std::time::{Duration, Instant};

    use axum::extract::{Query, State};
    use axum::http::header::{CACHE_CONTROL, PRAGMA};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use axum::{Form, Json, Router};
    use serde::Deserialize;
    use serde_json::json;
    use subtle::ConstantTimeEq;

    use super::{challenge, random_token, Claims};

    /// How long a code can be exchanged (RFC 6749 §4.1.2: 10 minutes at
    /// most; a minute is plenty for a redirect).
    const CODE_LIFETIME: Duration = Duration::from_secs(60);
    /// Codes held at most: past it, authorizations wait for some to expire.
    const MAX_CODES: usize = 10_000;

    /// The user the stand-in approves.
    pub(crate) fn ada() -> Claims {
        Claims {
            sub: "user-42".to_owned(),
            name: "Ada Lovelace".to_owned(),
            email: "ada@example.test".to_owned(),
        }
    }

    /// The provider: its one registered client, its user, and the codes
    /// it issued that were not exchanged yet.
    #[derive(Clone)]
    pub(crate) struct Provider {
        client_id: String,
        redirect_uri: String,
        user: Claims,
        codes: Arc<Mutex<HashMap<String, Grant>>>,
    }

    /// What a code stands for until it is exchanged.
    struct Grant {
        challenge: String,
        redirect_uri: String,
        user: Claims,
        issued: Instant,
    }

    pub(crate) fn router<S>(provider: Provider) -> Router<S> {
        Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(provider)
    }

    #[derive(Deserialize)]
    pub(crate) struct AuthorizeQuery {
        response_type: Option<String>,
        client_id: Option<String>,
        redirect_uri: Option<String>,
        state: Option<String>,
        code_challenge: Option<String>,
        code_challenge_method: Option<String>,
    }

    /// The form of a token request (RFC 6749 §4.1.3, RFC 7636 §4.5).
    #[derive(Deserialize)]
    pub(crate) struct TokenForm {
        pub(crate) grant_type: Option<String>,
        pub(crate) code: Option<String>,
        pub(crate) redirect_uri: Option<String>,
        pub(crate) client_id: Option<String>,
        pub(crate) code_verifier: Option<String>,
    }

    impl Provider {
        pub(crate) fn new(client_id: &str, redirect_uri: &str, user: Claims) -> Self {
            Self {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                user,
                codes: Arc::default(),
            }
        }

        fn codes(&self) -> MutexGuard<'_, HashMap<String, Grant>> {
            // A panic elsewhere leaves the map whole: keep serving.
            self.codes.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// A code for the user, bound to the challenge: the checks of RFC
        /// 6749 §4.1.1 and RFC 7636 §4.4, or the error to send back.
        fn approve(&self, query: &AuthorizeQuery) -> Result<String, &'static str> {
            if query.response_type.as_deref() != Some("code") {
                return Err("unsupported_response_type");
            }
            // S256 only: `plain` would put the verifier itself in the URL.
            if query.code_challenge_method.as_deref() != Some("S256") {
                return Err("invalid_request");
            }
            let challenge = query.code_challenge.as_deref().filter(|c| is_challenge(c));
            let challenge = challenge.ok_or("invalid_request")?.to_owned();
            let code = random_token().ok_or("server_error")?;
            let grant = Grant {
                challenge,
                redirect_uri: self.redirect_uri.clone(),
                user: self.user.clone(),
                issued: Instant::now(),
            };
            let mut codes = self.codes();
            codes.retain(|_, grant| grant.issued.elapsed() <= CODE_LIFETIME);
            if codes.len() >= MAX_CODES {
                return Err("temporarily_unavailable");
            }
            codes.insert(code.clone(), grant);
            Ok(code)
        }

        /// The user of a valid token request, or its error (RFC 6749 §5.2).
        fn redeem(&self, form: TokenForm) -> Result<Claims, &'static str> {
            // An empty parameter is an omitted one (RFC 6749 §3.2).
            let given = |value: Option<String>| value.filter(|value| !value.is_empty());
            // Single use: a code a request names is removed first, whatever
            // the rest of the request, so it cannot be tried twice (RFC 6749
            // §4.1.2), not even after a mistake.
            let grant = given(form.code).map(|code| self.codes().remove(&code));
            if form.grant_type.as_deref() != Some("authorization_code") {
                return Err("unsupported_grant_type");
            }
            if form.client_id.as_deref() != Some(self.client_id.as_str()) {
                return Err("invalid_client");
            }
            let (Some(grant), Some(verifier)) = (grant, given(form.code_verifier)) else {
                return Err("invalid_request");
            };
            let grant = grant.ok_or("invalid_grant")?;
            let fresh = grant.issued.elapsed() <= CODE_LIFETIME;
            let same_uri = form.redirect_uri.as_deref() == Some(grant.redirect_uri.as_str());
            if !(fresh && same_uri && verifier_matches(&verifier, &grant.challenge)) {
                return Err("invalid_grant");
            }
            Ok(grant.user)
        }
    }

    /// An S256 challenge: 43 base64url characters.
    fn is_challenge(challenge: &str) -> bool {
        challenge.len() == 43
            && challenge
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    }

    /// Whether the verifier is one (RFC 7636 §4.1: 43 to 128 unreserved
    /// characters) and hashes to the challenge, compared in constant time.
    fn verifier_matches(verifier: &str, expected: &str) -> bool {
        let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
        let well_formed = (43..=128).contains(&verifier.len()) && verifier.bytes().all(unreserved);
        well_formed && bool::from(challenge(verifier).as_bytes().ct_eq(expected.as_bytes()))
    }

    /// `GET /provider/authorize`: approves the user and sends the browser
    /// back to the client with a code, or with an error.
    async fn authorize(
        State(provider): State<Provider>,
        Query(query): Query<AuthorizeQuery>,
    ) -> Response {
        // Until the client and its redirect URI are known, errors are shown
        // here, never sent to the URI (RFC 6749 §4.1.2.1): the provider must
        // not send browsers to any address a link names.
        let known = query.client_id.as_deref() == Some(provider.client_id.as_str())
            && query.redirect_uri.as_deref() == Some(provider.redirect_uri.as_str());
        if !known {
            let message = "Unknown client_id, or a redirect_uri it did not register.";
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
        let (key, value) = match provider.approve(&query) {
            Ok(code) => ("code", code),
            Err(error) => ("error", error.to_owned()),
        };
        let mut back = form_urlencoded::Serializer::new(String::new());
        back.append_pair(key, &value);
        if let Some(state) = &query.state {
            back.append_pair("state", state);
        }
        Redirect::to(&format!("{}?{}", provider.redirect_uri, back.finish())).into_response()
    }

    /// `POST /provider/token`: a code and its verifier for the user's
    /// claims, or a `400` with the error (RFC 6749 §5.2).
    pub(crate) async fn token(
        State(provider): State<Provider>,
        Form(form): Form<TokenForm>,
    ) -> Response {
        let no_store = [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")];
        let user = match provider.redeem(form) {
            Ok(user) => user,
            Err(error) => {
                let body = Json(json!({ "error": error }));
                return (StatusCode::BAD_REQUEST, no_store, body).into_response();
            }
        };
        let Some(access_token) = random_token() else {
            let body = Json(json!({ "error": "server_error" }));
            return (StatusCode::INTERNAL_SERVER_ERROR, no_store, body).into_response();
        };
        // A real provider answers an ID token here (a JWT it signs, which
        // the client verifies), or the client calls its userinfo endpoint
        // with the access token. The stand-in hands the claims over as they
        // are: they come straight from the provider, over no network.
        let body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "userinfo": user,
        });
        (no_store, Json(body)).into_response()
    }
}
