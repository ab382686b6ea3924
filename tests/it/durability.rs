//! An acknowledged write survives a crash: a real `twohats console` process is fed check-ins,
//! killed with SIGKILL mid-stream, and every check-in it acknowledged is on disk afterwards.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::Store;

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
            if writeln!(stdin, "/tlm checkin {} n{i}", i % 101).is_err() {
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

    let store = Store::open(dir.path()).expect("reopen after the crash");
    let scope = Scope::new(
        TeamId::parse("TCONSOLE").unwrap(),
        UserId::parse("UANN").unwrap(),
    );
    let notes: Vec<String> = store
        .export_user(&scope)
        .unwrap()
        .checkins
        .into_iter()
        .filter_map(|c| c.note)
        .collect();
    for i in acked {
        assert!(
            notes.contains(&format!("n{i}")),
            "acknowledged check-in n{i} was lost ({} on disk)",
            notes.len()
        );
    }
}
