//! Use cases: the one place that orchestrates. Transports (console now, Slack later) turn a
//! request into a call here and the [`Reply`] into their own output.
//!
//! Invariants:
//! - A command is parsed and validated completely before anything is written: bad input
//!   stores nothing, not even a first-contact record.
//! - Every reply to a write is returned only after [`Store::durable`]: acknowledged means
//!   saved.
//! - Reads and writes are scoped by the [`Actor`]'s verified (team, user), never by text.
//! - Internal errors are logged without user content and answered with [`Reply::Failed`].

pub mod clock;
mod commands;
mod reply;
pub mod scheduler;
mod views;

pub use reply::{Home, Reply, TeamChange};

use crate::command::{parse, CommandName};
use crate::domain::ids::Scope;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// Who is asking: the (team, user) of a verified request, plus what Slack told us about them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub scope: Scope,
    /// The user's display name, if the transport knows it (digests show it).
    pub name: Option<String>,
    /// The time zone on the user's Slack profile, used until they set one with `/tlm tz`.
    pub profile_tz: Option<Tz>,
}

impl Actor {
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            name: None,
            profile_tz: None,
        }
    }
}

#[derive(Clone)]
pub struct App {
    store: Arc<Store>,
    default_tz: Tz,
}

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request can't be done as asked; the message is for the user.
    #[error("{message}")]
    Rejected {
        message: String,
        usage: Option<CommandName>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not encode the export: {0}")]
    Encode(#[from] serde_json::Error),
}

impl AppError {
    fn rejected(usage: CommandName, message: impl Into<String>) -> Self {
        AppError::Rejected {
            message: message.into(),
            usage: Some(usage),
        }
    }
}

impl App {
    pub fn new(store: Arc<Store>, default_tz: Tz) -> Self {
        Self { store, default_tz }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one `/tlm` command text for `actor` at `now`.
    pub fn handle_command(&self, actor: &Actor, text: &str, now: DateTime<Utc>) -> Reply {
        let command = match parse(text) {
            Ok(command) => command,
            Err(e) => {
                return Reply::Invalid {
                    message: e.message,
                    usage: e.command,
                }
            }
        };
        self.handle(actor, command, now)
    }

    /// Runs an already-built command (from a modal or a button) as [`App::handle_command`]
    /// runs typed text.
    pub fn handle(
        &self,
        actor: &Actor,
        command: crate::command::Command,
        now: DateTime<Utc>,
    ) -> Reply {
        match self.run(actor, command, now) {
            Ok(reply) => reply,
            Err(AppError::Rejected { message, usage }) => Reply::Invalid { message, usage },
            Err(e) => {
                // Ids only: notes and names never reach the logs.
                tracing::error!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "command failed");
                Reply::Failed
            }
        }
    }

    /// A user's zone: the one they set (or their Slack profile's, saved on first contact),
    /// else `profile` (the request's), else the server default.
    pub(crate) fn zone(&self, record: &crate::domain::user::UserRecord, profile: Option<Tz>) -> Tz {
        record.tz.or(profile).unwrap_or(self.default_tz)
    }

    /// The zone a user's weeks and schedules are counted in.
    pub fn tz_for(&self, actor: &Actor) -> Result<Tz, StoreError> {
        let own = self.store.user(&actor.scope)?.and_then(|r| r.tz);
        Ok(own.or(actor.profile_tz).unwrap_or(self.default_tz))
    }
}
