//! The weekly summary: this week's split against the target, the 8-week trend, 1:1
//! coverage, critical path, fires, energy, wins, and the top nudges.

use crate::domain::balance::{
    day_shares, trend, week_balance, WeekBalance, WeekPoint, TREND_WEEKS,
};
use crate::domain::checkin::{CheckIn, EngKind, Fire, FireKind, Win};
use crate::domain::github::{self, GithubLine};
use crate::domain::nudge::{evaluate, Nudge, NudgeInputs, MAX_SHOWN};
use crate::domain::team::{
    distinct_one_on_ones, last_met_by, report_statuses, OneOnOne, ReportStatus,
};
use crate::domain::user::{CriticalPath, Pause, UserRecord};
use crate::domain::week::{local_date, IsoWeek};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

/// How far back the store must read check-ins for a summary: the trend's weeks plus one,
/// so a check-in recorded in another zone near a week boundary is not missed.
pub const HISTORY_DAYS: i64 = (TREND_WEEKS as i64 + 1) * 7;

/// What a summary is composed from; the app reads it from the store.
pub struct SummaryInputs<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub record: &'a UserRecord,
    /// Check-ins of the last [`HISTORY_DAYS`], oldest first.
    pub checkins: &'a [CheckIn],
    /// Fires logged this week with `/tlm fire`.
    pub fires: &'a [Fire],
    /// The 1:1 log: at least each report's latest 1:1 and everything this week.
    pub one_on_ones: &'a [OneOnOne],
    /// Wins of this week, oldest first.
    pub wins_this_week: &'a [Win],
    /// The most recent win ever.
    pub last_win: Option<&'a Win>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub week: IsoWeek,
    pub tz: Tz,
    pub target_pct: u8,
    pub balance: Option<WeekBalance>,
    pub trend: Vec<WeekPoint>,
    pub reports: Vec<ReportStatus>,
    pub one_on_ones_this_week: usize,
    pub critical_path: Option<CriticalPath>,
    pub fires: Vec<FireKind>,
    /// Energy of this week's check-ins, in order.
    pub energies: Vec<u8>,
    /// Days of each kind of engineering this week.
    pub kinds: BTreeMap<EngKind, usize>,
    pub wins: Vec<Win>,
    /// At most [`MAX_SHOWN`], most important first.
    pub nudges: Vec<Nudge>,
    /// The pause in force today, if any: the summary says so and carries no nudges.
    pub paused: Option<Pause>,
    /// This week's figures from a linked calendar, if a refresh computed them.
    pub calendar: Option<crate::domain::calendar::WeekFigures>,
    /// This week's GitHub figures, for the user's own summary only (never a digest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<GithubLine>,
}

pub fn compose(inp: &SummaryInputs<'_>) -> Summary {
    let today = local_date(inp.now, inp.tz);
    let week = IsoWeek::of(today);
    let days = day_shares(inp.checkins);
    let points = trend(&days, week, TREND_WEEKS, |w| inp.record.paused_in(w));
    let reports = report_statuses(
        &inp.record.roster,
        |p| last_met_by(inp.one_on_ones, p),
        today,
    );
    let this_week: Vec<&CheckIn> = inp
        .checkins
        .iter()
        .filter(|c| week.contains(c.date))
        .collect();

    let fires = fires_in_week(week, inp.record, inp.fires, inp.checkins);

    let mut kinds = BTreeMap::new();
    for checkin in latest_per_day(&this_week).values() {
        for kind in &checkin.kinds {
            *kinds.entry(*kind).or_insert(0) += 1;
        }
    }

    // One per report per day: a day logged by hand and by the calendar is one 1:1.
    let one_on_ones_this_week =
        distinct_one_on_ones(inp.one_on_ones.iter().filter(|o| week.contains(o.date)));
    let mut nudges = evaluate(&NudgeInputs {
        now: inp.now,
        today,
        record: inp.record,
        recent_checkins: inp.checkins,
        fires_this_week: &fires,
        reports: &reports,
        met_this_week: one_on_ones_this_week > 0,
        last_win: inp.last_win.map(|w| w.date),
        trend: &points,
    });
    nudges.truncate(MAX_SHOWN);

    Summary {
        week,
        tz: inp.tz,
        target_pct: inp.record.target_pct,
        balance: week_balance(&days, week),
        trend: points,
        reports,
        one_on_ones_this_week,
        critical_path: inp.record.critical_path.clone(),
        fires,
        energies: this_week.iter().filter_map(|c| c.energy).collect(),
        kinds,
        wins: inp
            .wins_this_week
            .iter()
            .filter(|w| week.contains(w.date))
            .cloned()
            .collect(),
        nudges,
        paused: inp.record.pause_on(today).copied(),
        calendar: crate::domain::calendar::this_week(inp.record, week),
        github: github::line_for(inp.record.github.as_ref(), inp.now, today),
    }
}

/// The last check-in of each day: the one that counts, as in the balance.
fn latest_per_day<'a>(checkins: &[&'a CheckIn]) -> BTreeMap<chrono::NaiveDate, &'a CheckIn> {
    checkins.iter().map(|c| (c.date, *c)).collect()
}

/// The kinds of fire burning in a week: logged with `/tlm fire` or in a check-in, and not
/// put out since with `/tlm fire clear`. Sorted, each kind once.
pub fn fires_in_week(
    week: IsoWeek,
    record: &UserRecord,
    fires: &[Fire],
    checkins: &[CheckIn],
) -> Vec<FireKind> {
    let burning = |date, at| {
        week.contains(date) && record.fires_cleared_at.is_none_or(|cleared| at > cleared)
    };
    let mut kinds: Vec<FireKind> = fires
        .iter()
        .filter(|f| burning(f.date, f.at))
        .map(|f| f.kind)
        .chain(
            checkins
                .iter()
                .filter(|c| burning(c.date, c.at))
                .flat_map(|c| c.fires.iter().copied()),
        )
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}
