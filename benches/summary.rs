//! How long composing the weekly summary takes at scale: 10,000 TLMs in one sled store, each
//! with a year of daily check-ins, a roster of 4 reports and their 1:1s, wins and fires.
//! The target is all 10,000 in under 2 s on a 2-core machine.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench summary
//! ```
//!
//! Benchmarks:
//! - `summary_for/10k summaries`: `App::summary_for` for every user, one after another, as one
//!   iteration. The headline figure.
//! - `summary_for/10k summaries, 2 threads`: the same users split over two scoped threads,
//!   what the 2-core machine can do when the scheduler fans out.
//! - `summary_for/1 summary`: one user, for a per-user figure.
//!
//! Only the summaries are measured. The store is built once through the public store API
//! (3.65M check-ins, some 5M rows in all, about a minute on 2 cores) and cached, about 2 GB,
//! in `target/bench-data/summary-v1` under the crate root. A `complete` marker is written only
//! after the final `durable()`, so a build that was interrupted is thrown away and redone
//! from scratch; change [`DATA_SHAPE`] whenever the generator changes so old data is not
//! reused. `cargo clean` removes the cache.
//!
//! `cargo test --all-targets` runs benches once in test mode; there a few users in a
//! temporary directory stand in for the cached store, so tests stay fast.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use twohats::app::App;
use twohats::domain::checkin::{CheckIn, EngKind, Fire, FireKind, Win};
use twohats::domain::ids::{Person, Scope, TeamId, UserId};
use twohats::domain::team::{OneOnOne, OneOnOneSource, Report};
use twohats::domain::user::{CriticalPath, UserRecord};
use twohats::store::prelude::*;
use twohats::store::{SledStore, StoreError};

const USERS: usize = 10_000;
const SMOKE_USERS: usize = 20;
const DAYS: i64 = 365;
const TEAM: &str = "TBENCH";
const REPORTS: usize = 4;
/// Threads for the parallel variant: the machine the target is set for has 2 cores.
const THREADS: usize = 2;

/// Written to the marker file; cached data with any other marker is rebuilt.
const DATA_SHAPE: &str =
    "twohats summary bench v1: 10000 users x 365 daily check-ins, 4 reports, ends 2025-12-26\n";

/// The server default; users without a zone of their own are counted in it.
const DEFAULT_TZ: Tz = chrono_tz::UTC;

/// A spread of zones from UTC-8 to UTC+9, so week boundaries and local dates differ between
/// users as they would in a real workspace. `None` is a user who never set one.
const ZONES: [Option<Tz>; 6] = [
    None,
    Some(chrono_tz::Europe::Berlin),
    Some(chrono_tz::America::New_York),
    Some(chrono_tz::America::Los_Angeles),
    Some(chrono_tz::Asia::Kolkata),
    Some(chrono_tz::Asia::Tokyo),
];

/// The year ends on a Friday, the day the summary goes out.
fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 26).expect("a real date")
}

fn first_day() -> NaiveDate {
    last_day() - Duration::days(DAYS - 1)
}

/// Fixed, not the wall clock, so runs compare. 06:00 UTC Saturday is after every zone's
/// Friday check-in (Fri 22:00 in Los Angeles) and still in the same ISO week everywhere
/// (Sat 15:00 in Tokyo).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 27, 6, 0, 0)
        .single()
        .expect("a real instant")
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/summary-v1")
}

/// Criterion runs a bench binary in test mode unless `cargo bench` passed `--bench`, and
/// lists without running under `--list`; neither should build millions of rows.
fn is_real_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

fn scope_of(n: usize) -> Scope {
    Scope::new(
        TeamId::parse(TEAM).expect("valid team id"),
        UserId::parse(&format!("U{n:05}")).expect("valid user id"),
    )
}

/// A local wall-clock time on a date, as an instant. The times used (09:00-19:00) are never
/// in a DST gap in these zones; the UTC fallback only keeps a surprise from panicking.
fn at_local(date: NaiveDate, tz: Tz, minutes: i64) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(minutes);
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
}

/// SplitMix64, seeded per user: the data is the same whichever thread builds a user, and
/// no RNG crate is needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

const NOTES: [&str; 5] = [
    "reviewed the auth migration",
    "hiring loop all afternoon",
    "paired with the new joiner",
    "planning, then an incident review",
    "finally some focus time",
];

const WINS: [&str; 4] = [
    "shipped the search rewrite",
    "promo case for a report went through",
    "on-call load halved",
    "design doc approved",
];

/// One TLM's year, written the way the app writes it: record first, then each history row.
fn populate_user(store: &SledStore, n: usize) -> Result<(), StoreError> {
    let mut rng = Rng::new(n as u64);
    let scope = scope_of(n);
    let own_tz = ZONES[n % ZONES.len()];
    let tz = own_tz.unwrap_or(DEFAULT_TZ);
    let start = first_day();
    let end = last_day();

    // Every tenth TLM got their fourth report mid-year, so some 1:1 histories are shorter.
    let late_joiner = n % 10 == 0;
    let roster: Vec<Report> = (0..REPORTS)
        .map(|r| Report {
            person: Person {
                id: UserId::parse(&format!("R{n:05}{r}")).expect("valid report id"),
                label: Some(format!("report{r}")),
            },
            cadence_days: if r < 2 { 7 } else { 14 },
            added: if late_joiner && r == REPORTS - 1 {
                start + Duration::days(200)
            } else {
                start
            },
        })
        .collect();
    let target_pct = 30 + 5 * rng.below(7) as u8;
    let critical_path = rng.chance(20).then(|| CriticalPath {
        since: end - Duration::days(rng.between(3, 40)),
        what: Some("payments migration".into()),
    });
    store.update_user(&scope, at_local(start, tz, 9 * 60), |record| {
        record.label = Some(format!("tlm{n}"));
        record.tz = own_tz;
        record.target_pct = target_pct;
        record.roster = roster.clone();
        record.critical_path = critical_path.clone();
        Ok::<_, StoreError>(())
    })?;

    // Each TLM leans their own way, so some drift from their target and some don't.
    let lean = i64::from(target_pct) + rng.between(-20, 20);
    for day in 0..DAYS {
        let date = start + Duration::days(day);
        let eng_pct = (lean + rng.between(-25, 25)).clamp(0, 100) / 5 * 5;
        let kinds = if eng_pct == 0 {
            Vec::new()
        } else {
            (0..rng.below(3))
                .map(|_| EngKind::ALL[rng.below(EngKind::ALL.len() as u64) as usize])
                .collect()
        };
        let checkin = CheckIn {
            date,
            at: at_local(date, tz, 15 * 60 + 30 + rng.between(0, 150)),
            eng_pct: eng_pct as u8,
            energy: rng.chance(80).then(|| 1 + rng.below(5) as u8),
            critical_path: critical_path.is_some() && rng.chance(50),
            fires: if rng.chance(3) {
                vec![FireKind::ALL[rng.below(2) as usize]]
            } else {
                Vec::new()
            },
            kinds,
            note: rng
                .chance(15)
                .then(|| NOTES[rng.below(NOTES.len() as u64) as usize].to_string()),
        };
        store.add_checkin(&scope, &checkin)?;
    }

    for report in &roster {
        let cadence = i64::from(report.cadence_days);
        let mut date = report.added + Duration::days(rng.between(0, cadence - 1));
        while date <= end {
            // Some weeks a 1:1 is skipped; some are moved a day or two.
            if !rng.chance(10) {
                let held = (date + Duration::days(rng.between(-1, 1))).min(end);
                store.add_one_on_one(
                    &scope,
                    &OneOnOne {
                        with: report.person.clone(),
                        date: held,
                        at: at_local(held, tz, 17 * 60 + rng.between(0, 120)),
                        source: OneOnOneSource::ByHand,
                    },
                )?;
            }
            date += Duration::days(cadence);
        }
    }

    // A couple of wins a month.
    let mut date = start + Duration::days(rng.between(0, 14));
    while date <= end {
        store.add_win(
            &scope,
            &Win {
                text: WINS[rng.below(WINS.len() as u64) as usize].to_string(),
                public: rng.chance(30),
                date,
                at: at_local(date, tz, 11 * 60 + rng.between(0, 360)),
            },
        )?;
        date += Duration::days(rng.between(10, 20));
    }

    // A few fires a year, logged with `/tlm fire`.
    for _ in 0..rng.between(3, 8) {
        let date = start + Duration::days(rng.between(0, DAYS - 1));
        store.add_fire(
            &scope,
            &Fire {
                kind: FireKind::ALL[rng.below(2) as usize],
                date,
                at: at_local(date, tz, 10 * 60 + rng.between(0, 480)),
            },
        )?;
    }
    Ok(())
}

/// Builds `users` users over [`THREADS`] threads: the store is `Sync`, and sled takes
/// concurrent writers, so this halves the one-off build without leaving the public API.
fn populate(store: &SledStore, users: usize) -> Result<(), StoreError> {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    for n in (1..=users).skip(t).step_by(THREADS) {
                        populate_user(store, n)?;
                        if t == 0 && n % 1000 == 1 && n > 1 {
                            eprintln!("  ... {n} of {users} users");
                        }
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("populating thread panicked"))
    })?;
    // Once at the end rather than per write: this is setup, and durability per row would
    // measure fsync, not the build.
    store.durable()
}

/// The cached store, rebuilt from scratch unless its marker says it is complete and of
/// the current shape.
fn cached_store() -> SledStore {
    let root = cache_dir();
    let marker = root.join("complete");
    let db = root.join("db");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == DATA_SHAPE) {
        let started = Instant::now();
        let store = SledStore::open(&db).expect("open cached bench store");
        eprintln!(
            "opened cached bench data in {} in {:.1?}",
            root.display(),
            started.elapsed()
        );
        return store;
    }
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("remove incomplete bench data");
    }
    std::fs::create_dir_all(&root).expect("create bench data dir");
    eprintln!(
        "building bench data in {} ({USERS} users x {DAYS} days); this takes a few minutes",
        root.display()
    );
    let started = Instant::now();
    let store = SledStore::open(&db).expect("open bench store");
    populate(&store, USERS).expect("populate bench store");
    std::fs::write(&marker, DATA_SHAPE).expect("write bench data marker");
    eprintln!("built bench data in {:.1?}", started.elapsed());
    store
}

fn summaries(c: &mut Criterion) {
    // Kept alive until the end: the smoke store lives in it.
    let smoke_dir;
    let real = is_real_run();
    let store = if real {
        cached_store()
    } else {
        smoke_dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(smoke_dir.path()).expect("open smoke store");
        populate(&store, SMOKE_USERS).expect("populate smoke store");
        store
    };
    let users: Vec<(Scope, UserRecord)> = store
        .users()
        .collect::<Result<_, _>>()
        .expect("read user records");
    let app = App::new(Arc::new(store), DEFAULT_TZ);
    let now = now();

    // A summary with no balance or an empty roster would mean the reads found nothing and
    // the figures below measure empty scans.
    let (scope, record) = &users[users.len() / 2];
    let sample = app.summary_for(scope, record, now).expect("summary");
    assert!(sample.balance.is_some_and(|b| b.days > 0), "{sample:?}");
    assert_eq!(sample.reports.len(), REPORTS, "{sample:?}");
    assert!(sample.trend.iter().all(|p| p.eng_pct.is_some()));

    let all = |users: &[(Scope, UserRecord)]| {
        for (scope, record) in users {
            black_box(app.summary_for(scope, record, now).expect("summary"));
        }
    };

    // The first pass after opening reads every page it touches from disk into sled's cache
    // and takes about twice as long as later ones; left to criterion's warm-up it skews the
    // iteration estimate. It is reported here instead: the figure for a fresh process.
    if real {
        let started = Instant::now();
        all(&users);
        eprintln!(
            "first pass over {} summaries (cold sled cache): {:.2?}",
            users.len(),
            started.elapsed()
        );
    }

    let mut group = c.benchmark_group("summary_for");
    // One iteration takes about a second: flat sampling runs 10 of them rather than the
    // 55 linear sampling would, keeping the run to a minute or two.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(std::time::Duration::from_secs(3))
        .measurement_time(std::time::Duration::from_secs(20));
    group.bench_function("10k summaries", |b| b.iter(|| all(&users)));
    group.bench_function("10k summaries, 2 threads", |b| {
        let per_thread = users.len().div_ceil(THREADS);
        b.iter(|| {
            std::thread::scope(|s| {
                for chunk in users.chunks(per_thread) {
                    s.spawn(|| all(chunk));
                }
            })
        })
    });

    // Fast enough for criterion's usual statistics.
    group
        .sample_size(100)
        .sampling_mode(SamplingMode::Auto)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(5));
    group.bench_function("1 summary", |b| {
        b.iter(|| black_box(app.summary_for(scope, record, now).expect("summary")))
    });
    group.finish();
}

criterion_group!(benches, summaries);
criterion_main!(benches);
