//! Histories in sled: check-ins, 1:1s, wins and fires, each a tree keyed
//! `team 0x00 user 0x00 <ms big-endian> <id>`, so a user's history is one range scan in time
//! order (1:1s by the midnight of their day, so a back-dated one sorts into place).

use super::keys::{self, KeyIds};
use super::{SledStore, CHECKINS, FIRES, ONE_ON_ONES, WINS};
use crate::domain::checkin::{CheckIn, Fire, Win};
use crate::domain::ids::{Scope, UserId};
use crate::domain::team::OneOnOne;
use crate::store::rows::rules::needed_one_on_ones;
use crate::store::{Histories, Result};
use chrono::{DateTime, NaiveDate, Utc};

impl Histories for SledStore {
    fn add_checkin(&self, scope: &Scope, checkin: &CheckIn) -> Result<()> {
        self.append(&self.checkins, CHECKINS, scope, checkin.at, checkin)
    }

    /// Check-ins recorded at or after `since`, oldest first.
    fn checkins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<CheckIn>> {
        self.since(&self.checkins, CHECKINS, scope, since)
    }

    /// The check-in recorded last in `[from, until)`, if any: one seek, however many that
    /// span holds.
    fn last_checkin_between(
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
    fn add_one_on_one(&self, scope: &Scope, one_on_one: &OneOnOne) -> Result<()> {
        self.append(
            &self.one_on_ones,
            ONE_ON_ONES,
            scope,
            keys::date_key(one_on_one.date),
            one_on_one,
        )
    }

    /// The 1:1 log a summary needs: everything on or after `since`, plus, going back, each
    /// of `people`'s latest 1:1 — without reading further back than that.
    fn one_on_ones_for(
        &self,
        scope: &Scope,
        people: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<OneOnOne>> {
        let newest_first = self
            .one_on_ones
            .scan_prefix(keys::user_prefix(scope))
            .rev()
            .map(|row| {
                let (key, value) = row?;
                Ok(self
                    .decode_row::<OneOnOne>(ONE_ON_ONES, KeyIds::Prefixed(&key), &value)
                    .ok())
            });
        needed_one_on_ones(newest_first, people, since)
    }

    fn add_win(&self, scope: &Scope, win: &Win) -> Result<()> {
        self.append(&self.wins, WINS, scope, win.at, win)
    }

    fn wins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Win>> {
        self.since(&self.wins, WINS, scope, since)
    }

    fn last_win(&self, scope: &Scope) -> Result<Option<Win>> {
        for row in self.wins.scan_prefix(keys::user_prefix(scope)).rev() {
            let (key, value) = row?;
            if let Ok(win) = self.decode_row(WINS, KeyIds::Prefixed(&key), &value) {
                return Ok(Some(win));
            }
        }
        Ok(None)
    }

    fn add_fire(&self, scope: &Scope, fire: &Fire) -> Result<()> {
        self.append(&self.fires, FIRES, scope, fire.at, fire)
    }

    fn fires_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Fire>> {
        self.since(&self.fires, FIRES, scope, since)
    }
}
