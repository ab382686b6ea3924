//! Key layout. Every per-user key starts with `team 0x00 user 0x00`, so one user's rows in
//! any tree are one prefix scan, and a time-ordered history is one range scan: after the
//! prefix comes a big-endian timestamp, then a big-endian unique id so two writes in the
//! same millisecond never collide.
//!
//! Ids are validated as ASCII alphanumerics (see `domain::ids`), so they never contain 0x00.

use crate::domain::ids::{ChannelId, Scope, TeamId};
use chrono::{DateTime, Utc};

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

/// The first key past every row of a user, for the end of range scans.
pub fn upper_bound(scope: &Scope) -> Vec<u8> {
    let mut key = user_prefix(scope);
    // The prefix ends with the 0x00 separator; 0x01 there sorts after every row under it.
    if let Some(last) = key.last_mut() {
        *last = SEP + 1;
    }
    key
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
    fn one_users_prefix_never_covers_another_user() {
        // U1's prefix must not be a prefix of U12's keys.
        let u1 = user_prefix(&scope("T1", "U1"));
        let u12 = user_prefix(&scope("T1", "U12"));
        assert!(!u12.starts_with(&u1));
        assert!(!user_prefix(&scope("T12", "U1"))
            .starts_with(&team_prefix(&TeamId::parse("T1").unwrap())));
    }
}
