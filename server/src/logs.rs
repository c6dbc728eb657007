//! Where the server's log lines go and in what shape: text on stderr (the default), or
//! one JSON object per line (`THAIID_SERVER_LOG_FORMAT=json`) for a log collector, each
//! with the request id of the HTTP request it belongs to (`span.request_id`).

/// `THAIID_SERVER_LOG_FORMAT`: `text` (the default) or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("THAIID_SERVER_LOG_FORMAT={0:?}: say text or json")]
pub struct UnknownLogFormat(String);

impl LogFormat {
    pub const VARIABLE: &'static str = "THAIID_SERVER_LOG_FORMAT";

    /// The format `value` names (unset: text).
    pub fn parse(value: Option<&str>) -> Result<LogFormat, UnknownLogFormat> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(UnknownLogFormat(other.to_owned())),
        }
    }

    pub fn from_env() -> Result<LogFormat, UnknownLogFormat> {
        LogFormat::parse(std::env::var(Self::VARIABLE).ok().as_deref())
    }

    /// Sends this process's log lines to stderr in this format.
    pub fn init(self) {
        let lines = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_target(false);
        match self {
            LogFormat::Text => lines.init(),
            LogFormat::Json => lines
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .init(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_unless_json_is_asked_for_and_a_typo_is_an_error() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("json")).unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::parse(Some("text")).unwrap(), LogFormat::Text);
        let error = LogFormat::parse(Some("jsno")).unwrap_err();
        assert!(error.to_string().contains("say text or json"), "{error}");
    }
}
