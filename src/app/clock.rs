//! Where "now" comes from. Everything time-dependent takes `now` as a value; the clock is
//! read once per request at the edge, so tests and the console can set it.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told: the console's `:now` and `:advance`, and tests.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }

    /// Moves the clock on by `by`; past the end of chrono's range it stays where it is.
    pub fn advance(&self, by: chrono::Duration) {
        let _ = self.try_advance(by);
    }

    /// Moves the clock on by `by` and returns the new time, or `None` (and leaves the clock)
    /// when that would leave chrono's range: the console takes any date a user types.
    pub fn try_advance(&self, by: chrono::Duration) -> Option<DateTime<Utc>> {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = now.checked_add_signed(by)?;
        *now = next;
        Some(next)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
