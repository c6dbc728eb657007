//! `thaiid-agent`: the workstation agent for Thai national ID card login.

use clap::Parser;
use std::process::ExitCode;
use thaiid_agent::cli::{Cli, Command};
use thaiid_agent::{commands, error, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serves = matches!(
        cli.command,
        None | Some(Command::Serve(_)) | Some(Command::Tray)
    );
    logging::init(
        match serves {
            true => logging::Sink::StderrAndFiles,
            false => logging::Sink::Stderr,
        },
        cli.verbose,
    );
    let result = match &cli.command {
        None => commands::serve::run(&Default::default()),
        Some(Command::Serve(args)) => commands::serve::run(args),
        Some(Command::Enroll { server, token }) => {
            commands::enroll::run(server.as_deref(), token.as_deref())
        }
        Some(Command::Read(args)) => commands::read::run(args),
        Some(Command::Readers { json }) => commands::readers::run(*json),
        Some(Command::Setup { uninstall }) => commands::setup::run(*uninstall),
        Some(Command::Doctor { state_dir }) => commands::doctor::run(state_dir.as_deref()),
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
