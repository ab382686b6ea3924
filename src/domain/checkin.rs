//! What a TLM records: check-ins, fires and wins, with the vocabulary the `/tlm` commands use.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest note, win or critical-path description we keep, in characters.
///
/// Generous for a sentence or two, and far inside Slack's 3,000-character section limit
/// so a summary that quotes several of them still renders.
pub const MAX_TEXT_CHARS: usize = 500;

/// One check-in: how a day went, recorded on the user's local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The user's local date the check-in covers (day-weighting uses it).
    pub date: NaiveDate,
    /// When it was recorded, for ordering several check-ins on one day.
    pub at: DateTime<Utc>,
    /// Engineering share of the day, 0-100; the rest is management.
    pub eng_pct: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<u8>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub critical_path: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fires: Vec<FireKind>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<EngKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The two hats' emergencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FireKind {
    Incident,
    People,
}

impl FireKind {
    pub const ALL: [FireKind; 2] = [FireKind::Incident, FireKind::People];

    pub fn name(self) -> &'static str {
        match self {
            FireKind::Incident => "incident",
            FireKind::People => "people",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for FireKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of engineering the day held. `Core` (business logic on the critical path)
/// is the warning sign; the others are what a TLM's engineering time is best spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngKind {
    Core,
    Review,
    Design,
    Pairing,
    Tooling,
}

impl EngKind {
    pub const ALL: [EngKind; 5] = [
        EngKind::Core,
        EngKind::Review,
        EngKind::Design,
        EngKind::Pairing,
        EngKind::Tooling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EngKind::Core => "core",
            EngKind::Review => "review",
            EngKind::Design => "design",
            EngKind::Pairing => "pairing",
            EngKind::Tooling => "tooling",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EngKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fire logged with `/tlm fire` (check-ins can carry fires too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fire {
    pub kind: FireKind,
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
}

/// A win logged with `/tlm win`; public wins may appear in team digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Win {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
}
