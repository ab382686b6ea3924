//! `/tlm` text to a typed [`Command`]: the parser, and the usage text for every command.
//!
//! No I/O and no clock: a [`Command`] says what the user asked for; the `app` layer decides
//! whether it can be done (for example, whether `@bob` is on the roster).

mod github;
mod parse;
mod usage;

pub use github::GithubCommand;
pub use parse::{parse, ParseError};
pub use usage::{help_text, usage, CommandName};

use crate::domain::checkin::{EngKind, FireKind};
use crate::domain::ids::{ChannelRef, Person};
use crate::domain::job::JobKind;
use crate::domain::nudge::NudgeKind;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::values::{Energy, Note, Percent};
use chrono::NaiveDate;
use chrono_tz::Tz;

/// One parsed `/tlm` command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `help`, empty text, or an unknown word (kept in `unknown` so the reply can say so).
    Help { unknown: Option<String> },
    /// `checkin` with nothing after it: open the check-in modal.
    CheckinModal,
    /// `checkin <eng%> [energy=1-5] [cp] [fire=…] [kind=…] [note]`.
    Checkin(QuickCheckin),
    /// `1on1 @user [YYYY-MM-DD]`; `date` is `None` for today.
    OneOnOne {
        with: Person,
        date: Option<NaiveDate>,
    },
    /// `team`.
    TeamShow,
    /// `team add @a @b [every 7d]`; `cadence_days` is `None` for the default.
    TeamAdd {
        people: Vec<Person>,
        cadence_days: Option<u32>,
    },
    /// `team remove @a`.
    TeamRemove { people: Vec<Person> },
    /// `win <text> [--public]`.
    Win { text: String, public: bool },
    /// `cp on [what]`.
    CpOn { what: Option<String> },
    /// `cp off`.
    CpOff,
    /// `fire incident|people`.
    Fire(FireKind),
    /// `fire clear`.
    FireClear,
    /// `summary`.
    Summary,
    /// `target <eng%>`.
    Target(Percent),
    /// `tz <IANA zone>`.
    Tz(Tz),
    /// `schedule checkin|summary <when>`; `spec` is `None` for `off`.
    Schedule {
        job: JobKind,
        spec: Option<ScheduleSpec>,
    },
    /// `pause <N>d|<N>w|until YYYY-MM-DD`.
    Pause(PauseSpec),
    /// `resume`.
    Resume,
    /// `digest #channel [when]`, `digest #channel off|join|leave`.
    Digest {
        channel: ChannelRef,
        action: DigestAction,
    },
    /// `export`.
    Export,
    /// `forget` without `confirm`: explain, delete nothing.
    ForgetAsk,
    /// `forget confirm`.
    Forget,
    /// `snooze <nudge> [<N>d|<N>w]` (default a week): what the summary's snooze button does,
    /// also typeable, so the console can do everything Slack can.
    Snooze { kind: NudgeKind, days: u32 },
    /// `calendar <url>|off|yes @p|no @p`.
    Calendar(CalendarAction),
    /// `hours <days> <HH:MM-HH:MM>`.
    Hours(crate::domain::calendar::WorkingHours),
    /// `github …`: link a GitHub login, mark core repositories.
    Github(GithubCommand),
}

/// What `calendar …` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendarAction {
    /// Link the secret iCal address (a URL the parser accepted; checked again on fetch).
    Link(String),
    Off,
    /// "Is this your 1:1 with @bob?"
    Answer {
        with: Person,
        yes: bool,
    },
}

impl Command {
    /// Whether running it may write to the store (so its reply waits for a flush).
    pub fn may_write(&self) -> bool {
        !matches!(
            self,
            Command::Help { .. } | Command::CheckinModal | Command::ForgetAsk
        )
    }

    /// Whether it reads or deletes everything a user ever stored (milliseconds for a year of
    /// data, more with a big outbox), or composes a summary (eight weeks of check-ins: up to
    /// 2,800 rows for someone at the daily cap), rather than a week or a record (microseconds):
    /// the Slack transport runs these on the blocking pool instead of an async worker, so one
    /// heavy user can't stall everyone's acks. A check-in with an energy or a fire composes
    /// the summary for its nudges, so it counts too; a plain `checkin 60` doesn't.
    pub fn is_heavy(&self) -> bool {
        match self {
            Command::Export | Command::Forget | Command::Summary => true,
            // Linking asks GitHub whether the login exists (a bounded, blocking call).
            Command::Github(GithubCommand::Link(_)) => true,
            // `leave` and `off` re-compose the team's queued digests.
            Command::Digest { .. } => true,
            Command::Checkin(quick) => quick.energy.is_some() || !quick.fires.is_empty(),
            _ => false,
        }
    }
}

/// A quick check-in typed after `/tlm checkin`, or submitted from the check-in modal. The
/// typed fields can only hold values their constructors accepted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuickCheckin {
    pub eng_pct: Percent,
    pub energy: Option<Energy>,
    pub critical_path: bool,
    pub fires: Vec<FireKind>,
    pub kinds: Vec<EngKind>,
    pub note: Option<Note>,
}

/// How long a pause lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseSpec {
    /// `<N>d`, or `<N>w` as 7·N days, counting today.
    Days(u32),
    /// `until YYYY-MM-DD`, that day included.
    Until(NaiveDate),
}

/// What `digest #channel …` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum DigestAction {
    /// Subscribe the channel; `None` keeps the default (Monday 09:00).
    Subscribe(Option<ScheduleSpec>),
    Off,
    Join,
    Leave,
}

#[cfg(test)]
mod heavy_tests {
    use super::*;

    #[test]
    fn summaries_and_whole_history_commands_are_heavy_a_plain_checkin_is_not() {
        let heavy = |text: &str| parse(text).map(|c| c.is_heavy()).unwrap_or(false);
        assert!(heavy("summary") && heavy("export") && heavy("forget confirm"));
        assert!(
            heavy("checkin 60 energy=2"),
            "composes the summary for its nudges"
        );
        assert!(heavy("checkin 60 fire=incident"));
        assert!(!heavy("checkin 60") && !heavy("win shipped") && !heavy("help"));
    }
}
