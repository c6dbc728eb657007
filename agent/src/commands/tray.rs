//! `thaiid-agent tray`: the per-user part, started at each user's login (XDG autostart,
//! the Run key). Cleans up after the per-user agent of earlier versions, then shows the
//! machine service's state in the tray until the user quits.

use crate::config::{Config, Overrides};
use crate::error::AgentError;

pub fn run() -> Result<(), AgentError> {
    #[cfg(windows)]
    leave_own_console();
    crate::upgrade::run_for_current_user();
    let config = Config::from_environment(&Overrides::default())?;
    show(&config)
}

#[cfg(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux")))]
fn show(config: &Config) -> Result<(), AgentError> {
    use crate::service_client::ServiceClient;
    use std::net::{Ipv4Addr, SocketAddr};
    let Some(tray) = crate::tray::open() else {
        return Err(tray_error(
            "no display or session bus: the tray icon has nowhere to show",
        ));
    };
    let address = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), config.port);
    let client = ServiceClient::new(address).map_err(|e| tray_error(&e.to_string()))?;
    tray.run(client)
        .map_err(|problem| tray_error(&format!("the tray icon failed: {problem}")))
}

#[cfg(not(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux"))))]
fn show(_config: &Config) -> Result<(), AgentError> {
    tracing::info!("this build has no tray icon (features `tray`, `tray-ksni`)");
    Ok(())
}

#[cfg(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux")))]
fn tray_error(problem: &str) -> AgentError {
    AgentError::Runtime(std::io::Error::other(problem.to_owned()))
}

/// Started at logon (the Run key), the console-subsystem exe gets a console window of its
/// own: it is let go, so that only the tray icon stays. A console the process shares with
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
