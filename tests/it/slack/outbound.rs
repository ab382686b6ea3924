//! The Web API client against a fake Slack: 429s wait and retry, 5xx and network failures
//! back off and retry a bounded number of times, refusals are not retried.

use serde_json::json;
use twohats::slack::client::{ApiError, SlackWebApi, MAX_ATTEMPTS};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(api_url: &str) -> SlackWebApi {
    super::api_for(api_url)
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"ok": true, "channel": "C1", "ts": "1.2"}))
}

async fn post_count(slack: &MockServer) -> usize {
    super::posts(slack).await.len()
}

#[tokio::test]
async fn a_429_then_success_delivers_one_message() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"ok": false, "error": "ratelimited"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ok())
        .mount(&slack)
        .await;
    let api = client(&format!("{}/api", slack.uri()));
    let started = std::time::Instant::now();
    assert_eq!(api.post_message("C1", "hi", &[]).await.unwrap(), "1.2");
    assert_eq!(
        post_count(&slack).await,
        2,
        "one refused by the rate limit, one delivered"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let sent = &slack.received_requests().await.unwrap()[1];
    assert_eq!(
        sent.headers.get("authorization").unwrap(),
        &format!("Bearer {}", super::BOT_TOKEN)
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_succeed() {
    let slack = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&slack)
        .await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ok())
        .mount(&slack)
        .await;
    let api = client(&format!("{}/api", slack.uri()));
    api.post_message("C1", "hi", &[]).await.unwrap();
    assert_eq!(post_count(&slack).await, 3);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_is_reported() {
    let slack = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "channel_not_found"})),
        )
        .mount(&slack)
        .await;
    let api = client(&format!("{}/api", slack.uri()));
    match api.post_message("C404", "hi", &[]).await {
        Err(ApiError::Refused { code, .. }) => assert_eq!(code, "channel_not_found"),
        other => panic!("{other:?}"),
    }
    assert_eq!(post_count(&slack).await, 1);
}

#[tokio::test]
async fn persistent_failure_gives_up_after_a_bounded_number_of_attempts() {
    let slack = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&slack)
        .await;
    let api = client(&format!("{}/api", slack.uri()));
    let err = api.post_message("C1", "hi", &[]).await.unwrap_err();
    assert!(
        matches!(err, ApiError::GaveUp { attempts, .. } if attempts == MAX_ATTEMPTS),
        "{err}"
    );
    assert_eq!(post_count(&slack).await, MAX_ATTEMPTS as usize);

    // Nothing listening at all: a network failure, retried the same way, then reported.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(&format!("http://127.0.0.1:{closed}/api"))
        .post_message("C1", "hi", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::GaveUp { attempts, .. } if attempts == MAX_ATTEMPTS),
        "{err}"
    );
}
