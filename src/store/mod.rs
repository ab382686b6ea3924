//! The store port: what the use cases need from storage, as a few traits, and the types that
//! cross it. `app` depends on [`Store`] (a `dyn Store`), never on an engine. Two adapters:
//! sled ([`SledStore`], in `sled_store/`, embedded, one process) and PostgreSQL
//! ([`PgStore`], in `postgres/`, any number of replicas); both keep the same rows
//! (`rows/`: keys, versioned values, validation), and [`open`] is the one place that
//! chooses. The conformance suite (`tests/it/store_port.rs`) is written against these traits
//! so every adapter runs it.
//!
//! What every adapter keeps:
//! - **Acknowledged means durable.** A write is acknowledged only after [`Durability::durable`]
//!   (or `durable_async`) returns, from a flush or commit that began after the write, so it
//!   survives a crash.
//! - **Scoped by the verified request.** Per-user rows are read and written by a [`Scope`]
//!   from the verified request, never from typed text.
//! - **Compare-and-swap read-modify-writes.** [`Users::update_user_with`] and
//!   [`Digests::update_subscription_with`] run their change on what is stored and write only
//!   if nothing changed in between, else run it again on the newer value: two concurrent
//!   writers both count.
//! - **Histories in time order.** `*_since` return rows oldest first; 1:1s by their day.
//! - **Claim and queue together.** [`Scheduled::claim`] writes the ledger entry and the
//!   outbox message atomically, once per [`LedgerKey`]; [`Scheduled::settle`] removes the
//!   message and records the outcome atomically, durable before it returns.
//! - **One bad row never stops anyone else.** A row that doesn't decode is skipped by every
//!   loop over rows and fails only its owner's own read ([`StoreError::is_undecodable`]),
//!   counted and logged by its ids, never its value.

pub mod postgres;
pub mod rows;
mod scheduled;
pub mod sled_store;

pub use postgres::PgStore;
pub use scheduled::{Claim, LedgerKey, OutboxItem, QueuedMessage};
pub use sled_store::backup::{BackupError, BackupSummary};
pub use sled_store::{CodecError, FlushError, RawEntry, SledStore};

use crate::domain::checkin::{CheckIn, Fire, Win};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use crate::domain::team::OneOnOne;
use crate::domain::user::UserRecord;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data directory {path} is in use by another twohats process (sled allows one process per database); stop it or choose another --data-dir")]
    Locked { path: PathBuf },
    #[error("could not open the data directory {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("could not make the write durable: {0}")]
    Flush(#[from] FlushError),
    #[error("tree `{tree}`: {source}")]
    Codec {
        tree: &'static str,
        source: CodecError,
    },
    #[error("could not connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
    /// A PostgreSQL error, by its message and SQLSTATE only (its detail can quote values).
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("the store has used up its ids")]
    IdsExhausted,
    /// A promise of the store's own broken: a bug, not the data.
    #[error("store invariant broken: {0}")]
    Invariant(&'static str),
}

impl StoreError {
    /// Whether the error is a stored row that doesn't decode (as opposed to the store
    /// failing): such a row concerns its owner only, and a loop over many goes on past it.
    pub fn is_undecodable(&self) -> bool {
        matches!(self, StoreError::Codec { .. })
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A durability wait that holds no thread.
pub type DurableFuture = Pin<Box<dyn Future<Output = Result<()>> + Send + 'static>>;

/// What a read-modify-write's change decided about the value it was shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision<T> {
    /// Store this (for a user record, the record as changed in place).
    Write(T),
    /// Store nothing: the change was refused, or there is nothing to change.
    Abandon,
}

/// The store's counters, read on each `/metrics` scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Flushes (or commits) run so far.
    pub flushes: u64,
    /// Durability waits answered so far.
    pub waits: u64,
    /// Stored rows met that didn't decode (each time one is met).
    pub undecodable_rows: u64,
}

/// Everything one user owns, as `/tlm export` hands it over.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserExport {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub settings: Option<UserRecord>,
    pub checkins: Vec<CheckIn>,
    pub one_on_ones: Vec<OneOnOne>,
    pub wins: Vec<Win>,
    pub fires: Vec<Fire>,
    /// Channels whose digest this user subscribed.
    pub digests_owned: Vec<Subscription>,
    /// Channels whose digest this user joined.
    pub digests_joined: Vec<ChannelId>,
}

/// What `forget` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub rows: usize,
    pub digests_removed: usize,
    pub digests_left: usize,
}

/// Where the store lives: the one setting that chooses the adapter.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// sled in this directory (the default: embedded, one process).
    Sled(PathBuf),
    /// PostgreSQL at this URL (`postgres://…`): any number of processes.
    Postgres(String),
}

impl StoreLocation {
    /// PostgreSQL when a database URL is set (and not blank), else sled at `data_dir`.
    pub fn new(data_dir: &Path, database_url: Option<&str>) -> Self {
        match database_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => StoreLocation::Postgres(url.to_string()),
            None => StoreLocation::Sled(data_dir.to_path_buf()),
        }
    }
}

/// Never prints a password: the URL is shown without its user info.
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sled(dir) => write!(f, "data dir {}", dir.display()),
            StoreLocation::Postgres(url) => write!(f, "PostgreSQL {}", postgres::redacted(url)),
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Opens the store at `location`: the one place that picks an adapter.
pub fn open(location: &StoreLocation) -> Result<std::sync::Arc<dyn Store>> {
    Ok(match location {
        StoreLocation::Sled(dir) => std::sync::Arc::new(SledStore::open(dir)?),
        StoreLocation::Postgres(url) => std::sync::Arc::new(PgStore::connect(url)?),
    })
}

/// Health and durability.
pub trait Durability: Send + Sync {
    /// Whether every call is a network round trip (PostgreSQL), so callers on an async
    /// worker should move store work to the blocking pool. sled answers from memory.
    fn is_remote(&self) -> bool {
        false
    }
    /// A cheap read that fails if the store can't be read.
    fn check(&self) -> Result<()>;
    /// Blocks until every write made before this call is durable. Concurrent callers share
    /// a flush.
    fn durable(&self) -> Result<()>;
    /// [`Durability::durable`] for async callers: waits without holding a thread.
    fn durable_async(&self) -> DurableFuture;
    fn stats(&self) -> StoreStats;
}

/// Users' settings records.
pub trait Users: Send + Sync {
    /// One user's record; an error if it doesn't decode (their request fails, nobody else's).
    fn user(&self, scope: &Scope) -> Result<Option<UserRecord>>;
    /// Whether the user has a record, without decoding it.
    fn has_user(&self, scope: &Scope) -> Result<bool>;
    /// Read-modify-write of a user's record with compare-and-swap. A missing record is
    /// created at `create_at`, or, when that is `None`, left missing (`Ok(false)`, `change`
    /// never runs). `change` may run more than once, so it must not have side effects.
    /// False only when the record is missing and `create_at` is `None`.
    fn update_user_with(
        &self,
        scope: &Scope,
        create_at: Option<DateTime<Utc>>,
        change: &mut dyn FnMut(&mut UserRecord) -> Decision<()>,
    ) -> Result<bool>;
    /// Every user record, in key order. A row that doesn't decode is skipped.
    fn users(&self) -> Box<dyn Iterator<Item = Result<(Scope, UserRecord)>> + '_>;
}

/// What users log: check-ins, 1:1s, wins, fires.
pub trait Histories: Send + Sync {
    fn add_checkin(&self, scope: &Scope, checkin: &CheckIn) -> Result<()>;
    /// Check-ins recorded at or after `since`, oldest first.
    fn checkins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<CheckIn>>;
    /// The check-in recorded last in `[from, until)`, if any.
    fn last_checkin_between(
        &self,
        scope: &Scope,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<CheckIn>>;
    /// 1:1s are ordered by the day they happened, so a back-dated one sorts into place.
    fn add_one_on_one(&self, scope: &Scope, one_on_one: &OneOnOne) -> Result<()>;
    /// Everything on or after `since`, plus each of `people`'s latest 1:1, oldest day first
    /// (two on one day in the order they were logged).
    fn one_on_ones_for(
        &self,
        scope: &Scope,
        people: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<OneOnOne>>;
    fn add_win(&self, scope: &Scope, win: &Win) -> Result<()>;
    /// Wins recorded at or after `since`, oldest first.
    fn wins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Win>>;
    fn last_win(&self, scope: &Scope) -> Result<Option<Win>>;
    fn add_fire(&self, scope: &Scope, fire: &Fire) -> Result<()>;
    /// Fires recorded at or after `since`, oldest first.
    fn fires_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Fire>>;
}

/// Channels' digest subscriptions.
pub trait Digests: Send + Sync {
    fn subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<Option<Subscription>>;
    /// Read-modify-write of one subscription with compare-and-swap: `change` gets what is
    /// stored (or `None`) and decides what to store (`Write(None)` deletes). It may run
    /// again when someone else wrote in between.
    fn update_subscription_with(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        change: &mut dyn FnMut(Option<Subscription>) -> Decision<Option<Subscription>>,
    ) -> Result<()>;
    /// A team's subscriptions; one that doesn't decode is skipped.
    fn subscriptions(&self, team: &TeamId) -> Result<Vec<Subscription>>;
    /// Every team's subscriptions, with their team; one that doesn't decode is skipped.
    fn all_subscriptions(&self) -> Result<Vec<(TeamId, Subscription)>>;
}

/// Slack events already handled.
pub trait Events: Send + Sync {
    /// Records an event id; true the first time it is seen, false for a retry. Durable
    /// before it returns. Ids seen before `forget_before` may be pruned on the way.
    fn first_sighting(
        &self,
        team: &TeamId,
        event_id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool>;
}

/// Everything about one person: export and forget.
pub trait People: Send + Sync {
    fn export_user(&self, scope: &Scope) -> Result<UserExport>;
    /// Deletes everything the user owns: their record, history, scheduled messages and
    /// ledger entries, the digests they subscribed, their membership in others'.
    fn forget_user(&self, scope: &Scope) -> Result<Forgotten>;
}

/// The scheduler's ledger (what was claimed, and how it ended) and outbox (composed
/// messages waiting for delivery).
pub trait Scheduled: Send + Sync {
    /// Whether a scheduled message was already claimed (whatever became of it).
    fn is_claimed(&self, key: &LedgerKey) -> Result<bool>;
    /// How a claimed message ended, if it was claimed.
    fn claim_state(&self, key: &LedgerKey) -> Result<Option<Claim>>;
    /// Records the claim and, unless skipped (`message` is `None`), queues the message —
    /// atomically. False if already claimed (nothing written). Not durable until
    /// [`Durability::durable`].
    fn claim(
        &self,
        key: &LedgerKey,
        message: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// **Takes and leases** the messages due at `now` (and not leased to anyone at `now`),
    /// oldest claim first, at most `limit`: each is leased to the caller until
    /// `now + OUTBOX_LEASE`, and no call hands it out again before that unless it is
    /// released ([`Scheduled::release`]) or rescheduled first; settled, it is gone. On a
    /// shared store (PostgreSQL) this is what keeps two replicas from sending one message:
    /// a replica killed mid-send leaves its lease to run out, and another then sends it.
    /// (sled, one process, keeps its leases in memory: a restart forgets them with the
    /// process that held them.)
    fn outbox_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<(u64, OutboxItem)>>;
    /// Hands a message taken by [`Scheduled::outbox_due`] back, unchanged and unleased
    /// (pacing held it for a later round); one gone meanwhile stays gone.
    fn release(&self, id: u64) -> Result<()>;
    fn outbox_len(&self) -> usize;
    /// When the oldest unsent message was queued (`None`: the outbox is empty).
    fn outbox_oldest(&self) -> Result<Option<DateTime<Utc>>>;
    /// Out of the outbox, and the ledger says how it ended — atomically, durable before it
    /// returns.
    fn settle(&self, id: u64, item: &OutboxItem, outcome: Claim, now: DateTime<Utc>) -> Result<()>;
    /// Puts a message back for a later attempt (its `attempts` and `not_before` from
    /// `item`) onto whatever is queued under `id` now, and ends its lease; one dropped
    /// meanwhile stays dropped.
    fn reschedule(&self, id: u64, item: &OutboxItem) -> Result<()>;
    /// A team's queued digest messages, as read (for [`Scheduled::requeue_if_unchanged`]).
    fn queued_digests(&self, team: &TeamId) -> Result<Vec<QueuedMessage>>;
    /// Replaces a queued message, or drops it (claim recorded as skipped) when `None` — only
    /// if it is still queued exactly as read. Durable before it returns.
    fn requeue_if_unchanged(
        &self,
        queued: &QueuedMessage,
        replacement: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// How long a message taken by [`Scheduled::outbox_due`] stays its taker's: longer than a
/// whole delivery round (64 messages, each attempt bounded by the Slack client's 10 s), so a
/// live sender never loses one to another replica; a dead one's messages wait this long.
pub const OUTBOX_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Whole-store copies.
pub trait Backups: Send + Sync {
    /// Writes every row as versioned JSON lines (header, rows, trailer).
    fn backup_to(&self, out: &mut dyn Write) -> std::result::Result<BackupSummary, BackupError>;
    /// A new 0600 file beside `path`, synced, renamed over it; given up (nothing left
    /// behind) as soon as `stop` says so.
    fn backup_to_file_until(
        &self,
        path: &Path,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> std::result::Result<BackupSummary, BackupError>;
    /// Loads a whole backup into an empty store, or nothing at all.
    fn restore_from(
        &self,
        input: &mut dyn BufRead,
    ) -> std::result::Result<BackupSummary, BackupError>;
}

/// The whole port: what `app` holds, as `Arc<dyn Store>`.
pub trait Store:
    Durability + Users + Histories + Digests + Events + People + Scheduled + Backups
{
}

impl<S> Store for S where
    S: Durability + Users + Histories + Digests + Events + People + Scheduled + Backups
{
}

/// The closure-taking read-modify-writes in their convenient, generic form. (The port's own
/// methods take `&mut dyn FnMut` so that `dyn Store` exists.)
pub trait StoreExt: Users + Digests {
    /// Read-modify-write of a user's record, created at `now` if new; if `change` fails,
    /// nothing is written and its error is returned.
    fn update_user<T, E: From<StoreError>>(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        change: impl FnMut(&mut UserRecord) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let (_, out) = update_record(self, scope, Some(now), change)?;
        out.ok_or_else(|| E::from(StoreError::Invariant("a created record was not changed")))?
    }

    /// [`StoreExt::update_user`] for a record that must already exist: `None`, and nothing
    /// written, when it doesn't — background work must not bring back a user who ran
    /// `forget` meanwhile.
    fn update_existing_user<T, E: From<StoreError>>(
        &self,
        scope: &Scope,
        change: impl FnMut(&mut UserRecord) -> std::result::Result<T, E>,
    ) -> std::result::Result<Option<T>, E> {
        match update_record(self, scope, None, change)? {
            (false, _) => Ok(None),
            (true, out) => out
                .ok_or_else(|| {
                    E::from(StoreError::Invariant("an existing record was not changed"))
                })?
                .map(Some),
        }
    }

    /// Read-modify-write of one subscription: `change` gets what is stored and says what to
    /// store (`None` deletes) and what to answer; if it fails, nothing is written.
    fn update_subscription<T, E: From<StoreError>>(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        mut change: impl FnMut(
            Option<Subscription>,
        ) -> std::result::Result<(Option<Subscription>, T), E>,
    ) -> std::result::Result<T, E> {
        let mut out = None;
        self.update_subscription_with(team, channel, &mut |current| match change(current) {
            Ok((next, answer)) => {
                out = Some(Ok(answer));
                Decision::Write(next)
            }
            Err(e) => {
                out = Some(Err(e));
                Decision::Abandon
            }
        })?;
        out.ok_or_else(|| E::from(StoreError::Invariant("a subscription change did not run")))?
    }
}

impl<S: Users + Digests + ?Sized> StoreExt for S {}

/// Runs `change` through [`Users::update_user_with`], keeping the answer of its last run.
#[allow(clippy::type_complexity)]
fn update_record<S: Users + ?Sized, T, E: From<StoreError>>(
    store: &S,
    scope: &Scope,
    create_at: Option<DateTime<Utc>>,
    mut change: impl FnMut(&mut UserRecord) -> std::result::Result<T, E>,
) -> std::result::Result<(bool, Option<std::result::Result<T, E>>), E> {
    let mut out = None;
    let existed = store.update_user_with(scope, create_at, &mut |record| match change(record) {
        Ok(answer) => {
            out = Some(Ok(answer));
            Decision::Write(())
        }
        Err(e) => {
            out = Some(Err(e));
            Decision::Abandon
        }
    })?;
    Ok((existed, out))
}

/// Every trait of the port, for code that holds a concrete adapter (tests, benches, the
/// command line) rather than a `dyn Store`.
pub mod prelude {
    pub use super::{
        Backups, Digests, Durability, Events, Histories, People, Scheduled, Store, StoreExt, Users,
    };
}
