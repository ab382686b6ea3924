//! `twohats console --demo`: eight weeks of a plausible TLM's history, so a newcomer sees a
//! real summary, real nudges and a real trend at once.
//!
//! The history is made by running ordinary `/tlm` commands at past instants through the same
//! use cases as everything else, so the demo can't drift from what the bot really stores.

use super::escape_like_slack;
use crate::app::{Actor, App, AppError, Reply};
use crate::domain::github::{GithubFigures, GithubLink};
use crate::domain::week::local_date;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

/// Weeks of history the demo creates.
pub const DEMO_WEEKS: i64 = 8;

/// Seeds the demo for `actor` ending at `now`. Does nothing (returns false) if the user
/// already has a record, so running `--demo` twice doesn't double the history.
pub fn seed(app: &App, actor: &Actor, now: DateTime<Utc>) -> Result<bool, AppError> {
    if app.knows(&actor.scope)? {
        return Ok(false);
    }
    let start = now - Duration::weeks(DEMO_WEEKS);
    let run = |at: DateTime<Utc>, text: &str| -> Result<(), AppError> {
        match app.handle_command(actor, &escape_like_slack(text), at) {
            Reply::Invalid { message, .. } => Err(AppError::Rejected {
                message: format!("demo step `{text}`: {message}"),
                usage: None,
                field: None,
            }),
            Reply::Failed => Err(AppError::Rejected {
                message: format!("demo step `{text}` failed"),
                usage: None,
                field: None,
            }),
            _ => Ok(()),
        }
    };
    run(start, "target 70")?;
    run(start, "team add @ana @ben @chen")?;
    run(start, "team add @dana every 14d")?;

    let days = (now - start).num_days();
    for day in 0..days {
        let at = start + Duration::days(day);
        let date = local_date(at, app.tz_for(actor)?);
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        // The slide a TLM doesn't notice: engineering share sinking from ~65% to ~30%,
        // with day-to-day noise, and energy dropping in the last days.
        let progress = day as f64 / days as f64;
        let noise = [5i64, -5, 10, 0, -10, 5, -5][(day % 7) as usize];
        let eng = ((65.0 - 35.0 * progress) as i64 + noise).clamp(0, 100);
        let energy = if days - day <= 3 { 2 } else { 3 + (day % 2) };
        let kind = ["review", "design", "pairing", "core", "tooling"][(day % 5) as usize];
        run(at, &format!("checkin {eng} energy={energy} kind={kind}"))?;

        match (date.weekday(), day / 7) {
            // Ana weekly; Ben weekly until three weeks ago; Chen and Dana fortnightly.
            (Weekday::Tue, _) => run(at, "1on1 @ana")?,
            (Weekday::Wed, week) if week < DEMO_WEEKS - 3 => run(at, "1on1 @ben")?,
            (Weekday::Thu, week) if week % 2 == 0 => run(at, "1on1 @chen")?,
            (Weekday::Mon, week) if week % 2 == 1 => run(at, "1on1 @dana")?,
            _ => {}
        }
        match day {
            9 => run(at, "win Ana ran her first design review --public")?,
            23 => run(at, "win unblocked the search migration by pairing with Ben")?,
            days_in if days_in == days - 17 => run(at, "win Chen's promo packet is in --public")?,
            _ => {}
        }
    }
    run(now - Duration::days(3), "cp on payments cutover")?;
    run(now - Duration::hours(5), "fire incident")?;
    // GitHub figures as a refresh would have stored them an hour ago (the demo asks no
    // GitHub): four PRs waiting, the oldest for three days.
    let week = crate::domain::week::IsoWeek::of(local_date(now, app.tz_for(actor)?));
    let mut link = GithubLink::new("demo-tlm".into());
    link.core = vec!["acme/payments".into()];
    link.figures = Some(GithubFigures {
        fetched_at: now - Duration::hours(1),
        week,
        review_queue: 4,
        oldest_waiting_since: Some(now - Duration::days(3)),
        waiting_urls: Vec::new(),
        merged: 5,
        merged_core: 3,
        reviewed_for_reports: 6,
        reports_reviewed: 3,
    });
    app.seed_github(actor, link, now - Duration::hours(1))?;
    Ok(true)
}
