//! Buttons and modal submissions.
//!
//! A submission becomes the same [`Command`] the slash command would build, and runs through
//! the same use case; what the use case refuses comes back to the modal as
//! `response_action: errors` on the field at fault, so nothing half-valid is stored.

use super::bot::{actor, ephemeral_reply, Ack, RequestError, SlackBot};
use crate::app::{GithubView, Reply};
use crate::command::{Command, GithubCommand, QuickCheckin};
use crate::domain::checkin::{EngKind, FireKind};
use crate::domain::ids::{Person, UserId};
use crate::domain::job::JobKind;
use crate::domain::nudge::NudgeKind;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::values::{Energy, Field, Note, Percent, Refusal};
use crate::domain::week::local_date;
use crate::render::calendar::{SERIES_NO, SERIES_YES};
use crate::render::modals::{
    checkin_modal, field, one_on_one_modal, settings_modal, CHECKIN_CALLBACK, ONE_ON_ONE_CALLBACK,
    OPEN_SETTINGS, SETTINGS_CALLBACK,
};
use crate::render::nudge::{LOG_ONE_ON_ONE, OPEN_CHECKIN, SNOOZE};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub async fn handle(bot: &Arc<SlackBot>, payload: Value) -> Result<Ack, RequestError> {
    let team = payload["team"]["id"]
        .as_str()
        .or(payload["user"]["team_id"].as_str())
        .unwrap_or_default()
        .to_string();
    let user = payload["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = payload["user"]["username"]
        .as_str()
        .or(payload["user"]["name"].as_str())
        .map(str::to_string);
    let actor = actor(&team, &user, name)?;
    match payload["type"].as_str() {
        Some("block_actions") => {
            let action = &payload["actions"][0];
            let action_id = action["action_id"].as_str().unwrap_or_default();
            // Buttons carry an index suffix (`id:2`) so ids stay unique within a message.
            let kind = action_id.split(':').next().unwrap_or_default();
            let value = action["value"].as_str().unwrap_or_default().to_string();
            let trigger = payload["trigger_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match kind {
                OPEN_CHECKIN => bot.spawn_view_open(trigger, checkin_modal()),
                LOG_ONE_ON_ONE => {
                    let today = bot.blocking({
                        let actor = actor.clone();
                        move |bot| {
                            bot.app
                                .tz_for(&actor)
                                .map(|tz| local_date(bot.clock.now(), tz))
                        }
                    });
                    let today = today
                        .await
                        .map_err(|e| RequestError::Malformed(e.to_string()))?;
                    bot.spawn_view_open(trigger, one_on_one_modal(Some(&value), today));
                }
                OPEN_SETTINGS => {
                    let view = bot
                        .blocking({
                            let actor = actor.clone();
                            move |bot| {
                                bot.app
                                    .settings(&actor, bot.clock.now())
                                    .map(|(record, tz)| {
                                        settings_modal(&record, tz, bot.app.github_on())
                                    })
                            }
                        })
                        .await
                        .map_err(|e| RequestError::Malformed(e.to_string()))?;
                    bot.spawn_view_open(trigger, view);
                }
                SNOOZE => {
                    let Some(kind) = NudgeKind::from_name(&value) else {
                        return Err(RequestError::Malformed(format!("unknown nudge {value:?}")));
                    };
                    let reply = run(bot, &actor, Command::Snooze { kind, days: 7 }).await;
                    // From the Home tab, refresh it; from a message, answer in place.
                    if payload["view"]["type"] == "home" {
                        bot.spawn_publish_home(actor);
                    } else if let Some(url) = payload["response_url"].as_str() {
                        bot.spawn_respond(url.to_string(), ephemeral_reply(&reply));
                    }
                }
                SERIES_YES | SERIES_NO => {
                    let Ok(id) = crate::domain::ids::UserId::parse(&value) else {
                        return Err(RequestError::Malformed(
                            "a bad user id on a 1:1 button".into(),
                        ));
                    };
                    let with = crate::domain::ids::Person { id, label: None };
                    let action = crate::command::CalendarAction::Answer {
                        with,
                        yes: kind == SERIES_YES,
                    };
                    let reply = run(bot, &actor, Command::Calendar(action)).await;
                    if super::calendar_task::reads_calendar_now(&reply) {
                        bot.spawn_calendar_refresh(actor.scope.clone());
                    }
                    if let Some(url) = payload["response_url"].as_str() {
                        bot.spawn_respond(url.to_string(), ephemeral_reply(&reply));
                    }
                }
                other => tracing::debug!(action = other, "ignored an action"),
            }
            Ok(Ack::Empty)
        }
        Some("view_submission") => {
            let view = &payload["view"];
            let values = view["state"]["values"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let form = Form(values);
            let ack = match view["callback_id"].as_str() {
                Some(CHECKIN_CALLBACK) => submit_checkin(bot, &actor, &form).await,
                Some(ONE_ON_ONE_CALLBACK) => submit_one_on_one(bot, &actor, &form).await,
                Some(SETTINGS_CALLBACK) => submit_settings(bot, &actor, &form).await,
                other => return Err(RequestError::Malformed(format!("unknown modal {other:?}"))),
            };
            if ack == Ack::Empty {
                bot.spawn_publish_home(actor);
            }
            Ok(ack)
        }
        Some("view_closed") => Ok(Ack::Empty),
        other => Err(RequestError::Malformed(format!(
            "unknown interaction {other:?}"
        ))),
    }
}

/// A modal's `state.values`: block id → action id → element state.
struct Form(Map<String, Value>);

impl Form {
    fn get(&self, block: &str) -> &Value {
        self.0
            .get(block)
            .and_then(|b| b.get(field::VALUE))
            .unwrap_or(&Value::Null)
    }
    fn selected(&self, block: &str) -> Option<&str> {
        self.get(block)["selected_option"]["value"].as_str()
    }
    fn checked(&self, block: &str) -> Vec<&str> {
        self.get(block)["selected_options"]
            .as_array()
            .map(|a| a.iter().filter_map(|o| o["value"].as_str()).collect())
            .unwrap_or_default()
    }
    fn text(&self, block: &str) -> Option<&str> {
        self.get(block)["value"]
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

fn errors(pairs: &[(&str, String)]) -> Ack {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Ack::Json(json!({"response_action": "errors", "errors": map}))
}

async fn run(bot: &Arc<SlackBot>, actor: &crate::app::Actor, command: Command) -> Reply {
    bot.execute(actor, command, bot.clock.now()).await
}

/// The modal block that shows a refusal about `at_fault`.
fn block_for(at_fault: Field) -> &'static str {
    match at_fault {
        Field::EngPct => field::ENG,
        Field::Energy => field::ENERGY,
        Field::Note => field::NOTE,
        Field::With => field::WITH,
        Field::Date => field::DATE,
        Field::Target => field::TARGET,
        Field::Tz => field::TZ,
        Field::CheckinSchedule => field::CHECKIN_SCHEDULE,
        Field::SummarySchedule => field::SUMMARY_SCHEDULE,
    }
}

/// A value's refusal, under the field it names.
fn refused(refusal: Refusal) -> Ack {
    errors(&[(
        block_for(refusal.field),
        crate::render::text::plain(&refusal.message),
    )])
}

/// Maps a use case's answer to a modal ack: accepted closes the modal; refused shows the
/// message on the field the refusal names, or on `otherwise` when it names none.
fn ack_for(reply: Reply, otherwise: &'static str) -> Ack {
    match reply {
        Reply::Invalid {
            message,
            field: at_fault,
            ..
        } => errors(&[(
            at_fault.map_or(otherwise, block_for),
            crate::render::text::plain(&message),
        )]),
        Reply::Failed => errors(&[(
            otherwise,
            crate::render::text::plain(crate::render::reply::FAILED),
        )]),
        _ => Ack::Empty,
    }
}

async fn submit_checkin(bot: &Arc<SlackBot>, actor: &crate::app::Actor, form: &Form) -> Ack {
    // The same constructors as `/tlm checkin`, so the same checks and the same words.
    let Some(eng) = form.selected(field::ENG) else {
        return errors(&[(
            field::ENG,
            "Pick how much of today was engineering, 0-100%.".into(),
        )]);
    };
    let eng = match Percent::parse(eng, Field::EngPct) {
        Ok(eng) => eng,
        Err(refusal) => return refused(refusal),
    };
    let energy = match form.selected(field::ENERGY).map(|e| Energy::parse(e, e)) {
        None => None,
        Some(Ok(energy)) => Some(energy),
        Some(Err(refusal)) => return refused(refusal),
    };
    let note = match form.text(field::NOTE).map(Note::new) {
        None => None,
        Some(Ok(note)) => Some(note),
        Some(Err(refusal)) => return refused(refusal),
    };
    let quick = QuickCheckin {
        eng_pct: eng,
        energy,
        critical_path: form.checked(field::CP).contains(&"cp"),
        fires: form
            .checked(field::FIRES)
            .iter()
            .filter_map(|n| FireKind::from_name(n))
            .collect(),
        kinds: form
            .checked(field::KINDS)
            .iter()
            .filter_map(|n| EngKind::from_name(n))
            .collect(),
        note,
    };
    ack_for(run(bot, actor, Command::Checkin(quick)).await, field::ENG)
}

async fn submit_one_on_one(bot: &Arc<SlackBot>, actor: &crate::app::Actor, form: &Form) -> Ack {
    let Some(with) = form.get(field::WITH)["selected_user"]
        .as_str()
        .and_then(|u| UserId::parse(u).ok())
    else {
        return errors(&[(field::WITH, "Pick the person you met.".into())]);
    };
    let Some(date) = form.get(field::DATE)["selected_date"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return errors(&[(field::DATE, "Pick the day of the 1:1.".into())]);
    };
    let reply = run(
        bot,
        actor,
        Command::OneOnOne {
            with: Person {
                id: with,
                label: None,
            },
            date: Some(date),
        },
    )
    .await;
    // The person field can only be wrong by being yourself, which the refusal names; every
    // other refusal is about the date.
    ack_for(reply, field::DATE)
}

async fn submit_settings(bot: &Arc<SlackBot>, actor: &crate::app::Actor, form: &Form) -> Ack {
    let mut problems = Vec::new();
    let target = match form
        .selected(field::TARGET)
        .map(|t| Percent::parse(t, Field::Target))
    {
        Some(Ok(target)) => Some(target),
        Some(Err(refusal)) => {
            problems.push((
                block_for(refusal.field),
                crate::render::text::plain(&refusal.message),
            ));
            None
        }
        None => {
            problems.push((
                field::TARGET,
                "Pick a target between 0% and 100%.".to_string(),
            ));
            None
        }
    };
    let tz = form.text(field::TZ).unwrap_or_default();
    let tz = match crate::command::parse(&format!("tz {tz}")) {
        Ok(Command::Tz(tz)) => Some(tz),
        Ok(_) => None,
        Err(e) => {
            problems.push((field::TZ, crate::render::text::plain(&e.message)));
            None
        }
    };
    let mut schedules = Vec::new();
    for (block, job) in [
        (field::CHECKIN_SCHEDULE, JobKind::Checkin),
        (field::SUMMARY_SCHEDULE, JobKind::Summary),
    ] {
        match form.text(block).unwrap_or("off") {
            off if off.eq_ignore_ascii_case("off") => schedules.push((job, None)),
            text => match ScheduleSpec::parse(text) {
                Ok(spec) => schedules.push((job, Some(spec))),
                Err(e) => problems.push((block, e.to_string())),
            },
        }
    }
    // The GitHub fields are only in the form when the workspace has GitHub on; absent, they
    // change nothing (an empty one is present and means "none").
    let has = |block: &str| form.0.contains_key(block);
    let login = if has(field::GITHUB_LOGIN) {
        match form.text(field::GITHUB_LOGIN) {
            None => Some(None),
            // The same parser as `/tlm github <login>`, so the same checks and words.
            Some(text) => match crate::command::parse(&format!("github {text}")) {
                Ok(Command::Github(GithubCommand::Link(login))) => Some(Some(login)),
                Ok(Command::Github(GithubCommand::Unlink)) => Some(None),
                Ok(_) => {
                    problems.push((
                        field::GITHUB_LOGIN,
                        "Write just your GitHub login, e.g. `octocat`, or leave it empty."
                            .to_string(),
                    ));
                    None
                }
                Err(e) => {
                    problems.push((field::GITHUB_LOGIN, crate::render::text::plain(&e.message)));
                    None
                }
            },
        }
    } else {
        None
    };
    let core = if has(field::CORE_REPOS) {
        let text = form
            .text(field::CORE_REPOS)
            .unwrap_or_default()
            .replace(',', " ");
        if text.trim().is_empty() {
            Some(Vec::new())
        } else {
            match crate::command::parse(&format!("github core {text}")) {
                Ok(Command::Github(GithubCommand::CoreAdd(repos))) => Some(repos),
                Ok(_) => {
                    problems.push((
                        field::CORE_REPOS,
                        "Name the repositories as `owner/repo`, e.g. `acme/payments`.".to_string(),
                    ));
                    None
                }
                Err(e) => {
                    problems.push((field::CORE_REPOS, crate::render::text::plain(&e.message)));
                    None
                }
            }
        }
    } else {
        None
    };
    // Core repositories belong to a login: none typed, none can be marked.
    if matches!((&login, &core), (Some(None), Some(repos)) if !repos.is_empty()) {
        problems.push((
            field::CORE_REPOS,
            "Core repositories need a GitHub login above.".to_string(),
        ));
    }
    if !problems.is_empty() {
        return errors(&problems);
    }
    // The login first: it is the one GitHub can refuse, and then nothing else is stored.
    if let Some(login) = login {
        let linked = current_github(bot, actor).await.map(|g| g.login);
        let command = match (login, linked) {
            (None, Some(_)) => Some(GithubCommand::Unlink),
            (Some(login), linked) if linked.as_deref() != Some(login.as_str()) => {
                Some(GithubCommand::Link(login))
            }
            _ => None,
        };
        if let Some(command) = command {
            let reply = run(bot, actor, Command::Github(command)).await;
            if matches!(reply, Reply::Invalid { .. } | Reply::Failed) {
                return ack_for(reply, field::GITHUB_LOGIN);
            }
        }
    }
    let mut commands = vec![];
    commands.extend(target.map(Command::Target));
    commands.extend(tz.map(Command::Tz));
    commands.extend(
        schedules
            .into_iter()
            .map(|(job, spec)| Command::Schedule { job, spec }),
    );
    for command in commands {
        let reply = run(bot, actor, command).await;
        if matches!(reply, Reply::Invalid { .. } | Reply::Failed) {
            return ack_for(reply, field::TARGET);
        }
    }
    // The core list becomes exactly what was typed: unmark the ones left out, mark the new.
    if let Some(wanted) = core {
        let current = current_github(bot, actor)
            .await
            .map(|g| g.core)
            .unwrap_or_default();
        let remove: Vec<String> = current
            .iter()
            .filter(|c| !wanted.contains(c))
            .cloned()
            .collect();
        let add: Vec<String> = wanted
            .iter()
            .filter(|w| !current.contains(w))
            .cloned()
            .collect();
        let mut commands = vec![];
        if !remove.is_empty() {
            commands.push(GithubCommand::CoreRemove(remove));
        }
        if !add.is_empty() {
            commands.push(GithubCommand::CoreAdd(add));
        }
        for command in commands {
            let reply = run(bot, actor, Command::Github(command)).await;
            if matches!(reply, Reply::Invalid { .. } | Reply::Failed) {
                return ack_for(reply, field::CORE_REPOS);
            }
        }
    }
    Ack::Empty
}

/// The actor's GitHub link as stored, through `/tlm github`'s own read.
async fn current_github(
    bot: &Arc<SlackBot>,
    actor: &crate::app::Actor,
) -> Option<crate::domain::github::GithubLink> {
    match run(bot, actor, Command::Github(GithubCommand::Show)).await {
        Reply::Github(GithubView::Shown(link)) => link.map(|g| *g),
        _ => None,
    }
}
