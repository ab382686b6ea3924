//! `calendar <ics-url>|off|yes @person|no @person` and `hours <days> <HH:MM-HH:MM>`.

use super::values::person;
use super::words::{is, Input};
use super::ParseError;
use crate::command::{CalendarAction, Command};
use crate::domain::calendar::{WorkingHours, MAX_URL_LEN};
use chrono::{NaiveTime, Weekday};

pub(super) fn calendar(input: &Input<'_>) -> Result<Command, ParseError> {
    let [first, rest @ ..] = input.words else {
        return input.fail(
            "Which calendar? Paste its secret iCal address (`https://…/basic.ics`), or `off`.",
        );
    };
    if is(first, "off") && rest.is_empty() {
        return Ok(Command::Calendar(CalendarAction::Off));
    }
    if is(first, "yes") || is(first, "no") {
        let [who] = rest else {
            return input.fail("Whose 1:1 is it? e.g. `/tlm calendar yes @bob`.");
        };
        let with = person(who.text).map_err(|m| input.error(m))?;
        return Ok(Command::Calendar(CalendarAction::Answer {
            with,
            yes: is(first, "yes"),
        }));
    }
    if !rest.is_empty() {
        return input.fail("One address only, with no spaces in it.");
    }
    // Slack sends a pasted link as `<https://…>` or `<https://…|label>`, `&` as `&amp;`.
    let raw = first.text.trim_start_matches('<').trim_end_matches('>');
    let raw = raw
        .split('|')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&");
    let raw = raw
        .strip_prefix("webcal://")
        .map_or(raw.clone(), |r| format!("https://{r}"));
    let Ok(url) = url::Url::parse(&raw) else {
        return input.fail("That isn't a web address. Paste the secret iCal address from your calendar's settings.");
    };
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return input.fail("The calendar address must start with `https://`.");
    }
    if raw.len() > MAX_URL_LEN {
        return input.fail("That address is too long for a calendar feed.");
    }
    Ok(Command::Calendar(CalendarAction::Link(url.to_string())))
}

pub(super) fn hours(input: &Input<'_>) -> Result<Command, ParseError> {
    let [days, times] = input.words else {
        return input.fail("Which days and hours? e.g. `/tlm hours mon-fri 09:00-17:00`.");
    };
    let (first, last) = match days.text.split_once('-') {
        Some((a, b)) => (weekday(a), weekday(b)),
        None => (weekday(days.text), weekday(days.text)),
    };
    let (Some(first), Some(last)) = (first, last) else {
        return input.fail(format!(
            "`{}` isn't a range of days like `mon-fri`.",
            crate::domain::echo::echo(days.text)
        ));
    };
    let parsed = times.text.split_once('-').and_then(|(a, b)| {
        Some((
            NaiveTime::parse_from_str(a, "%H:%M").ok()?,
            NaiveTime::parse_from_str(b, "%H:%M").ok()?,
        ))
    });
    let Some((start, end)) = parsed else {
        return input.fail(format!(
            "`{}` isn't a range of times like `09:00-17:00`.",
            crate::domain::echo::echo(times.text)
        ));
    };
    match WorkingHours::new(first, last, start, end) {
        Some(hours) => Ok(Command::Hours(hours)),
        None => input.fail("The days must run forward within a week (`mon-fri`) and the day must end after it starts."),
    }
}

fn weekday(text: &str) -> Option<Weekday> {
    match text.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tues" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thur" | "thurs" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::command::CalendarAction;
    use crate::domain::calendar::WorkingHours;

    #[test]
    fn calendar_link_off_and_answers() {
        assert_eq!(
            ok("calendar <https://calendar.google.com/calendar/ical/x/private-abc/basic.ics>"),
            Command::Calendar(CalendarAction::Link(
                "https://calendar.google.com/calendar/ical/x/private-abc/basic.ics".into()
            ))
        );
        assert_eq!(ok("calendar off"), Command::Calendar(CalendarAction::Off));
        assert!(matches!(
            ok("calendar yes <@U2|bob>"),
            Command::Calendar(CalendarAction::Answer { yes: true, .. })
        ));
        fails("calendar", CommandName::Calendar, "secret iCal address");
        fails("calendar ftp://x/y", CommandName::Calendar, "`https://`");
        fails(
            "calendar hello",
            CommandName::Calendar,
            "isn't a web address",
        );
    }

    #[test]
    fn hours_days_and_times() {
        assert_eq!(
            ok("hours mon-fri 09:00-17:00"),
            Command::Hours(WorkingHours::default())
        );
        assert!(matches!(ok("hours Tue-Thu 10:00-16:30"), Command::Hours(_)));
        fails(
            "hours fri-mon 09:00-17:00",
            CommandName::Hours,
            "run forward",
        );
        fails("hours mon-fri 9-5", CommandName::Hours, "range of times");
        fails("hours", CommandName::Hours, "Which days");
    }
}
