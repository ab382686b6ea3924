//! Delivering scheduled messages: exactly once through 429s, 5xx and crashes.

use super::{fake_slack, posts};
use chrono::{Datelike, Duration, TimeZone, Utc};
use serde_json::json;
use std::process::{Child, Stdio};
use std::sync::Arc;
use twohats::app::clock::{Clock, ManualClock};
use twohats::app::delivery::{Pacer, Pacing};
use twohats::app::{Actor, App};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::slack::bot::SlackBot;
use twohats::slack::scheduler_tasks::deliver_round;
use twohats::store::prelude::*;
use twohats::store::SledStore;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct InProcess {
    bot: Arc<SlackBot>,
    /// The store the bot's app holds, to look at the outbox.
    store: Arc<SledStore>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn in_process(slack: &MockServer) -> InProcess {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let app = App::new(store.clone(), chrono_tz::UTC);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap(),
    ));
    let api = super::api_for(&format!("{}/api", slack.uri()));
    InProcess {
        bot: SlackBot::new(app, clock.clone() as Arc<dyn Clock>, api),
        store,
        clock,
        _dir: dir,
    }
}

fn user(name: &str) -> Actor {
    let scope = Scope::new(
        TeamId::parse("T0TEAM").unwrap(),
        UserId::parse(&format!("U0{}", name.to_uppercase())).unwrap(),
    );
    Actor {
        scope,
        name: Some(name.into()),
        profile_tz: None,
        channels: twohats::app::ChannelAccess::Unchecked,
    }
}

#[tokio::test]
async fn a_429_then_a_500_then_200_delivers_the_message_exactly_once() {
    let slack = MockServer::start().await;
    let post = || Mock::given(method("POST")).and(path("/api/chat.postMessage"));
    post()
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3")
                .set_body_json(json!({"ok": false, "error": "ratelimited"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&slack)
        .await;
    post()
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&slack)
        .await;
    post()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "ts": "1.1"})))
        .with_priority(3)
        .mount(&slack)
        .await;

    let p = in_process(&slack);
    let ann = user("ann");
    p.bot
        .app()
        .handle_command(&ann, "schedule checkin off", p.clock.now());
    p.bot.app().tick(p.clock.now()).unwrap();
    assert_eq!(
        p.store.outbox_len(),
        1,
        "Friday 16:00: the summary is queued"
    );

    let mut pacer = Pacer::new(Pacing::default());
    let first = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!((first.sent, first.retried), (0, 1), "429");
    let early = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!(
        (early.sent, early.retried),
        (0, 0),
        "Retry-After is honoured: nothing before 3 s"
    );
    p.clock.advance(Duration::seconds(3));
    let second = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!((second.sent, second.retried), (0, 1), "500");
    p.clock.advance(Duration::seconds(2));
    let third = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!(third.sent, 1, "200");
    p.clock.advance(Duration::minutes(10));
    assert_eq!(deliver_round(&p.bot, &mut pacer).await.sent, 0);
    p.bot.app().tick(p.clock.now()).unwrap();
    assert_eq!(
        deliver_round(&p.bot, &mut pacer).await.sent,
        0,
        "claimed once, sent once"
    );

    let sent = posts(&slack).await;
    assert_eq!(sent.len(), 3, "three attempts reached Slack, one succeeded");
    assert_eq!(sent[2]["channel"], "U0ANN", "a DM, addressed by user id");
    assert!(sent[2]["text"].as_str().unwrap().starts_with("Your week"));
    assert_eq!(p.store.outbox_len(), 0);
}

#[tokio::test]
async fn a_refused_message_is_recorded_and_does_not_block_the_rest() {
    let slack = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .and(wiremock::matchers::body_partial_json(
            json!({"channel": "U0GONE"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "user_not_found"})),
        )
        .with_priority(1)
        .mount(&slack)
        .await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "ts": "1.1"})))
        .mount(&slack)
        .await;
    let p = in_process(&slack);
    for name in ["gone", "here"] {
        p.bot
            .app()
            .handle_command(&user(name), "schedule checkin off", p.clock.now());
    }
    p.bot.app().tick(p.clock.now()).unwrap();
    let mut pacer = Pacer::new(Pacing::default());
    let round = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!(
        (round.failed, round.waiting),
        (1, 1),
        "refused; the next waits its workspace slot"
    );
    assert_eq!(
        round.next_at,
        Some(p.clock.now() + Duration::milliseconds(50)),
        "the sender knows when that slot comes (20 a second)"
    );
    p.clock.advance(Duration::milliseconds(50));
    let round = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!((round.sent, round.failed, round.retried), (1, 0, 0));
    assert_eq!(
        p.store.outbox_len(),
        0,
        "the refused one is out of the outbox, not retried forever"
    );
    assert_eq!(posts(&slack).await.len(), 2);
}

#[tokio::test]
async fn one_channel_gets_at_most_one_message_a_second() {
    let slack = fake_slack().await;
    let p = in_process(&slack);
    let ann = user("ann");
    p.bot
        .app()
        .handle_command(&ann, "schedule checkin fri 16:00", p.clock.now());
    p.bot.app().tick(p.clock.now()).unwrap();
    assert_eq!(p.store.outbox_len(), 2, "prompt and summary, both for ann");
    let mut pacer = Pacer::new(Pacing::default());
    let round = deliver_round(&p.bot, &mut pacer).await;
    assert_eq!((round.sent, round.waiting), (1, 1));
    p.clock.advance(Duration::milliseconds(999));
    assert_eq!(deliver_round(&p.bot, &mut pacer).await.sent, 0);
    p.clock.advance(Duration::milliseconds(1));
    assert_eq!(deliver_round(&p.bot, &mut pacer).await.sent, 1);
}

// ---- crashes: the real binary, killed with SIGKILL ----

/// Runs a console script with its clock at `at`, as if the user typed it then.
fn console(data_dir: &std::path::Path, at: chrono::DateTime<Utc>, script: &str) {
    let (_, err, ok) = crate::support::console(data_dir, &["--now", &at.to_rfc3339()], script);
    assert!(ok, "{err}");
}

fn serve(data_dir: &std::path::Path, slack: &MockServer) -> Child {
    super::spawn_serve(
        data_dir,
        slack,
        &[("SLACK_SIGNING_SECRET", "s")],
        Stdio::null(),
    )
    .0
}

async fn wait_for_posts(slack: &MockServer, n: usize) -> usize {
    for _ in 0..400 {
        let got = posts(slack).await.len();
        if got >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    posts(slack).await.len()
}

#[tokio::test]
async fn killed_after_claiming_or_after_sending_the_summary_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    // A daily summary that fired a minute ago (or at midnight, just after midnight), set up
    // a minute before it fired: a fire from before the schedule existed is never sent.
    let mut now = Utc::now();
    let next_week = (now.date_naive()
        + Duration::days(7 - i64::from(now.weekday().num_days_from_monday())))
    .and_hms_opt(0, 0, 0)
    .unwrap()
    .and_utc();
    if next_week - now < Duration::seconds(30) {
        // A summary is only sent within its own ISO week: don't let serve start in the next.
        tokio::time::sleep((next_week - now + Duration::seconds(1)).to_std().unwrap()).await;
        now = Utc::now();
    }
    let fire =
        (now - Duration::minutes(1)).max(now.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc());
    console(
        dir.path(),
        fire - Duration::minutes(1),
        &format!(
            "/tlm schedule checkin off\n/tlm schedule summary {} {} * * *\n",
            fire.format("%M"),
            fire.format("%H")
        ),
    );

    // 1. Slack fails every post: the summary is claimed and tried, then the process dies.
    let failing = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let mut first = serve(dir.path(), &failing);
    assert!(
        wait_for_posts(&failing, 1).await >= 1,
        "the claimed summary was attempted"
    );
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    // 2. Back up with Slack healthy: the claimed message goes out once, nothing is re-claimed.
    let healthy = fake_slack().await;
    let mut second = serve(dir.path(), &healthy);
    assert_eq!(wait_for_posts(&healthy, 1).await, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let delivered = posts(&healthy).await;
    assert_eq!(delivered.len(), 1, "delivered exactly once after the crash");
    assert_eq!(delivered[0]["channel"], "UME");
    second.kill().unwrap(); // SIGKILL after sending
    second.wait().unwrap();

    // 3. Restarted after the send: nothing again.
    let after = fake_slack().await;
    let mut third = serve(dir.path(), &after);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    third.kill().unwrap();
    third.wait().unwrap();
    assert_eq!(
        posts(&after).await.len(),
        0,
        "a sent summary is never sent again"
    );
}
