//! Restore's line reader: valid backups made by real use cases, then mutated — cut short,
//! lines dropped, repeated, swapped or inserted, fields given wrong types, huge numbers,
//! wrong tree names, odd keys, NULs, CRs, invalid UTF-8, over-long lines — restore into an
//! empty store. A refused restore writes nothing and its message quotes no stored value; an
//! accepted one holds exactly what a second backup and restore carry over. Unmutated, every
//! backup round-trips row for row.

use super::interactions::TEAMS;
use super::{fast_tempdir, property, run_target, tally};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use std::cell::RefCell;
use std::sync::{Arc, OnceLock};
use tempfile::TempDir;
use twohats::app::{Actor, App, ChannelAccess, Reply};
use twohats::domain::ids::{Scope, TeamId, UserId};
use twohats::store::prelude::*;
use twohats::store::sled_store::backup::{MAX_LINE_BYTES, MAX_NEXT_ID};
use twohats::store::BackupError;
use twohats::store::{Claim, RawEntry, SledStore};

/// Put into mutated values; no error message may quote it.
const MARK: &str = "ZQXMARK";
/// In the fixtures' notes and wins; no error message may quote it either.
const SECRET: &str = "SECRETNOTE";

const USERS: [&str; 4] = ["U0ANN", "U0BOB", "W0CAT", "U0DAN"];

fn t0() -> DateTime<Utc> {
    // A Monday, so two weeks of steps cross summaries, check-in prompts and digests.
    Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap()
}

fn open(dir: &TempDir) -> SledStore {
    SledStore::open(dir.path()).expect("open store")
}

fn actor(team: usize, user: usize) -> Actor {
    Actor {
        scope: Scope::new(
            TeamId::parse(TEAMS[team % TEAMS.len()]).unwrap(),
            UserId::parse(USERS[user % USERS.len()]).unwrap(),
        ),
        name: Some(format!("user{user}")),
        profile_tz: None,
        channels: ChannelAccess::Unchecked,
    }
}

/// A store's history: commands by (team, user) at hours after [`t0`], then the scheduler.
#[derive(Debug, Clone)]
struct Script {
    steps: Vec<(usize, usize, u32, String)>,
    /// Hours after [`t0`] at which the scheduler claims what is due.
    ticks: Vec<u32>,
    /// Delivered messages settled as sent.
    settle: usize,
    events: Vec<String>,
    /// Rows in sled's default tree, which a backup copies as they are.
    stray: Vec<(Vec<u8>, Vec<u8>)>,
}

fn build(script: &Script) -> (TempDir, Arc<SledStore>) {
    let dir = fast_tempdir();
    let store = Arc::new(open(&dir));
    let app = App::new(store.clone(), chrono_tz::UTC);
    let mut steps = script.steps.clone();
    steps.sort_by_key(|s| s.2);
    let mut ticks = script.ticks.clone();
    ticks.sort_unstable();
    let mut ticks = ticks.into_iter().peekable();
    for (team, user, hour, text) in &steps {
        let now = t0() + Duration::hours(i64::from(*hour));
        while let Some(tick) = ticks.next_if(|t| t <= hour) {
            app.tick(t0() + Duration::hours(i64::from(tick)))
                .expect("tick");
        }
        let _: Reply = app.handle_command(&actor(*team, *user), text, now);
    }
    for tick in ticks {
        app.tick(t0() + Duration::hours(i64::from(tick)))
            .expect("tick");
    }
    let end = t0() + Duration::days(30);
    for (id, item) in store.outbox_due(end, script.settle).expect("outbox") {
        store.settle(id, &item, Claim::Sent, end).expect("settle");
    }
    for (i, event) in script.events.iter().enumerate() {
        let team = TeamId::parse(TEAMS[i % TEAMS.len()]).unwrap();
        store
            .first_sighting(&team, event, end, end - Duration::hours(2))
            .expect("event");
    }
    for (key, value) in &script.stray {
        store
            .put_raw_for_tests("__sled__default", key, value)
            .expect("stray row");
    }
    store.durable().expect("durable");
    (dir, store)
}

/// Commands with a bit of everything, including text that is hard to embed.
fn command() -> impl Strategy<Value = String> {
    let note = prop_oneof![
        "[a-z ]{1,20}",
        "\\PC{1,30}",
        Just(format!("{SECRET} \"quoted\" \\ back\\slash")),
        Just("&lt;b&gt; &amp; \u{2028} \u{0} tab\there".to_string()),
        Just("é".repeat(500)),
    ];
    prop_oneof![
        4 => (0u8..=100, prop::option::of(1u8..=5), note.clone())
            .prop_map(|(e, en, n)| match en {
                Some(en) => format!("checkin {e} energy={en} cp fire=incident kind=review,core {n}"),
                None => format!("checkin {e} {n}"),
            }),
        2 => (select(USERS.to_vec()), "[a-z]{1,8}")
            .prop_map(|(u, l)| format!("team add <@{u}|{l}> <@U0EVE> every 14d")),
        2 => (select(USERS.to_vec()), 1u32..=20)
            .prop_map(|(u, d)| format!("1on1 <@{u}> 2026-11-{d:02}")),
        2 => (note.clone(), any::<bool>())
            .prop_map(|(n, p)| format!("win {n}{}", if p { " --public" } else { "" })),
        1 => select(vec!["fire incident", "fire people", "fire clear", "cp off", "resume",
            "pause 3d", "snooze 1on1 2w", "target 70", "tz Europe/Berlin", "tz Pacific/Chatham",
            "schedule checkin daily 09:00", "schedule summary 0 * * * *",
            "schedule checkin off", "team remove <@U0EVE>"])
            .prop_map(str::to_string),
        1 => note.prop_map(|n| format!("cp on {n}")),
        1 => ("[CG][A-Z0-9]{1,4}", select(vec!["", " mon 10:00", " join", " leave", " off"]))
            .prop_map(|(c, a)| format!("digest <#{c}|eng>{a}")),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec((0usize..3, 0usize..4, 0u32..24 * 14, command()), 0..25),
        prop::collection::vec(0u32..24 * 14, 0..4),
        0usize..4,
        prop::collection::vec("[A-Za-z0-9]{1,12}", 0..3),
        prop::collection::vec(
            (
                prop::collection::vec(any::<u8>(), 0..12),
                prop::collection::vec(any::<u8>(), 0..12),
            ),
            0..2,
        ),
    )
        .prop_map(|(steps, ticks, settle, events, stray)| Script {
            steps,
            ticks,
            settle,
            events,
            stray,
        })
}

fn backup(store: &SledStore) -> (Vec<u8>, twohats::store::BackupSummary) {
    let mut out = Vec::new();
    let summary = store.backup_to(&mut out).expect("backup");
    (out, summary)
}

fn sorted(mut rows: Vec<RawEntry>) -> Vec<RawEntry> {
    rows.sort();
    rows
}

fn rows_of(backup: &[u8]) -> Vec<&[u8]> {
    backup.split(|b| *b == b'\n').skip(1).collect()
}

fn fail(why: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(why.into())
}

/// backup → restore → backup: the same rows, the same store, and a second restore into
/// the store, if that now holds rows, is refused without a change.
fn check_round_trip(script: &Script) -> Result<(), TestCaseError> {
    let (_dir, source) = build(script);
    let (first, summary) = backup(&source);
    prop_assert_eq!(summary.skipped, 0);
    let copy_dir = fast_tempdir();
    let copy = open(&copy_dir);
    let restored = copy
        .restore_from(&first[..])
        .map_err(|e| fail(format!("a fresh backup was refused: {e}")))?;
    prop_assert_eq!(
        (restored.rows, restored.trees),
        (summary.rows, summary.trees)
    );
    prop_assert_eq!(
        sorted(copy.raw_entries().unwrap()),
        sorted(source.raw_entries().unwrap())
    );
    let (second, again) = backup(&copy);
    prop_assert_eq!(again, summary);
    prop_assert!(rows_of(&first) == rows_of(&second), "rows differ");
    if summary.rows > 0 {
        let before = sorted(copy.raw_entries().unwrap());
        let refused = copy.restore_from(&first[..]);
        prop_assert!(
            matches!(refused, Err(BackupError::NotEmpty { .. })),
            "{:?}",
            refused.map(|_| ())
        );
        prop_assert_eq!(sorted(copy.raw_entries().unwrap()), before);
    }
    Ok(())
}

// ---- mutations ----

/// JSON for a wrong type, an out-of-range or huge number, or an odd string. Raw text, so
/// numbers serde can't hold (`1e400`) are possible.
const WEIRD_JSON: &[&str] = &[
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    "255",
    "256",
    "65536",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "-0",
    "\"\"",
    "\"ZQXMARK\"",
    "\"ZQXMARK\\u0000\"",
    "\"ZQXMARK\u{2028}\"",
    "[]",
    "[\"ZQXMARK\"]",
    "{}",
    "{\"ZQXMARK\":1}",
    "\"2026-02-30\"",
    "\"9999-12-31T23:59:59Z\"",
    "\"+262143-12-31T23:59:59Z\"",
    "\"U0ANN\"",
    "\"incident\"",
    "\"Europe/Berlin\"",
    "\"mon 09:00\"",
];

/// What a header field might be instead.
const WEIRD_HEADER: &[&str] = &[
    "null",
    "0",
    "1",
    "2",
    "-1",
    "1.0",
    "\"1\"",
    "281474976710656",
    "281474976710657",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    "\"2026-11-27T16:00:00Z\"",
    "\"2026-13-01T00:00:00Z\"",
    "\"2026-11-27T16:00:00+25:00\"",
    "\"+275760-09-13T00:00:00Z\"",
    "\"\"",
    "[]",
    "{}",
];

const HEADER_FIELDS: &[&str] = &["twohats_backup", "schema", "created", "next_id", "extra"];

/// Tree names: the store's own, near misses, and oddities (as JSON text).
const TREES: &[&str] = &[
    "\"users\"",
    "\"checkins\"",
    "\"one_on_ones\"",
    "\"wins\"",
    "\"fires\"",
    "\"digests\"",
    "\"seen_events\"",
    "\"ledger\"",
    "\"outbox\"",
    "\"meta\"",
    "\"__sled__default\"",
    "\"Users\"",
    "\"users \"",
    "\"users\\u0000\"",
    "\"\"",
    "\"ü\"",
    "\"\\ud800\"",
    "1",
    "null",
    "[\"users\"]",
];

/// Lines that might turn up anywhere.
const ODD_LINES: &[&str] = &[
    "",
    " ",
    "\t",
    "{}",
    "null",
    "[]",
    "{\"end\":true,\"rows\":0}",
    "{\"end\":false,\"rows\":0}",
    "{\"end\":true,\"rows\":-1}",
    "{\"end\":true}",
    "{\"twohats_backup\":1,\"schema\":1,\"created\":\"2026-11-27T16:00:00Z\",\"next_id\":1}",
    "{\"tree\":",
    "{\"tree\":\"users\"",
    "{\"tree\":\"users\",\"key\":\"\",\"value_hex\":\"\"}",
    "{\"tree\":\"ghosts\",\"key\":\"00\",\"value_hex\":\"00\"}",
    "{\"tree\":\"__sled__default\",\"key\":\"00\",\"value_hex\":\"00\"}",
    "{\"tree\":\"__sled__default\",\"key\":\"01\",\"value_json\":{\"ZQXMARK\":1}}",
    "{\"tree\":\"seen_events\",\"key\":\"543000\",\"value_hex\":\"0000000000000000\"}",
    "{ \"tree\":\"users\",\"key\":\"00\",\"value_hex\":\"00\"}",
    "\u{feff}{\"end\":true,\"rows\":0}",
    "garbage ZQXMARK",
    "\0",
];

const BYTES: &[&[u8]] = &[
    b"\0",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    "\u{feff}".as_bytes(),
    b" ",
    b"\\",
    b"\"",
    b"{",
    b"}",
    b",",
    b":",
    b"0",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(Index),
    DropLine(Index),
    DupLine(Index),
    SwapLines(Index, Index),
    InsertLine(Index, &'static str),
    LongLine(Index, usize),
    InsertBytes(Index, &'static [u8]),
    DeleteBytes(Index, usize),
    FlipByte(Index, u8),
    Crlf,
    NoFinalNewline,
    RowTree(Index, &'static str),
    RowKey(Index, KeyEdit),
    RowField(Index, FieldEdit),
    /// Replaces one node of a row's value (its `n`th in document order) with weird JSON.
    RowValue(Index, Index, &'static str),
    /// Removes one member of an object in a row's value.
    RowValueDrop(Index, Index),
    Header(&'static str, Option<&'static str>),
    Trailer(Option<&'static str>, Option<&'static str>),
}

#[derive(Debug, Clone)]
enum KeyEdit {
    Json(&'static str),
    Upper,
    Append(&'static str),
    Chop(usize),
    FromLine(Index),
}

#[derive(Debug, Clone)]
enum FieldEdit {
    /// `value_json` ↔ `value_hex`, value kept.
    SwapKind,
    Rename(&'static str),
    Extra,
    DropValue,
    HexOf(&'static [u8]),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let key_edit = prop_oneof![
        select(vec![
            "\"\"",
            "\"0\"",
            "\"zz\"",
            "\"ZZ\"",
            "5",
            "null",
            "\"00\\u0000\"",
            "\"5430\"",
            "\"54300055304141414141414141414141414141414141414141414141414141414141414100\"",
        ])
        .prop_map(KeyEdit::Json),
        Just(KeyEdit::Upper),
        select(vec!["00", "0", "ff", "0000000000000000", "7a"]).prop_map(KeyEdit::Append),
        (1usize..20).prop_map(KeyEdit::Chop),
        any::<Index>().prop_map(KeyEdit::FromLine),
    ];
    let field_edit = prop_oneof![
        Just(FieldEdit::SwapKind),
        select(vec!["value", "Value_json", "value_json ", "key", "tree"])
            .prop_map(FieldEdit::Rename),
        Just(FieldEdit::Extra),
        Just(FieldEdit::DropValue),
        select(vec![
            &b""[..],
            b"\0\0\0\0\0\0\0\0",
            b"\0\0\0\0\0\0\0",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
            b"ZQXMARK",
            b"{\"v\":1,\"d\":null}",
        ])
        .prop_map(FieldEdit::HexOf),
    ];
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Truncate),
        2 => any::<Index>().prop_map(Mutation::DropLine),
        1 => any::<Index>().prop_map(Mutation::DupLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        2 => (any::<Index>(), select(ODD_LINES.to_vec())).prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        1 => (any::<Index>(), select(vec![MAX_LINE_BYTES, MAX_LINE_BYTES + 1, MAX_LINE_BYTES + 2]))
            .prop_map(|(i, n)| Mutation::LongLine(i, n)),
        2 => (any::<Index>(), select(BYTES.to_vec())).prop_map(|(i, b)| Mutation::InsertBytes(i, b)),
        1 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::DeleteBytes(i, n)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        1 => Just(Mutation::Crlf),
        1 => Just(Mutation::NoFinalNewline),
        2 => (any::<Index>(), select(TREES.to_vec())).prop_map(|(i, t)| Mutation::RowTree(i, t)),
        2 => (any::<Index>(), key_edit).prop_map(|(i, k)| Mutation::RowKey(i, k)),
        2 => (any::<Index>(), field_edit).prop_map(|(i, f)| Mutation::RowField(i, f)),
        6 => (any::<Index>(), any::<Index>(), select(WEIRD_JSON.to_vec()))
            .prop_map(|(i, n, j)| Mutation::RowValue(i, n, j)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, n)| Mutation::RowValueDrop(i, n)),
        2 => (select(HEADER_FIELDS.to_vec()), prop::option::of(select(WEIRD_HEADER.to_vec())))
            .prop_map(|(f, v)| Mutation::Header(f, v)),
        2 => (
            prop::option::of(select(vec!["true", "false", "1", "null", "\"true\""])),
            prop::option::of(select(vec!["0", "1", "-1", "2", "18446744073709551616", "null", "1.0"])),
        )
            .prop_map(|(e, r)| Mutation::Trailer(e, r)),
    ]
}

/// A row line taken apart: tree and key as JSON text, the value field's name and value text.
struct RowParts {
    tree: String,
    key: String,
    field: String,
    value: String,
}

impl RowParts {
    fn parse(line: &[u8]) -> Option<RowParts> {
        let line = std::str::from_utf8(line).ok()?;
        let rest = line.strip_prefix("{\"tree\":")?;
        let mut tree = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        tree.next()?.ok()?;
        let (tree_text, rest) = rest.split_at(tree.byte_offset());
        let rest = rest.strip_prefix(",\"key\":")?;
        let mut key = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        key.next()?.ok()?;
        let (key_text, rest) = rest.split_at(key.byte_offset());
        let rest = rest.strip_prefix(',')?.strip_suffix('}')?;
        let (field, value) = rest.split_once(':')?;
        Some(RowParts {
            tree: tree_text.to_string(),
            key: key_text.to_string(),
            field: field.to_string(),
            value: value.to_string(),
        })
    }

    fn line(&self) -> Vec<u8> {
        format!(
            "{{\"tree\":{},\"key\":{},{}:{}}}",
            self.tree, self.key, self.field, self.value
        )
        .into_bytes()
    }

    fn key_hex(&self) -> Option<String> {
        serde_json::from_str::<String>(&self.key).ok()
    }
}

/// The lines of `text` that are rows.
fn row_indexes(lines: &[Vec<u8>]) -> Vec<usize> {
    (0..lines.len())
        .filter(|i| lines[*i].starts_with(b"{\"tree\":"))
        .collect()
}

/// Every node of a JSON value in document order, as a path of keys and indexes.
fn paths(value: &serde_json::Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(at.clone());
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                at.push(PathStep::Key(k.clone()));
                paths(v, at, out);
                at.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(PathStep::At(i));
                paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    At(usize),
}

fn node_mut<'a>(
    value: &'a mut serde_json::Value,
    path: &[PathStep],
) -> Option<&'a mut serde_json::Value> {
    let mut node = value;
    for step in path {
        node = match step {
            PathStep::Key(k) => node.get_mut(k)?,
            PathStep::At(i) => node.get_mut(*i)?,
        };
    }
    Some(node)
}

/// Placeholder for raw JSON text spliced in after serializing.
const RAW: &str = "\u{1}RAW\u{1}";

fn edit_row(lines: &mut [Vec<u8>], pick: &Index, edit: impl FnOnce(&mut RowParts, &[Vec<u8>])) {
    let rows = row_indexes(lines);
    if rows.is_empty() {
        return;
    }
    let i = rows[pick.index(rows.len())];
    let Some(mut parts) = RowParts::parse(&lines[i]) else {
        return;
    };
    edit(&mut parts, lines);
    lines[i] = parts.line();
}

fn apply(base: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = base.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    // The text ends with a newline: the last "line" is the empty rest.
    let mut final_newline = lines.last().is_some_and(Vec::is_empty);
    if final_newline {
        lines.pop();
    }
    let mut crlf = false;
    let mut cuts: Vec<&Mutation> = Vec::new();
    for m in mutations {
        let n = lines.len().max(1);
        match m {
            Mutation::Truncate(_)
            | Mutation::InsertBytes(..)
            | Mutation::DeleteBytes(..)
            | Mutation::FlipByte(..) => cuts.push(m),
            Mutation::DropLine(i) if !lines.is_empty() => {
                lines.remove(i.index(n));
            }
            Mutation::DupLine(i) if !lines.is_empty() => {
                let line = lines[i.index(n)].clone();
                lines.insert(i.index(n), line);
            }
            Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a.index(n), b.index(n)),
            Mutation::InsertLine(i, text) => {
                let at = i.index(lines.len() + 1);
                lines.insert(at, text.as_bytes().to_vec());
            }
            Mutation::LongLine(i, len) => {
                // A row whose value is long enough to make the line `len` bytes.
                let head = b"{\"tree\":\"__sled__default\",\"key\":\"00\",\"value_hex\":\"";
                let fill = len.saturating_sub(head.len() + 2) / 2 * 2;
                let mut line = head.to_vec();
                line.resize(head.len() + fill, b'0');
                line.extend_from_slice(b"\"}");
                line.resize(*len, b' ');
                lines.insert(i.index(lines.len() + 1), line);
            }
            Mutation::Crlf => crlf = true,
            Mutation::NoFinalNewline => final_newline = false,
            Mutation::RowTree(i, tree) => edit_row(&mut lines, i, |p, _| p.tree = tree.to_string()),
            Mutation::RowKey(i, edit) => edit_row(&mut lines, i, |p, all| match edit {
                KeyEdit::Json(k) => p.key = k.to_string(),
                KeyEdit::Upper => p.key = p.key.to_uppercase(),
                KeyEdit::Append(more) => {
                    if let Some(hex) = p.key_hex() {
                        p.key = format!("\"{hex}{more}\"");
                    }
                }
                KeyEdit::Chop(by) => {
                    if let Some(hex) = p.key_hex() {
                        let keep = hex.len().saturating_sub(*by);
                        p.key = format!("\"{}\"", &hex[..keep]);
                    }
                }
                KeyEdit::FromLine(j) => {
                    let rows = row_indexes(all);
                    if let Some(other) = RowParts::parse(&all[rows[j.index(rows.len())]]) {
                        p.key = other.key;
                    }
                }
            }),
            Mutation::RowField(i, edit) => edit_row(&mut lines, i, |p, _| match edit {
                FieldEdit::SwapKind => {
                    p.field = if p.field.contains("json") {
                        "\"value_hex\"".into()
                    } else {
                        "\"value_json\"".into()
                    }
                }
                FieldEdit::Rename(name) => p.field = format!("\"{name}\""),
                FieldEdit::Extra => p.value.push_str(",\"extra\":1"),
                FieldEdit::DropValue => p.value.clear(),
                FieldEdit::HexOf(bytes) => {
                    p.field = "\"value_hex\"".into();
                    p.value = format!("\"{}\"", hex::encode(bytes));
                }
            }),
            Mutation::RowValue(i, node, json) => edit_row(&mut lines, i, |p, _| {
                let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&p.value) else {
                    return;
                };
                let mut all = Vec::new();
                paths(&value, &mut Vec::new(), &mut all);
                let path = &all[node.index(all.len())];
                if let Some(target) = node_mut(&mut value, path) {
                    *target = serde_json::Value::String(RAW.into());
                }
                let text = serde_json::to_string(&value).unwrap_or_default();
                p.value = text.replace(&format!("\"{RAW}\""), json);
            }),
            Mutation::RowValueDrop(i, node) => edit_row(&mut lines, i, |p, _| {
                let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&p.value) else {
                    return;
                };
                let mut all = Vec::new();
                paths(&value, &mut Vec::new(), &mut all);
                let path = all[node.index(all.len())].clone();
                if let Some((PathStep::Key(last), parent)) = path.split_last() {
                    if let Some(serde_json::Value::Object(map)) = node_mut(&mut value, parent) {
                        map.remove(last);
                    }
                }
                p.value = serde_json::to_string(&value).unwrap_or_default();
            }),
            Mutation::Header(field, value) => {
                if let Some(first) = lines.first_mut() {
                    *first = edit_object(first, field, *value);
                }
            }
            Mutation::Trailer(end, rows) => {
                if let Some(i) = lines.iter().rposition(|l| l.starts_with(b"{\"end\"")) {
                    let mut line = edit_object(&lines[i], "end", *end);
                    if let Some(rows) = rows {
                        line = edit_object(&line, "rows", Some(rows));
                    }
                    lines[i] = line;
                }
            }
            _ => {}
        }
    }
    let ending: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut text = lines.join(ending);
    if final_newline {
        text.extend_from_slice(ending);
    }
    for m in cuts {
        let len = text.len();
        match m {
            Mutation::Truncate(i) => text.truncate(i.index(len + 1)),
            Mutation::InsertBytes(i, bytes) => {
                let at = i.index(len + 1);
                text.splice(at..at, bytes.iter().copied());
            }
            Mutation::DeleteBytes(i, n) if len > 0 => {
                let at = i.index(len);
                text.drain(at..(at + n).min(len));
            }
            Mutation::FlipByte(i, b) if len > 0 => text[i.index(len)] ^= b | 1,
            _ => {}
        }
    }
    text
}

/// A JSON object line with `field` set to raw JSON `value`, or removed when `None`.
fn edit_object(line: &[u8], field: &str, value: Option<&str>) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(line) else {
        return line.to_vec();
    };
    match value {
        Some(_) => {
            map.insert(field.to_string(), serde_json::Value::String(RAW.into()));
        }
        None => {
            map.remove(field);
        }
    }
    let text = serde_json::to_string(&map).unwrap_or_default();
    text.replace(&format!("\"{RAW}\""), value.unwrap_or_default())
        .into_bytes()
}

/// The backups mutations start from: a store with every tree, a small one, and an empty one.
fn bases() -> &'static [Vec<u8>] {
    static BASES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut steps = Vec::new();
        let mut add = |team: usize, user: usize, hour: u32, text: &str| {
            steps.push((team, user, hour, text.to_string()));
        };
        add(0, 0, 0, "team add <@U0BOB|bob> <@W0CAT|cat> every 14d");
        add(0, 0, 0, "digest <#C0ENG|eng>");
        add(0, 1, 1, "digest <#C0ENG|eng> join");
        add(1, 0, 1, "digest <#C0OPS|ops> mon 10:00");
        add(1, 0, 1, "tz Europe/Berlin");
        for day in 0..5u32 {
            add(0, 0, 8 + 24 * day, &format!("checkin {} energy=2 cp fire=incident kind=review {SECRET} day {day} &lt;&amp;&gt;", 40 + day * 10));
            add(0, 1, 9 + 24 * day, &format!("checkin {}", 70 - day * 5));
            add(1, 0, 10 + 24 * day, &format!("checkin {} {SECRET}", 20 + day));
        }
        add(0, 0, 30, "1on1 <@U0BOB>");
        add(0, 0, 31, "1on1 <@W0CAT> 2026-11-10");
        add(0, 0, 32, &format!("win shipped the {SECRET} migration"));
        add(0, 1, 33, "win --public first design review");
        add(0, 0, 34, "fire people");
        add(0, 0, 35, &format!("cp on {SECRET} auth"));
        add(2, 3, 36, "pause 3d");
        add(2, 2, 37, "snooze wins 2w");
        let rich = Script {
            steps,
            ticks: vec![24 * 4 + 7, 24 * 7 + 1],
            settle: 1,
            events: vec!["Ev0001".into(), "Ev0002".into()],
            stray: vec![(b"stray".to_vec(), b"\x01".to_vec())],
        };
        let small = Script {
            steps: vec![(0, 0, 0, "checkin 50 a note".into())],
            ticks: vec![],
            settle: 0,
            events: vec![],
            stray: vec![],
        };
        let empty = Script {
            steps: vec![],
            ticks: vec![],
            settle: 0,
            events: vec![],
            stray: vec![],
        };
        [rich, small, empty]
            .iter()
            .map(|script| backup(&build(script).1).0)
            .collect()
    })
}

/// The store mutated backups restore into: empty until a restore succeeds, then replaced.
struct Target {
    // Dropped before its directory.
    store: SledStore,
    _dir: TempDir,
}

impl Target {
    fn new() -> Self {
        let dir = fast_tempdir();
        let store = open(&dir);
        Self { store, _dir: dir }
    }
}

fn check_mutated(
    target: &RefCell<Target>,
    base: usize,
    mutations: &[Mutation],
) -> Result<(), TestCaseError> {
    let bases = bases();
    let input = apply(&bases[base % bases.len()], mutations);
    let result = target.borrow().store.restore_from(&input[..]);
    tally(match &result {
        Ok(_) => "restored".to_string(),
        Err(e) => format!("{e:?}")
            .split([' ', '(', '{'])
            .next()
            .unwrap_or("?")
            .to_string(),
    });
    match result {
        Err(e) => {
            let store = &target.borrow().store;
            prop_assert!(
                store.raw_entries().unwrap().is_empty(),
                "a refused restore wrote rows: {}",
                e
            );
            let message = e.to_string();
            prop_assert!(!message.trim().is_empty());
            prop_assert!(
                !matches!(e, BackupError::NotEmpty { .. }),
                "the store was empty: {}",
                message
            );
            prop_assert!(
                !message.contains(MARK) && !message.contains(SECRET),
                "the message quotes a value: {}",
                message
            );
            prop_assert!(message.len() < 2000, "{} bytes of message", message.len());
        }
        Ok(summary) => {
            let done = std::mem::replace(&mut *target.borrow_mut(), Target::new());
            let rows = done.store.raw_entries().unwrap();
            prop_assert_eq!(rows.len(), summary.rows);
            prop_assert_eq!(summary.skipped, 0);
            // What was accepted is what a backup writes, and a restore accepts, again.
            let (again, second) = backup(&done.store);
            prop_assert_eq!(second.skipped, 0, "a restored row doesn't decode");
            prop_assert_eq!(second.rows, summary.rows);
            let copy = Target::new();
            copy.store
                .restore_from(&again[..])
                .map_err(|e| fail(format!("the backup of a restore was refused: {e}")))?;
            prop_assert_eq!(sorted(copy.store.raw_entries().unwrap()), sorted(rows));
            // Ids go on after every restored one.
            let header: serde_json::Value =
                serde_json::from_slice(input.split(|b| *b == b'\n').next().unwrap_or_default())
                    .map_err(|e| fail(e.to_string()))?;
            let next_id = header["next_id"].as_u64().unwrap_or_default();
            prop_assert!(next_id <= MAX_NEXT_ID);
        }
    }
    Ok(())
}

#[test]
fn fuzz_restore() {
    let target = RefCell::new(Target::new());
    run_target(
        "restore",
        vec![
            property(
                "mutated",
                256,
                (0usize..3, prop::collection::vec(mutation(), 1..5)),
                move |(base, mutations)| check_mutated(&target, base, &mutations),
            ),
            property("round_trip", 12, script(), |s| check_round_trip(&s)),
        ],
    );
}
