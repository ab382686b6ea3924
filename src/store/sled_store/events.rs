//! Slack event ids already handled, in sled: keyed `team 0x00 event_id`, valued with when
//! they were first seen (ms, big-endian), pruned as they age out.

use super::{keys, SledStore};
use crate::domain::ids::TeamId;
use crate::store::{Durability, Events, Result};
use chrono::{DateTime, Utc};

impl Events for SledStore {
    /// Records a Slack event id; true the first time it is seen, false for a retry. Durable
    /// before it returns, so a retry after a crash is still recognised. Ids older than
    /// `forget_before` are pruned on the way, keeping the tree to about an hour of events.
    fn first_sighting(
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
}
