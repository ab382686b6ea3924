//! Builders for the neutral [`Doc`] both renderers read (its data lives in
//! [`crate::domain::doc`], since the outbox stores it), and mrkdwn escaping.

pub use crate::domain::doc::{Button, Doc, Element};

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
