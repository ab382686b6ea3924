//! The engineering/management split: per day, per week, the 8-week trend and 4-week drift.
//!
//! Day-weighted: a check-in covers its own day, and the last check-in of a day is the one
//! that counts (a second check-in corrects the first). A week's share is the mean of its
//! checked-in days, so one long check-in can't outweigh four short ones.

use crate::domain::checkin::CheckIn;
use crate::domain::week::IsoWeek;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Weeks shown in the summary's trend.
pub const TREND_WEEKS: usize = 8;
/// Weeks averaged for drift.
pub const DRIFT_WINDOW_WEEKS: usize = 4;
/// Of those, how many need check-ins before drift is worth a word ("week after week").
pub const DRIFT_MIN_WEEKS: usize = 3;
/// How far (percentage points) the average must sit from the target to be called drift.
pub const DRIFT_POINTS: u8 = 15;

/// The share of engineering per checked-in local date (the day's last check-in wins).
/// `checkins` must be in recording order, oldest first. Shares are clamped to 100: the
/// store refuses larger ones, and this keeps every week, trend and "100 - share" below in
/// range should one ever get through.
pub fn day_shares(checkins: &[CheckIn]) -> BTreeMap<NaiveDate, u8> {
    let mut days = BTreeMap::new();
    for c in checkins {
        days.insert(c.date, c.eng_pct.min(100));
    }
    days
}

/// One week's split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WeekBalance {
    pub week: IsoWeek,
    pub eng_pct: u8,
    pub days: usize,
}

/// The week's engineering share over its checked-in days, `None` without check-ins.
pub fn week_balance(days: &BTreeMap<NaiveDate, u8>, week: IsoWeek) -> Option<WeekBalance> {
    let shares: Vec<u32> = days
        .range(week.monday()..=week.sunday())
        .map(|(_, s)| u32::from(*s))
        .collect();
    let n = shares.len() as u32;
    (n > 0).then(|| WeekBalance {
        week,
        // Rounded half up: (sum + n/2) / n stays in 0..=100 because every share does.
        eng_pct: ((shares.iter().sum::<u32>() + n / 2) / n) as u8,
        days: n as usize,
    })
}

/// One point of the trend, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WeekPoint {
    pub week: IsoWeek,
    pub eng_pct: Option<u8>,
    pub paused: bool,
}

/// The last `n` weeks ending with `current`, oldest first.
pub fn trend(
    days: &BTreeMap<NaiveDate, u8>,
    current: IsoWeek,
    n: usize,
    paused: impl Fn(IsoWeek) -> bool,
) -> Vec<WeekPoint> {
    (0..n as u32)
        .rev()
        .map(|back| {
            let week = current.back(back);
            WeekPoint {
                week,
                eng_pct: week_balance(days, week).map(|b| b.eng_pct),
                paused: paused(week),
            }
        })
        .collect()
}

/// A sustained gap between the engineering share and the user's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Weeks with check-ins that the average covers.
    pub weeks: usize,
    pub avg_pct: u8,
    pub target_pct: u8,
}

/// Drift over the most recent [`DRIFT_WINDOW_WEEKS`] unpaused weeks of `trend` (oldest
/// first), when at least [`DRIFT_MIN_WEEKS`] of them have check-ins and their average is
/// [`DRIFT_POINTS`] or more from the target. Paused weeks are skipped, not counted as zero.
pub fn drift(trend: &[WeekPoint], target_pct: u8) -> Option<Drift> {
    let shares: Vec<u32> = trend
        .iter()
        .rev()
        .filter(|p| !p.paused)
        .take(DRIFT_WINDOW_WEEKS)
        .filter_map(|p| p.eng_pct.map(u32::from))
        .collect();
    if shares.len() < DRIFT_MIN_WEEKS {
        return None;
    }
    let n = shares.len() as u32;
    let avg = ((shares.iter().sum::<u32>() + n / 2) / n) as u8;
    (avg.abs_diff(target_pct) >= DRIFT_POINTS).then_some(Drift {
        weeks: shares.len(),
        avg_pct: avg,
        target_pct,
    })
}

/// An 8-level text sparkline of the trend: `·` for a week without check-ins, `‖` for a
/// paused week. A share over 100 (which nothing should produce) draws the top bar rather
/// than indexing past it.
pub fn sparkline(trend: &[WeekPoint]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    trend
        .iter()
        .map(|p| match (p.eng_pct, p.paused) {
            (Some(pct), _) => BARS[(usize::from(pct.min(100)) * (BARS.len() - 1) + 50) / 100],
            (None, true) => '‖',
            (None, false) => '·',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn checkin(date: NaiveDate, eng: u8, minute: i64) -> CheckIn {
        CheckIn {
            date,
            at: Utc.from_utc_datetime(&date.and_hms_opt(17, 0, 0).unwrap())
                + Duration::minutes(minute),
            eng_pct: eng,
            energy: None,
            critical_path: false,
            fires: vec![],
            kinds: vec![],
            note: None,
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn a_week_is_the_mean_of_its_days_and_the_last_checkin_of_a_day_wins() {
        let week = IsoWeek::of(d(11, 23));
        let days = day_shares(&[
            checkin(d(11, 23), 10, 0),
            checkin(d(11, 23), 90, 5), // corrects Monday
            checkin(d(11, 24), 60, 0),
            checkin(d(11, 30), 0, 0), // next week
        ]);
        assert_eq!(
            week_balance(&days, week),
            Some(WeekBalance {
                week,
                eng_pct: 75,
                days: 2
            })
        );
        assert_eq!(week_balance(&days, week.back(1)), None);
    }

    #[test]
    fn drift_needs_three_weeks_of_data_and_fifteen_points() {
        let current = IsoWeek::of(d(11, 23));
        let mut days = BTreeMap::new();
        for back in 0..4 {
            days.insert(current.back(back).monday(), 35);
        }
        let points = trend(&days, current, TREND_WEEKS, |_| false);
        assert_eq!(
            drift(&points, 80),
            Some(Drift {
                weeks: 4,
                avg_pct: 35,
                target_pct: 80
            })
        );
        assert_eq!(drift(&points, 49), None, "14 points is within the band");
        assert_eq!(
            drift(&points, 50),
            Some(Drift {
                weeks: 4,
                avg_pct: 35,
                target_pct: 50
            })
        );

        days.remove(&current.back(1).monday());
        days.remove(&current.back(2).monday());
        let sparse = trend(&days, current, TREND_WEEKS, |_| false);
        assert_eq!(
            drift(&sparse, 80),
            None,
            "two weeks of data is not yet a pattern"
        );
    }

    #[test]
    fn paused_weeks_are_skipped_not_counted() {
        let current = IsoWeek::of(d(11, 23));
        let mut days = BTreeMap::new();
        for back in [0, 3, 4] {
            days.insert(current.back(back).monday(), 30);
        }
        let paused = |w: IsoWeek| w == current.back(1) || w == current.back(2);
        let points = trend(&days, current, TREND_WEEKS, paused);
        assert_eq!(drift(&points, 80).map(|d| d.weeks), Some(3));
        assert_eq!(sparkline(&points), "···▃▃‖‖▃");
    }

    #[test]
    fn sparkline_maps_zero_to_the_lowest_bar_and_hundred_to_the_highest() {
        let week = IsoWeek::of(d(11, 23));
        let p = |pct| WeekPoint {
            week,
            eng_pct: Some(pct),
            paused: false,
        };
        assert_eq!(sparkline(&[p(0), p(50), p(100)]), "▁▅█");
        assert_eq!(
            sparkline(&[p(101), p(255)]),
            "██",
            "out of range draws the top bar"
        );
    }

    #[test]
    fn a_share_over_100_counts_as_100() {
        let week = IsoWeek::of(d(11, 23));
        let days = day_shares(&[checkin(d(11, 23), 255, 0), checkin(d(11, 24), 50, 0)]);
        assert_eq!(days.values().copied().collect::<Vec<_>>(), vec![100, 50]);
        assert_eq!(week_balance(&days, week).map(|b| b.eng_pct), Some(75));
    }
}
