//! GitHub signals through the real `serve` binary: `/tlm github` asks the fake GitHub, the
//! refresh task fetches figures ahead of the summary, and `/tlm summary` shows them.
//!
//! The clock: the user's summary is scheduled 30 minutes after the test starts (so the
//! refresh, which looks an hour ahead, picks it up) and the test never reaches that fire.

use super::{fake_slack, reply_text, Served};
use chrono::{Duration, Utc};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn item(repo: &str, number: u64, created: chrono::DateTime<Utc>) -> serde_json::Value {
    json!({
        "repository_url": format!("https://api.github.com/repos/{repo}"),
        "html_url": format!("https://github.com/{repo}/pull/{number}"),
        "number": number,
        "created_at": created.to_rfc3339(),
        "pull_request": {}
    })
}

async fn fake_github() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/users/ann-gh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "ann-gh"})))
        .mount(&server)
        .await;
    let waited = Utc::now() - Duration::days(3) - Duration::hours(1);
    Mock::given(method("GET"))
        .and(path("/api/v3/search/issues"))
        .and(query_param_contains("q", "user-review-requested:ann-gh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 4,
            "items": (1..=4).map(|n| item("acme/payments", n, waited)).collect::<Vec<_>>()
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/search/issues"))
        .and(query_param_contains("q", "is:merged author:ann-gh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 2,
            "items": [item("acme/payments", 9, waited), item("acme/docs", 10, waited)]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/api/v3/repos/.+/timeline$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_linked_tlm_sees_the_review_nudge_and_the_github_line_in_slack() {
    let github = fake_github().await;
    let api = format!("{}/api/v3", github.uri());
    let served = Served::start_with_env(
        fake_slack().await,
        &[
            ("GITHUB_TOKEN", "github_pat_test"),
            ("GITHUB_API_URL", api.as_str()),
            ("TWOHATS_TICK_MS", "200"),
        ],
    )
    .await;
    let (status, body) = served.command("UANN", "github ann-gh").await;
    assert_eq!(status, 200);
    assert!(
        reply_text(&body).contains("Linked GitHub login `ann-gh`"),
        "{body}"
    );
    // The summary half an hour from now, every day, in UTC (the default zone).
    let at = Utc::now() + Duration::minutes(30);
    let (_, body) = served
        .command(
            "UANN",
            &format!(
                "schedule summary {} {} * * *",
                at.format("%M"),
                at.format("%H")
            ),
        )
        .await;
    assert!(reply_text(&body).contains("summary"), "{body}");

    let mut text = String::new();
    for _ in 0..100 {
        let (_, body) = served.command("UANN", "summary").await;
        text = reply_text(&body);
        if text.contains("GitHub:") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        text.contains("4 PRs are waiting on your review, the oldest for 3 days"),
        "{text}\n{}",
        served.logs()
    );
    assert!(text.contains("*GitHub:* 2 PRs merged"), "{text}");
    assert!(
        !served.logs().contains("github_pat_test"),
        "the token is never logged"
    );
}

/// `twohats doctor` with GitHub on, against a fake Slack that grants every scope.
async fn doctor_with_github(github: &MockServer) -> (bool, String) {
    let slack = MockServer::start().await;
    let scopes: Vec<String> = twohats::doctor::manifest_scopes().into_iter().collect();
    Mock::given(path("/api/auth.test"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", scopes.join(",").as_str())
                .set_body_json(json!({"ok": true, "team": "Acme", "user": "twohats"})),
        )
        .mount(&slack)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("doctor")
        .env_clear()
        .env("SLACK_BOT_TOKEN", super::BOT_TOKEN)
        .env("SLACK_SIGNING_SECRET", super::SECRET)
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .env("TWOHATS_DATA_DIR", dir.path())
        .env("GITHUB_TOKEN", "github_pat_doctor")
        .env("GITHUB_API_URL", format!("{}/api/v3", github.uri()))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("github_pat_doctor"), "never printed: {text}");
    (out.status.success(), text)
}

#[tokio::test]
async fn doctor_checks_the_github_token() {
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "twohats-bot"})))
        .mount(&github)
        .await;
    let (ok, text) = doctor_with_github(&github).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("ok    GITHUB_TOKEN: acts as twohats-bot") && text.contains("fine-grained"),
        "{text}"
    );

    let refused = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&refused)
        .await;
    let (ok, text) = doctor_with_github(&refused).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  GITHUB_TOKEN: GitHub refused it (401)"),
        "{text}"
    );
}
