//! Value parsers the commands share: people, channels, dates, lengths of time, and comma
//! lists of names (percentages, energy and notes are `domain::values`, shared with the
//! modals). Each returns the message for the caller to attach, so the refusal names the
//! command the value was typed for.

use super::words::Word;
use crate::domain::echo::echo;
use crate::domain::ids::{ChannelId, ChannelRef, Person, UserId};
use chrono::NaiveDate;

/// `<@U123|bob>` or `<@U123>`.
pub(super) fn person(text: &str) -> Result<Person, String> {
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
pub(super) fn channel(text: &str) -> Result<ChannelRef, String> {
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
pub(super) fn date(text: &str) -> Result<NaiveDate, String> {
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
pub(super) enum Unit {
    Days,
    Weeks,
}

/// A length of time: `7d`, `2w`, `3days`, or `2 weeks` over two words. Returns the count,
/// the unit and how many words it used; `None` if the words don't start with one.
pub(super) fn span(words: &[Word<'_>]) -> Option<(u64, Unit, usize)> {
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

pub(super) fn span_days(count: u64, unit: Unit) -> u64 {
    match unit {
        Unit::Days => count,
        Unit::Weeks => count.saturating_mul(7),
    }
}

/// A comma list of names, duplicates dropped, order kept; `Err` carries the first bad name.
pub(super) fn names<T: PartialEq>(
    list: &str,
    from_name: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, &str> {
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
pub(super) fn choices<const N: usize>(names: [&str; N]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Vec<Word<'_>> {
        text.split(' ').map(|t| Word { at: 0, text: t }).collect()
    }

    #[test]
    fn a_span_is_one_word_or_a_number_and_a_unit() {
        assert_eq!(span(&word("2w")), Some((2, Unit::Weeks, 1)));
        assert_eq!(span(&word("3 days later")), Some((3, Unit::Days, 2)));
        assert_eq!(span(&word("often")), None);
        assert_eq!(span(&word("7")), None);
        assert_eq!(span_days(2, Unit::Weeks), 14);
    }

    #[test]
    fn names_drop_duplicates_and_report_the_first_bad_one() {
        let digit = |n: &str| n.parse::<u8>().ok();
        assert_eq!(names("1,2,1", digit), Ok(vec![1, 2]));
        assert_eq!(names("1,x,y", digit), Err("x"));
    }

    #[test]
    fn choices_read_as_a_list() {
        assert_eq!(choices(["a"]), "`a`");
        assert_eq!(choices(["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn dates_are_strictly_iso() {
        assert!(date("2026-03-02").is_ok());
        assert!(date("2026-3-2").unwrap_err().contains("`YYYY-MM-DD`"));
        assert!(date("2026-02-30")
            .unwrap_err()
            .contains("isn't a real date"));
    }
}
