//! The calendar's words: the summary line, the replies to `calendar` and `hours`, and the
//! "Is this your 1:1 with @bob?" question with its Yes / No buttons.

use super::{Button, Doc, Element};
use crate::domain::calendar::{CalendarReply, WeekFigures, WorkingHours};
use crate::domain::ids::Person;

/// Button action ids: the Slack interactivity handler dispatches on these; the value is the
/// report's user id.
pub const SERIES_YES: &str = "twohats.cal_1on1_yes";
pub const SERIES_NO: &str = "twohats.cal_1on1_no";

/// "Calendar: 22 h in meetings, 3 focus blocks of 2 h+".
pub fn summary_line(f: &WeekFigures) -> String {
    let blocks = match f.focus_blocks {
        0 => "no focus block of 2 h+".to_string(),
        1 => "1 focus block of 2 h+".to_string(),
        n => format!("{n} focus blocks of 2 h+"),
    };
    format!("*Calendar:* {} h in meetings, {blocks}", f.meeting_hours())
}

fn hours_phrase(h: &WorkingHours) -> String {
    let (first, last) = h.days();
    let days = if first == last {
        first.to_string().to_lowercase()
    } else {
        format!("{}-{}", first, last).to_lowercase()
    };
    format!(
        "{days} {}-{}",
        h.start.format("%H:%M"),
        h.end.format("%H:%M")
    )
}

pub fn reply_doc(reply: &CalendarReply) -> Doc {
    match reply {
        CalendarReply::Linked { masked, hours } => Doc::line(format!(
            "Calendar linked ({masked}). Your summary will show meeting hours and focus blocks within your working hours ({}; change with `/tlm hours`). Only figures are kept, never your events; `/tlm calendar off` unlinks it.",
            hours_phrase(hours)
        )),
        CalendarReply::Unlinked { was_linked: true } => {
            Doc::line("Calendar unlinked; its figures are gone. Hand-logged 1:1s stay.")
        }
        CalendarReply::Unlinked { was_linked: false } => {
            Doc::line("No calendar was linked — nothing to unlink.")
        }
        CalendarReply::Hours { hours, linked } => Doc::line(format!(
            "Working hours set to {}.{}",
            hours_phrase(hours),
            if *linked {
                " Meeting hours and focus blocks are counted within them from the next refresh."
            } else {
                " Link a calendar with `/tlm calendar <secret iCal address>` to see meetings and focus time."
            }
        )),
        CalendarReply::Answered { with, yes: true } => Doc::line(format!(
            "Got it: that series is your 1:1 with {with}. Each one that happens is logged for you; cancelled or declined ones aren't."
        )),
        CalendarReply::Answered { with, yes: false } => Doc::line(format!(
            "Got it: not your 1:1 with {with}. I won't ask about that series again."
        )),
        CalendarReply::NothingToAnswer { with } => Doc::line(format!(
            "I haven't asked about a 1:1 series with {with} — nothing to answer."
        )),
    }
}

/// The question asked once per series, as a DM with two buttons.
pub fn offer_doc(with: &Person) -> Doc {
    let question =
        format!("Is this your 1:1 with {with}? A recurring event in your calendar looks like it.");
    let mut doc = Doc::new(question.clone());
    doc.push(Element::Section(question));
    doc.push(Element::Actions(vec![
        Button {
            label: "Yes".into(),
            action_id: SERIES_YES.into(),
            value: with.id.as_str().to_string(),
            primary: true,
        },
        Button {
            label: "No".into(),
            action_id: SERIES_NO.into(),
            value: with.id.as_str().to_string(),
            primary: false,
        },
    ]));
    doc
}
