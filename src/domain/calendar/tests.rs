//! The calendar's reading and figures, from the fixtures in `tests/fixtures/calendar/` (a
//! Google export and an Outlook one). Every instant is fixed: no test reads the clock.

use super::ics::{occurrences, Occurrence, Span};
use super::*;
use crate::domain::ids::UserId;
use chrono::{NaiveDate, TimeZone, Timelike};
use chrono_tz::{America::Los_Angeles, Europe::Berlin};

const GOOGLE: &str = include_str!("../../../tests/fixtures/calendar/google.ics");
const OUTLOOK: &str = include_str!("../../../tests/fixtures/calendar/outlook.ics");

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn report(id: &str, label: &str) -> Report {
    Report {
        person: Person {
            id: UserId::parse(id).unwrap(),
            label: Some(label.into()),
        },
        cadence_days: 7,
        added: date(2026, 10, 1),
    }
}

/// Alice's Friday afternoon in Berlin, in ISO week 48 (23-29 Nov 2026).
fn google_now() -> DateTime<Utc> {
    utc(2026, 11, 27, 15, 0)
}

fn google() -> Vec<Occurrence> {
    let (from, to) = window(google_now(), Berlin);
    occurrences(GOOGLE, from, to, Berlin).unwrap()
}

fn starts_of(occ: &[Occurrence], uid: &str, tz: Tz) -> Vec<(NaiveDate, u32, u32, bool)> {
    let mut out: Vec<_> = occ
        .iter()
        .filter(|o| o.uid == uid)
        .filter_map(|o| match o.span {
            Span::Timed { start, .. } => {
                let l = start.with_timezone(&tz);
                Some((l.date_naive(), l.hour(), l.minute(), o.cancelled))
            }
            Span::AllDay { .. } => None,
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_weekly_1on1_with_an_exdate_a_moved_and_a_cancelled_occurrence() {
    let starts = starts_of(&google(), "1on1-bob-91c2@google.com", Berlin);
    assert_eq!(
        starts,
        vec![
            // 3 Nov: EXDATE, gone.
            (date(2026, 11, 10), 10, 0, true),  // cancelled
            (date(2026, 11, 18), 14, 0, false), // moved from Tue 17th
            (date(2026, 11, 24), 10, 0, false),
            (date(2026, 12, 1), 10, 0, false),
            (date(2026, 12, 8), 10, 0, false),
            (date(2026, 12, 15), 10, 0, false),
            (date(2026, 12, 22), 10, 0, false),
        ]
    );
}

#[test]
fn a_series_keeps_its_local_time_across_a_dst_change() {
    // Europe leaves summer time on Sunday 25 Oct 2026: the 1:1 stays at 10:00 local, which
    // is 08:00 UTC before and 09:00 UTC after.
    let occ = occurrences(
        GOOGLE,
        utc(2026, 10, 19, 0, 0),
        utc(2026, 11, 1, 0, 0),
        Berlin,
    )
    .unwrap();
    let mut utc_hours: Vec<(NaiveDate, u32)> = occ
        .iter()
        .filter(|o| o.uid == "1on1-bob-91c2@google.com")
        .filter_map(|o| match o.span {
            Span::Timed { start, .. } => Some((start.date_naive(), start.hour())),
            Span::AllDay { .. } => None,
        })
        .collect();
    utc_hours.sort();
    assert_eq!(
        utc_hours,
        vec![(date(2026, 10, 20), 8), (date(2026, 10, 27), 9)]
    );
    // The week that crosses the change still counts 09:00-17:00 local each working day.
    let week = IsoWeek::of(date(2026, 10, 21));
    let f = week_figures(
        &occ,
        week,
        WorkingHours::default(),
        Berlin,
        &[],
        utc(2026, 10, 30, 0, 0),
    );
    assert_eq!(f.meeting_minutes, 5 * 15 + 30);
    assert_eq!(f.focus_blocks, 5);
}

#[test]
fn meetings_and_focus_blocks_within_working_hours() {
    let derived = derive(
        &google(),
        &[],
        WorkingHours::default(),
        Berlin,
        google_now(),
    );
    let this = derived.weeks.last().unwrap();
    assert_eq!(this.week, IsoWeek::of(date(2026, 11, 27)));
    // Standups 5 × 15 min, the 1:1 30 min, planning 3 h; the transparent "Focus time" is free.
    assert_eq!(this.meeting_minutes, 75 + 30 + 180);
    assert_eq!(this.meeting_hours(), 5);
    assert_eq!(this.focus_blocks, 5);
    // Shorter days: 13:00-15:00 has the planning meeting on Wednesday only.
    let short = WorkingHours::new(
        Weekday::Mon,
        Weekday::Fri,
        NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
    )
    .unwrap();
    let f = week_figures(&google(), this.week, short, Berlin, &[], google_now());
    assert_eq!((f.meeting_minutes, f.focus_blocks), (180, 4));
}

#[test]
fn an_all_day_vacation_is_out_of_office() {
    let derived = derive(
        &google(),
        &[],
        WorkingHours::default(),
        Berlin,
        google_now(),
    );
    assert_eq!(
        derived.ooo,
        vec![Pause {
            from: date(2026, 12, 3),
            through: date(2026, 12, 4)
        }]
    );
}

#[test]
fn a_series_naming_a_report_with_a_1on1_marker_is_a_candidate_and_logs_only_what_happened() {
    let roster = [report("UBOB", "bob"), report("UCAROL", "carol")];
    let derived = derive(
        &google(),
        &roster,
        WorkingHours::default(),
        Berlin,
        google_now(),
    );
    assert_eq!(
        derived.candidates,
        vec![(
            "1on1-bob-91c2@google.com".to_string(),
            roster[0].person.clone()
        )]
    );
    let mut link = CalendarLink {
        url: Some("https://calendar.google.com/calendar/ical/a/private-x/basic.ics".into()),
        ..CalendarLink::default()
    };
    let applied = link.apply(derived.clone(), date(2026, 11, 27));
    assert_eq!(applied.offered.len(), 1);
    assert!(applied.log.is_empty(), "nothing logged before a yes");
    // Offered once per series: the next refresh doesn't ask again.
    assert!(link
        .apply(derived.clone(), date(2026, 11, 27))
        .offered
        .is_empty());
    assert_eq!(
        link.answer("1on1-bob-91c2@google.com", true),
        Some(roster[0].person.clone())
    );
    let applied = link.apply(derived.clone(), date(2026, 11, 27));
    // 10 Nov cancelled, 3 Nov excluded: the moved 18th and the 24th.
    assert_eq!(
        applied.log,
        vec![
            (roster[0].person.clone(), date(2026, 11, 18)),
            (roster[0].person.clone(), date(2026, 11, 24)),
        ]
    );
    assert!(
        link.apply(derived, date(2026, 11, 27)).log.is_empty(),
        "logged once"
    );
}

#[test]
fn outlook_windows_zone_rdate_declined_and_out_of_office_status() {
    let now = utc(2026, 11, 27, 20, 0); // Friday noon in California
    let (from, to) = window(now, Los_Angeles);
    let occ = occurrences(OUTLOOK, from, to, chrono_tz::UTC).unwrap();
    // "Pacific Standard Time" is read as America/Los_Angeles, whatever the fallback zone.
    let sync = starts_of(
        &occ,
        "040000008200E00074C5B7101A82E00800000000A1B2C3D4",
        Los_Angeles,
    );
    assert!(
        sync.contains(&(date(2026, 11, 23), 11, 0, false)),
        "{sync:?}"
    );
    assert!(
        sync.contains(&(date(2026, 11, 25), 11, 0, false)),
        "the RDATE: {sync:?}"
    );
    let roster = [report("UCAROL", "Carol")];
    let derived = derive(&occ, &roster, WorkingHours::default(), Los_Angeles, now);
    assert_eq!(derived.candidates.len(), 1);
    let carol_uid = "040000008200E00074C5B7101A82E00800000000E5F6A7B8";
    let held: Vec<NaiveDate> = derived
        .held
        .iter()
        .filter(|(uid, _)| uid == carol_uid)
        .map(|(_, d)| *d)
        .collect();
    assert!(!held.contains(&date(2026, 11, 19)), "declined: {held:?}");
    assert!(held.contains(&date(2026, 11, 26)), "{held:?}");
    assert_eq!(
        derived.ooo,
        vec![Pause {
            from: date(2026, 11, 30),
            through: date(2026, 12, 1)
        }]
    );
    let this = derived.weeks.last().unwrap();
    // Team sync Mon + the RDATE Wed (2 h), the 1:1 Thu (30 min); lunch is free.
    assert_eq!(this.meeting_minutes, 150);
}

#[test]
fn the_focus_nudge_needs_an_engineering_target_and_a_week_without_a_block() {
    let today = date(2026, 11, 27);
    let mut record = crate::domain::user::UserRecord::new(utc(2026, 10, 1, 0, 0));
    record.target_pct = 70;
    let week = IsoWeek::of(today);
    record.calendar = Some(CalendarLink {
        url: Some("https://example.com/a.ics".into()),
        weeks: vec![WeekFigures {
            week,
            meeting_minutes: 1500,
            focus_blocks: 0,
            at: utc(2026, 11, 27, 8, 0),
        }],
        ..CalendarLink::default()
    });
    assert_eq!(
        focus_nudge(&record, today),
        Some(crate::domain::nudge::Nudge::Focus { target_pct: 70 })
    );
    record.target_pct = 40;
    assert_eq!(focus_nudge(&record, today), None);
    record.target_pct = 70;
    if let Some(c) = record.calendar.as_mut() {
        c.weeks[0].focus_blocks = 1;
    }
    assert_eq!(focus_nudge(&record, today), None);
}

#[test]
fn an_ooo_day_pauses_and_resume_wins() {
    let mut record = crate::domain::user::UserRecord::new(utc(2026, 10, 1, 0, 0));
    record.calendar = Some(CalendarLink {
        ooo: vec![Pause {
            from: date(2026, 12, 3),
            through: date(2026, 12, 4),
        }],
        ..CalendarLink::default()
    });
    assert!(record.pause_on(date(2026, 12, 3)).is_some());
    assert!(record.pause_on(date(2026, 12, 5)).is_none());
    assert!(record.paused_in(IsoWeek::of(date(2026, 12, 3))));
    assert!(record.calendar.as_mut().unwrap().resume(date(2026, 12, 3)));
    assert!(record.pause_on(date(2026, 12, 4)).is_none());
}

#[test]
fn the_url_is_shown_masked() {
    assert_eq!(
        mask_url("https://calendar.google.com/calendar/ical/a%40b/private-123/basic.ics"),
        "calendar.google.com/…"
    );
    assert_eq!(
        mask_url("https://user:pw@outlook.office365.com/owa/x.ics"),
        "outlook.office365.com/…"
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(
        occurrences("not a calendar", google_now(), google_now(), Berlin).is_err()
            || occurrences("not a calendar", google_now(), google_now(), Berlin)
                .unwrap()
                .is_empty()
    );
    let broken = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026XX\r\nRRULE:FREQ=NOPE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert!(occurrences(broken, google_now(), google_now(), Berlin).is_ok_and(|o| o.is_empty()));
}
