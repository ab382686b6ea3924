//! A [`Doc`] as Block Kit JSON, cut to fit Slack's limits.
//!
//! Limits (Slack's, checked in tests): 50 blocks in a message, 100 in a modal or Home tab;
//! section text 3,000 characters, field 2,000, 10 fields a section; header 150; button label
//! 75; action_id and value 255 and 2,000. Text past a limit is cut with an ellipsis rather
//! than rejected by Slack.

use super::{Button, Doc, Element};
use serde_json::{json, Value};

pub const MAX_MESSAGE_BLOCKS: usize = 50;
pub const MAX_VIEW_BLOCKS: usize = 100;
pub const MAX_SECTION_CHARS: usize = 3000;
pub const MAX_FIELD_CHARS: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER_CHARS: usize = 150;
pub const MAX_BUTTON_LABEL_CHARS: usize = 75;
pub const MAX_ACTION_ID_CHARS: usize = 255;
pub const MAX_BUTTON_VALUE_CHARS: usize = 2000;
pub const MAX_CONTEXT_CHARS: usize = 2000;
pub const MAX_ACTION_ELEMENTS: usize = 25;

/// The blocks of a message (at most [`MAX_MESSAGE_BLOCKS`]).
pub fn message_blocks(doc: &Doc) -> Vec<Value> {
    blocks(doc, MAX_MESSAGE_BLOCKS)
}

/// The blocks of a modal or the Home tab (at most [`MAX_VIEW_BLOCKS`]).
pub fn view_blocks(doc: &Doc) -> Vec<Value> {
    blocks(doc, MAX_VIEW_BLOCKS)
}

fn blocks(doc: &Doc, max: usize) -> Vec<Value> {
    let mut buttons = 0;
    let mut out: Vec<Value> = doc
        .elements
        .iter()
        .filter_map(|e| block(e, &mut buttons))
        .collect();
    if out.len() > max {
        out.truncate(max - 1);
        out.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "…and more: `/tlm summary` or the App Home has the rest."}]
        }));
    }
    out
}

fn block(element: &Element, buttons_so_far: &mut usize) -> Option<Value> {
    Some(match element {
        Element::Header(text) => json!({"type": "header", "text": plain(text, MAX_HEADER_CHARS)}),
        Element::Section(text) => {
            json!({"type": "section", "text": mrkdwn(text, MAX_SECTION_CHARS)})
        }
        Element::Fields(fields) if fields.is_empty() => return None,
        Element::Fields(fields) => json!({
            "type": "section",
            "fields": fields.iter().take(MAX_FIELDS).map(|f| mrkdwn(f, MAX_FIELD_CHARS)).collect::<Vec<_>>()
        }),
        Element::Context(text) => {
            json!({"type": "context", "elements": [mrkdwn(text, MAX_CONTEXT_CHARS)]})
        }
        Element::Divider => json!({"type": "divider"}),
        Element::Actions(buttons) if buttons.is_empty() => return None,
        Element::Actions(buttons) => json!({
            "type": "actions",
            "elements": buttons.iter().take(MAX_ACTION_ELEMENTS).map(|b| {
                *buttons_so_far += 1;
                button(b, *buttons_so_far)
            }).collect::<Vec<_>>()
        }),
    })
}

fn button(b: &Button, index: usize) -> Value {
    // Slack wants action_ids unique within a block, and the same action under two nudges
    // would read ambiguously in logs, so every button gets the message-wide count appended;
    // the handler matches on the part before the colon.
    let action_id = truncate(&format!("{}:{index}", b.action_id), MAX_ACTION_ID_CHARS);
    let mut v = json!({
        "type": "button",
        "text": plain(&b.label, MAX_BUTTON_LABEL_CHARS),
        "action_id": action_id,
        "value": truncate(&b.value, MAX_BUTTON_VALUE_CHARS),
    });
    if b.primary {
        v["style"] = json!("primary");
    }
    v
}

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": truncate(text, max), "emoji": true})
}

fn mrkdwn(text: &str, max: usize) -> Value {
    json!({"type": "mrkdwn", "text": truncate(text, max)})
}

/// At most `max` characters, cut with an ellipsis; never splits a character.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
