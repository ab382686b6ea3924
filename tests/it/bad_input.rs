//! Bad input of every command: a specific error naming the command's usage, and nothing
//! stored — not even a first-contact record.

use crate::support::{invalid, TestApp};
use twohats::app::Reply;
use twohats::command::CommandName;
use twohats::render::reply::reply_doc;
use twohats::render::text::to_text;

const BAD: &[(&str, CommandName)] = &[
    ("checkin sixty", CommandName::Checkin),
    ("checkin 101", CommandName::Checkin),
    ("checkin -5", CommandName::Checkin),
    ("checkin 60 energy=9", CommandName::Checkin),
    ("checkin 60 energy=two", CommandName::Checkin),
    ("checkin 60 fire=flood", CommandName::Checkin),
    ("checkin 60 kind=meetings", CommandName::Checkin),
    ("checkin 60 energy=2 energy=3", CommandName::Checkin),
    ("checkin 60 enrgy=2", CommandName::Checkin),
    ("1on1", CommandName::OneOnOne),
    ("1on1 bob", CommandName::OneOnOne),
    ("1on1 @bob 2026-02-30", CommandName::OneOnOne),
    ("1on1 @bob yesterday", CommandName::OneOnOne),
    ("1:1 @bob 2026-11-20 extra", CommandName::OneOnOne),
    ("1on1 @bob 2026-11-30", CommandName::OneOnOne), // in the future
    ("1on1 @ann", CommandName::OneOnOne),            // yourself
    ("team add", CommandName::Team),
    ("team add bob", CommandName::Team),
    ("team add @bob every 0d", CommandName::Team),
    ("team add @bob every 91d", CommandName::Team),
    ("team add @bob every week", CommandName::Team),
    ("team remove", CommandName::Team),
    ("team remove @nobody", CommandName::Team), // not on the roster
    ("team shuffle", CommandName::Team),
    ("team add @ann", CommandName::Team), // yourself
    ("win", CommandName::Win),
    ("win --public", CommandName::Win),
    ("cp", CommandName::Cp),
    ("cp maybe", CommandName::Cp),
    ("fire", CommandName::Fire),
    ("fire flood", CommandName::Fire),
    ("summary now", CommandName::Summary),
    ("target", CommandName::Target),
    ("target 150", CommandName::Target),
    ("target lots", CommandName::Target),
    ("tz", CommandName::Tz),
    ("tz Mars/Olympus_Mons", CommandName::Tz),
    ("schedule", CommandName::Schedule),
    ("schedule lunch fri 12:00", CommandName::Schedule),
    ("schedule checkin", CommandName::Schedule),
    ("schedule checkin fri 25:00", CommandName::Schedule),
    ("schedule checkin someday 10:00", CommandName::Schedule),
    ("schedule summary 0 16 * *", CommandName::Schedule),
    ("schedule summary 0 16 1 * 5", CommandName::Schedule),
    ("schedule summary 0 0 16 * * 5", CommandName::Schedule),
    ("schedule summary 0 0 31 2 *", CommandName::Schedule),
    ("pause", CommandName::Pause),
    ("pause 0d", CommandName::Pause),
    ("pause 2y", CommandName::Pause),
    ("pause until tomorrow", CommandName::Pause),
    ("pause until 2026-11-01", CommandName::Pause), // already passed
    ("pause until 2028-01-01", CommandName::Pause), // over a year away
    ("resume now", CommandName::Resume),
    ("digest", CommandName::Digest),
    ("digest eng", CommandName::Digest),
    ("digest #eng sometimes", CommandName::Digest),
    ("digest #nodigest join", CommandName::Digest), // not subscribed
    ("digest #nodigest off", CommandName::Digest),
    ("export all", CommandName::Export),
    ("forget everything", CommandName::Forget),
    ("snooze", CommandName::Snooze),
    ("snooze naps", CommandName::Snooze),
    ("snooze cp 0d", CommandName::Snooze),
];

#[test]
fn every_bad_input_gets_a_specific_error_with_usage_and_stores_nothing() {
    let bot = TestApp::new();
    for (text, command) in BAD {
        let reply = bot.run("ann", text);
        match &reply {
            Reply::Invalid { message, usage, .. } => {
                assert_eq!(usage.as_ref(), Some(command), "{text:?}: {message}");
                assert!(message.len() > 15, "{text:?}: too terse: {message}");
                let shown = to_text(&reply_doc(&reply));
                assert!(
                    shown.contains("/tlm"),
                    "{text:?}: the usage line is shown: {shown}"
                );
            }
            other => panic!("{text:?} should be refused, got {other:?}"),
        }
        assert!(bot.raw().is_empty(), "{text:?} stored something");
    }
}

#[test]
fn bad_input_leaves_an_existing_users_data_untouched() {
    let bot = TestApp::new();
    bot.run("ann", "checkin 50 energy=3");
    bot.run("ann", "team add @bob");
    bot.run("ann", "digest #eng");
    let before = bot.raw();
    for (text, _) in BAD {
        let _ = bot.run("ann", text);
        assert_eq!(bot.raw(), before, "{text:?} changed the store");
    }
}

#[test]
fn a_day_holds_at_most_fifty_check_ins_wins_and_fires_each() {
    let mut bot = TestApp::new();
    for (command, what) in [
        ("checkin 50", "check-ins"),
        ("win shipped it", "wins"),
        ("fire incident", "fires"),
    ] {
        for i in 0..50 {
            let reply = bot.run("ann", command);
            assert!(
                !matches!(reply, Reply::Invalid { .. }),
                "{command} #{i}: {reply:?}"
            );
        }
        let before = bot.raw();
        let refusal = invalid(&bot.run("ann", command));
        assert!(
            refusal.contains(&format!("50 {what} today already")),
            "{refusal}"
        );
        assert_eq!(bot.raw(), before, "a refused {command} stores nothing");
    }
    // The next local day starts a new count.
    bot.advance(chrono::Duration::days(1));
    assert!(!matches!(
        bot.run("ann", "checkin 50"),
        Reply::Invalid { .. }
    ));
}
