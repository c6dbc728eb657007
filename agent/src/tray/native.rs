//! The tray-icon backend: libayatana-appindicator with GTK 3 on Linux (or its XEmbed
//! fallback where no StatusNotifierWatcher runs), the notification area on Windows.
//! Its event loop runs on the main thread; state changes and menu clicks are polled.

use super::icons;
use super::state::{TrayState, OPEN_DIAGNOSTICS, PRODUCT, QUIT};
use super::Action;
use std::time::Duration;
use tokio::sync::watch;
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

const POLL: Duration = Duration::from_millis(100);

pub struct Native(());

impl Native {
    /// `None` without a display (GTK cannot start).
    pub fn open() -> Option<Native> {
        #[cfg(target_os = "linux")]
        if let Err(error) = gtk::init() {
            tracing::debug!("GTK: {error}");
            return None;
        }
        Some(Native(()))
    }

    pub fn run(self, mut states: watch::Receiver<TrayState>) -> Result<(), String> {
        let state = states.borrow_and_update().clone();
        let status = MenuItem::new(state.status_line(), false, None);
        let diagnostics = MenuItem::new(OPEN_DIAGNOSTICS, true, None);
        let quit = MenuItem::new(QUIT, true, None);
        let menu = Menu::new();
        menu.append_items(&[
            &status,
            &PredefinedMenuItem::separator(),
            &diagnostics,
            &quit,
        ])
        .map_err(|e| e.to_string())?;
        let tray = TrayIconBuilder::new()
            .with_id("thaiid-agent")
            .with_menu(Box::new(menu))
            .with_tooltip(state.tooltip())
            .with_icon(icon(&state)?)
            .build()
            .map_err(|e| e.to_string())?;
        event_loop(Shown {
            tray,
            status,
            diagnostics,
            quit,
            states,
        });
        Ok(())
    }
}

/// The icon and its menu, as the event loop keeps them.
struct Shown {
    tray: TrayIcon,
    status: MenuItem,
    diagnostics: MenuItem,
    quit: MenuItem,
    states: watch::Receiver<TrayState>,
}

impl Shown {
    /// One turn of the loop: the newest state, then the menu's clicks. `false`: quit.
    fn turn(&mut self) -> bool {
        if self.states.has_changed().unwrap_or(false) {
            let state = self.states.borrow_and_update().clone();
            self.show(&state);
        }
        while let Ok(event) = MenuEvent::receiver().try_recv() {
            let action = if event.id == *self.quit.id() {
                Action::Quit
            } else if event.id == *self.diagnostics.id() {
                Action::OpenDiagnostics
            } else {
                continue;
            };
            if !super::act(action) {
                return false;
            }
        }
        true
    }

    fn show(&self, state: &TrayState) {
        self.status.set_text(state.status_line());
        let shown = icon(state).and_then(|icon| {
            self.tray.set_icon(Some(icon)).map_err(|e| e.to_string())?;
            self.tray
                .set_tooltip(Some(state.tooltip()))
                .map_err(|e| e.to_string())
        });
        if let Err(error) = shown {
            tracing::warn!("tray icon: {error}");
        }
    }
}

fn icon(state: &TrayState) -> Result<Icon, String> {
    let rgba = icons::for_state(state);
    Icon::from_rgba(rgba.pixels, rgba.width, rgba.height)
        .map_err(|e| format!("{PRODUCT} icon: {e}"))
}

#[cfg(target_os = "linux")]
fn event_loop(mut shown: Shown) {
    gtk::glib::timeout_add_local(POLL, move || {
        if shown.turn() {
            gtk::glib::ControlFlow::Continue
        } else {
            gtk::main_quit();
            gtk::glib::ControlFlow::Break
        }
    });
    gtk::main();
}

#[cfg(windows)]
fn event_loop(mut shown: Shown) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DispatchMessageW, MsgWaitForMultipleObjects, PeekMessageW, TranslateMessage, MSG,
        PM_REMOVE, QS_ALLINPUT,
    };
    loop {
        // SAFETY: the plain Win32 message pump of this thread, which owns the icon's window.
        unsafe {
            MsgWaitForMultipleObjects(0, std::ptr::null(), 0, POLL.as_millis() as u32, QS_ALLINPUT);
            let mut message: MSG = std::mem::zeroed();
            while PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
                TranslateMessage(&message);
                DispatchMessageW(&message);
            }
        }
        if !shown.turn() {
            return;
        }
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
compile_error!("the `tray` feature supports Linux and Windows");
