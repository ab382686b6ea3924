//! Nudge rule tests: each rule fires on its signal, stays quiet without it, and nothing
//! fires while paused or snoozed.

use super::*;
use crate::domain::balance::{day_shares, trend, TREND_WEEKS};
use crate::domain::ids::UserId;
use crate::domain::team::ReportStatus;
use crate::domain::user::{Pause, TeamSizeNudged};
use crate::domain::week::IsoWeek;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap() // a Friday
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn checkin(days_ago: i64, eng: u8, energy: Option<u8>) -> CheckIn {
    let at = now() - Duration::days(days_ago);
    CheckIn {
        date: at.date_naive(),
        at,
        eng_pct: eng,
        energy,
        critical_path: false,
        fires: vec![],
        kinds: vec![],
        note: None,
    }
}

fn person(id: &str) -> Person {
    Person {
        id: UserId::parse(id).unwrap(),
        label: Some(id.to_lowercase()),
    }
}

fn status(id: &str, days_since: i64, cadence: u32) -> ReportStatus {
    ReportStatus {
        person: person(id),
        cadence_days: cadence,
        last: Some(today() - Duration::days(days_since)),
        last_source: crate::domain::team::OneOnOneSource::ByHand,
        days_since,
        overdue: days_since > i64::from(cadence),
    }
}

/// A user in good shape: a healthy team met on time, a recent win, on target.
struct World {
    record: UserRecord,
    checkins: Vec<CheckIn>,
    fires: Vec<FireKind>,
    reports: Vec<ReportStatus>,
    met_this_week: bool,
    last_win: Option<NaiveDate>,
}

impl World {
    fn calm() -> Self {
        let mut record = UserRecord::new(now() - Duration::days(90));
        record.target_pct = 50;
        record.roster = ["A", "B", "C", "D"]
            .iter()
            .map(|id| crate::domain::team::Report {
                person: person(id),
                cadence_days: 7,
                added: today() - Duration::days(90),
            })
            .collect();
        let checkins = (0..28).rev().map(|d| checkin(d, 50, Some(4))).collect();
        Self {
            record,
            checkins,
            fires: vec![],
            reports: ["A", "B", "C", "D"]
                .iter()
                .map(|id| status(id, 3, 7))
                .collect(),
            met_this_week: true,
            last_win: Some(today() - Duration::days(2)),
        }
    }

    fn nudges(&self) -> Vec<Nudge> {
        let points = trend(
            &day_shares(&self.checkins),
            IsoWeek::of(today()),
            TREND_WEEKS,
            |w| self.record.paused_in(w),
        );
        evaluate(&NudgeInputs {
            now: now(),
            today: today(),
            record: &self.record,
            recent_checkins: &self.checkins,
            fires_this_week: &self.fires,
            reports: &self.reports,
            met_this_week: self.met_this_week,
            last_win: self.last_win,
            trend: &points,
        })
    }

    fn kinds(&self) -> Vec<NudgeKind> {
        self.nudges().iter().map(Nudge::kind).collect()
    }
}

#[test]
fn a_calm_week_is_silent() {
    assert_eq!(World::calm().nudges(), vec![]);
}

#[test]
fn burnout_fires_on_two_low_energy_days_in_a_row() {
    let mut w = World::calm();
    w.checkins.retain(|c| c.date < today() - Duration::days(1));
    w.checkins.push(checkin(1, 50, Some(2)));
    assert_eq!(w.kinds(), vec![], "one low day is just a day");
    w.checkins.push(checkin(0, 50, Some(1)));
    assert_eq!(
        w.nudges(),
        vec![Nudge::Burnout {
            energies: vec![2, 1]
        }]
    );
    w.checkins.push(checkin(0, 50, Some(4)));
    assert_eq!(
        w.kinds(),
        vec![],
        "a good check-in later the same day is that day's energy"
    );
}

#[test]
fn two_low_check_ins_on_one_day_are_one_low_day() {
    let mut w = World::calm();
    w.checkins.retain(|c| c.date < today() - Duration::days(1));
    w.checkins.push(checkin(0, 50, Some(2)));
    w.checkins.push(checkin(0, 50, Some(1)));
    assert_eq!(w.kinds(), vec![], "one bad day, checked in twice");
    // A day without an energy says nothing about energy: it neither counts nor breaks.
    w.checkins
        .insert(w.checkins.len() - 2, checkin(1, 50, Some(2)));
    w.checkins
        .insert(w.checkins.len() - 2, checkin(1, 50, None));
    assert_eq!(
        w.nudges(),
        vec![Nudge::Burnout {
            energies: vec![2, 1]
        }]
    );
}

#[test]
fn old_low_energy_does_not_count() {
    let mut w = World::calm();
    w.checkins = vec![checkin(20, 50, Some(1)), checkin(19, 50, Some(1))];
    assert!(!w.kinds().contains(&NudgeKind::Burnout));
}

#[test]
fn both_fires_need_both_kinds() {
    let mut w = World::calm();
    w.fires = vec![FireKind::Incident];
    assert_eq!(w.kinds(), vec![]);
    w.fires = vec![FireKind::Incident, FireKind::People];
    assert_eq!(w.kinds(), vec![NudgeKind::BothFires]);
}

#[test]
fn one_on_ones_name_the_longest_overdue_report() {
    let mut w = World::calm();
    w.reports[1] = status("B", 19, 7);
    w.reports[2] = status("C", 16, 14);
    w.met_this_week = false;
    assert_eq!(
        w.nudges(),
        vec![Nudge::OneOnOnes {
            worst: person("B"),
            days: 19,
            cadence_days: 7,
            others: 1,
            none_this_week: true
        }]
    );
    w.reports[1] = status("B", 7, 7);
    w.reports[2] = status("C", 14, 14);
    assert_eq!(w.kinds(), vec![], "exactly at the cadence is on time");
}

#[test]
fn critical_path_fires_while_on_it() {
    let mut w = World::calm();
    w.record.critical_path = Some(CriticalPath {
        since: today() - Duration::days(3),
        what: Some("auth".into()),
    });
    assert_eq!(
        w.nudges(),
        vec![Nudge::CriticalPath {
            since: today() - Duration::days(3),
            days: 3,
            what: Some("auth".into())
        }]
    );
    w.record.critical_path = None;
    assert_eq!(w.kinds(), vec![]);
}

#[test]
fn drift_fires_when_weeks_sit_far_from_target() {
    let mut w = World::calm();
    w.record.target_pct = 80;
    w.checkins = (0..28).rev().map(|d| checkin(d, 35, Some(4))).collect();
    match w.nudges().as_slice() {
        [Nudge::Drift(d)] => assert_eq!((d.avg_pct, d.target_pct), (35, 80)),
        other => panic!("expected drift, got {other:?}"),
    }
    w.record.target_pct = 45;
    assert_eq!(w.kinds(), vec![], "ten points off is within the band");
}

#[test]
fn paused_weeks_do_not_count_as_drift() {
    let mut w = World::calm();
    w.record.target_pct = 80;
    // Only three weeks of low shares, two of them on vacation: not enough to call drift.
    w.checkins = (0..21).rev().map(|d| checkin(d, 35, Some(4))).collect();
    w.record.pauses = vec![Pause {
        from: today() - Duration::days(20),
        through: today() - Duration::days(8),
    }];
    assert!(!w.kinds().contains(&NudgeKind::Drift));
}

#[test]
fn team_size_fires_once_per_size_and_again_after_a_month() {
    let mut w = World::calm();
    for id in ["E", "F"] {
        w.record.roster.push(crate::domain::team::Report {
            person: person(id),
            cadence_days: 7,
            added: today(),
        });
    }
    assert_eq!(w.nudges(), vec![Nudge::TeamSize { size: 6 }]);
    w.record.team_size_nudged = Some(TeamSizeNudged {
        size: 6,
        at: now() - Duration::days(10),
    });
    assert_eq!(w.kinds(), vec![], "already said this month");
    w.record.team_size_nudged = Some(TeamSizeNudged {
        size: 6,
        at: now() - Duration::days(30),
    });
    assert_eq!(
        w.kinds(),
        vec![NudgeKind::TeamSize],
        "a month later, once more"
    );
    w.record.roster.truncate(2);
    w.record.team_size_nudged = Some(TeamSizeNudged { size: 6, at: now() });
    assert_eq!(
        w.nudges(),
        vec![Nudge::TeamSize { size: 2 }],
        "too small is worth a word too"
    );
    w.record.roster.clear();
    assert_eq!(
        w.kinds(),
        vec![],
        "no roster yet: nothing to say about its size"
    );
}

#[test]
fn wins_fire_after_two_quiet_weeks() {
    let mut w = World::calm();
    w.last_win = Some(today() - Duration::days(13));
    assert_eq!(w.kinds(), vec![]);
    w.last_win = Some(today() - Duration::days(16));
    assert_eq!(
        w.nudges(),
        vec![Nudge::Wins {
            days: 16,
            ever: true
        }]
    );
    w.last_win = None;
    assert_eq!(
        w.nudges(),
        vec![Nudge::Wins {
            days: 90,
            ever: false
        }]
    );
}

/// Everything at once: the most important first, and a paused or snoozed user hears less.
fn everything_on_fire() -> World {
    let mut w = World::calm();
    w.checkins.retain(|c| c.date < today() - Duration::days(1));
    w.checkins.push(checkin(1, 10, Some(1)));
    w.checkins.push(checkin(0, 10, Some(1)));
    w.fires = vec![FireKind::Incident, FireKind::People];
    w.reports[0] = status("A", 30, 7);
    w.record.critical_path = Some(CriticalPath {
        since: today(),
        what: None,
    });
    w.last_win = None;
    w
}

#[test]
fn nudges_rank_by_importance() {
    assert_eq!(
        everything_on_fire().kinds(),
        vec![
            NudgeKind::Burnout,
            NudgeKind::BothFires,
            NudgeKind::OneOnOnes,
            NudgeKind::CriticalPath,
            NudgeKind::Wins
        ]
    );
}

#[test]
fn a_paused_user_hears_nothing() {
    let mut w = everything_on_fire();
    w.record.pauses = vec![Pause {
        from: today() - Duration::days(1),
        through: today() + Duration::days(6),
    }];
    assert_eq!(w.nudges(), vec![]);
}

#[test]
fn a_snoozed_kind_stays_quiet_until_the_snooze_ends() {
    let mut w = everything_on_fire();
    w.record
        .snoozes
        .insert(NudgeKind::Burnout, today() + Duration::days(6));
    assert!(!w.kinds().contains(&NudgeKind::Burnout));
    w.record
        .snoozes
        .insert(NudgeKind::Burnout, today() - Duration::days(1));
    assert!(w.kinds().contains(&NudgeKind::Burnout));
}

fn github_figures(queue: u32, merged: u32, core: u32) -> crate::domain::github::GithubLink {
    crate::domain::github::GithubLink {
        figures: Some(crate::domain::github::GithubFigures {
            fetched_at: now() - Duration::hours(1),
            week: IsoWeek::of(today()),
            review_queue: queue,
            oldest_waiting_since: Some(now() - Duration::days(3)),
            waiting_urls: vec![],
            merged,
            merged_core: core,
            reviewed_for_reports: 0,
            reports_reviewed: 0,
        }),
        ..crate::domain::github::GithubLink::new("ann".into())
    }
}

#[test]
fn the_review_queue_ranks_just_below_one_on_ones_and_snoozes_on_its_own() {
    let mut w = World::calm();
    w.record.github = Some(github_figures(4, 0, 0));
    assert_eq!(
        w.nudges(),
        vec![Nudge::Reviews {
            waiting: 4,
            oldest_days: 3
        }]
    );
    w.reports[1] = status("B", 19, 7);
    w.record.critical_path = Some(CriticalPath {
        since: today(),
        what: None,
    });
    assert_eq!(
        w.kinds(),
        vec![
            NudgeKind::OneOnOnes,
            NudgeKind::Reviews,
            NudgeKind::CriticalPath
        ]
    );
    w.record
        .snoozes
        .insert(NudgeKind::Reviews, today() + Duration::days(6));
    assert_eq!(
        w.kinds(),
        vec![NudgeKind::OneOnOnes, NudgeKind::CriticalPath]
    );
}

#[test]
fn mostly_core_merges_count_as_the_critical_path_without_cp() {
    let mut w = World::calm();
    w.record.github = Some(github_figures(0, 5, 3));
    assert_eq!(w.nudges(), vec![Nudge::CoreMerges { core: 3, merged: 5 }]);
    w.record.github = Some(github_figures(0, 5, 2));
    assert_eq!(w.kinds(), vec![], "two of five is not most");
}
