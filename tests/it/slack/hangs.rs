//! Nothing hangs: a Slack that stops answering, and clients that connect and stall.
//!
//! Outbound: a `chat.postMessage` that never answers times out and is retried while the other
//! messages go out; the scheduler keeps claiming while a send hangs; background lookups are
//! capped. Inbound: idle, half-sent and stalled connections are closed, and a thousand idle
//! connections don't keep `/healthz` from answering. Timeouts are shortened through
//! `TWOHATS_SLACK_TIMEOUT_MS` and `TWOHATS_HTTP_TIMEOUT_MS`; every wait is a bounded poll.

use super::{fake_slack, posts, Served, BOT_TOKEN, SECRET};
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use twohats::app::clock::{Clock, ManualClock};
use twohats::app::delivery::Pacing;
use twohats::app::{Actor, App};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::slack::bot::{SlackBot, MAX_BACKGROUND};
use twohats::slack::client::SlackWebApi;
use twohats::slack::config::ServeConfig;
use twohats::slack::scheduler_tasks::schedule_and_deliver;
use twohats::store::prelude::*;
use twohats::store::SledStore;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Long enough to count as "never" in a test.
const FOREVER: StdDuration = StdDuration::from_secs(600);
/// The bound on every poll: generous, so a slow machine never fails a test that is right.
const DEADLINE: StdDuration = StdDuration::from_secs(30);

/// A bot over a temp store at Friday 2026-11-27 16:00 UTC, whose Web API client reads its
/// timeout from `TWOHATS_SLACK_TIMEOUT_MS` as `serve` does.
struct InProcess {
    bot: Arc<SlackBot>,
    /// The store the bot's app holds, to look at the outbox.
    store: Arc<SledStore>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn in_process(api_url: &str, slack_timeout_ms: &str) -> InProcess {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let vars = [
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_SIGNING_SECRET", "s"),
        ("SLACK_API_URL", api_url),
        ("TWOHATS_SLACK_TIMEOUT_MS", slack_timeout_ms),
    ];
    let config = ServeConfig::from_env(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("test configuration");
    let api = SlackWebApi::with_timeouts(&config.api_url, &config.bot_token, config.slack_timeouts)
        .expect("client");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let app = App::new(store.clone(), chrono_tz::UTC);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap(),
    ));
    InProcess {
        bot: SlackBot::new(app, clock.clone() as Arc<dyn Clock>, api),
        store,
        clock,
        _dir: dir,
    }
}

impl InProcess {
    /// A user who wrote to the bot a minute before their Friday 16:00 summary fires.
    fn user(&self, name: &str) {
        let actor = Actor {
            scope: Scope::new(
                TeamId::parse("T0TEAM").unwrap(),
                UserId::parse(&format!("U0{}", name.to_uppercase())).unwrap(),
            ),
            name: Some(name.into()),
            profile_tz: None,
            channels: twohats::app::ChannelAccess::Unchecked,
        };
        self.bot.app().handle_command(
            &actor,
            "schedule checkin off",
            self.clock.now() - Duration::minutes(1),
        );
    }

    /// Starts the scheduler and sender as `serve` does, ticking every 50 ms.
    fn run(&self) -> tokio::sync::watch::Sender<bool> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(schedule_and_deliver(
            self.bot.clone(),
            Pacing::default(),
            StdDuration::from_millis(50),
            stopped,
        ));
        stop
    }
}

/// Polls `done` every 25 ms until it holds or [`DEADLINE`] passes; whether it held.
async fn eventually<F, Fut>(mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = tokio::time::Instant::now() + DEADLINE;
    while tokio::time::Instant::now() < until {
        if done().await {
            return true;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    done().await
}

fn channels(sent: &[serde_json::Value]) -> Vec<&str> {
    sent.iter()
        .map(|p| p["channel"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_post_that_never_answers_times_out_the_others_go_out_and_it_is_retried() {
    let slack = MockServer::start().await;
    let ok = ResponseTemplate::new(200).set_body_json(json!({"ok": true, "ts": "1.1"}));
    // Ann's first post is accepted and never answered.
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(body_partial_json(json!({"channel": "U0ANN"})))
        .respond_with(ok.clone().set_delay(FOREVER))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ok)
        .with_priority(2)
        .mount(&slack)
        .await;
    // 1 s: a loopback answer is never that slow, a hung one always is.
    let p = in_process(&format!("{}/api", slack.uri()), "1000");
    for name in ["ann", "bob", "cy"] {
        p.user(name);
    }
    let _stop = p.run();
    // The manual clock moves 250 ms per poll, so pacing and backoff slots come.
    let delivered = eventually(|| async {
        p.clock.advance(Duration::milliseconds(250));
        let sent = posts(&slack).await;
        let to = |who| channels(&sent).iter().filter(|c| **c == who).count();
        to("U0ANN") >= 2 && to("U0BOB") >= 1 && to("U0CY") >= 1 && p.store.outbox_len() == 0
    })
    .await;
    let sent = posts(&slack).await;
    assert!(delivered, "posts so far: {:?}", channels(&sent));
    let to = |who| channels(&sent).iter().filter(|c| **c == who).count();
    assert_eq!(
        (to("U0BOB"), to("U0CY")),
        (1, 1),
        "the others went out once each"
    );
    let metrics = p.bot.metrics().encode();
    assert!(
        metrics.contains(
            "twohats_slack_api_calls_total{method=\"chat.postMessage\",status=\"timeout\"}"
        ),
        "the hung post counted as a timeout:\n{metrics}"
    );
}

/// A fake Slack that accepts connections and never answers; counts them.
async fn silent_slack() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn the_scheduler_keeps_claiming_and_measuring_while_a_send_hangs() {
    let (url, accepted) = silent_slack().await;
    // The client waits as long as it is allowed to: the send stays stuck for the whole test.
    let p = in_process(&url, "600000");
    p.user("ann");
    let _stop = p.run();
    assert!(
        eventually(|| async { accepted.load(Ordering::SeqCst) >= 1 }).await,
        "ann's summary was claimed and its post started"
    );
    assert_eq!(p.store.outbox_len(), 1);

    // Bob's summary falls due while ann's post hangs: the next tick still claims it.
    p.user("bob");
    assert!(
        eventually(|| async { p.store.outbox_len() == 2 }).await,
        "bob's summary was never claimed while ann's post hung"
    );

    // Six minutes on, ann's message is the oldest unsent one: the gauge says how old.
    p.clock.advance(Duration::minutes(6));
    let aged = eventually(|| async {
        p.bot
            .metrics()
            .encode()
            .contains("twohats_outbox_oldest_age_seconds 360.0")
    })
    .await;
    assert!(aged, "{}", p.bot.metrics().encode());
}

#[tokio::test]
async fn background_lookups_are_capped_while_slack_does_not_answer() {
    let slack = fake_slack().await;
    // Every profile lookup hangs (mounted before, so it wins over fake_slack's answer).
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .respond_with(ResponseTemplate::new(200).set_delay(FOREVER))
        .with_priority(1)
        .mount(&slack)
        .await;
    let served = Served::start_with_env(slack, &[("TWOHATS_SLACK_TIMEOUT_MS", "600000")]).await;
    let extra = 36;
    for i in 0..MAX_BACKGROUND + extra {
        let (status, _) = served.command(&format!("U0NEW{i:03}"), "target 60").await;
        assert_eq!(status, 200, "acks don't wait for Slack");
    }
    let lookups = served.calls("/api/users.info", MAX_BACKGROUND).await.len();
    assert_eq!(
        lookups, MAX_BACKGROUND,
        "as many lookups as the cap, no more"
    );
    let metrics = served.metrics().await;
    for needle in [
        format!("twohats_background_dropped_total{{work=\"profile_tz\"}} {extra}"),
        "twohats_outbox_oldest_age_seconds 0".to_string(),
    ] {
        assert!(metrics.contains(&needle), "{needle} missing:\n{metrics}");
    }
    assert_eq!(
        served.received("/api/users.info").await.len(),
        MAX_BACKGROUND
    );
}

fn port_of(served: &Served) -> u16 {
    served.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Reads until the server closes the connection (EOF or reset); what it sent, or `None` if
/// it was still open at [`DEADLINE`].
async fn closed_by_server(mut stream: TcpStream) -> Option<String> {
    let mut got = Vec::new();
    match tokio::time::timeout(DEADLINE, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(String::from_utf8_lossy(&got).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn idle_half_sent_and_stalled_connections_are_closed() {
    let served =
        Served::start_with_env(fake_slack().await, &[("TWOHATS_HTTP_TIMEOUT_MS", "300")]).await;
    let addr = format!("127.0.0.1:{}", port_of(&served));
    let connect = || TcpStream::connect(addr.clone());

    let idle = connect().await.unwrap();
    let mut half_header = connect().await.unwrap();
    half_header
        .write_all(b"POST /slack/commands HTTP/1.1\r\nHost: twohats\r\nContent-Ty")
        .await
        .unwrap();
    let mut half_body = connect().await.unwrap();
    half_body
        .write_all(
            b"POST /slack/commands HTTP/1.1\r\nHost: twohats\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
              team_id=T0",
        )
        .await
        .unwrap();
    // A kept-alive connection that answered one request, then sits idle.
    let mut kept_alive = connect().await.unwrap();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: twohats\r\n\r\n")
        .await
        .unwrap();

    let (idle, half_header, half_body, kept_alive) = tokio::join!(
        closed_by_server(idle),
        closed_by_server(half_header),
        closed_by_server(half_body),
        closed_by_server(kept_alive),
    );
    assert!(idle.is_some(), "an idle connection is closed");
    assert!(half_header.is_some(), "half-sent headers are cut off");
    let half_body = half_body.expect("a body shorter than its Content-Length is cut off");
    assert!(half_body.starts_with("HTTP/1.1 408"), "{half_body}");
    let kept_alive = kept_alive.expect("an idle kept-alive connection is closed");
    assert!(kept_alive.starts_with("HTTP/1.1 200"), "{kept_alive}");
    // And the server still answers.
    let health = served.http.get(format!("{}/healthz", served.base)).send();
    assert_eq!(health.await.unwrap().status().as_u16(), 200);
}

/// This process's soft limit on open files, if it can tell.
fn own_soft_nofile() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    twohats::slack::incoming::soft_nofile(&limits)
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_stop_healthz() {
    // The server may open 256 files, as in the report: far fewer than the idle connections.
    let slack = fake_slack().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("serve.log");
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" serve")
        .arg(env!("CARGO_BIN_EXE_twohats"))
        .env_clear()
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .env("TWOHATS_LISTEN", format!("127.0.0.1:{port}"))
        .env("TWOHATS_DATA_DIR", dir.path().join("db"))
        .env("TWOHATS_HTTP_TIMEOUT_MS", "500")
        .env("RUST_LOG", "info")
        .envs(super::faked_clock_env())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .expect("start twohats serve under ulimit -n 256");
    let http = reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .unwrap();
    let healthz = format!("http://127.0.0.1:{port}/healthz");
    let healthy = eventually(|| async {
        http.get(&healthz)
            .timeout(StdDuration::from_millis(500))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(
        healthy,
        "never healthy: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // A thousand idle connections, or as many as this process may open, leaving room.
    let n = own_soft_nofile().map_or(1000, |limit| 1000.min(limit.saturating_sub(64) as usize));
    assert!(
        n > 300,
        "this test needs ~1,100 open files; `ulimit -n` is too low"
    );
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        let connecting = TcpStream::connect(("127.0.0.1", port));
        match tokio::time::timeout(StdDuration::from_secs(5), connecting).await {
            Ok(Ok(stream)) => idle.push(stream),
            // The accept queue is full: enough are waiting.
            _ => break,
        }
    }
    assert!(idle.len() > 300, "only {} connections opened", idle.len());

    // A fresh connection, behind the idle ones in the accept queue.
    let fresh = reqwest::Client::builder()
        .timeout(DEADLINE)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let answer = fresh.get(&healthz).send().await;
    let _ = child.kill();
    let _ = child.wait();
    let status = answer.map(|r| r.status().as_u16());
    assert_eq!(
        status.as_ref().ok(),
        Some(&200),
        "/healthz with {} idle connections open: {status:?}\n{}",
        idle.len(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
