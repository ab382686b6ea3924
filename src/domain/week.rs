//! ISO weeks (Monday to Sunday) in a user's time zone, the unit every balance is counted in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO week: the week-numbering year and the week number (1-53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// The ISO week a local date falls in.
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        Self {
            year: w.year(),
            week: w.week(),
        }
    }

    /// Its Monday.
    pub fn monday(self) -> NaiveDate {
        // Every (year, week) we build comes from a real date, so this always exists; the
        // fallback keeps a corrupt value from panicking.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    /// Its Sunday.
    pub fn sunday(self) -> NaiveDate {
        self.monday() + Duration::days(6)
    }

    /// Whether a local date falls in this week.
    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }

    /// The week `n` weeks before this one.
    pub fn back(self, n: u32) -> Self {
        Self::of(self.monday() - Duration::weeks(i64::from(n)))
    }

    /// The seven local dates of the week, Monday first.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        let monday = self.monday();
        (0..7).map(move |d| monday + Duration::days(d))
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// The user's local date at an instant.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The instant a local date begins in a time zone. Where midnight does not exist (a DST
/// jump at 00:00), the first instant of the day that does.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // No zone skips more than a few hours, so the first valid hour of the day is near.
            (1..=4)
                .filter_map(|h| {
                    tz.from_local_datetime(&(midnight + Duration::hours(h)))
                        .earliest()
                })
                .next()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
        }
    }
}

/// Short human date: "Tue 17 Nov".
pub fn short_date(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_weeks_run_monday_to_sunday_across_year_ends() {
        // 2026-12-31 is a Thursday: ISO week 53 of 2026; 2027-01-03 (Sunday) is still in it.
        let w = IsoWeek::of(d(2026, 12, 31));
        assert_eq!(
            w,
            IsoWeek {
                year: 2026,
                week: 53
            }
        );
        assert_eq!(w.monday(), d(2026, 12, 28));
        assert!(w.contains(d(2027, 1, 3)));
        assert_eq!(IsoWeek::of(d(2027, 1, 4)).week, 1);
        assert_eq!(IsoWeek::of(d(2027, 1, 4)).back(1), w);
    }

    #[test]
    fn the_local_date_depends_on_the_users_zone() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 23, 30, 0).unwrap(); // Sunday night UTC
        assert_eq!(local_date(now, chrono_tz::UTC), d(2026, 11, 29));
        let berlin = local_date(now, chrono_tz::Europe::Berlin);
        assert_eq!(berlin, d(2026, 11, 30));
        assert_ne!(IsoWeek::of(berlin), IsoWeek::of(d(2026, 11, 29)));
    }

    #[test]
    fn start_of_day_survives_a_midnight_dst_gap() {
        // America/Santiago skipped 00:00-01:00 on 2026-09-06.
        let start = start_of_day(d(2026, 9, 6), chrono_tz::America::Santiago);
        assert_eq!(
            local_date(start, chrono_tz::America::Santiago),
            d(2026, 9, 6)
        );
    }
}
