//! `thaiid-server serve [--tls-cert C --tls-key K]`: the API and the pages, configured
//! by the environment (SPEC §7).

use super::{card_key, otp_key, Outcome};
use crate::card_login::{self, queue};
use crate::cli::ServeArgs;
use crate::db::Pool;
use crate::http::proxies::TrustedProxies;
use crate::http::serve::{serve, HEADER_READ_TIMEOUT};
use crate::http::AppState;
use crate::oidc::keys::SigningKeys;
use crate::{sessions, sweep, users};
use std::net::SocketAddr;

pub async fn run(pool: Pool, args: ServeArgs) -> Outcome {
    let listen = std::env::var("THAIID_SERVER_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let address: SocketAddr = listen.parse().map_err(|_| {
        format!("THAIID_SERVER_LISTEN={listen:?} is not an address like 127.0.0.1:8080")
    })?;
    let tls = args.tls_cert.zip(args.tls_key);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = std::env::var("THAIID_SERVER_PUBLIC_URL")
        .unwrap_or_else(|_| format!("{scheme}://{listen}"));
    let proxies = std::env::var("THAIID_SERVER_TRUSTED_PROXIES").unwrap_or_default();
    let proxies = TrustedProxies::parse(&proxies)
        .map_err(|problem| format!("THAIID_SERVER_TRUSTED_PROXIES: {problem}"))?;
    let audit_days = number("THAIID_SERVER_AUDIT_DAYS", sweep::DEFAULT_AUDIT_DAYS)?;
    let queue = number("THAIID_SERVER_CARD_LOGIN_QUEUE", queue::DEFAULT_LIMIT)?;
    let per_address = number(
        "THAIID_SERVER_SESSIONS_PER_ADDRESS",
        sessions::DEFAULT_PER_ADDRESS,
    )?;
    tokio::spawn(sweep::every_few_minutes(pool.clone(), audit_days));
    let otp_key = otp_key()?;
    let sealed = users::seal_otp_secrets(&pool, &otp_key).await?;
    if sealed > 0 {
        tracing::info!("sealed the OTP secrets of {sealed} account(s) stored before sealing");
    }
    let oidc_keys = SigningKeys::load_or_create(&super::oidc_key_file(), crate::now())?;
    let mut state = AppState::with_oidc_keys(pool, &public_url, otp_key, card_key()?, oidc_keys)
        .map_err(|problem| format!("THAIID_SERVER_PUBLIC_URL: {problem}"))?
        .with_trusted_proxies(proxies)
        .with_card_login_queue(queue)
        .with_sessions_per_address(per_address);
    if let Ok(agent_url) = std::env::var("THAIID_SERVER_AGENT_URL") {
        state = state
            .with_agent_url(&agent_url)
            .map_err(|problem| format!("THAIID_SERVER_AGENT_URL: {problem}"))?;
    }
    let config = match tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|error| {
                    format!(
                        "cannot load {} / {}: {error}",
                        cert.display(),
                        key.display()
                    )
                })?;
            Some(config)
        }
        None => None,
    };
    let listener = std::net::TcpListener::bind(address)
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    if let Some(metrics_listener) = metrics_listener()? {
        let router = crate::http::scrape::router(state.metrics.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics_listener, router).await {
                tracing::error!("the metrics listener stopped: {error}");
            }
        });
    }
    tracing::info!("listening on {scheme}://{listen}, public URL {public_url}");
    let verifier = state.verifier.clone();
    tokio::spawn(card_login::audit_strangers_every_minute(verifier.clone()));
    let app = crate::app::router(state);
    serve(listener, config, app, handle, HEADER_READ_TIMEOUT)
        .await
        .map_err(|error| format!("cannot serve on {listen}: {error}"))?;
    // The last minute's count of refusals is audited too.
    verifier.audit_strangers(crate::now()).await?;
    Ok(())
}

/// `THAIID_SERVER_METRICS_LISTEN` (unset: no metrics): plain HTTP, `GET /metrics`.
fn metrics_listener() -> Result<Option<tokio::net::TcpListener>, String> {
    let Ok(listen) = std::env::var("THAIID_SERVER_METRICS_LISTEN") else {
        return Ok(None);
    };
    let address: SocketAddr = listen.parse().map_err(|_| {
        format!("THAIID_SERVER_METRICS_LISTEN={listen:?} is not an address like 127.0.0.1:9464")
    })?;
    let listener = std::net::TcpListener::bind(address)
        .and_then(|listener| {
            listener.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(listener)
        })
        .map_err(|error| format!("cannot listen on {listen} for metrics: {error}"))?;
    tracing::info!("metrics on http://{listen}/metrics");
    Ok(Some(listener))
}

/// The whole number (at least 1) in the environment variable `name`, else `default`.
fn number<T: std::str::FromStr + PartialOrd + From<u8>>(
    name: &str,
    default: T,
) -> Result<T, String> {
    whole_number(name, std::env::var(name).ok(), default)
}

/// `text` (the variable `name`'s) as a whole number of at least 1; `None`: `default`.
fn whole_number<T: std::str::FromStr + PartialOrd + From<u8>>(
    name: &str,
    text: Option<String>,
    default: T,
) -> Result<T, String> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.trim().parse::<T>() {
        Ok(value) if value >= T::from(1) => Ok(value),
        _ => Err(format!(
            "{name}={text:?} is not a whole number of at least 1"
        )),
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn a_limit_is_a_whole_number_of_at_least_one() {
        let read = |text: Option<&str>| whole_number("LIMIT", text.map(str::to_owned), 400u32);
        assert_eq!(read(None), Ok(400));
        assert_eq!(read(Some(" 30 ")), Ok(30));
        for bad in ["0", "-1", "many", "1.5", ""] {
            let problem = read(Some(bad)).unwrap_err();
            assert!(problem.starts_with("LIMIT="), "{problem}");
            assert!(
                problem.ends_with("is not a whole number of at least 1"),
                "{problem}"
            );
        }
    }
}
