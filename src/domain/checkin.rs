//! What a TLM records: check-ins, fires and wins, with the vocabulary the `/tlm` commands use.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest note, win or critical-path description we keep, in characters.
///
/// Generous for a sentence or two, and far inside Slack's 3,000-character section limit
/// so a summary that quotes several of them still renders.
pub const MAX_TEXT_CHARS: usize = 500;

/// Energy goes from 1 (running on empty) to 5 (plenty left).
pub const ENERGY_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

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

impl CheckIn {
    /// What is wrong with a check-in no command could have recorded (one read back from a
    /// damaged or hand-edited store), if anything: an `eng_pct` over 100 would index past
    /// the sparkline's bars and underflow "100 - share".
    pub fn problem(&self) -> Option<&'static str> {
        if self.eng_pct > 100 {
            Some("a check-in's eng_pct is over 100")
        } else if self.energy.is_some_and(|e| !ENERGY_RANGE.contains(&e)) {
            Some("a check-in's energy is outside 1-5")
        } else if too_long(self.note.as_deref()) {
            Some("a check-in's note is too long")
        } else {
            None
        }
    }
}

/// Longer than any command accepts.
pub fn too_long(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
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

impl Win {
    /// What is wrong with a win no command could have recorded, if anything.
    pub fn problem(&self) -> Option<&'static str> {
        too_long(Some(&self.text)).then_some("a win's text is too long")
    }
}
