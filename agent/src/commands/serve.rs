//! `thaiid-agent serve`: configuration, the localhost certificate, then the API.

use crate::cli::ServeArgs;
use crate::config::{Config, Overrides};
use crate::error::AgentError;
use crate::paths::StateDir;
use crate::serve;

pub fn run(args: &ServeArgs) -> Result<(), AgentError> {
    #[cfg(windows)]
    if !args.service {
        leave_own_console();
    }
    let state = args.state.resolve();
    // The service's state dir is made by `setup` (the installer) with its ACL; the
    // service checks it was, and an administrator's foreground run makes it.
    #[cfg(windows)]
    if state.machine {
        match args.service {
            true => crate::win::acl::check_state_dir(&state.path)?,
            false => crate::win::acl::ensure_state_dir(&state.path)?,
        }
    }
    let config = Config::from_environment(&Overrides {
        port: args.port,
        allowed_origins: (!args.allowed_origins.is_empty()).then(|| args.allowed_origins.clone()),
        reader: args.reader.clone(),
        ..Overrides::default()
    })?;
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
    // The tray's event loop takes the main thread (GTK wants it); the server gets another.
    #[cfg(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux")))]
    if let Some(tray) = crate::tray::open() {
        return tray.run(move |on_start| serve_with(config, state, Some(on_start)));
    }
    serve_with(config, state, None)
}

fn serve_with(
    config: Config,
    state: StateDir,
    on_start: Option<serve::OnStart>,
) -> Result<(), AgentError> {
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
    crate::commands::runtime()?.block_on(serve::run(config, state.path, &tls, on_start))?;
    Ok(())
}

/// The Windows service's body: serves until the service manager says stop, then ends the
/// runtime (its listeners and connections) within a few seconds.
#[cfg(windows)]
fn serve_until(
    config: Config,
    state: StateDir,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), AgentError> {
    let (tls, outcomes) = crate::setup::ensure(&state)?;
    for outcome in outcomes {
        if let Err(problem) = outcome.result {
            tracing::warn!(
                "browsers may not trust the agent: {}: {problem}",
                outcome.store.description
            );
        }
    }
    let runtime = crate::commands::runtime()?;
    let result = runtime.block_on(async {
        tokio::select! {
            served = serve::run(config, state.path, &tls, None) => served,
            _ = stop => Ok(()),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    tracing::info!("the service stopped");
    Ok(result?)
}

/// Started at logon (the Run key), the console-subsystem exe gets a console window of its
/// own: it is let go, so that only the tray icon stays. A console the agent shares with
/// the shell it was started from is kept.
#[cfg(windows)]
fn leave_own_console() {
    use windows_sys::Win32::System::Console::{FreeConsole, GetConsoleProcessList};
    let mut processes = [0u32; 2];
    // SAFETY: the buffer holds `processes.len()` entries, as the call is told.
    let attached = unsafe { GetConsoleProcessList(processes.as_mut_ptr(), processes.len() as u32) };
    if attached == 1 {
        // SAFETY: no handle of the console is held past this point.
        unsafe { FreeConsole() };
    }
}
