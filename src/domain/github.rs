//! GitHub signals the bot measures itself: a user's linked login, the repositories they
//! marked as core, and the last figures fetched for them (review queue, hands-on share,
//! multiplier work), kept inside their [`UserRecord`](crate::domain::user::UserRecord).
//!
//! Pure: the app fetches, this module says what is valid, what a figure means this week,
//! and when the review queue deserves a nudge. The self-reported split stays the truth for
//! the balance; these numbers sit beside it.

use crate::domain::week::IsoWeek;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// GitHub logins are at most 39 characters.
pub const MAX_LOGIN_LEN: usize = 39;
/// `owner/repo`: a 39-character owner, a slash, a 100-character repository name.
pub const MAX_REPO_LEN: usize = 140;
/// Most core repositories one user may mark.
pub const MAX_CORE_REPOS: usize = 20;
/// Most PR URLs kept for one's own view (the oldest waiting first).
pub const MAX_URLS: usize = 5;
/// Most ETags remembered (one per distinct request).
pub const MAX_ETAGS: usize = 16;
/// Longest ETag kept.
pub const MAX_ETAG_LEN: usize = 200;
/// Longest PR URL kept.
pub const MAX_URL_LEN: usize = 300;
/// Figures are fetched at most this often per user.
pub const REFRESH_EVERY_MINUTES: i64 = 60;
/// The review queue nudges when the oldest request has waited this long …
pub const REVIEW_WAIT_DAYS: i64 = 2;
/// … or when this many PRs are waiting.
pub const REVIEW_QUEUE_LEN: u32 = 4;
/// Figures older than this are shown with their age, not as this week's.
pub const STALE_AFTER_HOURS: i64 = 24;

/// A user's link to GitHub: one optional field of their record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubLink {
    pub login: String,
    /// `owner/repo`, lowercase, sorted, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub core: Vec<String>,
    /// The last good figures, if any were fetched yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<GithubFigures>,
    /// When a fetch last failed (the figures stay, shown with their age).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<DateTime<Utc>>,
    /// Request key → (ETag, the cached count it validated), for `If-None-Match`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub etags: BTreeMap<String, CachedCount>,
}

impl GithubLink {
    pub fn new(login: String) -> Self {
        Self {
            login,
            core: Vec::new(),
            figures: None,
            failed_at: None,
            etags: BTreeMap::new(),
        }
    }

    /// Whether a fetch is due at `now`: never fetched, or the last try (good or failed) is
    /// at least [`REFRESH_EVERY_MINUTES`] old.
    pub fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        let last = [self.figures.as_ref().map(|f| f.fetched_at), self.failed_at]
            .into_iter()
            .flatten()
            .max();
        last.is_none_or(|at| now - at >= Duration::minutes(REFRESH_EVERY_MINUTES))
    }

    pub fn is_core(&self, repo: &str) -> bool {
        let repo = repo.to_ascii_lowercase();
        self.core.contains(&repo)
    }
}

/// A response GitHub may answer with 304 next time, and what we read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedCount {
    pub etag: String,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<u32>,
}

/// The figures of one fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubFigures {
    pub fetched_at: DateTime<Utc>,
    /// The ISO week (in the user's zone at fetch time) the weekly counts cover.
    pub week: IsoWeek,
    /// Open PRs whose review is requested from the user.
    pub review_queue: u32,
    /// Since when the oldest of them has waited (its latest `review_requested` event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_waiting_since: Option<DateTime<Utc>>,
    /// The waiting PRs' URLs, oldest first, at most [`MAX_URLS`]: for the user's own view.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_urls: Vec<String>,
    /// PRs the user authored and merged this week, and how many of those in core repos.
    pub merged: u32,
    pub merged_core: u32,
    /// PRs by the user's reports that the user reviewed this week, and from how many reports.
    pub reviewed_for_reports: u32,
    pub reports_reviewed: u32,
}

/// What the summary shows of GitHub: the figures if they cover this week, and their age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubLine {
    pub figures: GithubFigures,
    /// Hours since the figures were fetched, when that is more than [`STALE_AFTER_HOURS`].
    pub stale_hours: Option<i64>,
}

/// The GitHub lines of a summary at `now` (`today` in the user's zone): only figures of this
/// week count; older
/// ones are left out rather than passed off as this week's.
pub fn line_for(
    link: Option<&GithubLink>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Option<GithubLine> {
    let figures = link?.figures.clone()?;
    if figures.week != IsoWeek::of(today) {
        return None;
    }
    let age = (now - figures.fetched_at).num_hours();
    Some(GithubLine {
        stale_hours: (age > STALE_AFTER_HOURS).then_some(age),
        figures,
    })
}

/// The review-queue nudge's facts: how many wait and how many days the oldest has.
pub fn review_queue(link: Option<&GithubLink>, now: DateTime<Utc>) -> Option<(u32, i64)> {
    let figures = link?.figures.as_ref()?;
    // Figures from more than two days ago may no longer be true: no nudge on them.
    if now - figures.fetched_at > Duration::days(2) || figures.review_queue == 0 {
        return None;
    }
    let days = figures
        .oldest_waiting_since
        .map_or(0, |since| (now - since).num_days().max(0));
    (days >= REVIEW_WAIT_DAYS || figures.review_queue >= REVIEW_QUEUE_LEN)
        .then_some((figures.review_queue, days))
}

/// Whether most of this week's merged PRs were in core repositories: hands-on critical-path
/// work, whether or not the user said `cp on`.
pub fn mostly_core(
    link: Option<&GithubLink>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Option<(u32, u32)> {
    let line = line_for(link, now, today)?;
    let f = line.figures;
    (f.merged > 0 && f.merged_core * 2 > f.merged).then_some((f.merged_core, f.merged))
}

/// A GitHub login as GitHub allows it: 1-39 ASCII letters, digits or single inner hyphens.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= MAX_LOGIN_LEN
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
}

/// `owner/repo` lowercased, if it is one: a valid owner, one slash, a repository name of
/// letters, digits, `-`, `_` and `.`.
pub fn normalize_repo(text: &str) -> Option<String> {
    let (owner, name) = text.split_once('/')?;
    let name_ok = !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (valid_login(owner) && name_ok).then(|| text.to_ascii_lowercase())
}

/// Whether a stored link is within the bounds the app writes (checked on every read).
pub fn valid_link(link: &GithubLink) -> bool {
    valid_login(&link.login)
        && link.core.len() <= MAX_CORE_REPOS
        && link.core.iter().all(|r| r.len() <= MAX_REPO_LEN)
        && link.etags.len() <= MAX_ETAGS
        && link
            .etags
            .iter()
            .all(|(k, v)| k.len() <= MAX_REPO_LEN * 2 && v.etag.len() <= MAX_ETAG_LEN)
        && link.figures.as_ref().is_none_or(|f| {
            f.waiting_urls.len() <= MAX_URLS
                && f.waiting_urls.iter().all(|u| u.len() <= MAX_URL_LEN)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    fn linked(figures: GithubFigures) -> GithubLink {
        GithubLink {
            figures: Some(figures),
            ..GithubLink::new("octocat".into())
        }
    }

    fn figures(fetched_at: DateTime<Utc>) -> GithubFigures {
        GithubFigures {
            fetched_at,
            week: IsoWeek::of(NaiveDate::from_ymd_opt(2026, 3, 11).unwrap()),
            review_queue: 4,
            oldest_waiting_since: Some(at(8, 9)),
            waiting_urls: Vec::new(),
            merged: 5,
            merged_core: 3,
            reviewed_for_reports: 6,
            reports_reviewed: 3,
        }
    }

    #[test]
    fn logins_and_repos_are_checked_as_github_spells_them() {
        assert!(valid_login("octo-cat") && valid_login("a"));
        assert!(!valid_login("-a") && !valid_login("a--b") && !valid_login(&"a".repeat(40)));
        assert!(!valid_login("a b") && !valid_login(""));
        assert_eq!(
            normalize_repo("Acme/Core.API").as_deref(),
            Some("acme/core.api")
        );
        assert!(normalize_repo("acme").is_none() && normalize_repo("acme/..").is_none());
        assert!(normalize_repo("acme/a/b").is_none());
    }

    #[test]
    fn refresh_is_hourly_after_a_success_or_a_failure() {
        let mut link = linked(figures(at(11, 9)));
        assert!(!link.refresh_due(at(11, 9) + Duration::minutes(59)));
        assert!(link.refresh_due(at(11, 10)));
        link.failed_at = Some(at(11, 10));
        assert!(!link.refresh_due(at(11, 10) + Duration::minutes(30)));
        assert!(GithubLink::new("x".into()).refresh_due(at(11, 9)));
    }

    #[test]
    fn the_queue_nudges_when_long_or_old_and_only_on_fresh_figures() {
        let link = linked(figures(at(11, 9)));
        assert_eq!(review_queue(Some(&link), at(11, 10)), Some((4, 3)));
        assert_eq!(
            review_queue(Some(&link), at(14, 10)),
            None,
            "figures too old"
        );
        let mut short = figures(at(11, 9));
        short.review_queue = 1;
        short.oldest_waiting_since = Some(at(11, 8));
        assert_eq!(review_queue(Some(&linked(short)), at(11, 10)), None);
    }

    #[test]
    fn summary_lines_cover_this_week_only_and_say_their_age() {
        let link = linked(figures(at(11, 9)));
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let line = |d, h| line_for(Some(&link), at(d, h), day(d));
        assert_eq!(line(11, 10).unwrap().stale_hours, None);
        assert_eq!(line(13, 10).unwrap().stale_hours, Some(49));
        assert!(line(16, 10).is_none(), "next week");
        assert_eq!(mostly_core(Some(&link), at(11, 10), day(11)), Some((3, 5)));
    }
}
