//! An acknowledged write survives a crash: a real `twohats console` process, and a real
//! `twohats serve` taking concurrent slash commands over HTTP, are killed with SIGKILL
//! mid-stream, and every check-in they acknowledged is on disk afterwards.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::prelude::*;
use twohats::store::SledStore;

/// Check-ins sent; the process is killed after `ACKED` of them were acknowledged.
const SENT: usize = 2_000;
const ACKED: usize = 300;

#[test]
fn every_acknowledged_checkin_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_twohats"))
        .args([
            "console",
            "--user",
            "ann",
            "--now",
            "2026-11-27T16:00Z",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start twohats console");

    // Feed from a thread so the child is always mid-stream when it dies; a closed pipe after
    // the kill just ends the feeder.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for i in 0..SENT {
            // Half an hour apart: a day holds at most 50 check-ins.
            if writeln!(stdin, "/tlm checkin {} n{i}\n:advance 30m", i % 101).is_err() {
                break;
            }
        }
    });

    let mut acked = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.expect("read transcript");
        // The console echoes each input, then prints the reply once the write is durable.
        if line.starts_with("Checked in:") {
            acked.push(acked.len());
            if acked.len() == ACKED {
                child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
                break;
            }
        }
    }
    child.wait().unwrap();
    let _ = feeder.join();
    assert_eq!(
        acked.len(),
        ACKED,
        "the console acknowledged fewer check-ins than expected"
    );

    let store = SledStore::open(dir.path()).expect("reopen after the crash");
    let notes = notes_on_disk(&store, "TCONSOLE", "UANN");
    for i in acked {
        assert!(
            notes.contains(&format!("n{i}")),
            "acknowledged check-in n{i} was lost ({} on disk)",
            notes.len()
        );
    }
}

/// Over HTTP the write happens on an async worker and the ack waits for the flusher thread's
/// batch: sixteen concurrent senders, and every check-in answered "Checked in" is on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkin_acknowledged_over_http_survives_sigkill() {
    use crate::slack::{Served, TEAM};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    const SENDERS: usize = 16;
    let mut served = Served::start().await;
    let base = served.base.clone();
    let answered = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (base, answered) = (base.clone(), answered.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let user = format!("U0SEND{sender:02}");
                let mut acked = Vec::new();
                for i in 0.. {
                    let note = format!("s{sender}n{i}");
                    // After the kill every request fails: that ends this sender.
                    let text = format!("checkin 50 {note}");
                    let Some(reply) = crate::slack::try_command(&http, &base, &user, &text).await
                    else {
                        break;
                    };
                    if crate::slack::reply_text(&reply).contains("Checked in") {
                        acked.push(note);
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
                (user, acked)
            })
        })
        .collect();

    for _ in 0..2_000 {
        if answered.load(Ordering::SeqCst) >= ACKED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        answered.load(Ordering::SeqCst) >= ACKED,
        "serve answered only {} check-ins; log:\n{}",
        answered.load(Ordering::SeqCst),
        served.logs()
    );
    let killed = Command::new("kill")
        .args(["-KILL", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut acked = Vec::new();
    for sender in senders {
        acked.push(sender.await.unwrap());
    }

    served.child.wait().unwrap();
    let store =
        SledStore::open(&served.data_dir.path().join("db")).expect("reopen after the crash");
    let mut total = 0;
    for (user, notes) in acked {
        let on_disk = notes_on_disk(&store, TEAM, &user);
        for note in notes {
            assert!(
                on_disk.contains(&note),
                "acknowledged check-in {note} was lost"
            );
            total += 1;
        }
    }
    assert!(total >= ACKED);
}

/// The notes of every check-in stored for a user: each test's check-ins carry a unique note.
fn notes_on_disk(store: &SledStore, team: &str, user: &str) -> Vec<String> {
    let scope = Scope::new(TeamId::parse(team).unwrap(), UserId::parse(user).unwrap());
    store
        .export_user(&scope)
        .unwrap()
        .checkins
        .into_iter()
        .filter_map(|c| c.note)
        .collect()
}
