//! `twohats console`: the bot in a terminal, for trying it and for scripts.
//!
//! It plays Slack's part: it escapes `@name` mentions the way Slack does with
//! `should_escape` (so the same parser runs), keeps a settable clock, and prints what the
//! bot would post, as text. Piped input is echoed, so a script in gives a transcript out.

use crate::app::clock::{Clock, ManualClock};
use crate::app::{Actor, App};
use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use crate::render::reply::reply_doc;
use crate::render::summary::{digest_doc, home_doc};
use crate::render::text::{plain, to_text};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use std::io::{self, BufRead, Write};

mod calendar;
mod demo;

/// How far back `:tick` replays after a long `:advance`.
const MAX_REPLAY_WEEKS: i64 = 8;
/// The most fire times one `:tick` replays (an every-minute cron over 8 weeks is 80,640).
const MAX_REPLAY_TICKS: usize = 2_000;

/// Every console user lives in this one workspace.
pub const CONSOLE_TEAM: &str = "TCONSOLE";

const HELP: &str = "\
Console commands:
  /tlm <command>         run a command as the current user (/tlm help lists them)
  :as @name              switch to another user
  :now 2026-11-27T16:00Z set the clock (also 2026-11-27 16:00, or a date)
  :advance 3d            move the clock on (m, h, d or w)
  :tick                  run the scheduler now and show what it sends
  :calendar              read your linked calendar now (at most hourly)
  :home                  show the App Home view
  :digest #channel       show the digest that channel would get now
  :github                fetch your GitHub figures now (GITHUB_TOKEN, GITHUB_API_URL)
  :whoami                who and when you are
  :quit                  leave (end of input works too)";

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("`{0}` isn't a console user name — use letters and digits, like @alice")]
    BadName(String),
    #[error("`{0}` isn't a time — try 2026-11-27T16:00Z, 2026-11-27 16:00 or 2026-11-27")]
    BadInstant(String),
    #[error("`{0}` isn't a duration — try 30m, 2h, 3d or 1w")]
    BadDuration(String),
    #[error(
        "`{0}` from now is past the last date the clock can show — set a nearer one with `:now`"
    )]
    PastEndOfTime(String),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
}

pub struct Session {
    app: App,
    clock: ManualClock,
    actor: Actor,
    /// Up to when the scheduler has run: `:tick` replays every fire since, as a bot running
    /// all along would have. `:now` resets it; `:advance` leaves it, so the skipped time is
    /// replayed.
    ticked_until: DateTime<Utc>,
}

impl Session {
    pub fn new(app: App, user: &str, start: DateTime<Utc>) -> Result<Self, ConsoleError> {
        let actor = console_actor(user)?;
        Ok(Self {
            app,
            clock: ManualClock::new(start),
            actor,
            ticked_until: start,
        })
    }

    /// Seeds the demo history for the current user, unless they already have data.
    pub fn seed_demo(&mut self) -> Result<bool, ConsoleError> {
        Ok(demo::seed(&self.app, &self.actor, self.clock.now())?)
    }

    /// Reads lines until the end of input or `:quit`; echoes them when not interactive.
    pub fn read_until_quit(
        &mut self,
        input: impl BufRead,
        mut out: impl Write,
        interactive: bool,
    ) -> Result<(), ConsoleError> {
        if interactive {
            writeln!(out, "twohats console — you are @{} at {}. `:help` for console commands, `/tlm help` for the bot.", self.name(), self.clock.now().format("%Y-%m-%d %H:%M UTC"))?;
            write!(out, "> ")?;
            out.flush()?;
        }
        for line in input.lines() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                if interactive {
                    write!(out, "> ")?;
                    out.flush()?;
                }
                continue;
            }
            if !interactive {
                writeln!(out, "> {line}")?;
            }
            if line == ":quit" || line == ":q" {
                break;
            }
            let answer = self.step(line);
            writeln!(out, "{answer}\n")?;
            if interactive {
                write!(out, "> ")?;
            }
            out.flush()?;
        }
        Ok(())
    }

    /// Runs one console line and returns what to print.
    pub fn step(&mut self, line: &str) -> String {
        let (word, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(w, r)| (w, r.trim()));
        let result = match word {
            "/tlm" => Ok(self.command(rest)),
            ":as" => console_actor(rest).map(|actor| {
                self.actor = actor;
                format!("You are now @{}.", self.name())
            }),
            ":now" => parse_instant(rest).map(|t| {
                // Setting the clock is starting the bot at that instant: the next `:tick`
                // replays from here, whether `t` is before or after the old clock.
                self.clock.set(t);
                self.ticked_until = t;
                format!("The time is now {}.", t.format("%a %Y-%m-%d %H:%M UTC"))
            }),
            ":advance" => parse_duration(rest).and_then(|d| {
                let now = self
                    .clock
                    .try_advance(d)
                    .ok_or_else(|| ConsoleError::PastEndOfTime(rest.to_string()))?;
                Ok(format!("The time is now {}.", now.format("%a %Y-%m-%d %H:%M UTC")))
            }),
            ":tick" => self.tick(),
            ":calendar" => self.refresh_calendar(false),
            ":home" => self.app.home(&self.actor, self.clock.now()).map(|h| to_text(&home_doc(&h))).map_err(Into::into),
            ":digest" => self.digest(rest),
            ":github" => self.app.refresh_github(&self.actor.scope, self.clock.now()).map(|fetched| {
                if fetched {
                    "Fetched your GitHub figures: `/tlm summary` shows them.".to_string()
                } else {
                    "Nothing fetched: GitHub is off (no GITHUB_TOKEN), you haven't linked a login (`/tlm github <login>`), the last fetch is under an hour old, or GitHub failed (see the log).".to_string()
                }
            }).map_err(Into::into),
            ":whoami" => Ok(format!("You are @{} ({}) at {}.", self.name(), self.actor.scope.user, self.clock.now().format("%a %Y-%m-%d %H:%M UTC"))),
            ":help" => Ok(HELP.to_string()),
            _ => Ok(format!("`{line}` isn't something I understand. Type `/tlm help` for the bot, `:help` for the console.")),
        };
        result.unwrap_or_else(|e| e.to_string())
    }

    fn command(&self, text: &str) -> String {
        let reply =
            self.app
                .handle_command(&self.actor, &escape_like_slack(text), self.clock.now());
        to_text(&reply_doc(&reply))
    }

    /// Runs the scheduler at every fire time since the last `:tick` (as a bot running all
    /// along would have), then at the clock, and prints what was sent. A long jump replays
    /// only its last [`MAX_REPLAY_WEEKS`] and at most [`MAX_REPLAY_TICKS`] fire times, and
    /// says so: `:advance 10000w` must not replay two centuries minute by minute.
    fn tick(&mut self) -> Result<String, ConsoleError> {
        let calendar = self.refresh_calendar(true)?;
        let now = self.clock.now();
        let mut from = self.ticked_until.min(now);
        let mut skipped_earlier = false;
        if let Some(window_start) = now.checked_sub_signed(Duration::weeks(MAX_REPLAY_WEEKS)) {
            if from < window_start {
                from = window_start;
                skipped_earlier = true;
            }
        }
        let mut times = self
            .app
            .fire_times(from, now)
            .map_err(crate::app::AppError::from)?;
        if times.len() > MAX_REPLAY_TICKS {
            times.drain(..times.len() - MAX_REPLAY_TICKS);
            skipped_earlier = true;
        }
        times.push(now);
        let mut sent = Vec::new();
        for at in times {
            self.app.tick(at)?;
            self.app
                .drain_outbox_to(at, |item| {
                    let when = at.format("%a %-d %b %H:%M UTC");
                    sent.push(format!(
                        "→ {when}, {}:\n{}",
                        plain(&self.app.recipient(item)),
                        to_text(&item.doc)
                    ));
                })
                .map_err(crate::app::AppError::from)?;
        }
        self.ticked_until = now;
        let mut answer = if sent.is_empty() {
            format!("Nothing due at {}.", now.format("%a %Y-%m-%d %H:%M UTC"))
        } else {
            sent.join("\n\n")
        };
        if !calendar.is_empty() {
            answer.insert_str(0, &format!("{calendar}\n"));
        }
        if skipped_earlier {
            answer.insert_str(
                0,
                &format!(
                    "(Replayed only the last {MAX_REPLAY_WEEKS} weeks, at most {MAX_REPLAY_TICKS} scheduled times; earlier ones are skipped, as by a bot that was down.)\n"
                ),
            );
        }
        Ok(answer)
    }

    fn digest(&self, channel: &str) -> Result<String, ConsoleError> {
        let name = channel.trim().trim_start_matches('#');
        let id = ChannelId::parse(&console_id("C", name))
            .map_err(|_| ConsoleError::BadName(channel.into()))?;
        let team = &self.actor.scope.team;
        Ok(match self.app.digest(team, &id, self.clock.now())? {
            Some(d) => to_text(&digest_doc(&d)),
            None => format!("#{name} has no digest. Subscribe it with `/tlm digest #{name}`."),
        })
    }

    fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn name(&self) -> &str {
        self.actor.name.as_deref().unwrap_or("?")
    }
}

fn console_actor(name: &str) -> Result<Actor, ConsoleError> {
    let name = name.trim().trim_start_matches('@');
    let user =
        UserId::parse(&console_id("U", name)).map_err(|_| ConsoleError::BadName(name.into()))?;
    let team =
        TeamId::parse(CONSOLE_TEAM).map_err(|_| ConsoleError::BadName(CONSOLE_TEAM.into()))?;
    Ok(Actor {
        name: Some(name.to_string()),
        ..Actor::new(Scope::new(team, user))
    })
}

/// A console name's stable Slack-like id: `alice` → `UALICE`. Empty for names that aren't
/// plain letters and digits, which the id check then rejects.
fn console_id(prefix: &str, name: &str) -> String {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return String::new();
    }
    format!("{prefix}{}", name.to_ascii_uppercase())
}

/// What Slack does to command text with `should_escape`: `@alice` becomes `<@UALICE|alice>`,
/// and the channel after `digest` becomes `<#CENG|eng>`.
pub fn escape_like_slack(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for (i, token) in text.split(' ').enumerate() {
        let escaped = if let Some(name) = token.strip_prefix('@') {
            let id = console_id("U", name);
            (!id.is_empty()).then(|| format!("<@{id}|{name}>"))
        } else if let Some(name) = token
            .strip_prefix('#')
            .filter(|_| i == 1 && text.starts_with("digest "))
        {
            let id = console_id("C", name);
            (!id.is_empty()).then(|| format!("<#{id}|{name}>"))
        } else {
            None
        };
        out.push(escaped.unwrap_or_else(|| token.to_string()));
    }
    out.join(" ")
}

/// `2026-11-27T16:00Z`, `2026-11-27T16:00:00Z`, RFC 3339, `2026-11-27 16:00` (UTC) or a date.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, ConsoleError> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let naive = t.strip_suffix('Z').unwrap_or(t);
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, format) {
            return Ok(dt.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
        .ok_or_else(|| ConsoleError::BadInstant(t.to_string()))
}

/// `30m`, `2h`, `3d`, `1w`.
pub fn parse_duration(text: &str) -> Result<Duration, ConsoleError> {
    let t = text.trim();
    let bad = || ConsoleError::BadDuration(t.to_string());
    let split = t
        .len()
        .checked_sub(1)
        .filter(|i| t.is_char_boundary(*i))
        .ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    if !(0..=10_000).contains(&n) {
        return Err(bad());
    }
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_escaped_the_way_slack_does() {
        assert_eq!(
            escape_like_slack("1on1 @bob 2026-11-20"),
            "1on1 <@UBOB|bob> 2026-11-20"
        );
        assert_eq!(
            escape_like_slack("digest #eng join"),
            "digest <#CENG|eng> join"
        );
        assert_eq!(escape_like_slack("win fixed #1 bug"), "win fixed #1 bug");
        assert_eq!(escape_like_slack("win @ the office"), "win @ the office");
    }

    #[test]
    fn console_times_and_durations_parse_or_say_why_not() {
        assert_eq!(
            parse_instant("2026-11-27T16:00Z").unwrap().to_rfc3339(),
            "2026-11-27T16:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-11-27").unwrap().to_rfc3339(),
            "2026-11-27T00:00:00+00:00"
        );
        assert!(parse_instant("friday")
            .unwrap_err()
            .to_string()
            .contains("isn't a time"));
        assert_eq!(parse_duration("3d").unwrap(), Duration::days(3));
        assert!(parse_duration("3").is_err());
        assert!(parse_duration("é").is_err());
        assert!(parse_duration("").is_err());
    }

    fn session(start: &str) -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), chrono_tz::UTC).unwrap();
        let session = Session::new(app, "me", parse_instant(start).unwrap()).unwrap();
        (dir, session)
    }

    #[test]
    fn advancing_past_the_end_of_time_is_refused_not_a_panic() {
        let (_dir, mut s) = session("2026-11-27T16:00Z");
        let set = s.step(":now +262142-12-31T23:59");
        assert!(set.starts_with("The time is now"), "{set}");
        let out = s.step(":advance 1w");
        assert!(
            out.contains("past the last date the clock can show"),
            "{out}"
        );
        assert!(s.step(":whoami").contains("262142"), "the clock stayed");
    }

    #[test]
    fn a_huge_jump_replays_a_bounded_window_and_says_so() {
        let (_dir, mut s) = session("2026-11-27T16:00Z");
        s.step("/tlm schedule checkin * * * * *");
        s.step(":advance 1000w");
        let out = s.step(":tick");
        assert!(out.starts_with("(Replayed only the last 8 weeks"), "{out}");
        // The last every-minute prompt of the window was sent.
        assert!(
            out.contains("Quick check-in"),
            "{}",
            &out[..out.len().min(400)]
        );
    }
}
