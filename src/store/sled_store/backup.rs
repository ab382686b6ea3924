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
//!   rows and outbox messages end in such ids, so a restore moves the new store's ids past
//!   `next_id`; otherwise a later write could reuse a restored key and overwrite its row.
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
//! a restore into a freshly opened store recreates the store's own trees on open anyway. The
//! `meta` tree (the id base) is not written: the header's `next_id` says what it is for.
//!
//! Only rows a restore accepts are written: a row that doesn't decode into its tree's record
//! (see `store::valid`) is left out, counted and logged by its key's ids, and
//! [`BackupSummary::skipped`] says how many; `twohats backup` prints it.
//!
//! # Consistency
//!
//! sled gives no snapshot, neither across trees nor within one: [`SledStore::backup_to`] reads
//! the trees one after another, in name order (`checkins`, `digests`, `fires`, `ledger`,
//! `one_on_ones`, `outbox`, `seen_events`, `users`, `wins`), each with a plain iterator.
//! Taken with nothing else writing (`twohats backup`, which cannot open a store `serve` holds:
//! sled locks its data directory) the copy is exact. Taken while `serve` runs (its scheduled
//! backups, `slack::backups`), what it holds is:
//!
//! - **every row written before the backup began** and not deleted while it ran. A reply to
//!   a write is sent only after the write is flushed, so every check-in acknowledged before
//!   the backup began is in it;
//! - **a row written or deleted while it runs, or not**, row by row: in if its tree's
//!   iterator had not yet passed its key, out if it had;
//! - **rows written together, not necessarily together.** A check-in is two writes, the
//!   user's record (created on first contact; a `cp` check-in also sets the critical path)
//!   and then the check-in row, and `checkins` is read before `users`. A check-in sent during
//!   a backup can come back from a restore as the record without the row (a new user with no
//!   check-in, or on the critical path without that day's check-in), never as the row without
//!   the record — except around `forget confirm`: one sent during a backup can leave that
//!   user's history rows read before the delete without their record, read after it, and
//!   the next message from that user starts a record beside them. A claim writes the ledger
//!   entry and the outbox message in one transaction, but `ledger` is read before `outbox`:
//!   a message claimed during a backup can come back as a queued message without its claim,
//!   so after a restore it is sent, and sent again if the scheduler claims its fire once more
//!   while that fire is still relevant;
//! - **a file a restore accepts**: every row in it decodes (they are read whole from the
//!   store), and the end marker counts exactly the rows written. The header's `next_id` is
//!   read before the rows, so a row written during the backup can end in a larger id; a
//!   restore raises the id base past every id a restored key ends in as well (see below).
//!
//! # Restore
//!
//! [`SledStore::restore_from`] refuses a store that holds any row, then reads and validates the
//! whole backup into memory (a team-sized store fits easily) before writing anything, so bad
//! input writes nothing. Validating means: lines of at most [`MAX_LINE_BYTES`] (a longer one
//! is refused by its number without being read whole), every row decoding into its tree's
//! record with its key laid out as that tree's keys are (every row that doesn't is named by
//! its line number), and a `next_id` up to [`MAX_NEXT_ID`]. Then it writes tree by tree in
//! batches, raises the store's id base to `next_id`, or past the largest id a restored
//! history or outbox key ends in when that is larger (a backup taken while `serve` wrote; one
//! write, however large; never past [`MAX_NEXT_ID`]), and flushes.
//! Should a write itself fail (disk full), the restored trees are cleared again on a
//! best-effort basis; start over from a new, empty data directory.
//!
//! # The file
//!
//! [`SledStore::backup_to_file`] writes a new file beside the target, 0600, syncs it and renames
//! it over the target: an existing file is replaced whole (never left half-written, never
//! keeping a wider mode), and a symlink there is replaced, not followed.
//! [`SledStore::backup_to_file_until`] is the same, but gives up (the temporary file removed, the
//! target untouched) as soon as its `stop` says so: `serve` stops a scheduled backup in
//! progress when it shuts down.
//!
//! Nothing here logs values: the rows are people-management data. Error messages name line
//! numbers and trees, never values.

use super::{SledStore, META};
use crate::store::rows::codec::{CodecError, SCHEMA_VERSION};
use crate::store::rows::valid::check_row;
use crate::store::rows::{key_ids, own_tree, ID_KEYED};
use crate::store::{Backups, Durability, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The backup file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The largest `next_id` a restore accepts. sled moves its id generator two million ids on
/// every reopen, so a store restarted daily for ten years is near 7.3e9 and one in a
/// restart loop could be well past that; 2^48 is 140 million restarts. A restore costs the
/// same whatever the value (one write), so the bound only has to tell a store from a
/// damaged header, and leave the ids after it room enough never to run out.
pub const MAX_NEXT_ID: u64 = 1 << 48;

/// The longest line a restore reads, newline aside. The longest rows twohats writes are a
/// user record and a queued summary, a few KiB each; a longer line is damage, and is refused
/// without being read whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How many undecodable lines an error lists by number; it counts the rest.
const LISTED_LINES: usize = 20;

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
    /// Rows a backup left out because they don't decode (a restore refuses those instead).
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the backup: {0}")]
    Write(std::io::Error),
    #[error("could not {action} {}: {source}", .path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not read line {line} of the backup: {source}")]
    Read { line: usize, source: std::io::Error },
    #[error("line {line} of the backup is longer than {MAX_LINE_BYTES} bytes, longer than any row twohats writes; nothing was restored")]
    LineTooLong { line: usize },
    #[error("{} {} of the backup {} rows this build cannot decode (line {}); nothing was restored",
        if *.count == 1 { "line" } else { "lines" },
        line_list(.lines, *.count),
        if *.count == 1 { "holds" } else { "hold" },
        .first)]
    Undecodable {
        /// The first `LISTED_LINES` (20) such lines.
        lines: Vec<usize>,
        /// How many there are in all.
        count: usize,
        /// What is wrong with the first, without its value.
        first: String,
    },
    #[error("the backup was stopped before it was complete: twohats is shutting down")]
    Stopped,
    #[error("the store has a tree whose name is not UTF-8, which a backup cannot name")]
    TreeName,
    #[error("the data directory is not empty (tree `{tree}` holds rows); restore only into a new, empty data directory")]
    NotEmpty { tree: String },
    #[error("the database is not empty (table `{table}` holds rows); restore only into an empty database")]
    NotEmptyDatabase { table: String },
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

/// `4, 9 and 12`, or `4, 9, … (and 37 more)`.
fn line_list(lines: &[usize], count: usize) -> String {
    let mut text: Vec<String> = lines.iter().map(usize::to_string).collect();
    let more = count.saturating_sub(lines.len());
    if more > 0 {
        return format!("{} (and {more} more)", text.join(", "));
    }
    match text.pop() {
        Some(last) if !text.is_empty() => format!("{} and {last}", text.join(", ")),
        Some(last) => last,
        None => String::new(),
    }
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
pub(in crate::store) struct Parsed {
    pub next_id: u64,
    pub trees: BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>,
    pub rows: usize,
}

impl SledStore {
    /// Writes every tree, every row, as JSON lines: a header line, one line per row, a
    /// trailer with the row count. See the module docs for the format, and for what a backup
    /// taken while the store is written holds. The writer is flushed, not synced: sync the
    /// file if it must survive a crash.
    pub fn backup_to(&self, out: impl Write) -> Result<BackupSummary, BackupError> {
        self.backup_at(out, Utc::now())
    }

    fn backup_at(
        &self,
        out: impl Write,
        created: DateTime<Utc>,
    ) -> Result<BackupSummary, BackupError> {
        let mut out = BufWriter::new(out);
        let header = header_line(created, self.new_id()?);
        out.write_all(header.as_bytes())
            .map_err(BackupError::Write)?;
        let mut summary = BackupSummary::default();
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            if name == META.as_bytes() {
                continue; // the header's next_id stands for it
            }
            let tree_name = std::str::from_utf8(&name).map_err(|_| BackupError::TreeName)?;
            let tree = self.db.open_tree(&name)?;
            let mut rows = 0;
            for row in tree.iter() {
                let (key, value) = row?;
                if let Err(why) = check_row(tree_name, &key, &value) {
                    self.undecodable_row(own_tree(tree_name), &key_ids(tree_name, &key), &why);
                    summary.skipped += 1;
                    continue;
                }
                out.write_all(row_line(tree_name, &key, &value).as_bytes())
                    .map_err(BackupError::Write)?;
                rows += 1;
            }
            if rows > 0 {
                summary.trees += 1;
                summary.rows += rows;
            }
        }
        out.write_all(end_line(summary.rows).as_bytes())
            .map_err(BackupError::Write)?;
        out.flush().map_err(BackupError::Write)?;
        Ok(summary)
    }

    /// [`SledStore::backup_to`] into the file at `path`, readable by its owner only: written
    /// beside it under a temporary name (0600), synced, then renamed over `path`, and the
    /// folder synced. Whatever was at `path` — a file with a wider mode, a symlink — is
    /// replaced, never written through; on error it is left as it was.
    pub fn backup_to_file(&self, path: &Path) -> Result<BackupSummary, BackupError> {
        self.backup_to_file_until(path, &|| false)
    }

    /// [`SledStore::backup_to_file`], given up as soon as `stop` returns true (it is asked before
    /// each block written): the temporary file is removed, `path` left as it was, and the
    /// answer is [`BackupError::Stopped`]. `serve` stops its scheduled backups this way when
    /// it shuts down.
    pub fn backup_to_file_until(
        &self,
        path: &Path,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<BackupSummary, BackupError> {
        write_file_until(path, stop, &mut |out| self.backup_to(out))
    }

    /// Loads a backup into this store, which must be empty (no rows in any tree); durable
    /// (flushed) before returning. The whole backup is validated before anything is written,
    /// so a refused backup leaves the store as it was.
    pub fn restore_from(&self, input: impl BufRead) -> Result<BackupSummary, BackupError> {
        self.ensure_empty()?;
        let backup = read_backup(input)?;
        // Ids below `next_id` may be part of restored keys: never hand them out again.
        let written = self
            .write_trees(&backup.trees)
            .and_then(|()| Ok(self.raise_ids_to(id_floor(&backup))?));
        if let Err(e) = written {
            // Best effort: leave no half-restored tree behind.
            for name in backup.trees.keys() {
                if let Ok(tree) = self.db.open_tree(name) {
                    let _ = tree.clear();
                }
            }
            let _ = self.durable();
            return Err(e);
        }
        self.durable()?;
        Ok(BackupSummary {
            trees: backup.trees.len(),
            rows: backup.rows,
            skipped: 0,
        })
    }

    fn ensure_empty(&self) -> Result<(), BackupError> {
        for name in self.db.tree_names() {
            // An id base is no data: a store restored from an empty backup is still empty.
            if name != META.as_bytes() && !self.db.open_tree(&name)?.is_empty() {
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

/// The header line (with its newline) of a backup made at `created`, `next_id` being an id
/// the store had not handed out yet.
pub(in crate::store) fn header_line(created: DateTime<Utc>, next_id: u64) -> String {
    format!(
        "{{\"twohats_backup\":{FORMAT_VERSION},\"schema\":{SCHEMA_VERSION},\"created\":\"{}\",\"next_id\":{next_id}}}\n",
        created.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The end marker line (with its newline).
pub(in crate::store) fn end_line(rows: usize) -> String {
    format!("{{\"end\":true,\"rows\":{rows}}}\n")
}

/// A backup written by `backup` into a new 0600 file beside `path`, synced, renamed over
/// it, the folder synced; given up (the temporary file removed) as soon as `stop` says so.
/// Every adapter's `backup_to_file_until`.
pub(in crate::store) fn write_file_until(
    path: &Path,
    stop: &(dyn Fn() -> bool + Sync),
    backup: &mut dyn FnMut(&mut dyn Write) -> Result<BackupSummary, BackupError>,
) -> Result<BackupSummary, BackupError> {
    let fail = |action, source| BackupError::File {
        action,
        path: path.to_path_buf(),
        source,
    };
    match fs::symlink_metadata(path) {
        Ok(meta) if !(meta.is_file() || meta.is_symlink()) => {
            return Err(fail(
                "replace",
                std::io::Error::other("it is not a regular file"),
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail("look at", e)),
    }
    let name = path
        .file_name()
        .ok_or_else(|| fail("write", std::io::Error::other("the path names no file")))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let (temp_path, file) =
        create_temp_beside(dir, name).map_err(|e| fail("create a file beside", e))?;
    let mut until = Until { file: &file, stop };
    let written = match backup(&mut until) {
        Err(_) if stop() => Err(BackupError::Stopped),
        other => other,
    }
    .and_then(|summary| {
        file.sync_all().map_err(|e| fail("sync", e))?;
        drop(file);
        fs::rename(&temp_path, path).map_err(|e| fail("replace", e))?;
        Ok(summary)
    });
    if written.is_err() {
        let _ = fs::remove_file(&temp_path); // best effort: the error says what happened
        return written;
    }
    // The rename is only durable once the folder is.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("sync the folder of", e))?;
    written
}

/// A backup file being written, which fails every write once `stop` says so.
struct Until<'a> {
    file: &'a File,
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl Write for Until<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.stop)() {
            // Not `Interrupted`: `write_all` would retry that forever.
            return Err(std::io::Error::other("the backup was stopped"));
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The id base a restore sets: the header's `next_id`, or past the largest id a restored key
/// ends in when that is larger. A backup taken while `serve` runs reads `next_id` before the
/// rows, so a history row or outbox message written meanwhile can end in a larger id; a new
/// id equal to it would overwrite it (an outbox key is its id alone). Ids at or past
/// [`MAX_NEXT_ID`] are left out: nothing twohats wrote reaches them, and honouring one would
/// leave the store no ids to hand out.
pub(in crate::store) fn id_floor(backup: &Parsed) -> u64 {
    let largest = ID_KEYED
        .iter()
        .filter_map(|tree| backup.trees.get(*tree))
        .flat_map(|rows| rows.keys())
        .filter_map(|key| {
            Some(u64::from_be_bytes(
                key.get(key.len().checked_sub(8)?..)?.try_into().ok()?,
            ))
        })
        .filter(|id| *id < MAX_NEXT_ID)
        .max();
    largest.map_or(backup.next_id, |id| backup.next_id.max(id + 1))
}

/// A new file `.NAME.PID.N.tmp` in `dir`, 0600, that did not exist before.
fn create_temp_beside(dir: &Path, name: &std::ffi::OsStr) -> std::io::Result<(PathBuf, File)> {
    let mut last = None;
    for attempt in 0..100 {
        let mut temp = std::ffi::OsString::from(".");
        temp.push(name);
        temp.push(format!(".{}.{attempt}.tmp", std::process::id()));
        let temp = dir.join(temp);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            // Left by a run that died: take the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// The line (with its newline) for one row.
pub(in crate::store) fn row_line(tree: &str, key: &[u8], value: &[u8]) -> String {
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

/// A backup's lines, one at a time, each at most [`MAX_LINE_BYTES`] long.
struct Lines<R> {
    input: R,
    text: String,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    /// The next line (in `self.text`, without its ending): its number, and whether it had
    /// an ending (a cut-off last line has none). `None` at the end of the input.
    fn next(&mut self) -> Result<Option<(usize, bool)>, BackupError> {
        self.number += 1;
        let line = self.number;
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        bytes.clear();
        // Room for the longest line and its `\r\n`, and one byte more to see it is longer.
        let limit = MAX_LINE_BYTES as u64 + 3;
        let n = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut bytes)
            .map_err(|source| BackupError::Read { line, source })?;
        if n == 0 {
            return Ok(None);
        }
        let complete = bytes.ends_with(b"\n");
        if complete {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        if bytes.len() > MAX_LINE_BYTES {
            return Err(BackupError::LineTooLong { line });
        }
        self.text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) if complete => {
                return Err(BackupError::Malformed {
                    line,
                    reason: "it is not UTF-8 text".into(),
                })
            }
            // A last line cut inside a character: the caller reports the truncation.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Ok(Some((line, complete)))
    }
}

/// Reads and validates a whole backup. Nothing is written.
pub(in crate::store) fn read_backup(input: impl BufRead) -> Result<Parsed, BackupError> {
    let mut lines = Lines {
        input,
        text: String::new(),
        number: 0,
    };
    if lines.next()?.is_none() {
        return Err(BackupError::Empty);
    }
    let header = parse_header(&lines.text)?;
    let mut trees: BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>> = BTreeMap::new();
    let mut rows = 0;
    let mut end = None;
    let mut undecodable: Option<BackupError> = None;
    while let Some((line, complete)) = lines.next()? {
        let buf = &lines.text;
        if end.is_some() {
            if buf.trim().is_empty() {
                continue;
            }
            return Err(BackupError::AfterEnd { line });
        }
        if buf.starts_with(ROW_START) {
            let row = match parse_row(buf) {
                Ok(row) => row,
                Err(_) if !complete => return Err(BackupError::Truncated { rows }),
                Err(reason) => return Err(BackupError::Malformed { line, reason }),
            };
            rows += 1;
            if let Err(why) = check_row(&row.tree, &row.key, &row.value) {
                note_undecodable(&mut undecodable, line, &row.tree, &why);
                continue; // refused at the end; keep reading to name every such line
            }
            let tree = trees.entry(row.tree).or_default();
            if tree.insert(row.key, row.value).is_some() {
                return Err(BackupError::Malformed {
                    line,
                    reason: "this key already appeared earlier in the same tree".into(),
                });
            }
            continue;
        }
        match serde_json::from_str::<Trailer>(buf) {
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
        Some(_) => match undecodable {
            Some(e) => Err(e),
            None => Ok(Parsed {
                next_id: header.next_id,
                trees,
                rows,
            }),
        },
    }
}

/// Adds a line to the restore's list of rows that don't decode.
fn note_undecodable(list: &mut Option<BackupError>, line: usize, tree: &str, why: &CodecError) {
    match list {
        Some(BackupError::Undecodable { lines, count, .. }) => {
            if lines.len() < LISTED_LINES {
                lines.push(line);
            }
            *count += 1;
        }
        _ => {
            *list = Some(BackupError::Undecodable {
                lines: vec![line],
                count: 1,
                // Debug-quoted: a tree name comes from the file, and may hold anything.
                first: format!("{line}, tree {tree:?}: {why}"),
            })
        }
    }
}

impl Backups for SledStore {
    fn backup_to(&self, out: &mut dyn Write) -> Result<BackupSummary, BackupError> {
        SledStore::backup_to(self, out)
    }

    fn backup_to_file_until(
        &self,
        path: &Path,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<BackupSummary, BackupError> {
        SledStore::backup_to_file_until(self, path, stop)
    }

    fn restore_from(&self, input: &mut dyn BufRead) -> Result<BackupSummary, BackupError> {
        SledStore::restore_from(self, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn temp_store() -> (tempfile::TempDir, SledStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap()
    }

    /// A user record as the store writes it.
    fn user_value() -> Vec<u8> {
        crate::store::rows::codec::encode(&crate::domain::user::UserRecord::new(t0())).unwrap()
    }

    fn header_with_next_id(next_id: u64) -> String {
        format!(
            r#"{{"twohats_backup":1,"schema":{SCHEMA_VERSION},"created":"2026-11-27T16:00:00Z","next_id":{next_id}}}"#
        )
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
        let summary = store.backup_at(&mut out, t0()).unwrap();
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
        store.users.insert(b"T1\0U1\0", user_value()).unwrap();
        let mut out = Vec::new();
        store.backup_to(&mut out).unwrap();
        assert!(!String::from_utf8_lossy(&out).contains("__sled__default"));

        store.db.insert(b"stray", &b"\x01"[..]).unwrap();
        let mut out = Vec::new();
        let summary = store.backup_to(&mut out).unwrap();
        assert_eq!(
            summary,
            BackupSummary {
                trees: 2,
                rows: 2,
                skipped: 0
            }
        );
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
        let item = crate::store::OutboxItem {
            team: crate::domain::ids::TeamId::parse("T1").unwrap(),
            channel: "U1".into(),
            doc: crate::domain::doc::Doc::new("hello"),
            ledger_key: b"T1\0U1\0summary\x002026-11-27".to_vec(),
            attempts: 0,
            not_before: t0(),
            created: t0(),
        };
        store
            .outbox
            .insert(
                4999u64.to_be_bytes(),
                crate::store::rows::codec::encode(&item).unwrap(),
            )
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(store.backup_to(&mut out).unwrap().rows, 1);
        let header = parse_header(String::from_utf8_lossy(&out).lines().next().unwrap()).unwrap();
        assert!(header.next_id >= 5000);

        let (_dir2, copy) = temp_store();
        copy.restore_from(&out[..]).unwrap();
        // `next_id` itself was never handed out by the source, so it may be the first.
        assert!(copy.new_id().unwrap() >= header.next_id);
        assert!(copy.new_id().unwrap() > header.next_id);
    }

    fn outbox_item() -> crate::store::OutboxItem {
        crate::store::OutboxItem {
            team: crate::domain::ids::TeamId::parse("T1").unwrap(),
            channel: "U1".into(),
            doc: crate::domain::doc::Doc::new("hello"),
            ledger_key: b"T1\0U1\0summary\x002026-11-27".to_vec(),
            attempts: 0,
            not_before: t0(),
            created: t0(),
        }
    }

    #[test]
    fn a_row_written_after_the_header_moves_the_restored_ids_past_its_own() {
        // A backup taken while `serve` writes reads `next_id` first: a message claimed
        // meanwhile ends in a larger id. The restored store must never hand that id out,
        // or a later claim would overwrite the restored message.
        let (_dir, store) = temp_store();
        let late = 1_000_000u64;
        let value = crate::store::rows::codec::encode(&outbox_item()).unwrap();
        store
            .outbox
            .insert(late.to_be_bytes(), value.clone())
            .unwrap();
        // Ids at or past MAX_NEXT_ID are no id twohats handed out: not honoured.
        store
            .outbox
            .insert(MAX_NEXT_ID.to_be_bytes(), value)
            .unwrap();
        let mut out = Vec::new();
        store.backup_to(&mut out).unwrap();
        let header = parse_header(String::from_utf8_lossy(&out).lines().next().unwrap()).unwrap();
        assert!(header.next_id < late, "{}", header.next_id);

        let (_dir2, copy) = temp_store();
        copy.restore_from(&out[..]).unwrap();
        let id = copy.new_id().unwrap();
        assert!(id > late && id < MAX_NEXT_ID, "{id}");
    }

    #[test]
    fn a_stopped_backup_leaves_no_file_and_keeps_the_old_one() {
        let (_dir, store) = temp_store();
        store.users.insert(b"T1\0U1\0", user_value()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.jsonl");
        std::fs::write(&target, "the previous backup").unwrap();
        let err = store.backup_to_file_until(&target, &|| true).unwrap_err();
        assert!(matches!(err, BackupError::Stopped), "{err}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the previous backup"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        // Not stopped: the same call writes the backup.
        store.backup_to_file_until(&target, &|| false).unwrap();
        assert!(std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("{\"twohats_backup\""));
    }

    #[test]
    fn a_huge_next_id_is_one_write_and_survives_a_reopen() {
        // Before the id base, a restore counted sled's generator up to `next_id` one id at a
        // time: this one would have taken half an hour.
        let next_id = 1 << 34;
        let dir = tempfile::tempdir().unwrap();
        {
            let copy = SledStore::open(dir.path()).unwrap();
            let backup = format!(
                "{}\n{{\"end\":true,\"rows\":0}}\n",
                header_with_next_id(next_id)
            );
            copy.restore_from(backup.as_bytes()).unwrap();
            assert!(copy.new_id().unwrap() >= next_id);
            assert!(
                copy.raw_entries().unwrap().is_empty(),
                "the id base is no data"
            );
            // Still empty: the id base alone doesn't make a store hold data.
            assert!(copy.ensure_empty().is_ok());
        }
        let reopened = SledStore::open(dir.path()).unwrap();
        assert!(reopened.new_id().unwrap() >= next_id);
        let mut out = Vec::new();
        reopened.backup_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("\"meta\""), "{text}");
        let header = parse_header(text.lines().next().unwrap()).unwrap();
        assert!(header.next_id >= next_id);
    }

    #[test]
    fn undecodable_lines_are_listed_by_number() {
        assert_eq!(line_list(&[4], 1), "4");
        assert_eq!(line_list(&[4, 9, 12], 3), "4, 9 and 12");
        assert_eq!(line_list(&[4, 9], 39), "4, 9 (and 37 more)");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_by_number_and_one_at_the_limit_is_read() {
        let at_limit = "x".repeat(MAX_LINE_BYTES);
        for (line, ending, too_long) in [
            (at_limit.clone() + "x", "\n", true),
            (at_limit.clone() + "x", "", true),
            (at_limit.clone(), "\r\n", false),
            (at_limit, "", false),
        ] {
            let input = format!("{}\n{line}{ending}", header_with_next_id(1));
            let (_dir, copy) = temp_store();
            let err = copy.restore_from(input.as_bytes()).unwrap_err();
            assert_eq!(
                matches!(err, BackupError::LineTooLong { line: 2 }),
                too_long,
                "{err}"
            );
        }
    }

    #[test]
    fn a_cut_off_last_line_is_reported_as_truncation() {
        let (_dir, store) = temp_store();
        store.users.insert(b"T1\0U1\0", user_value()).unwrap();
        store.users.insert(b"T1\0U2\0", user_value()).unwrap();
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
        let header = header_with_next_id(MAX_NEXT_ID + 1);
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
