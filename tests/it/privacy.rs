//! Privacy: digests carry only what members chose to share; forget leaves nothing behind;
//! one user's commands never read another's data.

use crate::support::{scope, Bot};
use chrono::Duration;
use twohats::domain::ids::ChannelId;
use twohats::render::blocks::message_blocks;
use twohats::render::summary::digest_doc;
use twohats::render::text::to_text;

/// A team of four TLMs whose every private field holds a unique marker.
fn team_with_secrets() -> (Bot, Vec<String>) {
    let mut bot = Bot::new();
    bot.now -= Duration::days(3); // Tuesday: the digest on Thursday is about this week
    let mut markers = Vec::new();
    bot.run("ann", "digest #eng");
    for (i, user) in ["ann", "bob", "cat", "dan"].iter().enumerate() {
        bot.run(user, "digest #eng join");
        let m = |what: &str| format!("SECRET{what}{i}X");
        bot.run(
            user,
            &format!(
                "checkin {} energy=1 cp fire=people kind=core {}",
                30 + i * 10,
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
    bot.now += Duration::days(2);
    (bot, markers)
}

#[test]
fn no_private_field_reaches_a_digest() {
    let (bot, markers) = team_with_secrets();
    let channel = ChannelId::parse("CENG").unwrap();
    let digest = bot
        .app
        .digest(&scope("ann").team, &channel, bot.now)
        .unwrap()
        .expect("subscribed");
    let doc = digest_doc(&digest);
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
    for share in ["30%", "40%", "50%", "60%"] {
        assert!(
            !text.contains(share),
            "a member's own share {share} is shown: {text}"
        );
    }
    assert!(text.contains("4 of 4 members checked in."), "{text}");
    assert!(text.contains("*Median split:* 45% engineering"), "{text}");
    assert!(
        text.contains("*On the critical path:* 100% of those who checked in"),
        "{text}"
    );
    for i in 0..4 {
        assert!(
            text.contains(&format!("shipped thing {i}")),
            "public wins are shown: {text}"
        );
    }
}

#[test]
fn aggregates_wait_for_three_members_who_checked_in() {
    let bot = Bot::new();
    bot.run("ann", "digest #eng");
    bot.run("bob", "digest #eng join");
    bot.run("cat", "digest #eng join");
    bot.run("ann", "checkin 10");
    bot.run("bob", "checkin 90");
    let channel = ChannelId::parse("CENG").unwrap();
    // Friday: the digest is about this week.
    let digest = bot
        .app
        .digest(&scope("ann").team, &channel, bot.now)
        .unwrap()
        .unwrap();
    let text = to_text(&digest_doc(&digest));
    assert!(text.contains("2 of 3 members checked in."), "{text}");
    assert!(
        !text.contains("Median"),
        "two people's median would give away both: {text}"
    );
    assert!(!text.contains("10%") && !text.contains("90%"), "{text}");
}

#[test]
fn members_who_did_not_join_are_never_counted() {
    let bot = Bot::new();
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
        !text.contains("loud news") && text.contains("0 of 1 member checked in."),
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
        bot.app.store().outbox_len() > 0,
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
    let subs = bot.app.store().subscriptions(&scope("ann").team).unwrap();
    assert_eq!(subs.len(), 1, "bob's #ops digest is gone, ann's #eng stays");
    assert_eq!(subs[0].members.len(), 3);
}

#[test]
fn a_user_sees_only_their_own_data() {
    let bot = Bot::new();
    bot.run("ann", "checkin 20 ann's note");
    bot.run("ann", "team add @zed");
    let out = bot.say("bob", "summary");
    assert!(
        out.contains("no check-ins yet this week") && !out.contains("zed"),
        "{out}"
    );
    assert!(bot.export("bob").checkins.is_empty());
}
