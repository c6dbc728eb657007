//! What every handler shares: the database, the server's URLs and keys, and the proxies
//! it believes.

use super::proxies::TrustedProxies;
use crate::card_key::CardKey;
use crate::db::Pool;
use crate::otp_key::OtpKey;
use std::time::Duration;

/// Where the agent listens on every workstation unless IT set its port (SPEC §5).
pub const DEFAULT_AGENT_URL: &str = "https://127.0.0.1:47113";

/// A URL the server was given that it cannot use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("the public URL: {0}")]
    PublicUrl(String),
    #[error("the agent URL: {0}")]
    AgentUrl(String),
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// The server's public base URL: what assertions must name as `aud`.
    pub public_url: String,
    /// Where its own pages run: the origin their nonces are bound to.
    pub origin: String,
    /// Where the pages call the agent on each workstation (its `port` setting).
    pub agent_url: String,
    /// Opens the accounts' OTP secrets.
    pub otp_key: OtpKey,
    /// What registered cards are stored under.
    pub card_key: CardKey,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How long a client has to send its body ([`super::BODY_DEADLINE`]).
    pub body_deadline: Duration,
    /// What the OpenID Connect provider signs ID tokens with.
    pub oidc_keys: crate::oidc::keys::SigningKeys,
    /// Card logins' verifier (agents' keys, the SQLite writer).
    pub verifier: crate::card_login::Verifier,
    /// What Prometheus scrapes (`THAIID_SERVER_METRICS_LISTEN`).
    pub metrics: crate::metrics::Metrics,
    /// The sessions not logged in one address keeps alive
    /// ([`crate::sessions::create_anonymous`]).
    pub sessions_per_address: usize,
}

impl AppState {
    /// A state whose ID tokens are signed with keys made for this process (tests).
    pub fn new(
        pool: Pool,
        public_url: &str,
        otp_key: OtpKey,
        card_key: CardKey,
    ) -> Result<AppState, UrlError> {
        let keys = crate::oidc::keys::SigningKeys::ephemeral();
        AppState::with_oidc_keys(pool, public_url, otp_key, card_key, keys)
    }

    /// A state whose ID tokens are signed with `oidc_keys` (their file, for `serve`): no
    /// throwaway key is made first, an RSA one being a tenth of a second or more.
    pub fn with_oidc_keys(
        pool: Pool,
        public_url: &str,
        otp_key: OtpKey,
        card_key: CardKey,
        oidc_keys: crate::oidc::keys::SigningKeys,
    ) -> Result<AppState, UrlError> {
        let public_url =
            thaiid_protocol::origin::server_url(public_url).map_err(UrlError::PublicUrl)?;
        let verifier = crate::card_login::Verifier::new(pool.clone(), card_key.clone());
        Ok(AppState {
            origin: thaiid_protocol::origin::origin_of(&public_url).map_err(UrlError::PublicUrl)?,
            metrics: crate::metrics::Metrics::new(pool.clone(), verifier.queue().clone()),
            verifier,
            pool,
            public_url,
            agent_url: DEFAULT_AGENT_URL.into(),
            otp_key,
            card_key,
            trusted_proxies: TrustedProxies::default(),
            body_deadline: super::BODY_DEADLINE,
            oidc_keys,
            sessions_per_address: crate::sessions::DEFAULT_PER_ADDRESS,
        })
    }

    /// The pages call the agent at `url` instead of the default.
    pub fn with_agent_url(self, url: &str) -> Result<AppState, UrlError> {
        Ok(AppState {
            agent_url: thaiid_protocol::origin::agent_url(url).map_err(UrlError::AgentUrl)?,
            ..self
        })
    }

    /// Gives clients `deadline` to send their bodies instead of [`super::BODY_DEADLINE`].
    pub fn with_body_deadline(self, deadline: Duration) -> AppState {
        AppState {
            body_deadline: deadline,
            ..self
        }
    }

    /// Keeps at most `limit` sessions not logged in alive per address instead of
    /// [`crate::sessions::DEFAULT_PER_ADDRESS`].
    pub fn with_sessions_per_address(self, limit: usize) -> AppState {
        AppState {
            sessions_per_address: limit.max(1),
            ..self
        }
    }

    /// Takes at most `limit` card logins at once instead of
    /// [`crate::card_login::queue::DEFAULT_LIMIT`].
    pub fn with_card_login_queue(self, limit: usize) -> AppState {
        let verifier = self.verifier.with_queue_limit(limit);
        AppState {
            // Made anew (at start, before anything is counted) to watch the new queue.
            metrics: crate::metrics::Metrics::new(self.pool.clone(), verifier.queue().clone()),
            verifier,
            ..self
        }
    }

    /// Believes `X-Forwarded-For` from `proxies` (none by default).
    pub fn with_trusted_proxies(self, proxies: TrustedProxies) -> AppState {
        AppState {
            trusted_proxies: proxies,
            ..self
        }
    }
}
