//! `thaiid-agent`: the workstation agent for Thai national ID card login.

use clap::Parser;
use std::process::ExitCode;
use thaiid_agent::cli::{Cli, Command};
use thaiid_agent::{commands, error, logging, paths};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let sink = match &cli.command {
        None => logging::Sink::StderrAndFiles(paths::log_dir_of(&paths::StateDir::resolve(None))),
        Some(Command::Serve(args)) => {
            logging::Sink::StderrAndFiles(paths::log_dir_of(&args.state.resolve()))
        }
        Some(_) => logging::Sink::Stderr,
    };
    logging::init(sink, cli.verbose);
    let result = match &cli.command {
        None => commands::serve::run(&Default::default()),
        Some(Command::Serve(args)) => commands::serve::run(args),
        Some(Command::Enroll {
            server,
            token,
            state,
        }) => commands::enroll::run(server.as_deref(), token.as_deref(), &state.resolve()),
        Some(Command::Read(args)) => commands::read::run(args),
        Some(Command::Readers { json }) => commands::readers::run(*json),
        Some(Command::Setup { uninstall, state }) => {
            commands::setup::run(*uninstall, &state.resolve())
        }
        #[cfg(windows)]
        Some(Command::Service { action, state }) => {
            commands::service::run(*action, &state.resolve())
        }
        Some(Command::Doctor { state }) => commands::doctor::run(&state.resolve()),
    };
    match result {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(error) => {
            eprintln!("thaiid-agent: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
