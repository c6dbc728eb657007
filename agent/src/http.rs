//! The HTTP client the agent talks to the central server with: rustls on ring, the
//! system's root certificates, short timeouts.

use std::time::Duration;

/// Installs ring as rustls' crypto provider once per process (aws-lc is kept out).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .expect("a client with these settings always builds")
}
