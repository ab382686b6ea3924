//! What every adapter stores, whatever the engine: the row layout shared by sled and
//! PostgreSQL, so that both hold the same keys and the same versioned-JSON values and a
//! backup of one restores byte for byte into the other.
//!
//! - [`keys`]: key layout (`team 0x00 user 0x00 …`, big-endian times and ids);
//! - [`codec`]: the versioned JSON envelope of every value;
//! - [`valid`]: what a row read back must satisfy beyond its shape;
//! - [`rules`]: what a summary's 1:1 log holds and what `forget` does to digests, for both;
//! - here: the tree (table) names, the ledger's entry, and [`RowLog`], which counts and logs
//!   undecodable rows the same way for every adapter (by key ids, never values).

pub mod codec;
pub mod keys;
pub mod rules;
pub mod valid;

use crate::domain::ids::TeamId;
use crate::store::{Claim, Result, StoreError};
use chrono::{DateTime, Utc};
use codec::{encode, CodecError};
use keys::KeyIds;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use valid::{decode_checked, Checked};

/// One tree (sled) or table (PostgreSQL) per kind of row. The names are part of the on-disk
/// and the backup format.
pub const USERS: &str = "users";
pub const CHECKINS: &str = "checkins";
pub const ONE_ON_ONES: &str = "one_on_ones";
pub const WINS: &str = "wins";
pub const FIRES: &str = "fires";
pub const DIGESTS: &str = "digests";
pub const SEEN_EVENTS: &str = "seen_events";
pub const LEDGER: &str = "ledger";
pub const OUTBOX: &str = "outbox";

/// Every tree of user data, in name order (the order a backup writes them in).
pub const TREES: [&str; 9] = [
    CHECKINS,
    DIGESTS,
    FIRES,
    LEDGER,
    ONE_ON_ONES,
    OUTBOX,
    SEEN_EVENTS,
    USERS,
    WINS,
];

/// The histories: keys end in a big-endian instant and a unique id.
pub const ID_KEYED: [&str; 5] = [CHECKINS, ONE_ON_ONES, WINS, FIRES, OUTBOX];

/// How many undecodable rows are logged as warnings, each once; past that (or the second
/// time a row is met, every scheduler tick) they are logged at debug, and still counted.
const WARN_ROWS: usize = 1024;

/// A ledger row's value: how a claim ended, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub state: Claim,
    pub at: DateTime<Utc>,
}

impl LedgerEntry {
    /// A new claim at `at`: pending delivery when a message is queued with it, else skipped
    /// (a paused user's fire, claimed so it is not looked at again).
    pub fn claimed(queued: bool, at: DateTime<Utc>) -> Self {
        let state = if queued {
            Claim::Pending
        } else {
            Claim::Skipped
        };
        Self { state, at }
    }
}

/// Whether a ledger key (`team 0x00 subject 0x00 job 0x00 day`) is a digest's.
pub fn is_digest(ledger_key: &[u8]) -> bool {
    ledger_key.split(|b| *b == 0).nth(2) == Some(b"digest".as_slice())
}

/// Whether an outbox value that doesn't decode as a message still names this team and
/// channel in its envelope (`{"v":…,"d":{"team":…,"channel":…}}`): `forget` errs on the
/// side of deleting a damaged message that was for the user.
pub fn addressed_to(value: &[u8], team: &TeamId, channel: &str) -> bool {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(value) else {
        return false;
    };
    let field = |name: &str| {
        json.get("d")
            .and_then(|d| d.get(name))
            .and_then(|v| v.as_str())
    };
    field("team").is_some_and(|t| t.eq_ignore_ascii_case(team.as_str()))
        && field("channel").is_some_and(|c| c.eq_ignore_ascii_case(channel))
}

pub fn encode_in<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>> {
    encode(value).map_err(|source| StoreError::Codec { tree, source })
}

/// The undecodable rows an adapter met: counted for `/metrics`, and logged by their key's
/// ids once each.
#[derive(Default)]
pub struct RowLog {
    undecodable: AtomicU64,
    /// (tree, key) of the undecodable rows already warned about.
    warned: Mutex<HashSet<(&'static str, Vec<u8>)>>,
}

impl RowLog {
    /// Undecodable rows met so far.
    pub fn count(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// Decodes and checks a stored value; one that fails is counted and logged by `key`
    /// before the error returns, so callers that skip it need do nothing more.
    pub fn decode_row<T: DeserializeOwned + Checked>(
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
    pub fn undecodable_row(&self, tree: &'static str, key: &KeyIds<'_>, why: &CodecError) {
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
}

/// The tree name for the count and the log: a tree of the store's own, or "other".
pub fn own_tree(tree: &str) -> &'static str {
    TREES
        .into_iter()
        .find(|own| *own == tree)
        .unwrap_or("other")
}

/// How a log line names a row of `tree`.
pub fn key_ids<'a>(tree: &str, key: &'a [u8]) -> KeyIds<'a> {
    if tree == OUTBOX {
        KeyIds::Numbered(key)
    } else {
        KeyIds::Prefixed(key)
    }
}
