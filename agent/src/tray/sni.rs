//! The ksni backend: a StatusNotifierItem on the session bus, no GTK. Its D-Bus service
//! runs on a small runtime of this (the main) thread.

use super::icons;
use super::state::{TrayState, OPEN_DIAGNOSTICS, PRODUCT, QUIT};
use super::Action;
use ksni::menu::StandardItem;
use ksni::{MenuItem, ToolTip, TrayMethods};
use tokio::sync::{mpsc, watch};

pub struct Sni {
    runtime: tokio::runtime::Runtime,
    handle: ksni::Handle<AgentTray>,
    actions: mpsc::UnboundedReceiver<Action>,
}

struct AgentTray {
    state: TrayState,
    actions: mpsc::UnboundedSender<Action>,
}

impl Sni {
    /// `None` without a session bus.
    pub fn open() -> Option<Sni> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let (actions_tx, actions) = mpsc::unbounded_channel();
        let tray = AgentTray {
            state: TrayState::Starting,
            actions: actions_tx,
        };
        // A panel that starts after the agent (at login) still gets the icon.
        match runtime.block_on(tray.assume_sni_available(true).spawn()) {
            Ok(handle) => Some(Sni {
                runtime,
                handle,
                actions,
            }),
            Err(error) => {
                tracing::debug!("StatusNotifierItem: {error}");
                None
            }
        }
    }

    pub fn run(self, mut states: watch::Receiver<TrayState>) -> Result<(), String> {
        let Sni {
            runtime,
            handle,
            mut actions,
        } = self;
        runtime.block_on(async move {
            loop {
                tokio::select! {
                    Ok(()) = states.changed() => {
                        let state = states.borrow_and_update().clone();
                        if handle.update(|tray| tray.state = state).await.is_none() {
                            return Err("the tray service stopped".to_owned());
                        }
                    }
                    action = actions.recv() => match action {
                        Some(action) if super::act(action) => {}
                        _ => {
                            handle.shutdown().await;
                            return Ok(());
                        }
                    },
                }
            }
        })
    }
}

impl ksni::Tray for AgentTray {
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        "thaiid-agent".to_owned()
    }

    fn title(&self) -> String {
        PRODUCT.to_owned()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        let icon = icons::for_state(&self.state);
        vec![ksni::Icon {
            width: icon.width as i32,
            height: icon.height as i32,
            data: icon.argb(),
        }]
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: PRODUCT.to_owned(),
            description: format!("{}\n{}", self.state.thai(), self.state.english()),
            ..ToolTip::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let send = |action: Action| {
            move |tray: &mut AgentTray| {
                let _ = tray.actions.send(action);
            }
        };
        vec![
            StandardItem {
                label: self.state.status_line(),
                enabled: false,
                ..StandardItem::default()
            }
            .into(),
            MenuItem::Separator,
            StandardItem {
                label: OPEN_DIAGNOSTICS.to_owned(),
                activate: Box::new(send(Action::OpenDiagnostics)),
                ..StandardItem::default()
            }
            .into(),
            StandardItem {
                label: QUIT.to_owned(),
                activate: Box::new(send(Action::Quit)),
                ..StandardItem::default()
            }
            .into(),
        ]
    }
}
