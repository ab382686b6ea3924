//! Nudge rules: each a pure function of the user's recent history, ranked, at most three.
//!
//! A nudge is data (which rule, which numbers); the words live in `render`. Silence is the
//! default: a rule fires only on a clear signal, never while paused, never while snoozed.

use crate::domain::balance::{drift, Drift, WeekPoint};
use crate::domain::checkin::{CheckIn, FireKind};
use crate::domain::github;
use crate::domain::ids::Person;
use crate::domain::team::{ReportStatus, HEALTHY_TEAM_SIZE};
use crate::domain::user::{CriticalPath, UserRecord};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most nudges shown at once: more than three is nagging.
pub const MAX_SHOWN: usize = 3;
/// Energy at or below this, on consecutive check-in days, is the burnout signal.
pub const LOW_ENERGY: u8 = 2;
/// How many consecutive low-energy days (each day's last check-in) make a pattern.
pub const LOW_ENERGY_STREAK: usize = 2;
/// Only check-ins this recent count toward the energy streak.
pub const ENERGY_LOOKBACK_DAYS: i64 = 14;
/// Days without a logged win before the wins nudge.
pub const WINS_QUIET_DAYS: i64 = 14;
/// The team-size nudge repeats after this many days while the size stays out of range.
pub const TEAM_SIZE_REPEAT_DAYS: i64 = 30;

/// The kinds of nudge, in the order of importance used to rank them (most important first).
///
/// Snoozing works per kind: "snooze the 1:1 nudge for a week".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NudgeKind {
    /// Low energy in consecutive check-ins: both hats at 100%.
    Burnout,
    /// An incident and a people problem in the same week.
    BothFires,
    /// Reports past their 1:1 cadence.
    OneOnOnes,
    /// PRs waiting on the user's review (GitHub).
    Reviews,
    /// The TLM is on the critical path.
    CriticalPath,
    /// The rolling engineering share is far from the user's target.
    Drift,
    /// The calendar shows no 2-hour focus block this week, for an engineering-heavy target.
    Focus,
    /// Roster size outside the 3-5 sweet spot.
    TeamSize,
    /// No wins logged for two weeks.
    Wins,
}

impl NudgeKind {
    pub const ALL: [NudgeKind; 9] = [
        NudgeKind::Burnout,
        NudgeKind::BothFires,
        NudgeKind::OneOnOnes,
        NudgeKind::Reviews,
        NudgeKind::CriticalPath,
        NudgeKind::Drift,
        NudgeKind::Focus,
        NudgeKind::TeamSize,
        NudgeKind::Wins,
    ];

    /// The name used in `/tlm snooze <kind>` and in button values.
    pub fn name(self) -> &'static str {
        match self {
            NudgeKind::Burnout => "energy",
            NudgeKind::BothFires => "fires",
            NudgeKind::OneOnOnes => "1on1",
            NudgeKind::Reviews => "reviews",
            NudgeKind::CriticalPath => "cp",
            NudgeKind::Drift => "balance",
            NudgeKind::Focus => "focus",
            NudgeKind::TeamSize => "team",
            NudgeKind::Wins => "wins",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for NudgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One nudge, with the facts its words need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Nudge {
    /// The last check-ins' energy levels, oldest first, all low.
    Burnout {
        energies: Vec<u8>,
    },
    BothFires,
    /// The most overdue report, how long, their cadence; how many others are overdue; and
    /// whether no 1:1 at all was logged this week.
    OneOnOnes {
        worst: Person,
        days: i64,
        cadence_days: u32,
        others: usize,
        none_this_week: bool,
    },
    /// How many PRs wait on the user's review, and the oldest's wait in days.
    Reviews {
        waiting: u32,
        oldest_days: i64,
    },
    CriticalPath {
        since: NaiveDate,
        days: i64,
        what: Option<String>,
    },
    /// Most PRs merged this week were in core repositories (GitHub), without `cp on`.
    CoreMerges {
        core: u32,
        merged: u32,
    },
    Drift(Drift),
    /// No focus block in this week's calendar; the user's engineering target.
    Focus {
        target_pct: u8,
    },
    TeamSize {
        size: usize,
    },
    /// Days since the last win (or since first use, when there was none yet).
    Wins {
        days: i64,
        ever: bool,
    },
}

impl Nudge {
    pub fn kind(&self) -> NudgeKind {
        match self {
            Nudge::Burnout { .. } => NudgeKind::Burnout,
            Nudge::BothFires => NudgeKind::BothFires,
            Nudge::OneOnOnes { .. } => NudgeKind::OneOnOnes,
            Nudge::Reviews { .. } => NudgeKind::Reviews,
            Nudge::CriticalPath { .. } | Nudge::CoreMerges { .. } => NudgeKind::CriticalPath,
            Nudge::Drift(_) => NudgeKind::Drift,
            Nudge::Focus { .. } => NudgeKind::Focus,
            Nudge::TeamSize { .. } => NudgeKind::TeamSize,
            Nudge::Wins { .. } => NudgeKind::Wins,
        }
    }
}

/// Everything the rules look at, gathered by the app for one user at one instant.
pub struct NudgeInputs<'a> {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub record: &'a UserRecord,
    /// Recent check-ins, oldest first (at least the energy lookback).
    pub recent_checkins: &'a [CheckIn],
    /// Fire kinds logged this ISO week, from `/tlm fire` and from check-ins.
    pub fires_this_week: &'a [FireKind],
    pub reports: &'a [ReportStatus],
    /// Whether any 1:1 was logged this ISO week.
    pub met_this_week: bool,
    /// The date of the last win, if any.
    pub last_win: Option<NaiveDate>,
    /// The balance trend, oldest first, ending this week.
    pub trend: &'a [WeekPoint],
}

/// Every nudge that applies, most important first, snoozed kinds left out; nothing while
/// paused. Callers show the first [`MAX_SHOWN`].
pub fn evaluate(inp: &NudgeInputs<'_>) -> Vec<Nudge> {
    if inp.record.pause_on(inp.today).is_some() {
        return Vec::new();
    }
    let mut nudges: Vec<Nudge> = [
        burnout(inp),
        both_fires(inp.fires_this_week),
        one_on_ones(inp.reports, inp.met_this_week),
        github::review_queue(inp.record.github.as_ref(), inp.now).map(|(waiting, oldest_days)| {
            Nudge::Reviews {
                waiting,
                oldest_days,
            }
        }),
        critical_path(inp.record.critical_path.as_ref(), inp.today).or_else(|| {
            github::mostly_core(inp.record.github.as_ref(), inp.now, inp.today)
                .map(|(core, merged)| Nudge::CoreMerges { core, merged })
        }),
        drift(inp.trend, inp.record.target_pct).map(Nudge::Drift),
        crate::domain::calendar::focus_nudge(inp.record, inp.today),
        team_size(inp.record, inp.now),
        wins(inp.last_win, inp.record.created.date_naive(), inp.today),
    ]
    .into_iter()
    .flatten()
    .filter(|n| !inp.record.snoozed(n.kind(), inp.today))
    .collect();
    nudges.sort_by_key(Nudge::kind);
    nudges
}

/// Both hats at 100%: the last [`LOW_ENERGY_STREAK`] days that gave an energy, within the
/// lookback, were all low. A day counts once, with its last check-in that gave an energy (as
/// for the balance): checking in twice on one bad day is one bad day, not a streak.
fn burnout(inp: &NudgeInputs<'_>) -> Option<Nudge> {
    let since = inp.now - Duration::days(ENERGY_LOOKBACK_DAYS);
    let mut days: Vec<(NaiveDate, u8)> = Vec::new();
    for checkin in inp.recent_checkins.iter().filter(|c| c.at >= since) {
        let Some(energy) = checkin.energy else {
            continue;
        };
        match days.last_mut() {
            Some((date, last)) if *date == checkin.date => *last = energy,
            _ => days.push((checkin.date, energy)),
        }
    }
    let streak: Vec<u8> = days
        .iter()
        .rev()
        .map(|(_, energy)| *energy)
        .take_while(|e| *e <= LOW_ENERGY)
        .collect();
    (streak.len() >= LOW_ENERGY_STREAK).then(|| Nudge::Burnout {
        energies: streak.into_iter().rev().collect(),
    })
}

fn both_fires(fires: &[FireKind]) -> Option<Nudge> {
    FireKind::ALL
        .iter()
        .all(|k| fires.contains(k))
        .then_some(Nudge::BothFires)
}

fn one_on_ones(reports: &[ReportStatus], met_this_week: bool) -> Option<Nudge> {
    let overdue: Vec<&ReportStatus> = reports.iter().filter(|r| r.overdue).collect();
    // The longest wait relative to the cadence is the one to fix first.
    let worst = overdue
        .iter()
        .max_by_key(|r| r.days_since - i64::from(r.cadence_days))?;
    Some(Nudge::OneOnOnes {
        worst: worst.person.clone(),
        days: worst.days_since,
        cadence_days: worst.cadence_days,
        others: overdue.len() - 1,
        none_this_week: !met_this_week,
    })
}

fn critical_path(cp: Option<&CriticalPath>, today: NaiveDate) -> Option<Nudge> {
    cp.map(|cp| Nudge::CriticalPath {
        since: cp.since,
        days: (today - cp.since).num_days().max(0),
        what: cp.what.clone(),
    })
}

/// Outside 3-5 reports: once when the size changes, then monthly while it stays out.
fn team_size(record: &UserRecord, now: DateTime<Utc>) -> Option<Nudge> {
    let size = record.roster.len();
    if size == 0 || HEALTHY_TEAM_SIZE.contains(&size) {
        return None;
    }
    let due = match record.team_size_nudged {
        None => true,
        Some(last) => last.size != size || now - last.at >= Duration::days(TEAM_SIZE_REPEAT_DAYS),
    };
    due.then_some(Nudge::TeamSize { size })
}

fn wins(last_win: Option<NaiveDate>, first_use: NaiveDate, today: NaiveDate) -> Option<Nudge> {
    let days = (today - last_win.unwrap_or(first_use)).num_days();
    (days >= WINS_QUIET_DAYS).then_some(Nudge::Wins {
        days,
        ever: last_win.is_some(),
    })
}

#[cfg(test)]
mod tests;
