//! Splitting the text into words, and the [`Input`] every command parser reads from: the
//! words after the command word, the original text for free text, and how to refuse.

use super::ParseError;
use crate::command::CommandName;
use crate::domain::echo::echo;
use crate::domain::values::{check_length, Field, Refusal};

/// A word of the text and its byte offset, so free text can be taken verbatim from there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Word<'a> {
    pub(super) at: usize,
    pub(super) text: &'a str,
}

/// Splits on any whitespace, except that a Slack mention (`<@…>`, `<#…>`, `<!…>`) is one
/// word even if its label contains spaces.
pub(super) fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find(|c: char| !c.is_whitespace()) {
        let start = at + offset;
        let rest = &text[start..];
        let mention = ["<@", "<#", "<!"].iter().any(|p| rest.starts_with(p));
        let mut len = if mention {
            rest.find('>').map_or(0, |p| p + 1)
        } else {
            0
        };
        len += rest[len..]
            .find(char::is_whitespace)
            .unwrap_or(rest.len() - len);
        out.push(Word {
            at: start,
            text: &rest[..len],
        });
        at = start + len;
    }
    out
}

/// The command being parsed: its name (for errors), the whole text, and the words after
/// the command word.
pub(super) struct Input<'a> {
    pub(super) name: CommandName,
    pub(super) text: &'a str,
    pub(super) words: &'a [Word<'a>],
}

impl<'a> Input<'a> {
    pub(super) fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            command: Some(self.name),
            message: message.into(),
            field: None,
        }
    }

    pub(super) fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(self.error(message))
    }

    /// A refusal about one input, which a form can show under that field.
    pub(super) fn error_on(&self, field: Field, message: impl Into<String>) -> ParseError {
        ParseError {
            field: Some(field),
            ..self.error(message)
        }
    }

    pub(super) fn fail_on<T>(
        &self,
        field: Field,
        message: impl Into<String>,
    ) -> Result<T, ParseError> {
        Err(self.error_on(field, message))
    }

    /// A value's own refusal, for this command.
    pub(super) fn refused(&self, refusal: Refusal) -> ParseError {
        self.error_on(refusal.field, refusal.message)
    }

    /// The original text from `word` to the end, inner spacing kept.
    pub(super) fn rest_from(&self, word: &Word<'_>) -> &'a str {
        self.text.get(word.at..).unwrap_or_default().trim()
    }

    pub(super) fn no_args(&self) -> Result<(), ParseError> {
        match self.words.first() {
            None => Ok(()),
            Some(extra) => self.fail(format!(
                "`/tlm {}` doesn't take anything after it, so I stopped at `{}`.",
                self.name.word(),
                echo(extra.text)
            )),
        }
    }

    /// Free text is counted as Slack sent it, entities and all, as the renderer will send
    /// it back.
    pub(super) fn check_length(&self, what: &str, text: &str) -> Result<(), ParseError> {
        check_length(what, text).map_err(|m| self.error(m))
    }
}

/// Free text as the user typed it. Slack sends `&`, `<` and `>` as HTML entities; we store
/// the characters, and the renderer escapes them again wherever text becomes mrkdwn.
pub(super) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

pub(super) fn is(word: &Word<'_>, expected: &str) -> bool {
    word.text.eq_ignore_ascii_case(expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse::testing::*;

    #[test]
    fn words_keep_their_offsets_and_mentions_their_spaces() {
        let text = "add <@U3|Ana María>\tevery 7d";
        let split: Vec<(usize, &str)> = words(text).iter().map(|w| (w.at, w.text)).collect();
        assert_eq!(
            split,
            vec![
                (0, "add"),
                (4, "<@U3|Ana María>"),
                (21, "every"),
                (27, "7d")
            ]
        );
        assert_eq!(unescape("&amp;lt;"), "&lt;");
    }

    #[test]
    fn a_mention_label_with_spaces_is_one_word() {
        assert_eq!(
            ok("team add <@U3|Ana María> every 7d"),
            Command::TeamAdd {
                people: vec![user("U3", Some("Ana María"))],
                cadence_days: Some(7)
            }
        );
    }

    #[test]
    fn only_slack_mentions_are_grouped_across_spaces() {
        let Command::Win { text, public } = ok("win <3 to the team --public >") else {
            panic!()
        };
        assert_eq!((text.as_str(), public), ("<3 to the team >", true));
    }

    #[test]
    fn free_text_is_stored_unescaped() {
        let Command::Win { text, .. } = ok("win fixed a &lt;div&gt; &amp; wrote &amp;lt;") else {
            panic!("a win")
        };
        assert_eq!(text, "fixed a <div> & wrote &lt;");
    }
}
