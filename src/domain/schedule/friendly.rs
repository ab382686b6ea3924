//! The friendly form, `<days> HH:MM`: `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`.

use super::ScheduleError;
use crate::domain::echo::echo;
use chrono::Weekday;

/// Days of the week as bits, Monday = bit 0, so iteration runs Monday to Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct DaySet(u8);

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
    pub(super) const ALL: DaySet = DaySet(0b111_1111);
    const WEEKDAYS: DaySet = DaySet(0b001_1111);
    const WEEKENDS: DaySet = DaySet(0b110_0000);

    pub(super) fn insert(&mut self, day: Weekday) {
        self.0 |= 1 << day.num_days_from_monday();
    }

    fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn days(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter().filter(move |d| self.contains(*d))
    }

    /// `daily`, `weekdays`, `weekends`, or a list with runs of three or more as ranges.
    pub(super) fn source(self) -> String {
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
    pub(super) fn cron_field(self) -> String {
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

    pub(super) fn describe(self) -> String {
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

pub(super) fn parse_friendly(tokens: &[&str]) -> Result<(DaySet, u32, u32), ScheduleError> {
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
pub(super) fn parse_days(text: &str) -> Result<DaySet, ScheduleError> {
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

#[cfg(test)]
mod tests {
    use crate::domain::schedule::testing::*;

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
}
