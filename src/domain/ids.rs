//! Slack identifiers and the (team, user) scope every read and write is keyed by.
//!
//! Ids are validated once, here, so the store can use them as key bytes without escaping:
//! a valid id is 1 to 32 ASCII letters or digits, which never contains the key separator.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a usable Slack id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Slack id (expected letters and digits, like U024BE7LH)")]
pub struct InvalidId(pub String);

fn validate(raw: &str) -> Result<String, InvalidId> {
    let ok = !raw.is_empty() && raw.len() <= 32 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(raw.to_ascii_uppercase())
    } else {
        // Quoted in replies and logs: cut and cleaned like any other user text.
        Err(InvalidId(crate::domain::echo::echo(raw)))
    }
}

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a Slack id.
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                validate(raw).map(Self)
            }
            /// The id as Slack spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, InvalidId> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id!(
    /// A Slack workspace (`T…`).
    TeamId
);
slack_id!(
    /// A Slack user (`U…` or `W…`).
    UserId
);
slack_id!(
    /// A Slack channel (`C…`, `G…`, `D…`).
    ChannelId
);

/// The (team, user) pair taken from a verified request; every per-user key starts with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub team: TeamId,
    pub user: UserId,
}

impl Scope {
    pub fn new(team: TeamId, user: UserId) -> Self {
        Self { team, user }
    }
}

/// A person as a mention: the id, and the display label Slack sent with it, if any.
///
/// Displays as Slack mrkdwn (`<@U123|bob>`); the terminal renderer turns that into `@bob`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(label) => write!(f, "<@{}|{}>", self.id, label),
            None => write!(f, "<@{}>", self.id),
        }
    }
}

/// A channel as a mention, with the name Slack sent with it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRef {
    pub id: ChannelId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl fmt::Display for ChannelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "<#{}|{}>", self.id, name),
            None => write!(f, "<#{}>", self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_id_is_quoted_short_and_printable() {
        let long = format!("U{}\n", "X".repeat(5000));
        let message = UserId::parse(&long).unwrap_err().to_string();
        assert!(message.chars().count() < 120, "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn ids_accept_slack_shapes_and_reject_separators() {
        assert_eq!(
            UserId::parse("U024BE7LH").map(|u| u.to_string()),
            Ok("U024BE7LH".into())
        );
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("U1\0").is_err());
        assert!(UserId::parse("U 1").is_err());
        assert!(TeamId::parse(&"T".repeat(33)).is_err());
    }

    #[test]
    fn a_person_displays_as_a_slack_mention() {
        let bob = Person {
            id: UserId::parse("U1").unwrap(),
            label: Some("bob".into()),
        };
        assert_eq!(bob.to_string(), "<@U1|bob>");
    }
}
