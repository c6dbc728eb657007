//! Follows the running server (card watcher and logins) into the tray's state, and
//! asks for the card when a login waits for one.

use super::state::{insert_card_notice, Model, TrayState};
use crate::serve::LoginEvent;
use crate::watcher::Watcher;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

pub async fn follow(
    watcher: Watcher,
    mut logins: broadcast::Receiver<LoginEvent>,
    out: Arc<watch::Sender<TrayState>>,
) {
    let mut snapshot = watcher.snapshot;
    let mut model = Model::default();
    loop {
        tokio::select! {
            changed = snapshot.changed() => {
                if changed.is_err() {
                    return;
                }
                model.saw(&snapshot.borrow_and_update());
            }
            event = logins.recv() => match event {
                Ok(event) => {
                    if let LoginEvent::Started { origin } = &event {
                        if !model.card_present() {
                            let (summary, body) = insert_card_notice(origin);
                            tokio::spawn(async move { super::notify::show(&summary, &body).await });
                        }
                    }
                    model.login(&event);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => model.lost_logins(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
        out.send_if_modified(|shown| {
            let state = model.state();
            let changed = *shown != state;
            *shown = state;
            changed
        });
    }
}
