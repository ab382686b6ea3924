//! Turning use-case results into what people read.
//!
//! Two steps, so every message is written once: [`reply`], [`summary`] and [`nudge`] write
//! the words into a neutral [`Doc`] (Slack mrkdwn inside); [`blocks`] turns a `Doc` into
//! Block Kit JSON within Slack's limits, and [`text`] into terminal text.

pub mod blocks;
pub mod calendar;
mod doc;
pub mod github;
pub mod modals;
pub mod nudge;
pub mod reply;
pub mod summary;
pub mod text;

pub use doc::{escape, Button, Doc, Element};
