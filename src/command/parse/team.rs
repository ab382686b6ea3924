//! `1on1`, `team` and `win`: the people the user leads.

use super::values::{date, person, span, span_days};
use super::words::{is, unescape, Input};
use super::ParseError;
use crate::command::Command;
use crate::domain::echo::echo;
use crate::domain::ids::Person;
use crate::domain::team::MAX_CADENCE_DAYS;
use crate::domain::values::Field;

pub(super) fn one_on_one(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((who, rest)) = input.words.split_first() else {
        return input.fail_on(
            Field::With,
            "Who was the 1:1 with? Mention them, like `/tlm 1on1 @bob`.",
        );
    };
    let with = person(who.text).map_err(|m| input.error_on(Field::With, m))?;
    let date = match rest {
        [] => None,
        [day] => Some(date(day.text).map_err(|m| input.error_on(Field::Date, m))?),
        [_, extra, ..] => {
            return input.fail(format!(
                "`{}` is one word too many: a 1:1 takes a person and, optionally, a date.",
                echo(extra.text)
            ));
        }
    };
    Ok(Command::OneOnOne { with, date })
}

pub(super) fn team(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((action, rest)) = input.words.split_first() else {
        return Ok(Command::TeamShow);
    };
    let mut people: Vec<Person> = Vec::new();
    let mut cadence_days = None;
    let adding = is(action, "add");
    if !adding && !is(action, "remove") {
        return input.fail(format!(
            "`{}` isn't something I do with the team: use `/tlm team`, `/tlm team add @a @b` \
             or `/tlm team remove @a`.",
            echo(action.text)
        ));
    }
    let mut i = 0;
    while let Some(word) = rest.get(i) {
        if adding && is(word, "every") {
            let after = rest.get(i + 1..).unwrap_or_default();
            let Some((count, unit, used)) = span(after) else {
                return input.fail(
                    "How often? Put the cadence after `every`, like `every 7d` or `every 2w`.",
                );
            };
            let days = span_days(count, unit);
            if !(1..=u64::from(MAX_CADENCE_DAYS)).contains(&days) {
                return input.fail(format!(
                    "A 1:1 cadence is between 1 and {MAX_CADENCE_DAYS} days, and `every {}` is {days}.",
                    echo(
                        after
                            .iter()
                            .take(used)
                            .map(|w| w.text)
                            .collect::<Vec<_>>()
                            .join(" ")
                            .as_str()
                    )
                ));
            }
            cadence_days = Some(days as u32);
            if let Some(extra) = rest.get(i + 1 + used) {
                return input.fail(format!(
                    "`{}` comes after the cadence: put everyone before `every`.",
                    echo(extra.text)
                ));
            }
            break;
        }
        let someone = person(word.text).map_err(|m| {
            if adding && span(rest.get(i..).unwrap_or_default()).is_some() {
                input.error(format!(
                    "Put `every` before the cadence, like `every {}`.",
                    echo(word.text)
                ))
            } else {
                input.error(m)
            }
        })?;
        if !people.iter().any(|p| p.id == someone.id) {
            people.push(someone);
        }
        i += 1;
    }
    match (people.is_empty(), adding) {
        (true, true) => {
            input.fail("Who should I add? Mention them, like `/tlm team add @bob @carol`.")
        }
        (true, false) => {
            input.fail("Who should I remove? Mention them, like `/tlm team remove @bob`.")
        }
        (false, true) => Ok(Command::TeamAdd {
            people,
            cadence_days,
        }),
        (false, false) => Ok(Command::TeamRemove { people }),
    }
}

/// `--public`, also as macOS and phones autocorrect it (`—public`, `–public`).
pub(super) fn is_public_flag(word: &str) -> bool {
    let lower = word.to_lowercase();
    ["--public", "—public", "–public"].contains(&lower.as_str())
}

pub(super) fn win(input: &Input<'_>) -> Result<Command, ParseError> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut public = false;
    let mut cursor = input.words.first().map_or(input.text.len(), |w| w.at);
    for word in input.words.iter().filter(|w| is_public_flag(w.text)) {
        public = true;
        pieces.push(input.text.get(cursor..word.at).unwrap_or_default().trim());
        cursor = word.at + word.text.len();
    }
    pieces.push(input.text.get(cursor..).unwrap_or_default().trim());
    // The flag's own spacing goes with it; the text around it keeps its spacing.
    let text = pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        return input.fail("What's the win? Like `/tlm win Bob led his first design review`.");
    }
    input.check_length("A win", &text)?;
    Ok(Command::Win {
        text: unescape(&text),
        public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse::testing::*;
    use crate::command::CommandName;

    #[test]
    fn one_on_one_today_and_on_a_date_with_every_alias() {
        assert_eq!(
            ok("1on1 <@U1|bob>"),
            Command::OneOnOne {
                with: bob(),
                date: None
            }
        );
        assert_eq!(
            ok("1:1 <@U1|bob> 2026-03-02"),
            Command::OneOnOne {
                with: bob(),
                date: Some(day(2026, 3, 2))
            }
        );
        assert_eq!(
            ok("OneOnOne <@w2>"),
            Command::OneOnOne {
                with: user("W2", None),
                date: None
            }
        );
    }

    #[test]
    fn one_on_one_rejects_missing_or_non_mention_people() {
        fails("1on1", CommandName::OneOnOne, "Who was the 1:1 with?");
        fails(
            "1on1 @bob",
            CommandName::OneOnOne,
            "`@bob` isn't a Slack mention: type @ and pick",
        );
        fails("1on1 bob", CommandName::OneOnOne, "isn't a Slack mention");
        fails(
            "1on1 <@U-1|bob>",
            CommandName::OneOnOne,
            "doesn't look like a Slack mention",
        );
        fails("1on1 <#C1|team>", CommandName::OneOnOne, "is a channel");
        fails(
            "1on1 <!subteam^S1|@leads>",
            CommandName::OneOnOne,
            "is a group mention",
        );
    }

    #[test]
    fn one_on_one_rejects_bad_dates_and_extra_words() {
        fails(
            "1on1 <@U1> 2026-02-30",
            CommandName::OneOnOne,
            "`2026-02-30` isn't a real date",
        );
        fails("1on1 <@U1> 2/3/2026", CommandName::OneOnOne, "`YYYY-MM-DD`");
        fails("1on1 <@U1> 2026-3-2", CommandName::OneOnOne, "`YYYY-MM-DD`");
        fails(
            "1on1 <@U1> +202-03-02",
            CommandName::OneOnOne,
            "`YYYY-MM-DD`",
        );
        fails(
            "1on1 <@U1> 2026-03-02 promo",
            CommandName::OneOnOne,
            "`promo` is one word too many",
        );
    }

    #[test]
    fn team_alone_shows_the_roster() {
        assert_eq!(ok("team"), Command::TeamShow);
    }

    #[test]
    fn team_add_with_and_without_a_cadence() {
        let carol = user("U2", Some("carol"));
        assert_eq!(
            ok("team add <@U1|bob> <@U2|carol> <@U1>"),
            Command::TeamAdd {
                people: vec![bob(), carol.clone()],
                cadence_days: None
            }
        );
        assert_eq!(
            ok("team ADD <@U1|bob> every 2w"),
            Command::TeamAdd {
                people: vec![bob()],
                cadence_days: Some(14)
            }
        );
        assert_eq!(
            ok("team add <@U2|carol> every 10 days"),
            Command::TeamAdd {
                people: vec![carol],
                cadence_days: Some(10)
            }
        );
    }

    #[test]
    fn team_remove() {
        assert_eq!(
            ok("team remove <@U1|bob> <@U2>"),
            Command::TeamRemove {
                people: vec![bob(), user("U2", None)]
            }
        );
    }

    #[test]
    fn team_rejects_no_people_and_non_mentions() {
        fails("team add", CommandName::Team, "Who should I add?");
        fails("team add every 7d", CommandName::Team, "Who should I add?");
        fails("team remove", CommandName::Team, "Who should I remove?");
        fails(
            "team add @bob",
            CommandName::Team,
            "type @ and pick them from the list",
        );
    }

    #[test]
    fn team_rejects_bad_cadences() {
        fails("team add <@U1> every", CommandName::Team, "How often?");
        fails(
            "team add <@U1> every often",
            CommandName::Team,
            "How often?",
        );
        fails(
            "team add <@U1> every 0d",
            CommandName::Team,
            "between 1 and 90 days",
        );
        fails(
            "team add <@U1> every 13w",
            CommandName::Team,
            "`every 13w` is 91",
        );
        fails(
            "team add <@U1> every 7d <@U2>",
            CommandName::Team,
            "put everyone before `every`",
        );
        fails(
            "team add <@U1> 14d",
            CommandName::Team,
            "Put `every` before the cadence",
        );
    }

    #[test]
    fn team_rejects_unknown_actions() {
        fails(
            "team list",
            CommandName::Team,
            "`list` isn't something I do with the team",
        );
    }

    #[test]
    fn win_keeps_its_text_and_spacing() {
        assert_eq!(
            ok("win Bob  shipped: his first design doc"),
            Command::Win {
                text: "Bob  shipped: his first design doc".into(),
                public: false
            }
        );
    }

    #[test]
    fn win_public_flag_anywhere_is_removed() {
        let expected = Command::Win {
            text: "Carol  led the review".into(),
            public: true,
        };
        assert_eq!(ok("win Carol  led the review --public"), expected);
        assert_eq!(ok("win --PUBLIC Carol  led the review"), expected);
        assert_eq!(ok("win Carol  led --public the review"), expected);
        assert_eq!(ok("win Carol  led the review —public"), expected);
        // Only whole words count.
        let Command::Win { text, public } = ok("win made --public-api docs") else {
            panic!()
        };
        assert_eq!((text.as_str(), public), ("made --public-api docs", false));
    }

    #[test]
    fn win_rejects_empty_and_over_long_text() {
        fails("win", CommandName::Win, "What's the win?");
        fails("win --public", CommandName::Win, "What's the win?");
        fails(
            &format!("win {}", "w".repeat(501)),
            CommandName::Win,
            "up to 500 characters",
        );
    }
}
