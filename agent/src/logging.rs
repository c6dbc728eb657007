//! Logs to stderr, filtered by `THAIID_LOG` (default `info`). Nothing personal is
//! ever logged: citizen IDs are masked where they appear, names never do.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("THAIID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
