//! The app manifest against Slack's official JSON schema (copied into tests/fixtures/slack):
//! the shipped Socket Mode file and the HTTP-mode variant both validate, carry what the bot
//! needs, and the check itself can fail.

use serde_json::{json, Value};
use twohats::slack::manifest::{manifest, MANIFEST_YAML};

const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/slack/slack-app-manifest.schema.1.0.0.json"
);

/// Every scope a Web API call or feature of the bot needs.
const NEEDED_SCOPES: [&str; 8] = [
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "files:write",
    "channels:read",
    "groups:read",
];

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(SCHEMA_PATH)
        .unwrap_or_else(|e| panic!("can't read the schema at {SCHEMA_PATH}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    // The schema declares draft-07 and only refers to its own definitions: nothing to fetch.
    jsonschema::draft7::new(&schema).expect("the schema compiles")
}

/// A YAML manifest as the JSON Slack's schema describes.
fn to_json(yaml: &str) -> Value {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("not YAML: {e}\n{yaml}"))
}

/// Every schema violation, one per line with its instance path.
fn violations(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("at {:?}: {e}", e.instance_path.as_str()))
        .collect()
}

fn assert_valid(doc: &Value) {
    let errors = violations(doc);
    assert!(
        errors.is_empty(),
        "the manifest breaks Slack's schema:\n{}",
        errors.join("\n")
    );
}

fn shipped() -> Value {
    to_json(MANIFEST_YAML)
}

fn http() -> Value {
    to_json(&manifest(Some("https://example.org/")).unwrap())
}

/// Every string in the document that looks like a URL.
fn urls_in(doc: &Value) -> Vec<String> {
    match doc {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            vec![s.clone()]
        }
        Value::Array(items) => items.iter().flat_map(urls_in).collect(),
        Value::Object(map) => map.values().flat_map(urls_in).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_shipped_manifest_matches_slacks_schema() {
    assert_valid(&shipped());
}

#[test]
fn manifest_without_http_is_the_shipped_file() {
    assert_eq!(manifest(None).unwrap(), MANIFEST_YAML);
}

#[test]
fn the_http_variant_matches_slacks_schema() {
    assert_valid(&http());
    assert_valid(&to_json(
        &manifest(Some("http://localhost:3000/twohats")).unwrap(),
    ));
}

#[test]
fn the_http_variant_has_the_three_request_urls_and_no_socket_mode() {
    let doc = http();
    assert_eq!(doc["settings"]["socket_mode_enabled"], json!(false));
    assert_eq!(
        doc["features"]["slash_commands"][0]["url"],
        "https://example.org/slack/commands"
    );
    assert_eq!(
        doc["settings"]["interactivity"]["request_url"],
        "https://example.org/slack/interactivity"
    );
    assert_eq!(
        doc["settings"]["event_subscriptions"]["request_url"],
        "https://example.org/slack/events"
    );
    let mut urls = urls_in(&doc);
    urls.sort();
    assert_eq!(
        urls,
        [
            "https://example.org/slack/commands",
            "https://example.org/slack/events",
            "https://example.org/slack/interactivity",
        ],
        "exactly the three request URLs"
    );
}

#[test]
fn the_http_variant_only_differs_in_mode_and_urls() {
    let mut doc = http();
    doc["settings"]["socket_mode_enabled"] = json!(true);
    doc["features"]["slash_commands"][0]
        .as_object_mut()
        .unwrap()
        .remove("url");
    for section in ["interactivity", "event_subscriptions"] {
        doc["settings"][section]
            .as_object_mut()
            .unwrap()
            .remove("request_url");
    }
    assert_eq!(doc, shipped());
}

#[test]
fn the_shipped_manifest_is_socket_mode_without_urls() {
    let doc = shipped();
    assert_eq!(doc["settings"]["socket_mode_enabled"], json!(true));
    assert_eq!(doc["settings"]["interactivity"]["is_enabled"], json!(true));
    assert!(
        urls_in(&doc).is_empty(),
        "Socket Mode needs no request URL: {:?}",
        urls_in(&doc)
    );
}

#[test]
fn the_shipped_manifest_has_tlm_home_and_events() {
    let doc = shipped();
    let commands = doc["features"]["slash_commands"].as_array().unwrap();
    assert_eq!(commands.len(), 1);
    let tlm = &commands[0];
    assert_eq!(tlm["command"], "/tlm");
    assert_eq!(
        tlm["should_escape"],
        json!(true),
        "the parser expects <@U123|name>"
    );
    assert!(tlm["usage_hint"].as_str().unwrap().contains("checkin"));
    assert!(!tlm["description"].as_str().unwrap().is_empty());

    let home = &doc["features"]["app_home"];
    assert_eq!(home["home_tab_enabled"], json!(true));
    assert_eq!(
        home["messages_tab_enabled"],
        json!(true),
        "prompts and summaries are DMs"
    );
    assert!(doc["features"]["bot_user"]["display_name"].is_string());

    let events = doc["settings"]["event_subscriptions"]["bot_events"]
        .as_array()
        .unwrap();
    assert!(events.contains(&json!("app_home_opened")), "{events:?}");
    assert_eq!(
        doc["_metadata"],
        json!({"major_version": 1, "minor_version": 1})
    );
}

#[test]
fn the_shipped_manifest_asks_for_exactly_the_scopes_the_bot_needs() {
    let doc = shipped();
    let mut bot: Vec<&str> = doc["oauth_config"]["scopes"]["bot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    bot.sort_unstable();
    let mut needed = NEEDED_SCOPES.to_vec();
    needed.sort_unstable();
    assert_eq!(bot, needed, "no scope missing, none extra");
    assert!(
        doc["oauth_config"]["scopes"].get("user").is_none(),
        "the bot never acts as a user"
    );
}

#[test]
fn every_scope_is_explained_in_a_comment() {
    for scope in NEEDED_SCOPES {
        let line = MANIFEST_YAML
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {scope} ")))
            .unwrap_or_else(|| panic!("no line for {scope}"));
        assert!(line.contains(" # "), "{scope} has no comment: {line}");
    }
}

#[test]
fn the_schema_check_rejects_what_slack_would() {
    let mut bogus_setting = shipped();
    bogus_setting["settings"]["bogus_key"] = json!(true);
    let mut no_command = shipped();
    no_command["features"]["slash_commands"][0]
        .as_object_mut()
        .unwrap()
        .remove("command");
    let mut long_name = shipped();
    long_name["display_information"]["name"] = json!("x".repeat(36));
    let mut relative_url = http();
    relative_url["settings"]["event_subscriptions"]["request_url"] = json!("/slack/events");
    let mut no_display = shipped();
    no_display
        .as_object_mut()
        .unwrap()
        .remove("display_information");

    for (what, doc, path) in [
        ("an unknown setting", bogus_setting, "/settings"),
        (
            "a slash command without a name",
            no_command,
            "/features/slash_commands/0",
        ),
        (
            "a 36-character name",
            long_name,
            "/display_information/name",
        ),
        (
            "a relative request URL",
            relative_url,
            "/settings/event_subscriptions/request_url",
        ),
        ("no display_information", no_display, ""),
    ] {
        let errors = violations(&doc);
        assert!(!errors.is_empty(), "{what} passed the schema");
        let wanted = format!("at {path:?}:");
        assert!(
            errors.iter().any(|e| e.starts_with(&wanted)),
            "{what}: expected an error at {path:?}, got {errors:?}"
        );
    }
}
