//! The ID token (OIDC Core §2): who logged in, how and when, for one client, signed with
//! the client's algorithm (ES256 unless it was registered for RS256).

use super::alg::SigningAlg;
use super::codes::Grant;
use super::keys::SigningKeys;
use super::ID_TOKEN_TTL_SECS;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct IdToken {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nonce: String,
    pub auth_time: i64,
    /// The level the login reached (SPEC §7), from the `amr` the code kept.
    pub acr: &'static str,
    pub amr: Vec<&'static str>,
    pub name: String,
    pub preferred_username: String,
}

impl IdToken {
    /// `preferred_username` is the name the client's system knows the person by.
    pub fn new(
        issuer: &str,
        sub: String,
        grant: &Grant,
        display_name: String,
        preferred_username: String,
        now: i64,
    ) -> IdToken {
        IdToken {
            iss: issuer.to_owned(),
            sub,
            aud: grant.client_id.clone(),
            exp: now + ID_TOKEN_TTL_SECS,
            iat: now,
            nonce: grant.nonce.clone(),
            auth_time: grant.auth_time,
            acr: grant.amr.level().acr(),
            amr: grant.amr.values().to_vec(),
            name: display_name,
            preferred_username,
        }
    }

    /// The token as a compact JWS under the current key of `alg`.
    pub fn sign(&self, keys: &SigningKeys, alg: SigningAlg) -> String {
        keys.sign(alg, self)
    }
}

/// An `id_token_hint` this provider issued (any age: a hint may have expired), for the
/// client it names as `aud`: answers (`sub`, `aud`).
pub fn hint(keys: &SigningKeys, issuer: &str, token: &str, now: i64) -> Option<(String, String)> {
    let claims = keys.verify(token, now).ok()?;
    if claims["iss"] != issuer {
        return None;
    }
    Some((
        claims["sub"].as_str()?.to_owned(),
        claims["aud"].as_str()?.to_owned(),
    ))
}
