//! The neutral document both renderers read: a list of elements shaped like Block Kit's,
//! with text in Slack mrkdwn.

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

impl Doc {
    pub fn new(fallback: impl Into<String>) -> Self {
        Self {
            fallback: fallback.into(),
            elements: Vec::new(),
        }
    }

    pub fn push(&mut self, element: Element) -> &mut Self {
        self.elements.push(element);
        self
    }

    pub fn header(mut self, text: impl Into<String>) -> Self {
        self.elements.push(Element::Header(text.into()));
        self
    }

    pub fn section(mut self, text: impl Into<String>) -> Self {
        self.elements.push(Element::Section(text.into()));
        self
    }

    pub fn context(mut self, text: impl Into<String>) -> Self {
        self.elements.push(Element::Context(text.into()));
        self
    }

    /// A doc that is one paragraph: most confirmations.
    pub fn line(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(text.clone()).section(text)
    }
}

/// Escapes user-typed text for mrkdwn, so a `<` in a win can't become a mention or link.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
