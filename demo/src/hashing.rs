//! Password hashing, at most one hash per core at a time.
//!
//! argon2 is slow and memory-hard on purpose: each hash holds about 19 MiB
//! for tens of milliseconds. Unbounded, every login started one at once on
//! tokio's blocking pool (up to 512 threads), and 300 wrong-password logins
//! sent 16 at a time took the demo from 30 MB to 3.3 GB. With a slot per
//! core, the hashes in flight, and so their memory, stay as many as the
//! cores that can run them anyway.
//!
//! A hash past the bound waits for a slot rather than being refused: a
//! waiting login costs only its connection and a small future, so a flood
//! makes logins slower, not impossible.

use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::sync::{AcquireError, Semaphore};
use tokio::task::JoinError;

/// Why a hash could not run.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// The slots were closed (never done: there is no shutdown of hashing).
    #[error("password hashing is closed: {0}")]
    Closed(#[from] AcquireError),
    /// The blocking task running the hash panicked or was cancelled.
    #[error("password hashing task failed: {0}")]
    Task(#[from] JoinError),
}

/// The hashing slots, cheap to clone: clones share them.
#[derive(Clone, Debug)]
pub struct Hashing {
    slots: Arc<Semaphore>,
}

impl Hashing {
    /// One slot per core the process may use (one if that is unknown).
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            slots: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Runs `work`, which hashes or verifies passwords, on the blocking pool
    /// once a slot is free (first come, first served). The slot moves into
    /// the task: a client hanging up drops its request, but not the hash
    /// already running, which keeps its slot until it ends.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashingError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::clone(&self.slots).acquire_owned().await?;
        let done = tokio::task::spawn_blocking(move || {
            let done = work();
            drop(slot);
            done
        })
        .await?;
        Ok(done)
    }
}
