//! `checkin`, `cp` and `fire`: what the user's own day was like.

use super::values::{choices, names};
use super::words::{capitalized, is, unescape, Input};
use super::ParseError;
use crate::command::{Command, QuickCheckin};
use crate::domain::checkin::{EngKind, FireKind};
use crate::domain::echo::echo;
use crate::domain::values::{check_length, Energy, Field, Note, Percent};

pub(super) fn checkin(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((eng, options)) = input.words.split_first() else {
        return Ok(Command::CheckinModal);
    };
    let eng_pct = Percent::parse(eng.text, Field::EngPct).map_err(|r| input.refused(r))?;
    let mut checkin = QuickCheckin {
        eng_pct,
        ..QuickCheckin::default()
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut once = |option: &'static str| {
        if seen.contains(&option) {
            return input.fail(format!("`{option}` is given twice: keep one."));
        }
        seen.push(option);
        Ok(())
    };

    for word in options {
        if is(word, "cp") {
            once("cp")?;
            checkin.critical_path = true;
            continue;
        }
        let Some((key, value)) = word.text.split_once('=').filter(|(k, _)| is_option_word(k))
        else {
            // The first word that isn't an option starts the note.
            checkin.note = Some(parse_note(input, input.rest_from(word))?);
            break;
        };
        match key.to_ascii_lowercase().as_str() {
            "energy" => {
                once("energy")?;
                let energy = Energy::parse(value, word.text).map_err(|r| input.refused(r))?;
                checkin.energy = Some(energy);
            }
            "fire" | "fires" => {
                once("fire")?;
                checkin.fires = names(value, FireKind::from_name).map_err(|bad| {
                    input.error(format!(
                        "`{}` isn't a kind of fire: use `fire=incident`, `fire=people` or `fire=incident,people`.",
                        echo(if bad.is_empty() { word.text } else { bad })
                    ))
                })?;
            }
            "kind" | "kinds" => {
                once("kind")?;
                checkin.kinds = names(value, EngKind::from_name).map_err(|bad| {
                    input.error(format!(
                        "`{}` isn't a kind of engineering: use {}, like `kind=review,pairing`.",
                        echo(if bad.is_empty() { word.text } else { bad }),
                        choices(EngKind::ALL.map(EngKind::name))
                    ))
                })?;
            }
            // Writing `note=…` is a natural guess; the note is simply everything from here.
            "note" => {
                let note = input
                    .rest_from(word)
                    .get(key.len() + 1..)
                    .unwrap_or_default()
                    .trim();
                checkin.note = Some(parse_note(input, note)?).filter(|n| !n.as_str().is_empty());
                break;
            }
            _ => {
                return input.fail(format!(
                    "`{}=` isn't a check-in option: use `energy=1-5`, `cp`, `fire=incident,people` or \
                     `kind=core,review,design,pairing,tooling`, then your note.",
                    echo(key)
                ));
            }
        }
    }
    Ok(Command::Checkin(checkin))
}

/// The note as sent, capped before it is unescaped, as the other free text is.
fn parse_note(input: &Input<'_>, sent: &str) -> Result<Note, ParseError> {
    check_length("A note", sent).map_err(|m| input.error_on(Field::Note, m))?;
    Note::new(unescape(sent)).map_err(|r| input.refused(r))
}

/// `energy=2` looks like an option; `2+2=4` or `=)` start a note.
pub(super) fn is_option_word(key: &str) -> bool {
    (1..=20).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
}

pub(super) fn cp(input: &Input<'_>) -> Result<Command, ParseError> {
    match input.words {
        [on, rest @ ..] if is(on, "on") => {
            let what = rest.first().map(|w| input.rest_from(w));
            if let Some(what) = what {
                input.check_length("What you're carrying", what)?;
            }
            Ok(Command::CpOn {
                what: what.map(unescape),
            })
        }
        [off] if is(off, "off") => Ok(Command::CpOff),
        [off, extra, ..] if is(off, "off") => input.fail(format!(
            "`/tlm cp off` takes nothing after it, so I stopped at `{}`.",
            echo(extra.text)
        )),
        _ => {
            input.fail("Say `/tlm cp on` (optionally with what you're carrying) or `/tlm cp off`.")
        }
    }
}

pub(super) fn fire(input: &Input<'_>) -> Result<Command, ParseError> {
    let options =
        "use `/tlm fire incident`, `/tlm fire people`, or `/tlm fire clear` when it's out";
    let command = match input.words.first() {
        None => return input.fail(format!("Which fire? {}.", capitalized(options))),
        Some(word) if is(word, "clear") => Command::FireClear,
        Some(word) => match FireKind::from_name(word.text) {
            Some(kind) => Command::Fire(kind),
            None => {
                return input.fail(format!(
                    "`{}` isn't a kind of fire: {options}.",
                    echo(word.text)
                ))
            }
        },
    };
    if let Some(extra) = input.words.get(1) {
        return input.fail(format!(
            "One fire at a time, one word each: I stopped at `{}`.",
            echo(extra.text)
        ));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse::testing::*;
    use crate::command::CommandName;
    use crate::domain::checkin::MAX_TEXT_CHARS;

    #[test]
    fn checkin_alone_opens_the_modal() {
        assert_eq!(ok("checkin"), Command::CheckinModal);
        assert_eq!(ok("  CheckIn  "), Command::CheckinModal);
    }

    #[test]
    fn checkin_with_every_option_and_a_note() {
        assert_eq!(
            ok("checkin 60% energy=2 cp fire=incident,people kind=review,Pairing migrating  auth, again"),
            Command::Checkin(QuickCheckin {
                eng_pct: pct(60),
                energy: Some(energy(2)),
                critical_path: true,
                fires: vec![FireKind::Incident, FireKind::People],
                kinds: vec![EngKind::Review, EngKind::Pairing],
                note: Some(note("migrating  auth, again")),
            })
        );
    }

    #[test]
    fn checkin_with_just_a_number() {
        let expected = QuickCheckin {
            eng_pct: pct(0),
            ..QuickCheckin::default()
        };
        assert_eq!(ok("checkin 0"), Command::Checkin(expected));
        let Command::Checkin(full) = ok("checkin 100%") else {
            panic!()
        };
        assert_eq!(full.eng_pct.get(), 100);
    }

    #[test]
    fn checkin_options_in_any_order_then_the_note_verbatim() {
        let Command::Checkin(c) = ok("checkin 40 cp energy=5 mentoring\tcarol\n2+2=4 cp") else {
            panic!()
        };
        assert_eq!(
            (c.energy.map(Energy::get), c.critical_path),
            (Some(5), true)
        );
        // Once the note starts, `cp` and `=` are just words in it.
        assert_eq!(
            c.note.as_ref().map(Note::as_str),
            Some("mentoring\tcarol\n2+2=4 cp")
        );
    }

    #[test]
    fn checkin_duplicate_kinds_collapse_and_note_equals_is_understood() {
        let Command::Checkin(c) = ok("checkin 50 fire=people,people note=on call") else {
            panic!()
        };
        assert_eq!(c.fires, vec![FireKind::People]);
        assert_eq!(c.note.as_ref().map(Note::as_str), Some("on call"));
    }

    #[test]
    fn checkin_note_at_the_limit_is_kept() {
        let note = "é".repeat(MAX_TEXT_CHARS);
        let Command::Checkin(c) = ok(&format!("checkin 50 {note}")) else {
            panic!()
        };
        assert_eq!(c.note.map(Note::into_string), Some(note));
    }

    #[test]
    fn checkin_rejects_a_word_for_a_number() {
        let error = parse("checkin sixty").unwrap_err();
        assert_eq!(
            error.message,
            "`sixty` isn't a number: give the engineering share of your day as 0-100, like `60`."
        );
        assert_eq!(error.command, Some(CommandName::Checkin));
    }

    #[test]
    fn checkin_rejects_out_of_range_numbers() {
        fails("checkin 101", CommandName::Checkin, "between 0 and 100");
        fails("checkin -5", CommandName::Checkin, "between 0 and 100");
        fails("checkin 60.5", CommandName::Checkin, "whole number");
        fails(
            "checkin 99999999999999999999999",
            CommandName::Checkin,
            "between 0 and 100",
        );
    }

    #[test]
    fn checkin_rejects_bad_energy() {
        fails(
            "checkin 60 energy=0",
            CommandName::Checkin,
            "1 (running on empty) to 5",
        );
        fails("checkin 60 energy=6", CommandName::Checkin, "`energy=6`");
        fails(
            "checkin 60 energy=+3",
            CommandName::Checkin,
            "1 (running on empty) to 5",
        );
        fails(
            "checkin 60 energy=",
            CommandName::Checkin,
            "1 (running on empty) to 5",
        );
    }

    #[test]
    fn checkin_rejects_unknown_fire_and_kind_names() {
        fails(
            "checkin 60 fire=flood",
            CommandName::Checkin,
            "`flood` isn't a kind of fire",
        );
        fails(
            "checkin 60 fire=",
            CommandName::Checkin,
            "`fire=` isn't a kind of fire",
        );
        fails(
            "checkin 60 kind=core,yak",
            CommandName::Checkin,
            "`yak` isn't a kind of engineering",
        );
        fails(
            "checkin 60 kind=yak",
            CommandName::Checkin,
            "`core`, `review`, `design`, `pairing` or `tooling`",
        );
    }

    #[test]
    fn checkin_rejects_repeated_options() {
        fails(
            "checkin 60 energy=2 energy=3",
            CommandName::Checkin,
            "`energy` is given twice",
        );
        fails(
            "checkin 60 cp CP",
            CommandName::Checkin,
            "`cp` is given twice",
        );
        fails(
            "checkin 60 fire=people fires=incident",
            CommandName::Checkin,
            "`fire` is given twice",
        );
        fails(
            "checkin 60 kind=core kind=review",
            CommandName::Checkin,
            "`kind` is given twice",
        );
    }

    #[test]
    fn checkin_rejects_unknown_options_before_the_note() {
        fails(
            "checkin 60 mood=3 tired",
            CommandName::Checkin,
            "`mood=` isn't a check-in option",
        );
        fails(
            "checkin 60 mood=3",
            CommandName::Checkin,
            "`energy=1-5`, `cp`",
        );
    }

    #[test]
    fn checkin_rejects_a_note_over_the_limit() {
        let text = format!("checkin 50 {}", "x".repeat(MAX_TEXT_CHARS + 1));
        fails(
            &text,
            CommandName::Checkin,
            "up to 500 characters, and this one is 501",
        );
    }

    #[test]
    fn cp_on_with_and_without_what_and_off() {
        assert_eq!(ok("cp on"), Command::CpOn { what: None });
        assert_eq!(
            ok("cp ON payments  migration"),
            Command::CpOn {
                what: Some("payments  migration".into())
            }
        );
        assert_eq!(ok("cp off"), Command::CpOff);
    }

    #[test]
    fn cp_rejects_anything_else() {
        fails("cp", CommandName::Cp, "`/tlm cp on`");
        fails("cp maybe", CommandName::Cp, "`/tlm cp off`");
        fails("cp off now", CommandName::Cp, "takes nothing after it");
        fails(
            &format!("cp on {}", "x".repeat(501)),
            CommandName::Cp,
            "up to 500 characters",
        );
    }

    #[test]
    fn fire_kinds_and_clear() {
        assert_eq!(ok("fire incident"), Command::Fire(FireKind::Incident));
        assert_eq!(ok("fire People"), Command::Fire(FireKind::People));
        assert_eq!(ok("fire clear"), Command::FireClear);
    }

    #[test]
    fn fire_rejects_missing_unknown_and_extra_words() {
        fails(
            "fire",
            CommandName::Fire,
            "Which fire? Use `/tlm fire incident`, `/tlm fire people`",
        );
        fails(
            "fire flood",
            CommandName::Fire,
            "`flood` isn't a kind of fire",
        );
        fails(
            "fire incident people",
            CommandName::Fire,
            "One fire at a time",
        );
    }
}
