//! Socket Mode: slack-morphism keeps the websocket (connect with the app-level token,
//! reconnect, acknowledge envelopes); each envelope goes to the same [`SlackBot`] entry
//! points as HTTP mode, converted to and from the JSON shapes Slack uses on both transports.

use super::bot::{Ack, SlackBot, SlashCommand};
use super::config::Secret;
use serde_json::{json, Value};
use slack_morphism::prelude::*;
use std::sync::Arc;

/// Connects and serves until the returned future is dropped or the connection manager stops.
pub async fn listen(
    bot: Arc<SlackBot>,
    app_token: &Secret,
) -> Result<
    SlackClientSocketModeListener<SlackClientHyperHttpsConnector>,
    slack_morphism::errors::SlackClientError,
> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_push_event);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(bot.api.client())
            .with_error_handler(on_error)
            .with_user_state(bot.clone()),
    );
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new(),
        environment,
        callbacks,
    );
    let token = SlackApiToken::new(SlackApiTokenValue::new(app_token.expose().to_string()));
    listener.listen_for(&token).await?;
    listener.start().await;
    // Slack accepted the app token and handed out a websocket: ready. (slack-morphism keeps
    // the socket up and reconnects on its own; its hello event type isn't public, so this
    // is the last point we can observe.)
    bot.mark_connected();
    Ok(listener)
}

async fn bot_of(states: &SlackClientEventsUserState) -> Option<Arc<SlackBot>> {
    states
        .read()
        .await
        .get_user_state::<Arc<SlackBot>>()
        .cloned()
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackClient<SlackClientHyperHttpsConnector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let bot = bot_of(&states).await.ok_or("twohats: no bot state")?;
    let started = std::time::Instant::now();
    let cmd = SlashCommand {
        team_id: event.team_id.to_string(),
        user_id: event.user_id.to_string(),
        user_name: None,
        text: event.text.unwrap_or_default(),
        trigger_id: event.trigger_id.to_string(),
    };
    let ack = bot.command(cmd).await?;
    bot.metrics()
        .ack("socket_commands", started.elapsed().as_secs_f64());
    match ack {
        Ack::Json(body) => Ok(serde_json::from_value(body)?),
        // Slack shows nothing for an empty command response: the modal opening is the answer.
        Ack::Empty => Ok(SlackCommandEventResponse::new(SlackMessageContent::new())),
    }
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<SlackClientHyperHttpsConnector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let bot = bot_of(&states).await.ok_or("twohats: no bot state")?;
    match bot.interaction(serde_json::to_value(&event)?).await? {
        Ack::Json(body) => Ok(SlackInteractionResponse::ViewSubmission(
            serde_json::from_value(body)?,
        )),
        Ack::Empty => Ok(SlackInteractionResponse::Empty),
    }
}

async fn on_push_event(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<SlackClientHyperHttpsConnector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let bot = bot_of(&states).await.ok_or("twohats: no bot state")?;
    let envelope: Value = json!({
        "type": "event_callback",
        "team_id": event.team_id.to_string(),
        "event_id": event.event_id.to_string(),
        "event": serde_json::to_value(&event.event)?,
    });
    bot.event(envelope).await?;
    Ok(())
}

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackClient<SlackClientHyperHttpsConnector>>,
    _states: SlackClientEventsUserState,
) -> axum::http::StatusCode {
    tracing::error!(error = %err, "Socket Mode handler failed");
    axum::http::StatusCode::OK
}
