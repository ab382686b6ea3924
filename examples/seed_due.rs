//! Seeds a store with N users whose weekly summary was due a minute ago, so that the next
//! `twohats serve` on it starts by queueing N summary DMs — for measuring slash-command
//! latency while the outbox drains (`DRAIN=N scripts/loadtest.sh`) and start-up time with a
//! store of N users (scripts/startup.sh).
//!
//! `cargo run --release --example seed_due -- --data-dir DIR --users 10000 [--days 28]`
//!
//! Every user is written through the real use cases (`checkin`, `schedule`), as the console
//! would; `--days` adds that many earlier days of check-ins per user through the store's own
//! API, so the rows are encoded exactly as the bot writes them.

use chrono::{Duration, Timelike, Utc};
use clap::Parser;
use std::sync::Arc;
use twohats::app::{Actor, App, Reply};
use twohats::domain::checkin::CheckIn;
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::prelude::*;
use twohats::store::SledStore;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data_dir: std::path::PathBuf,
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Earlier days of check-ins per user, on top of today's.
    #[arg(long, default_value_t = 0)]
    days: i64,
    /// Leave every user on the default schedule (nothing due now): a store as a restart on
    /// an ordinary day finds it.
    #[arg(long)]
    not_due: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let store = Arc::new(SledStore::open(&args.data_dir)?);
    let app = App::new(store.clone(), chrono_tz::UTC);
    let now = Utc::now();
    // A daily schedule whose latest fire was a minute or two ago (UTC, the default zone): the
    // first tick after start-up finds every user's summary due and still relevant.
    let fire = now - Duration::minutes(2);
    let schedule = format!("schedule summary {} {} * * *", fire.minute(), fire.hour());
    // A fire from before a job took its current form is never sent (`domain::due`): the
    // users appear and set their schedule before that fire, as if ten minutes ago.
    let seeded_at = now - Duration::minutes(10);
    let team = TeamId::parse("T0DRAIN")?;
    for i in 0..args.users {
        let actor = Actor::new(Scope::new(
            team.clone(),
            UserId::parse(&format!("U0DRAIN{i:05}"))?,
        ));
        for day in 1..=args.days {
            let at = now - Duration::days(day);
            store.add_checkin(
                &actor.scope,
                &CheckIn {
                    date: at.date_naive(),
                    at,
                    eng_pct: (i as i64 * 7 + day * 13).rem_euclid(101) as u8,
                    energy: Some(3),
                    critical_path: day % 5 == 0,
                    fires: Vec::new(),
                    kinds: Vec::new(),
                    note: Some(format!("day {day}: reviews and a design doc")),
                },
            )?;
        }
        let texts = if args.not_due {
            &["checkin 55 energy=4"][..]
        } else {
            &["checkin 55 energy=4", schedule.as_str()][..]
        };
        for text in texts {
            let reply = app.handle_command(&actor, text, seeded_at);
            if matches!(reply, Reply::Invalid { .. } | Reply::Failed) {
                return Err(format!("seeding `{text}` failed: {reply:?}").into());
            }
        }
    }
    let due = if args.not_due {
        "nothing due".to_string()
    } else {
        format!(
            "summaries due at {:02}:{:02} UTC",
            fire.hour(),
            fire.minute()
        )
    };
    println!(
        "seeded {} users with {} days of check-ins, {due}",
        args.users,
        args.days + 1
    );
    Ok(())
}
