//! The Slack app manifest: what `twohats manifest` prints for pasting into Slack's
//! "Create New App → From an app manifest".
//!
//! `manifest.yml` at the crate root is the source of truth, shipped as is for Socket Mode
//! (comments included, since a human reads it while setting the app up). The HTTP-mode
//! variant is derived from it: Socket Mode off, and request URLs under a base URL for the
//! routes `twohats serve` answers in HTTP mode (`/slack/commands`, `/slack/events`,
//! `/slack/interactivity`). `tests/it/manifest.rs` validates both against Slack's schema.

use serde_yaml::{Mapping, Value};

/// The manifest as shipped (Socket Mode).
pub const MANIFEST_YAML: &str = include_str!("../../manifest.yml");

/// The HTTP-mode route for slash commands, under the base URL.
pub const COMMANDS_PATH: &str = "/slack/commands";
/// The HTTP-mode route for the Events API, under the base URL.
pub const EVENTS_PATH: &str = "/slack/events";
/// The HTTP-mode route for interactivity (buttons, modals), under the base URL.
pub const INTERACTIVITY_PATH: &str = "/slack/interactivity";

/// The longest base URL accepted: Slack caps a slash command URL at 3000 characters.
const MAX_BASE_LEN: usize = 2000;

/// Why `twohats manifest --http <URL>` can't print a manifest. Each message is one
/// sentence that says what to pass instead.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("the base URL must start with https:// (or http:// for local testing), e.g. https://twohats.example.org, not {0:?}")]
    Scheme(String),
    #[error("the base URL {0:?} has no host: give it as https://your.host")]
    NoHost(String),
    #[error(
        "the base URL {0:?} contains a space or a control character: give just https://your.host"
    )]
    Whitespace(String),
    #[error("the base URL {0:?} has a user name or password in it, which would be published in the manifest: give just https://your.host")]
    Credentials(String),
    #[error("the base URL {0:?} has a query or fragment: give just https://your.host (a path prefix is fine)")]
    QueryOrFragment(String),
    #[error("{0:?} is one of twohats's routes, not its base URL: give https://your.host and twohats adds /slack/commands, /slack/events and /slack/interactivity")]
    Route(String),
    #[error("the base URL is longer than {MAX_BASE_LEN} characters")]
    TooLong,
    /// The shipped `manifest.yml` doesn't have the shape this module edits (a bug, caught by
    /// the tests, never by a user).
    #[error("the shipped manifest.yml is malformed: {0}")]
    Shipped(String),
}

/// The manifest to print: Socket Mode as shipped for `None`, or the HTTP-mode variant with
/// request URLs under `http_base`.
///
/// `http_base` is where Slack reaches `twohats serve`:
/// - `https://` is what Slack accepts for real; `http://` is allowed too, for a fake Slack
///   or a local test, and the output then starts with a comment saying Slack will refuse it.
/// - A trailing slash is dropped. A path prefix is kept (`https://example.org/twohats` gives
///   `https://example.org/twohats/slack/commands`), for a reverse proxy that strips it.
/// - Refused with a [`ManifestError`]: another scheme, no host, credentials, a query or
///   fragment, whitespace, or one of the routes itself (`…/slack/events`) given as the base.
pub fn manifest(http_base: Option<&str>) -> Result<String, ManifestError> {
    let Some(raw) = http_base else {
        return Ok(MANIFEST_YAML.to_string());
    };
    let base = base_url(raw)?;
    let mut doc: Value =
        serde_yaml::from_str(MANIFEST_YAML).map_err(|e| ManifestError::Shipped(e.to_string()))?;
    to_http_mode(&mut doc, &base)?;
    let body = serde_yaml::to_string(&doc).map_err(|e| ManifestError::Shipped(e.to_string()))?;
    let mut out = format!("# twohats app manifest, HTTP mode for {base}\n");
    if base.starts_with("http://") {
        out.push_str("# note: Slack only sends requests to https:// URLs; this http:// variant is for local tests\n");
    }
    out.push_str(&body);
    Ok(out)
}

/// Checks a base URL and returns it without trailing slashes.
fn base_url(raw: &str) -> Result<String, ManifestError> {
    let err = |make: fn(String) -> ManifestError| make(raw.to_string());
    let trimmed = raw.trim();
    if trimmed.len() > MAX_BASE_LEN {
        return Err(ManifestError::TooLong);
    }
    let lower = trimmed.to_ascii_lowercase();
    let rest_at = if lower.starts_with("https://") {
        "https://".len()
    } else if lower.starts_with("http://") {
        "http://".len()
    } else {
        return Err(err(ManifestError::Scheme));
    };
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err(ManifestError::Whitespace));
    }
    if trimmed.contains(['?', '#']) {
        return Err(err(ManifestError::QueryOrFragment));
    }
    let rest = &trimmed[rest_at..];
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(err(ManifestError::Credentials));
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _port)| host);
    if host.is_empty() {
        return Err(err(ManifestError::NoHost));
    }
    let path = path.trim_end_matches('/');
    let lower_path = path.to_ascii_lowercase();
    if [COMMANDS_PATH, EVENTS_PATH, INTERACTIVITY_PATH]
        .iter()
        .any(|route| lower_path.ends_with(route))
    {
        return Err(err(ManifestError::Route));
    }
    // The scheme is written in lower case so the output matches the schema's `^https?://`.
    Ok(format!("{}{authority}{path}", &lower[..rest_at]))
}

/// Turns the shipped (Socket Mode) manifest into the HTTP-mode one for `base`.
fn to_http_mode(doc: &mut Value, base: &str) -> Result<(), ManifestError> {
    let shape = |what: &str| ManifestError::Shipped(format!("no {what}"));
    let settings = doc
        .get_mut("settings")
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| shape("settings"))?;
    settings.insert("socket_mode_enabled".into(), false.into());
    for (section, path) in [
        ("interactivity", INTERACTIVITY_PATH),
        ("event_subscriptions", EVENTS_PATH),
    ] {
        let map = settings
            .get_mut(section)
            .and_then(Value::as_mapping_mut)
            .ok_or_else(|| shape(section))?;
        insert_first(map, "request_url", format!("{base}{path}"));
    }
    let commands = doc
        .get_mut("features")
        .and_then(|f| f.get_mut("slash_commands"))
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| shape("features.slash_commands"))?;
    for command in commands {
        let map = command
            .as_mapping_mut()
            .ok_or_else(|| shape("slash command mapping"))?;
        insert_after(map, "command", "url", format!("{base}{COMMANDS_PATH}"));
    }
    Ok(())
}

/// Sets `key` to `value` as the first entry of `map`, so the URL reads first.
fn insert_first(map: &mut Mapping, key: &str, value: String) {
    map.remove(key);
    let mut out = Mapping::new();
    out.insert(key.into(), value.into());
    out.extend(std::mem::take(map));
    *map = out;
}

/// Sets `key` to `value` right after `after` in `map` (at the end if `after` is absent).
fn insert_after(map: &mut Mapping, after: &str, key: &str, value: String) {
    map.remove(key);
    let mut out = Mapping::new();
    let mut value = Some(Value::from(value));
    for (k, v) in std::mem::take(map) {
        let is_anchor = k.as_str() == Some(after);
        out.insert(k, v);
        if is_anchor {
            if let Some(value) = value.take() {
                out.insert(key.into(), value);
            }
        }
    }
    if let Some(value) = value {
        out.insert(key.into(), value);
    }
    *map = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(base: &str) -> Value {
        serde_yaml::from_str(&manifest(Some(base)).unwrap()).unwrap()
    }

    fn urls(doc: &Value) -> [String; 3] {
        let s = |v: &Value| v.as_str().unwrap().to_string();
        [
            s(&doc["features"]["slash_commands"][0]["url"]),
            s(&doc["settings"]["interactivity"]["request_url"]),
            s(&doc["settings"]["event_subscriptions"]["request_url"]),
        ]
    }

    #[test]
    fn none_is_the_shipped_file_verbatim() {
        assert_eq!(manifest(None).unwrap(), MANIFEST_YAML);
        assert!(
            MANIFEST_YAML.starts_with("# twohats"),
            "the header comment is kept"
        );
    }

    #[test]
    fn http_variant_puts_each_route_under_the_base() {
        let doc = http("https://example.org");
        assert_eq!(
            urls(&doc),
            [
                "https://example.org/slack/commands",
                "https://example.org/slack/interactivity",
                "https://example.org/slack/events",
            ]
        );
        assert_eq!(doc["settings"]["socket_mode_enabled"], Value::Bool(false));
    }

    #[test]
    fn trailing_slashes_and_surrounding_space_are_tolerated() {
        for base in [
            "https://example.org/",
            "https://example.org//",
            " https://example.org ",
        ] {
            assert_eq!(
                urls(&http(base))[0],
                "https://example.org/slack/commands",
                "{base:?}"
            );
        }
    }

    #[test]
    fn a_path_prefix_and_a_port_are_kept() {
        assert_eq!(
            urls(&http("https://example.org:8443/twohats/")),
            [
                "https://example.org:8443/twohats/slack/commands",
                "https://example.org:8443/twohats/slack/interactivity",
                "https://example.org:8443/twohats/slack/events",
            ]
        );
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_written_in_lower_case() {
        assert_eq!(
            urls(&http("HTTPS://Example.org"))[1],
            "https://Example.org/slack/interactivity"
        );
    }

    #[test]
    fn http_is_allowed_with_a_warning_comment() {
        let out = manifest(Some("http://localhost:3000")).unwrap();
        assert!(out.starts_with(
            "# twohats app manifest, HTTP mode for http://localhost:3000\n# note: Slack only"
        ));
        let doc: Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(urls(&doc)[2], "http://localhost:3000/slack/events");
    }

    #[test]
    fn https_output_starts_with_one_comment_line() {
        let out = manifest(Some("https://example.org")).unwrap();
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            Some("# twohats app manifest, HTTP mode for https://example.org")
        );
        assert!(!lines.next().unwrap().starts_with('#'));
    }

    #[test]
    fn the_url_follows_the_command_name() {
        let doc = http("https://example.org");
        let keys: Vec<&str> = doc["features"]["slash_commands"][0]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys[..2], ["command", "url"]);
        assert!(
            keys.contains(&"should_escape"),
            "the rest of the command is kept: {keys:?}"
        );
    }

    #[test]
    fn bad_base_urls_are_refused_with_the_right_reason() {
        use std::mem::discriminant;
        use ManifestError as E;
        let any = String::new;
        let cases = [
            ("example.org", E::Scheme(any())),
            ("ftp://example.org", E::Scheme(any())),
            ("", E::Scheme(any())),
            ("https://", E::NoHost(any())),
            ("https:///slack", E::NoHost(any())),
            ("https://:443", E::NoHost(any())),
            ("https://exa mple.org", E::Whitespace(any())),
            ("https://bob:hunter2@example.org", E::Credentials(any())),
            ("https://example.org/?x=1", E::QueryOrFragment(any())),
            ("https://example.org/#top", E::QueryOrFragment(any())),
            ("https://example.org/slack/events", E::Route(any())),
            ("https://example.org/Slack/Commands/", E::Route(any())),
        ];
        for (base, expected) in cases {
            let e = manifest(Some(base)).unwrap_err();
            assert_eq!(
                discriminant(&e),
                discriminant(&expected),
                "{base:?} gave {e:?}"
            );
            let message = e.to_string();
            assert!(!message.contains('\n'), "one sentence: {message}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_BASE_LEN));
        assert!(matches!(manifest(Some(&long)), Err(E::TooLong)));
    }

    #[test]
    fn the_error_names_the_url_it_refused() {
        let message = manifest(Some("example.org")).unwrap_err().to_string();
        assert!(
            message.contains("\"example.org\"") && message.contains("https://"),
            "{message}"
        );
    }
}
