//! `twohats serve`: open the store, build the bot, run Socket Mode or HTTP mode (and the
//! scheduler, and scheduled backups when `TWOHATS_BACKUP_DIR` is set) until SIGTERM or
//! Ctrl-C, then flush.

use super::bot::SlackBot;
use super::client::SlackWebApi;
use super::config::{Mode, ServeConfig};
use super::incoming::Limits;
use crate::app::clock::SystemClock;
use crate::app::delivery::Pacing;
use crate::app::{App, StoreError};
use std::sync::Arc;

/// How long shutdown waits for in-flight work before flushing and exiting anyway. Below the
/// 30 s default of Kubernetes and under systemd's TimeoutStopSec in deploy/.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not listen on {addr}: {source} (set TWOHATS_LISTEN to a free address)")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("could not build the Slack client: {0}")]
    Client(std::io::Error),
    #[error("could not build the GitHub client: {0}")]
    GithubClient(std::io::Error),
    #[error("Socket Mode could not connect to Slack: {0} (check SLACK_APP_TOKEN)")]
    Socket(String),
    #[error("the HTTP server stopped: {0}")]
    Server(std::io::Error),
    #[error("TWOHATS_BACKUP_DIR {}: cannot keep backups there: {source}", .path.display())]
    BackupDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    // rustls needs one process-wide crypto provider; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = App::open_in(
        &config.data_dir,
        config.database_url.as_ref().map(|url| url.expose()),
        config.default_tz,
    )?;
    let app = super::github::with_github(app, config.github.as_ref())
        .map_err(ServeError::GithubClient)?;
    if let Some(backups) = &config.backups {
        super::backups::prepare(&backups.dir).map_err(|source| ServeError::BackupDir {
            path: backups.dir.clone(),
            source,
        })?;
    }
    let api = SlackWebApi::with_timeouts(&config.api_url, &config.bot_token, config.slack_timeouts)
        .map_err(ServeError::Client)?;
    let clock: Arc<dyn crate::app::clock::Clock> = Arc::new(SystemClock);
    let bot = SlackBot::new(app, clock.clone(), api);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Server)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);

    // The HTTP side first, so /healthz answers while Socket Mode connects.
    let (routes, socket_mode) = match &config.mode {
        Mode::Http { signing_secret } => (
            super::http::router(bot.clone(), signing_secret.clone()),
            false,
        ),
        Mode::Socket { .. } => (super::http::ops_router(bot.clone(), true), true),
    };
    let limits = Limits::new(config.http_timeout);
    let server = tokio::spawn(super::incoming::serve(
        listener,
        routes,
        limits,
        stopped.clone(),
    ));
    // The scheduler after the listener: its first tick (catching up on a whole store) is
    // background work and must not hold up the first answer to a health probe.
    let scheduler = tokio::spawn(super::scheduler_tasks::schedule_and_deliver(
        bot.clone(),
        Pacing::default(),
        config.tick_every,
        stopped.clone(),
    ));
    // Calendar feeds are fetched by their own task, never inside a tick.
    let calendars = tokio::spawn(super::calendar_task::refresh_calendars(
        bot.clone(),
        super::calendar_task::EVERY,
        stopped.clone(),
    ));
    // GitHub figures ahead of summaries: its own task, so GitHub never delays a tick.
    let github = config.github.is_some().then(|| {
        tokio::spawn(super::github::refresh_loop(
            bot.app().clone(),
            clock.clone(),
            // Every 5 minutes by default: a summary's figures need only be within its hour,
            // and each round reads every user's record, as a tick does.
            config.tick_every * 10,
            stopped.clone(),
        ))
    });
    // Backups on the blocking pool, their own task: neither the scheduler nor the sender
    // ever waits for one.
    let backups = config.backups.clone().map(|backups| {
        tokio::spawn(super::backups::take_backups(
            bot.app().clone(),
            bot.metrics.clone(),
            backups,
            stopped.clone(),
        ))
    });
    tracing::info!(
        %addr,
        socket_mode,
        max_connections = limits.max_connections,
        http_timeout_ms = limits.timeout.as_millis() as u64,
        slack_timeout_ms = config.slack_timeouts.call.as_millis() as u64,
        "twohats serving"
    );
    let socket = match &config.mode {
        Mode::Socket { app_token } => Some(
            super::socket::listen(bot.clone(), app_token)
                .await
                .map_err(|e| ServeError::Socket(e.to_string()))?,
        ),
        Mode::Http { .. } => None,
    };

    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests and the message in hand");
    let _ = stop.send(true);
    // In-flight handlers and the sender's current message get SHUTDOWN_GRACE, then we flush
    // and leave regardless: a service manager's patience is finite.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        let _ = server.await;
        let _ = scheduler.await;
        let _ = calendars.await;
        // A backup in progress gives up (its temporary file removed) rather than hold this up.
        if let Some(backups) = backups {
            let _ = backups.await;
        }
        if let Some(github) = github {
            let _ = github.await;
        }
        if let Some(socket) = socket {
            socket.shutdown().await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            grace_s = SHUTDOWN_GRACE.as_secs(),
            "shutdown grace ran out; flushing and exiting"
        );
    }
    let app = bot.app().clone();
    tokio::task::spawn_blocking(move || app.flush())
        .await
        .map_err(|e| ServeError::Server(std::io::Error::other(e)))??;
    tracing::info!("twohats stopped");
    Ok(())
}

/// Resolves on SIGTERM (how service managers stop us) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
