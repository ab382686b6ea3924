//! GitHub inside `serve`: its configuration (`GITHUB_TOKEN`, `GITHUB_API_URL`) and the
//! refresh task that fetches linked users' figures ahead of their weekly summaries.
//!
//! The task is separate from the scheduler's tick: a summary reads what is stored, so a slow
//! or failing GitHub never delays one. Each round runs on the blocking pool (the client is
//! blocking, each call bounded), refreshing users whose summary is due within the hour.

use super::config::{ConfigError, Secret};
use crate::app::clock::Clock;
use crate::app::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";

/// GitHub for the whole workspace; `None` in `ServeConfig` when `GITHUB_TOKEN` is unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub token: Secret,
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_url: String,
}

/// Reads `GITHUB_TOKEN` and `GITHUB_API_URL` through `get` (empty values are unset).
pub fn github_config(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<GithubConfig>, ConfigError> {
    let Some(token) = get("GITHUB_TOKEN") else {
        return Ok(None);
    };
    let api_url = get("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_GITHUB_API_URL.into());
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(ConfigError::BadGithubApiUrl(api_url));
    }
    Ok(Some(GithubConfig {
        token: Secret::new(token),
        api_url: api_url.trim_end_matches('/').to_string(),
    }))
}

/// The App with the GitHub client when configured.
pub fn with_github(app: App, config: Option<&GithubConfig>) -> std::io::Result<App> {
    Ok(match config {
        Some(c) => app.with_github(Arc::new(crate::github::GithubClient::new(
            &c.api_url,
            c.token.expose(),
            crate::github::Timeouts::default(),
        )?)),
        None => app,
    })
}

/// Every `every` (ten scheduler ticks in `serve`), refreshes the figures of linked users whose summary is due within the
/// hour, until `stop` flips. One round at a time.
pub async fn refresh_loop(
    app: App,
    clock: Arc<dyn Clock>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let ahead = chrono::Duration::minutes(crate::app::github::REFRESH_AHEAD_MINUTES);
    loop {
        if *stop.borrow() {
            return;
        }
        let (app, clock) = (app.clone(), clock.clone());
        let round =
            tokio::task::spawn_blocking(move || app.refresh_github_due(clock.now(), ahead)).await;
        match round {
            Ok(refreshed) if refreshed > 0 => tracing::info!(refreshed, "GitHub figures refreshed"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "a GitHub refresh round failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
    }
}

/// After `/tlm summary`: refreshes that user's figures in the background if they are stale
/// (`App::refresh_github` does nothing when GitHub is off, the user isn't linked, or the last
/// fetch is under an hour old), on the blocking pool, within the bot's background limits.
pub(super) fn spawn_refresh(bot: &Arc<super::bot::SlackBot>, actor: crate::app::Actor) {
    let worker = bot.clone();
    bot.spawn_background("github_refresh", async move {
        let refreshed = worker
            .blocking(move |bot| bot.app().refresh_github(&actor.scope, bot.clock.now()))
            .await;
        if let Err(e) = refreshed {
            tracing::warn!(error = %e, "could not refresh GitHub figures after a summary");
        }
    });
}
