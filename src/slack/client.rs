//! Outbound Slack Web API calls, through slack-morphism's client, with the retries Slack
//! expects: a 429 waits its `Retry-After`, a 5xx, network failure or timeout backs off and
//! tries again, a bounded number of times. A final failure is logged (method and error, never
//! the token) and returned, not swallowed.
//!
//! Every attempt is bounded in time ([`Timeouts`]): a Slack (or a proxy) that accepts the
//! connection and never answers costs one timeout, not a stuck task.

use super::config::Secret;
use crate::metrics::Metrics;
use serde_json::{json, Value};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// First backoff after a 5xx or network error; doubles each time.
const BASE_BACKOFF: Duration = Duration::from_millis(100);
/// The longest `Retry-After` honoured in-line; a longer one is reported as a failure.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Time to set up a connection (TCP and TLS) to Slack. Slack answers from nearby edges in
/// well under a second; 5 s rides out a lost SYN or two.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for one whole attempt: connect, send, and read the answer. Slack's own SDKs wait
/// a similar while (the Python SDK 30 s, the Java one 10 s per read); a `chat.postMessage`
/// normally answers in well under a second, so 10 s only cuts off calls that hang.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one Web API attempt may take. A timed-out attempt counts as a transient failure
/// (like a 5xx): retried with backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect (the TLS handshake is inside `call`).
    pub connect: Duration,
    /// The whole attempt, connect included.
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: CONNECT_TIMEOUT,
            call: CALL_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// A total per attempt of `call`; connecting gets [`CONNECT_TIMEOUT`] or `call` if that
    /// is shorter (tests and operators set `TWOHATS_SLACK_TIMEOUT_MS`).
    pub fn with_call(call: Duration) -> Self {
        Self {
            connect: CONNECT_TIMEOUT.min(call),
            call,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Slack answered `ok: false`: retrying won't help (e.g. `channel_not_found`).
    #[error("Slack refused {method}: {code}")]
    Refused { method: &'static str, code: String },
    /// Still failing after every attempt, or failing in a way retries can't fix.
    #[error("{method} failed after {attempts} attempt(s): {last}")]
    GaveUp {
        method: &'static str,
        attempts: u32,
        last: String,
    },
}

/// The Slack Web API.
#[derive(Clone)]
pub struct SlackWebApi {
    client: Arc<SlackClient<SlackClientHyperHttpsConnector>>,
    token: SlackApiToken,
    metrics: Option<Arc<Metrics>>,
    timeouts: Timeouts,
}

/// Pages of `conversations.members` read before concluding someone isn't in a channel.
pub const MAX_MEMBER_PAGES: usize = 10;

impl SlackWebApi {
    /// A client for `api_url` (`https://slack.com/api`, or a fake Slack over plain http),
    /// with the default [`Timeouts`].
    pub fn new(api_url: &str, bot_token: &Secret) -> std::io::Result<Self> {
        Self::with_timeouts(api_url, bot_token, Timeouts::default())
    }

    /// A client whose every attempt is bounded by `timeouts`.
    pub fn with_timeouts(
        api_url: &str,
        bot_token: &Secret,
        timeouts: Timeouts,
    ) -> std::io::Result<Self> {
        let mut tcp = hyper_util::client::legacy::connect::HttpConnector::new();
        // The TLS layer above decides the scheme; this one only dials.
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(timeouts.connect));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let connector =
            SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url);
        Ok(Self {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue::new(bot_token.expose().to_string())),
            metrics: None,
            timeouts,
        })
    }

    /// Counts every call (method and result) in `metrics`.
    pub fn with_metrics(self, metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
            ..self
        }
    }

    fn retrying(&self) -> Retrying<'_> {
        Retrying {
            metrics: self.metrics.as_deref(),
            timeout: self.timeouts.call,
        }
    }

    pub fn client(&self) -> Arc<SlackClient<SlackClientHyperHttpsConnector>> {
        self.client.clone()
    }

    /// Any JSON-bodied Web API method, with retries.
    pub async fn call(&self, method: &'static str, body: &Value) -> Result<Value, ApiError> {
        self.retrying()
            .call_with_retries(method, || async move {
                self.client
                    .open_session(&self.token)
                    .http_session_api
                    .http_post(method, body, None)
                    .await
            })
            .await
    }

    /// Posts a message; returns its `ts`.
    pub async fn post_message(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
    ) -> Result<String, ApiError> {
        let res = self
            .call(
                "chat.postMessage",
                &json!({"channel": channel, "text": text, "blocks": blocks}),
            )
            .await?;
        Ok(res["ts"].as_str().unwrap_or_default().to_string())
    }

    /// One `chat.postMessage` attempt, no retries: the outbox schedules its own, so one slow
    /// channel never holds up the rest. A user id as `channel` posts to the app's DM with them.
    pub async fn post_message_once(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
    ) -> Result<String, Failure> {
        let body = json!({"channel": channel, "text": text, "blocks": blocks});
        let res: Result<Value, Failure> = within(
            self.timeouts.call,
            self.client
                .open_session(&self.token)
                .http_session_api
                .http_post("chat.postMessage", &body, None),
        )
        .await;
        record(
            self.metrics.as_deref(),
            "chat.postMessage",
            res.as_ref().err(),
        );
        Ok(res?["ts"].as_str().unwrap_or_default().to_string())
    }

    /// The DM channel with a user.
    pub async fn open_dm(&self, user: &str) -> Result<String, ApiError> {
        let res = self
            .call("conversations.open", &json!({"users": user}))
            .await?;
        res["channel"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ApiError::GaveUp {
                method: "conversations.open",
                attempts: 1,
                last: "no channel id in the answer".into(),
            })
    }

    pub async fn views_open(&self, trigger_id: &str, view: &Value) -> Result<(), ApiError> {
        self.call(
            "views.open",
            &json!({"trigger_id": trigger_id, "view": view}),
        )
        .await
        .map(drop)
    }

    pub async fn views_publish(&self, user: &str, view: &Value) -> Result<(), ApiError> {
        self.call("views.publish", &json!({"user_id": user, "view": view}))
            .await
            .map(drop)
    }

    /// Posts to an interaction's `response_url`. The URL itself is a credential: it is never
    /// logged.
    pub async fn respond(&self, response_url: &str, body: &Value) -> Result<(), ApiError> {
        let url: url::Url = response_url.parse().map_err(|_| ApiError::GaveUp {
            method: "response_url",
            attempts: 0,
            last: "not a URL".into(),
        })?;
        let message: SlackApiPostWebhookMessageRequest = serde_json::from_value(body.clone())
            .map_err(|e| ApiError::GaveUp {
                method: "response_url",
                attempts: 0,
                last: e.to_string(),
            })?;
        self.retrying()
            .call_with_retries("response_url", || {
                let (url, message) = (url.clone(), message.clone());
                async move { self.client.post_webhook_message(&url, &message).await }
            })
            .await
            .map(drop)
    }

    /// The IANA zone on a user's profile, if Slack has one.
    pub async fn user_tz(&self, user: &str) -> Result<Option<String>, ApiError> {
        let req = SlackApiUsersInfoRequest::new(SlackUserId::new(user.to_string()));
        let res = self
            .retrying()
            .call_with_retries("users.info", || {
                let req = req.clone();
                async move { self.client.open_session(&self.token).users_info(&req).await }
            })
            .await?;
        Ok(res.user.tz)
    }

    /// Whether `user` is a member of `channel`, paging through `conversations.members` (1,000
    /// a page, at most [`MAX_MEMBER_PAGES`] pages: a channel bigger than that is no team's).
    pub async fn is_member(&self, channel: &str, user: &str) -> Result<bool, ApiError> {
        let mut cursor: Option<SlackCursorId> = None;
        for _ in 0..MAX_MEMBER_PAGES {
            let req = SlackApiConversationsMembersRequest {
                channel: Some(SlackChannelId::new(channel.to_string())),
                cursor: cursor.clone(),
                limit: Some(1000),
            };
            let res = self
                .retrying()
                .call_with_retries("conversations.members", || {
                    let req = req.clone();
                    async move {
                        self.client
                            .open_session(&self.token)
                            .conversations_members(&req)
                            .await
                    }
                })
                .await?;
            if res.members.iter().any(|m| m.0 == user) {
                return Ok(true);
            }
            match res.response_metadata.and_then(|m| m.next_cursor) {
                Some(next) if !next.0.is_empty() => cursor = Some(next),
                _ => return Ok(false),
            }
        }
        Ok(false)
    }

    /// Uploads a file into a channel with Slack's current flow: get an upload URL, POST the
    /// bytes there, complete the upload into the channel.
    pub async fn upload_file(
        &self,
        channel: &str,
        filename: &str,
        title: &str,
        bytes: Vec<u8>,
        comment: &str,
    ) -> Result<(), ApiError> {
        let req = SlackApiFilesGetUploadUrlExternalRequest::new(filename.to_string(), bytes.len());
        let target = self
            .retrying()
            .call_with_retries("files.getUploadURLExternal", || {
                let req = req.clone();
                async move {
                    self.client
                        .open_session(&self.token)
                        .get_upload_url_external(&req)
                        .await
                }
            })
            .await?;
        let upload = SlackApiFilesUploadViaUrlRequest::new(
            target.upload_url.clone(),
            bytes,
            "application/json".into(),
        );
        self.retrying()
            .call_with_retries("files.upload", || {
                let upload = upload.clone();
                async move {
                    self.client
                        .open_session(&self.token)
                        .files_upload_via_url(&upload)
                        .await
                }
            })
            .await?;
        let complete =
            SlackApiFilesCompleteUploadExternalRequest::new(vec![SlackApiFilesComplete::new(
                target.file_id.clone(),
            )
            .with_title(title.to_string())])
            .with_channel_id(SlackChannelId::new(channel.to_string()))
            .with_initial_comment(comment.to_string());
        self.retrying()
            .call_with_retries("files.completeUploadExternal", || {
                let complete = complete.clone();
                async move {
                    self.client
                        .open_session(&self.token)
                        .files_complete_upload_external(&complete)
                        .await
                }
            })
            .await?;
        Ok(())
    }
}

/// Why one attempt failed, and what that means for trying again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Slack answered `ok: false` (or another 4xx): the same call will fail again.
    Refused(String),
    /// 429: try again after this long.
    RateLimited(Duration),
    /// 5xx, a network or protocol failure: try again with backoff.
    Transient(String),
    /// No answer within the call timeout: Slack may or may not have acted on it, so it is
    /// treated like a 5xx (tried again with backoff).
    TimedOut(Duration),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(code) => write!(f, "refused: {code}"),
            Failure::RateLimited(after) => write!(f, "rate limited for {}s", after.as_secs()),
            Failure::Transient(why) => write!(f, "{why}"),
            Failure::TimedOut(after) => write!(f, "no answer within {} ms", after.as_millis()),
        }
    }
}

/// One attempt, bounded by `timeout`; what went wrong, classified.
async fn within<T>(
    timeout: Duration,
    attempt: impl Future<Output = ClientResult<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result.map_err(|e| classify(&e)),
        // Dropping the attempt drops its connection: hyper does not pool a half-read one.
        Err(_) => Err(Failure::TimedOut(timeout)),
    }
}

fn classify(error: &SlackClientError) -> Failure {
    match error {
        SlackClientError::ApiError(e) => Failure::Refused(e.code.clone()),
        SlackClientError::RateLimitError(e) => {
            Failure::RateLimited(e.retry_after.unwrap_or(Duration::from_secs(1)))
        }
        SlackClientError::HttpError(e) if e.status_code.is_server_error() => {
            Failure::Transient(error.to_string())
        }
        SlackClientError::HttpError(e) => Failure::Refused(format!("HTTP {}", e.status_code)),
        _ => Failure::Transient(error.to_string()),
    }
}

/// Counts one attempt's result.
fn record(metrics: Option<&Metrics>, method: &str, failure: Option<&Failure>) {
    if let Some(m) = metrics {
        let status = match failure {
            None => "ok",
            Some(Failure::Refused(_)) => "refused",
            Some(Failure::RateLimited(_)) => "429",
            Some(Failure::Transient(why)) if why.contains("status: 5") => "5xx",
            Some(Failure::Transient(_)) => "error",
            Some(Failure::TimedOut(_)) => "timeout",
        };
        m.slack_call(method, status);
    }
}

/// Runs calls with retries, counting every attempt.
struct Retrying<'a> {
    metrics: Option<&'a Metrics>,
    /// Bound on each attempt.
    timeout: Duration,
}

impl Retrying<'_> {
    /// Runs `attempt` until it succeeds, Slack refuses, or [`MAX_ATTEMPTS`] are used.
    async fn call_with_retries<T, F, Fut>(
        &self,
        method: &'static str,
        attempt: F,
    ) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ClientResult<T>>,
    {
        let mut backoff = BASE_BACKOFF;
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match within(self.timeout, attempt()).await {
                Ok(value) => {
                    record(self.metrics, method, None);
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            record(self.metrics, method, Some(&failure));
            let wait = match &failure {
                Failure::Refused(code) => {
                    tracing::warn!(method, code = %code, "Slack refused the call");
                    return Err(ApiError::Refused {
                        method,
                        code: code.clone(),
                    });
                }
                Failure::RateLimited(after) => (*after <= MAX_RETRY_AFTER).then_some(*after),
                Failure::Transient(_) | Failure::TimedOut(_) => Some(backoff),
            };
            match wait {
                Some(wait) if tries < MAX_ATTEMPTS => {
                    tracing::info!(method, attempt = tries, wait_ms = wait.as_millis() as u64, error = %failure, "retrying Slack call");
                    tokio::time::sleep(wait).await;
                    backoff *= 2;
                }
                _ => {
                    tracing::error!(method, attempts = tries, error = %failure, "Slack call failed");
                    return Err(ApiError::GaveUp {
                        method,
                        attempts: tries,
                        last: failure.to_string(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn an_attempt_that_never_answers_times_out_and_is_retried_like_a_5xx() {
        let metrics = Metrics::new();
        let retrying = Retrying {
            metrics: Some(&metrics),
            timeout: Duration::from_millis(20),
        };
        let tries = AtomicU32::new(0);
        let answer = retrying.call_with_retries("users.info", || {
            let first = tries.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    std::future::pending::<()>().await;
                }
                Ok(7)
            }
        });
        // A bound on the test itself, so that without the timeout it fails instead of hanging.
        let answer = tokio::time::timeout(Duration::from_secs(30), answer).await;
        assert_eq!(answer.ok().and_then(Result::ok), Some(7));
        assert_eq!(
            tries.load(Ordering::SeqCst),
            2,
            "tried again after the timeout"
        );
        let text = metrics.encode();
        for needle in [
            "twohats_slack_api_calls_total{method=\"users.info\",status=\"timeout\"} 1",
            "twohats_slack_api_calls_total{method=\"users.info\",status=\"ok\"} 1",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[tokio::test]
    async fn a_call_that_keeps_hanging_gives_up_after_every_attempt() {
        let retrying = Retrying {
            metrics: None,
            timeout: Duration::from_millis(5),
        };
        let answer = retrying.call_with_retries("views.publish", || {
            std::future::pending::<ClientResult<()>>()
        });
        let answer = tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .expect("gave up in time");
        assert!(
            matches!(&answer, Err(ApiError::GaveUp { attempts, last, .. }) if *attempts == MAX_ATTEMPTS && last.contains("no answer within 5 ms")),
            "{answer:?}"
        );
    }

    #[test]
    fn connecting_never_gets_longer_than_the_whole_call() {
        let short = Timeouts::with_call(Duration::from_millis(300));
        assert_eq!(short.connect, Duration::from_millis(300));
        let long = Timeouts::with_call(Duration::from_secs(60));
        assert_eq!(
            (long.connect, long.call),
            (CONNECT_TIMEOUT, Duration::from_secs(60))
        );
        assert_eq!(Timeouts::default().call, CALL_TIMEOUT);
    }
}
