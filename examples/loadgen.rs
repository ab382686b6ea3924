//! A load generator for `twohats serve` in HTTP mode: signed `/slack/commands` requests, the
//! way Slack signs them (fresh timestamps, so nothing is refused as stale), from N concurrent
//! workers; prints throughput and ack latency percentiles.
//!
//! `cargo run --release --example loadgen -- --url http://127.0.0.1:3000 --secret S
//!  --requests 2000 --concurrency 8 --text "checkin 60"` (see scripts/ack-latency.sh).

use clap::Parser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    #[arg(long)]
    secret: String,
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value = "checkin 60")]
    text: String,
    /// Distinct users the requests rotate through.
    #[arg(long, default_value_t = 50)]
    users: usize,
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (args, client, next) = (args.clone(), client.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.requests {
                        break;
                    }
                    let body = serde_urlencoded::to_string([
                        ("team_id", "T0LOAD"),
                        ("user_id", &format!("U0LOAD{:04}", i % args.users)),
                        ("command", "/tlm"),
                        ("text", &args.text),
                        ("trigger_id", "1.2.3"),
                    ])
                    .expect("form encoding");
                    let ts = chrono::Utc::now().timestamp().to_string();
                    let sig = twohats::slack::verify::sign(&args.secret, &ts, body.as_bytes());
                    let sent = Instant::now();
                    let res = client
                        .post(format!("{}/slack/commands", args.url))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("x-slack-request-timestamp", ts)
                        .header("x-slack-signature", sig)
                        .body(body)
                        .send()
                        .await;
                    let ok = match res {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed());
                    if !ok {
                        failures += 1;
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.expect("worker");
        all.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    println!(
        "requests {}  concurrency {}  elapsed {:.2}s  {:.0} req/s  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  non-2xx {}",
        all.len(),
        args.concurrency,
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        failures
    );
}
