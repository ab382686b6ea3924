//! Users' settings records in sled: one row per user, keyed `team 0x00 user 0x00`.

use super::keys::{self, KeyIds};
use super::CodecError;
use super::{encode_in, SledStore, USERS};
use crate::domain::ids::Scope;
use crate::domain::user::UserRecord;
use crate::store::{Decision, Result, Users};
use chrono::{DateTime, Utc};

impl Users for SledStore {
    /// One user's record; an error if it doesn't decode (their request fails, nobody else's).
    fn user(&self, scope: &Scope) -> Result<Option<UserRecord>> {
        let key = keys::user_prefix(scope);
        self.users
            .get(&key)?
            .map(|v| self.decode_row(USERS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    /// Whether the user has a record, without decoding it.
    fn has_user(&self, scope: &Scope) -> Result<bool> {
        Ok(self.users.contains_key(keys::user_prefix(scope))?)
    }

    fn update_user_with(
        &self,
        scope: &Scope,
        create_at: Option<DateTime<Utc>>,
        change: &mut dyn FnMut(&mut UserRecord) -> Decision<()>,
    ) -> Result<bool> {
        let key = keys::user_prefix(scope);
        loop {
            let old = self.users.get(&key)?;
            let mut record = match (&old, create_at) {
                (Some(bytes), _) => self.decode_row(USERS, KeyIds::Prefixed(&key), bytes)?,
                (None, Some(at)) => UserRecord::new(at),
                (None, None) => return Ok(false),
            };
            if matches!(change(&mut record), Decision::Abandon) {
                return Ok(true);
            }
            let new = encode_in(USERS, &record)?;
            if self.users.compare_and_swap(&key, old, Some(new))?.is_ok() {
                return Ok(true);
            }
            // Someone else wrote (or deleted) in between: redo on their version.
        }
    }

    /// Every user record in the store, in key order. A row that doesn't decode is skipped
    /// (counted and logged): only a failing store is an error.
    fn users(&self) -> Box<dyn Iterator<Item = Result<(Scope, UserRecord)>> + '_> {
        Box::new(self.users.iter().filter_map(|row| {
            let (key, value) = match row {
                Ok(row) => row,
                Err(e) => return Some(Err(e.into())),
            };
            let ids = KeyIds::Prefixed(&key);
            let Some(scope) = keys::split_scope(&key)
                .filter(|(_, rest)| rest.is_empty())
                .map(|(scope, _)| scope)
            else {
                self.undecodable_row(USERS, &ids, &CodecError::Key("not `team 0x00 user 0x00`"));
                return None;
            };
            let record = self.decode_row(USERS, ids, &value).ok()?;
            Some(Ok((scope, record)))
        }))
    }
}
