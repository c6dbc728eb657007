//! The per-user client of the machine service's localhost API (SPEC §5, §10): its
//! status, and its events as they come. Used by the tray and by `doctor` run by a
//! desktop user; neither can read the service's state.

mod event;
mod sse;
mod tls;

pub use event::{EventError, ServiceEvent};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;
use thaiid_protocol::api::AgentStatus;

const CONNECT: Duration = Duration::from_secs(3);
const ANSWER: Duration = Duration::from_secs(5);
/// The service sends a keep-alive every 15 s: three missed, the stream is taken as lost.
const SILENCE: Duration = Duration::from_secs(45);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("nothing answers on {address} ({source})")]
    NotListening {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{address} answers, but not as the thaiid-agent service ({detail})")]
    NotTheService { address: SocketAddr, detail: String },
    #[error("the service's event stream ended: {0}")]
    Lost(String),
    #[error("cannot make the HTTPS client: {0}")]
    Client(String),
}

/// The service at one address.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    address: SocketAddr,
    http: reqwest::Client,
}

impl ServiceClient {
    /// No Origin is sent: the service serves its status and events to local programs
    /// without one (browsers always send one).
    pub fn new(address: SocketAddr) -> Result<ServiceClient, ClientError> {
        crate::http::install_crypto_provider();
        let tls = tls::loopback_config().map_err(|e| ClientError::Client(e.to_string()))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(CONNECT)
            .build()
            .map_err(|e| ClientError::Client(e.to_string()))?;
        Ok(ServiceClient { address, http })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> Result<AgentStatus, ClientError> {
        let response = self.get("/v1/status", Some(ANSWER)).await?;
        let body = response.bytes().await.map_err(|e| self.not_ours(&e))?;
        serde_json::from_slice(&body).map_err(|e| self.not_ours(&format!("its status: {e}")))
    }

    /// `GET /v1/events`: follows the service from now on.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        let response = self.get("/v1/events", None).await?;
        let streams = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/event-stream"));
        if !streams {
            return Err(self.not_ours(&"/v1/events is not an event stream"));
        }
        Ok(EventStream {
            response,
            parser: sse::Parser::default(),
            pending: VecDeque::new(),
        })
    }

    async fn get(
        &self,
        path: &str,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, ClientError> {
        // Nothing listening and something that is not us are told apart before HTTPS.
        match tokio::time::timeout(CONNECT, tokio::net::TcpStream::connect(self.address)).await {
            Ok(Ok(_)) => {}
            Ok(Err(source)) => {
                return Err(ClientError::NotListening {
                    address: self.address,
                    source,
                })
            }
            Err(_) => {
                return Err(ClientError::NotListening {
                    address: self.address,
                    source: std::io::ErrorKind::TimedOut.into(),
                })
            }
        }
        let mut request = self
            .http
            .get(format!("https://{}{path}", self.address))
            .header(
                reqwest::header::ACCEPT,
                "application/json, text/event-stream",
            );
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.not_ours(&chain(&e)))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let code = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|body| body["error"]["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(self.not_ours(&format!("{path} answered {status} {code}")));
        }
        Ok(response)
    }

    fn not_ours(&self, detail: &dyn std::fmt::Display) -> ClientError {
        ClientError::NotTheService {
            address: self.address,
            detail: detail.to_string(),
        }
    }
}

/// An error and its causes, in one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The events of one `/v1/events` response.
pub struct EventStream {
    response: reqwest::Response,
    parser: sse::Parser,
    pending: VecDeque<ServiceEvent>,
}

impl EventStream {
    /// The next event; `Ok(None)` when the service closed the stream.
    pub async fn next(&mut self) -> Result<Option<ServiceEvent>, ClientError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            let chunk = match tokio::time::timeout(SILENCE, self.response.chunk()).await {
                Err(_) => return Err(ClientError::Lost(format!("silent for {SILENCE:?}"))),
                Ok(Err(error)) => return Err(ClientError::Lost(chain(&error))),
                Ok(Ok(None)) => return Ok(None),
                Ok(Ok(Some(chunk))) => chunk,
            };
            for message in self.parser.feed(&chunk) {
                match ServiceEvent::parse(&message.event, &message.data) {
                    Ok(Some(event)) => self.pending.push_back(event),
                    Ok(None) => {}
                    Err(error) => tracing::warn!("{error}"),
                }
            }
        }
    }
}
