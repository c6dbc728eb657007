//! `thaiid-agent serve`: the localhost HTTPS API of SPEC §5 on 127.0.0.1 and ::1.

mod body;
pub mod caller;
mod error;
mod events;
mod guard;
mod login;

use crate::config::Config;
use crate::enrollment::{self, Identity};
use crate::setup::LocalTls;
use crate::watcher::{self, CardState, Watcher};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use thaiid_protocol::api::{AgentErrorCode, AgentStatus, ReaderInfo};
use tokio::sync::{broadcast, Mutex};

pub use error::ApiError;

/// Logins, for `/v1/events`.
#[derive(Clone, Debug)]
pub enum LoginEvent {
    Started {
        origin: String,
    },
    Finished {
        origin: String,
        code: Option<AgentErrorCode>,
    },
}

pub struct AppState {
    pub config: Config,
    pub data_dir: PathBuf,
    pub watcher: Watcher,
    /// The machine's console: who is at it, and whether their screen is locked.
    pub seats: Arc<caller::Seats>,
    /// Held for the whole of a login: the one-at-a-time lock.
    pub identity: Mutex<Option<Identity>>,
    /// Insertions that gave their one login (SPEC §5), of the cards still in.
    pub spent: std::sync::Mutex<std::collections::BTreeSet<u64>>,
    pub login_events: broadcast::Sender<LoginEvent>,
    pub http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the localhost certificate is unusable: {0}: run `thaiid-agent setup`")]
    Certificate(String),
    #[error("cannot listen on {address}: {source} (is another thaiid-agent running?)")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Enrollment(#[from] enrollment::EnrollError),
}

pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/login", post(login::login))
        .route("/v1/events", get(events::events))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .with_state(app)
}

/// Runs the agent until it is stopped.
pub async fn run(config: Config, data_dir: PathBuf, tls: &LocalTls) -> Result<(), ServeError> {
    crate::http::install_crypto_provider();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(server_tls(tls)?));
    let identity = enrollment::load(&data_dir)?;
    if identity.is_none() {
        match (&config.server_url, &config.enroll_token) {
            (Some(server), Some(token)) => {
                tokio::spawn(enrollment::enroll_with_token(
                    data_dir.clone(),
                    server.clone(),
                    token.0.clone(),
                ));
            }
            _ => tracing::warn!(
                "not enrolled: logins will answer NOT_ENROLLED until `thaiid-agent enroll`"
            ),
        }
    }
    let seats = Arc::new(caller::Seats::default());
    let app = Arc::new(AppState {
        watcher: watcher::spawn(config.reader.clone(), owner_now(seats.clone())),
        seats,
        identity: Mutex::new(identity),
        spent: Default::default(),
        login_events: broadcast::channel(16).0,
        http: crate::http::client(),
        data_dir,
        config,
    });
    let port = app.config.port;
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let mut servers = Vec::new();
    for ip in [Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()] {
        let address = SocketAddr::new(ip, port);
        let listener = match std::net::TcpListener::bind(address) {
            Ok(listener) => listener,
            // A machine without IPv6 still serves on IPv4; but a program squatting on
            // [::1] would answer pages that call `localhost`: that stops the start.
            Err(error) if address.is_ipv6() && error.kind() != std::io::ErrorKind::AddrInUse => {
                tracing::warn!("not listening on {address}: {error}");
                continue;
            }
            Err(source) => return Err(ServeError::Listen { address, source }),
        };
        listener
            .set_nonblocking(true)
            .map_err(|source| ServeError::Listen { address, source })?;
        let mut server = axum_server::from_tcp_rustls(listener, tls.clone());
        // Slow clients are cut: headers within 10 s (bodies: see `body`).
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10));
        tracing::info!("listening on https://{address}");
        servers.push(tokio::spawn(server.serve(service.clone())));
    }
    for server in servers {
        let _ = server.await;
    }
    Ok(())
}

/// For the watcher's thread: whose an insertion is, from the console as it is; nobody's
/// when the console cannot be read.
fn owner_now(seats: Arc<caller::Seats>) -> watcher::OwnerNow {
    let runtime = tokio::runtime::Handle::current();
    Box::new(move || match runtime.block_on(seats.console()) {
        Ok(console) => console.owner(),
        Err(error) => {
            tracing::warn!("the console at a card's insertion: {error}: the card is nobody's");
            watcher::Owner::Nobody
        }
    })
}

fn server_tls(tls: &LocalTls) -> Result<rustls::ServerConfig, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |error: &dyn std::fmt::Display| ServeError::Certificate(error.to_string());
    let chain = CertificateDer::pem_slice_iter(tls.cert_chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| bad(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

async fn status(State(app): State<Arc<AppState>>) -> Json<AgentStatus> {
    let snapshot = app.watcher.snapshot.borrow().clone();
    Json(AgentStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        enrolled: app.data_dir.join("enrollment.json").exists(),
        readers: snapshot
            .readers
            .iter()
            .map(|reader| ReaderInfo {
                name: reader.name.clone(),
                card_present: reader
                    .card
                    .as_ref()
                    .is_some_and(|card| !matches!(card, CardState::Removed)),
            })
            .collect(),
    })
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../assets/openapi.json"),
    )
}

async fn not_found() -> ApiError {
    ApiError::with_status(AgentErrorCode::BadRequest, StatusCode::NOT_FOUND)
}

async fn method_not_allowed() -> ApiError {
    ApiError::with_status(AgentErrorCode::BadRequest, StatusCode::METHOD_NOT_ALLOWED)
}
