//! PostgreSQL for the tests: a throwaway schema per store, in the database that
//! `TWOHATS_TEST_DATABASE_URL` names (`.ci/run` sets it; locally, e.g.
//! `postgres://postgres@127.0.0.1:5432/test`). Without the variable the PostgreSQL tests
//! pass without running, and say so once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

const VAR: &str = "TWOHATS_TEST_DATABASE_URL";

/// The test database's URL, or `None` (said once per run) when it isn't configured.
pub fn test_database_url() -> Option<String> {
    static SAID: Once = Once::new();
    match std::env::var(VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            SAID.call_once(|| {
                // Straight to stderr: the test harness captures `eprintln!` of passing tests.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "{VAR} is not set: the PostgreSQL store tests skip (set it to a database URL to run them)"
                );
            });
            None
        }
    }
}

/// A schema of its own in the test database, dropped (with everything in it) when this is
/// dropped, a failing test's unwinding included.
pub struct TestSchema {
    base: String,
    schema: String,
}

impl TestSchema {
    /// A new, empty schema.
    pub fn new(base: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        run_sql(base, &format!("CREATE SCHEMA {schema}")).unwrap_or_else(|e| panic!("{e}"));
        Self {
            base: base.to_string(),
            schema,
        }
    }

    /// The URL of a connection whose tables live in this schema.
    pub fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.schema)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Never a panic here: this may run while a failed test unwinds.
        let drop_sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(e) = run_sql(&self.base, &drop_sql) {
            eprintln!("could not drop the test schema {}: {e}", self.schema);
        }
    }
}

/// Runs `sql` on its own connection (tests are not inside a runtime: one of its own).
fn run_sql(url: &str, sql: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("{VAR}: cannot connect: {e}"))?;
        let driver = tokio::spawn(connection);
        let done = client
            .batch_execute(sql)
            .await
            .map_err(|e| format!("{sql}: {e}"));
        drop(client);
        let _ = driver.await;
        done
    })
}

/// Two `serve` replicas started together on one database (their migrations race for the
/// advisory lock): signed check-ins sent to either all land, both are ready and serve
/// `/metrics` (their store reads go through the blocking pool), and the store holds every
/// check-in once.
#[test]
fn two_serve_replicas_started_together_share_one_database() {
    use crate::slack::{fake_slack, Served};
    use twohats::store::prelude::*;
    let Some(base) = test_database_url() else {
        return;
    };
    let schema = TestSchema::new(&base);
    let url = schema.url();
    let users: Vec<String> = (0..10).map(|i| format!("U0REPL{i}")).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let env = [("TWOHATS_DATABASE_URL", url.as_str())];
        let (a, b) = tokio::join!(
            async { Served::start_with_env(fake_slack().await, &env).await },
            async { Served::start_with_env(fake_slack().await, &env).await },
        );
        for (i, user) in users.iter().enumerate() {
            let replica = if i % 2 == 0 { &a } else { &b };
            let (status, reply) = replica.command(user, "checkin 60").await;
            assert_eq!(status, 200, "{reply}\n{}", replica.logs());
            let text = crate::slack::reply_text(&reply);
            assert!(!text.contains("went wrong"), "{text}\n{}", replica.logs());
        }
        for replica in [&a, &b] {
            let ready = replica
                .http
                .get(format!("{}/readyz", replica.base))
                .send()
                .await
                .unwrap();
            assert_eq!(ready.status().as_u16(), 200, "{}", replica.logs());
            assert!(replica.metrics().await.contains("twohats_outbox_depth"));
        }
    });
    drop(runtime);

    let store = twohats::store::PgStore::connect(&url).unwrap();
    let stored: Vec<_> = store.users().map(Result::unwrap).collect();
    assert_eq!(stored.len(), users.len());
    for (scope, _) in &stored {
        let checkins = store
            .checkins_since(scope, chrono::DateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(checkins.len(), 1, "{scope:?}");
    }
}

/// Three `serve` replicas on one database, 50 messages queued and due at once: each goes out
/// exactly once (the outbox is taken and leased, `FOR UPDATE SKIP LOCKED`), whichever
/// replica takes it, and the outbox ends empty.
#[test]
fn three_replicas_send_fifty_due_messages_exactly_once() {
    use crate::slack::{fake_slack, posts, Served, TEAM};
    use twohats::domain::doc::Doc;
    use twohats::domain::ids::TeamId;
    use twohats::store::prelude::*;
    use twohats::store::{LedgerKey, OutboxItem};
    let Some(base) = test_database_url() else {
        return;
    };
    let schema = TestSchema::new(&base);
    let url = schema.url();
    let team = TeamId::parse(TEAM).unwrap();
    // Long past, so due whatever the clock (or libfaketime) says today.
    let queued_at = chrono::DateTime::parse_from_rfc3339("2001-01-05T16:00:00Z")
        .unwrap()
        .to_utc();
    let day = queued_at.date_naive();
    {
        let store = twohats::store::PgStore::connect(&url).unwrap();
        for i in 0..50 {
            let user = format!("U0DUE{i}");
            let key = LedgerKey::new(&team, &user, "summary", day);
            let item = OutboxItem {
                team: team.clone(),
                channel: user.clone(),
                doc: Doc::new(format!("summary number {i}")),
                ledger_key: key.as_bytes().to_vec(),
                attempts: 0,
                not_before: queued_at,
                created: queued_at,
            };
            assert!(store.claim(&key, Some(&item), queued_at).unwrap());
        }
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let texts = runtime.block_on(async {
        let env = [
            ("TWOHATS_DATABASE_URL", url.as_str()),
            ("TWOHATS_TICK_MS", "200"),
        ];
        let (a, b, c) = tokio::join!(
            async { Served::start_with_env(fake_slack().await, &env).await },
            async { Served::start_with_env(fake_slack().await, &env).await },
            async { Served::start_with_env(fake_slack().await, &env).await },
        );
        let sent = || async {
            let mut texts = Vec::new();
            for replica in [&a, &b, &c] {
                for post in posts(&replica.slack).await {
                    texts.push(post["text"].as_str().unwrap_or_default().to_string());
                }
            }
            texts
        };
        // Bounded poll: until all 50 went out (or 60 s), then a little longer for doubles.
        for _ in 0..600 {
            if sent().await.len() >= 50 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let texts = sent().await;
        assert_eq!(texts.len(), 50, "{}\n{}\n{}", a.logs(), b.logs(), c.logs());
        texts
    });
    drop(runtime);
    let mut distinct = texts.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 50, "a message went out twice: {texts:?}");
    let store = twohats::store::PgStore::connect(&url).unwrap();
    assert_eq!(store.outbox_len(), 0);
}

/// Three `serve` replicas on one database take 300 signed check-ins in turn; one is
/// SIGKILLed half-way. Every check-in that was acknowledged, by any replica, is in the
/// database (an acknowledgement follows its commit).
#[test]
fn every_acknowledged_checkin_survives_a_replica_killed_mid_run() {
    use crate::slack::{fake_slack, reply_text, try_command, Served};
    use twohats::store::prelude::*;
    let Some(base) = test_database_url() else {
        return;
    };
    let schema = TestSchema::new(&base);
    let url = schema.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let acked = runtime.block_on(async {
        let env = [("TWOHATS_DATABASE_URL", url.as_str())];
        let (a, b, mut c) = tokio::join!(
            async { Served::start_with_env(fake_slack().await, &env).await },
            async { Served::start_with_env(fake_slack().await, &env).await },
            async { Served::start_with_env(fake_slack().await, &env).await },
        );
        let http = reqwest::Client::new();
        let mut acked = Vec::new();
        for i in 0..300 {
            if i == 150 {
                c.child.kill().unwrap(); // SIGKILL
                c.child.wait().unwrap();
            }
            let base = [&a.base, &b.base, &c.base][i % 3];
            let user = format!("U0KILL{i}");
            if let Some(reply) = try_command(&http, base, &user, "checkin 55").await {
                let text = reply_text(&reply);
                if !text.is_empty() && !text.contains("went wrong") {
                    acked.push(user);
                }
            }
        }
        acked
    });
    drop(runtime);
    // Two replicas answered throughout, the killed one only before its end.
    assert!(acked.len() >= 250, "only {} acknowledged", acked.len());
    let store = twohats::store::PgStore::connect(&url).unwrap();
    let team = twohats::domain::ids::TeamId::parse(crate::slack::TEAM).unwrap();
    for user in &acked {
        let scope = twohats::domain::ids::Scope::new(
            team.clone(),
            twohats::domain::ids::UserId::parse(user).unwrap(),
        );
        let checkins = store
            .checkins_since(&scope, chrono::DateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            checkins.len(),
            1,
            "{user} was acknowledged but is not stored"
        );
    }
}

/// Migrations are recorded once each (a reopen applies nothing), and a database migrated by
/// a newer build is refused with a sentence, not half-used.
#[test]
fn migrations_apply_once_and_a_newer_schema_is_refused() {
    let Some(base) = test_database_url() else {
        return;
    };
    let schema = TestSchema::new(&base);
    let url = schema.url();
    drop(twohats::store::PgStore::connect(&url).unwrap());
    drop(twohats::store::PgStore::connect(&url).unwrap());
    let in_schema = |sql: &str| format!("SET search_path TO {}; {sql}", schema.schema);
    run_sql(
        &base,
        &in_schema(
            "DO $$ BEGIN
                 IF (SELECT count(*) FROM schema_migrations) <> 1 THEN
                     RAISE EXCEPTION 'migrations applied more than once';
                 END IF;
             END $$;
             INSERT INTO schema_migrations (version) VALUES (999);",
        ),
    )
    .unwrap();
    let err = twohats::store::PgStore::connect(&url)
        .err()
        .expect("a newer schema is refused")
        .to_string();
    assert!(err.contains("upgrade twohats"), "{err}");
}

/// `users()` reads PostgreSQL a page at a time: more users than a page come back, each once,
/// in key order, as sled returns them.
#[test]
fn every_user_comes_back_once_across_pages() {
    use twohats::domain::ids::{Scope, TeamId, UserId};
    use twohats::store::prelude::*;
    let Some(base) = test_database_url() else {
        return;
    };
    let schema = TestSchema::new(&base);
    let store = twohats::store::PgStore::connect(&schema.url()).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
        .unwrap()
        .to_utc();
    let team = TeamId::parse("T0001").unwrap();
    let mut written: Vec<Scope> = (0..600)
        .map(|i| Scope::new(team.clone(), UserId::parse(&format!("U{i:04}")).unwrap()))
        .collect();
    for scope in &written {
        store
            .update_user(scope, created, |_| Ok::<_, twohats::store::StoreError>(()))
            .unwrap();
    }
    written.sort_by_key(|s| s.user.as_str().to_string());
    let read: Vec<Scope> = store.users().map(|r| r.unwrap().0).collect();
    assert_eq!(read, written);
}
