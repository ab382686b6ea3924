//! The Slack modals and the App Home view, as Block Kit JSON.
//!
//! Block ids and action ids here are read back by `slack::interactions` when the modal is
//! submitted, so they are named constants.

use super::blocks::{truncate, view_blocks};
use super::summary::home_doc;
use crate::domain::checkin::{EngKind, FireKind};
use crate::domain::job::JobKind;
use crate::domain::user::{JobSchedule, UserRecord};
use crate::view::Home;
use serde_json::{json, Value};

pub const CHECKIN_CALLBACK: &str = "twohats.checkin";
pub const ONE_ON_ONE_CALLBACK: &str = "twohats.1on1";
pub const SETTINGS_CALLBACK: &str = "twohats.settings";

/// Block ids of modal inputs; each input's action id is [`VALUE`].
pub mod field {
    pub const ENG: &str = "eng";
    pub const ENERGY: &str = "energy";
    pub const CP: &str = "cp";
    pub const FIRES: &str = "fires";
    pub const KINDS: &str = "kinds";
    pub const NOTE: &str = "note";
    pub const WITH: &str = "with";
    pub const DATE: &str = "date";
    pub const TARGET: &str = "target";
    pub const TZ: &str = "tz";
    pub const CHECKIN_SCHEDULE: &str = "checkin_schedule";
    pub const SUMMARY_SCHEDULE: &str = "summary_schedule";
    pub const GITHUB_LOGIN: &str = "github_login";
    pub const CORE_REPOS: &str = "core_repos";
    pub const VALUE: &str = "value";
}

/// Home tab buttons.
pub const OPEN_SETTINGS: &str = "twohats.open_settings";

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn option(label: &str, value: &str) -> Value {
    json!({"text": plain(label), "value": value})
}

fn input(block_id: &str, label: &str, element: Value, optional: bool) -> Value {
    json!({"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional})
}

fn modal(callback_id: &str, title: &str, submit: &str, blocks: Vec<Value>) -> Value {
    json!({
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "blocks": blocks,
    })
}

fn percent_select(placeholder: &str, initial: Option<u8>) -> Value {
    let options: Vec<Value> = (0..=10)
        .map(|i| option(&format!("{}%", i * 10), &(i * 10).to_string()))
        .collect();
    let mut select = json!({"type": "static_select", "action_id": field::VALUE, "placeholder": plain(placeholder), "options": options});
    if let Some(pct) = initial {
        let rounded = (pct + 5) / 10 * 10;
        select["initial_option"] = option(&format!("{rounded}%"), &rounded.to_string());
    }
    select
}

fn checkboxes(options: Vec<Value>) -> Value {
    json!({"type": "checkboxes", "action_id": field::VALUE, "options": options})
}

/// The check-in modal: today's engineering share, energy, critical path, fires, kind of
/// work, a note.
pub fn checkin_modal() -> Value {
    let energy: Vec<Value> = [
        (1, "1 — running on empty"),
        (2, "2 — low"),
        (3, "3 — okay"),
        (4, "4 — good"),
        (5, "5 — great"),
    ]
    .iter()
    .map(|(v, l)| option(l, &v.to_string()))
    .collect();
    modal(
        CHECKIN_CALLBACK,
        "Check in",
        "Save",
        vec![
            input(
                field::ENG,
                "How much of today was engineering?",
                percent_select("Engineering share", None),
                false,
            ),
            input(
                field::ENERGY,
                "Energy",
                json!({"type": "static_select", "action_id": field::VALUE, "placeholder": plain("1-5"), "options": energy}),
                true,
            ),
            input(
                field::CP,
                "Critical path",
                checkboxes(vec![option("I'm on the critical path", "cp")]),
                true,
            ),
            input(
                field::FIRES,
                "Fires",
                checkboxes(
                    FireKind::ALL
                        .iter()
                        .map(|k| option(fire_label(*k), k.name()))
                        .collect(),
                ),
                true,
            ),
            input(
                field::KINDS,
                "Kind of engineering",
                checkboxes(
                    EngKind::ALL
                        .iter()
                        .map(|k| option(kind_label(*k), k.name()))
                        .collect(),
                ),
                true,
            ),
            input(
                field::NOTE,
                "Note (only you see it)",
                json!({"type": "plain_text_input", "action_id": field::VALUE, "multiline": true,
                       "max_length": crate::domain::checkin::MAX_TEXT_CHARS}),
                true,
            ),
        ],
    )
}

fn fire_label(kind: FireKind) -> &'static str {
    match kind {
        FireKind::Incident => "An incident",
        FireKind::People => "A people problem",
    }
}

fn kind_label(kind: EngKind) -> &'static str {
    match kind {
        EngKind::Core => "Core logic on the critical path",
        EngKind::Review => "Code review",
        EngKind::Design => "Design review / docs",
        EngKind::Pairing => "Pairing",
        EngKind::Tooling => "Tooling / glue",
    }
}

/// The 1:1 modal: who, and when (today by default).
pub fn one_on_one_modal(with: Option<&str>, today: chrono::NaiveDate) -> Value {
    let mut who = json!({"type": "users_select", "action_id": field::VALUE, "placeholder": plain("Who did you meet?")});
    if let Some(user) = with.filter(|u| !u.is_empty()) {
        who["initial_user"] = json!(user);
    }
    modal(
        ONE_ON_ONE_CALLBACK,
        "Log a 1:1",
        "Log it",
        vec![
            input(field::WITH, "With", who, false),
            input(
                field::DATE,
                "When",
                json!({"type": "datepicker", "action_id": field::VALUE, "initial_date": today.format("%Y-%m-%d").to_string()}),
                false,
            ),
        ],
    )
}

/// The settings modal: target, time zone, the two schedules, and, when the workspace has
/// GitHub on (`github`), the linked login and the core repositories.
pub fn settings_modal(record: &UserRecord, tz: chrono_tz::Tz, github: bool) -> Value {
    let schedule_text = |job: JobKind| match record.schedule(job) {
        JobSchedule::Off => "off".to_string(),
        other => other
            .effective(job)
            .map(|s| s.source().to_string())
            .unwrap_or_default(),
    };
    let text_input = |initial: String, placeholder: &str| json!({"type": "plain_text_input", "action_id": field::VALUE, "initial_value": initial, "placeholder": plain(placeholder)});
    let mut blocks = vec![
        input(
            field::TARGET,
            "Your target engineering share",
            percent_select("Target", Some(record.target_pct)),
            false,
        ),
        input(
            field::TZ,
            "Time zone (IANA, e.g. Europe/Berlin)",
            text_input(tz.name().to_string(), "Europe/Berlin"),
            false,
        ),
        input(
            field::CHECKIN_SCHEDULE,
            "Check-in prompt",
            text_input(
                schedule_text(JobKind::Checkin),
                "fri 15:30, weekdays 17:00, 0 16 * * 5 or off",
            ),
            false,
        ),
        input(
            field::SUMMARY_SCHEDULE,
            "Weekly summary",
            text_input(schedule_text(JobKind::Summary), "fri 16:00, or off"),
            false,
        ),
    ];
    if github {
        // Optional text inputs; an empty one has no `initial_value` at all.
        let optional_text = |initial: String, placeholder: &str| {
            let mut element = json!({"type": "plain_text_input", "action_id": field::VALUE, "placeholder": plain(placeholder)});
            if !initial.is_empty() {
                element["initial_value"] = json!(initial);
            }
            element
        };
        let link = record.github.as_ref();
        blocks.push(input(
            field::GITHUB_LOGIN,
            "GitHub login (empty to unlink)",
            optional_text(link.map(|g| g.login.clone()).unwrap_or_default(), "octocat"),
            true,
        ));
        blocks.push(input(
            field::CORE_REPOS,
            "Core repositories (owner/repo, separated by spaces or commas)",
            optional_text(
                link.map(|g| g.core.join(" ")).unwrap_or_default(),
                "acme/payments acme/ledger",
            ),
            true,
        ));
    }
    modal(SETTINGS_CALLBACK, "Settings", "Save", blocks)
}

/// The App Home tab: quick actions, then the dashboard.
pub fn home_view(home: &Home) -> Value {
    let mut blocks = vec![json!({
        "type": "actions",
        "elements": [
            {"type": "button", "text": plain("Check in"), "action_id": format!("{}:home", super::nudge::OPEN_CHECKIN), "value": "", "style": "primary"},
            {"type": "button", "text": plain("Log a 1:1"), "action_id": format!("{}:home", super::nudge::LOG_ONE_ON_ONE), "value": ""},
            {"type": "button", "text": plain("Settings"), "action_id": format!("{OPEN_SETTINGS}:home"), "value": ""},
        ]
    })];
    let mut rest = view_blocks(&home_doc(home));
    rest.truncate(super::blocks::MAX_VIEW_BLOCKS - 1);
    blocks.extend(rest);
    json!({"type": "home", "blocks": blocks})
}

/// A short ephemeral message body.
pub fn ephemeral(text: &str) -> Value {
    json!({"response_type": "ephemeral", "text": truncate(text, 3000)})
}
