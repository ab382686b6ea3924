//! Backup and restore: a JSON-lines copy of the whole store, all teams, loaded into an empty
//! data dir row for row; anything damaged, newer or aimed at a non-empty store is refused
//! and writes nothing.

use crate::support::{actor, scope, TestApp, TEAM};
use chrono::{DateTime, Duration};
use std::sync::Arc;
use tempfile::TempDir;
use twohats::app::{Actor, App, Reply};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::prelude::*;
use twohats::store::{BackupError, BackupSummary};
use twohats::store::{Claim, RawEntry, SledStore};

const OTHER_TEAM: &str = "T0002";

fn other_team(user: &str) -> Actor {
    Actor::new(other_scope(user))
}

fn other_scope(user: &str) -> Scope {
    Scope::new(
        TeamId::parse(OTHER_TEAM).unwrap(),
        UserId::parse(&format!("U{}", user.to_ascii_uppercase())).unwrap(),
    )
}

#[track_caller]
fn ok(reply: Reply) {
    assert!(
        !matches!(reply, Reply::Invalid { .. } | Reply::Failed),
        "{reply:?}"
    );
}

/// Two teams with a bit of everything: settings, check-ins, 1:1s, wins, fires, digests, a
/// claimed message still in the outbox and one delivered, and a seen Slack event. The same
/// user id exists in both teams. Notes carry `SECRET` markers.
fn populated() -> TestApp {
    let mut bot = TestApp::new();
    bot.now -= Duration::days(3); // Tuesday
    let run_other = |bot: &TestApp, user: &str, text: &str| {
        let text = twohats::console::escape_like_slack(text);
        ok(bot.app.handle_command(&other_team(user), &text, bot.now));
    };
    ok(bot.run("ann", "tz Europe/Berlin"));
    ok(bot.run("ann", "team add @bob @cat every 14d"));
    ok(bot.run("ann", "digest #eng"));
    ok(bot.run("bob", "digest #eng join"));
    run_other(&bot, "ann", "digest #ops");
    run_other(&bot, "ann", "team add @dan");
    for day in 0..3 {
        ok(bot.run(
            "ann",
            &format!(
                "checkin {} energy=2 cp fire=incident kind=review,core SECRETNOTE{day}",
                40 + day * 10
            ),
        ));
        ok(bot.run("bob", &format!("checkin {}", 70 - day * 5)));
        run_other(
            &bot,
            "ann",
            &format!("checkin {} SECRETOTHER{day}", 20 + day),
        );
        bot.advance(Duration::days(1));
    }
    ok(bot.run("ann", "1on1 @bob"));
    ok(bot.run("ann", "1on1 @cat 2026-11-20"));
    run_other(&bot, "ann", "1on1 @dan");
    ok(bot.run("ann", "win shipped the SECRETWIN migration"));
    ok(bot.run("bob", "win --public first design review"));
    run_other(&bot, "ann", "win closed the quarter");
    ok(bot.run("ann", "fire people"));
    run_other(&bot, "ann", "fire incident");
    ok(bot.run("ann", "fire clear"));

    // Friday 16:00: summaries are due. Claim them; deliver one, leave the rest pending.
    let report = bot.app.tick(bot.now).unwrap();
    assert!(report.queued >= 2, "{report:?}");
    let store = &bot.store;
    let (id, item) = store.outbox_due(bot.now, 1).unwrap().remove(0);
    store.settle(id, &item, Claim::Sent, bot.now).unwrap();
    assert!(store.outbox_len() >= 1);

    let team = TeamId::parse(TEAM).unwrap();
    assert!(store
        .first_sighting(&team, "Ev0001", bot.now, bot.now - Duration::hours(2))
        .unwrap());
    bot
}

fn fresh() -> (TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    (dir, store)
}

fn backup(store: &SledStore) -> (String, BackupSummary) {
    let mut out = Vec::new();
    let summary = store.backup_to(&mut out).unwrap();
    (String::from_utf8(out).unwrap(), summary)
}

fn sorted(mut rows: Vec<RawEntry>) -> Vec<RawEntry> {
    rows.sort();
    rows
}

fn export_json(store: &SledStore, scope: &Scope) -> serde_json::Value {
    serde_json::to_value(store.export_user(scope).unwrap()).unwrap()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn a_backup_restores_every_row_of_every_team_into_an_empty_store() {
    let bot = populated();
    let source = &bot.store;
    let (text, summary) = backup(source);
    let raw = sorted(source.raw_entries().unwrap());
    let trees: std::collections::BTreeSet<_> = raw.iter().map(|(t, _, _)| t.clone()).collect();
    for tree in [
        "users",
        "checkins",
        "one_on_ones",
        "wins",
        "fires",
        "digests",
        "seen_events",
        "ledger",
        "outbox",
    ] {
        assert!(trees.contains(tree), "no rows in {tree}: {trees:?}");
    }
    assert_eq!(
        summary,
        BackupSummary {
            trees: trees.len(),
            rows: raw.len(),
            skipped: 0,
        }
    );
    let all = lines(&text);
    assert_eq!(all.len(), raw.len() + 2);
    assert_eq!(
        all[all.len() - 1],
        format!(r#"{{"end":true,"rows":{}}}"#, raw.len())
    );
    for line in &all[1..all.len() - 1] {
        let hex = line.contains(r#","value_hex":"#);
        assert_eq!(hex, line.starts_with(r#"{"tree":"seen_events","#), "{line}");
    }

    let (_dir, copy) = fresh();
    assert_eq!(copy.restore_from(text.as_bytes()).unwrap(), summary);
    assert_eq!(sorted(copy.raw_entries().unwrap()), raw);
    for scope in [
        scope("ann"),
        scope("bob"),
        scope("cat"),
        other_scope("ann"),
        other_scope("dan"),
    ] {
        assert_eq!(
            export_json(&copy, &scope),
            export_json(source, &scope),
            "{scope:?}"
        );
    }
    assert_eq!(
        copy.outbox_due(bot.now, usize::MAX).unwrap(),
        source.outbox_due(bot.now, usize::MAX).unwrap()
    );
    // A backup of the copy is the same file, but for when it was made and the next id.
    let (again, again_summary) = backup(&copy);
    assert_eq!(again_summary, summary);
    assert_eq!(lines(&again)[1..], all[1..]);
}

#[test]
fn the_restored_store_serves_the_bot_and_keeps_new_rows_apart_from_restored_ones() {
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let (_dir, copy) = fresh();
    copy.restore_from(text.as_bytes()).unwrap();
    let app_store = Arc::new(copy);
    let app = App::new(app_store.clone(), chrono_tz::UTC);
    let before = app_store.as_ref().raw_entries().unwrap().len();
    // Each new row takes a fresh id; ids the source used (and that restored keys end in)
    // must not come round again, or a 1:1 on the same day would overwrite a restored one.
    for _ in 0..40 {
        let text = twohats::console::escape_like_slack("1on1 @cat 2026-11-20");
        ok(app.handle_command(&actor("ann"), &text, bot.now));
    }
    assert_eq!(
        app_store.as_ref().raw_entries().unwrap().len(),
        before + 40,
        "new rows are added, never written over restored ones"
    );
    let export = app_store.as_ref().export_user(&scope("ann")).unwrap();
    assert_eq!(export.one_on_ones.len(), 2 + 40);
    // Already claimed before the backup: not claimed again.
    assert_eq!(app.tick(bot.now).unwrap().queued, 0);
}

#[test]
fn restore_refuses_a_store_that_holds_data_and_changes_nothing() {
    let source = populated();
    let (text, _) = backup(&source.store);
    let target = TestApp::new();
    ok(target.run("zed", "win already here"));
    let before = target.raw();
    let err = target.store.restore_from(text.as_bytes()).unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(target.raw(), before);
    // Not even into itself.
    let source_before = source.raw();
    assert!(source.store.restore_from(text.as_bytes()).is_err());
    assert_eq!(source.raw(), source_before);
}

#[test]
fn a_truncated_or_short_backup_is_refused_and_restores_nothing() {
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let all = lines(&text);
    let n = all.len();
    let join = |kept: &[&str]| kept.iter().map(|l| format!("{l}\n")).collect::<String>();
    let without_row_3 = {
        let mut kept = all.clone();
        kept.remove(3);
        join(&kept)
    };
    let cases = [
        ("no trailer", join(&all[..n - 1])),
        ("last lines dropped", join(&all[..n - 3])),
        ("header only", join(&all[..1])),
        ("cut mid-line", text[..text.len() / 2].to_string()),
        ("a row missing", without_row_3),
    ];
    for (case, damaged) in cases {
        let (_dir, copy) = fresh();
        let err = copy.restore_from(damaged.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                BackupError::Truncated { .. } | BackupError::CountMismatch { .. }
            ),
            "{case}: {err}"
        );
        assert!(
            err.to_string().contains("nothing was restored"),
            "{case}: {err}"
        );
        assert!(copy.raw_entries().unwrap().is_empty(), "{case}");
        // Still empty, so the whole backup restores afterwards.
        copy.restore_from(text.as_bytes()).unwrap();
    }
}

#[test]
fn a_garbled_line_is_reported_by_its_line_number() {
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let all = lines(&text);
    let secret_row = all
        .iter()
        .position(|l| l.contains("SECRETNOTE1"))
        .expect("a check-in note");
    let garbled = [
        (4, all[3].replacen(r#""key":""#, r#""key":"zz"#, 1)),
        (5, all[4][..all[4].len() - 1].to_string() + "]"),
        (6, "not json at all".to_string()),
        (7, r#"{"end":false,"rows":1}"#.to_string()),
        (
            secret_row + 1,
            all[secret_row].replace("SECRETNOTE1\"", "SECRETNOTE1"),
        ),
    ];
    for (line, bad) in garbled {
        let mut damaged = all.clone();
        damaged[line - 1] = &bad;
        let damaged = damaged.join("\n") + "\n";
        let (_dir, copy) = fresh();
        let err = copy.restore_from(damaged.as_bytes()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, BackupError::Malformed { line: l, .. } if l == line),
            "line {line}: {message}"
        );
        assert!(message.contains(&format!("line {line} ")), "{message}");
        assert!(
            !message.contains("SECRET"),
            "values never reach messages: {message}"
        );
        assert!(copy.raw_entries().unwrap().is_empty());
    }
    // Text after the end marker is refused too.
    let (_dir, copy) = fresh();
    let err = copy
        .restore_from(format!("{text}{}\n", all[1]).as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, BackupError::AfterEnd { line } if line == all.len() + 1),
        "{err}"
    );
    // A row that repeats a key.
    let mut doubled = all.clone();
    doubled.insert(2, all[1]);
    let last = doubled.len() - 1;
    let trailer = format!(r#"{{"end":true,"rows":{}}}"#, last - 1);
    doubled[last] = &trailer;
    let err = copy
        .restore_from((doubled.join("\n") + "\n").as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, BackupError::Malformed { line: 3, .. }),
        "{err}"
    );
}

#[test]
fn a_backup_from_a_newer_schema_or_an_unknown_format_is_refused() {
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let (header, rest) = text.split_once('\n').unwrap();
    let with_header = |h: &str| format!("{h}\n{rest}");
    let schema = serde_json::from_str::<serde_json::Value>(header).unwrap()["schema"]
        .as_u64()
        .unwrap();
    let cases = [
        (
            with_header(&header.replace(
                &format!(r#""schema":{schema}"#),
                &format!(r#""schema":{}"#, schema + 1),
            )),
            "upgrade twohats",
        ),
        (
            with_header(&header.replace(r#""twohats_backup":1"#, r#""twohats_backup":2"#)),
            "format version 2",
        ),
        (
            with_header(r#"{"some":"other file"}"#),
            "not a twohats backup",
        ),
        (rest.to_string(), "not a twohats backup"),
        (String::new(), "empty"),
        (
            with_header(&header.replace("\"created\":\"", "\"created\":\"yesterday ")),
            "line 1",
        ),
    ];
    for (input, says) in cases {
        let (_dir, copy) = fresh();
        let err = copy.restore_from(input.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(says), "{says}: {err}");
        assert!(copy.raw_entries().unwrap().is_empty());
    }
}

#[test]
fn an_empty_store_backs_up_to_a_header_and_a_trailer() {
    let (_dir, empty) = fresh();
    let (text, summary) = backup(&empty);
    assert_eq!(summary, BackupSummary::default());
    let all = lines(&text);
    assert_eq!(all.len(), 2);
    assert!(
        all[0].starts_with(r#"{"twohats_backup":1,"schema":"#),
        "{text}"
    );
    let created = serde_json::from_str::<serde_json::Value>(all[0]).unwrap()["created"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(DateTime::parse_from_rfc3339(&created).is_ok(), "{created}");
    assert!(created.ends_with('Z'));
    assert_eq!(all[1], r#"{"end":true,"rows":0}"#);
    let (_dir2, copy) = fresh();
    assert_eq!(copy.restore_from(text.as_bytes()).unwrap(), summary);
}

#[test]
fn a_row_that_does_not_decode_into_its_record_is_refused_by_line_number() {
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let mut all: Vec<String> = lines(&text).into_iter().map(String::from).collect();
    let find = |all: &[String], needle: &str| {
        all.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}"))
    };
    // Valid JSON every one, and the same shape as a row: only their records are wrong.
    let checkin = find(&all, "SECRETNOTE0");
    all[checkin] = all[checkin].replace(r#""eng_pct":40"#, r#""eng_pct":300"#);
    let user = find(&all, r#"{"tree":"users","#);
    all[user] = all[user].replace(r#""target_pct":50"#, r#""target_pct":"SECRET""#);
    let outbox = find(&all, r#"{"tree":"outbox","#);
    all[outbox] =
        r#"{"tree":"outbox","key":"00","value_json":{"v":1,"d":{"text":"SECRET"}}}"#.into();
    let last = all.len() - 1;
    all.insert(
        last,
        r#"{"tree":"SECRET tree","key":"00","value_hex":"00"}"#.into(),
    );
    let rows = all.len() - 2;
    all[last + 1] = format!(r#"{{"end":true,"rows":{rows}}}"#);
    let damaged = all.join("\n") + "\n";

    let (_dir, copy) = fresh();
    let err = copy.restore_from(damaged.as_bytes()).unwrap_err();
    let mut expected = vec![checkin + 1, user + 1, outbox + 1, last + 1];
    expected.sort();
    assert!(
        matches!(&err, BackupError::Undecodable { lines, count: 4, .. } if *lines == expected),
        "{err}"
    );
    let message = err.to_string();
    let listed = expected.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(
        message.contains(&format!(
            "lines {}, {}, {} and {} ",
            listed[0], listed[1], listed[2], listed[3]
        )),
        "{message}"
    );
    assert!(message.contains("nothing was restored"), "{message}");
    // The tree is named Debug-quoted (it comes from the file); values never are.
    assert!(
        !message.contains("SECRET\"") && !message.contains("300"),
        "{message}"
    );
    assert!(copy.raw_entries().unwrap().is_empty());
}

#[test]
fn a_line_over_the_limit_is_refused_by_number_without_being_read_whole() {
    use std::io::Read;
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let (header, _) = text.split_once('\n').unwrap();
    // A header, one row, then 64 MiB without a newline: read whole, this took as much memory.
    let start = format!("{header}\n{}\n", lines(&text)[1]).into_bytes();
    let input = start.as_slice().chain(std::io::repeat(b'x').take(64 << 20));
    let (_dir, copy) = fresh();
    let err = copy
        .restore_from(std::io::BufReader::new(input))
        .unwrap_err();
    assert!(matches!(err, BackupError::LineTooLong { line: 3 }), "{err}");
    assert!(err.to_string().contains("line 3 "), "{err}");
    assert!(copy.raw_entries().unwrap().is_empty());
}

#[test]
fn a_huge_next_id_restores_at_once_and_new_rows_take_ids_past_it() {
    // One at a time, moving sled's id generator to 2^34 took the better part of an hour.
    let next_id: u64 = 1 << 34;
    let bot = populated();
    let (text, _) = backup(&bot.store);
    let (header, rest) = text.split_once('\n').unwrap();
    let mut fields: serde_json::Value = serde_json::from_str(header).unwrap();
    fields["next_id"] = next_id.into();
    let (_dir, copy) = fresh();
    copy.restore_from(format!("{fields}\n{rest}").as_bytes())
        .unwrap();
    let app_store = Arc::new(copy);
    let app = App::new(app_store.clone(), chrono_tz::UTC);
    let before = app_store.as_ref().raw_entries().unwrap();
    ok(app.handle_command(&actor("ann"), "win restored fine", bot.now));
    let new: Vec<_> = app_store
        .raw_entries()
        .unwrap()
        .into_iter()
        .filter(|row| !before.contains(row) && row.0 == "wins")
        .collect();
    assert_eq!(new.len(), 1);
    let id = u64::from_be_bytes(new[0].1[new[0].1.len() - 8..].try_into().unwrap());
    assert!(id >= next_id, "{id}");
}

/// A data dir with a little in it, written by a `twohats console` that has exited.
fn data_dir_with_data() -> (TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_, stderr, ok) = crate::support::console(
        &data,
        &["--now", "2026-11-27T16:00Z"],
        "/tlm checkin 60 SECRETNOTE\n",
    );
    assert!(ok, "{stderr}");
    (dir, data)
}

/// `twohats backup FILE` on `data`: whether it succeeded, and its stderr.
fn backup_cli(data: &std::path::Path, file: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_twohats"))
        .arg("backup")
        .arg(file)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn a_backup_over_an_existing_file_leaves_it_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, data) = data_dir_with_data();
    let file = dir.path().join("twohats.jsonl");
    std::fs::write(
        &file,
        "an older, longer backup that must not leave a tail\n".repeat(50),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, stderr) = backup_cli(&data, &file);
    assert!(ok, "{stderr}");
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("SECRETNOTE") && !text.contains("older"),
        "{text}"
    );
    let (_dir2, copy) = fresh();
    copy.restore_from(text.as_bytes()).unwrap();
    // Nothing left behind beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[cfg(unix)]
#[test]
fn a_backup_onto_a_symlink_replaces_the_link_and_leaves_its_target_alone() {
    let (dir, data) = data_dir_with_data();
    let elsewhere = dir.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, "not yours to overwrite").unwrap();
    let link = dir.path().join("twohats.jsonl");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let (ok, stderr) = backup_cli(&data, &link);
    assert!(ok, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "not yours to overwrite"
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(mode(&link), 0o600);
    assert!(std::fs::read_to_string(&link)
        .unwrap()
        .contains("SECRETNOTE"));
}

#[cfg(unix)]
#[test]
fn a_backup_onto_a_folder_is_refused_and_leaves_it_alone() {
    let (dir, data) = data_dir_with_data();
    let folder = dir.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    let (ok, stderr) = backup_cli(&data, &folder);
    assert!(!ok);
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(folder.is_dir());
}

#[cfg(unix)]
#[test]
fn a_new_data_dir_is_the_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    drop(SledStore::open(&data).unwrap());
    assert_eq!(mode(&data), 0o700);
    assert_eq!(
        mode(&dir.path().join("new")),
        0o700,
        "parents made for it too"
    );
}
