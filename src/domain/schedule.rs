//! When a scheduled job fires: `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`, or 5-field
//! Unix cron, translated to the cron crate's 6-field form (seconds first, Sunday = 1).
//!
//! A [`ScheduleSpec`] is only ever built from text that parsed, so the scheduler can trust
//! it: [`ScheduleSpec::next_after`] cannot fail on a bad expression, and a stored value is
//! re-parsed when it is read back.
//!
//! Times are local wall-clock times in the time zone the caller passes. Around a DST change
//! a time that does not exist that day (02:30 when clocks jump from 02:00 to 03:00) is
//! skipped, and a time that happens twice fires once, at its first occurrence.

use crate::domain::echo::echo;
use chrono::{DateTime, TimeDelta, TimeZone, Utc, Weekday};
use std::collections::BTreeSet;
use std::str::FromStr;

/// When a job fires: what the user typed (normalized) and the cron crate's expression for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawScheduleSpec")]
pub struct ScheduleSpec {
    /// Normalized text as the user would type it: `mon,thu 09:30` or `0 16 * * 5`.
    source: String,
    /// The 6-field expression the cron crate understands: `0 30 9 * * 2,5`.
    cron: String,
}

/// When a schedule fires once: the local wall-clock time it was set for, and the instant.
/// (Not to be confused with `checkin::Fire`, an incident the user is fighting.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireTime {
    pub local: chrono::NaiveDateTime,
    pub at: DateTime<Utc>,
}

/// Why a text is not a schedule. Each message is one sentence the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "Say when, like `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`, or cron `0 16 * * 5`."
    )]
    Empty,
    #[error(
        "I can't read `{0}` as a schedule: try `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`, \
         or cron `0 16 * * 5`."
    )]
    Unrecognized(String),
    #[error(
        "`{0}` isn't a day: use `mon` to `sun`, a list like `mon,thu`, a range like `mon-fri`, \
         or `weekdays`, `weekends`, `daily`."
    )]
    BadDay(String),
    #[error("Say which days too, like `weekdays {0}` or `daily {0}`.")]
    MissingDays(String),
    #[error("Add a time too, like `{0} 16:00` (24-hour `HH:MM`).")]
    MissingTime(String),
    #[error(
        "`{0}` isn't a time: use 24-hour `HH:MM` from `00:00` to `23:59`, like `09:30` or `16:00`."
    )]
    BadTime(String),
    #[error(
        "That looks like a {0}-field cron expression: use standard 5-field Unix cron \
         (`minute hour day-of-month month day-of-week`), like `0 16 * * 5`."
    )]
    NativeCron(usize),
    #[error("In cron, the {field} field `{value}` isn't valid: {why}.")]
    CronField {
        field: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "Use either a day of the month or a day of the week, not both: cron would fire on \
         either one, which is rarely what you want."
    )]
    DayOfMonthAndWeek,
    #[error("`{0}` never fires: that day doesn't exist in that month.")]
    NeverFires(String),
    #[error("I couldn't turn `{0}` into a schedule: use 5-field Unix cron like `0 16 * * 5`.")]
    Invalid(String),
    #[error(
        "The stored schedule `{0}` doesn't match its cron expression, so it can't be trusted."
    )]
    Inconsistent(String),
}

/// The serialized shape, checked by [`TryFrom`] so a corrupt stored value is an error on
/// read rather than a surprise in the scheduler.
#[derive(serde::Deserialize)]
struct RawScheduleSpec {
    source: String,
    cron: String,
}

impl TryFrom<RawScheduleSpec> for ScheduleSpec {
    type Error = ScheduleError;

    /// The source is the truth; the stored cron must be what the source translates to.
    /// (A future change to the translation needs a store migration, not a silent rewrite.)
    fn try_from(raw: RawScheduleSpec) -> Result<Self, ScheduleError> {
        let spec = ScheduleSpec::parse(&raw.source)?;
        if spec.cron != raw.cron {
            return Err(ScheduleError::Inconsistent(echo(&raw.source)));
        }
        Ok(spec)
    }
}

impl ScheduleSpec {
    /// Parses what a user typed after `schedule checkin` or `digest #channel`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if tokens.is_empty() {
            return Err(ScheduleError::Empty);
        }
        // A cron expression never contains `:`, so a colon means the friendly form.
        if tokens.iter().any(|t| t.contains(':')) {
            let (days, hour, minute) = parse_friendly(&tokens)?;
            return Ok(Self::from_days(days, hour, minute));
        }
        match tokens.len() {
            5 => parse_unix_cron(&tokens),
            6 | 7 => Err(ScheduleError::NativeCron(tokens.len())),
            1 if parse_days(tokens[0]).is_ok() => {
                Err(ScheduleError::MissingTime(echo(&tokens[0].to_lowercase())))
            }
            _ => Err(ScheduleError::Unrecognized(echo(&tokens.join(" ")))),
        }
    }

    /// A weekly schedule, for defaults such as Friday 16:00. Defaults are constants, so
    /// instead of failing, an hour or minute out of range is clamped (to 23:59) and an empty
    /// day list means every day.
    pub fn weekly(days: &[Weekday], hour: u32, minute: u32) -> Self {
        let mut set = DaySet::default();
        for &day in days {
            set.insert(day);
        }
        if set.is_empty() {
            set = DaySet::ALL;
        }
        Self::from_days(set, hour.min(23), minute.min(59))
    }

    /// The normalized text, as the user would type it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The 6-field expression for the cron crate.
    pub fn cron_expr(&self) -> &str {
        &self.cron
    }

    /// The first time strictly after `after`, in `after`'s time zone; `None` if there is
    /// none (past 2100, the cron crate's horizon).
    pub fn next_after<Z: TimeZone>(&self, after: &DateTime<Z>) -> Option<DateTime<Z>> {
        let schedule = cron::Schedule::from_str(&self.cron).ok()?;
        // The cron crate adds a second to `after` without checking; at the very end of
        // chrono's range that would panic.
        after.clone().checked_add_signed(TimeDelta::seconds(1))?;
        // A local time that happens twice comes back as its earlier instant, which can be
        // before `after` when `after` is inside the repeated hour; skip past it.
        schedule.after(after).take(3).find(|t| t > after)
    }

    /// The latest time this schedule fired at or before `now`, read as wall-clock time in
    /// `tz`. Where that wall-clock time did not exist (a DST gap), it fires at the first
    /// instant after the gap; where it happened twice, at the first — so each scheduled local
    /// time fires exactly once, whatever the clocks did.
    pub fn latest_fire(&self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<FireTime> {
        let schedule = cron::Schedule::from_str(&self.cron).ok()?;
        // Evaluate the cron on naive local time (as if the zone were UTC), then map back:
        // the cron crate itself would drop a nonexistent local time.
        let local_now = now.with_timezone(&tz).naive_local();
        let probe = Utc
            .from_utc_datetime(&local_now)
            .checked_add_signed(TimeDelta::seconds(1))?;
        let local = schedule.after(&probe).next_back()?.naive_utc();
        let at = match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t,
            chrono::LocalResult::Ambiguous(first, _) => first,
            chrono::LocalResult::None => (1..=240).find_map(|m| {
                tz.from_local_datetime(&(local + TimeDelta::minutes(m)))
                    .earliest()
            })?,
        };
        let at = at.with_timezone(&Utc);
        // A gap-shifted fire can land a little after `now`; it isn't due yet.
        (at <= now).then_some(FireTime { local, at })
    }

    /// A short human description: `Fridays at 16:00`, `weekdays at 17:00`, ``cron `0 16 * * 5` ``.
    pub fn describe(&self) -> String {
        match self.source.contains(':').then(|| {
            let tokens: Vec<&str> = self.source.split_whitespace().collect();
            parse_friendly(&tokens)
        }) {
            Some(Ok((days, hour, minute))) => {
                format!("{} at {hour:02}:{minute:02}", days.describe())
            }
            _ => format!("cron `{}`", self.source),
        }
    }

    fn from_days(days: DaySet, hour: u32, minute: u32) -> Self {
        Self {
            source: format!("{} {hour:02}:{minute:02}", days.source()),
            cron: format!("0 {minute} {hour} * * {}", days.cron_field()),
        }
    }
}

// ---- the friendly form: `<days> HH:MM` ----

/// Days of the week as bits, Monday = bit 0, so iteration runs Monday to Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct DaySet(u8);

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl DaySet {
    const ALL: DaySet = DaySet(0b111_1111);
    const WEEKDAYS: DaySet = DaySet(0b001_1111);
    const WEEKENDS: DaySet = DaySet(0b110_0000);

    fn insert(&mut self, day: Weekday) {
        self.0 |= 1 << day.num_days_from_monday();
    }

    fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn days(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter().filter(move |d| self.contains(*d))
    }

    /// `daily`, `weekdays`, `weekends`, or a list with runs of three or more as ranges.
    fn source(self) -> String {
        match self {
            DaySet::ALL => return "daily".into(),
            DaySet::WEEKDAYS => return "weekdays".into(),
            DaySet::WEEKENDS => return "weekends".into(),
            _ => {}
        }
        let mut parts = Vec::new();
        let mut i = 0;
        while i < 7 {
            if !self.contains(WEEK[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < 7 && self.contains(WEEK[i + 1]) {
                i += 1;
            }
            let short = |d: usize| &DAY_NAMES[d][..3];
            match i - start {
                0 => parts.push(short(start).to_string()),
                1 => parts.extend([short(start).to_string(), short(i).to_string()]),
                _ => parts.push(format!("{}-{}", short(start), short(i))),
            }
            i += 1;
        }
        parts.join(",")
    }

    /// The cron crate's day-of-week field: 1-7 = Sunday-Saturday, sorted, or `*`.
    fn cron_field(self) -> String {
        if self == DaySet::ALL {
            return "*".into();
        }
        let mut numbers: Vec<u32> = self.days().map(|d| d.number_from_sunday()).collect();
        numbers.sort_unstable();
        numbers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn describe(self) -> String {
        match self {
            DaySet::ALL => return "every day".into(),
            DaySet::WEEKDAYS => return "weekdays".into(),
            DaySet::WEEKENDS => return "weekends".into(),
            _ => {}
        }
        let names: Vec<String> = self
            .days()
            .map(|d| {
                let name = DAY_NAMES[d.num_days_from_monday() as usize];
                format!("{}{}s", name[..1].to_uppercase(), &name[1..])
            })
            .collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "never".into(),
        }
    }
}

fn parse_friendly(tokens: &[&str]) -> Result<(DaySet, u32, u32), ScheduleError> {
    let mut times = tokens.iter().filter(|t| t.contains(':'));
    let (Some(time), None) = (times.next(), times.next()) else {
        return Err(ScheduleError::Unrecognized(echo(&tokens.join(" "))));
    };
    let (hour, minute) = parse_time(time)?;
    // `fri at 16:00` and `mon thu 09:30` read naturally, so `at` is filler and spaces
    // separate days like commas do.
    let days_text = tokens
        .iter()
        .filter(|t| !t.contains(':') && !t.eq_ignore_ascii_case("at"))
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    if days_text.is_empty() {
        return Err(ScheduleError::MissingDays(format!("{hour:02}:{minute:02}")));
    }
    Ok((parse_days(&days_text)?, hour, minute))
}

/// `H:MM` or `HH:MM`, 24-hour.
fn parse_time(text: &str) -> Result<(u32, u32), ScheduleError> {
    let bad = || ScheduleError::BadTime(echo(text));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (hour, minute) = (
        h.parse::<u32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
    );
    if hour > 23 || minute > 59 {
        return Err(bad());
    }
    Ok((hour, minute))
}

/// A comma list of days, ranges (`mon-fri`, wrapping `fri-mon`) and groups.
fn parse_days(text: &str) -> Result<DaySet, ScheduleError> {
    let mut set = DaySet::default();
    for item in text.split(',').filter(|i| !i.is_empty()) {
        let lower = item.to_lowercase();
        let group = match lower.as_str() {
            "daily" | "everyday" => Some(DaySet::ALL),
            "weekdays" | "weekday" => Some(DaySet::WEEKDAYS),
            "weekends" | "weekend" => Some(DaySet::WEEKENDS),
            _ => None,
        };
        if let Some(group) = group {
            set.0 |= group.0;
        } else if let Some((from, to)) = lower.split_once('-') {
            let bad = || ScheduleError::BadDay(echo(item));
            let from = day_from_name(from).ok_or_else(bad)?;
            let to = day_from_name(to).ok_or_else(bad)?;
            let mut day = from;
            set.insert(day);
            while day != to {
                day = day.succ();
                set.insert(day);
            }
        } else {
            set.insert(day_from_name(&lower).ok_or_else(|| ScheduleError::BadDay(echo(item)))?);
        }
    }
    if set.is_empty() {
        return Err(ScheduleError::BadDay(echo(text)));
    }
    Ok(set)
}

/// `mon`, `tues`, `thurs`, `friday`, `fridays`: any prefix of three letters or more, or a
/// plural.
fn day_from_name(name: &str) -> Option<Weekday> {
    let matches = |n: &str| {
        if n.len() < 3 {
            return None;
        }
        DAY_NAMES.iter().position(|full| full.starts_with(n))
    };
    let singular = name.strip_suffix('s').unwrap_or(name);
    let index = matches(name).or_else(|| matches(singular))?;
    WEEK.get(index).copied()
}

// ---- 5-field Unix cron ----

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`: months start at 1, days of the week at 0.
    first_named: u32,
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    first_named: 0,
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    first_named: 0,
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    first_named: 0,
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    first_named: 1,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    first_named: 0,
};

fn parse_unix_cron(tokens: &[&str]) -> Result<ScheduleSpec, ScheduleError> {
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

impl Field {
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
    #[test]
    fn a_refusal_quotes_no_control_characters() {
        let message = ScheduleSpec::parse("fri 16:00\u{1b}[2J\0")
            .unwrap_err()
            .to_string();
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }

    use super::*;
    use chrono::{Datelike, Timelike};
    use chrono_tz::Europe::Berlin;
    use chrono_tz::Tz;

    fn cron_of(text: &str) -> String {
        ScheduleSpec::parse(text).unwrap().cron_expr().to_string()
    }

    /// Monday 2026-03-02 08:00 in Berlin (CET, before the March DST change).
    fn monday_morning() -> DateTime<Tz> {
        Berlin.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
    }

    /// The next `n` firings after Monday morning, as (weekday, "HH:MM").
    fn next_n(text: &str, n: usize) -> Vec<(Weekday, String)> {
        let spec = ScheduleSpec::parse(text).unwrap();
        let mut at = monday_morning();
        let mut out = Vec::new();
        for _ in 0..n {
            at = spec.next_after(&at).unwrap();
            out.push((at.weekday(), format!("{:02}:{:02}", at.hour(), at.minute())));
        }
        out
    }

    fn days(out: &[(Weekday, String)]) -> Vec<Weekday> {
        out.iter().map(|(d, _)| *d).collect()
    }

    #[test]
    fn a_single_day_and_time() {
        let spec = ScheduleSpec::parse("fri 16:00").unwrap();
        assert_eq!(spec.source(), "fri 16:00");
        assert_eq!(spec.cron_expr(), "0 0 16 * * 6");
        let next = spec.next_after(&monday_morning()).unwrap();
        assert_eq!(next, Berlin.with_ymd_and_hms(2026, 3, 6, 16, 0, 0).unwrap());
    }

    #[test]
    fn friendly_forms_are_case_and_space_tolerant() {
        assert_eq!(
            ScheduleSpec::parse("  FRIDAY   16:00 ").unwrap().source(),
            "fri 16:00"
        );
        assert_eq!(
            ScheduleSpec::parse("Fridays at 4:05").unwrap().source(),
            "fri 04:05"
        );
        assert_eq!(
            ScheduleSpec::parse("mon, thu 9:30").unwrap().source(),
            "mon,thu 09:30"
        );
        assert_eq!(
            ScheduleSpec::parse("mon thu 09:30").unwrap().source(),
            "mon,thu 09:30"
        );
        assert_eq!(
            ScheduleSpec::parse("16:00 fri").unwrap().source(),
            "fri 16:00"
        );
    }

    #[test]
    fn a_day_list() {
        assert_eq!(cron_of("mon,thu 09:30"), "0 30 9 * * 2,5");
        assert_eq!(
            next_n("mon,thu 09:30", 3),
            vec![
                (Weekday::Mon, "09:30".into()),
                (Weekday::Thu, "09:30".into()),
                (Weekday::Mon, "09:30".into())
            ]
        );
    }

    #[test]
    fn day_ranges_including_wrapping_ones() {
        assert_eq!(cron_of("mon-fri 17:00"), "0 0 17 * * 2,3,4,5,6");
        assert_eq!(
            ScheduleSpec::parse("mon-fri 17:00").unwrap().source(),
            "weekdays 17:00"
        );
        assert_eq!(cron_of("fri-mon 08:15"), "0 15 8 * * 1,2,6,7");
        assert_eq!(
            ScheduleSpec::parse("fri-mon 08:15").unwrap().source(),
            "mon,fri-sun 08:15"
        );
        assert_eq!(
            days(&next_n("fri-mon 08:15", 5)),
            vec![
                Weekday::Mon,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
                Weekday::Mon
            ]
        );
    }

    #[test]
    fn day_groups() {
        assert_eq!(cron_of("weekdays 17:00"), "0 0 17 * * 2,3,4,5,6");
        assert_eq!(cron_of("weekends 10:00"), "0 0 10 * * 1,7");
        assert_eq!(cron_of("daily 07:45"), "0 45 7 * * *");
        assert_eq!(cron_of("everyday 07:45"), "0 45 7 * * *");
        assert_eq!(
            days(&next_n("weekdays 17:00", 6)),
            vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Mon
            ]
        );
        assert_eq!(
            days(&next_n("weekends 10:00", 2)),
            vec![Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(
            next_n("daily 07:45", 1),
            vec![(Weekday::Tue, "07:45".into())]
        );
    }

    #[test]
    fn hours_and_minutes_at_their_edges() {
        assert_eq!(cron_of("sun 0:00"), "0 0 0 * * 1");
        assert_eq!(cron_of("sat 23:59"), "0 59 23 * * 7");
    }

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
    fn next_after_uses_local_wall_clock_across_dst() {
        let spec = ScheduleSpec::parse("sun 09:00").unwrap();
        // Berlin moves to CEST on 2026-03-29; 09:00 stays 09:00 local.
        let before = Berlin.with_ymd_and_hms(2026, 3, 28, 12, 0, 0).unwrap();
        let next = spec.next_after(&before).unwrap();
        assert_eq!((next.day(), next.hour()), (29, 9));
        assert_eq!(next.with_timezone(&Utc).hour(), 7);
    }

    #[test]
    fn the_latest_fire_is_local_wall_clock_in_the_users_zone() {
        let spec = ScheduleSpec::parse("fri 16:00").unwrap();
        let tokyo = chrono_tz::Asia::Tokyo;
        // Fri 27 Nov 2026 07:30 UTC is 16:30 in Tokyo: today's 16:00 has fired.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 7, 30, 0).unwrap();
        let fire = spec.latest_fire(now, tokyo).unwrap();
        assert_eq!(
            fire.at,
            Utc.with_ymd_and_hms(2026, 11, 27, 7, 0, 0).unwrap()
        );
        assert_eq!(fire.local.to_string(), "2026-11-27 16:00:00");
        // At 15:59 local, the latest is last week's.
        let before = Utc.with_ymd_and_hms(2026, 11, 27, 6, 59, 0).unwrap();
        assert_eq!(
            spec.latest_fire(before, tokyo).unwrap().local.to_string(),
            "2026-11-20 16:00:00"
        );
        // Exactly at the fire time, it counts.
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 7, 0, 0).unwrap();
        assert_eq!(spec.latest_fire(at, tokyo).unwrap().at, at);
    }

    #[test]
    fn a_skipped_local_time_fires_once_right_after_the_gap() {
        // Berlin jumps 02:00 -> 03:00 on 2026-03-29.
        let spec = ScheduleSpec::parse("daily 02:30").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap();
        let fire = spec.latest_fire(now, Berlin).unwrap();
        assert_eq!(fire.local.to_string(), "2026-03-29 02:30:00");
        assert_eq!(
            fire.at,
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap(),
            "03:00 CEST"
        );
    }

    #[test]
    fn a_repeated_local_time_is_one_fire() {
        // Berlin repeats 02:00-03:00 on 2026-10-25; both 02:30s are the same local fire.
        let spec = ScheduleSpec::parse("daily 02:30").unwrap();
        let first = Utc.with_ymd_and_hms(2026, 10, 25, 0, 45, 0).unwrap(); // 02:45 CEST
        let second = Utc.with_ymd_and_hms(2026, 10, 25, 1, 45, 0).unwrap(); // 02:45 CET
        let a = spec.latest_fire(first, Berlin).unwrap();
        let b = spec.latest_fire(second, Berlin).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.at, Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    }

    #[test]
    fn a_time_that_happens_twice_fires_once_and_strictly_after() {
        // Berlin repeats 02:00-03:00 on 2026-10-25.
        let spec = ScheduleSpec::parse("daily 02:30").unwrap();
        let first = spec.next_after(&Berlin.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap());
        let first = first.unwrap();
        assert_eq!(first.with_timezone(&Utc).hour(), 0, "the CEST 02:30");
        let next = spec.next_after(&first).unwrap();
        assert_eq!(next.day(), 26);
        // From inside the repeated hour (02:10 CET), the CEST 02:30 is already past.
        let inside = Berlin.from_utc_datetime(
            &Utc.with_ymd_and_hms(2026, 10, 25, 1, 10, 0)
                .unwrap()
                .naive_utc(),
        );
        let next = spec.next_after(&inside).unwrap();
        assert!(next > inside);
    }

    #[test]
    fn next_after_never_panics_at_the_end_of_time() {
        let spec = ScheduleSpec::parse("daily 09:00").unwrap();
        assert_eq!(spec.next_after(&DateTime::<Utc>::MAX_UTC), None);
        assert_eq!(spec.next_after(&DateTime::<Utc>::MIN_UTC), None);
        let late = Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(spec.next_after(&late), None);
    }

    #[test]
    fn weekly_matches_the_parsed_form_and_clamps() {
        assert_eq!(
            ScheduleSpec::weekly(&[Weekday::Fri], 16, 0),
            ScheduleSpec::parse("fri 16:00").unwrap()
        );
        assert_eq!(
            ScheduleSpec::weekly(&[Weekday::Thu, Weekday::Mon, Weekday::Mon], 9, 30),
            ScheduleSpec::parse("mon,thu 09:30").unwrap()
        );
    }

    #[test]
    fn weekly_clamps_out_of_range_values() {
        assert_eq!(ScheduleSpec::weekly(&[], 99, 99).source(), "daily 23:59");
    }

    #[test]
    fn normalized_sources_parse_to_themselves() {
        for text in [
            "fri 16:00",
            "mon,thu 09:30",
            "weekdays 17:00",
            "mon,fri-sun 08:15",
            "0 16 * * 5",
        ] {
            let spec = ScheduleSpec::parse(text).unwrap();
            assert_eq!(spec.source(), text);
            assert_eq!(ScheduleSpec::parse(spec.source()).unwrap(), spec);
        }
    }

    #[test]
    fn describe_reads_like_a_sentence() {
        let d = |t: &str| ScheduleSpec::parse(t).unwrap().describe();
        assert_eq!(d("fri 16:00"), "Fridays at 16:00");
        assert_eq!(d("mon,thu 09:30"), "Mondays and Thursdays at 09:30");
        assert_eq!(
            d("mon,wed,fri 8:00"),
            "Mondays, Wednesdays and Fridays at 08:00"
        );
        assert_eq!(d("weekdays 17:00"), "weekdays at 17:00");
        assert_eq!(d("weekends 10:00"), "weekends at 10:00");
        assert_eq!(d("daily 07:00"), "every day at 07:00");
        assert_eq!(d("0 16 * * 5"), "cron `0 16 * * 5`");
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let spec = ScheduleSpec::parse("mon,thu 09:30").unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"source":"mon,thu 09:30","cron":"0 30 9 * * 2,5"}"#
        );
        assert_eq!(serde_json::from_str::<ScheduleSpec>(&json).unwrap(), spec);

        let bad_source = r#"{"source":"funday 25:00","cron":"0 0 25 * * *"}"#;
        assert!(serde_json::from_str::<ScheduleSpec>(bad_source).is_err());
        let mismatch = r#"{"source":"fri 16:00","cron":"0 0 16 * * 5"}"#;
        let err = serde_json::from_str::<ScheduleSpec>(mismatch).unwrap_err();
        assert!(err.to_string().contains("doesn't match"), "{err}");
    }

    fn error(text: &str) -> ScheduleError {
        ScheduleSpec::parse(text).unwrap_err()
    }

    #[test]
    fn rejects_empty_text() {
        assert_eq!(error("   "), ScheduleError::Empty);
    }

    #[test]
    fn rejects_unknown_days() {
        assert_eq!(
            error("funday 16:00"),
            ScheduleError::BadDay("funday".into())
        );
        assert_eq!(error("mo 16:00"), ScheduleError::BadDay("mo".into()));
        assert_eq!(
            error("mon-xyz 16:00"),
            ScheduleError::BadDay("mon-xyz".into())
        );
    }

    #[test]
    fn rejects_bad_times() {
        assert_eq!(error("fri 24:00"), ScheduleError::BadTime("24:00".into()));
        assert_eq!(error("fri 16:60"), ScheduleError::BadTime("16:60".into()));
        assert_eq!(error("fri 9:5"), ScheduleError::BadTime("9:5".into()));
        assert_eq!(error("fri 4pm:00"), ScheduleError::BadTime("4pm:00".into()));
        assert_eq!(error("fri :"), ScheduleError::BadTime(":".into()));
        assert!(error("fri 16:00 17:00").to_string().contains("can't read"));
    }

    #[test]
    fn rejects_a_time_without_days_and_days_without_a_time() {
        assert_eq!(error("16:00"), ScheduleError::MissingDays("16:00".into()));
        assert!(error("16:00").to_string().contains("`weekdays 16:00`"));
        assert_eq!(error("Fri"), ScheduleError::MissingTime("fri".into()));
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

    #[test]
    fn rejects_anything_else_with_examples() {
        for text in ["tomorrow", "every friday", "@daily", "0 16 * *", "🙂 é"] {
            let message = error(text).to_string();
            assert!(message.contains("`fri 16:00`"), "{text}: {message}");
        }
    }

    #[test]
    fn error_messages_are_single_sentences_without_debug_dumps() {
        for text in [
            "",
            "x",
            "16:00",
            "fri",
            "fri 25:00",
            "0 0 16 * * 6",
            "0 9 1 * 1",
            "0 0 31 2 *",
        ] {
            let message = error(text).to_string();
            assert!(message.ends_with('.'), "{message}");
            assert!(!message.contains("Error"), "{message}");
        }
    }

    #[test]
    fn echoed_input_is_short_and_cannot_break_code_spans() {
        let message = error(&format!("`{}", "x".repeat(100))).to_string();
        assert!(message.contains("'xxx"), "{message}");
        assert!(message.contains('…'));
        assert!(message.chars().count() < 200);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = ScheduleSpec::parse(&text);
        }

        #[test]
        fn cron_like_text_never_panics_and_valid_specs_fire(
            fields in proptest::collection::vec(
                "(\\*|[0-9]{1,2}|[a-z]{3})([-/][0-9]{1,2})?(,[0-9]{1,2})?", 5..=5),
        ) {
            if let Ok(spec) = ScheduleSpec::parse(&fields.join(" ")) {
                let start = Berlin.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
                let next = spec.next_after(&start);
                proptest::prop_assert!(next.is_some_and(|t| t > start));
            }
        }
    }
}
