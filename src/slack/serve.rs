//! `twohats serve`: open the store, build the bot, run Socket Mode or HTTP mode until
//! SIGTERM or Ctrl-C, then flush.

use super::bot::SlackBot;
use super::client::SlackWebApi;
use super::config::{Mode, ServeConfig};
use super::outbox::Pacing;
use crate::app::clock::SystemClock;
use crate::app::App;
use crate::store::{Store, StoreError};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// How often the scheduler looks for due jobs. Schedules are per minute, so twice a minute
/// sends within 30 s of the set time.
pub const TICK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

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
    #[error("Socket Mode could not connect to Slack: {0} (check SLACK_APP_TOKEN)")]
    Socket(String),
    #[error("the HTTP server stopped: {0}")]
    Server(std::io::Error),
}

pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    // rustls needs one process-wide crypto provider; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = Arc::new(Store::open(&config.data_dir)?);
    let app = App::new(store.clone(), config.default_tz);
    let api = SlackWebApi::new(&config.api_url, &config.bot_token).map_err(ServeError::Client)?;
    let bot = SlackBot::new(app, Arc::new(SystemClock), api);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Server)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(super::outbox::run(
        bot.clone(),
        Pacing::default(),
        TICK_EVERY,
        stopped,
    ));

    match &config.mode {
        Mode::Http { signing_secret } => {
            tracing::info!(%addr, "twohats serving Slack over HTTP");
            axum::serve(
                listener,
                super::http::router(bot.clone(), signing_secret.clone()),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(ServeError::Server)?;
        }
        Mode::Socket { app_token } => {
            let socket = super::socket::listen(bot.clone(), app_token)
                .await
                .map_err(|e| ServeError::Socket(e.to_string()))?;
            tracing::info!(%addr, "twohats connected to Slack in Socket Mode; health on HTTP");
            let health = Router::new().route("/healthz", get(|| async { "ok" }));
            axum::serve(listener, health)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(ServeError::Server)?;
            socket.shutdown().await;
        }
    }
    // Let the sender finish the message in hand, then stop.
    let _ = stop.send(true);
    let _ = scheduler.await;
    tokio::task::spawn_blocking(move || store.durable())
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
