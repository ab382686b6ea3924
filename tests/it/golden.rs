//! Golden bytes: every value twohats writes to disk, as it writes it.
//!
//! **These bytes are what earlier versions wrote.** If a test here fails, you changed an
//! on-disk format: a stored row (or a backup file) that decoded yesterday no longer does, or
//! is written differently. Don't edit the fixture to match. Keep reading what was written
//! before — add a migration (bump `SCHEMA_VERSION` in `src/store/rows/codec.rs` and an
//! arm in its `migrate`), keep the old fixture passing through it, and add a new one beside
//! it for the new shape.
//!
//! Three layers are pinned:
//! - each stored type's serde shape, as exact JSON text: it decodes to the value built here,
//!   and that value encodes back to the very same text (serde_json writes struct fields in
//!   declaration order, so the text is deterministic);
//! - what the sled adapter stores: those texts inside its versioned envelope
//!   `{"v":1,"d":…}`, under keys laid out as `keys.rs` says — read through a backup, which
//!   embeds stored values verbatim;
//! - the backup file (`tests/fixtures/golden/backup_v1.jsonl`): header, row lines, end
//!   marker. It restores into a fresh store that reads back the values built here, and a
//!   store holding those values backs up to the same row lines.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Debug;
use twohats::domain::checkin::{CheckIn, EngKind, Fire, FireKind, Win};
use twohats::domain::digest::{Aggregates, CoveredWeek, Subscription};
use twohats::domain::doc::{Button, Doc, Element};
use twohats::domain::ids::{ChannelId, ChannelRef, Person, Scope, TeamId, UserId};
use twohats::domain::nudge::NudgeKind;
use twohats::domain::schedule::ScheduleSpec;
use twohats::domain::team::{OneOnOne, OneOnOneSource, Report};
use twohats::domain::user::{CriticalPath, JobSchedule, Pause, TeamSizeNudged, UserRecord};
use twohats::domain::week::IsoWeek;
use twohats::store::prelude::*;
use twohats::store::{BackupSummary, Claim, LedgerKey, OutboxItem, SledStore, StoreError};

/// Decodes `text` into `expected`, and encodes `expected` back into exactly `text`.
#[track_caller]
fn golden<T: Serialize + DeserializeOwned + PartialEq + Debug>(text: &str, expected: &T) {
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the golden text no longer decodes: {e}\n{text}"));
    assert_eq!(&decoded, expected, "the golden text decodes differently");
    assert_eq!(
        serde_json::to_string(expected).unwrap(),
        text,
        "the value encodes differently"
    );
}

/// Decodes `text` (an older or shorter spelling a reader must still accept) into `expected`.
#[track_caller]
fn decodes<T: DeserializeOwned + PartialEq + Debug>(text: &str, expected: &T) {
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the golden text no longer decodes: {e}\n{text}"));
    assert_eq!(&decoded, expected);
}

// ---- the values ----

fn utc(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, h, m, 0).unwrap()
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn team() -> TeamId {
    TeamId::parse("T0001").unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn ann() -> Scope {
    Scope::new(team(), user("UANN"))
}

fn bob() -> Scope {
    Scope::new(team(), user("UBOB"))
}

const USER_FULL: &str = concat!(
    r#"{"created":"2026-11-02T09:00:00Z","label":"Ann O'Neil","tz":"Europe/Paris","#,
    r#""target_pct":40,"#,
    r#""roster":[{"person":{"id":"UBOB","label":"bob"},"cadence_days":14,"added":"2026-11-02"},"#,
    r#"{"person":{"id":"UCAT"},"cadence_days":7,"added":"2026-11-09"}],"#,
    r#""critical_path":{"since":"2026-11-20","what":"billing migration"},"#,
    r#""pauses":[{"from":"2026-12-21","through":"2027-01-01"}],"#,
    r#""snoozes":{"burnout":"2026-12-01","both-fires":"2026-12-02","one-on-ones":"2026-12-03","#,
    r#""critical-path":"2026-12-04","drift":"2026-12-05","team-size":"2026-12-06","wins":"2026-12-07"},"#,
    r#""checkin_schedule":{"at":{"source":"mon,thu 09:30","cron":"0 30 9 * * 2,5"}},"#,
    r#""summary_schedule":"off","#,
    r#""fires_cleared_at":"2026-11-25T08:00:00Z","#,
    r#""team_size_nudged":{"size":6,"at":"2026-11-23T10:00:00Z"},"#,
    r#""tz_since":"2026-11-03T12:00:00Z","#,
    r#""checkin_schedule_since":"2026-11-04T12:00:00Z","#,
    r#""summary_schedule_since":"2026-11-05T12:00:00Z"}"#,
);

/// A user record with every optional field set.
fn user_full() -> UserRecord {
    UserRecord {
        created: utc(11, 2, 9, 0),
        label: Some("Ann O'Neil".into()),
        tz: Some(chrono_tz::Europe::Paris),
        target_pct: 40,
        roster: vec![
            Report {
                person: Person {
                    id: user("UBOB"),
                    label: Some("bob".into()),
                },
                cadence_days: 14,
                added: date(2026, 11, 2),
            },
            Report {
                person: Person {
                    id: user("UCAT"),
                    label: None,
                },
                cadence_days: 7,
                added: date(2026, 11, 9),
            },
        ],
        critical_path: Some(CriticalPath {
            since: date(2026, 11, 20),
            what: Some("billing migration".into()),
        }),
        pauses: vec![Pause {
            from: date(2026, 12, 21),
            through: date(2027, 1, 1),
        }],
        // The kinds there were when this golden text was written (newer kinds have their own
        // case below), so the text stays the same as kinds are added.
        snoozes: [
            NudgeKind::Burnout,
            NudgeKind::BothFires,
            NudgeKind::OneOnOnes,
            NudgeKind::CriticalPath,
            NudgeKind::Drift,
            NudgeKind::TeamSize,
            NudgeKind::Wins,
        ]
        .into_iter()
        .zip(1..)
        .map(|(kind, day)| (kind, date(2026, 12, day)))
        .collect::<BTreeMap<_, _>>(),
        checkin_schedule: JobSchedule::At(ScheduleSpec::parse("mon,thu 09:30").unwrap()),
        summary_schedule: JobSchedule::Off,
        fires_cleared_at: Some(utc(11, 25, 8, 0)),
        team_size_nudged: Some(TeamSizeNudged {
            size: 6,
            at: utc(11, 23, 10, 0),
        }),
        tz_since: Some(utc(11, 3, 12, 0)),
        checkin_schedule_since: Some(utc(11, 4, 12, 0)),
        summary_schedule_since: Some(utc(11, 5, 12, 0)),
        calendar: None,
        // Its own golden case below (`USER_GITHUB`).
        github: None,
    }
}

const USER_WITH_CALENDAR: &str = concat!(
    r#"{"created":"2026-11-02T10:00:00Z","target_pct":70,"roster":[],"pauses":[],"#,
    r#""snoozes":{},"checkin_schedule":"default","summary_schedule":"default","#,
    r#""calendar":{"url":"https://calendar.example.com/private-abc/basic.ics","#,
    r#""hours":{"first_day":0,"last_day":3,"start":"08:30:00","end":"16:30:00"},"#,
    r#""etag":"\"v42\"","last_modified":"Fri, 27 Nov 2026 08:00:00 GMT","#,
    r#""fetched_at":"2026-11-27T08:00:00Z","#,
    r#""weeks":[{"week":{"year":2026,"week":48},"meeting_minutes":1320,"focus_blocks":3,"at":"2026-11-27T08:00:00Z"}],"#,
    r#""series":[{"uid":"1on1-bob@google.com","with":{"id":"UBOB","label":"bob"},"state":"confirmed","logged_through":"2026-11-24"},"#,
    r#"{"uid":"sync@x","with":{"id":"UCAT"},"state":"offered"}],"#,
    r#""ooo":[{"from":"2026-12-03","through":"2026-12-04"}],"#,
    r#""ooo_resumed":["2026-12-03"]}}"#,
);

/// A user record with a linked calendar and every calendar field set.
fn user_with_calendar() -> UserRecord {
    use twohats::domain::calendar::{CalendarLink, Series, SeriesState, WeekFigures, WorkingHours};
    let mut record = UserRecord::new(utc(11, 2, 10, 0));
    record.target_pct = 70;
    record.calendar = Some(CalendarLink {
        url: Some("https://calendar.example.com/private-abc/basic.ics".into()),
        hours: WorkingHours::new(
            chrono::Weekday::Mon,
            chrono::Weekday::Thu,
            chrono::NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            chrono::NaiveTime::from_hms_opt(16, 30, 0).unwrap(),
        )
        .unwrap(),
        etag: Some("\"v42\"".into()),
        last_modified: Some("Fri, 27 Nov 2026 08:00:00 GMT".into()),
        fetched_at: Some(utc(11, 27, 8, 0)),
        weeks: vec![WeekFigures {
            week: IsoWeek {
                year: 2026,
                week: 48,
            },
            meeting_minutes: 1320,
            focus_blocks: 3,
            at: utc(11, 27, 8, 0),
        }],
        series: vec![
            Series {
                uid: "1on1-bob@google.com".into(),
                with: Person {
                    id: user("UBOB"),
                    label: Some("bob".into()),
                },
                state: SeriesState::Confirmed,
                logged_through: Some(date(2026, 11, 24)),
            },
            Series {
                uid: "sync@x".into(),
                with: Person {
                    id: user("UCAT"),
                    label: None,
                },
                state: SeriesState::Offered,
                logged_through: None,
            },
        ],
        ooo: vec![Pause {
            from: date(2026, 12, 3),
            through: date(2026, 12, 4),
        }],
        ooo_resumed: vec![date(2026, 12, 3)],
    });
    record
}

const USER_MIN: &str = concat!(
    r#"{"created":"2026-11-02T10:00:00Z","target_pct":50,"roster":[],"pauses":[],"#,
    r#""snoozes":{},"checkin_schedule":"default","summary_schedule":"default"}"#,
);

/// A new user's record: nothing set.
fn user_min() -> UserRecord {
    UserRecord::new(utc(11, 2, 10, 0))
}

/// Check-in `at`s carry milliseconds when the clock does.
fn checkin_at() -> DateTime<Utc> {
    utc(11, 27, 17, 30) + Duration::milliseconds(250)
}

const CHECKIN_FULL: &str = concat!(
    r#"{"date":"2026-11-27","at":"2026-11-27T17:30:00.250Z","eng_pct":70,"energy":2,"#,
    r#""critical_path":true,"fires":["incident","people"],"#,
    r#""kinds":["core","review","design","pairing","tooling"],"#,
    r#""note":"Shipped \"the\" importer — café ☕\\o/"}"#,
);

fn checkin_full() -> CheckIn {
    CheckIn {
        date: date(2026, 11, 27),
        at: checkin_at(),
        eng_pct: 70,
        energy: Some(2),
        critical_path: true,
        fires: vec![FireKind::Incident, FireKind::People],
        kinds: EngKind::ALL.to_vec(),
        note: Some("Shipped \"the\" importer — café ☕\\o/".into()),
    }
}

const CHECKIN_MIN: &str = r#"{"date":"2026-11-26","at":"2026-11-26T17:00:00Z","eng_pct":0}"#;

fn checkin_min() -> CheckIn {
    CheckIn {
        date: date(2026, 11, 26),
        at: utc(11, 26, 17, 0),
        eng_pct: 0,
        energy: None,
        critical_path: false,
        fires: vec![],
        kinds: vec![],
        note: None,
    }
}

const WIN_PUBLIC: &str = r#"{"text":"Closed the <b>big</b> bug & more","public":true,"date":"2026-11-24","at":"2026-11-24T11:00:00Z"}"#;

fn win_public() -> Win {
    Win {
        text: "Closed the <b>big</b> bug & more".into(),
        public: true,
        date: date(2026, 11, 24),
        at: utc(11, 24, 11, 0),
    }
}

const WIN_PRIVATE: &str =
    r#"{"text":"Mentored Cat","date":"2026-11-25","at":"2026-11-25T11:00:00Z"}"#;

fn win_private() -> Win {
    Win {
        text: "Mentored Cat".into(),
        public: false,
        date: date(2026, 11, 25),
        at: utc(11, 25, 11, 0),
    }
}

const FIRE_INCIDENT: &str =
    r#"{"kind":"incident","date":"2026-11-23","at":"2026-11-23T22:15:00Z"}"#;

fn fire_incident() -> Fire {
    Fire {
        kind: FireKind::Incident,
        date: date(2026, 11, 23),
        at: utc(11, 23, 22, 15),
    }
}

const FIRE_PEOPLE: &str = r#"{"kind":"people","date":"2026-11-24","at":"2026-11-24T09:00:00Z"}"#;

fn fire_people() -> Fire {
    Fire {
        kind: FireKind::People,
        date: date(2026, 11, 24),
        at: utc(11, 24, 9, 0),
    }
}

const ONE_ON_ONE_LABELLED: &str =
    r#"{"with":{"id":"UBOB","label":"bob"},"date":"2026-11-20","at":"2026-11-27T16:05:00Z"}"#;

fn one_on_one_labelled() -> OneOnOne {
    OneOnOne {
        with: Person {
            id: user("UBOB"),
            label: Some("bob".into()),
        },
        date: date(2026, 11, 20),
        at: utc(11, 27, 16, 5),
        source: OneOnOneSource::ByHand,
    }
}

const ONE_ON_ONE_BARE: &str =
    r#"{"with":{"id":"UCAT"},"date":"2026-11-21","at":"2026-11-21T15:00:00Z"}"#;

fn one_on_one_bare() -> OneOnOne {
    OneOnOne {
        with: Person {
            id: user("UCAT"),
            label: None,
        },
        date: date(2026, 11, 21),
        at: utc(11, 21, 15, 0),
        source: OneOnOneSource::ByHand,
    }
}

const ONE_ON_ONE_FROM_CALENDAR: &str = concat!(
    r#"{"with":{"id":"UBOB","label":"bob"},"date":"2026-11-24","#,
    r#""at":"2026-11-25T06:00:00Z","source":"calendar"}"#,
);

fn one_on_one_from_calendar() -> OneOnOne {
    OneOnOne {
        with: Person {
            id: user("UBOB"),
            label: Some("bob".into()),
        },
        date: date(2026, 11, 24),
        at: utc(11, 25, 6, 0),
        source: OneOnOneSource::Calendar,
    }
}

const SUBSCRIPTION_FULL: &str = concat!(
    r#"{"channel":{"id":"CENG","name":"eng-leads"},"owner":"UANN","#,
    r#""schedule":{"source":"0 16 * * 5","cron":"0 0 16 * * 6"},"#,
    r#""members":["UANN","UBOB"],"created":"2026-11-02T09:00:00Z","#,
    r#""schedule_since":"2026-11-06T09:00:00Z","#,
    r#""covered":{"week":{"year":2026,"week":47},"members":5,"#,
    r#""aggregates":{"median_eng_pct":40,"critical_path_pct":20,"participation_pct":100}}}"#,
);

fn subscription_full() -> Subscription {
    Subscription {
        channel: ChannelRef {
            id: ChannelId::parse("CENG").unwrap(),
            name: Some("eng-leads".into()),
        },
        owner: user("UANN"),
        schedule: Some(ScheduleSpec::parse("0 16 * * 5").unwrap()),
        members: vec![user("UANN"), user("UBOB")],
        created: utc(11, 2, 9, 0),
        schedule_since: Some(utc(11, 6, 9, 0)),
        covered: Some(CoveredWeek {
            week: IsoWeek {
                year: 2026,
                week: 47,
            },
            members: 5,
            aggregates: Some(Aggregates {
                median_eng_pct: 40,
                critical_path_pct: 20,
                participation_pct: 100,
            }),
        }),
    }
}

const SUBSCRIPTION_MIN: &str = concat!(
    r#"{"channel":{"id":"COPS"},"owner":"UBOB","members":[],"created":"2026-11-03T09:00:00Z","#,
    r#""covered":{"week":{"year":2026,"week":48},"members":2,"aggregates":null}}"#,
);

/// No name, schedule or members; a covered week too small for aggregates.
fn subscription_min() -> Subscription {
    Subscription {
        channel: ChannelRef {
            id: ChannelId::parse("COPS").unwrap(),
            name: None,
        },
        owner: user("UBOB"),
        schedule: None,
        members: vec![],
        created: utc(11, 3, 9, 0),
        schedule_since: None,
        covered: Some(CoveredWeek {
            week: IsoWeek {
                year: 2026,
                week: 48,
            },
            members: 2,
            aggregates: None,
        }),
    }
}

/// The ledger key of the queued digest: `team 0x00 subject 0x00 job 0x00 YYYY-MM-DD`.
fn digest_key() -> LedgerKey {
    LedgerKey::new(&team(), "CENG", "digest", date(2026, 11, 30))
}

const DIGEST_KEY_HEX: &str = "54303030310043454e470064696765737400323032362d31312d3330";

const OUTBOX_ITEM: &str = concat!(
    r#"{"team":"T0001","channel":"CENG","doc":{"fallback":"Team digest for #eng-leads","#,
    r#""elements":[{"t":"header","c":"Week 48"},"#,
    r#"{"t":"section","c":"*Median split:* 40% eng <@UANN|ann> <#CENG|eng-leads>"},"#,
    r#"{"t":"fields","c":["*Members*\n5","*On the critical path*\n20%"]},"#,
    r#"{"t":"context","c":"Only what members chose to share."},"#,
    r#"{"t":"divider"},"#,
    r#"{"t":"actions","c":[{"label":"Join","action_id":"digest_join","value":"CENG","primary":true},"#,
    r#"{"label":"Snooze","action_id":"snooze","value":"wins","primary":false}]}]},"#,
    r#""ledger_key":"54303030310043454e470064696765737400323032362d31312d3330","#,
    r#""attempts":2,"not_before":"2026-11-30T09:05:00Z","created":"2026-11-30T09:00:00Z"}"#,
);

/// A queued message holding every kind of element.
fn outbox_item() -> OutboxItem {
    OutboxItem {
        team: team(),
        channel: "CENG".into(),
        doc: Doc {
            fallback: "Team digest for #eng-leads".into(),
            elements: vec![
                Element::Header("Week 48".into()),
                Element::Section("*Median split:* 40% eng <@UANN|ann> <#CENG|eng-leads>".into()),
                Element::Fields(vec![
                    "*Members*\n5".into(),
                    "*On the critical path*\n20%".into(),
                ]),
                Element::Context("Only what members chose to share.".into()),
                Element::Divider,
                Element::Actions(vec![
                    Button {
                        label: "Join".into(),
                        action_id: "digest_join".into(),
                        value: "CENG".into(),
                        primary: true,
                    },
                    Button {
                        label: "Snooze".into(),
                        action_id: "snooze".into(),
                        value: "wins".into(),
                        primary: false,
                    },
                ]),
            ],
        },
        ledger_key: digest_key().as_bytes().to_vec(),
        attempts: 2,
        not_before: utc(11, 30, 9, 5),
        created: utc(11, 30, 9, 0),
    }
}

// ---- each type's serde shape ----

#[test]
fn a_user_record_with_every_field() {
    golden(USER_FULL, &user_full());
}

#[test]
fn a_user_record_with_a_calendar() {
    golden(USER_WITH_CALENDAR, &user_with_calendar());
}

#[test]
fn a_new_users_record() {
    golden(USER_MIN, &user_min());
}

#[test]
fn a_user_record_missing_every_defaulted_field_still_decodes() {
    decodes(
        r#"{"created":"2026-11-02T10:00:00Z","target_pct":50}"#,
        &user_min(),
    );
}

/// A record with a GitHub link: login, core repos, figures, an ETag, a failure.
const USER_GITHUB: &str = concat!(
    r#"{"created":"2026-11-02T10:00:00Z","target_pct":50,"roster":[],"pauses":[],"#,
    r#""snoozes":{"reviews":"2026-12-01"},"checkin_schedule":"default","#,
    r#""summary_schedule":"default","github":{"login":"ann-o","core":["acme/billing"],"#,
    r#""figures":{"fetched_at":"2026-11-27T14:00:00Z","week":{"year":2026,"week":48},"review_queue":4,"#,
    r#""oldest_waiting_since":"2026-11-24T09:00:00Z","#,
    r#""waiting_urls":["https://github.com/acme/billing/pull/7"],"merged":5,"merged_core":3,"#,
    r#""reviewed_for_reports":6,"reports_reviewed":3},"failed_at":"2026-11-27T15:00:00Z","#,
    r#""etags":{"is:pr q":{"etag":"W/\"abc\"","count":4,"extra":1763974800}}}}"#,
);

fn user_github() -> UserRecord {
    use twohats::domain::github::{CachedCount, GithubFigures, GithubLink};
    let mut record = user_min();
    record.snoozes.insert(NudgeKind::Reviews, date(2026, 12, 1));
    record.github = Some(GithubLink {
        login: "ann-o".into(),
        core: vec!["acme/billing".into()],
        figures: Some(GithubFigures {
            fetched_at: utc(11, 27, 14, 0),
            week: twohats::domain::week::IsoWeek::of(date(2026, 11, 27)),
            review_queue: 4,
            oldest_waiting_since: Some(utc(11, 24, 9, 0)),
            waiting_urls: vec!["https://github.com/acme/billing/pull/7".into()],
            merged: 5,
            merged_core: 3,
            reviewed_for_reports: 6,
            reports_reviewed: 3,
        }),
        failed_at: Some(utc(11, 27, 15, 0)),
        etags: [(
            "is:pr q".to_string(),
            CachedCount {
                etag: "W/\"abc\"".into(),
                count: 4,
                extra: Some(1763974800),
            },
        )]
        .into_iter()
        .collect(),
    });
    record
}

#[test]
fn a_user_record_with_a_github_link() {
    golden(USER_GITHUB, &user_github());
}

#[test]
fn job_schedules() {
    golden(r#""default""#, &JobSchedule::Default);
    golden(r#""off""#, &JobSchedule::Off);
    golden(
        r#"{"at":{"source":"weekdays 17:00","cron":"0 0 17 * * 2,3,4,5,6"}}"#,
        &JobSchedule::At(ScheduleSpec::parse("weekdays 17:00").unwrap()),
    );
}

#[test]
fn a_stored_schedule_whose_cron_disagrees_with_its_source_is_refused() {
    let err =
        serde_json::from_str::<ScheduleSpec>(r#"{"source":"fri 16:00","cron":"0 0 9 * * 2"}"#);
    assert!(err.is_err());
}

#[test]
fn nudge_kinds_by_name() {
    let names: Vec<String> = NudgeKind::ALL
        .iter()
        .map(|k| serde_json::to_string(k).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            r#""burnout""#,
            r#""both-fires""#,
            r#""one-on-ones""#,
            r#""reviews""#,
            r#""critical-path""#,
            r#""drift""#,
            r#""focus""#,
            r#""team-size""#,
            r#""wins""#
        ]
    );
}

#[test]
fn a_checkin_with_every_field() {
    golden(CHECKIN_FULL, &checkin_full());
}

#[test]
fn a_bare_checkin() {
    golden(CHECKIN_MIN, &checkin_min());
}

#[test]
fn wins_public_and_private() {
    golden(WIN_PUBLIC, &win_public());
    golden(WIN_PRIVATE, &win_private());
}

#[test]
fn fires_of_both_kinds() {
    golden(FIRE_INCIDENT, &fire_incident());
    golden(FIRE_PEOPLE, &fire_people());
}

#[test]
fn one_on_ones_with_and_without_a_label() {
    golden(ONE_ON_ONE_LABELLED, &one_on_one_labelled());
    golden(ONE_ON_ONE_BARE, &one_on_one_bare());
}

#[test]
fn a_calendar_logged_one_on_one_names_its_source_and_a_hand_logged_one_does_not() {
    golden(ONE_ON_ONE_FROM_CALENDAR, &one_on_one_from_calendar());
    // A source spelled out as by hand reads back the same as one left out.
    decodes(
        &ONE_ON_ONE_BARE.replace(
            r#""at":"2026-11-21T15:00:00Z""#,
            r#""at":"2026-11-21T15:00:00Z","source":"by_hand""#,
        ),
        &one_on_one_bare(),
    );
}

#[test]
fn a_subscription_with_every_field() {
    golden(SUBSCRIPTION_FULL, &subscription_full());
}

#[test]
fn a_bare_subscription_with_a_covered_week_without_aggregates() {
    golden(SUBSCRIPTION_MIN, &subscription_min());
}

#[test]
fn a_subscription_missing_its_members_still_decodes() {
    let mut expected = subscription_min();
    expected.covered = None;
    decodes(
        r#"{"channel":{"id":"COPS"},"owner":"UBOB","created":"2026-11-03T09:00:00Z"}"#,
        &expected,
    );
}

#[test]
fn an_outbox_item_with_every_element() {
    golden(OUTBOX_ITEM, &outbox_item());
}

#[test]
fn ledger_keys_are_team_subject_job_day() {
    assert_eq!(hex::encode(digest_key().as_bytes()), DIGEST_KEY_HEX);
}

#[test]
fn claims_by_name() {
    golden(r#""pending""#, &Claim::Pending);
    golden(r#""sent""#, &Claim::Sent);
    golden(r#""skipped""#, &Claim::Skipped);
    golden(r#""failed""#, &Claim::Failed);
}

// ---- the backup file, and what the sled adapter stores ----

/// A backup written by format 1, schema 1: the values above, in their envelopes.
const BACKUP_V1: &str = include_str!("../fixtures/golden/backup_v1.jsonl");

/// Every row line of a backup: (tree, key in hex, value as written).
fn rows(backup: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = backup.lines().collect();
    lines[1..lines.len() - 1]
        .iter()
        .map(|line| {
            let fields: serde_json::Value = serde_json::from_str(line).unwrap();
            let tree = fields["tree"].as_str().unwrap().to_string();
            let key = fields["key"].as_str().unwrap().to_string();
            let value = match line.split_once(r#","value_json":"#) {
                Some((_, rest)) => rest.strip_suffix('}').unwrap().to_string(),
                None => format!("hex:{}", fields["value_hex"].as_str().unwrap()),
            };
            (tree, key, value)
        })
        .collect()
}

/// `{"v":1,"d":…}`: how the sled adapter wraps every JSON value it stores.
fn envelope(value: &str) -> String {
    format!(r#"{{"v":1,"d":{value}}}"#)
}

/// Far past every instant above.
fn whenever() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn the_backup_fixture_holds_the_golden_values_in_their_envelopes() {
    let ledger = |state: &str, at: &str| envelope(&format!(r#"{{"state":"{state}","at":"{at}"}}"#));
    let expected = [
        ("checkins", envelope(CHECKIN_MIN)),
        ("checkins", envelope(CHECKIN_FULL)),
        ("digests", envelope(SUBSCRIPTION_FULL)),
        ("digests", envelope(SUBSCRIPTION_MIN)),
        ("fires", envelope(FIRE_INCIDENT)),
        ("fires", envelope(FIRE_PEOPLE)),
        // The ledger's entries: a claim's state, and when it was recorded.
        ("ledger", ledger("pending", "2026-11-30T09:00:00Z")),
        ("ledger", ledger("sent", "2026-11-27T16:01:00Z")),
        ("ledger", ledger("skipped", "2026-11-27T15:30:00Z")),
        ("one_on_ones", envelope(ONE_ON_ONE_LABELLED)),
        ("one_on_ones", envelope(ONE_ON_ONE_BARE)),
        ("outbox", envelope(OUTBOX_ITEM)),
        // A seen event: when it was first seen, in ms since the epoch, big-endian.
        ("seen_events", "hex:000001a21dbc2800".to_string()),
        ("users", envelope(USER_FULL)),
        ("users", envelope(USER_MIN)),
        ("wins", envelope(WIN_PUBLIC)),
        ("wins", envelope(WIN_PRIVATE)),
    ];
    let rows: Vec<(String, String)> = rows(BACKUP_V1)
        .into_iter()
        .map(|(tree, _, value)| (tree, value))
        .collect();
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(tree, value)| (tree.to_string(), value))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(
        1_795_795_200_000_i64.to_be_bytes(),
        utc(11, 27, 16, 0).timestamp_millis().to_be_bytes()
    );
    assert_eq!(
        hex::encode(1_795_795_200_000_i64.to_be_bytes()),
        "000001a21dbc2800"
    );
}

/// The fixture restores into a fresh sled store, which reads back the golden values.
#[test]
fn the_golden_backup_restores_and_reads_back_as_the_golden_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let store: &dyn Store = &store;
    let summary = store.restore_from(&mut BACKUP_V1.as_bytes()).unwrap();
    assert_eq!(
        summary,
        BackupSummary {
            trees: 9,
            rows: rows(BACKUP_V1).len(),
            skipped: 0
        }
    );
    let all = DateTime::<Utc>::UNIX_EPOCH;
    let (ann, bob) = (ann(), bob());
    assert_eq!(store.user(&ann).unwrap(), Some(user_full()));
    assert_eq!(store.user(&bob).unwrap(), Some(user_min()));
    assert_eq!(
        store.users().map(Result::unwrap).collect::<Vec<_>>(),
        vec![(ann.clone(), user_full()), (bob.clone(), user_min())]
    );
    assert_eq!(
        store.checkins_since(&ann, all).unwrap(),
        vec![checkin_min(), checkin_full()]
    );
    assert_eq!(
        store.wins_since(&ann, all).unwrap(),
        vec![win_public(), win_private()]
    );
    assert_eq!(
        store.fires_since(&ann, all).unwrap(),
        vec![fire_incident(), fire_people()]
    );
    assert_eq!(
        store.one_on_ones_for(&ann, &[], date(2026, 1, 1)).unwrap(),
        vec![one_on_one_labelled(), one_on_one_bare()]
    );
    assert_eq!(
        store.subscriptions(&team()).unwrap(),
        vec![subscription_full(), subscription_min()]
    );
    assert_eq!(
        store.claim_state(&digest_key()).unwrap(),
        Some(Claim::Pending)
    );
    let summary_key = LedgerKey::new(&team(), "UANN", "summary", date(2026, 11, 27));
    assert_eq!(store.claim_state(&summary_key).unwrap(), Some(Claim::Sent));
    let checkin_key = LedgerKey::new(&team(), "UBOB", "checkin", date(2026, 11, 27));
    assert_eq!(
        store.claim_state(&checkin_key).unwrap(),
        Some(Claim::Skipped)
    );
    let queued = store.outbox_due(whenever(), 10).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].1, outbox_item());
    // The seen event is remembered, as of when it was seen.
    let seen = utc(11, 27, 16, 0);
    assert!(!store
        .first_sighting(&team(), "Ev0001", seen, seen - Duration::hours(1))
        .unwrap());
    // And it backs up to the very same rows.
    let mut again = Vec::new();
    store.backup_to(&mut again).unwrap();
    let again = String::from_utf8(again).unwrap();
    assert_eq!(rows(&again), rows(BACKUP_V1));
    assert_eq!(again.lines().last(), BACKUP_V1.lines().last());
    // The restored store hands out ids past the fixture's `next_id`: new rows go beside the
    // restored ones, never over them.
    store.add_checkin(&ann, &checkin_full()).unwrap();
    assert_eq!(store.checkins_since(&ann, all).unwrap().len(), 3);
    let next = LedgerKey::new(&team(), "CENG", "digest", date(2026, 12, 7));
    assert!(store
        .claim(&next, Some(&outbox_item()), utc(12, 7, 9, 0))
        .unwrap());
    assert_eq!(store.outbox_len(), 2);
}

/// The header and end marker, line by line.
#[test]
fn the_golden_backup_header_and_end_marker() {
    let lines: Vec<&str> = BACKUP_V1.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"twohats_backup":1,"schema":1,"created":"2026-11-30T12:00:00Z","next_id":100}"#
    );
    assert_eq!(
        *lines.last().unwrap(),
        format!(r#"{{"end":true,"rows":{}}}"#, lines.len() - 2)
    );
    // What this build writes has the same header, but for its own time and id.
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mut out = Vec::new();
    Backups::backup_to(&store, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let header: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(
        out.starts_with(r#"{"twohats_backup":1,"schema":1,"created":""#),
        "{out}"
    );
    let mut fields: Vec<&str> = header
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["created", "next_id", "schema", "twohats_backup"]);
    assert_eq!(out.lines().nth(1), Some(r#"{"end":true,"rows":0}"#));
}

/// A store given the golden values through the port stores exactly the fixture's rows:
/// the same envelopes, the same keys (but for the unique ids history and outbox keys end
/// in, which are each store's own).
#[test]
fn the_store_writes_the_golden_values_as_the_fixture_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let store: &dyn Store = &store;
    let (ann, bob) = (ann(), bob());
    store
        .update_user(&ann, utc(11, 2, 9, 0), |record| {
            *record = user_full();
            Ok::<_, StoreError>(())
        })
        .unwrap();
    store
        .update_user(&bob, utc(11, 2, 10, 0), |_| Ok::<_, StoreError>(()))
        .unwrap();
    store.add_checkin(&ann, &checkin_full()).unwrap();
    store.add_checkin(&ann, &checkin_min()).unwrap();
    store.add_win(&ann, &win_private()).unwrap();
    store.add_win(&ann, &win_public()).unwrap();
    store.add_fire(&ann, &fire_people()).unwrap();
    store.add_fire(&ann, &fire_incident()).unwrap();
    store.add_one_on_one(&ann, &one_on_one_bare()).unwrap();
    store.add_one_on_one(&ann, &one_on_one_labelled()).unwrap();
    for sub in [subscription_full(), subscription_min()] {
        store
            .update_subscription(&team(), &sub.channel.id.clone(), |_| {
                Ok::<_, StoreError>((Some(sub.clone()), ()))
            })
            .unwrap();
    }
    // The summary: claimed, then delivered.
    let summary_key = LedgerKey::new(&team(), "UANN", "summary", date(2026, 11, 27));
    let mut summary = outbox_item();
    summary.ledger_key = summary_key.as_bytes().to_vec();
    assert!(store
        .claim(&summary_key, Some(&summary), utc(11, 27, 16, 0))
        .unwrap());
    let (id, item) = store.outbox_due(whenever(), 1).unwrap().remove(0);
    store
        .settle(id, &item, Claim::Sent, utc(11, 27, 16, 1))
        .unwrap();
    let checkin_key = LedgerKey::new(&team(), "UBOB", "checkin", date(2026, 11, 27));
    assert!(store
        .claim(&checkin_key, None, utc(11, 27, 15, 30))
        .unwrap());
    assert!(store
        .claim(&digest_key(), Some(&outbox_item()), utc(11, 30, 9, 0))
        .unwrap());
    let seen = utc(11, 27, 16, 0);
    assert!(store
        .first_sighting(&team(), "Ev0001", seen, seen - Duration::hours(1))
        .unwrap());

    let mut out = Vec::new();
    store.backup_to(&mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    assert_eq!(
        without_ids(rows(&written)),
        without_ids(rows(BACKUP_V1)),
        "\n{written}"
    );
}

/// Rows with the unique id that history and outbox keys end in left out.
fn without_ids(rows: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    rows.into_iter()
        .map(|(tree, key, value)| {
            let key = match tree.as_str() {
                "checkins" | "wins" | "fires" | "one_on_ones" => key[..key.len() - 16].to_string(),
                "outbox" => String::new(),
                _ => key,
            };
            (tree, key, value)
        })
        .collect()
}
