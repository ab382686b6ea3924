//! Calendar use cases: `calendar` and `hours`, and refreshing a linked feed — fetch (async,
//! outside any store transaction and outside the scheduler's claim path), derive the
//! figures, store them in the user's record, and log the 1:1s of confirmed series.
//!
//! A failing feed is logged by the user's ids and the failure's kind, never the URL, and
//! leaves the last figures as they were: a summary never waits for or fails on a calendar.

use super::{Actor, App, AppError, Reply};
use crate::command::{CalendarAction, CommandName};
use crate::domain::calendar::{
    self, ics, mask_url, CalendarLink, CalendarReply, SeriesState, WorkingHours,
};
use crate::domain::ids::{Person, Scope};
use crate::domain::job::JobKind;
use crate::domain::team::{OneOnOne, OneOnOneSource};
use crate::domain::week::{local_date, IsoWeek};
use crate::fetch::{self, FetchPolicy, Fetched};
use crate::store::StoreExt;
use chrono::{DateTime, Duration, Utc};

/// What one refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// No calendar linked.
    NotLinked,
    /// Fetched less than an hour ago.
    TooSoon,
    /// The feed failed (logged); the last figures stay.
    Failed,
    /// Figures updated; series newly offered as 1:1s; 1:1s logged from confirmed series.
    Updated { offered: Vec<Offer>, logged: usize },
    /// 304: nothing changed.
    Unchanged,
}

/// "Is this your 1:1 with @bob?", to ask once per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub with: Person,
}

impl App {
    pub(super) fn calendar_command(
        &self,
        actor: &Actor,
        action: CalendarAction,
        now: DateTime<Utc>,
    ) -> Result<Reply, AppError> {
        match action {
            CalendarAction::Link(url) => {
                refuse_unfetchable(&url)?;
                self.update_calendar(actor, now, |link| {
                    if link.url.as_deref() != Some(url.as_str()) {
                        *link = CalendarLink {
                            url: Some(url.clone()),
                            hours: link.hours,
                            series: std::mem::take(&mut link.series),
                            ..CalendarLink::default()
                        };
                    }
                    Ok(CalendarReply::Linked {
                        masked: mask_url(&url),
                        hours: link.hours,
                    })
                })
            }
            CalendarAction::Off => self.update_calendar(actor, now, |link| {
                let was_linked = link.url.is_some();
                *link = CalendarLink {
                    hours: link.hours,
                    ..CalendarLink::default()
                };
                Ok(CalendarReply::Unlinked { was_linked })
            }),
            CalendarAction::Answer { with, yes } => self.update_calendar(actor, now, |link| {
                let Some(uid) = link
                    .series
                    .iter()
                    .find(|s| s.with.id == with.id && s.state == SeriesState::Offered)
                    .map(|s| s.uid.clone())
                else {
                    return Ok(CalendarReply::NothingToAnswer { with: with.clone() });
                };
                let with = link.answer(&uid, yes).unwrap_or_else(|| with.clone());
                if yes {
                    // The next refresh reads the whole feed (no validators) and logs the
                    // series' past occurrences.
                    link.etag = None;
                    link.last_modified = None;
                    link.fetched_at = None;
                }
                Ok(CalendarReply::Answered { with, yes })
            }),
        }
    }

    pub(super) fn hours_command(
        &self,
        actor: &Actor,
        hours: WorkingHours,
        now: DateTime<Utc>,
    ) -> Result<Reply, AppError> {
        self.update_calendar(actor, now, |link| {
            if link.hours != hours {
                link.hours = hours;
                link.fetched_at = None; // figures in the old hours are recomputed
                link.etag = None;
                link.last_modified = None;
            }
            Ok(CalendarReply::Hours {
                hours,
                linked: link.url.is_some(),
            })
        })
    }

    fn update_calendar(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        mut change: impl FnMut(&mut CalendarLink) -> Result<CalendarReply, AppError>,
    ) -> Result<Reply, AppError> {
        let reply = self.store.update_user(&actor.scope, now, |record| {
            let link = record.calendar.get_or_insert_with(CalendarLink::default);
            let reply = change(link);
            if record.calendar.as_ref() == Some(&CalendarLink::default()) {
                record.calendar = None;
            }
            reply
        })?;
        Ok(Reply::Calendar(reply))
    }

    /// Users whose calendar may be refreshed now and whose weekly summary is due within
    /// `ahead` (or who have no figures yet): what `serve`'s refresh task fetches.
    pub fn calendars_due(
        &self,
        now: DateTime<Utc>,
        ahead: Duration,
    ) -> Result<Vec<Scope>, AppError> {
        let mut due = Vec::new();
        for row in self.store.users() {
            let Ok((scope, record)) = row else { continue };
            let Some(link) = record.calendar.as_ref().filter(|c| c.due(now)) else {
                continue;
            };
            let tz = self.zone(&record, None);
            let local = now.with_timezone(&tz);
            let soon = record
                .schedule(JobKind::Summary)
                .effective(JobKind::Summary)
                .and_then(|s| s.next_after(&local))
                .is_some_and(|next| next.with_timezone(&Utc) - now <= ahead);
            if soon || link.weeks.is_empty() {
                due.push(scope);
            }
        }
        Ok(due)
    }

    /// Fetches one user's feed (at most hourly) and stores what it shows. Durable before it
    /// returns.
    pub async fn refresh_calendar(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        policy: &FetchPolicy,
    ) -> Result<Refreshed, AppError> {
        let Some(record) = self.store.user(scope)? else {
            return Ok(Refreshed::NotLinked);
        };
        let Some(link) = record.calendar.clone() else {
            return Ok(Refreshed::NotLinked);
        };
        let Some(url) = link.url.clone() else {
            return Ok(Refreshed::NotLinked);
        };
        if !link.due(now) {
            return Ok(Refreshed::TooSoon);
        }
        let tz = self.zone(&record, None);
        let today = local_date(now, tz);
        // Validators only while the stored figures are this week's: a new week needs the body.
        let fresh = link.figures(IsoWeek::of(today)).is_some();
        let (etag, modified) = if fresh {
            (link.etag.as_deref(), link.last_modified.as_deref())
        } else {
            (None, None)
        };
        let fetched = fetch::fetch(&url, etag, modified, policy).await;
        let parsed = match fetched {
            Ok(Fetched::Body {
                text,
                etag,
                last_modified,
            }) => {
                let (from, to) = calendar::window(now, tz);
                match ics::occurrences(&text, from, to, tz) {
                    Ok(occurrences) => Ok(Some((occurrences, etag, last_modified))),
                    Err(e) => {
                        tracing::warn!(team = %scope.team, user = %scope.user, error = %e, "calendar feed unreadable");
                        Err(())
                    }
                }
            }
            Ok(Fetched::NotModified) => Ok(None),
            Err(e) => {
                tracing::warn!(team = %scope.team, user = %scope.user, error = %e, "calendar fetch failed");
                Err(())
            }
        };
        let outcome = self.store.update_existing_user(scope, |record| {
            let roster = record.roster.clone();
            // Unlinked or relinked while fetching: what was fetched is not theirs any more.
            let Some(link) = record
                .calendar
                .as_mut()
                .filter(|c| c.url.as_deref() == Some(url.as_str()))
            else {
                return Ok::<_, AppError>(WithLog(Refreshed::NotLinked, Vec::new()));
            };
            link.fetched_at = Some(now);
            Ok(match &parsed {
                Err(()) => WithLog(Refreshed::Failed, Vec::new()),
                Ok(None) => WithLog(Refreshed::Unchanged, Vec::new()),
                Ok(Some((occurrences, etag, last_modified))) => {
                    let derived = calendar::derive(occurrences, &roster, link.hours, tz, now);
                    link.etag = etag.clone();
                    link.last_modified = last_modified.clone();
                    let applied = link.apply(derived, today);
                    WithLog(
                        Refreshed::Updated {
                            offered: applied
                                .offered
                                .into_iter()
                                .map(|(_, with)| Offer { with })
                                .collect(),
                            logged: applied.log.len(),
                        },
                        applied.log,
                    )
                }
            })
        })?;
        let (refreshed, log) = match outcome {
            Some(WithLog(refreshed, log)) => (refreshed, log),
            None => (Refreshed::NotLinked, Vec::new()),
        };
        for (with, date) in log {
            self.store.add_one_on_one(
                scope,
                &OneOnOne {
                    with,
                    date,
                    at: now,
                    source: OneOnOneSource::Calendar,
                },
            )?;
        }
        self.store.durable_async().await?;
        Ok(refreshed)
    }
}

/// Refuses, before anything is stored, an address the fetcher refuses whatever the
/// settings: plain http anywhere but loopback (the test-only setting's reach), and a literal
/// private, link-local or metadata address. Names are checked when fetched (each fetch
/// resolves and checks again), and so is loopback.
fn refuse_unfetchable(url: &str) -> Result<(), AppError> {
    let refuse = |why: &str| Err(AppError::rejected(CommandName::Calendar, why.to_string()));
    let Ok(parsed) = url::Url::parse(url) else {
        return refuse("That isn't a web address.");
    };
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    let loopback = literal.is_some_and(|ip| ip.is_loopback());
    if parsed.scheme() != "https" && !loopback {
        return refuse("The calendar address must start with `https://`.");
    }
    if literal.is_some_and(|ip| !fetch::is_public(ip) && !ip.is_loopback()) {
        return refuse(
            "That address points inside a private network; use your calendar's public iCal address.",
        );
    }
    Ok(())
}

/// A refresh's outcome and the 1:1s it is to log (written after the record's update).
struct WithLog(Refreshed, Vec<(Person, chrono::NaiveDate)>);
