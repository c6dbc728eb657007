//! The events of `/v1/events` (see `crate::serve::events` for the wire form): reader
//! names and origins, never card data.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceEvent {
    ReaderAdded { reader: String },
    ReaderRemoved { reader: String },
    CardInserted { reader: String },
    CardRemoved { reader: String },
    LoginStarted { origin: String },
    LoginFinished { origin: String, ok: bool },
}

#[derive(Debug, thiserror::Error)]
#[error("the service sent a {event} event that does not parse ({source})")]
pub struct EventError {
    event: String,
    source: serde_json::Error,
}

#[derive(Deserialize)]
struct Reader {
    reader: String,
}

#[derive(Deserialize)]
struct Login {
    origin: String,
    #[serde(default)]
    ok: bool,
}

impl ServiceEvent {
    /// The event named `event` with `data`; `Ok(None)` for an event this version does
    /// not know (a newer service may send more).
    pub fn parse(event: &str, data: &str) -> Result<Option<ServiceEvent>, EventError> {
        let bad = |source| EventError {
            event: event.to_owned(),
            source,
        };
        let reader = || {
            serde_json::from_str::<Reader>(data)
                .map(|r| r.reader)
                .map_err(bad)
        };
        let login = || serde_json::from_str::<Login>(data).map_err(bad);
        Ok(Some(match event {
            "reader-added" => ServiceEvent::ReaderAdded { reader: reader()? },
            "reader-removed" => ServiceEvent::ReaderRemoved { reader: reader()? },
            "card-inserted" => ServiceEvent::CardInserted { reader: reader()? },
            "card-removed" => ServiceEvent::CardRemoved { reader: reader()? },
            "login-started" => ServiceEvent::LoginStarted {
                origin: login()?.origin,
            },
            "login-finished" => {
                let Login { origin, ok } = login()?;
                ServiceEvent::LoginFinished { origin, ok }
            }
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_of_the_service_parses() {
        let parse = |event, data| ServiceEvent::parse(event, data).unwrap();
        assert_eq!(
            parse("card-inserted", r#"{"reader":"Virtual PCD 00 00"}"#),
            Some(ServiceEvent::CardInserted {
                reader: "Virtual PCD 00 00".into()
            })
        );
        assert_eq!(
            parse("reader-removed", r#"{"reader":"R"}"#),
            Some(ServiceEvent::ReaderRemoved { reader: "R".into() })
        );
        assert_eq!(
            parse("login-started", r#"{"origin":"https://sso.example.go.th"}"#),
            Some(ServiceEvent::LoginStarted {
                origin: "https://sso.example.go.th".into()
            })
        );
        assert_eq!(
            parse(
                "login-finished",
                r#"{"origin":"https://a.example","ok":false,"code":"NO_CARD"}"#
            ),
            Some(ServiceEvent::LoginFinished {
                origin: "https://a.example".into(),
                ok: false
            })
        );
        assert_eq!(parse("something-new", "{}"), None);
        let bad = ServiceEvent::parse("card-removed", "{}").unwrap_err();
        assert!(bad.to_string().contains("card-removed"), "{bad}");
    }
}
