//! The quantities a user types, each validated by one constructor: the `/tlm` parser and the
//! Slack modals both build them here, so a value is checked, and a refusal worded, once.
//!
//! A refusal names the [`Field`] it is about, so a form shows it under that field without
//! reading the message.

use crate::domain::checkin::MAX_TEXT_CHARS;
use crate::domain::echo::echo;

/// What a refusal is about: the input a form shows it under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The engineering share of a check-in.
    EngPct,
    Energy,
    /// A check-in's note.
    Note,
    /// The person a 1:1 was with.
    With,
    /// The day of a 1:1.
    Date,
    /// The target engineering share.
    Target,
    Tz,
    CheckinSchedule,
    SummarySchedule,
}

/// Why a typed value was refused: one sentence in Slack mrkdwn, and the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Field,
    pub message: String,
}

impl Refusal {
    fn new(field: Field, message: String) -> Self {
        Self { field, message }
    }
}

/// A share of the day, 0-100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(u8);

impl Percent {
    /// `value` if it is 0-100.
    pub fn new(value: u8, field: Field) -> Result<Self, Refusal> {
        Self::parse(&value.to_string(), field)
    }

    /// `60` or `60%`, 0-100. A number out of range and a word are refused differently, so
    /// the message says what to change.
    pub fn parse(text: &str, field: Field) -> Result<Self, Refusal> {
        let (what, example) = match field {
            Field::Target => ("your target engineering share", "80"),
            _ => ("the engineering share of your day", "60"),
        };
        let number = text.strip_suffix('%').unwrap_or(text);
        let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        if digits {
            if let Ok(n @ 0..=100) = number.parse::<u8>() {
                return Ok(Self(n));
            }
        }
        let numeric = number.bytes().any(|b| b.is_ascii_digit())
            && number
                .bytes()
                .all(|b| b.is_ascii_digit() || b"+-.,".contains(&b));
        let message = if digits || numeric {
            format!(
                "`{}` won't do: {what} is a whole number between 0 and 100.",
                echo(text)
            )
        } else {
            format!(
                "`{}` isn't a number: give {what} as 0-100, like `{example}`.",
                echo(text)
            )
        };
        Err(Refusal::new(field, message))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// How much energy is left, 1 (running on empty) to 5 (plenty left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Energy(u8);

impl Energy {
    /// `value`, plain digits from 1 to 5. The refusal quotes `as_typed`: the parser quotes
    /// the whole `energy=…` word, a form just the value.
    pub fn parse(value: &str, as_typed: &str) -> Result<Self, Refusal> {
        let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
        match value.parse::<u8>() {
            Ok(n @ 1..=5) if digits => Ok(Self(n)),
            _ => Err(Refusal::new(
                Field::Energy,
                format!(
                    "`{}` won't do: energy goes from 1 (running on empty) to 5 (plenty left).",
                    echo(as_typed)
                ),
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A check-in's note, at most [`MAX_TEXT_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Note(String);

impl Note {
    pub fn new(text: impl Into<String>) -> Result<Self, Refusal> {
        let text = text.into();
        check_length("A note", &text).map_err(|m| Refusal::new(Field::Note, m))?;
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text (a note, a win, what's on the critical path) is capped so summaries that quote
/// it stay inside Slack's limits; `what` starts the sentence that says so.
pub fn check_length(what: &str, text: &str) -> Result<(), String> {
    let count = text.chars().count();
    if count > MAX_TEXT_CHARS {
        return Err(format!(
            "{what} can be up to {MAX_TEXT_CHARS} characters, and this one is {count}: \
             could you shorten it?"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percent_is_0_to_100_with_or_without_the_sign() {
        assert_eq!(Percent::parse("0", Field::EngPct).map(Percent::get), Ok(0));
        assert_eq!(
            Percent::parse("100%", Field::Target).map(Percent::get),
            Ok(100)
        );
        assert_eq!(Percent::new(60, Field::EngPct).map(Percent::get), Ok(60));
        let refused = Percent::new(101, Field::Target).unwrap_err();
        assert_eq!(refused.field, Field::Target);
        assert_eq!(
            refused.message,
            "`101` won't do: your target engineering share is a whole number between 0 and 100."
        );
        assert_eq!(
            Percent::parse("lots", Field::EngPct).unwrap_err().message,
            "`lots` isn't a number: give the engineering share of your day as 0-100, like `60`."
        );
        assert!(Percent::parse("60.5", Field::EngPct).is_err());
        assert!(Percent::parse("", Field::EngPct).is_err());
    }

    #[test]
    fn energy_is_plain_digits_1_to_5() {
        assert_eq!(Energy::parse("5", "5").map(Energy::get), Ok(5));
        for bad in ["0", "6", "+3", "", "three"] {
            let refused = Energy::parse(bad, &format!("energy={bad}")).unwrap_err();
            assert_eq!(refused.field, Field::Energy);
            assert!(
                refused
                    .message
                    .starts_with(&format!("`energy={bad}` won't do")),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_note_is_capped() {
        let full = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(Note::new(full.clone()).map(Note::into_string), Ok(full));
        let refused = Note::new("x".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
        assert_eq!(refused.field, Field::Note);
        assert!(refused
            .message
            .contains("up to 500 characters, and this one is 501"));
    }
}
