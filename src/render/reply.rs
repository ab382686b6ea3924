//! The words of every command reply.

use super::summary::{report_line, summary_doc};
use super::{escape, nudge, Doc};
use crate::command::{help_text, usage};
use crate::domain::checkin::FireKind;
use crate::domain::ids::Person;
use crate::domain::job::JobKind;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::week::short_date;
use crate::view::{Reply, TeamChange};
use chrono::DateTime;
use chrono_tz::Tz;

/// Said when something broke on our side. Never blames the user, never leaks details.
pub const FAILED: &str =
    "Sorry — something went wrong on my side and nothing was saved. Please try again in a minute.";

pub fn reply_doc(reply: &Reply) -> Doc {
    match reply {
        Reply::Help { unknown } => {
            let mut doc = Doc::new("twohats help");
            if let Some(word) = unknown {
                doc = doc.section(format!("I don't know `{}` — here's what I can do.", escape(word)));
            }
            doc.section(help_text())
        }
        Reply::Invalid {
            message,
            usage: name,
            ..
        } => {
            let mut doc = Doc::line(message.clone());
            if let Some(name) = name {
                doc = doc.context(usage(*name));
            }
            doc
        }
        Reply::Failed => Doc::line(FAILED),
        Reply::CheckinModal => Doc::line(
            "The check-in form opens in Slack. Quick version: `/tlm checkin 60 energy=3 kind=review` — 60% engineering today.",
        ),
        Reply::CheckedIn { checkin, week, target_pct, nudges } => {
            let mut today = format!("Checked in: {}% engineering today", checkin.eng_pct);
            if let Some(e) = checkin.energy {
                today.push_str(&format!(", energy {e} of 5"));
            }
            if checkin.critical_path {
                today.push_str(", on the critical path");
            }
            let week = match week {
                Some(w) if w.days > 1 => format!(
                    " This week so far: {}% over {} days (target {target_pct}%).",
                    w.eng_pct, w.days
                ),
                _ => format!(" Your target is {target_pct}%."),
            };
            let mut doc = Doc::line(format!("{today}.{week}"));
            nudge::append(&mut doc, nudges);
            doc
        }
        Reply::OneOnOneLogged { with, date, next_due } => {
            let next = match next_due {
                Some(due) => format!(" Next one due by {}.", short_date(*due)),
                None => format!(" {with} isn't on your roster — `/tlm team add {with}` to track their cadence."),
            };
            Doc::line(format!("Logged your 1:1 with {with} on {}.{next}", short_date(*date)))
        }
        Reply::Team { reports, change, size_nudge } => {
            let mut doc = Doc::new("Your team");
            let said = match change {
                TeamChange::Shown => None,
                TeamChange::Added { added, updated } => Some(
                    [
                        (!added.is_empty()).then(|| format!("Added {}.", people(added))),
                        (!updated.is_empty()).then(|| format!("Updated {}.", people(updated))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                ),
                TeamChange::Removed(gone) => Some(format!("Removed {} from your roster.", people(gone))),
            };
            if let Some(said) = said {
                doc = doc.section(said);
            }
            if reports.is_empty() {
                doc = doc.section("No reports on your roster yet. Add them with `/tlm team add @a @b` (every 7 days unless you say `every 14d`).");
            } else {
                let lines: Vec<String> = reports.iter().map(report_line).collect();
                doc = doc.section(format!("*Your team ({})*\n{}", reports.len(), lines.join("\n")));
            }
            if let Some(n) = size_nudge {
                nudge::append(&mut doc, std::slice::from_ref(n));
            }
            doc
        }
        Reply::WinLogged { public, this_week } => {
            let shared = if *public { " It may appear in your team's digest." } else { " Only you can see it." };
            let count = match this_week {
                1 => "Your first this week.".to_string(),
                n => format!("{n} this week."),
            };
            Doc::line(format!("Win logged — nice.{shared} {count}"))
        }
        Reply::CriticalPathOn { cp, already } => {
            let what = cp.what.as_deref().map(|w| format!(" ({})", escape(w))).unwrap_or_default();
            let lead = if *already { "Still noted" } else { "Noted" };
            Doc::line(format!(
                "{lead}: you're on the critical path since {}{what}. Hand it off or pair when you can; `/tlm cp off` once you're clear.",
                short_date(cp.since)
            ))
        }
        Reply::CriticalPathOff { was: Some(cp) } => {
            Doc::line(format!("Off the critical path (on since {}). The team's got it.", short_date(cp.since)))
        }
        Reply::CriticalPathOff { was: None } => Doc::line("You weren't marked on the critical path — nothing to change."),
        Reply::FireLogged { kind, both } => {
            let what = match kind {
                FireKind::Incident => "an incident",
                FireKind::People => "a people problem",
            };
            let mut doc = Doc::line(format!("Logged {what} this week."));
            if *both {
                nudge::append(&mut doc, &[crate::domain::nudge::Nudge::BothFires]);
            }
            doc
        }
        Reply::FiresCleared { kinds } if kinds.is_empty() => Doc::line("No fires burning this week — nothing to clear."),
        Reply::FiresCleared { kinds } => {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            Doc::line(format!("Cleared this week's fires ({}). Good to have them out.", names.join(", ")))
        }
        Reply::Summary(s) => summary_doc(s),
        Reply::TargetSet { pct } => Doc::line(format!(
            "Your target is now {pct}% engineering, {}% management. Nudges measure drift against it.",
            100 - pct
        )),
        Reply::Calendar(r) => super::calendar::reply_doc(r),
        Reply::TzSet { tz } => Doc::line(format!("Time zone set to {tz}. Your weeks and schedules follow it from now on.")),
        Reply::ScheduleSet { job, spec, next } => Doc::line(schedule_line(*job, spec.as_ref(), next.as_ref())),
        Reply::Paused { through } => Doc::line(format!(
            "Paused through {}: no prompts, nudges or summaries, and these weeks won't count toward your balance. `/tlm resume` if you're back early. Enjoy the break.",
            short_date(*through)
        )),
        Reply::Resumed { was_paused: true } => {
            Doc::line("Welcome back. Prompts and summaries pick up at their next scheduled time.")
        }
        Reply::Resumed { was_paused: false } => Doc::line("You weren't paused — everything is running as usual."),
        Reply::DigestSubscribed { channel, spec, next } => Doc::line(format!(
            "{channel} gets the team digest {}{}. It shares only public wins and team numbers. Other TLMs opt in with `/tlm digest {channel} join` — you're in.",
            spec.describe(),
            next_phrase(next.as_ref())
        )),
        Reply::DigestOff { channel } => Doc::line(format!("{channel} won't get the team digest any more.")),
        Reply::DigestJoined { channel, already } => Doc::line(format!(
            "{} {channel}'s digest: it shows your public wins, and your check-ins only inside team numbers (never on their own). `/tlm digest {channel} leave` to opt out.",
            if *already { "You're already in" } else { "You've joined" }
        )),
        Reply::DigestLeft { channel, was_member } => Doc::line(if *was_member {
            format!("You've left {channel}'s digest. Nothing of yours appears there from now on.")
        } else {
            format!("You weren't in {channel}'s digest, so nothing changed.")
        }),
        Reply::Export { json } => Doc::new("Your twohats data")
            .section("Here's everything twohats keeps about you, as JSON:")
            .section(format!("```{}```", escape(json))),
        Reply::ForgetAsk => Doc::line(
            "This deletes everything twohats keeps about you — check-ins, 1:1s, wins, fires and settings — and can't be undone. To go ahead: `/tlm forget confirm`. Want a copy first? `/tlm export`.",
        ),
        Reply::Forgotten(gone) => {
            let mut extra = String::new();
            if gone.digests_removed > 0 {
                extra.push_str(&format!(" Removed {} digest subscription(s) you set up.", gone.digests_removed));
            }
            if gone.digests_left > 0 {
                extra.push_str(&format!(" Took you out of {} team digest(s).", gone.digests_left));
            }
            Doc::line(format!(
                "Done: deleted {} stored {}.{extra} Nothing about you remains in twohats.",
                gone.rows,
                if gone.rows == 1 { "record" } else { "records" }
            ))
        }
        Reply::ForgetIncomplete => Doc::line(
            "I started deleting your data but hit a problem before the end, so some of it may still be here. Run `/tlm forget confirm` again to finish — it picks up where this stopped.",
        ),
        Reply::Snoozed { kind, through } => Doc::line(format!(
            "Snoozed the `{kind}` nudge through {}. It comes back after that if it still applies.",
            short_date(*through)
        )),
        Reply::Github(view) => super::github::reply_doc(view),
    }
}

fn schedule_line(job: JobKind, spec: Option<&ScheduleSpec>, next: Option<&DateTime<Tz>>) -> String {
    let what = match job {
        JobKind::Checkin => "Check-in prompts",
        JobKind::Summary => "Your weekly summary",
    };
    match spec {
        Some(spec) => format!("{what}: {}{}.", spec.describe(), next_phrase(next)),
        None => format!(
            "{what}: off. `/tlm schedule {} fri 16:00` turns {} back on.",
            match job {
                JobKind::Checkin => "checkin",
                JobKind::Summary => "summary",
            },
            match job {
                JobKind::Checkin => "them",
                JobKind::Summary => "it",
            }
        ),
    }
}

fn next_phrase(next: Option<&DateTime<Tz>>) -> String {
    next.map(|at| {
        format!(
            " (next {}, {})",
            at.format("%a %-d %b %H:%M"),
            at.timezone()
        )
    })
    .unwrap_or_default()
}

fn people(list: &[Person]) -> String {
    let names: Vec<String> = list.iter().map(Person::to_string).collect();
    names.join(", ")
}
