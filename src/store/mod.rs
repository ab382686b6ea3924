//! The sled store: the only module that touches sled.
//!
//! Invariants:
//! - Every per-user row is keyed under `team 0x00 user 0x00` (see [`keys`]); reads and writes
//!   take a [`Scope`] from the verified request, never from text a user typed.
//! - Values are versioned JSON (see [`codec`]); an unknown newer version is an error, not a
//!   guess.
//! - A write is acknowledged only after [`Store::durable`] (or [`Store::durable_async`])
//!   returns: a `flush` on the flusher thread that began after the write, shared by every
//!   writer waiting at the time (group commit), so an acknowledged write survives a crash.
//! - A row that doesn't decode (or decodes to a value no command writes, see `valid.rs`) never
//!   stops anyone else: loops over rows — every user, every subscription, the outbox, a
//!   user's history — skip it; reading one user's own record returns the error, so only
//!   that user's request fails. Either way it is counted (`StoreStats::undecodable_rows`)
//!   and logged by its key's ids, never its value.
//! - A new data directory is created 0700.

pub mod backup;
mod codec;
mod flusher;
pub mod keys;
mod outbox;
mod valid;

pub use outbox::{Claim, LedgerKey, OutboxItem, QueuedMessage};

use crate::domain::checkin::{CheckIn, Fire, Win};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use crate::domain::team::OneOnOne;
use crate::domain::user::UserRecord;
use chrono::{DateTime, NaiveDate, Utc};
use codec::{encode, CodecError};
use flusher::Flusher;
pub use flusher::{FlushError, FlushStats};
use keys::KeyIds;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use valid::{decode_checked, Checked};

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
    #[error("the store has used up its ids")]
    IdsExhausted,
}

impl StoreError {
    /// Whether the error is a stored row that doesn't decode (as opposed to the store
    /// failing): such a row concerns its owner only, and a loop over many goes on past it.
    pub fn is_undecodable(&self) -> bool {
        matches!(self, StoreError::Codec { .. })
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// sled's page cache. Its default (1 GiB) would let a big store grow the process far past a
/// small VM's or a container's memory. 4 MiB still holds a team's working set (this week's
/// rows and every user record); under a write flood the cache is most of the peak RSS
/// (wrk, 10 s of check-ins: 76 MB at 32 MiB, 33 MB at 2 MiB), while 10,000 weekly
/// summaries from a year-long store take ~10 % longer at 4 MiB than at 32 (BENCHMARKS.md).
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// One tree per kind of row. The names are part of the on-disk format.
const USERS: &str = "users";
const CHECKINS: &str = "checkins";
const ONE_ON_ONES: &str = "one_on_ones";
const WINS: &str = "wins";
const FIRES: &str = "fires";
const DIGESTS: &str = "digests";
const SEEN_EVENTS: &str = "seen_events";
/// The store's own bookkeeping: `id_base` (see `Store::new_id`). Not user data, so it is
/// left out of backups (their header carries it) and of [`Store::raw_entries`].
const META: &str = "meta";
const ID_BASE: &[u8] = b"id_base";

/// How many undecodable rows are logged as warnings, each once; past that (or the second
/// time a row is met, every scheduler tick) they are logged at debug, and still counted.
const WARN_ROWS: usize = 1024;

pub struct Store {
    db: sled::Db,
    users: sled::Tree,
    checkins: sled::Tree,
    one_on_ones: sled::Tree,
    wins: sled::Tree,
    fires: sled::Tree,
    digests: sled::Tree,
    seen_events: sled::Tree,
    ledger: sled::Tree,
    outbox: sled::Tree,
    meta: sled::Tree,
    /// Added to sled's ids: a restore raises it past every id the backup's keys may end in,
    /// in one write (sled's own generator only moves one id at a time).
    id_base: AtomicU64,
    /// Undecodable rows met so far, for `/metrics`.
    undecodable: AtomicU64,
    /// (tree, key) of the undecodable rows already warned about.
    warned: Mutex<HashSet<(&'static str, Vec<u8>)>>,
    flusher: Flusher,
}

/// The store's counters, read on each `/metrics` scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Flushes run so far.
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

/// One stored row: tree name, key, value.
pub type RawEntry = (String, Vec<u8>, Vec<u8>);

/// What `forget` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub rows: usize,
    pub digests_removed: usize,
    pub digests_left: usize,
}

impl Store {
    /// Opens (creating if needed, 0700) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        create_private_dir(dir).map_err(|e| StoreError::Open {
            path: dir.to_path_buf(),
            source: sled::Error::Io(e),
        })?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|source| open_error(dir, source))?;
        let tree = |name: &str| db.open_tree(name);
        let flusher = Flusher::spawn({
            let db = db.clone();
            move || db.flush().map(drop)
        })
        .map_err(|e| StoreError::Open {
            path: dir.to_path_buf(),
            source: sled::Error::Io(e),
        })?;
        let meta = tree(META)?;
        // Unreadable, it could only be replaced by a guess, and a low guess would let new
        // rows overwrite restored ones: refuse to open instead.
        let id_base = match meta.get(ID_BASE)? {
            None => 0,
            Some(bytes) => <[u8; 8]>::try_from(bytes.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Codec {
                    tree: META,
                    source: CodecError::Invalid("the id base is not 8 bytes"),
                })?,
        };
        Ok(Self {
            users: tree(USERS)?,
            checkins: tree(CHECKINS)?,
            one_on_ones: tree(ONE_ON_ONES)?,
            wins: tree(WINS)?,
            fires: tree(FIRES)?,
            digests: tree(DIGESTS)?,
            seen_events: tree(SEEN_EVENTS)?,
            ledger: tree(outbox::LEDGER)?,
            outbox: tree(outbox::OUTBOX)?,
            meta,
            id_base: AtomicU64::new(id_base),
            undecodable: AtomicU64::new(0),
            warned: Mutex::new(HashSet::new()),
            db,
            flusher,
        })
    }

    /// A cheap read that fails if the database can't be read.
    pub fn check(&self) -> Result<()> {
        self.users.first()?;
        Ok(())
    }

    /// Blocks until every write made before this call is durable. Concurrent callers share a
    /// flush.
    pub fn durable(&self) -> Result<()> {
        Ok(self.flusher.wait()?)
    }

    /// How many flushes ran, how many durability waits they answered, and how many
    /// undecodable rows were met.
    pub fn flush_stats(&self) -> StoreStats {
        let FlushStats { flushes, waits } = self.flusher.stats();
        StoreStats {
            flushes,
            waits,
            undecodable_rows: self.undecodable.load(Ordering::Relaxed),
        }
    }

    /// [`Store::durable`] for async callers: waits without holding a thread.
    pub fn durable_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let flushed = self.flusher.wait_async();
        async move { Ok(flushed.await?) }
    }

    // ---- users ----

    /// One user's record; an error if it doesn't decode (their request fails, nobody else's).
    pub fn user(&self, scope: &Scope) -> Result<Option<UserRecord>> {
        let key = keys::user_prefix(scope);
        self.users
            .get(&key)?
            .map(|v| self.decode_row(USERS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    /// Whether the user has a record, without decoding it.
    pub fn has_user(&self, scope: &Scope) -> Result<bool> {
        Ok(self.users.contains_key(keys::user_prefix(scope))?)
    }

    /// Read-modify-write of a user's record, created at `now` if new. `change` may run more
    /// than once when another writer races this one, so it must not have side effects; if
    /// it fails, nothing is written.
    pub fn update_user<T, E: From<StoreError>>(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        mut change: impl FnMut(&mut UserRecord) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let key = keys::user_prefix(scope);
        loop {
            let old = self.users.get(&key).map_err(StoreError::from)?;
            let mut record = match &old {
                Some(bytes) => self.decode_row(USERS, KeyIds::Prefixed(&key), bytes)?,
                None => UserRecord::new(now),
            };
            let out = change(&mut record)?;
            let new = encode_in(USERS, &record)?;
            match self
                .users
                .compare_and_swap(&key, old, Some(new))
                .map_err(StoreError::from)?
            {
                Ok(()) => return Ok(out),
                Err(_) => continue, // someone else wrote in between: redo on their version
            }
        }
    }

    /// [`Store::update_user`] for a record that must already exist: `None`, and nothing
    /// written, when it doesn't — background work (a profile lookup, a summary's team-size
    /// stamp) must not bring back a user who ran `forget` meanwhile.
    pub fn update_existing_user<T, E: From<StoreError>>(
        &self,
        scope: &Scope,
        mut change: impl FnMut(&mut UserRecord) -> std::result::Result<T, E>,
    ) -> std::result::Result<Option<T>, E> {
        let key = keys::user_prefix(scope);
        loop {
            let Some(old) = self.users.get(&key).map_err(StoreError::from)? else {
                return Ok(None);
            };
            let mut record: UserRecord = self.decode_row(USERS, KeyIds::Prefixed(&key), &old)?;
            let out = change(&mut record)?;
            let new = encode_in(USERS, &record)?;
            match self
                .users
                .compare_and_swap(&key, Some(old), Some(new))
                .map_err(StoreError::from)?
            {
                Ok(()) => return Ok(Some(out)),
                Err(_) => continue, // someone else wrote (or deleted) in between: look again
            }
        }
    }

    /// Every user record in the store, in key order. A row that doesn't decode is skipped
    /// (counted and logged): only a failing store is an error.
    pub fn users(&self) -> impl Iterator<Item = Result<(Scope, UserRecord)>> + '_ {
        self.users.iter().filter_map(|row| {
            let (key, value) = match row {
                Ok(row) => row,
                Err(e) => return Some(Err(e.into())),
            };
            let ids = KeyIds::Prefixed(&key);
            let Some(scope) = keys::split_scope(&key)
                .filter(|(_, rest)| rest.is_empty())
                .map(|(scope, _)| scope)
            else {
                self.undecodable_row(USERS, &ids, &CodecError::Key("not `team 0x00 user 0x00`"));
                return None;
            };
            let record = self.decode_row(USERS, ids, &value).ok()?;
            Some(Ok((scope, record)))
        })
    }

    // ---- histories ----

    pub fn add_checkin(&self, scope: &Scope, checkin: &CheckIn) -> Result<()> {
        self.append(&self.checkins, CHECKINS, scope, checkin.at, checkin)
    }

    /// Check-ins recorded at or after `since`, oldest first.
    pub fn checkins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<CheckIn>> {
        self.since(&self.checkins, CHECKINS, scope, since)
    }

    /// The check-in recorded last in `[from, until)`, if any: one seek, however many that
    /// span holds.
    pub fn last_checkin_between(
        &self,
        scope: &Scope,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<CheckIn>> {
        // Usually one seek: an undecodable row is passed over for the one before it.
        let rows = self
            .checkins
            .range(keys::timed_bound(scope, from)..keys::timed_bound(scope, until));
        for row in rows.rev() {
            let (key, value) = row?;
            if let Ok(checkin) = self.decode_row(CHECKINS, KeyIds::Prefixed(&key), &value) {
                return Ok(Some(checkin));
            }
        }
        Ok(None)
    }

    /// 1:1s are keyed by the day they happened, so a back-dated one sorts into place.
    pub fn add_one_on_one(&self, scope: &Scope, one_on_one: &OneOnOne) -> Result<()> {
        self.append(
            &self.one_on_ones,
            ONE_ON_ONES,
            scope,
            date_key(one_on_one.date),
            one_on_one,
        )
    }

    /// The 1:1 log a summary needs: everything on or after `since`, plus, going back, each
    /// of `people`'s latest 1:1 — without reading further back than that.
    pub fn one_on_ones_for(
        &self,
        scope: &Scope,
        people: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<OneOnOne>> {
        let mut missing: Vec<&UserId> = people.iter().collect();
        let mut found = Vec::new();
        for row in self.one_on_ones.scan_prefix(keys::user_prefix(scope)).rev() {
            let (key, value) = row?;
            let Ok(entry) =
                self.decode_row::<OneOnOne>(ONE_ON_ONES, KeyIds::Prefixed(&key), &value)
            else {
                continue;
            };
            let was_missing = missing.len();
            missing.retain(|id| **id != entry.with.id);
            if entry.date >= since || missing.len() < was_missing {
                found.push(entry);
            } else if missing.is_empty() {
                break;
            }
        }
        found.reverse();
        Ok(found)
    }

    pub fn add_win(&self, scope: &Scope, win: &Win) -> Result<()> {
        self.append(&self.wins, WINS, scope, win.at, win)
    }

    pub fn wins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Win>> {
        self.since(&self.wins, WINS, scope, since)
    }

    pub fn last_win(&self, scope: &Scope) -> Result<Option<Win>> {
        for row in self.wins.scan_prefix(keys::user_prefix(scope)).rev() {
            let (key, value) = row?;
            if let Ok(win) = self.decode_row(WINS, KeyIds::Prefixed(&key), &value) {
                return Ok(Some(win));
            }
        }
        Ok(None)
    }

    pub fn add_fire(&self, scope: &Scope, fire: &Fire) -> Result<()> {
        self.append(&self.fires, FIRES, scope, fire.at, fire)
    }

    pub fn fires_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Fire>> {
        self.since(&self.fires, FIRES, scope, since)
    }

    // ---- digests ----

    pub fn subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<Option<Subscription>> {
        let key = keys::channel(team, channel);
        self.digests
            .get(&key)?
            .map(|v| self.decode_row(DIGESTS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    /// Read-modify-write of one subscription with compare-and-swap, as [`Store::update_user`]:
    /// `change` gets what is stored (or `None`) and says what to store (`None` deletes); it
    /// may run again when someone else wrote in between, so two `join`s both count and a
    /// `join` racing `forget` can't put a forgotten user back.
    pub fn update_subscription<T, E: From<StoreError>>(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        mut change: impl FnMut(
            Option<Subscription>,
        ) -> std::result::Result<(Option<Subscription>, T), E>,
    ) -> std::result::Result<T, E> {
        let key = keys::channel(team, channel);
        loop {
            let old = self.digests.get(&key).map_err(StoreError::from)?;
            let current = match &old {
                Some(bytes) => Some(self.decode_row(DIGESTS, KeyIds::Prefixed(&key), bytes)?),
                None => None,
            };
            let (next, out) = change(current)?;
            let new = next
                .as_ref()
                .map(|sub| encode_in(DIGESTS, sub))
                .transpose()?;
            match self
                .digests
                .compare_and_swap(&key, old, new)
                .map_err(StoreError::from)?
            {
                Ok(()) => return Ok(out),
                Err(_) => continue, // someone else wrote in between: redo on their version
            }
        }
    }

    pub fn put_subscription(&self, team: &TeamId, sub: &Subscription) -> Result<()> {
        self.digests.insert(
            keys::channel(team, &sub.channel.id),
            encode_in(DIGESTS, sub)?,
        )?;
        Ok(())
    }

    pub fn delete_subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<bool> {
        Ok(self.digests.remove(keys::channel(team, channel))?.is_some())
    }

    /// A team's digest subscriptions; one that doesn't decode is skipped.
    pub fn subscriptions(&self, team: &TeamId) -> Result<Vec<Subscription>> {
        let mut subs = Vec::new();
        for row in self.digests.scan_prefix(keys::team_prefix(team)) {
            let (key, value) = row?;
            subs.extend(
                self.decode_row(DIGESTS, KeyIds::Prefixed(&key), &value)
                    .ok(),
            );
        }
        Ok(subs)
    }

    /// Every digest subscription of every team, with its team; one that doesn't decode is
    /// skipped.
    pub fn all_subscriptions(&self) -> Result<Vec<(TeamId, Subscription)>> {
        let mut subs = Vec::new();
        for row in self.digests.iter() {
            let (key, value) = row?;
            let ids = KeyIds::Prefixed(&key);
            let Some((team, _)) = keys::split_team(&key) else {
                self.undecodable_row(DIGESTS, &ids, &CodecError::Key("no team id"));
                continue;
            };
            if let Ok(sub) = self.decode_row(DIGESTS, ids, &value) {
                subs.push((team, sub));
            }
        }
        Ok(subs)
    }

    // ---- Slack event delivery ----

    /// Records a Slack event id; true the first time it is seen, false for a retry. Durable
    /// before it returns, so a retry after a crash is still recognised. Ids older than
    /// `forget_before` are pruned on the way, keeping the tree to about an hour of events.
    pub fn first_sighting(
        &self,
        team: &TeamId,
        event_id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool> {
        let mut key = keys::team_prefix(team);
        key.extend_from_slice(event_id.as_bytes());
        let at = now.timestamp_millis().to_be_bytes();
        let fresh = self
            .seen_events
            .compare_and_swap(&key, None::<&[u8]>, Some(&at[..]))?
            .is_ok();
        if fresh {
            let cutoff = forget_before.timestamp_millis();
            let mut batch = sled::Batch::default();
            for row in self.seen_events.iter() {
                let (k, v) = row?;
                let seen = v
                    .as_ref()
                    .try_into()
                    .map(i64::from_be_bytes)
                    .unwrap_or(i64::MIN);
                if seen < cutoff {
                    batch.remove(k);
                }
            }
            self.seen_events.apply_batch(batch)?;
            self.durable()?;
        }
        Ok(fresh)
    }

    // ---- export and forget ----

    pub fn export_user(&self, scope: &Scope) -> Result<UserExport> {
        let all = DateTime::<Utc>::UNIX_EPOCH;
        let subs = self.subscriptions(&scope.team)?;
        Ok(UserExport {
            team_id: scope.team.clone(),
            user_id: scope.user.clone(),
            settings: self.user(scope)?,
            checkins: self.since(&self.checkins, CHECKINS, scope, all)?,
            one_on_ones: self.since(&self.one_on_ones, ONE_ON_ONES, scope, all)?,
            wins: self.since(&self.wins, WINS, scope, all)?,
            fires: self.since(&self.fires, FIRES, scope, all)?,
            digests_joined: subs
                .iter()
                .filter(|s| s.members.contains(&scope.user))
                .map(|s| s.channel.id.clone())
                .collect(),
            digests_owned: subs.into_iter().filter(|s| s.owner == scope.user).collect(),
        })
    }

    /// Deletes everything the user owns: their record, every history row, their scheduled
    /// messages and ledger entries, the digests they subscribed, and their membership in
    /// others'. Other TLMs' own records (a roster that
    /// names this user, a 1:1 logged with them) are those TLMs' data and stay.
    pub fn forget_user(&self, scope: &Scope) -> Result<Forgotten> {
        let mut gone = Forgotten::default();
        let prefix = keys::user_prefix(scope);
        for tree in [&self.checkins, &self.one_on_ones, &self.wins, &self.fires] {
            let mut batch = sled::Batch::default();
            for row in tree.scan_prefix(&prefix) {
                batch.remove(row?.0);
                gone.rows += 1;
            }
            tree.apply_batch(batch)?;
        }
        if self.users.remove(&prefix)?.is_some() {
            gone.rows += 1;
        }
        gone.rows += self.forget_scheduled(&scope.team, scope.user.as_str())?;
        for sub in self.subscriptions(&scope.team)? {
            let (removed, left) =
                self.update_subscription(&scope.team, &sub.channel.id, |current| {
                    Ok::<_, StoreError>(match current {
                        Some(sub) if sub.owner == scope.user => (None, (1, 0)),
                        Some(mut sub) if sub.members.contains(&scope.user) => {
                            sub.members.retain(|m| *m != scope.user);
                            (Some(sub), (0, 1))
                        }
                        other => (other, (0, 0)),
                    })
                })?;
            gone.digests_removed += removed;
            gone.digests_left += left;
        }
        Ok(gone)
    }

    /// Every key and value of every tree but the store's own bookkeeping (`meta`: an id
    /// counter, no user data), for tests that check what is left on disk.
    pub fn raw_entries(&self) -> Result<Vec<RawEntry>> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            if name == META.as_bytes() {
                continue;
            }
            let tree = self.db.open_tree(&name)?;
            let name = String::from_utf8_lossy(&name).into_owned();
            for row in tree.iter() {
                let (k, v) = row?;
                out.push((name.clone(), k.to_vec(), v.to_vec()));
            }
        }
        Ok(out)
    }

    /// **Tests only**: writes `value` under `key` in `tree` as it is, bypassing every check,
    /// to plant the damaged rows a hand-edited backup or a bad disk could leave. Not durable
    /// until [`Store::durable`]. Nothing in twohats itself calls it.
    #[doc(hidden)]
    pub fn put_raw_for_tests(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.open_tree(tree)?.insert(key, value)?;
        Ok(())
    }

    // ---- helpers ----

    /// A fresh id for a key: sled's generator (monotonic, never repeating), plus the base a
    /// restore set so that no id a restored key ends in comes round again.
    fn new_id(&self) -> Result<u64> {
        self.db
            .generate_id()?
            .checked_add(self.id_base.load(Ordering::Acquire))
            .ok_or(StoreError::IdsExhausted)
    }

    /// Makes every id from now on at least `floor`: one write, however far that is.
    fn raise_ids_to(&self, floor: u64) -> Result<()> {
        let base = self.id_base.load(Ordering::Acquire).max(floor);
        self.meta.insert(ID_BASE, &base.to_be_bytes())?;
        self.id_base.store(base, Ordering::Release);
        Ok(())
    }

    /// Decodes and checks a stored value; one that fails is counted and logged by `key`
    /// before the error returns, so callers that skip it need do nothing more.
    fn decode_row<T: DeserializeOwned + Checked>(
        &self,
        tree: &'static str,
        key: KeyIds<'_>,
        value: &[u8],
    ) -> Result<T> {
        decode_checked(tree, value).map_err(|source| {
            self.undecodable_row(tree, &key, &source);
            StoreError::Codec { tree, source }
        })
    }

    /// Counts an undecodable row and logs it by its key's ids and what is wrong — never
    /// the value. Warns once per row; a row met again (every tick) is logged at debug.
    fn undecodable_row(&self, tree: &'static str, key: &KeyIds<'_>, why: &CodecError) {
        self.undecodable.fetch_add(1, Ordering::Relaxed);
        let first_time = {
            let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
            warned.len() < WARN_ROWS && warned.insert((tree, key.bytes().to_vec()))
        };
        if first_time {
            tracing::warn!(tree, key = %key, reason = %why, "a stored row does not decode; it is skipped, and only its owner's own requests fail");
        } else {
            tracing::debug!(tree, key = %key, reason = %why, "a stored row does not decode");
        }
    }

    fn append<T: Serialize>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        scope: &Scope,
        at: DateTime<Utc>,
        value: &T,
    ) -> Result<()> {
        let key = keys::timed(scope, at, self.new_id()?);
        tree.insert(key, encode_in(name, value)?)?;
        Ok(())
    }

    /// A user's rows of one history from `since` on; one that doesn't decode is skipped, so
    /// a damaged check-in costs its day, not the user's summaries.
    fn since<T: DeserializeOwned + Checked>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        for row in tree.range(keys::timed_bound(scope, since)..keys::upper_bound(scope)) {
            let (key, value) = row?;
            rows.extend(self.decode_row(name, KeyIds::Prefixed(&key), &value).ok());
        }
        Ok(rows)
    }
}

/// A local date as a key instant: its midnight in UTC. Only the order matters.
fn date_key(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Creates a missing data directory (and missing parents) readable by the owner only: it
/// holds people-management data, and sled creates its files under the process's umask,
/// usually world-readable, so the directory is what keeps them private. An existing
/// directory is left as the operator made it (a systemd `StateDirectory`, a container
/// volume or a Kubernetes mount may need its mode, and may not be ours to change).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn encode_in<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>> {
    encode(value).map_err(|source| StoreError::Codec { tree, source })
}

fn open_error(dir: &Path, source: sled::Error) -> StoreError {
    let locked = matches!(&source, sled::Error::Io(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        || source.to_string().contains("lock");
    if locked {
        StoreError::Locked {
            path: dir.to_path_buf(),
        }
    } else {
        StoreError::Open {
            path: dir.to_path_buf(),
            source,
        }
    }
}
