//! `twohats serve` end to end: the real binary, a fake Slack Web API on loopback (wiremock),
//! and requests signed the way Slack signs them.

mod backups;
mod calendar;
mod delivery;
mod digests;
mod events;
mod first_contact;
mod github;
mod hangs;
mod http_mode;
mod interactivity;
mod limits;
mod operations;
mod outbound;
mod socket_mode;

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const SECRET: &str = "test-signing-secret";
pub const BOT_TOKEN: &str = "xoxb-test-bot-token-0123456789";
pub const TEAM: &str = "T0TEAM";

/// A running `twohats serve` in HTTP mode and the fake Slack it talks to.
pub struct Served {
    pub base: String,
    pub slack: MockServer,
    pub http: reqwest::Client,
    pub child: Child,
    pub data_dir: TempDir,
    pub log: std::path::PathBuf,
    /// How far the server's clock is ahead of this process's (libfaketime moved it): what
    /// requests are signed with.
    pub clock_skew: chrono::Duration,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake Slack answering every Web API method twohats uses, with `ok: true`.
pub async fn fake_slack() -> MockServer {
    let slack = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    for (m, body) in [
        (
            "chat.postMessage",
            json!({"ok": true, "channel": "D0DM", "ts": "1700000000.000100"}),
        ),
        ("views.publish", json!({"ok": true})),
        ("views.open", json!({"ok": true})),
        (
            "conversations.open",
            json!({"ok": true, "channel": {"id": "D0DM"}}),
        ),
        (
            "files.completeUploadExternal",
            json!({"ok": true, "files": [{"id": "F0FILE"}]}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/api/{m}")))
            .respond_with(ok(body))
            .mount(&slack)
            .await;
    }
    // UTC, the server default, so that a test's weeks don't depend on whether the profile
    // lookup finished before or after midnight somewhere else. The profile test mounts its own.
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .respond_with(ok(
            json!({"ok": true, "user": {"id": "U0ANN", "tz": "UTC"}}),
        ))
        .mount(&slack)
        .await;
    // Every test user is in every channel, but `U0OUT`.
    Mock::given(path("/api/conversations.members"))
        .respond_with(ok(json!({
            "ok": true,
            "members": CHANNEL_MEMBERS,
            "response_metadata": {"next_cursor": ""}
        })))
        .mount(&slack)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/files.getUploadURLExternal"))
        .respond_with(ok(json!({"ok": true, "upload_url": format!("{}/upload/F0FILE", slack.uri()), "file_id": "F0FILE"})))
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload/F0FILE"))
        .respond_with(ResponseTemplate::new(200).set_body_string("OK - 42"))
        .mount(&slack)
        .await;
    slack
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `twohats serve` on a free loopback port with the Web API at `slack`; `mode` adds
/// the mode's variables (signing secret or app token). Returns the child and its port.
pub fn spawn_serve(
    data_dir: &std::path::Path,
    slack: &MockServer,
    mode: &[(&str, &str)],
    stderr: Stdio,
) -> (Child, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("serve")
        .env_clear()
        .envs(faked_clock_env())
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .envs(mode.iter().copied())
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .env("TWOHATS_LISTEN", format!("127.0.0.1:{port}"))
        .env("TWOHATS_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start twohats serve");
    (child, port)
}

/// Who the fake Slack says is in any channel.
pub const CHANNEL_MEMBERS: [&str; 4] = ["U0ANN", "U0BOB", "U0NEW", "U0ME"];

/// The environment that moves a process's clock under libfaketime (`scripts/any-date.sh`),
/// and the machine's zone: a server started with a cleared environment keeps them, so it
/// lives at the same instant as the test that signs its requests.
pub fn faked_clock_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k == "LD_PRELOAD" || k == "TZ" || k.starts_with("FAKETIME"))
        .collect()
}

/// The Web API client, pointed at a fake Slack.
pub fn api_for(slack_uri: &str) -> twohats::slack::client::SlackWebApi {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let vars = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_SIGNING_SECRET", "s"),
        ("SLACK_API_URL", slack_uri),
    ];
    let config = twohats::slack::config::ServeConfig::from_env(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("test configuration");
    twohats::slack::client::SlackWebApi::new(&config.api_url, &config.bot_token).expect("client")
}

/// The bodies of every `chat.postMessage` the fake Slack received, in order.
pub async fn posts(slack: &MockServer) -> Vec<Value> {
    slack
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/api/chat.postMessage")
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

impl Served {
    /// Starts `twohats serve` in HTTP mode against the default fake Slack.
    pub async fn start() -> Self {
        Self::start_with(fake_slack().await).await
    }

    pub async fn start_with(slack: MockServer) -> Self {
        Self::start_with_env(slack, &[]).await
    }

    /// Starts it with extra environment variables (e.g. `TWOHATS_LOG_FORMAT`).
    pub async fn start_with_env(slack: MockServer, extra: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let log = data_dir.path().join("serve.log");
        let stderr = Stdio::from(std::fs::File::create(&log).unwrap());
        let mut env = vec![("SLACK_SIGNING_SECRET", SECRET)];
        env.extend_from_slice(extra);
        let (child, port) = spawn_serve(&data_dir.path().join("db"), &slack, &env, stderr);
        let served = Self {
            base: format!("http://127.0.0.1:{port}"),
            slack,
            http: reqwest::Client::new(),
            child,
            data_dir,
            log,
            clock_skew: chrono::Duration::zero(),
        };
        served.wait_healthy().await;
        served
    }

    async fn wait_healthy(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("twohats serve never became healthy; log:\n{}", self.logs());
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `/metrics` page, as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POSTs a body signed now, as Slack would.
    pub async fn post_signed(
        &self,
        route: &str,
        content_type: &str,
        body: String,
    ) -> reqwest::Response {
        let ts = (chrono::Utc::now() + self.clock_skew)
            .timestamp()
            .to_string();
        let signature = twohats::slack::verify::sign(SECRET, &ts, body.as_bytes());
        self.http
            .post(format!("{}{route}", self.base))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A signed `/tlm` slash command from `user`; returns status and JSON body (if any).
    pub async fn command(&self, user: &str, text: &str) -> (u16, Value) {
        let body = serde_urlencoded::to_string([
            ("token", "deprecated-verification-token"),
            ("team_id", TEAM),
            ("team_domain", "acme"),
            ("channel_id", "C0GENERAL"),
            ("user_id", user),
            ("user_name", &user.to_lowercase()),
            ("command", "/tlm"),
            ("text", text),
            (
                "response_url",
                "https://hooks.slack.invalid/commands/T0TEAM/1/secret-response-path",
            ),
            ("trigger_id", "1234.5678.trigger"),
        ])
        .unwrap();
        let res = self
            .post_signed("/slack/commands", "application/x-www-form-urlencoded", body)
            .await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A signed interactivity payload.
    pub async fn interact(&self, payload: Value) -> (u16, Value) {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let res = self
            .post_signed(
                "/slack/interactivity",
                "application/x-www-form-urlencoded",
                body,
            )
            .await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Waits (bounded) until the fake Slack has received at least `n` calls to `route`.
    pub async fn calls(&self, route: &str, n: usize) -> Vec<Request> {
        for _ in 0..200 {
            let got = self.received(route).await;
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.received(route).await
    }

    pub async fn received(&self, route: &str) -> Vec<Request> {
        self.slack
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == route)
            .collect()
    }
}

/// A signed `/tlm` command from `user` with its own client, for senders that keep going while
/// the server is killed or stopped: `None` once the request or its answer fails.
pub async fn try_command(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    text: &str,
) -> Option<Value> {
    let body = serde_urlencoded::to_string([
        ("team_id", TEAM),
        ("user_id", user),
        ("command", "/tlm"),
        ("text", text),
    ])
    .ok()?;
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = twohats::slack::verify::sign(SECRET, &ts, body.as_bytes());
    let response = http
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .ok()?;
    response.json::<Value>().await.ok()
}

/// The mrkdwn text of every block of an ephemeral reply, joined.
pub fn reply_text(body: &Value) -> String {
    let mut out = Vec::new();
    for block in body["blocks"].as_array().into_iter().flatten() {
        if let Some(t) = block["text"]["text"].as_str() {
            out.push(t.to_string());
        }
        for f in block["fields"].as_array().into_iter().flatten() {
            out.push(f["text"].as_str().unwrap_or_default().to_string());
        }
        for e in block["elements"].as_array().into_iter().flatten() {
            if let Some(t) = e["text"].as_str() {
                out.push(t.to_string());
            }
        }
    }
    out.join("\n")
}
