//! GitHub signals through the real `serve` binary: `/tlm github` asks the fake GitHub, the
//! refresh task fetches figures ahead of the summary, and `/tlm summary` shows them.
//!
//! The clock: the user's summary is scheduled at most 30 minutes after the test starts (so
//! the refresh, which looks an hour ahead, picks it up) and the test never reaches that fire.
//! Figures count only for the ISO week they were fetched in, so a test that needs them waits
//! out a week boundary that is minutes away and keeps the fire in the same week: it passes
//! at any instant, Sunday 23:59 UTC included (`scripts/any-date.sh`).

use super::{fake_slack, reply_text, Served, TEAM};
use chrono::{DateTime, Datelike, Duration, Utc};
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

/// The start of the next ISO week (Monday 00:00) in UTC, the test user's zone.
fn next_week_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let monday =
        now.date_naive() + Duration::days(7 - i64::from(now.weekday().num_days_from_monday()));
    monday.and_hms_opt(0, 0, 0).map_or(now, |m| m.and_utc())
}

/// Sleeps past the next week boundary if it is less than `margin` away, so what the test
/// fetches and what it reads fall in one ISO week.
async fn wait_out_the_week_end(margin: Duration) {
    let now = Utc::now();
    let boundary = next_week_start(now);
    if boundary - now < margin {
        let wait = boundary - now + Duration::seconds(1);
        tokio::time::sleep(wait.to_std().unwrap()).await;
    }
}

#[tokio::test]
async fn a_linked_tlm_sees_the_review_nudge_and_the_github_line_in_slack() {
    wait_out_the_week_end(Duration::minutes(3)).await;
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
    // The summary half an hour from now, every day, in UTC (the default zone) — or the last
    // minute of this ISO week if that is sooner, so the fire and the figures share a week.
    let now = Utc::now();
    let boundary = next_week_start(now);
    let at = if boundary - now >= Duration::minutes(2) {
        (now + Duration::minutes(30)).min(boundary - Duration::minutes(1))
    } else {
        now + Duration::minutes(30)
    };
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

/// A settings-modal submission from `user`, as Slack posts it.
fn settings_submission(user: &str, values: serde_json::Value) -> serde_json::Value {
    json!({
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": "ann", "name": "ann", "team_id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "view": {"id": "V0VIEW", "type": "modal", "callback_id": "twohats.settings", "state": {"values": values}, "hash": "h"}
    })
}

/// The settings form's values: target 80%, UTC, no schedules, and the two GitHub fields.
fn settings_values(login: &str, core: &str) -> serde_json::Value {
    json!({
        "target": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "80%"}, "value": "80"}}},
        "tz": {"value": {"type": "plain_text_input", "value": "UTC"}},
        "checkin_schedule": {"value": {"type": "plain_text_input", "value": "off"}},
        "summary_schedule": {"value": {"type": "plain_text_input", "value": "off"}},
        "github_login": {"value": {"type": "plain_text_input", "value": login}},
        "core_repos": {"value": {"type": "plain_text_input", "value": core}}
    })
}

async fn served_with_github(github: &MockServer) -> Served {
    let api = format!("{}/api/v3", github.uri());
    Served::start_with_env(
        fake_slack().await,
        &[
            ("GITHUB_TOKEN", "github_pat_test"),
            ("GITHUB_API_URL", api.as_str()),
        ],
    )
    .await
}

#[tokio::test]
async fn the_settings_modal_shows_and_sets_the_github_login_and_core_repos() {
    let github = fake_github().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/users/ann-work"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "ann-work"})))
        .mount(&github)
        .await;
    let served = served_with_github(&github).await;
    served.command("UANN", "github ann-gh").await;
    served
        .command("UANN", "github core acme/payments acme/docs")
        .await;

    served
        .interact(json!({
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "UANN", "username": "ann", "name": "ann", "team_id": TEAM},
            "trigger_id": "9.9.9",
            "actions": [{"type": "button", "action_id": "twohats.open_settings:home", "value": "", "block_id": "b", "action_ts": "1"}],
            "view": {"type": "home"},
        }))
        .await;
    let opened = served.calls("/api/views.open", 1).await;
    let view: serde_json::Value = serde_json::from_slice(&opened[0].body).unwrap();
    let blocks = view["view"]["blocks"].as_array().unwrap();
    let initial = |id: &str| {
        blocks
            .iter()
            .find(|b| b["block_id"] == id)
            .map(|b| b["element"]["initial_value"].clone())
    };
    assert_eq!(initial("github_login"), Some(json!("ann-gh")), "{view}");
    assert_eq!(
        initial("core_repos"),
        Some(json!("acme/docs acme/payments")),
        "{view}"
    );

    // A new login, and a core list that drops one repository and adds two.
    let (status, body) = served
        .interact(settings_submission(
            "UANN",
            settings_values("ann-work", "acme/payments, acme/ledger  acme/billing"),
        ))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("response_action").is_none(), "{body}");
    let (_, shown) = served.command("UANN", "github").await;
    assert!(
        reply_text(&shown)
            .contains("GitHub login `ann-work` (core: acme/billing, acme/ledger, acme/payments)"),
        "{shown}"
    );

    // Emptied, the login is unlinked.
    let (_, body) = served
        .interact(settings_submission("UANN", settings_values("", "")))
        .await;
    assert!(body.get("response_action").is_none(), "{body}");
    let (_, shown) = served.command("UANN", "github").await;
    assert!(
        reply_text(&shown).contains("No GitHub login linked"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_unknown_github_login_in_the_settings_modal_is_a_field_error_and_stores_nothing() {
    // The fake GitHub knows only `ann-gh`: any other login is a 404.
    let github = fake_github().await;
    let served = served_with_github(&github).await;
    let (_, body) = served
        .interact(settings_submission(
            "UANN",
            settings_values("nobody-here", "acme/payments"),
        ))
        .await;
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["github_login"]
            .as_str()
            .is_some_and(|e| e.contains("GitHub has no user")),
        "{body}"
    );
    let (_, shown) = served.command("UANN", "github").await;
    assert!(
        reply_text(&shown).contains("No GitHub login linked"),
        "{shown}"
    );
    let (_, summary) = served.command("UANN", "summary").await;
    assert!(
        reply_text(&summary).contains("target 50% engineering"),
        "the target was not stored either: {summary}"
    );
}
