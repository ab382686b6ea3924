//! Signals the bot measures from a user's own calendar: meeting hours and focus blocks per
//! ISO week within working hours, out-of-office days, and recurring events that look like a
//! 1:1 with someone on the roster. What is stored (`CalendarLink`, one field of the user
//! record) holds only derived figures, ids and dates — never the feed, and a series' title
//! only while the bot is asking about it.
//!
//! Pure: the feed's text and `now` come in as values (`ics.rs` reads the text).

pub mod ics;
pub mod windows_tz;

use crate::domain::ids::Person;
use crate::domain::team::Report;
use crate::domain::user::Pause;
use crate::domain::week::IsoWeek;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use ics::{Occurrence, Span};
use serde::{Deserialize, Serialize};

/// A free stretch within working hours at least this long is a focus block.
pub const FOCUS_BLOCK_MINUTES: i64 = 120;
/// A feed is fetched at most this often per user.
pub const REFRESH_MINUTES: i64 = 60;
/// Out-of-office days are kept this long after they pass.
pub const OOO_KEEP_DAYS: i64 = 14;
/// Weeks of figures kept.
pub const WEEKS_KEPT: usize = 2;
/// Series remembered at most (offered, confirmed or declined).
pub const MAX_SERIES: usize = 50;
/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// How far back a confirmed series' occurrences are logged on confirmation.
pub const BACKFILL_DAYS: i64 = 28;
/// How far ahead the out-of-office days are read.
pub const OOO_AHEAD_DAYS: i64 = 28;

/// A user's calendar: the secret feed address and what was derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CalendarLink {
    /// The secret iCal address; `None` after `calendar off` (working hours stay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default)]
    pub hours: WorkingHours,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The last fetch attempt, successful or not: the hourly limit counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<DateTime<Utc>>,
    /// The latest weeks' figures, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weeks: Vec<WeekFigures>,
    /// Recurring events offered as 1:1s, and the answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Series>,
    /// All-day out-of-office stretches, both days included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ooo: Vec<Pause>,
    /// Out-of-office stretches `resume` ended (their first day): not paused again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ooo_resumed: Vec<NaiveDate>,
}

/// Working days and hours, local to the user's zone. Default Monday-Friday 09:00-17:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    /// First and last working weekday, Monday = 0.
    pub first_day: u8,
    pub last_day: u8,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            first_day: 0,
            last_day: 4,
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        }
    }
}

impl WorkingHours {
    /// `None` unless the days are in order within the week and the day is non-empty.
    pub fn new(first: Weekday, last: Weekday, start: NaiveTime, end: NaiveTime) -> Option<Self> {
        let (first_day, last_day) = (
            first.num_days_from_monday() as u8,
            last.num_days_from_monday() as u8,
        );
        (first_day <= last_day && start < end).then_some(Self {
            first_day,
            last_day,
            start,
            end,
        })
    }

    /// Whether stored values hold together.
    pub fn is_valid(&self) -> bool {
        self.first_day <= self.last_day && self.last_day <= 6 && self.start < self.end
    }

    pub fn works_on(&self, date: NaiveDate) -> bool {
        let d = date.weekday().num_days_from_monday() as u8;
        self.first_day <= d && d <= self.last_day
    }

    pub fn days(&self) -> (Weekday, Weekday) {
        let day = |n: u8| Weekday::try_from(n).unwrap_or(Weekday::Mon);
        (day(self.first_day), day(self.last_day))
    }
}

/// One ISO week's figures, within working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekFigures {
    pub week: IsoWeek,
    /// Busy time in meetings (overlaps counted once).
    pub meeting_minutes: u32,
    /// Free stretches of [`FOCUS_BLOCK_MINUTES`] or more.
    pub focus_blocks: u32,
    /// When these were computed.
    pub at: DateTime<Utc>,
}

impl WeekFigures {
    /// Meeting hours, rounded to the nearest hour.
    pub fn meeting_hours(&self) -> u32 {
        (self.meeting_minutes + 30) / 60
    }
}

/// A recurring event that looks like a 1:1 with a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// The event's `UID` (not secret, but not shown either).
    pub uid: String,
    pub with: Person,
    pub state: SeriesState,
    /// Occurrences on or before this date are logged already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_through: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesState {
    /// Asked, no answer yet.
    Offered,
    Confirmed,
    Declined,
}

/// What one refresh derived from a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub weeks: Vec<WeekFigures>,
    pub ooo: Vec<Pause>,
    /// Recurring events that look like a 1:1 with a roster member: `(uid, report)`.
    pub candidates: Vec<(String, Person)>,
    /// Dates a series happened (not cancelled or declined), per uid, up to now.
    pub held: Vec<(String, NaiveDate)>,
}

/// The address shown back to its owner: the host and an ellipsis, never the secret path
/// (`https://calendar.google.com/…/basic.ics` → `calendar.google.com/…`).
pub fn mask_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{host}/…")
}

/// The window a refresh reads: from the Monday of last week (or [`BACKFILL_DAYS`] back, if
/// earlier) to [`OOO_AHEAD_DAYS`] ahead.
pub fn window(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.with_timezone(&tz).date_naive();
    let monday = IsoWeek::of(today).monday() - Duration::days(7);
    let start = local_midnight(monday.min(today - Duration::days(BACKFILL_DAYS)), tz);
    let end = local_midnight(today + Duration::days(OOO_AHEAD_DAYS), tz);
    (start, end)
}

fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

fn local_at(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

/// Everything a refresh derives: last week's and this week's figures, out-of-office days,
/// 1:1 candidates among the roster, and the past dates each series happened.
pub fn derive(
    occurrences: &[Occurrence],
    roster: &[Report],
    hours: WorkingHours,
    tz: Tz,
    now: DateTime<Utc>,
) -> Derived {
    let today = now.with_timezone(&tz).date_naive();
    let this_week = IsoWeek::of(today);
    let last_week = IsoWeek::of(this_week.monday() - Duration::days(1));
    let ooo = ooo_stretches(occurrences, today);
    let weeks = [last_week, this_week]
        .into_iter()
        .map(|w| week_figures(occurrences, w, hours, tz, &ooo, now))
        .collect();
    let mut candidates: Vec<(String, Person)> = Vec::new();
    for o in occurrences
        .iter()
        .filter(|o| o.recurring && !o.uid.is_empty())
    {
        if candidates.iter().any(|(uid, _)| *uid == o.uid) {
            continue;
        }
        if let Some(report) = looks_like_one_on_one(o, roster) {
            candidates.push((o.uid.clone(), report.person.clone()));
        }
    }
    let mut held: Vec<(String, NaiveDate)> = occurrences
        .iter()
        .filter(|o| o.recurring && !o.cancelled && !o.declined)
        .filter_map(|o| match o.span {
            Span::Timed { start, .. } if start <= now => {
                Some((o.uid.clone(), start.with_timezone(&tz).date_naive()))
            }
            _ => None,
        })
        .collect();
    held.sort();
    held.dedup();
    Derived {
        weeks,
        ooo,
        candidates,
        held,
    }
}

/// A 1:1 with a roster member: the title names them (their label, any case, as a word) and
/// carries a 1:1 marker, or the event has exactly two attendees and names them. Attendee
/// emails are not matched (that would need the `users:read.email` scope).
pub fn looks_like_one_on_one<'r>(o: &Occurrence, roster: &'r [Report]) -> Option<&'r Report> {
    let title = o.title.to_lowercase();
    let marker = ["1:1", "1on1", "1-on-1", "one-on-one", "one on one", "1/1"]
        .iter()
        .any(|m| title.contains(m));
    if !marker && o.attendees != 2 {
        return None;
    }
    let words: Vec<&str> = title
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    roster.iter().find(|r| {
        r.person.label.as_deref().is_some_and(|label| {
            let label = label.trim_start_matches('@').to_lowercase();
            !label.is_empty()
                && (words.contains(&label.as_str())
                    || label
                        .split(' ')
                        .next()
                        .is_some_and(|first| first.len() > 1 && words.contains(&first)))
        })
    })
}

/// All-day out-of-office events, merged into stretches; those ended before
/// [`OOO_KEEP_DAYS`] ago are dropped.
fn ooo_stretches(occurrences: &[Occurrence], today: NaiveDate) -> Vec<Pause> {
    let mut days: Vec<(NaiveDate, NaiveDate)> = occurrences
        .iter()
        .filter(|o| o.out_of_office && !o.cancelled)
        .filter_map(|o| match o.span {
            Span::AllDay { from, until } => Some((from, until - Duration::days(1))),
            Span::Timed { .. } => None,
        })
        .filter(|(_, through)| *through >= today - Duration::days(OOO_KEEP_DAYS))
        .collect();
    days.sort();
    let mut out: Vec<Pause> = Vec::new();
    for (from, through) in days {
        match out.last_mut() {
            Some(last) if from <= last.through + Duration::days(1) => {
                last.through = last.through.max(through);
            }
            _ => out.push(Pause { from, through }),
        }
    }
    out
}

/// One week's meeting minutes and focus blocks, within working hours; out-of-office days
/// have no working hours.
pub fn week_figures(
    occurrences: &[Occurrence],
    week: IsoWeek,
    hours: WorkingHours,
    tz: Tz,
    ooo: &[Pause],
    now: DateTime<Utc>,
) -> WeekFigures {
    let busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = occurrences
        .iter()
        .filter(|o| o.busy && !o.cancelled && !o.declined)
        .filter_map(|o| match o.span {
            Span::Timed { start, end } if end > start => Some((start, end)),
            _ => None,
        })
        .collect();
    let mut meeting = Duration::zero();
    let mut blocks = 0;
    for offset in 0..7 {
        let date = week.monday() + Duration::days(offset);
        if !hours.works_on(date) || ooo.iter().any(|p| p.from <= date && date <= p.through) {
            continue;
        }
        let (day_start, day_end) = (
            local_at(date, hours.start, tz),
            local_at(date, hours.end, tz),
        );
        let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = busy
            .iter()
            .map(|(s, e)| ((*s).max(day_start), (*e).min(day_end)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort();
        let mut cursor = day_start;
        let mut free = Vec::new();
        for (s, e) in spans {
            if s > cursor {
                free.push((cursor, s));
            }
            if e > cursor {
                meeting += e - cursor.max(s);
                cursor = e;
            }
        }
        if day_end > cursor {
            free.push((cursor, day_end));
        }
        blocks += free
            .iter()
            .filter(|(s, e)| *e - *s >= Duration::minutes(FOCUS_BLOCK_MINUTES))
            .count() as u32;
    }
    WeekFigures {
        week,
        meeting_minutes: u32::try_from(meeting.num_minutes()).unwrap_or(u32::MAX),
        focus_blocks: blocks,
        at: now,
    }
}

impl CalendarLink {
    /// This week's figures, if a refresh computed them.
    pub fn figures(&self, week: IsoWeek) -> Option<&WeekFigures> {
        self.weeks.iter().rev().find(|f| f.week == week)
    }

    /// The out-of-office stretch covering a date, unless `resume` ended it.
    pub fn ooo_on(&self, date: NaiveDate) -> Option<&Pause> {
        self.ooo
            .iter()
            .find(|p| p.from <= date && date <= p.through && !self.ooo_resumed.contains(&p.from))
    }

    /// `resume`: the stretch covering today no longer pauses anything.
    pub fn resume(&mut self, today: NaiveDate) -> bool {
        let Some(from) = self.ooo_on(today).map(|p| p.from) else {
            return false;
        };
        self.ooo_resumed.push(from);
        true
    }

    /// Whether the feed may be fetched again (at most hourly).
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.url.is_some()
            && self
                .fetched_at
                .is_none_or(|at| now - at >= Duration::minutes(REFRESH_MINUTES))
    }

    /// Applies what a refresh derived. Returns the series newly offered (to ask about), and
    /// the 1:1s to log: `(report, date)` for confirmed series' new past occurrences.
    pub fn apply(&mut self, derived: Derived, today: NaiveDate) -> Applied {
        self.weeks = derived.weeks;
        self.weeks.truncate(WEEKS_KEPT);
        self.ooo = derived.ooo;
        let keep_from = today - Duration::days(OOO_KEEP_DAYS);
        self.ooo_resumed.retain(|d| *d >= keep_from);
        let mut applied = Applied::default();
        for (uid, person) in derived.candidates {
            if self.series.iter().any(|s| s.uid == uid) || self.series.len() >= MAX_SERIES {
                continue;
            }
            self.series.push(Series {
                uid: uid.clone(),
                with: person.clone(),
                state: SeriesState::Offered,
                logged_through: None,
            });
            applied.offered.push((uid, person));
        }
        for series in self
            .series
            .iter_mut()
            .filter(|s| s.state == SeriesState::Confirmed)
        {
            let mut latest = series.logged_through;
            for (_, date) in derived.held.iter().filter(|(uid, _)| *uid == series.uid) {
                if series.logged_through.is_none_or(|through| *date > through)
                    && *date >= today - Duration::days(BACKFILL_DAYS)
                {
                    applied.log.push((series.with.clone(), *date));
                    latest = latest.max(Some(*date));
                }
            }
            series.logged_through = latest;
        }
        applied
    }

    /// The answer to "is this your 1:1?". `false` if the series isn't waiting for one.
    pub fn answer(&mut self, uid: &str, yes: bool) -> Option<Person> {
        let series = self
            .series
            .iter_mut()
            .find(|s| s.uid == uid && s.state == SeriesState::Offered)?;
        series.state = if yes {
            SeriesState::Confirmed
        } else {
            SeriesState::Declined
        };
        Some(series.with.clone())
    }

    /// Whether stored values hold together (checked when a row is read from disk).
    pub fn is_valid(&self) -> bool {
        self.hours.is_valid()
            && self.url.as_ref().is_none_or(|u| u.len() <= MAX_URL_LEN)
            && self.series.len() <= MAX_SERIES
            && self.ooo.iter().all(|p| p.from <= p.through)
            && self.weeks.len() <= WEEKS_KEPT
    }
}

/// What [`CalendarLink::apply`] asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    pub offered: Vec<(String, Person)>,
    pub log: Vec<(Person, NaiveDate)>,
}

#[cfg(test)]
mod tests;

/// An engineering target at or above this makes a week without focus time worth a nudge.
pub const FOCUS_TARGET_PCT: u8 = 50;

/// The focus nudge: a linked calendar whose figures for this week show no focus block, for
/// a target of at least [`FOCUS_TARGET_PCT`] engineering.
pub fn focus_nudge(
    record: &crate::domain::user::UserRecord,
    today: NaiveDate,
) -> Option<crate::domain::nudge::Nudge> {
    let link = record.calendar.as_ref().filter(|c| c.url.is_some())?;
    let figures = link.figures(IsoWeek::of(today))?;
    (record.target_pct >= FOCUS_TARGET_PCT && figures.focus_blocks == 0).then_some(
        crate::domain::nudge::Nudge::Focus {
            target_pct: record.target_pct,
        },
    )
}

/// A linked calendar's figures for a week, for the summary.
pub fn this_week(record: &crate::domain::user::UserRecord, week: IsoWeek) -> Option<WeekFigures> {
    record
        .calendar
        .as_ref()
        .filter(|c| c.url.is_some())
        .and_then(|c| c.figures(week))
        .copied()
}

/// What `calendar …` and `hours …` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarReply {
    /// Linked; the address as shown back (masked).
    Linked {
        masked: String,
        hours: WorkingHours,
    },
    Unlinked {
        was_linked: bool,
    },
    Hours {
        hours: WorkingHours,
        linked: bool,
    },
    /// The answer to "is this your 1:1 with …?" was recorded.
    Answered {
        with: Person,
        yes: bool,
    },
    /// No series with that person is waiting for an answer.
    NothingToAnswer {
        with: Person,
    },
}
