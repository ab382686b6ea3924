//! The steps of one slash command, measured one by one: verify the signature, parse the text,
//! write and flush (alone, and 16 writers sharing flushes), render the reply as Block Kit,
//! compose a summary. `cargo bench --bench hot_paths`.

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::Arc;
use twohats::app::{Actor, App};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::render::blocks::message_blocks;
use twohats::render::reply::reply_doc;
use twohats::store::SledStore;

fn actor(i: usize) -> Actor {
    Actor::new(Scope::new(
        TeamId::parse("TBENCH").unwrap(),
        UserId::parse(&format!("U{i:06}")).unwrap(),
    ))
}

fn hot_paths(c: &mut Criterion) {
    let body = "team_id=T0LOAD&user_id=U0LOAD0001&command=%2Ftlm&text=checkin+60&trigger_id=1.2.3";
    let ts = "1764259200";
    let sig = twohats::slack::verify::sign("secret", ts, body.as_bytes());
    c.bench_function("verify a signed request", |b| {
        b.iter(|| {
            twohats::slack::verify::verify(
                "secret",
                Some(ts),
                Some(&sig),
                black_box(body.as_bytes()),
                1764259200,
            )
        })
    });
    c.bench_function("parse `checkin 60 energy=3 cp kind=review note`", |b| {
        b.iter(|| {
            twohats::command::parse(black_box(
                "checkin 60 energy=3 cp kind=review pairing on the auth migration",
            ))
        })
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SledStore::open(dir.path()).expect("store"));
    let app = App::new(store.clone(), chrono_tz::UTC);
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap();
    // A fresh user per check-in: a real user has a handful of check-ins a week, and the reply
    // reads the week back, so piling thousands on one user would measure the wrong thing.
    let next_user = std::sync::atomic::AtomicUsize::new(1_000_000);
    let fresh = || actor(next_user.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    c.bench_function("checkin 60: write + flush, one writer", |b| {
        b.iter(|| app.handle_command(&fresh(), "checkin 60", now))
    });
    let mut group = c.benchmark_group("group commit");
    group.sample_size(20);
    group.bench_function("16 writers x 50 check-ins, flushes shared", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for _ in 0..16 {
                    let (app, fresh) = (&app, &fresh);
                    s.spawn(move || {
                        for _ in 0..50 {
                            app.handle_command(&fresh(), "checkin 60", now);
                        }
                    });
                }
            })
        })
    });
    group.finish();

    let a = actor(2);
    app.handle_command(
        &a,
        "team add <@UBOB|bob> <@UCAT|cat> <@UDAN|dan>",
        now - Duration::weeks(8),
    );
    for day in 0..56 {
        app.handle_command(
            &a,
            "checkin 40 energy=2 kind=core",
            now - Duration::days(day),
        );
    }
    let reply = app.handle_command(&a, "summary", now);
    c.bench_function("render a summary as Block Kit JSON", |b| {
        b.iter(|| {
            serde_json::to_vec(&message_blocks(&reply_doc(black_box(&reply)))).map(|v| v.len())
        })
    });
    c.bench_function("compose a summary (8 weeks of check-ins)", |b| {
        b.iter(|| app.summary(&a, now).map(|s| s.nudges.len()))
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
