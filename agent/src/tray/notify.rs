//! The desktop notification that asks for the card. Linux: org.freedesktop.Notifications
//! over the session bus. A missing bus or notification daemon is logged, never fatal.

use std::time::Duration;

/// Shows `summary` and `body`; gives up after a few seconds.
pub async fn show(summary: &str, body: &str) {
    match tokio::time::timeout(Duration::from_secs(5), send(summary, body)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::info!("no desktop notification: {error}"),
        Err(_) => {
            tracing::info!("no desktop notification: the notification service did not answer")
        }
    }
}

#[cfg(target_os = "linux")]
async fn send(summary: &str, body: &str) -> Result<(), zbus::Error> {
    use std::collections::HashMap;
    use zbus::zvariant::Value;
    let bus = zbus::Connection::session().await?;
    let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
    // Normal urgency; it goes away by itself after 30 s, the login's own time limit.
    hints.insert("urgency", Value::U8(1));
    bus.call_method(
        Some("org.freedesktop.Notifications"),
        "/org/freedesktop/Notifications",
        Some("org.freedesktop.Notifications"),
        "Notify",
        &(
            super::state::PRODUCT,
            0u32,
            "",
            summary,
            body,
            Vec::<&str>::new(),
            hints,
            30_000i32,
        ),
    )
    .await?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
async fn send(_summary: &str, _body: &str) -> Result<(), &'static str> {
    Err("not implemented on this platform (the tray icon shows the login instead)")
}
