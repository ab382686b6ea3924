//! The weekly summary, the App Home dashboard and the team digest, as documents.

use super::{escape, nudge, Doc, Element};
use crate::domain::balance::sparkline;
use crate::domain::digest::{Digest, AGGREGATE_ROUNDING, MIN_MEMBERS_FOR_AGGREGATES, WINS_DAYS};
use crate::domain::job::JobKind;
use crate::domain::summary::Summary;
use crate::domain::team::{OneOnOneSource, ReportStatus};
use crate::domain::user::JobSchedule;
use crate::domain::week::short_date;
use crate::view::Home;
use chrono::DateTime;
use chrono_tz::Tz;

/// The weekly summary, as DMed on Fridays and answered to `/tlm summary`.
pub fn summary_doc(s: &Summary) -> Doc {
    let mut doc = Doc::new(format!("Your week {}: {}", s.week, balance_phrase(s))).header(format!(
        "Your week — {} to {}",
        short_date(s.week.monday()),
        short_date(s.week.sunday())
    ));
    append_week(&mut doc, s);
    if let Some(p) = s.paused {
        doc = doc.context(format!(
            "Paused through {} — no nudges until you're back.",
            short_date(p.through)
        ));
    } else {
        nudge::append(&mut doc, &s.nudges);
    }
    doc
}

/// Everything about the week but the nudges: shared by the summary and the App Home.
fn append_week(doc: &mut Doc, s: &Summary) {
    doc.push(Element::Section(format!(
        "*Balance:* {}",
        balance_phrase(s)
    )));
    doc.push(Element::Section(format!(
        "*Last 8 weeks:* `{}` (oldest to this week; `·` no check-ins, `‖` paused)",
        sparkline(&s.trend)
    )));
    if let Some(c) = &s.calendar {
        doc.push(Element::Section(super::calendar::summary_line(c)));
    }
    if !s.reports.is_empty() {
        let lines: Vec<String> = s.reports.iter().map(report_line).collect();
        doc.push(Element::Section(format!("*1:1s*\n{}", lines.join("\n"))));
    }
    doc.push(Element::Fields(vec![
        format!(
            "*Critical path:* {}",
            match &s.critical_path {
                Some(cp) => format!("on since {}", short_date(cp.since)),
                None => "off".into(),
            }
        ),
        format!(
            "*Fires:* {}",
            if s.fires.is_empty() {
                "none".into()
            } else {
                s.fires
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        format!("*Energy:* {}", energy_phrase(&s.energies)),
        format!("*Kind of work:* {}", kinds_phrase(s)),
    ]));
    if let Some(line) = &s.github {
        doc.push(Element::Section(super::github::summary_lines(line)));
    }
    if !s.wins.is_empty() {
        let wins: Vec<String> = s
            .wins
            .iter()
            .map(|w| format!("• {}", escape(&w.text)))
            .collect();
        doc.push(Element::Section(format!(
            "*Wins this week*\n{}",
            wins.join("\n")
        )));
    }
}

fn balance_phrase(s: &Summary) -> String {
    match &s.balance {
        Some(b) => format!(
            "{}% engineering / {}% management over {} {} (target {}% engineering)",
            b.eng_pct,
            100 - b.eng_pct,
            b.days,
            if b.days == 1 { "day" } else { "days" },
            s.target_pct
        ),
        None => format!(
            "no check-ins yet this week (target {}% engineering)",
            s.target_pct
        ),
    }
}

/// One report's 1:1 standing, for the summary and the team list.
pub fn report_line(r: &ReportStatus) -> String {
    let last = match r.last {
        Some(date) => format!(
            "last 1:1 {} ({}{} {} ago)",
            short_date(date),
            match r.last_source {
                OneOnOneSource::Calendar => "from your calendar, ",
                OneOnOneSource::ByHand => "",
            },
            r.days_since,
            days_word(r.days_since)
        ),
        None => format!(
            "no 1:1 logged yet ({} {} on the team)",
            r.days_since,
            days_word(r.days_since)
        ),
    };
    let flag = if r.overdue { " — *overdue*" } else { "" };
    format!(
        "• {} — {last}, every {} days{flag}",
        r.person, r.cadence_days
    )
}

fn days_word(n: i64) -> &'static str {
    if n == 1 {
        "day"
    } else {
        "days"
    }
}

fn energy_phrase(energies: &[u8]) -> String {
    if energies.is_empty() {
        return "not logged".into();
    }
    let sum: u32 = energies.iter().map(|e| u32::from(*e)).sum();
    let list: Vec<String> = energies.iter().map(u8::to_string).collect();
    format!(
        "{} (avg {:.1} of 5)",
        list.join(", "),
        f64::from(sum) / energies.len() as f64
    )
}

fn kinds_phrase(s: &Summary) -> String {
    if s.kinds.is_empty() {
        return "not logged".into();
    }
    let parts: Vec<String> = s
        .kinds
        .iter()
        .map(|(k, n)| {
            format!(
                "{} {} {}",
                k.name(),
                n,
                if *n == 1 { "day" } else { "days" }
            )
        })
        .collect();
    parts.join(", ")
}

/// The App Home tab.
pub fn home_doc(h: &Home) -> Doc {
    let s = &h.summary;
    let mut doc = Doc::new("twohats").header("twohats — your two hats this week");
    if let Some(p) = s.paused {
        doc = doc.context(format!(
            "Paused through {}. `/tlm resume` when you're back.",
            short_date(p.through)
        ));
    }
    append_week(&mut doc, s);
    doc.push(Element::Divider);
    if s.paused.is_none() && !s.nudges.is_empty() {
        doc.push(Element::Header("Worth a look".into()));
        nudge::append(&mut doc, &s.nudges);
        doc.push(Element::Divider);
    }
    if s.reports.is_empty() {
        doc.push(Element::Section(
            "*Your team:* no reports yet — `/tlm team add @a @b` to track 1:1s.".into(),
        ));
    }
    doc.push(Element::Header("Settings".into()));
    let r = &h.settings;
    doc.push(Element::Fields(vec![
        format!("*Target:* {}% engineering", r.target_pct),
        format!("*Time zone:* {}", s.tz),
        format!(
            "*Check-in prompt:* {}",
            schedule_phrase(
                r.schedule(JobKind::Checkin),
                JobKind::Checkin,
                h.next_checkin
            )
        ),
        format!(
            "*Weekly summary:* {}",
            schedule_phrase(
                r.schedule(JobKind::Summary),
                JobKind::Summary,
                h.next_summary
            )
        ),
    ]));
    if let Some(line) = super::github::home_line(r.github.as_ref()) {
        doc.push(Element::Section(line));
    }
    doc.push(Element::Context(
        "Change them with `/tlm target 60`, `/tlm tz Europe/Berlin`, `/tlm schedule summary fri 16:00`.".into(),
    ));
    doc
}

fn schedule_phrase(schedule: &JobSchedule, job: JobKind, next: Option<DateTime<Tz>>) -> String {
    match schedule.effective(job) {
        None => "off".into(),
        Some(spec) => match next {
            Some(at) => format!(
                "{} (next {})",
                spec.describe(),
                at.format("%a %-d %b %H:%M")
            ),
            None => spec.describe(),
        },
    }
}

/// A team channel's digest: public wins and, with enough members, aggregates only.
pub fn digest_doc(d: &Digest) -> Doc {
    let mut doc = Doc::new(format!("Team digest for {}", d.week)).header(format!(
        "Team digest — week of {}",
        short_date(d.week.monday())
    ));
    match &d.aggregates {
        Some(a) => doc.push(Element::Fields(vec![
            format!(
                "*Checked in:* about {}% of {} members",
                a.participation_pct, d.members
            ),
            format!("*Median split:* about {}% engineering", a.median_eng_pct),
            format!(
                "*On the critical path:* about {}% of those who checked in",
                a.critical_path_pct
            ),
        ])),
        None => doc.push(Element::Context(format!(
            "Team numbers appear for a week in which at least {MIN_MEMBERS_FOR_AGGREGATES} members checked in, rounded to the nearest {AGGREGATE_ROUNDING}, so nobody's own numbers show."
        ))),
    };
    if d.wins.is_empty() {
        doc.push(Element::Context(format!(
            "No public wins in the last {WINS_DAYS} days. `/tlm win <text> --public` shares one here."
        )));
    } else {
        let wins: Vec<String> = d
            .wins
            .iter()
            .map(|(who, text)| format!("• {who}: {}", escape(text)))
            .collect();
        doc.push(Element::Section(format!(
            "*Wins of the last {WINS_DAYS} days*\n{}",
            wins.join("\n")
        )));
    }
    doc.push(Element::Context("Members opt in with `/tlm digest #channel join`; only public wins and rounded team numbers for the last full week are shared.".into()));
    doc
}

/// The scheduled check-in prompt: one line, one button.
pub fn checkin_prompt_doc() -> Doc {
    let mut doc = Doc::new("Time for your check-in")
        .section("Quick check-in: how did today split between your two hats?");
    doc.push(Element::Actions(vec![super::Button {
        label: "Check in".into(),
        action_id: super::nudge::OPEN_CHECKIN.into(),
        value: String::new(),
        primary: true,
    }]));
    doc.context("Or type `/tlm checkin 60 energy=3` — 60% engineering today. `/tlm schedule checkin off` stops these.")
}
