//! `twohats serve` configuration from the environment, checked at start so a mistake is one
//! clear sentence naming the variable, not a failure on the first request.

use super::backups::{BackupConfig, When};
use super::client::Timeouts;
use crate::domain::schedule::ScheduleSpec;
use chrono_tz::Tz;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_API_URL: &str = "https://slack.com/api";
pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";
pub const DEFAULT_DATA_DIR: &str = "./twohats-data";

/// A token or secret: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// How Slack reaches the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A websocket the bot opens with the app-level token: no public URL needed.
    Socket { app_token: Secret },
    /// Slack POSTs to our routes; requests are verified with the signing secret.
    Http { signing_secret: Secret },
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bot_token: Secret,
    pub mode: Mode,
    pub api_url: String,
    pub data_dir: PathBuf,
    /// `TWOHATS_DATABASE_URL`: PostgreSQL instead of sled at `data_dir` (it may hold a
    /// password, hence a `Secret`).
    pub database_url: Option<Secret>,
    pub listen: SocketAddr,
    pub default_tz: Tz,
    /// Bounds on each Web API attempt (`TWOHATS_SLACK_TIMEOUT_MS` sets the total).
    pub slack_timeouts: Timeouts,
    /// Incoming HTTP: how long a client may take to send a request's headers (or sit idle
    /// between requests), and to send its body and get the answer (`TWOHATS_HTTP_TIMEOUT_MS`).
    pub http_timeout: Duration,
    /// How often the scheduler looks for due messages (`TWOHATS_TICK_MS`; tests shorten it).
    pub tick_every: Duration,
    /// Scheduled backups (`TWOHATS_BACKUP_DIR`, `TWOHATS_BACKUP_CRON`); `None`: off.
    pub backups: Option<BackupConfig>,
    /// GitHub signals (`GITHUB_TOKEN`, `GITHUB_API_URL`); `None`: off.
    pub github: Option<super::github::GithubConfig>,
}

/// The default of [`ServeConfig::tick_every`]. Schedules are per minute, so twice a minute
/// sends within 30 s of the set time.
pub const TICK_EVERY: Duration = Duration::from_secs(30);

/// Incoming HTTP: the default of [`ServeConfig::http_timeout`]. Slack sends a request at
/// once and gives up on an answer after 3 s; a client slower than this is broken or hostile.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest timeout either variable accepts: ten minutes.
const MAX_TIMEOUT_MS: u64 = 600_000;

/// `TWOHATS_BACKUP_EVERY_MS` (tests): at least a second, so that every backup's name (which
/// has seconds) is new; at most a day.
const BACKUP_EVERY_MS: std::ops::RangeInclusive<u64> = 1_000..=86_400_000;

const TRY_CONSOLE: &str = "To try twohats without Slack, run `twohats console`.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("SLACK_BOT_TOKEN is not set: `twohats serve` needs the bot token (xoxb-…) from your Slack app's \"OAuth & Permissions\" page. {TRY_CONSOLE}")]
    MissingBotToken,
    #[error("SLACK_BOT_TOKEN should be a bot token starting with xoxb-. {TRY_CONSOLE}")]
    BadBotToken,
    #[error("SLACK_APP_TOKEN should be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write). {TRY_CONSOLE}")]
    BadAppToken,
    #[error("neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set: set one. {TRY_CONSOLE}")]
    NoMode,
    #[error("TWOHATS_LISTEN `{0}` is not an address like 0.0.0.0:3000.")]
    BadListen(String),
    #[error("TWOHATS_DEFAULT_TZ `{0}` is not an IANA time zone like Europe/Berlin.")]
    BadTz(String),
    #[error(
        "SLACK_API_URL `{0}` should start with https:// (or http:// for a local test server)."
    )]
    BadApiUrl(String),
    #[error("{0} `{1}` is not a number of milliseconds from 1 to 600000.")]
    BadTimeout(&'static str, String),
    #[error("TWOHATS_BACKUP_CRON `{0}` is not a schedule like `daily 03:00`, `sun 02:30` or 5-field cron `0 3 * * *` (read in UTC).")]
    BadBackupCron(String),
    #[error(
        "TWOHATS_BACKUP_EVERY_MS `{0}` is not a number of milliseconds from 1000 to 86400000."
    )]
    BadBackupEvery(String),
    #[error("TWOHATS_BACKUP_CRON and TWOHATS_BACKUP_EVERY_MS are both set: set one (TWOHATS_BACKUP_EVERY_MS is for tests).")]
    TwoBackupSchedules,
    #[error(
        "{0} is set but TWOHATS_BACKUP_DIR is not: set the folder backups go to, or unset {0}."
    )]
    BackupWithoutDir(&'static str),
    #[error("GITHUB_API_URL `{0}` should start with https:// (e.g. https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server).")]
    BadGithubApiUrl(String),
}

impl ServeConfig {
    /// Reads the configuration through `var` (the process environment in production, a map
    /// in tests). Empty values count as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let bot_token = get("SLACK_BOT_TOKEN").ok_or(ConfigError::MissingBotToken)?;
        if !bot_token.starts_with("xoxb-") {
            return Err(ConfigError::BadBotToken);
        }
        let mode = match (get("SLACK_APP_TOKEN"), get("SLACK_SIGNING_SECRET")) {
            (Some(app), _) if !app.starts_with("xapp-") => return Err(ConfigError::BadAppToken),
            (Some(app), _) => Mode::Socket {
                app_token: Secret(app),
            },
            (None, Some(secret)) => Mode::Http {
                signing_secret: Secret(secret),
            },
            (None, None) => return Err(ConfigError::NoMode),
        };
        let api_url = get("SLACK_API_URL").unwrap_or_else(|| DEFAULT_API_URL.into());
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(ConfigError::BadApiUrl(api_url));
        }
        let listen_text = get("TWOHATS_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text
            .parse()
            .map_err(|_| ConfigError::BadListen(listen_text))?;
        let tz_text = get("TWOHATS_DEFAULT_TZ").unwrap_or_else(|| "UTC".into());
        let default_tz = tz_text.parse().map_err(|_| ConfigError::BadTz(tz_text))?;
        let millis = |name: &'static str| -> Result<Option<Duration>, ConfigError> {
            get(name)
                .map(|text| match text.parse::<u64>() {
                    Ok(ms) if (1..=MAX_TIMEOUT_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
                    _ => Err(ConfigError::BadTimeout(name, text)),
                })
                .transpose()
        };
        let slack_timeouts = millis("TWOHATS_SLACK_TIMEOUT_MS")?
            .map(Timeouts::with_call)
            .unwrap_or_default();
        let http_timeout = millis("TWOHATS_HTTP_TIMEOUT_MS")?.unwrap_or(HTTP_TIMEOUT);
        let tick_every = millis("TWOHATS_TICK_MS")?.unwrap_or(TICK_EVERY);
        let backups = backups(&get)?;
        let github = super::github::github_config(&get)?;
        Ok(Self {
            bot_token: Secret(bot_token),
            mode,
            api_url: api_url.trim_end_matches('/').to_string(),
            data_dir: get("TWOHATS_DATA_DIR")
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into())
                .into(),
            database_url: get("TWOHATS_DATABASE_URL")
                .filter(|url| !url.trim().is_empty())
                .map(Secret),
            listen,
            default_tz,
            slack_timeouts,
            http_timeout,
            tick_every,
            backups,
            github,
        })
    }
}

/// `TWOHATS_BACKUP_DIR` turns scheduled backups on; `TWOHATS_BACKUP_CRON` (or, for tests,
/// `TWOHATS_BACKUP_EVERY_MS`) says when. A schedule without a folder is a mistake, not "off".
fn backups(get: &impl Fn(&str) -> Option<String>) -> Result<Option<BackupConfig>, ConfigError> {
    let (cron, every) = (get("TWOHATS_BACKUP_CRON"), get("TWOHATS_BACKUP_EVERY_MS"));
    let Some(dir) = get("TWOHATS_BACKUP_DIR") else {
        return match (&cron, &every) {
            (Some(_), _) => Err(ConfigError::BackupWithoutDir("TWOHATS_BACKUP_CRON")),
            (None, Some(_)) => Err(ConfigError::BackupWithoutDir("TWOHATS_BACKUP_EVERY_MS")),
            (None, None) => Ok(None),
        };
    };
    let when = match (cron, every) {
        (Some(_), Some(_)) => return Err(ConfigError::TwoBackupSchedules),
        (Some(text), None) => When::Schedule(
            ScheduleSpec::parse(&text).map_err(|_| ConfigError::BadBackupCron(text))?,
        ),
        (None, Some(text)) => match text.parse::<u64>() {
            Ok(ms) if BACKUP_EVERY_MS.contains(&ms) => When::Every(Duration::from_millis(ms)),
            _ => return Err(ConfigError::BadBackupEvery(text)),
        },
        (None, None) => When::default_schedule(),
    };
    Ok(Some(BackupConfig {
        dir: dir.into(),
        when,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<ServeConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServeConfig::from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn socket_mode_when_an_app_token_is_set_else_http() {
        let socket = config(&[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_APP_TOKEN", "xapp-1"),
            ("SLACK_SIGNING_SECRET", "s"),
        ])
        .unwrap();
        assert!(matches!(socket.mode, Mode::Socket { .. }));
        let http = config(&[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s")]).unwrap();
        assert!(matches!(http.mode, Mode::Http { .. }));
        assert_eq!(
            (http.api_url.as_str(), http.listen.port()),
            ("https://slack.com/api", 3000)
        );
    }

    #[test]
    fn each_mistake_names_its_variable_and_points_to_the_console() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "SLACK_BOT_TOKEN is not set"),
            (
                &[("SLACK_BOT_TOKEN", "xoxp-user")],
                "SLACK_BOT_TOKEN should be a bot token",
            ),
            (&[("SLACK_BOT_TOKEN", "xoxb-1")], "neither SLACK_APP_TOKEN"),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_APP_TOKEN", "xoxb-oops"),
                ],
                "SLACK_APP_TOKEN should be",
            ),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_SIGNING_SECRET", "s"),
                    ("TWOHATS_LISTEN", "port 80"),
                ],
                "TWOHATS_LISTEN",
            ),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_SIGNING_SECRET", "s"),
                    ("TWOHATS_DEFAULT_TZ", "Mars"),
                ],
                "TWOHATS_DEFAULT_TZ",
            ),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_SIGNING_SECRET", "s"),
                    ("SLACK_API_URL", "ftp://x"),
                ],
                "SLACK_API_URL",
            ),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_SIGNING_SECRET", "s"),
                    ("TWOHATS_SLACK_TIMEOUT_MS", "10s"),
                ],
                "TWOHATS_SLACK_TIMEOUT_MS",
            ),
            (
                &[
                    ("SLACK_BOT_TOKEN", "xoxb-1"),
                    ("SLACK_SIGNING_SECRET", "s"),
                    ("TWOHATS_HTTP_TIMEOUT_MS", "0"),
                ],
                "TWOHATS_HTTP_TIMEOUT_MS",
            ),
        ];
        for (vars, phrase) in cases {
            let err = config(vars).unwrap_err().to_string();
            assert!(err.contains(phrase), "{vars:?}: {err}");
        }
        assert!(config(&[])
            .unwrap_err()
            .to_string()
            .contains("twohats console"));
    }

    #[test]
    fn timeouts_default_to_the_documented_values_and_can_be_shortened() {
        let base = [("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s")];
        let default = config(&base).unwrap();
        assert_eq!(default.slack_timeouts, Timeouts::default());
        assert_eq!(default.http_timeout, HTTP_TIMEOUT);
        let mut vars = base.to_vec();
        vars.extend([
            ("TWOHATS_SLACK_TIMEOUT_MS", "250"),
            ("TWOHATS_HTTP_TIMEOUT_MS", "500"),
        ]);
        let short = config(&vars).unwrap();
        assert_eq!(
            short.slack_timeouts,
            Timeouts::with_call(Duration::from_millis(250))
        );
        assert_eq!(short.http_timeout, Duration::from_millis(500));
    }

    #[test]
    fn backups_are_off_unless_a_folder_is_set_and_default_to_daily_at_three_utc() {
        let base = [("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s")];
        assert_eq!(config(&base).unwrap().backups, None);
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            config(&vars)
        };
        let on = with(&[("TWOHATS_BACKUP_DIR", "/var/backups/twohats")])
            .unwrap()
            .backups
            .unwrap();
        assert_eq!(on.dir, PathBuf::from("/var/backups/twohats"));
        assert_eq!(on.when, When::default_schedule());
        assert_eq!(on.when.to_string(), "every day at 03:00 UTC");
        let sunday = with(&[
            ("TWOHATS_BACKUP_DIR", "b"),
            ("TWOHATS_BACKUP_CRON", " 30 1 * * 0 "),
        ])
        .unwrap()
        .backups
        .unwrap();
        assert_eq!(
            sunday.when,
            When::Schedule(ScheduleSpec::parse("30 1 * * 0").unwrap())
        );
        let friendly = with(&[
            ("TWOHATS_BACKUP_DIR", "b"),
            ("TWOHATS_BACKUP_CRON", "sun 02:30"),
        ]);
        assert!(friendly.unwrap().backups.is_some());
        let every = with(&[
            ("TWOHATS_BACKUP_DIR", "b"),
            ("TWOHATS_BACKUP_EVERY_MS", "1000"),
        ])
        .unwrap()
        .backups
        .unwrap();
        assert_eq!(every.when, When::Every(Duration::from_secs(1)));
        // Empty counts as unset, as for every variable.
        let blank = with(&[("TWOHATS_BACKUP_DIR", " "), ("TWOHATS_BACKUP_CRON", "")]);
        assert_eq!(blank.unwrap().backups, None);
    }

    #[test]
    fn a_bad_backup_setting_is_one_sentence_naming_its_variable() {
        let base = [("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s")];
        let cases: &[(&[(&str, &str)], ConfigError)] = &[
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_CRON", "at three"),
                ],
                ConfigError::BadBackupCron("at three".into()),
            ),
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_CRON", "0 0 3 * * *"),
                ],
                ConfigError::BadBackupCron("0 0 3 * * *".into()),
            ),
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_CRON", "03:00"),
                ],
                ConfigError::BadBackupCron("03:00".into()),
            ),
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_EVERY_MS", "999"),
                ],
                ConfigError::BadBackupEvery("999".into()),
            ),
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_EVERY_MS", "1s"),
                ],
                ConfigError::BadBackupEvery("1s".into()),
            ),
            (
                &[
                    ("TWOHATS_BACKUP_DIR", "b"),
                    ("TWOHATS_BACKUP_CRON", "daily 03:00"),
                    ("TWOHATS_BACKUP_EVERY_MS", "1000"),
                ],
                ConfigError::TwoBackupSchedules,
            ),
            (
                &[("TWOHATS_BACKUP_CRON", "daily 03:00")],
                ConfigError::BackupWithoutDir("TWOHATS_BACKUP_CRON"),
            ),
            (
                &[("TWOHATS_BACKUP_EVERY_MS", "1000")],
                ConfigError::BackupWithoutDir("TWOHATS_BACKUP_EVERY_MS"),
            ),
        ];
        for (extra, expected) in cases {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            let err = config(&vars).unwrap_err();
            assert_eq!(&err, expected, "{extra:?}");
            let text = err.to_string();
            let sentences = text.matches(". ").count() + usize::from(text.ends_with('.'));
            assert_eq!(sentences, 1, "{text}");
            assert!(text.starts_with("TWOHATS_BACKUP_"), "{text}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let c = config(&[
            ("SLACK_BOT_TOKEN", "xoxb-very-secret"),
            ("SLACK_SIGNING_SECRET", "shh-secret"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("shh-secret"),
            "{shown}"
        );
    }
}
