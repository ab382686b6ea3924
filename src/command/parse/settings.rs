//! `target`, `tz`, `schedule`, `pause`, `digest`, `snooze` and `forget`: how and when
//! twohats talks to the user, and their data.

use super::values::{channel, choices, date, span, span_days, Unit};
use super::words::{is, Input};
use super::ParseError;
use crate::command::{Command, DigestAction, PauseSpec};
use crate::domain::echo::{echo, printable};
use crate::domain::job::JobKind;
use crate::domain::nudge::NudgeKind;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::values::{Field, Percent};
use chrono_tz::Tz;
use std::str::FromStr;

pub(super) fn target(input: &Input<'_>) -> Result<Command, ParseError> {
    let [value] = input.words else {
        return input.fail_on(
            Field::Target,
            "Give your target engineering share as one number from 0 to 100, like `/tlm target 80`.",
        );
    };
    let pct = Percent::parse(value.text, Field::Target).map_err(|r| input.refused(r))?;
    Ok(Command::Target(pct))
}

pub(super) fn tz(input: &Input<'_>) -> Result<Command, ParseError> {
    if input.words.is_empty() {
        return input.fail_on(
            Field::Tz,
            "Which time zone? Use an IANA name like `Europe/Berlin` or `America/New_York`.",
        );
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
        Some(zone) => input.fail_on(Field::Tz, format!(
            "`{}` isn't an IANA time zone name: did you mean `{}`?",
            echo(&name),
            zone.name()
        )),
        None => input.fail_on(Field::Tz, format!(
            "`{}` isn't an IANA time zone name: use one like `Europe/Berlin` or `America/New_York`.",
            echo(&name)
        )),
    }
}

pub(super) fn schedule(input: &Input<'_>) -> Result<Command, ParseError> {
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
    let (word, field) = match job {
        JobKind::Checkin => ("checkin", Field::CheckinSchedule),
        JobKind::Summary => ("summary", Field::SummarySchedule),
    };
    let spec = match when {
        [] => {
            return input.fail_on(
                field,
                format!(
                    "When? Like `/tlm schedule {word} fri 16:00`, or `/tlm schedule {word} off`."
                ),
            )
        }
        [off] if is(off, "off") => None,
        [first, ..] => Some(
            ScheduleSpec::parse(input.rest_from(first))
                .map_err(|e| input.error_on(field, printable(&e.to_string())))?,
        ),
    };
    Ok(Command::Schedule { job, spec })
}

pub(super) fn pause(input: &Input<'_>) -> Result<Command, ParseError> {
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

pub(super) fn digest(input: &Input<'_>) -> Result<Command, ParseError> {
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

pub(super) fn forget(input: &Input<'_>) -> Result<Command, ParseError> {
    match input.words {
        [] => Ok(Command::ForgetAsk),
        // Exactly `confirm`: this deletes everything, so nothing looser counts.
        [word] if is(word, "confirm") => Ok(Command::Forget),
        _ => input.fail(
            "Nothing was deleted: to delete all your data, type exactly `/tlm forget confirm`.",
        ),
    }
}

pub(super) fn snooze(input: &Input<'_>) -> Result<Command, ParseError> {
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
    use crate::command::parse::testing::*;
    use crate::command::CommandName;
    use crate::domain::ids::{ChannelId, ChannelRef};

    #[test]
    fn target_with_and_without_percent() {
        assert_eq!(ok("target 80"), Command::Target(pct(80)));
        assert_eq!(ok("target 35%"), Command::Target(pct(35)));
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
            "`energy`, `fires`, `1on1`, `reviews`, `cp`, `balance`, `focus`, `team` or `wins`",
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
}
