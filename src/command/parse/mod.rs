//! `/tlm` text to a [`Command`], or a [`ParseError`] the user can act on.
//!
//! The text is what Slack sends with `should_escape: true`: people arrive as `<@U123|bob>`,
//! channels as `<#C123|team>`, and a literal `<`, `>` or `&` the user typed as `&lt;`, `&gt;`,
//! `&amp;`. Free text (notes, wins, critical-path descriptions) is kept exactly as sent,
//! inner spacing included, so it reads back the way it was written.
//!
//! Checks that need state or the clock (is `@bob` on the roster, is the date in the past)
//! belong to the app layer; this module only decides what the user asked for.
//!
//! One file per concern: `words` splits the text and holds the `Input` a command reads,
//! `values` parses the values several commands share, and `checkin`, `team` and `settings`
//! parse the commands of each family.

mod calendar;
mod checkin;
mod github;
mod settings;
mod team;
mod values;
mod words;

use crate::command::{Command, CommandName};
use crate::domain::echo::echo;
use crate::domain::values::Field;
use checkin::{checkin, cp, fire};
use github::github;
use settings::{digest, forget, pause, schedule, snooze, target, tz};
use std::fmt;
use team::{one_on_one, team, win};
use words::{words, Input};

/// Why a command could not be parsed; the renderer appends `usage(command)` to `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The command the text started with, so the reply can show its usage.
    pub command: Option<CommandName>,
    /// One short, specific sentence in Slack mrkdwn.
    pub message: String,
    /// The input at fault, when the message is about one (a form shows it there).
    pub field: Option<Field>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses the text after `/tlm`. Never panics; unknown words become [`Command::Help`].
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let text = text.trim();
    let words = words(text);
    let Some((first, args)) = words.split_first() else {
        return Ok(Command::Help { unknown: None });
    };
    let Some(name) = CommandName::from_word(first.text) else {
        return Ok(Command::Help {
            unknown: Some(echo(first.text)),
        });
    };
    let input = Input {
        name,
        text,
        words: args,
    };
    match name {
        CommandName::Help => Ok(Command::Help { unknown: None }),
        CommandName::Checkin => checkin(&input),
        CommandName::OneOnOne => one_on_one(&input),
        CommandName::Team => team(&input),
        CommandName::Win => win(&input),
        CommandName::Cp => cp(&input),
        CommandName::Fire => fire(&input),
        CommandName::Summary => input.no_args().map(|()| Command::Summary),
        CommandName::Target => target(&input),
        CommandName::Tz => tz(&input),
        CommandName::Schedule => schedule(&input),
        CommandName::Pause => pause(&input),
        CommandName::Resume => input.no_args().map(|()| Command::Resume),
        CommandName::Digest => digest(&input),
        CommandName::Export => input.no_args().map(|()| Command::Export),
        CommandName::Forget => forget(&input),
        CommandName::Snooze => snooze(&input),
        CommandName::Calendar => calendar::calendar(&input),
        CommandName::Hours => calendar::hours(&input),
        CommandName::Github => github(&input),
    }
}

/// What the tests of every command family share.
#[cfg(test)]
mod testing {
    pub(super) use super::parse;
    pub(super) use crate::command::{Command, CommandName};
    use crate::domain::ids::{Person, UserId};
    use crate::domain::schedule::ScheduleSpec;
    pub(super) use crate::domain::values::{Energy, Field, Note, Percent};
    use chrono::NaiveDate;

    pub(super) fn pct(value: u8) -> Percent {
        Percent::new(value, Field::EngPct).unwrap()
    }

    pub(super) fn energy(value: u8) -> Energy {
        Energy::parse(&value.to_string(), "").unwrap()
    }

    pub(super) fn note(text: &str) -> Note {
        Note::new(text).unwrap()
    }

    pub(super) fn ok(text: &str) -> Command {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// Asserts `text` fails for `command` with a message containing `phrase`.
    pub(super) fn fails(text: &str, command: CommandName, phrase: &str) {
        let error = parse(text).expect_err(text);
        assert_eq!(error.command, Some(command), "{text:?}: {error}");
        assert!(
            error.message.contains(phrase),
            "{text:?}: {:?} lacks {phrase:?}",
            error.message
        );
    }

    pub(super) fn user(id: &str, label: Option<&str>) -> Person {
        Person {
            id: UserId::parse(id).unwrap(),
            label: label.map(str::to_string),
        }
    }

    pub(super) fn bob() -> Person {
        user("U1", Some("bob"))
    }

    pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub(super) fn spec(text: &str) -> ScheduleSpec {
        ScheduleSpec::parse(text).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn empty_text_and_help_show_help() {
        assert_eq!(ok(""), Command::Help { unknown: None });
        assert_eq!(ok("  \n "), Command::Help { unknown: None });
        assert_eq!(ok("HELP"), Command::Help { unknown: None });
        assert_eq!(ok("help checkin"), Command::Help { unknown: None });
    }

    #[test]
    fn an_unknown_word_shows_help_and_echoes_it_shortened() {
        assert_eq!(
            ok("hello there"),
            Command::Help {
                unknown: Some("hello".into())
            }
        );
        let long = "é".repeat(50);
        let Command::Help {
            unknown: Some(word),
        } = ok(&long)
        else {
            panic!()
        };
        assert_eq!(word, format!("{}…", "é".repeat(40)));
    }

    #[test]
    fn summary_resume_export() {
        assert_eq!(ok("summary"), Command::Summary);
        assert_eq!(ok("Resume"), Command::Resume);
        assert_eq!(ok("export"), Command::Export);
    }

    #[test]
    fn summary_resume_export_reject_extra_words() {
        fails(
            "summary now",
            CommandName::Summary,
            "`/tlm summary` doesn't take anything",
        );
        fails("resume please", CommandName::Resume, "`please`");
        fails(
            "export json",
            CommandName::Export,
            "doesn't take anything after it",
        );
    }

    #[test]
    fn echoed_input_cannot_break_out_of_code_spans() {
        fails("target `x`", CommandName::Target, "`'x'` isn't a number");
    }

    #[test]
    fn echoed_control_characters_and_backticks_stay_inside_the_line_and_the_code_span() {
        // Found by `tests/it/fuzz`: a NUL or a terminal escape was quoted back as it was.
        fails(
            "fire \0",
            CommandName::Fire,
            "`\u{fffd}` isn't a kind of fire",
        );
        fails(
            "target \u{1b}[2J",
            CommandName::Target,
            "`\u{fffd}[2J` isn't a number",
        );
        let error = parse("schedule checkin fri 1\u{7}:00").unwrap_err();
        assert!(
            error.message.contains("`1\u{fffd}:00` isn't a time"),
            "{error}"
        );
        // The unknown word the help quotes, too.
        assert_eq!(
            ok("a`b\u{7}"),
            Command::Help {
                unknown: Some("a'b\u{fffd}".into())
            }
        );
    }

    #[test]
    fn refusals_about_one_input_name_it() {
        let field = |text: &str| parse(text).unwrap_err().field;
        assert_eq!(field("checkin 101"), Some(Field::EngPct));
        assert_eq!(field("checkin 60 energy=9"), Some(Field::Energy));
        let long_note = format!("checkin 60 {}", "x".repeat(501));
        assert_eq!(field(&long_note), Some(Field::Note));
        assert_eq!(
            field(&format!("checkin 60 note={}", "x".repeat(501))),
            Some(Field::Note)
        );
        assert_eq!(field("1on1 bob"), Some(Field::With));
        assert_eq!(field("1on1"), Some(Field::With));
        assert_eq!(field("1on1 <@U1> 2026-02-30"), Some(Field::Date));
        assert_eq!(field("target lots"), Some(Field::Target));
        assert_eq!(field("tz Mars/Olympus"), Some(Field::Tz));
        assert_eq!(
            field("schedule checkin fri 25:00"),
            Some(Field::CheckinSchedule)
        );
        assert_eq!(field("schedule summary"), Some(Field::SummarySchedule));
        // What isn't about one input names none.
        assert_eq!(field("checkin 60 fire=flood"), None);
        assert_eq!(field("team list"), None);
    }

    #[test]
    fn errors_display_their_message() {
        let error = parse("target lots").unwrap_err();
        assert_eq!(error.to_string(), error.message);
    }

    const WORDS: [&str; 19] = [
        "help", "checkin", "1on1", "1:1", "oneonone", "team", "win", "cp", "fire", "summary",
        "target", "tz", "schedule", "pause", "resume", "digest", "export", "forget", "snooze",
    ];

    const FRAGMENTS: [&str; 24] = [
        "<@",
        "<#",
        "<!",
        "|",
        ">",
        "<",
        "=",
        "%",
        "é",
        "🙂",
        " ",
        "\t",
        "U1",
        "C1",
        "add",
        "every",
        "7d",
        "2w",
        "until",
        "2026-02-30",
        "energy=",
        "fire=",
        "--public",
        "0 16 * * 5",
    ];

    proptest::proptest! {
        #[test]
        fn parse_never_panics_on_any_text(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_after_a_command_word(
            word in proptest::sample::select(WORDS.to_vec()),
            rest in "\\PC{0,60}",
        ) {
            let _ = parse(&format!("{word} {rest}"));
        }

        #[test]
        fn parse_never_panics_on_awkward_fragments(
            word in proptest::sample::select(WORDS.to_vec()),
            parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS.to_vec()), 0..14),
        ) {
            let text = format!("{word} {}", parts.concat());
            if let Err(error) = parse(&text) {
                proptest::prop_assert!(error.command.is_some());
                proptest::prop_assert!(!error.message.is_empty());
            }
        }
    }
}
