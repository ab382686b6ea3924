//! The usage line of every `/tlm` command and the full help, in Slack mrkdwn.
//!
//! This is the one place the syntax is spelled out for users: parse errors end with
//! [`usage`] for the command that failed, and `help` shows [`help_text`].

/// The `/tlm` commands, one per first word (aliases map to the same name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandName {
    Help,
    Checkin,
    OneOnOne,
    Team,
    Win,
    Cp,
    Fire,
    Summary,
    Target,
    Tz,
    Schedule,
    Pause,
    Resume,
    Digest,
    Export,
    Forget,
    Snooze,
    Calendar,
    Hours,
    Github,
}

impl CommandName {
    /// Every command, in the order the help lists them.
    pub const ALL: [CommandName; 20] = [
        CommandName::Help,
        CommandName::Checkin,
        CommandName::OneOnOne,
        CommandName::Team,
        CommandName::Win,
        CommandName::Cp,
        CommandName::Fire,
        CommandName::Summary,
        CommandName::Target,
        CommandName::Tz,
        CommandName::Schedule,
        CommandName::Pause,
        CommandName::Resume,
        CommandName::Digest,
        CommandName::Export,
        CommandName::Forget,
        CommandName::Snooze,
        CommandName::Calendar,
        CommandName::Hours,
        CommandName::Github,
    ];

    /// The word that starts the command, as the help spells it.
    pub fn word(self) -> &'static str {
        match self {
            CommandName::Help => "help",
            CommandName::Checkin => "checkin",
            CommandName::OneOnOne => "1on1",
            CommandName::Team => "team",
            CommandName::Win => "win",
            CommandName::Cp => "cp",
            CommandName::Fire => "fire",
            CommandName::Summary => "summary",
            CommandName::Target => "target",
            CommandName::Tz => "tz",
            CommandName::Schedule => "schedule",
            CommandName::Pause => "pause",
            CommandName::Resume => "resume",
            CommandName::Digest => "digest",
            CommandName::Export => "export",
            CommandName::Forget => "forget",
            CommandName::Snooze => "snooze",
            CommandName::Calendar => "calendar",
            CommandName::Hours => "hours",
            CommandName::Github => "github",
        }
    }

    /// The command a first word names, case-insensitively, including the 1:1 aliases.
    pub fn from_word(word: &str) -> Option<Self> {
        let word = word.to_ascii_lowercase();
        match word.as_str() {
            "1:1" | "oneonone" => Some(CommandName::OneOnOne),
            _ => Self::ALL.into_iter().find(|c| c.word() == word),
        }
    }

    /// What the command is for, as a short phrase for the help.
    fn what(self) -> &'static str {
        match self {
            CommandName::Help => "This help",
            CommandName::Checkin => "Check in on your day",
            CommandName::OneOnOne => "Log a 1:1",
            CommandName::Team => "Your reports and their 1:1 cadence",
            CommandName::Win => "Log a win",
            CommandName::Cp => "On or off the critical path",
            CommandName::Fire => "Log a fire",
            CommandName::Summary => "Summary on demand",
            CommandName::Target => "Your target engineering share",
            CommandName::Tz => "Your time zone",
            CommandName::Schedule => "When check-ins and summaries arrive",
            CommandName::Pause => "Going on vacation",
            CommandName::Resume => "Back from vacation",
            CommandName::Digest => "A team channel digest",
            CommandName::Export => "Your data",
            CommandName::Forget => "Leaving twohats",
            CommandName::Snooze => "Quiet one nudge for a while",
            CommandName::Calendar => "Link your calendar",
            CommandName::Hours => "Your working hours",
            CommandName::Github => "Signals from GitHub",
        }
    }
}

/// The syntax of one command and an example, in Slack mrkdwn.
pub fn usage(name: CommandName) -> &'static str {
    match name {
        CommandName::Help => "`/tlm help` lists every command, with examples.",
        CommandName::Checkin => {
            "`/tlm checkin` opens the form, or `/tlm checkin <eng%> [energy=1-5] [cp] \
             [fire=incident,people] [kind=core,review,design,pairing,tooling] [note]` \
             — e.g. `/tlm checkin 60 energy=2 cp migrating auth`"
        }
        CommandName::OneOnOne => {
            "`/tlm 1on1 @person [YYYY-MM-DD]` (today if no date) — e.g. `/tlm 1on1 @bob 2026-03-02`"
        }
        CommandName::Team => {
            "`/tlm team`, `/tlm team add @a @b [every 7d|every 2w]`, `/tlm team remove @a` \
             — e.g. `/tlm team add @bob @carol every 14d`"
        }
        CommandName::Win => {
            "`/tlm win <text> [--public]` — e.g. `/tlm win Bob led his first design review --public`"
        }
        CommandName::Cp => "`/tlm cp on [what]` or `/tlm cp off` — e.g. `/tlm cp on payments migration`",
        CommandName::Fire => "`/tlm fire incident|people` or `/tlm fire clear` — e.g. `/tlm fire people`",
        CommandName::Summary => "`/tlm summary` shows this week's summary now.",
        CommandName::Target => {
            "`/tlm target <eng%>` (0-100, default 50) — e.g. `/tlm target 80`"
        }
        CommandName::Tz => {
            "`/tlm tz <IANA zone>` — e.g. `/tlm tz Europe/Berlin` or `/tlm tz America/New_York`"
        }
        CommandName::Schedule => {
            "`/tlm schedule checkin|summary <when>` or `... off`; `<when>` is `fri 16:00`, \
             `mon,thu 09:30`, `weekdays 17:00` or 5-field cron `0 16 * * 5` \
             — e.g. `/tlm schedule summary fri 16:00`"
        }
        CommandName::Pause => "`/tlm pause <N>d|<N>w|until YYYY-MM-DD` — e.g. `/tlm pause 2w`",
        CommandName::Resume => "`/tlm resume` ends a pause.",
        CommandName::Digest => {
            "`/tlm digest #channel [when]`, `/tlm digest #channel off`, \
             `/tlm digest #channel join|leave` — e.g. `/tlm digest #team-platform mon 09:00`"
        }
        CommandName::Export => "`/tlm export` sends all your data, as JSON.",
        CommandName::Forget => {
            "`/tlm forget confirm` deletes all your data (plain `/tlm forget` explains first)."
        }
        CommandName::Snooze => {
            "`/tlm snooze <nudge> [<N>d|<N>w]` (a week if no length); nudges: `energy`, `fires`, \
             `1on1`, `reviews`, `cp`, `balance`, `focus`, `team`, `wins` — e.g. `/tlm snooze 1on1 2w`"
        }
        CommandName::Calendar => {
            "`/tlm calendar <secret iCal address>`, `/tlm calendar off`, \
             `/tlm calendar yes|no @person` — e.g. `/tlm calendar https://calendar.google.com/…/basic.ics`"
        }
        CommandName::Hours => {
            "`/tlm hours <days> <HH:MM-HH:MM>` (default mon-fri 09:00-17:00) \
             — e.g. `/tlm hours mon-thu 08:30-16:30`"
        }
        CommandName::Github => {
            "`/tlm github <login>`, `/tlm github off`, `/tlm github core [off] <owner/repo>…` \
             — e.g. `/tlm github core acme/payments`"
        }
    }
}

/// The full help: what twohats is for, then every command with its usage.
pub fn help_text() -> String {
    let mut text = String::from(
        "*twohats* keeps an eye on the balance between your manager hat and your engineer hat. \
         Here's what you can tell it:\n",
    );
    for name in CommandName::ALL
        .into_iter()
        .filter(|n| *n != CommandName::Help)
    {
        text.push_str(&format!("• *{}*: {}\n", name.what(), usage(name)));
    }
    text.push_str("Only you see these replies.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nudge::NudgeKind;

    #[test]
    fn every_command_word_maps_back_to_its_name() {
        for name in CommandName::ALL {
            assert_eq!(CommandName::from_word(name.word()), Some(name));
            assert_eq!(
                CommandName::from_word(&name.word().to_uppercase()),
                Some(name)
            );
        }
        assert_eq!(CommandName::from_word("1:1"), Some(CommandName::OneOnOne));
        assert_eq!(
            CommandName::from_word("OneOnOne"),
            Some(CommandName::OneOnOne)
        );
        assert_eq!(CommandName::from_word("hello"), None);
    }

    #[test]
    fn every_usage_shows_its_own_command() {
        for name in CommandName::ALL {
            let line = usage(name);
            assert!(line.contains(&format!("`/tlm {}", name.word())), "{line}");
            assert!(!line.contains("  "), "stray spacing in {line}");
        }
    }

    #[test]
    fn checkin_usage_matches_the_brief() {
        assert!(usage(CommandName::Checkin).contains(
            "`/tlm checkin <eng%> [energy=1-5] [cp] [fire=incident,people] \
             [kind=core,review,design,pairing,tooling] [note]`"
        ));
        assert!(
            usage(CommandName::Checkin).contains("`/tlm checkin 60 energy=2 cp migrating auth`")
        );
    }

    #[test]
    fn snooze_usage_names_every_nudge() {
        for kind in NudgeKind::ALL {
            assert!(
                usage(CommandName::Snooze).contains(&format!("`{}`", kind.name())),
                "{kind}"
            );
        }
    }

    #[test]
    fn help_lists_every_command_and_fits_one_slack_section() {
        let help = help_text();
        assert!(help.starts_with(
            "*twohats* keeps an eye on the balance between your manager hat and your engineer hat."
        ));
        for name in CommandName::ALL
            .into_iter()
            .filter(|n| *n != CommandName::Help)
        {
            assert!(help.contains(usage(name)), "{name:?}");
        }
        assert!(help.contains("`/tlm forget confirm`"));
        assert!(
            help.chars().count() < 3000,
            "{} chars",
            help.chars().count()
        );
    }
}
