//! An iCalendar feed's text to the occurrences of its events within a window: `icalendar`
//! parses the text into components, `rrule` expands recurrence rules; this file interprets
//! what calendars mean by them (TZID, all-day dates, EXDATE, RDATE, RECURRENCE-ID overrides,
//! STATUS, TRANSP, out-of-office markers, attendees' answers).
//!
//! Pure: the text comes in as a value, nothing is fetched or logged here.

use super::windows_tz;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{read_calendar, unfold, Component, Property};
use std::collections::{BTreeMap, BTreeSet};

/// Most occurrences one recurring event may expand to within a window.
const MAX_PER_SERIES: u16 = 500;

/// When an occurrence happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Timed {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// Local dates, `until` excluded (as `DTEND;VALUE=DATE` is).
    AllDay { from: NaiveDate, until: NaiveDate },
}

/// One occurrence of an event, recurring or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event's `UID`: the series id for a recurring event.
    pub uid: String,
    pub title: String,
    pub span: Span,
    /// Not `TRANSP:TRANSPARENT` (nor marked free).
    pub busy: bool,
    /// `STATUS:CANCELLED`, on the event or the occurrence.
    pub cancelled: bool,
    /// An attendee answered no, and there are at most two of them.
    pub declined: bool,
    /// Marked out of office (Outlook's `X-MICROSOFT-CDO-BUSYSTATUS:OOF`, Google's
    /// out-of-office event type) or titled so.
    pub out_of_office: bool,
    /// Part of a series (`RRULE`/`RDATE`, or a moved occurrence of one).
    pub recurring: bool,
    /// How many attendees it lists.
    pub attendees: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsError(pub String);

impl std::fmt::Display for IcsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `DTSTART`-like value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    At(DateTime<Tz>),
    Date(NaiveDate),
}

impl When {
    fn key(self) -> i64 {
        match self {
            When::At(t) => t.timestamp(),
            When::Date(d) => d
                .and_hms_opt(0, 0, 0)
                .map(|n| n.and_utc().timestamp())
                .unwrap_or_default(),
        }
    }
}

/// Every occurrence overlapping `[from, to)`, in no particular order. `zone` is used for
/// floating times and all-day dates, and for a `TZID` that names no zone we know.
pub fn occurrences(
    text: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: Tz,
) -> Result<Vec<Occurrence>, IcsError> {
    let unfolded = unfold(text);
    // The parser's message may quote the feed (titles): it is not kept.
    let calendar = read_calendar(&unfolded)
        .map_err(|_| IcsError("the feed is not an iCalendar file".into()))?;
    let mut events: Vec<&Component<'_>> = Vec::new();
    collect_events(&calendar.components, &mut events);

    let mut masters: Vec<&Component<'_>> = Vec::new();
    let mut overrides: BTreeMap<String, Vec<&Component<'_>>> = BTreeMap::new();
    for event in events {
        if event.find_prop("RECURRENCE-ID").is_some() {
            overrides.entry(uid(event)).or_default().push(event);
        } else {
            masters.push(event);
        }
    }

    let mut out = Vec::new();
    for master in masters {
        let Some(start) = when(master.find_prop("DTSTART"), zone) else {
            continue;
        };
        let length = length(master, start, zone);
        let base = describe(master, &uid(master));
        let rrule = master.find_prop("RRULE");
        let rdates = values(master, "RDATE", zone);
        let recurring = rrule.is_some() || !rdates.is_empty();
        let moved: BTreeSet<i64> = overrides
            .get(&base.uid)
            .into_iter()
            .flatten()
            .filter_map(|o| when(o.find_prop("RECURRENCE-ID"), zone))
            .map(When::key)
            .collect();
        let excluded: BTreeSet<i64> = values(master, "EXDATE", zone)
            .into_iter()
            .map(When::key)
            .collect();

        let mut starts = vec![start];
        if let Some(rule) = rrule {
            starts = expand(
                rule.val.as_str(),
                start,
                from - length_or_day(length),
                to,
                zone,
            );
        }
        starts.extend(rdates);
        starts.sort_by_key(|w| w.key());
        starts.dedup_by_key(|w| w.key());
        for at in starts {
            if excluded.contains(&at.key()) || moved.contains(&at.key()) {
                continue;
            }
            let span = span(at, length, zone);
            if overlaps(span, from, to, zone) {
                out.push(Occurrence {
                    span,
                    recurring,
                    ..base.clone()
                });
            }
        }
        // Moved or changed occurrences, where they are now.
        for over in overrides.get(&base.uid).into_iter().flatten() {
            let Some(at) = when(over.find_prop("DTSTART"), zone) else {
                continue;
            };
            let span = span(at, length_of_override(over, at, length, zone), zone);
            if overlaps(span, from, to, zone) {
                let mut occurrence = describe(over, &base.uid);
                occurrence.span = span;
                occurrence.recurring = true;
                occurrence.cancelled |= base.cancelled;
                out.push(occurrence);
            }
        }
    }
    Ok(out)
}

fn collect_events<'a>(components: &'a [Component<'a>], out: &mut Vec<&'a Component<'a>>) {
    for c in components {
        if c.name.as_str().eq_ignore_ascii_case("VEVENT") {
            out.push(c);
        } else {
            collect_events(&c.components, out);
        }
    }
}

fn uid(event: &Component<'_>) -> String {
    event
        .find_prop("UID")
        .map(|p| p.val.as_str().trim().to_string())
        .unwrap_or_default()
}

fn text(event: &Component<'_>, name: &str) -> Option<String> {
    event
        .find_prop(name)
        .map(|p| unescape(p.val.as_str()).trim().to_string())
}

fn unescape(value: &str) -> String {
    value
        .replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

fn param<'p>(prop: &'p Property<'_>, key: &str) -> Option<&'p str> {
    prop.params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

/// Everything about an event but when it happens.
fn describe(event: &Component<'_>, uid: &str) -> Occurrence {
    let title = text(event, "SUMMARY").unwrap_or_default();
    let is =
        |name: &str, value: &str| text(event, name).is_some_and(|v| v.eq_ignore_ascii_case(value));
    let attendees: Vec<&Property<'_>> = event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
        .collect();
    // Without the owner's address we can't tell whose answer it is: a decline counts only
    // where there are two people at most (a 1:1 one of them declined didn't happen).
    let declined = attendees.len() <= 2
        && attendees
            .iter()
            .any(|a| param(a, "PARTSTAT").is_some_and(|s| s.eq_ignore_ascii_case("DECLINED")));
    let free = is("TRANSP", "TRANSPARENT")
        || is("X-MICROSOFT-CDO-BUSYSTATUS", "FREE")
        || is("X-MICROSOFT-CDO-INTENDEDSTATUS", "FREE");
    let out_of_office = is("X-MICROSOFT-CDO-BUSYSTATUS", "OOF")
        || is("X-GOOGLE-EVENT-TYPE", "outOfOffice")
        || looks_out_of_office(&title);
    Occurrence {
        uid: uid.to_string(),
        title,
        span: Span::AllDay {
            from: NaiveDate::MIN,
            until: NaiveDate::MIN,
        },
        busy: !free,
        cancelled: is("STATUS", "CANCELLED"),
        declined,
        out_of_office,
        recurring: false,
        attendees: attendees.len(),
    }
}

/// "OOO", "Out of office", "Vacation", "Holiday" (and plurals, any case) as a word.
pub fn looks_out_of_office(title: &str) -> bool {
    let lower = title.to_lowercase();
    if lower.contains("out of office") || lower.contains("out-of-office") {
        return true;
    }
    lower.split(|c: char| !c.is_alphanumeric()).any(|w| {
        matches!(
            w,
            "ooo" | "vacation" | "vacations" | "holiday" | "holidays" | "pto"
        )
    })
}

/// A date or date-time value with its `TZID` (or `Z`, or floating in `zone`).
fn when(prop: Option<&Property<'_>>, zone: Tz) -> Option<When> {
    let prop = prop?;
    let tz = param(prop, "TZID")
        .and_then(windows_tz::resolve)
        .unwrap_or(zone);
    parse_when(prop.val.as_str().trim(), param(prop, "VALUE"), tz)
}

fn parse_when(value: &str, kind: Option<&str>, tz: Tz) -> Option<When> {
    let is_date = kind.is_some_and(|k| k.eq_ignore_ascii_case("DATE")) || value.len() == 8;
    if is_date {
        return NaiveDate::parse_from_str(value.get(..8)?, "%Y%m%d")
            .ok()
            .map(When::Date);
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(When::At(naive.and_utc().with_timezone(&tz)));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
    // A local time a DST change skipped is taken an hour later; a repeated one, the first.
    let local = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
    })?;
    Some(When::At(local))
}

/// `EXDATE`/`RDATE`: possibly several lines, each possibly a comma-separated list.
fn values(event: &Component<'_>, name: &str, zone: Tz) -> Vec<When> {
    let mut out = Vec::new();
    for prop in event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case(name))
    {
        let tz = param(prop, "TZID")
            .and_then(windows_tz::resolve)
            .unwrap_or(zone);
        for value in prop.val.as_str().split(',') {
            if let Some(w) = parse_when(value.trim(), param(prop, "VALUE"), tz) {
                out.push(w);
            }
        }
    }
    out
}

/// How long each occurrence lasts: `DTEND - DTSTART`, or `DURATION`; none means an instant
/// (a date-time) or one day (a date).
fn length(event: &Component<'_>, start: When, zone: Tz) -> Duration {
    if let Some(end) = when(event.find_prop("DTEND"), zone) {
        return match (start, end) {
            (When::At(s), When::At(e)) => e.signed_duration_since(s),
            (When::Date(s), When::Date(e)) => e - s,
            _ => Duration::zero(),
        }
        .max(Duration::zero());
    }
    if let Some(d) = event
        .find_prop("DURATION")
        .and_then(|p| duration(p.val.as_str()))
    {
        return d;
    }
    match start {
        When::At(_) => Duration::zero(),
        When::Date(_) => Duration::days(1),
    }
}

fn length_of_override(event: &Component<'_>, start: When, series: Duration, zone: Tz) -> Duration {
    if event.find_prop("DTEND").is_some() || event.find_prop("DURATION").is_some() {
        length(event, start, zone)
    } else {
        series
    }
}

fn length_or_day(length: Duration) -> Duration {
    length.max(Duration::days(1))
}

/// `P1D`, `PT1H30M`, `P1W`: what calendars write (no months or years in a DURATION).
fn duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let rest = rest.strip_prefix('P')?;
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            'T' => {}
            '0'..='9' => number.push(c),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                total += match unit {
                    'W' => Duration::weeks(n),
                    'D' => Duration::days(n),
                    'H' => Duration::hours(n),
                    'M' => Duration::minutes(n),
                    'S' => Duration::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    Some(if negative { -total } else { total })
}

/// The starts of a recurring event between `from` and `to`; its own start when the rule
/// can't be read (a broken rule shows the first occurrence rather than nothing).
fn expand(rule: &str, start: When, from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> Vec<When> {
    let (dt_start, all_day) = match start {
        When::At(t) => (t, false),
        When::Date(d) => match d
            .and_hms_opt(0, 0, 0)
            .and_then(|n| zone.from_local_datetime(&n).earliest())
        {
            Some(t) => (t, true),
            None => return vec![start],
        },
    };
    let rtz = rrule::Tz::Tz(dt_start.timezone());
    let rstart = dt_start.with_timezone(&rtz);
    let Ok(parsed) = rule.parse::<rrule::RRule<rrule::Unvalidated>>() else {
        return vec![start];
    };
    let Ok(set) = parsed.build(rstart) else {
        return vec![start];
    };
    let result = set
        .after(from.with_timezone(&rtz))
        .before(to.with_timezone(&rtz))
        .all(MAX_PER_SERIES);
    result
        .dates
        .into_iter()
        .map(|t| {
            let local = t.with_timezone(&dt_start.timezone());
            if all_day {
                When::Date(local.date_naive())
            } else {
                When::At(local)
            }
        })
        .collect()
}

fn span(at: When, length: Duration, zone: Tz) -> Span {
    match at {
        When::At(t) => {
            let start = t.with_timezone(&Utc);
            Span::Timed {
                start,
                end: start + length,
            }
        }
        When::Date(d) => {
            let days = length.num_days().max(1);
            let _ = zone;
            Span::AllDay {
                from: d,
                until: d + Duration::days(days),
            }
        }
    }
}

fn overlaps(span: Span, from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> bool {
    match span {
        Span::Timed { start, end } => start < to && (end > from || (end == start && start >= from)),
        Span::AllDay { from: first, until } => {
            let lo = from.with_timezone(&zone).date_naive();
            let hi = to.with_timezone(&zone).date_naive();
            first <= hi && until > lo
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any text, and any fixture with a line dropped or garbled, reads or fails: never a
        /// panic.
        #[test]
        fn any_feed_reads_or_fails_without_panicking(
            text in ".{0,400}",
            line in 0usize..120,
            junk in "[A-Z;=:0-9T,-]{0,30}",
        ) {
            let from = chrono::Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
            let to = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
            let _ = occurrences(&text, from, to, chrono_tz::UTC);
            for fixture in [
                include_str!("../../../tests/fixtures/calendar/google.ics"),
                include_str!("../../../tests/fixtures/calendar/outlook.ics"),
            ] {
                let mut lines: Vec<String> = fixture.lines().map(str::to_string).collect();
                if line < lines.len() {
                    lines[line] = format!("{}{junk}", lines[line].split(':').next().unwrap_or_default());
                }
                let _ = occurrences(&lines.join("\r\n"), from, to, chrono_tz::Europe::Berlin);
            }
        }
    }

    #[test]
    fn durations_as_calendars_write_them() {
        assert_eq!(duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(duration("P1D"), Some(Duration::days(1)));
        assert_eq!(duration("P2W"), Some(Duration::weeks(2)));
        assert_eq!(duration("1H"), None);
    }

    #[test]
    fn out_of_office_titles() {
        for t in [
            "OOO",
            "Vacation 🏖",
            "Public holiday",
            "Out of office",
            "PTO (Fri)",
        ] {
            assert!(looks_out_of_office(t), "{t}");
        }
        for t in ["Roadmap review", "Bob / Alice 1:1", "Woods walk"] {
            assert!(!looks_out_of_office(t), "{t}");
        }
    }
}
