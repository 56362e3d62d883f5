//! The users most tests log in: ids mapped to password hashes, which a
//! test can change, digested into the session as the auth hash (so a
//! password change revokes every login).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum_cookie_session::UserLoader;

#[derive(Clone)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) password_hash: String,
}

/// Users in memory, whose password hash a test can change.
#[derive(Clone, Default)]
pub(crate) struct Users(Arc<Mutex<HashMap<i64, String>>>);

impl Users {
    pub(crate) fn with(id: i64, password_hash: &str) -> Self {
        let users = Self::default();
        users.set_password(id, password_hash);
        users
    }

    pub(crate) fn set_password(&self, id: i64, password_hash: &str) {
        self.0.lock().unwrap().insert(id, password_hash.to_owned());
    }
}

impl UserLoader for Users {
    type User = User;
    type Id = i64;
    type Error = Infallible;

    async fn load_user(&self, id: i64) -> Result<Option<User>, Infallible> {
        let users = self.0.lock().unwrap();
        Ok(users.get(&id).map(|hash| User {
            id,
            password_hash: hash.clone(),
        }))
    }

    fn session_auth_hash(&self, user: &User) -> Option<Vec<u8>> {
        Some(user.password_hash.clone().into_bytes())
    }
}
