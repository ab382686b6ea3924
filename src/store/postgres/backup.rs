//! `twohats backup` and `twohats restore` on PostgreSQL, in the very format sled writes
//! (`store::sled_store::backup` documents it): same header, same row lines, same end marker,
//! so a file taken from one store restores into the other.
//!
//! A backup reads every table in one `REPEATABLE READ` transaction: unlike sled's, it is a
//! consistent snapshot (a claim and its message, a record and its check-in, are in it
//! together or not at all). Its `next_id` is taken just before the snapshot; a restore
//! raises the id sequence past every restored key's id anyway, as sled's does.
//!
//! A restore validates the whole file first (the shared reader), then writes every row and
//! moves the id sequence in one transaction, after checking again inside it that the
//! database is empty: it restores all of the file or nothing.

use super::{col, key_values, pg, PgStore};
use crate::store::rows::valid::{check_row, SLED_DEFAULT};
use crate::store::rows::{key_ids, own_tree, OUTBOX, SEEN_EVENTS, TREES};
use crate::store::sled_store::backup::{
    end_line, header_line, id_floor, read_backup, row_line, write_file_until,
};
use crate::store::{BackupError, BackupSummary, Backups, OutboxItem, Result, StoreError};
use chrono::Utc;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use tokio_postgres::IsolationLevel;

/// Rows per insert statement on restore.
const BATCH_ROWS: usize = 1000;

/// Every table's rows, in key order, tables in name order.
type Snapshot = Vec<(&'static str, Vec<(Vec<u8>, Vec<u8>)>)>;

impl PgStore {
    fn next_id(&self) -> Result<u64> {
        self.call(|c| async move {
            let row = c
                .query_one("SELECT nextval('ids')", &[])
                .await
                .map_err(pg)?;
            let id: i64 = col(&row, 0)?;
            u64::try_from(id).map_err(|_| StoreError::Invariant("a negative id"))
        })
    }

    fn snapshot(&self) -> Result<Snapshot> {
        self.call(|mut c| async move {
            let tx = c
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(pg)?;
            let mut tables = Vec::new();
            for table in TREES {
                let sql = format!("SELECT key, value FROM {table} ORDER BY key");
                let rows = tx.query(&sql, &[]).await.map_err(pg)?;
                tables.push((table, key_values(rows)?));
            }
            tx.commit().await.map_err(pg)?;
            Ok(tables)
        })
    }

    /// The first table holding a row, if any.
    fn first_nonempty(&self) -> Result<Option<&'static str>> {
        self.call(|c| async move {
            for table in TREES {
                let sql = format!("SELECT 1 FROM {table} LIMIT 1");
                if c.query_opt(&sql, &[]).await.map_err(pg)?.is_some() {
                    return Ok(Some(table));
                }
            }
            Ok(None)
        })
    }
}

impl Backups for PgStore {
    fn backup_to(&self, out: &mut dyn Write) -> std::result::Result<BackupSummary, BackupError> {
        let next_id = self.next_id()?;
        let tables = self.snapshot()?;
        let mut out = BufWriter::new(out);
        out.write_all(header_line(Utc::now(), next_id).as_bytes())
            .map_err(BackupError::Write)?;
        let mut summary = BackupSummary::default();
        for (table, rows) in tables {
            let mut written = 0;
            for (key, value) in rows {
                if let Err(why) = check_row(table, &key, &value) {
                    self.rows
                        .undecodable_row(own_tree(table), &key_ids(table, &key), &why);
                    summary.skipped += 1;
                    continue;
                }
                out.write_all(row_line(table, &key, &value).as_bytes())
                    .map_err(BackupError::Write)?;
                written += 1;
            }
            if written > 0 {
                summary.trees += 1;
                summary.rows += written;
            }
        }
        out.write_all(end_line(summary.rows).as_bytes())
            .map_err(BackupError::Write)?;
        out.flush().map_err(BackupError::Write)?;
        Ok(summary)
    }

    fn backup_to_file_until(
        &self,
        path: &Path,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> std::result::Result<BackupSummary, BackupError> {
        write_file_until(path, stop, &mut |out| self.backup_to(out))
    }

    fn restore_from(
        &self,
        input: &mut dyn BufRead,
    ) -> std::result::Result<BackupSummary, BackupError> {
        if let Some(table) = self.first_nonempty()? {
            return Err(BackupError::NotEmptyDatabase {
                table: table.into(),
            });
        }
        let backup = read_backup(input)?;
        let floor = i64::try_from(id_floor(&backup))
            .map_err(|_| StoreError::Invariant("an id floor past i64"))?;
        let mut summary = BackupSummary::default();
        // (table, keys, values, the extra column some tables keep)
        let mut batches = Vec::new();
        for (tree, rows) in backup.trees {
            // sled's own tree: twohats never writes it, and PostgreSQL has no use for it.
            let Some(table) = TREES.into_iter().find(|t| *t == tree) else {
                if tree == SLED_DEFAULT {
                    continue;
                }
                return Err(
                    StoreError::Invariant("a validated backup names an unknown tree").into(),
                );
            };
            summary.trees += 1;
            summary.rows += rows.len();
            let rows: Vec<_> = rows.into_iter().collect();
            for chunk in rows.chunks(BATCH_ROWS) {
                let mut keys = Vec::with_capacity(chunk.len());
                let mut values = Vec::with_capacity(chunk.len());
                let mut extra = Vec::with_capacity(chunk.len());
                for (key, value) in chunk {
                    extra.push(extra_column(table, value)?);
                    keys.push(key.clone());
                    values.push(value.clone());
                }
                batches.push((table, keys, values, extra));
            }
        }
        let written = self.call(move |mut c| async move {
            let tx = c.transaction().await.map_err(pg)?;
            for table in TREES {
                let sql = format!("SELECT 1 FROM {table} LIMIT 1");
                if tx.query_opt(&sql, &[]).await.map_err(pg)?.is_some() {
                    return Ok(Some(table));
                }
            }
            for (table, keys, values, extra) in &batches {
                let sql = match *table {
                    SEEN_EVENTS => "INSERT INTO seen_events (key, value, seen_ms)
                         SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[])"
                        .to_string(),
                    OUTBOX => "INSERT INTO outbox (key, value, not_before_ms)
                         SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[])"
                        .to_string(),
                    _ => format!(
                        "INSERT INTO {table} (key, value)
                         SELECT k, v FROM unnest($1::bytea[], $2::bytea[], $3::int8[]) AS r(k, v, x)"
                    ),
                };
                tx.execute(&sql, &[keys, values, extra]).await.map_err(pg)?;
            }
            // Every id from now on at least `floor`, however far that is.
            tx.execute(
                "SELECT setval('ids', $1, false) FROM ids
                 WHERE $1 > (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)",
                &[&floor],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(None)
        })?;
        if let Some(table) = written {
            return Err(BackupError::NotEmptyDatabase {
                table: table.into(),
            });
        }
        Ok(summary)
    }
}

/// What a table keeps beside key and value, from a row the backup reader has validated:
/// when an event was seen, when a queued message is due (0 elsewhere).
fn extra_column(table: &str, value: &[u8]) -> std::result::Result<i64, BackupError> {
    Ok(match table {
        SEEN_EVENTS => <[u8; 8]>::try_from(value)
            .map(i64::from_be_bytes)
            .map_err(|_| StoreError::Invariant("a validated seen event is not 8 bytes"))?,
        OUTBOX => {
            let item: OutboxItem =
                crate::store::rows::codec::decode(OUTBOX, value).map_err(|source| {
                    StoreError::Codec {
                        tree: OUTBOX,
                        source,
                    }
                })?;
            item.not_before.timestamp_millis()
        }
        _ => 0,
    })
}
