//! The `twohats` binary: parse the command line, open the store, run a transport.

use anyhow::Context;
use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use twohats::app::App;
use twohats::cli::{Cli, Cmd};
use twohats::console;
use twohats::slack::config::ServeConfig;
use twohats::slack::manifest::manifest;
use twohats::slack::serve::serve;
use twohats::store::Store;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twohats: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Cmd::Serve => {
            let config = ServeConfig::from_env(|name| std::env::var(name).ok())?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve(config))?;
            Ok(())
        }
        Cmd::Manifest { http } => {
            print!("{}", manifest(http.as_deref())?);
            Ok(())
        }
        Cmd::Console(args) => {
            let store = Store::open(&args.data_dir)?;
            let app = App::new(Arc::new(store), args.default_tz);
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
            session.run(stdin.lock(), std::io::stdout().lock(), interactive)?;
            Ok(())
        }
    }
}
