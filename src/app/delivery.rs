//! Delivering the outbox: one loop, whatever carries the messages. Slack and the console
//! each implement [`Messenger`] ("send this message"); [`App::deliver_round`] decides what
//! goes when, and records how it ended.
//!
//! One message at a time, oldest claim first: at most one per channel per
//! [`Pacing::per_channel`] (Slack's `chat.postMessage` allows one a second) and at most
//! [`Pacing::team_per_second`] per workspace. A rate limit waits its `Retry-After`; any
//! other failure that may pass backs off (1 s, 2 s, 4 s … capped at five minutes) up to
//! [`MAX_DELIVERY_ATTEMPTS`]; a refusal is recorded as failed and logged, and the rest goes
//! on.
//!
//! Two windows in which a message can repeat: the receiver accepted it and the process died
//! before `settle` made that durable — one fsync wide; or it accepted it but answered after
//! the messenger gave up waiting, and it was tried again (`chat.postMessage` has no
//! idempotency key).

use super::App;
pub use crate::store::OutboxItem;
use crate::store::{Claim, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Transient failures before a message is given up on (about an hour of backoff).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 16;
const MAX_BACKOFF_SECONDS: i64 = 300;

/// How many due messages one round reads (oldest first). Pacing sends about one per round
/// when they are all due (20/s per workspace, a round every 50 ms), so a big read is mostly
/// decoded to be held back; a small one bounds what a round holds however long the outbox.
pub const ROUND_BATCH: usize = 64;

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq)]
pub enum SendFailure {
    /// Refused for good (Slack's `ok: false`, e.g. `channel_not_found`): the same message
    /// would fail again.
    Refused(String),
    /// Rate limited: try again after this long.
    RateLimited(std::time::Duration),
    /// A failure that may pass (a 5xx, the network, no answer in time): back off and retry.
    Transient(String),
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendFailure::Refused(code) => write!(f, "refused: {code}"),
            SendFailure::RateLimited(after) => write!(f, "rate limited for {after:?}"),
            SendFailure::Transient(why) => f.write_str(why),
        }
    }
}

/// Carries messages to people: Slack's Web API, or the console's printer.
pub trait Messenger {
    /// Sends one message; `Ok` once the receiver has it.
    fn send(&mut self, message: &OutboxItem) -> Result<(), SendFailure>;

    /// Whether to start no other send (shutting down): the message in hand is finished.
    fn stopping(&self) -> bool {
        false
    }
}

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

impl Pacing {
    /// No pacing at all: the console prints everything due at once.
    pub fn unpaced() -> Self {
        Self {
            per_channel: Duration::zero(),
            team_per_second: u32::MAX,
        }
    }
}

/// Remembers when each channel and workspace last got a message.
#[derive(Debug, Default)]
pub struct Pacer {
    pacing: Pacing,
    channel_last: HashMap<String, DateTime<Utc>>,
    team_last: HashMap<String, DateTime<Utc>>,
}

impl Pacer {
    pub fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            ..Self::default()
        }
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

impl App {
    /// Sends every due message that pacing allows now (at most [`ROUND_BATCH`] read), each
    /// settled or rescheduled before the next goes. `now` is read before each step, so a
    /// slow send moves the clock on. A store error ends the round; the messages stay queued.
    pub fn deliver_round(
        &self,
        messenger: &mut dyn Messenger,
        pacer: &mut Pacer,
        now: &dyn Fn() -> DateTime<Utc>,
    ) -> Result<Round, StoreError> {
        let mut round = Round::default();
        // Taken and leased: what this round doesn't send goes back (`release`), else no one
        // could take it until the lease ran out.
        let mut due = self.store.outbox_due(now(), ROUND_BATCH)?.into_iter();
        while let Some((id, mut item)) = due.next() {
            if messenger.stopping() {
                for (id, _) in std::iter::once((id, item)).chain(due) {
                    self.store.release(id)?;
                }
                break;
            }
            let slot = pacer.slot(&item);
            if slot > now() {
                self.store.release(id)?;
                round.waiting += 1;
                round.next_at = Some(round.next_at.map_or(slot, |next| next.min(slot)));
                continue;
            }
            let result = messenger.send(&item);
            let at = now();
            pacer.sent(&item, at);
            let outcome = match result {
                Ok(()) => {
                    round.sent += 1;
                    Some(Claim::Sent)
                }
                Err(SendFailure::Refused(code)) => {
                    tracing::error!(team = %item.team, channel = %item.channel, code = %code, "a scheduled message was refused; giving up on it");
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
                        item.not_before = at + wait;
                        round.retried += 1;
                        None
                    }
                }
            };
            match outcome {
                Some(claim) => self.store.settle(id, &item, claim, at)?,
                None => self.store.reschedule(id, &item)?,
            }
        }
        Ok(round)
    }

    /// Hands every message due at `now` to `deliver` and records it as sent, however many
    /// there are, unpaced: the console's `:tick`, and tests.
    pub fn drain_outbox_to(
        &self,
        now: DateTime<Utc>,
        deliver: impl FnMut(&OutboxItem),
    ) -> Result<usize, StoreError> {
        let mut messenger = Accepting(deliver);
        let mut pacer = Pacer::new(Pacing::unpaced());
        let mut n = 0;
        loop {
            let round = self.deliver_round(&mut messenger, &mut pacer, &|| now)?;
            if round.sent == 0 {
                return Ok(n);
            }
            n += round.sent;
        }
    }
}

/// A messenger that takes every message: a closure that prints or collects it.
struct Accepting<F>(F);

impl<F: FnMut(&OutboxItem)> Messenger for Accepting<F> {
    fn send(&mut self, message: &OutboxItem) -> Result<(), SendFailure> {
        (self.0)(message);
        Ok(())
    }
}

/// How long a message waits before its next attempt after a failure that may pass: a rate
/// limit's `Retry-After`, else exponential backoff from 1 s.
pub fn retry_wait(failure: &SendFailure, attempts: u32) -> Duration {
    match failure {
        SendFailure::RateLimited(after) => {
            Duration::from_std(*after).unwrap_or(Duration::seconds(1))
        }
        SendFailure::Refused(_) | SendFailure::Transient(_) => {
            Duration::seconds((1i64 << attempts.saturating_sub(1).min(9)).min(MAX_BACKOFF_SECONDS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as StdDuration;

    #[test]
    fn backoff_doubles_from_a_second_up_to_five_minutes_and_a_rate_limit_waits_its_retry_after() {
        let transient = SendFailure::Transient("HTTP status: 503".into());
        assert_eq!(retry_wait(&transient, 1), Duration::seconds(1));
        assert_eq!(retry_wait(&transient, 3), Duration::seconds(4));
        assert_eq!(
            retry_wait(&transient, 15),
            Duration::seconds(MAX_BACKOFF_SECONDS)
        );
        assert_eq!(
            retry_wait(&SendFailure::RateLimited(StdDuration::from_secs(7)), 1),
            Duration::seconds(7)
        );
    }
}
