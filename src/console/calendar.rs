//! The console's calendar refresh: `:calendar` fetches the current user's feed now (still at
//! most hourly, by the console's clock), and `:tick` does the same before replaying fires,
//! as `serve`'s refresh task would have. Offers ("Is this your 1:1 with @bob?") print as the
//! DM they would be, answered with `/tlm calendar yes|no @bob`.

use super::{ConsoleError, Session};
use crate::app::FetchPolicy;
use crate::app::Refreshed;
use crate::render::calendar::offer_doc;
use crate::render::text::to_text;

impl Session {
    /// Refreshes the current user's calendar and says what happened; `quiet` leaves out the
    /// "nothing to do" answers (for `:tick`).
    pub(super) fn refresh_calendar(&self, quiet: bool) -> Result<String, ConsoleError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let now = self.clock_now();
        let refreshed = runtime.block_on(self.app.refresh_calendar(
            &self.actor.scope,
            now,
            &FetchPolicy::from_env(),
        ))?;
        Ok(match refreshed {
            Refreshed::NotLinked if quiet => String::new(),
            Refreshed::NotLinked => {
                "No calendar linked: `/tlm calendar <secret iCal address>`.".into()
            }
            Refreshed::TooSoon if quiet => String::new(),
            Refreshed::TooSoon => "The calendar was read less than an hour ago.".into(),
            Refreshed::Failed => "The calendar couldn't be read; the last figures stay.".into(),
            Refreshed::Unchanged if quiet => String::new(),
            Refreshed::Unchanged => "The calendar hasn't changed.".into(),
            Refreshed::Updated { offered, logged } => {
                let mut lines = vec![format!(
                    "Calendar read{}.",
                    match logged {
                        0 => String::new(),
                        1 => ": 1 1:1 logged from it".into(),
                        n => format!(": {n} 1:1s logged from it"),
                    }
                )];
                for offer in offered {
                    lines.push(format!("→ DM:\n{}", to_text(&offer_doc(&offer.with))));
                }
                lines.join("\n")
            }
        })
    }
}
