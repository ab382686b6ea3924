//! A twohats app over a throwaway store, with a settable clock and Slack-shaped users.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use tempfile::TempDir;
use twohats::app::{Actor, App, Reply};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::render::reply::reply_doc;
use twohats::render::text::to_text;
use twohats::store::prelude::*;
use twohats::store::SledStore;

pub const TEAM: &str = "T0001";

/// The use cases over a throwaway sled store, with a settable clock: what a transport would
/// call, without one. (Not a bot: nothing here speaks Slack.)
pub struct TestApp {
    pub app: App,
    /// The same store the app holds, for tests that look beneath the use cases.
    pub store: Arc<SledStore>,
    pub now: DateTime<Utc>,
    // Dropped last: the store's files live here.
    _dir: TempDir,
}

impl TestApp {
    /// A bot whose clock reads Friday 2026-11-27 16:00 UTC.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SledStore::open(dir.path()).expect("open store"));
        Self {
            app: App::new(store.clone(), chrono_tz::UTC),
            store,
            now: Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap(),
            _dir: dir,
        }
    }

    /// Runs `/tlm <text>` as `user`, with mentions already escaped the way Slack sends them.
    pub fn run(&self, user: &str, text: &str) -> Reply {
        self.app.handle_command(
            &actor(user),
            &twohats::console::escape_like_slack(text),
            self.now,
        )
    }

    /// `/tlm summary` as `user`: the composed summary, not its rendering.
    #[track_caller]
    pub fn summary(&self, user: &str) -> twohats::domain::summary::Summary {
        match self.run(user, "summary") {
            Reply::Summary(s) => *s,
            other => panic!("expected a summary, got {other:?}"),
        }
    }

    /// The reply as the console prints it.
    pub fn say(&self, user: &str, text: &str) -> String {
        to_text(&reply_doc(&self.run(user, text)))
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Every key and value in the store, for "nothing changed" checks.
    pub fn raw(&self) -> Vec<(String, Vec<u8>, Vec<u8>)> {
        self.store.raw_entries().expect("raw entries")
    }

    pub fn export(&self, user: &str) -> twohats::store::UserExport {
        self.store.export_user(&scope(user)).expect("export")
    }
}

/// A user as the console names them: `bob` is `UBOB`.
pub fn actor(user: &str) -> Actor {
    Actor {
        scope: scope(user),
        name: Some(user.to_string()),
        profile_tz: None,
        channels: twohats::app::ChannelAccess::Unchecked,
    }
}

pub fn scope(user: &str) -> Scope {
    Scope::new(
        TeamId::parse(TEAM).unwrap(),
        UserId::parse(&format!("U{}", user.to_ascii_uppercase())).unwrap(),
    )
}

/// Asserts a reply is a rejection, and returns its text.
#[track_caller]
pub fn invalid(reply: &Reply) -> String {
    match reply {
        Reply::Invalid { message, .. } => message.clone(),
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// Runs `twohats console` on `data_dir` with a script on stdin: (stdout, stderr, success).
pub fn console(data_dir: &std::path::Path, args: &[&str], script: &str) -> (String, String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("console")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("TWOHATS_DEFAULT_TZ")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start twohats console");
    // A console that refuses to start (a locked data dir) may exit before reading its input.
    if let Err(e) = child.stdin.take().unwrap().write_all(script.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}
