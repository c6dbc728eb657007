//! `GET /v1/events`: server-sent events about readers, cards and logins. Reader names
//! and origins only: never card data.

use super::{AppState, LoginEvent};
use crate::watcher::ReaderEvent;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

pub async fn events(
    State(app): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let readers = BroadcastStream::new(app.watcher.events.subscribe())
        .filter_map(|event| event.ok().map(reader_event));
    let logins = BroadcastStream::new(app.login_events.subscribe())
        .filter_map(|event| event.ok().map(login_event));
    // A comment first, so that the answer's headers go out at once: a client knows it is
    // subscribed (EventSource's `open`) without waiting for the first event or keep-alive.
    let subscribed = tokio_stream::once(Event::default().comment("subscribed"));
    Sse::new(subscribed.chain(readers.merge(logins)).map(Ok)).keep_alive(KeepAlive::default())
}

fn reader_event(event: ReaderEvent) -> Event {
    let (name, reader) = match event {
        ReaderEvent::ReaderAdded(reader) => ("reader-added", reader),
        ReaderEvent::ReaderRemoved(reader) => ("reader-removed", reader),
        ReaderEvent::CardInserted(reader) => ("card-inserted", reader),
        ReaderEvent::CardRemoved(reader) => ("card-removed", reader),
    };
    Event::default()
        .event(name)
        .data(json!({ "reader": reader }).to_string())
}

fn login_event(event: LoginEvent) -> Event {
    match event {
        LoginEvent::Started { origin } => Event::default()
            .event("login-started")
            .data(json!({ "origin": origin }).to_string()),
        LoginEvent::Finished { origin, code } => Event::default()
            .event("login-finished")
            .data(json!({ "origin": origin, "ok": code.is_none(), "code": code }).to_string()),
    }
}
