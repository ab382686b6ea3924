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
    /// Who logged it: `/tlm 1on1` or a confirmed calendar series. Left out when by hand, so
    /// a hand-logged 1:1 stores exactly the bytes it always did.
    #[serde(default, skip_serializing_if = "OneOnOneSource::is_by_hand")]
    pub source: OneOnOneSource,
}

/// Where a logged 1:1 came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneOnOneSource {
    /// `/tlm 1on1`, and every 1:1 stored before sources were recorded.
    #[default]
    ByHand,
    /// A past occurrence of a calendar series the user confirmed as their 1:1.
    Calendar,
}

impl OneOnOneSource {
    pub fn is_by_hand(&self) -> bool {
        *self == OneOnOneSource::ByHand
    }
}

/// Where a report stands against their cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportStatus {
    pub person: Person,
    pub cadence_days: u32,
    pub last: Option<NaiveDate>,
    /// Where the last 1:1 came from: `Calendar` only if no hand log shares its date.
    #[serde(skip_serializing_if = "OneOnOneSource::is_by_hand")]
    pub last_source: OneOnOneSource,
    /// Days since the last 1:1, or since they were added if there was none.
    pub days_since: i64,
    pub overdue: bool,
}

/// The 1:1 status of every report, in roster order. `last_met` gives each report's most
/// recent 1:1 date and its source, if any.
pub fn report_statuses(
    roster: &[Report],
    last_met: impl Fn(&Person) -> Option<(NaiveDate, OneOnOneSource)>,
    today: NaiveDate,
) -> Vec<ReportStatus> {
    roster
        .iter()
        .map(|report| {
            let met = last_met(&report.person);
            let last = met.map(|(date, _)| date);
            let since = last.unwrap_or(report.added);
            let days_since = (today - since).num_days().max(0);
            ReportStatus {
                person: report.person.clone(),
                cadence_days: report.cadence_days,
                last,
                last_source: met.map(|(_, source)| source).unwrap_or_default(),
                days_since,
                overdue: days_since > i64::from(report.cadence_days),
            }
        })
        .collect()
}

/// The most recent 1:1 with a report, from a 1:1 log in any order, and where it came from:
/// a hand log and a calendar log of the same day are one 1:1, counted as by hand.
pub fn last_met_by(log: &[OneOnOne], person: &Person) -> Option<(NaiveDate, OneOnOneSource)> {
    log.iter()
        .filter(|o| o.with.id == person.id)
        .max_by_key(|o| (o.date, o.source.is_by_hand()))
        .map(|o| (o.date, o.source))
}

/// How many 1:1s a log holds: one per report per day, however many times that day was
/// logged (by hand, by the calendar, or both).
pub fn distinct_one_on_ones<'a>(log: impl IntoIterator<Item = &'a OneOnOne>) -> usize {
    let mut seen: Vec<(&Person, NaiveDate)> = Vec::new();
    for o in log {
        if !seen.iter().any(|(p, d)| p.id == o.with.id && *d == o.date) {
            seen.push((&o.with, o.date));
        }
    }
    seen.len()
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
                source: OneOnOneSource::ByHand,
            },
            OneOnOne {
                with: person("AMY"),
                date: d(11, 11),
                at: Utc::now(),
                source: OneOnOneSource::ByHand,
            },
            OneOnOne {
                with: person("AMY"),
                date: d(11, 1),
                at: Utc::now(),
                source: OneOnOneSource::ByHand,
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

    #[test]
    fn a_day_logged_by_hand_and_by_the_calendar_is_one_one_on_one_shown_as_by_hand() {
        let at = DateTime::<Utc>::from_timestamp(1_764_000_000, 0).unwrap();
        let entry = |who: &str, day: u32, source| OneOnOne {
            with: person(who),
            date: d(11, day),
            at,
            source,
        };
        let log = vec![
            entry("BOB", 24, OneOnOneSource::Calendar),
            entry("BOB", 24, OneOnOneSource::ByHand),
            entry("AMY", 20, OneOnOneSource::ByHand),
            entry("AMY", 23, OneOnOneSource::Calendar),
        ];
        assert_eq!(distinct_one_on_ones(&log), 3);
        assert_eq!(
            last_met_by(&log, &person("BOB")),
            Some((d(11, 24), OneOnOneSource::ByHand))
        );
        assert_eq!(
            last_met_by(&log, &person("AMY")),
            Some((d(11, 23), OneOnOneSource::Calendar))
        );
        assert_eq!(last_met_by(&log, &person("NEW")), None);
    }
}
