//! The scheduler's ledger and outbox in sled: two trees, written together in sled
//! transactions.
//!
//! The ledger says, per (subject, job, local day), that a scheduled message was claimed, and
//! how it ended. The outbox holds composed messages until they are delivered. Claiming writes
//! both in one transaction, so a claim never exists without its message, nor a message
//! without its claim; delivery removes the message and marks the claim sent, again together.

use super::keys::{self, KeyIds};
use super::SledStore;
use crate::domain::ids::TeamId;
use crate::store::rows::{addressed_to, encode_in, is_digest, LedgerEntry, LEDGER, OUTBOX};
use crate::store::{
    Claim, Durability, LedgerKey, OutboxItem, QueuedMessage, Result, Scheduled, StoreError,
    OUTBOX_LEASE,
};
use chrono::{DateTime, Utc};
use sled::transaction::TransactionError;
use sled::Transactional;
use std::sync::PoisonError;

impl Scheduled for SledStore {
    /// Whether a scheduled message was already claimed (whatever became of it).
    fn is_claimed(&self, key: &LedgerKey) -> Result<bool> {
        Ok(self.ledger.contains_key(key.as_bytes())?)
    }

    /// Claims a scheduled message: records it in the ledger and, unless it is skipped
    /// (`message` is `None`), queues it in the outbox — atomically. False if it was already
    /// claimed, in which case nothing is written. Not durable until [`SledStore::durable`].
    fn claim(
        &self,
        key: &LedgerKey,
        message: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let entry = encode_in(LEDGER, &LedgerEntry::claimed(message.is_some(), now))?;
        let queued = match message {
            Some(item) => Some((self.new_id()?.to_be_bytes(), encode_in(OUTBOX, item)?)),
            None => None,
        };
        let result = (&self.ledger, &self.outbox).transaction(|(ledger, outbox)| {
            if ledger.get(key.as_bytes())?.is_some() {
                return Ok(false);
            }
            ledger.insert(key.as_bytes(), entry.clone())?;
            if let Some((id, item)) = &queued {
                outbox.insert(&id[..], item.clone())?;
            }
            Ok(true)
        });
        transaction_result(result)
    }

    /// Messages due at `now`, oldest first, at most `limit`. A message that doesn't decode
    /// is skipped (counted and logged), so it never holds up the others; it stays in the
    /// outbox for an operator to look at.
    fn outbox_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<(u64, OutboxItem)>> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        leases.retain(|_, until| *until > now);
        let mut due = Vec::new();
        for row in self.outbox.iter() {
            let (key, value) = row?;
            let Ok(item) = self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value)
            else {
                continue;
            };
            let id = id_of(&key);
            if item.not_before <= now && !leases.contains_key(&id) {
                leases.insert(id, now + OUTBOX_LEASE);
                due.push((id, item));
                if due.len() == limit {
                    break;
                }
            }
        }
        Ok(due)
    }

    fn release(&self, id: u64) -> Result<()> {
        self.end_lease(id);
        Ok(())
    }

    fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// When the oldest unsent message was queued (`None`: the outbox is empty). Usually one
    /// row read: outbox ids are the store's monotonic ids, so the first row is the oldest
    /// claim, however often it has been rescheduled since. A row that doesn't decode is
    /// skipped, as [`SledStore::outbox_due`] skips it: it is never sent, so it is not waiting.
    fn outbox_oldest(&self) -> Result<Option<DateTime<Utc>>> {
        for row in self.outbox.iter() {
            let (key, value) = row?;
            if let Ok(item) = self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value)
            {
                return Ok(Some(item.created));
            }
        }
        Ok(None)
    }

    /// Settles a delivered (or finally refused) message: out of the outbox, and the ledger
    /// says how it ended — in one transaction. Durable before it returns, to keep the window
    /// in which a crash could repeat the message as short as one fsync.
    fn settle(&self, id: u64, item: &OutboxItem, outcome: Claim, now: DateTime<Utc>) -> Result<()> {
        let entry = encode_in(
            LEDGER,
            &LedgerEntry {
                state: outcome,
                at: now,
            },
        )?;
        let result = (&self.ledger, &self.outbox).transaction(|(ledger, outbox)| {
            outbox.remove(&id.to_be_bytes()[..])?;
            ledger.insert(item.ledger_key.as_slice(), entry.clone())?;
            Ok(())
        });
        transaction_result(result)?;
        self.end_lease(id);
        self.durable()
    }

    /// Puts a message back for a later attempt: its attempt count and `not_before` from
    /// `item`, onto whatever is queued under `id` now. The message itself may have been
    /// re-composed meanwhile (a `forget` took someone out of a digest) — the sender's stale
    /// copy must not bring it back; and one dropped meanwhile stays dropped.
    fn reschedule(&self, id: u64, item: &OutboxItem) -> Result<()> {
        let key = id.to_be_bytes();
        self.end_lease(id);
        loop {
            let Some(current) = self.outbox.get(key)? else {
                return Ok(());
            };
            let mut queued: OutboxItem =
                self.decode_row(OUTBOX, KeyIds::Numbered(&key), &current)?;
            queued.attempts = item.attempts;
            queued.not_before = item.not_before;
            let new = encode_in(OUTBOX, &queued)?;
            if self
                .outbox
                .compare_and_swap(key, Some(current), Some(new))?
                .is_ok()
            {
                return Ok(());
            }
        }
    }

    /// A team's queued digest messages, with the bytes each was read as (for
    /// [`SledStore::requeue_if_unchanged`]). Rows that don't decode are skipped.
    fn queued_digests(&self, team: &TeamId) -> Result<Vec<QueuedMessage>> {
        let mut out = Vec::new();
        for row in self.outbox.iter() {
            let (key, value) = row?;
            let Ok(item) = self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value)
            else {
                continue;
            };
            let Ok(id) = <[u8; 8]>::try_from(key.as_ref()).map(u64::from_be_bytes) else {
                continue;
            };
            if item.team == *team && is_digest(&item.ledger_key) {
                out.push(QueuedMessage {
                    id,
                    read_as: value.to_vec(),
                    item,
                });
            }
        }
        Ok(out)
    }

    /// Replaces a queued message with `replacement`, or drops it (the ledger records it as
    /// skipped) when `None` — only if it is still queued exactly as it was read: one the
    /// sender took meanwhile is its business, and is never put back. Returns whether it
    /// changed anything. Durable before it returns.
    fn requeue_if_unchanged(
        &self,
        queued: &QueuedMessage,
        replacement: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = queued.id.to_be_bytes();
        let new = replacement
            .map(|item| encode_in(OUTBOX, item))
            .transpose()?;
        let skipped = encode_in(
            LEDGER,
            &LedgerEntry {
                state: Claim::Skipped,
                at: now,
            },
        )?;
        let result = (&self.ledger, &self.outbox).transaction(|(ledger, outbox)| {
            if outbox.get(&key[..])?.as_deref() != Some(queued.read_as.as_slice()) {
                return Ok(false);
            }
            match &new {
                Some(bytes) => {
                    outbox.insert(&key[..], bytes.clone())?;
                }
                None => {
                    outbox.remove(&key[..])?;
                    ledger.insert(queued.item.ledger_key.as_slice(), skipped.clone())?;
                }
            }
            Ok(true)
        });
        let changed = transaction_result(result)?;
        self.durable()?;
        Ok(changed)
    }

    /// How a claimed message ended, if it was claimed.
    fn claim_state(&self, key: &LedgerKey) -> Result<Option<Claim>> {
        match self.ledger.get(key.as_bytes())? {
            Some(v) => Ok(Some(
                self.decode_row::<LedgerEntry>(LEDGER, KeyIds::Prefixed(key.as_bytes()), &v)?
                    .state,
            )),
            None => Ok(None),
        }
    }
}

impl SledStore {
    fn end_lease(&self, id: u64) {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        leases.remove(&id);
    }

    /// Removes a user's scheduled messages and their ledger entries (for `forget`): the
    /// ledger keys and the outbox addresses carry the user's id. Returns how many rows.
    pub(super) fn forget_scheduled(&self, team: &TeamId, user: &str) -> Result<usize> {
        let mut prefix = keys::team_prefix(team);
        prefix.extend_from_slice(user.as_bytes());
        prefix.push(0);
        let mut ledger = sled::Batch::default();
        let mut n = 0;
        for row in self.ledger.scan_prefix(&prefix) {
            ledger.remove(row?.0);
            n += 1;
        }
        let mut outbox = sled::Batch::default();
        for row in self.outbox.iter() {
            let (key, value) = row?;
            let addressed =
                match self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value) {
                    Ok(item) => item.team == *team && item.channel == user,
                    // Damaged, it may still name its addressee: forget errs on the side of
                    // deleting a message that was for this user.
                    Err(_) => addressed_to(&value, team, user),
                };
            if addressed {
                outbox.remove(key);
                n += 1;
            }
        }
        self.ledger.apply_batch(ledger)?;
        self.outbox.apply_batch(outbox)?;
        Ok(n)
    }
}

fn id_of(key: &[u8]) -> u64 {
    key.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

fn transaction_result<T>(
    result: std::result::Result<T, TransactionError<StoreError>>,
) -> Result<T> {
    match result {
        Ok(value) => Ok(value),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::doc::Doc;
    use chrono::{Duration, NaiveDate, TimeZone};

    fn item(team: &TeamId, channel: &str, created: DateTime<Utc>) -> OutboxItem {
        OutboxItem {
            team: team.clone(),
            channel: channel.into(),
            doc: Doc::new("hello"),
            ledger_key: channel.as_bytes().to_vec(),
            attempts: 0,
            not_before: created,
            created,
        }
    }

    #[test]
    fn the_oldest_queued_message_is_the_first_claimed_until_it_is_settled() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.outbox_oldest().unwrap(), None);
        let team = TeamId::parse("T0TEAM").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap();
        for (i, channel) in ["U0ANN", "U0BOB"].into_iter().enumerate() {
            let at = t0 + Duration::minutes(i as i64);
            let key = LedgerKey::new(&team, channel, "summary", day);
            assert!(store
                .claim(&key, Some(&item(&team, channel, at)), at)
                .unwrap());
        }
        assert_eq!(store.outbox_oldest().unwrap(), Some(t0));
        // A retry pushes `not_before` back; the message is as old as before.
        let (id, mut first) = store.outbox_due(t0, 1).unwrap().remove(0);
        first.attempts += 1;
        first.not_before = t0 + Duration::hours(1);
        store.reschedule(id, &first).unwrap();
        assert_eq!(store.outbox_oldest().unwrap(), Some(t0));
        store.settle(id, &first, Claim::Sent, t0).unwrap();
        assert_eq!(
            store.outbox_oldest().unwrap(),
            Some(t0 + Duration::minutes(1))
        );
    }
}
