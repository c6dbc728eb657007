//! The listener: plain HTTP (behind a TLS proxy) or HTTPS (`--tls-cert`), with the
//! timeouts that keep slow clients from holding connections: headers within
//! [`HEADER_READ_TIMEOUT`], bodies within [`super::BODY_DEADLINE`], TLS handshakes within
//! axum-server's 10 s.

use axum::Router;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::Handle;
use std::net::SocketAddr;
use std::time::Duration;

/// A client that has not sent its request's headers by then is cut off.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` (HTTPS with `tls`) until `handle` shuts it down; a client
/// gets `header_read` to send its headers.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    app: Router,
    handle: Handle,
    header_read: Duration,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut server = axum_server::from_tcp(listener).handle(handle);
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read);
    match tls {
        Some(config) => {
            server
                .acceptor(RustlsAcceptor::new(config))
                .serve(service)
                .await
        }
        None => server.serve(service).await,
    }
}
