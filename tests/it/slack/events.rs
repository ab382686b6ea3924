//! The Events API: the URL check, and app_home_opened publishing the Home tab once however
//! often Slack retries it.

use super::Served;
use serde_json::json;

#[tokio::test]
async fn url_verification_answers_the_challenge() {
    let served = Served::start().await;
    let body = json!({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"});
    let res = served
        .post_signed("/slack/events", "application/json", body.to_string())
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

fn home_opened(event_id: &str) -> String {
    json!({
        "type": "event_callback",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event_id": event_id,
        "event_time": 1_764_259_200,
        "event": {"type": "app_home_opened", "user": "U0ANN", "channel": "D0DM", "tab": "home", "event_ts": "1764259200.000100"}
    })
    .to_string()
}

#[tokio::test]
async fn app_home_opened_delivered_three_times_publishes_once() {
    let served = Served::start().await;
    served.command("U0ANN", "checkin 30 energy=2").await;
    for retry in 0..3 {
        let res = served
            .http
            .post(format!("{}/slack/events", served.base))
            .header("content-type", "application/json")
            .header("x-slack-retry-num", retry.to_string())
            .header("x-slack-retry-reason", "http_timeout")
            .headers({
                let ts = chrono::Utc::now().timestamp().to_string();
                let sig = twohats::slack::verify::sign(
                    super::SECRET,
                    &ts,
                    home_opened("Ev0HOME1").as_bytes(),
                );
                let mut h = reqwest::header::HeaderMap::new();
                h.insert("x-slack-request-timestamp", ts.parse().unwrap());
                h.insert("x-slack-signature", sig.parse().unwrap());
                h
            })
            .body(home_opened("Ev0HOME1"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "retries are acknowledged too");
    }
    // A different event id is a new opening and publishes again.
    served
        .post_signed("/slack/events", "application/json", home_opened("Ev0HOME2"))
        .await;
    let published = served.calls("/api/views.publish", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let published_after = served.received("/api/views.publish").await;
    assert_eq!(published.len(), 2, "one publish per distinct event");
    assert_eq!(published_after.len(), 2, "no late duplicate");
    let sent: serde_json::Value = serde_json::from_slice(&published[0].body).unwrap();
    assert_eq!(sent["user_id"], "U0ANN");
    assert_eq!(sent["view"]["type"], "home");
    let text = sent["view"]["blocks"].to_string();
    assert!(
        text.contains("30% engineering"),
        "the dashboard shows this week: {text}"
    );
    assert!(sent["view"]["blocks"].as_array().unwrap().len() <= 100);
}
