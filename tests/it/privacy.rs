//! Privacy: digests carry only what members chose to share; forget leaves nothing behind;
//! one user's commands never read another's data.

use crate::support::{scope, TestApp};
use chrono::Duration;
use twohats::domain::ids::ChannelId;
use twohats::render::blocks::message_blocks;
use twohats::render::summary::digest_doc;
use twohats::render::text::to_text;
use twohats::store::prelude::*;

/// A team of five TLMs whose every private field holds a unique marker; they check in on
/// Tuesday of one week, and the clock ends on the Monday after, whose digest covers it.
fn team_with_secrets() -> (TestApp, Vec<String>) {
    let mut bot = TestApp::new();
    bot.now -= Duration::days(3); // Tuesday 24 Nov
    let mut markers = Vec::new();
    bot.run("ann", "digest #eng");
    for (i, user) in ["ann", "bob", "cat", "dan", "eve"].iter().enumerate() {
        bot.run(user, "digest #eng join");
        let m = |what: &str| format!("SECRET{what}{i}X");
        bot.run(
            user,
            &format!(
                "checkin {} energy=1 cp fire=people kind=core {}",
                31 + i * 11,
                m("NOTE")
            ),
        );
        bot.run(user, &format!("cp on {}", m("CPWHAT")));
        bot.run(user, &format!("win {}", m("PRIVATEWIN")));
        bot.run(user, &format!("team add @{}", m("REPORT").to_lowercase()));
        bot.run(user, &format!("1on1 @{}", m("REPORT").to_lowercase()));
        bot.run(user, "fire incident");
        bot.run(user, &format!("win shipped thing {i} --public"));
        markers.extend(["NOTE", "CPWHAT", "PRIVATEWIN", "REPORT"].map(m));
    }
    bot.now += Duration::days(6); // Monday 30 Nov
    (bot, markers)
}

/// The digest #eng would get now, as a message.
fn eng_digest_doc(bot: &TestApp) -> twohats::render::Doc {
    let channel = ChannelId::parse("CENG").unwrap();
    let digest = bot
        .app
        .digest(&scope("ann").team, &channel, bot.now)
        .unwrap()
        .expect("subscribed");
    digest_doc(&digest)
}

fn eng_digest(bot: &TestApp) -> String {
    to_text(&eng_digest_doc(bot))
}

#[test]
fn no_private_field_reaches_a_digest() {
    let (bot, markers) = team_with_secrets();
    let doc = eng_digest_doc(&bot);
    let text = to_text(&doc);
    let blocks = serde_json::to_string(&message_blocks(&doc)).unwrap();
    for marker in &markers {
        for out in [&text, &blocks] {
            assert!(
                !out.to_uppercase().contains(marker),
                "{marker} leaked into the digest:\n{out}"
            );
        }
    }
    // Energy (1), fires and individual shares are absent too; only aggregates and public wins.
    assert!(
        !text.contains("energy") && !text.to_lowercase().contains("fire"),
        "{text}"
    );
    for share in ["31%", "42%", "53%", "64%", "75%"] {
        assert!(
            !text.contains(share),
            "a member's own share {share} is shown: {text}"
        );
    }
    assert!(
        text.contains("*Checked in:* about 100% of 5 members"),
        "{text}"
    );
    assert!(
        text.contains("*Median split:* about 50% engineering"),
        "{text}"
    );
    assert!(
        text.contains("*On the critical path:* about 100% of those who checked in"),
        "{text}"
    );
    for i in 0..5 {
        assert!(
            text.contains(&format!("shipped thing {i}")),
            "public wins are shown: {text}"
        );
    }
}

#[test]
fn aggregates_wait_for_five_members_who_checked_in() {
    let (mut bot, _) = team_with_secrets();
    // A week later only four of the five check in: the next Monday shows no numbers.
    for user in ["ann", "bob", "cat", "dan"] {
        bot.run(user, "checkin 10");
    }
    bot.now += Duration::days(7);
    let text = eng_digest(&bot);
    assert!(
        !text.contains("Median") && !text.contains("Checked in"),
        "{text}"
    );
    assert!(text.contains("at least 5 members checked in"), "{text}");
    assert!(!text.contains("10%"), "{text}");
}

#[test]
fn every_digest_of_a_week_shows_the_same_numbers_whatever_members_change() {
    let (mut bot, _) = team_with_secrets();
    let monday = eng_digest(&bot);
    // bob moves his own numbers between digests, and cat leaves the critical path: the
    // covered week is done, so Thursday's digest shows what Monday's did.
    bot.now += Duration::days(3);
    bot.run("bob", "checkin 100 cp");
    bot.run("bob", "checkin 0");
    bot.run("cat", "cp off");
    // A member far west can still date a check-in on the covered week's Sunday; members
    // come and go. None of it moves the numbers already shown for that week.
    bot.run("dan", "tz Pacific/Pago_Pago");
    bot.run("dan", "digest #eng leave");
    for user in ["fay", "gus"] {
        bot.run(user, "digest #eng join");
        bot.run(user, "checkin 95");
    }
    let thursday = eng_digest(&bot);
    let numbers = |text: &str| {
        text.lines()
            .filter(|l| l.contains("about"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(!numbers(&monday).is_empty(), "{monday}");
    assert_eq!(numbers(&monday), numbers(&thursday));
}

#[test]
fn public_wins_of_the_last_seven_days_are_shown() {
    let (mut bot, _) = team_with_secrets();
    bot.run("ann", "win fresh news --public");
    assert!(eng_digest(&bot).contains("fresh news"));
    // Tuesday's wins are 7 days old on Monday, 8 on Tuesday.
    assert!(eng_digest(&bot).contains("shipped thing 0"));
    bot.now += Duration::days(1);
    let tuesday = eng_digest(&bot);
    assert!(
        !tuesday.contains("shipped thing 0") && tuesday.contains("fresh news"),
        "{tuesday}"
    );
}

#[test]
fn members_who_did_not_join_are_never_counted() {
    let bot = TestApp::new();
    bot.run("ann", "digest #eng");
    bot.run("bob", "win loud news --public"); // bob never joined
    let channel = ChannelId::parse("CENG").unwrap();
    let text = to_text(&digest_doc(
        &bot.app
            .digest(&scope("ann").team, &channel, bot.now)
            .unwrap()
            .unwrap(),
    ));
    assert!(
        !text.contains("loud news") && !text.contains("Checked in"),
        "{text}"
    );
}

#[test]
fn forget_leaves_nothing_with_the_users_id_in_any_tree() {
    let (bot, _) = team_with_secrets();
    bot.run("bob", "digest #ops"); // bob owns a digest too
    bot.run("bob", "snooze wins");
    // A delivered summary and a queued prompt: the ledger and outbox name bob too.
    let friday = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 27, 16, 0, 0).unwrap();
    bot.app.tick(friday).unwrap();
    bot.app.drain_outbox_to(friday, |_| {}).unwrap();
    bot.app.tick(friday + Duration::days(7)).unwrap();
    assert!(
        bot.store.outbox_len() > 0,
        "something is queued for bob and the others"
    );
    bot.run("bob", "pause 1w");
    bot.run("bob", "forget confirm");
    let needle = b"UBOB";
    for (tree, key, value) in bot.raw() {
        let hit = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(
            !hit(&key) && !hit(&value),
            "bob remains in tree {tree}: {} => {}",
            String::from_utf8_lossy(&key),
            String::from_utf8_lossy(&value)
        );
    }
    // Everyone else's data is untouched.
    assert_eq!(bot.export("ann").checkins.len(), 1);
    let subs = bot.store.subscriptions(&scope("ann").team).unwrap();
    assert_eq!(subs.len(), 1, "bob's #ops digest is gone, ann's #eng stays");
    assert_eq!(subs[0].members.len(), 4);
}

#[test]
fn a_user_sees_only_their_own_data() {
    let bot = TestApp::new();
    bot.run("ann", "checkin 20 ann's note");
    bot.run("ann", "team add @zed");
    let out = bot.say("bob", "summary");
    assert!(
        out.contains("no check-ins yet this week") && !out.contains("zed"),
        "{out}"
    );
    assert!(bot.export("bob").checkins.is_empty());
}

#[test]
fn only_the_owner_reschedules_or_ends_a_digest_anyone_joins_or_leaves() {
    let bot = TestApp::new();
    bot.run("ann", "digest #eng");
    bot.run("ann", "checkin 50");
    let before = bot.raw();
    for hijack in ["digest #eng sun 03:00", "digest #eng off"] {
        let refusal = crate::support::invalid(&bot.run("bob", hijack));
        assert!(
            refusal.contains("only they can reschedule or end it"),
            "{hijack}: {refusal}"
        );
    }
    assert_eq!(bot.raw(), before, "a refused hijack changes nothing");
    assert!(
        bot.say("bob", "digest #eng").contains("joined"),
        "subscribing again is joining"
    );
    assert!(bot.say("bob", "digest #eng leave").contains("left"));
    let subs = bot.store.subscriptions(&scope("ann").team).unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].owner.as_str(), "UANN");
    assert_eq!(subs[0].schedule, None, "still ann's Monday 09:00");
    assert!(bot
        .say("ann", "digest #eng off")
        .contains("won't get the team digest"));
}

#[test]
fn a_user_owns_at_most_three_digests() {
    let bot = TestApp::new();
    for channel in ["a", "b", "c"] {
        assert!(bot
            .say("ann", &format!("digest #{channel}"))
            .contains("gets the team digest"));
    }
    let refusal = crate::support::invalid(&bot.run("ann", "digest #d"));
    assert!(refusal.contains("You already run 3 digests"), "{refusal}");
    // Rescheduling one of hers is fine, and so is someone else starting one.
    assert!(bot
        .say("ann", "digest #a fri 17:00")
        .contains("gets the team digest"));
    assert!(bot.say("bob", "digest #d").contains("gets the team digest"));
}

/// Five members and a queued (not yet sent) Monday digest that names bob and cat.
fn queued_digest_naming_bob_and_cat() -> TestApp {
    let (mut bot, _) = team_with_secrets();
    bot.run("bob", "win BOBWIN shipped --public");
    bot.run("cat", "win CATWIN shipped --public");
    // Monday 30 Nov 09:00: ann's #eng digest is claimed and queued.
    bot.now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 9, 0, 0).unwrap();
    bot.app.tick(bot.now).unwrap();
    bot
}

fn sent_digests(bot: &TestApp) -> Vec<String> {
    let mut sent = Vec::new();
    bot.app
        .drain_outbox_to(bot.now, |item| {
            if item.channel == "CENG" {
                sent.push(to_text(&item.doc));
            }
        })
        .unwrap();
    sent
}

#[test]
fn forget_and_leave_take_the_user_out_of_a_digest_already_queued() {
    let bot = queued_digest_naming_bob_and_cat();
    bot.run("bob", "forget confirm");
    bot.run("cat", "digest #eng leave");
    let sent = sent_digests(&bot);
    assert_eq!(sent.len(), 1, "still sent, once: {sent:?}");
    for gone in ["BOBWIN", "CATWIN", "bob", "cat"] {
        assert!(
            !sent[0].contains(gone),
            "{gone} is in the queued digest: {}",
            sent[0]
        );
    }
    assert!(
        sent[0].contains("shipped thing 0"),
        "ann's win stays: {}",
        sent[0]
    );
}

#[test]
fn a_digest_switched_off_is_not_sent_from_the_queue() {
    let bot = queued_digest_naming_bob_and_cat();
    bot.run("ann", "digest #eng off");
    assert!(sent_digests(&bot).is_empty());
}

#[test]
fn a_join_that_races_another_write_is_not_lost() {
    let bot = TestApp::new();
    bot.run("ann", "digest #eng");
    let store = &bot.store;
    let team = scope("ann").team;
    let channel = ChannelId::parse("CENG").unwrap();
    let mut first = true;
    store
        .update_subscription(&team, &channel, |current| {
            let mut sub = current.expect("subscribed");
            if first {
                // bob joins between this read and its write.
                first = false;
                let mut theirs = sub.clone();
                theirs.members.push(scope("bob").user);
                store.put_subscription(&team, &theirs)?;
            }
            sub.members.push(scope("cat").user);
            Ok::<_, twohats::store::StoreError>((Some(sub), ()))
        })
        .unwrap();
    let members = store
        .subscription(&team, &channel)
        .unwrap()
        .unwrap()
        .members;
    let names: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
    assert_eq!(names, ["UANN", "UBOB", "UCAT"], "both joins count");
}
