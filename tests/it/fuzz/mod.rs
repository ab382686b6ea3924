//! Fuzz targets, as proptest properties with structure-aware generators: the `/tlm` parser
//! (`parse.rs`), restore's line reader (`restore.rs`) and the interactivity endpoint, from
//! signature to decoded action (`interactions.rs`).
//!
//! `cargo test` runs each target's properties a modest number of times (`PROPTEST_CASES`
//! overrides it). With `TWOHATS_FUZZ_SECONDS=N` a target instead runs batches with fresh
//! random seeds, round-robin over its properties, until N seconds have passed, then prints
//! how many cases ran and every distinct failure (shrunk), and fails if there was any.
//! `scripts/fuzz.sh` runs each target that way. Failures found so become fixed tests.

mod interactions;
mod parse;
mod restore;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs a batch of cases with a runner; the failure, shrunk, as text.
type Batch = Box<dyn Fn(&mut TestRunner) -> Result<(), String>>;

/// One property of a target: a strategy and the check every generated value must pass.
pub struct Property {
    name: &'static str,
    /// Cases per `cargo test` run (without `PROPTEST_CASES`), and per batch in a long run.
    cases: u32,
    batch: Batch,
    /// Executions of the check, shrinking included.
    executed: Arc<AtomicU64>,
}

/// A property named `name` over `strategy`.
pub fn property<S>(
    name: &'static str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError> + 'static,
) -> Property
where
    S: Strategy + 'static,
    S::Value: Debug,
{
    let executed = Arc::new(AtomicU64::new(0));
    let counter = executed.clone();
    let check = Arc::new(check);
    Property {
        name,
        cases,
        batch: Box::new(move |runner| {
            let check = check.clone();
            let counter = counter.clone();
            runner
                .run(&strategy, move |value| {
                    counter.fetch_add(1, Ordering::Relaxed);
                    check(value)
                })
                .map_err(|e| e.to_string())
        }),
        executed,
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        // Failures are reported (shrunk) on stderr and become fixed tests by hand.
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs a target's properties: once each as a test, or for `TWOHATS_FUZZ_SECONDS`.
pub fn run_target(target: &str, properties: Vec<Property>) {
    let long = std::env::var("TWOHATS_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|s| *s > 0);
    match long {
        None => {
            let cases = std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            for p in &properties {
                if let Err(failure) = (p.batch)(&mut runner(cases.unwrap_or(p.cases))) {
                    panic!("{target}/{}: {failure}", p.name);
                }
            }
        }
        Some(seconds) => long_run(target, &properties, Duration::from_secs(seconds)),
    }
}

fn long_run(target: &str, properties: &[Property], budget: Duration) {
    let started = Instant::now();
    // Failure text → (property, how many batches found it).
    let mut failures: BTreeMap<String, (&str, u64)> = BTreeMap::new();
    let mut batches = 0u64;
    let mut last_report = Instant::now();
    eprintln!(
        "fuzz {target}: running {} properties for {} s",
        properties.len(),
        budget.as_secs()
    );
    'run: loop {
        for p in properties {
            if started.elapsed() >= budget {
                break 'run;
            }
            batches += 1;
            if let Err(failure) = (p.batch)(&mut runner(p.cases)) {
                let seen = failures.entry(failure.clone()).or_insert((p.name, 0));
                seen.1 += 1;
                if seen.1 == 1 {
                    eprintln!("fuzz {target}/{}: FAILURE: {failure}", p.name);
                }
            }
            if last_report.elapsed() >= Duration::from_secs(60) {
                last_report = Instant::now();
                eprintln!(
                    "fuzz {target} (progress): {} s, {} cases, {} distinct failures",
                    started.elapsed().as_secs(),
                    total(properties),
                    failures.len()
                );
            }
        }
    }
    let per_property: Vec<String> = properties
        .iter()
        .map(|p| format!("{} {}", p.name, p.executed.load(Ordering::Relaxed)))
        .collect();
    // The line scripts/fuzz.sh quotes.
    println!(
        "fuzz {target}: {:.0} s, {} cases in {batches} batches ({}), {} distinct failures",
        started.elapsed().as_secs_f64(),
        total(properties),
        per_property.join(", "),
        failures.len()
    );
    let outcomes = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
    if !outcomes.is_empty() {
        let counts: Vec<String> = outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("fuzz {target}: outcomes: {}", counts.join(", "));
    }
    for (failure, (name, count)) in &failures {
        println!("fuzz {target}/{name}: found {count} times: {failure}");
    }
    assert!(failures.is_empty(), "fuzz {target} found failures");
}

/// How often each outcome came up, so a long run shows what its inputs reached.
static OUTCOMES: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Counts one case's outcome (an error kind, a status).
pub fn tally(outcome: impl Into<String>) {
    let mut outcomes = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
    *outcomes.entry(outcome.into()).or_default() += 1;
}

fn total(properties: &[Property]) -> u64 {
    properties
        .iter()
        .map(|p| p.executed.load(Ordering::Relaxed))
        .sum()
}

/// A temp dir on tmpfs when there is one: the targets that open stores flush on every write.
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("twohats-fuzz")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().expect("temp dir")
}
