//! The scheduler: which scheduled messages are due, composed and claimed exactly once.
//!
//! A tick looks, for every user and every subscribed channel, at the latest time each job
//! fired (in the subject's own zone). If that fire is still relevant and its (subject, job,
//! local day) isn't in the ledger yet, the message is composed now and claimed — ledger entry
//! and outbox message in one transaction — then made durable. Users are read one at a time
//! and claims made durable every [`TICK_BATCH`] jobs, so a tick with 10,000 messages due holds
//! no more than one with a hundred. Delivery is the outbox sender's business (Slack, or the
//! console's printer). So:
//! - a fire missed while the bot was down is sent once when it comes back, if still relevant;
//!   only the latest missed one, because only the latest fire is looked at;
//! - a local time that happens twice (DST) or a schedule edited the same day claims the same
//!   local day, so nothing is sent twice;
//! - a paused user's fire is claimed as skipped, so `resume` picks up at the next fire;
//! - a fire from before the job took its current form (first contact, a schedule or zone
//!   change, a subscription or its rescheduling) is never sent (`domain::due`);
//! - a stored row that doesn't decode costs only its own subject's message: the store's
//!   loops skip it, and a job whose composing meets one is logged (ids only) and left
//!   unclaimed, so the next tick tries again. Only a failing store stops a tick.

use super::{App, AppError};
use crate::domain::digest::{default_digest_schedule, Subscription};
use crate::domain::due::{fire_to_send, Relevance};
use crate::domain::ids::{Person, Scope, TeamId};
use crate::domain::job::JobKind;
use crate::domain::nudge::Nudge;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::user::{TeamSizeNudged, UserRecord};
use crate::render::summary::{checkin_prompt_doc, digest_doc, summary_doc};
use crate::render::Doc;
use crate::store::StoreExt;
use crate::store::{LedgerKey, OutboxItem, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// How many due jobs a tick composes and claims before it makes them durable and goes on
/// with the next, within the same tick. sled holds a tick's unflushed writes in its log
/// buffers until a flush: 10,000 summaries claimed with one flush at the end peaked at
/// ~15 MB there (BENCHMARKS.md, "Many messages due at once").
pub const TICK_BATCH: usize = 64;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TickReport {
    /// Messages composed and queued.
    pub queued: usize,
    /// Fires claimed without a message (paused users).
    pub skipped: usize,
    /// For each queued message, seconds between its fire time and now: the scheduler's lag.
    pub lag_seconds: Vec<f64>,
    /// Jobs that panicked and were skipped (left unclaimed).
    pub panicked: usize,
}

/// A scheduled job's name in the ledger: part of the on-disk format.
fn job_name(job: JobKind) -> &'static str {
    match job {
        JobKind::Checkin => "checkin",
        JobKind::Summary => "summary",
    }
}

/// A scheduled message whose time has come and which nobody has claimed yet.
#[derive(Debug, Clone)]
pub enum DueJob {
    User {
        scope: Scope,
        record: Box<UserRecord>,
        job: JobKind,
        key: LedgerKey,
        paused: bool,
        fire_at: DateTime<Utc>,
    },
    Digest {
        team: TeamId,
        channel: crate::domain::ids::ChannelId,
        key: LedgerKey,
        fire_at: DateTime<Utc>,
    },
}

impl DueJob {
    /// The team and the subject (user or channel id) for logs: ids only, never content.
    fn ids(&self) -> (TeamId, String) {
        match self {
            DueJob::User { scope, .. } => (scope.team.clone(), scope.user.to_string()),
            DueJob::Digest { team, channel, .. } => (team.clone(), channel.to_string()),
        }
    }
}

impl App {
    /// Everything due at `now` and not yet claimed: the cheap half of a tick (no composing,
    /// no writes), so it can be measured and run often. A tick walks the same jobs lazily
    /// instead ([`App::tick`]): this holds them all at once.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<DueJob>, StoreError> {
        self.due_jobs(now).collect()
    }

    /// What is due at `now` and not yet claimed, one job at a time: users in key order, then
    /// subscribed channels. Each user's record is read (and checked against the ledger) only
    /// when its turn comes, so a tick holds the job in hand, never everyone's records.
    fn due_jobs(
        &self,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = Result<DueJob, StoreError>> + '_ {
        let users = self
            .store
            .users()
            .flat_map(move |row| self.user_due(row, now));
        let digests = std::iter::once_with(move || self.store.all_subscriptions()).flat_map(
            move |subs| -> Vec<Result<DueJob, StoreError>> {
                match subs {
                    Ok(subs) => subs
                        .into_iter()
                        .filter_map(|(team, sub)| self.digest_due(team, sub, now).transpose())
                        .collect(),
                    Err(e) => vec![Err(e)],
                }
            },
        );
        users.chain(digests)
    }

    /// One user's jobs due at `now` and not yet claimed (a store error ends the list).
    fn user_due(
        &self,
        row: Result<(Scope, UserRecord), StoreError>,
        now: DateTime<Utc>,
    ) -> Vec<Result<DueJob, StoreError>> {
        let (scope, record) = match row {
            Ok(row) => row,
            Err(e) => return vec![Err(e)],
        };
        let tz = self.zone(&record, None);
        let mut due = Vec::new();
        for job in [JobKind::Checkin, JobKind::Summary] {
            let Some(spec) = record.schedule(job).effective(job) else {
                continue;
            };
            let since = record.job_in_force_since(job);
            let Some(fire) = fire_to_send(&spec, now, tz, relevance(job), since) else {
                continue;
            };
            let key = LedgerKey::new(
                &scope.team,
                scope.user.as_str(),
                job_name(job),
                fire.local.date(),
            );
            match self.store.is_claimed(&key) {
                Ok(true) => {}
                Ok(false) => {
                    let paused = record.pause_on(fire.local.date()).is_some();
                    due.push(Ok(DueJob::User {
                        scope: scope.clone(),
                        record: Box::new(record.clone()),
                        job,
                        key,
                        paused,
                        fire_at: fire.at,
                    }));
                }
                Err(e) => {
                    due.push(Err(e));
                    break;
                }
            }
        }
        due
    }

    /// A subscribed channel's digest if it is due at `now` and not yet claimed.
    fn digest_due(
        &self,
        team: TeamId,
        sub: Subscription,
        now: DateTime<Utc>,
    ) -> Result<Option<DueJob>, StoreError> {
        let (tz, owner_tz_since) = match self.owner_zone(&team, &sub) {
            Ok(zone) => zone,
            Err(e) => {
                skip_undecodable(e, &team, sub.channel.id.as_str(), "digest")?;
                return Ok(None);
            }
        };
        let spec = sub.schedule.clone().unwrap_or_else(default_digest_schedule);
        let since = sub.in_force_since(owner_tz_since);
        let Some(fire) = fire_to_send(&spec, now, tz, Relevance::SameWeek, since) else {
            return Ok(None);
        };
        let key = LedgerKey::new(&team, sub.channel.id.as_str(), "digest", fire.local.date());
        if self.store.is_claimed(&key)? {
            return Ok(None);
        }
        Ok(Some(DueJob::Digest {
            team,
            channel: sub.channel.id,
            key,
            fire_at: fire.at,
        }))
    }

    /// Every instant in `(from, to]` at which some schedule fires, sorted: what a scheduler
    /// running all along would have ticked at. The console replays time with it.
    pub fn fire_times(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let mut specs: Vec<(ScheduleSpec, Tz)> = Vec::new();
        for row in self.store.users() {
            let (_, record) = row?;
            let tz = self.zone(&record, None);
            for job in [JobKind::Checkin, JobKind::Summary] {
                specs.extend(record.schedule(job).effective(job).map(|s| (s, tz)));
            }
        }
        for (team, sub) in self.store.all_subscriptions()? {
            let tz = match self.owner_tz(&team, &sub) {
                Ok(tz) => tz,
                Err(e) => {
                    skip_undecodable(e, &team, sub.channel.id.as_str(), "digest")?;
                    continue;
                }
            };
            specs.push((
                sub.schedule.clone().unwrap_or_else(default_digest_schedule),
                tz,
            ));
        }
        let mut times = Vec::new();
        for (spec, tz) in specs {
            let mut at = from.with_timezone(&tz);
            while let Some(next) = spec.next_after(&at) {
                if next.with_timezone(&Utc) > to {
                    break;
                }
                times.push(next.with_timezone(&Utc));
                at = next;
            }
        }
        times.sort();
        times.dedup();
        Ok(times)
    }

    /// Claims and queues everything due at `now`, [`TICK_BATCH`] jobs at a time: each batch
    /// is made durable before the next is composed, and all of it before this returns. One
    /// job is in hand at a time, so what a tick holds is bounded however many are due.
    pub fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, AppError> {
        let mut report = TickReport::default();
        let mut in_batch = 0;
        for job in self.due_jobs(now) {
            let job = job?;
            let (team, subject) = job.ids();
            // One job's panic (a bug meeting one user's data) must not stop everyone else's
            // messages: it is logged and counted, its fire stays unclaimed, and the tick goes on.
            let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.tick_one(job, now, &mut report)
            }));
            match done {
                Ok(result) => result?,
                Err(_) => {
                    report.panicked += 1;
                    tracing::error!(%team, subject = %subject, "a scheduled job panicked; skipped it, the tick goes on");
                }
            }
            in_batch += 1;
            if in_batch == TICK_BATCH {
                self.store.durable()?;
                in_batch = 0;
            }
        }
        self.store.durable()?;
        Ok(report)
    }

    /// Composes and claims one due job, adding what it did to `report`.
    fn tick_one(
        &self,
        job: DueJob,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), AppError> {
        let fire_at = match &job {
            DueJob::User { fire_at, .. } | DueJob::Digest { fire_at, .. } => *fire_at,
        };
        let (key, message) = match job {
            DueJob::User {
                key, paused: true, ..
            } => (key, None),
            DueJob::User {
                scope,
                record,
                job,
                key,
                ..
            } => {
                // A fault only unit tests compile in: the panic the isolation is for.
                #[cfg(test)]
                if scope.user.as_str() == "UPANIC" {
                    panic!("test fault for {}", scope.user);
                }
                let doc = match job {
                    JobKind::Checkin => checkin_prompt_doc(),
                    JobKind::Summary => match self.summary_job(&scope, &record, now) {
                        Ok(doc) => doc,
                        Err(e) => {
                            let subject = scope.user.as_str();
                            skip_undecodable(e, &scope.team, subject, "summary")?;
                            return Ok(());
                        }
                    },
                };
                let item = outbox_item(&scope.team, scope.user.as_str(), doc, &key, now);
                (key, Some(item))
            }
            DueJob::Digest {
                team, channel, key, ..
            } => {
                let digest = match self.digest(&team, &channel, now) {
                    Ok(Some(digest)) => digest,
                    Ok(None) => return Ok(()),
                    Err(AppError::Store(e)) => {
                        skip_undecodable(e, &team, channel.as_str(), "digest")?;
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                let item = outbox_item(&team, channel.as_str(), digest_doc(&digest), &key, now);
                (key, Some(item))
            }
        };
        let skipped = message.is_none();
        if self.store.claim(&key, message.as_ref(), now)? {
            if skipped {
                report.skipped += 1;
            } else {
                report.queued += 1;
                report
                    .lag_seconds
                    .push(now.signed_duration_since(fire_at).num_milliseconds() as f64 / 1000.0);
            }
        }
        Ok(())
    }

    /// A user's weekly summary as a message, noting a team-size nudge it shows.
    fn summary_job(
        &self,
        scope: &Scope,
        record: &UserRecord,
        now: DateTime<Utc>,
    ) -> Result<Doc, StoreError> {
        let summary = self.summary_for(scope, record, now)?;
        self.note_team_size_shown(scope, &summary.nudges, now)?;
        Ok(summary_doc(&summary))
    }

    /// The team-size nudge repeats monthly: a summary that shows it restarts the month.
    fn note_team_size_shown(
        &self,
        scope: &Scope,
        nudges: &[Nudge],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(Nudge::TeamSize { size }) =
            nudges.iter().find(|n| matches!(n, Nudge::TeamSize { .. }))
        {
            let size = *size;
            self.store.update_existing_user(scope, |r| {
                r.team_size_nudged = Some(TeamSizeNudged { size, at: now });
                Ok::<_, StoreError>(())
            })?;
        }
        Ok(())
    }

    /// Re-composes every digest queued for `team` and not yet sent, as of when it was
    /// queued, from what is stored now — so one queued before a `forget`, a `leave` or an
    /// `off` carries nobody's name or wins who is gone, and one for a channel without a
    /// digest is dropped. A message the sender has in hand is left to it (the window of one
    /// Slack call).
    pub(super) fn recompose_queued_digests(
        &self,
        team: &TeamId,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        for queued in self.store.queued_digests(team)? {
            let digest = match crate::domain::ids::ChannelId::parse(&queued.item.channel) {
                Ok(channel) => match self.digest(team, &channel, queued.item.created) {
                    Ok(digest) => digest,
                    // A damaged row this digest needs (logged and counted by the store):
                    // nobody's content can be vouched for, so the message is dropped.
                    Err(AppError::Store(e)) if e.is_undecodable() => None,
                    Err(e) => return Err(e),
                },
                Err(_) => None,
            };
            let replacement = digest.map(|d| OutboxItem {
                doc: digest_doc(&d),
                ..queued.item.clone()
            });
            if replacement.as_ref() != Some(&queued.item) {
                self.store
                    .requeue_if_unchanged(&queued, replacement.as_ref(), now)?;
            }
        }
        Ok(())
    }

    /// A display name for an outbox recipient, for the console.
    pub fn recipient(&self, item: &OutboxItem) -> String {
        match crate::domain::ids::UserId::parse(&item.channel) {
            Ok(user) if item.channel.starts_with('U') || item.channel.starts_with('W') => {
                let scope = Scope::new(item.team.clone(), user.clone());
                let label = self.store.user(&scope).ok().flatten().and_then(|r| r.label);
                format!("DM to {}", Person { id: user, label })
            }
            _ => crate::domain::ids::ChannelId::parse(&item.channel)
                .ok()
                .and_then(|id| self.store.subscription(&item.team, &id).ok().flatten())
                .map_or_else(
                    || format!("<#{}>", item.channel),
                    |sub| sub.channel.to_string(),
                ),
        }
    }
}

/// Goes on past a job whose composing met a stored row that doesn't decode, and stops on
/// anything else: a failing store fails the tick. The store has counted the row and warned
/// of it once; the job is tried again each tick, so this says which job it cost at debug.
fn skip_undecodable(
    e: StoreError,
    team: &TeamId,
    subject: &str,
    job: &'static str,
) -> Result<(), StoreError> {
    if !e.is_undecodable() {
        return Err(e);
    }
    tracing::debug!(team = %team, subject, job, error = %e, "scheduled message skipped: a stored row it needs does not decode");
    Ok(())
}

/// A check-in prompt is worth sending on its day; a summary within its week.
fn relevance(job: JobKind) -> Relevance {
    match job {
        JobKind::Checkin => Relevance::SameDay,
        JobKind::Summary => Relevance::SameWeek,
    }
}

fn outbox_item(
    team: &TeamId,
    channel: &str,
    doc: Doc,
    key: &LedgerKey,
    now: DateTime<Utc>,
) -> OutboxItem {
    OutboxItem {
        team: team.clone(),
        channel: channel.to_string(),
        doc,
        ledger_key: key.as_bytes().to_vec(),
        attempts: 0,
        not_before: now,
        created: now,
    }
}

#[cfg(test)]
mod tests {
    use crate::app::{Actor, App};
    use crate::domain::ids::{Scope, TeamId, UserId};
    use chrono::TimeZone;

    #[test]
    fn a_job_that_panics_is_skipped_and_the_others_still_go_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(crate::store::SledStore::open(dir.path()).unwrap());
        let app = App::new(store, chrono_tz::UTC);
        let monday = chrono::Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
        for user in ["UANN", "UPANIC", "UZED"] {
            let scope = Scope::new(TeamId::parse("T1").unwrap(), UserId::parse(user).unwrap());
            app.handle_command(&Actor::new(scope), "schedule checkin off", monday);
        }
        let friday = chrono::Utc.with_ymd_and_hms(2027, 3, 5, 16, 0, 0).unwrap();
        let report = app.tick(friday).unwrap();
        assert_eq!((report.queued, report.panicked), (2, 1), "{report:?}");
        let mut to = Vec::new();
        app.drain_outbox_to(friday, |item| to.push(item.channel.clone()))
            .unwrap();
        to.sort();
        assert_eq!(to, ["UANN", "UZED"]);
        // The panicking job was left unclaimed: it is tried again, not lost.
        assert_eq!(app.tick(friday).unwrap().panicked, 1);
    }
}
