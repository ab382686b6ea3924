//! What a message says and how it is laid out: a list of elements shaped like Block Kit's,
//! with text in Slack mrkdwn. `render` writes the words into a [`Doc`] and turns it into Block
//! Kit or terminal text; the outbox stores a composed [`Doc`] as it is until it is sent, so a
//! message says what it said when it was claimed.
//!
//! **On-disk format**: the serde shape below is what the outbox's rows hold. Renaming a
//! variant or a field breaks every queued message; `tests/it/golden.rs` pins it.

/// One element of a [`Doc`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "t", content = "c", rename_all = "snake_case")]
pub enum Element {
    Header(String),
    /// A paragraph of mrkdwn.
    Section(String),
    /// Short label/value pairs shown side by side in Slack, one per line in a terminal.
    Fields(Vec<String>),
    /// Small print.
    Context(String),
    Divider,
    Actions(Vec<Button>),
}

/// A button; `action_id` says what it does, `value` what to do it to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    pub label: String,
    pub action_id: String,
    pub value: String,
    pub primary: bool,
}

/// A message or view, plus a one-line plain-text fallback for notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Doc {
    pub fallback: String,
    pub elements: Vec<Element>,
}
