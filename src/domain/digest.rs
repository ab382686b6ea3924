//! The team channel digest: only what members chose to share.
//!
//! Privacy by construction: a [`Digest`] has no field that could hold a note, a fire, an
//! energy level, a 1:1 or anyone's own split. And no number in it can be differenced down
//! to one person:
//! - aggregates (median split, share on the critical path, participation) appear only when
//!   at least [`MIN_MEMBERS_FOR_AGGREGATES`] members checked in during the covered week;
//! - they are rounded to the nearest [`AGGREGATE_ROUNDING`];
//! - they always cover the last complete ISO week ([`covered_week`]), which nobody can
//!   change any more, so every digest sent during a week shows the same numbers — a member
//!   who edits their own check-in between two digests learns nothing about the others.
//!
//! Public wins are what their authors chose to publish: those of the last
//! [`WINS_DAYS`] days, as of the day the digest is sent.

use crate::domain::ids::{ChannelRef, Person, UserId};
use crate::domain::schedule::ScheduleSpec;
use crate::domain::week::IsoWeek;
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Fewer members checked in than this and aggregates could point at a person.
pub const MIN_MEMBERS_FOR_AGGREGATES: usize = 5;

/// Aggregates are rounded to the nearest multiple of this (percentage points).
pub const AGGREGATE_ROUNDING: u8 = 10;

/// Public wins of this many days, ending the day a digest is sent.
pub const WINS_DAYS: i64 = 7;

/// Subscriptions one user may own: a digest is a team's, not a broadcast channel's.
pub const MAX_OWNED_SUBSCRIPTIONS: usize = 3;

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
    /// The team numbers of the last week a digest covered, fixed by its first digest: later
    /// digests of that week show them again, whatever members did since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered: Option<CoveredWeek>,
}

/// A covered week's team numbers, as its first digest showed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredWeek {
    pub week: IsoWeek,
    pub members: usize,
    pub aggregates: Option<Aggregates>,
}

impl Digest {
    /// The numbers this digest shows, to keep for the rest of its week.
    pub fn covered(&self) -> CoveredWeek {
        CoveredWeek {
            week: self.week,
            members: self.members,
            aggregates: self.aggregates,
        }
    }

    /// Shows `kept` numbers instead, when they are for this digest's week: every digest of a
    /// week shows what its first showed, so nobody learns anything by changing their own
    /// check-ins (or joining, leaving, moving zones) between two of them.
    pub fn with_numbers_of(mut self, kept: &CoveredWeek) -> Self {
        if kept.week == self.week {
            self.members = kept.members;
            self.aggregates = kept.aggregates;
        }
        self
    }
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

/// The week a digest sent on `today` counts: the last complete ISO week.
pub fn covered_week(today: NaiveDate) -> IsoWeek {
    IsoWeek::of(today).back(1)
}

/// The first day whose public wins a digest sent on `today` shows.
pub fn wins_from(today: NaiveDate) -> NaiveDate {
    today - Duration::days(WINS_DAYS - 1)
}

/// What one member contributes: only shareable facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberWeek {
    pub member: Person,
    /// The member's engineering share in the covered week; `None` if they didn't check in.
    pub eng_pct: Option<u8>,
    /// Whether a check-in of the covered week had them on the critical path.
    pub on_critical_path: bool,
    /// Wins the member marked `--public` in the last [`WINS_DAYS`] days, with when.
    pub public_wins: Vec<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub channel: ChannelRef,
    /// The week the aggregates cover: the last complete one.
    pub week: IsoWeek,
    /// Members who opted in.
    pub members: usize,
    pub aggregates: Option<Aggregates>,
    /// Public wins of the last [`WINS_DAYS`] days, oldest first, by author.
    pub wins: Vec<(Person, String)>,
}

/// Team numbers, each rounded to the nearest [`AGGREGATE_ROUNDING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregates {
    pub median_eng_pct: u8,
    /// Share of checked-in members on the critical path, 0-100.
    pub critical_path_pct: u8,
    /// Share of members who checked in, 0-100.
    pub participation_pct: u8,
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
            median_eng_pct: round_to_ten(median(&shares)),
            critical_path_pct: round_to_ten(percent(on_cp, checked_in)),
            participation_pct: round_to_ten(percent(checked_in, weeks.len())),
        }
    });
    let mut dated: Vec<(DateTime<Utc>, Person, String)> = weeks
        .iter()
        .flat_map(|m| {
            m.public_wins
                .iter()
                .map(|(at, text)| (*at, m.member.clone(), text.clone()))
        })
        .collect();
    // Oldest first, and the newest kept when there are too many.
    dated.sort_by_key(|(at, _, _)| *at);
    let skip = dated.len().saturating_sub(MAX_DIGEST_WINS);
    let wins: Vec<(Person, String)> = dated
        .into_iter()
        .skip(skip)
        .map(|(_, who, text)| (who, text))
        .collect();
    Digest {
        channel,
        week,
        members: weeks.len(),
        aggregates,
        wins,
    }
}

/// `part` of `whole` as a whole percentage, rounded half up; 0 of nothing is 0.
fn percent(part: usize, whole: usize) -> u8 {
    if whole == 0 {
        return 0;
    }
    ((part.min(whole) * 100 + whole / 2) / whole) as u8
}

/// To the nearest multiple of [`AGGREGATE_ROUNDING`], halves up: 35 → 40, 34 → 30.
fn round_to_ten(pct: u8) -> u8 {
    let step = u16::from(AGGREGATE_ROUNDING);
    (((u16::from(pct.min(100)) + step / 2) / step) * step) as u8
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
            public_wins: wins
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    (
                        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(i as i64),
                        w.to_string(),
                    )
                })
                .collect(),
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
    fn aggregates_need_five_members_who_checked_in_and_are_rounded_to_ten() {
        let four = compose(
            channel(),
            week(),
            &[
                member("A", Some(40), true, &[]),
                member("B", Some(60), false, &[]),
                member("C", Some(90), false, &[]),
                member("D", Some(10), false, &[]),
                member("E", None, true, &[]),
            ],
        );
        assert_eq!((four.members, four.aggregates), (5, None));

        let five = compose(
            channel(),
            week(),
            &[
                member("A", Some(40), true, &[]),
                member("B", Some(60), false, &[]),
                member("C", Some(90), false, &[]),
                member("D", Some(10), false, &[]),
                member("E", Some(35), false, &[]),
                member("F", None, true, &[]),
            ],
        );
        // Median 40; 1 of 5 on the critical path is 20%; 5 of 6 checked in is 83% → 80%.
        assert_eq!(
            five.aggregates,
            Some(Aggregates {
                median_eng_pct: 40,
                critical_path_pct: 20,
                participation_pct: 80,
            })
        );
    }

    #[test]
    fn rounding_goes_to_the_nearest_ten() {
        assert_eq!(
            [0, 4, 5, 34, 35, 94, 95, 100, 250].map(round_to_ten),
            [0, 0, 10, 30, 40, 90, 100, 100, 100]
        );
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(0, 0), 0);
    }

    #[test]
    fn a_member_moving_their_own_share_sees_the_median_only_in_steps_of_ten() {
        // The differencing attack: a member edits their own share and watches the median.
        let median_with = |mine: u8| {
            compose(
                channel(),
                week(),
                &[
                    member("A", Some(mine), false, &[]),
                    member("B", Some(33), false, &[]),
                    member("C", Some(47), false, &[]),
                    member("D", Some(61), false, &[]),
                    member("E", Some(72), false, &[]),
                ],
            )
            .aggregates
            .map(|a| a.median_eng_pct)
        };
        for mine in 0..=100 {
            assert_eq!(median_with(mine).map(|m| m % 10), Some(0), "{mine}");
        }
    }

    #[test]
    fn too_many_wins_keep_the_newest_oldest_first() {
        let at = |h: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::hours(h);
        let mut a = member("A", None, false, &[]);
        let mut b = member("B", None, false, &[]);
        // A's wins are the oldest and the newest; B's in between.
        a.public_wins = vec![(at(0), "a-old".into()), (at(100), "a-new".into())];
        b.public_wins = (1..=MAX_DIGEST_WINS as i64)
            .map(|h| (at(h), format!("b{h}")))
            .collect();
        let d = compose(channel(), week(), &[a, b]);
        let texts: Vec<&str> = d.wins.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts.len(), MAX_DIGEST_WINS);
        assert_eq!(
            texts.first(),
            Some(&"b2"),
            "the oldest two fell off: {texts:?}"
        );
        assert_eq!(texts.last(), Some(&"a-new"));
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
    fn every_digest_of_a_week_covers_the_last_complete_week() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        for day in monday.iter_days().take(7) {
            assert_eq!(covered_week(day), IsoWeek::of(monday).back(1), "{day}");
        }
        assert_eq!(
            wins_from(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }
}
