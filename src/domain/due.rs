//! Which fire of a schedule is due now: the scheduler's rule, as one pure function.
//!
//! Three conditions, each for a reason a user would notice:
//! - only the **latest** fire at or before now, so a bot that was down sends one catch-up,
//!   not a backlog;
//! - only while it is **still relevant**: a check-in prompt on its own local day, a summary
//!   or digest within its own ISO week;
//! - **never retroactive**: a fire from before the job took its current form (the user's
//!   first contact, a schedule or zone change, a digest subscription or its rescheduling)
//!   is never sent. Without this a new user on a Sunday evening got Friday's summary, and a
//!   schedule set to a time earlier today fired at once — a double post beside the on-time
//!   message.

use crate::domain::schedule::{FireTime, ScheduleSpec};
use crate::domain::week::{local_date, IsoWeek};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// How long a fired message stays worth sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relevance {
    /// Until the end of the fire's local day (check-in prompts).
    SameDay,
    /// Until the end of the fire's ISO week (summaries, digests).
    SameWeek,
}

/// The fire of `spec` to send at `now`, read in `tz`, for a job in its current form since
/// `in_force_since`; `None` when nothing is due.
pub fn fire_to_send(
    spec: &ScheduleSpec,
    now: DateTime<Utc>,
    tz: Tz,
    relevance: Relevance,
    in_force_since: DateTime<Utc>,
) -> Option<FireTime> {
    spec.latest_fire(now, tz)
        .filter(|fire| fire.at >= in_force_since)
        .filter(|fire| still_relevant(relevance, fire, now, tz))
}

fn still_relevant(relevance: Relevance, fire: &FireTime, now: DateTime<Utc>, tz: Tz) -> bool {
    let today = local_date(now, tz);
    let fire_day = fire.local.date();
    match relevance {
        Relevance::SameWeek => IsoWeek::of(fire_day) == IsoWeek::of(today),
        Relevance::SameDay => fire_day == today,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::digest::default_digest_schedule;
    use crate::domain::job::JobKind;
    use crate::domain::user::default_schedule;
    use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
    use proptest::prelude::*;

    const ZONES: [Tz; 4] = [
        chrono_tz::UTC,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::Los_Angeles,
        chrono_tz::Asia::Kolkata,
    ];

    /// The product's three default jobs and how long each stays relevant.
    fn default_jobs() -> [(ScheduleSpec, Relevance); 3] {
        [
            (default_schedule(JobKind::Checkin), Relevance::SameDay),
            (default_schedule(JobKind::Summary), Relevance::SameWeek),
            (default_digest_schedule(), Relevance::SameWeek),
        ]
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn a_job_created_at_any_weekday_and_hour_sends_nothing_until_its_next_fire() {
        // Monday 2027-01-04 .. Sunday 2027-01-10, every hour and a half, in four zones.
        let monday = utc(2027, 1, 4, 0, 0);
        for zone in ZONES {
            for (spec, relevance) in default_jobs() {
                for step in 0..(7 * 16) {
                    let created = monday + Duration::minutes(90 * step + 7);
                    // The first contact itself and every scheduler round of the next hour
                    // before the job's next fire: nothing.
                    let next = spec.next_after(&created.with_timezone(&zone)).unwrap();
                    let next = next.with_timezone(&Utc);
                    let mut now = created;
                    while now < next && now < created + Duration::hours(1) {
                        assert_eq!(
                            fire_to_send(&spec, now, zone, relevance, created),
                            None,
                            "{} created {created} ({}), now {now}",
                            spec.source(),
                            created.with_timezone(&zone).weekday(),
                        );
                        now += Duration::seconds(30);
                    }
                    // Its next fire goes out.
                    let fire = fire_to_send(&spec, next, zone, relevance, created)
                        .unwrap_or_else(|| panic!("{} created {created}", spec.source()));
                    assert_eq!(fire.at, next);
                }
            }
        }
    }

    #[test]
    fn a_new_user_on_sunday_evening_gets_no_summary_for_the_friday_before() {
        let sunday = utc(2026, 11, 29, 22, 45);
        assert_eq!(sunday.weekday(), Weekday::Sun);
        let summary = default_schedule(JobKind::Summary);
        let thirty_s_later = sunday + Duration::seconds(30);
        assert_eq!(
            fire_to_send(
                &summary,
                thirty_s_later,
                chrono_tz::UTC,
                Relevance::SameWeek,
                sunday
            ),
            None
        );
        // A user who existed before Friday still gets it as a catch-up on Sunday.
        let before = utc(2026, 11, 20, 9, 0);
        let caught_up = fire_to_send(
            &summary,
            thirty_s_later,
            chrono_tz::UTC,
            Relevance::SameWeek,
            before,
        );
        assert_eq!(caught_up.map(|f| f.at), Some(utc(2026, 11, 27, 16, 0)));
    }

    #[test]
    fn a_schedule_set_to_a_time_earlier_today_waits_for_its_next_day() {
        let spec = ScheduleSpec::parse("weekdays 09:00").unwrap();
        let changed = utc(2027, 3, 3, 11, 20); // a Wednesday
        let tick = changed + Duration::seconds(30);
        assert_eq!(
            fire_to_send(&spec, tick, chrono_tz::UTC, Relevance::SameDay, changed),
            None
        );
        let thursday_nine = utc(2027, 3, 4, 9, 0);
        assert_eq!(
            fire_to_send(
                &spec,
                thursday_nine,
                chrono_tz::UTC,
                Relevance::SameDay,
                changed
            )
            .map(|f| f.at),
            Some(thursday_nine)
        );
    }

    #[test]
    fn a_digest_subscribed_monday_after_nine_starts_next_monday() {
        let digest = default_digest_schedule();
        let subscribed = utc(2026, 11, 30, 9, 5);
        for minutes in [0, 1, 30, 24 * 60, 6 * 24 * 60] {
            let now = subscribed + Duration::minutes(minutes);
            assert_eq!(
                fire_to_send(
                    &digest,
                    now,
                    chrono_tz::UTC,
                    Relevance::SameWeek,
                    subscribed
                ),
                None,
                "{now}"
            );
        }
        let next_monday = utc(2026, 12, 7, 9, 0);
        assert!(fire_to_send(
            &digest,
            next_monday,
            chrono_tz::UTC,
            Relevance::SameWeek,
            subscribed
        )
        .is_some());
    }

    #[test]
    fn catch_up_after_downtime_sends_only_the_latest_fire_while_relevant() {
        let prompt = ScheduleSpec::parse("weekdays 09:00").unwrap();
        let long_ago = utc(2026, 1, 1, 0, 0);
        // Down from Monday 08:00 to Wednesday 12:00: only Wednesday's prompt.
        let back = utc(2027, 3, 3, 12, 0);
        let fire = fire_to_send(&prompt, back, chrono_tz::UTC, Relevance::SameDay, long_ago);
        assert_eq!(fire.map(|f| f.at), Some(utc(2027, 3, 3, 9, 0)));
        // Back on Saturday: Friday's prompt is no longer worth sending.
        let saturday = utc(2027, 3, 6, 12, 0);
        assert_eq!(
            fire_to_send(
                &prompt,
                saturday,
                chrono_tz::UTC,
                Relevance::SameDay,
                long_ago
            ),
            None
        );
    }

    #[test]
    fn a_fire_at_the_very_instant_of_the_change_still_counts() {
        let summary = default_schedule(JobKind::Summary);
        let friday_four = utc(2027, 12, 31, 16, 0);
        assert_eq!(
            fire_to_send(
                &summary,
                friday_four,
                chrono_tz::UTC,
                Relevance::SameWeek,
                friday_four
            )
            .map(|f| f.at),
            Some(friday_four)
        );
    }

    proptest! {
        #[test]
        fn nothing_sent_is_from_before_the_job_existed_or_from_the_future(
            since_min in 0i64..(3 * 366 * 24 * 60),
            later_min in 0i64..(10 * 24 * 60),
            zone in 0usize..ZONES.len(),
            job in 0usize..3,
        ) {
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
            let since = base + Duration::minutes(since_min);
            let now = since + Duration::minutes(later_min);
            let (spec, relevance) = default_jobs()[job].clone();
            if let Some(fire) = fire_to_send(&spec, now, ZONES[zone], relevance, since) {
                prop_assert!(fire.at >= since && fire.at <= now);
            }
        }
    }
}
