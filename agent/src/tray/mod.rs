//! The tray icon (features `tray` and `tray-ksni`): one model of what to show
//! (`state`, `icons`), fed by the running server (`follow`), and thin backends:
//! `native` (tray-icon: libayatana-appindicator + GTK on Linux, the notification area
//! on Windows) and `sni` (ksni: StatusNotifierItem over D-Bus, no GTK).

mod diagnostics;
mod follow;
pub mod icons;
#[cfg(feature = "tray")]
mod native;
mod notify;
#[cfg(all(feature = "tray-ksni", target_os = "linux"))]
mod sni;
pub mod state;

use crate::error::AgentError;
use crate::serve::{AppState, OnStart};
use state::{Model, Problem, TrayState};
use std::sync::Arc;
use tokio::sync::watch;

/// What a menu entry asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    OpenDiagnostics,
    Quit,
}

/// A tray that can be shown: a display (GTK) or a session bus (ksni) was found.
pub struct Tray(Backend);

enum Backend {
    #[cfg(feature = "tray")]
    Native(native::Native),
    #[cfg(all(feature = "tray-ksni", target_os = "linux"))]
    Sni(sni::Sni),
}

/// Finds a place for the icon; `None` (said once in the log) when the agent runs headless.
pub fn open() -> Option<Tray> {
    #[cfg(feature = "tray")]
    if let Some(native) = native::Native::open() {
        return Some(Tray(Backend::Native(native)));
    }
    #[cfg(all(feature = "tray-ksni", target_os = "linux"))]
    if let Some(sni) = sni::Sni::open() {
        return Some(Tray(Backend::Sni(sni)));
    }
    tracing::info!("no display or session bus: running headless, without a tray icon");
    None
}

impl Tray {
    /// Runs `serve` on a thread of its own and the tray on this one, until "quit" (then
    /// `Ok`: the agent exits 0). Should the tray fail, the agent goes on headless.
    pub fn run<F>(self, serve: F) -> Result<(), AgentError>
    where
        F: FnOnce(OnStart) -> Result<(), AgentError> + Send + 'static,
    {
        let (out, states) = watch::channel(Model::default().state());
        let out = Arc::new(out);
        // Held while the tray runs: a receiver whose senders are all gone sees no change.
        let _open = out.clone();
        let follower = out.clone();
        let on_start: OnStart = Box::new(move |app: &Arc<AppState>| {
            tokio::spawn(follow::follow(
                app.watcher.clone(),
                app.login_events.subscribe(),
                follower,
            ));
        });
        let server = std::thread::Builder::new()
            .name("server".into())
            .spawn(move || {
                let result = serve(on_start);
                if let Err(error) = &result {
                    // The icon shows it until the user quits.
                    tracing::error!("{error}");
                    out.send_replace(TrayState::Error(Problem::NotServing(error.to_string())));
                }
                result
            })
            .map_err(AgentError::Runtime)?;
        let shown: Result<(), String> = match self.0 {
            #[cfg(feature = "tray")]
            Backend::Native(native) => native.run(states),
            #[cfg(all(feature = "tray-ksni", target_os = "linux"))]
            Backend::Sni(sni) => sni.run(states),
        };
        match shown {
            Ok(()) => {
                tracing::info!("quit from the tray menu");
                Ok(())
            }
            Err(problem) => {
                tracing::warn!("tray icon: {problem}; running headless");
                server.join().unwrap_or_else(|_| {
                    Err(AgentError::Runtime(std::io::Error::other(
                        "the server thread panicked",
                    )))
                })
            }
        }
    }
}

/// Runs a menu action; `false` when the tray should close.
fn act(action: Action) -> bool {
    match action {
        Action::OpenDiagnostics => {
            diagnostics::open();
            true
        }
        Action::Quit => false,
    }
}
