//! A [`Doc`] as terminal text: what the console prints.
//!
//! Slack's mrkdwn markup for mentions and escapes is turned back into what a person would
//! read (`<@U1|bob>` → `@bob`, `&lt;` → `<`); `*bold*` and `code` marks are kept, they read
//! fine in a terminal.

use super::{Doc, Element};

pub fn to_text(doc: &Doc) -> String {
    let mut out = Vec::new();
    for element in &doc.elements {
        match element {
            Element::Header(text) => out.push(format!("== {} ==", plain(text))),
            Element::Section(text) => out.push(plain(text)),
            Element::Fields(fields) => out.extend(fields.iter().map(|f| plain(f))),
            Element::Context(text) => out.push(format!("  ({})", plain(text))),
            Element::Divider => out.push("--".to_string()),
            Element::Actions(buttons) => {
                let labels: Vec<String> =
                    buttons.iter().map(|b| format!("[{}]", b.label)).collect();
                out.push(format!("  {}", labels.join(" ")));
            }
        }
    }
    out.join("\n")
}

/// mrkdwn to plain text: mentions to names, entities to characters.
pub fn plain(mrkdwn: &str) -> String {
    let mut out = String::with_capacity(mrkdwn.len());
    let mut rest = mrkdwn;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) => {
                out.push_str(&link_text(&after[..close]));
                rest = &after[close + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `@U1|bob` → `@bob`, `@U1` → `@U1`, `#C1|eng` → `#eng`, `url|label` → `label`.
fn link_text(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(l)),
        None => (inner, None),
    };
    match (target.chars().next(), label) {
        (Some(sigil @ ('@' | '#')), Some(label)) => format!("{sigil}{label}"),
        (_, Some(label)) => label.to_string(),
        _ => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_escapes_read_as_a_person_would() {
        assert_eq!(
            plain("No 1:1 with <@UBOB|bob> in <#C1|eng> &lt;3 &amp; <@U2>"),
            "No 1:1 with @bob in #eng <3 & @U2"
        );
        assert_eq!(plain("a < b"), "a < b");
    }
}
