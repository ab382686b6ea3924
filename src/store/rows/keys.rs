//! Key layout. Every per-user key starts with `team 0x00 user 0x00`, so one user's rows in
//! any tree are one prefix scan, and a time-ordered history is one range scan: after the
//! prefix comes a big-endian timestamp, then a big-endian unique id so two writes in the
//! same millisecond never collide.
//!
//! Ids are validated as ASCII alphanumerics (see `domain::ids`), so they never contain 0x00.

use crate::domain::ids::{ChannelId, Scope, TeamId, UserId};
use chrono::{DateTime, Utc};
use std::fmt;

const SEP: u8 = 0;

/// `team 0x00 user 0x00`: the prefix of everything a user owns.
pub fn user_prefix(scope: &Scope) -> Vec<u8> {
    let mut key =
        Vec::with_capacity(scope.team.as_str().len() + scope.user.as_str().len() + 2 + 16);
    key.extend_from_slice(scope.team.as_str().as_bytes());
    key.push(SEP);
    key.extend_from_slice(scope.user.as_str().as_bytes());
    key.push(SEP);
    key
}

/// `team 0x00`: the prefix of everything in a workspace.
pub fn team_prefix(team: &TeamId) -> Vec<u8> {
    let mut key = team.as_str().as_bytes().to_vec();
    key.push(SEP);
    key
}

/// A history row: user prefix, then the instant (ms since the epoch, big-endian), then a
/// unique id.
pub fn timed(scope: &Scope, at: DateTime<Utc>, unique: u64) -> Vec<u8> {
    let mut key = timed_bound(scope, at);
    key.extend_from_slice(&unique.to_be_bytes());
    key
}

/// The first key at or after an instant, for range scans.
pub fn timed_bound(scope: &Scope, at: DateTime<Utc>) -> Vec<u8> {
    let mut key = user_prefix(scope);
    key.extend_from_slice(&epoch_ms(at).to_be_bytes());
    key
}

/// A digest subscription: `team 0x00 channel`.
pub fn channel(team: &TeamId, channel: &ChannelId) -> Vec<u8> {
    let mut key = team_prefix(team);
    key.extend_from_slice(channel.as_str().as_bytes());
    key
}

/// Milliseconds since the epoch, clamped at 0: nothing twohats records predates 1970, and
/// the clamp keeps the big-endian order monotonic for every input.
fn epoch_ms(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

/// The scope a per-user key starts with, and the bytes after its `team 0x00 user 0x00`
/// prefix; `None` when the key doesn't start with two valid ids.
pub fn split_scope(key: &[u8]) -> Option<(Scope, &[u8])> {
    let (team, rest) = split_id(key)?;
    let (user, rest) = split_id(rest)?;
    Some((
        Scope::new(TeamId::parse(team).ok()?, UserId::parse(user).ok()?),
        rest,
    ))
}

/// The team a key starts with (`team 0x00 …`), and the bytes after the separator.
pub fn split_team(key: &[u8]) -> Option<(TeamId, &[u8])> {
    let (team, rest) = split_id(key)?;
    Some((TeamId::parse(team).ok()?, rest))
}

/// The text before the first separator, and what follows it.
fn split_id(key: &[u8]) -> Option<(&str, &[u8])> {
    let at = key.iter().position(|b| *b == SEP)?;
    Some((std::str::from_utf8(&key[..at]).ok()?, &key[at + 1..]))
}

/// What a log line may say about a row: the team and user (or channel) ids its key starts
/// with, once they parse as ids, or the number an outbox key is. Never the value, and never
/// key bytes that aren't valid ids.
pub enum KeyIds<'a> {
    /// A key that is a bare big-endian id (the outbox).
    Numbered(&'a [u8]),
    /// A key that starts `team 0x00 user-or-channel`.
    Prefixed(&'a [u8]),
}

impl KeyIds<'_> {
    /// The key itself, for telling rows apart (never for printing).
    pub fn bytes(&self) -> &[u8] {
        match self {
            KeyIds::Numbered(key) | KeyIds::Prefixed(key) => key,
        }
    }
}

impl fmt::Display for KeyIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match self {
            KeyIds::Numbered(key) => {
                return match <[u8; 8]>::try_from(*key) {
                    Ok(id) => write!(f, "#{}", u64::from_be_bytes(id)),
                    Err(_) => f.write_str("(not an id)"),
                }
            }
            KeyIds::Prefixed(key) => key,
        };
        let Some((team, rest)) = split_team(key) else {
            return f.write_str("(no valid team id)");
        };
        let subject = split_id(rest).map_or_else(
            || std::str::from_utf8(rest).ok(),
            |(subject, _)| Some(subject),
        );
        match subject.filter(|s| UserId::parse(s).is_ok() || ChannelId::parse(s).is_ok()) {
            Some(subject) => write!(f, "{team}/{subject}"),
            None => write!(f, "{team}"),
        }
    }
}

/// The first key past every row of a user, for the end of range scans.
pub fn upper_bound(scope: &Scope) -> Vec<u8> {
    let mut key = user_prefix(scope);
    // The prefix ends with the 0x00 separator; 0x01 there sorts after every row under it.
    if let Some(last) = key.last_mut() {
        *last = SEP + 1;
    }
    key
}

/// The instant a 1:1 is keyed by: its day's midnight in UTC, so a back-dated one sorts into
/// place among the others. Only the order matters.
pub fn date_key(date: chrono::NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use chrono::TimeZone;

    fn scope(team: &str, user: &str) -> Scope {
        Scope::new(TeamId::parse(team).unwrap(), UserId::parse(user).unwrap())
    }

    #[test]
    fn time_keys_sort_by_time_within_a_user() {
        let s = scope("T1", "U1");
        let early = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        assert!(timed(&s, early, u64::MAX) < timed(&s, late, 0));
        assert!(timed(&s, early, 1).starts_with(&user_prefix(&s)));
    }

    #[test]
    fn a_key_names_its_ids_and_nothing_else() {
        let s = scope("T1", "U1");
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let key = timed(&s, at, 7);
        assert_eq!(KeyIds::Prefixed(&key).to_string(), "T1/U1");
        assert_eq!(
            split_scope(&key).map(|(s, rest)| (s, rest.len())),
            Some((s, 16))
        );
        let channel = channel(
            &TeamId::parse("T1").unwrap(),
            &ChannelId::parse("C9").unwrap(),
        );
        assert_eq!(KeyIds::Prefixed(&channel).to_string(), "T1/C9");
        assert_eq!(KeyIds::Numbered(&42u64.to_be_bytes()).to_string(), "#42");
        assert_eq!(KeyIds::Numbered(b"SECRET").to_string(), "(not an id)");
        assert_eq!(KeyIds::Prefixed(b"T1\0SECRET text\0").to_string(), "T1");
        assert_eq!(
            KeyIds::Prefixed(b"SECRET").to_string(),
            "(no valid team id)"
        );
        assert_eq!(split_scope(b"T1\0U1"), None, "no separator after the user");
    }

    #[test]
    fn one_users_prefix_never_covers_another_user() {
        // U1's prefix must not be a prefix of U12's keys.
        let u1 = user_prefix(&scope("T1", "U1"));
        let u12 = user_prefix(&scope("T1", "U12"));
        assert!(!u12.starts_with(&u1));
        assert!(!user_prefix(&scope("T12", "U1"))
            .starts_with(&team_prefix(&TeamId::parse("T1").unwrap())));
    }
}
