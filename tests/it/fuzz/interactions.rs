//! The interactivity endpoint, from request signature to the action or submission it
//! decodes to: the real router over loopback, a fake Slack (wiremock) for the Web API calls
//! that follow the ack, and requests whose bodies are Slack's payload shapes with mutated
//! fields, random JSON, non-JSON and non-forms, signed correctly or not.
//!
//! Properties: the server always answers (200, 400, 401 or 413: never a dropped connection,
//! which is what a panic in a handler looks like); an unverified request is 401 and changes
//! nothing; a verified one is never 401; a 400 or a field-error ack stores nothing; a field
//! error names a field of the modal with a non-empty sentence. Separately, `verify` accepts
//! exactly a correct signature within the five-minute window, and never panics.

use super::{fast_tempdir, property, run_target, tally};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::sync::Arc;
use tempfile::TempDir;
use twohats::app::clock::{Clock, ManualClock};
use twohats::app::App;
use twohats::slack::bot::SlackBot;
use twohats::slack::client::SlackWebApi;
use twohats::slack::config::{Mode, ServeConfig};
use twohats::slack::incoming::Limits;
use twohats::slack::verify::{sign, verify, VerifyError, MAX_AGE_SECONDS};
use twohats::store::{RawEntry, SledStore};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Team ids the generators use (also the restore target's).
pub(super) const TEAMS: [&str; 3] = ["T0TEAM", "T0OTHER", "E0GRID"];

const SECRET: &str = "fuzz-signing-secret";

/// Requests served by one server before a fresh one (and a fresh, small store) takes over.
const SERVER_LIFETIME: u32 = 300;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap()
}

/// The real HTTP-mode router on a loopback port, over a temp store, with a fake Slack.
struct Server {
    rt: tokio::runtime::Runtime,
    base: String,
    http: reqwest::Client,
    /// The store the bot's app holds, to tell whether a request wrote anything.
    store: Arc<SledStore>,
    clock: Arc<ManualClock>,
    /// A loopback URL that answers, for `response_url`s.
    respond_url: String,
    stop: tokio::sync::watch::Sender<bool>,
    served: u32,
    _slack: MockServer,
    _dir: TempDir,
}

impl Server {
    fn start() -> Server {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let slack = rt.block_on(async {
            let slack = MockServer::builder()
                .disable_request_recording()
                .start()
                .await;
            Mock::given(any_request())
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "ok": true,
                    "channel": {"id": "D0DM"},
                    "user": {"id": "U0ANN", "tz": "UTC"},
                    "members": ["U0ANN"],
                    "upload_url": "http://127.0.0.1:9/upload",
                    "file_id": "F0FILE",
                    "files": [{"id": "F0FILE"}],
                })))
                .mount(&slack)
                .await;
            slack
        });
        let api_url = format!("{}/api", slack.uri());
        let vars = [
            ("SLACK_BOT_TOKEN", "xoxb-fuzz-token"),
            ("SLACK_SIGNING_SECRET", SECRET),
            ("SLACK_API_URL", api_url.as_str()),
            ("TWOHATS_SLACK_TIMEOUT_MS", "2000"),
        ];
        let config = ServeConfig::from_env(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .expect("configuration");
        let Mode::Http { signing_secret } = config.mode.clone() else {
            panic!("HTTP mode expected");
        };
        let api =
            SlackWebApi::with_timeouts(&config.api_url, &config.bot_token, config.slack_timeouts)
                .expect("client");
        let dir = fast_tempdir();
        let store = Arc::new(SledStore::open(dir.path()).expect("store"));
        let app = App::new(store.clone(), chrono_tz::UTC);
        let clock = Arc::new(ManualClock::new(t0()));
        let bot = SlackBot::new(app, clock.clone() as Arc<dyn Clock>, api);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let base = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            let router = twohats::slack::http::router(bot, signing_secret);
            let limits = Limits {
                timeout: std::time::Duration::from_secs(10),
                max_connections: 64,
            };
            tokio::spawn(twohats::slack::incoming::serve(
                listener, router, limits, stopped,
            ));
            format!("http://{addr}")
        });
        Server {
            rt,
            base,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .expect("client"),
            store,
            clock,
            respond_url: format!("{}/respond", slack.uri()),
            stop,
            served: 0,
            _slack: slack,
            _dir: dir,
        }
    }

    fn raw(&self) -> Vec<RawEntry> {
        let mut rows = self.store.raw_entries().expect("raw entries");
        // Seen events are the only rows a request may add without being a command; an
        // interaction adds none.
        rows.sort();
        rows
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

// ---- payloads ----

fn id_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        18 => select(vec!["U0ANN", "U0BOB", "W0CAT", "u0ann", "U0DAN"]).prop_map(Value::from),
        1 => select(vec!["", "B0BOT", "U 1", "U0ANN\u{0}", "ü", "USLACKBOT", "U-1", "../U1"])
            .prop_map(Value::from),
        1 => "[A-Z0-9]{30,40}".prop_map(Value::from),
        1 => weird_json(),
    ]
}

fn team_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        18 => select(TEAMS.to_vec()).prop_map(Value::from),
        1 => select(vec!["", "t0team", "T 0", "T0TEAM\n"]).prop_map(Value::from),
        1 => weird_json(),
    ]
}

fn user() -> impl Strategy<Value = (Value, Value)> {
    (
        id_text(),
        team_value(),
        prop::option::of("\\PC{0,20}"),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, team, name, team_in_user, team_in_team)| {
            let mut user = Map::new();
            user.insert("id".into(), id);
            if let Some(name) = name {
                user.insert("username".into(), name.clone().into());
                user.insert("name".into(), name.into());
            }
            if team_in_user {
                user.insert("team_id".into(), team.clone());
            }
            let team = if team_in_team || !team_in_user {
                json!({"id": team, "domain": "acme"})
            } else {
                Value::Null
            };
            (Value::Object(user), team)
        })
}

/// Strings that mean something to some field, and some that don't.
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (0u32..=110).prop_map(|n| n.to_string()),
        1 => select(vec![
            "", " ", "-1", "70.5", "1e2", "+5", "０", "255", "256", "18446744073709551616",
            "cp", "incident", "people", "core", "review", "design", "pairing", "tooling", "flood",
            "energy", "fires", "1on1", "balance", "team", "wins", "drift",
            "U0ANN", "U0BOB", "W0CAT", "", "2026-11-20", "2026-11-27", "2026-11-28", "2026-02-30",
            "1970-01-01", "9999-12-31", "+10000-01-01", "-0001-01-01", "2026-11-20T00:00:00",
            "Europe/Berlin", "america/new york", "Mars/Olympus", "berlin", "UTC",
            "fri 16:00", "weekdays 17:00", "0 16 * * 5", "0 0 31 2 *", "off", "OFF", "never",
            "* * * * * *", "mon 25:00", "&lt;b&gt;", "`code`", "*bold*",
        ]).prop_map(str::to_string),
        1 => "\\PC{0,40}",
        1 => (select(vec!["x", "é", "🙂", " "]), 490usize..520).prop_map(|(c, n)| c.repeat(n)),
    ]
}

fn option_value(value: String) -> Value {
    json!({"text": {"type": "plain_text", "text": "x"}, "value": value})
}

/// Values a person could have picked or typed in `block`, so that submissions get through
/// to the use cases and the store as often as they are refused.
fn plausible(block: &'static str) -> BoxedStrategy<(String, Vec<String>)> {
    let one = |s: BoxedStrategy<String>| s.prop_map(|t| (t, Vec::new())).boxed();
    let some = |names: Vec<&'static str>| {
        prop::sample::subsequence(names.clone(), 0..=names.len())
            .prop_map(|l| (String::new(), l.into_iter().map(str::to_string).collect()))
            .boxed()
    };
    match block {
        "eng" | "target" => one((0u32..=100).prop_map(|n| n.to_string()).boxed()),
        "energy" => one((1u32..=5).prop_map(|n| n.to_string()).boxed()),
        "cp" => some(vec!["cp"]),
        "fires" => some(vec!["incident", "people"]),
        "kinds" => some(vec!["core", "review", "design", "pairing", "tooling"]),
        "with" => one(select(vec!["U0BOB", "W0CAT", "U0DAN", "U0ANN"])
            .prop_map(str::to_string)
            .boxed()),
        "date" => one((0i64..90)
            .prop_map(|d| {
                (t0() - Duration::days(60) + Duration::days(d))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .boxed()),
        "tz" => one(select(vec![
            "Europe/Berlin",
            "UTC",
            "America/New_York",
            "Asia/Kolkata",
            "Pacific/Chatham",
        ])
        .prop_map(str::to_string)
        .boxed()),
        "checkin_schedule" | "summary_schedule" => one(select(vec![
            "fri 16:00",
            "weekdays 17:00",
            "0 16 * * 5",
            "off",
            "",
            "daily 09:30",
        ])
        .prop_map(str::to_string)
        .boxed()),
        _ => one("[a-zA-Z &;é🙂]{0,60}".boxed()),
    }
}

/// A block's element state, in the shape of its field, or something else.
fn element(block: &'static str) -> impl Strategy<Value = Value> {
    let any_text = (field_text(), prop::collection::vec(field_text(), 0..4));
    let texts = prop_oneof![3 => plausible(block), 1 => any_text];
    let shaped = texts.prop_map(move |(text, list)| match block {
        "eng" | "energy" | "target" => {
            json!({"type": "static_select", "selected_option": option_value(text)})
        }
        "cp" | "fires" | "kinds" => json!({
            "type": "checkboxes",
            "selected_options": list.into_iter().map(option_value).collect::<Vec<_>>(),
        }),
        "with" => json!({"type": "users_select", "selected_user": text}),
        "date" => json!({"type": "datepicker", "selected_date": text}),
        _ => json!({"type": "plain_text_input", "value": text}),
    });
    prop_oneof![
        8 => shaped,
        1 => weird_json(),
        1 => Just(json!({"type": "static_select", "selected_option": null})),
    ]
}

const BLOCKS: [&str; 12] = [
    "eng",
    "energy",
    "cp",
    "fires",
    "kinds",
    "note",
    "with",
    "date",
    "target",
    "tz",
    "checkin_schedule",
    "summary_schedule",
];

fn values() -> impl Strategy<Value = Value> {
    let blocks: Vec<_> = BLOCKS
        .iter()
        .map(|b| prop::option::weighted(0.85, element(b)).prop_map(move |e| (*b, e)))
        .collect();
    (blocks, prop::bool::weighted(0.05)).prop_map(|(blocks, wrong_action_id)| {
        let mut values = Map::new();
        for (block, element) in blocks {
            if let Some(element) = element {
                let action = if wrong_action_id { "other" } else { "value" };
                values.insert(block.to_string(), json!({ action: element }));
            }
        }
        Value::Object(values)
    })
}

fn callback() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => select(vec!["twohats.checkin", "twohats.1on1", "twohats.settings"])
            .prop_map(Value::from),
        1 => select(vec!["", "twohats.other", "TWOHATS.CHECKIN"]).prop_map(Value::from),
        1 => weird_json(),
    ]
}

fn action_id() -> impl Strategy<Value = String> {
    (
        select(vec![
            "twohats.open_checkin",
            "twohats.log_1on1",
            "twohats.open_settings",
            "twohats.snooze",
            "twohats.other",
            "",
            ":",
        ]),
        prop::option::of(prop_oneof![
            (0u32..100).prop_map(|n| n.to_string()),
            "\\PC{0,6}",
        ]),
    )
        .prop_map(|(id, suffix)| match suffix {
            Some(s) => format!("{id}:{s}"),
            None => id.to_string(),
        })
}

fn payload() -> impl Strategy<Value = Value> {
    let block_actions = (
        user(),
        action_id(),
        field_text(),
        prop::option::of(select(vec!["home", "modal"])),
        any::<bool>(),
        prop::option::of("[0-9.]{0,12}"),
    )
        .prop_map(|((user, team), action_id, value, view, respond, trigger)| {
            let mut p = json!({
                "type": "block_actions",
                "team": team,
                "user": user,
                "actions": [{"action_id": action_id, "value": value, "type": "button"}],
            });
            if let Some(view) = view {
                p["view"] = json!({"type": view, "id": "V0"});
            }
            if respond {
                p["response_url"] = Value::from("RESPOND");
            }
            if let Some(trigger) = trigger {
                p["trigger_id"] = trigger.into();
            }
            p
        });
    let submission = (user(), callback(), values(), any::<bool>()).prop_map(
        |((user, team), callback, values, with_state)| {
            let mut view = json!({"id": "V0VIEW", "type": "modal", "callback_id": callback});
            if with_state {
                view["state"] = json!({ "values": values });
            }
            json!({
                "type": "view_submission",
                "team": team,
                "user": user,
                "trigger_id": "1.2.3",
                "view": view,
            })
        },
    );
    let other = (user(), weird_type())
        .prop_map(|((user, team), kind)| json!({"type": kind, "team": team, "user": user}));
    prop_oneof![
        4 => block_actions,
        6 => submission,
        1 => other,
        1 => weird_json(),
    ]
    .prop_flat_map(|p| {
        let mutations = prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(mutation(), 1..3),
        ];
        (Just(p), mutations)
    })
    .prop_map(|(mut p, mutations)| {
        for m in mutations {
            m.apply(&mut p);
        }
        p
    })
}

fn weird_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec![
            "view_closed",
            "shortcut",
            "message_action",
            "block_suggestion",
            ""
        ])
        .prop_map(Value::from),
        weird_json(),
    ]
}

/// Any JSON, with keys Slack's payloads use so that random shapes meet the decoder's paths.
fn weird_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        select(vec!["U0ANN", "T0TEAM", "twohats.snooze", "70", "home"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "type",
            "team",
            "user",
            "id",
            "team_id",
            "actions",
            "action_id",
            "value",
            "view",
            "state",
            "values",
            "callback_id",
            "selected_option",
            "selected_options",
            "selected_user",
            "selected_date",
            "eng",
            "note",
            "with",
            "date",
            "tz",
        ])
        .prop_map(str::to_string),
        "\\PC{0,8}",
    ]
}

/// A change to one place in a payload: a node replaced by random JSON, or removed.
#[derive(Debug, Clone)]
struct PayloadMutation {
    at: proptest::sample::Index,
    to: Option<Value>,
}

fn mutation() -> impl Strategy<Value = PayloadMutation> {
    (
        any::<proptest::sample::Index>(),
        prop::option::weighted(0.8, weird_json()),
    )
        .prop_map(|(at, to)| PayloadMutation { at, to })
}

impl PayloadMutation {
    fn apply(&self, payload: &mut Value) {
        let mut count = 0;
        count_nodes(payload, &mut count);
        let mut n = self.at.index(count.max(1));
        mutate_nth(payload, &mut n, &self.to);
    }
}

fn count_nodes(v: &Value, count: &mut usize) {
    *count += 1;
    match v {
        Value::Object(m) => m.values().for_each(|v| count_nodes(v, count)),
        Value::Array(a) => a.iter().for_each(|v| count_nodes(v, count)),
        _ => {}
    }
}

/// Replaces (or, in an object, removes) the `n`th node in document order.
fn mutate_nth(v: &mut Value, n: &mut usize, to: &Option<Value>) -> bool {
    if *n == 0 {
        *v = to.clone().unwrap_or(Value::Null);
        return true;
    }
    *n -= 1;
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if *n == 0 && to.is_none() {
                    m.remove(&k);
                    return true;
                }
                if mutate_nth(m.get_mut(&k).expect("key"), n, to) {
                    return true;
                }
            }
            false
        }
        Value::Array(a) => a.iter_mut().any(|item| mutate_nth(item, n, to)),
        _ => false,
    }
}

/// `response_url` is followed after the ack: only ever to the fake Slack.
fn safe_urls(payload: &mut Value, respond_url: &str) {
    if let Some(map) = payload.as_object_mut() {
        if map.contains_key("response_url") {
            map.insert("response_url".into(), respond_url.into());
        }
    }
}

// ---- bodies and signatures ----

#[derive(Debug, Clone)]
enum Body {
    /// `payload=<json>`, with extra fields around it.
    Form {
        before: Vec<(String, String)>,
        after: Vec<(String, String)>,
    },
    /// `payload=` holding this text instead of the JSON.
    PayloadText(String),
    /// The JSON itself, not a form.
    BareJson,
    Raw(Vec<u8>),
    /// Over the body limit.
    Huge,
}

fn body() -> impl Strategy<Value = Body> {
    let pair = (
        select(vec!["token", "x", "", "payload[]", "PAYLOAD", "team_id"]),
        "\\PC{0,10}",
    )
        .prop_map(|(k, v)| (k.to_string(), v));
    prop_oneof![
        24 => (prop::collection::vec(pair.clone(), 0..2), prop::collection::vec(pair, 0..2))
            .prop_map(|(before, after)| Body::Form { before, after }),
        1 => prop_oneof![
            "\\PC{0,40}",
            Just("{\"type\":".to_string()),
            Just("{\"type\":\"view_closed\"} trailing".to_string()),
            Just("[]".to_string()),
            Just("\"\\ud800\"".to_string()),
        ]
        .prop_map(Body::PayloadText),
        1 => Just(Body::BareJson),
        1 => prop_oneof![
            prop::collection::vec(any::<u8>(), 0..100),
            select(vec![&b"payload=%zz"[..], b"payload", b"payload=%7B%7D&payload=%7B%7D",
                b"=&&=", b"payload=%FF%FE", b"payload=%7B%22type%22%3A%22view_closed%22%7D%00"])
                .prop_map(<[u8]>::to_vec),
        ]
        .prop_map(Body::Raw),
        1 => Just(Body::Huge),
    ]
}

fn encode(body: &Body, payload: &Value) -> Vec<u8> {
    let json = payload.to_string();
    match body {
        Body::Form { before, after } => {
            let mut pairs: Vec<(&str, &str)> = before
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            pairs.push(("payload", &json));
            pairs.extend(after.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            serde_urlencoded::to_string(pairs)
                .expect("form")
                .into_bytes()
        }
        Body::PayloadText(text) => serde_urlencoded::to_string([("payload", text)])
            .expect("form")
            .into_bytes(),
        Body::BareJson => json.into_bytes(),
        Body::Raw(bytes) => bytes.clone(),
        Body::Huge => {
            let filler = "x".repeat(twohats::slack::http::MAX_BODY_BYTES);
            serde_urlencoded::to_string([("payload", json.as_str()), ("filler", &filler)])
                .expect("form")
                .into_bytes()
        }
    }
}

/// How a request is signed.
#[derive(Debug, Clone)]
enum Signing {
    /// Correctly, at `skew` seconds from the server's clock, with the timestamp spelled as
    /// `spelling` says (0 plain, 1 with a leading zero, 2 with a leading `+`).
    Valid {
        skew: i64,
        spelling: u8,
    },
    WrongSecret,
    WrongBody,
    /// A correct signature with one character changed, or its case, or its prefix.
    Tampered(proptest::sample::Index, char),
    Uppercase,
    MissingTimestamp,
    MissingSignature,
    Stale(i64),
    Timestamp(&'static str),
}

fn signing() -> impl Strategy<Value = Signing> {
    prop_oneof![
        24 => (-MAX_AGE_SECONDS..=MAX_AGE_SECONDS, 0u8..3)
            .prop_map(|(skew, spelling)| Signing::Valid { skew, spelling }),
        1 => Just(Signing::WrongSecret),
        1 => Just(Signing::WrongBody),
        1 => (any::<proptest::sample::Index>(), select(vec!['0', 'f', 'V', '=', 'x']))
            .prop_map(|(i, c)| Signing::Tampered(i, c)),
        1 => Just(Signing::Uppercase),
        1 => Just(Signing::MissingTimestamp),
        1 => Just(Signing::MissingSignature),
        1 => prop_oneof![
            Just(MAX_AGE_SECONDS + 1),
            Just(-MAX_AGE_SECONDS - 1),
            Just(i64::MAX),
            Just(i64::MIN),
            (MAX_AGE_SECONDS + 1..i64::MAX / 2),
        ]
        .prop_map(Signing::Stale),
        1 => select(vec!["", "abc", "1e9", "0x10", "９", "-", "99999999999999999999"])
            .prop_map(Signing::Timestamp),
    ]
}

/// The timestamp and signature headers for `body`, and whether they should verify.
fn headers(signing: &Signing, now: i64, body: &[u8]) -> (Option<String>, Option<String>, bool) {
    let ts = now.to_string();
    let good = |ts: &str| Some(sign(SECRET, ts, body));
    match signing {
        Signing::Valid { skew, spelling } => {
            let at = now + skew;
            let ts = match spelling {
                1 if at >= 0 => format!("0{at}"),
                1 => format!("-0{}", at.unsigned_abs()),
                2 if at >= 0 => format!("+{at}"),
                _ => at.to_string(),
            };
            let sig = good(&ts);
            (Some(ts), sig, true)
        }
        Signing::WrongSecret => (Some(ts.clone()), Some(sign("other", &ts, body)), false),
        Signing::WrongBody => {
            let mut other = body.to_vec();
            other.push(b'&');
            (Some(ts.clone()), Some(sign(SECRET, &ts, &other)), false)
        }
        Signing::Tampered(at, c) => {
            let mut sig: Vec<char> = sign(SECRET, &ts, body).chars().collect();
            let i = at.index(sig.len());
            let changed = sig[i] != *c;
            sig[i] = *c;
            (Some(ts), Some(sig.into_iter().collect()), !changed)
        }
        Signing::Uppercase => {
            let sig = sign(SECRET, &ts, body).to_uppercase();
            (Some(ts), Some(sig), false)
        }
        Signing::MissingTimestamp => (None, good(&ts), false),
        Signing::MissingSignature => (Some(ts), None, false),
        Signing::Stale(by) => {
            let ts = now.saturating_add(*by).to_string();
            let sig = good(&ts);
            (Some(ts), sig, false)
        }
        Signing::Timestamp(text) => (Some(text.to_string()), good(text), false),
    }
}

#[derive(Debug, Clone)]
struct Request {
    /// Minutes after 2026-11-27 16:00 UTC the server's clock reads.
    minutes: u32,
    payload: Value,
    body: Body,
    signing: Signing,
}

fn request() -> impl Strategy<Value = Request> {
    (0u32..60 * 24 * 21, payload(), body(), signing()).prop_map(
        |(minutes, payload, body, signing)| Request {
            minutes,
            payload,
            body,
            signing,
        },
    )
}

fn fail(why: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(why.into())
}

fn check_request(server: &RefCell<Option<Server>>, request: &Request) -> Result<(), TestCaseError> {
    let mut slot = server.borrow_mut();
    if slot.as_ref().is_none_or(|s| s.served >= SERVER_LIFETIME) {
        *slot = None; // the old one stops before the new one starts
        *slot = Some(Server::start());
    }
    let server = slot.as_mut().expect("server");
    server.served += 1;
    server
        .clock
        .set(t0() + Duration::minutes(i64::from(request.minutes)));
    let now = server.clock.now().timestamp();
    let mut payload = request.payload.clone();
    safe_urls(&mut payload, &server.respond_url);
    if payload.get("response_url").is_some() {
        payload["response_url"] = server.respond_url.clone().into();
    }
    let body = encode(&request.body, &payload);
    let (ts, sig, verified) = headers(&request.signing, now, &body);
    let before = server.raw();
    let url = format!("{}/slack/interactivity", server.base);
    let sent = server.rt.block_on(async {
        let mut req = server
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(ts) = &ts {
            req = req.header("x-slack-request-timestamp", ts);
        }
        if let Some(sig) = &sig {
            req = req.header("x-slack-signature", sig);
        }
        let res = req.body(body.clone()).send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok::<_, reqwest::Error>((status, text))
    });
    let (status, text) = sent.map_err(|e| fail(format!("no answer (a panic?): {e}")))?;
    let kind = payload["type"]
        .as_str()
        .filter(|k| ["block_actions", "view_submission", "view_closed"].contains(k))
        .unwrap_or("other");
    let ack = if text.contains("response_action") {
        " errors"
    } else {
        ""
    };
    // What a 400 said, without the text it quotes.
    let why = if status == 400 {
        let reason = text.rsplit(": ").next().unwrap_or_default();
        match reason.split(['`', '"']).next().unwrap_or_default().trim() {
            "" => " (quoting)".to_string(),
            r => format!(" ({})", r.chars().take(40).collect::<String>()),
        }
    } else {
        String::new()
    };
    tally(format!("{status} {kind}{ack}{why}"));
    let huge = matches!(request.body, Body::Huge);
    if huge {
        prop_assert_eq!(status, 413, "{}", text);
    } else if !verified {
        prop_assert_eq!(status, 401, "{}", text);
    } else {
        prop_assert!(status == 200 || status == 400, "{}: {}", status, text);
    }
    let unchanged = status != 200 || {
        let ack: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| fail(format!("{e}: {text}")))?
        };
        if ack.is_null() {
            false
        } else {
            check_field_errors(&ack)?;
            true
        }
    };
    if unchanged {
        prop_assert!(
            server.raw() == before,
            "{} {} changed the store",
            status,
            text
        );
    }
    Ok(())
}

/// `{"response_action":"errors","errors":{field: sentence}}`, naming fields of the modals.
fn check_field_errors(ack: &Value) -> Result<(), TestCaseError> {
    prop_assert_eq!(&ack["response_action"], "errors", "{}", ack);
    let errors = ack["errors"]
        .as_object()
        .ok_or_else(|| fail(format!("no errors in {ack}")))?;
    prop_assert!(!errors.is_empty(), "{}", ack);
    for (field, message) in errors {
        prop_assert!(BLOCKS.contains(&field.as_str()), "unknown field {}", field);
        let message = message.as_str().ok_or_else(|| fail(format!("{ack}")))?;
        prop_assert!(!message.trim().is_empty(), "{}", ack);
        // One short sentence under the field.
        prop_assert!(message.chars().count() <= 300, "{}", message);
    }
    Ok(())
}

/// `verify` on anything: accepted exactly when the signature is right and in time.
fn check_verify(
    secret: &str,
    ts: &str,
    body: &[u8],
    now: i64,
    signature: Option<&str>,
) -> Result<(), TestCaseError> {
    let good = sign(secret, ts, body);
    let signature = signature.unwrap_or(&good);
    let result = verify(secret, Some(ts), Some(signature), body, now);
    let fresh = ts
        .trim()
        .parse::<i64>()
        .ok()
        .map(|t| now.abs_diff(t) <= MAX_AGE_SECONDS.unsigned_abs());
    let expected = match fresh {
        None => Err(VerifyError::BadTimestamp),
        Some(false) => Err(VerifyError::Stale),
        Some(true) if signature == good => Ok(()),
        Some(true) => Err(VerifyError::BadSignature),
    };
    prop_assert_eq!(result, expected);
    prop_assert_eq!(
        verify(secret, None, Some(signature), body, now),
        Err(VerifyError::Missing)
    );
    prop_assert_eq!(
        verify(secret, Some(ts), None, body, now),
        Err(VerifyError::Missing)
    );
    Ok(())
}

fn verify_input() -> impl Strategy<Value = (String, String, Vec<u8>, i64, Option<String>)> {
    let now = prop_oneof![
        Just(1_800_000_000i64),
        any::<i64>(),
        Just(i64::MIN),
        Just(i64::MAX)
    ];
    (now, -400i64..400, 0u8..4).prop_flat_map(|(now, skew, how)| {
        let ts = match how {
            0 => Just(now.saturating_add(skew).to_string()).boxed(),
            1 => Just(format!(" {} ", now.saturating_add(skew))).boxed(),
            2 => any::<i64>().prop_map(|t| t.to_string()).boxed(),
            _ => "\\PC{0,24}".boxed(),
        };
        (
            "\\PC{0,16}",
            ts,
            prop::collection::vec(any::<u8>(), 0..64),
            Just(now),
            prop::option::of(prop_oneof!["v0=[0-9a-f]{64}", "\\PC{0,70}"]),
        )
    })
}

#[test]
fn fuzz_interactions() {
    let server = RefCell::new(None);
    run_target(
        "interactions",
        vec![
            property("request", 96, request(), move |r| {
                check_request(&server, &r)
            }),
            property(
                "verify",
                256,
                verify_input(),
                |(secret, ts, body, now, sig)| {
                    check_verify(&secret, &ts, &body, now, sig.as_deref())
                },
            ),
        ],
    );
}
