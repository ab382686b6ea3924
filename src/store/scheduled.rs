//! The ledger and outbox's types, as they cross the store port.
//!
//! The ledger says, per (subject, job, local day), that a scheduled message was claimed, and
//! how it ended; the outbox holds composed messages until they are delivered.
//!
//! **On-disk format**: [`Claim`] and [`OutboxItem`] are written as they are (the sled adapter
//! wraps them in its versioned envelope); `tests/it/golden.rs` pins their shape.

use crate::domain::doc::Doc;
use crate::domain::ids::TeamId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which scheduled message, for whom, on which local day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerKey(Vec<u8>);

impl LedgerKey {
    /// `subject` is a user or channel id; `job` a short stable name (`checkin`, `summary`,
    /// `digest`); `day` the local date the fire was set for.
    /// The bytes are `team 0x00 subject 0x00 job 0x00 YYYY-MM-DD`: ids can't hold a zero
    /// byte, so the parts can't run into each other, and a team's or a subject's keys share a
    /// prefix.
    pub fn new(team: &TeamId, subject: &str, job: &str, day: NaiveDate) -> Self {
        let mut key = team.as_str().as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(subject.as_bytes());
        key.push(0);
        key.extend_from_slice(job.as_bytes());
        key.push(0);
        key.extend_from_slice(day.format("%Y-%m-%d").to_string().as_bytes());
        Self(key)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What became of a claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Claim {
    /// Composed and waiting in the outbox.
    Pending,
    Sent,
    /// Not sent on purpose (the user was paused).
    Skipped,
    /// Slack refused it for good (e.g. `channel_not_found`); logged.
    Failed,
}

/// A composed message waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub team: TeamId,
    /// A channel id, or a user id for the app's DM with them.
    pub channel: String,
    pub doc: Doc,
    /// The ledger entry to settle when it is delivered.
    #[serde(with = "bytes_as_hex")]
    pub ledger_key: Vec<u8>,
    pub attempts: u32,
    /// Not before this instant (backoff, `Retry-After`).
    pub not_before: DateTime<Utc>,
    pub created: DateTime<Utc>,
}

mod bytes_as_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// A queued message as read, to change it only if nobody else has.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub id: u64,
    /// What the adapter read, to tell whether it changed since (sled: the stored bytes).
    pub(crate) read_as: Vec<u8>,
    pub item: OutboxItem,
}
