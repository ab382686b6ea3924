//! Subscribing a channel through Slack: only someone in the channel may, as
//! `conversations.members` says, and a Slack that doesn't answer changes nothing.

use super::Served;
use serde_json::json;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn only_a_member_of_a_channel_can_subscribe_it() {
    let served = Served::start().await;
    let (_, reply) = served.command("U0OUT", "digest <#C0ENG|eng>").await;
    assert!(plain(&reply).contains("You're not in #eng"), "{reply}");
    let (_, reply) = served.command("U0OUT", "digest <#C0ENG|eng> join").await;
    assert!(
        plain(&reply).contains("has no digest yet"),
        "nothing stored: {reply}"
    );
    let (_, reply) = served.command("U0ANN", "digest <#C0ENG|eng>").await;
    assert!(plain(&reply).contains("gets the team digest"), "{reply}");
    let asked = served.received("/api/conversations.members").await;
    assert!(
        asked
            .iter()
            .all(|r| r.url.query().is_some_and(|q| q.contains("C0ENG"))),
        "asked about the channel named"
    );
}

#[tokio::test]
async fn a_slack_that_cannot_say_who_is_in_a_channel_changes_nothing() {
    let slack = super::fake_slack().await;
    Mock::given(path("/api/conversations.members"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "members": ["U0ANN"]}))
                .set_delay(std::time::Duration::from_secs(20)),
        )
        .with_priority(1)
        .mount(&slack)
        .await;
    let served = Served::start_with(slack).await;
    let (status, reply) = served.command("U0ANN", "digest <#C0ENG|eng>").await;
    assert_eq!(status, 200);
    assert!(
        plain(&reply).contains("couldn't check with Slack that you're in #eng"),
        "{reply}"
    );
    let (_, reply) = served.command("U0ANN", "digest <#C0ENG|eng> join").await;
    assert!(plain(&reply).contains("has no digest yet"), "{reply}");
}

/// A reply's plain-text fallback, where channels read `#eng`.
fn plain(reply: &Value) -> String {
    reply["text"].as_str().unwrap_or_default().to_string()
}
