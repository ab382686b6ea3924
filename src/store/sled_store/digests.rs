//! Digest subscriptions in sled: one row per channel, keyed `team 0x00 channel`.

use super::keys::{self, KeyIds};
use super::CodecError;
use super::{encode_in, SledStore, DIGESTS};
use crate::domain::digest::Subscription;
use crate::domain::ids::{ChannelId, TeamId};
use crate::store::{Decision, Digests, Result};

impl Digests for SledStore {
    fn subscription(&self, team: &TeamId, channel: &ChannelId) -> Result<Option<Subscription>> {
        let key = keys::channel(team, channel);
        self.digests
            .get(&key)?
            .map(|v| self.decode_row(DIGESTS, KeyIds::Prefixed(&key), &v))
            .transpose()
    }

    fn update_subscription_with(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        change: &mut dyn FnMut(Option<Subscription>) -> Decision<Option<Subscription>>,
    ) -> Result<()> {
        let key = keys::channel(team, channel);
        loop {
            let old = self.digests.get(&key)?;
            let current = match &old {
                Some(bytes) => Some(self.decode_row(DIGESTS, KeyIds::Prefixed(&key), bytes)?),
                None => None,
            };
            let Decision::Write(next) = change(current) else {
                return Ok(());
            };
            let new = next
                .as_ref()
                .map(|sub| encode_in(DIGESTS, sub))
                .transpose()?;
            if self.digests.compare_and_swap(&key, old, new)?.is_ok() {
                return Ok(());
            }
            // Someone else wrote in between: redo on their version.
        }
    }

    /// A team's digest subscriptions; one that doesn't decode is skipped.
    fn subscriptions(&self, team: &TeamId) -> Result<Vec<Subscription>> {
        let mut subs = Vec::new();
        for row in self.digests.scan_prefix(keys::team_prefix(team)) {
            let (key, value) = row?;
            subs.extend(
                self.decode_row(DIGESTS, KeyIds::Prefixed(&key), &value)
                    .ok(),
            );
        }
        Ok(subs)
    }

    /// Every digest subscription of every team, with its team; one that doesn't decode is
    /// skipped.
    fn all_subscriptions(&self) -> Result<Vec<(TeamId, Subscription)>> {
        let mut subs = Vec::new();
        for row in self.digests.iter() {
            let (key, value) = row?;
            let ids = KeyIds::Prefixed(&key);
            let Some((team, _)) = keys::split_team(&key) else {
                self.undecodable_row(DIGESTS, &ids, &CodecError::Key("no team id"));
                continue;
            };
            if let Ok(sub) = self.decode_row(DIGESTS, ids, &value) {
                subs.push((team, sub));
            }
        }
        Ok(subs)
    }
}

impl SledStore {
    /// Writes a subscription as it is, without compare-and-swap: for tests that race
    /// [`Digests::update_subscription_with`] with a write of their own.
    #[doc(hidden)]
    pub fn put_subscription(&self, team: &TeamId, sub: &Subscription) -> Result<()> {
        self.digests.insert(
            keys::channel(team, &sub.channel.id),
            encode_in(DIGESTS, sub)?,
        )?;
        Ok(())
    }
}
