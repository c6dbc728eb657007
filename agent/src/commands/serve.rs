//! `thaiid-agent serve`: configuration, the localhost certificate, then the API. Headless:
//! the tray is `thaiid-agent tray`, a client of this.

use crate::cli::ServeArgs;
use crate::config::{Config, Overrides};
use crate::error::AgentError;
use crate::serve;

pub fn run(args: &ServeArgs) -> Result<(), AgentError> {
    let state = args.state.resolve();
    let config = Config::from_environment(&Overrides {
        port: args.port,
        allowed_origins: (!args.allowed_origins.is_empty()).then(|| args.allowed_origins.clone()),
        reader: args.reader.clone(),
        ..Overrides::default()
    })?;
    if config.allowed_origins.is_empty() {
        tracing::warn!("no allowed origins configured: every browser call will be refused");
    }
    // At first start the certificate is made and trusted; later starts only load it.
    let (tls, outcomes) = crate::setup::ensure(&state)?;
    for outcome in outcomes {
        if let Err(problem) = outcome.result {
            tracing::warn!(
                "browsers may not trust the agent: {}: {problem}",
                outcome.store.description
            );
        }
    }
    crate::commands::runtime()?.block_on(serve::run(config, state.path, &tls))?;
    Ok(())
}
