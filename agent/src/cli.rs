//! The command line of SPEC §3.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "thaiid-agent",
    version,
    about = "Reads the Thai national ID card for SSO login"
)]
pub struct Cli {
    /// Without a command the agent serves (`serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Also log every APDU: the commands in full, the card's answers masked.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Read the card in the first reader that has one.
    Read(ReadArgs),
    /// List the card readers and whether each holds a card.
    Readers {
        /// Print JSON: [{"name", "card_present"}].
        #[arg(long)]
        json: bool,
    },
    /// Serve the localhost login API (the default).
    Serve(ServeArgs),
    /// Register this workstation's key with the login server.
    Enroll {
        /// The login server's base URL (https; http only on this machine).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// The enrollment token IT created (`thaiid-server token create`); by default
        /// `THAIID_ENROLL_TOKEN`, else `enroll_token` of the configuration. Tokens are
        /// base64url, so one may begin with `-`.
        #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
        token: Option<String>,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Check everything a login needs; each line ok, or the fix (exit 6 when one fails).
    /// Run by a desktop user (no state dir, or one it cannot read): the machine service
    /// as its API shows it; with the service's state dir (root, the service's user): the
    /// key, enrollment and certificate there too.
    Doctor {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Show the machine service's state in the tray (each user's login starts it); first
    /// removes the per-user agent of earlier versions from this user's files.
    Tray,
    /// The Windows service (run by the installer, as an administrator).
    #[cfg(windows)]
    Service {
        #[command(subcommand)]
        action: ServiceAction,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Create the localhost certificate and make the browsers trust it.
    Setup {
        /// Remove the certificate from the browsers' trust stores and delete it.
        #[arg(long)]
        uninstall: bool,
        /// Only check that FILE holds one CA certificate of this agent (CA, path length 0,
        /// name-constrained to localhost, 127.0.0.1 and ::1) and nothing else; exit 6 if not.
        #[arg(long, value_name = "FILE", conflicts_with = "uninstall")]
        check_ca: Option<PathBuf>,
        #[command(flatten)]
        state: StateArgs,
    },
}

impl Command {
    /// The machine service's state dir this command works in, if it was named.
    pub fn state_dir(&self) -> Option<crate::paths::StateDir> {
        let state = match self {
            Command::Serve(args) => &args.state,
            Command::Enroll { state, .. }
            | Command::Doctor { state }
            | Command::Setup { state, .. } => state,
            #[cfg(windows)]
            Command::Service { state, .. } => state,
            Command::Read(_) | Command::Readers { .. } | Command::Tray => return None,
        };
        Some(state.resolve()).filter(|state| state.machine)
    }
}

/// What `thaiid-agent service` does.
#[cfg(windows)]
#[derive(Subcommand, Clone, Copy, Debug)]
pub enum ServiceAction {
    /// Create (or reconfigure) the `thaiid-agent` service under `NT SERVICE\thaiid-agent`,
    /// automatic start, on the state dir; start it and wait until it runs.
    Install,
    /// Stop the service, wait, and delete it.
    Uninstall,
}

/// Where the state is (SPEC §10).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct StateArgs {
    /// The machine service's state directory (key, enrollment, counter, certificate);
    /// by default `THAIID_STATE_DIR`, else the user's own data dir.
    #[arg(long = "state-dir", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl StateArgs {
    pub fn resolve(&self) -> crate::paths::StateDir {
        crate::paths::StateDir::resolve(self.state_dir.as_deref())
    }
}

#[derive(clap::Args)]
pub struct ReadArgs {
    /// Print the card JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Also read the photo and write its JPEG to FILE.
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// Read the card in this reader only.
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// Wait up to SECONDS for a reader and a card.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "0")]
    pub wait: Duration,
}

#[derive(clap::Args, Default)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 and ::1 (default 47113).
    #[arg(long)]
    pub port: Option<u16>,
    /// A web origin allowed to call the agent (repeat for more); replaces the configured list.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Read only this reader.
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
    /// Run under the Windows service manager (the `thaiid-agent` service the installer
    /// makes runs `serve --service --state-dir …`).
    #[cfg(windows)]
    #[arg(long)]
    pub service: bool,
}

/// A duration in seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrollment_token_may_begin_with_a_hyphen() {
        let cli = Cli::try_parse_from(["thaiid-agent", "enroll", "--token", "-yQ3k_9", "-v"])
            .expect("a base64url token beginning with '-' is a value");
        match cli.command {
            Some(Command::Enroll { token, .. }) => assert_eq!(token.as_deref(), Some("-yQ3k_9")),
            _ => panic!("not enroll"),
        }
        assert!(cli.verbose);
    }
}
