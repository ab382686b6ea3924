//! The GitHub REST client: the real [`GithubApi`], over reqwest with rustls.
//!
//! Blocking from the caller's side (the use cases are synchronous store work), async inside:
//! the client owns a one-thread tokio runtime, each call is spawned there and awaited over a
//! channel, so it works from the console, a blocking-pool thread or a test alike. Every call
//! is bounded (connect 5 s, whole call 10 s by default); `Link` pagination stops at
//! [`MAX_PAGES`]; searches are paced to 30 a minute; a rate limit (`x-ratelimit-remaining:
//! 0` with `x-ratelimit-reset`, or a secondary limit's `retry-after`) makes every call fail
//! fast until it ends. The token is a [`Secret`]-like value never logged or echoed.

use crate::app::github::{GithubApi, GithubError, PullRef, Searched};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, ETAG, IF_NONE_MATCH, LINK, USER_AGENT};
use reqwest::StatusCode;
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pages followed per request (100 items each): the review queue and a week's merges fit.
pub const MAX_PAGES: usize = 5;
/// GitHub's search limit for authenticated requests.
pub const SEARCHES_PER_MINUTE: usize = 30;
/// `/tlm github <login>` checks the login within this, so the slash command still answers
/// inside Slack's 3 s.
const LOGIN_CHECK_WITHIN: Duration = Duration::from_millis(2_000);
/// The longest wait a rate limit may ask of us before a call fails instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// How long calls may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            call: Duration::from_secs(10),
        }
    }
}

pub struct GithubClient {
    http: reqwest::Client,
    base: String,
    token: String,
    call_timeout: Duration,
    runtime: Option<tokio::runtime::Runtime>,
    /// Until when a rate limit stops every call.
    limited_until: Mutex<Option<DateTime<Utc>>>,
    /// When the last searches started, for pacing.
    searches: Mutex<VecDeque<Instant>>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Drop for GithubClient {
    fn drop(&mut self) {
        // Never blocks, so dropping the client inside an async context is fine.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One HTTP answer, as far as we read it.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl GithubClient {
    /// `base` is `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise.
    pub fn new(base: &str, token: &str, timeouts: Timeouts) -> std::io::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.call)
            .build()
            .map_err(std::io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("twohats-github")
            .enable_all()
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            call_timeout: timeouts.call,
            runtime: Some(runtime),
            limited_until: Mutex::new(None),
            searches: Mutex::new(VecDeque::new()),
        })
    }

    /// `GET /user` and the token's scopes (`x-oauth-scopes`, classic tokens only), for
    /// `doctor`: the login it acts as.
    pub fn whoami(&self) -> Result<(String, Option<String>), GithubError> {
        let answer = self.get(&format!("{}/user", self.base), None)?;
        let user: User = parse(&answer)?;
        let scopes = answer
            .headers
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((user.login, scopes))
    }

    /// One GET on the client's runtime, bounded by its timeouts; rate limits handled here.
    fn get(&self, url: &str, etag: Option<&str>) -> Result<Answer, GithubError> {
        self.get_within(url, etag, None)
    }

    /// [`Self::get`], bounded to `within` when that is shorter than the client's timeout.
    fn get_within(
        &self,
        url: &str,
        etag: Option<&str>,
        within: Option<Duration>,
    ) -> Result<Answer, GithubError> {
        if let Some(until) = *lock(&self.limited_until) {
            if Utc::now() < until {
                return Err(GithubError::RateLimited { until });
            }
        }
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| GithubError::Unavailable("the client is shut down".into()))?;
        let mut request = self
            .http
            .get(url)
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header(USER_AGENT, "twohats");
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(within) = within {
            request = request.timeout(within);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let result = async {
                let response = request.send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>(Answer {
                    status,
                    headers,
                    body,
                })
            }
            .await;
            let _ = tx.send(result);
        });
        let answer = rx
            .recv()
            .map_err(|_| GithubError::Unavailable("the call was dropped".into()))?
            // Without the URL: it holds a login, and errors are logged.
            .map_err(|e| GithubError::Unavailable(e.without_url().to_string()))?;
        self.check_limits(&answer)?;
        match answer.status {
            StatusCode::UNAUTHORIZED => Err(GithubError::BadToken),
            s if s.is_success() || s == StatusCode::NOT_MODIFIED || s == StatusCode::NOT_FOUND => {
                Ok(answer)
            }
            s => Err(GithubError::Unavailable(format!("HTTP {}", s.as_u16()))),
        }
    }

    /// A primary limit (`x-ratelimit-remaining: 0` on a 403/429) stops calls until
    /// `x-ratelimit-reset`; a secondary one until `retry-after` seconds from now.
    fn check_limits(&self, answer: &Answer) -> Result<(), GithubError> {
        if !matches!(
            answer.status,
            StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        ) {
            return Ok(());
        }
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let until = if let Some(secs) = header("retry-after") {
            Some(Utc::now() + chrono::Duration::seconds(secs.clamp(0, 3600)))
        } else if header("x-ratelimit-remaining") == Some(0) {
            header("x-ratelimit-reset")
                .and_then(|t| DateTime::from_timestamp(t, 0))
                .or_else(|| Some(Utc::now() + chrono::Duration::minutes(1)))
        } else {
            None
        };
        match until {
            Some(until) => {
                *lock(&self.limited_until) = Some(until);
                Err(GithubError::RateLimited { until })
            }
            None => Ok(()),
        }
    }

    /// Waits, if needed, so that no more than [`SEARCHES_PER_MINUTE`] searches start in any
    /// minute. Blocking: the refresh runs on its own thread.
    fn pace_search(&self) -> Result<(), GithubError> {
        let mut started = lock(&self.searches);
        let now = Instant::now();
        while started
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            started.pop_front();
        }
        if started.len() >= SEARCHES_PER_MINUTE {
            if let Some(first) = started.front() {
                let wait = Duration::from_secs(60).saturating_sub(now.duration_since(*first));
                if wait > MAX_RETRY_WAIT {
                    return Err(GithubError::Unavailable("search pacing".into()));
                }
                std::thread::sleep(wait);
            }
            started.pop_front();
        }
        started.push_back(Instant::now());
        Ok(())
    }

    /// Every page of a list, following `Link: <…>; rel="next"` up to [`MAX_PAGES`]; the
    /// first answer's ETag, or `None` when GitHub answered 304 to `etag`.
    fn pages<T: for<'de> Deserialize<'de>>(
        &self,
        first: &str,
        etag: Option<&str>,
        mut each: impl FnMut(T),
    ) -> Result<Option<Option<String>>, GithubError> {
        let mut url = first.to_string();
        let mut first_etag = None;
        for page in 0..MAX_PAGES {
            let answer = self.get(&url, if page == 0 { etag } else { None })?;
            if answer.status == StatusCode::NOT_MODIFIED {
                return Ok(None);
            }
            if answer.status == StatusCode::NOT_FOUND {
                return Err(GithubError::Unavailable("not found".into()));
            }
            if page == 0 {
                first_etag = answer
                    .headers
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
            }
            each(parse(&answer)?);
            match next_link(&answer.headers) {
                Some(next) if self.same_origin(&next) => url = next,
                _ => break,
            }
        }
        Ok(Some(first_etag))
    }

    /// A `Link` is followed only to our own API base: the token goes nowhere else.
    fn same_origin(&self, url: &str) -> bool {
        url.starts_with(&format!("{}/", self.base))
    }
}

impl GithubApi for GithubClient {
    fn user_exists(&self, login: &str) -> Result<bool, GithubError> {
        // Asked while a slash command waits for its answer: Slack gives up after 3 s.
        let answer = self.get_within(
            &format!("{}/users/{login}", self.base),
            None,
            Some(LOGIN_CHECK_WITHIN.min(self.call_timeout)),
        )?;
        Ok(answer.status.is_success())
    }

    fn search(&self, query: &str, etag: Option<&str>) -> Result<Searched, GithubError> {
        let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let first = format!(
            "{}/search/issues?q={q}&sort=created&order=asc&per_page=100",
            self.base
        );
        let mut total = 0;
        let mut items = Vec::new();
        let mut first_page = true;
        self.pace_search()?;
        let fetched = self.pages::<SearchPage>(&first, etag, |page| {
            if first_page {
                total = page.total_count;
                first_page = false;
            }
            items.extend(page.items.into_iter().filter_map(SearchItem::pull));
        })?;
        Ok(match fetched {
            None => Searched::NotModified,
            Some(etag) => Searched::Found { total, items, etag },
        })
    }

    fn review_requested_at(
        &self,
        pull: &PullRef,
        reviewer: &str,
    ) -> Result<Option<DateTime<Utc>>, GithubError> {
        let url = format!(
            "{}/repos/{}/issues/{}/timeline?per_page=100",
            self.base, pull.repo, pull.number
        );
        let mut latest = None;
        self.pages::<Vec<TimelineEvent>>(&url, None, |events| {
            for e in events {
                let for_me = e
                    .requested_reviewer
                    .as_ref()
                    .is_some_and(|r| r.login.eq_ignore_ascii_case(reviewer));
                if e.event == "review_requested" && for_me {
                    latest = latest.max(e.created_at);
                }
            }
        })?;
        Ok(latest)
    }

    fn reviews_by(
        &self,
        pull: &PullRef,
        reviewer: &str,
    ) -> Result<Vec<DateTime<Utc>>, GithubError> {
        let url = format!(
            "{}/repos/{}/pulls/{}/reviews?per_page=100",
            self.base, pull.repo, pull.number
        );
        let mut at = Vec::new();
        self.pages::<Vec<Review>>(&url, None, |reviews| {
            at.extend(reviews.into_iter().filter_map(|r| {
                let mine = r.user?.login.eq_ignore_ascii_case(reviewer);
                mine.then_some(r.submitted_at).flatten()
            }));
        })?;
        Ok(at)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn parse<T: for<'de> Deserialize<'de>>(answer: &Answer) -> Result<T, GithubError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| GithubError::Unavailable(format!("an answer we could not read: {e}")))
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    total_count: u32,
    #[serde(default)]
    items: Vec<SearchItem>,
}

#[derive(Deserialize)]
struct SearchItem {
    number: u64,
    html_url: String,
    /// `https://api.github.com/repos/OWNER/REPO`.
    repository_url: String,
    created_at: DateTime<Utc>,
}

impl SearchItem {
    fn pull(self) -> Option<PullRef> {
        let mut parts = self.repository_url.rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        let repo = crate::domain::github::normalize_repo(&format!("{owner}/{name}"))?;
        Some(PullRef {
            repo,
            number: self.number,
            url: self.html_url,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
struct TimelineEvent {
    #[serde(default)]
    event: String,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    requested_reviewer: Option<User>,
}

#[derive(Deserialize)]
struct Review {
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    submitted_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_read_from_githubs_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            "<https://api.github.com/search/issues?q=x&page=2>; rel=\"next\", <https://api.github.com/search/issues?q=x&page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/search/issues?q=x&page=2")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}
