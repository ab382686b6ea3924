//! twohats integration tests: one crate, so the suite links once.
//!
//! They drive the real use cases over a real sled store in a temp dir, and the real binary
//! for the console and the crash test. No network, no Slack.

mod backup;
mod bad_input;
mod bad_rows;
mod calendar;
mod commands;
mod console;
mod deploy;
mod durability;
mod fuzz;
mod github;
mod golden;
mod layers;
mod manifest;
mod pg;
mod privacy;
mod scheduler;
mod slack;
mod store_port;
mod support;
