//! The store port's conformance suite: what every adapter of `twohats::store::Store` must do,
//! checked through `dyn Store` only, never through an engine.
//!
//! Each check is a plain function taking a [`Harness`], which hands out fresh, empty stores
//! and opens the same data again ("reopen"). The [`conformance!`] macro turns every check into
//! one `#[test]` per adapter.
//!
//! **A new adapter joins with one line**: implement [`Harness`] for it (a fresh place for its
//! data — a temp dir, a throwaway database — and how to open a store there), then add
//! `conformance!(postgres, postgres_harness());` beside the sled line (as PostgreSQL does:
//! its harness is `None`, and its checks pass without running, when
//! `TWOHATS_TEST_DATABASE_URL` is not set). A new
//! check is a function here plus its name in the macro's list.
//!
//! What a clean reopen can't show: sled flushes when its last handle is dropped, so these
//! checks prove that acknowledged writes are *persisted*, not that they were durable *at the
//! moment of acknowledgement*; `durability.rs` kills a real process for that.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::sync::{Arc, Barrier};
use twohats::domain::checkin::{CheckIn, EngKind, Fire, FireKind, Win};
use twohats::domain::digest::Subscription;
use twohats::domain::doc::{Button, Doc, Element};
use twohats::domain::ids::{ChannelId, ChannelRef, Person, Scope, TeamId, UserId};
use twohats::domain::team::{OneOnOne, OneOnOneSource, Report};
use twohats::domain::user::{Pause, UserRecord};
use twohats::store::prelude::*;
use twohats::store::{Claim, LedgerKey, OutboxItem, PgStore, SledStore, StoreError, OUTBOX_LEASE};

// ---- the harness: what an adapter provides ----

/// How the suite gets stores of one adapter.
pub trait Harness {
    /// Where one store's data lives, kept alive (and cleaned up on drop) by the check.
    type Place;
    /// A new, empty place.
    fn place(&self) -> Self::Place;
    /// Opens the store at `place`: empty the first time, what was written there since after.
    fn open(&self, place: &Self::Place) -> Arc<dyn Store>;
}

/// sled: a temp dir per store. sled locks its directory, so a reopen needs every handle of
/// the previous store dropped first ([`reopen`] checks that).
pub struct SledHarness;

impl Harness for SledHarness {
    type Place = tempfile::TempDir;

    fn place(&self) -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    fn open(&self, place: &tempfile::TempDir) -> Arc<dyn Store> {
        Arc::new(SledStore::open(place.path()).expect("open a sled store"))
    }
}

fn sled_harness() -> Option<SledHarness> {
    Some(SledHarness)
}

/// PostgreSQL: a schema of its own per store in the test database, dropped with the place;
/// a reopen is a new connection to the same schema. `None` (the checks pass without
/// running, said once) when `TWOHATS_TEST_DATABASE_URL` is not set.
pub struct PgHarness {
    base: String,
}

impl Harness for PgHarness {
    type Place = crate::pg::TestSchema;

    fn place(&self) -> crate::pg::TestSchema {
        crate::pg::TestSchema::new(&self.base)
    }

    fn open(&self, place: &crate::pg::TestSchema) -> Arc<dyn Store> {
        Arc::new(PgStore::connect(&place.url()).expect("connect to the test database"))
    }
}

pub fn postgres_harness() -> Option<PgHarness> {
    crate::pg::test_database_url().map(|base| PgHarness { base })
}

/// Closes `store` (which must be its last handle) and opens the same data again.
#[track_caller]
fn reopen<H: Harness>(harness: &H, place: &H::Place, store: Arc<dyn Store>) -> Arc<dyn Store> {
    assert_eq!(
        Arc::strong_count(&store),
        1,
        "a check kept a handle on the store it reopens"
    );
    drop(store);
    harness.open(place)
}

/// One `#[test]` per check, for one adapter.
macro_rules! conformance {
    ($adapter:ident, $harness:expr) => {
        conformance!(@checks $adapter, $harness;
            acknowledged_writes_survive_a_reopen,
            a_write_awaited_with_durable_async_survives_a_reopen,
            settled_claims_and_seen_events_survive_a_reopen,
            concurrent_user_updates_all_count,
            concurrent_subscription_updates_all_count,
            a_change_that_fails_writes_nothing,
            update_existing_user_never_creates_a_record,
            histories_come_back_oldest_first_from_an_inclusive_since,
            histories_are_per_user,
            last_checkin_between_is_the_latest_in_a_half_open_range,
            one_on_ones_sort_by_their_day_with_each_persons_latest,
            a_claim_queues_exactly_one_message_once,
            a_skipped_claim_records_the_key_and_queues_nothing,
            settling_removes_the_message_and_records_the_outcome,
            the_outbox_is_due_in_claim_order_up_to_the_limit,
            a_rescheduled_message_waits_for_not_before,
            a_reschedule_keeps_what_is_queued_and_never_revives_a_settled_message,
            requeue_if_unchanged_replaces_or_drops_only_an_unchanged_message,
            a_taken_message_is_leased_until_released_rescheduled_or_its_lease_runs_out,
            event_ids_are_seen_once_until_they_are_forgotten,
            a_backup_restores_into_an_equal_store,
            a_restore_into_a_store_with_data_writes_nothing,
            a_truncated_backup_restores_nothing,
            forget_user_removes_everything_the_user_owns_and_nothing_else,
        );
    };
    (@checks $adapter:ident, $harness:expr; $($check:ident),* $(,)?) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $check() {
                    // No harness: the adapter's engine isn't configured here (said once).
                    if let Some(harness) = $harness {
                        super::$check(&harness)
                    }
                }
            )*
        }
    };
}

conformance!(sled, sled_harness());
conformance!(postgres, postgres_harness());

// ---- domain values ----

const TEAM: &str = "T0001";

fn team() -> TeamId {
    TeamId::parse(TEAM).unwrap()
}

fn user_id(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn scope(user: &str) -> Scope {
    Scope::new(team(), user_id(user))
}

fn channel_id(id: &str) -> ChannelId {
    ChannelId::parse(id).unwrap()
}

/// 2026-11-`day` at `h:m` UTC.
fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).unwrap()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn checkin(when: DateTime<Utc>, eng_pct: u8) -> CheckIn {
    CheckIn {
        date: when.date_naive(),
        at: when,
        eng_pct,
        energy: Some(3),
        critical_path: eng_pct > 50,
        fires: vec![FireKind::People],
        kinds: vec![EngKind::Review],
        note: Some(format!("{eng_pct}% engineering")),
    }
}

fn win(when: DateTime<Utc>, text: &str) -> Win {
    Win {
        text: text.into(),
        public: true,
        date: when.date_naive(),
        at: when,
    }
}

fn fire(when: DateTime<Utc>, kind: FireKind) -> Fire {
    Fire {
        kind,
        date: when.date_naive(),
        at: when,
    }
}

fn person(id: &str) -> Person {
    Person {
        id: user_id(id),
        label: Some(id.to_lowercase()),
    }
}

fn one_on_one(with: &str, day: NaiveDate, logged: DateTime<Utc>) -> OneOnOne {
    OneOnOne {
        with: person(with),
        date: day,
        at: logged,
        source: OneOnOneSource::ByHand,
    }
}

fn report(id: &str) -> Report {
    Report {
        person: person(id),
        cadence_days: 7,
        added: date(11, 2),
    }
}

fn subscription(channel: &str, owner: &str, members: &[&str]) -> Subscription {
    Subscription {
        channel: ChannelRef {
            id: channel_id(channel),
            name: Some("eng".into()),
        },
        owner: user_id(owner),
        schedule: None,
        members: members.iter().map(|m| user_id(m)).collect(),
        created: at(2, 9, 0),
        schedule_since: None,
        covered: None,
    }
}

/// A composed message for `subject`'s `job` of `day`, queued at `created`, and its key.
fn message(
    subject: &str,
    job: &str,
    day: NaiveDate,
    created: DateTime<Utc>,
) -> (LedgerKey, OutboxItem) {
    message_in(&team(), subject, job, day, created)
}

fn message_in(
    team: &TeamId,
    subject: &str,
    job: &str,
    day: NaiveDate,
    created: DateTime<Utc>,
) -> (LedgerKey, OutboxItem) {
    let key = LedgerKey::new(team, subject, job, day);
    let item = OutboxItem {
        team: team.clone(),
        channel: subject.into(),
        doc: Doc {
            fallback: format!("{job} for {subject}"),
            elements: vec![
                Element::Header(job.into()),
                Element::Section(format!("Hello <@{subject}>")),
                Element::Actions(vec![Button {
                    label: "Snooze".into(),
                    action_id: "snooze".into(),
                    value: "wins".into(),
                    primary: false,
                }]),
            ],
        },
        ledger_key: key.as_bytes().to_vec(),
        attempts: 0,
        not_before: created,
        created,
    };
    (key, item)
}

/// Far past every instant the checks use: everything queued is due.
fn whenever() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// What a change closure fails with, on purpose. A store error in a check is a bug: it
/// panics with what the store said.
#[derive(Debug, PartialEq)]
struct Refused;

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        panic!("the store failed: {e}")
    }
}

/// What `outbox_due` would hand out at `now`, handed straight back (a look, not a take:
/// `outbox_due` leases what it hands out).
fn peek(store: &dyn Store, now: DateTime<Utc>, limit: usize) -> Vec<(u64, OutboxItem)> {
    let due = store.outbox_due(now, limit).unwrap();
    for (id, _) in &due {
        store.release(*id).unwrap();
    }
    due
}

/// The queued messages, without their ids (which are each adapter's own).
fn queued(store: &dyn Store) -> Vec<OutboxItem> {
    peek(store, whenever(), usize::MAX)
        .into_iter()
        .map(|(_, item)| item)
        .collect()
}

/// One user's record with a little of everything, written through `update_user`.
fn write_record(store: &dyn Store, who: &Scope, now: DateTime<Utc>) -> UserRecord {
    store
        .update_user(who, now, |record| {
            record.label = Some("ann".into());
            record.target_pct = 40;
            record.roster.push(report("UBOB"));
            record.pauses.push(Pause {
                from: date(12, 20),
                through: date(12, 31),
            });
            Ok::<_, StoreError>(record.clone())
        })
        .unwrap()
}

// ---- durability ----

/// Every kind of write, made durable with `durable()`, is there after a reopen.
fn acknowledged_writes_survive_a_reopen<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let record = write_record(&*store, &ann, at(2, 9, 0));
    let c = checkin(at(3, 17, 0), 60);
    let w = win(at(3, 17, 5), "shipped the importer");
    let o = one_on_one("UBOB", date(11, 3), at(3, 17, 10));
    let f = fire(at(3, 17, 15), FireKind::Incident);
    store.add_checkin(&ann, &c).unwrap();
    store.add_win(&ann, &w).unwrap();
    store.add_one_on_one(&ann, &o).unwrap();
    store.add_fire(&ann, &f).unwrap();
    let sub = subscription("CENG", "UANN", &["UANN"]);
    store
        .update_subscription(&team(), &channel_id("CENG"), |_| {
            Ok::<_, StoreError>((Some(sub.clone()), ()))
        })
        .unwrap();
    let (key, item) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    assert!(store.claim(&key, Some(&item), at(27, 16, 0)).unwrap());
    let before = store.stats();
    store.durable().unwrap();
    let after = store.stats();
    assert!(after.waits > before.waits, "{before:?} then {after:?}");
    assert!(after.flushes > before.flushes, "{before:?} then {after:?}");

    let store = reopen(h, &place, store);
    assert_eq!(store.user(&ann).unwrap(), Some(record.clone()));
    assert!(store.has_user(&ann).unwrap());
    let users: Vec<_> = store.users().map(Result::unwrap).collect();
    assert_eq!(users, vec![(ann.clone(), record)]);
    assert_eq!(store.checkins_since(&ann, epoch()).unwrap(), vec![c]);
    assert_eq!(store.wins_since(&ann, epoch()).unwrap(), vec![w.clone()]);
    assert_eq!(store.last_win(&ann).unwrap(), Some(w));
    assert_eq!(store.fires_since(&ann, epoch()).unwrap(), vec![f]);
    assert_eq!(
        store.one_on_ones_for(&ann, &[], date(1, 1)).unwrap(),
        vec![o]
    );
    assert_eq!(
        store.subscription(&team(), &channel_id("CENG")).unwrap(),
        Some(sub.clone())
    );
    assert_eq!(store.subscriptions(&team()).unwrap(), vec![sub]);
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Pending));
    assert_eq!(queued(&*store), vec![item]);
    assert_eq!(store.outbox_len(), 1);
    store.check().unwrap();
}

/// A write acknowledged by awaiting `durable_async` is there after a reopen.
fn a_write_awaited_with_durable_async_survives_a_reopen<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let c = checkin(at(3, 17, 0), 30);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        store.add_checkin(&ann, &c).unwrap();
        store.durable_async().await.unwrap();
    });
    drop(runtime);

    let store = reopen(h, &place, store);
    assert_eq!(store.checkins_since(&ann, epoch()).unwrap(), vec![c]);
}

/// `settle` and `first_sighting` are durable before they return: no `durable()` needed.
fn settled_claims_and_seen_events_survive_a_reopen<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (key, item) = message("UANN", "checkin", date(11, 27), at(27, 15, 30));
    assert!(store.claim(&key, Some(&item), at(27, 15, 30)).unwrap());
    store.durable().unwrap();
    let (id, due) = store.outbox_due(at(27, 15, 30), 10).unwrap().remove(0);
    store.settle(id, &due, Claim::Sent, at(27, 15, 31)).unwrap();
    assert!(store
        .first_sighting(&team(), "Ev1", at(27, 15, 31), at(27, 14, 31))
        .unwrap());

    let store = reopen(h, &place, store);
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Sent));
    assert_eq!(store.outbox_len(), 0);
    assert!(!store
        .first_sighting(&team(), "Ev1", at(27, 15, 32), at(27, 14, 32))
        .unwrap());
}

// ---- compare-and-swap ----

const WRITERS: usize = 6;
const WRITES_EACH: usize = 20;

/// Concurrent read-modify-writes of one record: every writer's change is there.
fn concurrent_user_updates_all_count<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let start = Barrier::new(WRITERS);
    std::thread::scope(|s| {
        for writer in 0..WRITERS {
            let (store, ann, start) = (&*store, &ann, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..WRITES_EACH {
                    store
                        .update_user(ann, at(2, 9, 0), |record| {
                            // A roster small enough to stay valid; pauses for the volume.
                            if i < 4 {
                                record.roster.push(report(&format!("UW{writer}R{i}")));
                            }
                            let day =
                                date(1, 1) + Duration::days((writer * WRITES_EACH + i) as i64);
                            record.pauses.push(Pause {
                                from: day,
                                through: day,
                            });
                            Ok::<_, StoreError>(())
                        })
                        .unwrap();
                }
            });
        }
    });
    let record = store.user(&ann).unwrap().expect("the record");
    assert_eq!(record.created, at(2, 9, 0));
    assert_eq!(record.pauses.len(), WRITERS * WRITES_EACH, "lost updates");
    let mut days: Vec<_> = record.pauses.iter().map(|p| p.from).collect();
    days.sort();
    days.dedup();
    assert_eq!(
        days.len(),
        WRITERS * WRITES_EACH,
        "an update was applied twice"
    );
    let mut roster: Vec<_> = record
        .roster
        .iter()
        .map(|r| r.person.id.to_string())
        .collect();
    roster.sort();
    let mut expected: Vec<_> = (0..WRITERS)
        .flat_map(|w| (0..4).map(move |i| format!("UW{w}R{i}")))
        .collect();
    expected.sort();
    assert_eq!(roster, expected);
}

/// Concurrent joins of one digest: every member is there, once.
fn concurrent_subscription_updates_all_count<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ceng = channel_id("CENG");
    store
        .update_subscription(&team(), &ceng, |_| {
            Ok::<_, StoreError>((Some(subscription("CENG", "UANN", &[])), ()))
        })
        .unwrap();
    let start = Barrier::new(WRITERS);
    std::thread::scope(|s| {
        for writer in 0..WRITERS {
            let (store, ceng, start) = (&*store, &ceng, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..WRITES_EACH {
                    let member = user_id(&format!("UW{writer}M{i}"));
                    store
                        .update_subscription(&team(), ceng, |current| {
                            let mut sub = current.ok_or(Refused)?;
                            sub.members.push(member.clone());
                            Ok::<_, Refused>((Some(sub), ()))
                        })
                        .unwrap();
                }
            });
        }
    });
    let sub = store
        .subscription(&team(), &ceng)
        .unwrap()
        .expect("the digest");
    let mut members: Vec<_> = sub.members.iter().map(|m| m.to_string()).collect();
    members.sort();
    let mut expected: Vec<_> = (0..WRITERS)
        .flat_map(|w| (0..WRITES_EACH).map(move |i| format!("UW{w}M{i}")))
        .collect();
    expected.sort();
    assert_eq!(members, expected);
}

/// A change that returns `Err` writes nothing, even after changing what it was shown.
fn a_change_that_fails_writes_nothing<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (ann, bob) = (scope("UANN"), scope("UBOB"));
    let record = write_record(&*store, &ann, at(2, 9, 0));

    let refused = store.update_user(&ann, at(3, 9, 0), |record| {
        record.target_pct = 90;
        record.roster.clear();
        Err::<(), _>(Refused)
    });
    assert!(matches!(refused, Err(Refused)));
    assert_eq!(store.user(&ann).unwrap(), Some(record));

    // A new user whose first change fails is not created.
    let refused = store.update_user(&bob, at(3, 9, 0), |record| {
        record.target_pct = 90;
        Err::<(), _>(Refused)
    });
    assert!(matches!(refused, Err(Refused)));
    assert!(!store.has_user(&bob).unwrap());
    assert_eq!(store.user(&bob).unwrap(), None);

    let ceng = channel_id("CENG");
    let sub = subscription("CENG", "UANN", &["UANN"]);
    store
        .update_subscription(&team(), &ceng, |_| {
            Ok::<_, StoreError>((Some(sub.clone()), ()))
        })
        .unwrap();
    let refused = store.update_subscription(&team(), &ceng, |current| {
        assert!(current.is_some(), "the change is shown what is stored");
        Err::<(Option<Subscription>, ()), _>(Refused)
    });
    assert!(matches!(refused, Err(Refused)));
    assert_eq!(
        store.subscription(&team(), &ceng).unwrap(),
        Some(sub.clone())
    );
    // Nor is a deletion that fails a deletion.
    let refused = store.update_subscription(&team(), &ceng, |_| {
        Err::<(Option<Subscription>, ()), _>(Refused)
    });
    assert!(matches!(refused, Err(Refused)));
    assert_eq!(store.subscription(&team(), &ceng).unwrap(), Some(sub));
    // A subscription that fails to be created is not created.
    let cops = channel_id("COPS");
    let refused = store.update_subscription(&team(), &cops, |_| {
        Err::<(Option<Subscription>, ()), _>(Refused)
    });
    assert!(matches!(refused, Err(Refused)));
    assert_eq!(store.subscription(&team(), &cops).unwrap(), None);
    assert_eq!(store.subscriptions(&team()).unwrap().len(), 1);

    // And `Write(None)` does delete.
    store
        .update_subscription(&team(), &ceng, |_| Ok::<_, StoreError>((None, ())))
        .unwrap();
    assert_eq!(store.subscription(&team(), &ceng).unwrap(), None);
    assert!(store.all_subscriptions().unwrap().is_empty());
}

/// `update_existing_user` leaves a missing user missing, without running the change.
fn update_existing_user_never_creates_a_record<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let mut ran = false;
    let answer = store
        .update_existing_user(&ann, |_| {
            ran = true;
            Ok::<_, StoreError>(1)
        })
        .unwrap();
    assert_eq!(answer, None);
    assert!(!ran, "the change ran on a record that doesn't exist");
    assert!(!store.has_user(&ann).unwrap());

    write_record(&*store, &ann, at(2, 9, 0));
    let answer = store
        .update_existing_user(&ann, |record| {
            record.target_pct = 70;
            Ok::<_, StoreError>(2)
        })
        .unwrap();
    assert_eq!(answer, Some(2));
    assert_eq!(store.user(&ann).unwrap().unwrap().target_pct, 70);
}

// ---- histories ----

/// Rows added out of order come back oldest first; `since` itself is included.
fn histories_come_back_oldest_first_from_an_inclusive_since<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let (t1, t2, t3) = (at(3, 9, 0), at(4, 9, 0), at(5, 9, 0));
    for t in [t3, t1, t2] {
        store.add_checkin(&ann, &checkin(t, 40)).unwrap();
        store.add_win(&ann, &win(t, "a win")).unwrap();
        store.add_fire(&ann, &fire(t, FireKind::People)).unwrap();
    }
    let checkins = |since| -> Vec<DateTime<Utc>> {
        store
            .checkins_since(&ann, since)
            .unwrap()
            .into_iter()
            .map(|c| c.at)
            .collect()
    };
    let wins = |since| -> Vec<DateTime<Utc>> {
        store
            .wins_since(&ann, since)
            .unwrap()
            .into_iter()
            .map(|w| w.at)
            .collect()
    };
    let fires = |since| -> Vec<DateTime<Utc>> {
        store
            .fires_since(&ann, since)
            .unwrap()
            .into_iter()
            .map(|f| f.at)
            .collect()
    };
    assert_eq!(checkins(epoch()), vec![t1, t2, t3]);
    assert_eq!(checkins(t2), vec![t2, t3], "`since` is inclusive");
    assert_eq!(checkins(t2 + Duration::milliseconds(1)), vec![t3]);
    assert!(checkins(t3 + Duration::seconds(1)).is_empty());
    assert_eq!(wins(epoch()), vec![t1, t2, t3]);
    assert_eq!(wins(t2), vec![t2, t3]);
    assert_eq!(fires(epoch()), vec![t1, t2, t3]);
    assert_eq!(fires(t2), vec![t2, t3]);
    assert_eq!(fires(t3), vec![t3]);
    // The last win is the latest, not the last added.
    assert_eq!(store.last_win(&ann).unwrap().map(|w| w.at), Some(t3));
}

/// One user's history is theirs alone: another user, or the same id in another team, sees
/// none of it.
fn histories_are_per_user<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let ann_elsewhere = Scope::new(TeamId::parse("T0002").unwrap(), user_id("UANN"));
    // `UAN` is a prefix of `UANN`: keys must not run into each other.
    let an = scope("UAN");
    store.add_checkin(&ann, &checkin(at(3, 9, 0), 40)).unwrap();
    store.add_win(&ann, &win(at(3, 9, 0), "mine")).unwrap();
    store
        .add_fire(&ann, &fire(at(3, 9, 0), FireKind::Incident))
        .unwrap();
    store
        .add_one_on_one(&ann, &one_on_one("UBOB", date(11, 3), at(3, 9, 0)))
        .unwrap();
    for other in [&ann_elsewhere, &an] {
        assert_eq!(store.checkins_since(other, epoch()).unwrap(), vec![]);
        assert_eq!(store.wins_since(other, epoch()).unwrap(), vec![]);
        assert_eq!(store.last_win(other).unwrap(), None);
        assert_eq!(store.fires_since(other, epoch()).unwrap(), vec![]);
        assert_eq!(
            store
                .one_on_ones_for(other, &[user_id("UBOB")], date(1, 1))
                .unwrap(),
            vec![]
        );
        assert_eq!(
            store
                .last_checkin_between(other, epoch(), whenever())
                .unwrap(),
            None
        );
    }
    assert_eq!(store.checkins_since(&ann, epoch()).unwrap().len(), 1);
}

/// The latest check-in in `[from, until)`: `from` included, `until` not.
fn last_checkin_between_is_the_latest_in_a_half_open_range<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    let (t1, t2, t3) = (at(3, 9, 0), at(4, 9, 0), at(5, 9, 0));
    for (t, pct) in [(t2, 20), (t3, 30), (t1, 10)] {
        store.add_checkin(&ann, &checkin(t, pct)).unwrap();
    }
    let between = |from, until| {
        store
            .last_checkin_between(&ann, from, until)
            .unwrap()
            .map(|c| c.eng_pct)
    };
    assert_eq!(between(epoch(), whenever()), Some(30));
    assert_eq!(between(t1, t3), Some(20), "`until` is excluded");
    assert_eq!(between(t1, t3 + Duration::milliseconds(1)), Some(30));
    assert_eq!(
        between(t2, t2 + Duration::milliseconds(1)),
        Some(20),
        "`from` is included"
    );
    assert_eq!(between(t1 + Duration::seconds(1), t2), None);
    assert_eq!(between(t3 + Duration::seconds(1), whenever()), None);
    assert_eq!(between(epoch(), t1), None);
}

/// 1:1s sort by the day they happened, whenever logged; `people`'s latest older ones are
/// added, nobody's older ones beyond that.
fn one_on_ones_sort_by_their_day_with_each_persons_latest<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let ann = scope("UANN");
    // Logged in this order, each later than the one before; several back-dated.
    let log = [
        one_on_one("UAMY", date(11, 20), at(20, 10, 0)),
        one_on_one("UBOB", date(11, 10), at(21, 10, 0)),
        one_on_one("UBOB", date(10, 1), at(21, 11, 0)),
        one_on_one("UAMY", date(11, 15), at(22, 10, 0)),
        one_on_one("UBOB", date(10, 20), at(22, 11, 0)),
        one_on_one("UCAT", date(10, 5), at(22, 12, 0)),
        one_on_one("UCAT", date(9, 1), at(22, 13, 0)),
    ];
    for entry in &log {
        store.add_one_on_one(&ann, entry).unwrap();
    }
    let days = |people: &[&str], since| -> Vec<(String, NaiveDate)> {
        let people: Vec<UserId> = people.iter().map(|p| user_id(p)).collect();
        store
            .one_on_ones_for(&ann, &people, since)
            .unwrap()
            .into_iter()
            .map(|o| (o.with.id.to_string(), o.date))
            .collect()
    };
    let entry = |who: &str, day| (who.to_string(), day);
    assert_eq!(
        days(&[], date(1, 1)),
        vec![
            entry("UCAT", date(9, 1)),
            entry("UBOB", date(10, 1)),
            entry("UCAT", date(10, 5)),
            entry("UBOB", date(10, 20)),
            entry("UBOB", date(11, 10)),
            entry("UAMY", date(11, 15)),
            entry("UAMY", date(11, 20)),
        ]
    );
    assert_eq!(
        days(&[], date(11, 10)),
        vec![
            entry("UBOB", date(11, 10)),
            entry("UAMY", date(11, 15)),
            entry("UAMY", date(11, 20)),
        ],
        "`since` is inclusive"
    );
    // CAT's latest (10-05), not her earlier one; BOB and AMY met since anyway; DAN never.
    assert_eq!(
        days(&["UCAT", "UBOB", "UAMY", "UDAN"], date(11, 11)),
        vec![
            entry("UCAT", date(10, 5)),
            entry("UBOB", date(11, 10)),
            entry("UAMY", date(11, 15)),
            entry("UAMY", date(11, 20)),
        ]
    );
    // The whole entries come back, not just their days.
    assert_eq!(
        store.one_on_ones_for(&ann, &[], date(11, 16)).unwrap(),
        vec![log[0].clone()]
    );
}

// ---- ledger and outbox ----

/// A new key's claim queues its message once; a second claim of the key queues nothing.
fn a_claim_queues_exactly_one_message_once<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (key, item) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    assert!(!store.is_claimed(&key).unwrap());
    assert_eq!(store.claim_state(&key).unwrap(), None);
    assert_eq!(store.outbox_oldest().unwrap(), None);

    assert!(store.claim(&key, Some(&item), at(27, 16, 0)).unwrap());
    assert!(store.is_claimed(&key).unwrap());
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Pending));
    assert_eq!(store.outbox_len(), 1);
    assert_eq!(queued(&*store), vec![item.clone()]);
    assert_eq!(store.outbox_oldest().unwrap(), Some(at(27, 16, 0)));

    let mut again = item.clone();
    again.doc.fallback = "a second composition".into();
    assert!(!store.claim(&key, Some(&again), at(27, 16, 1)).unwrap());
    assert!(!store.claim(&key, None, at(27, 16, 1)).unwrap());
    assert_eq!(store.outbox_len(), 1);
    assert_eq!(queued(&*store), vec![item]);
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Pending));

    // The same subject and job on another day, or another job, is another key.
    let (next_day, _) = message("UANN", "summary", date(11, 28), at(28, 16, 0));
    let (other_job, _) = message("UANN", "checkin", date(11, 27), at(27, 16, 0));
    assert!(!store.is_claimed(&next_day).unwrap());
    assert!(!store.is_claimed(&other_job).unwrap());
}

/// A skipped claim (no message) records the key but queues nothing, and holds the key.
fn a_skipped_claim_records_the_key_and_queues_nothing<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (key, item) = message("UANN", "checkin", date(11, 27), at(27, 15, 30));
    assert!(store.claim(&key, None, at(27, 15, 30)).unwrap());
    assert!(store.is_claimed(&key).unwrap());
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Skipped));
    assert_eq!(store.outbox_len(), 0);
    assert_eq!(store.outbox_oldest().unwrap(), None);
    // A later claim with a message is refused, and queues nothing.
    assert!(!store.claim(&key, Some(&item), at(27, 15, 31)).unwrap());
    assert_eq!(store.outbox_len(), 0);
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Skipped));
}

/// `settle` takes the message out and the ledger says how it ended.
fn settling_removes_the_message_and_records_the_outcome<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (sent_key, sent) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    let (failed_key, failed) = message("CGONE", "digest", date(11, 30), at(30, 9, 0));
    assert!(store.claim(&sent_key, Some(&sent), at(27, 16, 0)).unwrap());
    assert!(store
        .claim(&failed_key, Some(&failed), at(30, 9, 0))
        .unwrap());
    let due = peek(&*store, whenever(), 10);
    assert_eq!(due.len(), 2);
    assert_ne!(due[0].0, due[1].0, "two messages, two ids");

    let (id, item) = due.iter().find(|(_, i)| *i == sent).unwrap();
    store.settle(*id, item, Claim::Sent, at(27, 16, 1)).unwrap();
    assert_eq!(store.claim_state(&sent_key).unwrap(), Some(Claim::Sent));
    assert_eq!(queued(&*store), vec![failed.clone()]);
    assert_eq!(store.outbox_oldest().unwrap(), Some(at(30, 9, 0)));

    let (id, item) = due.iter().find(|(_, i)| *i == failed).unwrap();
    store
        .settle(*id, item, Claim::Failed, at(30, 9, 1))
        .unwrap();
    assert_eq!(store.claim_state(&failed_key).unwrap(), Some(Claim::Failed));
    assert_eq!(store.outbox_len(), 0);
    assert_eq!(store.outbox_oldest().unwrap(), None);
    // Settled keys stay claimed.
    assert!(!store.claim(&sent_key, Some(&sent), at(27, 17, 0)).unwrap());
    assert_eq!(store.outbox_len(), 0);
}

/// Due messages come oldest claim first, at most `limit`, only once `not_before` has come.
fn the_outbox_is_due_in_claim_order_up_to_the_limit<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    // Claimed in this order; `created` deliberately not in the same order.
    let claims = [
        message("UAMY", "summary", date(11, 27), at(27, 16, 5)),
        message("UBOB", "summary", date(11, 27), at(27, 16, 0)),
        message("UCAT", "summary", date(11, 27), at(27, 16, 10)),
    ];
    for (key, item) in &claims {
        assert!(store.claim(key, Some(item), item.created).unwrap());
    }
    let items: Vec<OutboxItem> = claims.iter().map(|(_, i)| i.clone()).collect();
    assert_eq!(queued(&*store), items);
    let first_two: Vec<_> = peek(&*store, whenever(), 2)
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    assert_eq!(first_two, items[..2].to_vec());
    // Only those whose `not_before` has come.
    let due_at_16_05: Vec<_> = peek(&*store, at(27, 16, 5), 10)
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    assert_eq!(
        due_at_16_05,
        items[..2].to_vec(),
        "`not_before` is inclusive"
    );
    assert!(store.outbox_due(at(27, 15, 59), 10).unwrap().is_empty());
    // The oldest is the first claimed.
    assert_eq!(store.outbox_oldest().unwrap(), Some(at(27, 16, 5)));
}

/// A rescheduled message keeps its place and content, with its new attempts, and is due
/// again only from its new `not_before`.
fn a_rescheduled_message_waits_for_not_before<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (key, item) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    assert!(store.claim(&key, Some(&item), at(27, 16, 0)).unwrap());
    let (id, mut retry) = store.outbox_due(at(27, 16, 0), 10).unwrap().remove(0);
    retry.attempts = 3;
    retry.not_before = at(27, 17, 0);
    store.reschedule(id, &retry).unwrap();

    assert_eq!(store.outbox_len(), 1);
    assert!(store.outbox_due(at(27, 16, 59), 10).unwrap().is_empty());
    assert_eq!(
        store.outbox_due(at(27, 17, 0), 10).unwrap(),
        vec![(id, retry)]
    );
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Pending));
    // As old as when it was claimed.
    assert_eq!(store.outbox_oldest().unwrap(), Some(at(27, 16, 0)));
}

/// `reschedule` changes only attempts and `not_before` of what is queued now, and a message
/// settled meanwhile stays gone.
fn a_reschedule_keeps_what_is_queued_and_never_revives_a_settled_message<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (key, item) = message("CENG", "digest", date(11, 30), at(30, 9, 0));
    assert!(store.claim(&key, Some(&item), at(30, 9, 0)).unwrap());
    let (id, stale) = store.outbox_due(at(30, 9, 0), 10).unwrap().remove(0);
    // Re-composed meanwhile (a member left).
    let read = store.queued_digests(&team()).unwrap().remove(0);
    let mut recomposed = item.clone();
    recomposed.doc.fallback = "recomposed".into();
    assert!(store
        .requeue_if_unchanged(&read, Some(&recomposed), at(30, 9, 1))
        .unwrap());
    // The sender's stale copy only moves the retry.
    let mut retry = stale.clone();
    retry.attempts = 1;
    retry.not_before = at(30, 9, 5);
    store.reschedule(id, &retry).unwrap();
    let mut expected = recomposed.clone();
    expected.attempts = 1;
    expected.not_before = at(30, 9, 5);
    assert_eq!(queued(&*store), vec![expected.clone()]);

    store
        .settle(id, &expected, Claim::Sent, at(30, 9, 5))
        .unwrap();
    store.reschedule(id, &retry).unwrap();
    assert_eq!(store.outbox_len(), 0, "a settled message came back");
    assert_eq!(store.claim_state(&key).unwrap(), Some(Claim::Sent));
}

/// `requeue_if_unchanged` acts only on a message still queued exactly as read: a
/// replacement replaces it, `None` drops it (recorded as skipped).
fn requeue_if_unchanged_replaces_or_drops_only_an_unchanged_message<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let other_team = TeamId::parse("T0002").unwrap();
    let (digest_key, digest) = message("CENG", "digest", date(11, 30), at(30, 9, 0));
    let (summary_key, summary) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    let (elsewhere_key, elsewhere) =
        message_in(&other_team, "CENG", "digest", date(11, 30), at(30, 9, 0));
    for (key, item) in [
        (&digest_key, &digest),
        (&summary_key, &summary),
        (&elsewhere_key, &elsewhere),
    ] {
        assert!(store.claim(key, Some(item), item.created).unwrap());
    }
    // Only this team's digests.
    let read = store.queued_digests(&team()).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].item, digest);
    let first_read = read.into_iter().next().unwrap();

    let mut replacement = digest.clone();
    replacement.doc.elements.push(Element::Divider);
    assert!(store
        .requeue_if_unchanged(&first_read, Some(&replacement), at(30, 9, 1))
        .unwrap());
    let mine = |store: &dyn Store| -> Vec<OutboxItem> {
        queued(store)
            .into_iter()
            .filter(|i| i.team == team() && i.ledger_key == digest_key.as_bytes())
            .collect()
    };
    assert_eq!(mine(&*store), vec![replacement.clone()]);
    assert_eq!(
        store.claim_state(&digest_key).unwrap(),
        Some(Claim::Pending)
    );

    // What was read first has changed since: neither replaced nor dropped.
    let mut other = digest.clone();
    other.doc.fallback = "stale".into();
    assert!(!store
        .requeue_if_unchanged(&first_read, Some(&other), at(30, 9, 2))
        .unwrap());
    assert!(!store
        .requeue_if_unchanged(&first_read, None, at(30, 9, 2))
        .unwrap());
    assert_eq!(mine(&*store), vec![replacement.clone()]);
    assert_eq!(
        store.claim_state(&digest_key).unwrap(),
        Some(Claim::Pending)
    );

    // Read afresh, it drops: out of the outbox, the claim skipped.
    let second_read = store.queued_digests(&team()).unwrap().remove(0);
    assert_eq!(second_read.item, replacement);
    assert!(store
        .requeue_if_unchanged(&second_read, None, at(30, 9, 3))
        .unwrap());
    assert_eq!(mine(&*store), vec![]);
    assert_eq!(
        store.claim_state(&digest_key).unwrap(),
        Some(Claim::Skipped)
    );
    assert_eq!(queued(&*store), vec![summary, elsewhere.clone()]);

    // One the sender settled meanwhile is never put back.
    let read = store.queued_digests(&other_team).unwrap().remove(0);
    let (id, item) = store
        .outbox_due(whenever(), 10)
        .unwrap()
        .into_iter()
        .find(|(_, i)| *i == elsewhere)
        .unwrap();
    store.settle(id, &item, Claim::Sent, at(30, 9, 4)).unwrap();
    assert!(!store
        .requeue_if_unchanged(&read, Some(&replacement), at(30, 9, 5))
        .unwrap());
    assert_eq!(store.outbox_len(), 1);
    assert_eq!(
        store.claim_state(&elsewhere_key).unwrap(),
        Some(Claim::Sent)
    );
}

/// `outbox_due` takes and leases: a message it handed out is not handed out again (to this
/// sender or another replica's) until it is released or rescheduled, or its lease runs out —
/// a sender killed mid-send leaves it for another; settled, it is gone.
fn a_taken_message_is_leased_until_released_rescheduled_or_its_lease_runs_out<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let t = at(27, 16, 0);
    let (ann_key, ann) = message("UANN", "summary", date(11, 27), t);
    let (bob_key, bob) = message("UBOB", "summary", date(11, 27), t);
    assert!(store.claim(&ann_key, Some(&ann), t).unwrap());
    assert!(store.claim(&bob_key, Some(&bob), t).unwrap());
    let items = |due: Vec<(u64, OutboxItem)>| due.into_iter().map(|(_, i)| i).collect::<Vec<_>>();

    let (id, taken) = store.outbox_due(t, 1).unwrap().remove(0);
    assert_eq!(taken, ann);
    // The next taker gets the next message, not the leased one.
    let minute = Duration::minutes(1);
    assert_eq!(
        items(store.outbox_due(t + minute, 10).unwrap()),
        vec![bob.clone()]
    );
    assert!(
        store
            .outbox_due(t + OUTBOX_LEASE - Duration::seconds(1), 10)
            .unwrap()
            .is_empty(),
        "both are leased"
    );
    // Released (pacing held it): due again at once.
    store.release(id).unwrap();
    assert_eq!(
        store.outbox_due(t + minute * 2, 10).unwrap(),
        vec![(id, ann.clone())]
    );
    // Rescheduled: due again from its `not_before`, lease or no lease.
    let mut retry = ann.clone();
    retry.attempts = 1;
    retry.not_before = t + minute * 3;
    store.reschedule(id, &retry).unwrap();
    assert_eq!(
        store.outbox_due(t + minute * 3, 10).unwrap(),
        vec![(id, retry.clone())]
    );
    // Nobody settled either: once their leases run out, both go out again.
    let later = t + minute * 3 + OUTBOX_LEASE;
    let again = store.outbox_due(later, 10).unwrap();
    assert_eq!(items(again.clone()), vec![retry, bob]);
    for (id, item) in &again {
        store.settle(*id, item, Claim::Sent, later).unwrap();
    }
    assert!(store
        .outbox_due(later + OUTBOX_LEASE * 2, 10)
        .unwrap()
        .is_empty());
    assert_eq!(store.outbox_len(), 0);
}

// ---- events ----

/// An event id is fresh once; ids seen before a later sighting's `forget_before` are
/// forgotten (fresh again); each team's ids are its own.
fn event_ids_are_seen_once_until_they_are_forgotten<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let t0 = at(27, 12, 0);
    let hour = Duration::hours(1);
    let other_team = TeamId::parse("T0002").unwrap();
    let seen = |team: &TeamId, id: &str, now: DateTime<Utc>| {
        store.first_sighting(team, id, now, now - hour).unwrap()
    };
    assert!(seen(&team(), "Ev1", t0));
    assert!(!seen(&team(), "Ev1", t0 + Duration::seconds(5)), "a retry");
    assert!(seen(&other_team, "Ev1", t0), "another team's event");
    assert!(!seen(&other_team, "Ev1", t0 + Duration::seconds(5)));
    assert!(seen(&team(), "Ev2", t0 + Duration::minutes(30)));
    // Within the hour nothing is forgotten.
    assert!(!seen(&team(), "Ev1", t0 + Duration::minutes(59)));

    // Ev3 at t0 + 1h10: Ev1 (t0) is before its forget_before, Ev2 (t0 + 30m) is not.
    assert!(seen(&team(), "Ev3", t0 + Duration::minutes(70)));
    assert!(
        seen(&team(), "Ev1", t0 + Duration::minutes(71)),
        "Ev1 was forgotten"
    );
    assert!(
        !seen(&team(), "Ev2", t0 + Duration::minutes(72)),
        "Ev2 is recent"
    );
    assert!(!seen(&team(), "Ev3", t0 + Duration::minutes(73)));
}

// ---- backup and restore ----

/// Everything one store holds, as the port reads it back.
#[derive(Debug, PartialEq)]
struct Snapshot {
    users: Vec<(Scope, UserRecord)>,
    exports: Vec<serde_json::Value>,
    subscriptions: Vec<(TeamId, Subscription)>,
    outbox: Vec<OutboxItem>,
    claims: Vec<Option<Claim>>,
}

fn snapshot(store: &dyn Store, people: &[Scope], keys: &[LedgerKey]) -> Snapshot {
    Snapshot {
        users: store.users().map(Result::unwrap).collect(),
        exports: people
            .iter()
            .map(|p| serde_json::to_value(store.export_user(p).unwrap()).unwrap())
            .collect(),
        subscriptions: store.all_subscriptions().unwrap(),
        outbox: queued(store),
        claims: keys.iter().map(|k| store.claim_state(k).unwrap()).collect(),
    }
}

/// A store with a bit of everything, in two teams; the people and ledger keys it holds.
fn populate(store: &dyn Store) -> (Vec<Scope>, Vec<LedgerKey>) {
    let other_team = TeamId::parse("T0002").unwrap();
    let ann = scope("UANN");
    let bob = scope("UBOB");
    let zed = Scope::new(other_team.clone(), user_id("UZED"));
    write_record(store, &ann, at(2, 9, 0));
    store
        .update_user(&bob, at(2, 10, 0), |r| {
            r.tz = Some(chrono_tz::Europe::Paris);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    store
        .update_user(&zed, at(2, 11, 0), |_| Ok::<_, StoreError>(()))
        .unwrap();
    for (who, day) in [(&ann, 3), (&ann, 4), (&bob, 3), (&zed, 5)] {
        store
            .add_checkin(who, &checkin(at(day, 17, 0), 45))
            .unwrap();
        store.add_win(who, &win(at(day, 17, 1), "a win")).unwrap();
        store
            .add_fire(who, &fire(at(day, 17, 2), FireKind::Incident))
            .unwrap();
        store
            .add_one_on_one(who, &one_on_one("UCAT", date(11, day), at(day, 17, 3)))
            .unwrap();
    }
    for (team, sub) in [
        (team(), subscription("CENG", "UANN", &["UANN", "UBOB"])),
        (team(), subscription("COPS", "UBOB", &["UBOB"])),
        (other_team.clone(), subscription("CENG", "UZED", &["UZED"])),
    ] {
        store
            .update_subscription(&team, &sub.channel.id.clone(), |_| {
                Ok::<_, StoreError>((Some(sub.clone()), ()))
            })
            .unwrap();
    }
    let (pending, pending_item) = message("UANN", "summary", date(11, 27), at(27, 16, 0));
    let (sent, sent_item) = message("UBOB", "summary", date(11, 27), at(27, 16, 0));
    let (skipped, _) = message("UBOB", "checkin", date(11, 27), at(27, 15, 30));
    let (digest, digest_item) =
        message_in(&other_team, "CENG", "digest", date(11, 30), at(30, 9, 0));
    let (never, _) = message("UANN", "checkin", date(11, 27), at(27, 15, 30));
    assert!(store
        .claim(&pending, Some(&pending_item), at(27, 16, 0))
        .unwrap());
    assert!(store.claim(&sent, Some(&sent_item), at(27, 16, 0)).unwrap());
    assert!(store.claim(&skipped, None, at(27, 15, 30)).unwrap());
    assert!(store
        .claim(&digest, Some(&digest_item), at(30, 9, 0))
        .unwrap());
    let (id, item) = peek(store, whenever(), 10)
        .into_iter()
        .find(|(_, i)| *i == sent_item)
        .unwrap();
    store.settle(id, &item, Claim::Sent, at(27, 16, 1)).unwrap();
    assert!(store
        .first_sighting(&team(), "Ev1", at(27, 16, 0), at(27, 15, 0))
        .unwrap());
    store.durable().unwrap();
    (
        vec![ann, bob, zed, scope("UNOBODY")],
        vec![pending, sent, skipped, digest, never],
    )
}

/// A backup restored into a fresh store reads back exactly as the original.
fn a_backup_restores_into_an_equal_store<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (people, keys) = populate(&*store);
    let original = snapshot(&*store, &people, &keys);
    assert_eq!(original.users.len(), 3);
    assert_eq!(original.outbox.len(), 2);

    let mut backup = Vec::new();
    let written = store.backup_to(&mut backup).unwrap();
    assert_eq!(written.skipped, 0);

    let copy_place = h.place();
    let copy = h.open(&copy_place);
    let restored = copy.restore_from(&mut backup.as_slice()).unwrap();
    assert_eq!(restored, written);
    assert_eq!(snapshot(&*copy, &people, &keys), original);
    // The seen event came along: a retry is still recognised.
    assert!(!copy
        .first_sighting(&team(), "Ev1", at(27, 16, 1), at(27, 15, 1))
        .unwrap());

    // New rows never overwrite restored ones.
    let ann = &people[0];
    copy.add_checkin(ann, &checkin(at(6, 17, 0), 50)).unwrap();
    assert_eq!(copy.checkins_since(ann, epoch()).unwrap().len(), 3);
    let (key, item) = message("UANN", "summary", date(12, 4), at(27, 16, 0));
    assert!(copy.claim(&key, Some(&item), at(27, 16, 0)).unwrap());
    assert_eq!(copy.outbox_len(), 3);
    let mut expected = original.outbox.clone();
    expected.push(item);
    assert_eq!(queued(&*copy), expected);

    // And the restore is durable.
    let copy = reopen(h, &copy_place, copy);
    assert_eq!(copy.user(ann).unwrap(), store.user(ann).unwrap());
    assert_eq!(copy.all_subscriptions().unwrap(), original.subscriptions);
}

/// A restore only goes into an empty store, and a refused one changes nothing.
fn a_restore_into_a_store_with_data_writes_nothing<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (people, keys) = populate(&*store);
    let mut backup = Vec::new();
    store.backup_to(&mut backup).unwrap();

    let target_place = h.place();
    let target = h.open(&target_place);
    let carl = scope("UCARL");
    let record = write_record(&*target, &carl, at(1, 8, 0));
    let before = snapshot(&*target, &people, &keys);
    assert!(target.restore_from(&mut backup.as_slice()).is_err());
    assert_eq!(snapshot(&*target, &people, &keys), before);
    assert_eq!(target.user(&carl).unwrap(), Some(record));
    assert!(target.user(&people[0]).unwrap().is_none());
}

/// A backup cut short restores nothing at all.
fn a_truncated_backup_restores_nothing<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (people, keys) = populate(&*store);
    let mut backup = Vec::new();
    store.backup_to(&mut backup).unwrap();
    let text = String::from_utf8(backup).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 4, "{text}");
    // Without its last line (the end marker), then cut in the middle of a row.
    let without_end = lines[..lines.len() - 1].join("\n") + "\n";
    let cut = &text[..text.len() / 2];
    for damaged in [without_end.as_str(), cut] {
        let target_place = h.place();
        let target = h.open(&target_place);
        let empty = snapshot(&*target, &people, &keys);
        assert!(target.restore_from(&mut damaged.as_bytes()).is_err());
        assert_eq!(snapshot(&*target, &people, &keys), empty);
        assert_eq!(target.users().count(), 0);
        assert_eq!(target.outbox_len(), 0);
        // Still empty: a good restore goes in afterwards.
        target.restore_from(&mut text.as_bytes()).unwrap();
        assert_eq!(target.users().count(), 3);
    }
}

// ---- people ----

/// `forget_user` deletes the user's record, history, scheduled messages, ledger entries and
/// owned digests, takes them out of others' digests, and leaves everyone else alone.
fn forget_user_removes_everything_the_user_owns_and_nothing_else<H: Harness>(h: &H) {
    let place = h.place();
    let store = h.open(&place);
    let (people, keys) = populate(&*store);
    let (ann, bob, zed) = (&people[0], &people[1], &people[2]);
    let before = snapshot(&*store, &people, &keys);

    let gone = store.forget_user(bob).unwrap();
    assert_eq!(gone.digests_removed, 1, "COPS, which bob owned");
    assert_eq!(gone.digests_left, 1, "CENG, which bob had joined");
    assert!(gone.rows > 0);

    let export = store.export_user(bob).unwrap();
    assert!(export.settings.is_none());
    assert!(export.checkins.is_empty() && export.wins.is_empty());
    assert!(export.fires.is_empty() && export.one_on_ones.is_empty());
    assert!(export.digests_owned.is_empty() && export.digests_joined.is_empty());
    assert!(!store.has_user(bob).unwrap());
    // Bob's ledger entries are gone; nobody else's.
    assert_eq!(store.claim_state(&keys[1]).unwrap(), None);
    assert_eq!(store.claim_state(&keys[2]).unwrap(), None);
    assert_eq!(store.claim_state(&keys[0]).unwrap(), Some(Claim::Pending));
    assert_eq!(store.claim_state(&keys[3]).unwrap(), Some(Claim::Pending));
    assert_eq!(store.outbox_len(), 2);

    let subs = store.all_subscriptions().unwrap();
    let ceng = subs
        .iter()
        .find(|(t, s)| *t == team() && s.channel.id == channel_id("CENG"))
        .map(|(_, s)| s.clone())
        .unwrap();
    assert_eq!(ceng.members, vec![user_id("UANN")]);
    assert_eq!(subs.len(), 2);

    let after = snapshot(&*store, &people, &keys);
    assert_eq!(after.exports[2], before.exports[2], "another team's user");
    assert_eq!(
        store.export_user(ann).unwrap().checkins,
        store.checkins_since(ann, epoch()).unwrap()
    );
    assert_eq!(store.checkins_since(ann, epoch()).unwrap().len(), 2);
    assert!(store.user(zed).unwrap().is_some());
}

// ---- between adapters ----

/// The rows of a backup file: everything but the header (its time and `next_id` are each
/// store's own).
fn backup_rows(backup: &[u8]) -> Vec<String> {
    String::from_utf8(backup.to_vec())
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect()
}

/// A backup taken from sled restores into PostgreSQL, whose backup restores into sled: the
/// same rows, byte for byte, and the same store read back either way.
#[test]
fn backups_move_from_sled_to_postgres_and_back() {
    let Some(pg) = postgres_harness() else {
        return;
    };
    let sled = SledHarness;
    let sled_place = sled.place();
    let from_sled = sled.open(&sled_place);
    let (people, keys) = populate(&*from_sled);
    let original = snapshot(&*from_sled, &people, &keys);
    let mut sled_backup = Vec::new();
    from_sled.backup_to(&mut sled_backup).unwrap();

    let pg_place = pg.place();
    let in_pg = pg.open(&pg_place);
    in_pg.restore_from(&mut sled_backup.as_slice()).unwrap();
    assert_eq!(snapshot(&*in_pg, &people, &keys), original);
    let mut pg_backup = Vec::new();
    in_pg.backup_to(&mut pg_backup).unwrap();
    assert_eq!(backup_rows(&pg_backup), backup_rows(&sled_backup));
    // New rows in PostgreSQL never take a restored id.
    in_pg
        .add_checkin(&people[0], &checkin(at(6, 17, 0), 50))
        .unwrap();
    assert_eq!(in_pg.checkins_since(&people[0], epoch()).unwrap().len(), 3);

    let back_place = sled.place();
    let back = sled.open(&back_place);
    back.restore_from(&mut pg_backup.as_slice()).unwrap();
    assert_eq!(snapshot(&*back, &people, &keys), original);
}
