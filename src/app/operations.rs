//! What transports ask of the app besides commands: remembering Slack events, adopting a
//! profile's time zone, the settings modal's current values, health, the store's counters
//! and backups. Transports call these and nothing below `App`.

use super::{Actor, App};
use crate::domain::ids::{Scope, TeamId};
use crate::domain::user::UserRecord;
use crate::store::{BackupError, BackupSummary, StoreError, StoreExt, StoreStats};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::path::Path;

/// Slack retries an event for up to about an hour; remember ids that long.
pub const EVENT_MEMORY: Duration = Duration::hours(2);

impl App {
    /// Whether a Slack event is seen for the first time (false: a retry, to ignore). Durable
    /// before it returns, so a retry after a restart is still recognised; ids older than
    /// [`EVENT_MEMORY`] are forgotten on the way.
    pub fn first_sighting_of_event(
        &self,
        team: &TeamId,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.store
            .first_sighting(team, event_id, now, now - EVENT_MEMORY)
    }

    /// Makes `tz` (from the user's Slack profile) their zone if they have a record and no zone
    /// yet: never overrides `/tlm tz`, never recreates a user who ran `forget` meanwhile.
    /// Returns whether it changed anything; durable before it returns.
    pub fn adopt_profile_zone(
        &self,
        scope: &Scope,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self.store.update_existing_user(scope, |r| {
            let unset = r.tz.is_none();
            if unset {
                r.set_tz(tz, now);
            }
            Ok::<_, StoreError>(unset)
        })?;
        if changed == Some(true) {
            self.store.durable()?;
        }
        Ok(changed == Some(true))
    }

    /// What the settings modal shows: the user's record (a fresh one for someone new) and
    /// the zone their weeks are counted in.
    pub fn settings(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(UserRecord, Tz), StoreError> {
        let record = self
            .store
            .user(&actor.scope)?
            .unwrap_or_else(|| UserRecord::new(now));
        Ok((record, self.tz_for(actor)?))
    }

    /// Whether twohats keeps a record for this user (the console's demo seeds only a new one).
    pub fn knows(&self, scope: &Scope) -> Result<bool, StoreError> {
        self.store.has_user(scope)
    }

    /// A cheap read that fails when the store can't be read: readiness.
    pub fn check_store(&self) -> Result<(), StoreError> {
        self.store.check()
    }

    /// Makes every write so far durable (shutdown's last step).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.durable()
    }

    /// The store's counters, and how many messages wait in the outbox, for `/metrics`.
    pub fn store_stats(&self) -> (StoreStats, usize) {
        (self.store.stats(), self.store.outbox_len())
    }

    /// When the oldest unsent message was queued (`None`: nothing waits).
    pub fn outbox_oldest(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.store.outbox_oldest()
    }

    /// Writes a backup of the whole store to `path` (a new 0600 file renamed over it), given
    /// up as soon as `stop` says so.
    pub fn backup_to_file_until(
        &self,
        path: &Path,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<BackupSummary, BackupError> {
        self.store.backup_to_file_until(path, stop)
    }
}
