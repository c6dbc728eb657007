//! `thaiid-agent`: the workstation agent for Thai national ID card login.

use clap::Parser;
use std::process::ExitCode;
use thaiid_agent::cli::{Cli, Command};
use thaiid_agent::{commands, error, logging, paths};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Root on the machine service's state dir acts as the service's user (before the
    // log files are made there, so that they are the service's too).
    let state = match &cli.command {
        Some(command) => command.state_dir(),
        None => Some(paths::StateDir::resolve(None)).filter(|state| state.machine),
    };
    if let Some(state) = state {
        if let Err(error) = thaiid_agent::fs::become_owner_of(&state.path) {
            eprintln!(
                "thaiid-agent: cannot act as the owner of {}: {error}",
                state.path.display()
            );
            return ExitCode::from(error::exit::OTHER);
        }
    }
    let sink = match &cli.command {
        None => logging::Sink::StderrAndFiles(paths::log_dir_of(&paths::StateDir::resolve(None))),
        Some(Command::Serve(args)) => {
            logging::Sink::StderrAndFiles(paths::log_dir_of(&args.state.resolve()))
        }
        Some(Command::Tray) => logging::Sink::StderrAndFiles(paths::log_dir()),
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
        Some(Command::Setup {
            check_ca: Some(file),
            ..
        }) => commands::setup::check_ca(file),
        Some(Command::Setup {
            uninstall,
            check_ca: None,
            state,
        }) => commands::setup::run(*uninstall, &state.resolve()),
        #[cfg(windows)]
        Some(Command::Service { action, state }) => {
            commands::service::run(*action, &state.resolve())
        }
        Some(Command::Doctor { state }) => commands::doctor::run(&state.resolve()),
        Some(Command::Tray) => commands::tray::run(),
    };
    match result {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(error) => {
            eprintln!("thaiid-agent: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
