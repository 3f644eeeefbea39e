//! Time source for everything that expires.
//!
//! Owns the [`Clock`] trait, the real [`SystemClock`] and the test [`ManualClock`]. Stores
//! and the throttle read time only through a `Clock`, so expiry is testable without
//! sleeping. It must never be used for anything but "what time is it now".

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests, simulations). Cloning shares the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// Move the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock();
        *t += by;
    }

    /// Set the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock() = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock()
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// Milliseconds since the Unix epoch, the storage format for times in the auth tables.
pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Inverse of [`to_millis`]; out-of-range values are corrupt rows.
pub(crate) fn from_millis(ms: i64) -> crate::Result<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| crate::AuthError::Corrupt(format!("timestamp {ms} out of range")))
}
