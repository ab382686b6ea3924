//! Export and forget in sled: everything under a user's key prefix, in every tree, plus
//! their scheduled messages and digest subscriptions.

use super::keys;
use super::{SledStore, CHECKINS, FIRES, ONE_ON_ONES, WINS};
use crate::domain::ids::Scope;
use crate::store::rows::rules::leave_every_digest;
use crate::store::{Digests, Forgotten, People, Result, UserExport, Users};
use chrono::{DateTime, Utc};

impl People for SledStore {
    fn export_user(&self, scope: &Scope) -> Result<UserExport> {
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
    fn forget_user(&self, scope: &Scope) -> Result<Forgotten> {
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
        (gone.digests_removed, gone.digests_left) = leave_every_digest(self, scope)?;
        Ok(gone)
    }
}
