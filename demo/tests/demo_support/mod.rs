//! Runs the demo as a real server process for the end-to-end tests: a
//! scratch directory, free ports, readiness polling, and children that are
//! killed when the test is done, pass or fail.

#![allow(dead_code)] // each test target uses a different part

pub mod browser;

use axum::body::Bytes;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum_cookie_session::{Session, SessionConfig};
use demo::db::{Db, DEFAULT_DATABASE};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to start. Generous: the first start hashes
/// the demo passwords with argon2, and CI machines are small.
const STARTUP: Duration = Duration::from_secs(60);

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `axum-cookie-session-<label>-<pid>-<n>`.
    pub fn new(label: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("axum-cookie-session-{label}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path); // a leftover from a crashed run
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nobody listens on right now (the OS picks it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// The compiled demo, which cargo builds before the tests that run it.
pub fn demo_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_demo"))
}

/// A child process that is killed when dropped, with its output in a log
/// file that failures show.
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout and stderr going to `<dir>/<name>.log`.
    pub fn spawn(name: &str, mut command: Command, dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("create a log file");
        let err = file.try_clone().expect("clone the log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|err| panic!("start {name}: {err}"));
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// Waits until something accepts connections on `addr`. Panics, showing
    /// the log, if the process exits or is not ready within [`STARTUP`].
    pub fn wait_until_listening(&mut self, addr: SocketAddr) {
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                panic!("{} exited ({status}):\n{}", self.name, self.output());
            }
            assert!(
                Instant::now() < deadline,
                "{} not listening on {addr} after {STARTUP:?}:\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the process has printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A `kB` field of `/proc/<pid>/status` (Linux): `VmRSS`, the memory
    /// it holds now, or `VmHWM`, the most it has held.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().strip_suffix(" kB")?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {path}:\n{status}"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running demo server.
pub struct Demo {
    process: Process,
    addr: SocketAddr,
    /// The variables it was started with, for [`Demo::logins`].
    vars: Vec<(String, String)>,
    /// Its working directory.
    dir: PathBuf,
}

impl Demo {
    /// `POST /password` as `cookie`'s user, from `current` to `new`.
    pub async fn change_password(&self, cookie: &str, current: &str, new: &str) -> Reply {
        let form = format!("current_password={current}&new_password={new}");
        send(
            Method::POST,
            &self.url("/password"),
            Some(cookie),
            Some(&form),
        )
        .await
    }

    /// Starts the demo on `port` with these extra variables (`DATABASE_URL`,
    /// `SESSION_*`...), and waits until it serves. Variables from the test's
    /// own environment that would change the demo are removed first.
    pub fn start(name: &str, port: u16, dir: &Path, vars: &[(&str, &str)]) -> Self {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut command = Command::new(demo_binary());
        for (key, _) in std::env::vars() {
            if key.starts_with("SESSION_") || key == "DATABASE_URL" {
                command.env_remove(key);
            }
        }
        command
            .env("ADDR", addr.to_string())
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .current_dir(dir);
        let mut process = Process::spawn(name, command, dir);
        // The demo binds only once the database is ready, so listening means serving.
        process.wait_until_listening(addr);
        let vars = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        Self {
            process,
            addr,
            vars,
            dir: dir.to_owned(),
        }
    }

    /// Logs visitors in to this demo without its login form: see [`Logins`].
    ///
    /// Panics if the demo was started without `SESSION_SECRET_KEY` (it then
    /// made a random secret of its own) or with a cookie name other than
    /// `demo_session`.
    pub fn logins(&self) -> Logins {
        let var = |name: &str| {
            self.vars
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert!(
            var("SESSION_SECRET_KEY").is_some(),
            "start the demo with SESSION_SECRET_KEY to log in without the form"
        );
        assert!(
            var("SESSION_SECURE").is_none() && var("SESSION_COOKIE_NAME").is_none(),
            "the test logins know the cookie as `demo_session` only"
        );
        // The demo's own config: the same SESSION_* variables, and the
        // name the demo gives its cookie when none is set.
        let mut vars: Vec<(String, String)> = self
            .vars
            .iter()
            .filter(|(key, _)| key.starts_with("SESSION_"))
            .cloned()
            .collect();
        vars.push(("SESSION_COOKIE_NAME".to_owned(), "demo_session".to_owned()));
        let config = SessionConfig::from_vars(vars).expect("the demo's session config");
        // The demo's own users, on the file it uses (its working directory
        // holds a relative one).
        let database = self
            .dir
            .join(var("DATABASE_URL").unwrap_or(DEFAULT_DATABASE));
        let db = Db::open(&database).expect("open the demo's database");
        Logins {
            config: config.with_user_loader(db.clone()),
            db,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// What it has printed so far.
    pub fn output(&self) -> String {
        self.process.output()
    }

    /// Its memory, in KiB: see [`Process::memory_kib`].
    pub fn memory_kib(&self, field: &str) -> u64 {
        self.process.memory_kib(field)
    }
}

/// An answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION)?.to_str().ok()
    }

    /// The value of the session cookie this reply sets, if it sets one
    /// (the demo names it `demo_session`).
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie("demo_session")
            .map(|cookie| cookie.value().to_owned())
    }

    /// The cookie named `name` this reply sets, with its attributes.
    pub fn set_cookie(&self, name: &str) -> Option<cookie::Cookie<'static>> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| cookie::Cookie::parse(value.to_str().ok()?.to_owned()).ok())
            .find(|cookie| cookie.name() == name)
    }
}

/// Sends one request, with the session cookie if given, and a form body for
/// `POST`. Redirects are not followed: they are what is being checked.
pub async fn send(method: Method, url: &str, cookie: Option<&str>, form: Option<&str>) -> Reply {
    send_with(method, url, cookie, form, &[]).await
}

/// [`send`], with more request headers.
pub async fn send_with(
    method: Method,
    url: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    send_from(None, method, url, cookie, form, headers).await
}

/// [`send_with`], from the local address `from` if given. On Linux the
/// whole of 127.0.0.0/8 is this machine, so each address is another client
/// to the server.
pub async fn send_from(
    from: Option<IpAddr>,
    method: Method,
    url: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut connector = HttpConnector::new();
    connector.set_local_address(from);
    let client = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector);
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, format!("demo_session={cookie}"));
    }
    if form.is_some() {
        request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let body = Full::new(Bytes::from(form.unwrap_or_default().to_owned()));
    let response = client
        .request(request.body(body).expect("a valid request"))
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"));
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read the body");
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    }
}

pub async fn get(url: &str, cookie: Option<&str>) -> Reply {
    send(Method::GET, url, cookie, None).await
}

/// A client that keeps the session cookie as a browser does: it sends the
/// cookie it holds, stores the one each reply sets, and forgets it when a
/// reply removes it. Pages are asked for as a browser asks (`Accept:
/// text/html`); redirects are not followed.
pub struct Visitor<'a> {
    demo: &'a Demo,
    /// The `demo_session` cookie's value, if it holds one.
    pub cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    /// A visitor without a cookie.
    pub fn new(demo: &'a Demo) -> Self {
        Self { demo, cookie: None }
    }

    /// A visitor holding `cookie`.
    pub fn with_cookie(demo: &'a Demo, cookie: impl Into<String>) -> Self {
        Self {
            demo,
            cookie: Some(cookie.into()),
        }
    }

    /// `GET path` as a browser navigating to it.
    pub async fn get(&mut self, path: &str) -> Reply {
        let page = [("accept", "text/html")];
        let reply = send_with(
            Method::GET,
            &self.demo.url(path),
            self.cookie.as_deref(),
            None,
            &page,
        )
        .await;
        self.keep(&reply);
        reply
    }

    /// `POST path` with `form`, as curl sends it (no `Origin`).
    pub async fn post(&mut self, path: &str, form: &str) -> Reply {
        let url = self.demo.url(path);
        let reply = send(Method::POST, &url, self.cookie.as_deref(), Some(form)).await;
        self.keep(&reply);
        reply
    }

    /// Stores the session cookie `reply` sets, or forgets the one it removes.
    fn keep(&mut self, reply: &Reply) {
        if let Some(cookie) = reply.set_cookie("demo_session") {
            let removed = cookie.max_age() == Some(cookie::time::Duration::ZERO);
            self.cookie = (!removed).then(|| cookie.value().to_owned());
        }
    }
}

/// Logs visitors in to a running demo without its login form (Django's
/// `force_login`): a session logged in with `login_user`, digest included,
/// made into the cookie the demo would have written
/// (`SessionConfig::cookie_header`), with the demo's own config (secret,
/// codec, cookie name) and its own `Db` on the same database as the user
/// loader. For tests that need a logged-in visitor; tests of the login form
/// itself go through the form.
pub struct Logins {
    /// The demo's session config, with `db` as its user loader.
    pub config: SessionConfig,
    /// The demo's users, on the running demo's database.
    pub db: Db,
}

impl Logins {
    /// A fresh session with user `id` logged in, as `POST /login` leaves
    /// it (without the welcome message), for a test to add to.
    pub async fn session(&self, id: i64) -> Session {
        let user = self
            .db
            .user(id)
            .await
            .expect("read the user")
            .unwrap_or_else(|| panic!("no user {id}"));
        let mut session: Session = self
            .config
            .load_from_request(&HeaderMap::new())
            .expect("an empty session");
        session.login_user(user.id, &user).expect("log in");
        session
    }

    /// The `demo_session` cookie's value holding `session`.
    pub fn cookie(&self, session: Session) -> String {
        let header = self
            .config
            .cookie_header(session)
            .expect("save the session");
        let header = header.to_str().expect("an ASCII Cookie header");
        let value = header
            .strip_prefix("demo_session=")
            .unwrap_or_else(|| panic!("not one demo_session cookie: {header}"));
        assert!(!value.contains(';'), "a session in chunks: {header}");
        value.to_owned()
    }

    /// A cookie with user `id` logged in.
    pub async fn cookie_for(&self, id: i64) -> String {
        let session = self.session(id).await;
        self.cookie(session)
    }
}
