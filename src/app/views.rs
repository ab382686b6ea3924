//! Read-side use cases: the weekly summary, the App Home dashboard, a channel's digest.

use super::{Actor, App, AppError, Home};
use crate::domain::balance::{day_shares, week_balance};
use crate::domain::digest::{self, Digest, MemberWeek, Subscription};
use crate::domain::ids::{ChannelId, Person, Scope, TeamId};
use crate::domain::job::JobKind;
use crate::domain::summary::{self, Summary, SummaryInputs, HISTORY_DAYS};
use crate::domain::user::UserRecord;
use crate::domain::week::{local_date, start_of_day, IsoWeek};
use crate::store::StoreError;
use crate::store::StoreExt;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

impl App {
    /// This week's summary for the actor. A user never seen before gets an empty one.
    pub fn summary(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Summary, AppError> {
        let record = self
            .store
            .user(&actor.scope)?
            .unwrap_or_else(|| UserRecord::new(now));
        let tz = self.zone(&record, actor.profile_tz);
        Ok(self.summary_of(&actor.scope, &record, tz, now)?)
    }

    /// The summary of any stored user, in their zone: what the scheduler and benches call.
    pub fn summary_for(
        &self,
        scope: &Scope,
        record: &UserRecord,
        now: DateTime<Utc>,
    ) -> Result<Summary, StoreError> {
        self.summary_of(scope, record, self.zone(record, None), now)
    }

    fn summary_of(
        &self,
        scope: &Scope,
        record: &UserRecord,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Summary, StoreError> {
        let today = local_date(now, tz);
        let week_start = start_of_day(IsoWeek::of(today).monday(), tz);
        let checkins = self
            .store
            .checkins_since(scope, now - Duration::days(HISTORY_DAYS))?;
        let fires = self.store.fires_since(scope, week_start)?;
        let reports: Vec<_> = record.roster.iter().map(|r| r.person.id.clone()).collect();
        let one_on_ones =
            self.store
                .one_on_ones_for(scope, &reports, IsoWeek::of(today).monday())?;
        let wins = self.store.wins_since(scope, week_start)?;
        let last_win = match wins.last() {
            Some(w) => Some(w.clone()),
            None => self.store.last_win(scope)?,
        };
        Ok(summary::compose(&SummaryInputs {
            now,
            tz,
            record,
            checkins: &checkins,
            fires: &fires,
            one_on_ones: &one_on_ones,
            wins_this_week: &wins,
            last_win: last_win.as_ref(),
        }))
    }

    /// The App Home dashboard.
    pub fn home(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Home, AppError> {
        let settings = self
            .store
            .user(&actor.scope)?
            .unwrap_or_else(|| UserRecord::new(now));
        let tz = self.zone(&settings, actor.profile_tz);
        let summary = self.summary_of(&actor.scope, &settings, tz, now)?;
        let local_now = now.with_timezone(&tz);
        let next = |job| {
            settings
                .schedule(job)
                .effective(job)
                .and_then(|s| s.next_after(&local_now))
        };
        Ok(Home {
            next_checkin: next(JobKind::Checkin),
            next_summary: next(JobKind::Summary),
            summary,
            settings,
        })
    }

    /// The digest a channel would get at `now`: `None` if it isn't subscribed.
    pub fn digest(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        now: DateTime<Utc>,
    ) -> Result<Option<Digest>, AppError> {
        let Some(sub) = self.store.subscription(team, channel)? else {
            return Ok(None);
        };
        let today = local_date(now, self.owner_tz(team, &sub)?);
        let week = digest::covered_week(today);
        let wins_from = digest::wins_from(today);
        let mut members = Vec::with_capacity(sub.members.len());
        for user in &sub.members {
            let scope = Scope::new(team.clone(), user.clone());
            // A member whose record is damaged (logged and counted by the store) is left out
            // rather than holding up everyone's digest.
            let record = match self.store.user(&scope) {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(e) if e.is_undecodable() => continue,
                Err(e) => return Err(e.into()),
            };
            members.push(self.member_week(&scope, &record, week, (wins_from, today))?);
        }
        let digest = digest::compose(sub.channel.clone(), week, &members);
        if let Some(kept) = sub.covered.as_ref().filter(|kept| kept.week == week) {
            return Ok(Some(digest.with_numbers_of(kept)));
        }
        // The first digest of this week: its numbers stay for the rest of it.
        let fresh = digest.covered();
        let kept = self.store.update_subscription(team, channel, |current| {
            Ok::<_, StoreError>(match current {
                Some(mut sub) => match sub.covered.clone().filter(|kept| kept.week == week) {
                    Some(kept) => (Some(sub), kept), // another digest got there first
                    None => {
                        sub.covered = Some(fresh.clone());
                        (Some(sub), fresh.clone())
                    }
                },
                None => (None, fresh.clone()),
            })
        })?;
        Ok(Some(digest.with_numbers_of(&kept)))
    }

    /// Only the shareable facts of one member: the covered week's split and critical path
    /// (from check-ins only, so nothing done since can change them) and the public wins
    /// dated within `wins` (both days included).
    fn member_week(
        &self,
        scope: &Scope,
        record: &UserRecord,
        week: IsoWeek,
        wins: (NaiveDate, NaiveDate),
    ) -> Result<MemberWeek, StoreError> {
        let tz = self.zone(record, None);
        let checkins: Vec<_> = self
            .store
            .checkins_since(scope, start_of_day(week.monday(), tz))?
            .into_iter()
            .filter(|c| week.contains(c.date))
            .collect();
        let public_wins = self
            .store
            .wins_since(scope, start_of_day(wins.0, tz))?
            .into_iter()
            .filter(|w| w.public && wins.0 <= w.date && w.date <= wins.1)
            .map(|w| (w.at, w.text))
            .collect();
        Ok(MemberWeek {
            member: Person {
                id: scope.user.clone(),
                label: record.label.clone(),
            },
            eng_pct: week_balance(&day_shares(&checkins), week).map(|b| b.eng_pct),
            on_critical_path: checkins.iter().any(|c| c.critical_path),
            public_wins,
        })
    }

    /// A digest runs in the zone of whoever subscribed the channel.
    pub(super) fn owner_tz(&self, team: &TeamId, sub: &Subscription) -> Result<Tz, StoreError> {
        Ok(self.owner_zone(team, sub)?.0)
    }

    /// The zone a digest runs in (its owner's) and when the owner last changed it.
    pub(super) fn owner_zone(
        &self,
        team: &TeamId,
        sub: &Subscription,
    ) -> Result<(Tz, Option<DateTime<Utc>>), StoreError> {
        let owner = Scope::new(team.clone(), sub.owner.clone());
        let record = self.store.user(&owner)?;
        let tz = record
            .as_ref()
            .and_then(|r| r.tz)
            .unwrap_or(self.default_tz);
        Ok((tz, record.and_then(|r| r.tz_since)))
    }
}
