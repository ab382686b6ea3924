//! `serve` started at the instants where a retroactive message would show — a Sunday evening
//! (Friday's summary is still "this week") and a Monday just after 09:00 (the default digest
//! time has just passed) — with libfaketime moving the server's clock. A new user and a new
//! digest channel get nothing over two scheduler rounds.

use super::{posts, Served};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::path::PathBuf;

/// Where Debian's `faketime` package puts the library.
fn libfaketime() -> Option<PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// `serve` whose clock starts at `start` (UTC) and runs on, ticking every 200 ms.
async fn serve_at(start: DateTime<Utc>, lib: &std::path::Path) -> Served {
    // An absolute start (`@…`) is read in the process's TZ, hence TZ=UTC; it also ignores any
    // offset this test process itself runs under (scripts/any-date.sh).
    let faketime = format!("@{}", start.format("%Y-%m-%d %H:%M:%S"));
    let lib = lib.display().to_string();
    let skew = start - Utc::now();
    let mut served = Served::start_with_env(
        super::fake_slack().await,
        &[
            ("LD_PRELOAD", &lib),
            ("FAKETIME", &faketime),
            ("TZ", "UTC"),
            ("TWOHATS_TICK_MS", "200"),
        ],
    )
    .await;
    served.clock_skew = skew;
    served
}

async fn scheduler_ticks(served: &Served) -> u64 {
    served
        .metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix("twohats_scheduler_ticks_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits (bounded) until the scheduler has run `rounds` more times.
async fn wait_rounds(served: &Served, rounds: u64) {
    let start = scheduler_ticks(served).await;
    for _ in 0..400 {
        if scheduler_ticks(served).await >= start + rounds {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "the scheduler did not run {rounds} rounds; log:\n{}",
        served.logs()
    );
}

async fn a_newcomer_hears_nothing_from_before(start: &str) {
    let Some(lib) = libfaketime() else {
        eprintln!(
            "skipped: libfaketime is not installed (Debian package faketime; .ci/run installs it)"
        );
        return;
    };
    let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc();
    let served = serve_at(start, &lib).await;
    let (status, reply) = served.command("U0NEW", "checkin 60").await;
    assert_eq!(status, 200, "{}", served.logs());
    assert!(reply.to_string().contains("60% engineering"), "{reply}");
    let (status, reply) = served.command("U0NEW", "digest <#C0NEW|new>").await;
    assert_eq!(status, 200);
    assert!(reply.to_string().contains("#new"), "{reply}");
    wait_rounds(&served, 2).await;
    let sent: Vec<Value> = posts(&served.slack).await;
    assert!(
        sent.is_empty(),
        "nothing from before first contact at {start}: {sent:?}"
    );
    // The server really ran at the faked instant: the reply's week is that week.
    let (_, summary) = served.command("U0NEW", "summary").await;
    let week = chrono::Datelike::iso_week(&start.date_naive()).week();
    assert!(
        summary.to_string().contains(&format!("W{week:02}")),
        "the server's clock is not at {start}: {summary}"
    );
}

#[tokio::test]
async fn serve_on_a_sunday_evening_sends_a_new_user_no_summary_for_the_friday_before() {
    a_newcomer_hears_nothing_from_before("2026-11-29 22:45:00").await;
}

#[tokio::test]
async fn serve_on_a_monday_after_nine_sends_a_new_channel_no_digest_for_this_morning() {
    a_newcomer_hears_nothing_from_before("2027-03-22 09:00:40").await;
}
