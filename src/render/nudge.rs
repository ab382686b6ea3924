//! The words of every nudge: one line, specific, kind, with one thing to do — and the
//! buttons that act on it.

use super::{escape, Button, Doc, Element};
use crate::domain::nudge::{Nudge, NudgeKind};
use crate::domain::team::HEALTHY_TEAM_SIZE;
use crate::domain::week::short_date;

/// Button action ids: the Slack interactivity handler dispatches on these.
pub const OPEN_CHECKIN: &str = "twohats.open_checkin";
pub const LOG_ONE_ON_ONE: &str = "twohats.log_1on1";
pub const SNOOZE: &str = "twohats.snooze";

/// The nudge as one mrkdwn line.
pub fn line(nudge: &Nudge) -> String {
    match nudge {
        Nudge::Burnout { energies } => format!(
            "Energy {} in your last {} check-ins — the slider only goes to 100%. What's one thing you can drop or delegate this week?",
            join_numbers(energies),
            energies.len()
        ),
        Nudge::BothFires => "Both hats are on fire this week: an incident and a people problem. Triage — what must you handle today, what can someone else own, what can wait a week?".to_string(),
        Nudge::OneOnOnes { worst, days, cadence_days, others, none_this_week } => {
            let lead = if *none_this_week { "No 1:1s logged this week. " } else { "" };
            let more = match others {
                0 => String::new(),
                1 => ", and 1 more report is overdue".to_string(),
                n => format!(", and {n} more reports are overdue"),
            };
            format!("{lead}No 1:1 with {worst} for {days} days (cadence {cadence_days}){more}. Put 30 minutes on the calendar for {worst} this week.")
        }
        Nudge::Reviews { waiting, oldest_days } => {
            let prs = if *waiting == 1 { "1 PR is".to_string() } else { format!("{waiting} PRs are") };
            let oldest = match (waiting, oldest_days) {
                (_, 0) => String::new(),
                (1, 1) => ", for a day".to_string(),
                (1, n) => format!(", for {n} days"),
                (_, 1) => ", the oldest for a day".to_string(),
                (_, n) => format!(", the oldest for {n} days"),
            };
            let act = if *waiting >= 4 {
                format!("review the oldest today or hand {} to someone else", waiting / 2)
            } else {
                "review the oldest today — someone is blocked on it".to_string()
            };
            format!("{prs} waiting on your review{oldest} — {act}.")
        }
        Nudge::CoreMerges { core, merged } => format!(
            "{core} of your {merged} merged PRs this week were in core repos: you're on the critical path in practice. Pair a report on the next one so it isn't only you."
        ),
        Nudge::CriticalPath { since, days, what } => {
            let on = what.as_deref().map(|w| format!(" on {}", escape(w))).unwrap_or_default();
            let how_long = match days {
                0 => "since today".to_string(),
                1 => format!("for a day (since {})", short_date(*since)),
                n => format!("for {n} days (since {})", short_date(*since)),
            };
            format!("You've been on the critical path{on} {how_long}: hand it off or pair on it — make them better, not be the hero.")
        }
        Nudge::Drift(d) => {
            let fix = if d.avg_pct < d.target_pct {
                "If not, block one focus morning for engineering next week."
            } else {
                "If not, put your 1:1s and people time on the calendar first."
            };
            format!("{} weeks at {}% engineering vs your {}% target: is that a choice? {fix}", d.weeks, d.avg_pct, d.target_pct)
        }
        Nudge::Focus { target_pct } => format!(
            "No 2-hour focus block this week, and your target is {target_pct}% engineering — block one for tomorrow morning?"
        ),
        Nudge::TeamSize { size } if *size > *HEALTHY_TEAM_SIZE.end() => format!(
            "{size} reports is more than one TLM can hold without dropping balls; 3-4 is the sweet spot. Could someone grow into leading part of the team?"
        ),
        Nudge::TeamSize { size } => format!(
            "{size} {} on your roster isn't really managing yet; 3-4 is the sweet spot. Is the engineering hat the bigger one for now — and is that the deal you want?",
            if *size == 1 { "report" } else { "reports" }
        ),
        Nudge::Wins { days, ever: true } => format!(
            "No wins logged for {days} days. Log a win — someone you helped grow counts: `/tlm win …`"
        ),
        Nudge::Wins { days, ever: false } => format!(
            "No wins logged in your first {days} days. Manager wins come slowly, so note them: `/tlm win …` — someone you helped grow counts."
        ),
    }
}

/// The buttons under a nudge: the one thing to do, and a week's snooze.
pub fn buttons(nudge: &Nudge) -> Vec<Button> {
    let act = match nudge {
        Nudge::OneOnOnes { worst, .. } => {
            Some(button("Log a 1:1", LOG_ONE_ON_ONE, worst.id.as_str(), true))
        }
        Nudge::Burnout { .. } | Nudge::BothFires | Nudge::Drift(_) | Nudge::CriticalPath { .. } => {
            Some(button("Open check-in", OPEN_CHECKIN, "", true))
        }
        Nudge::TeamSize { .. }
        | Nudge::Wins { .. }
        | Nudge::Focus { .. }
        | Nudge::Reviews { .. } => None,
        Nudge::CoreMerges { .. } => Some(button("Open check-in", OPEN_CHECKIN, "", true)),
    };
    act.into_iter()
        .chain([snooze_button(nudge.kind())])
        .collect()
}

/// Nudges as sections with their buttons.
pub fn elements(nudges: &[Nudge]) -> Vec<Element> {
    nudges
        .iter()
        .flat_map(|n| [Element::Section(line(n)), Element::Actions(buttons(n))])
        .collect()
}

/// Appends nudges to a doc.
pub fn append(doc: &mut Doc, nudges: &[Nudge]) {
    doc.elements.extend(elements(nudges));
}

fn snooze_button(kind: NudgeKind) -> Button {
    button("Snooze a week", SNOOZE, kind.name(), false)
}

fn button(label: &str, action_id: &str, value: &str, primary: bool) -> Button {
    Button {
        label: label.into(),
        action_id: action_id.into(),
        value: value.into(),
        primary,
    }
}

fn join_numbers(values: &[u8]) -> String {
    let parts: Vec<String> = values.iter().map(u8::to_string).collect();
    parts.join(", ")
}
