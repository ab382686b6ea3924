//! Slack transports: Socket Mode and HTTP mode in, the Web API out.
//!
//! Invariants:
//! - Every request is authenticated before it is read: a valid signature in HTTP mode, the
//!   app-level websocket in Socket Mode. The (team, user) in the verified payload is the only
//!   scope any use case sees.
//! - Slack gets its ack within 3 s: the use case runs (and its write is durable) before the
//!   ack, but every Web API call a command needs runs after it, in the background.
//! - Tokens and signing secrets are [`config::Secret`]s and never reach a log line.

pub mod backups;
pub mod bot;
pub mod calendar_task;
pub mod client;
pub mod config;
pub mod github;
pub mod http;
pub mod incoming;
mod interactions;
pub mod manifest;
pub mod scheduler_tasks;
pub mod serve;
pub mod socket;
pub mod verify;
