//! The tray icon (features `tray` and `tray-ksni`), a per-user client of the machine
//! service: one model of what to show (`state`, `icons`), fed by the service's API
//! (`follow`), and thin backends:
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

use crate::service_client::ServiceClient;
use state::Model;
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

/// Finds a place for the icon; `None` without a display or a session bus.
pub fn open() -> Option<Tray> {
    #[cfg(feature = "tray")]
    if let Some(native) = native::Native::open() {
        return Some(Tray(Backend::Native(native)));
    }
    #[cfg(all(feature = "tray-ksni", target_os = "linux"))]
    if let Some(sni) = sni::Sni::open() {
        return Some(Tray(Backend::Sni(sni)));
    }
    None
}

impl Tray {
    /// Follows the service on a thread of its own and shows the tray on this one, until
    /// "quit" (`Ok`) or the tray fails (`Err`: what failed).
    pub fn run(self, client: ServiceClient) -> Result<(), String> {
        let (out, states) = watch::channel(Model::default().state());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        // Not joined: the process ends with the tray, and the follower with it.
        std::thread::Builder::new()
            .name("follow".into())
            .spawn(move || runtime.block_on(follow::follow(client, out)))
            .map_err(|e| e.to_string())?;
        let shown = match self.0 {
            #[cfg(feature = "tray")]
            Backend::Native(native) => native.run(states),
            #[cfg(all(feature = "tray-ksni", target_os = "linux"))]
            Backend::Sni(sni) => sni.run(states),
        };
        if shown.is_ok() {
            tracing::info!("quit from the tray menu");
        }
        shown
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
