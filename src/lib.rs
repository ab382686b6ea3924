//! twohats: a Slack bot that nudges a Tech Lead Manager about the balance between the
//! manager hat and the engineer hat.
//!
//! The crate is layered so the same use cases serve Slack and the terminal:
//! see `ARCHITECTURE.md` for the code map and the invariants each module keeps.

/// Use cases: run a command, compose a summary, a digest, the home view, export, forget.
pub mod app;
/// The `twohats` command line: subcommands and their flags.
pub mod cli;
/// `/tlm` text to a typed [`command::Command`], with usage text for every command.
pub mod command;
/// The local transport: `twohats console`, a scriptable terminal Slack.
pub mod console;
/// `twohats doctor`: configuration and Slack checks.
pub mod doctor;
/// Pure product logic: weeks, check-ins, balance, nudges, summaries, digests. No I/O.
pub mod domain;
/// Fetching a URL a user typed (the calendar feed): vetted addresses, caps, timeouts.
pub mod fetch;
/// The GitHub REST client behind `app::github::GithubApi`.
pub mod github;
/// `twohats healthcheck`: probe the local `/healthz`.
pub mod healthcheck;
/// Prometheus metrics for `GET /metrics`.
pub mod metrics;
/// Replies and summaries to a neutral document, then to Block Kit JSON or terminal text.
pub mod render;
/// Slack transports (Socket Mode, HTTP) and the Web API client.
pub mod slack;
/// The sled store: typed keys, versioned values, group commit. Nothing else touches sled.
pub mod store;
/// What use cases answer, as data: the view types `app` produces and `render` reads.
pub mod view;
