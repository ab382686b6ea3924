//! Delivers the outbox to Slack at Slack's pace.
//!
//! One message at a time, oldest first: at most one per channel per second (Slack's
//! `chat.postMessage` limit) and at most [`Pacing::team_per_second`] per workspace. A 429
//! waits its `Retry-After`; a 5xx or network failure backs off (1 s, 2 s, 4 s … capped at five
//! minutes) up to [`MAX_DELIVERY_ATTEMPTS`]; a refusal (`channel_not_found`, a deactivated
//! user) is recorded as failed and logged, and the rest goes on.
//!
//! The one window in which a message can repeat: Slack accepted it and the process died
//! before [`Store::settle`](crate::store::Store::settle) made that durable — one fsync wide.

use super::bot::SlackBot;
use super::client::Failure;
use crate::render::blocks::message_blocks;
use crate::render::text::plain;
use crate::store::{Claim, OutboxItem};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;

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
    stop: Option<tokio::sync::watch::Receiver<bool>>,
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
        .blocking(move |bot| bot.app.store().outbox_due(now, 500))
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
                    let wait = match failure {
                        Failure::RateLimited(after) => {
                            Duration::from_std(after).unwrap_or(Duration::seconds(1))
                        }
                        _ => Duration::seconds(
                            (1i64 << (item.attempts - 1).min(9)).min(MAX_BACKOFF_SECONDS),
                        ),
                    };
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

/// Runs the scheduler and the sender until `stop` flips: a tick at start (to catch up on
/// what was missed while down) and every `tick_every`, delivery rounds in between.
pub async fn run(
    bot: Arc<SlackBot>,
    pacing: Pacing,
    tick_every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut pacer = Pacer {
        stop: Some(stop.clone()),
        ..Pacer::new(pacing)
    };
    let mut next_tick = tokio::time::Instant::now();
    loop {
        if *stop.borrow() {
            return;
        }
        if tokio::time::Instant::now() >= next_tick {
            let report = bot.blocking(|bot| bot.app.tick(bot.clock.now())).await;
            match report {
                Ok(r) if r.queued + r.skipped > 0 => {
                    tracing::info!(queued = r.queued, skipped = r.skipped, "scheduler tick")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduler tick failed"),
            }
            next_tick = tokio::time::Instant::now() + tick_every;
        }
        let round = deliver_round(&bot, &mut pacer).await;
        let nap = nap_after(&round, bot.clock.now());
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            _ = stop.changed() => {}
        }
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
    fn nothing_held_back_naps_short_after_progress_and_long_when_idle() {
        let busy = Round {
            sent: 3,
            ..Round::default()
        };
        assert_eq!(nap_after(&busy, at(0)), BUSY_NAP);
        assert_eq!(nap_after(&Round::default(), at(0)), IDLE_NAP);
    }
}
