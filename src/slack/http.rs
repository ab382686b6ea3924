//! HTTP mode: axum routes Slack POSTs to, each verified before it is read.
//!
//! `POST /slack/commands`, `/slack/events`, `/slack/interactivity`; `GET /healthz`. An
//! unsigned, wrongly signed or stale request gets 401 and changes nothing; a body over
//! [`MAX_BODY_BYTES`] gets 413; a payload that isn't Slack's shape gets 400. Time and
//! connection limits are the accept loop's (`incoming.rs`), the same for every route.

use super::bot::{Ack, RequestError, SlackBot, SlashCommand};
use super::verify::verify;
use crate::slack::config::Secret;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// Slack's largest payloads (a modal submission with long notes) are a few tens of KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
struct Http {
    bot: Arc<SlackBot>,
    signing_secret: Secret,
}

/// HTTP mode: the Slack routes and the operations routes.
pub fn router(bot: Arc<SlackBot>, signing_secret: Secret) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/events", post(events))
        .route("/slack/interactivity", post(interactivity))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Http {
            bot: bot.clone(),
            signing_secret,
        })
        .merge(ops_router(bot, false))
}

/// `GET /healthz` (the process is up), `/readyz` (the store answers; in Socket Mode, the
/// connection to Slack is set up), `/metrics` (Prometheus text). Served in both modes.
pub fn ops_router(bot: Arc<SlackBot>, socket_mode: bool) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move |State(bot): State<Arc<SlackBot>>| async move {
                // A remote store's check is a round trip: not on an async worker.
                let ready = if bot.app().store_is_remote() {
                    bot.blocking(move |bot| bot.readiness(socket_mode)).await
                } else {
                    bot.readiness(socket_mode)
                };
                match ready {
                    Ok(()) => (StatusCode::OK, "ready".to_string()),
                    Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
                }
            }),
        )
        .route(
            "/metrics",
            get(|State(bot): State<Arc<SlackBot>>| async move {
                // A remote store's reads are round trips: not on an async worker.
                let read = |bot: &SlackBot| (bot.app().store_stats(), bot.app().outbox_oldest());
                let ((stats, depth), oldest) = if bot.app().store_is_remote() {
                    bot.blocking(read).await
                } else {
                    read(&bot)
                };
                bot.metrics().observe_flushes(stats);
                bot.metrics()
                    .outbox_depth
                    .set(i64::try_from(depth).unwrap_or(i64::MAX));
                // One row read; on a store error the tick's last reading stays.
                if let Ok(oldest) = oldest {
                    let now = bot.clock.now();
                    bot.metrics()
                        .outbox_oldest_age(oldest.map(|created| now - created));
                }
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    bot.metrics().encode(),
                )
            }),
        )
        .with_state(bot)
}

async fn commands(State(http): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    timed(&http, "commands", commands_inner(&http, &headers, &body)).await
}

async fn commands_inner(http: &Http, headers: &HeaderMap, body: &Bytes) -> Response {
    if let Err(denied) = authenticate(http, headers, body) {
        return denied.into_response();
    }
    let Ok(cmd) = serde_urlencoded::from_bytes::<SlashCommand>(body) else {
        return bad_request("not a slash command form");
    };
    respond(http.bot.command(cmd).await)
}

async fn events(State(http): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    timed(&http, "events", events_inner(&http, &headers, &body)).await
}

async fn events_inner(http: &Http, headers: &HeaderMap, body: &Bytes) -> Response {
    if let Err(denied) = authenticate(http, headers, body) {
        return denied.into_response();
    }
    let Ok(envelope) = serde_json::from_slice::<Value>(body) else {
        return bad_request("not JSON");
    };
    respond(http.bot.event(envelope).await)
}

async fn interactivity(State(http): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    timed(
        &http,
        "interactivity",
        interactivity_inner(&http, &headers, &body),
    )
    .await
}

async fn interactivity_inner(http: &Http, headers: &HeaderMap, body: &Bytes) -> Response {
    if let Err(denied) = authenticate(http, headers, body) {
        return denied.into_response();
    }
    #[derive(serde::Deserialize)]
    struct Form {
        payload: String,
    }
    let Some(payload) = serde_urlencoded::from_bytes::<Form>(body)
        .ok()
        .and_then(|f| serde_json::from_str::<Value>(&f.payload).ok())
    else {
        return bad_request("no interaction payload");
    };
    respond(http.bot.interaction(payload).await)
}

/// Runs a handler and records how long Slack waited for its answer.
async fn timed(
    http: &Http,
    route: &str,
    handler: impl std::future::Future<Output = Response>,
) -> Response {
    let started = Instant::now();
    let response = handler.await;
    http.bot
        .metrics()
        .ack(route, started.elapsed().as_secs_f64());
    response
}

/// A request that failed verification: 401, and nothing else happens.
struct Unauthorized;

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        (StatusCode::UNAUTHORIZED, "unverified request").into_response()
    }
}

fn authenticate(http: &Http, headers: &HeaderMap, body: &[u8]) -> Result<(), Unauthorized> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = http.bot.now_unix();
    verify(
        http.signing_secret.expose(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    )
    .map_err(|e| {
        tracing::warn!(reason = %e, "rejected an unverified request");
        Unauthorized
    })
}

fn respond(result: Result<Ack, RequestError>) -> Response {
    match result {
        Ok(Ack::Empty) => StatusCode::OK.into_response(),
        Ok(Ack::Json(body)) => Json(body).into_response(),
        Err(e) => bad_request(&e.to_string()),
    }
}

fn bad_request(why: &str) -> Response {
    tracing::warn!(why, "bad request");
    (StatusCode::BAD_REQUEST, why.to_string()).into_response()
}
