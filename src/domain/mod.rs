//! Pure product logic. Nothing here knows about Slack, sled, tokio or the wall clock:
//! time comes in as a value, so every rule is a plain function that tests can call.

pub mod balance;
pub mod calendar;
pub mod checkin;
pub mod digest;
pub mod doc;
pub mod due;
pub mod echo;
pub mod github;
pub mod ids;
pub mod job;
pub mod nudge;
pub mod schedule;
pub mod summary;
pub mod team;
pub mod user;
pub mod values;
pub mod week;
