//! The clock that issue times and expiry are measured by.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The time source: the system clock, or one a test sets.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl Clock {
    pub(crate) fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    /// Now, in Unix seconds (0 for a clock set before 1970).
    pub(crate) fn now(&self) -> u64 {
        let now = self.0.as_ref().map_or_else(SystemTime::now, |now| now());
        now.duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "system" })
    }
}
