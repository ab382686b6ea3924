//! What a row read from disk must satisfy beyond its JSON shape, tree by tree.
//!
//! Every value the store reads passes [`Checked::problem`] after it decodes, so a value no
//! command could have written (an `eng_pct` of 300 in a hand-edited backup) is an
//! undecodable row, skipped or refused like garbage, rather than a panic further on.
//! [`check_row`] also checks the key's layout; backup and restore use it so a backup holds
//! only rows a restore accepts. Reasons name fields, never their values.

use super::codec::{decode, CodecError};
use super::{
    keys, LedgerEntry, CHECKINS, DIGESTS, FIRES, LEDGER, ONE_ON_ONES, OUTBOX, SEEN_EVENTS, USERS,
    WINS,
};
use crate::domain::checkin::{too_long, CheckIn, Fire, Win};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::team::{OneOnOne, MAX_CADENCE_DAYS, MAX_ROSTER};
use crate::domain::user::UserRecord;
use crate::store::OutboxItem;
use serde::de::DeserializeOwned;

/// sled's own tree. twohats never writes it, so nothing reads what it holds: it is copied
/// as it is.
pub(in crate::store) const SLED_DEFAULT: &str = "__sled__default";

/// A stored value's rules beyond its type.
pub trait Checked {
    /// What is wrong with it, if anything.
    fn problem(&self) -> Option<&'static str>;
}

impl Checked for UserRecord {
    fn problem(&self) -> Option<&'static str> {
        if self.target_pct > 100 {
            Some("target_pct is over 100")
        } else if self.roster.len() > MAX_ROSTER {
            Some("the roster is longer than twohats allows")
        } else if self
            .roster
            .iter()
            .any(|r| !(1..=MAX_CADENCE_DAYS).contains(&r.cadence_days))
        {
            Some("a 1:1 cadence is outside 1-90 days")
        } else if too_long(self.critical_path.as_ref().and_then(|c| c.what.as_deref())) {
            Some("the critical-path description is too long")
        } else if self.calendar.as_ref().is_some_and(|c| !c.is_valid()) {
            Some("the calendar link doesn't hold together")
        } else if self
            .github
            .as_ref()
            .is_some_and(|g| !crate::domain::github::valid_link(g))
        {
            Some("the GitHub link is outside twohats' bounds")
        } else {
            None
        }
    }
}

impl Checked for CheckIn {
    fn problem(&self) -> Option<&'static str> {
        CheckIn::problem(self)
    }
}

impl Checked for Win {
    fn problem(&self) -> Option<&'static str> {
        Win::problem(self)
    }
}

/// Types whose every decodable value is fine: ids, dates, enums and schedules validate as
/// they decode.
macro_rules! nothing_more {
    ($($t:ty),*) => {$(
        impl Checked for $t {
            fn problem(&self) -> Option<&'static str> {
                None
            }
        }
    )*};
}
nothing_more!(OneOnOne, Fire, Subscription, LedgerEntry, OutboxItem);

/// Decodes a stored value and applies its rules.
pub(in crate::store) fn decode_checked<T: DeserializeOwned + Checked>(
    tree: &str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    let value: T = decode(tree, bytes)?;
    match value.problem() {
        Some(why) => Err(CodecError::Invalid(why)),
        None => Ok(value),
    }
}

/// Whether a row, key and value, is one this build could have written to `tree`: the key
/// laid out as that tree's keys are, the value decoding into its record and passing its
/// rules. Backup skips rows that fail, restore refuses them.
pub(in crate::store) fn check_row(tree: &str, key: &[u8], value: &[u8]) -> Result<(), CodecError> {
    /// A history key: the user prefix, then a big-endian instant and a unique id.
    const TIMED_TAIL: usize = 16;
    match tree {
        USERS => {
            per_user(key, 0)?;
            decode_checked::<UserRecord>(tree, value).map(drop)
        }
        CHECKINS => {
            per_user(key, TIMED_TAIL)?;
            decode_checked::<CheckIn>(tree, value).map(drop)
        }
        ONE_ON_ONES => {
            per_user(key, TIMED_TAIL)?;
            decode_checked::<OneOnOne>(tree, value).map(drop)
        }
        WINS => {
            per_user(key, TIMED_TAIL)?;
            decode_checked::<Win>(tree, value).map(drop)
        }
        FIRES => {
            per_user(key, TIMED_TAIL)?;
            decode_checked::<Fire>(tree, value).map(drop)
        }
        DIGESTS => {
            let (team, _) = keys::split_team(key).ok_or(CodecError::Key("no team id"))?;
            let sub: Subscription = decode_checked(tree, value)?;
            if keys::channel(&team, &sub.channel.id) == key {
                Ok(())
            } else {
                Err(CodecError::Key("not the subscription's team and channel"))
            }
        }
        SEEN_EVENTS => {
            keys::split_team(key).ok_or(CodecError::Key("no team id"))?;
            if value.len() == 8 {
                Ok(())
            } else {
                Err(CodecError::Invalid("a seen event's time is not 8 bytes"))
            }
        }
        LEDGER => {
            let (_, rest) = keys::split_team(key).ok_or(CodecError::Key("no team id"))?;
            let subject = rest.split(|b| *b == 0).next().unwrap_or_default();
            let subject = std::str::from_utf8(subject).unwrap_or_default();
            if UserId::parse(subject).is_err() && ChannelId::parse(subject).is_err() {
                return Err(CodecError::Key("no user or channel id after the team"));
            }
            decode_checked::<LedgerEntry>(tree, value).map(drop)
        }
        OUTBOX => {
            if key.len() != 8 {
                return Err(CodecError::Key("an outbox key is an 8-byte id"));
            }
            decode_checked::<OutboxItem>(tree, value).map(drop)
        }
        SLED_DEFAULT => Ok(()),
        _ => Err(CodecError::Key("twohats has no tree of this name")),
    }
}

/// A per-user key in its canonical spelling, followed by `tail` more bytes.
fn per_user(key: &[u8], tail: usize) -> Result<(), CodecError> {
    let (scope, rest) = keys::split_scope(key).ok_or(CodecError::Key("no team and user ids"))?;
    // Ids parse case-insensitively; a key must be spelled as the store spells it, or the
    // user's prefix scans would never find it.
    if !key.starts_with(&keys::user_prefix(&scope)) {
        return Err(CodecError::Key("ids not spelled as the store spells them"));
    }
    if rest.len() != tail {
        return Err(CodecError::Key("the wrong length for this tree"));
    }
    Ok(())
}
