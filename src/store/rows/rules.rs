//! Rules over rows that every adapter applies the same way, whatever it reads them with: so
//! sled and PostgreSQL can't drift apart on what a summary's 1:1 log holds, on what `export`
//! hands over, or on what `forget` does to digests.

use crate::domain::ids::{Scope, UserId};
use crate::domain::team::OneOnOne;
use crate::store::{Digests, Histories, Result, StoreError, StoreExt, UserExport, Users};
use chrono::{DateTime, NaiveDate, Utc};

/// The 1:1 log a summary needs, from a user's 1:1s newest first (`Ok(None)`: a row that
/// doesn't decode, already counted and logged by the adapter, is passed over): everything on
/// or after `since`, plus each of `people`'s latest 1:1 — and it stops reading once every one
/// of them is found, so a long history costs no more than the weeks it needs. Oldest first.
pub fn needed_one_on_ones(
    newest_first: impl Iterator<Item = Result<Option<OneOnOne>>>,
    people: &[UserId],
    since: NaiveDate,
) -> Result<Vec<OneOnOne>> {
    let mut missing: Vec<&UserId> = people.iter().collect();
    let mut found = Vec::new();
    for entry in newest_first {
        let Some(entry) = entry? else {
            continue;
        };
        let was_missing = missing.len();
        missing.retain(|id| **id != entry.with.id);
        if entry.date >= since || missing.len() < was_missing {
            found.push(entry);
        } else if missing.is_empty() {
            break;
        }
    }
    found.reverse();
    Ok(found)
}

/// `forget`'s part in others' data: the digests the user subscribed go, and they leave the
/// ones they joined, each by compare-and-swap. Returns (removed, left).
pub fn leave_every_digest<S: Users + Digests + ?Sized>(
    store: &S,
    scope: &Scope,
) -> Result<(usize, usize)> {
    let (mut removed, mut left) = (0, 0);
    for sub in store.subscriptions(&scope.team)? {
        let (gone, quit) = store.update_subscription(&scope.team, &sub.channel.id, |current| {
            Ok::<_, StoreError>(match current {
                Some(sub) if sub.owner == scope.user => (None, (1, 0)),
                Some(mut sub) if sub.members.contains(&scope.user) => {
                    sub.members.retain(|m| *m != scope.user);
                    (Some(sub), (0, 1))
                }
                other => (other, (0, 0)),
            })
        })?;
        removed += gone;
        left += quit;
    }
    Ok((removed, left))
}

/// Everything one user owns, as `/tlm export` hands it over, read through the port: their
/// record, every history row, the digests they subscribed and the ones they joined.
pub fn export_user<S: Users + Histories + Digests + ?Sized>(
    store: &S,
    scope: &Scope,
) -> Result<UserExport> {
    let all = DateTime::<Utc>::UNIX_EPOCH;
    let subs = store.subscriptions(&scope.team)?;
    Ok(UserExport {
        team_id: scope.team.clone(),
        user_id: scope.user.clone(),
        settings: store.user(scope)?,
        checkins: store.checkins_since(scope, all)?,
        one_on_ones: store.one_on_ones_for(scope, &[], NaiveDate::MIN)?,
        wins: store.wins_since(scope, all)?,
        fires: store.fires_since(scope, all)?,
        digests_joined: subs
            .iter()
            .filter(|s| s.members.contains(&scope.user))
            .map(|s| s.channel.id.clone())
            .collect(),
        digests_owned: subs.into_iter().filter(|s| s.owner == scope.user).collect(),
    })
}
