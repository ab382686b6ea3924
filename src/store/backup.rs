//! `twohats backup` and `twohats restore`: the whole store, every team, as JSON lines.
//!
//! # Format (version 1)
//!
//! One UTF-8 line per record, each line a JSON object:
//!
//! ```text
//! {"twohats_backup":1,"schema":1,"created":"2026-11-27T16:00:00Z","next_id":42}
//! {"tree":"users","key":"54303030310055414e4e00","value_json":{"v":1,"d":{…}}}
//! {"tree":"seen_events","key":"…","value_hex":"0000019ac4f1e800"}
//! {"end":true,"rows":2}
//! ```
//!
//! - The **header** names the backup format (`twohats_backup`), the store schema the values
//!   were written with (`schema`, see `codec::SCHEMA_VERSION`), when the backup was made, and
//!   `next_id`: an id the source store's id generator had not yet handed out. Keys of history
//!   rows and outbox messages end in such ids, so a restore moves the new store's generator
//!   past `next_id`; otherwise a later write could reuse a restored key and overwrite its row.
//! - One **row** line per stored row, trees in name order, keys in key order. `key` is the
//!   key's bytes in hex. The value is written one of two ways, and exactly one of the two
//!   fields is present:
//!   - `value_json`: the stored bytes verbatim, when they are a JSON text on one line (the
//!     versioned envelopes of `users`, the histories, `digests`, `ledger` and `outbox`);
//!   - `value_hex`: the bytes in hex, for anything else (the 8-byte big-endian timestamps of
//!     `seen_events`).
//!
//!   Either way a restore writes back the very same bytes, so the copy is exact. Because the
//!   JSON is embedded verbatim rather than re-serialized (which could reorder keys or
//!   respell numbers), restore reads row lines in exactly the shape written here: `tree`,
//!   `key`, then one value field, no extra fields or spacing. Every line is still valid JSON
//!   for other tools to read.
//! - The **trailer** `{"end":true,"rows":N}` closes the file. A file without it, or whose
//!   count disagrees with the rows it holds, is refused: a truncated backup never restores
//!   half the data.
//!
//! Trees with no rows write nothing (so sled's default tree appears only when it holds rows);
//! a restore into a freshly opened store recreates the store's own trees on open anyway.
//!
//! # Consistency
//!
//! sled gives no snapshot across trees, so a backup is consistent only if nothing writes while
//! it runs. That is why it is taken with the bot stopped: sled holds an exclusive lock on its
//! data directory, so `twohats backup` opening the store fails with "in use by another twohats
//! process" while `twohats serve` runs, and while the backup runs nothing else can open it.
//! Calling [`Store::backup_to`] on a store that is being written in the same process would
//! copy each tree as it was when that tree was read, e.g. a ledger claim without its outbox
//! message.
//!
//! # Restore
//!
//! [`Store::restore_from`] refuses a store that holds any row, then reads and validates the
//! whole backup into memory (a team-sized store fits easily) before writing anything, so bad
//! input writes nothing. Then it writes tree by tree in batches, moves the id generator past
//! `next_id` (one id at a time, about a second per ten million ids; sled skips two million on
//! every restart) and flushes. Should a write itself fail (disk full), the restored trees are
//! cleared again on a best-effort basis; start over from a new, empty data directory.
//!
//! Nothing here logs: the rows are people-management data. Error messages name line numbers
//! and trees, never values.

use super::codec::SCHEMA_VERSION;
use super::{Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};

/// The backup file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The largest `next_id` a restore accepts. sled jumps its id generator by two million on
/// every reopen, so a store restarted daily for ten years is near 7.3e9; moving a new
/// store's generator that far takes a few minutes (one id at a time, there is no other way).
/// Anything beyond this is a damaged header, not a store.
const MAX_NEXT_ID: u64 = 1 << 34;

/// How many rows go into one sled batch on restore.
const BATCH_ROWS: usize = 1000;

/// A row line is exactly `{"tree":<string>,"key":<string>,<value field><value>}`.
const ROW_START: &str = r#"{"tree":"#;
const KEY_FIELD: &str = r#","key":"#;
const JSON_FIELD: &str = r#","value_json":"#;
const HEX_FIELD: &str = r#","value_hex":"#;

/// What a backup wrote or a restore loaded: trees with at least one row, and rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupSummary {
    pub trees: usize,
    pub rows: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the backup: {0}")]
    Write(std::io::Error),
    #[error("could not read line {line} of the backup: {source}")]
    Read { line: usize, source: std::io::Error },
    #[error("the store has a tree whose name is not UTF-8, which a backup cannot name")]
    TreeName,
    #[error("the data directory is not empty (tree `{tree}` holds rows); restore only into a new, empty data directory")]
    NotEmpty { tree: String },
    #[error("the backup is empty: it has no header line")]
    Empty,
    #[error("line 1 is not a twohats backup header; is this a twohats backup file?")]
    NotABackup,
    #[error("the backup has format version {0}, which this build cannot read (it reads version {FORMAT_VERSION}); restore it with the twohats version that wrote it")]
    UnknownFormat(u64),
    #[error("the backup holds store schema {0}, newer than this build's ({SCHEMA_VERSION}); upgrade twohats before restoring")]
    NewerSchema(u64),
    #[error("line {line} of the backup is malformed: {reason}; nothing was restored")]
    Malformed { line: usize, reason: String },
    #[error("the backup ends after {rows} rows without its end marker: it is truncated; nothing was restored")]
    Truncated { rows: usize },
    #[error("the backup's end marker counts {expected} rows but the file holds {found}; nothing was restored")]
    CountMismatch { expected: u64, found: usize },
    #[error("line {line} of the backup comes after its end marker; nothing was restored")]
    AfterEnd { line: usize },
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> Self {
        BackupError::Store(StoreError::Sled(e))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[allow(dead_code)] // checked before the rest of the header is parsed
    twohats_backup: u64,
    schema: u64,
    created: String,
    next_id: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    end: bool,
    rows: u64,
}

/// One stored row, as read back from a backup.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    tree: String,
    key: Vec<u8>,
    value: Vec<u8>,
}

/// A whole backup, validated, grouped by tree.
struct Parsed {
    next_id: u64,
    trees: BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>,
    rows: usize,
}

impl Store {
    /// Writes every tree, every row, as JSON lines: a header line, one line per row, a
    /// trailer with the row count. See the module docs for the format; run it with nothing
    /// else writing to the store. The writer is flushed, not synced: sync the file if it
    /// must survive a crash.
    pub fn backup_to(&self, out: impl Write) -> Result<BackupSummary, BackupError> {
        self.backup_at(out, Utc::now())
    }

    fn backup_at(
        &self,
        out: impl Write,
        created: DateTime<Utc>,
    ) -> Result<BackupSummary, BackupError> {
        let mut out = BufWriter::new(out);
        let header = format!(
            "{{\"twohats_backup\":{FORMAT_VERSION},\"schema\":{SCHEMA_VERSION},\"created\":\"{}\",\"next_id\":{}}}\n",
            created.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.db.generate_id()?,
        );
        out.write_all(header.as_bytes())
            .map_err(BackupError::Write)?;
        let mut summary = BackupSummary::default();
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            let tree_name = std::str::from_utf8(&name).map_err(|_| BackupError::TreeName)?;
            let tree = self.db.open_tree(&name)?;
            let mut rows = 0;
            for row in tree.iter() {
                let (key, value) = row?;
                out.write_all(row_line(tree_name, &key, &value).as_bytes())
                    .map_err(BackupError::Write)?;
                rows += 1;
            }
            if rows > 0 {
                summary.trees += 1;
                summary.rows += rows;
            }
        }
        writeln!(out, "{{\"end\":true,\"rows\":{}}}", summary.rows).map_err(BackupError::Write)?;
        out.flush().map_err(BackupError::Write)?;
        Ok(summary)
    }

    /// Loads a backup into this store, which must be empty (no rows in any tree); durable
    /// (flushed) before returning. The whole backup is validated before anything is written,
    /// so a refused backup leaves the store as it was.
    pub fn restore_from(&self, input: impl BufRead) -> Result<BackupSummary, BackupError> {
        self.ensure_empty()?;
        let backup = read_backup(input)?;
        if let Err(e) = self.write_trees(&backup.trees) {
            // Best effort: leave no half-restored tree behind.
            for name in backup.trees.keys() {
                if let Ok(tree) = self.db.open_tree(name) {
                    let _ = tree.clear();
                }
            }
            let _ = self.durable();
            return Err(e);
        }
        // Ids below `next_id` may be part of restored keys: never hand them out again.
        while self.db.generate_id()? < backup.next_id {}
        self.durable()?;
        Ok(BackupSummary {
            trees: backup.trees.len(),
            rows: backup.rows,
        })
    }

    fn ensure_empty(&self) -> Result<(), BackupError> {
        for name in self.db.tree_names() {
            if !self.db.open_tree(&name)?.is_empty() {
                return Err(BackupError::NotEmpty {
                    tree: String::from_utf8_lossy(&name).into_owned(),
                });
            }
        }
        Ok(())
    }

    fn write_trees(
        &self,
        trees: &BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>,
    ) -> Result<(), BackupError> {
        for (name, rows) in trees {
            let tree = self.db.open_tree(name)?;
            let rows: Vec<_> = rows.iter().collect();
            for chunk in rows.chunks(BATCH_ROWS) {
                let mut batch = sled::Batch::default();
                for (key, value) in chunk {
                    batch.insert(key.as_slice(), value.as_slice());
                }
                tree.apply_batch(batch)?;
            }
        }
        Ok(())
    }
}

/// The line (with its newline) for one row.
fn row_line(tree: &str, key: &[u8], value: &[u8]) -> String {
    let tree = serde_json::Value::String(tree.to_owned()).to_string();
    let key = hex::encode(key);
    match embeddable_json(value) {
        Some(json) => format!("{ROW_START}{tree}{KEY_FIELD}\"{key}\"{JSON_FIELD}{json}}}\n"),
        None => format!(
            "{ROW_START}{tree}{KEY_FIELD}\"{key}\"{HEX_FIELD}\"{}\"}}\n",
            hex::encode(value)
        ),
    }
}

/// The value as text, if it can be embedded verbatim in a row line: UTF-8, one JSON value,
/// and on one line.
fn embeddable_json(value: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(value).ok()?;
    if text.contains(['\n', '\r']) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    Some(text)
}

/// Parses a row line (without its line ending), or says what is wrong with it.
fn parse_row(line: &str) -> Result<Row, String> {
    let rest = line
        .strip_prefix(ROW_START)
        .ok_or("a row must start with {\"tree\":")?;
    let (tree, rest) = json_string(rest).map_err(|e| format!("bad tree name: {e}"))?;
    if tree.is_empty() {
        return Err("the tree name is empty".into());
    }
    let rest = rest
        .strip_prefix(KEY_FIELD)
        .ok_or("expected \"key\" after the tree name")?;
    let (key, rest) = json_string(rest).map_err(|e| format!("bad key: {e}"))?;
    let key = hex::decode(key).map_err(|e| format!("the key is not hex: {e}"))?;
    let body = rest
        .strip_suffix('}')
        .ok_or("a row must end with } right after its value")?;
    let value = if let Some(json) = body.strip_prefix(JSON_FIELD) {
        if embeddable_json(json.as_bytes()).is_none() {
            return Err("value_json is not one JSON value".into());
        }
        json.as_bytes().to_vec()
    } else if let Some(text) = body.strip_prefix(HEX_FIELD) {
        let (hex_text, rest) = json_string(text).map_err(|e| format!("bad value_hex: {e}"))?;
        if !rest.is_empty() {
            return Err("unexpected text after value_hex".into());
        }
        hex::decode(hex_text).map_err(|e| format!("value_hex is not hex: {e}"))?
    } else {
        return Err("expected \"value_json\" or \"value_hex\" after the key".into());
    };
    Ok(Row { tree, key, value })
}

/// A JSON string at the start of `text`, and what follows it.
fn json_string(text: &str) -> Result<(String, &str), String> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<String>();
    match stream.next() {
        Some(Ok(s)) => Ok((s, &text[stream.byte_offset()..])),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("missing".into()),
    }
}

fn parse_header(line: &str) -> Result<Header, BackupError> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(line) else {
        return Err(BackupError::NotABackup);
    };
    match fields.get("twohats_backup").map(serde_json::Value::as_u64) {
        None => return Err(BackupError::NotABackup),
        Some(Some(v)) if v == u64::from(FORMAT_VERSION) => {}
        Some(Some(v)) => return Err(BackupError::UnknownFormat(v)),
        Some(None) => {
            return Err(BackupError::Malformed {
                line: 1,
                reason: "the format version is not a number".into(),
            })
        }
    }
    let malformed = |reason: String| BackupError::Malformed { line: 1, reason };
    let header: Header =
        serde_json::from_str(line).map_err(|e| malformed(format!("bad header: {e}")))?;
    if header.schema > u64::from(SCHEMA_VERSION) {
        return Err(BackupError::NewerSchema(header.schema));
    }
    DateTime::parse_from_rfc3339(&header.created)
        .map_err(|e| malformed(format!("`created` is not an RFC 3339 instant: {e}")))?;
    if header.next_id > MAX_NEXT_ID {
        return Err(malformed(format!(
            "`next_id` {} is implausibly large",
            header.next_id
        )));
    }
    Ok(header)
}

/// Reads and validates a whole backup. Nothing is written.
fn read_backup(mut input: impl BufRead) -> Result<Parsed, BackupError> {
    let mut buf = String::new();
    let mut line_no = 0;
    // One line without its ending, and whether it had one (a cut-off last line has none).
    let mut next_line = |buf: &mut String| -> Result<Option<(usize, bool)>, BackupError> {
        buf.clear();
        line_no += 1;
        let n = input.read_line(buf).map_err(|source| BackupError::Read {
            line: line_no,
            source,
        })?;
        if n == 0 {
            return Ok(None);
        }
        let complete = buf.ends_with('\n');
        if complete {
            buf.pop();
            if buf.ends_with('\r') {
                buf.pop();
            }
        }
        Ok(Some((line_no, complete)))
    };

    if next_line(&mut buf)?.is_none() {
        return Err(BackupError::Empty);
    }
    let header = parse_header(&buf)?;
    let mut trees: BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>> = BTreeMap::new();
    let mut rows = 0;
    let mut end = None;
    while let Some((line, complete)) = next_line(&mut buf)? {
        if end.is_some() {
            if buf.trim().is_empty() {
                continue;
            }
            return Err(BackupError::AfterEnd { line });
        }
        if buf.starts_with(ROW_START) {
            let row = match parse_row(&buf) {
                Ok(row) => row,
                Err(_) if !complete => return Err(BackupError::Truncated { rows }),
                Err(reason) => return Err(BackupError::Malformed { line, reason }),
            };
            let tree = trees.entry(row.tree).or_default();
            if tree.insert(row.key, row.value).is_some() {
                return Err(BackupError::Malformed {
                    line,
                    reason: "this key already appeared earlier in the same tree".into(),
                });
            }
            rows += 1;
            continue;
        }
        match serde_json::from_str::<Trailer>(&buf) {
            Ok(Trailer { end: true, rows }) => end = Some(rows),
            _ if !complete => return Err(BackupError::Truncated { rows }),
            Ok(Trailer { end: false, .. }) => {
                return Err(BackupError::Malformed {
                    line,
                    reason: "the end marker must say \"end\":true".into(),
                })
            }
            Err(_) => {
                return Err(BackupError::Malformed {
                    line,
                    reason: "neither a row nor the end marker".into(),
                })
            }
        }
    }
    match end {
        None => Err(BackupError::Truncated { rows }),
        Some(expected) if expected != rows as u64 => Err(BackupError::CountMismatch {
            expected,
            found: rows,
        }),
        Some(_) => Ok(Parsed {
            next_id: header.next_id,
            trees,
            rows,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn line(tree: &str, key: &[u8], value: &[u8]) -> String {
        let mut line = row_line(tree, key, value);
        assert_eq!(line.pop(), Some('\n'));
        assert!(!line.contains('\n'), "one line: {line}");
        line
    }

    #[test]
    fn json_envelopes_are_embedded_verbatim() {
        let value = br#"{"v":1,"d":{"b":2,"a":1.50,"s":"caf\u00e9"}}"#;
        let l = line("users", b"T1\0U1\0", value);
        assert_eq!(
            l,
            r#"{"tree":"users","key":"543100553100","value_json":{"v":1,"d":{"b":2,"a":1.50,"s":"caf\u00e9"}}}"#
        );
        // Key order, number spelling and escapes survive: the bytes come back exactly.
        let row = parse_row(&l).unwrap();
        assert_eq!(row.value, value);
        assert_eq!(row.key, b"T1\0U1\0");
        assert_eq!(row.tree, "users");
    }

    #[test]
    fn raw_timestamps_are_hex() {
        let at = 1_795_795_200_000_i64.to_be_bytes();
        let l = line("seen_events", b"T1\0Ev1", &at);
        let expected = format!(r#","value_hex":"{}"}}"#, hex::encode(at));
        assert!(l.ends_with(&expected), "{l}");
        assert_eq!(parse_row(&l).unwrap().value, at);
    }

    #[test]
    fn values_that_are_not_one_line_of_json_are_hex() {
        for value in [
            &b""[..],
            b"not json",
            b"{\"v\":1,\n\"d\":2}",
            b"{\"v\":1}\r",
            b"\xff\xfe",
            b"{\"a\":1} {\"b\":2}",
            b"\"\x01\"",
        ] {
            let l = line("t", b"k", value);
            assert!(l.contains("\"value_hex\":"), "{l}");
            assert_eq!(parse_row(&l).unwrap().value, value, "{l}");
        }
    }

    #[test]
    fn odd_but_valid_json_is_still_exact() {
        for value in [&b"5"[..], b"\"x\"", b" {\"v\" : 1} ", b"\t[1, 2]", b"null"] {
            let l = line("t", b"", value);
            assert!(l.contains("\"value_json\":"), "{l}");
            assert_eq!(parse_row(&l).unwrap().value, value, "{l}");
        }
    }

    #[test]
    fn every_row_line_is_json_with_exactly_one_value_field() {
        for value in [&br#"{"v":1,"d":[]}"#[..], b"\x00\x01"] {
            let l = line("a \"quoted\" tree", b"\x00\xff", value);
            let parsed: serde_json::Value = serde_json::from_str(&l).unwrap();
            let fields = parsed.as_object().unwrap();
            assert_eq!(fields["tree"], "a \"quoted\" tree");
            assert_eq!(fields["key"], "00ff");
            assert_eq!(
                usize::from(fields.contains_key("value_json"))
                    + usize::from(fields.contains_key("value_hex")),
                1
            );
            assert_eq!(parse_row(&l).unwrap().tree, "a \"quoted\" tree");
        }
    }

    #[test]
    fn damaged_rows_are_refused_with_a_reason() {
        for (row, says) in [
            (r#"{"tree":"t","key":"zz","value_hex":"00"}"#, "not hex"),
            (r#"{"tree":"t","key":"00","value_hex":"0"}"#, "not hex"),
            (
                r#"{"tree":"t","key":"00","value_json":{"v":1}"#,
                "one JSON value",
            ),
            (
                r#"{"tree":"t","key":"00","value_json":{"v":1} x}"#,
                "one JSON value",
            ),
            (r#"{"tree":"t","key":"00"}"#, "value_json"),
            (r#"{"tree":"t","key":"00","value":{}}"#, "value_json"),
            (r#"{"tree":"t","value_hex":"00"}"#, "key"),
            (r#"{"tree":"","key":"00","value_hex":"00"}"#, "empty"),
            (r#"{"tree":1,"key":"00","value_hex":"00"}"#, "tree"),
            (
                r#"{"tree":"t","key":"00","value_hex":"00","x":1}"#,
                "value_hex",
            ),
        ] {
            let err = parse_row(row).unwrap_err();
            assert!(err.contains(says), "{row}: {err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_row_round_trips(
            tree in "[a-z_]{1,20}",
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            value in proptest::collection::vec(proptest::num::u8::ANY, 0..60),
        ) {
            let row = parse_row(&line(&tree, &key, &value)).unwrap();
            proptest::prop_assert_eq!(row, Row { tree, key, value });
        }

        #[test]
        fn any_json_string_value_round_trips(text in "\\PC{0,40}") {
            let value = serde_json::to_vec(&serde_json::json!({"v": 1, "d": text})).unwrap();
            let l = line("t", b"k", &value);
            proptest::prop_assert!(l.contains("value_json"));
            proptest::prop_assert_eq!(parse_row(&l).unwrap().value, value);
        }
    }

    #[test]
    fn the_header_names_format_schema_time_and_next_id() {
        let (_dir, store) = temp_store();
        let mut out = Vec::new();
        let created = Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap();
        let summary = store.backup_at(&mut out, created).unwrap();
        assert_eq!(summary, BackupSummary::default());
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with(&format!(
                r#"{{"twohats_backup":1,"schema":{SCHEMA_VERSION},"created":"2026-11-27T16:00:00Z","next_id":"#
            )),
            "{text}"
        );
        assert_eq!(lines[1], r#"{"end":true,"rows":0}"#);
        let header = parse_header(lines[0]).unwrap();
        assert_eq!(header.schema, u64::from(SCHEMA_VERSION));
    }

    #[test]
    fn the_default_tree_is_written_only_when_it_holds_rows() {
        let (_dir, store) = temp_store();
        store
            .users
            .insert(b"T1\0U1\0", &br#"{"v":1,"d":{}}"#[..])
            .unwrap();
        let mut out = Vec::new();
        store.backup_to(&mut out).unwrap();
        assert!(!String::from_utf8_lossy(&out).contains("__sled__default"));

        store.db.insert(b"stray", &b"\x01"[..]).unwrap();
        let mut out = Vec::new();
        let summary = store.backup_to(&mut out).unwrap();
        assert_eq!(summary, BackupSummary { trees: 2, rows: 2 });
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#"{"tree":"__sled__default","key":"7374726179","value_hex":"01"}"#),
            "{text}"
        );

        let (_dir2, copy) = temp_store();
        assert_eq!(copy.restore_from(text.as_bytes()).unwrap(), summary);
        assert_eq!(
            copy.db.get(b"stray").unwrap().as_deref(),
            Some(&b"\x01"[..])
        );
    }

    #[test]
    fn a_restored_store_never_hands_out_a_restored_id_again() {
        let (_dir, store) = temp_store();
        for _ in 0..5000 {
            store.db.generate_id().unwrap();
        }
        store
            .outbox
            .insert(4999u64.to_be_bytes(), &b"{}"[..])
            .unwrap();
        let mut out = Vec::new();
        store.backup_to(&mut out).unwrap();
        let header = parse_header(String::from_utf8_lossy(&out).lines().next().unwrap()).unwrap();
        assert!(header.next_id >= 5000);

        let (_dir2, copy) = temp_store();
        copy.restore_from(&out[..]).unwrap();
        assert!(copy.db.generate_id().unwrap() > header.next_id);
    }

    #[test]
    fn a_cut_off_last_line_is_reported_as_truncation() {
        let (_dir, store) = temp_store();
        store
            .users
            .insert(b"T1\0U1\0", &br#"{"v":1,"d":{}}"#[..])
            .unwrap();
        store
            .users
            .insert(b"T1\0U2\0", &br#"{"v":1,"d":{}}"#[..])
            .unwrap();
        let mut out = Vec::new();
        store.backup_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let second_row_end = text.match_indices('\n').nth(2).unwrap().0;
        for cut in [second_row_end - 3, text.len() - 5] {
            let (_dir2, copy) = temp_store();
            let err = copy.restore_from(&text.as_bytes()[..cut]).unwrap_err();
            assert!(
                matches!(err, BackupError::Truncated { rows: 1 | 2 }),
                "{err}"
            );
            assert!(copy.raw_entries().unwrap().is_empty());
        }
    }

    #[test]
    fn an_implausible_next_id_is_refused() {
        let header = format!(
            r#"{{"twohats_backup":1,"schema":{SCHEMA_VERSION},"created":"2026-11-27T16:00:00Z","next_id":{}}}"#,
            MAX_NEXT_ID + 1
        );
        let (_dir, copy) = temp_store();
        let err = copy
            .restore_from(format!("{header}\n{{\"end\":true,\"rows\":0}}\n").as_bytes())
            .unwrap_err();
        assert!(
            matches!(err, BackupError::Malformed { line: 1, .. }),
            "{err}"
        );
    }
}
