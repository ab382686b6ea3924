//! The team channel digest: only what members chose to share.
//!
//! Privacy by construction: a [`Digest`] has no field that could hold a note, a fire, an
//! energy level, a 1:1 or anyone's own split. Aggregates appear only when at least
//! [`MIN_MEMBERS_FOR_AGGREGATES`] members checked in, so no single member's numbers can be
//! read off them.

use crate::domain::ids::{ChannelRef, Person, UserId};
use crate::domain::schedule::ScheduleSpec;
use crate::domain::week::IsoWeek;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Fewer members than this and aggregates would point at a person.
pub const MIN_MEMBERS_FOR_AGGREGATES: usize = 3;

/// Public wins shown per digest, newest kept: a digest is a glance, not a feed.
pub const MAX_DIGEST_WINS: usize = 10;

/// A channel subscribed with `/tlm digest #channel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub channel: ChannelRef,
    /// Who subscribed it: the digest runs in their time zone.
    pub owner: UserId,
    /// `None` for the default, Monday 09:00.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleSpec>,
    /// TLMs who opted in with `join`; only they are counted or quoted.
    #[serde(default)]
    pub members: Vec<UserId>,
    pub created: DateTime<Utc>,
    /// When the schedule was last changed: fires from before it are never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_since: Option<DateTime<Utc>>,
}

impl Subscription {
    /// Sets the schedule, remembering when it changed.
    pub fn reschedule(&mut self, spec: ScheduleSpec, now: DateTime<Utc>) {
        if self.schedule.as_ref() != Some(&spec) {
            self.schedule = Some(spec);
            self.schedule_since = Some(now);
        }
    }

    /// Since when this digest has had its current form, given when its owner's zone last
    /// changed (the digest runs in the owner's zone): fires before it are never sent.
    pub fn in_force_since(&self, owner_tz_since: Option<DateTime<Utc>>) -> DateTime<Utc> {
        [Some(self.created), self.schedule_since, owner_tz_since]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.created)
    }
}

/// The default digest time: Monday 09:00, about the week that just ended.
pub fn default_digest_schedule() -> ScheduleSpec {
    ScheduleSpec::weekly(&[Weekday::Mon], 9, 0)
}

/// The week a digest sent on `today` is about: early in the week (Monday to Wednesday) the
/// week that just ended, later the current one, so a Monday digest isn't empty and a Friday
/// one isn't stale.
pub fn digest_week(today: NaiveDate) -> IsoWeek {
    let week = IsoWeek::of(today);
    match today.weekday() {
        Weekday::Mon | Weekday::Tue | Weekday::Wed => week.back(1),
        _ => week,
    }
}

/// What one member's week contributes: only shareable facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberWeek {
    pub member: Person,
    /// The member's engineering share that week; `None` if they didn't check in.
    pub eng_pct: Option<u8>,
    pub on_critical_path: bool,
    /// Wins the member marked `--public` that week.
    pub public_wins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub channel: ChannelRef,
    pub week: IsoWeek,
    pub members: usize,
    pub checked_in: usize,
    pub aggregates: Option<Aggregates>,
    pub wins: Vec<(Person, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Aggregates {
    pub median_eng_pct: u8,
    /// Share of checked-in members on the critical path, 0-100.
    pub critical_path_pct: u8,
}

pub fn compose(channel: ChannelRef, week: IsoWeek, weeks: &[MemberWeek]) -> Digest {
    let mut shares: Vec<u8> = weeks.iter().filter_map(|m| m.eng_pct).collect();
    shares.sort_unstable();
    let checked_in = shares.len();
    let aggregates = (checked_in >= MIN_MEMBERS_FOR_AGGREGATES).then(|| {
        let on_cp = weeks
            .iter()
            .filter(|m| m.eng_pct.is_some() && m.on_critical_path)
            .count();
        Aggregates {
            median_eng_pct: median(&shares),
            critical_path_pct: ((on_cp * 100 + checked_in / 2) / checked_in) as u8,
        }
    });
    let mut wins: Vec<(Person, String)> = weeks
        .iter()
        .flat_map(|m| m.public_wins.iter().map(|w| (m.member.clone(), w.clone())))
        .collect();
    let skip = wins.len().saturating_sub(MAX_DIGEST_WINS);
    wins.drain(..skip);
    Digest {
        channel,
        week,
        members: weeks.len(),
        checked_in,
        aggregates,
        wins,
    }
}

/// The median of sorted shares, the mean of the middle two rounded half up when even.
fn median(sorted: &[u8]) -> u8 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (u16::from(sorted[n / 2 - 1]) + u16::from(sorted[n / 2])).div_ceil(2) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, eng: Option<u8>, cp: bool, wins: &[&str]) -> MemberWeek {
        MemberWeek {
            member: Person {
                id: UserId::parse(id).unwrap(),
                label: None,
            },
            eng_pct: eng,
            on_critical_path: cp,
            public_wins: wins.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn channel() -> ChannelRef {
        ChannelRef {
            id: crate::domain::ids::ChannelId::parse("C1").unwrap(),
            name: Some("eng".into()),
        }
    }

    fn week() -> IsoWeek {
        IsoWeek {
            year: 2026,
            week: 48,
        }
    }

    #[test]
    fn aggregates_need_three_members_who_checked_in() {
        let two = compose(
            channel(),
            week(),
            &[
                member("A", Some(40), true, &[]),
                member("B", Some(60), false, &[]),
                member("C", None, true, &[]),
            ],
        );
        assert_eq!((two.members, two.checked_in, two.aggregates), (3, 2, None));

        let four = compose(
            channel(),
            week(),
            &[
                member("A", Some(40), true, &[]),
                member("B", Some(60), false, &[]),
                member("C", Some(90), false, &[]),
                member("D", Some(10), false, &[]),
            ],
        );
        assert_eq!(
            four.aggregates,
            Some(Aggregates {
                median_eng_pct: 50,
                critical_path_pct: 25
            })
        );
    }

    #[test]
    fn a_digest_carries_public_wins_with_their_author() {
        let d = compose(
            channel(),
            week(),
            &[member("A", None, false, &["shipped the RFC"])],
        );
        assert_eq!(d.wins.len(), 1);
        assert_eq!(d.wins[0].1, "shipped the RFC");
    }

    #[test]
    fn early_in_the_week_the_digest_is_about_last_week() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(digest_week(monday), IsoWeek::of(monday).back(1));
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(digest_week(friday), IsoWeek::of(friday));
    }
}
