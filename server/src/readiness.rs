//! Is this server ready for traffic (`GET /readyz`, SPEC §7c)? The database answers a
//! query, the OTP key opens a stored OTP secret (a lost `otp.key` replaced by a new one
//! would refuse every OTP), and the OpenID Connect key file still reads. The card key
//! is loaded before the server listens and cannot go missing after.

use crate::db::Pool;
use crate::oidc::keys::SigningKeys;
use crate::otp_key::OtpKey;
use sqlx::Row;
use std::time::Duration;

/// A check slower than this has failed: a load balancer must not wait on a hung database.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Each check's outcome: `None` passed, else what failed (no secret, no person's data;
/// but file paths and the database's words, for the log rather than for anyone asking).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    pub database: Option<String>,
    pub otp_key: Option<String>,
    pub oidc_keys: Option<String>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.checks().iter().all(|(_, problem)| problem.is_none())
    }

    /// Each check by name, with its problem.
    pub fn checks(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("database", self.database.as_deref()),
            ("otp_key", self.otp_key.as_deref()),
            ("oidc_keys", self.oidc_keys.as_deref()),
        ]
    }

    /// Each check by name: `ok` or `failed` (what failed is logged, not answered).
    pub fn summary(&self) -> std::collections::BTreeMap<&'static str, &'static str> {
        self.checks()
            .into_iter()
            .map(|(name, problem)| (name, if problem.is_none() { "ok" } else { "failed" }))
            .collect()
    }
}

/// Runs every check (the key checks even when the database failed, so that the answer
/// names every problem it can see).
pub async fn check(pool: &Pool, otp_key: &OtpKey, oidc_keys: &SigningKeys) -> Readiness {
    let stored = tokio::time::timeout(CHECK_TIMEOUT, one_otp_secret(pool)).await;
    let (database, otp_key) = match stored {
        Err(_) => (
            Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
            None,
        ),
        Ok(Err(error)) => (Some(error.to_string()), None),
        Ok(Ok(None)) => (None, None),
        Ok(Ok(Some((username, secret)))) => (
            None,
            otp_key
                .open(&secret, &username)
                .err()
                .map(|error| error.to_string()),
        ),
    };
    Readiness {
        database,
        otp_key,
        oidc_keys: oidc_keys.check().err().map(|error| error.to_string()),
    }
}

/// One account's stored OTP secret, if any account has one (`serve` sealed them all).
async fn one_otp_secret(pool: &Pool) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT username, totp_secret FROM users WHERE totp_secret IS NOT NULL LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}
