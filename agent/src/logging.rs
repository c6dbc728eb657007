//! Logs to stderr and, for the agent that serves, to daily files (the machine service's
//! in `logs/` of its state dir, a user's agent in [`crate::paths::log_dir`]), the last
//! two weeks kept. Filtered by `THAIID_LOG`
//! (default `info`); `--verbose` adds the APDU trace. Nothing personal is ever logged:
//! citizen IDs are masked where they appear, names never do, and the APDU trace
//! withholds what the card answers.

use std::path::{Path, PathBuf};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// The target of the APDU trace lines.
pub const APDU_TARGET: &str = "apdu";

const KEPT_FILES: usize = 14;

/// Where logs go.
#[derive(Clone, PartialEq, Eq)]
pub enum Sink {
    /// A command someone runs: stderr only.
    Stderr,
    /// The agent: stderr and the rotating files in this dir.
    StderrAndFiles(PathBuf),
}

pub fn init(sink: Sink, verbose: bool) {
    let filter = || {
        let filter =
            EnvFilter::try_from_env("THAIID_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
        match verbose {
            true => filter.add_directive(
                format!("{APDU_TARGET}=trace")
                    .parse()
                    .expect("a valid directive"),
            ),
            false => filter,
        }
    };
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter());
    let (files, unwritable) = match &sink {
        Sink::Stderr => (None, None),
        Sink::StderrAndFiles(dir) => match rotating_files(dir) {
            Ok(appender) => (
                Some(
                    fmt::layer()
                        .with_writer(appender)
                        .with_ansi(false)
                        .with_target(false)
                        .with_filter(filter()),
                ),
                None,
            ),
            Err(error) => (None, Some(error)),
        },
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(files)
        .try_init();
    if let (Some(error), Sink::StderrAndFiles(dir)) = (unwritable, &sink) {
        tracing::warn!("no log files: cannot write in {}: {error}", dir.display());
    }
}

fn rotating_files(dir: &Path) -> Result<tracing_appender::rolling::RollingFileAppender, String> {
    crate::fs::private_dir(dir).map_err(|error| error.to_string())?;
    tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("thaiid-agent")
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(dir)
        .map_err(|error| error.to_string())
}
