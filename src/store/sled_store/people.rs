//! Export and forget in sled: everything under a user's key prefix, in every tree, plus
//! their scheduled messages and digest subscriptions.

use super::keys;
use super::SledStore;
use crate::domain::ids::Scope;
use crate::store::rows::rules::{self, leave_every_digest};
use crate::store::{Forgotten, People, Result, UserExport};

impl People for SledStore {
    fn export_user(&self, scope: &Scope) -> Result<UserExport> {
        rules::export_user(self, scope)
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
