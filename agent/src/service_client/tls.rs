//! The TLS check of the per-user client: any certificate, for a loopback address only.
//!
//! Why not verify the chain: the service's CA is in its 0700 state dir, which a desktop
//! user cannot read, and nothing the tray or `doctor` asks for is secret (status and
//! events carry no personal data; nothing is sent but GETs). What matters is whether the
//! answer is the service's: a server whose `/v1/status` does not parse is shown as an
//! error, and `doctor` also names the uid that holds the port (`crate::procnet`).
//! Handshake signatures are still verified, so the connection is a real TLS one.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

#[derive(Debug)]
struct AnyLoopbackCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyLoopbackCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match server_name {
            ServerName::IpAddress(ip) if std::net::IpAddr::from(*ip).is_loopback() => {
                Ok(ServerCertVerified::assertion())
            }
            _ => Err(rustls::Error::General(
                "only the loopback service is reached without a certificate check".into(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A rustls client configuration for the service on a loopback address.
pub fn loopback_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyLoopbackCertificate(provider)))
        .with_no_client_auth();
    Ok(config)
}
