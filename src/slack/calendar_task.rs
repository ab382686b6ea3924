//! `serve`'s calendar refresh task: every few minutes, the users whose weekly summary is
//! due within the hour (or who have no figures yet) have their feed fetched — here, not in
//! the scheduler's tick, so a slow or hanging feed never delays a claim or a summary. A
//! series newly offered as a 1:1 is asked about in a DM with Yes / No buttons.

use super::bot::SlackBot;
use crate::app::FetchPolicy;
use crate::app::Refreshed;
use crate::domain::ids::Scope;
use crate::render::blocks::message_blocks;
use crate::render::calendar::offer_doc;
use chrono::Duration;
use std::sync::Arc;
use tokio::sync::watch;

/// How often the task looks for calendars to refresh.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(300);
/// Summaries due within this are refreshed for.
const AHEAD_MINUTES: i64 = 60;

/// Refreshes one user's calendar (at most hourly) and asks about newly offered series.
async fn refresh_one(bot: &Arc<SlackBot>, scope: &Scope, policy: &FetchPolicy) {
    let now = bot.clock.now();
    match bot.app.refresh_calendar(scope, now, policy).await {
        Ok(Refreshed::Updated { offered, .. }) => {
            for offer in offered {
                let doc = offer_doc(&offer.with);
                if let Err(e) = bot
                    .api
                    .post_message(scope.user.as_str(), &doc.fallback, &message_blocks(&doc))
                    .await
                {
                    tracing::warn!(team = %scope.team, user = %scope.user, error = %e, "could not ask about a 1:1 series");
                }
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(team = %scope.team, user = %scope.user, error = %e, "calendar refresh failed")
        }
    }
}

impl SlackBot {
    /// Right after a link or a yes: read the calendar now, in the background (bounded like
    /// all background work), so figures and offers don't wait for the next round.
    pub(super) fn spawn_calendar_refresh(self: &Arc<Self>, scope: Scope) {
        let bot = self.clone();
        self.spawn_background("calendar", async move {
            refresh_one(&bot, &scope, &FetchPolicy::from_env()).await;
        });
    }
}

/// Runs until `stop` flips.
pub async fn refresh_calendars(
    bot: Arc<SlackBot>,
    every: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let policy = FetchPolicy::from_env();
    loop {
        if *stop.borrow() {
            return;
        }
        let worker = bot.clone();
        let due = tokio::task::spawn_blocking(move || {
            worker
                .app
                .calendars_due(worker.clock.now(), Duration::minutes(AHEAD_MINUTES))
        })
        .await;
        match due {
            Ok(Ok(scopes)) => {
                for scope in scopes {
                    if *stop.borrow() {
                        return;
                    }
                    refresh_one(&bot, &scope, &policy).await;
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "could not list calendars to refresh"),
            Err(_) => tracing::error!("listing calendars to refresh panicked"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
    }
}

/// Whether a reply is to a link or a yes: the calendar is read right away.
pub(super) fn reads_calendar_now(reply: &crate::app::Reply) -> bool {
    use crate::domain::calendar::CalendarReply;
    matches!(
        reply,
        crate::app::Reply::Calendar(
            CalendarReply::Linked { .. } | CalendarReply::Answered { yes: true, .. }
        )
    )
}
