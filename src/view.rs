//! What a use case answers: data, not words. `app` produces these, `render` turns them into
//! Block Kit or text; they live below both so that `render` never imports `app`.

use crate::command::CommandName;
use crate::domain::balance::WeekBalance;
use crate::domain::checkin::{CheckIn, FireKind};
use crate::domain::github::GithubLink;
use crate::domain::ids::{ChannelRef, Person};
use crate::domain::job::JobKind;
use crate::domain::nudge::{Nudge, NudgeKind};
use crate::domain::schedule::ScheduleSpec;
use crate::domain::summary::Summary;
use crate::domain::team::ReportStatus;
use crate::domain::user::{CriticalPath, UserRecord};
use crate::domain::values::Field;
use crate::store::Forgotten;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub enum Reply {
    Help {
        unknown: Option<String>,
    },
    /// Bad input or a request that can't be done: one sentence, and the command's usage.
    Invalid {
        message: String,
        usage: Option<CommandName>,
        /// The input at fault, when it is one: a form shows the message there.
        field: Option<Field>,
    },
    /// Something failed on our side; nothing was stored.
    Failed,
    CheckinModal,
    CheckedIn {
        checkin: CheckIn,
        week: Option<WeekBalance>,
        target_pct: u8,
        nudges: Vec<Nudge>,
    },
    OneOnOneLogged {
        with: Person,
        date: NaiveDate,
        next_due: Option<NaiveDate>,
    },
    Team {
        reports: Vec<ReportStatus>,
        change: TeamChange,
        size_nudge: Option<Nudge>,
    },
    WinLogged {
        public: bool,
        this_week: usize,
    },
    CriticalPathOn {
        cp: CriticalPath,
        already: bool,
    },
    CriticalPathOff {
        was: Option<CriticalPath>,
    },
    FireLogged {
        kind: FireKind,
        both: bool,
    },
    FiresCleared {
        kinds: Vec<FireKind>,
    },
    Summary(Box<Summary>),
    TargetSet {
        pct: u8,
    },
    TzSet {
        tz: Tz,
    },
    ScheduleSet {
        job: JobKind,
        spec: Option<ScheduleSpec>,
        next: Option<DateTime<Tz>>,
    },
    Paused {
        through: NaiveDate,
    },
    Resumed {
        was_paused: bool,
    },
    DigestSubscribed {
        channel: ChannelRef,
        spec: ScheduleSpec,
        next: Option<DateTime<Tz>>,
    },
    DigestOff {
        channel: ChannelRef,
    },
    DigestJoined {
        channel: ChannelRef,
        already: bool,
    },
    DigestLeft {
        channel: ChannelRef,
        was_member: bool,
    },
    Export {
        json: String,
    },
    ForgetAsk,
    Forgotten(Forgotten),
    /// `forget` stopped part-way: some of the data may be gone, some not yet.
    ForgetIncomplete,
    Snoozed {
        kind: NudgeKind,
        through: NaiveDate,
    },
    /// `calendar …`, `hours …`.
    Calendar(crate::domain::calendar::CalendarReply),
    Github(GithubView),
}

/// What a `/tlm github` command did.
#[derive(Debug, Clone, PartialEq)]
pub enum GithubView {
    /// No `GITHUB_TOKEN`: the feature is off for the workspace.
    Disabled,
    /// The link, if any, with its last figures.
    Shown(Option<Box<GithubLink>>),
    Linked(String),
    /// Unlinked; the login that was linked, if one was.
    Unlinked(Option<String>),
    /// The core repositories now.
    Core(Vec<String>),
}

/// What a `team` command did to the roster.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamChange {
    Shown,
    Added {
        added: Vec<Person>,
        updated: Vec<Person>,
    },
    Removed(Vec<Person>),
}

/// The App Home dashboard: this week, nudges, 1:1s, wins, and settings.
#[derive(Debug, Clone)]
pub struct Home {
    pub summary: Summary,
    pub settings: UserRecord,
    pub next_checkin: Option<DateTime<Tz>>,
    pub next_summary: Option<DateTime<Tz>>,
}
