//! The users table in SQLite: opening and migrating the database, the demo
//! users, password checks, "log out my other browsers", and the
//! [`UserLoader`] the session layer uses.
//!
//! One connection behind a mutex is plenty for a demo. Every query runs on
//! tokio's blocking pool, so neither SQLite nor argon2 stalls the async
//! workers; whatever hashes a password first waits for a hashing slot
//! (`hashing.rs`), so a login flood cannot run unbounded hashes at once.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum_cookie_session::UserLoader;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::hashing::{Hashing, HashingError};

/// The database used when `DATABASE_URL` is not set: a file in the working directory.
pub const DEFAULT_DATABASE: &str = "demo.db";

/// The schema, one step per entry. `PRAGMA user_version` records how many
/// steps a database has had, so a step is never run twice and new steps
/// only ever go at the end.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT    NOT NULL UNIQUE,
        password_hash TEXT    NOT NULL,
        is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1))
    )",
    // Moved by "Log out my other browsers": folded into the session auth
    // hash, so moving it ends every login made before.
    "ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0",
];

/// The columns [`user_from_row`] reads, in its order.
const USER_COLUMNS: &str = "id, username, is_admin, password_hash, session_epoch";

/// The users created on first start: id, name, password, admin.
pub const DEMO_USERS: [(i64, &str, &str, bool); 2] = [
    (1, "alice", "wonderland", true),
    (2, "bob", "builder", false),
];

/// The fewest characters a new password may have: the minimum NIST SP
/// 800-63B sets for a password its user chooses. The demo users' own
/// passwords predate the rule (`builder` has 7) and keep working.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The most characters a new password may have: far beyond any password
/// manager's, and a bound on what one hash reads (the form itself may be
/// much larger).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why `password` cannot be a new password, in words for the form; `None`
/// when it can. Characters are counted as Unicode code points, as NIST asks,
/// and every character counts, spaces included.
pub fn new_password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    let yours = match chars {
        0 => "yours is empty".to_owned(),
        1 => "yours has 1".to_owned(),
        n => format!("yours has {n}"),
    };
    if chars < MIN_PASSWORD_CHARS {
        Some(format!(
            "The new password must have at least {MIN_PASSWORD_CHARS} characters ({yours})."
        ))
    } else if chars > MAX_PASSWORD_CHARS {
        Some(format!(
            "The new password may have at most {MAX_PASSWORD_CHARS} characters ({yours})."
        ))
    } else {
        None
    }
}

/// A user of the site, as handlers and guards see it.
#[derive(Clone)]
pub struct User {
    /// The id stored in the session under `"id"`.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// Whether the user may see `/admin`.
    pub is_admin: bool,
    /// The argon2 hash of the password. Never shown: the session keeps only
    /// a keyed digest of it, so that a password change ends every other
    /// login (see the `UserLoader` impl below).
    password_hash: String,
    /// How many times the user logged out their other browsers: in the
    /// same digest, so that moving it ends every other login too.
    session_epoch: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_admin", &self.is_admin)
            .field("session_epoch", &self.session_epoch)
            .finish_non_exhaustive()
    }
}

/// A failure to reach the users (never "no such user", which is `None`).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused the query.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The blocking task running the query panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The task hashing a password could not run.
    #[error(transparent)]
    Hashing(#[from] HashingError),
}

/// A handle on the users database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    /// Shared by every clone, so the bound holds for the whole process.
    hashing: Hashing,
}

/// Where `DATABASE_URL` points: a path, or a `sqlite:` / `sqlite://` URL
/// (any `?options` part is ignored). Unset: [`DEFAULT_DATABASE`].
pub fn database_path() -> PathBuf {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned());
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(&url);
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    PathBuf::from(path)
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &std::path::Path) -> Result<Self, DbError> {
        let mut conn = Connection::open(path)?;
        // Several server processes may share the file: wait for a lock
        // rather than fail at once.
        conn.busy_timeout(Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            hashing: Hashing::per_core(),
        })
    }

    /// Creates the [`DEMO_USERS`] if there are no users yet. Returns whether
    /// it created them, so that the first start can say how to log in.
    pub async fn seed_demo_users(&self) -> Result<bool, DbError> {
        let db = self.clone();
        self.hashing.run(move || db.seed_blocking()).await?
    }

    /// The user with this name if `password` is theirs.
    pub async fn authenticate(
        &self,
        username: String,
        password: String,
    ) -> Result<Option<User>, DbError> {
        let db = self.clone();
        self.hashing
            .run(move || db.check_password(&username, &password))
            .await?
    }

    /// The user with this id, if any.
    pub async fn user(&self, id: i64) -> Result<Option<User>, DbError> {
        let db = self.clone();
        let user = tokio::task::spawn_blocking(move || {
            db.lock()
                .query_row(
                    &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                    [id],
                    user_from_row,
                )
                .optional()
        })
        .await??;
        Ok(user)
    }

    /// Moves the user's session epoch on by one, which ends every login of
    /// theirs made before (their digest no longer matches), and returns the
    /// user as now stored, for logging the browser that asked in again. A
    /// user who no longer exists is an error (`QueryReturnedNoRows`).
    pub async fn bump_session_epoch(&self, id: i64) -> Result<User, DbError> {
        let db = self.clone();
        let user = tokio::task::spawn_blocking(move || {
            db.lock().query_row(
                &format!(
                    "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?1 \
                     RETURNING {USER_COLUMNS}"
                ),
                [id],
                user_from_row,
            )
        })
        .await??;
        Ok(user)
    }

    /// Changes `user`'s password to `new` if `current` is theirs, returning
    /// the user as now stored (with the new hash); `None` if `current` is
    /// wrong.
    pub async fn change_password(
        &self,
        user: User,
        current: String,
        new: String,
    ) -> Result<Option<User>, DbError> {
        let db = self.clone();
        self.hashing
            .run(move || db.replace_password(user, &current, &new))
            .await?
    }

    /// [`Self::seed_demo_users`], on a blocking thread holding a hashing slot.
    fn seed_blocking(&self) -> Result<bool, DbError> {
        let count: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?;
        if count > 0 {
            return Ok(false);
        }
        // Hash outside the lock: argon2 is deliberately slow.
        let hashed = DEMO_USERS.map(|(id, name, password, is_admin)| {
            (id, name, password_auth::generate_hash(password), is_admin)
        });
        let mut conn = self.lock();
        // Another process starting at the same time may have won the
        // race: OR IGNORE keeps its rows.
        let tx = conn.transaction()?;
        let mut inserted = 0;
        for (id, name, hash, is_admin) in &hashed {
            inserted += tx.execute(
                "INSERT OR IGNORE INTO users (id, username, password_hash, is_admin)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id, name, hash, is_admin],
            )?;
        }
        tx.commit()?;
        Ok(inserted > 0)
    }

    /// [`Self::authenticate`], on a blocking thread holding a hashing slot.
    fn check_password(&self, username: &str, password: &str) -> Result<Option<User>, DbError> {
        let found = self
            .lock()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [username],
                user_from_row,
            )
            .optional()?;
        // Verify even for an unknown name, against a hash of nothing, so
        // that the answer takes as long and does not reveal which names exist.
        let hash = found
            .as_ref()
            .map_or(UNKNOWN_USER_HASH.as_str(), |user| &user.password_hash);
        let matches = password_auth::verify_password(password, hash).is_ok();
        Ok(found.filter(|_| matches))
    }

    /// [`Self::change_password`], on a blocking thread holding a hashing slot.
    fn replace_password(
        &self,
        user: User,
        current: &str,
        new: &str,
    ) -> Result<Option<User>, DbError> {
        if password_auth::verify_password(current, &user.password_hash).is_err() {
            return Ok(None);
        }
        // Hash outside the lock: argon2 is deliberately slow.
        let password_hash = password_auth::generate_hash(new);
        // The user as now stored, with an epoch moved since `user` was
        // loaded, so that the browser logged in again holds a good digest.
        let changed = self.lock().query_row(
            &format!("UPDATE users SET password_hash = ?1 WHERE id = ?2 RETURNING {USER_COLUMNS}"),
            params![password_hash, user.id],
            user_from_row,
        )?;
        Ok(Some(changed))
    }

    /// The connection. A panic while it was held cannot leave it half-used
    /// (each statement is atomic), so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A hash no password matches in practice, checked for unknown user names.
static UNKNOWN_USER_HASH: LazyLock<String> =
    LazyLock::new(|| password_auth::generate_hash("no user has this password"));

/// Reads a user from the [`USER_COLUMNS`].
fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        is_admin: row.get(2)?,
        password_hash: row.get(3)?,
        session_epoch: row.get(4)?,
    })
}

/// Runs the [`MIGRATIONS`] this database has not had yet. The immediate
/// transaction makes a second process starting at the same time wait, then
/// find nothing left to do.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let done = usize::try_from(done).unwrap_or(usize::MAX);
    // Nothing to do, or a schema newer than this code knows: leave it be.
    let todo = MIGRATIONS.get(done..).unwrap_or_default();
    if todo.is_empty() {
        return Ok(());
    }
    for step in todo {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()
}

/// Sessions store the user's integer id; this maps it back to the user.
impl UserLoader for Db {
    type User = User;
    type Id = i64;
    type Error = DbError;

    async fn load_user(&self, id: i64) -> Result<Option<User>, DbError> {
        self.user(id).await
    }

    /// The password hash, then the session epoch as 8 big-endian bytes: a
    /// new password, or "Log out my other browsers", ends every login made
    /// before (the browser that asked logs in again). SECURITY.md has the
    /// recipe.
    fn session_auth_hash(&self, user: &User) -> Option<Vec<u8>> {
        let mut bytes = user.password_hash.as_bytes().to_vec();
        bytes.extend_from_slice(&user.session_epoch.to_be_bytes());
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_old_database_gains_the_epoch_and_a_bump_changes_the_auth_hash() {
        let path = std::env::temp_dir().join(format!("demo-db-epoch-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        // A database from before the epoch: the first step only, one user.
        let conn = Connection::open(&path).expect("create the database");
        conn.execute_batch(MIGRATIONS[0]).expect("the first step");
        conn.pragma_update(None, "user_version", 1)
            .expect("record it");
        conn.execute(
            "INSERT INTO users (id, username, password_hash) VALUES (1, 'alice', 'a-hash')",
            [],
        )
        .expect("a user");
        drop(conn);

        let db = Db::open(&path).expect("open and migrate");
        let alice = db.user(1).await.expect("a query").expect("alice");
        assert_eq!(alice.session_epoch, 0, "existing users start at 0");
        let before = db.session_auth_hash(&alice).expect("bytes");
        assert_eq!(before, b"a-hash\0\0\0\0\0\0\0\0");

        let bumped = db.bump_session_epoch(1).await.expect("bumped");
        assert_eq!(bumped.session_epoch, 1);
        assert_eq!(bumped.username, "alice");
        let after = db.session_auth_hash(&bumped).expect("bytes");
        assert_eq!(after, b"a-hash\0\0\0\0\0\0\0\x01");
        let stored = db.user(1).await.expect("a query").expect("alice");
        assert_eq!(stored.session_epoch, 1, "stored, not only returned");
        assert!(
            db.bump_session_epoch(3).await.is_err(),
            "no such user: an error"
        );
        drop(db);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_new_password_needs_8_to_1024_characters() {
        assert_eq!(
            new_password_problem("builder").as_deref(),
            Some("The new password must have at least 8 characters (yours has 7).")
        );
        assert_eq!(
            new_password_problem("").as_deref(),
            Some("The new password must have at least 8 characters (yours is empty).")
        );
        assert_eq!(new_password_problem("builders"), None);
        // Characters, not bytes: 7 of them in 14 bytes are too few.
        assert!(new_password_problem("ééééééé").is_some());
        assert_eq!(new_password_problem("éééééééé"), None);
        // Spaces count like any other character.
        assert_eq!(new_password_problem("a b c d "), None);
        assert_eq!(new_password_problem(&"x".repeat(MAX_PASSWORD_CHARS)), None);
        assert_eq!(
            new_password_problem(&"x".repeat(MAX_PASSWORD_CHARS + 1)).as_deref(),
            Some("The new password may have at most 1024 characters (yours has 1025).")
        );
    }
}
