//! Scheduled backups inside `twohats serve`, so nobody has to stop the bot to take one.
//!
//! With `TWOHATS_BACKUP_DIR` set, `serve` writes the whole store into that folder on a
//! schedule (`TWOHATS_BACKUP_CRON`: `daily 03:00` by default, or any schedule `/tlm schedule`
//! takes, read in UTC), in the format of `twohats backup`, while it goes on serving.
//!
//! - **Files** are named `twohats-YYYYMMDDTHHMMSSZ.jsonl` after the fire they are for (UTC),
//!   so their names sort by time; each is written by `App::backup_to_file_until`: a new
//!   0600 file beside the target, synced, renamed into place, the folder synced.
//! - **Keeping**: after each backup written, the newest [`KEEP`] files named so stay and
//!   older ones are deleted, with temporary files a backup cut short left behind. Nothing
//!   else in the folder is touched (another name, a folder, a symlink). One bot per folder.
//! - **Off the async workers**: a backup reads every row, so it runs on the blocking pool;
//!   slash commands, the scheduler tick and the sender go on meanwhile. **One at a time**:
//!   the loop waits for a backup to end before it looks for the next fire, and fires that
//!   passed meanwhile are skipped (a queue of backups helps nobody).
//! - **Failures** (a full disk, a folder gone) are logged and the next fire tries again;
//!   nothing is retried in between, so a folder that stays broken costs one line per fire.
//! - **Catch-up**: at start, when the folder holds no backup for the schedule's latest fire
//!   (the bot was down then, or is new), one is taken at once, named after that fire.
//! - **Shutdown** ends the wait, and gives up a backup in progress (its temporary file is
//!   removed, earlier backups stay), so stopping never waits for a large store's copy.
//! - **`/metrics`**: `twohats_backup_last_success_timestamp_seconds`, when the last backup
//!   was written (at start: the newest one already in the folder; 0 when there is none).
//!
//! `TWOHATS_BACKUP_EVERY_MS` replaces the schedule with a fixed interval (fires on multiples
//! of it since the Unix epoch, at least a second apart so every name is new): for tests and
//! demos, which cannot wait for a minute's cron.
//!
//! What a backup taken while writes go on holds: "Consistency" in `store::sled_store::backup`.

use crate::app::{App, BackupError};
use crate::domain::schedule::ScheduleSpec;
use crate::metrics::Metrics;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How many backups are kept.
pub const KEEP: usize = 7;

/// The schedule when `TWOHATS_BACKUP_CRON` is unset, as an operator would type it.
pub const DEFAULT_SCHEDULE: &str = "daily 03:00";

const PREFIX: &str = "twohats-";
const SUFFIX: &str = "Z.jsonl";
const STAMP: &str = "%Y%m%dT%H%M%S";

/// The longest the loop sleeps before reading the wall clock again, so a clock that was set
/// or a machine that slept moves the next backup with it.
const MAX_NAP: Duration = Duration::from_secs(60);

/// When backups are taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// `TWOHATS_BACKUP_CRON`: a schedule, read in UTC.
    Schedule(ScheduleSpec),
    /// `TWOHATS_BACKUP_EVERY_MS` (tests): on every multiple of this since the Unix epoch.
    Every(Duration),
}

impl When {
    /// The default: [`DEFAULT_SCHEDULE`].
    pub fn default_schedule() -> Self {
        Self::Schedule(ScheduleSpec::weekly(&[], 3, 0))
    }

    /// The latest fire at or before `now`.
    pub fn latest_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Schedule(spec) => spec.latest_fire(now, chrono_tz::UTC).map(|fire| fire.at),
            Self::Every(every) => {
                let (ms, step) = (now.timestamp_millis(), step_ms(*every));
                Utc.timestamp_millis_opt(ms - ms.rem_euclid(step)).single()
            }
        }
    }

    /// The first fire strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Schedule(spec) => spec.next_after(&after),
            Self::Every(every) => {
                let (ms, step) = (after.timestamp_millis(), step_ms(*every));
                let next = (ms - ms.rem_euclid(step)).checked_add(step)?;
                Utc.timestamp_millis_opt(next).single()
            }
        }
    }
}

fn step_ms(every: Duration) -> i64 {
    i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Schedule(spec) => write!(f, "{} UTC", spec.describe()),
            Self::Every(every) => write!(f, "every {} ms", every.as_millis()),
        }
    }
}

/// Scheduled backups: where, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupConfig {
    pub dir: PathBuf,
    pub when: When,
}

/// The file name of the backup for `fire`: `twohats-20270322T030000Z.jsonl`.
pub fn file_name(fire: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", fire.format(STAMP))
}

/// The fire a backup file is named after; `None` for any name [`file_name`] doesn't make.
pub fn fire_of(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let shaped = stamp.len() == 15
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// A temporary file `SledStore::backup_to_file` leaves when cut short: `.NAME.PID.N.tmp`, NAME
/// one of ours.
fn is_our_temp(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((backup, rest)) = inner.split_once(".jsonl.") else {
        return false;
    };
    let numbered = rest
        .split_once('.')
        .is_some_and(|(pid, n)| is_number(pid) && is_number(n));
    numbered && fire_of(&format!("{backup}.jsonl")).is_some()
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Our files in `dir`: backups, newest first, and leftover temporary files. Only regular
/// files count: a folder or a symlink with such a name is not ours.
struct Ours {
    backups: Vec<(String, PathBuf)>,
    temps: Vec<PathBuf>,
}

fn ours(dir: &Path) -> std::io::Result<Ours> {
    let mut found = Ours {
        backups: Vec::new(),
        temps: Vec::new(),
    };
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if fire_of(&name).is_some() {
            found.backups.push((name, entry.path()));
        } else if is_our_temp(&name) {
            found.temps.push(entry.path());
        }
    }
    // Fixed-width UTC stamps: name order is time order.
    found.backups.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(found)
}

/// Deletes all but the newest `keep` backups in `dir` (never `written`, the one just
/// written, even if a clock set back made it sort older), and leftover temporary files.
/// Returns how many files went. Every deletion is tried; the first error is returned.
pub fn prune(dir: &Path, keep: usize, written: &Path) -> std::io::Result<usize> {
    let found = ours(dir)?;
    let old = found.backups.into_iter().skip(keep).map(|(_, path)| path);
    let mut removed = 0;
    let mut first_error = None;
    for path in old.chain(found.temps).filter(|path| path != written) {
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(removed), Err)
}

/// The newest backup in `dir`: the fire it is for, and when it was written (Unix seconds).
fn newest(dir: &Path) -> Option<(DateTime<Utc>, Option<i64>)> {
    let (name, path) = ours(dir).ok()?.backups.into_iter().next()?;
    let written = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(|t| DateTime::<Utc>::from(t).timestamp());
    Some((fire_of(&name)?, written))
}

/// The fire to back up at once when starting: the latest one, unless the folder already
/// has a backup for it (or a later one).
pub fn catch_up(
    when: &When,
    newest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let latest = when.latest_at_or_before(now)?;
    match newest {
        Some(newest) if newest >= latest => None,
        _ => Some(latest),
    }
}

/// Makes sure backups can go to `dir`: creates it (0700, with missing parents) if missing
/// (an existing folder keeps its mode), and checks that a file can be created in it (a probe,
/// removed at once). Called at start, so a bad `TWOHATS_BACKUP_DIR` stops `serve` before it
/// serves rather than failing every night.
pub fn prepare(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    if !std::fs::metadata(dir)?.is_dir() {
        return Err(std::io::Error::other("it is not a folder"));
    }
    let probe = dir.join(format!(".twohats-probe-{}.tmp", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Takes backups as `config` says until `stop` flips. `serve` spawns it after
/// [`prepare`] succeeded.
pub async fn take_backups(
    app: App,
    metrics: Arc<Metrics>,
    config: BackupConfig,
    stop: watch::Receiver<bool>,
) {
    let BackupConfig { dir, when } = config;
    let look = dir.clone();
    let newest = tokio::task::spawn_blocking(move || newest(&look))
        .await
        .ok()
        .flatten();
    if let Some((_, Some(written))) = newest {
        metrics.backup_last_success_timestamp_seconds.set(written);
    }
    let first = catch_up(&when, newest.map(|(fire, _)| fire), Utc::now());
    tracing::info!(
        dir = %dir.display(),
        schedule = %when,
        keep = KEEP,
        catch_up = first.is_some(),
        "scheduled backups on"
    );
    let stopping = stop.clone();
    let job = move |fire| back_up(&app, &metrics, &dir, fire, &|| *stopping.borrow());
    drive(&when, first, job, stop).await;
}

/// One backup, on a blocking thread: write it, then prune. Logs what happened.
fn back_up(
    app: &App,
    metrics: &Metrics,
    dir: &Path,
    fire: DateTime<Utc>,
    stop: &(dyn Fn() -> bool + Sync),
) {
    let name = file_name(fire);
    let path = dir.join(&name);
    let started = std::time::Instant::now();
    tracing::info!(file = %name, "backup started");
    match app.backup_to_file_until(&path, stop) {
        Ok(summary) => {
            metrics
                .backup_last_success_timestamp_seconds
                .set(Utc::now().timestamp());
            tracing::info!(
                file = %name,
                rows = summary.rows,
                trees = summary.trees,
                left_out = summary.skipped,
                ms = started.elapsed().as_millis() as u64,
                "backup written"
            );
            match prune(dir, KEEP, &path) {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, keep = KEEP, "old backups deleted"),
                Err(e) => tracing::warn!(error = %e, "could not delete old backups"),
            }
        }
        Err(BackupError::Stopped) => {
            tracing::info!(file = %name, "backup given up: twohats is shutting down")
        }
        Err(e) => {
            tracing::error!(file = %name, error = %e, "backup failed; the next one is at the next fire")
        }
    }
}

/// The schedule loop: waits for each fire by the wall clock, runs `job` for it on the
/// blocking pool and waits for it to end, then takes the first fire after both that fire and
/// now (so a failure waits for the next fire, and fires missed during a long job are
/// skipped). Starts with `first` when given. Returns when `stop` flips.
async fn drive<F>(
    when: &When,
    first: Option<DateTime<Utc>>,
    job: F,
    mut stop: watch::Receiver<bool>,
) where
    F: Fn(DateTime<Utc>) + Send + Sync + 'static,
{
    let job = Arc::new(job);
    let mut next = first.or_else(|| when.next_after(Utc::now()));
    while let Some(fire) = next {
        if !wait_until(fire, &mut stop).await {
            return;
        }
        let run = job.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || run(fire)).await {
            tracing::error!(error = %e, "a backup panicked; the next one is at the next fire");
        }
        next = when.next_after(fire.max(Utc::now()));
    }
    tracing::warn!(schedule = %when, "the backup schedule fires no more: no further backups");
}

/// Sleeps until the wall clock reaches `fire`; false if `stop` flipped (or its sender is
/// gone) first.
async fn wait_until(fire: DateTime<Utc>, stop: &mut watch::Receiver<bool>) -> bool {
    loop {
        if *stop.borrow() {
            return false;
        }
        let now = Utc::now();
        if now >= fire {
            return true;
        }
        let nap = (fire - now).to_std().unwrap_or_default().min(MAX_NAP);
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            changed = stop.changed() => if changed.is_err() {
                return false;
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::Mutex;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn names_sort_by_time_and_only_ours_parse() {
        let fire = at("2027-03-22T03:00:00Z");
        assert_eq!(file_name(fire), "twohats-20270322T030000Z.jsonl");
        assert_eq!(fire_of(&file_name(fire)), Some(fire));
        let later = file_name(at("2027-10-01T00:00:00Z"));
        assert!(later > file_name(fire));
        for foreign in [
            "twohats-20270322T030000Z.jsonl.bak",
            "twohats-20270322T030000Z.json",
            "twohats-2027-03-22T03:00:00Z.jsonl",
            "twohats-20271399T030000Z.jsonl",
            "twohats-+0270322T030000Z.jsonl",
            "twohats-20270322t030000Z.jsonl",
            "Twohats-20270322T030000Z.jsonl",
            "mine-20270322T030000Z.jsonl",
            ".twohats-20270322T030000Z.jsonl.12.0.tmp",
            "twohats.jsonl",
        ] {
            assert_eq!(fire_of(foreign), None, "{foreign}");
        }
        assert!(is_our_temp(".twohats-20270322T030000Z.jsonl.4242.0.tmp"));
        for not_ours in [
            ".notes.jsonl.4242.0.tmp",
            ".twohats-20270322T030000Z.jsonl.tmp",
            ".twohats-20270322T030000Z.jsonl.x.0.tmp",
            "twohats-20270322T030000Z.jsonl.4242.0.tmp",
        ] {
            assert!(!is_our_temp(not_ours), "{not_ours}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_seven_and_touches_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let names: Vec<String> = (1..=10)
            .map(|day| file_name(at(&format!("2027-03-{day:02}T03:00:00Z"))))
            .collect();
        for name in &names {
            std::fs::write(path(name), "backup").unwrap();
        }
        let foreign = [
            "notes.txt",
            "twohats-20000101T000000Z.jsonl.bak",
            "twohats-old.jsonl",
            ".other.jsonl.1.0.tmp",
        ];
        for name in foreign {
            std::fs::write(path(name), "keep me").unwrap();
        }
        // A folder and a symlink with our names are not ours to delete either.
        std::fs::create_dir(path("twohats-19990101T000000Z.jsonl")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(path("notes.txt"), path("twohats-19980101T000000Z.jsonl"))
            .unwrap();
        std::fs::write(
            path(".twohats-20270301T030000Z.jsonl.77.0.tmp"),
            "cut short",
        )
        .unwrap();

        let newest = path(&names[9]);
        assert_eq!(prune(dir.path(), KEEP, &newest).unwrap(), 4);
        for (i, name) in names.iter().enumerate() {
            assert_eq!(path(name).exists(), i >= 3, "{name}");
        }
        for name in foreign {
            assert_eq!(std::fs::read_to_string(path(name)).unwrap(), "keep me");
        }
        assert!(path("twohats-19990101T000000Z.jsonl").is_dir());
        #[cfg(unix)]
        assert!(path("twohats-19980101T000000Z.jsonl").is_symlink());
        assert!(!path(".twohats-20270301T030000Z.jsonl.77.0.tmp").exists());
        // Nothing more to do the second time.
        assert_eq!(prune(dir.path(), KEEP, &newest).unwrap(), 0);
    }

    #[test]
    fn pruning_never_deletes_the_backup_just_written() {
        // The clock was set back: the new backup sorts oldest.
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=8 {
            let name = file_name(at(&format!("2030-01-{day:02}T03:00:00Z")));
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let written = dir.path().join(file_name(at("2027-03-22T03:00:00Z")));
        std::fs::write(&written, "").unwrap();
        assert_eq!(prune(dir.path(), KEEP, &written).unwrap(), 1);
        assert!(written.exists());
        assert_eq!(ours(dir.path()).unwrap().backups.len(), KEEP + 1);
    }

    #[test]
    fn the_default_is_daily_at_three_utc_whatever_the_machine_zone() {
        let when = When::default_schedule();
        assert_eq!(
            when,
            When::Schedule(ScheduleSpec::parse(DEFAULT_SCHEDULE).unwrap())
        );
        assert_eq!(
            when.next_after(at("2027-03-22T02:59:59Z")),
            Some(at("2027-03-22T03:00:00Z"))
        );
        assert_eq!(
            when.next_after(at("2027-03-22T03:00:00Z")),
            Some(at("2027-03-23T03:00:00Z"))
        );
        assert_eq!(
            when.latest_at_or_before(at("2027-03-22T02:59:59Z")),
            Some(at("2027-03-21T03:00:00Z"))
        );
        assert_eq!(
            when.latest_at_or_before(at("2027-03-22T03:00:00Z")),
            Some(at("2027-03-22T03:00:00Z"))
        );
        // Cron, across Europe's spring-forward night: UTC has no gap.
        let sunday = When::Schedule(ScheduleSpec::parse("30 1 * * 0").unwrap());
        assert_eq!(
            sunday.next_after(at("2027-03-27T12:00:00Z")),
            Some(at("2027-03-28T01:30:00Z"))
        );
    }

    #[test]
    fn an_interval_fires_on_its_multiples_since_the_epoch() {
        let when = When::Every(Duration::from_millis(1500));
        assert_eq!(
            when.latest_at_or_before(at("1970-01-01T00:00:04Z")),
            Some(at("1970-01-01T00:00:03Z"))
        );
        assert_eq!(
            when.next_after(at("1970-01-01T00:00:03Z")),
            Some(at("1970-01-01T00:00:04.500Z"))
        );
        assert_eq!(
            when.next_after(at("1969-12-31T23:59:59Z")),
            Some(at("1970-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn a_missed_fire_is_caught_up_once_at_start() {
        let when = When::default_schedule();
        let now = at("2027-03-22T09:15:00Z");
        let missed = at("2027-03-22T03:00:00Z");
        assert_eq!(catch_up(&when, None, now), Some(missed));
        assert_eq!(
            catch_up(&when, Some(at("2027-03-21T03:00:00Z")), now),
            Some(missed)
        );
        assert_eq!(catch_up(&when, Some(missed), now), None);
        assert_eq!(catch_up(&when, Some(at("2030-01-01T03:00:00Z")), now), None);
    }

    #[test]
    fn the_newest_backup_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(newest(dir.path()), None);
        std::fs::write(dir.path().join("twohats-zzz.jsonl"), "").unwrap();
        for day in [3, 1, 2] {
            let name = file_name(at(&format!("2027-03-{day:02}T03:00:00Z")));
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let (fire, written) = newest(dir.path()).unwrap();
        assert_eq!(fire, at("2027-03-03T03:00:00Z"));
        assert!(written.is_some_and(|t| t > 0));
    }

    #[test]
    fn prepare_creates_a_private_folder_and_refuses_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("a/b/backups");
        prepare(&backups).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&backups).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        prepare(&backups).unwrap();
        assert_eq!(
            std::fs::read_dir(&backups).unwrap().count(),
            0,
            "the probe is gone"
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(prepare(&file).is_err());
    }

    /// Runs `drive` with `job` every `every` until `runs` fires were attempted (bounded), then
    /// stops it. Returns the fires attempted, and how long the whole took.
    async fn drive_until(
        every: Duration,
        runs: usize,
        job: impl Fn(DateTime<Utc>) + Send + Sync + 'static,
    ) -> (Vec<DateTime<Utc>>, Duration) {
        let fires = Arc::new(Mutex::new(Vec::new()));
        let seen = fires.clone();
        let (stop, stopped) = watch::channel(false);
        let started = std::time::Instant::now();
        let task = tokio::spawn(async move {
            drive(
                &When::Every(every),
                None,
                move |fire| {
                    seen.lock().unwrap().push(fire);
                    job(fire);
                },
                stopped,
            )
            .await
        });
        for _ in 0..2_000 {
            if fires.lock().unwrap().len() >= runs {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(true).unwrap();
        task.await.unwrap();
        let elapsed = started.elapsed();
        let fires = fires.lock().unwrap().clone();
        (fires, elapsed)
    }

    #[tokio::test]
    async fn a_failing_backup_waits_for_the_next_fire() {
        // The job fails (panics, the worst case) every time: it is tried once per fire, and
        // no oftener however many times it fails.
        let every = Duration::from_millis(20);
        let (fires, elapsed) = drive_until(every, 5, |_| panic!("disk full")).await;
        assert!(fires.len() >= 5, "{fires:?}");
        let most = elapsed.as_millis() / every.as_millis() + 2;
        assert!(
            fires.len() as u128 <= most,
            "{} attempts in {elapsed:?}",
            fires.len()
        );
        assert!(fires
            .windows(2)
            .all(|w| w[1] - w[0] >= chrono::Duration::milliseconds(20)));
    }

    #[tokio::test]
    async fn fires_missed_during_a_long_backup_are_skipped_and_one_runs_at_a_time() {
        let every = Duration::from_millis(10);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most_at_once = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, m) = (running.clone(), most_at_once.clone());
        let (fires, _) = drive_until(every, 4, move |_| {
            m.fetch_max(r.fetch_add(1, SeqCst) + 1, SeqCst);
            std::thread::sleep(Duration::from_millis(60)); // six fires long
            r.fetch_sub(1, SeqCst);
        })
        .await;
        assert!(fires.len() >= 4, "{fires:?}");
        assert_eq!(most_at_once.load(SeqCst), 1);
        // The next backup is the first fire after the last one ended, not the backlog.
        for pair in fires.windows(2) {
            assert!(
                pair[1] - pair[0] >= chrono::Duration::milliseconds(50),
                "{fires:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_backup_never_holds_up_async_work() {
        // One async worker, the harshest case: the job waits for a message that only an
        // async task can send. On the worker it would wait in vain; on the blocking pool the
        // task runs meanwhile.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Mutex::new(rx);
        let started = Arc::new(tokio::sync::Notify::new());
        let (begun, answered) = (started.clone(), Arc::new(AtomicBool::new(false)));
        let got = answered.clone();
        let messenger = tokio::spawn(async move {
            started.notified().await;
            tx.send(()).unwrap();
        });
        let (fires, _) = drive_until(Duration::from_millis(10), 1, move |_| {
            begun.notify_one();
            let heard = rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
            got.store(heard.is_ok(), SeqCst);
        })
        .await;
        assert!(!fires.is_empty());
        messenger.await.unwrap();
        assert!(answered.load(SeqCst), "the backup blocked the async worker");
    }

    #[tokio::test]
    async fn stopping_ends_the_wait_at_once() {
        // The next fire is hours away (a naive sleep would nap a minute at a time).
        let (stop, stopped) = watch::channel(false);
        let every_day = When::Every(Duration::from_secs(86_400));
        let task = tokio::spawn(async move {
            drive(&every_day, None, |_| panic!("no fire"), stopped).await;
        });
        // Let it start waiting, then stop.
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("the backup loop stops when told")
            .unwrap();
    }
}
