//! The `/tlm` parser: any text (arbitrary, or built from command words, numbers, mentions,
//! dates, times, options, entities, odd whitespace and very long words) parses without a
//! panic, to a command whose values are in range or to an error naming its command in one
//! short line; well-formed commands parse to exactly what they say.

use super::{property, run_target};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::sample::select;
use twohats::command::{
    parse, Command, CommandName, DigestAction, ParseError, PauseSpec, QuickCheckin,
};
use twohats::domain::checkin::{EngKind, FireKind, MAX_TEXT_CHARS};
use twohats::domain::ids::{ChannelId, ChannelRef, Person, UserId};
use twohats::domain::job::JobKind;
use twohats::domain::nudge::NudgeKind;
use twohats::domain::schedule::ScheduleSpec;
use twohats::domain::values::{Energy, Field, Note, Percent};

/// Every word a command can start with, in the spellings people use.
const COMMAND_WORDS: &[&str] = &[
    "help", "checkin", "1on1", "1:1", "oneonone", "team", "win", "cp", "fire", "summary", "target",
    "tz", "schedule", "pause", "resume", "digest", "export", "forget", "snooze", "CHECKIN",
    "CheckIn", "OneOnOne", "Pause", "SNOOZE", "check-in", "1on1s", "halp",
];

/// Words that mean something after some command.
const KEYWORDS: &[&str] = &[
    "add",
    "remove",
    "every",
    "on",
    "off",
    "clear",
    "incident",
    "people",
    "until",
    "confirm",
    "join",
    "leave",
    "checkin",
    "check-in",
    "summary",
    "cp",
    "CP",
    "energy",
    "fires",
    "1on1",
    "balance",
    "team",
    "wins",
    "weekdays",
    "weekends",
    "daily",
    "mon",
    "fri",
    "mon-fri",
    "fri-mon",
    "mon,thu",
    "at",
    "--public",
    "—public",
    "–public",
    "--PUBLIC",
    "note=",
    "d",
    "w",
    "days",
    "weeks",
    "wk",
    "day",
    "week",
    "*",
    "*/15",
    "1-5/2",
    "jan",
    "sun",
    "7",
    "0",
    "confirm please",
    "UTC",
    "Europe/Berlin",
    "america/new_york",
    "America/New",
    "York",
    "berlin",
    "Mars/Olympus",
    "Etc/GMT+5",
    "EST5EDT",
];

/// Odd characters: entities, mention and option syntax, quotes, controls, RTL, combining.
const ODD: &[&str] = &[
    "&lt;",
    "&gt;",
    "&amp;",
    "&amp;lt;",
    "&",
    "<",
    ">",
    "|",
    "=",
    "%",
    "`",
    "```",
    "*",
    "_",
    "~",
    "\\",
    "\"",
    "'",
    ",",
    ":",
    "-",
    "+",
    ".",
    "/",
    "é",
    "🙂",
    "👩‍💻",
    "\u{202e}",
    "e\u{301}",
    "\u{200b}",
    "\u{feff}",
    "\0",
    "\u{7f}",
    "İ",
    "ß",
    "ﬃ",
    "Σ",
    "\u{10ffff}",
    "<@",
    "<#",
    "<!",
    "<@U1",
    "<@U1|",
    "<#C1|",
    "@bob",
    "#team",
];

/// Separators, including every kind of whitespace Rust splits on, and none at all.
const SPACES: &[&str] = &[
    " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2028}", "\u{85}",
    "\u{2003}", "\u{b}", "",
];

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..=110).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "[0-9]{15,40}",
        1 => (0u32..=200, select(vec!["%", ".5", ",0", "e2", "-", "+"]))
            .prop_map(|(n, s)| format!("{n}{s}")),
        1 => (0u32..=120).prop_map(|n| format!("+{n}")),
        1 => (0u32..=120).prop_map(|n| format!("0{n}")),
    ]
}

fn length() -> impl Strategy<Value = String> {
    let count = prop_oneof![
        4 => (0u64..=400).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => "[0-9]{20,30}",
    ];
    (
        count,
        select(vec![
            "d", "w", "D", "W", "days", "weeks", "wk", "wks", "day", "week", "Weeks", "", " d",
            " weeks", "x", "dd",
        ]),
    )
        .prop_map(|(n, unit)| format!("{n}{unit}"))
}

fn slack_id(prefix: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Z0-9]{1,12}".prop_map(move |s| format!("{prefix}{s}")),
        1 => "[a-z0-9]{1,12}",
        1 => "[A-Z0-9]{31,40}",
        1 => Just(String::new()),
        1 => "[A-Z0-9 _.-]{1,8}",
        1 => "\\PC{1,6}",
    ]
}

fn label() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[a-z.]{1,12}",
        "\\PC{0,12}",
        "[a-z]{1,6} [a-z]{1,6}",
        Just("a>b".to_string()),
        Just(String::new()),
    ])
}

fn mention() -> impl Strategy<Value = String> {
    let sigil = select(vec!["@", "#", "!"]);
    (sigil, slack_id("U"), label(), any::<bool>()).prop_map(|(sigil, id, label, closed)| {
        let mut text = format!("<{sigil}{id}");
        if let Some(label) = label {
            text.push('|');
            text.push_str(&label);
        }
        if closed {
            text.push('>');
        }
        text
    })
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1900i32..=2100, 1u32..=12, 1u32..=31)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => (0i32..=9999, 0u32..=99, 0u32..=99)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => select(vec![
            "2026-02-29", "2028-02-29", "2026-02-30", "0000-01-01", "9999-12-31",
            "2026-1-1", "2026/01/01", "26-01-01", "2026-01-01T00:00", "２０２６-０１-０１",
            "+2026-01-01", "-2026-01-01", "2026-01-0a", "tomorrow",
        ]).prop_map(str::to_string),
    ]
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..=25, 0u32..=61).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
        1 => (0u32..=9, 0u32..=59).prop_map(|(h, m)| format!("{h}:{m:02}")),
        1 => select(vec![
            "24:00", "9:5", "09:", ":30", "9:30am", "16:00:00", "1:2:3", "００:００", "-1:30",
            "99999999999:00",
        ]).prop_map(str::to_string),
    ]
}

fn cron_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        (0u32..=70).prop_map(|n| n.to_string()),
        (0u32..=70, 0u32..=70).prop_map(|(a, b)| format!("{a}-{b}")),
        (0u32..=70).prop_map(|s| format!("*/{s}")),
        (0u32..=70, 0u32..=70, 0u32..=70).prop_map(|(a, b, s)| format!("{a}-{b}/{s}")),
        (0u32..=70, 0u32..=70).prop_map(|(a, s)| format!("{a}/{s}")),
        (0u32..=70, 0u32..=70).prop_map(|(a, b)| format!("{a},{b}")),
        select(vec![
            "mon",
            "MON-FRI",
            "sun-sat",
            "jan",
            "dec-jan",
            "?",
            "L",
            "W",
            "#",
            "1#2",
            ",",
            "--",
            "*/",
            "/5",
            "4294967296",
            "18446744073709551616",
            "*/0",
        ])
        .prop_map(str::to_string),
    ]
}

fn cron() -> impl Strategy<Value = String> {
    prop::collection::vec(cron_field(), 4..=7).prop_map(|f| f.join(" "))
}

fn zone() -> impl Strategy<Value = String> {
    (
        select(chrono_tz::TZ_VARIANTS.to_vec()),
        select(vec![0u8, 1, 2, 3]),
    )
        .prop_map(|(zone, how)| {
            let name = zone.name();
            match how {
                0 => name.to_string(),
                1 => name.to_lowercase(),
                2 => name.replace('_', " "),
                _ => name.rsplit('/').next().unwrap_or(name).to_string(),
            }
        })
}

fn option() -> impl Strategy<Value = String> {
    let key = select(vec![
        "energy",
        "ENERGY",
        "fire",
        "fires",
        "kind",
        "kinds",
        "note",
        "mood",
        "x",
        "a_very_long_option_word",
        "",
    ]);
    let value = prop_oneof![
        number(),
        prop::collection::vec(
            select(vec![
                "incident", "people", "core", "review", "design", "pairing", "tooling", "Pairing",
                "flood", "", " ",
            ]),
            0..4
        )
        .prop_map(|v| v.join(",")),
        "\\PC{0,8}",
    ];
    (key, value).prop_map(|(k, v)| format!("{k}={v}"))
}

fn long_word() -> impl Strategy<Value = String> {
    (
        select(vec!["x", "é", "🙂", "&amp;", "a b", "`"]),
        prop_oneof![
            Just(MAX_TEXT_CHARS - 1),
            Just(MAX_TEXT_CHARS),
            Just(MAX_TEXT_CHARS + 1),
            100usize..3000,
        ],
    )
        .prop_map(|(unit, n)| unit.repeat(n))
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(KEYWORDS.to_vec()).prop_map(str::to_string),
        2 => select(COMMAND_WORDS.to_vec()).prop_map(str::to_string),
        4 => number(),
        3 => length(),
        4 => mention(),
        3 => date(),
        2 => time(),
        1 => cron(),
        2 => zone(),
        3 => option(),
        3 => select(ODD.to_vec()).prop_map(str::to_string),
        3 => "[a-zA-Z]{1,10}",
        2 => "\\PC{1,10}",
        1 => ".{1,6}",
        1 => long_word(),
    ]
}

/// Text the way a person (or a hostile client) might type it after `/tlm`.
fn text() -> impl Strategy<Value = String> {
    let first = prop_oneof![
        8 => select(COMMAND_WORDS.to_vec()).prop_map(str::to_string),
        1 => token(),
        1 => Just(String::new()),
    ];
    let rest = prop::collection::vec((select(SPACES.to_vec()), token()), 0..10);
    (
        select(SPACES.to_vec()),
        first,
        rest,
        select(SPACES.to_vec()),
    )
        .prop_map(|(lead, first, rest, trail)| {
            let mut text = format!("{lead}{first}");
            for (space, token) in rest {
                text.push_str(
                    if space.is_empty() && text.ends_with(char::is_alphanumeric) {
                        " "
                    } else {
                        space
                    },
                );
                text.push_str(&token);
            }
            text.push_str(trail);
            text
        })
}

/// Any text at all: arbitrary characters, controls included, and arbitrary bytes read lossily.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,200}",
        ".{0,100}",
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        (select(COMMAND_WORDS.to_vec()), ".{0,80}").prop_map(|(w, rest)| format!("{w} {rest}")),
    ]
}

fn fail(why: String) -> TestCaseError {
    TestCaseError::fail(why)
}

/// What every parse of `text` must satisfy.
fn check_any(text: &str) -> Result<(), TestCaseError> {
    let parsed = parse(text);
    match &parsed {
        Err(error) => check_error(text, error)?,
        Ok(command) => check_command(command)?,
    }
    // Surrounding whitespace never matters.
    prop_assert_eq!(&parse(&format!(" \t{text}\n ")), &parsed, "padded");
    // Nor how the command word is capitalized.
    let trimmed = text.trim_start();
    let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let first = &trimmed[..end];
    if CommandName::from_word(first).is_some() {
        let upper = format!("{}{}", first.to_ascii_uppercase(), &trimmed[end..]);
        prop_assert_eq!(&parse(&upper), &parsed, "upper-cased command word");
    }
    Ok(())
}

/// An error names the command the text starts with and says why in one short line whose
/// code spans the user's text can't break out of.
fn check_error(text: &str, error: &ParseError) -> Result<(), TestCaseError> {
    let first = text.split_whitespace().next().unwrap_or_default();
    let expected = CommandName::from_word(first);
    prop_assert!(
        expected.is_some(),
        "only a known command word can fail: {:?}",
        error
    );
    prop_assert_eq!(error.command, expected, "the error names its command");
    let message = &error.message;
    prop_assert!(!message.trim().is_empty(), "an empty message");
    prop_assert!(
        !message.contains(['\n', '\r', '\0']),
        "one line: {:?}",
        message
    );
    prop_assert!(
        message.matches('`').count() % 2 == 0,
        "unbalanced code spans: {:?}",
        message
    );
    let chars = message.chars().count();
    prop_assert!(chars <= 320, "{} characters: {:?}", chars, message);
    prop_assert_eq!(error.to_string(), message.clone());
    Ok(())
}

fn check_person(person: &Person) -> Result<(), TestCaseError> {
    prop_assert!(UserId::parse(person.id.as_str()).is_ok());
    prop_assert!(
        person.label.as_deref() != Some(""),
        "an empty label is none"
    );
    Ok(())
}

fn check_free_text(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(!text.trim().is_empty(), "empty free text");
    prop_assert!(
        text.chars().count() <= MAX_TEXT_CHARS,
        "{} chars",
        text.len()
    );
    Ok(())
}

/// A stored schedule is re-parsed from its source when read back: it must come back equal,
/// or the record holding it would be undecodable.
fn check_spec(spec: &ScheduleSpec) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        &ScheduleSpec::parse(spec.source()).map_err(|e| fail(e.to_string()))?,
        spec
    );
    let json = serde_json::to_string(spec).map_err(|e| fail(e.to_string()))?;
    let back: ScheduleSpec = serde_json::from_str(&json).map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(&back, spec);
    prop_assert!(!spec.describe().is_empty());
    Ok(())
}

/// Every value a command carries is one the app can store as it is.
fn check_command(command: &Command) -> Result<(), TestCaseError> {
    match command {
        Command::Help {
            unknown: Some(word),
        } => {
            prop_assert!(!word.is_empty() && word.chars().count() <= 41, "{:?}", word);
            // The help quotes it in a code span.
            prop_assert!(
                !word.contains('`') && !word.contains(char::is_control),
                "{:?}",
                word
            );
        }
        Command::Checkin(c) => {
            prop_assert!(c.eng_pct.get() <= 100);
            prop_assert!(c.energy.is_none_or(|e| (1..=5).contains(&e.get())));
            if let Some(note) = &c.note {
                check_free_text(note.as_str())?;
            }
            let mut fires = c.fires.clone();
            fires.dedup();
            prop_assert_eq!(fires.len(), c.fires.len(), "duplicate fires");
            prop_assert!(c.kinds.len() <= EngKind::ALL.len());
        }
        Command::OneOnOne { with, .. } => check_person(with)?,
        Command::TeamAdd {
            people,
            cadence_days,
        } => {
            prop_assert!(!people.is_empty());
            prop_assert!(cadence_days.is_none_or(|d| (1..=90).contains(&d)));
            for (i, p) in people.iter().enumerate() {
                check_person(p)?;
                prop_assert!(people[..i].iter().all(|q| q.id != p.id), "duplicate people");
            }
        }
        Command::TeamRemove { people } => {
            prop_assert!(!people.is_empty());
            for p in people {
                check_person(p)?;
            }
        }
        Command::Win { text, .. } => check_free_text(text)?,
        Command::CpOn { what: Some(what) } => check_free_text(what)?,
        Command::Target(pct) => prop_assert!(pct.get() <= 100),
        Command::Schedule {
            spec: Some(spec), ..
        } => check_spec(spec)?,
        Command::Pause(PauseSpec::Days(days)) => prop_assert!((1..=365).contains(days)),
        Command::Digest { channel, action } => {
            prop_assert!(ChannelId::parse(channel.id.as_str()).is_ok());
            prop_assert!(channel.name.as_deref() != Some(""));
            if let DigestAction::Subscribe(Some(spec)) = action {
                check_spec(spec)?;
            }
        }
        Command::Snooze { days, .. } => prop_assert!((1..=90).contains(days)),
        _ => {}
    }
    Ok(())
}

// ---- well-formed commands and what they must parse to ----

fn person() -> impl Strategy<Value = (String, Person)> {
    ("[UW][A-Z0-9]{1,10}", prop::option::of("[a-z][a-z.]{0,10}")).prop_map(|(id, label)| {
        let text = match &label {
            Some(l) => format!("<@{id}|{l}>"),
            None => format!("<@{id}>"),
        };
        let person = Person {
            id: UserId::parse(&id).unwrap(),
            label,
        };
        (text, person)
    })
}

/// Free text that doesn't start with an option word, as Slack escapes it, and as stored.
fn note() -> impl Strategy<Value = (String, String)> {
    let word = prop_oneof![
        3 => "[a-z]{1,8}",
        1 => "\\PC{1,6}",
        1 => select(vec!["&lt;", "&gt;", "&amp;", "&amp;lt;", "2+2=4", "é", "🙂", "--public?"])
            .prop_map(str::to_string),
    ];
    (
        "[a-z]{2,8}",
        prop::collection::vec((select(vec![" ", "  ", "\t", "\n"]), word), 0..8),
    )
        .prop_map(|(first, rest)| {
            let mut sent = first;
            for (space, word) in rest {
                sent.push_str(space);
                sent.push_str(&word);
            }
            let sent = sent.trim().to_string();
            let stored = sent
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            (sent, stored)
        })
        .prop_filter("a note that isn't an option", |(sent, _)| {
            let first = sent.split_whitespace().next().unwrap_or_default();
            !first.eq_ignore_ascii_case("cp") && !first.contains('=')
        })
        .prop_filter("not a --public flag", |(sent, _)| {
            !sent
                .split_whitespace()
                .any(|w| ["--public", "—public", "–public"].contains(&w.to_lowercase().as_str()))
        })
        .prop_filter("within the limit", |(_, stored)| {
            !stored.trim().is_empty() && stored.chars().count() <= MAX_TEXT_CHARS
        })
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (1970i32..=2100, 1u32..=366).prop_filter_map("a real day", |(y, ordinal)| {
        NaiveDate::from_yo_opt(y, ordinal)
    })
}

fn spaced(words: &[String]) -> String {
    words.join(" ")
}

fn well_formed() -> impl Strategy<Value = (String, Command)> {
    let checkin = (
        0u8..=100,
        any::<bool>(),
        prop::option::of(1u8..=5),
        any::<bool>(),
        prop::sample::subsequence(FireKind::ALL.to_vec(), 0..=2),
        prop::sample::subsequence(EngKind::ALL.to_vec(), 0..=5),
        prop::option::of(note()),
    )
        .prop_map(|(eng, percent, energy, cp, fires, kinds, note)| {
            let mut words = vec![
                "checkin".to_string(),
                format!("{eng}{}", if percent { "%" } else { "" }),
            ];
            words.extend(energy.map(|e| format!("energy={e}")));
            if cp {
                words.push("cp".into());
            }
            if !fires.is_empty() {
                let names: Vec<_> = fires.iter().map(|f| f.name()).collect();
                words.push(format!("fire={}", names.join(",")));
            }
            if !kinds.is_empty() {
                let names: Vec<_> = kinds.iter().map(|k| k.name()).collect();
                words.push(format!("kind={}", names.join(",")));
            }
            let stored = note.as_ref().map(|(sent, stored)| {
                words.push(sent.clone());
                stored.clone()
            });
            let command = Command::Checkin(QuickCheckin {
                eng_pct: Percent::new(eng, Field::EngPct).unwrap(),
                energy: energy.map(|e| Energy::parse(&e.to_string(), "").unwrap()),
                critical_path: cp,
                fires,
                kinds,
                note: stored.map(|n| Note::new(n).unwrap()),
            });
            (spaced(&words), command)
        });
    let one_on_one = (person(), prop::option::of(day())).prop_map(|((text, with), date)| {
        let mut line = format!("1on1 {text}");
        if let Some(d) = date {
            line.push_str(&format!(" {}", d.format("%Y-%m-%d")));
        }
        (line, Command::OneOnOne { with, date })
    });
    let team = (
        prop::collection::vec(person(), 1..6),
        prop::option::of(prop_oneof![
            (1u32..=90).prop_map(|d| (format!("{d}d"), d)),
            (1u32..=12).prop_map(|w| (format!("{w} weeks"), w * 7)),
        ]),
        any::<bool>(),
    )
        .prop_map(|(people, cadence, add)| {
            let mut unique: Vec<Person> = Vec::new();
            for (_, p) in &people {
                if !unique.iter().any(|q| q.id == p.id) {
                    unique.push(p.clone());
                }
            }
            let mentions: Vec<String> = people.into_iter().map(|(t, _)| t).collect();
            if add {
                let mut line = format!("team add {}", mentions.join(" "));
                if let Some((text, _)) = &cadence {
                    line.push_str(&format!(" every {text}"));
                }
                let command = Command::TeamAdd {
                    people: unique,
                    cadence_days: cadence.map(|(_, d)| d),
                };
                (line, command)
            } else {
                let line = format!("team remove {}", mentions.join(" "));
                (line, Command::TeamRemove { people: unique })
            }
        });
    let win = (note(), any::<bool>()).prop_map(|((sent, stored), public)| {
        let line = if public {
            format!("win {sent} --public")
        } else {
            format!("win {sent}")
        };
        (
            line,
            Command::Win {
                text: stored,
                public,
            },
        )
    });
    let pause = prop_oneof![
        (1u32..=365).prop_map(|d| (format!("pause {d}d"), Command::Pause(PauseSpec::Days(d)))),
        (1u32..=52).prop_map(|w| (
            format!("pause {w} weeks"),
            Command::Pause(PauseSpec::Days(w * 7))
        )),
        day().prop_map(|d| (
            format!("pause until {}", d.format("%Y-%m-%d")),
            Command::Pause(PauseSpec::Until(d))
        )),
    ];
    let snooze = (select(NudgeKind::ALL.to_vec()), 1u32..=90).prop_map(|(kind, days)| {
        (
            format!("snooze {} {days}d", kind.name()),
            Command::Snooze { kind, days },
        )
    });
    let target = (0u8..=100).prop_map(|t| {
        let pct = Percent::new(t, Field::Target).unwrap();
        (format!("target {t}%"), Command::Target(pct))
    });
    let tz = select(chrono_tz::TZ_VARIANTS.to_vec())
        .prop_map(|zone| (format!("tz {}", zone.name()), Command::Tz(zone)));
    let schedule = (
        select(vec![JobKind::Checkin, JobKind::Summary]),
        0u32..=23,
        0u32..=59,
        select(vec!["fri", "mon,thu", "weekdays", "daily", "sat-mon"]),
    )
        .prop_map(|(job, h, m, days)| {
            let when = format!("{days} {h:02}:{m:02}");
            let word = match job {
                JobKind::Checkin => "checkin",
                JobKind::Summary => "summary",
            };
            let spec = ScheduleSpec::parse(&when).unwrap();
            (
                format!("schedule {word} {when}"),
                Command::Schedule {
                    job,
                    spec: Some(spec),
                },
            )
        });
    let digest = (
        "[CG][A-Z0-9]{1,10}",
        prop::option::of("[a-z][a-z-]{0,12}"),
        select(vec!["", "off", "join", "leave", "mon 09:30"]),
    )
        .prop_map(|(id, name, action)| {
            let mention = match &name {
                Some(n) => format!("<#{id}|{n}>"),
                None => format!("<#{id}>"),
            };
            let channel = ChannelRef {
                id: ChannelId::parse(&id).unwrap(),
                name,
            };
            let action_value = match action {
                "" => DigestAction::Subscribe(None),
                "off" => DigestAction::Off,
                "join" => DigestAction::Join,
                "leave" => DigestAction::Leave,
                when => DigestAction::Subscribe(Some(ScheduleSpec::parse(when).unwrap())),
            };
            (
                format!("digest {mention} {action}"),
                Command::Digest {
                    channel,
                    action: action_value,
                },
            )
        });
    prop_oneof![
        3 => checkin,
        2 => one_on_one,
        2 => team,
        2 => win,
        1 => pause,
        1 => snooze,
        1 => target,
        1 => tz,
        1 => schedule,
        1 => digest,
    ]
}

fn check_well_formed(text: &str, expected: &Command) -> Result<(), TestCaseError> {
    let parsed = parse(text).map_err(|e| fail(format!("{text:?} refused: {e}")))?;
    prop_assert_eq!(&parsed, expected, "{:?}", text);
    check_command(&parsed)?;
    Ok(())
}

#[test]
fn fuzz_parse() {
    run_target(
        "parse",
        vec![
            property("structured", 512, text(), |t| check_any(&t)),
            property("any_text", 256, any_text(), |t| check_any(&t)),
            property("well_formed", 256, well_formed(), |(t, c)| {
                check_well_formed(&t, &c)
            }),
        ],
    );
}
