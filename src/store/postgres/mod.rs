//! The PostgreSQL adapter of the store port ([`crate::store`]): all state in one database,
//! shared by any number of `serve` replicas.
//!
//! **The sync bridge.** The port is synchronous (`&self` methods returning `Result`) and is
//! called from tokio's async workers as well as from blocking threads. A driver that calls
//! `block_on` itself (the sync `postgres` crate) panics inside a runtime, so the adapter owns
//! a small runtime of its own (two worker threads) that drives `tokio-postgres` and its
//! connections; each port call spawns its work there and blocks the calling thread on a std
//! channel for the answer ([`PgStore::call`]). That never enters another runtime, so it is
//! safe from any thread. It does hold the calling thread for a round trip, which is why
//! `serve` moves every command to the blocking pool when the store is remote
//! ([`crate::store::Durability::is_remote`]).
//!
//! **Rows.** The same keys and versioned-JSON values as sled (`store::rows`), one table per
//! tree (`migrations/`), so decoding, validation, skip-and-count of undecodable rows and the
//! backup file are the same code and the same bytes. History and outbox ids come from one
//! sequence; a restore moves it past every restored id.
//!
//! **Durability.** Every write is its own committed transaction before the call returns
//! (PostgreSQL's `synchronous_commit` decides what a commit means; keep it `on`), so
//! [`crate::store::Durability::durable`] has nothing left to wait for.
//!
//! One file per concern: `ports.rs` (users, histories, digests, events, people, the
//! scheduler's ledger and outbox), `backup.rs`.

mod backup;
mod ports;

use crate::store::rows::keys::KeyIds;
use crate::store::rows::valid::Checked;
use crate::store::rows::RowLog;
use crate::store::{Durability, DurableFuture, Result, StoreError, StoreStats};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls};

/// Connections kept open per process. Every call holds one for a round trip or a short
/// transaction; `serve`'s blocking pool has 16 threads, and PostgreSQL's default
/// `max_connections` (100) must serve every replica.
const POOL_SIZE: usize = 8;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one port call may take, waiting for a connection included: a database that
/// stopped answering fails the call (the request gets the apology, the tick retries) rather
/// than holding a thread forever.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Numbered migrations, applied in order, each once (`schema_migrations`).
const MIGRATIONS: [(i32, &str); 1] = [(1, include_str!("migrations/0001_tables.sql"))];

pub struct PgStore {
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Arc<Pool>,
    rows: RowLog,
    waits: AtomicU64,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:pass@host:port/db`, with
    /// `?options=-csearch_path%3Dschema` for another schema) and brings its schema up to
    /// date.
    pub fn connect(url: &str) -> Result<Self> {
        let fail = |reason: String| StoreError::Connect {
            target: redacted(url),
            reason,
        };
        let mut config = Config::from_str(url).map_err(|e| fail(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("twohats");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("twohats-pg")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("could not start its runtime: {e}")))?;
        let store = Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool: Arc::new(Pool {
                config,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(POOL_SIZE)),
            }),
            rows: RowLog::default(),
            waits: AtomicU64::new(0),
        };
        let config = store.pool.config.clone();
        store
            .spawn_and_wait(async move { migrate(connect(&config).await?).await })
            .map_err(|e| match e {
                StoreError::Postgres(reason) => fail(reason),
                other => other,
            })?;
        Ok(store)
    }

    /// Runs `work` with a pooled connection on the adapter's runtime, and blocks this thread
    /// (whatever it is: an async worker, a blocking thread) until it answers.
    fn call<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        self.spawn_and_wait(async move { work(pool.get().await?).await })
    }

    fn spawn_and_wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let out = tokio::time::timeout(CALL_TIMEOUT, work)
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::Postgres(format!(
                        "no answer within {} s",
                        CALL_TIMEOUT.as_secs()
                    )))
                });
            let _ = tx.send(out); // the caller waits; it can't have gone
        });
        rx.recv()
            .unwrap_or_else(|_| Err(StoreError::Postgres("the database task stopped".into())))
    }

    /// Decodes and checks a stored value; one that fails is counted and logged by `key`.
    fn decode_row<T: DeserializeOwned + Checked>(
        &self,
        tree: &'static str,
        key: KeyIds<'_>,
        value: &[u8],
    ) -> Result<T> {
        self.rows.decode_row(tree, key, value)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Not a blocking shutdown: the last handle may be dropped on an async worker, where
        // waiting for the runtime's threads would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Durability for PgStore {
    fn is_remote(&self) -> bool {
        true
    }

    /// A cheap read that fails if the database can't be read.
    fn check(&self) -> Result<()> {
        self.call(|c| async move {
            c.query_opt("SELECT 1 FROM users LIMIT 1", &[])
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    /// Every write committed before it returned: nothing is left to wait for. Counted as a
    /// wait answered and a flush (the commits it stands for), as sled counts its own.
    fn durable(&self) -> Result<()> {
        self.waits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn durable_async(&self) -> DurableFuture {
        let done = self.durable();
        Box::pin(async move { done })
    }

    fn stats(&self) -> StoreStats {
        let waits = self.waits.load(Ordering::Relaxed);
        StoreStats {
            flushes: waits,
            waits,
            undecodable_rows: self.rows.count(),
        }
    }
}

/// A few connections, opened as needed and kept.
struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    async fn get(self: &Arc<Self>) -> Result<Conn> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Postgres("the connection pool is closed".into()))?;
        let kept = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.pop()
        };
        let client = match kept {
            Some(client) if !client.is_closed() => client,
            _ => connect(&self.config).await?,
        };
        Ok(Conn {
            client: Some(client),
            pool: self.clone(),
            _permit: permit,
        })
    }
}

/// A pooled connection; back to the pool when dropped, unless it broke.
struct Conn {
    client: Option<Client>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Only `drop` takes it out.
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if !client.is_closed() {
                let mut idle = self
                    .pool
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                idle.push(client);
            }
        }
    }
}

/// A new connection, its I/O driven by a task on the adapter's runtime.
async fn connect(config: &Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await.map_err(pg)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "a PostgreSQL connection closed");
        }
    });
    Ok(client)
}

/// Applies every migration the database lacks, under an advisory lock, so replicas that
/// start together apply each once. Runs on its own connection, closed afterwards: a failure
/// half-way leaves no lock held by a pooled connection.
async fn migrate(client: Client) -> Result<()> {
    client
        .batch_execute(
            "SELECT pg_advisory_lock(hashtext('twohats schema ' || coalesce(current_schema(), '')));
             CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )
        .await
        .map_err(pg)?;
    let mut client = client;
    let applied: i32 = col(
        &client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?,
        0,
    )?;
    let newest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if applied > newest {
        return Err(StoreError::Postgres(format!(
            "the database schema is at version {applied}, newer than this build's ({newest}); upgrade twohats"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        let tx = client.transaction().await.map_err(pg)?;
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        tracing::info!(version, "applied a database migration");
    }
    Ok(())
}

/// A PostgreSQL error as the store reports it: the server's message and SQLSTATE, never its
/// detail (which can quote the row's values).
fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Postgres(match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    })
}

/// Column `i` of a row: an error, not a panic, when it is not what the schema says.
fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    i: usize,
) -> Result<T> {
    row.try_get(i).map_err(pg)
}

/// A `key, value` result as pairs.
fn key_values(rows: Vec<tokio_postgres::Row>) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

/// A database URL fit for logs and messages: scheme, host, port and database, no user info.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.set_query(None);
            parsed.to_string()
        }
        _ => "(a connection string)".into(),
    }
}

/// The first key past every key that starts with `prefix`, for range scans.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    // All 0xFF (no key twohats writes): nothing sorts after it but longer runs of 0xFF.
    vec![u8::MAX; prefix.len() + 1]
}

/// The id an outbox key (8 bytes, big-endian) stands for.
fn id_of(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_info_in_messages() {
        assert_eq!(
            redacted("postgres://bot:s3cret@db.internal:5432/twohats?sslmode=disable"),
            "postgres://db.internal:5432/twohats"
        );
        assert_eq!(redacted("host=db password=s3cret"), "(a connection string)");
    }

    #[test]
    fn a_prefix_ends_before_the_next_prefix() {
        assert_eq!(prefix_end(b"T1\0"), b"T1\x01".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
    }
}
