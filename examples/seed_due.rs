//! Seeds a store with N users whose weekly summary was due a minute ago, so that the next
//! `twohats serve` on it starts by queueing N summary DMs — for measuring slash-command
//! latency while the outbox drains (scripts/drain-load.sh).
//!
//! `cargo run --release --example seed_due -- --data-dir DIR --users 10000`
//!
//! Every user is written through the real use cases (`checkin`, `schedule`), as the console
//! would, so the store is what a real team's would look like.

use chrono::{Duration, Timelike, Utc};
use clap::Parser;
use std::sync::Arc;
use twohats::app::{Actor, App, Reply};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::Store;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data_dir: std::path::PathBuf,
    #[arg(long, default_value_t = 10_000)]
    users: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let store = Arc::new(Store::open(&args.data_dir)?);
    let app = App::new(store, chrono_tz::UTC);
    let now = Utc::now();
    // A daily schedule whose latest fire was a minute or two ago (UTC, the default zone): the
    // first tick after start-up finds every user's summary due and still relevant.
    let fire = now - Duration::minutes(2);
    let schedule = format!("schedule summary {} {} * * *", fire.minute(), fire.hour());
    let team = TeamId::parse("T0DRAIN")?;
    for i in 0..args.users {
        let actor = Actor::new(Scope::new(
            team.clone(),
            UserId::parse(&format!("U0DRAIN{i:05}"))?,
        ));
        for text in ["checkin 55 energy=4", schedule.as_str()] {
            let reply = app.handle_command(&actor, text, now);
            if matches!(reply, Reply::Invalid { .. } | Reply::Failed) {
                return Err(format!("seeding `{text}` failed: {reply:?}").into());
            }
        }
    }
    println!(
        "seeded {} users, summaries due at {:02}:{:02} UTC",
        args.users,
        fire.hour(),
        fire.minute()
    );
    Ok(())
}
