//! Use cases: the one place that orchestrates. Transports (console now, Slack later) turn a
//! request into a call here and the [`Reply`] into their own output.
//!
//! Invariants:
//! - A command is parsed and validated completely before anything is written: bad input
//!   stores nothing, not even a first-contact record.
//! - Every reply to a write is returned only after its writes are durable: use cases return
//!   an [`Unflushed`] reply that only [`App::durable`] / [`App::durable_async`] open, after a
//!   flush that began after the writes. Acknowledged means saved.
//! - Reads and writes are scoped by the [`Actor`]'s verified (team, user), never by text.
//! - Internal errors are logged without user content and answered with [`Reply::Failed`].

mod calendar;
pub mod clock;
mod commands;
pub mod delivery;
pub mod github;
mod operations;
pub mod scheduler;
mod views;

pub use crate::fetch::FetchPolicy;
pub use crate::view::{GithubView, Home, Reply, TeamChange};
pub use calendar::{Offer, Refreshed};
pub use operations::EVENT_MEMORY;

use crate::command::{parse, CommandName};
use crate::domain::ids::{ChannelId, Scope};
use crate::domain::values::Field;
pub use crate::store::{BackupError, BackupSummary, StoreError, StoreStats};
use crate::store::{SledStore, Store, StoreLocation};
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
    /// What the transport checked about the user's membership of channels the command names.
    pub channels: ChannelAccess,
}

impl Actor {
    /// An actor whose channel memberships are not checked (the console, in-process tests).
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            name: None,
            profile_tz: None,
            channels: ChannelAccess::Unchecked,
        }
    }

    /// Whether the actor may put a digest into `channel`: they are in it, or the transport
    /// has no channels to check. `None` when the transport could not find out.
    pub fn may_subscribe(&self, channel: &ChannelId) -> Option<bool> {
        match &self.channels {
            ChannelAccess::Unchecked => Some(true),
            ChannelAccess::MemberOf(ids) => Some(ids.contains(channel)),
            ChannelAccess::Unknown => None,
        }
    }
}

/// A transport's word on which channels a user is in. Slack's transport always says
/// `MemberOf` (empty when it checked nothing) or `Unknown`, so a check it forgot fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelAccess {
    /// No channels to check: the console, where every channel is make-believe.
    Unchecked,
    /// Slack said the user is a member of these channels.
    MemberOf(Vec<ChannelId>),
    /// Slack couldn't say (an error or a timeout).
    Unknown,
}

/// A command's reply whose writes may not be durable yet. The reply is reachable only through
/// [`App::durable`] or [`App::durable_async`], so nothing can show it before the flush.
#[must_use = "a reply must not be shown before its writes are durable"]
pub struct Unflushed {
    reply: Reply,
    /// Whose writes must be durable before the reply is shown; `None` when nothing was written.
    writer: Option<Scope>,
    /// This command created the user's record: the first time twohats keeps anything of them.
    first_contact: bool,
}

impl Unflushed {
    fn read_only(reply: Reply) -> Self {
        Self {
            reply,
            writer: None,
            first_contact: false,
        }
    }

    /// Whether this command created the user's record (so a transport may fill in what it
    /// knows of them, such as their profile's time zone, once).
    pub fn is_first_contact(&self) -> bool {
        self.first_contact
    }

    /// The reply once `flushed` says whether `scope`'s writes are durable.
    fn open(self, scope: &Scope, flushed: Result<(), StoreError>) -> Reply {
        match flushed {
            Ok(()) => self.reply,
            Err(e) => {
                tracing::error!(team = %scope.team, user = %scope.user, error = %e, "command failed");
                Reply::Failed
            }
        }
    }
}

#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    default_tz: Tz,
    /// GitHub, when `GITHUB_TOKEN` is set (see `github.rs`).
    github: Option<Arc<dyn github::GithubApi>>,
}

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request can't be done as asked; the message is for the user.
    #[error("{message}")]
    Rejected {
        message: String,
        usage: Option<CommandName>,
        field: Option<Field>,
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
            field: None,
        }
    }

    /// The refusal, about one input (a form shows it under that field).
    fn about(self, at_fault: Field) -> Self {
        match self {
            AppError::Rejected { message, usage, .. } => AppError::Rejected {
                message,
                usage,
                field: Some(at_fault),
            },
            other => other,
        }
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, default_tz: Tz) -> Self {
        Self {
            store,
            default_tz,
            github: None,
        }
    }

    /// Opens the store in `data_dir` (sled, the embedded default) and the use cases over it.
    pub fn open(data_dir: &std::path::Path, default_tz: Tz) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::new(SledStore::open(data_dir)?), default_tz))
    }

    /// Opens the store the settings choose — PostgreSQL at `database_url` when it is set,
    /// else sled in `data_dir` (`store::open` decides) — and the use cases over it.
    pub fn open_in(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        default_tz: Tz,
    ) -> Result<Self, StoreError> {
        let location = StoreLocation::new(data_dir, database_url);
        Ok(Self::new(crate::store::open(&location)?, default_tz))
    }

    /// Whether every store call is a network round trip (PostgreSQL): transports then run
    /// all store work on the blocking pool, never on an async worker.
    pub fn store_is_remote(&self) -> bool {
        self.store.is_remote()
    }

    /// Runs one `/tlm` command text for `actor` at `now`; returns once its writes are durable.
    pub fn handle_command(&self, actor: &Actor, text: &str, now: DateTime<Utc>) -> Reply {
        self.durable(self.handle_command_unflushed(actor, text, now))
    }

    /// Runs an already-built command (from a modal or a button) as [`App::handle_command`]
    /// runs typed text.
    pub fn handle(
        &self,
        actor: &Actor,
        command: crate::command::Command,
        now: DateTime<Utc>,
    ) -> Reply {
        self.durable(self.handle_unflushed(actor, command, now))
    }

    /// [`App::handle_command`] up to, not including, durability: the caller opens the reply
    /// with [`App::durable`] or [`App::durable_async`].
    fn handle_command_unflushed(&self, actor: &Actor, text: &str, now: DateTime<Utc>) -> Unflushed {
        match parse(text) {
            Ok(command) => self.handle_unflushed(actor, command, now),
            Err(e) => Unflushed::read_only(Reply::Invalid {
                message: e.message,
                usage: e.command,
                field: e.field,
            }),
        }
    }

    /// [`App::handle`] up to, not including, durability.
    pub fn handle_unflushed(
        &self,
        actor: &Actor,
        command: crate::command::Command,
        now: DateTime<Utc>,
    ) -> Unflushed {
        let writes = command.may_write();
        // A store error reads as "had a record": no first contact is claimed on a guess.
        let had_record = !writes || !matches!(self.store.has_user(&actor.scope), Ok(false));
        match self.execute(actor, command, now) {
            Ok(reply) => Unflushed {
                reply,
                writer: writes.then(|| actor.scope.clone()),
                first_contact: !had_record && matches!(self.store.has_user(&actor.scope), Ok(true)),
            },
            // A refusal stored nothing and promises nothing: no flush to wait for.
            Err(AppError::Rejected {
                message,
                usage,
                field,
            }) => Unflushed::read_only(Reply::Invalid {
                message,
                usage,
                field,
            }),
            Err(e) => {
                // Ids only: notes and names never reach the logs.
                tracing::error!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "command failed");
                Unflushed::read_only(Reply::Failed)
            }
        }
    }

    /// Blocks until the command's writes are durable, then hands over its reply.
    pub fn durable(&self, mut unflushed: Unflushed) -> Reply {
        match unflushed.writer.take() {
            None => unflushed.reply,
            Some(scope) => unflushed.open(&scope, self.store.durable()),
        }
    }

    /// [`App::durable`] without holding a thread while the flush runs.
    pub async fn durable_async(&self, mut unflushed: Unflushed) -> Reply {
        match unflushed.writer.take() {
            None => unflushed.reply,
            Some(scope) => unflushed.open(&scope, self.store.durable_async().await),
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
