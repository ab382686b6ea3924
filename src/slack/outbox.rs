//! Delivers the outbox to Slack at Slack's pace.
//!
//! One message at a time, oldest first: at most one per channel per second (Slack's
//! `chat.postMessage` limit) and at most [`Pacing::team_per_second`] per workspace. A 429
//! waits its `Retry-After`; a 5xx, network failure or timeout backs off (1 s, 2 s, 4 s …
//! capped at five minutes) up to [`MAX_DELIVERY_ATTEMPTS`]; a refusal (`channel_not_found`, a
//! deactivated user) is recorded as failed and logged, and the rest goes on.
//!
//! The scheduler tick (claiming what is due) and the sender run as two tasks, so a send that
//! takes its whole timeout never delays the next claim. The tick also watches the age of the
//! oldest unsent message ([`Backlog`]): a gauge on `/metrics`, and a warning past
//! [`STUCK_AFTER`].
//!
//! Two windows in which a message can repeat: Slack accepted it and the process died before
//! [`Store::settle`](crate::store::Store::settle) made that durable — one fsync wide; or Slack
//! accepted it but answered after the client's timeout, and it was retried (`chat.postMessage`
//! has no idempotency key).

use super::bot::SlackBot;
use super::client::Failure;
use crate::render::blocks::message_blocks;
use crate::render::text::plain;
use crate::store::{Claim, OutboxItem};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// Transient failures before a message is given up on (about an hour of backoff).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 16;
const MAX_BACKOFF_SECONDS: i64 = 300;

/// How fast the outbox may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Minimum gap between two messages to one channel.
    pub per_channel: Duration,
    /// Messages per second to one workspace.
    pub team_per_second: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            per_channel: Duration::seconds(1),
            team_per_second: 20,
        }
    }
}

/// Remembers when each channel and workspace last got a message.
#[derive(Debug, Default)]
pub struct Pacer {
    pacing: Pacing,
    channel_last: HashMap<String, DateTime<Utc>>,
    team_last: HashMap<String, DateTime<Utc>>,
    /// Set at shutdown: finish the message in hand, start no other.
    stop: Option<watch::Receiver<bool>>,
}

impl Pacer {
    pub fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            ..Self::default()
        }
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    /// When this message may go out, given what was sent before.
    fn slot(&self, item: &OutboxItem) -> DateTime<Utc> {
        let team_gap = Duration::milliseconds(1000 / i64::from(self.pacing.team_per_second.max(1)));
        let channel = self
            .channel_last
            .get(&item.channel)
            .map(|t| *t + self.pacing.per_channel);
        let team = self
            .team_last
            .get(item.team.as_str())
            .map(|t| *t + team_gap);
        [Some(item.not_before), channel, team]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(item.not_before)
    }

    fn sent(&mut self, item: &OutboxItem, at: DateTime<Utc>) {
        self.channel_last.insert(item.channel.clone(), at);
        self.team_last.insert(item.team.to_string(), at);
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
    pub retried: usize,
    /// Due messages held back by pacing, for the next round.
    pub waiting: usize,
    /// When the first of those may go: the sender naps until then, not a fixed while.
    pub next_at: Option<DateTime<Utc>>,
}

/// How many due messages one round reads (oldest first). Pacing sends about one per round
/// when they are all due (20/s per workspace, a round every 50 ms), so a big read is mostly
/// decoded to be held back; a small one bounds what a round holds however long the outbox.
const ROUND_BATCH: usize = 64;

/// How long the sender naps after a round with nothing held back and nothing sent.
const IDLE_NAP: std::time::Duration = std::time::Duration::from_millis(250);
/// After a round that sent something: there may be more due beyond this round's batch.
const BUSY_NAP: std::time::Duration = std::time::Duration::from_millis(10);

/// How long to wait before the next round. A message held back by pacing is sent when its
/// slot comes (at least 1 ms later, so the loop never spins), not after a fixed idle nap —
/// otherwise a 20-per-second workspace drains at a few messages a second.
pub fn nap_after(round: &Round, now: DateTime<Utc>) -> std::time::Duration {
    match round.next_at {
        Some(next) => (next - now)
            .to_std()
            .unwrap_or_default()
            .clamp(std::time::Duration::from_millis(1), IDLE_NAP),
        None if round.sent + round.failed + round.retried > 0 => BUSY_NAP,
        None => IDLE_NAP,
    }
}

/// Sends every due message that pacing allows now. Store errors end the round early and are
/// logged; the messages stay in the outbox.
pub async fn deliver_round(bot: &Arc<SlackBot>, pacer: &mut Pacer) -> Round {
    let mut round = Round::default();
    let now = bot.clock.now();
    let due = match bot
        .blocking(move |bot| bot.app.store().outbox_due(now, ROUND_BATCH))
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "could not read the outbox");
            return round;
        }
    };
    for (id, mut item) in due {
        if pacer.stopping() {
            break;
        }
        let now = bot.clock.now();
        let slot = pacer.slot(&item);
        if slot > now {
            round.waiting += 1;
            round.next_at = Some(round.next_at.map_or(slot, |next| next.min(slot)));
            continue;
        }
        let doc = &item.doc;
        let result = bot
            .api
            .post_message_once(&item.channel, &plain(&doc.fallback), &message_blocks(doc))
            .await;
        let now = bot.clock.now();
        pacer.sent(&item, now);
        let outcome = match result {
            Ok(_) => {
                round.sent += 1;
                Some(Claim::Sent)
            }
            Err(Failure::Refused(code)) => {
                tracing::error!(team = %item.team, channel = %item.channel, code = %code, "Slack refused a scheduled message; giving up on it");
                round.failed += 1;
                Some(Claim::Failed)
            }
            Err(failure) => {
                item.attempts += 1;
                if item.attempts >= MAX_DELIVERY_ATTEMPTS {
                    tracing::error!(team = %item.team, channel = %item.channel, error = %failure, attempts = item.attempts, "a scheduled message kept failing; giving up on it");
                    round.failed += 1;
                    Some(Claim::Failed)
                } else {
                    let wait = retry_wait(&failure, item.attempts);
                    tracing::warn!(team = %item.team, channel = %item.channel, error = %failure, retry_in_s = wait.num_seconds(), "scheduled message will be retried");
                    item.not_before = now + wait;
                    round.retried += 1;
                    None
                }
            }
        };
        let saved = bot
            .blocking(move |bot| match outcome {
                Some(claim) => bot.app.store().settle(id, &item, claim, now),
                None => bot.app.store().reschedule(id, &item),
            })
            .await;
        if let Err(e) = saved {
            tracing::error!(error = %e, "could not record a delivery");
            break;
        }
    }
    round
}

/// How long a message waits before its next attempt after a failure that may pass: a 429's
/// `Retry-After`, else exponential backoff from 1 s (a 5xx, a network error, a timeout).
pub fn retry_wait(failure: &Failure, attempts: u32) -> Duration {
    match failure {
        Failure::RateLimited(after) => Duration::from_std(*after).unwrap_or(Duration::seconds(1)),
        Failure::Refused(_) | Failure::Transient(_) | Failure::TimedOut(_) => {
            Duration::seconds((1i64 << attempts.saturating_sub(1).min(9)).min(MAX_BACKOFF_SECONDS))
        }
    }
}

/// Runs the scheduler and the sender until `stop` flips, as two tasks: ticks (one at start, to
/// catch up on what was missed while down, then every `tick_every`) and delivery rounds. A
/// send stuck for its whole timeout holds up other sends, never the next claim.
pub async fn run(
    bot: Arc<SlackBot>,
    pacing: Pacing,
    tick_every: std::time::Duration,
    stop: watch::Receiver<bool>,
) {
    let ticker = tokio::spawn(tick_loop(bot.clone(), tick_every, stop.clone()));
    send_loop(bot, pacing, stop).await;
    // A tick is store work on a blocking thread, milliseconds: let the one in hand finish.
    if let Err(e) = ticker.await {
        tracing::error!(error = %e, "the scheduler tick task failed");
    }
}

/// Sleeps `nap`, or less if `stop` changes. False when the stop sender is gone.
async fn nap_or_stop(nap: std::time::Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(nap) => true,
        changed = stop.changed() => changed.is_ok(),
    }
}

/// Claims what is due every `tick_every`, and watches how old the oldest unsent message is.
async fn tick_loop(
    bot: Arc<SlackBot>,
    tick_every: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut backlog = Backlog::default();
    loop {
        if *stop.borrow() {
            return;
        }
        let worker = bot.clone();
        let round = tokio::task::spawn_blocking(move || {
            let now = worker.clock.now();
            let report = worker.app.tick(now);
            (report, worker.app.store().outbox_oldest().map(|o| (o, now)))
        })
        .await;
        bot.metrics().scheduler_ticks.inc();
        // A panic outside any one job (reading what is due) ends this round, not the loop:
        // the next round tries again.
        let Ok((report, oldest)) = round else {
            bot.metrics().scheduler_panics.inc();
            tracing::error!("a scheduler round panicked; trying again next round");
            if !nap_or_stop(tick_every, &mut stop).await {
                return;
            }
            continue;
        };
        match report {
            Ok(r) => {
                if r.panicked > 0 {
                    bot.metrics().scheduler_panics.inc_by(r.panicked as u64);
                }
                if r.queued + r.skipped > 0 {
                    tracing::info!(queued = r.queued, skipped = r.skipped, "scheduler tick");
                }
            }
            Err(e) => tracing::error!(error = %e, "scheduler tick failed"),
        }
        match oldest {
            Ok((oldest, now)) => {
                let age = oldest.map(|created| now - created);
                bot.metrics().outbox_oldest_age(age);
                backlog.observe(age);
            }
            Err(e) => tracing::error!(error = %e, "could not read the outbox"),
        }
        if !nap_or_stop(tick_every, &mut stop).await {
            return;
        }
    }
}

/// Delivers the outbox, round after round, until `stop` flips.
async fn send_loop(bot: Arc<SlackBot>, pacing: Pacing, mut stop: watch::Receiver<bool>) {
    let mut pacer = Pacer {
        stop: Some(stop.clone()),
        ..Pacer::new(pacing)
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let round = deliver_round(&bot, &mut pacer).await;
        let nap = nap_after(&round, bot.clock.now());
        if !nap_or_stop(nap, &mut stop).await {
            return;
        }
    }
}

/// The age of the oldest unsent message past which the outbox counts as stuck.
pub const STUCK_AFTER: Duration = Duration::minutes(5);

/// Whether the outbox is stuck: warns once when the oldest unsent message passes
/// [`STUCK_AFTER`], and notes once when it is back under, not on every tick in between.
#[derive(Debug, Default)]
pub struct Backlog {
    stuck: bool,
}

impl Backlog {
    /// Takes the oldest unsent message's age (`None`: the outbox is empty); returns whether
    /// this crossed the line: `Some(true)` on becoming stuck, `Some(false)` on recovering.
    pub fn observe(&mut self, oldest_age: Option<Duration>) -> Option<bool> {
        let stuck = oldest_age.is_some_and(|age| age > STUCK_AFTER);
        if stuck == self.stuck {
            return None;
        }
        self.stuck = stuck;
        match (stuck, oldest_age) {
            (true, Some(age)) => tracing::warn!(
                oldest_age_s = age.num_seconds(),
                "the oldest scheduled message has waited over 5 minutes: is Slack reachable?"
            ),
            _ => tracing::info!("the outbox is moving again"),
        }
        Some(stuck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as StdDuration;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms)
    }

    #[test]
    fn a_paced_message_is_sent_when_its_slot_comes_not_after_an_idle_nap() {
        let held = Round {
            sent: 1,
            waiting: 400,
            next_at: Some(at(50)),
            ..Round::default()
        };
        assert_eq!(nap_after(&held, at(0)), StdDuration::from_millis(50));
        // A slot already past (the round itself took a while) still naps a little.
        assert_eq!(nap_after(&held, at(80)), StdDuration::from_millis(1));
        // A slot far off (a channel's 1 s gap) is rechecked at the idle pace.
        let far = Round {
            next_at: Some(at(5_000)),
            ..Round::default()
        };
        assert_eq!(nap_after(&far, at(0)), IDLE_NAP);
    }

    #[test]
    fn a_timeout_backs_off_like_a_5xx_and_a_429_waits_its_retry_after() {
        let timed_out = Failure::TimedOut(StdDuration::from_secs(10));
        let server_error = Failure::Transient("HTTP status: 503".into());
        for attempts in 1..MAX_DELIVERY_ATTEMPTS {
            assert_eq!(
                retry_wait(&timed_out, attempts),
                retry_wait(&server_error, attempts)
            );
        }
        assert_eq!(retry_wait(&timed_out, 1), Duration::seconds(1));
        assert_eq!(retry_wait(&timed_out, 3), Duration::seconds(4));
        assert_eq!(
            retry_wait(&timed_out, 15),
            Duration::seconds(MAX_BACKOFF_SECONDS)
        );
        assert_eq!(
            retry_wait(&Failure::RateLimited(StdDuration::from_secs(7)), 1),
            Duration::seconds(7)
        );
    }

    #[test]
    fn the_backlog_warns_once_per_crossing() {
        let mut backlog = Backlog::default();
        let minutes = |m| Some(Duration::minutes(m));
        assert_eq!(backlog.observe(None), None);
        assert_eq!(backlog.observe(minutes(1)), None);
        assert_eq!(
            backlog.observe(minutes(5)),
            None,
            "at the line is not past it"
        );
        assert_eq!(
            backlog.observe(minutes(6)),
            Some(true),
            "crossed: one warning"
        );
        assert_eq!(backlog.observe(minutes(7)), None, "still stuck: quiet");
        assert_eq!(backlog.observe(minutes(60)), None);
        assert_eq!(backlog.observe(None), Some(false), "drained");
        assert_eq!(backlog.observe(None), None);
        assert_eq!(
            backlog.observe(minutes(6)),
            Some(true),
            "stuck again: warned again"
        );
        assert_eq!(backlog.observe(minutes(2)), Some(false), "a younger oldest");
    }

    #[test]
    fn nothing_held_back_naps_short_after_progress_and_long_when_idle() {
        let busy = Round {
            sent: 3,
            ..Round::default()
        };
        assert_eq!(nap_after(&busy, at(0)), BUSY_NAP);
        assert_eq!(nap_after(&Round::default(), at(0)), IDLE_NAP);
    }
}
