//! One function per `/tlm` command: validate against stored state, write, answer. Parsing
//! already happened; what's left to check needs the user's data or the date. Durability is
//! the caller's step (see [`super::Unflushed`]): one flush after the whole command, never a
//! reply before it.

use super::{Actor, App, AppError, Reply, TeamChange};
use crate::command::{Command, CommandName, DigestAction, PauseSpec, QuickCheckin};
use crate::domain::balance::{day_shares, week_balance};
use crate::domain::checkin::{CheckIn, Fire, FireKind, Win};
use crate::domain::digest::{default_digest_schedule, Subscription, MAX_OWNED_SUBSCRIPTIONS};
use crate::domain::ids::{ChannelRef, Person};
use crate::domain::job::JobKind;
use crate::domain::nudge::Nudge;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::summary::fires_in_week;
use crate::domain::team::{Report, DEFAULT_CADENCE_DAYS, HEALTHY_TEAM_SIZE, MAX_ROSTER};
use crate::domain::user::{CriticalPath, JobSchedule, Pause, UserRecord};
use crate::domain::values::{Energy, Field, Note};
use crate::domain::week::{local_date, short_date, start_of_day, IsoWeek};
use crate::store::StoreExt;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

type Result<T> = std::result::Result<T, AppError>;

/// How far back a 1:1 may be logged: older than a year isn't a 1:1 to track, it's a typo.
const ONE_ON_ONE_MAX_AGE_DAYS: i64 = 366;
/// The longest pause `until` accepts.
const MAX_PAUSE_DAYS: i64 = 366;
/// Check-ins, wins or fires one user may log in one local day: far above honest use, low
/// enough that a script can't grow a history (and the cost of its summary) without bound.
pub const MAX_ENTRIES_PER_DAY: usize = 50;

impl App {
    pub(super) fn execute(
        &self,
        actor: &Actor,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        match command {
            Command::Help { unknown } => Ok(Reply::Help { unknown }),
            Command::CheckinModal => Ok(Reply::CheckinModal),
            Command::Checkin(quick) => self.checkin(actor, quick, now),
            Command::OneOnOne { with, date } => self.one_on_one(actor, with, date, now),
            Command::TeamShow => self.team_show(actor, now),
            Command::TeamAdd {
                people,
                cadence_days,
            } => self.team_add(actor, people, cadence_days, now),
            Command::TeamRemove { people } => self.team_remove(actor, people, now),
            Command::Win { text, public } => self.win(actor, text, public, now),
            Command::CpOn { what } => self.cp_on(actor, what, now),
            Command::CpOff => self.cp_off(actor, now),
            Command::Fire(kind) => self.fire(actor, kind, now),
            Command::FireClear => self.fire_clear(actor, now),
            Command::Summary => Ok(Reply::Summary(Box::new(self.summary(actor, now)?))),
            Command::Target(pct) => self.update(actor, now, |r, _| {
                r.target_pct = pct.get();
                Ok(Reply::TargetSet { pct: pct.get() })
            }),
            Command::Tz(tz) => self.update(actor, now, |r, _| {
                r.set_tz(tz, now);
                Ok(Reply::TzSet { tz })
            }),
            Command::Schedule { job, spec } => self.schedule(actor, job, spec, now),
            Command::Pause(spec) => self.pause(actor, spec, now),
            Command::Resume => self.resume(actor, now),
            Command::Digest { channel, action } => self.digest_command(actor, channel, action, now),
            Command::Export => self.export(actor),
            Command::ForgetAsk => Ok(Reply::ForgetAsk),
            Command::Forget => self.forget(actor, now),
            Command::Github(command) => self.github_command(actor, command, now),
            Command::Snooze { kind, days } => self.update(actor, now, |r, today| {
                let through = today + Duration::days(i64::from(days) - 1);
                r.snoozes.insert(kind, through);
                Ok(Reply::Snoozed { kind, through })
            }),
            Command::Calendar(action) => self.calendar_command(actor, action, now),
            Command::Hours(hours) => self.hours_command(actor, hours, now),
        }
    }

    /// Read-modify-write of the actor's record. `change` gets the record and
    /// the user's local date; it may run again on a write race, so it only edits the record.
    pub(super) fn update(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        mut change: impl FnMut(&mut UserRecord, NaiveDate) -> Result<Reply>,
    ) -> Result<Reply> {
        let reply = self.store.update_user(&actor.scope, now, |record| {
            remember_name(record, actor);
            let today = local_date(now, self.zone(record, actor.profile_tz));
            change(record, today)
        })?;
        Ok(reply)
    }

    /// Creates the actor's record on first contact and remembers their name; returns it.
    fn touch(&self, actor: &Actor, now: DateTime<Utc>) -> Result<(UserRecord, Tz)> {
        self.store.update_user(&actor.scope, now, |r| {
            remember_name(r, actor);
            Ok((r.clone(), self.zone(r, actor.profile_tz)))
        })
    }

    /// Refuses, before anything is written, a user's entry past [`MAX_ENTRIES_PER_DAY`] of
    /// one kind today; `logged_since` counts that kind from a start instant.
    fn within_daily_cap(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        command: CommandName,
        what: &str,
        logged_since: impl Fn(
            &dyn crate::store::Store,
            &crate::domain::ids::Scope,
            DateTime<Utc>,
        ) -> Result<usize>,
    ) -> Result<()> {
        let (tz, today) = self.today(actor, now)?;
        if logged_since(&*self.store, &actor.scope, start_of_day(today, tz))? >= MAX_ENTRIES_PER_DAY
        {
            return Err(AppError::rejected(
                command,
                format!("That's {MAX_ENTRIES_PER_DAY} {what} today already, the most twohats keeps in a day — nothing was saved. Tomorrow is a new day."),
            ));
        }
        Ok(())
    }

    fn today(&self, actor: &Actor, now: DateTime<Utc>) -> Result<(Tz, NaiveDate)> {
        let tz = self.tz_for(actor)?;
        Ok((tz, local_date(now, tz)))
    }

    fn checkin(&self, actor: &Actor, quick: QuickCheckin, now: DateTime<Utc>) -> Result<Reply> {
        self.within_daily_cap(
            actor,
            now,
            CommandName::Checkin,
            "check-ins",
            |store, scope, t| Ok(store.checkins_since(scope, t)?.len()),
        )?;
        // The record first, in one read-modify-write: it gives the zone (so the local day)
        // and carries the critical-path flag a `cp` check-in turns on.
        let (record, tz) = self.store.update_user(&actor.scope, now, |r| {
            remember_name(r, actor);
            let tz = self.zone(r, actor.profile_tz);
            if quick.critical_path && r.critical_path.is_none() {
                r.critical_path = Some(CriticalPath {
                    since: local_date(now, tz),
                    what: None,
                });
            }
            Ok::<_, AppError>((r.clone(), tz))
        })?;
        let today = local_date(now, tz);
        let checkin = CheckIn {
            date: today,
            at: now,
            eng_pct: quick.eng_pct.get(),
            energy: quick.energy.map(Energy::get),
            // A check-in records the day as it was: on the critical path if the user is, by
            // `cp` in the check-in or by an earlier `cp on`. The digest counts the critical
            // path from check-ins alone, so a later `cp off` can't change a week already done.
            critical_path: quick.critical_path || record.critical_path.is_some(),
            fires: quick.fires,
            kinds: quick.kinds,
            note: quick.note.map(Note::into_string),
        };
        self.store.add_checkin(&actor.scope, &checkin)?;

        let week = IsoWeek::of(today);
        // Only each day's last check-in counts, so read that one per day: a reply costs the
        // same on the fifth check-in of the week as on the five-hundredth.
        let mut days_last = Vec::with_capacity(7);
        for day in week.monday().iter_days().take_while(|day| *day <= today) {
            let (from, until) = (
                start_of_day(day, tz),
                start_of_day(day.succ_opt().unwrap_or(day), tz),
            );
            days_last.extend(self.store.last_checkin_between(&actor.scope, from, until)?);
        }
        let balance = week_balance(&day_shares(&days_last), week);
        // Only what this check-in itself raised: a low-energy streak or both hats on fire.
        // The rest waits for the summary, so a quick check-in stays quick and quiet.
        let nudges = if checkin.energy.is_some() || !checkin.fires.is_empty() {
            self.summary(actor, now)?
                .nudges
                .into_iter()
                .filter(|n| matches!(n, Nudge::Burnout { .. } | Nudge::BothFires))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Reply::CheckedIn {
            checkin,
            week: balance,
            target_pct: record.target_pct,
            nudges,
        })
    }

    fn one_on_one(
        &self,
        actor: &Actor,
        with: Person,
        date: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        if with.id == actor.scope.user {
            return Err(AppError::rejected(
                CommandName::OneOnOne,
                "A 1:1 takes two — mention the person you met.",
            )
            .about(Field::With));
        }
        // Validated inside the record update: a refusal returns before anything is written.
        let (record, date) = self.store.update_user(&actor.scope, now, |r| {
            let today = local_date(now, self.zone(r, actor.profile_tz));
            let date = date.unwrap_or(today);
            if date > today {
                return Err(AppError::rejected(
                    CommandName::OneOnOne,
                    format!("{date} is in the future — log a 1:1 once it has happened."),
                ));
            }
            if (today - date).num_days() > ONE_ON_ONE_MAX_AGE_DAYS {
                return Err(AppError::rejected(
                    CommandName::OneOnOne,
                    format!("{date} is more than a year ago — check the date (YYYY-MM-DD)."),
                ));
            }
            remember_name(r, actor);
            Ok((r.clone(), date))
        })?;
        let entry = crate::domain::team::OneOnOne {
            with: with.clone(),
            date,
            at: now,
            source: crate::domain::team::OneOnOneSource::ByHand,
        };
        self.store.add_one_on_one(&actor.scope, &entry)?;
        let next_due = record
            .roster
            .iter()
            .find(|r| r.person.id == with.id)
            .and_then(|r| date.checked_add_days(chrono::Days::new(u64::from(r.cadence_days))));
        Ok(Reply::OneOnOneLogged {
            with,
            date,
            next_due,
        })
    }

    fn team_show(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Reply> {
        let record = self
            .store
            .user(&actor.scope)?
            .unwrap_or_else(|| UserRecord::new(now));
        Ok(Reply::Team {
            reports: self.report_statuses(actor, &record, now)?,
            change: TeamChange::Shown,
            size_nudge: None,
        })
    }

    fn team_add(
        &self,
        actor: &Actor,
        people: Vec<Person>,
        cadence: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        if people.iter().any(|p| p.id == actor.scope.user) {
            return Err(AppError::rejected(
                CommandName::Team,
                "You can't be your own report — add the people you manage.",
            ));
        }
        let (record, change, size_before) = self.store.update_user(&actor.scope, now, |r| {
            let size_before = r.roster.len();
            let today = local_date(now, self.zone(r, actor.profile_tz));
            let (mut added, mut updated) = (Vec::new(), Vec::new());
            for person in &people {
                match r.roster.iter_mut().find(|rep| rep.person.id == person.id) {
                    Some(existing) => {
                        if let Some(days) = cadence {
                            existing.cadence_days = days;
                        }
                        if person.label.is_some() {
                            existing.person.label.clone_from(&person.label);
                        }
                        updated.push(person.clone());
                    }
                    None => {
                        r.roster.push(Report {
                            person: person.clone(),
                            cadence_days: cadence.unwrap_or(DEFAULT_CADENCE_DAYS),
                            added: today,
                        });
                        added.push(person.clone());
                    }
                }
            }
            if r.roster.len() > MAX_ROSTER {
                return Err(AppError::rejected(
                    CommandName::Team,
                    format!(
                        "That would make {} reports; twohats keeps at most {MAX_ROSTER}.",
                        r.roster.len()
                    ),
                ));
            }
            Ok((r.clone(), TeamChange::Added { added, updated }, size_before))
        })?;
        self.team_reply(actor, &record, change, size_before, now)
    }

    fn team_remove(&self, actor: &Actor, people: Vec<Person>, now: DateTime<Utc>) -> Result<Reply> {
        let (record, change, size_before) = self.store.update_user(&actor.scope, now, |r| {
            let size_before = r.roster.len();
            let strangers: Vec<String> = people
                .iter()
                .filter(|p| !r.roster.iter().any(|rep| rep.person.id == p.id))
                .map(|p| p.to_string())
                .collect();
            if !strangers.is_empty() {
                return Err(AppError::rejected(
                    CommandName::Team,
                    format!(
                        "{} isn't on your team, so nothing changed. `/tlm team` shows who is.",
                        strangers.join(", ")
                    ),
                ));
            }
            r.roster
                .retain(|rep| !people.iter().any(|p| p.id == rep.person.id));
            Ok((r.clone(), TeamChange::Removed(people.clone()), size_before))
        })?;
        self.team_reply(actor, &record, change, size_before, now)
    }

    fn team_reply(
        &self,
        actor: &Actor,
        record: &UserRecord,
        change: TeamChange,
        size_before: usize,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        let size = record.roster.len();
        // The reply to a change that leaves the roster outside the healthy range says so. It
        // stamps nothing: a reply in passing is easily missed, so the next weekly summary —
        // the message that stays — says it again, and stamps the monthly repeat.
        let size_nudge = (size != size_before && size > 0 && !HEALTHY_TEAM_SIZE.contains(&size))
            .then_some(Nudge::TeamSize { size });
        Ok(Reply::Team {
            reports: self.report_statuses(actor, record, now)?,
            change,
            size_nudge,
        })
    }

    fn report_statuses(
        &self,
        actor: &Actor,
        record: &UserRecord,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::domain::team::ReportStatus>> {
        let today = local_date(now, self.zone(record, actor.profile_tz));
        let ids: Vec<_> = record.roster.iter().map(|r| r.person.id.clone()).collect();
        let log = self.store.one_on_ones_for(&actor.scope, &ids, today)?;
        Ok(crate::domain::team::report_statuses(
            &record.roster,
            |p| crate::domain::team::last_met_by(&log, p),
            today,
        ))
    }

    fn win(&self, actor: &Actor, text: String, public: bool, now: DateTime<Utc>) -> Result<Reply> {
        self.within_daily_cap(actor, now, CommandName::Win, "wins", |store, scope, t| {
            Ok(store.wins_since(scope, t)?.len())
        })?;
        let (_, tz) = self.touch(actor, now)?;
        let today = local_date(now, tz);
        self.store.add_win(
            &actor.scope,
            &Win {
                text,
                public,
                date: today,
                at: now,
            },
        )?;
        let week_start = start_of_day(IsoWeek::of(today).monday(), tz);
        let this_week = self.store.wins_since(&actor.scope, week_start)?.len();
        Ok(Reply::WinLogged { public, this_week })
    }

    fn cp_on(&self, actor: &Actor, what: Option<String>, now: DateTime<Utc>) -> Result<Reply> {
        self.update(actor, now, |r, today| {
            let already = r.critical_path.is_some();
            let since = r.critical_path.as_ref().map_or(today, |cp| cp.since);
            let what = what
                .clone()
                .or_else(|| r.critical_path.as_ref().and_then(|cp| cp.what.clone()));
            let cp = CriticalPath { since, what };
            r.critical_path = Some(cp.clone());
            Ok(Reply::CriticalPathOn { cp, already })
        })
    }

    fn cp_off(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Reply> {
        self.update(actor, now, |r, _| {
            Ok(Reply::CriticalPathOff {
                was: r.critical_path.take(),
            })
        })
    }

    fn fire(&self, actor: &Actor, kind: FireKind, now: DateTime<Utc>) -> Result<Reply> {
        self.within_daily_cap(actor, now, CommandName::Fire, "fires", |store, scope, t| {
            Ok(store.fires_since(scope, t)?.len())
        })?;
        let (_, tz) = self.touch(actor, now)?;
        let today = local_date(now, tz);
        self.store.add_fire(
            &actor.scope,
            &Fire {
                kind,
                date: today,
                at: now,
            },
        )?;
        let burning = self.fires_this_week(actor, tz, today)?;
        Ok(Reply::FireLogged {
            kind,
            both: FireKind::ALL.iter().all(|k| burning.contains(k)),
        })
    }

    fn fire_clear(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Reply> {
        let (tz, today) = self.today(actor, now)?;
        let kinds = self.fires_this_week(actor, tz, today)?;
        self.update(actor, now, |r, _| {
            r.fires_cleared_at = Some(now);
            Ok(Reply::FiresCleared {
                kinds: kinds.clone(),
            })
        })
    }

    fn fires_this_week(&self, actor: &Actor, tz: Tz, today: NaiveDate) -> Result<Vec<FireKind>> {
        let week = IsoWeek::of(today);
        let start = start_of_day(week.monday(), tz);
        let record = self
            .store
            .user(&actor.scope)?
            .unwrap_or_else(|| UserRecord::new(start));
        let fires = self.store.fires_since(&actor.scope, start)?;
        let checkins = self.store.checkins_since(&actor.scope, start)?;
        Ok(fires_in_week(week, &record, &fires, &checkins))
    }

    fn schedule(
        &self,
        actor: &Actor,
        job: JobKind,
        spec: Option<ScheduleSpec>,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        self.update(actor, now, |r, _| {
            let schedule = spec.clone().map_or(JobSchedule::Off, JobSchedule::At);
            r.set_schedule(job, schedule, now);
            let tz = self.zone(r, actor.profile_tz);
            let next = spec
                .as_ref()
                .and_then(|s| s.next_after(&now.with_timezone(&tz)));
            Ok(Reply::ScheduleSet {
                job,
                spec: spec.clone(),
                next,
            })
        })
    }

    fn pause(&self, actor: &Actor, spec: PauseSpec, now: DateTime<Utc>) -> Result<Reply> {
        self.update(actor, now, |r, today| {
            let through = match spec {
                PauseSpec::Days(n) => today + Duration::days(i64::from(n) - 1),
                PauseSpec::Until(date) if date < today => {
                    return Err(AppError::rejected(
                        CommandName::Pause,
                        format!(
                            "{} has already passed — pick a date from today on.",
                            short_date(date)
                        ),
                    ))
                }
                PauseSpec::Until(date) if (date - today).num_days() > MAX_PAUSE_DAYS => {
                    return Err(AppError::rejected(
                        CommandName::Pause,
                        format!(
                            "{} is more than a year away — twohats pauses for a year at most.",
                            short_date(date)
                        ),
                    ))
                }
                PauseSpec::Until(date) => date,
            };
            // A new pause replaces one in force today, so "pause 1w" twice doesn't stack.
            r.pauses
                .retain(|p| !(p.from <= today && today <= p.through));
            r.pauses.push(Pause {
                from: today,
                through,
            });
            r.pauses.sort_by_key(|p| p.from);
            Ok(Reply::Paused { through })
        })
    }

    fn resume(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Reply> {
        if self.store.user(&actor.scope)?.is_none() {
            return Ok(Reply::Resumed { was_paused: false });
        }
        self.update(actor, now, |r, today| {
            let mut was_paused = false;
            for p in r
                .pauses
                .iter_mut()
                .filter(|p| p.from <= today && today <= p.through)
            {
                p.through = today - Duration::days(1);
                was_paused = true;
            }
            // A day out of office in the calendar pauses like `pause` does; `resume` wins.
            was_paused |= r.calendar.as_mut().is_some_and(|c| c.resume(today));
            // A pause that began today never really happened: drop it rather than keep an
            // empty range.
            r.pauses.retain(|p| p.from <= p.through);
            Ok(Reply::Resumed { was_paused })
        })
    }

    fn digest_command(
        &self,
        actor: &Actor,
        channel: ChannelRef,
        action: DigestAction,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        let team = &actor.scope.team;
        let existing = self.store.subscription(team, &channel.id)?;
        let no_digest = || {
            AppError::rejected(
                CommandName::Digest,
                format!("{channel} has no digest yet — subscribe it with `/tlm digest {channel}` first."),
            )
        };
        let owner_only = |owner: &crate::domain::ids::UserId| {
            AppError::rejected(
                CommandName::Digest,
                format!("{channel}'s digest is <@{owner}>'s — only they can reschedule or end it. `/tlm digest {channel} join` opts you in."),
            )
        };
        let reply = match action {
            // Someone else's digest: subscribing again is opting in, rescheduling is theirs.
            DigestAction::Subscribe(None)
                if existing
                    .as_ref()
                    .is_some_and(|s| s.owner != actor.scope.user) =>
            {
                return self.digest_command(actor, channel, DigestAction::Join, now);
            }
            DigestAction::Subscribe(Some(_))
                if existing
                    .as_ref()
                    .is_some_and(|s| s.owner != actor.scope.user) =>
            {
                let owner = existing.map(|s| s.owner).ok_or_else(no_digest)?;
                return Err(owner_only(&owner));
            }
            DigestAction::Subscribe(spec) => {
                if existing.is_none() {
                    self.may_start_digest(actor, &channel)?;
                }
                let sub = self
                    .store
                    .update_subscription(team, &channel.id, |current| {
                        let mut sub = match current {
                            Some(sub) if sub.owner != actor.scope.user => {
                                // Someone else subscribed it a moment ago.
                                return Err(owner_only(&sub.owner));
                            }
                            Some(sub) => sub,
                            None => Subscription {
                                channel: channel.clone(),
                                owner: actor.scope.user.clone(),
                                schedule: None,
                                members: Vec::new(),
                                created: now,
                                schedule_since: None,
                                covered: None,
                            },
                        };
                        sub.channel = channel.clone();
                        if let Some(spec) = spec.clone() {
                            sub.reschedule(spec, now);
                        }
                        // Setting up a digest is opting in to it; `leave` undoes that.
                        if !sub.members.contains(&actor.scope.user) {
                            sub.members.push(actor.scope.user.clone());
                        }
                        Ok((Some(sub.clone()), sub))
                    })?;
                let spec = sub.schedule.clone().unwrap_or_else(default_digest_schedule);
                let owner_tz = self.owner_tz(team, &sub)?;
                let next = spec.next_after(&now.with_timezone(&owner_tz));
                Reply::DigestSubscribed {
                    channel,
                    spec,
                    next,
                }
            }
            DigestAction::Off => {
                self.store
                    .update_subscription(team, &channel.id, |current| match current {
                        None => Err(no_digest()),
                        Some(sub) if sub.owner != actor.scope.user => Err(owner_only(&sub.owner)),
                        Some(_) => Ok((None, ())),
                    })?;
                // A digest already queued for the channel goes nowhere now.
                self.recompose_after_change(actor, now);
                Reply::DigestOff { channel }
            }
            DigestAction::Join => {
                let already = self
                    .store
                    .update_subscription(team, &channel.id, |current| {
                        let mut sub = current.ok_or_else(no_digest)?;
                        let already = sub.members.contains(&actor.scope.user);
                        if !already {
                            sub.members.push(actor.scope.user.clone());
                        }
                        Ok::<_, AppError>((Some(sub), already))
                    })?;
                Reply::DigestJoined { channel, already }
            }
            DigestAction::Leave => {
                let was_member = self
                    .store
                    .update_subscription(team, &channel.id, |current| {
                        let mut sub = current.ok_or_else(no_digest)?;
                        let was_member = sub.members.contains(&actor.scope.user);
                        sub.members.retain(|m| *m != actor.scope.user);
                        Ok::<_, AppError>((Some(sub), was_member))
                    })?;
                // A digest already queued must not carry a leaver's name or wins.
                if was_member {
                    self.recompose_after_change(actor, now);
                }
                Reply::DigestLeft {
                    channel,
                    was_member,
                }
            }
        };
        // Digests show members by name: remember the actor's.
        self.touch(actor, now)?;
        Ok(reply)
    }

    /// Re-composes the team's queued digests after a `leave` or `off` that is already
    /// stored: a failure here is logged, not answered as if the command itself had failed.
    fn recompose_after_change(&self, actor: &Actor, now: DateTime<Utc>) {
        if let Err(e) = self.recompose_queued_digests(&actor.scope.team, now) {
            tracing::error!(team = %actor.scope.team, error = %e, "could not re-compose queued digests");
        }
    }

    /// A new digest needs its subscriber in the channel (so nobody posts their wins into a
    /// channel they aren't part of) and fewer than [`MAX_OWNED_SUBSCRIPTIONS`] of their own.
    fn may_start_digest(&self, actor: &Actor, channel: &ChannelRef) -> Result<()> {
        match actor.may_subscribe(&channel.id) {
            Some(true) => {}
            Some(false) => {
                return Err(AppError::rejected(
                    CommandName::Digest,
                    format!("You're not in {channel} — join it first, then subscribe it. Nothing changed."),
                ))
            }
            None => {
                return Err(AppError::rejected(
                    CommandName::Digest,
                    format!("I couldn't check with Slack that you're in {channel}, so nothing changed — try again in a minute."),
                ))
            }
        }
        let owned: Vec<String> = self
            .store
            .subscriptions(&actor.scope.team)?
            .into_iter()
            .filter(|s| s.owner == actor.scope.user)
            .map(|s| s.channel.to_string())
            .collect();
        if owned.len() >= MAX_OWNED_SUBSCRIPTIONS {
            return Err(AppError::rejected(
                CommandName::Digest,
                format!(
                    "You already run {MAX_OWNED_SUBSCRIPTIONS} digests ({}) — end one with `/tlm digest #channel off` first.",
                    owned.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Deletes everything about the actor, then re-composes the digests already queued for
    /// their team without them. Forget is idempotent: if it stops half-way (a failing disk),
    /// the reply says so honestly and running it again finishes the job.
    fn forget(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Reply> {
        let forgotten = self
            .store
            .forget_user(&actor.scope)
            .map_err(AppError::from)
            .and_then(|gone| {
                self.recompose_queued_digests(&actor.scope.team, now)?;
                Ok(gone)
            });
        match forgotten {
            Ok(gone) => Ok(Reply::Forgotten(gone)),
            Err(e) => {
                tracing::error!(team = %actor.scope.team, user = %actor.scope.user, error = %e, "forget stopped part-way");
                Ok(Reply::ForgetIncomplete)
            }
        }
    }

    fn export(&self, actor: &Actor) -> Result<Reply> {
        let data = self.store.export_user(&actor.scope)?;
        let json = serde_json::to_string_pretty(&data)?;
        Ok(Reply::Export { json })
    }
}

/// Digests show members by name: keep the latest one the transport told us.
fn remember_name(record: &mut UserRecord, actor: &Actor) {
    if actor.name.is_some() {
        record.label.clone_from(&actor.name);
    }
}
