//! 5-field Unix cron (`minute hour day-of-month month day-of-week`), translated to the cron
//! crate's 6-field form (seconds first, Sunday = 1) with Unix's rules kept: 0 and 7 are both
//! Sunday, and restricting both day fields is refused rather than silently ANDed.

use super::{ScheduleError, ScheduleSpec};
use crate::domain::echo::echo;
use chrono::{TimeDelta, TimeZone, Utc};
use std::collections::BTreeSet;
use std::str::FromStr;

struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`: months start at 1, days of the week at 0.
    first_named: u32,
}

const MINUTE: CronField = CronField {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    first_named: 0,
};
const HOUR: CronField = CronField {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    first_named: 0,
};
const DAY_OF_MONTH: CronField = CronField {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    first_named: 0,
};
const MONTH: CronField = CronField {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    first_named: 1,
};
const DAY_OF_WEEK: CronField = CronField {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    first_named: 0,
};

pub(super) fn parse_unix_cron(tokens: &[&str]) -> Result<ScheduleSpec, ScheduleError> {
    let source = tokens.join(" ").to_lowercase();
    let fields: Vec<&str> = source.split(' ').collect();
    let [minute, hour, dom, month, dow] = fields[..] else {
        return Err(ScheduleError::Unrecognized(echo(&source)));
    };
    let minutes = MINUTE.parse(minute)?;
    let hours = HOUR.parse(hour)?;
    let days_of_month = DAY_OF_MONTH.parse(dom)?;
    let months = MONTH.parse(month)?;
    // Unix allows 7 for Sunday as well as 0; fold it before translating.
    let days_of_week: BTreeSet<u32> = DAY_OF_WEEK.parse(dow)?.into_iter().map(|d| d % 7).collect();

    // Unix cron ORs the two day fields when both are restricted; the cron crate ANDs them.
    let dom_all = DAY_OF_MONTH.covers(&days_of_month);
    let dow_all = days_of_week.len() == 7;
    if !dom_all && !dow_all {
        return Err(ScheduleError::DayOfMonthAndWeek);
    }

    // The cron crate numbers days 1-7 from Sunday: Unix 0 (Sunday) becomes 1.
    let dow_field = if dow_all {
        "*".to_string()
    } else {
        list(days_of_week.iter().map(|d| d + 1))
    };
    let cron = format!(
        "0 {} {} {} {} {}",
        MINUTE.emit(&minutes),
        HOUR.emit(&hours),
        DAY_OF_MONTH.emit(&days_of_month),
        MONTH.emit(&months),
        dow_field
    );
    let schedule =
        cron::Schedule::from_str(&cron).map_err(|_| ScheduleError::Invalid(echo(&source)))?;
    let spec = ScheduleSpec { source, cron };
    if !fires_within_five_years(&schedule) {
        return Err(ScheduleError::NeverFires(echo(&spec.source)));
    }
    Ok(spec)
}

/// Catches `0 0 31 2 *` and friends. Five years so that 29 February still counts.
fn fires_within_five_years(schedule: &cron::Schedule) -> bool {
    let Some(start) = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single() else {
        return true;
    };
    let horizon = start + TimeDelta::days(5 * 366);
    schedule.after(&start).next().is_some_and(|t| t < horizon)
}

fn list(values: impl Iterator<Item = u32>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

impl CronField {
    fn covers(&self, values: &BTreeSet<u32>) -> bool {
        (self.min..=self.max).all(|v| values.contains(&v))
    }

    /// `*` when every value is in, else the sorted list: one spelling for each set keeps
    /// the translation easy to check.
    fn emit(&self, values: &BTreeSet<u32>) -> String {
        if self.covers(values) {
            "*".into()
        } else {
            list(values.iter().copied())
        }
    }

    /// `*`, `n`, `a-b`, `*/s`, `a-b/s`, `a/s` (from a to the end) and comma lists of them.
    fn parse(&self, text: &str) -> Result<BTreeSet<u32>, ScheduleError> {
        let fail = |why: String| ScheduleError::CronField {
            field: self.name,
            value: echo(text),
            why,
        };
        let mut values = BTreeSet::new();
        for item in text.split(',') {
            let (base, step) = match item.split_once('/') {
                Some((base, step)) => {
                    let step = step
                        .parse::<u32>()
                        .ok()
                        .filter(|s| (1..=self.max.max(1)).contains(s))
                        .ok_or_else(|| {
                            fail(format!(
                                "a step after `/` is a number from 1 to {}",
                                self.max
                            ))
                        })?;
                    (base, Some(step))
                }
                None => (item, None),
            };
            let (from, to) = if base == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = base.split_once('-') {
                let (a, b) = (self.value(a).map_err(fail)?, self.value(b).map_err(fail)?);
                if a > b {
                    return Err(fail(format!("the range `{}` goes backwards", echo(base))));
                }
                (a, b)
            } else {
                let a = self.value(base).map_err(fail)?;
                (a, if step.is_some() { self.max } else { a })
            };
            values.extend((from..=to).step_by(step.unwrap_or(1) as usize));
        }
        Ok(values)
    }

    fn value(&self, text: &str) -> Result<u32, String> {
        let range = || {
            let names = match self.names {
                [] => String::new(),
                [first, .., last] => format!(" or names `{first}` to `{last}`"),
                [only] => format!(" or `{only}`"),
            };
            format!("use numbers from {} to {}{names}", self.min, self.max)
        };
        if let Some(index) = self.names.iter().position(|n| *n == text) {
            return Ok(self.first_named + index as u32);
        }
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(range());
        }
        text.parse::<u32>()
            .ok()
            .filter(|v| (self.min..=self.max).contains(v))
            .ok_or_else(range)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::schedule::testing::*;

    #[test]
    fn unix_cron_friday_fires_friday_afternoon_local() {
        let spec = ScheduleSpec::parse("0 16 * * 5").unwrap();
        assert_eq!(spec.cron_expr(), "0 0 16 * * 6");
        assert_eq!(spec.source(), "0 16 * * 5");
        let next = spec.next_after(&monday_morning()).unwrap();
        assert_eq!(next, Berlin.with_ymd_and_hms(2026, 3, 6, 16, 0, 0).unwrap());
        // Strictly after: from the firing itself, the next one is a week later.
        assert_eq!(
            spec.next_after(&next).unwrap(),
            Berlin.with_ymd_and_hms(2026, 3, 13, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn unix_cron_sunday_is_0_or_7() {
        assert_eq!(cron_of("0 9 * * 0"), "0 0 9 * * 1");
        assert_eq!(cron_of("0 9 * * 7"), "0 0 9 * * 1");
        assert_eq!(next_n("0 9 * * 0", 1), vec![(Weekday::Sun, "09:00".into())]);
        assert_eq!(next_n("0 9 * * 7", 1), vec![(Weekday::Sun, "09:00".into())]);
        assert_eq!(cron_of("0 9 * * 0,7"), "0 0 9 * * 1");
        assert_eq!(cron_of("0 9 * * 0-7"), "0 0 9 * * *");
    }

    #[test]
    fn unix_cron_ranges_ending_on_7() {
        assert_eq!(cron_of("0 9 * * 5-7"), "0 0 9 * * 1,6,7");
        assert_eq!(
            days(&next_n("0 9 * * 5-7", 4)),
            vec![Weekday::Fri, Weekday::Sat, Weekday::Sun, Weekday::Fri]
        );
        assert_eq!(cron_of("0 9 * * 1-5"), "0 0 9 * * 2,3,4,5,6");
    }

    #[test]
    fn unix_cron_steps_and_names() {
        // 0-7 step 2 is Sun, Tue, Thu, Sat.
        assert_eq!(cron_of("0 9 * * */2"), "0 0 9 * * 1,3,5,7");
        assert_eq!(
            days(&next_n("0 9 * * */2", 4)),
            vec![Weekday::Tue, Weekday::Thu, Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(cron_of("0 9 * * 1-5/2"), "0 0 9 * * 2,4,6");
        assert_eq!(cron_of("0 9 * * MON-FRI"), "0 0 9 * * 2,3,4,5,6");
        assert_eq!(cron_of("0 9 * * sun,sat"), "0 0 9 * * 1,7");
        assert_eq!(cron_of("*/15 9-10 * * *"), "0 0,15,30,45 9,10 * * *");
        assert_eq!(cron_of("0 0 1 jan-mar *"), "0 0 0 1 1,2,3 *");
        assert_eq!(cron_of("30 8 1,15 * *"), "0 30 8 1,15 * *");
        assert_eq!(cron_of("0 12 10/10 * *"), "0 0 12 10,20,30 * *");
        assert_eq!(
            ScheduleSpec::parse("0  9 * *   FRI").unwrap().source(),
            "0 9 * * fri"
        );
    }

    #[test]
    fn unix_cron_day_of_month_fires_on_that_date() {
        let spec = ScheduleSpec::parse("30 8 1,15 * *").unwrap();
        let next = spec.next_after(&monday_morning()).unwrap();
        assert_eq!(
            next,
            Berlin.with_ymd_and_hms(2026, 3, 15, 8, 30, 0).unwrap()
        );
    }

    #[test]
    fn rejects_native_cron_with_a_pointer_to_unix_cron() {
        assert_eq!(error("0 0 16 * * 6"), ScheduleError::NativeCron(6));
        assert_eq!(error("0 0 16 * * 6 2026"), ScheduleError::NativeCron(7));
        assert!(error("0 0 16 * * 6")
            .to_string()
            .contains("5-field Unix cron"));
    }

    #[test]
    fn rejects_day_of_month_and_day_of_week_together() {
        assert_eq!(error("0 9 1 * 1"), ScheduleError::DayOfMonthAndWeek);
        assert_eq!(error("0 9 1-7 * */2"), ScheduleError::DayOfMonthAndWeek);
        assert!(error("0 9 1 * 1").to_string().contains("not both"));
    }

    #[test]
    fn rejects_schedules_that_never_fire() {
        assert_eq!(
            error("0 0 31 2 *"),
            ScheduleError::NeverFires("0 0 31 2 *".into())
        );
        assert_eq!(
            error("0 0 31 4,6 *"),
            ScheduleError::NeverFires("0 0 31 4,6 *".into())
        );
        // 29 February comes round within five years.
        assert!(ScheduleSpec::parse("0 0 29 2 *").is_ok());
    }

    #[test]
    fn rejects_bad_cron_fields_naming_the_field() {
        let field = |text: &str| match error(text) {
            ScheduleError::CronField { field, .. } => field,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(field("60 9 * * *"), "minute");
        assert_eq!(field("0 24 * * *"), "hour");
        assert_eq!(field("0 9 0 * *"), "day-of-month");
        assert_eq!(field("0 9 32 * *"), "day-of-month");
        assert_eq!(field("0 9 * 13 *"), "month");
        assert_eq!(field("0 9 * * 8"), "day-of-week");
        assert_eq!(field("0 9 * * fri-mon"), "day-of-week");
        assert_eq!(field("0 9 * * */0"), "day-of-week");
        assert_eq!(field("0 9 * * ?"), "day-of-week");
        assert_eq!(field("0 9 * * L"), "day-of-week");
        assert_eq!(field("0 9 * * 1,"), "day-of-week");
        assert_eq!(field("x 9 * * *"), "minute");
        let message = error("0 24 * * *").to_string();
        assert_eq!(
            message,
            "In cron, the hour field `24` isn't valid: use numbers from 0 to 23."
        );
        assert!(error("0 9 * * 5-1").to_string().contains("goes backwards"));
        assert!(error("0 9 * * 9")
            .to_string()
            .contains("names `sun` to `sat`"));
    }
}
