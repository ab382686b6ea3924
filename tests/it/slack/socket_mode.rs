//! Socket Mode end to end: `twohats serve` with an app token opens the websocket URL the fake
//! Slack hands out, receives a slash command envelope, and acknowledges it with the reply.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::routing::get;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// A fake Socket Mode endpoint: says hello, sends one slash command, forwards every frame the
/// bot sends back.
async fn fake_socket(frames: mpsc::UnboundedSender<Value>) -> u16 {
    let app = axum::Router::new().route(
        "/link",
        get(move |ws: WebSocketUpgrade| {
            let frames = frames.clone();
            async move { ws.on_upgrade(move |socket| converse(socket, frames)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

async fn converse(mut socket: WebSocket, frames: mpsc::UnboundedSender<Value>) {
    let hello = json!({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A0APP"}});
    let command = json!({
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": true,
        "payload": {
            "token": "t", "team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0GEN", "channel_name": "general",
            "user_id": "U0ANN", "user_name": "ann", "command": "/tlm", "text": "checkin 55 energy=4",
            "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.invalid/commands/1", "trigger_id": "1.2.3"
        }
    });
    for frame in [hello, command] {
        if socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    while let Some(Ok(message)) = socket.recv().await {
        if let Message::Text(text) = message {
            if let Ok(frame) = serde_json::from_str::<Value>(&text) {
                let _ = frames.send(frame);
            }
        }
    }
}

#[tokio::test]
async fn a_slash_command_round_trips_over_socket_mode() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ws_port = fake_socket(tx).await;
    let slack = super::fake_slack().await;
    Mock::given(method("POST"))
        .and(path("/api/apps.connections.open"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"ok": true, "url": format!("ws://127.0.0.1:{ws_port}/link")}),
            ),
        )
        .mount(&slack)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = super::spawn_serve(
        dir.path(),
        &slack,
        &[("SLACK_APP_TOKEN", "xapp-test-app-token")],
        Stdio::null(),
    );

    let ack = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(frame) = rx.recv().await {
            if frame["envelope_id"] == "env-1" {
                return Some(frame);
            }
        }
        None
    })
    .await;
    // The operations endpoints are served in Socket Mode too.
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    let metrics = match http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready.ok(), Some(200), "ready once connected");
    assert!(
        metrics.contains("twohats_ack_seconds_count{route=\"socket_commands\"} 1"),
        "{metrics}"
    );
    let ack = ack
        .expect("no ack within 20 s")
        .expect("the socket closed without an ack");
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
    let text = ack["payload"].to_string();
    assert!(
        text.contains("Checked in: 55% engineering today, energy 4 of 5"),
        "{text}"
    );
    let opened = slack.received_requests().await.unwrap();
    let open = opened
        .iter()
        .find(|r| r.url.path() == "/api/apps.connections.open")
        .expect("apps.connections.open");
    assert_eq!(
        open.headers.get("authorization").unwrap(),
        "Bearer xapp-test-app-token",
        "the app-level token opens the socket"
    );
}
