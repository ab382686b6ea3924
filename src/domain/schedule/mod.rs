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
//!
//! One file per concern: `friendly` reads `<days> HH:MM`, `unix_cron` reads 5-field Unix
//! cron, and `error` says why a text is not a schedule; this file holds the parsed value.

mod error;
mod friendly;
mod unix_cron;

pub use error::ScheduleError;

use crate::domain::echo::echo;
use chrono::{DateTime, TimeDelta, TimeZone, Utc, Weekday};
use friendly::{parse_days, parse_friendly, DaySet};
use std::str::FromStr;
use unix_cron::parse_unix_cron;

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

/// What the tests of every schedule file share.
#[cfg(test)]
mod testing {
    pub(super) use super::{ScheduleError, ScheduleSpec};
    pub(super) use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc, Weekday};
    pub(super) use chrono_tz::Europe::Berlin;
    pub(super) use chrono_tz::Tz;

    pub(super) fn cron_of(text: &str) -> String {
        ScheduleSpec::parse(text).unwrap().cron_expr().to_string()
    }

    /// Monday 2026-03-02 08:00 in Berlin (CET, before the March DST change).
    pub(super) fn monday_morning() -> DateTime<Tz> {
        Berlin.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
    }

    /// The next `n` firings after Monday morning, as (weekday, "HH:MM").
    pub(super) fn next_n(text: &str, n: usize) -> Vec<(Weekday, String)> {
        let spec = ScheduleSpec::parse(text).unwrap();
        let mut at = monday_morning();
        let mut out = Vec::new();
        for _ in 0..n {
            at = spec.next_after(&at).unwrap();
            out.push((at.weekday(), format!("{:02}:{:02}", at.hour(), at.minute())));
        }
        out
    }

    pub(super) fn days(out: &[(Weekday, String)]) -> Vec<Weekday> {
        out.iter().map(|(d, _)| *d).collect()
    }

    pub(super) fn error(text: &str) -> ScheduleError {
        ScheduleSpec::parse(text).unwrap_err()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;

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
