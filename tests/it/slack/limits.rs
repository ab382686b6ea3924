//! Every Block Kit payload stays inside Slack's limits, even for the largest realistic
//! summary and App Home: 12 reports, 20 wins, long notes and names.

use crate::support::TestApp;
use chrono::Duration;
use serde_json::Value;
use twohats::app::Reply;
use twohats::render::blocks::{message_blocks, view_blocks};
use twohats::render::modals::{checkin_modal, home_view, one_on_one_modal, settings_modal};
use twohats::render::reply::reply_doc;
use twohats::render::summary::summary_doc;

fn check_blocks(what: &str, blocks: &[Value], max_blocks: usize) {
    assert!(
        blocks.len() <= max_blocks,
        "{what}: {} blocks",
        blocks.len()
    );
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let mut action_ids = std::collections::HashSet::new();
    for b in blocks {
        match b["type"].as_str().unwrap() {
            "header" => assert!(chars(&b["text"]["text"]) <= 150, "{what}: header {b}"),
            "section" => {
                assert!(
                    chars(&b["text"]["text"]) <= 3000,
                    "{what}: section of {} chars",
                    chars(&b["text"]["text"])
                );
                let fields = b["fields"].as_array().map_or(0, Vec::len);
                assert!(fields <= 10, "{what}: {fields} fields");
                for f in b["fields"].as_array().into_iter().flatten() {
                    assert!(chars(&f["text"]) <= 2000, "{what}: field {f}");
                }
            }
            "actions" => {
                for e in b["elements"].as_array().unwrap() {
                    assert!(chars(&e["text"]["text"]) <= 75, "{what}: button {e}");
                    let id = e["action_id"].as_str().unwrap();
                    assert!(id.len() <= 255, "{what}: action_id {id}");
                    assert!(
                        action_ids.insert(id.to_string()),
                        "{what}: action_id {id} repeated"
                    );
                }
            }
            "context" => {
                for e in b["elements"].as_array().unwrap() {
                    assert!(chars(&e["text"]) <= 2000, "{what}: context {e}");
                }
            }
            "divider" | "input" => {}
            other => panic!("{what}: unexpected block type {other}"),
        }
        if let Some(id) = b["block_id"].as_str() {
            assert!(id.len() <= 255);
        }
    }
}

fn busiest_week() -> TestApp {
    let mut bot = TestApp::new();
    let long = "x".repeat(twohats::domain::checkin::MAX_TEXT_CHARS);
    let reports: Vec<String> = (0..12)
        .map(|i| format!("@report{i}withalongdisplayname"))
        .collect();
    bot.run("ann", &format!("team add {}", reports.join(" ")));
    bot.now -= Duration::days(4);
    for day in 0..5 {
        bot.run("ann", &format!("checkin {} energy=1 cp fire=incident,people kind=core,review,design,pairing,tooling {long}", day * 20));
        for w in 0..4 {
            bot.run(
                "ann",
                &format!("win {w}{day} {} --public", &long[..long.len() - 3]),
            );
        }
        bot.run("ann", &format!("1on1 {}", reports[day as usize]));
        bot.advance(Duration::days(1));
    }
    bot.run("ann", &format!("cp on {long}"));
    bot
}

#[test]
fn the_largest_summary_and_home_fit_slacks_limits() {
    let bot = busiest_week();
    let Reply::Summary(summary) = bot.run("ann", "summary") else {
        panic!("no summary")
    };
    assert_eq!((summary.wins.len(), summary.reports.len()), (20, 12));
    check_blocks("summary", &message_blocks(&summary_doc(&summary)), 50);
    let home = bot
        .app
        .home(&crate::support::actor("ann"), bot.now)
        .unwrap();
    let view = home_view(&home);
    check_blocks("home", view["blocks"].as_array().unwrap(), 100);
    check_blocks(
        "home doc",
        &view_blocks(&twohats::render::summary::home_doc(&home)),
        100,
    );
    for command in [
        "team",
        "help",
        "checkin 50 energy=1 fire=incident,people",
        "export",
    ] {
        let reply = bot.run("ann", command);
        check_blocks(command, &message_blocks(&reply_doc(&reply)), 50);
    }
}

#[test]
fn modals_fit_slacks_limits() {
    let bot = TestApp::new();
    bot.run("ann", "target 70");
    let record = bot.export("ann").settings.unwrap();
    for (what, view) in [
        ("checkin", checkin_modal()),
        (
            "1on1",
            one_on_one_modal(
                Some("U0BOB"),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            ),
        ),
        ("settings", settings_modal(&record, chrono_tz::UTC, true)),
    ] {
        check_blocks(what, view["blocks"].as_array().unwrap(), 100);
        assert!(
            view["title"]["text"].as_str().unwrap().chars().count() <= 24,
            "{what}: modal titles are 24 chars at most"
        );
        assert!(view["callback_id"].as_str().unwrap().len() <= 255);
    }
}
