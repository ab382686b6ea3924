//! The port's row-level traits on PostgreSQL: users, histories, digests, events, export and
//! forget, and the scheduler's ledger and outbox.
//!
//! Read-modify-writes are compare-and-swap as on sled: read, run the change on this thread
//! (the closure is not `Send`), then `UPDATE … WHERE value = $old` (or an insert that must not
//! conflict, or a delete of the value read); no row changed means someone else wrote in
//! between, so the change runs again on their version. Writes that go together (a claim and
//! its message, a settle) are one transaction.

use super::{col, id_of, key_values, pg, prefix_end, PgStore};
use crate::domain::checkin::{CheckIn, Fire, Win};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use crate::domain::team::OneOnOne;
use crate::domain::user::UserRecord;
use crate::store::rows::codec::CodecError;
use crate::store::rows::keys::{self, KeyIds};
use crate::store::rows::rules::{self, leave_every_digest, needed_one_on_ones};
use crate::store::rows::valid::Checked;
use crate::store::rows::{
    addressed_to, encode_in, is_digest, LedgerEntry, CHECKINS, DIGESTS, FIRES, LEDGER, ONE_ON_ONES,
    OUTBOX, USERS, WINS,
};
use crate::store::{
    Claim, Decision, Digests, Events, Forgotten, Histories, LedgerKey, OutboxItem, People,
    QueuedMessage, Result, Scheduled, StoreError, UserExport, Users, OUTBOX_LEASE,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// Takes a message out of the outbox and records in the ledger how it ended, inside `tx`:
/// what `settle` does, and what dropping a queued digest does.
async fn unqueue(
    tx: &tokio_postgres::Transaction<'_>,
    key: &[u8],
    ledger_key: &[u8],
    entry: &[u8],
) -> Result<()> {
    tx.execute("DELETE FROM outbox WHERE key = $1", &[&key])
        .await
        .map_err(pg)?;
    tx.execute(
        "INSERT INTO ledger (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&ledger_key, &entry],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

impl PgStore {
    /// One row's value.
    fn get(&self, table: &'static str, key: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.call(move |c| async move {
            let sql = format!("SELECT value FROM {table} WHERE key = $1");
            let row = c.query_opt(&sql, &[&key]).await.map_err(pg)?;
            row.map(|r| col(&r, 0)).transpose()
        })
    }

    /// Rows with keys in `[from, until)` (to the end when `until` is `None`), in key order
    /// or, with `newest_first`, the reverse.
    fn range(
        &self,
        table: &'static str,
        from: Vec<u8>,
        until: Option<Vec<u8>>,
        newest_first: bool,
    ) -> Result<Rows> {
        self.call(move |c| async move {
            let order = if newest_first { "DESC" } else { "ASC" };
            let rows = match until {
                Some(until) => {
                    let sql = format!(
                        "SELECT key, value FROM {table} WHERE key >= $1 AND key < $2 ORDER BY key {order}"
                    );
                    c.query(&sql, &[&from, &until]).await
                }
                None => {
                    let sql =
                        format!("SELECT key, value FROM {table} WHERE key >= $1 ORDER BY key {order}");
                    c.query(&sql, &[&from]).await
                }
            }
            .map_err(pg)?;
            key_values(rows)
        })
    }

    fn with_prefix(
        &self,
        table: &'static str,
        prefix: Vec<u8>,
        newest_first: bool,
    ) -> Result<Rows> {
        let end = prefix_end(&prefix);
        self.range(table, prefix, Some(end), newest_first)
    }

    /// Writes `value` under `key` only if the row is still `old` (`None`: absent; a `None`
    /// value deletes). False when someone else wrote in between.
    fn swap(
        &self,
        table: &'static str,
        key: Vec<u8>,
        old: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool> {
        self.call(move |c| async move {
            let changed = match (old, new) {
                (Some(old), Some(new)) => {
                    let sql =
                        format!("UPDATE {table} SET value = $2 WHERE key = $1 AND value = $3");
                    c.execute(&sql, &[&key, &new, &old]).await
                }
                (None, Some(new)) => {
                    let sql = format!(
                        "INSERT INTO {table} (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                    );
                    c.execute(&sql, &[&key, &new]).await
                }
                (Some(old), None) => {
                    let sql = format!("DELETE FROM {table} WHERE key = $1 AND value = $2");
                    c.execute(&sql, &[&key, &old]).await
                }
                (None, None) => {
                    let sql = format!("SELECT 1 FROM {table} WHERE key = $1");
                    let found = c.query_opt(&sql, &[&key]).await.map_err(pg)?;
                    return Ok(found.is_none());
                }
            }
            .map_err(pg)?;
            Ok(changed == 1)
        })
    }

    /// Appends a history row under `scope`'s prefix, the instant, and a fresh id.
    fn append<T: Serialize>(
        &self,
        table: &'static str,
        scope: &Scope,
        at: DateTime<Utc>,
        value: &T,
    ) -> Result<()> {
        let prefix = keys::timed_bound(scope, at);
        let value = encode_in(table, value)?;
        self.call(move |c| async move {
            let sql = format!(
                "INSERT INTO {table} (key, value) VALUES ($1 || int8send(nextval('ids')), $2)"
            );
            c.execute(&sql, &[&prefix, &value]).await.map_err(pg)?;
            Ok(())
        })
    }

    /// A user's rows of one history from `since` on; one that doesn't decode is skipped.
    fn since<T: DeserializeOwned + Checked>(
        &self,
        table: &'static str,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<Vec<T>> {
        let rows = self.range(
            table,
            keys::timed_bound(scope, since),
            Some(keys::upper_bound(scope)),
            false,
        )?;
        Ok(rows
            .iter()
            .filter_map(|(key, value)| self.decode_row(table, KeyIds::Prefixed(key), value).ok())
            .collect())
    }

    /// The first row of `rows` that decodes.
    fn first_decodable<T: DeserializeOwned + Checked>(
        &self,
        table: &'static str,
        rows: &Rows,
    ) -> Option<T> {
        rows.iter()
            .find_map(|(key, value)| self.decode_row(table, KeyIds::Prefixed(key), value).ok())
    }
}

impl Users for PgStore {
    fn user(&self, scope: &Scope) -> Result<Option<UserRecord>> {
        let key = keys::user_prefix(scope);
        self.get(USERS, key.clone())?
            .map(|v| self.decode_row(USERS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    fn has_user(&self, scope: &Scope) -> Result<bool> {
        let key = keys::user_prefix(scope);
        self.call(move |c| async move {
            let row = c
                .query_opt("SELECT 1 FROM users WHERE key = $1", &[&key])
                .await
                .map_err(pg)?;
            Ok(row.is_some())
        })
    }

    fn update_user_with(
        &self,
        scope: &Scope,
        create_at: Option<DateTime<Utc>>,
        change: &mut dyn FnMut(&mut UserRecord) -> Decision<()>,
    ) -> Result<bool> {
        let key = keys::user_prefix(scope);
        loop {
            let old = self.get(USERS, key.clone())?;
            let mut record = match (&old, create_at) {
                (Some(bytes), _) => self.decode_row(USERS, KeyIds::Prefixed(&key), bytes)?,
                (None, Some(at)) => UserRecord::new(at),
                (None, None) => return Ok(false),
            };
            if matches!(change(&mut record), Decision::Abandon) {
                return Ok(true);
            }
            let new = encode_in(USERS, &record)?;
            if self.swap(USERS, key.clone(), old, Some(new))? {
                return Ok(true);
            }
            // Someone else wrote (or deleted) in between: redo on their version.
        }
    }

    /// Every user record, in key order, read a page at a time (so a tick over every user
    /// holds one page, as sled's iterator holds little); a row that doesn't decode is
    /// skipped (counted and logged).
    fn users(&self) -> Box<dyn Iterator<Item = Result<(Scope, UserRecord)>> + '_> {
        Box::new(UserPages {
            store: self,
            page: Vec::new().into_iter(),
            after: None,
            done: false,
        })
    }
}

/// Users per page of [`Users::users`].
const USER_PAGE: i64 = 256;

/// [`Users::users`]' iterator: keyset pages (`key > last key read`).
struct UserPages<'a> {
    store: &'a PgStore,
    page: std::vec::IntoIter<(Vec<u8>, Vec<u8>)>,
    after: Option<Vec<u8>>,
    done: bool,
}

impl Iterator for UserPages<'_> {
    type Item = Result<(Scope, UserRecord)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((key, value)) = self.page.next() {
                let row = self.store.user_row(&key, &value);
                self.after = Some(key);
                match row {
                    Some(row) => return Some(Ok(row)),
                    None => continue,
                }
            }
            if self.done {
                return None;
            }
            let after = self.after.clone();
            let page: Result<Rows> = self.store.call(move |c| async move {
                let rows = match after {
                    Some(after) => {
                        c.query(
                            "SELECT key, value FROM users WHERE key > $1 ORDER BY key LIMIT $2",
                            &[&after, &USER_PAGE],
                        )
                        .await
                    }
                    None => {
                        c.query(
                            "SELECT key, value FROM users ORDER BY key LIMIT $1",
                            &[&USER_PAGE],
                        )
                        .await
                    }
                }
                .map_err(pg)?;
                key_values(rows)
            });
            match page {
                Ok(rows) => {
                    self.done = rows.len() < USER_PAGE as usize;
                    self.page = rows.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl PgStore {
    /// One row of `users` as its scope and record; `None` (counted and logged) when it
    /// doesn't decode.
    fn user_row(&self, key: &[u8], value: &[u8]) -> Option<(Scope, UserRecord)> {
        let ids = KeyIds::Prefixed(key);
        let Some(scope) = keys::split_scope(key)
            .filter(|(_, rest)| rest.is_empty())
            .map(|(scope, _)| scope)
        else {
            self.rows
                .undecodable_row(USERS, &ids, &CodecError::Key("not `team 0x00 user 0x00`"));
            return None;
        };
        let record = self.decode_row(USERS, ids, value).ok()?;
        Some((scope, record))
    }
}

impl Histories for PgStore {
    fn add_checkin(&self, scope: &Scope, checkin: &CheckIn) -> Result<()> {
        self.append(CHECKINS, scope, checkin.at, checkin)
    }

    fn checkins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<CheckIn>> {
        self.since(CHECKINS, scope, since)
    }

    fn last_checkin_between(
        &self,
        scope: &Scope,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<CheckIn>> {
        let rows = self.range(
            CHECKINS,
            keys::timed_bound(scope, from),
            Some(keys::timed_bound(scope, until)),
            true,
        )?;
        Ok(self.first_decodable(CHECKINS, &rows))
    }

    fn add_one_on_one(&self, scope: &Scope, one_on_one: &OneOnOne) -> Result<()> {
        self.append(
            ONE_ON_ONES,
            scope,
            keys::date_key(one_on_one.date),
            one_on_one,
        )
    }

    fn one_on_ones_for(
        &self,
        scope: &Scope,
        people: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<OneOnOne>> {
        let rows = self.with_prefix(ONE_ON_ONES, keys::user_prefix(scope), true)?;
        let newest_first = rows.iter().map(|(key, value)| {
            Ok(self
                .decode_row::<OneOnOne>(ONE_ON_ONES, KeyIds::Prefixed(key), value)
                .ok())
        });
        needed_one_on_ones(newest_first, people, since)
    }

    fn add_win(&self, scope: &Scope, win: &Win) -> Result<()> {
        self.append(WINS, scope, win.at, win)
    }

    fn wins_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Win>> {
        self.since(WINS, scope, since)
    }

    fn last_win(&self, scope: &Scope) -> Result<Option<Win>> {
        let rows = self.with_prefix(WINS, keys::user_prefix(scope), true)?;
        Ok(self.first_decodable(WINS, &rows))
    }

    fn add_fire(&self, scope: &Scope, fire: &Fire) -> Result<()> {
        self.append(FIRES, scope, fire.at, fire)
    }

    fn fires_since(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<Fire>> {
        self.since(FIRES, scope, since)
    }
}

impl Digests for PgStore {
    fn subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<Option<Subscription>> {
        let key = keys::channel(team, channel);
        self.get(DIGESTS, key.clone())?
            .map(|v| self.decode_row(DIGESTS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    fn update_subscription_with(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        change: &mut dyn FnMut(Option<Subscription>) -> Decision<Option<Subscription>>,
    ) -> Result<()> {
        let key = keys::channel(team, channel);
        loop {
            let old = self.get(DIGESTS, key.clone())?;
            let current = match &old {
                Some(bytes) => Some(self.decode_row(DIGESTS, KeyIds::Prefixed(&key), bytes)?),
                None => None,
            };
            let Decision::Write(next) = change(current) else {
                return Ok(());
            };
            let new = next
                .as_ref()
                .map(|sub| encode_in(DIGESTS, sub))
                .transpose()?;
            if self.swap(DIGESTS, key.clone(), old, new)? {
                return Ok(());
            }
            // Someone else wrote in between: redo on their version.
        }
    }

    fn subscriptions(&self, team: &TeamId) -> Result<Vec<Subscription>> {
        let rows = self.with_prefix(DIGESTS, keys::team_prefix(team), false)?;
        Ok(rows
            .iter()
            .filter_map(|(key, value)| self.decode_row(DIGESTS, KeyIds::Prefixed(key), value).ok())
            .collect())
    }

    fn all_subscriptions(&self) -> Result<Vec<(TeamId, Subscription)>> {
        let rows = self.range(DIGESTS, Vec::new(), None, false)?;
        let mut subs = Vec::new();
        for (key, value) in &rows {
            let ids = KeyIds::Prefixed(key);
            let Some((team, _)) = keys::split_team(key) else {
                self.rows
                    .undecodable_row(DIGESTS, &ids, &CodecError::Key("no team id"));
                continue;
            };
            if let Ok(sub) = self.decode_row(DIGESTS, ids, value) {
                subs.push((team, sub));
            }
        }
        Ok(subs)
    }
}

impl Events for PgStore {
    /// The event id's row is unique: the first replica's insert wins, every other sighting
    /// (a retry, or the same event at another replica) finds it. Committed before it
    /// returns. Rows seen before `forget_before` are pruned by the first sighting.
    fn first_sighting(
        &self,
        team: &TeamId,
        event_id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool> {
        let mut key = keys::team_prefix(team);
        key.extend_from_slice(event_id.as_bytes());
        let seen = now.timestamp_millis();
        let value = seen.to_be_bytes().to_vec();
        let cutoff = forget_before.timestamp_millis();
        self.call(move |c| async move {
            let fresh = c
                .execute(
                    "INSERT INTO seen_events (key, value, seen_ms) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&key, &value, &seen],
                )
                .await
                .map_err(pg)?
                == 1;
            if fresh {
                c.execute("DELETE FROM seen_events WHERE seen_ms < $1", &[&cutoff])
                    .await
                    .map_err(pg)?;
            }
            Ok(fresh)
        })
    }
}

impl People for PgStore {
    fn export_user(&self, scope: &Scope) -> Result<UserExport> {
        rules::export_user(self, scope)
    }

    /// Deletes the user's record, history, ledger entries and scheduled messages in one
    /// transaction, then the digests they own and their membership in others', each by
    /// compare-and-swap.
    fn forget_user(&self, scope: &Scope) -> Result<Forgotten> {
        let prefix = keys::user_prefix(scope);
        let mut ledger_prefix = keys::team_prefix(&scope.team);
        ledger_prefix.extend_from_slice(scope.user.as_str().as_bytes());
        ledger_prefix.push(0);
        // Which queued messages are theirs is decided here, where damaged rows are logged.
        let mut outbox_keys = Vec::new();
        for (key, value) in self.range(OUTBOX, Vec::new(), None, false)? {
            let addressed =
                match self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value) {
                    Ok(item) => item.team == scope.team && item.channel == scope.user.as_str(),
                    Err(_) => addressed_to(&value, &scope.team, scope.user.as_str()),
                };
            if addressed {
                outbox_keys.push(key);
            }
        }
        let rows = self.call(move |mut c| async move {
            let tx = c.transaction().await.map_err(pg)?;
            let end = prefix_end(&prefix);
            let mut n = 0;
            for table in [CHECKINS, ONE_ON_ONES, WINS, FIRES, USERS] {
                let sql = format!("DELETE FROM {table} WHERE key >= $1 AND key < $2");
                n += tx.execute(&sql, &[&prefix, &end]).await.map_err(pg)?;
            }
            let ledger_end = prefix_end(&ledger_prefix);
            n += tx
                .execute(
                    "DELETE FROM ledger WHERE key >= $1 AND key < $2",
                    &[&ledger_prefix, &ledger_end],
                )
                .await
                .map_err(pg)?;
            n += tx
                .execute("DELETE FROM outbox WHERE key = ANY($1)", &[&outbox_keys])
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(n)
        })?;
        let mut gone = Forgotten {
            rows: usize::try_from(rows).unwrap_or(usize::MAX),
            ..Forgotten::default()
        };
        (gone.digests_removed, gone.digests_left) = leave_every_digest(self, scope)?;
        Ok(gone)
    }
}

impl Scheduled for PgStore {
    fn is_claimed(&self, key: &LedgerKey) -> Result<bool> {
        Ok(self.get(LEDGER, key.as_bytes().to_vec())?.is_some())
    }

    fn claim_state(&self, key: &LedgerKey) -> Result<Option<Claim>> {
        match self.get(LEDGER, key.as_bytes().to_vec())? {
            Some(v) => Ok(Some(
                self.decode_row::<LedgerEntry>(LEDGER, KeyIds::Prefixed(key.as_bytes()), &v)?
                    .state,
            )),
            None => Ok(None),
        }
    }

    /// The ledger key is unique: of two replicas claiming the same fire, the first insert
    /// wins and the other writes nothing. The message is queued in the same transaction.
    fn claim(
        &self,
        key: &LedgerKey,
        message: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let entry = encode_in(LEDGER, &LedgerEntry::claimed(message.is_some(), now))?;
        let queued = match message {
            Some(item) => Some((encode_in(OUTBOX, item)?, item.not_before.timestamp_millis())),
            None => None,
        };
        let key = key.as_bytes().to_vec();
        self.call(move |mut c| async move {
            let tx = c.transaction().await.map_err(pg)?;
            let claimed = tx
                .execute(
                    "INSERT INTO ledger (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&key, &entry],
                )
                .await
                .map_err(pg)?
                == 1;
            if claimed {
                if let Some((item, not_before)) = &queued {
                    tx.execute(
                        "INSERT INTO outbox (key, value, not_before_ms)
                         VALUES (int8send(nextval('ids')), $1, $2)",
                        &[item, not_before],
                    )
                    .await
                    .map_err(pg)?;
                }
            }
            tx.commit().await.map_err(pg)?;
            Ok(claimed)
        })
    }

    /// Takes and leases: the due, unleased rows are locked with `SKIP LOCKED` (a replica
    /// taking at the same moment passes over them rather than waiting) and leased in the
    /// same statement, so each message goes to one replica at a time.
    fn outbox_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<(u64, OutboxItem)>> {
        let until = (now + OUTBOX_LEASE).timestamp_millis();
        let now = now.timestamp_millis();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows: Rows = self.call(move |c| async move {
            let rows = c
                .query(
                    "UPDATE outbox SET lease_until_ms = $3
                     WHERE key IN (
                         SELECT key FROM outbox
                         WHERE not_before_ms <= $1
                           AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
                         ORDER BY key LIMIT $2
                         FOR UPDATE SKIP LOCKED)
                     RETURNING key, value",
                    &[&now, &limit, &until],
                )
                .await
                .map_err(pg)?;
            key_values(rows)
        })?;
        rows.sort();
        Ok(rows
            .iter()
            .filter_map(|(key, value)| {
                let item = self
                    .decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(key), value)
                    .ok()?;
                Some((id_of(key)?, item))
            })
            .collect())
    }

    fn release(&self, id: u64) -> Result<()> {
        let key = id.to_be_bytes().to_vec();
        self.call(move |c| async move {
            c.execute(
                "UPDATE outbox SET lease_until_ms = NULL WHERE key = $1",
                &[&key],
            )
            .await
            .map_err(pg)?;
            Ok(())
        })
    }

    fn outbox_len(&self) -> usize {
        let counted = self.call(|c| async move {
            let row = c
                .query_one("SELECT count(*) FROM outbox", &[])
                .await
                .map_err(pg)?;
            col::<i64>(&row, 0)
        });
        match counted {
            Ok(n) => usize::try_from(n).unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "could not count the outbox");
                0
            }
        }
    }

    /// Outbox ids only grow, so the first row that decodes is the oldest claim: read a few
    /// rows (`/metrics` and the sender ask often), and the whole outbox only when none of
    /// those decode.
    fn outbox_oldest(&self) -> Result<Option<DateTime<Utc>>> {
        const FIRST_ROWS: i64 = 16;
        let first: Rows = self.call(|c| async move {
            let rows = c
                .query(
                    "SELECT key, value FROM outbox ORDER BY key LIMIT $1",
                    &[&FIRST_ROWS],
                )
                .await
                .map_err(pg)?;
            key_values(rows)
        })?;
        let oldest = |rows: &Rows| {
            rows.iter().find_map(|(key, value)| {
                self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(key), value)
                    .ok()
                    .map(|item| item.created)
            })
        };
        if first.len() < FIRST_ROWS as usize {
            return Ok(oldest(&first));
        }
        match oldest(&first) {
            Some(at) => Ok(Some(at)),
            None => Ok(oldest(&self.range(OUTBOX, Vec::new(), None, false)?)),
        }
    }

    fn settle(&self, id: u64, item: &OutboxItem, outcome: Claim, now: DateTime<Utc>) -> Result<()> {
        let entry = encode_in(
            LEDGER,
            &LedgerEntry {
                state: outcome,
                at: now,
            },
        )?;
        let key = id.to_be_bytes().to_vec();
        let ledger_key = item.ledger_key.clone();
        self.call(move |mut c| async move {
            let tx = c.transaction().await.map_err(pg)?;
            unqueue(&tx, &key, &ledger_key, &entry).await?;
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    fn reschedule(&self, id: u64, item: &OutboxItem) -> Result<()> {
        let key = id.to_be_bytes().to_vec();
        loop {
            let Some(current) = self.get(OUTBOX, key.clone())? else {
                return Ok(());
            };
            let mut queued: OutboxItem =
                self.decode_row(OUTBOX, KeyIds::Numbered(&key), &current)?;
            queued.attempts = item.attempts;
            queued.not_before = item.not_before;
            let new = encode_in(OUTBOX, &queued)?;
            let not_before = queued.not_before.timestamp_millis();
            let key = key.clone();
            let swapped = self.call(move |c| async move {
                let n = c
                    .execute(
                        "UPDATE outbox SET value = $2, not_before_ms = $3, lease_until_ms = NULL
                         WHERE key = $1 AND value = $4",
                        &[&key, &new, &not_before, &current],
                    )
                    .await
                    .map_err(pg)?;
                Ok(n == 1)
            })?;
            if swapped {
                return Ok(());
            }
        }
    }

    fn queued_digests(&self, team: &TeamId) -> Result<Vec<QueuedMessage>> {
        let rows = self.range(OUTBOX, Vec::new(), None, false)?;
        let mut out = Vec::new();
        for (key, value) in rows {
            let Ok(item) = self.decode_row::<OutboxItem>(OUTBOX, KeyIds::Numbered(&key), &value)
            else {
                continue;
            };
            let Some(id) = id_of(&key) else {
                continue;
            };
            if item.team == *team && is_digest(&item.ledger_key) {
                out.push(QueuedMessage {
                    id,
                    read_as: value,
                    item,
                });
            }
        }
        Ok(out)
    }

    fn requeue_if_unchanged(
        &self,
        queued: &QueuedMessage,
        replacement: Option<&OutboxItem>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = queued.id.to_be_bytes().to_vec();
        let read_as = queued.read_as.clone();
        let new = replacement
            .map(|item| {
                Ok::<_, StoreError>((encode_in(OUTBOX, item)?, item.not_before.timestamp_millis()))
            })
            .transpose()?;
        let skipped = encode_in(
            LEDGER,
            &LedgerEntry {
                state: Claim::Skipped,
                at: now,
            },
        )?;
        let ledger_key = queued.item.ledger_key.clone();
        self.call(move |mut c| async move {
            let tx = c.transaction().await.map_err(pg)?;
            let current = tx
                .query_opt(
                    "SELECT value FROM outbox WHERE key = $1 FOR UPDATE",
                    &[&key],
                )
                .await
                .map_err(pg)?
                .map(|r| col::<Vec<u8>>(&r, 0))
                .transpose()?;
            if current.as_deref() != Some(read_as.as_slice()) {
                return Ok(false);
            }
            match &new {
                Some((bytes, not_before)) => {
                    tx.execute(
                        "UPDATE outbox SET value = $2, not_before_ms = $3 WHERE key = $1",
                        &[&key, bytes, not_before],
                    )
                    .await
                    .map_err(pg)?;
                }
                None => unqueue(&tx, &key, &ledger_key, &skipped).await?,
            }
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }
}
