//! The roster a TLM manages, the 1:1 log, and who is due for a 1:1.

use crate::domain::ids::Person;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// Days between 1:1s when `team add` names no cadence.
pub const DEFAULT_CADENCE_DAYS: u32 = 7;

/// Reports a TLM can manage well: 3-4 is the sweet spot, 5 is the edge; more than 5 and
/// balls get dropped, fewer than 3 is not really managing.
pub const HEALTHY_TEAM_SIZE: RangeInclusive<usize> = 3..=5;

/// The largest roster we accept: far past any real TLM team, small enough to render.
pub const MAX_ROSTER: usize = 30;

/// The longest 1:1 cadence `team add … every` accepts, in days.
pub const MAX_CADENCE_DAYS: u32 = 90;

/// A report on the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub person: Person,
    pub cadence_days: u32,
    /// The local date they joined the roster: a never-met report is counted from here.
    pub added: NaiveDate,
}

/// A logged 1:1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneOnOne {
    pub with: Person,
    /// The local date the 1:1 happened.
    pub date: NaiveDate,
    /// When it was logged.
    pub at: DateTime<Utc>,
}

/// Where a report stands against their cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportStatus {
    pub person: Person,
    pub cadence_days: u32,
    pub last: Option<NaiveDate>,
    /// Days since the last 1:1, or since they were added if there was none.
    pub days_since: i64,
    pub overdue: bool,
}

/// The 1:1 status of every report, in roster order. `last_met` gives each report's most
/// recent 1:1 date, if any.
pub fn report_statuses(
    roster: &[Report],
    last_met: impl Fn(&Person) -> Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<ReportStatus> {
    roster
        .iter()
        .map(|report| {
            let last = last_met(&report.person);
            let since = last.unwrap_or(report.added);
            let days_since = (today - since).num_days().max(0);
            ReportStatus {
                person: report.person.clone(),
                cadence_days: report.cadence_days,
                last,
                days_since,
                overdue: days_since > i64::from(report.cadence_days),
            }
        })
        .collect()
}

/// The most recent 1:1 per report, from a 1:1 log in any order.
pub fn last_met_by(log: &[OneOnOne], person: &Person) -> Option<NaiveDate> {
    log.iter()
        .filter(|o| o.with.id == person.id)
        .map(|o| o.date)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn person(id: &str) -> Person {
        Person {
            id: UserId::parse(id).unwrap(),
            label: Some(id.to_lowercase()),
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn a_report_is_overdue_only_past_their_cadence() {
        let roster = vec![
            Report {
                person: person("BOB"),
                cadence_days: 7,
                added: d(10, 1),
            },
            Report {
                person: person("AMY"),
                cadence_days: 14,
                added: d(10, 1),
            },
            Report {
                person: person("NEW"),
                cadence_days: 7,
                added: d(11, 20),
            },
        ];
        let log = vec![
            OneOnOne {
                with: person("BOB"),
                date: d(11, 6),
                at: Utc::now(),
            },
            OneOnOne {
                with: person("AMY"),
                date: d(11, 11),
                at: Utc::now(),
            },
            OneOnOne {
                with: person("AMY"),
                date: d(11, 1),
                at: Utc::now(),
            },
        ];
        let statuses = report_statuses(&roster, |p| last_met_by(&log, p), d(11, 25));
        assert_eq!((statuses[0].days_since, statuses[0].overdue), (19, true));
        assert_eq!((statuses[1].days_since, statuses[1].overdue), (14, false));
        assert_eq!(statuses[1].last, Some(d(11, 11)));
        // Never met, but only added five days ago: counted from the day they joined.
        assert_eq!(
            (
                statuses[2].last,
                statuses[2].days_since,
                statuses[2].overdue
            ),
            (None, 5, false)
        );
    }
}
