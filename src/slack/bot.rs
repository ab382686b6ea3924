//! What twohats does with each kind of Slack request, whichever transport brought it.
//!
//! Each entry point returns the ack body at once; Web API calls the request needs (opening a
//! modal, publishing the Home tab, uploading an export, looking up a time zone) are spawned
//! and run after the ack — at most [`MAX_BACKGROUND`] at once, each for at most
//! [`BACKGROUND_DEADLINE`], so a Slack that stops answering never piles up tasks.

use super::client::SlackWebApi;
use super::interactions;
use crate::app::clock::Clock;
use crate::app::{Actor, App, ChannelAccess, Reply};
use crate::command::{Command, DigestAction};
use crate::domain::ids::{Scope, TeamId, UserId};
use crate::metrics::Metrics;
use crate::render::blocks::message_blocks;
use crate::render::modals::{checkin_modal, ephemeral, home_view};
use crate::render::reply::reply_doc;
use crate::render::text::plain;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Background Web API jobs running at once. Each is one user's modal, Home tab, export or
/// profile lookup; Slack's per-method limits (tier 2-4: 20-100 a minute) are far below this
/// many in flight, so the cap only bites when Slack stops answering.
pub const MAX_BACKGROUND: usize = 64;

/// How long one background job may take, retries included: a few attempts of a call, each
/// bounded by the client's timeout; a job still running after this is abandoned.
pub const BACKGROUND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a slash command waits for Slack to say whether the user is in a channel: the
/// whole command must be answered within Slack's 3 s.
pub const MEMBERSHIP_DEADLINE: std::time::Duration = std::time::Duration::from_millis(1500);

/// What to answer Slack with.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack {
    /// 200 with no body: "received", nothing to show.
    Empty,
    /// 200 with a JSON body (an ephemeral reply, a modal's `response_action`, a challenge).
    Json(Value),
}

/// The fields of a slash command twohats reads.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SlashCommand {
    pub team_id: String,
    pub user_id: String,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub trigger_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("the payload is not what Slack sends: {0}")]
    Malformed(String),
}

pub struct SlackBot {
    pub(super) app: App,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) api: SlackWebApi,
    pub(super) metrics: Arc<Metrics>,
    /// Socket Mode: the connection to Slack is set up. Readiness waits for it.
    pub(super) socket_connected: AtomicBool,
    /// Permits for background Web API jobs ([`MAX_BACKGROUND`]).
    background: Arc<Semaphore>,
}

impl SlackBot {
    pub fn new(app: App, clock: Arc<dyn Clock>, api: SlackWebApi) -> Arc<Self> {
        let metrics = Metrics::new();
        let api = api.with_metrics(metrics.clone());
        Arc::new(Self {
            app,
            clock,
            api,
            metrics,
            socket_connected: AtomicBool::new(false),
            background: Arc::new(Semaphore::new(MAX_BACKGROUND)),
        })
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Why the bot can't take traffic yet, if it can't: the store must answer, and in Socket
    /// Mode the connection to Slack must be set up.
    pub fn readiness(&self, socket_mode: bool) -> Result<(), String> {
        self.app.check_store().map_err(|e| format!("store: {e}"))?;
        if socket_mode && !self.socket_connected.load(Ordering::Acquire) {
            return Err("the Socket Mode connection to Slack is not set up yet".into());
        }
        Ok(())
    }

    /// Socket Mode: the websocket is up.
    pub fn mark_connected(&self) {
        self.socket_connected.store(true, Ordering::Release);
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// The bot's clock in Unix seconds, for request signatures.
    pub fn now_unix(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// A `/tlm` command: run it, ack with the ephemeral reply.
    pub async fn command(self: &Arc<Self>, cmd: SlashCommand) -> Result<Ack, RequestError> {
        let actor = actor(&cmd.team_id, &cmd.user_id, cmd.user_name.clone())?;
        let now = self.clock.now();
        let (reply, first_contact) = match crate::command::parse(&cmd.text) {
            Ok(command) => {
                let checked = self.check_channel(actor.clone(), &command).await;
                self.execute_reporting(&checked, command, now).await
            }
            // Refused before anything is written: nothing to flush, nothing blocks.
            Err(_) => (self.app.handle_command(&actor, &cmd.text, now), false),
        };
        let (command, outcome) = (command_word(&cmd.text), outcome(&reply));
        self.metrics.command(command, outcome);
        tracing::info!(team = %actor.scope.team, user = %actor.scope.user, command, outcome, "slash command");
        // One lookup of the Slack profile per user: when this command created their record
        // (the lookup only fills in a record's zone). Not one per `help` from someone who has
        // never written anything, nor one per command for people whose profile has no zone.
        if first_contact {
            self.spawn_profile_tz(actor.clone());
        }
        if super::calendar_task::reads_calendar_now(&reply) {
            self.spawn_calendar_refresh(actor.scope.clone());
        }
        // Stale GitHub figures (an hour or more) are fetched after the answer, for the next
        // look: the summary itself never waits for GitHub.
        if command == "summary" && matches!(reply, Reply::Summary(_)) {
            super::github::spawn_refresh(self, actor.clone());
        }
        Ok(match reply {
            Reply::CheckinModal => {
                self.spawn_view_open(cmd.trigger_id, checkin_modal());
                Ack::Empty
            }
            Reply::Export { json } => {
                self.spawn_export(actor, json);
                Ack::Json(ephemeral("I'm sending everything twohats keeps about you as a JSON file in our DM — look for it in the twohats app's Messages tab."))
            }
            reply => Ack::Json(ephemeral_reply(&reply)),
        })
    }

    /// Asks Slack whether the user is in the channel a digest subscription names, within
    /// [`MEMBERSHIP_DEADLINE`] (the ack is due in 3 s). Other commands name no channel to check.
    async fn check_channel(self: &Arc<Self>, mut actor: Actor, command: &Command) -> Actor {
        let Command::Digest {
            channel,
            action: DigestAction::Subscribe(_),
        } = command
        else {
            return actor;
        };
        let asked = self
            .api
            .is_member(channel.id.as_str(), actor.scope.user.as_str());
        actor.channels = match tokio::time::timeout(MEMBERSHIP_DEADLINE, asked).await {
            Ok(Ok(true)) => ChannelAccess::MemberOf(vec![channel.id.clone()]),
            Ok(Ok(false)) => ChannelAccess::MemberOf(Vec::new()),
            Ok(Err(e)) => {
                tracing::warn!(team = %actor.scope.team, channel = %channel.id, error = %e, "could not check channel membership");
                ChannelAccess::Unknown
            }
            Err(_) => {
                tracing::warn!(team = %actor.scope.team, channel = %channel.id, "channel membership check timed out");
                ChannelAccess::Unknown
            }
        };
        actor
    }

    /// An Events API envelope: the URL check, or an event.
    pub async fn event(self: &Arc<Self>, envelope: Value) -> Result<Ack, RequestError> {
        match envelope["type"].as_str() {
            Some("url_verification") => {
                let challenge = envelope["challenge"]
                    .as_str()
                    .ok_or_else(|| RequestError::Malformed("no challenge".into()))?;
                Ok(Ack::Json(json!({ "challenge": challenge })))
            }
            Some("event_callback") => {
                let team = envelope["team_id"].as_str().unwrap_or_default().to_string();
                let event_id = envelope["event_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let event = envelope["event"].clone();
                let team_id =
                    TeamId::parse(&team).map_err(|e| RequestError::Malformed(e.to_string()))?;
                let fresh = self
                    .blocking(move |bot| {
                        bot.app
                            .first_sighting_of_event(&team_id, &event_id, bot.clock.now())
                    })
                    .await
                    .map_err(|e| RequestError::Malformed(e.to_string()))?;
                if !fresh {
                    tracing::debug!(team, "retried event ignored");
                    return Ok(Ack::Empty);
                }
                if event["type"] == "app_home_opened"
                    && event["tab"].as_str().unwrap_or("home") == "home"
                {
                    let user = event["user"].as_str().unwrap_or_default();
                    self.spawn_publish_home(actor(&team, user, None)?);
                }
                Ok(Ack::Empty)
            }
            other => Err(RequestError::Malformed(format!(
                "unknown envelope type {other:?}"
            ))),
        }
    }

    /// A button press or a modal submission.
    pub async fn interaction(self: &Arc<Self>, payload: Value) -> Result<Ack, RequestError> {
        interactions::handle(self, payload).await
    }

    /// Runs a command and answers once its writes are durable.
    ///
    /// Most commands touch one user's record and a week of rows — microseconds — so they run
    /// right here on the async worker; only the fsync is slow, and the flusher thread does
    /// that once for every command waiting at the time while this task awaits it. Commands
    /// that read or delete a user's whole history go to the blocking pool.
    pub(super) async fn execute(
        self: &Arc<Self>,
        actor: &Actor,
        command: crate::command::Command,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Reply {
        self.execute_reporting(actor, command, now).await.0
    }

    /// [`SlackBot::execute`], and whether the command created the user's record.
    async fn execute_reporting(
        self: &Arc<Self>,
        actor: &Actor,
        command: crate::command::Command,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Reply, bool) {
        // On a remote store (PostgreSQL) every store call is a round trip that holds its
        // thread, so every command goes to the blocking pool, not just the heavy ones.
        let unflushed = if command.is_heavy() || self.app.store_is_remote() {
            let actor = actor.clone();
            self.blocking(move |bot| bot.app.handle_unflushed(&actor, command, now))
                .await
        } else {
            self.app.handle_unflushed(actor, command, now)
        };
        let first_contact = unflushed.is_first_contact();
        (self.app.durable_async(unflushed).await, first_contact)
    }

    /// Runs store-bound work that may take long off the async threads.
    pub(super) async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&SlackBot) -> T + Send + 'static,
    ) -> T {
        let bot = self.clone();
        match tokio::task::spawn_blocking(move || work(&bot)).await {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Runs Web API work after the ack, bounded: at most [`MAX_BACKGROUND`] jobs at once, each
    /// for at most [`BACKGROUND_DEADLINE`]. When that many are running (Slack is slow or not
    /// answering) the new job is dropped, counted and logged — not queued: a queue would grow
    /// with every request while Slack hangs, and what it held would be stale when it ran (a
    /// modal's `trigger_id` lasts 3 s). `work` names the kind, from a fixed set.
    pub(super) fn spawn_background(
        self: &Arc<Self>,
        work: &'static str,
        job: impl Future<Output = ()> + Send + 'static,
    ) {
        let Ok(permit) = self.background.clone().try_acquire_owned() else {
            self.metrics.background_dropped(work);
            if work == "profile_tz" {
                // Only fills in a default the user can set with `/tlm tz`.
                tracing::debug!(work, "too much background work running; skipped");
            } else {
                tracing::warn!(work, "too much background work running; dropped");
            }
            return;
        };
        tokio::spawn(async move {
            let _permit = permit;
            if tokio::time::timeout(BACKGROUND_DEADLINE, job)
                .await
                .is_err()
            {
                tracing::warn!(work, "background work ran out of time; abandoned");
            }
        });
    }

    pub(super) fn spawn_view_open(self: &Arc<Self>, trigger_id: String, view: Value) {
        let bot = self.clone();
        self.spawn_background("views.open", async move {
            if let Err(e) = bot.api.views_open(&trigger_id, &view).await {
                tracing::warn!(error = %e, "could not open a modal");
            }
        });
    }

    pub(super) fn spawn_publish_home(self: &Arc<Self>, actor: Actor) {
        let bot = self.clone();
        self.spawn_background("views.publish", async move {
            let view = bot
                .blocking({
                    let actor = actor.clone();
                    move |bot| {
                        bot.app
                            .home(&actor, bot.clock.now())
                            .map(|home| home_view(&home))
                    }
                })
                .await;
            match view {
                Ok(view) => {
                    if let Err(e) = bot
                        .api
                        .views_publish(actor.scope.user.as_str(), &view)
                        .await
                    {
                        tracing::warn!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "could not publish the Home tab");
                    }
                }
                Err(e) => {
                    tracing::error!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "could not compose the Home tab")
                }
            }
        });
    }

    fn spawn_export(self: &Arc<Self>, actor: Actor, json: String) {
        let bot = self.clone();
        self.spawn_background("export", async move {
            let result = async {
                let dm = bot.api.open_dm(actor.scope.user.as_str()).await?;
                let date = bot.clock.now().format("%Y-%m-%d");
                bot.api
                    .upload_file(
                        &dm,
                        &format!("twohats-export-{date}.json"),
                        "Your twohats data",
                        json.into_bytes(),
                        "Here's everything twohats keeps about you.",
                    )
                    .await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "export upload failed");
            }
        });
    }

    /// Answers through a `response_url` (Slack accepts a few posts per URL for 30 minutes).
    pub(super) fn spawn_respond(self: &Arc<Self>, url: String, body: Value) {
        let bot = self.clone();
        self.spawn_background("response_url", async move {
            if let Err(e) = bot.api.respond(&url, &body).await {
                tracing::warn!(error = %e, "could not answer through the response_url");
            }
        });
    }

    /// On first contact, a user's Slack profile zone becomes their zone (until `/tlm tz`).
    fn spawn_profile_tz(self: &Arc<Self>, actor: Actor) {
        let bot = self.clone();
        self.spawn_background("profile_tz", async move {
            let tz = match bot.api.user_tz(actor.scope.user.as_str()).await {
                Ok(Some(name)) => name.parse::<chrono_tz::Tz>().ok(),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(user = %actor.scope.user, error = %e, "could not read the profile time zone");
                    None
                }
            };
            let Some(tz) = tz else { return };
            let saved = bot
                .blocking(move |bot| {
                    bot.app
                        .adopt_profile_zone(&actor.scope, tz, bot.clock.now())
                })
                .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, "could not save the profile time zone");
            }
        });
    }
}

/// The verified (team, user) of a request as an actor.
pub(super) fn actor(team: &str, user: &str, name: Option<String>) -> Result<Actor, RequestError> {
    let team = TeamId::parse(team).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let user = UserId::parse(user).map_err(|e| RequestError::Malformed(e.to_string()))?;
    Ok(Actor {
        scope: Scope::new(team, user),
        name,
        profile_tz: None,
        // Nothing checked yet: a command that needs membership fails closed until
        // `check_channel` has asked Slack.
        channels: ChannelAccess::MemberOf(Vec::new()),
    })
}

/// A reply as an ephemeral Block Kit message.
pub fn ephemeral_reply(reply: &Reply) -> Value {
    let doc = reply_doc(reply);
    json!({"response_type": "ephemeral", "text": plain(&doc.fallback), "blocks": message_blocks(&doc)})
}

/// The command word only, for logs: never the rest of the text, which may be a note.
/// The command's name, for logs and metrics: from a fixed set, never the text itself.
fn command_word(text: &str) -> &'static str {
    match text.split_whitespace().next() {
        None => "help",
        Some(word) => crate::command::CommandName::from_word(word).map_or("unknown", |n| n.word()),
    }
}

fn outcome(reply: &Reply) -> &'static str {
    match reply {
        Reply::Invalid { .. } => "invalid",
        Reply::Failed => "failed",
        _ => "ok",
    }
}
