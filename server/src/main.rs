//! `thaiid-server`: serve, and the admin commands IT uses (SPEC §7); the commands live
//! in the library's [`thaiid_server::commands`].

use clap::Parser;
use std::process::ExitCode;
use thaiid_server::cli::Cli;
use thaiid_server::logs::LogFormat;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match LogFormat::from_env() {
        Ok(format) => format.init(),
        Err(error) => {
            eprintln!("thaiid-server: {error}");
            return ExitCode::from(2);
        }
    }
    match thaiid_server::commands::run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("thaiid-server: {error}");
            ExitCode::from(1)
        }
    }
}
