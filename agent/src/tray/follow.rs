//! Follows the machine service over its API into the tray's state: its events, after
//! its status at each (re)connect; when it is gone, tries again with a growing pause.
//! Asks for the card when a login waits for one.

use super::state::{insert_card_notice, Model, Problem, TrayState};
use crate::service_client::{ClientError, ServiceClient, ServiceEvent};
use std::time::Duration;
use tokio::sync::watch;

const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(10);

pub async fn follow(client: ServiceClient, out: watch::Sender<TrayState>) {
    let mut model = Model::default();
    let mut retry = FIRST_RETRY;
    loop {
        match session(&client, &mut model, &out).await {
            // It answered: the next try comes soon.
            Ok(()) => retry = FIRST_RETRY,
            Err(error) => {
                let problem = match &error {
                    ClientError::NotTheService { detail, .. } => {
                        Problem::NotTheService(detail.clone())
                    }
                    _ => Problem::ServiceDown,
                };
                let said = model.state() == TrayState::Error(problem.clone());
                if !said {
                    tracing::warn!("{error}");
                }
                model.lost(problem);
                publish(&out, &model);
                retry = (retry * 2).min(LAST_RETRY);
            }
        }
        tokio::time::sleep(retry).await;
    }
}

/// One connection: the events are opened first, so that none falls between the status
/// and them. `Ok` when the stream ended after the service had answered.
async fn session(
    client: &ServiceClient,
    model: &mut Model,
    out: &watch::Sender<TrayState>,
) -> Result<(), ClientError> {
    let mut events = client.events().await?;
    let status = client.status().await?;
    tracing::info!(
        "following thaiid-agent {} on {}",
        status.version,
        client.address()
    );
    model.connected(&status);
    publish(out, model);
    loop {
        let event = match events.next().await {
            Ok(Some(event)) => event,
            Ok(None) => {
                tracing::warn!("the service closed its event stream");
                model.lost(Problem::ServiceDown);
                publish(out, model);
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if let ServiceEvent::LoginStarted { origin } = &event {
            if !model.card_present() {
                let (summary, body) = insert_card_notice(origin);
                tokio::spawn(async move { super::notify::show(&summary, &body).await });
            }
        }
        model.saw(&event);
        publish(out, model);
    }
}

fn publish(out: &watch::Sender<TrayState>, model: &Model) {
    out.send_if_modified(|shown| {
        let state = model.state();
        let changed = *shown != state;
        *shown = state;
        changed
    });
}
