//! `twohats doctor`: checks the configuration and, with the tokens, asks Slack who the bot is
//! and whether it has every scope `manifest.yml` asks for. Prints one line per check; exits
//! non-zero if any failed. Never prints a token.

use crate::slack::config::{Mode, ServeConfig};
use crate::slack::manifest::MANIFEST_YAML;
use crate::store::{StoreError, StoreLocation};
use axum::http::Request;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::BTreeSet;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Ok(String),
    Note(String),
    Failed(String),
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Ok(s) => write!(f, "ok    {s}"),
            Check::Note(s) => write!(f, "note  {s}"),
            Check::Failed(s) => write!(f, "FAIL  {s}"),
        }
    }
}

/// The bot scopes `manifest.yml` asks for.
pub fn manifest_scopes() -> BTreeSet<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(MANIFEST_YAML).unwrap_or_default();
    doc["oauth_config"]["scopes"]["bot"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs every check; the environment is read through `var`.
pub async fn checks(var: impl Fn(&str) -> Option<String>) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = match ServeConfig::from_env(var) {
        Ok(c) => c,
        Err(e) => return vec![Check::Failed(format!("configuration: {e}"))],
    };
    checks.push(Check::Ok(match &config.mode {
        Mode::Socket { .. } => "configuration: Socket Mode (SLACK_APP_TOKEN set)".to_string(),
        Mode::Http { .. } => format!(
            "configuration: HTTP mode on {} (SLACK_SIGNING_SECRET set)",
            config.listen
        ),
    }));
    let location = StoreLocation::new(
        &config.data_dir,
        config.database_url.as_ref().map(|url| url.expose()),
    );
    checks.push(match crate::store::open(&location) {
        Ok(store) => Check::Ok(format!(
            "{location}: opens, {} user(s)",
            store.users().count()
        )),
        Err(StoreError::Locked { .. }) => Check::Note(format!(
            "{location}: in use by a running twohats (fine if that is your service)"
        )),
        Err(e) => Check::Failed(format!("store: {e}")),
    });

    match post(
        &format!("{}/auth.test", config.api_url),
        config.bot_token.expose(),
    )
    .await
    {
        Ok((body, scopes)) if body["ok"] == true => {
            checks.push(Check::Ok(format!(
                "SLACK_BOT_TOKEN: bot {} in workspace {}",
                body["user"].as_str().unwrap_or("?"),
                body["team"].as_str().unwrap_or("?")
            )));
            checks.push(scope_check(scopes.as_deref()));
        }
        Ok((body, _)) => checks.push(Check::Failed(format!(
            "SLACK_BOT_TOKEN: Slack says {}",
            body["error"].as_str().unwrap_or("not ok")
        ))),
        Err(e) => checks.push(Check::Failed(format!("auth.test: {e}"))),
    }
    if let Mode::Socket { app_token } = &config.mode {
        checks.push(
            match post(
                &format!("{}/apps.connections.open", config.api_url),
                app_token.expose(),
            )
            .await
            {
                Ok((body, _)) if body["ok"] == true => {
                    Check::Ok("SLACK_APP_TOKEN: Socket Mode connections can be opened".into())
                }
                Ok((body, _)) => Check::Failed(format!(
                    "SLACK_APP_TOKEN: Slack says {} (an app-level token needs connections:write)",
                    body["error"].as_str().unwrap_or("not ok")
                )),
                Err(e) => Check::Failed(format!("apps.connections.open: {e}")),
            },
        );
    }
    checks.push(github_check(config.github.as_ref()));
    checks
}

/// `GITHUB_TOKEN`: who it acts as (`GET /user`) and, for classic tokens, its scopes.
fn github_check(config: Option<&crate::slack::github::GithubConfig>) -> Check {
    use crate::app::github::GithubError;
    let Some(config) = config else {
        return Check::Note("GitHub signals: off (GITHUB_TOKEN not set)".into());
    };
    let client = match crate::github::GithubClient::new(
        &config.api_url,
        config.token.expose(),
        crate::github::Timeouts::default(),
    ) {
        Ok(client) => client,
        Err(e) => return Check::Failed(format!("GitHub client: {e}")),
    };
    match client.whoami() {
        Ok((login, scopes)) => Check::Ok(format!(
            "GITHUB_TOKEN: acts as {login} at {}; {}",
            config.api_url,
            match scopes.as_deref() {
                Some("") => "classic token with no scopes (public repositories only)".to_string(),
                Some(s) if s.contains("repo") =>
                    format!("classic token, scopes {s} (read-only fine-grained tokens are safer)"),
                Some(s) => format!("classic token, scopes {s}: private repositories need `repo`"),
                None =>
                    "fine-grained or App token: give it read access to Pull requests and Metadata"
                        .to_string(),
            }
        )),
        Err(GithubError::BadToken) => {
            Check::Failed("GITHUB_TOKEN: GitHub refused it (401) — create a new one".into())
        }
        Err(e) => Check::Failed(format!(
            "GITHUB_TOKEN: {e} (GITHUB_API_URL {})",
            config.api_url
        )),
    }
}

/// Compares the scopes Slack reports for the bot token with the manifest's.
fn scope_check(granted: Option<&str>) -> Check {
    let Some(granted) = granted else {
        return Check::Note("scopes: Slack did not report them (no x-oauth-scopes header)".into());
    };
    let granted: BTreeSet<String> = granted
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let missing: Vec<String> = manifest_scopes().difference(&granted).cloned().collect();
    if missing.is_empty() {
        Check::Ok(format!(
            "scopes: all {} that manifest.yml asks for",
            manifest_scopes().len()
        ))
    } else {
        Check::Failed(format!(
            "scopes: missing {} — add them under OAuth & Permissions (or recreate the app from manifest.yml) and reinstall",
            missing.join(", ")
        ))
    }
}

/// POSTs to a Web API method with a token; returns the JSON body and the granted scopes.
async fn post(url: &str, token: &str) -> Result<(Value, Option<String>), String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let request = Request::post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("could not reach Slack: {e}"))?;
    let scopes = response
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let json = serde_json::from_slice(&body)
        .map_err(|_| format!("Slack answered HTTP {status} without JSON"))?;
    Ok((json, scopes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_scopes_are_read_and_compared() {
        let all = manifest_scopes();
        assert!(
            all.contains("chat:write") && all.contains("files:write"),
            "{all:?}"
        );
        let everything = all.iter().cloned().collect::<Vec<_>>().join(",");
        assert!(matches!(scope_check(Some(&everything)), Check::Ok(_)));
        match scope_check(Some("commands,chat:write")) {
            Check::Failed(why) => assert!(
                why.contains("files:write") && !why.contains("chat:write,"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
