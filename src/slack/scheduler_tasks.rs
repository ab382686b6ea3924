//! `serve`'s two scheduler tasks: the tick (claiming what is due, `App::tick`) and the sender
//! (`App::deliver_round`, with Slack as its [`Messenger`]), until shutdown.
//!
//! They are two tasks, so a send that takes its whole timeout never delays the next claim.
//! The sender is one blocking thread for the life of `serve`: a round reads and settles
//! messages in the store (a settle waits for its fsync), and each Web API call is awaited
//! there on the runtime's handle. The tick also watches the age of the oldest unsent message
//! ([`Backlog`]): a gauge on `/metrics`, and a warning past [`STUCK_AFTER`].

use super::bot::SlackBot;
use super::client::Failure;
use crate::app::delivery::{Messenger, OutboxItem, Pacer, Pacing, Round, SendFailure};
use crate::render::blocks::message_blocks;
use crate::render::text::plain;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::sync::watch;

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

/// Slack as the outbox's messenger: `chat.postMessage`, once per attempt (the delivery loop
/// decides about retries), awaited on the runtime from the sender's blocking thread.
struct SlackMessenger {
    bot: Arc<SlackBot>,
    runtime: Handle,
    stop: watch::Receiver<bool>,
}

impl Messenger for SlackMessenger {
    fn send(&mut self, message: &OutboxItem) -> Result<(), SendFailure> {
        let doc = &message.doc;
        let sent = self.runtime.block_on(self.bot.api.post_message_once(
            &message.channel,
            &plain(&doc.fallback),
            &message_blocks(doc),
        ));
        sent.map(drop).map_err(|failure| match failure {
            Failure::Refused(code) => SendFailure::Refused(code),
            Failure::RateLimited(after) => SendFailure::RateLimited(after),
            other @ (Failure::Transient(_) | Failure::TimedOut(_)) => {
                SendFailure::Transient(other.to_string())
            }
        })
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

/// One delivery round with Slack as the messenger, on a blocking thread: what the sender
/// does each round (tests step it with this).
pub async fn deliver_round(bot: &Arc<SlackBot>, pacer: &mut Pacer) -> Round {
    let (bot, mut taken) = (bot.clone(), std::mem::take(pacer));
    let runtime = Handle::current();
    let (_keep, stop) = watch::channel(false);
    let (round, taken) = tokio::task::spawn_blocking(move || {
        let mut messenger = SlackMessenger {
            bot: bot.clone(),
            runtime,
            stop,
        };
        let round = bot
            .app
            .deliver_round(&mut messenger, &mut taken, &|| bot.clock.now())
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "could not deliver from the outbox");
                Round::default()
            });
        (round, taken)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    *pacer = taken;
    round
}

/// Runs the scheduler and the sender until `stop` flips, as two tasks: ticks (one at start, to
/// catch up on what was missed while down, then every `tick_every`) and delivery rounds. A
/// send stuck for its whole timeout holds up other sends, never the next claim.
pub async fn schedule_and_deliver(
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
            (report, worker.app.outbox_oldest().map(|o| (o, now)))
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

/// Delivers the outbox, round after round, until `stop` flips: on a blocking thread of its
/// own, since a round does store work between sends.
async fn send_loop(bot: Arc<SlackBot>, pacing: Pacing, stop: watch::Receiver<bool>) {
    let runtime = Handle::current();
    let sender = tokio::task::spawn_blocking(move || {
        let mut messenger = SlackMessenger {
            bot: bot.clone(),
            runtime: runtime.clone(),
            stop: stop.clone(),
        };
        let mut stop = stop;
        let mut pacer = Pacer::new(pacing);
        let now = || bot.clock.now();
        loop {
            if *stop.borrow() {
                return;
            }
            let round = bot
                .app
                .deliver_round(&mut messenger, &mut pacer, &now)
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "could not deliver from the outbox");
                    Round::default()
                });
            let nap = nap_after(&round, now());
            if !runtime.block_on(nap_or_stop(nap, &mut stop)) {
                return;
            }
        }
    });
    if let Err(e) = sender.await {
        tracing::error!(error = %e, "the outbox sender stopped");
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
