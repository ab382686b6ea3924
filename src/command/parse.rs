//! `/tlm` text to a [`Command`], or a [`ParseError`] the user can act on.
//!
//! The text is what Slack sends with `should_escape: true`: people arrive as `<@U123|bob>`,
//! channels as `<#C123|team>`, and a literal `<`, `>` or `&` the user typed as `&lt;`, `&gt;`,
//! `&amp;`. Free text (notes, wins, critical-path descriptions) is kept exactly as sent,
//! inner spacing included, so it reads back the way it was written.
//!
//! Checks that need state or the clock (is `@bob` on the roster, is the date in the past)
//! belong to the app layer; this module only decides what the user asked for.

use super::usage::CommandName;
use super::{Command, DigestAction, PauseSpec, QuickCheckin};
use crate::domain::echo::{echo, printable};
use crate::domain::checkin::{EngKind, FireKind, MAX_TEXT_CHARS};
use crate::domain::ids::{ChannelId, ChannelRef, Person, UserId};
use crate::domain::job::JobKind;
use crate::domain::nudge::NudgeKind;
use crate::domain::schedule::ScheduleSpec;
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// Why a command could not be parsed; the renderer appends `usage(command)` to `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The command the text started with, so the reply can show its usage.
    pub command: Option<CommandName>,
    /// One short, specific sentence in Slack mrkdwn.
    pub message: String,
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
    }
}

// ---- words ----

/// A word of the text and its byte offset, so free text can be taken verbatim from there.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    at: usize,
    text: &'a str,
}

/// Splits on any whitespace, except that a Slack mention (`<@…>`, `<#…>`, `<!…>`) is one
/// word even if its label contains spaces.
fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find(|c: char| !c.is_whitespace()) {
        let start = at + offset;
        let rest = &text[start..];
        let mention = ["<@", "<#", "<!"].iter().any(|p| rest.starts_with(p));
        let mut len = if mention {
            rest.find('>').map_or(0, |p| p + 1)
        } else {
            0
        };
        len += rest[len..]
            .find(char::is_whitespace)
            .unwrap_or(rest.len() - len);
        out.push(Word {
            at: start,
            text: &rest[..len],
        });
        at = start + len;
    }
    out
}

/// The command being parsed: its name (for errors), the whole text, and the words after
/// the command word.
struct Input<'a> {
    name: CommandName,
    text: &'a str,
    words: &'a [Word<'a>],
}

impl<'a> Input<'a> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            command: Some(self.name),
            message: message.into(),
        }
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(self.error(message))
    }

    /// The original text from `word` to the end, inner spacing kept.
    fn rest_from(&self, word: &Word<'_>) -> &'a str {
        self.text.get(word.at..).unwrap_or_default().trim()
    }

    fn no_args(&self) -> Result<(), ParseError> {
        match self.words.first() {
            None => Ok(()),
            Some(extra) => self.fail(format!(
                "`/tlm {}` doesn't take anything after it, so I stopped at `{}`.",
                self.name.word(),
                echo(extra.text)
            )),
        }
    }

    /// Free text is capped so summaries that quote it stay inside Slack's limits.
    fn check_length(&self, what: &str, text: &str) -> Result<(), ParseError> {
        let count = text.chars().count();
        if count > MAX_TEXT_CHARS {
            return self.fail(format!(
                "{what} can be up to {MAX_TEXT_CHARS} characters, and this one is {count}: \
                 could you shorten it?"
            ));
        }
        Ok(())
    }
}

/// Free text as the user typed it. Slack sends `&`, `<` and `>` as HTML entities; we store
/// the characters, and the renderer escapes them again wherever text becomes mrkdwn.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn is(word: &Word<'_>, expected: &str) -> bool {
    word.text.eq_ignore_ascii_case(expected)
}

// ---- shared value parsers; each returns the message for the caller to attach ----

/// `60` or `60%`, 0-100. `what` and `example` make the message fit the command.
fn percent(text: &str, what: &str, example: &str) -> Result<u8, String> {
    let number = text.strip_suffix('%').unwrap_or(text);
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if digits {
        if let Ok(n @ 0..=100) = number.parse::<u8>() {
            return Ok(n);
        }
    }
    let numeric = number.bytes().any(|b| b.is_ascii_digit())
        && number
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.,".contains(&b));
    if digits || numeric {
        Err(format!(
            "`{}` won't do: {what} is a whole number between 0 and 100.",
            echo(text)
        ))
    } else {
        Err(format!(
            "`{}` isn't a number: give {what} as 0-100, like `{example}`.",
            echo(text)
        ))
    }
}

/// `<@U123|bob>` or `<@U123>`.
fn person(text: &str) -> Result<Person, String> {
    if let Some(inner) = text.strip_prefix("<@").and_then(|t| t.strip_suffix('>')) {
        let (id, label) = match inner.split_once('|') {
            Some((id, label)) => (id, Some(label)),
            None => (inner, None),
        };
        let id = UserId::parse(id).map_err(|_| {
            format!(
                "`{}` doesn't look like a Slack mention: type @ and pick them from the list.",
                echo(text)
            )
        })?;
        let label = label.filter(|l| !l.is_empty()).map(str::to_string);
        return Ok(Person { id, label });
    }
    if text.starts_with("<#") {
        Err(format!(
            "`{}` is a channel: mention a person with @ and pick them from the list.",
            echo(text)
        ))
    } else if text.starts_with("<!") {
        Err(format!(
            "`{}` is a group mention: mention each person with @ instead.",
            echo(text)
        ))
    } else {
        Err(format!(
            "`{}` isn't a Slack mention: type @ and pick them from the list.",
            echo(text)
        ))
    }
}

/// `<#C123|team>` or `<#C123>`.
fn channel(text: &str) -> Result<ChannelRef, String> {
    let bad = || {
        format!(
            "`{}` isn't a channel mention: mention the channel with # and pick it from the list.",
            echo(text)
        )
    };
    let inner = text
        .strip_prefix("<#")
        .and_then(|t| t.strip_suffix('>'))
        .ok_or_else(bad)?;
    let (id, name) = match inner.split_once('|') {
        Some((id, name)) => (id, Some(name)),
        None => (inner, None),
    };
    let id = ChannelId::parse(id).map_err(|_| bad())?;
    let name = name.filter(|n| !n.is_empty()).map(str::to_string);
    Ok(ChannelRef { id, name })
}

/// Strictly `YYYY-MM-DD`, and a day that exists.
fn date(text: &str) -> Result<NaiveDate, String> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let field = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d), true) = (field(0..4), field(5..7), field(8..10), shaped) else {
        return Err(format!(
            "`{}` isn't a date: write it as `YYYY-MM-DD`, like `2026-03-02`.",
            echo(text)
        ));
    };
    NaiveDate::from_ymd_opt(y as i32, m, d)
        .ok_or_else(|| format!("`{}` isn't a real date.", echo(text)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Days,
    Weeks,
}

/// A length of time: `7d`, `2w`, `3days`, or `2 weeks` over two words. Returns the count,
/// the unit and how many words it used; `None` if the words don't start with one.
fn span(words: &[Word<'_>]) -> Option<(u64, Unit, usize)> {
    let first = words.first()?.text;
    let split = first
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(first.len());
    let (digits, unit) = first.split_at(split);
    if digits.is_empty() {
        return None;
    }
    // Too many digits is still a number, just a too-large one: let the range check say so.
    let count = digits.parse::<u64>().unwrap_or(u64::MAX);
    let (unit, used) = match unit {
        "" => (words.get(1)?.text, 2),
        unit => (unit, 1),
    };
    let unit = match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => Unit::Days,
        "w" | "wk" | "wks" | "week" | "weeks" => Unit::Weeks,
        _ => return None,
    };
    Some((count, unit, used))
}

fn span_days(count: u64, unit: Unit) -> u64 {
    match unit {
        Unit::Days => count,
        Unit::Weeks => count.saturating_mul(7),
    }
}

// ---- the commands ----

fn checkin(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((eng, options)) = input.words.split_first() else {
        return Ok(Command::CheckinModal);
    };
    let eng_pct =
        percent(eng.text, "the engineering share of your day", "60").map_err(|m| input.error(m))?;
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
            let note = input.rest_from(word);
            input.check_length("A note", note)?;
            checkin.note = Some(unescape(note));
            break;
        };
        match key.to_ascii_lowercase().as_str() {
            "energy" => {
                once("energy")?;
                let energy = value.parse::<u8>().ok().filter(|e| (1..=5).contains(e));
                let Some(energy) = energy.filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                else {
                    return input.fail(format!(
                        "`{}` won't do: energy goes from 1 (running on empty) to 5 (plenty left).",
                        echo(word.text)
                    ));
                };
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
                input.check_length("A note", note)?;
                checkin.note = Some(unescape(note)).filter(|n| !n.is_empty());
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

/// `energy=2` looks like an option; `2+2=4` or `=)` start a note.
fn is_option_word(key: &str) -> bool {
    (1..=20).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
}

/// A comma list of names, duplicates dropped, order kept; `Err` carries the first bad name.
fn names<T: PartialEq>(list: &str, from_name: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, &str> {
    let mut out = Vec::new();
    for name in list.split(',') {
        let value = from_name(name.trim()).ok_or(name)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// `` `a`, `b` or `c` ``.
fn choices<const N: usize>(names: [&str; N]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

fn one_on_one(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((who, rest)) = input.words.split_first() else {
        return input.fail("Who was the 1:1 with? Mention them, like `/tlm 1on1 @bob`.");
    };
    let with = person(who.text).map_err(|m| input.error(m))?;
    let date = match rest {
        [] => None,
        [day] => Some(date(day.text).map_err(|m| input.error(m))?),
        [_, extra, ..] => {
            return input.fail(format!(
                "`{}` is one word too many: a 1:1 takes a person and, optionally, a date.",
                echo(extra.text)
            ));
        }
    };
    Ok(Command::OneOnOne { with, date })
}

fn team(input: &Input<'_>) -> Result<Command, ParseError> {
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
            if !(1..=90).contains(&days) {
                return input.fail(format!(
                    "A 1:1 cadence is between 1 and 90 days, and `every {}` is {days}.",
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
fn is_public_flag(word: &str) -> bool {
    let lower = word.to_lowercase();
    ["--public", "—public", "–public"].contains(&lower.as_str())
}

fn win(input: &Input<'_>) -> Result<Command, ParseError> {
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

fn cp(input: &Input<'_>) -> Result<Command, ParseError> {
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

fn fire(input: &Input<'_>) -> Result<Command, ParseError> {
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

fn target(input: &Input<'_>) -> Result<Command, ParseError> {
    let [value] = input.words else {
        return input.fail(
            "Give your target engineering share as one number from 0 to 100, like `/tlm target 80`.",
        );
    };
    let pct =
        percent(value.text, "your target engineering share", "80").map_err(|m| input.error(m))?;
    Ok(Command::Target(pct))
}

fn tz(input: &Input<'_>) -> Result<Command, ParseError> {
    if input.words.is_empty() {
        return input
            .fail("Which time zone? Use an IANA name like `Europe/Berlin` or `America/New_York`.");
    }
    // `America/New York` is a fair guess at `America/New_York`.
    let name = input
        .words
        .iter()
        .map(|w| w.text)
        .collect::<Vec<_>>()
        .join("_");
    if let Ok(zone) = Tz::from_str(&name) {
        return Ok(Command::Tz(zone));
    }
    // chrono-tz's own case-insensitive lookup needs a crate feature; the list is short.
    if let Some(zone) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|z| z.name().eq_ignore_ascii_case(&name))
    {
        return Ok(Command::Tz(*zone));
    }
    let city = chrono_tz::TZ_VARIANTS.iter().find(|z| {
        z.name()
            .rsplit('/')
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case(&name))
    });
    match city {
        Some(zone) => input.fail(format!(
            "`{}` isn't an IANA time zone name: did you mean `{}`?",
            echo(&name),
            zone.name()
        )),
        None => input.fail(format!(
            "`{}` isn't an IANA time zone name: use one like `Europe/Berlin` or `America/New_York`.",
            echo(&name)
        )),
    }
}

fn schedule(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((job, when)) = input.words.split_first() else {
        return input
            .fail("Which one: `/tlm schedule checkin <when>` or `/tlm schedule summary <when>`?");
    };
    let job = if is(job, "checkin") || is(job, "check-in") {
        JobKind::Checkin
    } else if is(job, "summary") {
        JobKind::Summary
    } else {
        return input.fail(format!(
            "`{}` isn't something I schedule: use `checkin` or `summary`.",
            echo(job.text)
        ));
    };
    let word = match job {
        JobKind::Checkin => "checkin",
        JobKind::Summary => "summary",
    };
    let spec = match when {
        [] => {
            return input.fail(format!(
                "When? Like `/tlm schedule {word} fri 16:00`, or `/tlm schedule {word} off`."
            ))
        }
        [off] if is(off, "off") => None,
        [first, ..] => Some(
            ScheduleSpec::parse(input.rest_from(first))
                .map_err(|e| input.error(printable(&e.to_string())))?,
        ),
    };
    Ok(Command::Schedule { job, spec })
}

fn pause(input: &Input<'_>) -> Result<Command, ParseError> {
    let spec = match input.words {
        [] => {
            return input
                .fail("For how long? Like `/tlm pause 2w` or `/tlm pause until 2026-03-02`.")
        }
        [until, rest @ ..] if is(until, "until") => match rest {
            [day] => PauseSpec::Until(date(day.text).map_err(|m| input.error(m))?),
            [] => return input.fail("Until when? Like `/tlm pause until 2026-03-02`."),
            [_, extra, ..] => {
                return input.fail(format!(
                    "`{}` is one word too many after the date.",
                    echo(extra.text)
                ))
            }
        },
        // The date alone is unambiguous, so `until` is optional.
        [day] if day.text.len() == 10 && day.text.as_bytes().get(4) == Some(&b'-') => {
            PauseSpec::Until(date(day.text).map_err(|m| input.error(m))?)
        }
        [first, ..] => {
            let words = input.words;
            let Some((count, unit, used)) = span(words) else {
                return input.fail(format!(
                    "`{}` isn't a length: use `<N>d`, `<N>w` or `until YYYY-MM-DD`, like `/tlm pause 2w`.",
                    echo(first.text)
                ));
            };
            let ok = match unit {
                Unit::Days => (1..=365).contains(&count),
                Unit::Weeks => (1..=52).contains(&count),
            };
            if !ok {
                return input.fail(
                    "A pause lasts 1 to 365 days (or 1 to 52 weeks); \
                     for longer, pause again when it ends.",
                );
            }
            if let Some(extra) = words.get(used) {
                return input.fail(format!(
                    "`{}` is one word too many after the length.",
                    echo(extra.text)
                ));
            }
            PauseSpec::Days(span_days(count, unit) as u32)
        }
    };
    Ok(Command::Pause(spec))
}

fn digest(input: &Input<'_>) -> Result<Command, ParseError> {
    let Some((first, rest)) = input.words.split_first() else {
        return input
            .fail("Which channel? Mention the channel with #, like `/tlm digest #team-platform`.");
    };
    let channel = channel(first.text).map_err(|m| input.error(m))?;
    let action = match rest {
        [] => DigestAction::Subscribe(None),
        [word] if is(word, "off") => DigestAction::Off,
        [word] if is(word, "join") => DigestAction::Join,
        [word] if is(word, "leave") => DigestAction::Leave,
        [when, ..] => DigestAction::Subscribe(Some(
            ScheduleSpec::parse(input.rest_from(when))
                .map_err(|e| input.error(printable(&e.to_string())))?,
        )),
    };
    Ok(Command::Digest { channel, action })
}

fn forget(input: &Input<'_>) -> Result<Command, ParseError> {
    match input.words {
        [] => Ok(Command::ForgetAsk),
        // Exactly `confirm`: this deletes everything, so nothing looser counts.
        [word] if is(word, "confirm") => Ok(Command::Forget),
        _ => input.fail(
            "Nothing was deleted: to delete all your data, type exactly `/tlm forget confirm`.",
        ),
    }
}

fn snooze(input: &Input<'_>) -> Result<Command, ParseError> {
    let names = choices(NudgeKind::ALL.map(NudgeKind::name));
    let Some((nudge, rest)) = input.words.split_first() else {
        return input.fail(format!(
            "Which nudge? Use {names}, like `/tlm snooze 1on1`."
        ));
    };
    let Some(kind) = NudgeKind::from_name(nudge.text) else {
        return input.fail(format!(
            "`{}` isn't a nudge: use {names}.",
            echo(nudge.text)
        ));
    };
    let days = match (span(rest), rest.first()) {
        (None, None) => 7,
        (None, Some(word)) => {
            return input.fail(format!(
                "`{}` isn't a length: use `<N>d` or `<N>w`, like `/tlm snooze {} 2w`.",
                echo(word.text),
                kind.name()
            ))
        }
        (Some((count, unit, used)), _) => {
            let days = span_days(count, unit);
            if !(1..=90).contains(&days) {
                return input.fail("A snooze lasts 1 to 90 days.");
            }
            if let Some(extra) = rest.get(used) {
                return input.fail(format!(
                    "`{}` is one word too many after the length.",
                    echo(extra.text)
                ));
            }
            days as u32
        }
    };
    Ok(Command::Snooze { kind, days })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Command {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// Asserts `text` fails for `command` with a message containing `phrase`.
    fn fails(text: &str, command: CommandName, phrase: &str) {
        let error = parse(text).expect_err(text);
        assert_eq!(error.command, Some(command), "{text:?}: {error}");
        assert!(
            error.message.contains(phrase),
            "{text:?}: {:?} lacks {phrase:?}",
            error.message
        );
    }

    fn user(id: &str, label: Option<&str>) -> Person {
        Person {
            id: UserId::parse(id).unwrap(),
            label: label.map(str::to_string),
        }
    }

    fn bob() -> Person {
        user("U1", Some("bob"))
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn spec(text: &str) -> ScheduleSpec {
        ScheduleSpec::parse(text).unwrap()
    }

    // ---- help ----

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

    // ---- checkin ----

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
                eng_pct: 60,
                energy: Some(2),
                critical_path: true,
                fires: vec![FireKind::Incident, FireKind::People],
                kinds: vec![EngKind::Review, EngKind::Pairing],
                note: Some("migrating  auth, again".into()),
            })
        );
    }

    #[test]
    fn checkin_with_just_a_number() {
        let expected = QuickCheckin {
            eng_pct: 0,
            ..QuickCheckin::default()
        };
        assert_eq!(ok("checkin 0"), Command::Checkin(expected));
        let Command::Checkin(full) = ok("checkin 100%") else {
            panic!()
        };
        assert_eq!(full.eng_pct, 100);
    }

    #[test]
    fn checkin_options_in_any_order_then_the_note_verbatim() {
        let Command::Checkin(c) = ok("checkin 40 cp energy=5 mentoring\tcarol\n2+2=4 cp") else {
            panic!()
        };
        assert_eq!((c.energy, c.critical_path), (Some(5), true));
        // Once the note starts, `cp` and `=` are just words in it.
        assert_eq!(c.note.as_deref(), Some("mentoring\tcarol\n2+2=4 cp"));
    }

    #[test]
    fn checkin_duplicate_kinds_collapse_and_note_equals_is_understood() {
        let Command::Checkin(c) = ok("checkin 50 fire=people,people note=on call") else {
            panic!()
        };
        assert_eq!(c.fires, vec![FireKind::People]);
        assert_eq!(c.note.as_deref(), Some("on call"));
    }

    #[test]
    fn free_text_is_stored_unescaped() {
        let Command::Win { text, .. } = ok("win fixed a &lt;div&gt; &amp; wrote &amp;lt;") else {
            panic!("a win")
        };
        assert_eq!(text, "fixed a <div> & wrote &lt;");
    }

    #[test]
    fn checkin_note_at_the_limit_is_kept() {
        let note = "é".repeat(MAX_TEXT_CHARS);
        let Command::Checkin(c) = ok(&format!("checkin 50 {note}")) else {
            panic!()
        };
        assert_eq!(c.note, Some(note));
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

    // ---- 1on1 ----

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

    // ---- team ----

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
    fn a_mention_label_with_spaces_is_one_word() {
        assert_eq!(
            ok("team add <@U3|Ana María> every 7d"),
            Command::TeamAdd {
                people: vec![user("U3", Some("Ana María"))],
                cadence_days: Some(7)
            }
        );
    }

    #[test]
    fn only_slack_mentions_are_grouped_across_spaces() {
        let Command::Win { text, public } = ok("win <3 to the team --public >") else {
            panic!()
        };
        assert_eq!((text.as_str(), public), ("<3 to the team >", true));
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

    // ---- win ----

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

    // ---- cp ----

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

    // ---- fire ----

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

    // ---- commands without arguments ----

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

    // ---- target ----

    #[test]
    fn target_with_and_without_percent() {
        assert_eq!(ok("target 80"), Command::Target(80));
        assert_eq!(ok("target 35%"), Command::Target(35));
    }

    #[test]
    fn target_rejects_missing_and_bad_numbers() {
        fails("target", CommandName::Target, "one number from 0 to 100");
        fails(
            "target 80 90",
            CommandName::Target,
            "one number from 0 to 100",
        );
        fails(
            "target lots",
            CommandName::Target,
            "give your target engineering share as 0-100",
        );
        fails("target 120%", CommandName::Target, "between 0 and 100");
    }

    // ---- tz ----

    #[test]
    fn tz_exact_and_case_insensitive_names() {
        assert_eq!(
            ok("tz Europe/Berlin"),
            Command::Tz(chrono_tz::Europe::Berlin)
        );
        assert_eq!(
            ok("tz america/new_york"),
            Command::Tz(chrono_tz::America::New_York)
        );
        assert_eq!(
            ok("tz America/New York"),
            Command::Tz(chrono_tz::America::New_York)
        );
        assert_eq!(ok("tz UTC"), Command::Tz(chrono_tz::UTC));
    }

    #[test]
    fn tz_rejects_missing_and_unknown_zones() {
        fails(
            "tz",
            CommandName::Tz,
            "`Europe/Berlin` or `America/New_York`",
        );
        fails(
            "tz Mars/Olympus",
            CommandName::Tz,
            "`Mars/Olympus` isn't an IANA time zone name",
        );
        fails(
            "tz berlin",
            CommandName::Tz,
            "did you mean `Europe/Berlin`?",
        );
    }

    // ---- schedule ----

    #[test]
    fn schedule_friendly_cron_and_off() {
        assert_eq!(
            ok("schedule checkin weekdays 17:00"),
            Command::Schedule {
                job: JobKind::Checkin,
                spec: Some(spec("weekdays 17:00"))
            }
        );
        assert_eq!(
            ok("schedule summary 0 16 * * 5"),
            Command::Schedule {
                job: JobKind::Summary,
                spec: Some(spec("0 16 * * 5"))
            }
        );
        assert_eq!(
            ok("schedule checkin OFF"),
            Command::Schedule {
                job: JobKind::Checkin,
                spec: None
            }
        );
    }

    #[test]
    fn schedule_rejects_missing_parts_and_passes_schedule_errors_through() {
        fails("schedule", CommandName::Schedule, "Which one");
        fails(
            "schedule lunch fri 12:00",
            CommandName::Schedule,
            "`lunch` isn't something I schedule",
        );
        fails(
            "schedule summary",
            CommandName::Schedule,
            "`/tlm schedule summary fri 16:00`",
        );
        let error = parse("schedule checkin fri 25:00").unwrap_err();
        assert_eq!(
            error.message,
            ScheduleSpec::parse("fri 25:00").unwrap_err().to_string()
        );
        fails(
            "schedule summary 0 9 1 * 1",
            CommandName::Schedule,
            "not both",
        );
    }

    // ---- pause ----

    #[test]
    fn pause_for_days_weeks_or_until_a_date() {
        assert_eq!(ok("pause 10d"), Command::Pause(PauseSpec::Days(10)));
        assert_eq!(ok("pause 2w"), Command::Pause(PauseSpec::Days(14)));
        assert_eq!(ok("pause 3 weeks"), Command::Pause(PauseSpec::Days(21)));
        assert_eq!(ok("pause 365d"), Command::Pause(PauseSpec::Days(365)));
        assert_eq!(ok("pause 52w"), Command::Pause(PauseSpec::Days(364)));
        assert_eq!(
            ok("pause until 2026-08-31"),
            Command::Pause(PauseSpec::Until(day(2026, 8, 31)))
        );
        assert_eq!(
            ok("pause 2026-08-31"),
            Command::Pause(PauseSpec::Until(day(2026, 8, 31)))
        );
    }

    #[test]
    fn pause_rejects_bad_lengths_and_dates() {
        fails("pause", CommandName::Pause, "For how long?");
        fails(
            "pause 0d",
            CommandName::Pause,
            "1 to 365 days (or 1 to 52 weeks)",
        );
        fails("pause 366d", CommandName::Pause, "1 to 365 days");
        fails("pause 53w", CommandName::Pause, "1 to 52 weeks");
        fails("pause 2", CommandName::Pause, "`2` isn't a length");
        fails(
            "pause forever",
            CommandName::Pause,
            "`forever` isn't a length",
        );
        fails(
            "pause 2w please",
            CommandName::Pause,
            "`please` is one word too many",
        );
        fails("pause until", CommandName::Pause, "Until when?");
        fails(
            "pause until 2026-13-01",
            CommandName::Pause,
            "isn't a real date",
        );
        fails("pause until tomorrow", CommandName::Pause, "`YYYY-MM-DD`");
        fails("pause 2026-02-30", CommandName::Pause, "isn't a real date");
    }

    // ---- digest ----

    #[test]
    fn digest_subscribe_with_and_without_a_schedule() {
        let team = ChannelRef {
            id: ChannelId::parse("C1").unwrap(),
            name: Some("team".into()),
        };
        assert_eq!(
            ok("digest <#C1|team>"),
            Command::Digest {
                channel: team.clone(),
                action: DigestAction::Subscribe(None)
            }
        );
        assert_eq!(
            ok("digest <#C1|team> mon 09:30"),
            Command::Digest {
                channel: team.clone(),
                action: DigestAction::Subscribe(Some(spec("mon 09:30")))
            }
        );
        let bare = ChannelRef {
            id: ChannelId::parse("G7").unwrap(),
            name: None,
        };
        assert_eq!(
            ok("digest <#G7> off"),
            Command::Digest {
                channel: bare,
                action: DigestAction::Off
            }
        );
        assert_eq!(
            ok("digest <#C1|team> JOIN"),
            Command::Digest {
                channel: team.clone(),
                action: DigestAction::Join
            }
        );
        assert_eq!(
            ok("digest <#C1|team> leave"),
            Command::Digest {
                channel: team,
                action: DigestAction::Leave
            }
        );
    }

    #[test]
    fn digest_rejects_missing_or_bad_channels_and_bad_schedules() {
        fails("digest", CommandName::Digest, "Mention the channel with #");
        fails(
            "digest #team",
            CommandName::Digest,
            "mention the channel with #",
        );
        fails(
            "digest <@U1|bob>",
            CommandName::Digest,
            "isn't a channel mention",
        );
        fails(
            "digest <#C 1|x>",
            CommandName::Digest,
            "isn't a channel mention",
        );
        fails(
            "digest <#C1|team> someday",
            CommandName::Digest,
            "can't read `someday` as a schedule",
        );
    }

    // ---- forget ----

    #[test]
    fn forget_asks_first_and_confirm_deletes() {
        assert_eq!(ok("forget"), Command::ForgetAsk);
        assert_eq!(ok("forget confirm"), Command::Forget);
        assert_eq!(ok("FORGET Confirm"), Command::Forget);
    }

    #[test]
    fn forget_rejects_anything_but_confirm() {
        fails(
            "forget me",
            CommandName::Forget,
            "type exactly `/tlm forget confirm`",
        );
        fails(
            "forget confirm please",
            CommandName::Forget,
            "Nothing was deleted",
        );
    }

    // ---- snooze ----

    #[test]
    fn snooze_defaults_to_a_week() {
        assert_eq!(
            ok("snooze 1on1"),
            Command::Snooze {
                kind: NudgeKind::OneOnOnes,
                days: 7
            }
        );
        assert_eq!(
            ok("snooze balance 3d"),
            Command::Snooze {
                kind: NudgeKind::Drift,
                days: 3
            }
        );
        assert_eq!(
            ok("snooze WINS 2w"),
            Command::Snooze {
                kind: NudgeKind::Wins,
                days: 14
            }
        );
    }

    #[test]
    fn snooze_rejects_unknown_nudges_and_bad_lengths() {
        fails(
            "snooze",
            CommandName::Snooze,
            "`energy`, `fires`, `1on1`, `cp`, `balance`, `team` or `wins`",
        );
        fails("snooze drift", CommandName::Snooze, "`drift` isn't a nudge");
        fails(
            "snooze cp soon",
            CommandName::Snooze,
            "`soon` isn't a length",
        );
        fails("snooze cp 0d", CommandName::Snooze, "1 to 90 days");
        fails("snooze cp 13w", CommandName::Snooze, "1 to 90 days");
        fails(
            "snooze cp 1w more",
            CommandName::Snooze,
            "`more` is one word too many",
        );
    }

    // ---- robustness ----

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
