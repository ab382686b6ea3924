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

pub mod backup;
mod codec;
mod flusher;
pub mod keys;
mod outbox;

pub use outbox::{Claim, LedgerKey, OutboxItem};

use crate::domain::checkin::{CheckIn, Fire, Win};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use crate::domain::team::OneOnOne;
use crate::domain::user::UserRecord;
use chrono::{DateTime, NaiveDate, Utc};
use codec::{decode, encode, CodecError};
use flusher::Flusher;
pub use flusher::{FlushError, FlushStats};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    flusher: Flusher,
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
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
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

    /// How many flushes ran and how many durability waits they answered.
    pub fn flush_stats(&self) -> FlushStats {
        self.flusher.stats()
    }

    /// [`Store::durable`] for async callers: waits without holding a thread.
    pub fn durable_async(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let flushed = self.flusher.wait_async();
        async move { Ok(flushed.await?) }
    }

    // ---- users ----

    pub fn user(&self, scope: &Scope) -> Result<Option<UserRecord>> {
        self.users
            .get(keys::user_prefix(scope))?
            .map(|v| decode_in(USERS, &v))
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
                Some(bytes) => decode_in(USERS, bytes)?,
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

    /// Every user record in the store, in key order.
    pub fn users(&self) -> impl Iterator<Item = Result<(Scope, UserRecord)>> + '_ {
        self.users.iter().map(|row| {
            let (key, value) = row?;
            let scope = scope_from_key(&key).ok_or(StoreError::Codec {
                tree: USERS,
                source: CodecError::Json(serde::de::Error::custom("malformed user key")),
            })?;
            Ok((scope, decode_in(USERS, &value)?))
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
        self.checkins
            .range(keys::timed_bound(scope, from)..keys::timed_bound(scope, until))
            .next_back()
            .transpose()?
            .map(|(_, v)| decode_in(CHECKINS, &v))
            .transpose()
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
            let (_, value) = row?;
            let entry: OneOnOne = decode_in(ONE_ON_ONES, &value)?;
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
        match self.wins.scan_prefix(keys::user_prefix(scope)).next_back() {
            Some(row) => Ok(Some(decode_in(WINS, &row?.1)?)),
            None => Ok(None),
        }
    }

    pub fn add_fire(&self, scope: &Scope, fire: &Fire) -> Result<()> {
        self.append(&self.fires, FIRES, scope, fire.at, fire)
    }

    pub fn fires_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Fire>> {
        self.since(&self.fires, FIRES, scope, since)
    }

    // ---- digests ----

    pub fn subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<Option<Subscription>> {
        self.digests
            .get(keys::channel(team, channel))?
            .map(|v| decode_in(DIGESTS, &v))
            .transpose()
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

    pub fn subscriptions(&self, team: &TeamId) -> Result<Vec<Subscription>> {
        self.digests
            .scan_prefix(keys::team_prefix(team))
            .map(|row| decode_in(DIGESTS, &row?.1))
            .collect()
    }

    /// Every digest subscription of every team, with its team.
    pub fn all_subscriptions(&self) -> Result<Vec<(TeamId, Subscription)>> {
        self.digests
            .iter()
            .map(|row| {
                let (key, value) = row?;
                let team = key
                    .split(|b| *b == 0)
                    .next()
                    .and_then(|t| std::str::from_utf8(t).ok())
                    .and_then(|t| TeamId::parse(t).ok())
                    .ok_or(StoreError::Codec {
                        tree: DIGESTS,
                        source: CodecError::Json(serde::de::Error::custom("malformed digest key")),
                    })?;
                Ok((team, decode_in(DIGESTS, &value)?))
            })
            .collect()
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
        for mut sub in self.subscriptions(&scope.team)? {
            if sub.owner == scope.user {
                self.delete_subscription(&scope.team, &sub.channel.id)?;
                gone.digests_removed += 1;
            } else if sub.members.contains(&scope.user) {
                sub.members.retain(|m| *m != scope.user);
                self.put_subscription(&scope.team, &sub)?;
                gone.digests_left += 1;
            }
        }
        Ok(gone)
    }

    /// Every key and value of every tree, for tests that check what is left on disk and for
    /// backups.
    pub fn raw_entries(&self) -> Result<Vec<RawEntry>> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            let name = String::from_utf8_lossy(&name).into_owned();
            for row in tree.iter() {
                let (k, v) = row?;
                out.push((name.clone(), k.to_vec(), v.to_vec()));
            }
        }
        Ok(out)
    }

    // ---- helpers ----

    fn append<T: Serialize>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        scope: &Scope,
        at: DateTime<Utc>,
        value: &T,
    ) -> Result<()> {
        let key = keys::timed(scope, at, self.db.generate_id()?);
        tree.insert(key, encode_in(name, value)?)?;
        Ok(())
    }

    fn since<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<Vec<T>> {
        tree.range(keys::timed_bound(scope, since)..keys::upper_bound(scope))
            .map(|row| decode_in(name, &row?.1))
            .collect()
    }
}

/// A local date as a key instant: its midnight in UTC. Only the order matters.
fn date_key(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn scope_from_key(key: &[u8]) -> Option<Scope> {
    let mut parts = key.split(|b| *b == 0);
    let team = TeamId::parse(std::str::from_utf8(parts.next()?).ok()?).ok()?;
    let user = UserId::parse(std::str::from_utf8(parts.next()?).ok()?).ok()?;
    Some(Scope::new(team, user))
}

fn encode_in<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>> {
    encode(value).map_err(|source| StoreError::Codec { tree, source })
}

fn decode_in<T: DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T> {
    decode(tree, bytes).map_err(|source| StoreError::Codec { tree, source })
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
