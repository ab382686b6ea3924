//! One bad row never stops the bot: rows that don't decode (garbage, or values no command
//! writes, as a hand-edited backup could hold) are planted raw, and every other user's
//! scheduled messages, delivery, `forget` and backups go on. The row is counted and logged
//! by its ids, never its value.

use crate::support::{scope, TestApp, TEAM};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::{Arc, Mutex};
use twohats::app::{App, Reply};
use twohats::domain::checkin::CheckIn;
use twohats::domain::ids::{ChannelId, Scope, TeamId, UserId};
use twohats::store::prelude::*;
use twohats::store::sled_store::keys;
use twohats::store::{OutboxItem, SledStore};

/// A value in the store's envelope.
fn envelope(d: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"v": 1, "d": d})).unwrap()
}

fn team() -> TeamId {
    TeamId::parse(TEAM).unwrap()
}

/// `UAAA` sorts before every console user, so a loop meets its rows first.
fn early_user() -> Scope {
    Scope::new(team(), UserId::parse("UAAA").unwrap())
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Ann and Bob check in from Tuesday; the clock then reads Friday 2026-11-27 16:00, when
/// their summaries are due.
fn a_week_of_use() -> TestApp {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 24, 10, 0);
    for user in ["ann", "bob"] {
        assert!(!matches!(bot.run(user, "checkin 60"), Reply::Failed));
    }
    bot.now = utc(2026, 11, 27, 16, 0);
    bot
}

fn plant(bot: &TestApp, tree: &str, key: &[u8], value: &[u8]) {
    bot.store.put_raw_for_tests(tree, key, value).unwrap();
}

/// Ticks, then delivers everything queued: the channels it went to.
fn tick_and_drain(bot: &TestApp) -> Vec<String> {
    bot.app.tick(bot.now).expect("the tick goes on");
    let mut sent = Vec::new();
    bot.app
        .drain_outbox_to(bot.now, |item| sent.push(item.channel.clone()))
        .expect("delivery goes on");
    sent
}

fn undecodable(bot: &TestApp) -> u64 {
    bot.store.stats().undecodable_rows
}

#[test]
fn a_users_row_that_does_not_decode_stops_nobody_elses_messages() {
    let bot = a_week_of_use();
    let garbage = keys::user_prefix(&early_user());
    plant(&bot, "users", &garbage, b"SECRET not json");
    // Decodes as JSON and even as a record, but with a target no command accepts.
    let out_of_range = Scope::new(team(), UserId::parse("UAAB").unwrap());
    let mut record = serde_json::to_value(twohats::domain::user::UserRecord::new(bot.now)).unwrap();
    record["target_pct"] = json!(300);
    plant(
        &bot,
        "users",
        &keys::user_prefix(&out_of_range),
        &envelope(record),
    );

    let sent = tick_and_drain(&bot);
    for user in ["UANN", "UBOB"] {
        assert!(
            sent.iter().any(|c| c == user),
            "{user} got nothing: {sent:?}"
        );
    }
    assert!(sent.iter().all(|c| c != "UAAA" && c != "UAAB"), "{sent:?}");
    assert!(undecodable(&bot) >= 2, "both rows are counted");
    // The owner of a bad record gets the generic apology; nobody else notices.
    let owner = twohats::app::Actor::new(out_of_range);
    assert!(matches!(
        bot.app.handle_command(&owner, "summary", bot.now),
        Reply::Failed
    ));
    assert!(!matches!(bot.run("ann", "summary"), Reply::Failed));
}

#[test]
fn a_digest_row_that_does_not_decode_or_whose_owner_does_not_stops_no_other_digest() {
    let mut bot = a_week_of_use();
    assert!(!matches!(bot.run("ann", "digest #eng"), Reply::Failed));
    let channel = |id: &str| keys::channel(&team(), &ChannelId::parse(id).unwrap());
    plant(&bot, "digests", &channel("CAAA"), b"\xff SECRET");
    // A sound subscription whose owner's record is garbage: its zone can't be known.
    plant(
        &bot,
        "users",
        &keys::user_prefix(&early_user()),
        b"{\"v\":1,\"d\":7}",
    );
    let orphan = json!({"channel": {"id": "CAAB"}, "owner": "UAAA", "members": ["UAAA"],
                        "created": "2026-11-20T00:00:00Z"});
    plant(&bot, "digests", &channel("CAAB"), &envelope(orphan));
    // Ann's, but with that member: composing it meets the garbage record, and leaves that
    // member out rather than holding up the digest.
    let with_member = json!({"channel": {"id": "CAAC"}, "owner": "UANN", "members": ["UAAA"],
                             "created": "2026-11-20T00:00:00Z"});
    plant(&bot, "digests", &channel("CAAC"), &envelope(with_member));

    bot.now = utc(2026, 11, 30, 9, 0); // Monday 09:00: digests are due
    let sent = tick_and_drain(&bot);
    assert_eq!(sent, ["CAAC", "CENG"]);
    let times = bot
        .app
        .fire_times(bot.now, bot.now + Duration::days(7))
        .expect("the console's replay goes on too");
    assert!(!times.is_empty());
}

#[test]
fn an_outbox_row_that_does_not_decode_holds_up_no_delivery() {
    let bot = a_week_of_use();
    bot.app.tick(bot.now).unwrap();
    // Id 0 sorts before every queued message.
    plant(
        &bot,
        "outbox",
        &0u64.to_be_bytes(),
        b"{\"v\":1,\"d\":\"SECRET\"}",
    );
    let queued = bot.store.outbox_len();
    let mut sent = Vec::new();
    let n = bot
        .app
        .drain_outbox_to(bot.now, |item| sent.push(item.channel.clone()))
        .expect("delivery goes on");
    assert_eq!(n, queued - 1, "{sent:?}");
    assert!(sent.iter().any(|c| c == "UANN") && sent.iter().any(|c| c == "UBOB"));
    assert_eq!(
        bot.store.outbox_len(),
        1,
        "the bad row stays for an operator"
    );
    assert!(bot.store.outbox_due(bot.now, 10).unwrap().is_empty());
}

#[test]
fn forget_goes_through_damaged_shared_rows_and_takes_a_damaged_message_for_the_user() {
    let bot = a_week_of_use();
    assert!(!matches!(bot.run("bob", "digest #eng"), Reply::Failed));
    assert!(!matches!(bot.run("ann", "digest #eng join"), Reply::Failed));
    bot.app.tick(bot.now).unwrap();
    plant(&bot, "outbox", &0u64.to_be_bytes(), b"garbage");
    // Damaged (no doc), but it still says it is for ann.
    let for_ann = json!({"team": TEAM, "channel": "UANN", "attempts": "SECRET"});
    plant(&bot, "outbox", &1u64.to_be_bytes(), &envelope(for_ann));
    let digest_key = keys::channel(&team(), &ChannelId::parse("CAAA").unwrap());
    plant(&bot, "digests", &digest_key, b"garbage");

    assert!(!matches!(bot.run("ann", "forget confirm"), Reply::Failed));
    let needle = b"UANN";
    for (tree, key, value) in bot.raw() {
        let hit = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(
            !hit(&key) && !hit(&value),
            "ann remains in tree {tree}: {}",
            String::from_utf8_lossy(&key)
        );
    }
    let store = &bot.store;
    let subs = store.subscriptions(&team()).unwrap();
    assert_eq!(subs.len(), 1, "bob's digest stays");
    assert!(subs[0].members.iter().all(|m| m.as_str() != "UANN"));
    assert!(bot.export("bob").settings.is_some());
}

/// A check-in row for ann with an `eng_pct` no command accepts.
fn impossible_checkin(bot: &TestApp) {
    let at = utc(2026, 11, 26, 10, 0);
    let checkin = CheckIn {
        date: at.date_naive(),
        at,
        eng_pct: 255,
        energy: None,
        critical_path: false,
        fires: vec![],
        kinds: vec![],
        note: None,
    };
    let key = keys::timed(&scope("ann"), at, 1);
    plant(
        bot,
        "checkins",
        &key,
        &envelope(serde_json::to_value(checkin).unwrap()),
    );
}

#[test]
fn an_impossible_share_read_from_disk_neither_panics_nor_counts() {
    let bot = a_week_of_use();
    impossible_checkin(&bot);
    // Read whole, a 255 would index past the sparkline's bars and underflow 100 - share.
    let text = bot.say("ann", "summary");
    assert!(text.contains("60% engineering"), "{text}");
    let summary = bot.summary("ann");
    assert_eq!(summary.balance.map(|b| (b.eng_pct, b.days)), Some((60, 1)));
    let sent = tick_and_drain(&bot);
    assert!(sent.iter().any(|c| c == "UANN"), "{sent:?}");
    assert!(undecodable(&bot) >= 1);
}

#[test]
fn a_backup_leaves_out_rows_that_do_not_decode_so_its_restore_serves_everyone() {
    let bot = a_week_of_use();
    plant(&bot, "users", &keys::user_prefix(&early_user()), b"SECRET");
    impossible_checkin(&bot);
    plant(&bot, "outbox", &0u64.to_be_bytes(), b"{}");
    plant(&bot, "nonsense", b"k", b"v");
    let store = &bot.store;
    let mut out = Vec::new();
    let summary = store.backup_to(&mut out).unwrap();
    assert_eq!(summary.skipped, 4);
    assert_eq!(summary.rows, bot.raw().len() - 4);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("nonsense"), "{text}");
    assert!(!text.contains(&hex(&keys::user_prefix(&early_user()))));

    let dir = tempfile::tempdir().unwrap();
    let copy = SledStore::open(dir.path()).unwrap();
    copy.restore_from(text.as_bytes())
        .expect("the backup restores");
    let app = App::new(Arc::new(copy), chrono_tz::UTC);
    let report = app.tick(bot.now).expect("the restored store ticks");
    assert!(report.queued >= 2, "{report:?}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Collects what a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_undecodable_row_is_logged_once_by_its_ids_never_its_value() {
    let bot = a_week_of_use();
    // serde's own message would quote it: "invalid type: string \"SECRET\", expected u8".
    let quoted = br#"{"v":1,"d":{"target_pct":"SECRET"}}"#;
    plant(&bot, "users", &keys::user_prefix(&early_user()), quoted);
    impossible_checkin(&bot);
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            bot.app.tick(bot.now).unwrap();
        }
    });
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.matches("T0001/UAAA").count(),
        1,
        "once per row:\n{text}"
    );
    assert_eq!(text.matches("T0001/UANN").count(), 1, "{text}");
    assert!(
        text.contains("users") && text.contains("checkins"),
        "{text}"
    );
    assert!(
        text.contains("eng_pct is over 100"),
        "says what, by field: {text}"
    );
    assert!(!text.contains("SECRET"), "{text}");
    assert!(undecodable(&bot) >= 3, "counted each time it is met");
}

#[test]
fn outbox_items_planted_here_match_the_stores_own_shape() {
    // Guards the JSON the tests above hand-write against the real item: a damaged message
    // lacks `doc`, a real one has it.
    let bot = a_week_of_use();
    bot.app.tick(bot.now).unwrap();
    let (_, item): (u64, OutboxItem) = bot.store.outbox_due(bot.now, 1).unwrap().remove(0);
    let value = serde_json::to_value(&item).unwrap();
    for field in ["team", "channel", "doc", "attempts"] {
        assert!(value.get(field).is_some(), "{field}: {value}");
    }
}

#[test]
fn a_restored_cadence_no_command_could_set_is_refused_not_a_panic() {
    let bot = a_week_of_use();
    bot.run("ann", "team add @bob");
    let mut record = serde_json::to_value(bot.export("ann").settings.unwrap()).unwrap();
    record["roster"][0]["cadence_days"] = json!(4_000_000_000u32);
    let key = keys::user_prefix(&crate::support::scope("ann"));
    plant(&bot, "users", &key, &envelope(record));
    let before = undecodable(&bot);
    // Logging a 1:1 computes the next one from the cadence: it must not overflow a date.
    assert!(matches!(bot.run("ann", "1on1 @bob"), Reply::Failed));
    assert!(undecodable(&bot) > before, "counted as a damaged row");
}
