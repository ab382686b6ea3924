//! The calendar through `serve`: linking reads the feed at once (outside the tick), a
//! series that looks like a 1:1 is asked about in a DM with Yes / No buttons, and a Yes logs
//! its occurrences. The feed is generated so that it has occurrences whatever today is (a
//! weekly series since 2000): nothing here depends on the date.

use super::{posts, Served};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Berlin:20000104T100000\r\nDTEND;TZID=Europe/Berlin:20000104T103000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=TU\r\nUID:ann-bob-1on1@google.com\r\nSUMMARY:Ann / Bob 1:1\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[tokio::test]
async fn linking_asks_about_a_1on1_series_in_a_dm_and_yes_logs_it() {
    let feed = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/private-abc/basic.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_string(FEED))
        .mount(&feed)
        .await;
    let served = Served::start_with_env(
        super::fake_slack().await,
        &[("TWOHATS_CALENDAR_ALLOW_LOOPBACK_HTTP", "1")],
    )
    .await;
    served.command("U0ANN", "team add <@U0BOB|bob>").await;
    let url = format!("{}/private-abc/basic.ics", feed.uri());
    let (status, body) = served.command("U0ANN", &format!("calendar {url}")).await;
    assert_eq!(status, 200);
    let reply = body.to_string();
    assert!(reply.contains("Calendar linked (127.0.0.1:"), "{reply}");
    assert!(!reply.contains("private-abc"), "{reply}");

    // The DM with the question and its buttons.
    let mut asked = None;
    for _ in 0..200 {
        asked = posts(&served.slack).await.into_iter().find(|p| {
            p["text"]
                .as_str()
                .is_some_and(|t| t.contains("Is this your 1:1 with"))
        });
        if asked.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let asked = asked.unwrap_or_else(|| panic!("no question; log:\n{}", served.logs()));
    assert_eq!(asked["channel"], "U0ANN");
    let text = asked.to_string();
    assert!(
        text.contains("twohats.cal_1on1_yes") && text.contains("twohats.cal_1on1_no"),
        "{text}"
    );
    assert!(
        !served.logs().contains("private-abc"),
        "the URL is never logged"
    );

    Mock::given(path("/respond/1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&served.slack)
        .await;
    let press = json!({
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0ANN", "username": "ann", "name": "ann", "team_id": "T0TEAM"},
        "trigger_id": "9.9.9",
        "response_url": format!("{}/respond/1", served.slack.uri()),
        "actions": [{"type": "button", "action_id": "twohats.cal_1on1_yes:0", "value": "U0BOB", "block_id": "b", "action_ts": "1"}],
    });
    let (status, _) = served.interact(press).await;
    assert_eq!(status, 200);
    let answered = served.calls("/respond/1", 1).await;
    let answer = String::from_utf8_lossy(&answered[0].body).to_string();
    assert!(answer.contains("your 1:1 with"), "{answer}");

    // The yes reads the feed again at once and logs the past weeks' occurrences.
    let mut logged = Value::Null;
    for _ in 0..200 {
        served.command("U0ANN", "export").await;
        let uploads = served.received("/upload/F0FILE").await;
        if let Some(last) = uploads.last() {
            let data: Value = serde_json::from_slice(&last.body).unwrap_or(Value::Null);
            if data["one_on_ones"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                logged = data;
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ones = logged["one_on_ones"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!ones.is_empty(), "no 1:1 logged; log:\n{}", served.logs());
    assert!(
        ones.iter().all(|o| o.to_string().contains("U0BOB")),
        "{ones:?}"
    );
}
