//! Authorization codes: 256 random bits, stored hashed, single use, [`CODE_TTL_SECS`],
//! bound to the client, the redirect URI, the PKCE challenge and the nonce of the request.
//! A code presented again revokes the access tokens issued for it (RFC 6749 §4.1.2).

use super::CODE_TTL_SECS;
use crate::amr::Amr;
use crate::db::Pool;
use sqlx::Row;

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    /// base64url(SHA-256(code_verifier)).
    pub code_challenge: String,
    pub nonce: String,
    pub scope: String,
    pub username: String,
    pub amr: Amr,
    /// When the person logged in.
    pub auth_time: i64,
}

/// A code for `grant`.
pub async fn issue(pool: &Pool, grant: &Grant, now: i64) -> Result<String, sqlx::Error> {
    let code = super::new_secret();
    sqlx::query(
        "INSERT INTO oidc_codes (code_hash, client_id, redirect_uri, code_challenge, nonce, \
         scope, username, amr, auth_time, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(crate::sha256_hex(&code))
    .bind(&grant.client_id)
    .bind(&grant.redirect_uri)
    .bind(&grant.code_challenge)
    .bind(&grant.nonce)
    .bind(&grant.scope)
    .bind(&grant.username)
    .bind(grant.amr.as_str())
    .bind(grant.auth_time)
    .bind(now + CODE_TTL_SECS)
    .execute(pool)
    .await?;
    Ok(code)
}

/// A code presented at the token endpoint.
#[derive(Debug)]
pub enum Spent {
    /// First use, in time: what it grants, and the hash its tokens are filed under.
    Fresh {
        grant: Grant,
        code_hash: String,
    },
    Unknown,
    Expired,
    /// Presented before: its tokens are revoked now.
    Reused,
}

/// Spends `code` in one UPDATE (once, across server instances).
pub async fn spend(pool: &Pool, code: &str, now: i64) -> Result<Spent, sqlx::Error> {
    let code_hash = crate::sha256_hex(code);
    let spent = sqlx::query(
        "UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
         RETURNING client_id, redirect_uri, code_challenge, nonce, scope, username, amr, \
         auth_time, expires_at",
    )
    .bind(now)
    .bind(&code_hash)
    .fetch_optional(pool)
    .await?;
    let Some(row) = spent else {
        let known = sqlx::query("SELECT 1 AS one FROM oidc_codes WHERE code_hash = $1")
            .bind(&code_hash)
            .fetch_optional(pool)
            .await?;
        if known.is_none() {
            return Ok(Spent::Unknown);
        }
        super::userinfo::revoke_for_code(pool, &code_hash).await?;
        return Ok(Spent::Reused);
    };
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Ok(Spent::Expired);
    }
    let amr: String = row.try_get("amr")?;
    Ok(Spent::Fresh {
        grant: Grant {
            client_id: row.try_get("client_id")?,
            redirect_uri: row.try_get("redirect_uri")?,
            code_challenge: row.try_get("code_challenge")?,
            nonce: row.try_get("nonce")?,
            scope: row.try_get("scope")?,
            username: row.try_get("username")?,
            // Never a stronger login than the one recorded: a value this version does
            // not know is the database's fault, not a password + OTP.
            amr: Amr::parse(&amr).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown amr {amr:?} in oidc_codes").into())
            })?,
            auth_time: row.try_get("auth_time")?,
        },
        code_hash,
    })
}

/// Whether `verifier` is the PKCE verifier of `challenge` (S256; RFC 7636 §4.6).
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    valid && crate::same_secret(&computed, challenge)
}

/// Whether `challenge` can be an S256 challenge: 43 base64url characters.
pub fn challenge_well_formed(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_as_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(challenge_well_formed(challenge));
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(challenge, challenge));
        assert!(!verifier_matches("short", challenge));
        assert!(!challenge_well_formed(verifier.trim_end_matches('k')));
    }
}
