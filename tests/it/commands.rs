//! Every command of the brief's table: what the user reads, and what is stored.

use crate::support::{invalid, scope, TestApp};
use chrono::{Duration, NaiveDate};
use twohats::app::Reply;
use twohats::domain::checkin::{EngKind, FireKind};
use twohats::domain::nudge::NudgeKind;
use twohats::domain::user::JobSchedule;
use twohats::store::prelude::*;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

#[test]
fn help_answers_empty_text_help_and_unknown_words() {
    let bot = TestApp::new();
    for text in ["", "help", "HELP"] {
        let out = bot.say("ann", text);
        assert!(out.contains("/tlm checkin"), "{text:?}: {out}");
        assert!(out.contains("/tlm forget confirm"), "{text:?}: {out}");
    }
    let out = bot.say("ann", "frobnicate now");
    assert!(out.starts_with("I don't know `frobnicate`"), "{out}");
    assert!(bot.raw().is_empty(), "help stores nothing");
}

#[test]
fn the_week_so_far_counts_each_days_last_checkin_once() {
    let mut bot = TestApp::new();
    bot.now -= Duration::days(4); // Monday
    bot.run("ann", "checkin 10");
    bot.now += Duration::hours(1);
    bot.run("ann", "checkin 30"); // Monday's last word
    bot.now += Duration::days(1);
    for pct in [90, 0, 50] {
        bot.now += Duration::minutes(5);
        bot.run("ann", &format!("checkin {pct}")); // Tuesday ends at 50
    }
    bot.now += Duration::days(2); // Thursday
    let out = bot.say("ann", "checkin 100");
    assert!(
        out.contains("This week so far: 60% over 3 days"),
        "(30 + 50 + 100) / 3 = 60: {out}"
    );
}

#[test]
fn checkin_alone_opens_the_modal() {
    let bot = TestApp::new();
    assert!(matches!(bot.run("ann", "checkin"), Reply::CheckinModal));
}

#[test]
fn a_quick_checkin_is_stored_with_every_field_and_counts_toward_the_week() {
    let mut bot = TestApp::new();
    bot.now -= Duration::days(1); // Thursday
    bot.run("ann", "checkin 40");
    bot.now += Duration::days(1);
    let out = bot.say(
        "ann",
        "checkin 60 energy=2 cp fire=incident kind=review,core migrating  auth",
    );
    assert_eq!(
        out.lines().next().unwrap(),
        "Checked in: 60% engineering today, energy 2 of 5, on the critical path. This week so far: 50% over 2 days (target 50%)."
    );
    let stored = bot.export("ann");
    let c = stored.checkins.last().unwrap();
    assert_eq!(
        (c.date, c.eng_pct, c.energy, c.critical_path),
        (date(11, 27), 60, Some(2), true)
    );
    assert_eq!(c.fires, vec![FireKind::Incident]);
    assert_eq!(c.kinds, vec![EngKind::Review, EngKind::Core]);
    assert_eq!(c.note.as_deref(), Some("migrating  auth"));
    // `cp` in a check-in puts the user on the critical path.
    assert_eq!(
        stored.settings.unwrap().critical_path.map(|cp| cp.since),
        Some(date(11, 27))
    );
}

#[test]
fn a_second_checkin_on_a_day_replaces_the_first_in_the_balance() {
    let bot = TestApp::new();
    bot.run("ann", "checkin 10");
    let out = bot.say("ann", "checkin 90");
    assert!(
        out.contains("Your target is 50%"),
        "one day counted once: {out}"
    );
    {
        let s = bot.summary("ann");
        assert_eq!(s.balance.map(|b| (b.eng_pct, b.days)), Some((90, 1)))
    }
}

#[test]
fn low_energy_twice_in_a_row_brings_the_burnout_nudge_at_once() {
    let mut bot = TestApp::new();
    bot.say("ann", "checkin 50 energy=2");
    bot.advance(Duration::days(1));
    let out = bot.say("ann", "checkin 50 energy=1");
    assert!(
        out.contains("Energy 2, 1 in your last 2 check-ins — the slider only goes to 100%"),
        "{out}"
    );
}

#[test]
fn two_low_check_ins_on_one_day_are_one_day_not_a_streak() {
    let mut bot = TestApp::new();
    bot.say("ann", "checkin 50 energy=2");
    bot.advance(Duration::hours(1));
    let out = bot.say("ann", "checkin 50 energy=1");
    assert!(!out.contains("the slider only goes to 100%"), "{out}");
    assert!(
        !bot.say("ann", "summary")
            .contains("the slider only goes to 100%"),
        "the summary counts the day once too"
    );
}

#[test]
fn one_on_ones_log_today_or_a_date_with_every_alias() {
    let bot = TestApp::new();
    bot.run("ann", "team add @bob");
    assert_eq!(
        bot.say("ann", "1on1 @bob"),
        "Logged your 1:1 with @bob on Fri 27 Nov. Next one due by Fri 4 Dec."
    );
    assert!(bot
        .say("ann", "1:1 @cat 2026-11-20")
        .starts_with("Logged your 1:1 with @cat on Fri 20 Nov. @cat isn't on your roster"));
    bot.run("ann", "oneonone @bob 2026-11-01");
    let log = bot.export("ann").one_on_ones;
    let dates: Vec<_> = log
        .iter()
        .map(|o| (o.with.label.clone().unwrap(), o.date))
        .collect();
    assert_eq!(
        dates,
        vec![
            ("bob".into(), date(11, 1)),
            ("cat".into(), date(11, 20)),
            ("bob".into(), date(11, 27))
        ],
        "stored in date order, back-dated ones in place"
    );
}

#[test]
fn one_on_ones_in_the_future_or_with_yourself_are_refused() {
    let bot = TestApp::new();
    assert!(invalid(&bot.run("ann", "1on1 @bob 2026-11-28")).contains("in the future"));
    assert!(invalid(&bot.run("ann", "1on1 @ann")).contains("takes two"));
    assert!(invalid(&bot.run("ann", "1on1 @bob 2025-01-01")).contains("more than a year ago"));
    assert!(bot.raw().is_empty());
}

#[test]
fn team_add_show_remove_with_cadence() {
    let mut bot = TestApp::new();
    let out = bot.say("ann", "team add @bob @cat @dan every 14d");
    assert!(out.starts_with("Added @bob, @cat, @dan."), "{out}");
    assert!(
        out.contains("@cat — no 1:1 logged yet (0 days on the team), every 14 days"),
        "{out}"
    );
    bot.advance(Duration::days(15));
    let out = bot.say("ann", "team");
    assert!(out.contains("*Your team (3)*"), "{out}");
    assert!(
        out.contains("@bob — no 1:1 logged yet (15 days on the team), every 14 days — *overdue*"),
        "{out}"
    );
    let out = bot.say("ann", "team add @bob every 7d");
    assert!(out.starts_with("Updated @bob."), "{out}");
    assert!(bot
        .say("ann", "team remove @cat")
        .starts_with("Removed @cat from your roster."));
    let roster = bot.export("ann").settings.unwrap().roster;
    let people: Vec<_> = roster
        .iter()
        .map(|r| (r.person.label.clone().unwrap(), r.cadence_days))
        .collect();
    assert_eq!(people, vec![("bob".into(), 7), ("dan".into(), 14)]);
}

#[test]
fn a_roster_change_out_of_the_sweet_spot_nudges_once() {
    let bot = TestApp::new();
    let out = bot.say("ann", "team add @a1 @a2 @a3 @a4 @a5 @a6");
    assert!(
        out.contains("6 reports is more than one TLM can hold"),
        "{out}"
    );
    let out = bot.say("ann", "team");
    assert!(!out.contains("more than one TLM"), "said once: {out}");
    let out = bot.say("ann", "team remove @a6 @a5 @a4 @a3 @a2");
    assert!(
        out.contains("1 report on your roster isn't really managing yet"),
        "{out}"
    );
    let out = bot.say("ann", "team add @a2 @a3");
    assert!(!out.contains("sweet spot"), "three is fine: {out}");
}

#[test]
fn removing_someone_not_on_the_team_changes_nothing() {
    let bot = TestApp::new();
    bot.run("ann", "team add @bob");
    let before = bot.raw();
    invalid(&bot.run("ann", "team remove @bob @zed"));
    assert!(bot
        .say("ann", "team remove @bob @zed")
        .starts_with("@zed isn't on your team"));
    assert_eq!(bot.raw(), before, "bob stays: the whole command is refused");
    assert!(invalid(&bot.run("ann", "team add @ann")).contains("your own report"));
    assert_eq!(bot.raw(), before);
}

#[test]
fn wins_private_and_public() {
    let bot = TestApp::new();
    assert!(bot
        .say("ann", "win Bob gave his first design review")
        .contains("Only you can see it. Your first this week."));
    assert!(bot
        .say("ann", "win --public shipped the migration")
        .contains("It may appear in your team's digest. 2 this week."));
    let wins = bot.export("ann").wins;
    assert_eq!(
        (wins[0].text.as_str(), wins[0].public),
        ("Bob gave his first design review", false)
    );
    assert_eq!(
        (wins[1].text.as_str(), wins[1].public),
        ("shipped the migration", true)
    );
}

#[test]
fn critical_path_on_and_off() {
    let mut bot = TestApp::new();
    assert!(bot
        .say("ann", "cp on auth rewrite")
        .starts_with("Noted: you're on the critical path since Fri 27 Nov (auth rewrite)."));
    bot.advance(Duration::days(2));
    assert!(bot
        .say("ann", "cp on")
        .starts_with("Still noted: you're on the critical path since Fri 27 Nov (auth rewrite)."));
    {
        let s = bot.summary("ann");
        assert!(s.nudges.iter().any(|n| n.kind() == NudgeKind::CriticalPath))
    }
    assert!(bot
        .say("ann", "cp off")
        .starts_with("Off the critical path (on since Fri 27 Nov)."));
    assert!(bot.export("ann").settings.unwrap().critical_path.is_none());
    assert!(bot
        .say("ann", "cp off")
        .starts_with("You weren't marked on the critical path"));
}

#[test]
fn both_fires_in_one_week_bring_the_triage_prompt_and_clear_puts_them_out() {
    let bot = TestApp::new();
    let out = bot.say("ann", "fire incident");
    assert_eq!(out, "Logged an incident this week.");
    let out = bot.say("ann", "fire people");
    assert!(out.contains("Both hats are on fire this week"), "{out}");
    assert_eq!(bot.export("ann").fires.len(), 2);
    assert_eq!(
        bot.say("ann", "fire clear"),
        "Cleared this week's fires (incident, people). Good to have them out."
    );
    {
        let s = bot.summary("ann");
        assert!(s.fires.is_empty() && s.nudges.is_empty(), "{s:?}")
    }
    assert_eq!(
        bot.say("ann", "fire clear"),
        "No fires burning this week — nothing to clear."
    );
}

#[test]
fn fires_from_last_week_dont_trigger_triage() {
    let mut bot = TestApp::new();
    bot.run("ann", "fire incident");
    bot.advance(Duration::days(3)); // Monday: a new ISO week
    assert!(!bot.say("ann", "fire people").contains("Both hats"));
}

#[test]
fn the_summary_shows_the_week_trend_team_and_top_three_nudges() {
    let mut bot = TestApp::new();
    bot.now -= Duration::weeks(4);
    bot.run("ann", "target 80");
    bot.run("ann", "team add @bob");
    for _ in 0..28 {
        bot.run("ann", "checkin 35 energy=1 kind=core");
        bot.advance(Duration::days(1));
    }
    bot.run("ann", "fire incident");
    bot.run("ann", "fire people");
    bot.run("ann", "cp on");
    let out = bot.say("ann", "summary");
    assert!(
        out.starts_with("== Your week — Mon 23 Nov to Sun 29 Nov =="),
        "{out}"
    );
    assert!(
        out.contains(
            "*Balance:* 35% engineering / 65% management over 4 days (target 80% engineering)"
        ),
        "{out}"
    );
    assert!(out.contains("*Last 8 weeks:* `···▃▃▃▃▃`"), "{out}");
    assert!(
        out.contains("@bob — no 1:1 logged yet (28 days on the team), every 7 days — *overdue*"),
        "{out}"
    );
    let nudges: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[Snooze a week]"))
        .collect();
    assert_eq!(nudges.len(), 3, "at most three: {out}");
    let burnout = out.find("Energy 1, 1").expect("burnout first");
    let fires = out.find("Both hats are on fire").expect("fires second");
    let one_on_one = out
        .find("No 1:1 with @bob for 28 days")
        .expect("1:1s third");
    assert!(burnout < fires && fires < one_on_one);
    assert!(
        !out.contains("critical path for"),
        "the fourth nudge waits: {out}"
    );
}

#[test]
fn target_and_time_zone_change_how_weeks_are_counted() {
    let mut bot = TestApp::new();
    assert!(bot
        .say("ann", "target 70%")
        .starts_with("Your target is now 70% engineering, 30% management."));
    assert_eq!(
        bot.say("ann", "tz Pacific/Auckland"),
        "Time zone set to Pacific/Auckland. Your weeks and schedules follow it from now on."
    );
    bot.now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 29, 12, 0, 0).unwrap(); // Sun noon UTC = Mon in Auckland
    bot.run("ann", "checkin 20");
    let record = bot.export("ann");
    assert_eq!(
        record.checkins[0].date,
        date(11, 30),
        "a check-in belongs to the user's local day"
    );
    assert_eq!(record.settings.unwrap().target_pct, 70);
}

#[test]
fn schedules_take_day_specs_and_unix_cron_and_switch_off() {
    let bot = TestApp::new();
    assert_eq!(
        bot.say("ann", "schedule checkin mon,thu 09:30"),
        "Check-in prompts: Mondays and Thursdays at 09:30 (next Mon 30 Nov 09:30, UTC)."
    );
    assert_eq!(
        bot.say("ann", "schedule summary 0 16 * * 0"),
        "Your weekly summary: cron `0 16 * * 0` (next Sun 29 Nov 16:00, UTC)."
    );
    let record = bot.export("ann").settings.unwrap();
    match &record.summary_schedule {
        JobSchedule::At(spec) => assert_eq!(spec.cron_expr(), "0 0 16 * * 1"),
        other => panic!("{other:?}"),
    }
    assert!(bot
        .say("ann", "schedule checkin off")
        .starts_with("Check-in prompts: off."));
    assert_eq!(
        bot.export("ann").settings.unwrap().checkin_schedule,
        JobSchedule::Off
    );
}

#[test]
fn pause_and_resume() {
    let mut bot = TestApp::new();
    bot.run("ann", "team add @bob");
    assert!(bot
        .say("ann", "pause 2w")
        .starts_with("Paused through Thu 10 Dec: no prompts, nudges or summaries"));
    bot.advance(Duration::days(20)); // still paused on day 13
    bot.now -= Duration::days(7);
    {
        let s = bot.summary("ann");
        assert!(s.paused.is_some() && s.nudges.is_empty(), "{s:?}")
    }
    assert_eq!(
        bot.say("ann", "resume"),
        "Welcome back. Prompts and summaries pick up at their next scheduled time."
    );
    {
        let s = bot.summary("ann");
        assert!(
            s.paused.is_none() && !s.nudges.is_empty(),
            "bob is overdue again: {s:?}"
        )
    }
    let pauses = bot.export("ann").settings.unwrap().pauses;
    assert_eq!(pauses.len(), 1);
    assert_eq!(
        (pauses[0].from, pauses[0].through),
        (date(11, 27), date(12, 9))
    );
    assert!(bot
        .say("ann", "pause until 2026-12-24")
        .starts_with("Paused through Thu 24 Dec"));
    assert!(
        bot.say("ann", "pause 3d")
            .starts_with("Paused through Sat 12 Dec"),
        "a new pause replaces the current one"
    );
    assert_eq!(
        bot.say("bob", "resume"),
        "You weren't paused — everything is running as usual."
    );
}

#[test]
fn digest_subscribe_join_leave_off() {
    let bot = TestApp::new();
    assert!(bot
        .say("ann", "digest #eng")
        .starts_with("#eng gets the team digest Mondays at 09:00 (next Mon 30 Nov 09:00, UTC)."));
    assert!(bot
        .say("bob", "digest #eng join")
        .starts_with("You've joined #eng's digest"));
    assert!(bot
        .say("bob", "digest #eng join")
        .starts_with("You're already in #eng's digest"));
    let subs = bot.store.subscriptions(&scope("ann").team).unwrap();
    assert_eq!(
        subs[0]
            .members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        vec!["UANN", "UBOB"]
    );
    assert!(bot
        .say("bob", "digest #eng leave")
        .starts_with("You've left #eng's digest"));
    assert!(bot
        .say("ann", "digest #eng fri 15:00")
        .contains("Fridays at 15:00"));
    assert_eq!(
        bot.say("ann", "digest #eng off"),
        "#eng won't get the team digest any more."
    );
    assert!(bot
        .say("bob", "digest #eng join")
        .starts_with("#eng has no digest yet"));
    assert!(bot
        .store
        .subscriptions(&scope("ann").team)
        .unwrap()
        .is_empty());
}

#[test]
fn export_hands_over_everything_as_json() {
    let bot = TestApp::new();
    bot.run("ann", "checkin 50 secret note");
    bot.run("ann", "win a win");
    let reply = bot.run("ann", "export");
    let Reply::Export { json } = reply else {
        panic!("{reply:?}")
    };
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(data["user_id"], "UANN");
    assert_eq!(data["checkins"][0]["note"], "secret note");
    assert_eq!(data["wins"][0]["text"], "a win");
    assert!(
        bot.say("bob", "export").contains("\"checkins\": []"),
        "bob sees only his own (empty) data"
    );
}

#[test]
fn forget_asks_first_then_deletes() {
    let bot = TestApp::new();
    bot.run("ann", "checkin 50");
    assert!(bot.say("ann", "forget").contains("`/tlm forget confirm`"));
    assert_eq!(
        bot.export("ann").checkins.len(),
        1,
        "asking deletes nothing"
    );
    assert!(bot
        .say("ann", "forget confirm")
        .starts_with("Done: deleted 2 stored records."));
    assert!(bot.export("ann").settings.is_none());
}

#[test]
fn snooze_quiets_one_nudge_kind_for_a_week() {
    let mut bot = TestApp::new();
    bot.run("ann", "cp on");
    assert!(bot
        .say("ann", "snooze cp")
        .starts_with("Snoozed the `cp` nudge through Thu 3 Dec."));
    let kinds = |bot: &TestApp| {
        let s = bot.summary("ann");
        s.nudges.iter().map(|n| n.kind()).collect::<Vec<_>>()
    };
    assert!(!kinds(&bot).contains(&NudgeKind::CriticalPath));
    bot.advance(Duration::days(7));
    assert!(kinds(&bot).contains(&NudgeKind::CriticalPath));
}
