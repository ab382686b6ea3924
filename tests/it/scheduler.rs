//! The scheduler with a controlled clock: who gets what, when, and never twice.

use crate::support::TestApp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use twohats::render::text::to_text;
use twohats::store::OutboxItem;

/// Ticks at `now` and returns what was queued, delivered (removed from the outbox) in order.
fn tick(bot: &TestApp) -> Vec<OutboxItem> {
    bot.app.tick(bot.now).unwrap();
    let mut sent = Vec::new();
    bot.app
        .drain_outbox_to(bot.now, |item| sent.push(item.clone()))
        .unwrap();
    sent
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn is_summary(item: &OutboxItem) -> bool {
    item.doc.fallback.starts_with("Your week")
}

#[test]
fn the_summary_goes_out_at_16_00_in_each_users_own_zone() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 23, 0, 0); // Monday
    for (user, zone) in [
        ("tokyo", "Asia/Tokyo"),
        ("berlin", "Europe/Berlin"),
        ("la", "America/Los_Angeles"),
    ] {
        bot.run(user, &format!("tz {zone}"));
        bot.run(user, "schedule checkin off");
    }
    tick(&bot);
    // Friday 16:00 local is 07:00 UTC in Tokyo, 15:00 in Berlin, 00:00 Saturday in LA.
    let expected = [
        ("UTOKYO", utc(2026, 11, 27, 7, 0)),
        ("UBERLIN", utc(2026, 11, 27, 15, 0)),
        ("ULA", utc(2026, 11, 28, 0, 0)),
    ];
    for (user, at) in expected {
        bot.now = at - Duration::minutes(1);
        let early = tick(&bot);
        assert!(
            early.iter().all(|i| i.channel != user),
            "{user} got a summary before 16:00 local"
        );
        bot.now = at;
        let sent = tick(&bot);
        let mine: Vec<_> = sent.iter().filter(|i| i.channel == user).collect();
        assert_eq!(mine.len(), 1, "{user} at {at}: {sent:?}");
        assert!(is_summary(mine[0]));
        assert!(
            sent.iter().all(|i| i.channel == user),
            "only {user} is due at {at}"
        );
    }
    bot.now = utc(2026, 11, 28, 12, 0);
    assert!(tick(&bot).is_empty(), "nothing twice");
}

#[test]
fn a_daily_schedule_fires_once_per_local_day_across_both_dst_switches() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 3, 1, 12, 0);
    bot.run("ann", "tz Europe/Berlin");
    bot.run("ann", "schedule summary off");
    bot.run("ann", "schedule checkin daily 02:30");
    let switch_days = [
        chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
    ];
    for ((start, days), switch) in [(utc(2026, 3, 27, 12, 0), 4), (utc(2026, 10, 23, 12, 0), 4)]
        .into_iter()
        .zip(switch_days)
    {
        bot.now = start;
        let mut per_day = std::collections::BTreeMap::new();
        // Tick every 10 minutes for four days, as a running bot would.
        for _ in 0..(days * 24 * 6) {
            bot.now += Duration::minutes(10);
            for item in tick(&bot) {
                let local = bot
                    .now
                    .with_timezone(&chrono_tz::Europe::Berlin)
                    .date_naive();
                *per_day.entry(local).or_insert(0) += 1;
                assert!(item.doc.fallback.contains("check-in"));
            }
        }
        // The first day's 02:30 had passed when the bot started: it catches up that day too.
        assert_eq!(
            per_day.len(),
            days as usize + 1,
            "one prompt every day: {per_day:?}"
        );
        assert_eq!(
            per_day.get(&switch),
            Some(&1),
            "the switch day too: {per_day:?}"
        );
        assert!(
            per_day.values().all(|n| *n == 1),
            "never twice: {per_day:?}"
        );
    }
}

#[test]
fn a_fire_missed_while_down_is_sent_once_if_still_this_week() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 23, 9, 0);
    bot.run("ann", "checkin 40");
    bot.run("ann", "schedule checkin off");
    bot.now = utc(2026, 11, 28, 10, 0); // Saturday: Friday 16:00 was missed
    let sent = tick(&bot);
    assert_eq!(sent.len(), 1);
    assert!(is_summary(&sent[0]));
    assert!(tick(&bot).is_empty());
    // Down from before Friday 16:00 until the next Monday: last week's summary is stale.
    bot.now = utc(2026, 12, 7, 9, 0);
    assert!(
        tick(&bot).is_empty(),
        "a summary of last week isn't sent on Monday"
    );
}

#[test]
fn paused_users_get_nothing_and_resume_picks_up_at_the_next_fire() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 23, 9, 0);
    bot.run("ann", "pause 1w");
    bot.now = utc(2026, 11, 27, 16, 0);
    assert!(tick(&bot).is_empty(), "no prompt, no summary while paused");
    bot.run("ann", "resume");
    bot.now = utc(2026, 11, 27, 17, 0);
    assert!(
        tick(&bot).is_empty(),
        "the skipped fire stays skipped after resume"
    );
    bot.now = utc(2026, 12, 4, 16, 0);
    let sent = tick(&bot);
    assert_eq!(sent.len(), 2, "next Friday: the prompt and the summary");
}

#[test]
fn a_schedule_change_takes_effect_at_once() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 23, 9, 0);
    bot.run("ann", "schedule summary tue 08:00");
    bot.run("ann", "schedule checkin off");
    bot.now = utc(2026, 11, 24, 8, 0);
    let sent = tick(&bot);
    assert_eq!(sent.len(), 1);
    assert!(is_summary(&sent[0]));
    bot.now = utc(2026, 11, 27, 16, 0);
    assert!(tick(&bot).is_empty(), "the old Friday time is gone");
}

#[test]
fn no_private_marker_reaches_a_scheduled_digest() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 24, 10, 0);
    bot.run("ann", "digest #eng"); // Mondays 09:00, about the week before
    let mut markers = Vec::new();
    for (i, user) in ["ann", "bob", "cat", "dan", "eve"].iter().enumerate() {
        bot.run(user, "digest #eng join");
        bot.run(user, "schedule checkin off");
        bot.run(user, "schedule summary off");
        let m = |w: &str| format!("ZQ{w}{i}Q");
        bot.run(
            user,
            &format!("checkin {} energy=1 fire=people {}", 30 + 10 * i, m("NOTE")),
        );
        bot.run(user, &format!("win {}", m("PRIVATE")));
        bot.run(user, &format!("cp on {}", m("CP")));
        bot.run(user, &format!("1on1 @{}", m("PEER").to_lowercase()));
        markers.extend(["NOTE", "PRIVATE", "CP", "PEER"].map(m));
    }
    bot.now = utc(2026, 11, 30, 9, 0);
    let sent = tick(&bot);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let text = to_text(&sent[0].doc);
    let json = serde_json::to_string(&twohats::render::blocks::message_blocks(&sent[0].doc))
        .unwrap()
        .to_uppercase();
    for marker in markers {
        assert!(
            !text.to_uppercase().contains(&marker) && !json.contains(&marker),
            "{marker} leaked: {text}"
        );
    }
    assert!(
        text.contains("about 100% of 5 members") && text.contains("Median split"),
        "{text}"
    );
}

#[test]
fn the_team_size_nudge_repeats_monthly_not_weekly() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 2, 9, 0);
    bot.run("ann", "team add @a @b @c @d @e @f"); // six: said in the reply, in passing
    bot.run("ann", "schedule checkin off");
    let mut said = Vec::new();
    for week in 0..6 {
        bot.now = utc(2026, 11, 6, 16, 0) + Duration::weeks(week);
        for item in tick(&bot) {
            said.push(to_text(&item.doc).contains("6 reports is more than one TLM can hold"));
        }
        bot.run("ann", "win something"); // keep the wins nudge out of the way
        for r in ["a", "b", "c", "d", "e", "f"] {
            bot.run("ann", &format!("1on1 @{r}"));
        }
    }
    assert_eq!(
        said,
        vec![true, false, false, false, false, true],
        "in the first weekly summary after the change (the message that stays), then monthly"
    );
}

/// The instants a person might first write to the bot: every day of a week, at hours that
/// sit before, on and after the default fire times (Monday 09:00, Friday 15:30 and 16:00).
fn first_contact_instants() -> Vec<DateTime<Utc>> {
    let monday = utc(2027, 3, 22, 0, 0);
    let mut out = Vec::new();
    for day in 0..7 {
        for (h, m) in [
            (0, 30),
            (8, 59),
            (9, 5),
            (15, 45),
            (15, 59),
            (16, 30),
            (22, 45),
            (23, 50),
        ] {
            out.push(monday + Duration::days(day) + Duration::hours(h) + Duration::minutes(m));
        }
    }
    out
}

#[test]
fn a_new_user_or_channel_is_never_sent_a_fire_from_before_it_existed() {
    let mut bot = TestApp::new();
    for (i, at) in first_contact_instants().into_iter().enumerate() {
        bot.now = at;
        let user = format!("new{i}");
        bot.run(&user, "checkin 60");
        bot.run(&user, &format!("digest #chan{i}"));
        // Two scheduler rounds (serve ticks every 30 s): nothing for the newcomers. Other,
        // older users may legitimately be due; only the new ones are looked at.
        for round in 0..2 {
            bot.now = at + Duration::seconds(30 * round);
            let sent = tick(&bot);
            let new: Vec<_> = sent
                .iter()
                .filter(|m| m.channel == format!("UNEW{i}") || m.channel == format!("CCHAN{i}"))
                .collect();
            assert!(new.is_empty(), "first contact {at}: {new:?}");
        }
    }
}

#[test]
fn a_new_user_still_gets_the_next_fire_on_time() {
    let mut bot = TestApp::new();
    bot.now = utc(2026, 11, 29, 22, 45); // Sunday evening
    bot.run("ann", "checkin 60");
    bot.run("ann", "digest #eng");
    assert!(tick(&bot).is_empty());
    bot.now = utc(2026, 11, 30, 9, 0); // Monday 09:00: the digest
    let sent = tick(&bot);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].channel, "CENG");
    bot.now = utc(2026, 12, 4, 16, 0); // Friday 16:00: the summary (the prompt went at 15:30)
    let sent = tick(&bot);
    assert!(sent.iter().any(is_summary), "{sent:?}");
}

#[test]
fn a_schedule_or_zone_change_never_fires_a_time_already_past() {
    let mut bot = TestApp::new();
    bot.now = utc(2027, 3, 1, 8, 0); // Monday
    bot.run("ann", "checkin 60");
    bot.run("ann", "digest #eng");
    bot.now = utc(2027, 3, 1, 9, 0);
    assert!(tick(&bot).iter().any(|m| m.channel == "CENG"), "on time");
    bot.now = utc(2027, 3, 3, 11, 20); // Wednesday
    bot.run("ann", "schedule checkin weekdays 09:00");
    assert!(tick(&bot).is_empty(), "09:00 today has passed");
    bot.now = utc(2027, 3, 3, 18, 0);
    bot.run("ann", "digest #eng wed 17:00");
    assert!(tick(&bot).is_empty(), "17:00 today has passed");
    bot.now = utc(2027, 3, 5, 10, 0); // Friday
    assert_eq!(
        tick(&bot).len(),
        1,
        "the 09:00 prompt, late but its own day"
    );
    // Friday 10:00 UTC is 19:00 in Tokyo, where the 16:00 summary time has passed.
    bot.run("ann", "tz Asia/Tokyo");
    let sent = tick(&bot);
    assert!(sent.is_empty(), "{sent:?}");
    // Next Wednesday 17:00 in Tokyo: the rescheduled digest.
    bot.now = utc(2027, 3, 10, 8, 0);
    assert!(tick(&bot).iter().any(|m| m.channel == "CENG"));
}

#[test]
fn catch_up_after_downtime_still_sends_the_latest_missed_fire_once() {
    let mut bot = TestApp::new();
    bot.now = utc(2027, 3, 1, 8, 0);
    bot.run("ann", "schedule checkin off");
    // Down from before Friday 16:00 until Saturday noon: the summary goes out once.
    bot.now = utc(2027, 3, 6, 12, 0);
    let sent = tick(&bot);
    assert_eq!(sent.iter().filter(|m| is_summary(m)).count(), 1, "{sent:?}");
    assert!(tick(&bot).is_empty());
}

#[test]
fn a_tick_over_more_due_users_than_one_batch_queues_each_once() {
    use twohats::app::scheduler::{TickReport, TICK_BATCH};
    let mut bot = TestApp::new();
    bot.now = utc(2027, 3, 1, 9, 0);
    // Monday: two full batches of users and a part (the tick makes each batch durable and
    // goes on).
    let users: Vec<String> = (0..2 * TICK_BATCH + 3)
        .map(|i| format!("user{i:03}"))
        .collect();
    for user in &users {
        bot.run(user, "schedule checkin off");
    }
    let paused = &users[TICK_BATCH]; // claimed as skipped, first in the second batch
    bot.run(paused, "pause 1w");
    bot.now = utc(2027, 3, 5, 16, 0); // Friday 16:00: every summary is due
    let report = bot.app.tick(bot.now).unwrap();
    assert_eq!(
        (report.queued, report.skipped, report.panicked),
        (users.len() - 1, 1, 0)
    );
    let mut sent = Vec::new();
    bot.app
        .drain_outbox_to(bot.now, |item| {
            assert!(is_summary(item), "{item:?}");
            sent.push(item.channel.clone());
        })
        .unwrap();
    sent.sort();
    let expected: Vec<String> = users
        .iter()
        .filter(|u| *u != paused)
        .map(|u| format!("U{}", u.to_uppercase()))
        .collect();
    assert_eq!(sent, expected, "every due user's summary, each once");
    assert_eq!(bot.app.tick(bot.now).unwrap(), TickReport::default());
    bot.now = utc(2027, 3, 6, 12, 0); // a later tick the same week: nothing again
    assert!(tick(&bot).is_empty());
}
