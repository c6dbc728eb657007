//! `thaiid-agent`: the workstation agent for Thai national ID card login.

mod cli;
mod commands;
mod error;
mod smartcard;
mod summary;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Read(args) => commands::read::run(args),
        Command::Readers { json } => commands::readers::run(*json),
    };
    match result {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(error) => {
            eprintln!("thaiid-agent: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
