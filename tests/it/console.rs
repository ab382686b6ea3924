//! `twohats console` as a user runs it: a script in, a transcript out.

use crate::support::console;

#[test]
fn a_piped_script_gives_a_transcript_with_users_and_a_clock() {
    let dir = tempfile::tempdir().unwrap();
    let script = "\
# comments and blank lines are skipped

:now 2026-11-23T17:00Z
/tlm team add @bob
/tlm checkin 30 energy=2
:advance 1d
/tlm checkin 50 energy=2
:as bob
/tlm summary
:as me
:whoami
:tick
:home
:bogus
";
    let (out, err, ok) = console(dir.path(), &[], script);
    assert!(ok, "{err}");
    assert!(!out.contains("comments"), "{out}");
    assert!(
        out.contains("> /tlm team add @bob\nAdded @bob."),
        "inputs are echoed before replies: {out}"
    );
    assert!(
        out.contains("The time is now Tue 2026-11-24 17:00 UTC."),
        "{out}"
    );
    assert!(out.contains("This week so far: 40% over 2 days"), "{out}");
    assert!(
        out.contains("Energy 2, 2 in your last 2 check-ins"),
        "{out}"
    );
    assert!(out.contains("You are now @bob."), "{out}");
    assert!(
        out.contains("*Balance:* no check-ins yet this week"),
        "bob's own summary: {out}"
    );
    assert!(
        out.contains("You are @me (UME) at Tue 2026-11-24 17:00 UTC."),
        "{out}"
    );
    assert!(
        out.contains("Nothing due at Tue 2026-11-24 17:00 UTC."),
        "{out}"
    );
    assert!(
        out.contains("== twohats — your two hats this week =="),
        "{out}"
    );
    assert!(
        out.contains("*Weekly summary:* Fridays at 16:00 (next Fri 27 Nov 16:00)"),
        "{out}"
    );
    assert!(
        out.contains("`:bogus` isn't something I understand"),
        "{out}"
    );
}

#[test]
fn state_persists_between_console_runs() {
    let dir = tempfile::tempdir().unwrap();
    console(
        dir.path(),
        &["--now", "2026-11-27T10:00Z"],
        "/tlm win kept across restarts\n",
    );
    let (out, _, _) = console(
        dir.path(),
        &["--now", "2026-11-27T11:00Z"],
        "/tlm summary\n",
    );
    assert!(out.contains("• kept across restarts"), "{out}");
}

#[test]
fn demo_seeds_a_realistic_history_once() {
    let dir = tempfile::tempdir().unwrap();
    let (out, err, ok) = console(
        dir.path(),
        &["--demo", "--now", "2026-11-27T16:00Z"],
        "/tlm summary\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("*Last 8 weeks:* `"), "{out}");
    assert!(
        out.contains("— *overdue*"),
        "the demo has an overdue report: {out}"
    );
    let nudges = out.matches("[Snooze a week]").count();
    assert_eq!(nudges, 3, "a demo shows the full three nudges: {out}");
    let (again, _, _) = console(
        dir.path(),
        &["--demo", "--now", "2026-11-27T16:00Z"],
        "/tlm export\n",
    );
    let json_start = again.find('{').unwrap();
    let json_end = again.rfind('}').unwrap();
    let data: serde_json::Value = serde_json::from_str(&again[json_start..=json_end]).unwrap();
    let checkins = data["checkins"].as_array().unwrap().len();
    assert_eq!(checkins, 40, "8 weeks of weekdays, seeded once, not twice");
}

#[test]
fn a_locked_data_dir_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let _held = twohats::store::SledStore::open(dir.path()).unwrap();
    let (_, err, ok) = console(dir.path(), &[], "/tlm help\n");
    assert!(!ok);
    assert!(err.contains("in use by another twohats process"), "{err}");
}

#[test]
fn advancing_a_week_and_ticking_shows_what_that_week_sent() {
    let dir = tempfile::tempdir().unwrap();
    let script = "\
:now 2026-11-23T08:00Z
/tlm digest #eng fri 17:00
/tlm checkin 50
:as bob
/tlm digest #eng join
/tlm win fixed the flaky deploy --public
:as me
:advance 7d
:tick
:tick
";
    let (out, err, ok) = console(dir.path(), &[], script);
    assert!(ok, "{err}");
    let tick = out.split("> :tick").nth(1).unwrap();
    assert!(
        tick.contains("→ Fri 27 Nov 15:30 UTC, DM to @me:\nQuick check-in"),
        "the prompt: {tick}"
    );
    assert!(
        tick.contains("→ Fri 27 Nov 16:00 UTC, DM to @me:\n== Your week"),
        "the summary: {tick}"
    );
    assert!(
        tick.contains("→ Fri 27 Nov 16:00 UTC, DM to @bob:"),
        "bob is scheduled too: {tick}"
    );
    assert!(
        tick.contains("→ Fri 27 Nov 17:00 UTC, #eng:\n== Team digest"),
        "the digest: {tick}"
    );
    assert!(tick.contains("@bob: fixed the flaky deploy"), "{tick}");
    let again = out.split("> :tick").nth(2).unwrap();
    assert!(
        again.contains("Nothing due"),
        "a second tick sends nothing: {again}"
    );
}
