//! Backups while the bot runs: `serve` with `TWOHATS_BACKUP_DIR` writes the whole store into
//! that folder on its schedule while slash commands go on, keeps the last 7, and a backup so
//! taken restores with `twohats restore`.
//!
//! The schedule here is `TWOHATS_BACKUP_EVERY_MS=1000` (a test setting): the real one is a
//! cron, and a minute's cron is too slow for a test. Which check-ins a backup must hold is
//! decided by causality on one clock: a backup file is named after its fire, and `serve`
//! starts it only once the wall clock has reached that fire; the test records the instant
//! each check-in's acknowledgement arrived by the same wall clock (libfaketime, when
//! `scripts/any-date.sh` runs the suite, moves both by the same offset). A check-in
//! acknowledged before the fire was written before the backup began, so it must be in it;
//! the senders keep writing while the backup runs.

use super::{fake_slack, reply_text, spawn_serve, Served, SECRET, TEAM};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::slack::backups::{file_name, fire_of, KEEP};
use twohats::store::prelude::*;
use twohats::store::SledStore;

const SENDERS: usize = 8;
/// Check-ins acknowledged before the test picks the backup that must hold them.
const BEFORE: usize = 200;
/// Check-ins per user: under the cap of 50 a day.
const PER_USER: usize = 40;

/// One acknowledged check-in: whose, its unique note, and when the answer arrived.
struct Ack {
    user: String,
    note: String,
    at: DateTime<Utc>,
}

/// Sends signed check-ins until `stop`, recording each one acknowledged.
fn sender(
    base: String,
    sender: usize,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Vec<Ack>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            let user = format!("U0BAK{sender:02}X{:03}", i / PER_USER);
            let note = format!("b{sender}n{i}");
            i += 1;
            let text = format!("checkin {} {note}", i % 101);
            let Some(reply) = super::try_command(&http, &base, &user, &text).await else {
                break;
            };
            if reply_text(&reply).contains("Checked in") {
                // Taken after the answer arrived: the write happened before this instant.
                let at = Utc::now();
                acks.lock().unwrap().push(Ack { user, note, at });
            }
        }
    })
}

/// Our backup files in `dir` (by name), oldest first.
fn backup_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|name| fire_of(name).is_some())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits (bounded) for a backup in `dir` for a fire after `after`, and reads it at once (it
/// may be pruned later). Returns its fire, its bytes and its mode.
async fn backup_after(
    served: &Served,
    dir: &Path,
    after: DateTime<Utc>,
) -> (DateTime<Utc>, Vec<u8>, u32) {
    for _ in 0..2_400 {
        for name in backup_names(dir).into_iter().rev() {
            let fire = fire_of(&name).unwrap();
            if fire <= after {
                break;
            }
            // Pruned between the listing and here: a later one will do.
            let Ok(mut file) = std::fs::File::open(dir.join(&name)) else {
                continue;
            };
            let mode = file.metadata().unwrap().permissions();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&mode);
            #[cfg(not(unix))]
            let mode = if mode.readonly() { 0o400 } else { 0o600 };
            return (fire, bytes, mode & 0o777);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "no backup after {after} within a minute: {:?}; log:\n{}",
        backup_names(dir),
        served.logs()
    );
}

/// The notes of every check-in stored for a user (each of this test's is unique).
fn notes_on_disk(store: &SledStore, user: &str) -> Vec<String> {
    let scope = Scope::new(TeamId::parse(TEAM).unwrap(), UserId::parse(user).unwrap());
    store
        .export_user(&scope)
        .unwrap()
        .checkins
        .into_iter()
        .filter_map(|c| c.note)
        .collect()
}

/// `twohats restore` of `bytes` into a new, empty data dir; returns the dir.
fn restore(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.jsonl");
    std::fs::write(&file, bytes).unwrap();
    let data = dir.path().join("restored");
    let out = Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("restore")
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .env_remove("TWOHATS_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, data)
}

async fn metric(served: &Served, name: &str) -> Option<f64> {
    let text = served
        .http
        .get(format!("{}/metrics", served.base))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// SIGTERM, and a bounded wait for a clean exit.
async fn stop(served: &mut Served) {
    let pid = served.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    for _ in 0..600 {
        if let Some(status) = served.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}; log:\n{}", served.logs());
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("still running 15 s after SIGTERM; log:\n{}", served.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_checkins_pour_in_restores_every_one_acknowledged_before_it() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path();
    // What an earlier run left (older than any fire today), and a file that isn't ours.
    let old: Vec<String> = (1..=KEEP + 1)
        .map(|day| file_name(format!("2000-01-{day:02}T03:00:00Z").parse().unwrap()))
        .collect();
    for name in &old {
        std::fs::write(dir.join(name), "an old backup").unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a backup").unwrap();

    let mut served = Served::start_with_env(
        fake_slack().await,
        &[
            ("TWOHATS_BACKUP_DIR", dir.to_str().unwrap()),
            ("TWOHATS_BACKUP_EVERY_MS", "1000"),
        ],
    )
    .await;

    let (halt, acks) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| sender(served.base.clone(), s, halt.clone(), acks.clone()))
        .collect();
    for _ in 0..2_400 {
        if acks.lock().unwrap().len() >= BEFORE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let acked_then = acks.lock().unwrap().len();
    assert!(
        acked_then >= BEFORE,
        "only {acked_then} acknowledged; log:\n{}",
        served.logs()
    );
    // A backup for a fire after now began after every check-in acknowledged so far; the
    // senders go on writing while it runs.
    let picked_after = Utc::now();
    let (fire, bytes, mode) = backup_after(&served, dir, picked_after).await;
    halt.store(true, Ordering::SeqCst);
    for s in senders {
        s.await.unwrap();
    }
    assert_eq!(mode, 0o600, "the backup file's mode");

    // Every check-in acknowledged before the backup's fire is in the restored store.
    let (_restored_dir, data) = restore(&bytes);
    let store = SledStore::open(&data).unwrap();
    let acks = std::mem::take(&mut *acks.lock().unwrap());
    let mut before: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ack in acks.iter().filter(|a| a.at < fire) {
        before.entry(&ack.user).or_default().push(&ack.note);
    }
    let mut found = 0;
    for (user, notes) in before {
        let on_disk = notes_on_disk(&store, user);
        for note in notes {
            assert!(
                on_disk.iter().any(|n| n == note),
                "check-in {note} of {user} was acknowledged before the backup for {fire} began, \
                 but is not in it"
            );
            found += 1;
        }
    }
    assert!(found >= acked_then, "{found} < {acked_then}");
    drop(store);

    // The metric: when the last backup was written, after the one picked began.
    let mut last = None;
    for _ in 0..400 {
        last = metric(&served, "twohats_backup_last_success_timestamp_seconds").await;
        if last.is_some_and(|t| t >= fire.timestamp() as f64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        last.is_some_and(|t| t >= fire.timestamp() as f64),
        "twohats_backup_last_success_timestamp_seconds = {last:?}, the backup's fire {fire}"
    );

    // Only the last 7 stay: wait (bounded) until new backups have pushed out every old
    // one, then stop serve and count. Files that aren't ours stay.
    for _ in 0..2_400 {
        if !backup_names(dir).iter().any(|name| old.contains(name)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stop(&mut served).await;
    let names = backup_names(dir);
    assert!(!names.iter().any(|name| old.contains(name)), "{names:?}");
    assert_eq!(names.len(), KEEP, "{names:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "not a backup"
    );
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[tokio::test]
async fn a_failed_backup_is_logged_and_the_next_fire_takes_one() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("backups");
    let mut served = Served::start_with_env(
        fake_slack().await,
        &[
            ("TWOHATS_BACKUP_DIR", dir.to_str().unwrap()),
            ("TWOHATS_BACKUP_EVERY_MS", "1000"),
        ],
    )
    .await;
    // Created at start, readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    backup_after(&served, &dir, DateTime::<Utc>::MIN_UTC).await;

    // The folder disappears: backups fail, each logged, one per fire (no retry between).
    let gone = std::time::Instant::now();
    for _ in 0..100 {
        // A backup may be creating its temporary file meanwhile: try again.
        if std::fs::remove_dir_all(&dir).is_ok() && !dir.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!dir.exists());
    let failures = |logs: &str| logs.matches("backup failed").count();
    for _ in 0..2_400 {
        if failures(&served.logs()) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let failed = failures(&served.logs());
    let most = gone.elapsed().as_secs() as usize + 2;
    assert!(
        (2..=most).contains(&failed),
        "{failed} failures logged, at most {most} expected; log:\n{}",
        served.logs()
    );

    // Back again: the next fire writes a backup.
    std::fs::create_dir(&dir).unwrap();
    backup_after(&served, &dir, DateTime::<Utc>::MIN_UTC).await;
    stop(&mut served).await;
}

#[tokio::test]
async fn a_bad_backup_setting_stops_serve_at_start_naming_the_variable() {
    let slack = fake_slack().await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let folder = scratch.path().join("backups");
    for (env, variable) in [
        (
            [
                ("TWOHATS_BACKUP_DIR", folder.to_str().unwrap()),
                ("TWOHATS_BACKUP_CRON", "every night at three"),
            ],
            "TWOHATS_BACKUP_CRON",
        ),
        (
            [
                ("TWOHATS_BACKUP_DIR", file.to_str().unwrap()),
                ("TWOHATS_BACKUP_CRON", "daily 03:00"),
            ],
            "TWOHATS_BACKUP_DIR",
        ),
    ] {
        let mut vars = vec![("SLACK_SIGNING_SECRET", SECRET)];
        vars.extend(env);
        let (mut child, _) = spawn_serve(&scratch.path().join("db"), &slack, &vars, Stdio::piped());
        let mut status = None;
        for _ in 0..600 {
            status = child.try_wait().unwrap();
            if status.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let Some(status) = status else {
            let _ = child.kill();
            panic!("serve started with a bad {variable}");
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success());
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("twohats: {variable}")),
            "{variable}: {stderr}"
        );
    }
    assert!(
        !folder.exists(),
        "nothing is created when the schedule is bad"
    );
}

#[tokio::test]
async fn the_schedule_is_read_in_utc_and_a_fire_missed_while_down_is_taken_at_start() {
    use chrono::{DurationRound, Timelike};
    // A daily cron whose latest fire was two hours ago, in UTC (the machine's zone, which
    // `scripts/any-date.sh` varies, plays no part): at start the folder has no backup for it,
    // so one is taken at once, named after that fire. The next fire is 22 hours away.
    let missed = (Utc::now() - chrono::Duration::hours(2))
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let cron = format!("{} {} * * *", missed.minute(), missed.hour());
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path();
    let env = [
        ("TWOHATS_BACKUP_DIR", dir.to_str().unwrap()),
        ("TWOHATS_BACKUP_CRON", cron.as_str()),
    ];
    let mut served = Served::start_with_env(fake_slack().await, &env).await;
    let (fire, _, _) = backup_after(&served, dir, DateTime::<Utc>::MIN_UTC).await;
    assert_eq!(fire, missed, "cron `{cron}`");
    stop(&mut served).await;
    assert_eq!(backup_names(dir), [file_name(missed)]);

    // Started again: that fire has its backup, so none is taken, and the metric says when
    // the one there was written rather than 0.
    let written = std::fs::metadata(dir.join(file_name(missed)))
        .unwrap()
        .modified()
        .unwrap();
    let written = DateTime::<Utc>::from(written).timestamp() as f64;
    let mut again = Served::start_with_env(fake_slack().await, &env).await;
    let mut seen = None;
    for _ in 0..400 {
        seen = metric(&again, "twohats_backup_last_success_timestamp_seconds").await;
        if seen == Some(written) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, Some(written));
    stop(&mut again).await;
    assert!(!again.logs().contains("backup started"), "{}", again.logs());
    assert_eq!(backup_names(dir), [file_name(missed)]);
}
