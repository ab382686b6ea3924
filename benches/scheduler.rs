//! How long the scheduler takes to find what is due when 10,000 users have schedules at the
//! same minute: `App::due` (scan every user, find each job's latest fire in the user's zone,
//! check the ledger). Composing and queuing the messages is measured by the summary bench.
//!
//! `cargo bench --bench scheduler`. The store is built in a temp dir each run (10,000 user
//! records take a few seconds).

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use twohats::app::{Actor, App};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::SledStore;

const USERS: usize = 10_000;
const ZONES: [&str; 4] = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];

fn bench_due(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::new(
        Arc::new(SledStore::open(dir.path()).expect("store")),
        chrono_tz::UTC,
    );
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let team = TeamId::parse("TBENCH").unwrap();
    for i in 0..USERS {
        let actor = Actor::new(Scope::new(
            team.clone(),
            UserId::parse(&format!("U{i:06}")).unwrap(),
        ));
        // Every user's summary at 16:00 UTC on Friday, whatever their zone: the worst case,
        // all due in the same minute.
        let zone = ZONES[i % ZONES.len()];
        app.handle_command(&actor, &format!("tz {zone}"), start);
        app.handle_command(&actor, "schedule checkin off", start);
        app.handle_command(&actor, "schedule summary 0 16 * * 5", start);
    }
    let due_at = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap(); // every zone has passed Fri 16:00
    let due = app.due(due_at).expect("due");
    assert_eq!(due.len(), USERS, "all 10,000 are due");

    let mut group = c.benchmark_group("scheduler");
    group.sample_size(20);
    group.bench_function("due: 10k users, all due", |b| {
        b.iter(|| app.due(due_at).expect("due").len())
    });
    group.finish();
}

criterion_group!(benches, bench_due);
criterion_main!(benches);
