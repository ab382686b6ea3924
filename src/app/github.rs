//! GitHub use cases: `/tlm github …`, and the refresh that fetches a user's figures ahead of
//! their weekly summary and writes them into their record.
//!
//! The app talks to GitHub through [`GithubApi`], a blocking port whose real implementation
//! (`crate::github::GithubClient`) lives at the transport level, as the Slack client does.
//! Nothing here runs on the scheduler's claim path: a summary only reads what is stored, so
//! a slow or failing GitHub never delays one.

use super::{Actor, App, AppError, Reply};
use crate::command::{CommandName, GithubCommand};
use crate::domain::github::{
    CachedCount, GithubFigures, GithubLink, MAX_CORE_REPOS, MAX_ETAGS, MAX_URLS, MAX_URL_LEN,
    REFRESH_EVERY_MINUTES,
};
use crate::domain::ids::Scope;
use crate::domain::job::JobKind;
use crate::domain::week::{local_date, start_of_day, IsoWeek};
use crate::store::StoreExt;
use crate::view::GithubView;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Why a GitHub call gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    /// 401: the token is wrong or expired.
    #[error("GitHub refused the token (401)")]
    BadToken,
    /// A rate limit: nothing more until `until`.
    #[error("GitHub's rate limit is spent until {until}")]
    RateLimited { until: DateTime<Utc> },
    /// A timeout, a connection failure, a 5xx, or an answer we could not read.
    #[error("GitHub is unavailable: {0}")]
    Unavailable(String),
}

/// A search's answer: what matched (every page up to the client's cap), or "unchanged"
/// when GitHub answered 304 to our `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Searched {
    NotModified,
    Found {
        total: u32,
        items: Vec<PullRef>,
        etag: Option<String>,
    },
}

/// One pull request from a search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRef {
    /// `owner/repo`, lowercase.
    pub repo: String,
    pub number: u64,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// The GitHub REST calls the use cases make. Blocking: callers run it off async workers.
pub trait GithubApi: Send + Sync {
    /// `GET /users/{login}`: `Ok(false)` on 404.
    fn user_exists(&self, login: &str) -> Result<bool, GithubError>;
    /// `GET /search/issues?q=…`, following `Link` pages up to a cap, with `If-None-Match`.
    fn search(&self, query: &str, etag: Option<&str>) -> Result<Searched, GithubError>;
    /// The latest `review_requested` event for `reviewer` in a PR's timeline.
    fn review_requested_at(
        &self,
        pull: &PullRef,
        reviewer: &str,
    ) -> Result<Option<DateTime<Utc>>, GithubError>;
    /// When `reviewer` submitted reviews on a PR (`GET …/pulls/{n}/reviews`).
    fn reviews_by(&self, pull: &PullRef, reviewer: &str)
        -> Result<Vec<DateTime<Utc>>, GithubError>;
}

/// Most PRs of a search whose timeline or reviews are read (the rest count, unread).
const DETAIL_CAP: usize = 10;

impl App {
    /// Gives the use cases a GitHub client; without one, `/tlm github` says how to turn it on.
    pub fn with_github(mut self, api: std::sync::Arc<dyn GithubApi>) -> Self {
        self.github = Some(api);
        self
    }

    /// Whether this workspace has GitHub on (a token): forms show the GitHub fields only then.
    pub fn github_on(&self) -> bool {
        self.github.is_some()
    }

    pub(super) fn github_command(
        &self,
        actor: &Actor,
        command: GithubCommand,
        now: DateTime<Utc>,
    ) -> Result<Reply, AppError> {
        let Some(api) = self.github.clone() else {
            return Ok(Reply::Github(GithubView::Disabled));
        };
        match command {
            GithubCommand::Show => {
                let link = self.store.user(&actor.scope)?.and_then(|r| r.github);
                Ok(Reply::Github(GithubView::Shown(link.map(Box::new))))
            }
            GithubCommand::Link(login) => {
                // Checked before anything is written: an unknown login stores nothing.
                match api.user_exists(&login) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(AppError::rejected(
                            CommandName::Github,
                            format!("GitHub has no user `{login}` — check the spelling on your GitHub profile."),
                        ))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "GitHub login check failed");
                        return Err(AppError::rejected(
                            CommandName::Github,
                            "I couldn't reach GitHub to check that login — try again in a minute.",
                        ));
                    }
                }
                self.update(actor, now, |r, _| {
                    let keep = r.github.take().filter(|g| g.login.eq_ignore_ascii_case(&login));
                    r.github = Some(match keep {
                        // The same login again: keep the core repos and figures.
                        Some(mut g) => {
                            g.login = login.clone();
                            g
                        }
                        None => GithubLink {
                            core: Vec::new(),
                            ..GithubLink::new(login.clone())
                        },
                    });
                    Ok(Reply::Github(GithubView::Linked(login.clone())))
                })
            }
            GithubCommand::Unlink => self.update(actor, now, |r, _| {
                Ok(Reply::Github(GithubView::Unlinked(
                    r.github.take().map(|g| g.login),
                )))
            }),
            GithubCommand::CoreAdd(repos) => self.update(actor, now, |r, _| {
                let Some(link) = r.github.as_mut() else {
                    return Err(not_linked());
                };
                let mut core: BTreeSet<String> = link.core.iter().cloned().collect();
                core.extend(repos.iter().cloned());
                if core.len() > MAX_CORE_REPOS {
                    return Err(AppError::rejected(
                        CommandName::Github,
                        format!("That would make more than {MAX_CORE_REPOS} core repositories — unmark one with `/tlm github core off owner/repo`."),
                    ));
                }
                link.core = core.into_iter().collect();
                Ok(Reply::Github(GithubView::Core(link.core.clone())))
            }),
            GithubCommand::CoreRemove(repos) => self.update(actor, now, |r, _| {
                let Some(link) = r.github.as_mut() else {
                    return Err(not_linked());
                };
                link.core.retain(|c| !repos.contains(c));
                Ok(Reply::Github(GithubView::Core(link.core.clone())))
            }),
        }
    }

    /// Stores a GitHub link as it is, without asking GitHub: for `console --demo`'s seeded
    /// figures. Creates the record if needed.
    pub fn seed_github(
        &self,
        actor: &Actor,
        link: GithubLink,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        self.update(actor, now, |r, _| {
            r.github = Some(link.clone());
            Ok(Reply::Github(GithubView::Linked(link.login.clone())))
        })?;
        self.store.durable()?;
        Ok(())
    }

    /// Refreshes the GitHub figures of every linked user whose weekly summary is due within
    /// `ahead` of `now` and whose last fetch is an hour old or more. One user at a time;
    /// a failure is recorded in that user's record (their last good figures stay) and the
    /// loop goes on. Returns how many users were refreshed successfully.
    pub fn refresh_github_due(&self, now: DateTime<Utc>, ahead: Duration) -> usize {
        let Some(_) = &self.github else {
            return 0;
        };
        let mut due = Vec::new();
        for row in self.store.users() {
            let Ok((scope, record)) = row else { continue };
            let Some(link) = &record.github else { continue };
            if !link.refresh_due(now) {
                continue;
            }
            let tz = self.zone(&record, None);
            let local_now = now.with_timezone(&tz);
            let next = record
                .schedule(JobKind::Summary)
                .effective(JobKind::Summary)
                .and_then(|s| s.next_after(&local_now));
            if next.is_some_and(|at| at.with_timezone(&Utc) - now <= ahead) {
                due.push(scope);
            }
        }
        due.iter()
            .filter(|scope| matches!(self.refresh_github(scope, now), Ok(true)))
            .count()
    }

    /// Fetches one user's figures now, if they are linked and their last fetch is at least
    /// [`REFRESH_EVERY_MINUTES`] old, and stores them. `Ok(false)` when nothing was fetched
    /// or GitHub failed (recorded as `failed_at`; the last good figures stay).
    pub fn refresh_github(&self, scope: &Scope, now: DateTime<Utc>) -> Result<bool, AppError> {
        let Some(api) = self.github.clone() else {
            return Ok(false);
        };
        let Some(record) = self.store.user(scope)? else {
            return Ok(false);
        };
        let Some(link) = record.github.clone() else {
            return Ok(false);
        };
        if !link.refresh_due(now) {
            return Ok(false);
        }
        let tz = self.zone(&record, None);
        let week = IsoWeek::of(local_date(now, tz));
        // Reports' linked logins, from their own records in the same workspace.
        let mut report_logins = Vec::new();
        for report in &record.roster {
            let theirs = Scope::new(scope.team.clone(), report.person.id.clone());
            if let Ok(Some(r)) = self.store.user(&theirs) {
                if let Some(g) = r.github {
                    report_logins.push(g.login);
                }
            }
        }
        let since = start_of_day(week.monday(), tz).with_timezone(&tz);
        let fetched = fetch_figures(api.as_ref(), &link, &report_logins, since, week, now);
        let stored = self.store.update_existing_user(scope, |r| {
            let Some(current) = r.github.as_mut() else {
                return Ok::<_, AppError>(false);
            };
            // Unlinked or relinked meanwhile: these figures are someone else's.
            if current.login != link.login {
                return Ok(false);
            }
            match &fetched {
                Ok((figures, etags)) => {
                    current.figures = Some(figures.clone());
                    current.etags = etags.clone();
                    current.failed_at = None;
                    Ok(true)
                }
                Err(_) => {
                    current.failed_at = Some(now);
                    Ok(false)
                }
            }
        })?;
        if let Err(e) = &fetched {
            tracing::warn!(team = %scope.team, user = %scope.user, error = %e, "GitHub refresh failed; keeping the last figures");
        }
        Ok(stored.unwrap_or(false))
    }
}

fn not_linked() -> AppError {
    AppError::rejected(
        CommandName::Github,
        "Link your GitHub login first: `/tlm github <login>`.",
    )
}

type Etags = BTreeMap<String, CachedCount>;

/// The three signals for one user, reusing what a 304 says is unchanged.
fn fetch_figures(
    api: &dyn GithubApi,
    link: &GithubLink,
    report_logins: &[String],
    since: DateTime<chrono_tz::Tz>,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<(GithubFigures, Etags), GithubError> {
    let login = &link.login;
    let since = since.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut etags = Etags::new();
    let previous = link.figures.as_ref();

    // 1. The review queue. Its age is the latest `review_requested` event for this user
    // (a PR re-requested today has waited since today, not since it was opened); the PR's
    // `created_at` stands in past the detail cap or when the timeline has no such event.
    let query = format!("is:pr is:open archived:false user-review-requested:{login}");
    let (queue, oldest, urls) = match cached_search(api, link, &mut etags, &query)? {
        Cached::Unchanged(c) => (
            c.count,
            c.extra
                .and_then(|s| DateTime::from_timestamp(i64::from(s), 0)),
            previous.map(|f| f.waiting_urls.clone()).unwrap_or_default(),
        ),
        Cached::Fresh { total, items, key } => {
            let mut waits: Vec<(DateTime<Utc>, &PullRef)> = Vec::new();
            for (i, pull) in items.iter().enumerate() {
                let since = if i < DETAIL_CAP {
                    api.review_requested_at(pull, login)?
                        .unwrap_or(pull.created_at)
                } else {
                    pull.created_at
                };
                waits.push((since, pull));
            }
            waits.sort_by_key(|(since, _)| *since);
            let oldest = waits.first().map(|(since, _)| *since);
            if let Some(c) = etags.get_mut(&key) {
                c.count = total;
                c.extra = oldest.and_then(|o| u32::try_from(o.timestamp()).ok());
            }
            let urls = waits
                .iter()
                .map(|(_, p)| p.url.clone())
                .filter(|u| {
                    u.len() <= MAX_URL_LEN
                        && u.starts_with("https://")
                        && !u.contains(['<', '>', '|', ' '])
                })
                .take(MAX_URLS)
                .collect();
            (total, oldest, urls)
        }
    };

    // 2. Hands-on share: own PRs merged since Monday (the user's zone), and how many in core.
    let query = format!("is:pr is:merged author:{login} merged:>={since}");
    let (merged, merged_core) = match cached_search(api, link, &mut etags, &query)? {
        Cached::Unchanged(c) => (c.count, c.extra.unwrap_or(0)),
        Cached::Fresh { total, items, key } => {
            let core = items.iter().filter(|p| link.is_core(&p.repo)).count() as u32;
            if let Some(c) = etags.get_mut(&key) {
                c.count = total;
                c.extra = Some(core);
            }
            (total, core)
        }
    };

    // 3. Multiplier work: each report's PRs updated since Monday that this user reviewed,
    // counted when one of the user's reviews on it was submitted since Monday.
    let monday = DateTime::parse_from_rfc3339(&since)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(now);
    let (mut reviewed, mut reports) = (0u32, 0u32);
    for report in report_logins.iter().take(MAX_ETAGS - 2) {
        let query = format!("is:pr reviewed-by:{login} author:{report} updated:>={since}");
        let count = match cached_search(api, link, &mut etags, &query)? {
            Cached::Unchanged(c) => c.count,
            Cached::Fresh { items, key, .. } => {
                let mut count = 0u32;
                for pull in items.iter().take(DETAIL_CAP) {
                    if api.reviews_by(pull, login)?.iter().any(|at| *at >= monday) {
                        count += 1;
                    }
                }
                if let Some(c) = etags.get_mut(&key) {
                    c.count = count;
                }
                count
            }
        };
        reviewed += count;
        reports += u32::from(count > 0);
    }

    let figures = GithubFigures {
        fetched_at: now,
        week,
        review_queue: queue,
        oldest_waiting_since: oldest,
        waiting_urls: urls,
        merged,
        merged_core: merged_core.min(merged),
        reviewed_for_reports: reviewed,
        reports_reviewed: reports,
    };
    Ok((figures, etags))
}

enum Cached {
    Unchanged(CachedCount),
    Fresh {
        total: u32,
        items: Vec<PullRef>,
        key: String,
    },
}

/// A search with `If-None-Match` from the link's ETags; a fresh answer with an ETag is
/// remembered in `etags` (the caller fills in what it counted), a 304 carries the old count.
fn cached_search(
    api: &dyn GithubApi,
    link: &GithubLink,
    etags: &mut Etags,
    query: &str,
) -> Result<Cached, GithubError> {
    let key = query.to_string();
    let known = link.etags.get(&key);
    match api.search(query, known.map(|c| c.etag.as_str()))? {
        Searched::NotModified => match known {
            Some(c) => {
                etags.insert(key, c.clone());
                Ok(Cached::Unchanged(c.clone()))
            }
            None => Err(GithubError::Unavailable(
                "a 304 without a cached answer".into(),
            )),
        },
        Searched::Found { total, items, etag } => {
            if let Some(etag) = etag.filter(|e| e.len() <= crate::domain::github::MAX_ETAG_LEN) {
                etags.insert(
                    key.clone(),
                    CachedCount {
                        etag,
                        count: total,
                        extra: None,
                    },
                );
            }
            Ok(Cached::Fresh { total, items, key })
        }
    }
}

/// How far ahead of a summary the refresh task fetches: its figures are then at most this
/// old (plus one tick) when the summary goes out.
pub const REFRESH_AHEAD_MINUTES: i64 = REFRESH_EVERY_MINUTES;
