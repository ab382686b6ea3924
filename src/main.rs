//! The `twohats` binary: parse the command line, open the store, run a transport.

use anyhow::Context;
use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;
use twohats::app::App;
use twohats::cli::{Cli, Cmd};
use twohats::console;
use twohats::slack::config::ServeConfig;
use twohats::slack::manifest::manifest;
use twohats::slack::serve::serve;
use twohats::store::StoreLocation;

/// How many malloc arenas glibc may keep. By default it gives each thread that allocates its
/// own (up to 8 per core) and keeps what each frees for that thread: memory a scheduler tick
/// freed on a blocking thread is not reused by the workers that serve commands. One arena
/// shares it all; the lock it costs did not show in command latency on 2 cores (see
/// BENCHMARKS.md, "Many messages due at once", for both figures).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS: libc::c_int = 1;

fn main() -> ExitCode {
    limit_malloc_arenas();
    match run_cli() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twohats: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets [`MALLOC_ARENAS`] before any thread starts, unless the operator set
/// `MALLOC_ARENA_MAX` (glibc reads it itself, and theirs wins).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter, here before any other thread
        // exists; glibc documents it as safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

fn run_cli() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(matches!(cli.command, Cmd::Serve));
    match cli.command {
        Cmd::Serve => {
            let config = ServeConfig::from_env(|name| std::env::var(name).ok())?;
            // Store work runs on blocking threads. A few dozen are plenty: concurrent writes
            // share one flush anyway, and every extra thread costs stack and a malloc arena.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(16)
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(serve(config))?;
            Ok(())
        }
        Cmd::Healthcheck { url } => {
            let listen = std::env::var("TWOHATS_LISTEN").unwrap_or_else(|_| "0.0.0.0:3000".into());
            let url = url.unwrap_or_else(|| twohats::healthcheck::url_for_listen(&listen));
            twohats::healthcheck::check(&url).map_err(anyhow::Error::msg)
        }
        Cmd::Doctor => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let checks = runtime.block_on(twohats::doctor::checks(|name| std::env::var(name).ok()));
            for check in &checks {
                println!("{check}");
            }
            let failed = checks
                .iter()
                .filter(|c| matches!(c, twohats::doctor::Check::Failed(_)))
                .count();
            anyhow::ensure!(failed == 0, "{failed} check(s) failed");
            Ok(())
        }
        Cmd::Backup {
            file,
            data_dir,
            database_url,
        } => {
            let store =
                twohats::store::open(&StoreLocation::new(&data_dir, database_url.as_deref()))?;
            // People-management data: a new 0600 file, synced, renamed over `file`.
            let summary = store.backup_to_file_until(&file, &|| false)?;
            eprintln!(
                "twohats: backed up {} rows from {} trees to {}",
                summary.rows,
                summary.trees,
                file.display()
            );
            if summary.skipped > 0 {
                eprintln!(
                    "twohats: left out {} rows that do not decode (logged by their ids)",
                    summary.skipped
                );
            }
            Ok(())
        }
        Cmd::Restore {
            file,
            data_dir,
            database_url,
        } => {
            let input = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let location = StoreLocation::new(&data_dir, database_url.as_deref());
            let store = twohats::store::open(&location)?;
            let summary = store.restore_from(&mut std::io::BufReader::new(input))?;
            eprintln!(
                "twohats: restored {} rows into {} trees in {location}",
                summary.rows, summary.trees,
            );
            Ok(())
        }
        Cmd::Manifest { http } => {
            print!("{}", manifest(http.as_deref())?);
            Ok(())
        }
        Cmd::Console(args) => {
            let app = App::open_in(
                &args.data_dir,
                args.database_url.as_deref(),
                args.default_tz,
            )?;
            // GitHub signals in the console too, against whatever GITHUB_API_URL points at.
            let github = twohats::slack::github::github_config(&|name: &str| {
                std::env::var(name).ok().filter(|v| !v.trim().is_empty())
            })?;
            let app = twohats::slack::github::with_github(app, github.as_ref())
                .context("building the GitHub client")?;
            let start = match &args.now {
                Some(text) => console::parse_instant(text).context("--now")?,
                None => chrono::Utc::now(),
            };
            let stdin = std::io::stdin();
            let interactive = stdin.is_terminal();
            let mut session = console::Session::new(app, &args.user, start)?;
            if args.demo {
                session.seed_demo()?;
            }
            match session.read_until_quit(stdin.lock(), std::io::stdout().lock(), interactive) {
                // `twohats console < script | head`: the reader left; that's the end, not an error.
                Err(console::ConsoleError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                }
                other => other?,
            }
            Ok(())
        }
    }
}

/// Human-readable logs on stderr by default, JSON with `TWOHATS_LOG_FORMAT=json`; `RUST_LOG`
/// filters (default: `info` for `serve`, where request lines matter, `warn` elsewhere).
fn init_logs(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("TWOHATS_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}
