//! Running it for months: health, readiness, metrics, JSON logs, graceful shutdown, the
//! healthcheck and doctor subcommands.

use super::{fake_slack, Served, BOT_TOKEN, SECRET};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;
use twohats::store::prelude::*;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn health_readiness_and_metrics_in_http_mode() {
    let served = Served::start().await;
    let get = |p: &str| served.http.get(format!("{}{p}", served.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    assert_eq!(get("/readyz").await.unwrap().status().as_u16(), 200);
    served.command("U0ANN", "checkin 60").await;
    served.command("U0ANN", "checkin lots").await;
    served.command("U0ANN", "frobnicate").await;
    // The profile lookup runs after the ack; wait (bounded) until its result is counted.
    let mut metrics = String::new();
    for _ in 0..200 {
        metrics = get("/metrics").await.unwrap().text().await.unwrap();
        if metrics.contains("method=\"users.info\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for needle in [
        "twohats_commands_total{command=\"checkin\",outcome=\"ok\"} 1",
        "twohats_commands_total{command=\"checkin\",outcome=\"invalid\"} 1",
        "twohats_commands_total{command=\"unknown\",outcome=\"ok\"} 1",
        "twohats_ack_seconds_count{route=\"commands\"} 3",
        "twohats_slack_api_calls_total{method=\"users.info\",status=\"ok\"} 1",
        "twohats_outbox_depth 0",
        "# TYPE twohats_scheduler_lag_seconds histogram",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }
    assert!(
        !metrics.contains("U0ANN") && !metrics.contains("lots"),
        "no user data in metrics"
    );
}

#[tokio::test]
async fn json_logs_carry_ids_and_never_secrets() {
    let served =
        Served::start_with_env(fake_slack().await, &[("TWOHATS_LOG_FORMAT", "json")]).await;
    served.command("U0ANN", "checkin 55 my secret note").await;
    served.command("U0ANN", "export").await;
    served.calls("/api/files.completeUploadExternal", 1).await;
    let logs = served.logs();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["fields"]["message"] == "slash command")
        .expect("a request line");
    assert_eq!(request["fields"]["team"], "T0TEAM");
    assert_eq!(request["fields"]["user"], "U0ANN");
    assert_eq!(request["fields"]["command"], "checkin");
    for secret in [BOT_TOKEN, SECRET, "my secret note", "secret-response-path"] {
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully_and_keeps_acknowledged_writes() {
    let mut served = Served::start().await;
    let (status, _) = served.command("U0ANN", "checkin 42 before shutdown").await;
    assert_eq!(status, 200);
    let pid = served.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut exit = None;
    for _ in 0..600 {
        if let Some(status) = served.child.try_wait().unwrap() {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let exit = exit.expect("still running 15 s after SIGTERM");
    assert!(
        exit.success(),
        "exit status {exit:?}; log:\n{}",
        served.logs()
    );
    assert!(served.logs().contains("twohats stopped"));
    let store = twohats::store::SledStore::open(&served.data_dir.path().join("db"))
        .expect("the lock is released");
    let scope = twohats::domain::ids::Scope::new(
        twohats::domain::ids::TeamId::parse("T0TEAM").unwrap(),
        twohats::domain::ids::UserId::parse("U0ANN").unwrap(),
    );
    assert_eq!(
        store.export_user(&scope).unwrap().checkins[0]
            .note
            .as_deref(),
        Some("before shutdown")
    );
}

#[tokio::test]
async fn the_healthcheck_subcommand_probes_the_listener() {
    let served = Served::start().await;
    let healthcheck = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_twohats"))
            .args(["healthcheck", "--url", url])
            .output()
            .unwrap()
    };
    assert!(healthcheck(&format!("{}/healthz", served.base))
        .status
        .success());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = healthcheck(&format!("http://127.0.0.1:{closed}/healthz"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("twohats:"),
        "one clear line"
    );
}

async fn doctor(slack: &MockServer, scopes: &str) -> (bool, String) {
    Mock::given(path("/api/auth.test"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", scopes)
                .set_body_json(json!({"ok": true, "team": "Acme", "user": "twohats", "team_id": "T0TEAM", "user_id": "U0BOT"})),
        )
        .mount(slack)
        .await;
    Mock::given(path("/api/apps.connections.open"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "url": "ws://127.0.0.1:1/"})),
        )
        .mount(slack)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("doctor")
        .env_clear()
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_APP_TOKEN", "xapp-doctor-token")
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .env("TWOHATS_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(BOT_TOKEN) && !text.contains("xapp-doctor-token"),
        "tokens never printed: {text}"
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn doctor_reports_missing_scopes_and_passes_when_all_are_granted() {
    let (ok, text) = doctor(&MockServer::start().await, "commands,chat:write").await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  scopes: missing") && text.contains("files:write"),
        "{text}"
    );
    assert!(
        text.contains("ok    SLACK_BOT_TOKEN: bot twohats in workspace Acme"),
        "{text}"
    );

    let all: Vec<String> = twohats::doctor::manifest_scopes().into_iter().collect();
    let (ok, text) = doctor(&MockServer::start().await, &all.join(",")).await;
    assert!(ok, "{text}");
    assert!(text.contains("ok    SLACK_APP_TOKEN"), "{text}");
}
