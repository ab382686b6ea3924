//! The sled adapter of the store port ([`crate::store`]): the only module that touches sled.
//!
//! Invariants (beyond the port's):
//! - Every per-user key starts `team 0x00 user 0x00` (see [`keys`]).
//! - Values are versioned JSON (see [`codec`]); an unknown newer version is an error, not a
//!   guess; every value read is checked (`valid.rs`: an `eng_pct` over 100 is as undecodable
//!   as garbage).
//! - A write is acknowledged only after `durable` (or `durable_async`) returns: a `flush`
//!   on the flusher thread that began after the write, shared by every writer waiting at the
//!   time (group commit), so an acknowledged write survives a crash.
//! - A row that doesn't decode is skipped by every loop over rows and fails only its owner's
//!   own read; either way it is counted (`StoreStats::undecodable_rows`) and logged by its
//!   key's ids, never its value.
//! - A new data directory is created 0700.
//!
//! One file per part of the port: `users.rs`, `histories.rs`, `digests.rs`, `events.rs`,
//! `people.rs` (export, forget), `ledger.rs` (ledger and outbox), `backup.rs`.

pub mod backup;
pub use super::rows::codec::CodecError;
pub use super::rows::keys;
mod digests;
mod events;
mod flusher;
mod histories;
mod ledger;
mod people;
mod users;

use super::rows::valid::Checked;
use super::rows::RowLog;
use crate::domain::ids::Scope;
use crate::store::{Durability, DurableFuture, Result, StoreError, StoreStats};
use chrono::{DateTime, Utc};
use flusher::Flusher;
pub use flusher::{FlushError, FlushStats};
use keys::KeyIds;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// sled's page cache. Its default (1 GiB) would let a big store grow the process far past a
/// small VM's or a container's memory. 4 MiB still holds a team's working set (this week's
/// rows and every user record); under a write flood the cache is most of the peak RSS
/// (wrk, 10 s of check-ins: 76 MB at 32 MiB, 33 MB at 2 MiB), while 10,000 weekly
/// summaries from a year-long store take ~10 % longer at 4 MiB than at 32 (BENCHMARKS.md).
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// One tree per kind of row (`store::rows`: the names are part of the on-disk format).
use super::rows::{
    encode_in, CHECKINS, DIGESTS, FIRES, LEDGER, ONE_ON_ONES, OUTBOX, SEEN_EVENTS, USERS, WINS,
};
/// The store's own bookkeeping: `id_base` (see `SledStore::new_id`). Not user data, so it is
/// left out of backups (their header carries it) and of [`SledStore::raw_entries`].
const META: &str = "meta";
const ID_BASE: &[u8] = b"id_base";

pub struct SledStore {
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
    /// Undecodable rows met so far, for `/metrics` and the log.
    rows: RowLog,
    /// Outbox ids handed out by `outbox_due`, and until when: one process, so memory is
    /// enough (a restart forgets them together with the sender that held them).
    leases: std::sync::Mutex<std::collections::HashMap<u64, DateTime<Utc>>>,
    flusher: Flusher,
}

/// One stored row: tree name, key, value.
pub type RawEntry = (String, Vec<u8>, Vec<u8>);

impl SledStore {
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
            ledger: tree(LEDGER)?,
            outbox: tree(OUTBOX)?,
            meta,
            id_base: AtomicU64::new(id_base),
            rows: RowLog::default(),
            leases: std::sync::Mutex::default(),
            db,
            flusher,
        })
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
    /// until `durable`. Nothing in twohats itself calls it.
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

    /// Decodes and checks a stored value; one that fails is counted and logged by `key`.
    fn decode_row<T: DeserializeOwned + Checked>(
        &self,
        tree: &'static str,
        key: KeyIds<'_>,
        value: &[u8],
    ) -> Result<T> {
        self.rows.decode_row(tree, key, value)
    }

    /// Counts an undecodable row and logs it by its key's ids — never the value.
    fn undecodable_row(&self, tree: &'static str, key: &KeyIds<'_>, why: &CodecError) {
        self.rows.undecodable_row(tree, key, why)
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

impl Durability for SledStore {
    /// A cheap read that fails if the database can't be read.
    fn check(&self) -> Result<()> {
        self.users.first()?;
        Ok(())
    }

    /// Blocks until every write made before this call is durable. Concurrent callers share a
    /// flush.
    fn durable(&self) -> Result<()> {
        Ok(self.flusher.wait()?)
    }

    fn stats(&self) -> StoreStats {
        let FlushStats { flushes, waits } = self.flusher.stats();
        StoreStats {
            flushes,
            waits,
            undecodable_rows: self.rows.count(),
        }
    }

    /// `durable` for async callers: waits without holding a thread.
    fn durable_async(&self) -> DurableFuture {
        let flushed = self.flusher.wait_async();
        Box::pin(async move { Ok(flushed.await?) })
    }
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
