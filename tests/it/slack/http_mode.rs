//! HTTP mode: signatures, every command, limits on what we accept.

use super::{reply_text, Served, SECRET};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// The signature with its last hex digit changed: always different, still well-formed.
fn tamper(signature: &str) -> String {
    let (head, last) = signature.split_at(signature.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

#[tokio::test]
async fn unsigned_wrongly_signed_and_stale_requests_get_401_and_change_nothing() {
    let served = Served::start().await;
    let body = "team_id=T0TEAM&user_id=U0ANN&command=%2Ftlm&text=checkin+50&trigger_id=t";
    let url = format!("{}/slack/commands", served.base);
    let now = chrono::Utc::now().timestamp();
    let good = |ts: i64| twohats::slack::verify::sign(SECRET, &ts.to_string(), body.as_bytes());
    let cases: Vec<(&str, Option<(String, String)>)> = vec![
        ("unsigned", None),
        (
            "wrong secret",
            Some((
                now.to_string(),
                twohats::slack::verify::sign("not-the-secret", &now.to_string(), body.as_bytes()),
            )),
        ),
        ("tampered", Some((now.to_string(), tamper(&good(now))))),
        ("stale", Some(((now - 301).to_string(), good(now - 301)))),
    ];
    for (what, headers) in cases {
        let mut req = served
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some((ts, sig)) = headers {
            req = req
                .header("x-slack-request-timestamp", ts)
                .header("x-slack-signature", sig);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{what}");
    }
    let (_, summary) = served.command("U0ANN", "summary").await;
    assert!(
        reply_text(&summary).contains("no check-ins yet this week"),
        "nothing was stored: {summary}"
    );
}

#[tokio::test]
async fn slacks_published_vector_is_refused_today_because_it_is_stale() {
    // Accepted at its own timestamp (a unit test with a fixed clock checks that); years later
    // it is a replay.
    let served = Served::start().await;
    let vector = include_str!("../../fixtures/slack/slack-signing-vector.txt");
    let field = |name: &str| {
        vector
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .unwrap()
            .to_string()
    };
    let res = served
        .http
        .post(format!("{}/slack/commands", served.base))
        .header(
            "x-slack-request-timestamp",
            field("X-Slack-Request-Timestamp"),
        )
        .header("x-slack-signature", field("X-Slack-Signature"))
        .body(field("body"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn every_command_answers_ephemeral_block_kit() {
    let served = Served::start().await;
    let script: &[(&str, &str)] = &[
        ("help", "/tlm checkin"),
        (
            "checkin 60 energy=3 kind=review pairing with Ana",
            "Checked in: 60% engineering today",
        ),
        ("1on1 <@U0BOB|bob>", "Logged your 1:1 with <@U0BOB|bob>"),
        ("1:1 <@U0BOB|bob> 2020-01-01", "more than a year ago"),
        (
            "team add <@U0BOB|bob> <@U0CAT|cat> every 14d",
            "Added <@U0BOB|bob>, <@U0CAT|cat>.",
        ),
        ("team", "*Your team (2)*"),
        ("team remove <@U0CAT|cat>", "Removed <@U0CAT|cat>"),
        ("win shipped the RFC --public", "Win logged"),
        ("cp on auth", "you're on the critical path"),
        ("cp off", "Off the critical path"),
        ("fire incident", "Logged an incident this week."),
        ("fire people", "Both hats are on fire"),
        ("fire clear", "Cleared this week's fires"),
        ("summary", "*Balance:* 60% engineering"),
        ("target 70", "Your target is now 70% engineering"),
        ("tz America/New_York", "Time zone set to America/New_York"),
        (
            "schedule checkin weekdays 17:00",
            "Check-in prompts: weekdays at 17:00",
        ),
        ("schedule summary off", "Your weekly summary: off."),
        ("pause 1w", "Paused through"),
        ("resume", "Welcome back"),
        ("digest <#C0ENG|eng>", "<#C0ENG|eng> gets the team digest"),
        ("digest <#C0ENG|eng> leave", "You've left"),
        ("digest <#C0ENG|eng> join", "You've joined"),
        ("digest <#C0ENG|eng> off", "won't get the team digest"),
        ("snooze wins", "Snoozed the `wins` nudge"),
        ("forget", "/tlm forget confirm"),
        ("checkin lots", "isn't a number"),
        ("frobnicate", "I don't know `frobnicate`"),
    ];
    for (text, expected) in script {
        let (status, body) = served.command("U0ANN", text).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(body["response_type"], "ephemeral", "{text}: {body}");
        assert!(
            body["blocks"].as_array().is_some_and(|b| !b.is_empty()),
            "{text}: {body}"
        );
        let shown = reply_text(&body);
        assert!(
            shown.contains(expected),
            "{text}: expected {expected:?} in\n{shown}"
        );
    }
    let (_, gone) = served.command("U0ANN", "forget confirm").await;
    assert!(
        reply_text(&gone).contains("Nothing about you remains"),
        "{gone}"
    );
}

#[tokio::test]
async fn checkin_alone_opens_the_modal_after_the_ack() {
    let served = Served::start().await;
    let (status, body) = served.command("U0ANN", "checkin").await;
    assert_eq!(
        (status, body),
        (200, serde_json::Value::Null),
        "an empty ack: the modal is the answer"
    );
    let opened = served.calls("/api/views.open", 1).await;
    assert_eq!(opened.len(), 1);
    let sent: serde_json::Value = serde_json::from_slice(&opened[0].body).unwrap();
    assert_eq!(sent["trigger_id"], "1234.5678.trigger");
    assert_eq!(sent["view"]["callback_id"], "twohats.checkin");
}

#[tokio::test]
async fn export_is_uploaded_to_the_users_dm_as_a_file() {
    let served = Served::start().await;
    served.command("U0ANN", "checkin 40 exported note").await;
    let (_, body) = served.command("U0ANN", "export").await;
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("JSON file in our DM"),
        "{body}"
    );
    let uploaded = served.calls("/upload/F0FILE", 1).await;
    assert_eq!(uploaded.len(), 1);
    let data: serde_json::Value = serde_json::from_slice(&uploaded[0].body).unwrap();
    assert_eq!(data["checkins"][0]["note"], "exported note");
    let completed = served.calls("/api/files.completeUploadExternal", 1).await;
    let sent: serde_json::Value = serde_json::from_slice(&completed[0].body).unwrap();
    assert_eq!(
        sent["channel_id"], "D0DM",
        "into the DM conversations.open returned: {sent}"
    );
    assert_eq!(sent["files"][0]["id"], "F0FILE");
}

#[tokio::test]
async fn first_contact_takes_the_time_zone_from_the_slack_profile() {
    let slack = super::fake_slack().await;
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "user": {"id": "U0ANN", "tz": "Europe/Berlin"}})),
        )
        .with_priority(1)
        .mount(&slack)
        .await;
    let served = Served::start_with(slack).await;
    served.command("U0ANN", "checkin 50").await;
    served.calls("/api/users.info", 1).await;
    // The zone is saved in the background after the ack; poll the summary until it shows.
    for _ in 0..100 {
        let (_, home) = served.command("U0ANN", "schedule checkin fri 15:30").await;
        if reply_text(&home).contains("Europe/Berlin") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the profile zone was never used");
}

#[tokio::test]
async fn the_profile_is_looked_up_once_when_the_first_write_creates_the_record() {
    let served = Served::start().await;
    for _ in 0..3 {
        served.command("U0ANN", "help").await; // writes nothing: nothing to fill in
    }
    served.command("U0ANN", "checkin 50").await;
    served.command("U0ANN", "checkin 60").await;
    served.calls("/api/users.info", 1).await;
    // Lookups run after the ack; give any stray ones a moment to arrive before counting.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(served.received("/api/users.info").await.len(), 1);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_garbage_gets_400() {
    let served = Served::start().await;
    let huge = format!(
        "team_id=T0TEAM&user_id=U0ANN&text={}",
        "a".repeat(300 * 1024)
    );
    let res = served
        .post_signed("/slack/commands", "application/x-www-form-urlencoded", huge)
        .await;
    assert_eq!(res.status().as_u16(), 413);
    let res = served
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            "text=no+team".into(),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = served
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            "team_id=T%00&user_id=U1&text=help".into(),
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        400,
        "ids that aren't Slack ids are refused"
    );
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let served = Served::start().await;
    served.command("U0ANN", "checkin 50 a private note").await;
    served.command("U0ANN", "export").await;
    served.calls("/api/files.completeUploadExternal", 1).await;
    let logs = served.logs();
    assert!(
        logs.contains("slash command"),
        "the log has request lines: {logs}"
    );
    for secret in [
        super::BOT_TOKEN,
        SECRET,
        "secret-response-path",
        "a private note",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
