//! The `twohats` command line.

use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "twohats",
    version,
    about = "A Slack bot for Tech Lead Managers: keep the manager hat and the engineer hat in balance."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, else HTTP mode with
    /// SLACK_SIGNING_SECRET. Configuration comes from the environment (see the README).
    Serve,
    /// Print the Slack app manifest (Socket Mode; `--http URL` for HTTP mode).
    Manifest {
        /// The public base URL Slack should POST to, e.g. https://twohats.example.org
        #[arg(long)]
        http: Option<String>,
    },
    /// GET /healthz on the local listener (TWOHATS_LISTEN) and exit 0 if healthy: for
    /// container health checks.
    Healthcheck {
        /// Probe this URL instead.
        #[arg(long)]
        url: Option<String>,
    },
    /// Check the configuration, the data dir, the tokens and the bot's scopes.
    Doctor,
    /// Write the whole store (all teams) as versioned JSON lines. On sled, stop the bot
    /// first: sled lets one process at a time open the data dir (PostgreSQL needs no stop).
    Backup {
        /// The backup file to write.
        file: PathBuf,
        #[arg(long, env = "TWOHATS_DATA_DIR", default_value = "./twohats-data")]
        data_dir: PathBuf,
        /// PostgreSQL instead of sled at the data dir (`postgres://user:pass@host/db`).
        #[arg(long, env = "TWOHATS_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Load a backup into an empty data dir (or empty PostgreSQL database).
    Restore {
        /// The backup file to read.
        file: PathBuf,
        #[arg(long, env = "TWOHATS_DATA_DIR", default_value = "./twohats-data")]
        data_dir: PathBuf,
        /// PostgreSQL instead of sled at the data dir (`postgres://user:pass@host/db`).
        #[arg(long, env = "TWOHATS_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Run the bot in the terminal: `/tlm …` lines in, replies out. No Slack needed.
    Console(ConsoleArgs),
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Where the sled database lives.
    #[arg(long, env = "TWOHATS_DATA_DIR", default_value = "./twohats-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL instead of sled at the data dir (`postgres://user:pass@host/db`).
    #[arg(long, env = "TWOHATS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Seed 8 weeks of realistic history for the current user (only if they have no data).
    #[arg(long)]
    pub demo: bool,
    /// The user you start as (switch with `:as @name`).
    #[arg(long, default_value = "me")]
    pub user: String,
    /// The time zone of users who haven't set one with `/tlm tz`.
    #[arg(long = "tz", env = "TWOHATS_DEFAULT_TZ", default_value = "UTC")]
    pub default_tz: Tz,
    /// Start the console's clock here instead of now (e.g. 2026-11-27T16:00Z).
    #[arg(long)]
    pub now: Option<String>,
}
