//! logind over the system bus, for the one thing its files do not say: whether a
//! session is locked (`org.freedesktop.login1.Session.LockedHint`, set by the screen
//! locker, `loginctl lock-session`). logind's default bus policy lets any local user read
//! it. The bus is `DBUS_SYSTEM_BUS_ADDRESS` when set (tests run a bus of their own), else
//! the system's.

use super::CallerError;
use tokio::sync::Mutex;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

const LOGIN1: &str = "org.freedesktop.login1";
/// logind answers in milliseconds; one that does not answer must not hold the watcher
/// or a request for ever (the caller is then refused).
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// A connection to the system bus, made at first need and made again after a failure
/// (dbus or logind restarted).
#[derive(Default)]
pub struct Logind {
    connection: Mutex<Option<zbus::Connection>>,
}

impl Logind {
    /// Whether logind says session `id` is locked.
    pub async fn locked_hint(&self, id: &str) -> Result<bool, CallerError> {
        let mut connection = self.connection.lock().await;
        // One more try on a new connection: the kept one may be to a bus that restarted.
        for fresh in [connection.is_none(), true] {
            if fresh {
                *connection = None;
                let connect = tokio::time::timeout(ANSWER_WITHIN, zbus::Connection::system());
                let connected = connect.await.unwrap_or_else(|_| Err(silent()));
                *connection = Some(connected.map_err(failed)?);
            }
            let Some(bus) = connection.as_ref() else {
                continue;
            };
            let answer = tokio::time::timeout(ANSWER_WITHIN, ask(bus, id))
                .await
                .unwrap_or_else(|_| Err(silent()));
            match answer {
                Ok(locked) => return Ok(locked),
                Err(error) if fresh => return Err(failed(error)),
                Err(error) => tracing::debug!("logind: {error}; connecting again"),
            }
        }
        Err(CallerError::Logind("no connection".into()))
    }
}

async fn ask(bus: &zbus::Connection, id: &str) -> zbus::Result<bool> {
    let reply = bus
        .call_method(
            Some(LOGIN1),
            "/org/freedesktop/login1",
            Some("org.freedesktop.login1.Manager"),
            "GetSession",
            &(id,),
        )
        .await?;
    let path: OwnedObjectPath = reply.body().deserialize()?;
    let reply = bus
        .call_method(
            Some(LOGIN1),
            &path,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &("org.freedesktop.login1.Session", "LockedHint"),
        )
        .await?;
    let value: OwnedValue = reply.body().deserialize()?;
    Ok(bool::try_from(value)?)
}

fn silent() -> zbus::Error {
    zbus::Error::Failure(format!("no answer within {ANSWER_WITHIN:?}"))
}

fn failed(error: zbus::Error) -> CallerError {
    CallerError::Logind(error.to_string())
}
