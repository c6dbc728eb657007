//! `thaiid-agent serve`: configuration, the localhost certificate, then the API. Headless:
//! the tray is `thaiid-agent tray`, a client of this. On Windows `--service` runs it
//! under the service manager.

use crate::cli::ServeArgs;
use crate::config::{Config, Overrides};
use crate::error::AgentError;
use crate::paths::StateDir;
use crate::serve;
use crate::setup::LocalTls;

pub fn run(args: &ServeArgs) -> Result<(), AgentError> {
    let state = args.state.resolve();
    #[cfg(unix)]
    if state.machine {
        crate::fs::tighten_state_dir(&state.path)?;
    }
    // The service's state dir is made by `setup` (the installer) with its ACL; the
    // service checks it was, and an administrator's foreground run makes it.
    #[cfg(windows)]
    if state.machine {
        match args.service {
            true => crate::win::acl::check_state_dir(&state.path)?,
            false => crate::win::acl::ensure_state_dir(&state.path)?,
        }
    }
    let config = Config::for_state(
        &state,
        &Overrides {
            port: args.port,
            allowed_origins: (!args.allowed_origins.is_empty())
                .then(|| args.allowed_origins.clone()),
            reader: args.reader.clone(),
            ..Overrides::default()
        },
    )?;
    if config.allowed_origins.is_empty() {
        tracing::warn!("no allowed origins configured: every browser call will be refused");
    }
    #[cfg(windows)]
    if args.service {
        return Ok(crate::win::service::run(Box::new(move |stop| {
            serve_until(config, state, stop).map_err(|error| {
                let code = error.exit_code();
                (error.to_string(), code)
            })
        }))?);
    }
    let tls = certificate(&state)?;
    crate::commands::runtime()?.block_on(serve::run(config, state.path, &tls))?;
    Ok(())
}

/// At first start the certificate is made (and, for a user's agent, trusted); later
/// starts only load it.
fn certificate(state: &StateDir) -> Result<LocalTls, AgentError> {
    let (tls, outcomes) = crate::setup::ensure(state)?;
    for outcome in outcomes {
        if let Err(problem) = outcome.result {
            tracing::warn!(
                "browsers may not trust the agent: {}: {problem}",
                outcome.store.description
            );
        }
    }
    Ok(tls)
}

/// The Windows service's body: serves until the service manager says stop, then ends the
/// runtime (its listeners and connections) within a few seconds.
#[cfg(windows)]
fn serve_until(
    config: Config,
    state: StateDir,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), AgentError> {
    let tls = certificate(&state)?;
    let runtime = crate::commands::runtime()?;
    let result = runtime.block_on(async {
        tokio::select! {
            served = serve::run(config, state.path, &tls) => served,
            _ = stop => Ok(()),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    tracing::info!("the service stopped");
    Ok(result?)
}
