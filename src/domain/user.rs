//! A user's settings and small state: one record per (team, user), rewritten on change.
//!
//! Histories that grow (check-ins, 1:1s, wins, fires) live in their own time-ordered trees,
//! not here, so this record stays small however long someone uses twohats.

use crate::domain::calendar::CalendarLink;
use crate::domain::github::GithubLink;
use crate::domain::job::JobKind;
use crate::domain::nudge::NudgeKind;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::team::Report;
use crate::domain::week::IsoWeek;
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Engineering share a new user aims for until they set their own.
pub const DEFAULT_TARGET_PCT: u8 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// First contact: a user with no wins ever is counted from here.
    pub created: DateTime<Utc>,
    /// The name Slack (or the console) last sent with this user's requests, for digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Set with `/tlm tz`; otherwise Slack's profile zone, else the server default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<Tz>,
    pub target_pct: u8,
    #[serde(default)]
    pub roster: Vec<Report>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_path: Option<CriticalPath>,
    /// Vacations, oldest first. Paused weeks don't count toward drift.
    #[serde(default)]
    pub pauses: Vec<Pause>,
    /// Per nudge kind, the last local date it stays quiet.
    #[serde(default)]
    pub snoozes: BTreeMap<NudgeKind, NaiveDate>,
    #[serde(default)]
    pub checkin_schedule: JobSchedule,
    #[serde(default)]
    pub summary_schedule: JobSchedule,
    /// `/tlm fire clear`: fires recorded before this instant no longer count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fires_cleared_at: Option<DateTime<Utc>>,
    /// When the team-size nudge was last shown, and for which size: it repeats monthly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_size_nudged: Option<TeamSizeNudged>,
    /// When `tz` last changed: fires from before it are never sent (see `domain::due`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz_since: Option<DateTime<Utc>>,
    /// When the check-in prompt's schedule last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkin_schedule_since: Option<DateTime<Utc>>,
    /// When the weekly summary's schedule last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_schedule_since: Option<DateTime<Utc>>,
    /// A linked calendar and what was derived from it (`domain::calendar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarLink>,
    /// The linked GitHub login, core repositories and last fetched figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<GithubLink>,
}

impl UserRecord {
    pub fn new(created: DateTime<Utc>) -> Self {
        Self {
            created,
            label: None,
            tz: None,
            target_pct: DEFAULT_TARGET_PCT,
            roster: Vec::new(),
            critical_path: None,
            pauses: Vec::new(),
            snoozes: BTreeMap::new(),
            checkin_schedule: JobSchedule::Default,
            summary_schedule: JobSchedule::Default,
            fires_cleared_at: None,
            team_size_nudged: None,
            tz_since: None,
            checkin_schedule_since: None,
            summary_schedule_since: None,
            calendar: None,
            github: None,
        }
    }

    /// Sets the zone, remembering when it changed: fires computed in the old zone are not
    /// replayed in the new one.
    pub fn set_tz(&mut self, tz: Tz, now: DateTime<Utc>) {
        if self.tz != Some(tz) {
            self.tz = Some(tz);
            self.tz_since = Some(now);
        }
    }

    /// Sets a job's schedule, remembering when: a fire from before the change is never sent.
    pub fn set_schedule(&mut self, job: JobKind, schedule: JobSchedule, now: DateTime<Utc>) {
        if *self.schedule(job) != schedule {
            match job {
                JobKind::Checkin => {
                    self.checkin_schedule = schedule;
                    self.checkin_schedule_since = Some(now);
                }
                JobKind::Summary => {
                    self.summary_schedule = schedule;
                    self.summary_schedule_since = Some(now);
                }
            }
        }
    }

    /// Since when a job has had its current form (schedule and zone): its fires before this
    /// instant are never sent.
    pub fn job_in_force_since(&self, job: JobKind) -> DateTime<Utc> {
        let changed = match job {
            JobKind::Checkin => self.checkin_schedule_since,
            JobKind::Summary => self.summary_schedule_since,
        };
        [Some(self.created), self.tz_since, changed]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.created)
    }

    /// The pause covering a local date, if any: a `pause`, or a day out of office in a
    /// linked calendar.
    pub fn pause_on(&self, date: NaiveDate) -> Option<&Pause> {
        self.pauses
            .iter()
            .find(|p| p.from <= date && date <= p.through)
            .or_else(|| self.calendar.as_ref().and_then(|c| c.ooo_on(date)))
    }

    /// Whether any day of an ISO week was paused.
    pub fn paused_in(&self, week: IsoWeek) -> bool {
        let (mon, sun) = (week.monday(), week.sunday());
        self.pauses
            .iter()
            .any(|p| p.from <= sun && mon <= p.through)
            || mon.iter_days().take_while(|d| *d <= sun).any(|d| {
                self.calendar
                    .as_ref()
                    .is_some_and(|c| c.ooo_on(d).is_some())
            })
    }

    pub fn snoozed(&self, kind: NudgeKind, today: NaiveDate) -> bool {
        self.snoozes.get(&kind).is_some_and(|until| today <= *until)
    }

    pub fn schedule(&self, job: JobKind) -> &JobSchedule {
        match job {
            JobKind::Checkin => &self.checkin_schedule,
            JobKind::Summary => &self.summary_schedule,
        }
    }
}

/// On the critical path since when, doing what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalPath {
    pub since: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
}

/// A vacation, both days included, in the user's local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: NaiveDate,
    pub through: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSizeNudged {
    pub size: usize,
    pub at: DateTime<Utc>,
}

/// A per-user job's schedule: the product default, switched off, or the user's own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobSchedule {
    #[default]
    Default,
    Off,
    At(ScheduleSpec),
}

impl JobSchedule {
    /// The spec in force for a job, `None` when switched off.
    pub fn effective(&self, job: JobKind) -> Option<ScheduleSpec> {
        match self {
            JobSchedule::Default => Some(default_schedule(job)),
            JobSchedule::Off => None,
            JobSchedule::At(spec) => Some(spec.clone()),
        }
    }
}

/// The product's defaults: the check-in prompt Friday 15:30, the summary Friday 16:00, so
/// the week's last check-in lands just before the summary that counts it.
pub fn default_schedule(job: JobKind) -> ScheduleSpec {
    match job {
        JobKind::Checkin => ScheduleSpec::weekly(&[Weekday::Fri], 15, 30),
        JobKind::Summary => ScheduleSpec::weekly(&[Weekday::Fri], 16, 0),
    }
}
